/*
 * exit42.c - system test: main()'s return value becomes the machine's
 * exit status.
 *
 * Purpose: proves the status path from main() through the kernel's exit
 * to QEMU's isa-debug-exit device and the harness: the case expects the
 * line `tally: exit 42` and status 42.  With an argument N it returns N
 * instead (statuses over 127, which the device's 7 bits do not carry,
 * and -1, which is 255).  It first prints the ISA tally_sysinfo names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <tally.h>

int main(int argc, char **argv)
{
	struct tally_sysinfo si;
	tally_sysinfo(&si);
	printf("exit42: on %s\n", si.arch);
	int status = argc > 1 ? atoi(argv[1]) : 42;
	printf("exit42: returning %d\n", status);
	return status;
}

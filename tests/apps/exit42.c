/*
 * exit42.c - system test: main()'s return value becomes the machine's
 * exit status.
 *
 * Purpose: proves the status path from main() through the kernel's exit
 * to QEMU's isa-debug-exit device and the harness: the case expects the
 * line `tally: exit 42` and status 42.
 */
#include <stdio.h>

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("exit42: returning 42\n");
	return 42;
}

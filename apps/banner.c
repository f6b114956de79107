/*
 * banner.c - the default application: show what booted and where.
 * Prints the boot path, CPU, memory and command line, then its arguments,
 * and exits 0.  `make run` boots it.
 */
#include <stdio.h>
#include <tally.h>

int main(int argc, char **argv)
{
	struct tally_sysinfo si;
	tally_sysinfo(&si);
	printf("\n");
	printf("  Tally - a runtime kernel that accounts for every cycle\n");
	printf("  boot:    %s\n", si.boot_loader);
	printf("  cpu:     %s (%u online), TSC %llu.%03llu MHz via %s, %s\n", si.cpu_model,
	       si.cpus_online, (unsigned long long)(si.cycles_hz / 1000000),
	       (unsigned long long)(si.cycles_hz / 1000 % 1000), si.cycles_source,
	       si.cycles_invariant ? "invariant" : "not invariant");
	printf("  memory:  %llu MiB usable, %llu MiB free\n",
	       (unsigned long long)(si.mem_usable >> 20), (unsigned long long)(si.mem_free >> 20));
	printf("  acpi:    %s\n", si.acpi ? "RSDP found" : "no RSDP");
	printf("  console: %s\n", si.console);
	printf("  cmdline: \"%s\"\n", si.cmdline);
	for (int i = 1; i < argc; i++)
		printf("  argv[%d]: \"%s\"\n", i, argv[i]);
	printf("  main() reached %llu us after kernel entry\n",
	       (unsigned long long)(tally_nanotime() / 1000));
	printf("\n");
	return 0;
}

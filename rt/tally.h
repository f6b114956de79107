/*
 * tally.h - the public API for applications running on Tally.
 *
 * An application is ordinary C: int main(int argc, char **argv) with
 * newlib's stdio, string and math.  argv comes from the boot command line
 * after "--"; main's return value (or exit()'s argument) becomes the
 * machine's exit status (QEMU: isa-debug-exit).  This header adds what a
 * hosted C library cannot say: facts about the machine and the boot.
 *
 * The runtime (goroutines, channels, sync, timers) will be declared here
 * too, under the same tally_ prefix, as it lands.
 */
#ifndef TALLY_H
#define TALLY_H

#include <stdint.h>

struct tally_sysinfo {
	const char *arch;          /* "x86_64" */
	const char *boot_loader;   /* how the kernel was loaded, for display */
	const char *cpu_model;     /* CPUID brand string */
	unsigned cpus_online;      /* CPUs running Tally */
	uint64_t cycles_hz;        /* cycle-counter (TSC) frequency, 0 unknown */
	const char *cycles_source; /* how cycles_hz was determined */
	int cycles_invariant;      /* 1 if the TSC is invariant */
	uint64_t mem_usable;       /* bytes of RAM the firmware called usable */
	uint64_t mem_free;         /* bytes free in the page allocator now */
	const char *cmdline;       /* the whole boot command line */
	const char *console;       /* console device name */
	int acpi;                  /* 1 if an ACPI RSDP was found */
};

/* Fill *si; the strings stay valid for the program's life. */
void tally_sysinfo(struct tally_sysinfo *si);
/* Monotonic nanoseconds since the kernel started. */
uint64_t tally_nanotime(void);

#endif

/*
 * kernel.h - the kernel's entry and its boot-time configuration.
 */
#ifndef TALLY_KERNEL_H
#define TALLY_KERNEL_H

#include <stdint.h>
#include "boot/boot_info.h"
#include "kernel/bootopt.h"

/* The one kernel entry every boot path reaches. */
_Noreturn void kernel_main(struct boot_info *bi);

/* Values of the boot options (kernel/options.c). */
struct kopts {
	uint16_t serial_port;   /* serial= (0: none found, use the early port) */
	const char *serial_name;
	const char *test;       /* test= glob, NULL: no on-target tests */
	int loglevel;           /* loglevel=0..3 */
	int dumpboot;           /* dumpboot=1: hex-dump the loader's data */
	int pcidump;            /* pcidump=1: hex-dump PCI config spaces */
	unsigned tick_hz;       /* tick=HZ (0: no periodic tick) */
	unsigned max_cpus;      /* cpus=N (0: all) */
	int ledger;             /* ledger=off|exit */
	const char *bench;      /* bench=REGEX: run benchmarks, not the app */
	uint64_t benchtime_ns;  /* benchtime=500ms|2s: minimum time per benchmark */
	uint64_t bench_count;   /* benchtime=1000x: fixed count (0: use the time) */
	uint64_t quantum_ns;    /* quantum=10ms: preemption quantum */
	uint64_t stackmax;      /* stackmax=64M: goroutine stack limit */
	uint64_t stackinit;     /* stackinit=4K: stack mapped at spawn */
	int64_t apfail;         /* apfail=APICID[:ipi]: that CPU fails (tests
	                           the time-out paths); -1: none */
	int apfail_ipi;         /* :ipi: it starts, then goes deaf to IPI calls */
	uint64_t ipi_timeout_ns; /* ipitimeout=10s: an unanswered IPI panics */
};
extern struct kopts kopts;
/* Reset kopts to the defaults, then parse cmdline into it and res (argv
 * of the program) and check the options that depend on each other.
 * Returns 0, or -1 with res->err naming the offending word(s). */
int kopts_parse(const char *cmdline, struct bootopt_result *res);
extern const struct bootopt kernel_bootopts[];
extern const unsigned kernel_bootopts_count;

/* Boot facts for the application API (kernel/sysinfo.c). */
extern struct boot_info *kernel_boot_info;
extern uint64_t kernel_boot_cycles;   /* cycle counter at kernel_main */
extern uint64_t kernel_mem_usable;    /* bytes of usable RAM in the map */

/* The boot_phys_fn the kernel reads firmware tables with (after the
 * memory map is sanitized and Tally's page tables are up): pa itself, or
 * NULL unless every byte of [pa, pa+len) is listed memory (not a hole,
 * not BAD) and every page of it is mapped at its own address. */
const void *kernel_acpi_phys(void *ctx, uint64_t pa, uint64_t len);

/* The application's entry, from the app's objects. */
int main(int argc, char **argv);

#endif

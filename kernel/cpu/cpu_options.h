/*
 * cpu_options.h - the boot options of CPUs, interrupts and time
 * (kernel/cpu/cpu_options.c registers them).
 */
#ifndef TALLY_CPU_OPTIONS_H
#define TALLY_CPU_OPTIONS_H

#include <stdint.h>

struct cpu_opts {
	unsigned tick_hz;        /* tick=HZ (0: no periodic tick) */
	unsigned max_cpus;       /* cpus=N (0: all) */
	int64_t apfail;          /* apfail=HWID[:ipi]: that CPU fails (tests the
	                            time-out paths); -1: none */
	int apfail_ipi;          /* :ipi: it starts, then goes deaf to IPI calls */
	uint64_t ipi_timeout_ns; /* ipitimeout=10s: an unanswered IPI panics */
	int ledger_misplace;     /* ledgertest=misplace: test only; the timer
	                            handler charges its body to user (timer.c)
	                            so the ledger's checks must fail */
};
extern struct cpu_opts cpu_opts;

#endif

/*
 * smp.h - bringing every CPU online, the idle loop, and the ledger report.
 */
#ifndef TALLY_SMP_H
#define TALLY_SMP_H

#include <stdint.h>

struct acpi_info;

/* Boot CPU: start every enabled CPU the MADT lists (at most max_cpus in
 * all, 0: no limit).  Prints one line with the count and any failures. */
void smp_init(const struct acpi_info *ai, unsigned max_cpus);
/* Run fn(arg) on CPU cpu in thread context (interrupts on, ticking,
 * charged to `user`) from its idle loop; smp_run_wait waits for it.
 * Returns -1 if the CPU is not online or is busy. */
int smp_run(unsigned cpu, void (*fn)(void *), void *arg);
int smp_run_wait(unsigned cpu, uint64_t timeout_ns);
/* Where an AP ends up after start-up; halts until interrupted. */
_Noreturn void cpu_idle_loop(void);
/* Print the cost ledger of every online CPU and the total. gather: ask
 * the other CPUs for an exact snapshot by IPI (0 in a crash). */
void ledger_report(int gather);
/* Cycles one ledger transition costs on this CPU (measured at boot). */
uint64_t ledger_transition_cost(void);
void ledger_measure_overhead(void);

#endif

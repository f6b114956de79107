/*
 * smp.h - bringing every CPU online, the idle loop, stopping the others.
 */
#ifndef TALLY_SMP_H
#define TALLY_SMP_H

#include <stdint.h>

struct machine_cpu;

/* Boot CPU: start every enabled CPU of list (the machine's, kernel/machine.h;
 * at most max_cpus in all, 0: no limit).  Prints one line with the count
 * and any failures. */
void smp_init(const struct machine_cpu *list, unsigned nlist, unsigned max_cpus);
/* Run fn(arg) on CPU cpu in thread context (interrupts on, ticking,
 * charged to `user`) from its idle loop; smp_run_wait waits for it.
 * Returns -1 if the CPU is not online or is busy. */
int smp_run(unsigned cpu, void (*fn)(void *), void *arg);
int smp_run_wait(unsigned cpu, uint64_t timeout_ns);
/* Where an AP ends up after start-up; halts until interrupted. */
_Noreturn void cpu_idle_loop(void);
/* Stop every other online CPU for good (the exit path: kernel/panic.c
 * admits one caller): NMI each, wait up to 0.5 s for each to mark itself
 * stopped, name on the console any that did not.  Returns how many did
 * not.  From then on this CPU runs alone (smp_alone).  Interrupts off. */
unsigned smp_stop_others(void);
/* 1 when this CPU stopped the others: it may take over any lock they held
 * (console, libc locks) and must not wait for them (IPIs). */
int smp_alone(void);
/* Mark this CPU stopped and halt it for good with interrupts off. */
_Noreturn void smp_halt_self(void);

#endif

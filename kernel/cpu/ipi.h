/*
 * ipi.h - cross-core interrupts: wake an idle core, run a function on one
 * or all other cores and wait, TLB shootdown.
 *
 * Every IPI is charged to kern.irq.ipi on the receiving core with a cause
 * (wakeup, call, tlb.shootdown) so the ledger tells why cores interrupted
 * each other.
 */
#ifndef TALLY_IPI_H
#define TALLY_IPI_H

#include <stddef.h>
#include <stdint.h>

struct trap_frame;

void ipi_init(void);
/* Wake CPU cpu from hlt (no-op for an awake CPU besides the interrupt). */
void ipi_wake(unsigned cpu);
/* Boot: fn runs at the end of every wake IPI's handler, with the
 * interrupted frame (the runtime's preemption when the world is being
 * stopped: kernel/glue/rt_platform.c). */
void ipi_set_wake_hook(void (*fn)(struct trap_frame *tf));
/* Run fn(arg) on CPU cpu in interrupt context and wait until it returned.
 * Calling it for the current CPU runs fn directly (interrupts off).
 * Returns 0, or -1 without calling when cpu is not online (or stopped:
 * smp_stop_others).  A CPU that
 * does not answer gets a warning after 1 s and a kernel panic naming it
 * at the ipitimeout= limit: it never returns unanswered (ipi.c). */
int ipi_call(unsigned cpu, void (*fn)(void *), void *arg, unsigned cause);
/* ipi_call on every other online CPU (in parallel); returns once all ran
 * it (same time-out policy; at once when they are stopped). */
void ipi_call_others(void (*fn)(void *), void *arg, unsigned cause);
/* Invalidate [va, va+len) in every CPU's TLB (this one included); returns
 * only once every CPU confirmed, so the caller may then reuse or free
 * what was mapped there. */
void tlb_shootdown(uintptr_t va, size_t len);
uint64_t ipi_shootdowns(void);

#endif

/*
 * ipi.c - IPIs on top of arch_send_ipi (see ipi.h).
 *
 * Data structures: each CPU's struct cpu has one call slot guarded by
 * call_lock: a caller takes the lock, fills {fn, arg, cause}, sets pending,
 * sends VEC_IPI_CALL and waits (timer_wait_flag on `done`); the target
 * runs fn in its handler and clears pending.
 * Invariants: at most one call in flight per target CPU; a slot's fields
 * are written only by the lock holder while pending == 0.
 * Locking: call_lock (taken with interrupts off; never by the target).
 * A CPU waiting for a call_lock, or for an answer, keeps serving calls
 * posted to itself (poll_own_call, or the IPI during its halts): two CPUs
 * calling each other, or one holding a lock the other waits for, cannot
 * deadlock with interrupts off.
 * Ordering: pending is published with release semantics after fn/arg and
 * read with acquire semantics by the target.
 * Context: callers in thread or interrupt context (interrupts are held off
 * inside and the caller's state restored); handlers with interrupts off.
 */
#include <string.h>
#include "arch/arch.h"
#include "kernel/cpu.h"
#include "kernel/ipi.h"
#include "kernel/irq.h"
#include "kernel/kprintf.h"
#include "kernel/timer.h"

static uint64_t shootdowns;

static void wake_irq(unsigned v, struct trap_frame *tf)
{
	(void)v, (void)tf;
	struct cpu *c = this_cpu();
	c->ipis_received++;
	c->ledger.cause_events[LCAUSE_WAKEUP]++;
}

static void call_irq(unsigned v, struct trap_frame *tf)
{
	(void)v, (void)tf;
	struct cpu *c = this_cpu();
	c->ipis_received++;
	if (!__atomic_load_n(&c->call.pending, __ATOMIC_ACQUIRE))
		return;  /* late duplicate */
	/* re-label this ledger frame with the call's cause */
	uint64_t now = arch_cycles();
	struct ledger_frame *f = &c->ledger.stack[c->ledger.depth];
	c->ledger.cycles[f->cls] += now - c->ledger.last;
	c->ledger.last = now;
	f->cause = c->call.cause;
	c->ledger.cause_events[c->call.cause]++;
	c->call.fn(c->call.arg);
	__atomic_store_n(&c->call.pending, 0, __ATOMIC_RELEASE);
}

/* Run a call posted to this CPU, if any (used while waiting with
 * interrupts off; the IPI's own handler then finds nothing to do). */
static void poll_own_call(void)
{
	struct cpu *c = this_cpu();
	if (__atomic_load_n(&c->call.pending, __ATOMIC_ACQUIRE)) {
		c->call.fn(c->call.arg);
		__atomic_store_n(&c->call.pending, 0, __ATOMIC_RELEASE);
	}
}

static void lock_serving(struct spinlock *l)
{
	while (!spin_trylock(l)) {
		poll_own_call();
		arch_pause();
	}
}

void ipi_init(void)
{
	irq_set_handler(VEC_IPI_WAKE, wake_irq, LC_KERN_IRQ_IPI);
	irq_set_handler(VEC_IPI_CALL, call_irq, LC_KERN_IRQ_IPI);
}

void ipi_wake(unsigned cpu)
{
	if (cpu < CPU_MAX && cpus[cpu].online)
		arch_send_ipi(cpus[cpu].arch.hwid, VEC_IPI_WAKE);
}

/* Start a call without waiting; the caller holds the target's call_lock. */
static void post(struct cpu *t, void (*fn)(void *), void *arg, unsigned cause)
{
	t->call.fn = fn;
	t->call.arg = arg;
	t->call.cause = (uint8_t)cause;
	__atomic_store_n(&t->call.pending, 1, __ATOMIC_RELEASE);
	arch_send_ipi(t->arch.hwid, VEC_IPI_CALL);
}

static int wait_done(struct cpu *t)
{
	uint64_t end = arch_cycles() + timer_ns_to_cycles(1000000000ull);
	while (__atomic_load_n(&t->call.pending, __ATOMIC_ACQUIRE)) {
		if (arch_cycles() >= end) {
			kprintf("tally: warning: cpu %u did not answer an IPI within 1 s\n",
			        t->arch.index);
			return -1;
		}
		poll_own_call();
		timer_wait_zero(&t->call.pending, 100000);
	}
	return 0;
}

int ipi_call(unsigned cpu, void (*fn)(void *), void *arg, unsigned cause)
{
	/* Interrupts off before this CPU is read: a goroutine caller moved by
	 * the tick between the test and the call would post to itself (and
	 * wait for its own answer) or run fn on the wrong CPU. */
	unsigned long f = arch_irq_save();
	if (cpu == cpu_index()) {
		fn(arg);
		arch_irq_restore(f);
		return 0;
	}
	if (cpu >= CPU_MAX || !cpus[cpu].online) {
		arch_irq_restore(f);
		return -1;
	}
	struct cpu *t = &cpus[cpu];
	lock_serving(&t->call_lock);
	post(t, fn, arg, cause);
	int rc = wait_done(t);
	spin_unlock(&t->call_lock);
	arch_irq_restore(f);
	return rc;
}

int ipi_call_others(void (*fn)(void *), void *arg, unsigned cause)
{
	unsigned long f = arch_irq_save();  /* first: `me` stays true */
	unsigned me = cpu_index(), n = cpu_count();
	int failures = 0;
	for (unsigned i = 0; i < n; i++) {
		if (i == me)
			continue;
		lock_serving(&cpus[i].call_lock);
		post(&cpus[i], fn, arg, cause);
	}
	for (unsigned i = 0; i < n; i++) {
		if (i == me)
			continue;
		failures += wait_done(&cpus[i]) < 0;
		spin_unlock(&cpus[i].call_lock);
	}
	arch_irq_restore(f);
	return failures;
}

struct range {
	uintptr_t va;
	size_t len;
};

static void flush_range(void *p)
{
	struct range *r = p;
	arch_tlb_flush(r->va, r->len);
}

void tlb_shootdown(uintptr_t va, size_t len)
{
	struct range r = { va, len };
	__atomic_fetch_add(&shootdowns, 1, __ATOMIC_RELAXED);
	flush_range(&r);
	ipi_call_others(flush_range, &r, LCAUSE_SHOOTDOWN);
}

uint64_t ipi_shootdowns(void) { return shootdowns; }

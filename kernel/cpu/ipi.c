/*
 * ipi.c - IPIs on top of arch_send_ipi (see ipi.h).
 *
 * Data structures: each CPU's struct cpu has one call slot guarded by
 * call_lock: a caller takes the lock, fills {fn, arg, cause}, sets pending,
 * sends ARCH_IRQ_IPI_CALL and waits (timer_wait_zero on `pending`); the target
 * runs fn in its handler and clears pending.
 * Invariants: at most one call in flight per target CPU; a slot's fields
 * are written only by the lock holder while pending == 0; the lock is
 * released only with pending == 0 (post() checks: a pending slot is never
 * overwritten, since its arg points into a waiting caller's frame).
 *
 * Time-out policy: an IPI that is not answered is not an error the caller
 * can handle.  A TLB shootdown that returned unconfirmed would let its
 * caller free pages that another CPU still reaches through a stale
 * translation, and a call slot abandoned while pending holds a pointer into
 * a dead stack frame.  So a wait never gives up and returns: after
 * IPI_WARN_NS (1 s, or half the limit if that is shorter) it prints one
 * warning naming the CPU and the call, keeps waiting, and at the hard
 * limit (ipitimeout=, default 10 s) it panics with a report naming the CPU
 * that did not answer (the fatal path then stops every CPU by NMI, the
 * silent one included).  Once a CPU stopped the others (smp_alone: the
 * exit path), calls to them are skipped: ipi_call returns -1, and
 * ipi_call_others and tlb_shootdown return at once (a stopped CPU never
 * touches memory again, so its TLB needs no flush).  ipi_call_others and tlb_shootdown therefore
 * return only once every other CPU ran the call.  Rejected: returning -1
 * (the previous behaviour: every caller would need a recovery it does not
 * have: gstack cannot "un-free" nor keep pages forever), and waiting
 * forever (a hang tells nobody which CPU is stuck).
 *
 * Waiting: timer_wait_zero up to the next check (warning, limit): a
 * short spin, then hlt with 100 us timer wake-ups, so under -icount (vCPUs
 * run round-robin on one host thread) the waiter gives the silent vCPU
 * its turn instead of spending the whole time-out spinning; calls posted
 * to the waiter meanwhile are served by its IPI handler during the halts.
 * Under icount the guest clock counts the instructions of all vCPUs and
 * idle time jumps to the next deadline: the limits are guest time, as
 * without it.
 *
 * Locking: call_lock (taken with interrupts off; never by the target).
 * A CPU waiting for a call_lock, or for an answer, keeps serving calls
 * posted to itself (poll_own_call, or the IPI during its halts): two CPUs
 * calling each other, or one holding a lock the other waits for, cannot
 * deadlock with interrupts off.
 * Ordering: pending is published with release semantics after fn/arg and
 * read with acquire semantics by the target.
 * Context: callers in thread context or an exception handler, with
 * interrupts on or off (they are held off inside, enabled only while
 * halted, and the caller's state restored), never in an interrupt handler
 * (the halts would take interrupts on the interrupt stack in use); a
 * goroutine caller stays pinned to its CPU for the whole call.  Handlers
 * run with interrupts off.
 */
#include <string.h>
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/cpu_options.h"
#include "kernel/cpu/ipi.h"
#include "kernel/cpu/irq.h"
#include "kernel/kernel.h"
#include "kernel/lib/kprintf.h"
#include "kernel/machine.h"
#include "kernel/ksyms.h"
#include "kernel/panic.h"
#include "kernel/cpu/smp.h"
#include "kernel/cpu/timer.h"

#define IPI_WARN_NS 1000000000ull  /* warn after 1 s without an answer */

static uint64_t shootdowns;

static void (*wake_hook)(struct trap_frame *tf);

void ipi_set_wake_hook(void (*fn)(struct trap_frame *tf)) { wake_hook = fn; }

static void wake_irq(unsigned v, struct trap_frame *tf)
{
	(void)v;
	struct cpu *c = this_cpu();
	c->ipis_received++;
	c->ledger.cause_events[LCAUSE_WAKEUP]++;
	if (wake_hook)
		wake_hook(tf);
}

/* Run the call posted to this CPU and mark it answered.  Fault
 * injection (apfail=ID:ipi): a deaf CPU hangs here instead, with
 * interrupts off, as a CPU stuck in a loop would. */
static void run_call(struct cpu *c)
{
	if (c->ipi_deaf)
		arch_halt_forever();
	c->call.fn(c->call.arg);
	__atomic_store_n(&c->call.pending, 0, __ATOMIC_RELEASE);
}

static void call_irq(unsigned v, struct trap_frame *tf)
{
	(void)v, (void)tf;
	struct cpu *c = this_cpu();
	c->ipis_received++;
	if (!__atomic_load_n(&c->call.pending, __ATOMIC_ACQUIRE))
		return;  /* late duplicate */
	/* re-label this ledger frame with the call's cause */
	if (ledger_on) {
		ledger_set_cause(&c->ledger, arch_cycles(), c->call.cause);
		c->ledger.cause_events[c->call.cause]++;
	}
	run_call(c);
}

/* Run a call posted to this CPU, if any (used while waiting with
 * interrupts off; the IPI's own handler then finds nothing to do). */
static void poll_own_call(void)
{
	struct cpu *c = this_cpu();
	if (__atomic_load_n(&c->call.pending, __ATOMIC_ACQUIRE))
		run_call(c);
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
	irq_set_handler(ARCH_IRQ_IPI_WAKE, wake_irq, LC_KERN_IRQ_IPI);
	irq_set_handler(ARCH_IRQ_IPI_CALL, call_irq, LC_KERN_IRQ_IPI);
}

void ipi_wake(unsigned cpu)
{
	if (cpu < CPU_MAX && cpus[cpu].online)
		arch_send_ipi(cpus[cpu].arch.hwid, ARCH_IRQ_IPI_WAKE);
}

/* Start a call without waiting; the caller holds the target's call_lock. */
static void post(struct cpu *t, void (*fn)(void *), void *arg, unsigned cause)
{
	if (__atomic_load_n(&t->call.pending, __ATOMIC_ACQUIRE))
		panic("ipi: call slot of cpu %u still pending", t->arch.index);
	t->call.fn = fn;
	t->call.arg = arg;
	t->call.cause = (uint8_t)cause;
	__atomic_store_n(&t->call.pending, 1, __ATOMIC_RELEASE);
	arch_send_ipi(t->arch.hwid, ARCH_IRQ_IPI_CALL);
}

/* "flush_range (cause tlb.shootdown)": what a report calls the call. */
static void describe(char *buf, size_t n, const struct cpu_call *c)
{
	uintptr_t off;
	const char *name = ksyms_lookup((uintptr_t)c->fn, &off);
	ksnprintf(buf, n, "%s (cause %s)", name ? name : "?", ledger_cause_name(c->cause));
}

/* Wait until t ran the call posted to it; see the time-out policy above.
 * Returns only once it did. */
static void wait_done(struct cpu *t)
{
	uint64_t limit_ns = cpu_opts.ipi_timeout_ns;
	uint64_t warn_ns = IPI_WARN_NS < limit_ns / 2 ? IPI_WARN_NS : limit_ns / 2;
	uint64_t start = arch_cycles();
	uint64_t warn = start + timer_ns_to_cycles(warn_ns);
	uint64_t end = start + timer_ns_to_cycles(limit_ns);
	int warned = 0;
	char what[96];
	while (__atomic_load_n(&t->call.pending, __ATOMIC_ACQUIRE)) {
		uint64_t now = arch_cycles();
		if (!warned && now >= warn) {
			describe(what, sizeof(what), &t->call);
			kprintf("tally: warning: cpu %u (%s %u) has not answered IPI call %s "
			        "for %lu ms; waiting up to %lu ms\n",
			        t->arch.index, machine->hwid_name, t->arch.hwid, what, warn_ns / 1000000,
			        limit_ns / 1000000);
			warned = 1;
		}
		if (now >= end) {
			describe(what, sizeof(what), &t->call);
			panic("ipi: cpu %u (%s %u) did not answer IPI call %s within %lu ms",
			      t->arch.index, machine->hwid_name, t->arch.hwid, what, limit_ns / 1000000);
		}
		poll_own_call();
		/* to the next check in one wait: it halts between its own
		 * 100 us wake-ups and serves calls to this CPU in its IPI
		 * handler; re-entering it every slice would repeat its spin */
		timer_wait_zero(&t->call.pending, timer_cycles_to_ns((warned ? end : warn) - now) + 1);
	}
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
	if (cpu >= CPU_MAX || !cpus[cpu].online || smp_alone()) {
		arch_irq_restore(f);
		return -1;
	}
	struct cpu *t = &cpus[cpu];
	lock_serving(&t->call_lock);
	post(t, fn, arg, cause);
	wait_done(t);
	spin_unlock(&t->call_lock);
	arch_irq_restore(f);
	return 0;
}

void ipi_call_others(void (*fn)(void *), void *arg, unsigned cause)
{
	unsigned long f = arch_irq_save();  /* first: `me` stays true */
	unsigned me = cpu_index(), n = cpu_count();
	if (smp_alone())
		n = 0;  /* the others are stopped for good: nothing to ask */
	for (unsigned i = 0; i < n; i++) {
		if (i == me)
			continue;
		lock_serving(&cpus[i].call_lock);
		post(&cpus[i], fn, arg, cause);
	}
	for (unsigned i = 0; i < n; i++) {
		if (i == me)
			continue;
		wait_done(&cpus[i]);
		spin_unlock(&cpus[i].call_lock);
	}
	arch_irq_restore(f);
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
	/* interrupts off across both halves: a goroutine caller moved by the
	 * tick after its own flush would skip the CPU it moved to */
	unsigned long f = arch_irq_save();
	flush_range(&r);
	ipi_call_others(flush_range, &r, LCAUSE_SHOOTDOWN);
	arch_irq_restore(f);
}

uint64_t ipi_shootdowns(void) { return shootdowns; }

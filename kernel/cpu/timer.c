/*
 * timer.c - per-core tick and one-shot deadlines (see timer.h).
 */
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/cpu_options.h"
#include "kernel/cpu/irq.h"
#include "kernel/ledger.h"
#include "kernel/panic.h"
#include "kernel/cpu/timer.h"

static void (*tick_hook)(struct trap_frame *tf);
static unsigned tick_hz;

uint64_t timer_ns_to_cycles(uint64_t ns)
{
	uint64_t hz = arch_cycles_hz();
	return ns / 1000000000ull * hz + ns % 1000000000ull * hz / 1000000000ull;
}

uint64_t timer_cycles_to_ns(uint64_t c)
{
	uint64_t hz = arch_cycles_hz();
	return hz ? c / hz * 1000000000ull + c % hz * 1000000000ull / hz : 0;
}

unsigned timer_tick_hz(void) { return tick_hz; }

void timer_set_tick_hook(void (*fn)(struct trap_frame *tf)) { tick_hook = fn; }

/* Program the hardware for the earliest thing this CPU waits for. */
static void program(struct cpu *c)
{
	uint64_t d = 0;
	if (c->tick_period && !c->idle)
		d = c->next_tick;
	if (c->events && (!d || c->events->deadline < d))
		d = c->events->deadline;
	c->armed = d;
	arch_timer_arm(d);
}

static void timer_irq(unsigned v, struct trap_frame *tf)
{
	(void)v;
	struct cpu *c = this_cpu();
	uint64_t now = arch_cycles();
	/* test only (ledgertest=misplace): the rest of this interrupt is
	 * charged to user, a misplaced charge tests/target/ledger_test.c
	 * must catch */
	if (__builtin_expect(cpu_opts.ledger_misplace, 0))
		ledger_switch(&c->ledger, now, LC_USER);
	c->timer_irqs++;
	if (c->tick_period && !c->idle && now >= c->next_tick) {
		uint64_t late = (now - c->next_tick) / c->tick_period;
		c->ticks++;
		c->ticks_missed += late;
		c->next_tick += (late + 1) * c->tick_period;
		if (tick_hook)
			tick_hook(tf);
	}
	while (c->events && c->events->deadline <= now) {
		struct timer_event *e = c->events;
		c->events = e->next;
		e->queued = 0;
		e->fired_at = now;
		e->fn(e, now);
		now = arch_cycles();
	}
	program(c);
}

void timer_init_cpu(unsigned hz)
{
	struct cpu *c = this_cpu();
	if (c->arch.index == 0) {
		tick_hz = hz;
		irq_set_handler(ARCH_IRQ_TIMER, timer_irq, LC_KERN_IRQ_TIMER);
	}
	arch_timer_init(ARCH_IRQ_TIMER);
	c->tick_period = hz ? arch_cycles_hz() / hz : 0;
	c->next_tick = arch_cycles() + c->tick_period;
	program(c);
}

void timer_add(struct timer_event *e)
{
	unsigned long f = arch_irq_save();
	struct cpu *c = this_cpu();
	if (e->queued)
		panic("timer: event queued twice");
	struct timer_event **pp = &c->events;
	while (*pp && (*pp)->deadline <= e->deadline)
		pp = &(*pp)->next;
	e->next = *pp;
	*pp = e;
	e->queued = 1;
	if (c->events == e)
		program(c);
	arch_irq_restore(f);
}

int timer_cancel(struct timer_event *e)
{
	unsigned long f = arch_irq_save();
	struct cpu *c = this_cpu();
	if (!e->queued) {
		arch_irq_restore(f);
		return 0;
	}
	for (struct timer_event **pp = &c->events; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			e->queued = 0;
			program(c);
			arch_irq_restore(f);
			return 1;
		}
	}
	panic("timer: queued event not on this CPU's list");
}

void timer_idle_enter(void)
{
	struct cpu *c = this_cpu();
	c->idle = 1;
	program(c);
}

void timer_idle_exit(void)
{
	struct cpu *c = this_cpu();
	c->idle = 0;
	uint64_t now = arch_cycles();
	if (c->tick_period && c->next_tick <= now)
		c->next_tick = now + c->tick_period;  /* no catch-up burst after idle */
	program(c);
}

static void wake_only(struct timer_event *e, uint64_t now) { (void)e, (void)now; }

/* Wait until (*p != 0) == want: spin for up to ~20 us (answers from
 * another core usually arrive within that), then halt with a 100 us
 * wake-up so a waiting vCPU yields its host thread (needed under QEMU's
 * icount round-robin, where a spinning vCPU can starve the others). */
static int wait_value(volatile int *p, int want, uint64_t timeout_ns)
{
	unsigned long f = arch_irq_save();
	/* The halt below enables interrupts: when the caller is a goroutine
	 * the tick must not preempt it there (it would resume on another CPU
	 * with this CPU's timer event queued). */
	struct cpu *self = cpu_pin();  /* interrupts are off: no window */
	int rc = 0;
	uint64_t start = arch_cycles();
	uint64_t end = timeout_ns ? start + timer_ns_to_cycles(timeout_ns) : 0;
	uint64_t spin_end = start + timer_ns_to_cycles(20000);
	while (arch_cycles() < spin_end) {
		if ((*p != 0) == want)
			goto out;
		arch_pause();
	}
	struct timer_event e = { .fn = wake_only };
	while ((*p != 0) != want) {
		uint64_t now = arch_cycles();
		if (end && now >= end) {
			rc = -1;
			goto out;
		}
		e.deadline = now + timer_ns_to_cycles(100000);
		if (end && e.deadline > end)
			e.deadline = end;
		timer_add(&e);
		if ((*p != 0) != want)
			arch_wait_for_interrupt();
		timer_cancel(&e);
	}
out:
	cpu_unpin(self);
	arch_irq_restore(f);
	return rc;
}

int timer_wait_flag(volatile int *flag, uint64_t timeout_ns) { return wait_value(flag, 1, timeout_ns); }
int timer_wait_zero(volatile int *v, uint64_t timeout_ns) { return wait_value(v, 0, timeout_ns); }

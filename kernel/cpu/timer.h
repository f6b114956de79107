/*
 * timer.h - the per-core timer service: a periodic tick and one-shot
 * deadlines on each CPU, built on the arch one-shot timer.
 *
 * Purpose: the tick (rate set by the tick= boot option, default 1 kHz)
 * drives preemption through a hook the runtime installs; one-shot events
 * serve sleeping goroutines, timers and tickless idle.  The hardware is
 * always programmed for the earliest of: the next tick (unless the CPU is
 * idle: tickless idle) and the first event.
 *
 * Data structures: per CPU (struct cpu) a singly linked list of
 * caller-owned struct timer_event sorted by deadline.
 * Invariants: an event's function never runs before its deadline (an
 * interrupt that arrives early re-arms instead); events of one CPU fire
 * in deadline order; an event is on at most one list (queued flag).
 * Locking: a CPU's list is touched only by that CPU with interrupts off
 * (every function here disables them itself and restores the caller's
 * state on return).
 * Context: timer_add/timer_cancel from that CPU in any context; event
 * functions run in the timer interrupt with interrupts off.
 */
#ifndef TALLY_TIMER_H
#define TALLY_TIMER_H

#include <stdint.h>

struct trap_frame;

struct timer_event {
	uint64_t deadline;                 /* cycle counter value */
	void (*fn)(struct timer_event *e, uint64_t now);
	void *arg;
	struct timer_event *next;
	int queued;
	uint64_t fired_at;                 /* cycle counter when fn ran */
};

/* Per-CPU: program the hardware timer and start the tick (hz 0: none). */
void timer_init_cpu(unsigned hz);
/* Queue e on this CPU (e->deadline, e->fn set by the caller). */
void timer_add(struct timer_event *e);
/* Remove e if queued; returns 1 if it was. */
int timer_cancel(struct timer_event *e);
/* The runtime's preemption hook, called on every tick of every CPU. */
void timer_set_tick_hook(void (*fn)(struct trap_frame *tf));
/* Idle loop support: stop/restart the tick while halted. */
void timer_idle_enter(void);
void timer_idle_exit(void);
/* Halt this CPU until *flag != 0 or timeout_ns pass (0: no timeout),
 * with interrupts enabled while halted but the calling goroutine (if any)
 * not preemptible.  Returns 0, or -1 on timeout. */
int timer_wait_flag(volatile int *flag, uint64_t timeout_ns);
/* The same, until *v == 0. */
int timer_wait_zero(volatile int *v, uint64_t timeout_ns);
uint64_t timer_ns_to_cycles(uint64_t ns);
uint64_t timer_cycles_to_ns(uint64_t c);
unsigned timer_tick_hz(void);

#endif

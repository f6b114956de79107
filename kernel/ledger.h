/*
 * ledger.h - the cost ledger: every cycle of every core charged to a class.
 *
 * Purpose: Tally's core promise.  At every instant each core is in exactly
 * one cost class (idle, user, kern.irq.timer, rt.sched, ...).  A transition
 * reads the cycle counter once and moves the core from one class to the
 * next at that time.  Classes nest as a stack: an interrupt during
 * rt.gc.mark pushes kern.irq.timer, and popping it resumes charging
 * rt.gc.mark.  A kernel event may carry a cause (a page fault caused by
 * rt.stack, an IPI caused by a wake-up): its cycles are charged to the
 * kernel class AND counted under the cause, so both views add up.
 *
 * Data structures: struct ledger_cpu per core (owned by that core only),
 * a global table of class names (fixed kernel classes and rt.sched first,
 * runtime classes registered at boot by name).  cycles[c] is kept as a
 * sum of times, not of lengths: leaving c at t adds t, entering it
 * subtracts t, so a closed interval [a, b] has added b - a and the open
 * one (the top frame's) lacks only +now.  A transition therefore needs no
 * `last` to subtract: it is one add and one subtract of the time read.
 * The thread's frame may be the pair frame (LEDGER_PAIR), user and
 * rt.sched in one: the half being charged is bit 0 of `pair`, and the
 * scheduler's user <-> rt.sched switches are one add each to `pair`
 * (ledger_pair_leave/enter, below).
 *
 * Invariants (per core, at any instant t, where top is the class of
 * stack[depth] and S = pair >> 1, arithmetic shift):
 *   value(c) = cycles[c] + (c == user ? S : c == rt.sched ? -S : 0)
 *              + (c == top ? t : 0)        the cycles class c has had;
 *   sum over classes c of value(c) == t - start               (exact)
 *   0 <= depth < LEDGER_DEPTH; stack[depth] is the current frame.
 *   cause_cycles[k] (+ t for the top frame's cause) <= the cycles of the
 *   classes its frames had, k >= 1 (a sub-view: kernel classes, and
 *   rt.sched for a preemption's save).
 * The residue (t - start - sum) is computed and reported, never assumed
 * to be zero.
 *
 * Locking: none: a core only writes its own ledger, with interrupts off
 * around push, pop and switch (callers on interrupt paths already have
 * them off), except the pair's two switches, which are one add each (an
 * instruction no interrupt on this CPU splits).  Nothing takes a lock
 * prefix.  Readers of other cores' ledgers snapshot them by IPI, on the
 * core itself (a remote read could see a transition half done).
 * Context: any, including interrupt handlers; never allocates.
 * Budget: push and pop are one cycle-counter read, four adds and the
 * counts, with no branch but the overflow check and the pair's decode:
 * the cause view is charged unconditionally, cause_cycles[LCAUSE_NONE]
 * being a slot that absorbs the frames without a cause (26 instructions
 * with the clock read under icount, ledger-transition: in the benchmark
 * header, timed on a scratch ledger).  The pair's switches are the clock
 * read, a shift, a lea and the add (arch_ledger_pair_leave/enter): 4
 * instructions to leave user, 1 to enter it beyond the clock read the
 * scheduler needs anyway (the G's run start), no count (the scheduler's
 * own is read: `rounds`).  The whole ledger's cost, on against off, is
 * tools/ledger_overhead.py's (docs/ledger.md).
 *
 * Off: with the boot option ledger=off, ledger_on is 0 from option parsing
 * on and the per-CPU entry points (cpu_ledger_*, the interrupt and fault
 * paths, the console, the IPI call relabel, the preempt hook,
 * plat_ledger_switch, plat_ledger_enter_user, plat_ledger_leave_user,
 * plat_ledger_rounds) return before touching the ledger: no transition
 * happens, entries[] stay as ledger_start left them and rounds stays
 * NULL, and the report says the ledger was off.  The functions below
 * stay pure arithmetic on the struct they are given (host tests, scratch
 * ledgers).
 *
 * Classes, causes and the code paths that enter them: docs/ledger.md.
 */
#ifndef TALLY_LEDGER_H
#define TALLY_LEDGER_H

#include <stdint.h>

#define LEDGER_MAX_CLASSES 32
#define LEDGER_MAX_CAUSES 16
#define LEDGER_DEPTH 16

/* Fixed classes; runtime classes are registered with ledger_class(). */
enum {
	LC_IDLE = 0,
	LC_USER,
	LC_KERN_BOOT,        /* kernel set-up before the first class is entered */
	LC_KERN_IRQ_TIMER,
	LC_KERN_IRQ_IPI,
	LC_KERN_IRQ_OTHER,
	LC_KERN_FAULT,
	LC_KERN_DRIVER,      /* device driver work (the console's UART loop) */
	LC_KERN_SYSCALL,     /* the system-call layer under newlib (write, sbrk...) */
	LC_RT_SCHED,         /* "rt.sched": the scheduler; user's partner in the pair */
	LC_FIXED_COUNT
};

/* The frame label of the pair (user | rt.sched, the half in bit 0 of
 * ledger_cpu.pair): not a class id, never an index. */
#define LEDGER_PAIR 0xff

/* Causes carried by kernel events. */
enum {
	LCAUSE_NONE = 0,
	LCAUSE_WAKEUP,       /* IPI to wake an idle core */
	LCAUSE_SHOOTDOWN,    /* IPI for a TLB shootdown */
	LCAUSE_CALL,         /* IPI running a function on another core */
	LCAUSE_PREEMPT,      /* timer tick that preempts */
	LCAUSE_FIXED_COUNT
};

struct ledger_frame {
	uint8_t cls, cause;  /* cls: a class id, or LEDGER_PAIR (stack[0] only) */
};

struct ledger_cpu {
	uint64_t pair;                       /* 2 S + h: the scheduler's pair (ledger_pair_leave) */
	const volatile uint64_t *rounds;     /* the scheduler's count of pair rounds, or NULL */
	uint64_t last;                       /* cycle counter at the last transition but the pair's */
	uint64_t start;                      /* when this core's ledger began */
	uint32_t depth;
	struct ledger_frame stack[LEDGER_DEPTH];
	uint64_t cycles[LEDGER_MAX_CLASSES]; /* sum of exit - entry times (below) */
	uint64_t entries[LEDGER_MAX_CLASSES];  /* times the class was entered, but by the pair */
	uint64_t cause_cycles[LEDGER_MAX_CAUSES];  /* [LCAUSE_NONE]: a sink, not reported */
	uint64_t cause_events[LEDGER_MAX_CAUSES];
	uint64_t overflow;                   /* pushes refused: stack full */
	uint64_t restarts;                   /* interrupts that restarted a pair switch */
	uint64_t pair_scratch;               /* the pair switch timed at boot, on no ledger */
};

/* 1 unless the boot option ledger=off cleared it (before any CPU but the
 * boot CPU started); read by every per-CPU entry point, never by the
 * arithmetic below. */
extern int ledger_on;

/* Register (or look up) a class by its stable name, e.g. "rt.sched".
 * Returns its id, or -1 if the table is full.  Boot time only. */
int ledger_class(const char *name);
int ledger_cause(const char *name);
const char *ledger_class_name(unsigned id);
const char *ledger_cause_name(unsigned id);
unsigned ledger_nclasses(void);
unsigned ledger_ncauses(void);

/* Start charging at `now` with base class cls (idle for APs, kern.boot). */
void ledger_start(struct ledger_cpu *l, uint64_t now, unsigned cls);

/* The class a frame charges: its own, or for the pair frame the pair's
 * current half (bit 0 of l->pair: 1 = rt.sched, 0 = user). */
static inline unsigned ledger_frame_class(const struct ledger_cpu *l, struct ledger_frame f)
{
	if (f.cls != LEDGER_PAIR)
		return f.cls;
	return (l->pair & 1) ? LC_RT_SCHED : LC_USER;
}

/* Close the top frame's interval at `now` / open it at `now`. */
static inline void _ledger_close(struct ledger_cpu *l, uint64_t now)
{
	struct ledger_frame f = l->stack[l->depth];
	l->cycles[ledger_frame_class(l, f)] += now;
	l->cause_cycles[f.cause] += now;
	l->last = now;
}

static inline void _ledger_open(struct ledger_cpu *l, uint64_t now)
{
	struct ledger_frame f = l->stack[l->depth];
	l->cycles[ledger_frame_class(l, f)] -= now;
	l->cause_cycles[f.cause] -= now;
}

/* Label a frame with cls (a switch): in the thread's own frame, the
 * base one, user and rt.sched become the pair frame, with the pair's
 * bit 0 set to the half (S, the pair's sum, is untouched: it charges
 * neither half by itself).  Only one frame is ever the pair's. */
static inline void _ledger_label(struct ledger_cpu *l, struct ledger_frame *f, unsigned cls, unsigned cause)
{
	if ((cls == LC_USER || cls == LC_RT_SCHED) && !cause && f == &l->stack[0]) {
		l->pair = (l->pair & ~(uint64_t)1) | (cls == LC_RT_SCHED);
		f->cls = LEDGER_PAIR;
	} else {
		f->cls = (uint8_t)cls;
	}
	f->cause = (uint8_t)cause;
}

/* Transitions; `now` is the cycle counter read by the caller.  Each one
 * adds `now` to the class (and cause) being left and subtracts it from
 * the class entered: a closed interval [a, b] has added b - a. */
static inline void ledger_push(struct ledger_cpu *l, uint64_t now, unsigned cls, unsigned cause)
{
	if (__builtin_expect(l->depth + 1 >= LEDGER_DEPTH, 0)) {
		l->overflow++;  /* keep charging the current frame */
		return;
	}
	_ledger_close(l, now);
	l->depth++;
	/* a pushed frame keeps its literal class: only the thread's frame,
	 * set by a switch, is ever the pair frame */
	l->stack[l->depth].cls = (uint8_t)cls;
	l->stack[l->depth].cause = (uint8_t)cause;
	l->cycles[cls] -= now;
	l->cause_cycles[cause] -= now;
	l->entries[cls]++;
	l->cause_events[cause]++;
}

static inline void ledger_pop(struct ledger_cpu *l, uint64_t now)
{
	if (l->overflow) {
		l->overflow--;
		return;
	}
	if (l->depth == 0)
		return;  /* unbalanced: keep charging the base frame */
	/* a pushed frame is literal (above): no decode to close it */
	struct ledger_frame f = l->stack[l->depth];
	l->cycles[f.cls] += now;
	l->cause_cycles[f.cause] += now;
	l->last = now;
	l->depth--;
	_ledger_open(l, now);
}

/* Replace the current class without nesting (e.g. user -> rt.sched);
 * returns the class replaced.  Interrupts off (an interrupt between the
 * close and the open would see the frame half moved). */
static inline unsigned ledger_switch(struct ledger_cpu *l, uint64_t now, unsigned cls)
{
	struct ledger_frame *f = &l->stack[l->depth];
	unsigned old = ledger_frame_class(l, *f);
	_ledger_close(l, now);
	_ledger_label(l, f, cls, 0);
	_ledger_open(l, now);
	l->entries[cls]++;
	return old;
}

/* Give the current frame a cause from `since` on (its class goes on):
 * `since` is now, or l->last for the whole frame just pushed.  The
 * caller counts the event. */
static inline void ledger_set_cause(struct ledger_cpu *l, uint64_t since, unsigned cause)
{
	struct ledger_frame *f = &l->stack[l->depth];
	l->cause_cycles[f->cause] += since;
	l->cause_cycles[cause] -= since;
	f->cause = (uint8_t)cause;
}

/* The scheduler's two switches, user -> rt.sched when a goroutine is back
 * on g0 and rt.sched -> user when g0 starts the next one, as one add to
 * the pair word each: pair = 2 S + h, where h (bit 0) is the half being
 * charged and S the sum of the pair's switch times, + for user's exits,
 * - for its entries (user's cycles are cycles[user] + S, rt.sched's
 * cycles[rt.sched] - S, plus `now` for the half that is open).  Leaving
 * user at t adds 2t + 1 (S += t, h 0 -> 1); entering it subtracts 2t + 1
 * (S -= t, h 1 -> 0).  One add is one instruction an interrupt on this
 * CPU sees wholly done or not begun, so the frame needs no relabel and
 * every reader (an interrupt's push and pop, a snapshot by IPI) finds a
 * consistent ledger without interrupts being disabled.  The bare-metal
 * switch reads the clock and adds in one restartable sequence
 * (arch_ledger_pair_add: an interrupt between the read and the add
 * rewinds to the read), so an interrupt's cycles are never taken from the
 * half before the switch when the switch's time is before the interrupt.
 * Preconditions: the thread's frame is the pair frame, in the half being
 * left (user for ledger_pair_leave; rt.sched for ledger_pair_enter).  A
 * preemption relabels a goroutine's frame (rt.sched, cause preempt): its
 * way back to g0 takes ledger_switch, not the pair.  These two are what
 * the host tests model; the kernel's are in arch/ (same arithmetic). */
static inline void ledger_pair_leave(struct ledger_cpu *l, uint64_t now) { l->pair += 2 * now + 1; }
static inline void ledger_pair_enter(struct ledger_cpu *l, uint64_t now) { l->pair -= 2 * now + 1; }

/* Transitions made since ledger_start, counted as class entries: pushes
 * and switches, and two for each of the pair's rounds, which the
 * scheduler counts (*rounds: one enter and one leave a round; a round in
 * progress counts its leave already) so that the pair's switches need not
 * (a pop, closing a push, is not counted; ledger_start's own entry is not
 * one). */
uint64_t ledger_transitions(const struct ledger_cpu *l);

static inline unsigned ledger_current(const struct ledger_cpu *l)
{
	return ledger_frame_class(l, l->stack[l->depth]);
}

struct ledger_snapshot {
	uint64_t elapsed;                    /* now - start */
	uint64_t cycles[LEDGER_MAX_CLASSES]; /* including the pending part */
	uint64_t cause_cycles[LEDGER_MAX_CAUSES];
	int64_t residue;                     /* elapsed - sum(cycles): 0 if exact */
	uint64_t transitions;                /* ledger_transitions */
};

/* Read a consistent view as of `now` (pending cycles go to the current
 * class).  For another core's ledger the view is racy but bounded. */
void ledger_snapshot(const struct ledger_cpu *l, uint64_t now, struct ledger_snapshot *s);
/* Add b into a (per-class sums for a total over cores). */
void ledger_snapshot_add(struct ledger_snapshot *a, const struct ledger_snapshot *b);

/* ---- the report (kernel/ledger_report.c) ---- */
/* At exit: snapshot every online CPU (the others by IPI:
 * while they still answer), then print the snapshots and the total. */
void ledger_gather(void);
void ledger_print(void);
/* Under ledger=off: one line saying so, with the transitions made. */
void ledger_print_off(void);
/* Cycles one ledger transition costs on this CPU (measured at boot): a
 * push or a pop on a scratch ledger; one of the scheduler's pair switches
 * (the same instructions on the scratch word pair_scratch). */
uint64_t ledger_transition_cost(void);
uint64_t ledger_pair_switch_cost(void);
void ledger_measure_overhead(void);

#endif

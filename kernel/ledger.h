/*
 * ledger.h - the cost ledger: every cycle of every core charged to a class.
 *
 * Purpose: Tally's core promise.  At every instant each core is in exactly
 * one cost class (idle, user, kern.irq.timer, rt.sched, ...).  A transition
 * reads the cycle counter once and adds the cycles since the previous
 * transition to the class being left.  Classes nest as a stack: an
 * interrupt during rt.gc.mark pushes kern.irq.timer, and popping it resumes
 * charging rt.gc.mark.  A kernel event may carry a cause (a page fault
 * caused by rt.stack, an IPI caused by a wake-up): its cycles are charged to
 * the kernel class AND counted under the cause, so both views add up.
 *
 * Data structures: struct ledger_cpu per core (owned by that core only),
 * a global table of class names (fixed kernel classes first, runtime
 * classes registered at boot by name).
 *
 * Invariants (per core, at any instant t, with `pending` = t - last):
 *   sum over classes c of cycles[c] + pending == t - start      (exact)
 *   0 <= depth < LEDGER_DEPTH; stack[depth] is the current class.
 *   cause_cycles[k] <= cycles of the classes its frames had, k >= 1 (a
 *   sub-view: kernel classes, and rt.sched for a preemption's save).
 * The residue (t - start - sum - pending) is computed and reported, never
 * assumed to be zero.
 *
 * Locking: none: a core only writes its own ledger, with interrupts off
 * around the few instructions of a transition (callers on interrupt paths
 * already have them off), except ledger_switch_interruptible (the
 * scheduler's switches), which stays exact with interrupts on by moving
 * `last` with one exchange that no interrupt can split (see there).
 * Nothing takes a lock prefix: only the owning core writes, so
 * indivisibility against its own interrupts is enough (arch_local_*).
 * Readers of other cores' ledgers get a racy but monotonic snapshot.
 * Context: any, including interrupt handlers; never allocates.
 * Budget: a transition is one cycle-counter read, two adds, a store and a
 * push or pop, with no branch but the overflow check: the cause view is
 * charged unconditionally, cause_cycles[LCAUSE_NONE] being a slot that
 * absorbs the frames without a cause (measured on a scratch ledger by
 * BenchmarkLedgerTransition; the whole ledger's cost, on against off, by
 * tools/ledger_overhead.py).
 *
 * Off: with the boot option ledger=off, ledger_on is 0 from option parsing
 * on and the per-CPU entry points (cpu_ledger_*, the interrupt and fault
 * paths, the console, the IPI call relabel, the preempt hook,
 * plat_ledger_switch, plat_ledger_enter_user) return before touching
 * the ledger: no transition happens, entries[] and switches stay as
 * ledger_start left them, and the report says the ledger was off.  The
 * functions below stay pure arithmetic on the struct they are given (host
 * tests, scratch ledgers).
 *
 * Classes, causes and the code paths that enter them: docs/ledger.md.
 */
#ifndef TALLY_LEDGER_H
#define TALLY_LEDGER_H

#include <stdint.h>

#include "arch/arch.h"  /* arch_local_exchange, arch_local_sub64 */

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
	LC_FIXED_COUNT
};

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
	uint8_t cls, cause;
};
_Static_assert(sizeof(struct ledger_frame) == 2, "ledger_switch_interruptible relabels with one 16-bit store");

struct ledger_cpu {
	uint64_t last;                       /* cycle counter at the last transition */
	uint64_t start;                      /* when this core's ledger began */
	uint32_t depth;
	struct ledger_frame stack[LEDGER_DEPTH];
	uint64_t cycles[LEDGER_MAX_CLASSES];
	uint64_t entries[LEDGER_MAX_CLASSES];  /* times the class was entered, */
	uint64_t switches;                   /* but by ledger_switch_interruptible */
	uint64_t cause_cycles[LEDGER_MAX_CAUSES];  /* [LCAUSE_NONE]: a sink, not reported */
	uint64_t cause_events[LEDGER_MAX_CAUSES];
	uint64_t overflow;                   /* pushes refused: stack full */
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

/* Transitions; `now` is the cycle counter read by the caller. */
static inline void ledger_push(struct ledger_cpu *l, uint64_t now, unsigned cls, unsigned cause)
{
	struct ledger_frame *f = &l->stack[l->depth];
	uint64_t d = now - l->last;
	l->cycles[f->cls] += d;
	l->cause_cycles[f->cause] += d;
	l->last = now;
	if (__builtin_expect(l->depth + 1 >= LEDGER_DEPTH, 0)) {
		l->overflow++;  /* keep charging the current frame */
		return;
	}
	l->depth++;
	l->stack[l->depth].cls = (uint8_t)cls;
	l->stack[l->depth].cause = (uint8_t)cause;
	l->entries[cls]++;
	l->cause_events[cause]++;
}

static inline void ledger_pop(struct ledger_cpu *l, uint64_t now)
{
	struct ledger_frame *f = &l->stack[l->depth];
	uint64_t d = now - l->last;
	l->cycles[f->cls] += d;
	l->cause_cycles[f->cause] += d;
	l->last = now;
	if (l->overflow) {
		l->overflow--;
		return;
	}
	if (l->depth > 0)
		l->depth--;
}

/* Replace the current class without nesting (e.g. user -> rt.sched);
 * returns the class replaced. */
static inline unsigned ledger_switch(struct ledger_cpu *l, uint64_t now, unsigned cls)
{
	struct ledger_frame *f = &l->stack[l->depth];
	unsigned old = f->cls;
	uint64_t d = now - l->last;
	l->cycles[f->cls] += d;
	l->cause_cycles[f->cause] += d;
	l->last = now;
	f->cls = (uint8_t)cls;
	f->cause = 0;
	l->entries[cls]++;
	return old;
}

/* Transitions made since ledger_start, counted as class entries: pushes
 * and switches, the interruptible ones included (a pop, closing a push,
 * is not counted; ledger_start's own entry is not one). */
uint64_t ledger_transitions(const struct ledger_cpu *l);

/* ledger_switch_interruptible's end when an interrupt came between its
 * clock read and its exchange (old last = now + back, later than now):
 * that interrupt charged the old class up to its entry, so nothing more
 * is charged; last goes back to its exit unless another interrupt moved
 * it on since.  Out of line so that the common path keeps no register
 * for it. */
unsigned _ledger_switch_raced(uint64_t back, uint64_t now, struct ledger_cpu *l, uint8_t was);

/* ledger_switch for a thread-context caller that may be interrupted (by
 * an interrupt whose handler pushes and pops this same ledger), without
 * holding interrupts off: the scheduler's user <-> rt.sched switches.
 * Disabling interrupts is what costs here under emulation (QEMU's TCG
 * ends a translation block at every STI: ~40 ns a pair, against ~2 ns for
 * the exchange).  Returns the class replaced.
 * Budget: 17 instructions in plat_ledger_switch beyond its ledger=off
 * path, none with a lock prefix (the xchg and the lock add it replaced
 * cost ~20 cycles each on hardware): the clock read (3), the exchange
 * with its difference and sign (4, arch_local_exchange) and the branch
 * on that sign, the per-CPU pointer, the frame read and its 16-bit
 * relabel (4), two charges, the count of switches (one counter, not
 * entries[cls]: no index to widen; only the total is read, by
 * ledger_transitions) and the returned class's move.  14 for
 * ledger_enter_interruptible (plat_ledger_enter_user): no cause charge,
 * no returned class.
 *
 * Why it stays exact: `last` moves by one exchange, the commit, which an
 * interrupt on this CPU sees wholly done or not begun;
 * every charge is then the difference of two consecutive values of `last`,
 * so the classes still sum to the elapsed cycles.
 *  - an interrupt before the clock read: an ordinary earlier event;
 *  - between the clock read and the exchange: its pop left last = t1 >
 *    now.  The exchange returns t1: nothing more is charged to the old
 *    class (the interrupt charged it up to its own entry, a few
 *    instructions after now) and last goes back to t1 unless yet another
 *    interrupt moved it on (compare-exchange; rare, so it may lock, and
 *    out of line: _ledger_switch_raced);
 *  - after the exchange, before the relabel: it charges [now, entry] to
 *    the old class (a few instructions that belong to the new one) and
 *    leaves last at its exit;
 *  - after the relabel: it charges the new class, as it should.
 * The relabel comes before the charge to the old class, so no interrupt
 * adds to that counter while this adds to it; for a switch to the same
 * class, where one may, the charge is one instruction anyway
 * (arch_local_sub64 of the negated difference, which the exchange gives
 * for free).  The frame's class and cause are read before the relabel and
 * no interrupt changes them (push and pop leave the frame under them as
 * they found it; the preempt hook relabels it only under a preemptible G,
 * never on g0).
 * Context: thread context on the CPU that owns l (the caller cannot move:
 * g0 is never preempted). */
static inline __attribute__((always_inline)) unsigned
_ledger_switch_interruptible(struct ledger_cpu *l, uint64_t now, unsigned cls, int causes)
{
	uint64_t back;  /* old last - now: the charge, negated */
	int raced = arch_local_exchange(&l->last, now, &back);
	struct ledger_frame *f = &l->stack[l->depth];
	struct ledger_frame was = *f;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	/* { cls, cause 0 } in one 16-bit store: the frame is two bytes */
	uint16_t relabel = (uint16_t)(cls << (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 8 : 0));
	__builtin_memcpy(f, &relabel, sizeof(relabel));
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (__builtin_expect(raced, 0))
		return _ledger_switch_raced(back, now, l, was.cls);  /* a tail call */
	arch_local_sub64(&l->cycles[was.cls], back);
	if (causes)
		arch_local_sub64(&l->cause_cycles[was.cause], back);
	l->switches++;  /* one add, no index to widen */
	return was.cls;
}

static inline unsigned ledger_switch_interruptible(struct ledger_cpu *l, uint64_t now, unsigned cls)
{
	return _ledger_switch_interruptible(l, now, cls, 1);
}

/* ledger_switch_interruptible from a frame known to carry no cause (the
 * scheduler's own, on g0: only the preempt hook gives a thread-context
 * frame a cause, and never g0's): the cause view is not charged, as it
 * would be only its sink, and nothing is returned. */
static inline void ledger_enter_interruptible(struct ledger_cpu *l, uint64_t now, unsigned cls)
{
	_ledger_switch_interruptible(l, now, cls, 0);
}

static inline unsigned ledger_current(const struct ledger_cpu *l)
{
	return l->stack[l->depth].cls;
}

struct ledger_snapshot {
	uint64_t elapsed;                    /* now - start */
	uint64_t cycles[LEDGER_MAX_CLASSES]; /* including the pending part */
	uint64_t cause_cycles[LEDGER_MAX_CAUSES];
	int64_t residue;                     /* elapsed - sum(cycles): 0 if exact */
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
/* Cycles one ledger transition costs on this CPU (measured at boot). */
uint64_t ledger_transition_cost(void);
void ledger_measure_overhead(void);

#endif

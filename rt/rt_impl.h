/*
 * rt_impl.h - the runtime's internals shared by its files: G, M, P, the
 * scheduler's entry points, runtime locks and fatal errors.
 *
 * Model (Go's): a G is a goroutine (saved context, stack, status); an M is
 * an execution context (a CPU on bare metal, a thread when hosted) with its
 * own scheduler context g0; a P is the right to run Gs plus per-P state
 * (run queue, runnext slot, timer heap).  Here P i is bound to M i for
 * i < gomaxprocs; Ms beyond gomaxprocs stay parked.
 *
 * Context switches always go through g0: a G that blocks, yields, exits
 * or is preempted switches to its M's g0, which finishes the action (puts
 * the G on a queue, calls the park's unlock function, frees it) before
 * picking the next G.  So a G's context is completely saved before any
 * other M can see it runnable.
 *
 * Locking: rt_lock() is a spinlock that also disables preemption of the
 * holder (m->locks).  Lock order: sched.lock, then any object's lock
 * (channel, mutex, timer heap), never the reverse.  A G must not park
 * holding an rt_lock except the one it hands to rt_gopark.
 *
 * Context: everything here runs in thread context on an M (g0 or a G);
 * the preemption tick only reads m->locks, m->curg and g->preempt.
 */
#ifndef TALLY_RT_IMPL_H
#define TALLY_RT_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include "rt/platform.h"
#include "rt/rt_ctx.h"
#include "rt/rt_port.h"  /* what rt/ gives a platform */

#define RT_MAX_M 64
#define RT_RUNQ_SIZE 256
#define RT_STACK_SIZE (64 * 1024)
#define RT_MAIN_STACK_SIZE (4 * 1024 * 1024)  /* main(): like a C program's stack */

enum g_status {
	G_IDLE = 0,     /* on the free list */
	G_RUNNABLE,     /* on a run queue */
	G_RUNNING,      /* on an M */
	G_WAITING,      /* parked on a channel, lock, timer, ... */
	G_DEAD,         /* exited, not yet reused */
};

struct sudog;

struct rt_lock {
	volatile int locked;
};

/* Who writes each field and who reads it.  "owner M" is the M running
 * the G (or g0 for struct m); "tick" is the preemption check, which runs
 * on the same CPU/thread as the code it interrupts, in the middle of any
 * instruction sequence, so the fields it reads are written in an order it
 * may observe at any point (rt_tick_barrier between the steps). */
struct g {
	struct rt_ctx ctx;          /* saved context when not running; written by
	                             * the switch away (owner M), read by the M
	                             * that resumes it after it was published */
	uint64_t goid;              /* set before the G is published; then fixed */
	volatile int status;        /* enum g_status; owner M, or a waker holding
	                             * the wait object's lock; tick reads */
	void (*fn)(void *);
	void *arg;
	uintptr_t stack_lo;         /* 0 until first run (stacks are lazy) */
	size_t stack_size;
	struct m *m;                /* the M running it, NULL otherwise */
	struct g *schedlink;        /* run queue / free list link; whoever holds
	                             * the queue (ring slot, sched.lock) */
	const char *waitreason;     /* why it is parked (for the deadlock report) */
	/* channel and select support (rt/chan.c, rt/select.c) */
	struct sudog *waiting;      /* sudogs of a blocked select/send/recv */
	void *param;                /* set by the waker: the sudog that fired */
	volatile uint32_t selectdone;
	/* timers (rt/rtimer.c): sleep uses the G's own timer */
	void *sleep_timer;
	/* preemption */
	volatile int preempt;       /* set by the tick once per run (no second
	                             * injection); cleared by execute() */
	uint64_t run_start;         /* 2 t + 1, t = plat_cycles when the run began
	                             * (plat_ledger_enter_user); written by execute()
	                             * while m->locks > 0, read by the tick */
	uint64_t preemptions;
};

struct p;

struct m {
	unsigned id;
	struct g g0;                /* the scheduler's context on this M */
	struct g *volatile curg;    /* the G running, NULL while in g0.  Written
	                             * only by this M in execute(), with locks > 0
	                             * and atomic stores; read by the tick, and by
	                             * checkdead on any M (atomic loads) */
	struct p *p;                /* fixed after rt_main */
	volatile int locks;         /* rt locks held + switch in progress: no
	                             * preemption while > 0.  Only code running
	                             * on this M changes it (rt_acquirem /
	                             * rt_releasem); the tick reads it */
	int spinning;               /* looking for work without a G (owner) */
	volatile int parked;
	/* inside execute() (from before it switches to a G until the G has
	 * been re-queued, parked or freed), so a G on its way back to a queue
	 * is never invisible to checkdead; written by this M twice a switch
	 * (seq-cst), read by checkdead on any M.  In struct m, not an array of
	 * its own: two Ms' flags on one cache line moved it between their
	 * CPUs at every switch. */
	volatile int busy;
	/* what g0 must do with the G that just switched to it */
	int after;                  /* AFTER_* */
	int (*park_unlock)(struct g *gp, void *arg);
	void *park_arg;
	uint64_t fastrand;          /* owner only: callers hold m->locks */
	volatile uint32_t stw_ack;  /* the stop-the-world generation this M has
	                             * stopped for (rt/heap/gc.c); written by g0 */
	uint64_t schedtick;         /* execute() calls: g0 writes; the ledger reads
	                             * it as its round count (plat_ledger_rounds) */
} __attribute__((aligned(64)));  /* rt_ms[]: no cache line shared by two Ms
                                  * (each writes its own at every switch) */

enum { AFTER_NONE, AFTER_PARK, AFTER_YIELD, AFTER_EXIT, AFTER_PREEMPT };

struct rt_timer;

struct p {
	unsigned id;
	struct m *m;
	/* local run queue: a ring written at tail by its owner only, read
	 * at head by the owner and by thieves (CAS on head).  "Owner" is
	 * code running on m with m->locks > 0 (it cannot move to another M
	 * in the middle of a put). */
	volatile uint32_t runq_head, runq_tail;
	struct g *runq[RT_RUNQ_SIZE];
	struct g *volatile runnext;
	/* timers (rt/rtimer.c): a 4-ary min-heap by `when` */
	struct rt_lock timers_lock;
	struct rt_timer **timers;
	unsigned ntimers, timers_cap;
	volatile uint64_t timer0_when;  /* earliest `when`, 0 if none */
	/* the M running this heap's expired timers, plus 1 (0: none): one
	 * at a time, so that they fire in deadline order although an idle M
	 * runs other Ps' timers too (rt_timers_run) */
	volatile unsigned timers_runner;
	/* exited Gs cached by this P (proc.c), owner only: a spawn and an
	 * exit take no global lock until the cache is empty or full */
	struct g *gfree;
	unsigned ngfree;
	/* owner only, like gfree: the stacks its Gs took less those they
	 * gave back (may go negative: a G can exit on another P; rt_nstacks
	 * sums them) */
	int64_t nstacks;
} __attribute__((aligned(64)));  /* ps[]: one P's owner-written tail and the
                                  * next P's run queue head never share a line */

/* ---- scheduler (rt/sched.c) ---- */
struct g *rt_getg(void);                 /* the running G (g0 in the scheduler) */
/* 1 when called from a goroutine, 0 on g0.  Not rt_getm()->curg: a
 * goroutine may move to another M between reading its M and that M's
 * curg, and then read an idle M's NULL (rt_getg reads both at once). */
static inline int rt_on_goroutine(void) { return rt_getg()->goid != 0; }
/* The M running the caller.  From a G that can be preempted the answer
 * may be stale by the time it is used (the G can move to another M right
 * after): use it only under rt_acquirem(), or for facts that are the same
 * on every M (is the caller a G: m->curg != NULL). */
extern struct m rt_ms[RT_MAX_M];          /* sched.c */
static inline struct m *rt_getm(void) { return &rt_ms[plat_m_id()]; }

/* Put a function's code in the section the preemption tick never
 * interrupts (rt_preempt_check): it may use this M's state without
 * holding m->locks.  Such a function calls nothing but tail calls out
 * (or calls code the tick never preempts either, as plat_m_id). */
#define RT_NOPREEMPT __attribute__((section("rt_nopreempt"), noinline, no_sanitize("thread")))
/* pin.c: raise the running M's m->locks and return the M (in section
 * rt_nopreempt, so no preemption falls between the two). */
struct m *rt_pin_m(void);

/* A compiler barrier: the tick (an interrupt or signal on this same CPU
 * or thread) sees this M's stores in program order across it. */
#define rt_tick_barrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)

/* Pin the caller to its M: read the M and raise its lock count in code
 * the tick never preempts, so no preemption can fall between the two (the G would
 * resume elsewhere and raise the old M's count).  While pinned the caller
 * may use the M's and its P's owner-only state.  Go's acquirem. */
static inline struct m *rt_acquirem(void)
{
	struct m *m = rt_pin_m();  /* pin.c: M read and count raised unpreempted */
	rt_tick_barrier();
	return m;
}
static inline void rt_releasem(struct m *m)
{
	rt_tick_barrier();
	m->locks--;
}
/* Spin for l; m->locks++ (the holder is not preempted).  Inline: every
 * queue, channel and timer operation takes one. */
static inline void rt_lock(struct rt_lock *l)
{
	rt_acquirem();
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			plat_relax();
	}
}
/* Release l; m->locks-- (held: still on the M that locked). */
static inline void rt_unlock(struct rt_lock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	rt_releasem(rt_getm());
}
/* Park the current G.  After it is off its stack, g0 calls
 * unlockf(gp, arg); if that returns 0 the G is made runnable again at once
 * (the wait condition went away).  unlockf may be NULL. */
void rt_gopark(int (*unlockf)(struct g *gp, void *arg), void *arg, const char *reason);
/* Common unlockf: release the rt_lock passed as arg and return 1. */
int rt_park_unlock(struct g *gp, void *arg);
/* Make a parked G runnable (any M, any G; not from interrupt handlers). */
void rt_goready(struct g *gp);
/* Wake an idle M if there is work it could take (after queueing work). */
void rt_wakep(void);
uint64_t rt_fastrand(void);
/* P number id (< RT_MAX_M), for invariant checks and tests. */
struct p *rt_pget(unsigned id);
uint64_t rt_nanotime(void);
/* Fatal runtime error: Go's "fatal error: <msg>", the current G's
 * backtrace, exit status 2. */
_Noreturn void rt_throw(const char *msg);
/* A Go panic that is fatal here (no recover): "panic: <msg>", status 2. */
_Noreturn void rt_panic(const char *msg);
/* A public call's pointer argument p: NULL ends the program with a panic
 * naming the call (what: "tally_mutex_lock: m is NULL"), status 2, not a
 * page fault's crash report (status 70). */
#define RT_NONNULL(p, what) do { if (__builtin_expect((p) == NULL, 0)) rt_panic(what); } while (0)
/* Out of memory: "fatal error: runtime: out of memory: cannot allocate
 * <bytes> bytes (<what>)" (bytes 0: "... cannot allocate <what>"), status
 * RT_EXIT_OOM (the kernel's own OOM status, so a user tells an
 * out-of-memory from a runtime error). */
#define RT_EXIT_OOM 71
_Noreturn void rt_throw_oom(const char *what, size_t bytes);
/* Ledger class ids registered by the runtime. */
extern unsigned rt_class_sched, rt_class_timer;

/* ---- stop the world (rt/heap/gc.c) ---- */
/* 1 while a collector wants the world stopped: every M's g0 calls
 * rt_stw_wait at the top of its scheduling loop, and the tick preempts a
 * running G at once, quantum or not. */
extern volatile int rt_stw;
void rt_stw_wait(struct m *m);

/* ---- timers (rt/rtimer.c) ---- */
struct rt_timer {
	uint64_t when;                      /* nanotime; 0: not armed */
	uint64_t period;                    /* ticker period, 0: one-shot */
	void (*f)(void *arg, uint64_t seq); /* runs on the timer's M, no rt locks held */
	void *arg;
	uint64_t seq;
	struct p *pp;                       /* heap it is on, NULL if none */
	int index;                          /* position in pp's heap */
};
/* Add/remove a timer on the current P's heap (any G). */
void rt_timer_add(struct rt_timer *t);
int rt_timer_del(struct rt_timer *t);     /* 1 if it was pending */
/* Wait until no M runs t's callback (after rt_timer_del, before freeing
 * t): a goroutine yields meanwhile, g0 spins. */
void rt_timer_wait_idle(struct rt_timer *t);
/* Run expired timers of pp; returns the earliest remaining `when` or 0.
 * If another M is running pp's timers, returns at once (that M runs
 * them, in order), with pp's earliest `when`. */
uint64_t rt_timers_run(struct p *pp, uint64_t now);
/* Earliest pending `when` over all Ps (0: none): for parking and checkdead. */
uint64_t rt_timers_next(void);
/* The collector, world stopped, marking complete: take every timer for
 * which marked(address) is 0 off its heap (a collected timer no one can
 * reach); returns how many. */
unsigned rt_timers_gc_drop(int (*marked)(uintptr_t));

#endif

/*
 * sched_impl.h - what the scheduler's files (sched.c, runq.c, proc.c,
 * fatal.c) share, and nothing else includes.
 *
 * Purpose: the scheduler is one subsystem split by concern (STYLE.md's
 * ~700-line rule): the scheduling loop and idle Ms (sched.c), run queues
 * (runq.c), goroutine creation and exit (proc.c), fatal reports
 * (fatal.c).  Their shared state and internal calls are declared here.
 *
 * Data structures: rt_sched (global run queue, free Gs, all Gs, idle-M
 * accounting) under rt_sched.lock, as described at the top of sched.c;
 * rt_gomaxprocs_v, read with rt_procs().
 * Locking: rt_sched.lock, then an object's lock (sched.c's essay).
 * Context: thread context on an M; the rt_runq* calls are the owner-only /
 * thief protocol of runq.c; rt_globrunq* need rt_sched.lock held.
 */
#ifndef TALLY_RT_SCHED_IMPL_H
#define TALLY_RT_SCHED_IMPL_H

#include <stdint.h>
#include "rt/rt_impl.h"

/* Three cache lines: the lock and what it guards; the goid counter,
 * written at every spawn; and the fields every spawn's wake reads
 * (nmidle, nmspinning, waking, idle_mask).  The count of stacks held is
 * per P (rt_nstacks).  With the goid counter and a stack count written at
 * every spawn and exit on the line every wake read, two CPUs spawning
 * moved that line between them at each (skynet at 2 vCPUs,
 * docs/heap.md).  Goids stay one counter, in spawn order: a batch per P
 * (Go's goidcache) would number a program's goroutines differently from
 * run to run, and its crash reports with them. */
struct rt_sched {
	struct rt_lock lock;
	struct g *runq_head, *runq_tail;
	volatile uint32_t runq_size;
	struct g *gfree;                  /* exited Gs beyond the Ps' caches */
	unsigned ngfree;
	struct g *allgs;                  /* every G ever made (allnext) */
	volatile uint64_t ngs;            /* G structures made */
	volatile uint64_t goidgen __attribute__((aligned(64)));
	volatile unsigned nmidle __attribute__((aligned(64)));
	volatile unsigned nmspinning;
	volatile unsigned waking;         /* 1: a wake is on its way to an idle M */
	volatile uint64_t idle_mask;      /* bit i: M i parked in findrunnable */
	volatile uint64_t nop_mask;       /* bit i: M i parked without a P */
};
/* Stacks held by Gs (live, not yet exited): the sum of the Ps' counts. */
uint64_t rt_nstacks(void);
/* pp's owner (g0 or pinned) took (+1) or gave back (-1) a stack */
static inline void rt_count_stack(struct p *pp, int d)
{
	__atomic_store_n(&pp->nstacks, pp->nstacks + d, __ATOMIC_RELAXED);
}
extern struct rt_sched rt_sched;

/* every G is on allgs through this field (kept outside struct g's layout
 * contract by storing the link in a side table would cost a lookup) */
struct gx {
	struct g g;
	struct gx *allnext;
	/* the collector (rt/heap/gc_mark.c): the saved sp its start pause
	 * found, while the stack from there up is still to scan
	 * concurrently; 0 otherwise.  Set with the world stopped; cleared
	 * under gc_stack.c's stack lock, by the collector once it has scanned
	 * the stack or by rt_gfput before the stack is freed (seq-cst) */
	volatile uintptr_t gc_scan_sp;
	/* the same sp, kept for the whole cycle (gc_verify.c reads what
	 * marking read: the stack from the larger of it and the final sp);
	 * 0 for a G not noted, and cleared when its stack is freed */
	volatile uintptr_t gc_noted_sp;
	/* 1 while the collector shrinks this G's stack (gc_stack.c): execute()
	 * stores the status G_RUNNING, then (after a full fence) waits while
	 * it is set; the collector sets it, then reads the status and shrinks
	 * only a G that is not running (Dekker: one of the two sees the
	 * other) */
	volatile int gc_trimming;
} __attribute__((aligned(64)));  /* allocated 64-aligned (proc.c): a G stolen
                                  * to another CPU shares no cache line with
                                  * its neighbours, which its old CPU runs */

/* GOMAXPROCS, read atomically (tally_gomaxprocs may change it any time) */
extern volatile unsigned rt_gomaxprocs_v;
static inline unsigned rt_procs(void) { return __atomic_load_n(&rt_gomaxprocs_v, __ATOMIC_SEQ_CST); }

#define acquirem rt_acquirem
#define releasem rt_releasem

/* runq.h (inline) and runq.c: the global queue (rt_sched.lock held) and
 * each P's ring and runnext (put: owner only; get: owner or thief) */
#include "rt/runq.h"
/* Thief: move half of victim's Gs into pp's ring, return one of them. */
struct g *rt_runqsteal(struct p *pp, struct p *victim, int steal_next);

/* proc.c: Gs */
struct g *rt_newproc(void (*fn)(void *), void *arg);
void rt_gfput(struct g *gp);
unsigned rt_gfree_count(void);  /* free Gs, global and cached (racy) */
void rt_goentry(void *arg);


/* fatal.c */
void rt_print(const char *s);
void rt_print_goroutine_header(struct g *gp, const char *state);

/* Inline for the same reason as runq.h: on every yield, park and spawn. */
/* From a G: hand control to g0 with an action for it to finish. */
static inline void rt_mcall(int after)
{
	struct m *m = rt_getm();
	struct g *gp = m->curg;
	m->after = after;
	rt_ctx_switch(&gp->ctx, &m->g0.ctx);
	/* resumed: possibly on another M */
}

/* Queue a runnable G from M m: its P's runnext, or the global queue when
 * m holds no P. */
static inline void rt_ready_put(struct m *m, struct g *gp)
{
	if (m->id < rt_procs()) {
		rt_runqput(m->p, gp, 1);
	} else {
		rt_lock(&rt_sched.lock);
		rt_globrunqput(gp);
		rt_unlock(&rt_sched.lock);
	}
}

#endif

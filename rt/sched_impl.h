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

struct rt_sched {
	struct rt_lock lock;
	struct g *runq_head, *runq_tail;
	volatile uint32_t runq_size;
	struct g *gfree;                  /* exited Gs, with their stacks */
	unsigned ngfree;
	struct g *allgs;                  /* every G ever made (allnext) */
	volatile uint64_t goidgen;
	volatile unsigned nmidle;
	volatile unsigned nmspinning;
	volatile uint64_t idle_mask;      /* bit i: M i parked in findrunnable */
	volatile uint64_t nop_mask;       /* bit i: M i parked without a P */
	volatile uint64_t ngs;            /* G structures made */
	volatile uint64_t nstacks;        /* stacks held by Gs (live + cached) */
};
extern struct rt_sched rt_sched;

/* every G is on allgs through this field (kept outside struct g's layout
 * contract by storing the link in a side table would cost a lookup) */
struct gx {
	struct g g;
	struct gx *allnext;
};

/* GOMAXPROCS, read atomically (tally_gomaxprocs may change it any time) */
extern volatile unsigned rt_gomaxprocs_v;
static inline unsigned rt_procs(void) { return __atomic_load_n(&rt_gomaxprocs_v, __ATOMIC_SEQ_CST); }

#define acquirem rt_acquirem
#define releasem rt_releasem

/* runq.c: the global queue (rt_sched.lock held) */
void rt_globrunqput(struct g *gp);
/* Take from the global queue, moving up to a fair share into pp's ring;
 * max 0: no limit beyond the share. */
struct g *rt_globrunqget(struct p *pp, uint32_t max);
/* runq.c: a P's ring and runnext (put: owner only; get: owner or thief) */
void rt_runqput(struct p *pp, struct g *gp, int next);
struct g *rt_runqget(struct p *pp);
int rt_runq_empty(struct p *pp);
/* Thief: move half of victim's Gs into pp's ring, return one of them. */
struct g *rt_runqsteal(struct p *pp, struct p *victim, int steal_next);

/* proc.c: Gs */
struct g *rt_newproc(void (*fn)(void *), void *arg);
void rt_ready_put(struct m *m, struct g *gp);
void rt_gfput(struct g *gp);
void rt_goentry(void *arg);

/* sched.c: from a G, hand control to g0 with an action (AFTER_*) */
void rt_mcall(int after);

/* fatal.c */
void rt_print(const char *s);
void rt_print_goroutine_header(struct g *gp, const char *state);

#endif

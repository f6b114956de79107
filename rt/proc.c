/*
 * proc.c - goroutine creation and exit: tally_go, Gs and their free list.
 *
 * Purpose: make a G (from the free lists, or a new one put on allgs for
 * the deadlock report), queue it on the current P's runnext, and take it
 * back when it exits: its stack goes to the platform's stack cache at
 * once, the G to the free lists.
 *
 * Free lists (Go's p.gFree and sched.gFree): each P caches exited Gs; an
 * exit pushes on the P's list and, once it holds RT_GFREE_MAX, moves all
 * but RT_GFREE_MAX / 2 to the global list; a spawn pops from the P's list
 * and refills it with up to RT_GFREE_MAX / 2 from the global one when it
 * is empty.  So a spawn and an exit touch the shared scheduler lock once
 * per RT_GFREE_MAX / 2 Gs at most, instead of once each (with two CPUs
 * spawning and exiting, that lock's cache line went back and forth on
 * every goroutine).
 *
 * Invariants: only Gs that have started and not exited hold a stack
 * (rt_nstacks() counts them); every G ever made is on rt_sched.allgs;
 * a free G is on exactly one free list.
 * Locking: the global free list and allgs under rt_sched.lock; a P's list
 * by its owner (pinned: m->locks > 0, or g0).
 * Context: thread context on an M; rt_gfput runs on g0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rt/heap/heap.h"
#include "rt/heap/rt_malloc.h"
#include "rt/rt.h"
#include "rt/rt_impl.h"
#include "rt/sched_impl.h"
#include "rt/include/tally.h"

static void goexit0(void);

void rt_goentry(void *arg)
{
	struct g *gp = arg;
	releasem(rt_getm());  /* execute() raised it on this M */
	gp->fn(gp->arg);
	goexit0();
}

#define RT_GFREE_MAX 64

/* pp: the caller's P, owned (pinned caller or g0) */
static struct g *gfget(struct p *pp)
{
	if (!pp->gfree && __atomic_load_n(&rt_sched.ngfree, __ATOMIC_RELAXED)) {
		rt_lock(&rt_sched.lock);
		while (pp->ngfree < RT_GFREE_MAX / 2 && rt_sched.gfree) {
			struct g *gp = rt_sched.gfree;
			rt_sched.gfree = gp->schedlink;
			__atomic_sub_fetch(&rt_sched.ngfree, 1, __ATOMIC_RELAXED);  /* read unlocked */
			gp->schedlink = pp->gfree;
			pp->gfree = gp;
			pp->ngfree++;
		}
		rt_unlock(&rt_sched.lock);
	}
	struct g *gp = pp->gfree;
	if (gp) {
		pp->gfree = gp->schedlink;
		pp->ngfree--;
		return gp;
	}
	struct gx *x = NULL;
	if (rt_posix_memalign((void **)&x, _Alignof(struct gx), sizeof(*x)) != 0)
		rt_throw_oom("a goroutine", sizeof(*x));
	memset(x, 0, sizeof(*x));
	__atomic_add_fetch(&rt_sched.ngs, 1, __ATOMIC_RELAXED);
	rt_lock(&rt_sched.lock);
	x->allnext = (struct gx *)rt_sched.allgs;
	rt_sched.allgs = &x->g;
	rt_unlock(&rt_sched.lock);
	return &x->g;
}

/* An exited G goes to the free list without its stack: the stack goes
 * back to the platform's stack cache at once, so only Gs that have started
 * and not exited hold one (100 000 queued goroutines hold none). */
void rt_gfput(struct g *gp)
{
	int helper = rt_gc_is_helper(gp);
	gp->status = G_DEAD;
	gp->fn = NULL;
	gp->arg = NULL;
	gp->waitreason = NULL;
	/* the saved registers of a dead G would be roots to the collector
	 * (G structures are malloc'd): clear them (sp = 0: retired) */
	memset(&gp->ctx, 0, sizeof(gp->ctx));
	struct p *pp = rt_getm()->p;  /* g0: not preempted */
	if (gp->stack_lo) {
		/* the collector may be reading this stack (gc_stack.c) */
		int held = rt_gc_stack_free_begin(gp);
		plat_stack_free(gp->stack_lo, gp->stack_size);
		gp->stack_lo = 0;
		gp->stack_size = 0;
		rt_gc_stack_free_end(held);
		rt_count_stack(pp, -1);
	}
	if (helper)
		rt_gc_helper_gone();
	gp->schedlink = pp->gfree;
	pp->gfree = gp;
	if (++pp->ngfree < RT_GFREE_MAX)
		return;
	rt_lock(&rt_sched.lock);
	while (pp->ngfree > RT_GFREE_MAX / 2) {
		struct g *x = pp->gfree;
		pp->gfree = x->schedlink;
		pp->ngfree--;
		x->schedlink = rt_sched.gfree;
		rt_sched.gfree = x;
		__atomic_add_fetch(&rt_sched.ngfree, 1, __ATOMIC_RELAXED);
	}
	rt_unlock(&rt_sched.lock);
}


uint64_t rt_nstacks(void)
{
	int64_t n = 0;
	for (unsigned i = 0; i < RT_MAX_M; i++)
		n += __atomic_load_n(&rt_pget(i)->nstacks, __ATOMIC_RELAXED);
	return n > 0 ? (uint64_t)n : 0;
}

unsigned rt_gfree_count(void)
{
	unsigned n = __atomic_load_n(&rt_sched.ngfree, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < RT_MAX_M; i++)
		n += __atomic_load_n(&rt_pget(i)->ngfree, __ATOMIC_RELAXED);
	return n;
}

/* The caller is pinned (tally_go) or the only thread (rt_main). */
struct g *rt_newproc(void (*fn)(void *), void *arg)
{
	struct g *gp = gfget(rt_getm()->p);
	gp->fn = fn;
	gp->arg = arg;
	gp->goid = __atomic_add_fetch(&rt_sched.goidgen, 1, __ATOMIC_RELAXED);
	gp->preempt = 0;
	gp->waiting = NULL;
	gp->param = NULL;
	gp->status = G_RUNNABLE;
	return gp;
}

uint64_t tally_go(void (*fn)(void *), void *arg)
{
	if (!fn)
		rt_throw("go of nil func value");
	struct m *m = acquirem();
	struct g *gp = rt_newproc(fn, arg);
	uint64_t id = gp->goid;
	rt_ready_put(m, gp);
	releasem(m);
	rt_wakep();
	return id;
}

static void goexit0(void)
{
	acquirem();
	rt_mcall(AFTER_EXIT);
	rt_throw("exited goroutine resumed");
}

_Noreturn void tally_goexit(void)
{
	goexit0();
	for (;;)
		;
}

uintptr_t rt_current_stack_lo(void)
{
	struct g *gp = rt_getg();
	return gp->goid ? gp->stack_lo : 0;
}

uint64_t tally_goid(void)
{
	struct g *gp = rt_getg();
	return gp->goid;  /* g0's goid is 0 */
}

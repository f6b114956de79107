/*
 * runq.c - run queues: each P's ring and runnext, and the global queue.
 *
 * Purpose: Go's run queues.  A P's local queue is a bounded ring
 * (RT_RUNQ_SIZE) plus a runnext slot; its owner puts and gets without a
 * lock, thieves take half with a CAS on head; a full ring spills half to
 * the global queue, a linked list under rt_sched.lock.
 *
 * Invariants: 0 <= tail - head <= RT_RUNQ_SIZE; only the owner writes
 * tail; head advances by CAS (owner and thieves).  A G taken by a thief is
 * in no queue until the thief publishes its own tail (sched.c's deadlock
 * check waits for every M to be parked for that reason).
 * Locking: the global queue under rt_sched.lock; the rings lock-free.
 * Context: thread context on an M, preemption off (the caller holds m->locks
 * or rt_sched.lock).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rt/rt.h"
#include "rt/rt_impl.h"
#include "rt/sched_impl.h"
#include "rt/include/tally.h"

/* Move half of pp's ring plus gp to the global queue (the ring is full). */
int rt_runqputslow(struct p *pp, struct g *gp, uint32_t h, uint32_t t)
{
	struct g *batch[RT_RUNQ_SIZE / 2 + 1];
	uint32_t n = (t - h) / 2;
	for (uint32_t i = 0; i < n; i++)
		batch[i] = __atomic_load_n(&pp->runq[(h + i) % RT_RUNQ_SIZE], __ATOMIC_RELAXED);
	if (!__atomic_compare_exchange_n(&pp->runq_head, &h, h + n, 0, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE))
		return 0;
	batch[n] = gp;
	rt_lock(&rt_sched.lock);
	for (uint32_t i = 0; i <= n; i++)
		rt_globrunqput(batch[i]);
	rt_unlock(&rt_sched.lock);
	return 1;
}

/* Thief: grab half of victim's Gs into batch; returns how many. */
static uint32_t runqgrab(struct p *victim, struct g **batch, int steal_next)
{
	for (;;) {
		uint32_t h = __atomic_load_n(&victim->runq_head, __ATOMIC_ACQUIRE);
		uint32_t t = __atomic_load_n(&victim->runq_tail, __ATOMIC_ACQUIRE);
		uint32_t n = t - h;
		n = n - n / 2;
		if (n == 0) {
			if (steal_next) {
				struct g *next = __atomic_load_n(&victim->runnext, __ATOMIC_ACQUIRE);
				if (next && __atomic_compare_exchange_n(&victim->runnext, &next, NULL, 0,
				                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
					batch[0] = next;
					return 1;
				}
			}
			return 0;
		}
		if (n > RT_RUNQ_SIZE / 2)
			continue;  /* read an inconsistent h/t: retry */
		for (uint32_t i = 0; i < n; i++)
			batch[i] = __atomic_load_n(&victim->runq[(h + i) % RT_RUNQ_SIZE], __ATOMIC_RELAXED);
		if (__atomic_compare_exchange_n(&victim->runq_head, &h, h + n, 0, __ATOMIC_ACQ_REL,
		                                __ATOMIC_ACQUIRE))
			return n;
	}
}

struct g *rt_runqsteal(struct p *pp, struct p *victim, int steal_next)
{
	struct g *batch[RT_RUNQ_SIZE / 2];
	uint32_t n = runqgrab(victim, batch, steal_next);
	if (n == 0)
		return NULL;
	struct g *gp = batch[--n];
	uint32_t t = pp->runq_tail;
	for (uint32_t i = 0; i < n; i++)
		__atomic_store_n(&pp->runq[(t + i) % RT_RUNQ_SIZE], batch[i], __ATOMIC_RELAXED);
	__atomic_store_n(&pp->runq_tail, t + n, __ATOMIC_RELEASE);
	return gp;
}

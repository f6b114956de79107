/*
 * runq.h - the run queues' fast paths, inline (runq.c holds the slow ones:
 * spilling a full ring, stealing).
 *
 * Purpose: a put and a get are on every spawn, yield, park and wake; as
 * calls into another file they cost the scheduler benchmarks 4 to 7% of
 * their instructions (make bench, icount mode), so they are inline here,
 * as mimalloc keeps its fast paths in a header.  Invariants, locking and
 * context: runq.c's essay.  Included by sched_impl.h only.
 */
#ifndef TALLY_RT_RUNQ_H
#define TALLY_RT_RUNQ_H

/* runq.c: move half of pp's ring plus gp to the global queue (the ring
 * is full); 0 when a thief moved the head first (retry). */
int rt_runqputslow(struct p *pp, struct g *gp, uint32_t h, uint32_t t);

static inline void rt_globrunqput(struct g *gp)
{
	gp->schedlink = NULL;
	if (rt_sched.runq_tail)
		rt_sched.runq_tail->schedlink = gp;
	else
		rt_sched.runq_head = gp;
	rt_sched.runq_tail = gp;
	__atomic_add_fetch(&rt_sched.runq_size, 1, __ATOMIC_SEQ_CST);
}

/* Take from the global queue, moving up to a fair share into pp's ring.
 * rt_sched.lock held.  max 0: no limit beyond the share. */
static inline struct g *rt_globrunqget(struct p *pp, uint32_t max)
{
	uint32_t size = rt_sched.runq_size;
	if (size == 0)
		return NULL;
	uint32_t n = size / rt_procs() + 1;
	if (n > size)
		n = size;
	if (max > 0 && n > max)
		n = max;
	if (n > RT_RUNQ_SIZE / 2)
		n = RT_RUNQ_SIZE / 2;
	struct g *gp = rt_sched.runq_head;
	rt_sched.runq_head = gp->schedlink;
	n--;
	while (n-- > 0) {
		struct g *g2 = rt_sched.runq_head;
		rt_sched.runq_head = g2->schedlink;
		uint32_t t = pp->runq_tail;
		__atomic_store_n(&pp->runq[t % RT_RUNQ_SIZE], g2, __ATOMIC_RELAXED);
		__atomic_store_n(&pp->runq_tail, t + 1, __ATOMIC_RELEASE);
		__atomic_sub_fetch(&rt_sched.runq_size, 1, __ATOMIC_SEQ_CST);
	}
	if (!rt_sched.runq_head)
		rt_sched.runq_tail = NULL;
	__atomic_sub_fetch(&rt_sched.runq_size, 1, __ATOMIC_SEQ_CST);
	return gp;
}

/* Put gp on pp's queue (owner only); next: into runnext, kicking the old
 * runnext to the ring's tail. */
static inline void rt_runqput(struct p *pp, struct g *gp, int next)
{
	if (next) {
		struct g *old = __atomic_exchange_n(&pp->runnext, gp, __ATOMIC_ACQ_REL);
		if (!old)
			return;
		gp = old;
	}
	for (;;) {
		uint32_t h = __atomic_load_n(&pp->runq_head, __ATOMIC_ACQUIRE);
		uint32_t t = pp->runq_tail;
		if (t - h < RT_RUNQ_SIZE) {
			/* relaxed atomics on the slots: a thief whose CAS on head
			 * fails has read a slot the owner may be rewriting (the
			 * value is discarded; the release store of tail orders the
			 * slot for every thief that succeeds) */
			__atomic_store_n(&pp->runq[t % RT_RUNQ_SIZE], gp, __ATOMIC_RELAXED);
			__atomic_store_n(&pp->runq_tail, t + 1, __ATOMIC_RELEASE);
			return;
		}
		if (rt_runqputslow(pp, gp, h, t))
			return;
	}
}

static inline struct g *rt_runqget(struct p *pp)
{
	struct g *next = __atomic_load_n(&pp->runnext, __ATOMIC_ACQUIRE);
	if (next && __atomic_compare_exchange_n(&pp->runnext, &next, NULL, 0, __ATOMIC_ACQ_REL,
	                                        __ATOMIC_ACQUIRE))
		return next;
	for (;;) {
		uint32_t h = __atomic_load_n(&pp->runq_head, __ATOMIC_ACQUIRE);
		uint32_t t = pp->runq_tail;
		if (t == h)
			return NULL;
		struct g *gp = __atomic_load_n(&pp->runq[h % RT_RUNQ_SIZE], __ATOMIC_RELAXED);
		if (__atomic_compare_exchange_n(&pp->runq_head, &h, h + 1, 0, __ATOMIC_ACQ_REL,
		                                __ATOMIC_ACQUIRE))
			return gp;
	}
}

static inline int rt_runq_empty(struct p *pp)
{
	uint32_t h = __atomic_load_n(&pp->runq_head, __ATOMIC_ACQUIRE);
	uint32_t t = __atomic_load_n(&pp->runq_tail, __ATOMIC_ACQUIRE);
	return h == t && !__atomic_load_n(&pp->runnext, __ATOMIC_ACQUIRE);
}

#endif

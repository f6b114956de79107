/*
 * select.c - select over channel cases (Go's runtime/select.go in C).
 *
 * Purpose: tally_select(cases, n, has_default): run exactly one ready
 * case, chosen uniformly at random among the ready ones, or the default
 * when none is ready and has_default is set, or block until one is.
 *
 * Algorithm (Go's selectgo):
 *   1. pollorder: a random permutation of the cases whose channel is not
 *      NULL (a NULL channel is never ready, so it is left out entirely;
 *      a select of only NULL channels and no default blocks forever).
 *   2. lockorder: the same cases heap-sorted by channel address; every
 *      channel is locked in that order (duplicates locked once), which is
 *      the global order all selects agree on, so no deadlock.
 *   3. pass 1: walk pollorder and take the first ready case (a waiting
 *      peer, room or data in the ring, or a closed channel: receive gives
 *      zero + ok 0, send panics).  The random walk is what makes the
 *      choice fair.
 *   4. nothing ready: with a default, unlock and return -1.
 *   5. pass 2: put one sudog per case (on this G's stack, in lockorder)
 *      on its channel's sendq/recvq, chain them on g->waiting and park;
 *      the park's unlock function releases the channels, walking the
 *      chain in lock order and unlocking each channel after its last
 *      sudog (a sudog may change as soon as its channel is unlocked).
 *   6. woken: lock everything again, reset g->selectdone, find the sudog
 *      that fired (g->param) and remove every other sudog from its queue.
 *
 * The race between two wakers: both may find one of this G's sudogs on
 * different channels before the G has removed the others.  A waker claims
 * a select G with CAS(g->selectdone, 0 -> 1) inside _chan_dequeue; the
 * loser drops the sudog and looks at the next waiter.  Duplicate channels
 * in one select (even a send and a receive on the same channel) need no
 * special case beyond locking each channel once.
 *
 * Data structures: per call, three arrays of n entries (pollorder,
 * lockorder, sudogs) on the stack for n <= SELECT_STACK_CASES, one
 * malloc'd block otherwise.
 *
 * Locking: every channel lock of the select, taken in address order;
 * rt_goready only after all are released.
 *
 * Context: goroutine context only (it may park), unless has_default.
 */
#include <stdlib.h>
#include <string.h>
#include "rt/heap/rt_malloc.h"
#include "rt/chan_impl.h"
#include "rt/include/tally.h"

#define SELECT_STACK_CASES 16
#define SELECT_MAX_CASES 65536

struct selstate {
	struct tally_select_case *cases;
	int *lockorder;
	int norder;
};

static inline uintptr_t casekey(const struct selstate *s, int i)
{
	return (uintptr_t)s->cases[s->lockorder[i]].c;
}

static void sellock(const struct selstate *s)
{
	struct tally_chan *last = NULL;
	for (int i = 0; i < s->norder; i++) {
		struct tally_chan *c = s->cases[s->lockorder[i]].c;
		if (c != last) {
			rt_lock(&c->lock);
			last = c;
		}
	}
}

static void selunlock(const struct selstate *s)
{
	/* Unlock in reverse, each channel once (it may appear repeatedly). */
	for (int i = s->norder - 1; i >= 0; i--) {
		struct tally_chan *c = s->cases[s->lockorder[i]].c;
		if (i > 0 && c == s->cases[s->lockorder[i - 1]].c)
			continue;
		rt_unlock(&c->lock);
	}
}

/* rt_gopark's unlock function (runs on g0 after this G is off its stack). */
static int selparkcommit(struct g *gp, void *arg)
{
	(void)arg;
	struct tally_chan *last = NULL;
	for (struct sudog *sg = gp->waiting; sg; sg = sg->waitlink) {
		/* Once a channel is unlocked its sudogs may change: unlock
		 * only after the last sudog on that channel was passed. */
		if (sg->c != last && last)
			rt_unlock(&last->lock);
		last = sg->c;
	}
	if (last)
		rt_unlock(&last->lock);
	return 1;
}

/* Heap sort of lockorder by channel address, starting from pollorder so
 * that cases on the same channel stay in random order (Go's). */
static void sort_lockorder(struct selstate *s, const int *pollorder)
{
	struct tally_select_case *cases = s->cases;
	int *lo = s->lockorder;
	int n = s->norder;
	for (int i = 0; i < n; i++) {
		int j = i;
		uintptr_t key = (uintptr_t)cases[pollorder[i]].c;
		while (j > 0 && (uintptr_t)cases[lo[(j - 1) / 2]].c < key) {
			int k = (j - 1) / 2;
			lo[j] = lo[k];
			j = k;
		}
		lo[j] = pollorder[i];
	}
	for (int i = n - 1; i >= 0; i--) {
		int o = lo[i];
		uintptr_t key = (uintptr_t)cases[o].c;
		lo[i] = lo[0];
		int j = 0;
		for (;;) {
			int k = j * 2 + 1;
			if (k >= i)
				break;
			if (k + 1 < i && casekey(s, k) < casekey(s, k + 1))
				k++;
			if (key < casekey(s, k)) {
				lo[j] = lo[k];
				j = k;
				continue;
			}
			break;
		}
		lo[j] = o;
	}
	for (int i = 0; i + 1 < n; i++)
		if (casekey(s, i) > casekey(s, i + 1))
			rt_throw("select: broken sort");
}

int tally_select(struct tally_select_case *cases, int n, int has_default)
{
	if (n < 0)
		rt_throw("select: negative number of cases");
	if (n > SELECT_MAX_CASES)
		rt_throw("select: too many cases");
	if (n > 0)
		RT_NONNULL(cases, "tally_select: cases is NULL");
	int stack_order[2 * SELECT_STACK_CASES];
	struct sudog stack_sudogs[SELECT_STACK_CASES];
	void *heap = NULL;
	int *pollorder = stack_order, *lockorder = stack_order + SELECT_STACK_CASES;
	struct sudog *sudogs = stack_sudogs;
	if (n > SELECT_STACK_CASES) {
		heap = rt_malloc((size_t)n * (2 * sizeof(int) + sizeof(struct sudog)));
		if (!heap)
			rt_throw_oom("a select's cases", (size_t)n * (2 * sizeof(int) + sizeof(struct sudog)));
		sudogs = heap;
		pollorder = (int *)(sudogs + n);
		lockorder = pollorder + n;
	}

	/* 1. random poll order over the non-NULL cases (inside-out
	 * Fisher-Yates). */
	int norder = 0;
	for (int i = 0; i < n; i++) {
		if (cases[i].dir != TALLY_SEND && cases[i].dir != TALLY_RECV)
			rt_throw("select: bad case direction");
		if (!cases[i].c)
			continue;
		int j = (int)(rt_fastrand() % (uint64_t)(norder + 1));
		pollorder[norder] = pollorder[j];
		pollorder[j] = i;
		norder++;
	}
	if (norder == 0) {
		rt_free(heap);
		if (has_default)
			return -1;
		rt_gopark(NULL, NULL, "select (no cases)");
		rt_throw("unreachable");
	}

	/* 2. lock order */
	struct selstate s = { cases, lockorder, norder };
	sort_lockorder(&s, pollorder);
	sellock(&s);

	/* 3. pass 1: look for something already ready */
	struct g *gp = rt_getg();
	struct g *wake = NULL;
	int casi = -1, recv_ok = 0;
	for (int k = 0; k < norder; k++) {
		int i = pollorder[k];
		struct tally_select_case *cas = &cases[i];
		struct tally_chan *c = cas->c;
		struct sudog *sg;
		if (cas->dir == TALLY_RECV) {
			if ((sg = _chan_dequeue(&c->sendq))) {
				wake = _chan_recv_direct(c, sg, cas->elem);
				recv_ok = 1;
			} else if (c->qcount > 0) {
				_chan_buf_take(c, cas->elem);
				recv_ok = 1;
			} else if (c->closed) {
				if (cas->elem && c->elemsize)
					memset(cas->elem, 0, c->elemsize);
				recv_ok = 0;
			} else {
				continue;
			}
		} else {
			if (c->closed) {
				selunlock(&s);
				rt_panic("send on closed channel");
			}
			if ((sg = _chan_dequeue(&c->recvq)))
				wake = _chan_send_direct(c, sg, cas->elem);
			else if (c->qcount < c->dataqsiz)
				_chan_buf_put(c, cas->elem);
			else
				continue;
		}
		casi = i;
		break;
	}
	if (casi >= 0 || has_default) {
		selunlock(&s);
		if (wake)
			rt_goready(wake);
		goto done;
	}

	/* 5. pass 2: wait on every channel */
	struct sudog **nextp = &gp->waiting;
	for (int k = 0; k < norder; k++) {
		int i = lockorder[k];
		struct sudog *sg = &sudogs[k];
		memset(sg, 0, sizeof(*sg));
		sg->g = gp;
		sg->is_select = 1;
		sg->elem = cases[i].elem;
		sg->c = cases[i].c;
		sg->casei = i;
		*nextp = sg;
		nextp = &sg->waitlink;
		_chan_enqueue(cases[i].dir == TALLY_SEND ? &sg->c->sendq : &sg->c->recvq, sg);
	}
	*nextp = NULL;
	gp->param = NULL;
	rt_gopark(selparkcommit, NULL, "select");

	/* 6. woken by one case: remove the others */
	sellock(&s);
	__atomic_store_n(&gp->selectdone, 0, __ATOMIC_SEQ_CST);
	struct sudog *fired = gp->param;
	gp->param = NULL;
	int success = 0;
	for (struct sudog *sg = gp->waiting; sg; sg = sg->waitlink) {
		if (sg == fired) {
			casi = sg->casei;
			success = sg->success;
		} else if (cases[sg->casei].dir == TALLY_SEND) {
			_chan_dequeue_sudog(&sg->c->sendq, sg);
		} else {
			_chan_dequeue_sudog(&sg->c->recvq, sg);
		}
	}
	gp->waiting = NULL;
	if (casi < 0)
		rt_throw("selectgo: bad wakeup");
	if (cases[casi].dir == TALLY_SEND && !success) {
		selunlock(&s);
		rt_panic("send on closed channel");
	}
	recv_ok = success;
	selunlock(&s);

done:
	if (casi >= 0 && cases[casi].dir == TALLY_RECV)
		cases[casi].ok = recv_ok;
	rt_free(heap);
	return casi;
}

/*
 * gc_wait.c - goroutines that wait for the collector: allocators at the
 * heap's goal until marking ends, and callers of the collector's API
 * (tally_gc and its setters) while another collection holds it.
 *
 * Purpose: an allocation that finds the heap at its goal while marking is
 * on, and no grey object to scan as its assist (gc.c, assist), or once a
 * background cycle has been started and before it marks (gc.c, pace),
 * must wait for the collector to finish; it parks on GC_WAIT_GOAL and
 * gc.c's cycle() makes every waiter runnable once marking has ended and
 * the world runs again (a background cycle that found nothing to do,
 * bg_cycle, on its way out).  Each waiter is readied once per cycle.  Waiting by polling
 * instead (a 100 us sleep and a re-check, as before) made every waiter go
 * through the timer heap and the run queue again and again while the
 * collector, one goroutine among them, waited its turn behind all of
 * them: skynet (10^6 leaves, each goroutine allocating a channel) took
 * 30.3e9 instructions an op under icount that way, against 1.78e9 parked
 * and 1.38e9 with gcconc=0 (system case skynet_gc_conc_icount).  A
 * caller that finds another collection running (gc.c's busy_lock) parks
 * on GC_WAIT_BUSY until busy_unlock releases it, rather than yielding in
 * a loop, which kept its CPU busy for the whole of a background cycle.
 * Two queues, so that releasing one kind never wakes the other: a woken
 * allocator allocates before it checks the goal again.
 *
 * Data structures: per queue, a LIFO list of nodes, each on its waiter's
 * stack while it is parked (the node is gone once its goroutine runs
 * again, so the waker reads next before readying it).
 * Invariants: the waiter tests still() under the lock before it queues
 * itself, and the waker takes the lock after the state still() reads has
 * changed, so a waiter either sees still() false or is on the list the
 * waker empties: no waiter sleeps through its release.
 * Locking: wait_lock (an rt_lock, a leaf: nothing else is taken under it);
 * rt_gopark releases it once the goroutine is off its stack.
 * Context: park: a goroutine, no rt_lock held; release: any goroutine.
 */
#include "rt/heap/gc_impl.h"

struct waiter {
	struct g *g;
	struct waiter *next;
};

static PLAT_GC_NOROOT struct rt_lock wait_lock;
static PLAT_GC_NOROOT struct waiter *waiters[GC_WAIT_QUEUES];
static const char *const reasons[GC_WAIT_QUEUES] = { "GC assist wait", "GC busy wait" };

void gc_wait_park(unsigned q, int (*still)(void))
{
	struct waiter w = { .g = rt_getg() };
	rt_lock(&wait_lock);
	if (!still()) {
		rt_unlock(&wait_lock);
		return;
	}
	w.next = waiters[q];
	waiters[q] = &w;
	rt_gopark(rt_park_unlock, &wait_lock, reasons[q]);
}

void gc_wait_release(unsigned q)
{
	rt_lock(&wait_lock);
	struct waiter *w = waiters[q];
	waiters[q] = NULL;
	rt_unlock(&wait_lock);
	while (w) {
		struct waiter *next = w->next;
		rt_goready(w->g);
		w = next;
	}
}

/*
 * rtimer.c - per-P timer heaps, sleep, and time.Timer / time.Ticker on
 * channels (Go's runtime/time.go and time/sleep.go, simplified).
 *
 * Purpose: rt_timer_add/del/run/next (rt_impl.h) for the scheduler, and
 * tally_sleep, tally_timer_* and tally_ticker_new for applications.
 *
 * Data structures: each P owns a 4-ary min-heap of struct rt_timer
 * pointers ordered by `when` (pp->timers, grown with realloc), with each
 * timer's position in t->index and its heap in t->pp; pp->timer0_when
 * mirrors the root's `when` (0: empty) so the scheduler can look at it
 * without the lock.  A 4-ary heap is Go's choice: shallower than a binary
 * heap, and the four children share a cache line or two.
 *   timer_ps[id]: every P that ever held a timer, for rt_timers_next.
 *   timer_running[m]: the timer whose f the M m is running right now, so
 *   tally_timer_free (and the network's sockets, rt_timer_wait_idle) can
 *   wait until no callback still uses the timer.
 * A sleeping G uses its own timer (g->sleep_timer, allocated at its first
 * sleep and kept with the G).  A struct tally_timer is an rt_timer plus a
 * capacity-1 channel of uint64_t and a lock serialising stop/reset.
 *
 * Memory (Go 1.23's rule: an unreferenced Timer or Ticker is collected,
 * stopped or not): a struct tally_timer and its channel are collected
 * objects that name each other (tt->c, c->timer), so the program holding
 * either keeps both, and a goroutine blocked on the channel keeps both
 * through its sudog.  The heap arrays are pointer-free collected memory,
 * kept alive by heap_roots[] below (struct p, which names each P's array
 * too, is no root: sched.c's ps[] is PLAT_GC_NOROOT, so the collector
 * does not scan the run queues every cycle nor re-scan their pages when
 * the scheduler dirties them), so being pending does not keep a timer
 * alive: at each collection,
 * world stopped and marking done, rt_timers_gc_drop takes the timers no
 * one can reach off their heaps before the sweep frees them (they could
 * only send into a channel nobody can receive from).  Sleep timers are
 * malloc'd and never dropped.  tally_timer_free is optional: it stops
 * the timer and checks that no goroutine waits on its channel.
 *
 * Invariants:
 *   - t->pp != NULL  <=>  t is on pp's heap, at pp->timers[t->index];
 *   - heap order: timers[i]->when >= timers[(i-1)/4]->when;
 *   - pp->timer0_when == (ntimers ? timers[0]->when : 0) whenever
 *     timers_lock is free;
 *   - a one-shot timer leaves the heap before its f runs (t->pp = NULL,
 *     when = 0); a ticker is re-armed in place first (when advances by
 *     whole periods past now, so a late M skips ticks rather than
 *     bursting), so rt_timer_del on a ticker always finds it.
 *   - rt_timer_add requires t not pending: to change `when`, delete first.
 *
 * Timer callbacks (f) run on the M that runs the heap (g0: its P's M in
 * schedule or findrunnable, or an idle M's findrunnable for the other Ps,
 * sched.c's expired_timers; one M a heap at a time, pp->timers_runner, so a
 * heap's timers fire in deadline order) with no rt lock held, and what
 * they ready goes on that M's P; they must not block: sleep's f
 * readies the G, a Timer's f does a non-blocking send of the current
 * nanotime (dropped if the channel is full, as Go's sendTime).
 *
 * Locking: pp->timers_lock guards pp's heap and the pp/index fields of
 * the timers on it (t->pp is also read without the lock, then re-checked
 * under it).  tally_timer.lock is taken before any timers_lock.  No lock
 * is held while f runs or while rt_wakep is called.
 *
 * Context: rt_timer_* and tally_timer_stop/reset: any G or g0 with a P.
 * tally_sleep: goroutine context.  Allocates: heap growth, the first
 * sleep of a G, tally_timer_new/ticker_new.
 */
#include <stdlib.h>
#include <string.h>
#include "rt/heap/rt_malloc.h"
#include "rt/chan_impl.h"
#include "rt/rt_impl.h"
#include "rt/include/tally.h"

static struct p *volatile timer_ps[RT_MAX_M];
/* heap_roots[i] == ps[i].timers (under that P's timers_lock): the root
 * that keeps each P's heap array, since ps[] is not scanned.  Written,
 * never read: volatile, or the compiler drops the stores and the array
 * (gcc -O2 did in the hosted build, where the collector then freed a heap
 * array in use). */
static struct rt_timer **volatile heap_roots[RT_MAX_M];
static struct rt_timer *volatile timer_running[RT_MAX_M];

/* ------------------------------------------------------------ heap */

static void siftup(struct p *pp, int i)
{
	struct rt_timer **h = pp->timers;
	struct rt_timer *t = h[i];
	uint64_t when = t->when;
	while (i > 0) {
		int parent = (i - 1) / 4;
		if (when >= h[parent]->when)
			break;
		h[i] = h[parent];
		h[i]->index = i;
		i = parent;
	}
	h[i] = t;
	t->index = i;
}

static void siftdown(struct p *pp, int i)
{
	struct rt_timer **h = pp->timers;
	int n = (int)pp->ntimers;
	struct rt_timer *t = h[i];
	uint64_t when = t->when;
	for (;;) {
		int c = i * 4 + 1, c3 = c + 2;
		if (c >= n)
			break;
		uint64_t w = h[c]->when;
		if (c + 1 < n && h[c + 1]->when < w) {
			w = h[c + 1]->when;
			c++;
		}
		if (c3 < n) {
			uint64_t w3 = h[c3]->when;
			if (c3 + 1 < n && h[c3 + 1]->when < w3) {
				w3 = h[c3 + 1]->when;
				c3++;
			}
			if (w3 < w) {
				w = w3;
				c = c3;
			}
		}
		if (w >= when)
			break;
		h[i] = h[c];
		h[i]->index = i;
		i = c;
	}
	h[i] = t;
	t->index = i;
}

/* timers_lock held */
static void heap_remove(struct p *pp, int i)
{
	int last = (int)--pp->ntimers;
	if (i != last) {
		struct rt_timer *moved = pp->timers[last];
		pp->timers[i] = moved;
		moved->index = i;
		siftup(pp, i);
		siftdown(pp, moved->index);
	}
	pp->timers[last] = NULL;
}

/* timers_lock held */
static void update_timer0(struct p *pp)
{
	__atomic_store_n(&pp->timer0_when, pp->ntimers ? pp->timers[0]->when : 0, __ATOMIC_SEQ_CST);
}

/* Put t on the current P's heap; returns 1 if it became the earliest. */
static int timer_push(struct rt_timer *t)
{
	if (__atomic_load_n(&t->pp, __ATOMIC_ACQUIRE))
		rt_throw("timer: add of a pending timer");
	/* Pinned from reading the P to publishing timer0_when: a G that
	 * moved in between would push onto a P whose M may be parked with
	 * a later deadline, and nobody would re-arm it. */
	struct m *m = rt_acquirem();
	struct p *pp = m->p;
	if (!pp)
		rt_throw("timer: add without a P");
	if (t->when == 0)
		t->when = 1;
	rt_lock(&pp->timers_lock);
	while (pp->ntimers == pp->timers_cap) {
		/* Grown outside the lock (an allocation may stop the world,
		 * which waits for every rt_lock to be let go) into pointer-free
		 * collected memory: the heap does not keep its timers alive. */
		unsigned cap = pp->timers_cap ? pp->timers_cap * 2 : 16;
		rt_unlock(&pp->timers_lock);
		struct rt_timer **h = tally_gc_alloc(cap * sizeof(*h), TALLY_GC_NOSCAN);
		rt_lock(&pp->timers_lock);
		if (pp->timers_cap < cap) {
			if (pp->ntimers)
				memcpy(h, pp->timers, pp->ntimers * sizeof(*h));
			pp->timers = h;  /* the old array is garbage */
			heap_roots[pp->id] = h;
			pp->timers_cap = cap;
		}
	}
	int i = (int)pp->ntimers++;
	pp->timers[i] = t;
	t->index = i;
	siftup(pp, i);
	__atomic_store_n(&t->pp, pp, __ATOMIC_RELEASE);
	int earliest = t->index == 0;
	update_timer0(pp);
	rt_unlock(&pp->timers_lock);
	if (!__atomic_load_n(&timer_ps[pp->id], __ATOMIC_RELAXED))
		__atomic_store_n(&timer_ps[pp->id], pp, __ATOMIC_RELEASE);
	rt_releasem(m);
	return earliest;
}

void rt_timer_add(struct rt_timer *t)
{
	if (timer_push(t))
		rt_wakep();  /* an idle M may re-evaluate its park deadline */
}

int rt_timer_del(struct rt_timer *t)
{
	for (;;) {
		struct p *pp = __atomic_load_n(&t->pp, __ATOMIC_ACQUIRE);
		if (!pp)
			return 0;
		rt_lock(&pp->timers_lock);
		if (t->pp == pp) {
			heap_remove(pp, t->index);
			__atomic_store_n(&t->pp, NULL, __ATOMIC_RELEASE);
			update_timer0(pp);
			rt_unlock(&pp->timers_lock);
			return 1;
		}
		rt_unlock(&pp->timers_lock);  /* it moved or fired: look again */
	}
}

uint64_t rt_timers_run(struct p *pp, uint64_t now)
{
	unsigned mid = rt_getm()->id, free = 0;
	/* one runner a heap: two Ms popping in turn would run neighbours'
	 * callbacks side by side, out of deadline order */
	if (!__atomic_compare_exchange_n(&pp->timers_runner, &free, mid + 1, 0, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE))
		return __atomic_load_n(&pp->timer0_when, __ATOMIC_ACQUIRE);
	rt_lock(&pp->timers_lock);
	while (pp->ntimers && pp->timers[0]->when <= now) {
		struct rt_timer *t = pp->timers[0];
		/* published before t->pp may read NULL (tally_timer_free) */
		__atomic_store_n(&timer_running[mid], t, __ATOMIC_SEQ_CST);
		if (t->period) {
			/* re-arm in place, skipping missed ticks */
			uint64_t late = now - t->when;
			t->when += t->period * (1 + late / t->period);
			siftdown(pp, 0);
		} else {
			heap_remove(pp, 0);
			t->when = 0;
			__atomic_store_n(&t->pp, NULL, __ATOMIC_RELEASE);
		}
		void (*f)(void *, uint64_t) = t->f;
		void *arg = t->arg;
		uint64_t seq = t->seq;
		update_timer0(pp);
		rt_unlock(&pp->timers_lock);
		f(arg, seq);
		__atomic_store_n(&timer_running[mid], NULL, __ATOMIC_RELEASE);
		rt_lock(&pp->timers_lock);
	}
	update_timer0(pp);
	uint64_t next = pp->timer0_when;
	rt_unlock(&pp->timers_lock);
	__atomic_store_n(&pp->timers_runner, 0, __ATOMIC_RELEASE);
	return next;
}

uint64_t rt_timers_next(void)
{
	uint64_t next = 0;
	for (unsigned i = 0; i < RT_MAX_M; i++) {
		struct p *pp = __atomic_load_n(&timer_ps[i], __ATOMIC_ACQUIRE);
		if (!pp)
			continue;
		uint64_t w = __atomic_load_n(&pp->timer0_when, __ATOMIC_SEQ_CST);
		if (w && (!next || w < next))
			next = w;
	}
	return next;
}

unsigned rt_timers_gc_drop(int (*marked)(uintptr_t))
{
	unsigned dropped = 0;
	for (unsigned id = 0; id < RT_MAX_M; id++) {
		struct p *pp = __atomic_load_n(&timer_ps[id], __ATOMIC_ACQUIRE);
		if (!pp)
			continue;
		rt_lock(&pp->timers_lock);
		unsigned n = 0;
		for (unsigned i = 0; i < pp->ntimers; i++) {
			struct rt_timer *t = pp->timers[i];
			if (marked((uintptr_t)t)) {
				pp->timers[n++] = t;
				continue;
			}
			__atomic_store_n(&t->pp, NULL, __ATOMIC_RELEASE);  /* swept next */
			dropped++;
		}
		if (n != pp->ntimers) {
			for (unsigned i = n; i < pp->ntimers; i++)
				pp->timers[i] = NULL;
			pp->ntimers = n;
			for (unsigned i = 0; i < n; i++)
				pp->timers[i]->index = (int)i;
			for (int i = n > 1 ? ((int)n - 2) / 4 : -1; i >= 0; i--)  /* heapify */
				siftdown(pp, i);
			update_timer0(pp);
		}
		rt_unlock(&pp->timers_lock);
	}
	return dropped;
}

/* Wait until no M is inside t's callback (t already removed). */
void rt_timer_wait_idle(struct rt_timer *t)
{
	for (unsigned i = 0; i < RT_MAX_M; i++) {
		while (__atomic_load_n(&timer_running[i], __ATOMIC_ACQUIRE) == t) {
			if (rt_on_goroutine())
				tally_yield();
			else
				plat_relax();
		}
	}
}

static uint64_t deadline(uint64_t ns)
{
	uint64_t now = rt_nanotime();
	uint64_t when = now + ns;
	return when < now ? UINT64_MAX : when;
}

/* ------------------------------------------------------------ sleep */

static void sleep_ready(void *arg, uint64_t seq)
{
	(void)seq;
	rt_goready(arg);
}

/* Runs on g0 once the G is parked, so the timer cannot fire earlier. */
static int sleep_commit(struct g *gp, void *arg)
{
	(void)gp;
	rt_timer_add(arg);
	return 1;
}

void tally_sleep(uint64_t ns)
{
	if (ns == 0)
		return;
	struct g *gp = rt_getg();
	if (gp->goid == 0)  /* g0's; see rt_on_goroutine */
		rt_throw("tally_sleep on g0");
	struct rt_timer *t = gp->sleep_timer;
	if (!t) {
		t = rt_calloc(1, sizeof(*t));
		if (!t)
			rt_throw_oom("a sleep timer", sizeof(*t));
		gp->sleep_timer = t;
	}
	t->when = deadline(ns);
	t->period = 0;
	t->f = sleep_ready;
	t->arg = gp;
	t->seq = 0;
	rt_gopark(sleep_commit, t, "sleep");
}

/* ------------------------------------------------------------ Timer/Ticker */

struct tally_timer {
	struct rt_timer t;
	struct tally_chan *c;    /* capacity 1, uint64_t */
	struct rt_lock lock;     /* serialises stop/reset/free */
};

static void send_time(void *arg, uint64_t seq)
{
	(void)seq;
	struct tally_timer *tt = arg;
	uint64_t now = rt_nanotime();
	tally_chan_trysend(tt->c, &now);  /* full: drop, as Go's sendTime */
}

static struct tally_timer *timer_make(uint64_t ns, uint64_t period)
{
	struct tally_timer *tt = tally_gc_alloc(sizeof(*tt), TALLY_GC_SCAN);
	tt->c = tally_chan_make(sizeof(uint64_t), 1);
	tt->c->timer = tt;
	tt->t.when = deadline(ns);
	tt->t.period = period;
	tt->t.f = send_time;
	tt->t.arg = tt;
	rt_timer_add(&tt->t);
	return tt;
}

struct tally_timer *tally_timer_new(uint64_t ns)
{
	return timer_make(ns, 0);
}

struct tally_timer *tally_ticker_new(uint64_t period)
{
	if (period == 0)
		rt_panic("non-positive interval for NewTicker");
	return timer_make(period, period);
}

struct tally_chan *tally_timer_chan(struct tally_timer *tt)
{
	RT_NONNULL(tt, "tally_timer_chan: tt is NULL");
	return tt->c;
}

int tally_timer_stop(struct tally_timer *tt)
{
	RT_NONNULL(tt, "tally_timer_stop: tt is NULL");
	rt_lock(&tt->lock);
	int was = rt_timer_del(&tt->t);
	rt_unlock(&tt->lock);
	return was;
}

int tally_timer_reset(struct tally_timer *tt, uint64_t ns)
{
	RT_NONNULL(tt, "tally_timer_reset: tt is NULL");
	if (tt->t.period && ns == 0)
		rt_panic("non-positive interval for Ticker.Reset");
	rt_lock(&tt->lock);
	int was = rt_timer_del(&tt->t);
	tt->t.when = deadline(ns);
	if (tt->t.period)
		tt->t.period = ns;
	int wake = timer_push(&tt->t);
	rt_unlock(&tt->lock);
	if (wake)
		rt_wakep();
	return was;
}

void tally_timer_free(struct tally_timer *tt)
{
	if (!tt)
		return;
	tally_timer_stop(tt);
	rt_timer_wait_idle(&tt->t);
	/* A goroutine still queued on the channel (blocked in recv, or a
	 * select on its way out that has yet to unlink its sudog) would touch
	 * freed memory: a misuse, stopped here rather than left to corrupt. */
	rt_lock(&tt->c->lock);
	int waiters = tt->c->recvq.first || tt->c->sendq.first;
	rt_unlock(&tt->c->lock);
	if (waiters)
		rt_throw("tally_timer_free: goroutines are blocked on the timer's channel");
	/* the timer and its channel are collected objects: the collector
	 * frees them once nothing names them */
}

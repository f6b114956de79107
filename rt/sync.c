/*
 * sync.c - Mutex, RWMutex, WaitGroup, Once, Cond and a counting
 * semaphore for goroutines (Go's sync package, over rt/sema.c).
 *
 * Purpose: the blocking primitives of rt/tally.h.  Every type is
 * zero-initialisable; none allocates; a blocked goroutine parks (costs no
 * CPU) on a runtime semaphore keyed by the address of its word.
 *
 * tally_mutex (Go's sync.Mutex, algorithm and constants unchanged):
 *   state = waiters << 3 | starving << 2 | woken << 1 | locked.
 *   Lock: CAS 0 -> locked, else the slow path: spin a few rounds (only
 *   with several Ps and an empty local run queue, setting `woken` so
 *   Unlock does not wake a sleeper needlessly), then register as a
 *   waiter and sleep on m->sema.  Normal mode: a woken waiter competes
 *   with newcomers; a waiter that waited more than 1 ms switches the
 *   mutex to starvation mode, where Unlock hands ownership directly to
 *   the oldest waiter (semrelease with hand-off) and newcomers queue at
 *   the tail; the last waiter (or one that waited under 1 ms) turns
 *   starvation off.  Unlock of an unlocked mutex is a fatal error.
 * tally_rwmutex (Go's sync.RWMutex): reader_count counts readers and is
 *   pushed negative by RT_RWMUTEX_MAX_READERS while a writer is pending;
 *   reader_wait counts the readers the writer still waits for; writers
 *   exclude each other with w.  Readers sleep on reader_sem, the writer
 *   on writer_sem.
 * tally_waitgroup (Go's WaitGroup): state = counter << 32 | waiters; the
 *   transition of the counter to 0 resets the state and releases every
 *   waiter on sema.
 * tally_once: a done flag read fast, a mutex for the slow path; done is
 *   set only after fn returns, so every caller returns after fn ran.
 * tally_cond: Go's notify list (sema.c) with tickets; the lock is c->l.
 * tally_sema: count plus a FIFO of waiting Gs (a circular list of sudogs,
 *   `waiters` points at its tail) under a spin lock; a release with
 *   waiters hands the unit to the oldest one, so there is no barging.
 *
 * Invariants: as in Go's sources (see each function); for tally_sema:
 *   count > 0 implies no waiters.
 *
 * Locking: only tally_sema takes an rt_lock (its own word, used as an
 * rt_lock); everything else is lock-free atomics plus sema.c.
 *
 * Context: lock/wait/acquire: goroutine context (may park).  Unlock,
 * signal, release: any goroutine.
 */
#include <stddef.h>
#include "rt/rt_impl.h"
#include "rt/sema.h"
#include "rt/sudog.h"
#include "rt/include/tally.h"

/* ------------------------------------------------------------ Mutex */

enum {
	MUTEX_LOCKED = 1,
	MUTEX_WOKEN = 2,
	MUTEX_STARVING = 4,
	MUTEX_WAITER_SHIFT = 3,
};
#define STARVATION_THRESHOLD_NS 1000000ull
#define ACTIVE_SPIN 4
#define ACTIVE_SPIN_CNT 30

static int can_spin(int iter)
{
	if (iter >= ACTIVE_SPIN || tally_ncpu() <= 1 || tally_gomaxprocs(0) <= 1)
		return 0;
	struct m *m = rt_acquirem();  /* the P of the M we are on */
	struct p *pp = m->p;
	/* spin only if there is nothing else to run here */
	int idle = pp && __atomic_load_n(&pp->runq_head, __ATOMIC_RELAXED) ==
	                         __atomic_load_n(&pp->runq_tail, __ATOMIC_RELAXED) &&
	           !__atomic_load_n(&pp->runnext, __ATOMIC_RELAXED);
	rt_releasem(m);
	return idle;
}

static void do_spin(void)
{
	for (int i = 0; i < ACTIVE_SPIN_CNT; i++)
		plat_relax();
}

static inline int32_t mload(struct tally_mutex *m)
{
	return __atomic_load_n(&m->state, __ATOMIC_SEQ_CST);
}

static inline int mcas(volatile int32_t *p, int32_t old, int32_t new)
{
	return __atomic_compare_exchange_n(p, &old, new, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static void mutex_lock_slow(struct tally_mutex *m)
{
	uint64_t wait_start = 0;
	int starving = 0, awoke = 0, iter = 0;
	int32_t old = mload(m);
	for (;;) {
		/* Spin while locked (not starving): the owner may release soon. */
		if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) == MUTEX_LOCKED && can_spin(iter)) {
			if (!awoke && !(old & MUTEX_WOKEN) && (old >> MUTEX_WAITER_SHIFT) != 0 &&
			    mcas(&m->state, old, old | MUTEX_WOKEN))
				awoke = 1;
			do_spin();
			iter++;
			old = mload(m);
			continue;
		}
		int32_t new = old;
		if (!(old & MUTEX_STARVING))
			new |= MUTEX_LOCKED;       /* don't grab a starving mutex */
		if (old & (MUTEX_LOCKED | MUTEX_STARVING))
			new += 1 << MUTEX_WAITER_SHIFT;
		if (starving && (old & MUTEX_LOCKED))
			new |= MUTEX_STARVING;
		if (awoke) {
			if (!(new & MUTEX_WOKEN))
				rt_throw("sync: inconsistent mutex state");
			new &= ~MUTEX_WOKEN;
		}
		if (!mcas(&m->state, old, new)) {
			old = mload(m);
			continue;
		}
		if (!(old & (MUTEX_LOCKED | MUTEX_STARVING)))
			return;  /* locked it with the CAS */
		int lifo = wait_start != 0;
		if (!wait_start)
			wait_start = rt_nanotime();
		rt_semacquire_lifo(&m->sema, lifo);
		starving = starving || rt_nanotime() - wait_start > STARVATION_THRESHOLD_NS;
		old = mload(m);
		if (old & MUTEX_STARVING) {
			/* Ownership was handed to us; the state still says
			 * unlocked with us counted as a waiter: fix it. */
			if ((old & (MUTEX_LOCKED | MUTEX_WOKEN)) || (old >> MUTEX_WAITER_SHIFT) == 0)
				rt_throw("sync: inconsistent mutex state");
			int32_t delta = MUTEX_LOCKED - (1 << MUTEX_WAITER_SHIFT);
			if (!starving || (old >> MUTEX_WAITER_SHIFT) == 1)
				delta -= MUTEX_STARVING;   /* leave starvation mode */
			__atomic_add_fetch(&m->state, delta, __ATOMIC_SEQ_CST);
			return;
		}
		awoke = 1;
		iter = 0;
	}
}

void tally_mutex_lock(struct tally_mutex *m)
{
	RT_NONNULL(m, "tally_mutex_lock: m is NULL");
	if (mcas(&m->state, 0, MUTEX_LOCKED))
		return;
	mutex_lock_slow(m);
}

int tally_mutex_trylock(struct tally_mutex *m)
{
	RT_NONNULL(m, "tally_mutex_trylock: m is NULL");
	int32_t old = mload(m);
	if (old & (MUTEX_LOCKED | MUTEX_STARVING))
		return 0;
	return mcas(&m->state, old, old | MUTEX_LOCKED);
}

static void mutex_unlock_slow(struct tally_mutex *m, int32_t new)
{
	if (!((new + MUTEX_LOCKED) & MUTEX_LOCKED))
		rt_throw("sync: unlock of unlocked mutex");
	if (new & MUTEX_STARVING) {
		/* hand the mutex to the next waiter and yield to it */
		rt_semrelease(&m->sema, 1);
		return;
	}
	int32_t old = new;
	for (;;) {
		/* No waiters, or someone already woken/owns it: done. */
		if ((old >> MUTEX_WAITER_SHIFT) == 0 ||
		    (old & (MUTEX_LOCKED | MUTEX_WOKEN | MUTEX_STARVING)))
			return;
		new = (old - (1 << MUTEX_WAITER_SHIFT)) | MUTEX_WOKEN;
		if (mcas(&m->state, old, new)) {
			rt_semrelease(&m->sema, 0);
			return;
		}
		old = mload(m);
	}
}

void tally_mutex_unlock(struct tally_mutex *m)
{
	RT_NONNULL(m, "tally_mutex_unlock: m is NULL");
	int32_t new = __atomic_add_fetch(&m->state, -MUTEX_LOCKED, __ATOMIC_SEQ_CST);
	if (new != 0)
		mutex_unlock_slow(m, new);
}

/* ------------------------------------------------------------ RWMutex */

#define RWMUTEX_MAX_READERS (1 << 30)

static inline int32_t add32(volatile int32_t *p, int32_t d)
{
	return __atomic_add_fetch(p, d, __ATOMIC_SEQ_CST);
}

void tally_rwmutex_rlock(struct tally_rwmutex *rw)
{
	RT_NONNULL(rw, "tally_rwmutex_rlock: rw is NULL");
	if (add32(&rw->reader_count, 1) < 0)
		rt_semacquire(&rw->reader_sem);   /* a writer is pending */
}

void tally_rwmutex_runlock(struct tally_rwmutex *rw)
{
	RT_NONNULL(rw, "tally_rwmutex_runlock: rw is NULL");
	int32_t r = add32(&rw->reader_count, -1);
	if (r >= 0)
		return;
	if (r + 1 == 0 || r + 1 == -RWMUTEX_MAX_READERS)
		rt_throw("sync: RUnlock of unlocked RWMutex");
	/* a writer is pending: the last departing reader wakes it */
	if (add32(&rw->reader_wait, -1) == 0)
		rt_semrelease(&rw->writer_sem, 0);
}

void tally_rwmutex_lock(struct tally_rwmutex *rw)
{
	RT_NONNULL(rw, "tally_rwmutex_lock: rw is NULL");
	tally_mutex_lock(&rw->w);
	/* announce the writer, then wait for the active readers */
	int32_t r = add32(&rw->reader_count, -RWMUTEX_MAX_READERS) + RWMUTEX_MAX_READERS;
	if (r != 0 && add32(&rw->reader_wait, r) != 0)
		rt_semacquire(&rw->writer_sem);
}

void tally_rwmutex_unlock(struct tally_rwmutex *rw)
{
	RT_NONNULL(rw, "tally_rwmutex_unlock: rw is NULL");
	int32_t r = add32(&rw->reader_count, RWMUTEX_MAX_READERS);
	if (r >= RWMUTEX_MAX_READERS)
		rt_throw("sync: Unlock of unlocked RWMutex");
	for (int32_t i = 0; i < r; i++)
		rt_semrelease(&rw->reader_sem, 0);
	tally_mutex_unlock(&rw->w);
}

/* ------------------------------------------------------------ WaitGroup */

void tally_waitgroup_add(struct tally_waitgroup *wg, int delta)
{
	RT_NONNULL(wg, "tally_waitgroup_add: wg is NULL");
	uint64_t state = __atomic_add_fetch(&wg->state, (uint64_t)(int64_t)delta << 32,
	                                    __ATOMIC_SEQ_CST);
	int32_t v = (int32_t)(state >> 32);
	uint32_t w = (uint32_t)state;
	if (v < 0)
		rt_panic("sync: negative WaitGroup counter");
	if (w != 0 && delta > 0 && v == delta)
		rt_panic("sync: WaitGroup misuse: Add called concurrently with Wait");
	if (v > 0 || w == 0)
		return;
	/* Counter reached 0 with waiters: nobody may change the state now. */
	if (__atomic_load_n(&wg->state, __ATOMIC_SEQ_CST) != state)
		rt_panic("sync: WaitGroup misuse: Add called concurrently with Wait");
	__atomic_store_n(&wg->state, 0, __ATOMIC_SEQ_CST);
	for (; w != 0; w--)
		rt_semrelease(&wg->sema, 0);
}

void tally_waitgroup_done(struct tally_waitgroup *wg)
{
	RT_NONNULL(wg, "tally_waitgroup_done: wg is NULL");
	tally_waitgroup_add(wg, -1);
}

void tally_waitgroup_wait(struct tally_waitgroup *wg)
{
	RT_NONNULL(wg, "tally_waitgroup_wait: wg is NULL");
	for (;;) {
		uint64_t state = __atomic_load_n(&wg->state, __ATOMIC_SEQ_CST);
		if ((int32_t)(state >> 32) == 0)
			return;
		if (__atomic_compare_exchange_n(&wg->state, &state, state + 1, 0,
		                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			rt_semacquire(&wg->sema);
			if (__atomic_load_n(&wg->state, __ATOMIC_SEQ_CST) != 0)
				rt_panic("sync: WaitGroup is reused before previous Wait has returned");
			return;
		}
	}
}

/* ------------------------------------------------------------ Once */

void tally_once_do(struct tally_once *o, void (*fn)(void *), void *arg)
{
	RT_NONNULL(o, "tally_once_do: o is NULL");
	RT_NONNULL(fn, "tally_once_do: fn is NULL");
	if (__atomic_load_n(&o->done, __ATOMIC_ACQUIRE))
		return;
	tally_mutex_lock(&o->m);
	if (!o->done) {
		fn(arg);
		__atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
	}
	tally_mutex_unlock(&o->m);
}

/* ------------------------------------------------------------ Cond */

void tally_cond_wait(struct tally_cond *c)
{
	RT_NONNULL(c, "tally_cond_wait: c is NULL");
	if (!c->l)
		rt_panic("sync.Cond: no lock (set c->l)");
	uint32_t t = rt_notify_add(&c->wait);
	tally_mutex_unlock(c->l);
	rt_notify_wait(&c->wait, &c->notify, &c->waiters, t);
	tally_mutex_lock(c->l);
}

void tally_cond_signal(struct tally_cond *c)
{
	RT_NONNULL(c, "tally_cond_signal: c is NULL");
	rt_notify_one(&c->wait, &c->notify, &c->waiters);
}

void tally_cond_broadcast(struct tally_cond *c)
{
	RT_NONNULL(c, "tally_cond_broadcast: c is NULL");
	rt_notify_all(&c->wait, &c->notify, &c->waiters);
}

/* ------------------------------------------------------------ semaphore */

_Static_assert(sizeof(struct rt_lock) == sizeof(int), "tally_sema.lock doubles as an rt_lock");

static inline struct rt_lock *sema_lock(struct tally_sema *s)
{
	return (struct rt_lock *)(void *)&s->lock;
}

void tally_sema_init(struct tally_sema *s, int64_t n)
{
	RT_NONNULL(s, "tally_sema_init: s is NULL");
	if (n < 0)
		rt_panic("sync: negative semaphore count");
	s->count = n;
	s->waiters = NULL;
	s->lock = 0;
}

void tally_sema_acquire(struct tally_sema *s)
{
	RT_NONNULL(s, "tally_sema_acquire: s is NULL");
	struct rt_lock *l = sema_lock(s);
	rt_lock(l);
	if (s->count > 0 && !s->waiters) {
		s->count--;
		rt_unlock(l);
		return;
	}
	struct sudog sg = {0};
	sg.g = rt_getg();
	struct sudog *tail = s->waiters;   /* circular list, tail->next = head */
	if (tail) {
		sg.next = tail->next;
		tail->next = &sg;
	} else {
		sg.next = &sg;
	}
	s->waiters = &sg;
	rt_gopark(rt_park_unlock, l, "semacquire");
	if (!sg.success)
		rt_throw("sync: semaphore woken without a unit");
}

int tally_sema_tryacquire(struct tally_sema *s)
{
	RT_NONNULL(s, "tally_sema_tryacquire: s is NULL");
	struct rt_lock *l = sema_lock(s);
	rt_lock(l);
	int ok = s->count > 0 && !s->waiters;
	if (ok)
		s->count--;
	rt_unlock(l);
	return ok;
}

void tally_sema_release(struct tally_sema *s)
{
	RT_NONNULL(s, "tally_sema_release: s is NULL");
	struct rt_lock *l = sema_lock(s);
	rt_lock(l);
	struct sudog *tail = s->waiters;
	if (!tail) {
		s->count++;
		rt_unlock(l);
		return;
	}
	struct sudog *head = tail->next;
	if (head == tail)
		s->waiters = NULL;
	else
		tail->next = head->next;
	head->success = 1;     /* the unit goes straight to the oldest waiter */
	struct g *gp = head->g;
	rt_unlock(l);
	rt_goready(gp);
}

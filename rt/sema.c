/*
 * sema.c - runtime semaphores and notify lists (Go's runtime/sema.go).
 *
 * Purpose: the sleep/wake-up under sync.Mutex, RWMutex, WaitGroup and
 * Cond (rt/sync.c).  A semaphore is a uint32_t anywhere in memory; its
 * waiters are kept in a global table keyed by the word's address, so a
 * zero-initialised struct tally_mutex needs no constructor.
 *
 * Data structures: semtable, SEMTAB_SIZE (251, prime, as Go) buckets
 * ("semaroots"), each an rt_lock, a doubly linked list of the sudogs of
 * the Gs waiting on any address that hashes there, and nwait, the number
 * of those waiters.  Go keeps a treap of addresses with a FIFO per
 * address for O(log n) lookup; here the bucket list is scanned for the
 * first sudog with the right key, which keeps FIFO order per address
 * (appending at the tail) and LIFO re-queueing (inserting at the head)
 * just as well.  Scans are O(waiters in the bucket): fine for the
 * hundreds of waiters that real programs park on one bucket.
 *
 * Invariants:
 *   - *addr counts units nobody has claimed; a G takes one only by a
 *     successful CAS from v > 0 to v - 1 (cansemacquire), or by a
 *     hand-off (sudog ticket = 1) from rt_semrelease;
 *   - root->nwait >= number of sudogs on root's list; it is incremented
 *     before a waiter's last check of *addr (under the lock) and
 *     decremented by the waker that dequeues it, so a releaser that reads
 *     nwait == 0 after incrementing *addr cannot miss a sleeper.
 *
 * Notify lists (sync.Cond): a waiter takes ticket t = wait++ while it
 * still holds the user's lock, then sleeps until notify > t.  notify_one
 * wakes ticket `notify` and increments it; notify_all sets notify = wait.
 * A waiter whose ticket is already notified does not sleep, so a signal
 * between the user unlock and the sleep is not lost.  The list lives in
 * the cond (head), its lock is the semaroot bucket of &cond->notify.
 *
 * Locking: one bucket lock at a time, never held across rt_goready or
 * while taking another lock.  A G parks with rt_park_unlock on its bucket.
 *
 * Context: acquire and wait: goroutine context.  Release and notify: any
 * G or g0, never park.
 */
#include "rt/sema.h"
#include "rt/rt_impl.h"
#include "rt/sudog.h"
#include "rt/include/tally.h"

#define SEMTAB_SIZE 251

struct semaroot {
	struct rt_lock lock;
	volatile uint32_t nwait;
	struct sudog *head, *tail;
	char pad[64 - sizeof(struct rt_lock) - sizeof(uint32_t) - 2 * sizeof(void *)];
};

static struct semaroot semtable[SEMTAB_SIZE];

static struct semaroot *semroot(volatile void *addr)
{
	return &semtable[((uintptr_t)addr >> 3) % SEMTAB_SIZE];
}

static int cansemacquire(volatile uint32_t *addr)
{
	uint32_t v = __atomic_load_n(addr, __ATOMIC_SEQ_CST);
	while (v != 0) {
		if (__atomic_compare_exchange_n(addr, &v, v - 1, 0, __ATOMIC_SEQ_CST,
		                                __ATOMIC_SEQ_CST))
			return 1;
	}
	return 0;
}

/* root->lock held */
static void root_queue(struct semaroot *root, struct sudog *s, int lifo)
{
	if (lifo) {
		s->prev = NULL;
		s->next = root->head;
		if (root->head)
			root->head->prev = s;
		else
			root->tail = s;
		root->head = s;
	} else {
		s->next = NULL;
		s->prev = root->tail;
		if (root->tail)
			root->tail->next = s;
		else
			root->head = s;
		root->tail = s;
	}
}

/* root->lock held: remove and return the oldest waiter on addr. */
static struct sudog *root_dequeue(struct semaroot *root, uintptr_t key)
{
	for (struct sudog *s = root->head; s; s = s->next) {
		if (s->key != key)
			continue;
		if (s->prev)
			s->prev->next = s->next;
		else
			root->head = s->next;
		if (s->next)
			s->next->prev = s->prev;
		else
			root->tail = s->prev;
		s->next = s->prev = NULL;
		return s;
	}
	return NULL;
}

void rt_semacquire_lifo(volatile uint32_t *addr, int lifo)
{
	if (cansemacquire(addr))
		return;
	struct g *gp = rt_getg();
	struct semaroot *root = semroot(addr);
	struct sudog s;
	for (;;) {
		rt_lock(&root->lock);
		__atomic_add_fetch(&root->nwait, 1, __ATOMIC_SEQ_CST);
		if (cansemacquire(addr)) {
			__atomic_sub_fetch(&root->nwait, 1, __ATOMIC_SEQ_CST);
			rt_unlock(&root->lock);
			return;
		}
		s = (struct sudog){0};
		s.g = gp;
		s.key = (uintptr_t)addr;
		root_queue(root, &s, lifo);
		rt_gopark(rt_park_unlock, &root->lock, "semacquire");
		if (s.ticket != 0 || cansemacquire(addr))
			return;
	}
}

void rt_semacquire(volatile uint32_t *addr)
{
	rt_semacquire_lifo(addr, 0);
}

void rt_semrelease(volatile uint32_t *addr, int handoff)
{
	struct semaroot *root = semroot(addr);
	__atomic_add_fetch(addr, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&root->nwait, __ATOMIC_SEQ_CST) == 0)
		return;
	rt_lock(&root->lock);
	if (__atomic_load_n(&root->nwait, __ATOMIC_SEQ_CST) == 0) {
		rt_unlock(&root->lock);
		return;
	}
	struct sudog *s = root_dequeue(root, (uintptr_t)addr);
	if (s)
		__atomic_sub_fetch(&root->nwait, 1, __ATOMIC_SEQ_CST);
	rt_unlock(&root->lock);
	if (!s)
		return;
	/* s is ours until its G is readied: it cannot run before that. */
	if (s->ticket != 0)
		rt_throw("corrupted semaphore ticket");
	if (handoff && cansemacquire(addr))
		s->ticket = 1;
	int handed = s->ticket == 1;
	rt_goready(s->g);
	/* Direct hand-off: let the woken G run now instead of letting this
	 * G barge in again (Go's goyield in semrelease1). */
	struct m *m = rt_acquirem();  /* locks and curg of the M we are on */
	int can_yield = m->locks == 1 && m->curg;
	rt_releasem(m);
	if (handed && can_yield)
		tally_yield();
}

/* ------------------------------------------------------------ notify lists */

static inline int ticket_less(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

uint32_t rt_notify_add(volatile uint32_t *wait)
{
	return __atomic_fetch_add(wait, 1, __ATOMIC_SEQ_CST);
}

void rt_notify_wait(volatile uint32_t *wait, volatile uint32_t *notify, void **head, uint32_t t)
{
	(void)wait;
	struct semaroot *root = semroot(notify);
	rt_lock(&root->lock);
	if (ticket_less(t, __atomic_load_n(notify, __ATOMIC_SEQ_CST))) {
		rt_unlock(&root->lock);
		return;
	}
	struct sudog s = {0};
	s.g = rt_getg();
	s.ticket = t;
	s.next = *head;   /* newest first; notify_all reverses */
	*head = &s;
	rt_gopark(rt_park_unlock, &root->lock, "sync.Cond.Wait");
}

void rt_notify_one(volatile uint32_t *wait, volatile uint32_t *notify, void **head)
{
	if (__atomic_load_n(wait, __ATOMIC_SEQ_CST) == __atomic_load_n(notify, __ATOMIC_SEQ_CST))
		return;
	struct semaroot *root = semroot(notify);
	rt_lock(&root->lock);
	uint32_t t = *notify;
	if (t == __atomic_load_n(wait, __ATOMIC_SEQ_CST)) {
		rt_unlock(&root->lock);
		return;
	}
	__atomic_store_n(notify, t + 1, __ATOMIC_SEQ_CST);
	/* The waiter with ticket t may not have queued itself yet; then it
	 * sees notify > t and does not sleep. */
	struct sudog **pp = (struct sudog **)head;
	for (struct sudog *s = *pp; s; pp = &s->next, s = s->next) {
		if (s->ticket == t) {
			*pp = s->next;
			struct g *gp = s->g;
			rt_unlock(&root->lock);
			rt_goready(gp);
			return;
		}
	}
	rt_unlock(&root->lock);
}

void rt_notify_all(volatile uint32_t *wait, volatile uint32_t *notify, void **head)
{
	if (__atomic_load_n(wait, __ATOMIC_SEQ_CST) == __atomic_load_n(notify, __ATOMIC_SEQ_CST))
		return;
	struct semaroot *root = semroot(notify);
	rt_lock(&root->lock);
	struct sudog *s = *head;
	*head = NULL;
	__atomic_store_n(notify, __atomic_load_n(wait, __ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
	rt_unlock(&root->lock);
	/* oldest first, as Go */
	struct sudog *rev = NULL;
	while (s) {
		struct sudog *next = s->next;
		s->next = rev;
		rev = s;
		s = next;
	}
	while (rev) {
		struct sudog *next = rev->next;
		rt_goready(rev->g);
		rev = next;
	}
}

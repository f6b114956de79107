/*
 * sudog.h - a goroutine waiting on a synchronisation object.
 *
 * Purpose: the one record that channels, select, runtime semaphores,
 * sync.Cond's notify list and tally_sema put on their wait queues (Go's
 * sudog in runtime2.go).  A G blocked on one object has one sudog; a G
 * blocked in select has one per case.
 *
 * Where they live: on the waiting G's own stack.  Go allocates sudogs
 * from a per-P cache because its stacks move; Tally's goroutine stacks
 * never move, and a parked G's frame stays intact until the G runs again,
 * which happens only after the waker has dequeued the sudog and readied
 * the G.  So no allocation is ever needed to block (select with more than
 * a few dozen cases uses malloc for its arrays, see select.c).
 *
 * Invariants:
 *   - a sudog is on at most one queue, and only while its G is parked or
 *     about to park with that queue's lock held;
 *   - a waker must copy everything it needs out of the sudog (g, next)
 *     before rt_goready(sg->g): from then on the frame may be gone;
 *   - a sudog removed from a doubly linked queue has next == prev == NULL.
 *
 * Locking: the fields are guarded by the lock of the queue the sudog is
 * on (channel lock, semaphore bucket lock, tally_sema lock); `g`, `elem`,
 * `c`, `is_select` and `casei` are written before it is queued and only
 * read afterwards.
 */
#ifndef TALLY_RT_SUDOG_H
#define TALLY_RT_SUDOG_H

#include <stdint.h>

struct g;
struct tally_chan;

struct sudog {
	struct g *g;
	struct sudog *next, *prev;   /* wait queue links */
	void *elem;                  /* data element (may point to a stack) */
	/* channels and select */
	struct tally_chan *c;        /* channel waited on */
	struct sudog *waitlink;      /* g->waiting list, in lock order */
	int is_select;               /* g takes part in a select */
	int success;                 /* 1: woken by a value, 0: by close */
	int casei;                   /* select case index */
	/* semaphores and notify lists */
	uintptr_t key;               /* semaphore address */
	uint32_t ticket;             /* sema: 1 = handed off; cond: ticket */
};

#endif

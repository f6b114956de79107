/*
 * chan_impl.h - channel internals shared by chan.c and select.c.
 *
 * struct tally_chan is Go's hchan: a ring buffer of dataqsiz elements of
 * elemsize bytes (allocated in the same block, right after the struct),
 * qcount of them full between recvx and sendx, a closed flag and two wait
 * queues of sudogs (blocked receivers, blocked senders).
 *
 * Invariants (Go's, chan.go):
 *   - at least one of c->sendq and c->recvq is empty, except for an
 *     unbuffered channel with one select G both sending and receiving on
 *     it (its two sudogs wait on both queues);
 *   - buffered: qcount > 0 implies recvq is empty; qcount < dataqsiz
 *     implies sendq is empty;
 *   - sendx == (recvx + qcount) % dataqsiz when dataqsiz > 0.
 *
 * Locking: c->lock (an rt_lock) guards every field except elemsize and
 * dataqsiz (immutable); qcount, closed and recvq.first/sendq.first are
 * also read without the lock by the non-blocking fast paths, so they are
 * written with atomic stores.  A select locks its channels in address
 * order (select.c).  Never call rt_goready with c->lock held: the helpers
 * below return the G to ready and the caller readies it after unlocking.
 */
#ifndef TALLY_RT_CHAN_IMPL_H
#define TALLY_RT_CHAN_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include "rt/rt_impl.h"
#include "rt/sudog.h"

struct waitq {
	struct sudog *first, *last;
};

struct tally_chan {
	struct rt_lock lock;
	size_t qcount;          /* elements in the ring */
	size_t dataqsiz;        /* ring capacity */
	size_t elemsize;
	char *buf;              /* dataqsiz * elemsize bytes */
	size_t sendx, recvx;    /* ring indices */
	uint32_t closed;
	struct waitq recvq;     /* blocked receivers */
	struct waitq sendq;     /* blocked senders */
	void *timer;            /* a timer's channel: its struct tally_timer, so
	                         * a goroutine that holds only the channel keeps
	                         * the timer (and its sends) alive (rtimer.c) */
};

/* Queue operations; c->lock held.  _chan_dequeue skips (and drops) the
 * sudogs of select Gs that another case already won (g->selectdone). */
void _chan_enqueue(struct waitq *q, struct sudog *sg);
struct sudog *_chan_dequeue(struct waitq *q);
void _chan_dequeue_sudog(struct waitq *q, struct sudog *sg);

/* Hand-offs with c->lock held; each returns the G to pass to rt_goready
 * after c->lock (and any other lock) is released. */
struct g *_chan_send_direct(struct tally_chan *c, struct sudog *sg, const void *ep);
struct g *_chan_recv_direct(struct tally_chan *c, struct sudog *sg, void *ep);
/* Buffer operations with c->lock held (qcount < dataqsiz / qcount > 0). */
void _chan_buf_put(struct tally_chan *c, const void *ep);
void _chan_buf_take(struct tally_chan *c, void *ep);

#endif

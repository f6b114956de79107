/*
 * chan.c - channels with Go's semantics (Go's runtime/chan.go in C).
 *
 * Purpose: make, send, receive (blocking and not), close, len and cap of
 * struct tally_chan.  select lives in select.c and shares the internals
 * declared in chan_impl.h.
 *
 * Data structures: struct tally_chan (chan_impl.h): a ring buffer of
 * dataqsiz elements allocated in the same block as the channel, and two
 * FIFO wait queues of sudogs (sudog.h), one for blocked receivers and one
 * for blocked senders.  A blocked G's sudog lives on its own stack.
 *
 * Algorithm (Go's, rule by rule):
 *   send: closed -> panic "send on closed channel"; a receiver waiting ->
 *     copy straight into its elem and ready it (unbuffered hand-off, and
 *     the buffered case where the ring is empty); room in the ring ->
 *     enqueue the value; otherwise block on sendq ("chan send").  A sender
 *     woken by close panics.
 *   receive: closed and drained -> zero value, ok = 0; a sender waiting ->
 *     unbuffered: take its value; buffered (ring full): take the head of
 *     the ring and put the sender's value at its tail, so FIFO order is
 *     kept; a value in the ring -> take it; otherwise block on recvq
 *     ("chan receive").  A receiver woken by close gets a zero value and
 *     ok = 0.
 *   close: nil -> panic "close of nil channel"; closed -> panic "close of
 *     closed channel"; otherwise set closed and ready every waiter.
 *   A NULL channel blocks a sender or receiver forever (its G parks with
 *   no way to be woken; the deadlock detector reports it if nothing else
 *   can run).
 *   The non-blocking forms first look at the channel without its lock
 *   (Go's fast path: a full channel that is not closed cannot accept a
 *   send; an empty channel that is not closed cannot yield a receive);
 *   the reads are single atomic loads and the argument for their order is
 *   Go's (chan.go, chanrecv).
 *
 * Invariants: see chan_impl.h.  A waker fills sg->elem, sets sg->success
 * and g->param = sg while holding c->lock, then unlocks and readies the G.
 *
 * Locking: c->lock guards the channel; it is never held across
 * rt_goready.  The blocking path parks with rt_park_unlock so c->lock is
 * released only after the G is off its stack (no lost wake-up).
 *
 * Memory: a channel is a collected object (tally_gc_alloc, scanned
 * conservatively, ring included), so a program that makes and drops
 * channels runs in bounded memory and there is no free.  What keeps a
 * channel alive is what names it: the program's variables, and for a
 * blocked goroutine the sudog on its own stack (sg->c), which the
 * collector scans as a root while the goroutine is parked.
 *
 * Context: goroutine context (or g0 for the non-blocking forms, which the
 * timer callbacks use).  Allocates only in tally_chan_make.
 */
#include <stdlib.h>
#include <string.h>
#include "rt/heap/heap.h"
#include "rt/chan_impl.h"
#include "rt/include/tally.h"

#define CHAN_MAX_ELEM (1u << 16)   /* Go's limit on element size */

/* ------------------------------------------------------------ queues */

void _chan_enqueue(struct waitq *q, struct sudog *sg)
{
	sg->next = NULL;
	struct sudog *x = q->last;
	if (x) {
		sg->prev = x;
		x->next = sg;
		q->last = sg;
		return;
	}
	sg->prev = NULL;
	__atomic_store_n(&q->first, sg, __ATOMIC_RELAXED);
	q->last = sg;
}

struct sudog *_chan_dequeue(struct waitq *q)
{
	for (;;) {
		struct sudog *sg = q->first;
		if (!sg)
			return NULL;
		struct sudog *y = sg->next;
		if (!y) {
			__atomic_store_n(&q->first, NULL, __ATOMIC_RELAXED);
			q->last = NULL;
		} else {
			y->prev = NULL;
			__atomic_store_n(&q->first, y, __ATOMIC_RELAXED);
			sg->next = NULL;  /* removed (see _chan_dequeue_sudog) */
		}
		/* A select G may have been won by another case and not yet
		 * removed its other sudogs: only one waker may claim it. */
		if (sg->is_select) {
			uint32_t zero = 0;
			if (!__atomic_compare_exchange_n(&sg->g->selectdone, &zero, 1, 0,
			                                 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				continue;
		}
		return sg;
	}
}

void _chan_dequeue_sudog(struct waitq *q, struct sudog *sg)
{
	struct sudog *x = sg->prev, *y = sg->next;
	if (x) {
		if (y) {
			x->next = y;
			y->prev = x;
			sg->next = NULL;
			sg->prev = NULL;
			return;
		}
		x->next = NULL;
		q->last = x;
		sg->prev = NULL;
		return;
	}
	if (y) {
		y->prev = NULL;
		__atomic_store_n(&q->first, y, __ATOMIC_RELAXED);
		sg->next = NULL;
		return;
	}
	/* x == y == NULL: the only element, or already removed. */
	if (q->first == sg) {
		__atomic_store_n(&q->first, NULL, __ATOMIC_RELAXED);
		q->last = NULL;
	}
}

/* ------------------------------------------------------------ data moves */

static inline char *chan_slot(struct tally_chan *c, size_t i)
{
	return c->buf + i * c->elemsize;
}

static inline void elem_copy(void *dst, const void *src, size_t n)
{
	if (dst && src && n)
		memcpy(dst, src, n);
}

static inline void elem_zero(void *dst, size_t n)
{
	if (dst && n)
		memset(dst, 0, n);
}

void _chan_buf_put(struct tally_chan *c, const void *ep)
{
	char *slot = chan_slot(c, c->sendx);
	if (ep)
		elem_copy(slot, ep, c->elemsize);
	else
		elem_zero(slot, c->elemsize);
	if (++c->sendx == c->dataqsiz)
		c->sendx = 0;
	__atomic_store_n(&c->qcount, c->qcount + 1, __ATOMIC_RELAXED);
}

void _chan_buf_take(struct tally_chan *c, void *ep)
{
	char *slot = chan_slot(c, c->recvx);
	elem_copy(ep, slot, c->elemsize);
	elem_zero(slot, c->elemsize);  /* no stale pointers for the collector */
	if (++c->recvx == c->dataqsiz)
		c->recvx = 0;
	__atomic_store_n(&c->qcount, c->qcount - 1, __ATOMIC_RELAXED);
}

struct g *_chan_send_direct(struct tally_chan *c, struct sudog *sg, const void *ep)
{
	if (sg->elem) {
		if (ep)
			elem_copy(sg->elem, ep, c->elemsize);
		else
			elem_zero(sg->elem, c->elemsize);
	}
	struct g *gp = sg->g;
	sg->success = 1;
	gp->param = sg;
	return gp;
}

struct g *_chan_recv_direct(struct tally_chan *c, struct sudog *sg, void *ep)
{
	if (c->dataqsiz == 0) {
		elem_copy(ep, sg->elem, c->elemsize);
	} else {
		/* The ring is full: take its head, append the sender's value
		 * at the tail (the same slot, since the ring is full). */
		char *slot = chan_slot(c, c->recvx);
		elem_copy(ep, slot, c->elemsize);
		if (sg->elem)
			elem_copy(slot, sg->elem, c->elemsize);
		else
			elem_zero(slot, c->elemsize);
		if (++c->recvx == c->dataqsiz)
			c->recvx = 0;
		c->sendx = c->recvx;
	}
	struct g *gp = sg->g;
	sg->success = 1;
	gp->param = sg;
	return gp;
}

/* ------------------------------------------------------------ make/free */

struct tally_chan *tally_chan_make(size_t elemsize, size_t cap)
{
	if (elemsize >= CHAN_MAX_ELEM)
		rt_throw("makechan: invalid channel element type (elemsize 65536 or more: Go's limit)");
	if (elemsize && cap > (SIZE_MAX / 2 - sizeof(struct tally_chan)) / elemsize)
		rt_panic("makechan: size out of range");
	size_t bytes = sizeof(struct tally_chan) + elemsize * cap;
	if (bytes > rt_arena_hi - rt_arena_lo)
		rt_throw_oom("a channel", bytes);  /* could never fit */
	/* A collected object, scanned conservatively (the ring may hold
	 * pointers): freed once no goroutine, sudog or data names it */
	struct tally_chan *c = tally_gc_alloc(bytes, TALLY_GC_SCAN);
	c->elemsize = elemsize;
	c->dataqsiz = cap;
	c->buf = (char *)(c + 1);
	return c;
}

/* ------------------------------------------------------------ send */

static int chan_full(struct tally_chan *c)
{
	if (c->dataqsiz == 0)
		return __atomic_load_n(&c->recvq.first, __ATOMIC_RELAXED) == NULL;
	return __atomic_load_n(&c->qcount, __ATOMIC_RELAXED) == c->dataqsiz;
}

static int chan_empty(struct tally_chan *c)
{
	if (c->dataqsiz == 0)
		return __atomic_load_n(&c->sendq.first, __ATOMIC_RELAXED) == NULL;
	return __atomic_load_n(&c->qcount, __ATOMIC_RELAXED) == 0;
}

static _Noreturn void block_forever(const char *reason)
{
	rt_gopark(NULL, NULL, reason);
	rt_throw("unreachable");
}

/* Go's chansend: returns 1 if the value was sent, 0 if !block and the
 * send would have blocked. */
/* Block the calling G on queue q of c (c->lock held, released by the
 * park) with sg carrying elem, until a peer or close completes it; on
 * return sg->success says which. */
static void wait_on(struct tally_chan *c, struct waitq *q, struct sudog *sg, void *elem,
                    const char *reason)
{
	struct g *gp = rt_getg();
	sg->g = gp;
	sg->elem = elem;
	sg->c = c;
	gp->waiting = sg;
	gp->param = NULL;
	_chan_enqueue(q, sg);
	rt_gopark(rt_park_unlock, &c->lock, reason);
	if (gp->waiting != sg)
		rt_throw("G waiting list is corrupted");
	gp->waiting = NULL;
	gp->param = NULL;
}

static int chansend(struct tally_chan *c, const void *ep, int block)
{
	if (!c) {
		if (!block)
			return 0;
		block_forever("chan send (nil chan)");
	}
	if (!block && __atomic_load_n(&c->closed, __ATOMIC_SEQ_CST) == 0 && chan_full(c))
		return 0;

	rt_lock(&c->lock);
	if (c->closed) {
		rt_unlock(&c->lock);
		rt_panic("send on closed channel");
	}
	struct sudog *sg = _chan_dequeue(&c->recvq);
	if (sg) {
		struct g *gp = _chan_send_direct(c, sg, ep);
		rt_unlock(&c->lock);
		rt_goready(gp);
		return 1;
	}
	if (c->qcount < c->dataqsiz) {
		_chan_buf_put(c, ep);
		rt_unlock(&c->lock);
		return 1;
	}
	if (!block) {
		rt_unlock(&c->lock);
		return 0;
	}

	/* Block: our sudog carries a pointer to the value to send. */
	struct sudog mysg = {0};
	wait_on(c, &c->sendq, &mysg, (void *)ep, "chan send");
	if (!mysg.success) {
		if (__atomic_load_n(&c->closed, __ATOMIC_SEQ_CST) == 0)
			rt_throw("chansend: spurious wakeup");
		rt_panic("send on closed channel");
	}
	return 1;
}

/* ------------------------------------------------------------ receive */

/* Go's chanrecv: returns 1 if the receive happened (then *received says
 * whether a value (1) or a close (0) was received), 0 if !block and it
 * would have blocked. */
static int chanrecv(struct tally_chan *c, void *ep, int block, int *received)
{
	*received = 0;
	if (!c) {
		if (!block)
			return 0;
		block_forever("chan receive (nil chan)");
	}
	if (!block && chan_empty(c)) {
		if (__atomic_load_n(&c->closed, __ATOMIC_SEQ_CST) == 0)
			return 0;
		/* Closed, and it stays closed: if it is still empty it is
		 * drained for good. */
		if (chan_empty(c)) {
			elem_zero(ep, c->elemsize);
			return 1;
		}
	}

	rt_lock(&c->lock);
	if (c->closed && c->qcount == 0) {
		rt_unlock(&c->lock);
		elem_zero(ep, c->elemsize);
		return 1;
	}
	struct sudog *sg = _chan_dequeue(&c->sendq);
	if (sg) {
		struct g *gp = _chan_recv_direct(c, sg, ep);
		rt_unlock(&c->lock);
		rt_goready(gp);
		*received = 1;
		return 1;
	}
	if (c->qcount > 0) {
		_chan_buf_take(c, ep);
		rt_unlock(&c->lock);
		*received = 1;
		return 1;
	}
	if (!block) {
		rt_unlock(&c->lock);
		return 0;
	}

	struct sudog mysg = {0};
	wait_on(c, &c->recvq, &mysg, ep, "chan receive");
	*received = mysg.success;
	return 1;
}

/* ------------------------------------------------------------ close */

void tally_chan_close(struct tally_chan *c)
{
	if (!c)
		rt_panic("close of nil channel");
	rt_lock(&c->lock);
	if (c->closed) {
		rt_unlock(&c->lock);
		rt_panic("close of closed channel");
	}
	__atomic_store_n(&c->closed, 1, __ATOMIC_SEQ_CST);

	/* Collect every waiter on a list threaded through g->schedlink (a
	 * parked G is on no run queue); ready them after unlocking. */
	struct g *glist = NULL;
	struct sudog *sg;
	while ((sg = _chan_dequeue(&c->recvq))) {
		elem_zero(sg->elem, c->elemsize);
		sg->success = 0;
		sg->g->param = sg;
		sg->g->schedlink = glist;
		glist = sg->g;
	}
	while ((sg = _chan_dequeue(&c->sendq))) {
		sg->elem = NULL;
		sg->success = 0;
		sg->g->param = sg;
		sg->g->schedlink = glist;
		glist = sg->g;
	}
	rt_unlock(&c->lock);
	while (glist) {
		struct g *gp = glist;
		glist = gp->schedlink;
		gp->schedlink = NULL;
		rt_goready(gp);
	}
}

/* ------------------------------------------------------------ public */

void tally_chan_send(struct tally_chan *c, const void *elem)
{
	chansend(c, elem, 1);
}

int tally_chan_recv(struct tally_chan *c, void *elem)
{
	int received;
	chanrecv(c, elem, 1, &received);
	return received;
}

int tally_chan_trysend(struct tally_chan *c, const void *elem)
{
	return chansend(c, elem, 0);
}

int tally_chan_tryrecv(struct tally_chan *c, void *elem, int *ok)
{
	int received;
	int done = chanrecv(c, elem, 0, &received);
	if (ok)
		*ok = received;
	return done;
}

size_t tally_chan_len(struct tally_chan *c)
{
	return c ? __atomic_load_n(&c->qcount, __ATOMIC_RELAXED) : 0;
}

size_t tally_chan_cap(struct tally_chan *c)
{
	return c ? c->dataqsiz : 0;
}

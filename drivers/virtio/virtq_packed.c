/*
 * virtq_packed.c - the packed virtqueue's driver side (virtio 1.1
 * section 2.8), behind the calls of virtq.h (virtq.c hands a packed
 * queue here).
 *
 * Purpose: one ring of 16-byte descriptors {addr, len, id, flags} that
 * the driver and the device both write, instead of the split layout's
 * three areas: the driver writes a chain into the next free entries and
 * marks each available; the device writes one used descriptor per chain,
 * in ring order, at the entry after the last one it used, naming the
 * chain by its buffer id.  Fewer cache lines change hands per buffer (a
 * split buffer touches the table, the avail ring and the used ring), at
 * the price of walking chains by id.  Whether that helps here is
 * measured, not assumed (docs/net.md, "Packed virtqueues").
 *
 * Data structures: the ring pdesc[size]; the driver area (off_wrap,
 * flags: when the device should interrupt us) and the device area (the
 * same: when it wants to be notified).  Private: buffer ids on a free
 * list through slot[].next (the device never sees the list), per id the
 * token, the chain's descriptor count and its writable bytes.
 *
 * Wrap counters: avail_idx and last_used count descriptors, free-running
 * 16-bit; the entry is idx % size and the counter of the lap idx is in is
 * !(idx & size) (size is a power of two dividing 65536 an even number of
 * times, so the parity stays right across the 16-bit wrap; it starts at
 * 1).  A descriptor is available when its AVAIL bit equals the driver's
 * counter and its USED bit does not; used when both equal the lap's
 * counter of the entry the driver reads.  Entries left from the previous
 * lap never look like either (the spec's reason for two bits).
 *
 * Invariants (virtq.h): nfree + sum of in-flight chains' ndesc == size ==
 * nfree + (avail_idx - last_used); an id is on the free list or heads
 * exactly one chain in flight.  Ids never run out: chains in flight <=
 * descriptors in flight <= size - nfree.
 *
 * Publication: virtq_add writes every descriptor of a chain but the
 * head's flags, which it holds back for the first chain since the last
 * kick (held_head); virtq_kick stores them with release order.  The
 * device reads the ring in order, so it stops at the held head and sees
 * no later chain early: chains added after it get their heads written at
 * once.  So "visible only after virtq_kick" holds as in the split layout.
 *
 * Notifications: the device area says ENABLE (always), DISABLE (never) or,
 * with VIRTIO_F_EVENT_IDX, DESC: notify when the descriptor at off_wrap
 * (entry, lap counter in bit 15) is made available.  virtq_kick turns the
 * entry into a free-running index in new's lap or the one before and
 * asks virtq_need_event as the split layout does.  Interrupts: the driver
 * area, written the same way; as in the split layout, with the event
 * index each virtq_get moves off_wrap to the next entry it will read and
 * turning interrupts off leaves it (the device then interrupts only for
 * an entry the driver has caught up with), without it the flags say
 * ENABLE or DISABLE.  Both decisions are Dekker's pattern with the
 * device, so they end with the full fence and the device fence
 * (_virtq_fence, virtq.c's essay).
 *
 * Not trusted: a used descriptor whose id is out of range (bad_id), heads
 * no chain in flight (dup_id), or whose chain is longer than what is
 * published past last_used (bad_idx) leaves no way to find the next used
 * entry (it lies that chain's length on): counted, and the queue is
 * broken.  A length beyond the chain's writable bytes is counted
 * (bad_len) and reported as 0.  The device area is only a hint: an
 * offset past the ring asks for a notification.
 *
 * Rejected: indirect descriptors (not negotiated); in-order use
 * (VIRTIO_F_IN_ORDER would let the driver skip reading ids, but QEMU
 * 7.2's virtio-net does not offer it).
 *
 * Context: any; no allocation, no lock (the caller's), no printing.
 */
#include <string.h>
#include "drivers/virtio/virtq.h"

#define NO_HELD 0xffffu

static inline uint16_t lap_wrap(const struct virtq *q, uint16_t idx)
{
	return (idx & q->size) ? 0 : 1;
}

/* off_wrap for the descriptor at free-running index idx */
static inline uint16_t off_wrap(const struct virtq *q, uint16_t idx)
{
	return (uint16_t)((idx & (q->size - 1)) | lap_wrap(q, idx) << 15);
}

size_t virtq_packed_ring_bytes(uint16_t size)
{
	return (size_t)16 * size + 8;
}

int virtq_init_packed(struct virtq *q, uint16_t index, uint16_t size, void *mem, uint64_t pa,
                      struct virtq_slot *slots, int event_idx)
{
	if (size == 0 || (size & (size - 1)) || size > VIRTQ_MAX_SIZE)
		return -1;
	memset(q, 0, sizeof(*q));
	memset(mem, 0, virtq_packed_ring_bytes(size));
	memset(slots, 0, sizeof(*slots) * size);
	q->packed = 1;
	q->size = size;
	q->index = index;
	q->event_idx = event_idx != 0;
	q->pdesc = (volatile struct virtq_pdesc *)mem;
	q->avail = (volatile uint16_t *)((uint8_t *)mem + 16 * (size_t)size);
	q->used = (volatile uint8_t *)mem + 16 * (size_t)size + 4;
	q->desc_pa = pa;
	q->avail_pa = pa + 16 * (uint64_t)size;
	q->used_pa = q->avail_pa + 4;
	q->slot = slots;
	for (uint16_t i = 0; i < size; i++)
		slots[i].next = (uint16_t)(i + 1);
	q->free_head = 0;
	q->nfree = size;
	q->held_head = NO_HELD;
	if (q->event_idx) {
		q->avail[0] = off_wrap(q, 0);
		q->avail[1] = VIRTQ_EV_DESC;
	}
	return 0;
}

int _virtq_packed_add(struct virtq *q, const struct virtq_buf *bufs, unsigned nout,
                      unsigned nin, void *token)
{
	unsigned n = nout + nin;
	if (q->broken || n == 0)
		return -2;
	for (unsigned i = 0; i < n; i++)
		if (bufs[i].len == 0)
			return -2;
	if (n > q->nfree) {
		q->st.full++;
		return -1;
	}
	uint16_t id = q->free_head;
	q->free_head = q->slot[id].next;
	uint16_t start = q->avail_idx, head_flags = 0;
	uint32_t wlen = 0;
	for (unsigned i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)(start + i);
		volatile struct virtq_pdesc *d = &q->pdesc[idx & (q->size - 1)];
		uint16_t flags = lap_wrap(q, idx) ? VIRTQ_PDESC_F_AVAIL : VIRTQ_PDESC_F_USED;
		if (i >= nout) {
			flags |= VIRTQ_DESC_F_WRITE;
			wlen += bufs[i].len;
		}
		if (i + 1 < n)
			flags |= VIRTQ_DESC_F_NEXT;
		d->addr = bufs[i].addr;
		d->len = bufs[i].len;
		d->id = id;
		if (i == 0)
			head_flags = flags;
		else
			d->flags = flags;   /* unseen until the head is available */
	}
	uint16_t head = start & (q->size - 1);
	if (q->held_head == NO_HELD) {
		q->held_head = head;
		q->held_flags = head_flags;
	} else {
		/* the device stops at the held head, before this one */
		__atomic_store_n(&q->pdesc[head].flags, head_flags, __ATOMIC_RELEASE);
	}
	q->avail_idx = (uint16_t)(start + n);
	q->nfree = (uint16_t)(q->nfree - n);
	q->slot[id].token = token;
	q->slot[id].ndesc = (uint16_t)n;
	q->slot[id].wlen = wlen;
	q->st.added++;
	return id;
}

int _virtq_packed_kick(struct virtq *q)
{
	uint16_t old = q->kicked_idx, new_idx = q->avail_idx;
	if (q->held_head != NO_HELD) {
		__atomic_store_n(&q->pdesc[q->held_head].flags, q->held_flags, __ATOMIC_RELEASE);
		q->held_head = NO_HELD;
	}
	q->kicked_idx = new_idx;
	if (old == new_idx)
		return 0;
	_virtq_fence(q);
	/* one load: off_wrap (low half) and flags as the device last wrote them */
	uint32_t ev = __atomic_load_n((volatile uint32_t *)q->used, __ATOMIC_RELAXED);
	uint16_t ow = (uint16_t)ev, flags = (uint16_t)(ev >> 16);
	int need;
	if (flags == VIRTQ_EV_DISABLE) {
		need = 0;
	} else if (flags == VIRTQ_EV_DESC && q->event_idx && (ow & 0x7fff) < q->size) {
		/* the event's entry in new's lap, or in the lap before */
		uint16_t e = (uint16_t)((new_idx & ~(q->size - 1)) + (ow & 0x7fff));
		if ((ow >> 15) != lap_wrap(q, new_idx))
			e = (uint16_t)(e - q->size);
		need = virtq_need_event(e, new_idx, old);
	} else {
		need = 1;   /* ENABLE, or a value we cannot read: notify */
	}
	if (need)
		q->st.notifies++;
	return need;
}

/* Is the descriptor at free-running index idx used in its lap? */
static int is_used(const struct virtq *q, uint16_t idx)
{
	uint16_t f = __atomic_load_n(&q->pdesc[idx & (q->size - 1)].flags, __ATOMIC_ACQUIRE);
	uint16_t w = lap_wrap(q, idx);
	return !!(f & VIRTQ_PDESC_F_AVAIL) == w && !!(f & VIRTQ_PDESC_F_USED) == w;
}

unsigned _virtq_packed_pending(const struct virtq *q)
{
	unsigned n = 0;
	uint16_t i = q->last_used;
	while (!q->broken && i != q->kicked_idx && n < q->size && is_used(q, i)) {
		uint16_t id = q->pdesc[i & (q->size - 1)].id;
		if (id >= q->size)
			break;
		uint16_t nd = q->slot[id].ndesc;
		if (nd == 0 || nd > (uint16_t)(q->kicked_idx - i))
			break;
		i = (uint16_t)(i + nd);
		n++;
	}
	return n;
}

void *_virtq_packed_get(struct virtq *q, uint32_t *len)
{
	/* nothing published is outstanding: no entry can be used */
	if (q->broken || q->last_used == q->kicked_idx || !is_used(q, q->last_used))
		return NULL;
	volatile struct virtq_pdesc *d = &q->pdesc[q->last_used & (q->size - 1)];
	uint16_t id = d->id;
	uint32_t ulen = d->len;
	if (id >= q->size) {
		q->st.bad_id++;
		q->broken = 1;
		return NULL;
	}
	struct virtq_slot *s = &q->slot[id];
	if (s->ndesc == 0) {
		q->st.dup_id++;
		q->broken = 1;
		return NULL;
	}
	if (s->ndesc > (uint16_t)(q->kicked_idx - q->last_used)) {
		q->st.bad_idx++;
		q->broken = 1;
		return NULL;
	}
	q->last_used = (uint16_t)(q->last_used + s->ndesc);
	if (q->event_idx)
		q->avail[0] = off_wrap(q, q->last_used);   /* interrupt at the next one */
	void *token = s->token;
	if (ulen > s->wlen) {
		q->st.bad_len++;
		ulen = 0;
	}
	q->nfree = (uint16_t)(q->nfree + s->ndesc);
	s->next = q->free_head;
	q->free_head = id;
	s->ndesc = 0;
	s->token = NULL;
	s->wlen = 0;
	q->st.used++;
	*len = ulen;
	return token;
}

void _virtq_packed_interrupts(struct virtq *q, int on)
{
	if (q->event_idx) {
		if (!on)
			return;   /* as the split layout: off_wrap stays where get left it */
		q->avail[0] = off_wrap(q, q->last_used);
		__atomic_store_n(&q->avail[1], (uint16_t)VIRTQ_EV_DESC, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&q->avail[1], (uint16_t)(on ? VIRTQ_EV_ENABLE : VIRTQ_EV_DISABLE),
		                 __ATOMIC_RELEASE);
		if (!on)
			return;
	}
	/* the request before the caller's re-check of the ring (Dekker) */
	_virtq_fence(q);
}

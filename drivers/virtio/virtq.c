/*
 * virtq.c - the split virtqueue's driver side (see virtq.h for the
 * layout, the invariants and what is not trusted), and the calls both
 * layouts share: each public call hands a packed queue to its half in
 * virtq_packed.c (one predictable branch; the rejected alternative, an
 * ops table per queue, costs an indirect call on every frame).
 *
 * Algorithm: virtq_add pops descriptors off the private free list, fills
 * them, links them with F_NEXT and writes the head into the avail ring
 * at avail_idx % size; virtq_kick stores avail->idx with release order
 * (the device must see the descriptors and ring entry before the index),
 * then, after a full fence (the device's avail_event or NO_NOTIFY flag
 * must be read after the index is visible, virtio 1.x 2.7.13.4), decides
 * whether to notify.  virtq_get reads used->idx with acquire order, then
 * the entry at last_used % size, checks it, puts the chain back on the
 * free list and returns the caller's token.  With the event index it
 * then writes used_event = last_used, so the device interrupts for the
 * next entry it adds.
 *
 * Fences: both halves of the notification protocol are Dekker's pattern
 * with the device (driver: store avail->idx, fence, load avail_event;
 * device: store avail_event, fence, load avail->idx; the same with
 * used_event and used->idx for interrupts), so the driver's fence must
 * order its store before its load as the device sees them.  Where the
 * CPU's fence does not (QEMU's TCG before 8.1 with one CPU drops it), the
 * transport sets q->fence and it is called after the CPU's fence in
 * virtq_kick and when interrupts are turned on (virtio_pci.c, "Fences").
 * The interleaving it prevents, seen at P=1 through a tap (the device's
 * state read through QEMU's monitor: its last_avail and avail_event at
 * N, the driver's avail->idx at N + 16, nothing used for seconds):
 *   device: has taken chains up to N-1; stores avail_event = N (wants
 *           a kick at N), fences, reads avail->idx = N (ours not visible
 *           yet): idle;
 *   driver: stores avail->idx = N+1 (held in the host's store buffer),
 *           "fence" (dropped), loads avail_event = N-1 (the device's
 *           store not visible yet): N-1 not in [N, N+1), no notify.
 * Every later kick covers [N+1, ...), never N again: the queue stays
 * stopped until the index wraps (65536 chains), so the guest's sends
 * stay in the ring (dropped once it is full) while it receives as before.
 *
 * Indices are free-running 16-bit counters compared by subtraction; the
 * ring slot is the index modulo size (size is a power of two, so a
 * mask), which stays right across the wrap at 65536.
 *
 * Rejected: threading the free list through desc[].next as most drivers
 * do.  The device can write the table (it is ordinary DMA memory), and a
 * free list it can corrupt would hand one descriptor to two chains.
 *
 * Context: any; no allocation, no lock (the caller's), no printing.
 */
#include <string.h>
#include "drivers/virtio/virtq.h"

#define AVAIL_FLAGS 0
#define AVAIL_IDX   1
#define AVAIL_RING  2

static size_t avail_off(uint16_t size) { return (size_t)16 * size; }

static size_t used_off(uint16_t size)
{
	size_t end = avail_off(size) + 2 * (3 + (size_t)size);   /* flags, idx, ring, used_event */
	return (end + 3) & ~(size_t)3;
}

size_t virtq_ring_bytes(uint16_t size)
{
	return used_off(size) + 2 * 3 + 8 * (size_t)size;   /* flags, idx, ring, avail_event */
}

static volatile uint16_t *used_idx_p(const struct virtq *q)
{
	return (volatile uint16_t *)(q->used + 2);
}

static volatile struct virtq_used_elem *used_elem(const struct virtq *q, uint16_t i)
{
	return (volatile struct virtq_used_elem *)(q->used + 4 + 8 * (size_t)i);
}

static volatile uint16_t *avail_event_p(const struct virtq *q)
{
	return (volatile uint16_t *)(q->used + 4 + 8 * (size_t)q->size);
}

int virtq_init(struct virtq *q, uint16_t index, uint16_t size, void *mem, uint64_t pa,
               struct virtq_slot *slots, int event_idx)
{
	if (size == 0 || (size & (size - 1)) || size > VIRTQ_MAX_SIZE)
		return -1;
	memset(q, 0, sizeof(*q));
	memset(mem, 0, virtq_ring_bytes(size));
	memset(slots, 0, sizeof(*slots) * size);
	q->size = size;
	q->index = index;
	q->event_idx = event_idx != 0;
	q->desc = (volatile struct virtq_desc *)mem;
	q->avail = (volatile uint16_t *)((uint8_t *)mem + avail_off(size));
	q->used = (volatile uint8_t *)mem + used_off(size);
	q->desc_pa = pa;
	q->avail_pa = pa + avail_off(size);
	q->used_pa = pa + used_off(size);
	q->slot = slots;
	for (uint16_t i = 0; i < size; i++)
		slots[i].next = (uint16_t)(i + 1);
	q->free_head = 0;
	q->nfree = size;
	return 0;
}

int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned nout, unsigned nin,
              void *token)
{
	if (q->packed)
		return _virtq_packed_add(q, bufs, nout, nin, token);
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
	uint16_t head = q->free_head, d = head;
	uint32_t wlen = 0;
	for (unsigned i = 0; i < n; i++) {
		volatile struct virtq_desc *e = &q->desc[d];
		e->addr = bufs[i].addr;
		e->len = bufs[i].len;
		uint16_t flags = i >= nout ? VIRTQ_DESC_F_WRITE : 0;
		if (i >= nout)
			wlen += bufs[i].len;
		d = q->slot[d].next;
		if (i + 1 < n)
			flags |= VIRTQ_DESC_F_NEXT;
		e->flags = flags;
		e->next = i + 1 < n ? d : 0;
	}
	q->free_head = d;
	q->nfree = (uint16_t)(q->nfree - n);
	q->slot[head].token = token;
	q->slot[head].ndesc = (uint16_t)n;
	q->slot[head].wlen = wlen;
	q->avail[AVAIL_RING + (q->avail_idx & (q->size - 1))] = head;
	q->avail_idx++;
	q->st.added++;
	return head;
}

/* The full fence, then the transport's device fence (above). */
void _virtq_fence(struct virtq *q)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->fence) {
		q->fence(q->fence_arg);
		q->st.fences++;
	}
}

int virtq_kick(struct virtq *q)
{
	if (q->packed)
		return _virtq_packed_kick(q);
	uint16_t old = q->kicked_idx, new_idx = q->avail_idx;
	__atomic_store_n(&q->avail[AVAIL_IDX], new_idx, __ATOMIC_RELEASE);
	q->kicked_idx = new_idx;
	if (old == new_idx)
		return 0;
	_virtq_fence(q);
	int need;
	if (q->event_idx)
		need = virtq_need_event(*avail_event_p(q), new_idx, old);
	else
		need = !(*(volatile uint16_t *)q->used & VIRTQ_USED_F_NO_NOTIFY);
	if (need)
		q->st.notifies++;
	return need;
}

unsigned virtq_pending(const struct virtq *q)
{
	if (q->packed)
		return _virtq_packed_pending(q);
	if (q->broken)
		return 0;
	uint16_t n = (uint16_t)(__atomic_load_n(used_idx_p(q), __ATOMIC_ACQUIRE) - q->last_used);
	return n <= q->size ? n : 0;
}

void *virtq_get(struct virtq *q, uint32_t *len)
{
	if (q->packed)
		return _virtq_packed_get(q, len);
	while (!q->broken) {
		uint16_t uidx = __atomic_load_n(used_idx_p(q), __ATOMIC_ACQUIRE);
		uint16_t ahead = (uint16_t)(uidx - q->last_used);
		if (ahead == 0)
			return NULL;
		/* the device cannot have used more chains than were made
		 * available to it */
		if (ahead > (uint16_t)(q->kicked_idx - q->last_used)) {
			q->st.bad_idx++;
			q->broken = 1;
			return NULL;
		}
		volatile struct virtq_used_elem *u = used_elem(q, q->last_used & (q->size - 1));
		uint32_t id = u->id, ulen = u->len;
		q->last_used++;
		if (q->event_idx)
			q->avail[AVAIL_RING + q->size] = q->last_used;   /* used_event */
		if (id >= q->size) {
			q->st.bad_id++;
			continue;
		}
		struct virtq_slot *s = &q->slot[id];
		if (s->ndesc == 0) {
			/* a chain already returned, or a descriptor that heads
			 * no chain in flight */
			q->st.dup_id++;
			continue;
		}
		void *token = s->token;
		if (ulen > s->wlen) {
			q->st.bad_len++;
			ulen = 0;
		}
		/* walk the chain by our own links: exactly ndesc descriptors */
		uint16_t last = (uint16_t)id;
		for (uint16_t k = 1; k < s->ndesc; k++)
			last = q->slot[last].next;
		q->slot[last].next = q->free_head;
		q->free_head = (uint16_t)id;
		q->nfree = (uint16_t)(q->nfree + s->ndesc);
		s->ndesc = 0;
		s->token = NULL;
		s->wlen = 0;
		q->st.used++;
		*len = ulen;
		return token;
	}
	return NULL;
}

void virtq_interrupts(struct virtq *q, int on)
{
	if (q->packed) {
		_virtq_packed_interrupts(q, on);
		return;
	}
	if (q->event_idx) {
		if (!on)
			return;  /* leave used_event behind; the device stops
			          * interrupting once it passed it (a hint, as the
			          * flag is) */
		q->avail[AVAIL_RING + q->size] = q->last_used;
	} else {
		q->avail[AVAIL_FLAGS] = on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
		if (!on)
			return;
	}
	/* the request must be visible before the caller's re-check of the
	 * used index (the device: used index, fence, used_event) */
	_virtq_fence(q);
}

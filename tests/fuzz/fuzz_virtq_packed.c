/*
 * fuzz_virtq_packed.c - the packed virtqueue (drivers/virtio/virtq_packed.c)
 * driven by a device that writes whatever the input says into the ring.
 *
 * Input: byte 0 picks the queue size (1 << (b % 9): 1..256) and the event
 * index (bit 7); then a script of 4-byte operations:
 *   op % 6 == 0  add a chain: nout = a % 4, nin = b % 4, lengths from c
 *   op % 6 == 1  kick
 *   op % 6 == 2  the device writes a used descriptor at its used entry:
 *                id = a | b << 8 (or the id of the next chain it finds
 *                available, when c & 1), len = c << 4, flags used in its
 *                lap (or the input's bits, when c & 2), then skips
 *                1 + (c >> 5) entries (wrapping its counter as it passes
 *                the end)
 *   op % 6 == 3  the device scribbles a descriptor: entry b % size gets
 *                bytes a (its id and flags included)
 *   op % 6 == 4  get until empty
 *   op % 6 == 5  the device writes its event area (off_wrap a | b << 8,
 *                flags c % 4) and interrupts are turned on or off (c & 4)
 *
 * Promises checked (virtq.h): nfree + sum of in-flight chains' ndesc ==
 * size == nfree + (avail_idx - last_used); every id is on the free list
 * or heads a chain in flight, never both; virtq_get returns only tokens
 * of chains in flight, each once, with a length within the chain's
 * writable bytes; virtq_pending never counts more than get could return
 * plus what is still outstanding; a broken queue returns nothing and
 * refuses adds.
 */
#include <stdlib.h>
#include <string.h>
#include "drivers/virtio/virtq.h"
#include "tests/fuzz/fuzz.h"

#define MAXQ 256

static struct virtq q;
static struct virtq_slot slots[MAXQ];
static _Alignas(16) uint8_t ring[16 * MAXQ + 8];
static int live[MAXQ];            /* token k in flight */
static uint32_t wlen_of[MAXQ];

static void check_invariants(void)
{
	static uint8_t seen[MAXQ];
	memset(seen, 0, sizeof(seen));
	unsigned inflight = 0, chains = 0;
	for (unsigned id = 0; id < q.size; id++)
		if (q.slot[id].ndesc) {
			inflight += q.slot[id].ndesc;
			chains++;
			seen[id] = 1;
		}
	FZ_CHECK(inflight + q.nfree == q.size);
	FZ_CHECK((uint16_t)(q.avail_idx - q.last_used) == inflight);
	uint16_t d = q.free_head;
	unsigned nfree_ids = 0;
	while (nfree_ids < q.size - chains && d < q.size && !seen[d]) {
		seen[d] = 1;
		nfree_ids++;
		d = q.slot[d].next;
	}
	/* every id not in flight is on the free list, reached once */
	for (unsigned id = 0; id < q.size; id++)
		FZ_CHECK(seen[id]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint16_t n = (uint16_t)(1u << (data[0] % 9));
	FZ_CHECK(virtq_packed_ring_bytes(n) <= sizeof(ring));
	FZ_CHECK(virtq_init_packed(&q, 0, n, ring, 0x10000, slots, data[0] & 0x80) == 0);
	memset(live, 0, sizeof(live));
	uint16_t dev_next = 0, dev_used = 0;
	uint8_t dev_avail_wrap = 1, dev_used_wrap = 1;
	for (size_t i = 1; i + 4 <= size; i += 4) {
		uint8_t op = data[i], a = data[i + 1], b = data[i + 2], c = data[i + 3];
		switch (op % 6) {
		case 0: {
			struct virtq_buf bufs[6];
			unsigned nout = a % 4, nin = b % 4;
			uint32_t w = 0;
			for (unsigned k = 0; k < nout + nin; k++) {
				bufs[k].addr = 0x100000 + k * 0x1000;
				bufs[k].len = 1 + (uint32_t)c * (k + 1);
				if (k >= nout)
					w += bufs[k].len;
			}
			int tok = -1;
			for (int k = 0; k < MAXQ; k++)
				if (!live[k]) {
					tok = k;
					break;
				}
			if (tok < 0)
				break;
			int was_broken = q.broken;
			int id = virtq_add(&q, bufs, nout, nin, (void *)(uintptr_t)(tok + 1));
			if (nout + nin == 0 || was_broken)
				FZ_CHECK(id == -2);
			if (id >= 0) {
				FZ_CHECK(id < n);
				live[tok] = 1;
				wlen_of[tok] = w;
			}
			break;
		}
		case 1:
			virtq_kick(&q);
			break;
		case 2: {
			uint16_t id = (uint16_t)(a | b << 8);
			uint16_t hf;
			memcpy(&hf, ring + 16u * dev_next + 14, 2);
			if ((c & 1) && !!(hf & VIRTQ_PDESC_F_AVAIL) == dev_avail_wrap &&
			    !!(hf & VIRTQ_PDESC_F_USED) != dev_avail_wrap) {
				/* take one chain honestly: its id from the last descriptor */
				for (unsigned k = 0; k < n; k++) {
					uint16_t f;
					memcpy(&f, ring + 16u * dev_next + 14, 2);
					memcpy(&id, ring + 16u * dev_next + 12, 2);
					if (++dev_next == n) {
						dev_next = 0;
						dev_avail_wrap ^= 1;
					}
					if (!(f & VIRTQ_DESC_F_NEXT))
						break;
				}
			}
			uint32_t len = (uint32_t)c << 4;
			uint16_t flags = dev_used_wrap ? (uint16_t)(VIRTQ_PDESC_F_AVAIL | VIRTQ_PDESC_F_USED)
			                               : 0;
			if (c & 2)
				flags = (uint16_t)(a << 8 | b);
			uint8_t *e = ring + 16u * dev_used;
			memcpy(e + 8, &len, 4);
			memcpy(e + 12, &id, 2);
			memcpy(e + 14, &flags, 2);
			dev_used = (uint16_t)(dev_used + 1 + (c >> 5));
			while (dev_used >= n) {
				dev_used = (uint16_t)(dev_used - n);
				dev_used_wrap ^= 1;
			}
			break;
		}
		case 3:
			memset(ring + 16u * (b % n), a, 16);
			break;
		case 4: {
			uint32_t len;
			void *t;
			unsigned guard = 0;
			unsigned pend = virtq_pending(&q);
			FZ_CHECK(pend <= n);
			while ((t = virtq_get(&q, &len)) != NULL) {
				uintptr_t k = (uintptr_t)t - 1;
				FZ_CHECK(k < MAXQ && live[k]);
				FZ_CHECK(len <= wlen_of[k]);
				live[k] = 0;
				FZ_CHECK(++guard <= n);
			}
			/* pending walks as get does: get returned at least that many
			 * unless the queue broke on the way */
			FZ_CHECK(guard >= pend || q.broken);
			if (q.broken)
				FZ_CHECK(virtq_pending(&q) == 0);
			break;
		}
		case 5: {
			uint16_t ow = (uint16_t)(a | b << 8), fl = c % 4;
			memcpy(ring + 16u * n + 4, &ow, 2);
			memcpy(ring + 16u * n + 6, &fl, 2);
			virtq_interrupts(&q, c & 4);
			break;
		}
		}
		check_invariants();
	}
	return 0;
}

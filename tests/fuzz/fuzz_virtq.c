/*
 * fuzz_virtq.c - the split virtqueue (drivers/virtio/virtq.c) driven by a
 * device that writes whatever the input says into the used ring.
 *
 * Input: byte 0 picks the queue size (1 << (b % 9): 1..256) and the event
 * index (bit 7); then a script of 4-byte operations:
 *   op % 5 == 0  add a chain: nout = a % 4, nin = b % 4, lengths from c
 *   op % 5 == 1  kick
 *   op % 5 == 2  the device writes used entry {id = a | b << 8 (or an id
 *                the driver made available, when c & 1), len = c << 4}
 *                at its used index and advances it by one
 *   op % 5 == 3  the device moves its used index by (int8_t)a
 *   op % 5 == 4  get until empty
 * The device also scribbles on the descriptor table when b & 0x80 on an
 * add (it may: the table is ordinary DMA memory).
 *
 * Promises checked (virtq.h): nfree + sum of in-flight chains' ndesc ==
 * size; no descriptor is in two in-flight chains or on the free list
 * while in flight (walked through the driver's own links); virtq_get
 * returns only tokens of chains that are in flight, each once, with a
 * length no larger than the chain's writable bytes; a broken queue
 * returns nothing and refuses adds; the chains the device can still hold
 * never exceed size.
 */
#include <stdlib.h>
#include <string.h>
#include "drivers/virtio/virtq.h"
#include "tests/fuzz/fuzz.h"

#define MAXQ 256

static struct virtq q;
static struct virtq_slot slots[MAXQ];
static _Alignas(16) uint8_t ring[16 * MAXQ + 6 + 2 * MAXQ + 4 + 6 + 8 * MAXQ];
static int live[MAXQ];            /* token k in flight: live[k] == chain head + 1 */
static uint32_t wlen_of[MAXQ];

static size_t used_base(uint16_t n) { return (16u * n + 6 + 2u * n + 3) & ~(size_t)3; }

static void check_invariants(void)
{
	static uint8_t seen[MAXQ];
	memset(seen, 0, sizeof(seen));
	unsigned inflight = 0;
	for (unsigned h = 0; h < q.size; h++) {
		if (q.slot[h].ndesc == 0)
			continue;
		uint16_t d = (uint16_t)h;
		for (unsigned k = 0; k < q.slot[h].ndesc; k++) {
			FZ_CHECK(d < q.size);
			FZ_CHECK(!seen[d]);
			seen[d] = 1;
			d = q.slot[d].next;
		}
		inflight += q.slot[h].ndesc;
	}
	FZ_CHECK(inflight + q.nfree == q.size);
	uint16_t d = q.free_head;
	for (unsigned k = 0; k < q.nfree; k++) {
		FZ_CHECK(d < q.size);
		FZ_CHECK(!seen[d]);
		seen[d] = 1;
		d = q.slot[d].next;
	}
	FZ_CHECK((uint16_t)(q.kicked_idx - q.last_used) <= q.size || q.broken);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint16_t n = (uint16_t)(1u << (data[0] % 9));
	FZ_CHECK(virtq_ring_bytes(n) <= sizeof(ring));
	FZ_CHECK(virtq_init(&q, 0, n, ring, 0x10000, slots, data[0] & 0x80) == 0);
	memset(live, 0, sizeof(live));
	uint16_t dev_used = 0, dev_avail = 0;
	size_t ub = used_base(n);
	for (size_t i = 1; i + 4 <= size; i += 4) {
		uint8_t op = data[i], a = data[i + 1], b = data[i + 2], c = data[i + 3];
		switch (op % 5) {
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
			int h = virtq_add(&q, bufs, nout, nin, (void *)(uintptr_t)(tok + 1));
			if (nout + nin == 0 || q.broken)
				FZ_CHECK(h == -2);
			if (h >= 0) {
				FZ_CHECK(h < n);
				live[tok] = h + 1;
				wlen_of[tok] = w;
			}
			if (b & 0x80)
				memset(ring + (c % n) * 16, a, 16);   /* device scribbles */
			break;
		}
		case 1:
			virtq_kick(&q);
			break;
		case 2: {
			uint32_t id = a | (uint32_t)b << 8;
			uint16_t avail_idx;
			memcpy(&avail_idx, ring + 16u * n + 2, 2);
			if ((c & 1) && dev_avail != avail_idx) {
				uint16_t h;
				memcpy(&h, ring + 16u * n + 4 + 2u * (dev_avail % n), 2);
				id = h;
				dev_avail++;
			}
			uint32_t len = (uint32_t)c << 4;
			size_t e = ub + 4 + 8u * (dev_used % n);
			memcpy(ring + e, &id, 4);
			memcpy(ring + e + 4, &len, 4);
			dev_used++;
			memcpy(ring + ub + 2, &dev_used, 2);
			break;
		}
		case 3:
			dev_used = (uint16_t)(dev_used + (int8_t)a);
			memcpy(ring + ub + 2, &dev_used, 2);
			break;
		case 4: {
			uint32_t len;
			void *t;
			unsigned guard = 0;
			while ((t = virtq_get(&q, &len)) != NULL) {
				uintptr_t k = (uintptr_t)t - 1;
				FZ_CHECK(k < MAXQ && live[k]);
				FZ_CHECK(len <= wlen_of[k]);
				live[k] = 0;
				FZ_CHECK(++guard <= n);
			}
			if (q.broken)
				FZ_CHECK(virtq_pending(&q) == 0);
			break;
		}
		}
		check_invariants();
	}
	return 0;
}

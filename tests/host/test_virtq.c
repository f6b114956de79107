/*
 * test_virtq.c - the split virtqueue (drivers/virtio/virtq.c) against a
 * device played here.
 *
 * The device side is written from the specification's layout (virtio 1.x
 * 2.7: descriptor table of 16-byte entries, avail ring flags/idx/ring/
 * used_event, used ring flags/idx/{id,len}/avail_event), reading the
 * memory at the offsets the spec gives, not through the driver's
 * structures: it takes the heads the driver made available, follows each
 * chain by desc[].next, and writes used entries, honest or not.  The
 * checks: every descriptor is handed out exactly once and comes back
 * exactly once; the 16-bit indices wrap; a full ring refuses; lying used
 * entries (out-of-range id, a chain returned twice, a descriptor that is
 * not a head, a length beyond the chain, an index beyond what was made
 * available) are counted and never returned as buffers; the event index
 * follows the spec's vring_need_event formula; the device fence (virtq.h)
 * comes after the driver's store and before its load in both of the
 * driver's halves of the Dekker pattern (docs/net.md, "A lost
 * notification at P=1").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/virtio/virtq.h"

#define QSIZE 8

struct dev {
	uint8_t *mem;       /* the ring memory as the device sees it */
	uint16_t size;
	uint16_t last_avail;   /* next avail index the device reads */
	uint16_t used_idx;     /* the device's used idx */
};

static struct virtq q;
static struct virtq_slot slots[VIRTQ_MAX_SIZE];
static uint8_t *ring;
static struct dev dv;

/* spec offsets, computed here independently of virtq.c */
static size_t d_avail(uint16_t n) { return 16u * n; }
static size_t d_used(uint16_t n) { return (16u * n + 6 + 2u * n + 3) & ~(size_t)3; }

static uint16_t rd16(size_t off) { uint16_t v; memcpy(&v, dv.mem + off, 2); return v; }
static void wr16(size_t off, uint16_t v) { memcpy(dv.mem + off, &v, 2); }
static void wr32(size_t off, uint32_t v) { memcpy(dv.mem + off, &v, 4); }

static uint16_t dev_avail_idx(void) { return rd16(d_avail(dv.size) + 2); }

/* The device takes the next available head; -1 if none. */
static int dev_take(void)
{
	if (dv.last_avail == dev_avail_idx())
		return -1;
	uint16_t h = rd16(d_avail(dv.size) + 4 + 2u * (dv.last_avail % dv.size));
	dv.last_avail++;
	return h;
}

/* Descriptor i as the device reads it. */
static void dev_desc(uint16_t i, uint64_t *addr, uint32_t *len, uint16_t *flags, uint16_t *next)
{
	const uint8_t *d = dv.mem + 16u * i;
	memcpy(addr, d, 8);
	memcpy(len, d + 8, 4);
	memcpy(flags, d + 12, 2);
	memcpy(next, d + 14, 2);
}

/* Put {id, len} in the used ring and publish it. */
static void dev_use(uint32_t id, uint32_t len)
{
	size_t e = d_used(dv.size) + 4 + 8u * (dv.used_idx % dv.size);
	wr32(e, id);
	wr32(e + 4, len);
	dv.used_idx++;
	wr16(d_used(dv.size) + 2, dv.used_idx);
}

static void setup_q(uint16_t size, int event_idx)
{
	free(ring);
	ring = aligned_alloc(16, (virtq_ring_bytes(size) + 15) & ~(size_t)15);
	assert_non_null(ring);
	assert_int_equal(virtq_init(&q, 0, size, ring, 0x100000, slots, event_idx), 0);
	memset(&dv, 0, sizeof(dv));
	dv.mem = ring;
	dv.size = size;
}

static int tokens[VIRTQ_MAX_SIZE * 2];

static void test_layout(void **state)
{
	(void)state;
	setup_q(256, 0);
	/* virtio 1.x 2.7: table 16*N, avail 6+2N, used 6+8N (4-aligned) */
	assert_int_equal(q.avail_pa - q.desc_pa, 4096);
	assert_int_equal(q.used_pa - q.desc_pa, 4096 + 6 + 512 + 2);   /* 4614 -> 4616 */
	assert_int_equal(virtq_ring_bytes(256), 4616 + 6 + 2048);
	assert_int_equal(virtq_init(&q, 0, 0, ring, 0, slots, 0), -1);
	assert_int_equal(virtq_init(&q, 0, 12, ring, 0, slots, 0), -1);
	assert_int_equal(virtq_init(&q, 0, 2048, ring, 0, slots, 0), -1);
}

/* Fill the ring with chains of mixed length; the device sees each
 * descriptor once; completion in a scrambled order gives every
 * descriptor back. */
static void test_descriptors_reused_exactly(void **state)
{
	(void)state;
	setup_q(QSIZE, 0);
	for (int round = 0; round < 50; round++) {
		int heads[QSIZE], nh = 0;
		unsigned lens[] = { 1, 3, 2, 1, 1 };   /* 8 descriptors */
		for (unsigned k = 0; k < 5; k++) {
			struct virtq_buf b[3];
			for (unsigned j = 0; j < lens[k]; j++)
				b[j] = (struct virtq_buf){ 0x1000u * (k + 1) + j, 100 + j };
			int h = virtq_add(&q, b, lens[k] > 1 ? 1 : 0, lens[k] > 1 ? lens[k] - 1 : 1,
			                  &tokens[k]);
			assert_true(h >= 0);
		}
		assert_int_equal(q.nfree, 0);
		virtq_kick(&q);
		/* device: follow each chain, mark every descriptor seen */
		int seen[QSIZE] = { 0 };
		int h;
		unsigned k = 0;
		while ((h = dev_take()) >= 0) {
			heads[nh++] = h;
			uint16_t i = (uint16_t)h, flags, next;
			uint64_t addr;
			uint32_t len;
			unsigned n = 0;
			for (;;) {
				assert_true(i < QSIZE);
				seen[i]++;
				dev_desc(i, &addr, &len, &flags, &next);
				assert_int_equal(addr, 0x1000u * (k + 1) + n);
				assert_int_equal(len, 100 + n);
				if (lens[k] > 1)
					assert_int_equal(!!(flags & VIRTQ_DESC_F_WRITE), n > 0);
				else
					assert_true(flags & VIRTQ_DESC_F_WRITE);
				n++;
				if (!(flags & VIRTQ_DESC_F_NEXT))
					break;
				i = next;
			}
			assert_int_equal(n, lens[k]);
			k++;
		}
		assert_int_equal(nh, 5);
		for (int i = 0; i < QSIZE; i++)
			assert_int_equal(seen[i], 1);
		/* complete in the order 2, 0, 4, 1, 3 */
		static const int order[] = { 2, 0, 4, 1, 3 };
		for (int j = 0; j < 5; j++)
			dev_use((uint32_t)heads[order[j]], 0);
		for (int j = 0; j < 5; j++) {
			uint32_t len = 99;
			assert_ptr_equal(virtq_get(&q, &len), &tokens[order[j]]);
			assert_int_equal(len, 0);
		}
		uint32_t len;
		assert_null(virtq_get(&q, &len));
		assert_int_equal(q.nfree, QSIZE);
	}
	assert_int_equal(q.st.bad_id + q.st.dup_id + q.st.bad_len + q.st.bad_idx, 0);
}

/* 70000 single-buffer round trips on a 4-entry queue: avail and used
 * indices wrap past 65535, and each token still comes back in order. */
static void test_index_wrap(void **state)
{
	(void)state;
	setup_q(4, 1);
	uint32_t done = 0;
	for (uint32_t i = 0; i < 70000; i++) {
		struct virtq_buf b = { 0x2000 + i, 64 };
		int h = virtq_add(&q, &b, 0, 1, &tokens[i % 3]);
		if (h == -1) {
			/* full: the device completes two */
			for (int j = 0; j < 2; j++) {
				int t = dev_take();
				assert_true(t >= 0);
				dev_use((uint32_t)t, 60);
			}
			for (int j = 0; j < 2; j++) {
				uint32_t len;
				assert_ptr_equal(virtq_get(&q, &len), &tokens[done % 3]);
				assert_int_equal(len, 60);
				done++;
			}
			h = virtq_add(&q, &b, 0, 1, &tokens[i % 3]);
		}
		assert_true(h >= 0);
		virtq_kick(&q);
		assert_int_equal(dev_avail_idx(), (uint16_t)(i + 1));
	}
	assert_true(done > 65536);
	assert_int_equal(q.last_used, (uint16_t)done);
	assert_int_equal(q.st.bad_idx + q.st.bad_id + q.st.dup_id, 0);
	/* used_event follows last_used: the spec's slot after the ring */
	assert_int_equal(rd16(d_avail(4) + 4 + 2 * 4), (uint16_t)done);
}

static void test_full_ring_refused(void **state)
{
	(void)state;
	setup_q(QSIZE, 0);
	struct virtq_buf b[3] = { { 0x1000, 10 }, { 0x2000, 10 }, { 0x3000, 10 } };
	assert_true(virtq_add(&q, b, 3, 0, &tokens[0]) >= 0);
	assert_true(virtq_add(&q, b, 3, 0, &tokens[1]) >= 0);
	/* 2 free: a chain of 3 is refused, the free list untouched */
	assert_int_equal(virtq_add(&q, b, 1, 2, &tokens[2]), -1);
	assert_int_equal(q.st.full, 1);
	assert_int_equal(q.nfree, 2);
	assert_true(virtq_add(&q, b, 2, 0, &tokens[2]) >= 0);
	assert_int_equal(virtq_add(&q, b, 1, 0, &tokens[3]), -1);
	assert_int_equal(q.st.full, 2);
	/* empty chains and zero lengths are refused as bad requests */
	assert_int_equal(virtq_add(&q, b, 0, 0, NULL), -2);
	virtq_kick(&q);
	assert_int_equal(dev_avail_idx(), 3);
}

/* A device that lies: none of its bad entries reach the caller, each is
 * counted, and the honest ones still do. */
static void test_device_lies(void **state)
{
	(void)state;
	setup_q(QSIZE, 0);
	struct virtq_buf b[2] = { { 0x1000, 100 }, { 0x2000, 200 } };
	int h0 = virtq_add(&q, b, 1, 1, &tokens[0]);   /* writable: 200 bytes */
	int h1 = virtq_add(&q, b, 0, 1, &tokens[1]);   /* writable: 100 bytes */
	assert_true(h0 >= 0 && h1 >= 0);
	/* four more in flight, so the device's six answers below do not
	 * outnumber the chains it holds */
	for (int k = 4; k < 8; k++)
		assert_true(virtq_add(&q, b, 0, 1, &tokens[k]) >= 0);
	virtq_kick(&q);
	int t0 = dev_take(), t1 = dev_take();
	assert_int_equal(t0, h0);
	assert_int_equal(t1, h1);
	uint16_t second; uint64_t a; uint32_t l; uint16_t f;
	dev_desc((uint16_t)h0, &a, &l, &f, &second);   /* not a head */

	dev_use(QSIZE + 5, 10);          /* out of range */
	dev_use(0xffffffffu, 10);        /* out of range */
	dev_use(second, 10);             /* inside a chain */
	dev_use((uint32_t)h0, 150);      /* honest */
	dev_use((uint32_t)h0, 150);      /* the same chain again */
	dev_use((uint32_t)h1, 4096);     /* longer than the 100 offered */
	uint32_t len;
	assert_ptr_equal(virtq_get(&q, &len), &tokens[0]);
	assert_int_equal(len, 150);
	assert_ptr_equal(virtq_get(&q, &len), &tokens[1]);
	assert_int_equal(len, 0);
	assert_null(virtq_get(&q, &len));
	assert_int_equal(q.st.bad_id, 2);
	assert_int_equal(q.st.dup_id, 2);
	assert_int_equal(q.st.bad_len, 1);
	assert_int_equal(q.st.used, 2);
	assert_int_equal(q.nfree, QSIZE - 4);

	/* a used index far beyond what was made available breaks the queue */
	int h2 = virtq_add(&q, b, 0, 1, &tokens[2]);
	assert_true(h2 >= 0);
	virtq_kick(&q);
	dv.used_idx += 3;   /* 1 chain made available since, 3 "used" */
	wr16(d_used(QSIZE) + 2, dv.used_idx);
	assert_null(virtq_get(&q, &len));
	assert_int_equal(q.st.bad_idx, 1);
	assert_true(q.broken);
	assert_int_equal(virtq_pending(&q), 0);
	assert_int_equal(virtq_add(&q, b, 0, 1, &tokens[3]), -2);
}

/* Notification suppression: NO_NOTIFY without the event index; with it,
 * the device's avail_event and the spec's formula (checked here by hand
 * on its worked cases). */
static void test_notify(void **state)
{
	(void)state;
	/* vring_need_event(event, new, old): notify iff event in [old, new) */
	assert_true(virtq_need_event(5, 6, 5));
	assert_false(virtq_need_event(6, 6, 5));
	assert_true(virtq_need_event(65535, 1, 65534));    /* across the wrap */
	assert_false(virtq_need_event(2, 1, 65534));

	struct virtq_buf b = { 0x1000, 10 };
	setup_q(QSIZE, 0);
	virtq_add(&q, &b, 1, 0, NULL);
	assert_int_equal(virtq_kick(&q), 1);
	assert_int_equal(virtq_kick(&q), 0);            /* nothing new */
	wr16(d_used(QSIZE), VIRTQ_USED_F_NO_NOTIFY);
	virtq_add(&q, &b, 1, 0, NULL);
	assert_int_equal(virtq_kick(&q), 0);
	virtq_interrupts(&q, 0);
	assert_int_equal(rd16(d_avail(QSIZE)), VIRTQ_AVAIL_F_NO_INTERRUPT);
	virtq_interrupts(&q, 1);
	assert_int_equal(rd16(d_avail(QSIZE)), 0);

	setup_q(QSIZE, 1);
	size_t avail_event = d_used(QSIZE) + 4 + 8 * QSIZE;
	wr16(avail_event, 2);            /* device: tell me when idx passes 2 */
	virtq_add(&q, &b, 1, 0, NULL);   /* 0 -> 1 */
	assert_int_equal(virtq_kick(&q), 0);
	virtq_add(&q, &b, 1, 0, NULL);
	virtq_add(&q, &b, 1, 0, NULL);   /* 1 -> 3 passes 2 */
	assert_int_equal(virtq_kick(&q), 1);
	assert_int_equal(q.st.notifies, 1);
}

/* The device's half, run at the driver's fence (where, on the machine,
 * the two sides' stores meet): the device of the P=1 stall had taken
 * every chain it saw, found the ring empty and asked for a kick at its
 * own last_avail (QEMU re-enabling notifications); here it also checks
 * that the driver's index was published before the fence. */
static uint16_t fence_want_idx;
static unsigned fence_calls;

static void fence_tx(void *arg)
{
	(void)arg;
	fence_calls++;
	assert_int_equal(dev_avail_idx(), fence_want_idx);   /* published first */
	/* the device went idle just before our index reached it: its
	 * avail_event now names the first chain it has not seen */
	wr16(d_used(dv.size) + 4 + 8u * dv.size, dv.last_avail);
}

static void fence_rx(void *arg)
{
	(void)arg;
	fence_calls++;
	/* the request must already be there: used_event asking for the next
	 * entry (or the NO_INTERRUPT flag clear); the device, adding one now,
	 * reads it and would interrupt; it adds one */
	if (q.event_idx)
		assert_int_equal(rd16(d_avail(dv.size) + 4 + 2u * dv.size), dv.used_idx);
	else
		assert_int_equal(rd16(d_avail(dv.size)), 0);
	int h = dev_take();
	assert_true(h >= 0);
	dev_use((uint32_t)h, 0);
}

static void test_device_fence(void **state)
{
	(void)state;
	struct virtq_buf b = { 0x1000, 10 };
	setup_q(QSIZE, 1);
	q.fence = fence_tx;
	/* the device took chains 0..2 and its avail_event still says 0 (it
	 * wrote it at its first pop; the later ones are in flight to us) */
	for (int i = 0; i < 3; i++)
		virtq_add(&q, &b, 1, 0, &tokens[i]);
	fence_want_idx = 3;
	fence_calls = 0;
	virtq_kick(&q);
	for (int i = 0; i < 3; i++)
		dev_use((uint32_t)dev_take(), 0);
	wr16(d_used(QSIZE) + 4 + 8 * QSIZE, 0);   /* stale: before the fence */
	uint32_t len;
	while (virtq_get(&q, &len))
		;
	/* chain 3 published; at the fence the device asks for a kick at 3:
	 * the decision must read that, not the stale 0 (which says no) */
	virtq_add(&q, &b, 1, 0, &tokens[3]);
	fence_want_idx = 4;
	assert_int_equal(virtq_kick(&q), 1);
	assert_int_equal(fence_calls, 2);
	assert_int_equal(q.st.fences, 2);
	assert_int_equal(virtq_kick(&q), 0);       /* nothing new: no fence */
	assert_int_equal(q.st.fences, 2);

	/* interrupts on: used_event written before the fence, and the entry
	 * the device added at the fence is seen by the caller's re-check */
	setup_q(QSIZE, 1);
	virtq_add(&q, &b, 0, 1, &tokens[0]);
	virtq_kick(&q);
	q.fence = fence_rx;
	fence_calls = 0;
	assert_int_equal(virtq_pending(&q), 0);
	virtq_interrupts(&q, 1);
	assert_int_equal(fence_calls, 1);
	assert_int_equal(virtq_pending(&q), 1);
	virtq_interrupts(&q, 0);                   /* off: no fence needed */
	assert_int_equal(fence_calls, 1);
	/* without the event index the flag is the request: the same order */
	setup_q(QSIZE, 0);
	virtq_add(&q, &b, 0, 1, &tokens[0]);
	virtq_kick(&q);
	virtq_interrupts(&q, 0);
	q.fence = fence_rx;
	fence_calls = 0;
	virtq_interrupts(&q, 1);
	assert_int_equal(rd16(d_avail(QSIZE)), 0);
	assert_int_equal(fence_calls, 1);
	assert_int_equal(virtq_pending(&q), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_descriptors_reused_exactly),
		cmocka_unit_test(test_index_wrap),
		cmocka_unit_test(test_full_ring_refused),
		cmocka_unit_test(test_device_lies),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_device_fence),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(ring);
	return rc;
}

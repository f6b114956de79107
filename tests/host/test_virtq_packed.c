/*
 * test_virtq_packed.c - the packed virtqueue (drivers/virtio/virtq_packed.c)
 * against a device played here.
 *
 * The device is written from the specification (virtio 1.1 2.8), reading
 * the memory at the offsets it gives, not through the driver's
 * structures: a ring of 16-byte descriptors {addr le64, len le32, id le16,
 * flags le16} at 0, the driver's event suppression area {off_wrap, flags}
 * after it, the device's after that.  It keeps its own two wrap counters
 * (both start at 1): it takes a chain at its next entry when the head's
 * AVAIL bit equals its counter and USED differs, follows F_NEXT, reads the
 * buffer id, and writes one used descriptor (AVAIL = USED = its used
 * counter) per chain at its used entry, then skips the chain's length.
 * The checks: every descriptor is seen once and every token comes back
 * once, in the order the device used them (out of order with respect to
 * the ring), over hundreds of laps and past the 16-bit wrap of the
 * driver's counters; nothing is visible before the kick; a full ring
 * refuses; lying used descriptors are counted and break the queue; the
 * notification decision follows the device area (ENABLE, DISABLE, DESC
 * across a lap's end, worked by hand); the driver area asks for
 * interrupts as the split layout's used_event does; the device fence is
 * called after the publishing store and before the load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/virtio/virtq.h"

#define F_NEXT  1u
#define F_WRITE 2u
#define F_AVAIL (1u << 7)
#define F_USED  (1u << 15)

struct dev {
	uint8_t *mem;
	uint16_t size;
	uint16_t next;        /* entry the device reads next */
	uint8_t avail_wrap;
	uint16_t used;        /* entry the device writes its next used descriptor at */
	uint8_t used_wrap;
	uint16_t ndesc[VIRTQ_MAX_SIZE];   /* chain length per id, as read */
};

static struct virtq q;
static struct virtq_slot slots[VIRTQ_MAX_SIZE];
static uint8_t *ring;
static struct dev dv;
static int tokens[VIRTQ_MAX_SIZE * 2];

static uint16_t rd16(size_t off) { uint16_t v; memcpy(&v, dv.mem + off, 2); return v; }
static void wr16(size_t off, uint16_t v) { memcpy(dv.mem + off, &v, 2); }
static size_t drv_area(void) { return 16u * dv.size; }
static size_t dev_area(void) { return 16u * dv.size + 4; }

struct dchain {
	int n;
	uint16_t id;
	uint64_t addr[8];
	uint32_t len[8];
	uint16_t flags[8];
};

/* Take the next available chain: 1 and *c, or 0 when none. */
static int dev_take(struct dchain *c)
{
	uint16_t f = rd16(16u * dv.next + 14);
	if (!!(f & F_AVAIL) != dv.avail_wrap || !!(f & F_USED) == dv.avail_wrap)
		return 0;
	c->n = 0;
	for (;;) {
		const uint8_t *d = dv.mem + 16u * dv.next;
		assert_true(c->n < 8);
		memcpy(&c->addr[c->n], d, 8);
		memcpy(&c->len[c->n], d + 8, 4);
		memcpy(&c->id, d + 12, 2);
		memcpy(&c->flags[c->n], d + 14, 2);
		/* every descriptor of the chain is available in this lap */
		assert_int_equal(!!(c->flags[c->n] & F_AVAIL), dv.avail_wrap);
		assert_int_equal(!!(c->flags[c->n] & F_USED), !dv.avail_wrap);
		uint16_t fl = c->flags[c->n];
		c->n++;
		if (++dv.next == dv.size) {
			dv.next = 0;
			dv.avail_wrap ^= 1;
		}
		if (!(fl & F_NEXT))
			break;
	}
	assert_true(c->id < dv.size);
	dv.ndesc[c->id] = (uint16_t)c->n;
	return 1;
}

/* Write a used descriptor for buffer id, skipping ndesc entries. */
static void dev_use_n(uint16_t id, uint32_t len, uint16_t ndesc)
{
	uint8_t *d = dv.mem + 16u * dv.used;
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &id, 2);
	uint16_t f = dv.used_wrap ? (uint16_t)(F_AVAIL | F_USED) : 0;
	memcpy(d + 14, &f, 2);
	dv.used = (uint16_t)(dv.used + ndesc);
	if (dv.used >= dv.size) {
		dv.used = (uint16_t)(dv.used - dv.size);
		dv.used_wrap ^= 1;
	}
}

static void dev_use(uint16_t id, uint32_t len) { dev_use_n(id, len, dv.ndesc[id]); }

static void setup_q(uint16_t size, int event_idx)
{
	free(ring);
	ring = aligned_alloc(16, (virtq_packed_ring_bytes(size) + 15) & ~(size_t)15);
	assert_non_null(ring);
	assert_int_equal(virtq_init_packed(&q, 0, size, ring, 0x100000, slots, event_idx), 0);
	memset(&dv, 0, sizeof(dv));
	dv.mem = ring;
	dv.size = size;
	dv.avail_wrap = dv.used_wrap = 1;
}

static void test_layout(void **state)
{
	(void)state;
	setup_q(256, 0);
	/* virtio 1.1 2.8.10: the ring 16*N, then the two 4-byte areas */
	assert_int_equal(virtq_packed_ring_bytes(256), 4096 + 8);
	assert_int_equal(q.avail_pa - q.desc_pa, 4096);
	assert_int_equal(q.used_pa - q.desc_pa, 4100);
	assert_int_equal(rd16(drv_area() + 2), 0);          /* interrupts: ENABLE */
	setup_q(256, 1);
	assert_int_equal(rd16(drv_area()), 0x8000);         /* entry 0, counter 1 */
	assert_int_equal(rd16(drv_area() + 2), 2);          /* DESC */
	assert_int_equal(virtq_init_packed(&q, 0, 0, ring, 0, slots, 0), -1);
	assert_int_equal(virtq_init_packed(&q, 0, 12, ring, 0, slots, 0), -1);
	assert_int_equal(virtq_init_packed(&q, 0, 2048, ring, 0, slots, 0), -1);
}

/* Chains of mixed length fill the ring; the device sees each once with
 * the right buffers and directions; completion in a scrambled order gives
 * every token back.  7 descriptors a round on 8 entries: chains straddle
 * the ring's end and the counters flip at a different place each lap. */
static void test_chains_out_of_order(void **state)
{
	(void)state;
	setup_q(8, 0);
	for (int round = 0; round < 200; round++) {
		static const unsigned lens[] = { 1, 3, 2, 1 };   /* 7 descriptors */
		uint16_t ids[4];
		for (unsigned k = 0; k < 4; k++) {
			struct virtq_buf b[3];
			for (unsigned j = 0; j < lens[k]; j++)
				b[j] = (struct virtq_buf){ 0x1000u * (k + 1) + j + 0x10000u * (unsigned)round,
				                            100 + j };
			unsigned nout = lens[k] > 1 ? 1 : 0;
			int id = virtq_add(&q, b, nout, lens[k] - nout, &tokens[k]);
			assert_true(id >= 0);
		}
		assert_int_equal(q.nfree, 1);
		virtq_kick(&q);
		struct dchain c;
		for (unsigned k = 0; k < 4; k++) {
			assert_true(dev_take(&c));
			assert_int_equal(c.n, lens[k]);
			for (int j = 0; j < c.n; j++) {
				assert_int_equal(c.addr[j], 0x1000u * (k + 1) + j + 0x10000u * (unsigned)round);
				assert_int_equal(c.len[j], 100 + j);
				int writable = lens[k] > 1 ? j > 0 : 1;
				assert_int_equal(!!(c.flags[j] & F_WRITE), writable);
				assert_int_equal(!!(c.flags[j] & F_NEXT), j + 1 < c.n);
			}
			ids[k] = c.id;
		}
		assert_false(dev_take(&c));
		static const int order[] = { 2, 0, 3, 1 };
		for (int j = 0; j < 4; j++)
			dev_use(ids[order[j]], (uint32_t)(10 + order[j]));
		for (int j = 0; j < 4; j++) {
			uint32_t len = 99;
			assert_ptr_equal(virtq_get(&q, &len), &tokens[order[j]]);
			assert_int_equal(len, 10 + order[j]);
		}
		uint32_t len;
		assert_null(virtq_get(&q, &len));
		assert_int_equal(q.nfree, 8);
	}
	assert_int_equal(q.st.bad_id + q.st.dup_id + q.st.bad_len + q.st.bad_idx, 0);
	assert_int_equal(q.st.used, 800);
}

/* A random mix (a fixed LCG): chains of 1..4 added while they fit, the
 * device taking some and completing any it holds, the driver taking
 * back; past 65536 descriptors, so the 16-bit counters wrap too. */
static uint32_t lcg = 12345;
static uint32_t rnd(uint32_t n)
{
	lcg = lcg * 1103515245u + 12345u;
	return (lcg >> 16) % n;
}

static void test_random_laps(void **state)
{
	(void)state;
	setup_q(16, 1);
	int held[16], nheld = 0;              /* ids the device holds */
	int expect[64], nexp = 0;             /* tokens in the order used */
	int in_flight_tok[16];                /* by id: token index */
	uint64_t descs = 0;
	for (int it = 0; it < 150000; it++) {
		unsigned n = 1 + rnd(4);
		if (n <= q.nfree && rnd(2)) {
			struct virtq_buf b[4];
			for (unsigned j = 0; j < n; j++)
				b[j] = (struct virtq_buf){ 0x5000u + j, 64 };
			int t = it % 64;
			int id = virtq_add(&q, b, 0, n, &tokens[t]);
			assert_true(id >= 0 && id < 16);
			in_flight_tok[id] = t;
			descs += n;
		}
		if (rnd(2))
			virtq_kick(&q);   /* chains may wait for a later kick */
		struct dchain c;
		if (rnd(2) && dev_take(&c))
			held[nheld++] = c.id;
		if (nheld && rnd(3) == 0) {
			int k = (int)rnd((uint32_t)nheld);
			uint16_t id = (uint16_t)held[k];
			held[k] = held[--nheld];
			dev_use(id, 64);
			expect[nexp++] = in_flight_tok[id];
		}
		if (rnd(2)) {
			uint32_t len;
			void *tok;
			int k = 0;
			while ((tok = virtq_get(&q, &len)) != NULL) {
				assert_true(k < nexp);
				assert_ptr_equal(tok, &tokens[expect[k]]);
				assert_int_equal(len, 64);
				k++;
			}
			assert_int_equal(k, nexp);
			nexp = 0;
		}
		/* the driver's books: free entries + in flight == size */
		assert_int_equal((uint16_t)(q.avail_idx - q.last_used) + q.nfree, 16);
	}
	assert_true(descs > 70000);
	assert_int_equal(q.st.bad_id + q.st.dup_id + q.st.bad_len + q.st.bad_idx, 0);
	assert_false(q.broken);
}

/* Added chains are invisible until the kick; a full ring refuses. */
static void test_visible_after_kick_and_full(void **state)
{
	(void)state;
	setup_q(8, 0);
	struct virtq_buf b[3] = { { 0x1000, 10 }, { 0x2000, 10 }, { 0x3000, 10 } };
	struct dchain c;
	assert_true(virtq_add(&q, b, 3, 0, &tokens[0]) >= 0);
	assert_true(virtq_add(&q, b, 3, 0, &tokens[1]) >= 0);
	assert_false(dev_take(&c));                 /* the first head is held back */
	assert_int_equal(virtq_add(&q, b, 1, 2, &tokens[2]), -1);
	assert_int_equal(q.st.full, 1);
	assert_int_equal(q.nfree, 2);
	assert_true(virtq_add(&q, b, 2, 0, &tokens[2]) >= 0);
	assert_int_equal(virtq_add(&q, b, 1, 0, &tokens[3]), -1);
	assert_int_equal(virtq_add(&q, b, 0, 0, NULL), -2);
	assert_false(dev_take(&c));
	virtq_kick(&q);
	assert_true(dev_take(&c) && c.n == 3);
	assert_true(dev_take(&c) && c.n == 3);
	assert_true(dev_take(&c) && c.n == 2);
	assert_false(dev_take(&c));
}

/* Lying devices: each lie counted, the queue broken, no token given. */
static void test_device_lies(void **state)
{
	(void)state;
	struct virtq_buf b[2] = { { 0x1000, 100 }, { 0x2000, 200 } };
	struct dchain c;
	uint32_t len;

	/* an over-long length: counted, reported as 0, the queue goes on */
	setup_q(8, 0);
	virtq_add(&q, b, 1, 1, &tokens[0]);       /* 200 writable */
	virtq_add(&q, b, 0, 1, &tokens[1]);
	virtq_kick(&q);
	assert_true(dev_take(&c));
	dev_use(c.id, 4096);
	assert_ptr_equal(virtq_get(&q, &len), &tokens[0]);
	assert_int_equal(len, 0);
	assert_int_equal(q.st.bad_len, 1);
	assert_true(dev_take(&c));
	dev_use(c.id, 100);
	assert_ptr_equal(virtq_get(&q, &len), &tokens[1]);
	assert_int_equal(len, 100);

	/* an id out of range */
	setup_q(8, 0);
	virtq_add(&q, b, 0, 1, &tokens[0]);
	virtq_kick(&q);
	dev_use_n(8, 10, 1);
	assert_null(virtq_get(&q, &len));
	assert_int_equal(q.st.bad_id, 1);
	assert_true(q.broken);
	assert_int_equal(virtq_pending(&q), 0);
	assert_int_equal(virtq_add(&q, b, 0, 1, &tokens[1]), -2);

	/* the same chain twice */
	setup_q(8, 0);
	virtq_add(&q, b, 0, 1, &tokens[0]);
	virtq_add(&q, b, 0, 1, &tokens[1]);
	virtq_kick(&q);
	assert_true(dev_take(&c));
	dev_use(c.id, 10);
	dev_use(c.id, 10);
	assert_ptr_equal(virtq_get(&q, &len), &tokens[0]);
	assert_null(virtq_get(&q, &len));
	assert_int_equal(q.st.dup_id, 1);
	assert_true(q.broken);

	/* an id that was never made available (only added: no kick) */
	setup_q(8, 0);
	virtq_add(&q, b, 0, 1, &tokens[0]);
	virtq_kick(&q);
	int late = virtq_add(&q, b, 1, 1, &tokens[1]);   /* 2 descriptors, not published */
	assert_true(late >= 0);
	dev_use_n((uint16_t)late, 10, 2);
	assert_null(virtq_get(&q, &len));
	assert_int_equal(q.st.bad_idx, 1);
	assert_true(q.broken);

	/* a used descriptor where nothing is outstanding is never read */
	setup_q(8, 0);
	dev_use_n(0, 10, 1);
	assert_null(virtq_get(&q, &len));
	assert_int_equal(virtq_pending(&q), 0);
	assert_false(q.broken);
}

/* The device area decides notifications. */
static void test_notify(void **state)
{
	(void)state;
	struct virtq_buf b = { 0x1000, 10 };
	setup_q(4, 0);
	virtq_add(&q, &b, 1, 0, NULL);
	assert_int_equal(virtq_kick(&q), 1);          /* ENABLE (zeroed) */
	assert_int_equal(virtq_kick(&q), 0);          /* nothing new */
	wr16(dev_area() + 2, 1);                      /* DISABLE */
	virtq_add(&q, &b, 1, 0, NULL);
	assert_int_equal(virtq_kick(&q), 0);
	wr16(dev_area() + 2, 2);                      /* DESC, but no event index: notify */
	virtq_add(&q, &b, 1, 0, NULL);
	assert_int_equal(virtq_kick(&q), 1);

	/* DESC with the event index, size 4.  Descriptors 0..2 published (lap 0,
	 * counter 1); then 3, 4 (entries 3 and 0 of lap 1, counter 0). */
	setup_q(4, 1);
	wr16(dev_area(), 0x8000 | 3);                 /* entry 3, counter 1 */
	wr16(dev_area() + 2, 2);
	for (int i = 0; i < 3; i++)
		virtq_add(&q, &b, 0, 1, &tokens[i]);
	assert_int_equal(virtq_kick(&q), 0);          /* 0..2 do not reach entry 3 */
	struct dchain c;
	for (int i = 0; i < 3; i++) {
		assert_true(dev_take(&c));
		dev_use(c.id, 0);
	}
	uint32_t len;
	while (virtq_get(&q, &len))
		;
	virtq_add(&q, &b, 0, 1, &tokens[3]);          /* index 3: entry 3, counter 1 */
	virtq_add(&q, &b, 0, 1, &tokens[4]);          /* index 4: entry 0, counter 0 */
	assert_int_equal(virtq_kick(&q), 1);          /* passed entry 3 of counter 1 */
	assert_true(dev_take(&c));
	dev_use(c.id, 0);
	assert_true(dev_take(&c));
	dev_use(c.id, 0);
	while (virtq_get(&q, &len))
		;
	wr16(dev_area(), 0x0000 | 2);                 /* entry 2 of the lap with counter 0 */
	virtq_add(&q, &b, 0, 1, &tokens[5]);          /* index 5: entry 1 */
	assert_int_equal(virtq_kick(&q), 0);
	virtq_add(&q, &b, 0, 1, &tokens[6]);          /* index 6: entry 2 */
	assert_int_equal(virtq_kick(&q), 1);
	wr16(dev_area(), 0x8000 | 3);                 /* entry 3 of the lap before: passed */
	virtq_add(&q, &b, 0, 1, &tokens[7]);          /* index 7: entry 3, counter 0 */
	assert_int_equal(virtq_kick(&q), 0);
	wr16(dev_area(), 0x7fff);                     /* an entry past the ring: notify */
	assert_true(dev_take(&c) && dev_take(&c) && dev_take(&c));
	virtq_add(&q, &b, 0, 1, &tokens[8]);
	assert_int_equal(virtq_kick(&q), 1);
	assert_int_equal(q.st.notifies, 3);
}

/* The driver area asks for interrupts. */
static void test_interrupts(void **state)
{
	(void)state;
	struct virtq_buf b = { 0x1000, 10 };
	setup_q(4, 0);
	virtq_interrupts(&q, 0);
	assert_int_equal(rd16(drv_area() + 2), 1);     /* DISABLE */
	virtq_interrupts(&q, 1);
	assert_int_equal(rd16(drv_area() + 2), 0);     /* ENABLE */

	setup_q(4, 1);
	struct dchain c;
	uint32_t len;
	for (int i = 0; i < 5; i++) {
		virtq_add(&q, &b, 0, 1, &tokens[0]);
		virtq_kick(&q);
		assert_true(dev_take(&c));
		dev_use(c.id, 0);
		assert_non_null(virtq_get(&q, &len));
		/* off_wrap names the next entry to read, with its lap's counter */
		uint16_t want = (uint16_t)(((i + 1) % 4) | ((i + 1) / 4 % 2 ? 0 : 0x8000));
		assert_int_equal(rd16(drv_area()), want);
	}
	virtq_interrupts(&q, 0);
	assert_int_equal(rd16(drv_area() + 2), 2);     /* still DESC, as split's used_event */
	wr16(drv_area(), 0);
	virtq_interrupts(&q, 1);
	assert_int_equal(rd16(drv_area()), 1);         /* entry 1, counter 0 */
	assert_int_equal(rd16(drv_area() + 2), 2);
}

/* The fence comes after the head is published, and the kick decides on
 * what the device wrote at the fence (the P=1 interleaving, docs/net.md). */
static unsigned fence_calls;

static void fence_dev(void *arg)
{
	(void)arg;
	fence_calls++;
	/* published first: the head at the device's next entry is available */
	uint16_t f = rd16(16u * dv.next + 14);
	assert_int_equal(!!(f & F_AVAIL), dv.avail_wrap);
	assert_int_equal(!!(f & F_USED), !dv.avail_wrap);
	/* the device went idle just before it saw it: notify me at my next
	 * entry (the stale event said 0, which the kick must not use) */
	wr16(dev_area(), (uint16_t)(dv.next | (dv.avail_wrap ? 0x8000 : 0)));
}

static void fence_irq(void *arg)
{
	(void)arg;
	fence_calls++;
	assert_int_equal(rd16(drv_area()), 0x8000 | 1);   /* request written first */
	struct dchain c;
	assert_true(dev_take(&c));
	dev_use(c.id, 0);
}

static void test_device_fence(void **state)
{
	(void)state;
	struct virtq_buf b = { 0x1000, 10 };
	setup_q(8, 1);
	wr16(dev_area(), 0x8000 | 0);                  /* stale: entry 0 */
	wr16(dev_area() + 2, 2);
	virtq_add(&q, &b, 0, 1, &tokens[0]);
	virtq_kick(&q);                                 /* index 0: notify */
	struct dchain c;
	assert_true(dev_take(&c));
	dev_use(c.id, 0);
	uint32_t len;
	assert_non_null(virtq_get(&q, &len));
	/* the device's event still says 0; at the fence it asks for entry 1 */
	q.fence = fence_dev;
	virtq_add(&q, &b, 0, 1, &tokens[1]);
	fence_calls = 0;
	assert_int_equal(virtq_kick(&q), 1);
	assert_int_equal(fence_calls, 1);
	assert_int_equal(q.st.fences, 1);
	assert_int_equal(virtq_kick(&q), 0);            /* nothing new: no fence */
	assert_int_equal(q.st.fences, 1);

	setup_q(8, 1);
	virtq_add(&q, &b, 0, 1, &tokens[0]);
	virtq_add(&q, &b, 0, 1, &tokens[1]);
	virtq_kick(&q);
	assert_true(dev_take(&c));
	dev_use(c.id, 0);
	assert_non_null(virtq_get(&q, &len));
	q.fence = fence_irq;
	fence_calls = 0;
	assert_int_equal(virtq_pending(&q), 0);
	virtq_interrupts(&q, 1);
	assert_int_equal(fence_calls, 1);
	assert_int_equal(virtq_pending(&q), 1);
	virtq_interrupts(&q, 0);
	assert_int_equal(fence_calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_chains_out_of_order),
		cmocka_unit_test(test_random_laps),
		cmocka_unit_test(test_visible_after_kick_and_full),
		cmocka_unit_test(test_device_lies),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_interrupts),
		cmocka_unit_test(test_device_fence),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(ring);
	return rc;
}

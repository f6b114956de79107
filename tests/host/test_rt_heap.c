/*
 * test_rt_heap.c - host tests of the runtime's allocator (rt/heap/).
 *
 * What is proved:
 *   - size classes, against a brute-force reading of the table (not the
 *     lookup tables under test): every request of 1..32768 bytes maps to
 *     the smallest class that holds it; every request above 48 bytes
 *     wastes at most 12.5% of its object; every span's tail is at most 1/8
 *     of it; a request that is a multiple of 16 gets a 16-byte-aligned
 *     class; divmul gives offset / size for every offset of every span;
 *   - in one thread: objects of every size are disjoint, aligned, as big
 *     as asked (usable size), keep what is written into them; realloc
 *     keeps the contents; calloc returns zeros in memory that held data;
 *     posix_memalign honours every alignment up to 64 KiB and refuses a
 *     non-power of two; freed memory is reused; an object freed on the M
 *     whose window it is in goes back into that window, and comes free
 *     in its span when the window is given back;
 *   - the scavenger gives pages back: mincore() (the kernel's word, not
 *     the allocator's) says the released range is no longer resident;
 *   - on 4 Ms with preemption: goroutines allocate, fill, pass objects to
 *     each other over a channel and free them on another M; every object
 *     still holds its own pattern when freed (no object handed out twice);
 *   - misuse ends the program with status 2 and the report: a double free
 *     (small and large), a pointer into the middle of an object, a pointer
 *     the allocator never returned; with checks on, a write after free is
 *     reported when the object is reused.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <errno.h>
#include <cmocka.h>
#include "rt/heap/heap.h"
#include "rt/include/tally.h"
#include "tests/host/rt_test.h"

struct shared {
	volatile int64_t done;
	volatile int64_t bad;
	volatile int64_t objects;
};
RT_TEST_SCAFFOLD

static void heap_ready(void)
{
	void *p = rt_malloc(1);  /* the first slow path makes the arena */
	assert_non_null(p);
	rt_free(p);
}

/* ---- size classes ---- */

static unsigned table_class(size_t n)
{
	for (unsigned c = 1; c < RT_NCLASSES; c++)
		if (rt_class[c].size >= n)
			return c;
	return 0;
}

static void test_sizeclass_table(void **st)
{
	(void)st;
	heap_ready();
	for (size_t n = 1; n <= RT_SMALL_MAX; n++) {
		unsigned c = table_class(n);
		assert_int_equal(rt_size_class(n), c);
		if (n <= 1024)
			assert_int_equal(rt_size_to_koff[n], c * sizeof(struct mcache_class));
		uint32_t size = rt_class[c].size;
		if (n > 112 && (size - n) * 8 > size)
			fail_msg("request %zu in class %u of %u bytes wastes more than 12.5%%", n, c, size);
		if (n > 8 && size % 16)
			fail_msg("request %zu in class %u of %u bytes: not 16-byte aligned", n, c, size);
	}
	for (unsigned c = 1; c < RT_NCLASSES; c++) {
		const struct rt_sizeclass *k = &rt_class[c];
		size_t span = k->npages * RT_HP;
		assert_int_equal(k->nelems, span / k->size);
		if ((span - k->nelems * k->size) * 8 > span)
			fail_msg("class %u: tail of %zu bytes in a %zu-byte span", c,
			         span - k->nelems * k->size, span);
		for (size_t off = 0; off < span; off++)
			if ((((uint64_t)off * k->divmul) >> 32) != off / k->size)
				fail_msg("class %u: divmul wrong at offset %zu", c, off);
	}
}

/* ---- one thread ---- */

struct obj {
	unsigned char *p;
	size_t n;
};

static int by_addr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct obj *)a)->p, y = (uintptr_t)((const struct obj *)b)->p;
	return x < y ? -1 : x > y;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7);
}

static int holds(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed * 131 + i * 7))
			return 0;
	return 1;
}

#define NOBJ 6000

static void test_objects_disjoint(void **st)
{
	(void)st;
	heap_ready();
	static struct obj o[NOBJ];
	unsigned seed = 12345;
	for (int i = 0; i < NOBJ; i++) {
		seed = seed * 1103515245 + 12345;
		size_t n = i % 50 == 0 ? 40000 + seed % 200000 : 1 + (seed >> 8) % (i % 3 ? 256 : 32768);
		o[i].p = rt_malloc(n);
		o[i].n = n;
		assert_non_null(o[i].p);
		if (n >= 16)
			assert_int_equal((uintptr_t)o[i].p % 16, 0);
		assert_true(rt_malloc_usable_size(o[i].p) >= n);
		fill(o[i].p, n, (unsigned)i);
	}
	for (int i = 0; i < NOBJ; i++)
		if (!holds(o[i].p, o[i].n, (unsigned)i))
			fail_msg("object %d (%zu bytes) was overwritten", i, o[i].n);
	qsort(o, NOBJ, sizeof(o[0]), by_addr);
	for (int i = 1; i < NOBJ; i++)
		if (o[i - 1].p + o[i - 1].n > o[i].p)
			fail_msg("objects at %p (%zu bytes) and %p overlap", (void *)o[i - 1].p, o[i - 1].n,
			         (void *)o[i].p);
	for (int i = 0; i < NOBJ; i++)
		rt_free(o[i].p);
	/* freed memory is reused: the same requests again fit in what the
	 * first round made the arena grow to */
	struct rt_heap_stats a, b;
	rt_heap_read_stats(&a);
	for (int i = 0; i < NOBJ; i++)
		o[i].p = rt_malloc(64);
	rt_heap_read_stats(&b);
	assert_int_equal(a.arena_used, b.arena_used);
	for (int i = 0; i < NOBJ; i++)
		rt_free(o[i].p);
}

static void test_realloc_calloc(void **st)
{
	(void)st;
	heap_ready();
	unsigned char *p = rt_malloc(10);
	fill(p, 10, 1);
	for (size_t n = 11; n < 300000; n = n * 3 / 2) {
		p = rt_realloc(p, n);
		assert_non_null(p);
		assert_true(holds(p, 10, 1));
	}
	p = rt_realloc(p, 5);
	assert_true(holds(p, 5, 1));
	void *z = rt_realloc(p, 0);  /* frees p, returns a minimal object */
	assert_non_null(z);
	rt_free(z);
	/* calloc after the same class held data */
	for (int round = 0; round < 3; round++) {
		unsigned char *d[200];
		for (int i = 0; i < 200; i++) {
			d[i] = rt_malloc(96);
			memset(d[i], 0xa5, 96);
		}
		for (int i = 0; i < 200; i++)
			rt_free(d[i]);
		for (int i = 0; i < 200; i++) {
			d[i] = rt_calloc(12, 8);
			for (int k = 0; k < 96; k++)
				if (d[i][k])
					fail_msg("calloc returned a non-zero byte at %d", k);
		}
		for (int i = 0; i < 200; i++)
			rt_free(d[i]);
	}
	unsigned char *big = rt_malloc(1 << 20);
	memset(big, 0x5a, 1 << 20);
	rt_free(big);
	big = rt_calloc(1, 1 << 20);
	for (int k = 0; k < 1 << 20; k++)
		if (big[k])
			fail_msg("calloc (large) returned a non-zero byte at %d", k);
	rt_free(big);
	errno = 0;
	assert_null(rt_calloc(SIZE_MAX / 2, 3));
	assert_int_equal(errno, ENOMEM);
}

static void test_memalign(void **st)
{
	(void)st;
	heap_ready();
	for (size_t align = 8; align <= 65536; align *= 2)
		for (size_t n = 1; n < 100000; n = n * 5 + 3) {
			void *p = NULL;
			assert_int_equal(rt_posix_memalign(&p, align, n), 0);
			if ((uintptr_t)p % align)
				fail_msg("posix_memalign(%zu, %zu) gave %p", align, n, p);
			memset(p, 1, n);
			assert_true(rt_malloc_usable_size(p) >= n);
			rt_free(p);
		}
	void *p = (void *)1;
	assert_int_equal(rt_posix_memalign(&p, 24, 10), EINVAL);
	assert_int_equal(rt_posix_memalign(&p, 4, 10), EINVAL);
	assert_ptr_equal(p, (void *)1);  /* untouched on error */
}

static void test_scavenge_mincore(void **st)
{
	(void)st;
	heap_ready();
	size_t n = 32u << 20;
	unsigned char *p = rt_malloc(n);
	assert_non_null(p);
	memset(p, 7, n);  /* resident now */
	long pg = sysconf(_SC_PAGESIZE);
	static unsigned char vec[(32u << 20) / 4096];
	assert_int_equal(mincore(p, n, vec), 0);
	size_t resident = 0;
	for (size_t i = 0; i < n / (size_t)pg; i++)
		resident += vec[i] & 1;
	assert_int_equal(resident, n / (size_t)pg);
	rt_free(p);
	rt_heap_scavenge(0);
	assert_int_equal(mincore(p, n, vec), 0);
	resident = 0;
	for (size_t i = 0; i < n / (size_t)pg; i++)
		resident += vec[i] & 1;
	if (resident)
		fail_msg("%zu of %zu pages still resident after the scavenger ran", resident, n / (size_t)pg);
	/* and the pages come back, zeroed, when allocated again */
	unsigned char *q = rt_malloc(n);
	assert_non_null(q);
	for (size_t i = 0; i < n; i += 4096)
		assert_int_equal(q[i], 0);
	rt_free(q);
}

/* ---- goroutines on 4 Ms ---- */

#define WORKERS 8
#define ROUNDS 3000

struct msg {
	unsigned char *p;
	size_t n;
	unsigned seed;
};

static struct tally_chan *pass;
static struct tally_waitgroup wg;

static void worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 7919u + 1;
	for (int r = 0; r < ROUNDS; r++) {
		seed = seed * 1103515245 + 12345;
		size_t n = 1 + (seed >> 8) % (r % 97 == 0 ? 70000 : 512);
		struct msg m = { rt_malloc(n), n, seed };
		RT_CHECK(m.p != NULL);
		fill(m.p, n, seed);
		tally_chan_send(pass, &m);  /* someone, maybe on another M, frees it */
		struct msg got;
		tally_chan_recv(pass, &got);
		if (!holds(got.p, got.n, got.seed))
			tally_atomic_add(&S->bad, 1);
		rt_free(got.p);
		tally_atomic_add(&S->objects, 1);
	}
	tally_waitgroup_done(&wg);
}

static void stress_main(void *arg)
{
	(void)arg;
	pass = tally_chan_make(sizeof(struct msg), 16);
	tally_waitgroup_add(&wg, WORKERS);
	for (uintptr_t i = 0; i < WORKERS; i++)
		tally_go(worker, (void *)i);
	tally_waitgroup_wait(&wg);
	S->done = 1;
}

static void test_goroutines_4m(void **st)
{
	(void)st;
	reset();
	rt_test_run(stress_main, NULL, 1);
	assert_int_equal(S->done, 1);
	assert_int_equal(S->bad, 0);
	reset();
	rt_test_run(stress_main, NULL, 4);
	assert_int_equal(S->done, 1);
	assert_int_equal(S->bad, 0);
	assert_int_equal(S->objects, WORKERS * ROUNDS);
}

/* free() of an object of the caller's current window puts it back into
 * the window (rt_free's fast path): it is counted as recycled, the next
 * malloc of its class hands it out again, and when the window is given
 * back (as the collector's pauses do) its bit comes clear in the span like
 * any unused reserved object's, with the span's free count agreeing with
 * its bitmap. */
static unsigned span_clear_bits(const struct mspan *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->nelems; i++)
		n += !(s->allocbits[i / 64] & (1ull << (i % 64)));
	return n;
}

static void test_free_into_window(void **st)
{
	(void)st;
	heap_ready();
	struct rt_heap_stats a, b;
	rt_heap_read_stats(&a);
	char *p = rt_malloc(208);
	rt_free(p);
	rt_heap_read_stats(&b);
	assert_int_equal(b.recycled, a.recycled + 1);
	assert_ptr_equal(rt_malloc(208), p);
	memset(p, 0x5a, 208);
	rt_free(p);
	struct mspan *s = rt_span_of((uintptr_t)p);
	unsigned idx = (unsigned)(((uintptr_t)p - s->base) / s->elemsize);
	assert_true(s->allocbits[idx / 64] & (1ull << (idx % 64)));  /* the window's */
	rt_mcache_release_all(&rt_mcaches[plat_m_id()]);
	assert_false(s->allocbits[idx / 64] & (1ull << (idx % 64)));
	assert_int_equal(s->nfree, span_clear_bits(s));
	/* it held data: calloc of its class must clear it */
	for (int i = 0; i < 64; i++) {
		unsigned char *z = rt_calloc(1, 208);
		for (int k = 0; k < 208; k++)
			if (z[k])
				fail_msg("calloc returned a non-zero byte at %d", k);
	}
}

/* ---- misuse ---- */

static void double_free_small(void *a)
{
	(void)a;
	void *p = rt_malloc(40);
	rt_free(p);
	rt_free(p);
}

static void double_free_large(void *a)
{
	(void)a;
	void *p = rt_malloc(100000);
	rt_free(p);
	rt_free(p);
}

static void free_interior(void *a)
{
	(void)a;
	char *p = rt_malloc(64);
	rt_free(p + 8);
}

static void free_foreign(void *a)
{
	(void)a;
	int x;
	rt_free(&x);
}

static void write_after_free(void *a)
{
	(void)a;
	rt_heap_set_checks(1);  /* before this process's first allocation */
	char *p = rt_malloc(3000);
	rt_free(p);
	p[100] = 1;  /* the bug */
	for (int i = 0; i < 64; i++)
		rt_malloc(3000);  /* reuse reserves the freed object again */
}

static void test_misuse(void **st)
{
	(void)st;
	expect_fatal(double_free_small, 1, "): double free (48-byte object at ");
	expect_fatal(double_free_large, 1, "double free (the memory is already free)");
	expect_fatal(free_interior, 1, "pointer into the middle of an object (64-byte object at ");
	expect_fatal(free_foreign, 1, "not a pointer the allocator returned");
	expect_fatal(write_after_free, 1, "malloc: write after free at ");
	if (!strstr(rt_test_output(), "byte 100 of the 3200-byte object"))
		fail_msg("report does not name the byte:\n%s", rt_test_output());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: its children must inherit a heap nothing used yet
		 * (heapcheck is set before the first allocation) */
		cmocka_unit_test(test_misuse),
		/* second: its class's first span must be fresh (all zero, its
		 * needzero clear), so only free() can make calloc clear it */
		cmocka_unit_test(test_free_into_window),
		cmocka_unit_test(test_sizeclass_table),
		cmocka_unit_test(test_objects_disjoint),
		cmocka_unit_test(test_realloc_calloc),
		cmocka_unit_test(test_memalign),
		cmocka_unit_test(test_scavenge_mincore),
		cmocka_unit_test(test_goroutines_4m),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

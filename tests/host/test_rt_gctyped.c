/*
 * test_rt_gctyped.c - host tests of typed collected objects
 * (rt/heap/gctyped.c, tally_gc_alloc_typed), each in a runtime child with
 * 1 and 4 Ms.
 *
 * The question: does a word the bitmap calls "not a pointer" keep its
 * "target" alive?  Each target is made by a goroutine that exits, and is
 * named afterwards only by words in typed objects (and XOR-masked copies
 * the test keeps to look it up), so the conservative roots cannot hold it.
 * Whether a target is allocated is read from its span's allocation bits
 * (the allocator's and the sweep's truth), on a goroutine of its own that
 * exits, since the unmasked address is a root wherever it lingers.
 *
 * What is proved:
 *   - an integer equal to a target's address, in a non-pointer slot of a
 *     typed object, does not keep it; the same integer in a
 *     TALLY_GC_SCAN object does (the control: the integer is a valid
 *     pointer to a conservative scan), over several cycles;
 *   - pointer slots keep their targets, whose contents stay intact;
 *   - the pattern repeats: a 3000-element array of {pointer, integer}
 *     (a large object) keeps the 3000 pointer targets and none of the
 *     3000 integer targets;
 *   - a 100-bit bitmap (the long trailer form): words 70 and 99 keep
 *     their targets, word 5 does not;
 *   - bad arguments: NULL with EINVAL;
 *   - a large typed object is scanned whole once a pass over dirty pages,
 *     not once for each of its dirty pages: with concurrent marking (the
 *     hosted record reports every page dirty, so the final pause's pass
 *     re-scans all 256 pages of a 1 MiB object) the whole-object scans of
 *     a cycle add up to its size (256 times that before).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rt/heap/gc_impl.h"
#include "rt/include/tally.h"
#include "tests/host/rt_test.h"

#define MASK 0x5555555555555555ull
#define NARR 3000

struct shared {
	volatile int64_t done;
	volatile int64_t bad;
	volatile int64_t ptr_alive, int_alive, ctl_alive;
	volatile int64_t arr_ptr_alive, arr_int_alive;
	volatile int64_t long_alive[3];
	volatile int64_t einval;
	volatile int64_t typed_bytes, big_bytes;
	char where[128];
};
RT_TEST_SCAFFOLD

static void fail_at(const char *what)
{
	if (tally_atomic_add(&S->bad, 1) == 1)
		strncpy(S->where, what, sizeof(S->where) - 1);
}

/* ---- allocated?  on a goroutine that exits ---- */

static int allocated_here(uintptr_t h)
{
	uintptr_t p = h ^ MASK;
	struct mspan *s = rt_span_of(p);
	if (!s)
		return 0;
	uint8_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
	if (st == SPAN_LARGE)
		return 1;
	if (st != SPAN_SMALL || s->kind == KIND_MALLOC)
		return 0;
	uint32_t idx = rt_span_index(s, p - s->base);
	return (int)((__atomic_load_n(&s->allocbits[idx >> 6], __ATOMIC_ACQUIRE) >> (idx & 63)) & 1);
}

struct probe {
	const uintptr_t *h;
	int n;
	int alive;
	struct tally_waitgroup wg;
};

static void probe_g(void *arg)
{
	struct probe *pr = arg;
	for (int i = 0; i < pr->n; i++)
		pr->alive += allocated_here(pr->h[i]);
	tally_waitgroup_done(&pr->wg);
}

/* How many of the n masked addresses are allocated objects. */
static int count_allocated(const uintptr_t *h, int n)
{
	struct probe pr = { .h = h, .n = n };
	tally_waitgroup_add(&pr.wg, 1);
	tally_go(probe_g, &pr);
	tally_waitgroup_wait(&pr.wg);
	return pr.alive;
}

static void collect(int n)
{
	for (int i = 0; i < n; i++) {
		tally_sleep(1000000);  /* exiting goroutines finish */
		tally_gc();
	}
}

/* targets: 32 bytes, checksummed by address */
struct target {
	uint64_t sum, pad[3];
};

static struct target *target_new(void)
{
	struct target *t = tally_gc_alloc(sizeof(*t), TALLY_GC_NOSCAN);
	t->sum = (uintptr_t)t * 0x9e3779b97f4a7c15ull;
	return t;
}

static int target_ok(const struct target *t) { return t->sum == (uintptr_t)t * 0x9e3779b97f4a7c15ull; }

/* ---- one node: pointer, integer, pointer ---- */

struct tnode {
	struct target *p;     /* bit 0 */
	uintptr_t fake;       /* bit 1 clear: an integer */
	struct target *q;     /* bit 2 */
};

static struct tnode *volatile root;   /* typed */
static uintptr_t *volatile ctl_root;  /* TALLY_GC_SCAN, the control */
static uintptr_t h_ptr, h_int, h_ctl;
static struct tally_waitgroup wg;

static void make_node(void *arg)
{
	(void)arg;
	static const uint64_t bm = 0x5;
	struct tnode *n = tally_gc_alloc_typed(sizeof(*n), &bm, 3);
	struct target *a = target_new(), *b = target_new(), *c = target_new();
	n->p = a;
	n->fake = (uintptr_t)b;  /* looks exactly like a pointer */
	h_ptr = (uintptr_t)a ^ MASK;
	h_int = (uintptr_t)b ^ MASK;
	root = n;
	ctl_root = tally_gc_alloc(64, TALLY_GC_SCAN);
	ctl_root[3] = (uintptr_t)c;  /* the same kind of integer, conservatively scanned */
	h_ctl = (uintptr_t)c ^ MASK;
	tally_waitgroup_done(&wg);
}

static void check_node(void *arg)
{
	(void)arg;
	if (!target_ok(root->p) || ((uintptr_t)root->p ^ MASK) != h_ptr)
		fail_at("the pointer slot's target changed");
	tally_waitgroup_done(&wg);
}

static void node_main(void *arg)
{
	(void)arg;
	tally_waitgroup_add(&wg, 1);
	tally_go(make_node, NULL);
	tally_waitgroup_wait(&wg);
	collect(4);
	S->ptr_alive = count_allocated(&h_ptr, 1);
	S->int_alive = count_allocated(&h_int, 1);
	S->ctl_alive = count_allocated(&h_ctl, 1);
	tally_waitgroup_add(&wg, 1);
	tally_go(check_node, NULL);
	tally_waitgroup_wait(&wg);
	S->done = 1;
}

static void test_node(void **st)
{
	(void)st;
	run_1_and_4(node_main);
	assert_int_equal(S->done, 1);
	if (S->bad)
		fail_msg("%s", S->where);
	assert_int_equal(S->ptr_alive, 1);
	assert_int_equal(S->ctl_alive, 1);  /* the integer is a pointer to a conservative scan */
	assert_int_equal(S->int_alive, 0);  /* ... and not in a non-pointer slot */
}

/* ---- an array of {pointer, integer}: a large object ---- */

struct pair {
	struct target *p;
	uintptr_t fake;
};

static struct pair *volatile arr;
static uintptr_t h_arr_ptr[NARR], h_arr_int[NARR];

static void make_array(void *arg)
{
	(void)arg;
	static const uint64_t bm = 0x1;
	struct pair *a = tally_gc_alloc_typed(NARR * sizeof(*a), &bm, 2);
	for (int i = 0; i < NARR; i++) {
		struct target *x = target_new(), *y = target_new();
		a[i].p = x;
		a[i].fake = (uintptr_t)y;
		h_arr_ptr[i] = (uintptr_t)x ^ MASK;
		h_arr_int[i] = (uintptr_t)y ^ MASK;
	}
	arr = a;
	tally_waitgroup_done(&wg);
}

static void check_array(void *arg)
{
	(void)arg;
	for (int i = 0; i < NARR; i++)
		if (!target_ok(arr[i].p) || ((uintptr_t)arr[i].p ^ MASK) != h_arr_ptr[i])
			fail_at("an array element's target changed");
	tally_waitgroup_done(&wg);
}

/* a 100-word object with a 100-bit bitmap: bits 70 and 99 set */
static uint64_t *volatile longobj;
static uintptr_t h_long[3];

static void make_long(void *arg)
{
	(void)arg;
	uint64_t bm[2] = { 0, (1ull << (70 - 64)) | (1ull << (99 - 64)) };
	uint64_t *o = tally_gc_alloc_typed(100 * 8, bm, 100);
	struct target *t5 = target_new(), *t70 = target_new(), *t99 = target_new();
	o[5] = (uintptr_t)t5;
	o[70] = (uintptr_t)t70;
	o[99] = (uintptr_t)t99;
	h_long[0] = (uintptr_t)t5 ^ MASK;
	h_long[1] = (uintptr_t)t70 ^ MASK;
	h_long[2] = (uintptr_t)t99 ^ MASK;
	longobj = o;
	tally_waitgroup_done(&wg);
}

static void array_main(void *arg)
{
	(void)arg;
	tally_waitgroup_add(&wg, 2);
	tally_go(make_array, NULL);
	tally_go(make_long, NULL);
	tally_waitgroup_wait(&wg);
	collect(3);
	S->arr_ptr_alive = count_allocated(h_arr_ptr, NARR);
	S->arr_int_alive = count_allocated(h_arr_int, NARR);
	for (int i = 0; i < 3; i++)
		S->long_alive[i] = count_allocated(&h_long[i], 1);
	tally_waitgroup_add(&wg, 1);
	tally_go(check_array, NULL);
	tally_waitgroup_wait(&wg);
	/* bad arguments */
	uint64_t bm = 1;
	errno = 0;
	if (!tally_gc_alloc_typed(8, NULL, 1) && errno == EINVAL)
		S->einval++;
	errno = 0;
	if (!tally_gc_alloc_typed(8, &bm, 0) && errno == EINVAL)
		S->einval++;
	errno = 0;
	if (!tally_gc_alloc_typed(8, &bm, TALLY_GC_TYPED_MAXBITS + 1) && errno == EINVAL)
		S->einval++;
	S->done = 1;
}

static void test_array_and_long_bitmap(void **st)
{
	(void)st;
	run_1_and_4(array_main);
	assert_int_equal(S->done, 1);
	if (S->bad)
		fail_msg("%s", S->where);
	assert_int_equal(S->arr_ptr_alive, NARR);
	assert_int_equal(S->arr_int_alive, 0);
	assert_int_equal(S->long_alive[0], 0);
	assert_int_equal(S->long_alive[1], 1);
	assert_int_equal(S->long_alive[2], 1);
	assert_int_equal(S->einval, 3);
}

/* ---- a large typed object in a pass over dirty pages ---- */

static void *volatile big;

static void big_main(void *arg)
{
	(void)arg;
	rt_gc_set_concurrent(1);
	tally_gc_percent(-1);  /* only tally_gc collects */
	uint64_t bm = 0x1;     /* {pointer, integer} pairs */
	big = tally_gc_alloc_typed(1u << 20, &bm, 2);
	RT_CHECK(big != NULL);
	tally_gc();
	gc_work_lock();
	S->typed_bytes = (int64_t)gc_ms.typed_large_bytes;
	gc_work_unlock();
	S->big_bytes = (int64_t)rt_span_of((uintptr_t)big)->npages * (int64_t)RT_HP;
	S->done = 1;
}

static void test_large_typed_once_a_pass(void **st)
{
	(void)st;
	run_1_and_4(big_main);
	assert_int_equal(S->done, 1);
	print_message("  whole-object scans: %lld bytes of a %lld-byte object\n", (long long)S->typed_bytes,
	              (long long)S->big_bytes);
	assert_true(S->typed_bytes >= S->big_bytes);      /* the final pause's pass scanned it */
	assert_true(S->typed_bytes <= 2 * S->big_bytes);  /* once, not once a page */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node),
		cmocka_unit_test(test_array_and_long_bitmap),
		cmocka_unit_test(test_large_typed_once_a_pass),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

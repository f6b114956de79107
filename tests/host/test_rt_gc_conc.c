/*
 * test_rt_gc_conc.c - host tests of the collector's concurrent marking
 * (rt/heap/gc.c, gc_mark.c, gc_sweep.c), each in a runtime child.
 *
 * The hosted platform reports every page dirty (rt_heap_hosted.c), so the
 * final pause re-scans everything: these tests check the mark logic (the
 * phases, born-marked allocation, the final re-scan, lazy and background
 * sweeping), not the pauses; the dirty bits themselves are checked on
 * the machine (tests/target/gc_dirty_test.c).
 *
 * What is proved (the truth is what the test itself keeps reachable):
 *   - the case a missing write barrier loses: while marking runs, after
 *     the roots are scanned, a goroutine that then exits moves the only
 *     pointer to an old object X from a place the collector cannot see
 *     (an XOR-masked global) into an object A the collector has already
 *     scanned (black).  X survives the cycle with its contents; with the
 *     final re-scans switched off (gc_test_nobarrier, the control) the
 *     same cycle frees X (its bit clear, zeroed by its sweep), so the
 *     test can fail.  X is never the first object of a 64-object word
 *     (a cache window's base, in bss, may name that one);
 *   - born-marked allocation: an object allocated during marking whose
 *     only pointer goes into A survives, with or without the re-scans;
 *   - a caller of the collector's API (tally_gc_read_stats) while
 *     another collection runs parks until it ends ("GC busy wait"),
 *     rather than yielding in a loop;
 *   - total_alloc counts the bytes allocated while a cycle marks (an
 *     allocating goroutine's NB objects, against the statistics);
 *   - the torture of test_rt_gc.c (8 goroutines on 4 Ms rewiring lists
 *     with plain stores, collections forced) with concurrent marking and
 *     background cycles started by the pacer: 0 corruptions, with the
 *     helpers on the other Ms marking in batches (gc_helper_bytes > 0).
 */
#define _GNU_SOURCE
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
#include "tests/host/gc_lists.h"

struct shared {
	volatile int64_t done;
	volatile int64_t bad;
	volatile int64_t cycles;
	volatile int64_t hooked;
	volatile int64_t x_ok;
	volatile int64_t x_zero;
	volatile int64_t n_ok;
	volatile int64_t helper_bytes;
	volatile int64_t waiter_parked;  /* the waiter seen parked "GC busy wait" */
	volatile int64_t waiter_done;
	volatile int64_t alloc_delta;    /* total_alloc across the cycle */
	volatile int64_t alloc_marking;  /* the hook's goroutine allocated while marking */
};
RT_TEST_SCAFFOLD

#define MASK 0x5555555555555555ull
#define PATTERN 0x7a11e5c0ffee0000ull

struct obj {
	struct obj *f;       /* the slot the mover stores into */
	struct obj *g;       /* the slot for a newborn */
	uint64_t tag[6];     /* PATTERN ^ i ^ address: zero once swept */
};

static struct obj *A;           /* a root: scanned first */
static uintptr_t hidden_x;      /* the only (masked) name of X */
static uintptr_t x_addr_masked; /* for the checks, masked too */
static struct tally_waitgroup wgm;

static void fill(struct obj *o)
{
	for (int i = 0; i < 6; i++)
		o->tag[i] = PATTERN ^ (uint64_t)i ^ (uintptr_t)o;
}

static int tags_ok(const struct obj *o)
{
	for (int i = 0; i < 6; i++)
		if (o->tag[i] != (PATTERN ^ (uint64_t)i ^ (uintptr_t)o))
			return 0;
	return 1;
}

static int tags_zero(const struct obj *o)
{
	for (int i = 0; i < 6; i++)
		if (o->tag[i])
			return 0;
	return 1;
}

static void *volatile sink;

static void make_x(void *arg)
{
	(void)arg;
	/* not the first object of a 64-object word: a cache window's base
	 * (a root in bss) names that object while the window is in use */
	struct obj *x;
	for (;;) {
		x = tally_gc_alloc(sizeof(*x), TALLY_GC_SCAN);
		struct mspan *s = rt_span_of((uintptr_t)x);
		if (rt_span_index(s, (uintptr_t)x - s->base) % 64)
			break;
		sink = x;
	}
	sink = NULL;
	fill(x);
	hidden_x = (uintptr_t)x ^ MASK;
	x_addr_masked = hidden_x;
	tally_waitgroup_done(&wgm);
}

/* Runs on a goroutine that exits: no stack slot or register of a live
 * goroutine keeps X or the newborn. */
static void mover(void *arg)
{
	(void)arg;
	A->f = (struct obj *)(hidden_x ^ MASK);
	hidden_x = 0;
	struct obj *n = tally_gc_alloc(sizeof(*n), TALLY_GC_SCAN);  /* born marked */
	fill(n);
	A->g = n;
	tally_waitgroup_done(&wgm);
}

/* From the collector's hook, the first time only: run fn in a goroutine
 * of its own and wait until it is done; 1 if it ran. */
static int hook_once(void (*fn)(void *))
{
	if (S->hooked)
		return 0;
	S->hooked = 1;
	tally_waitgroup_add(&wgm, 1);
	tally_go(fn, NULL);
	tally_waitgroup_wait(&wgm);
	return 1;
}

static void hook(void)
{
	if (hook_once(mover))
		tally_sleep(2000000);  /* until it has exited */
}

static void barrier_main(void *arg)
{
	int nobarrier = (int)(uintptr_t)arg;
	rt_gc_set_concurrent(1);
	tally_gc_percent(-1);  /* only tally_gc collects */
	A = tally_gc_alloc(sizeof(*A), TALLY_GC_SCAN);
	fill(A);
	tally_waitgroup_add(&wgm, 1);
	tally_go(make_x, NULL);
	tally_waitgroup_wait(&wgm);
	tally_sleep(2000000);
	gc_test_nobarrier = nobarrier;
	gc_test_hook = hook;
	tally_gc();
	gc_test_hook = NULL;
	gc_test_nobarrier = 0;
	const struct obj *x = (const struct obj *)(x_addr_masked ^ MASK);
	struct mspan *s = rt_span_of((uintptr_t)x);
	uint32_t i = rt_span_index(s, (uintptr_t)x - s->base);
	int allocated = (s->allocbits[i / 64] >> (i % 64)) & 1;
	S->x_ok = A->f == x && tags_ok(x) && allocated;
	S->x_zero = tags_zero(x) && !allocated;
	S->n_ok = A->g && tags_ok(A->g);
	S->done = 1;
}

static void test_barrier_store_into_black(void **st)
{
	(void)st;
	reset();
	rt_test_run(barrier_main, (void *)0, 4);
	assert_int_equal(S->done, 1);
	assert_int_equal(S->hooked, 1);
	assert_int_equal(S->x_ok, 1);
	assert_int_equal(S->n_ok, 1);
}

/* The control: without the final re-scans the moved object is lost, so
 * the test above is one that a collector without barrier fails. */
static void test_nobarrier_loses_it(void **st)
{
	(void)st;
	reset();
	rt_test_run(barrier_main, (void *)1, 4);
	assert_int_equal(S->done, 1);
	assert_int_equal(S->hooked, 1);
	assert_int_equal(S->x_ok, 0);
	assert_int_equal(S->x_zero, 1);   /* freed: its sweep zeroed it */
	assert_int_equal(S->n_ok, 1);     /* born marked: kept all the same */
}

/* ---- torture with concurrent marking ---- */

#define TW 8
static struct tally_waitgroup wg;
static struct node *heads[TW];

static void tortured(void *arg)
{
	int me = (int)(uintptr_t)arg;
	uint64_t seed = (uint64_t)me * 1000003u;
	void *volatile drop;
	for (int round = 0; round < 30; round++) {
		struct node *l = list_make(300, seed + (uint64_t)round);
		for (struct node *x = l; x && x->next; x = x->next)
			x->next = x->next->next;
		heads[me] = l;
		struct node *mine = list_make(100, seed + 77);  /* on this stack only */
		for (int i = 0; i < 1000; i++)
			drop = tally_gc_alloc(32 + (size_t)(i % 7) * 16, TALLY_GC_SCAN);
		if (!list_ok(heads[me], 150) || !list_ok(mine, 100))
			tally_atomic_add(&S->bad, 1);
		if (round % 10 == 9)
			tally_gc();
	}
	(void)drop;
	tally_waitgroup_done(&wg);
}

static void torture_main(void *arg)
{
	(void)arg;
	rt_gc_set_concurrent(1);
	tally_gc_percent(10);  /* background cycles often */
	rt_gc_set_verify(1);   /* and check every cycle's marking (gc_verify.c) */
	tally_waitgroup_add(&wg, TW);
	for (uintptr_t i = 0; i < TW; i++)
		tally_go(tortured, (void *)i);
	tally_waitgroup_wait(&wg);
	while (gc_sweep_pending())
		tally_yield();
	struct tally_gc_stats st;
	tally_gc_read_stats(&st);
	S->cycles = (int64_t)st.cycles;
	gc_work_lock();
	S->helper_bytes = (int64_t)gc_helper_bytes;
	gc_work_unlock();
	rt_gc_set_verify(0);
	S->done = 1;
}

static void test_torture_concurrent(void **st)
{
	(void)st;
	reset();
	rt_test_run(torture_main, NULL, 4);
	assert_int_equal(S->done, 1);
	assert_int_equal(S->bad, 0);
	assert_true(S->cycles >= 10);
	print_message("  torture: %lld cycles, helpers scanned %lld bytes\n", (long long)S->cycles,
	              (long long)S->helper_bytes);
	/* 4 Ms: the helpers marked in batches beside the collector */
	assert_true(S->helper_bytes > 0);
}

/* ---- a caller of the API while a collection runs parks ----
 *
 * The collector's hook (inside its cycle, the collection held) starts a
 * goroutine that reads the statistics, which needs the collection to end,
 * and waits up to 5 s to see it parked, status G_WAITING with the reason
 * "GC busy wait".  A waiter that yields in a loop instead (as before)
 * is never seen parked: it kept a CPU busy for the whole cycle, and under
 * QEMU's -icount with two vCPUs starved the collector's CPU. */
static struct g *waiter_g;  /* atomic: the waiter's M writes it, the hook's reads it */

static void stats_waiter(void *arg)
{
	(void)arg;
	__atomic_store_n(&waiter_g, rt_getg(), __ATOMIC_RELEASE);
	struct tally_gc_stats st;
	tally_gc_read_stats(&st);
	S->waiter_done = st.cycles >= 1;  /* read after the cycle ended */
	tally_waitgroup_done(&wgm);
}

/* Whether goroutine w is parked as the busy lock parks it.  Its status
 * and waitreason are its M's, written without atomics (rt/sched.c:
 * execute): peeked, as the runtime's own racy reads are, and the poll
 * reads again until it sees the park. */
__attribute__((no_sanitize("thread"))) static int parked_busy(struct g *w)
{
	const char *why = RT_PEEK(w->waitreason);
	return RT_PEEK(w->status) == G_WAITING && why && strcmp(why, "GC busy wait") == 0;
}

static void busy_hook(void)
{
	if (S->hooked)
		return;
	S->hooked = 1;
	__atomic_store_n(&waiter_g, NULL, __ATOMIC_RELEASE);
	tally_go(stats_waiter, NULL);
	for (int i = 0; i < 5000 && !S->waiter_parked; i++) {
		struct g *w = __atomic_load_n(&waiter_g, __ATOMIC_ACQUIRE);
		if (w && parked_busy(w))
			S->waiter_parked = 1;
		else
			tally_sleep(1000000);
	}
}

static void busy_main(void *arg)
{
	(void)arg;
	rt_gc_set_concurrent(1);
	tally_gc_percent(-1);  /* only tally_gc collects */
	tally_waitgroup_add(&wgm, 1);
	gc_test_hook = busy_hook;
	tally_gc();
	gc_test_hook = NULL;
	tally_waitgroup_wait(&wgm);
	S->done = 1;
}

static void test_busy_caller_parks(void **st)
{
	(void)st;
	for (unsigned nms = 1; nms <= 4; nms += 3) {
		reset();
		rt_test_run(busy_main, NULL, nms);
		assert_int_equal(S->done, 1);
		assert_int_equal(S->hooked, 1);
		assert_int_equal(S->waiter_parked, 1);
		assert_int_equal(S->waiter_done, 1);
	}
}

/* ---- total_alloc counts what is allocated while marking ----
 *
 * The statistics' total_alloc is every byte tally_gc_alloc handed out.
 * Objects allocated while a cycle marks are born marked and counted in
 * that cycle's live heap; a total built from the heap at each cycle's
 * start, less the live heap before, never counted them.  Inside the
 * cycle (the hook) a goroutine allocates NB objects of 64 bytes (a size
 * class of its own: no rounding) and exits; nothing else allocates
 * collected memory meanwhile, so across the cycle total_alloc must grow
 * by NB x 64, plus at most what the runtime's own windows hold. */
#define NB 2000

static void allocator(void *arg)
{
	(void)arg;
	void *volatile keep;
	for (int i = 0; i < NB; i++)
		keep = tally_gc_alloc(64, TALLY_GC_NOSCAN);
	(void)keep;
	S->alloc_marking = __atomic_load_n(&rt_gc_marking, __ATOMIC_ACQUIRE);
	tally_waitgroup_done(&wgm);
}

static void alloc_hook(void) { hook_once(allocator); }

static void total_main(void *arg)
{
	(void)arg;
	rt_gc_set_concurrent(1);
	tally_gc_percent(-1);  /* only tally_gc collects */
	struct tally_gc_stats s0, s1;
	tally_gc();
	tally_gc_read_stats(&s0);
	gc_test_hook = alloc_hook;
	tally_gc();
	gc_test_hook = NULL;
	tally_gc_read_stats(&s1);
	S->alloc_delta = (int64_t)(s1.total_alloc - s0.total_alloc);
	S->done = 1;
}

static void test_total_alloc_counts_marking(void **st)
{
	(void)st;
	reset();
	rt_test_run(total_main, NULL, 2);
	assert_int_equal(S->done, 1);
	assert_int_equal(S->hooked, 1);
	assert_int_equal(S->alloc_marking, 1);
	print_message("  total_alloc grew by %lld for %d bytes allocated while marking\n",
	              (long long)S->alloc_delta, NB * 64);
	assert_true(S->alloc_delta >= NB * 64);
	assert_true(S->alloc_delta <= NB * 64 + 64 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_barrier_store_into_black),
		cmocka_unit_test(test_nobarrier_loses_it),
		cmocka_unit_test(test_torture_concurrent),
		cmocka_unit_test(test_busy_caller_parks),
		cmocka_unit_test(test_total_alloc_counts_marking),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

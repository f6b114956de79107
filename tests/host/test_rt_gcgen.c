/*
 * test_rt_gcgen.c - host tests of generational minor cycles (gcgen=1;
 * rt/heap/gc.c's "Minor cycles", gc_sweep.c's kept marks, gc_dirty.c's
 * remembered set), each in a runtime child with concurrent marking.
 *
 * The hosted dirty record reports every page written, so the remembered
 * set here is every heap page: these tests check the logic of the kinds
 * of cycle (which objects a minor cycle keeps, frees, promotes; born
 * objects young again; the pacer's choice of a full cycle), not the
 * precision of the remembered set, which tests/apps/gc_gen.c checks on
 * the machine with the page tables' dirty bits.
 *
 * What is proved (the truth is what the test itself keeps reachable; the
 * objects the checks follow are made and dropped on goroutines that exit,
 * so no stale stack slot names them, and their addresses are kept XOR-
 * masked; none is the first object of a 64-object word, which a cache
 * window's base may name):
 *   - a minor cycle frees young garbage and keeps old garbage (an object
 *     a full cycle marked, dropped since); the next full cycle frees it.
 *     The control: without gcgen the same "minor" call is a full cycle and
 *     frees the old garbage, so the test can fail;
 *   - an object allocated after a full cycle and stored only into an old
 *     object survives a minor cycle (the remembered set), and is old
 *     after it: dropped, it survives the next minor cycle, and a full one
 *     frees it;
 *   - an object born marked during a minor cycle and dropped survives
 *     that cycle and is young in the next: a minor cycle frees it; one
 *     stored into an old object during the cycle survives the next minor
 *     cycle (the remembered set holds the pages written while it marked);
 *   - the torture of test_rt_gc_conc.c (8 goroutines on 4 Ms rewiring
 *     lists with plain stores, background cycles) with gcgen and the
 *     marking checked every cycle (gcverify): 0 corruptions, minor and
 *     full cycles both ran.
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
	volatile int64_t kinds[8];   /* rt_gc_collect_minor's answers, in order */
	volatile int64_t alive[8];   /* checks of the followed objects, in order */
	volatile int64_t cycles, minors;
};
RT_TEST_SCAFFOLD

#define MASK 0x5555555555555555ull
#define PATTERN 0x6e11e5c0ffee0000ull

struct obj {
	struct obj *f;
	uint64_t tag[7];   /* PATTERN ^ i ^ address: zero once swept */
};

static struct obj *root;              /* the old object's only name (a root) */
static uintptr_t masked[4];           /* the followed objects, masked */
static struct tally_waitgroup wg;
static void *volatile sink;

static void fill(struct obj *o)
{
	for (int i = 0; i < 7; i++)
		o->tag[i] = PATTERN ^ (uint64_t)i ^ (uintptr_t)o;
}

/* 1: allocated with its tags; 0: freed (its bit clear, zeroed); -1: neither */
static int64_t state_of(uintptr_t m)
{
	const struct obj *o = (const struct obj *)(m ^ MASK);
	struct mspan *s = rt_span_of((uintptr_t)o);
	uint32_t i = rt_span_index(s, (uintptr_t)o - s->base);
	int allocated = (s->allocbits[i / 64] >> (i % 64)) & 1;
	int ok = 1, zero = 1;
	for (int k = 0; k < 7; k++) {
		ok &= o->tag[k] == (PATTERN ^ (uint64_t)k ^ (uintptr_t)o);
		zero &= o->tag[k] == 0;
	}
	return allocated && ok ? 1 : !allocated && zero ? 0 : -1;
}

/* A filled object that is not the first of its 64-object word. */
static struct obj *new_obj(void)
{
	for (;;) {
		struct obj *x = tally_gc_alloc(sizeof(*x), TALLY_GC_SCAN);
		RT_CHECK(x != NULL);
		struct mspan *s = rt_span_of((uintptr_t)x);
		if (rt_span_index(s, (uintptr_t)x - s->base) % 64) {
			sink = NULL;
			fill(x);
			return x;
		}
		sink = x;
	}
}

/* On goroutines that exit: make object k (into root->f when into, else
 * dropped at once), or drop root->f. */
static void make_k(void *arg)
{
	uintptr_t k = (uintptr_t)arg & 7, into = (uintptr_t)arg & 8;
	struct obj *x = new_obj();
	masked[k] = (uintptr_t)x ^ MASK;
	if (into)
		root->f = x;
	tally_waitgroup_done(&wg);
}

static void drop_f(void *arg)
{
	(void)arg;
	root->f = NULL;
	tally_waitgroup_done(&wg);
}

static void on_goroutine(void (*fn)(void *), uintptr_t arg)
{
	tally_waitgroup_add(&wg, 1);
	tally_go(fn, (void *)arg);
	tally_waitgroup_wait(&wg);
	tally_sleep(2000000);  /* until it has exited */
}

/* 64 KiB of old objects, so that the few these tests promote stay under
 * the quarter of the last full cycle's live heap that makes the next
 * cycle full */
static struct obj *ballast;

static void setup(int gen)
{
	rt_gc_set_concurrent(1);
	rt_gc_set_generational(gen);
	rt_gc_set_verify(1);
	tally_gc_percent(-1);  /* only the test collects */
	for (int i = 0; i < 1024; i++) {
		struct obj *o = tally_gc_alloc(sizeof(*o), TALLY_GC_SCAN);
		RT_CHECK(o != NULL);
		o->f = ballast;
		ballast = o;
	}
}

/* ---- old garbage waits for a full cycle ---- */

static void old_main(void *arg)
{
	setup((int)(uintptr_t)arg);
	root = new_obj();
	on_goroutine(make_k, 0 | 8);     /* object 0 in root->f */
	tally_gc();                      /* full: root and 0 are old */
	on_goroutine(drop_f, 0);         /* 0: old garbage */
	on_goroutine(make_k, 1);         /* 1: young garbage */
	S->kinds[0] = rt_gc_collect_minor();
	S->alive[0] = state_of(masked[0]);
	S->alive[1] = state_of(masked[1]);
	tally_gc();
	S->alive[2] = state_of(masked[0]);
	S->done = 1;
}

static void test_minor_keeps_old_garbage(void **st)
{
	(void)st;
	for (unsigned nms = 1; nms <= 4; nms += 3) {
		reset();
		rt_test_run(old_main, (void *)1, nms);
		assert_int_equal(S->done, 1);
		assert_int_equal(S->kinds[0], 1);   /* it was minor */
		assert_int_equal(S->alive[0], 1);   /* old garbage kept */
		assert_int_equal(S->alive[1], 0);   /* young garbage freed */
		assert_int_equal(S->alive[2], 0);   /* the full cycle freed the old */
	}
}

/* The control: without gcgen the cycle is full and frees both. */
static void test_control_without_gen(void **st)
{
	(void)st;
	reset();
	rt_test_run(old_main, (void *)0, 4);
	assert_int_equal(S->done, 1);
	assert_int_equal(S->kinds[0], 0);
	assert_int_equal(S->alive[0], 0);
	assert_int_equal(S->alive[1], 0);
}

/* ---- a young object named only by an old one: kept, then old ---- */

static void promote_main(void *arg)
{
	(void)arg;
	setup(1);
	root = new_obj();
	tally_gc();                      /* full: root is old */
	on_goroutine(make_k, 0 | 8);     /* young 0, only in old root->f */
	S->kinds[0] = rt_gc_collect_minor();
	S->alive[0] = state_of(masked[0]);
	S->alive[1] = root->f == (struct obj *)(masked[0] ^ MASK);
	on_goroutine(drop_f, 0);         /* 0, promoted, is dropped */
	S->kinds[1] = rt_gc_collect_minor();
	S->alive[2] = state_of(masked[0]);  /* old garbage: kept */
	tally_gc();
	S->alive[3] = state_of(masked[0]);
	S->done = 1;
}

static void test_young_named_by_old_is_kept_and_promoted(void **st)
{
	(void)st;
	for (unsigned nms = 1; nms <= 4; nms += 3) {
		reset();
		rt_test_run(promote_main, NULL, nms);
		assert_int_equal(S->done, 1);
		assert_int_equal(S->kinds[0], 1);
		assert_int_equal(S->kinds[1], 1);
		assert_int_equal(S->alive[0], 1);
		assert_int_equal(S->alive[1], 1);
		assert_int_equal(S->alive[2], 1);
		assert_int_equal(S->alive[3], 0);
	}
}

/* ---- born objects are young again in the next cycle ---- */

static volatile int hooked;

static void born_hook(void)
{
	if (hooked)
		return;
	hooked = 1;
	on_goroutine(make_k, 1);         /* born 1, dropped */
	on_goroutine(make_k, 2 | 8);     /* born 2, only in old root->f */
}

static void born_main(void *arg)
{
	(void)arg;
	setup(1);
	root = new_obj();
	tally_gc();                      /* full: root is old */
	hooked = 0;
	gc_test_hook = born_hook;        /* runs while the minor cycle marks */
	S->kinds[0] = rt_gc_collect_minor();
	gc_test_hook = NULL;
	S->alive[0] = state_of(masked[1]);  /* born: kept by its cycle */
	S->alive[1] = state_of(masked[2]);
	S->kinds[1] = rt_gc_collect_minor();
	S->alive[2] = state_of(masked[1]);  /* young again: freed */
	S->alive[3] = state_of(masked[2]);  /* named by old root: kept */
	S->alive[4] = root->f == (struct obj *)(masked[2] ^ MASK);
	S->done = hooked;
}

static void test_born_objects_are_young_next_cycle(void **st)
{
	(void)st;
	for (unsigned nms = 1; nms <= 4; nms += 3) {
		reset();
		rt_test_run(born_main, NULL, nms);
		assert_int_equal(S->done, 1);
		assert_int_equal(S->kinds[0], 1);
		assert_int_equal(S->kinds[1], 1);
		assert_int_equal(S->alive[0], 1);
		assert_int_equal(S->alive[1], 1);
		assert_int_equal(S->alive[2], 0);
		assert_int_equal(S->alive[3], 1);
		assert_int_equal(S->alive[4], 1);
	}
}

/* ---- torture with minor cycles ---- */

#define TW 8
static struct node *heads[TW];
static struct node *keep[TW];   /* long-lived lists: old, written into */

static void tortured(void *arg)
{
	int me = (int)(uintptr_t)arg;
	uint64_t seed = (uint64_t)me * 1000003u;
	void *volatile drop;
	keep[me] = list_make(200, seed + 5);
	for (int round = 0; round < 60; round++) {
		struct node *l = list_make(300, seed + (uint64_t)round);
		for (struct node *x = l; x && x->next; x = x->next)
			x->next = x->next->next;
		heads[me] = l;
		/* splice a young node into the old list: only the old list names it */
		struct node *y = list_make(1, seed + 99);
		y->next = keep[me]->next->next;
		keep[me]->next = y;
		struct node *mine = list_make(100, seed + 77);  /* on this stack only */
		for (int i = 0; i < 1000; i++)
			drop = tally_gc_alloc(32 + (size_t)(i % 7) * 16, TALLY_GC_SCAN);
		if (!list_ok(heads[me], 150) || !list_ok(mine, 100) || !list_ok(keep[me], 200))
			tally_atomic_add(&S->bad, 1);
	}
	(void)drop;
	tally_waitgroup_done(&wg);
}

static void torture_main(void *arg)
{
	(void)arg;
	setup(1);
	tally_gc_percent(10);  /* background cycles often */
	tally_waitgroup_add(&wg, TW);
	for (uintptr_t i = 0; i < TW; i++)
		tally_go(tortured, (void *)i);
	tally_waitgroup_wait(&wg);
	while (gc_sweep_pending())
		tally_yield();
	struct tally_gc_stats st;
	tally_gc_read_stats(&st);
	S->cycles = (int64_t)st.cycles;
	S->minors = (int64_t)st.minor_cycles;
	rt_gc_set_verify(0);
	S->done = 1;
}

static void test_torture_generational(void **st)
{
	(void)st;
	reset();
	rt_test_run(torture_main, NULL, 4);
	assert_int_equal(S->done, 1);
	assert_int_equal(S->bad, 0);
	print_message("  torture: %lld cycles, %lld minor\n", (long long)S->cycles, (long long)S->minors);
	assert_true(S->cycles >= 6);
	assert_true(S->minors >= 1);            /* minor cycles ran */
	assert_true(S->cycles - S->minors >= 2); /* and full ones */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minor_keeps_old_garbage),
		cmocka_unit_test(test_control_without_gen),
		cmocka_unit_test(test_young_named_by_old_is_kept_and_promoted),
		cmocka_unit_test(test_born_objects_are_young_next_cycle),
		cmocka_unit_test(test_torture_generational),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

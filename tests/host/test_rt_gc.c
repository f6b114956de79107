/*
 * test_rt_gc.c - host tests of the stop-the-world collector (rt/heap/gc.c)
 * through tally.h, each in a runtime child.
 *
 * What is proved (the truth is what the test itself keeps reachable, and
 * addresses the allocator hands out again):
 *   - garbage is freed: 200k dropped objects leave the live heap near
 *     what is reachable, and their memory is handed out again;
 *   - what is reachable stays: a 20k-node list hung from a global, one
 *     reachable only from a malloc'd block, one only from a parked
 *     goroutine's stack, one only through an interior pointer: after
 *     collections every node holds its checksum and no new allocation
 *     lands on a live node;
 *   - a pointer stored in TALLY_GC_NOSCAN memory keeps nothing alive;
 *   - torture: 8 goroutines on 4 Ms build and rewire lists with plain
 *     stores while collections are forced every 2000 allocations; every
 *     list verifies after each round (0 corruptions);
 *   - free() of a collected object ends the program with a report;
 *   - tally_malloc_noscan: an object named only from such a block (as
 *     made, or grown by realloc) is collected (its cleanup runs), while
 *     the same in a plain malloc'd block survives intact; its blocks are
 *     freed by free, a second free is reported.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "rt/heap/heap.h"
#include "rt/heap/rt_malloc.h"
#include "rt/include/tally.h"
#include "tests/host/rt_test.h"
#include "tests/host/gc_lists.h"

struct shared {
	volatile int64_t done;
	volatile int64_t bad;
	volatile int64_t cycles;
	volatile int64_t live;
	volatile int64_t freed;
	volatile int64_t reused;
	volatile int64_t first_outside;   /* test_pause_ring */
};
RT_TEST_SCAFFOLD

static struct node *global_list;
static void *volatile sink;

/* ---- garbage is freed, reachable data stays ---- */

static void garbage_main(void *arg)
{
	(void)arg;
	global_list = list_make(20000, 1);
	for (int i = 0; i < 200000; i++)
		sink = tally_gc_alloc(64, TALLY_GC_SCAN);  /* dropped at once */
	sink = NULL;
	tally_gc();
	tally_gc();
	struct tally_gc_stats st;
	tally_gc_read_stats(&st);
	S->cycles = (int64_t)st.cycles;
	S->live = (int64_t)st.heap_live;
	S->freed = (int64_t)st.objects_freed;
	if (!list_ok(global_list, 20000))
		S->bad++;
	/* new objects never land on a live node */
	for (int i = 0; i < 20000; i++) {
		struct node *x = tally_gc_alloc(sizeof(*x), TALLY_GC_SCAN);
		for (struct node *h = global_list; h; h = h->next)
			if (h == x) {
				S->bad++;
				break;
			}
		if (i % 1000 == 0 && !list_ok(global_list, 20000))
			S->bad++;
	}
	S->done = 1;
}

static void test_garbage_freed(void **st)
{
	(void)st;
	reset();
	rt_test_run(garbage_main, NULL, 2);
	assert_int_equal(S->done, 1);
	assert_int_equal(S->bad, 0);
	assert_true(S->cycles >= 2);
	/* 20000 live nodes of 64 bytes: 1.28 MB; allow conservative slack */
	if (S->live < 20000 * 64 || S->live > 20000 * 64 + (1 << 20))
		fail_msg("live heap %lld bytes, expected about %d", (long long)S->live, 20000 * 64);
	if (S->freed < 190000)
		fail_msg("only %lld objects freed of 200000 dropped", (long long)S->freed);
}

/* ---- roots of every kind ---- */

static struct tally_chan *ready, *release;

static void holder(void *arg)
{
	(void)arg;
	struct node *mine = list_make(500, 7000);  /* only on this stack */
	int v = 1;
	tally_chan_send(ready, &v);
	tally_chan_recv(release, &v);  /* parked while the main goroutine collects */
	if (!list_ok(mine, 500))
		S->bad++;
	tally_chan_send(ready, &v);
}

static void **noscan;
static uintptr_t hidden;  /* XOR-masked: a plain copy would be a root */
static struct tally_waitgroup nwg;

static void make_noscan(void *arg)
{
	(void)arg;
	noscan = tally_gc_alloc(64, TALLY_GC_NOSCAN);
	*noscan = tally_gc_alloc(4096, TALLY_GC_SCAN);
	hidden = (uintptr_t)*noscan ^ 0x5555555555555555ull;
	tally_waitgroup_done(&nwg);
}

static void roots_main(void *arg)
{
	(void)arg;
	ready = tally_chan_make(sizeof(int), 0);
	release = tally_chan_make(sizeof(int), 0);
	struct node **box = malloc(sizeof(*box));  /* a malloc'd root */
	*box = list_make(500, 3000);
	/* interior: only a pointer to the middle of the first node is kept */
	struct node *in = list_make(500, 5000);
	char *interior = (char *)in + 20;
	in = NULL;
	/* NOSCAN: a pointer stored in pointer-free memory, made by a goroutine
	 * that exits, so no register or stack slot of ours holds it */
	tally_waitgroup_add(&nwg, 1);
	tally_go(make_noscan, NULL);
	tally_waitgroup_wait(&nwg);
	tally_sleep(1000000);  /* until it has exited */
	int v;
	tally_go(holder, NULL);
	tally_chan_recv(ready, &v);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 50000; i++)
			sink = tally_gc_alloc(48, TALLY_GC_SCAN);
		sink = NULL;
		tally_gc();
		if (!list_ok(*box, 500) || !list_ok((struct node *)(interior - 20), 500))
			S->bad++;
	}
	tally_chan_send(release, &v);
	tally_chan_recv(ready, &v);
	/* the 4096-byte object only the NOSCAN block named was freed: its
	 * memory is handed out again */
	for (int i = 0; i < 64 && !S->reused; i++)
		if (((uintptr_t)tally_gc_alloc(4096, TALLY_GC_SCAN) ^ 0x5555555555555555ull) == hidden)
			S->reused = 1;
	free(box);
	S->done = 1;
}

static void test_roots(void **st)
{
	(void)st;
	reset();
	rt_test_run(roots_main, NULL, 4);
	assert_int_equal(S->done, 1);
	assert_int_equal(S->bad, 0);
	assert_int_equal(S->reused, 1);
}

/* ---- torture ---- */

#define TW 8
static struct tally_waitgroup wg;
static struct node *heads[TW];

static void tortured(void *arg)
{
	int me = (int)(uintptr_t)arg;
	uint64_t seed = (uint64_t)me * 1000003u;
	void *volatile drop;  /* this goroutine's own: a shared sink would race */
	for (int round = 0; round < 30; round++) {
		struct node *l = list_make(300, seed + (uint64_t)round);
		/* rewire: drop every other node with plain stores */
		for (struct node *x = l; x && x->next; x = x->next)
			x->next = x->next->next;
		heads[me] = l;
		for (int i = 0; i < 1000; i++)
			drop = tally_gc_alloc(32 + (size_t)(i % 7) * 16, TALLY_GC_SCAN);
		if (!list_ok(heads[me], 150))
			tally_atomic_add(&S->bad, 1);
		if (round % 5 == 4)
			tally_gc();
	}
	(void)drop;
	tally_waitgroup_done(&wg);
}

static void torture_main(void *arg)
{
	(void)arg;
	tally_gc_percent(10);  /* collect often */
	rt_gc_set_verify(1);   /* and check every cycle's marking (gc_verify.c) */
	tally_waitgroup_add(&wg, TW);
	for (uintptr_t i = 0; i < TW; i++)
		tally_go(tortured, (void *)i);
	tally_waitgroup_wait(&wg);
	struct tally_gc_stats st;
	tally_gc_read_stats(&st);
	S->cycles = (int64_t)st.cycles;
	rt_gc_set_verify(0);
	S->done = 1;
}

static void test_torture(void **st)
{
	(void)st;
	reset();
	rt_test_run(torture_main, NULL, 4);
	assert_int_equal(S->done, 1);
	assert_int_equal(S->bad, 0);
	assert_true(S->cycles >= 10);
}

/* ---- the per-cycle pause ring ---- */

/* Each forced cycle's recorded stop-the-world time lies within the
 * caller's own clock reading around tally_gc(), and lands in the slot of
 * its cycle number.  PAUSE_CYCLES forced cycles: few enough for the TSan
 * build on a busy host (300 took over the child's time limit there), so
 * the wrap after 256 is not exercised here. */
#define PAUSE_CYCLES 40
static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void pauses_main(void *a)
{
	(void)a;
	struct tally_gc_stats s0, s;
	void *keep = list_make(2000, 11);
	tally_gc_read_stats(&s0);
	for (int i = 0; i < PAUSE_CYCLES; i++) {
		uint64_t t0 = now_ns();
		tally_gc();
		uint64_t t1 = now_ns();
		tally_gc_read_stats(&s);
		if (s.cycles != s0.cycles + (uint64_t)i + 1) {
			S->bad++;
			continue;
		}
		uint64_t p = s.pause_ns[(s.cycles - 1) % 256];
		if (p == 0 || p > t1 - t0) {
			if (!S->reused++)
				S->first_outside = (int64_t)p;
		}
		S->done++;
	}
	tally_gc_keep_alive(keep);
}

static void test_pause_ring(void **st)
{
	(void)st;
	reset();
	rt_test_run(pauses_main, NULL, 2);
	if (S->done != PAUSE_CYCLES)
		fail_msg("%lld of %d forced cycles counted as one cycle each",
		         (long long)S->done, PAUSE_CYCLES);
	if (S->reused)   /* here: cycles whose recorded pause is out of bounds */
		fail_msg("%lld of %d cycles recorded a pause of 0 or longer than tally_gc() took "
		         "(first: %lld ns)", (long long)S->reused, PAUSE_CYCLES, (long long)S->first_outside);
}

/* ---- tally_malloc_noscan: malloc'd memory that is no root ---- */

static void **nb_plain, **nb_noscan, **nb_grown;
static volatile int64_t cleaned[3];

static void cleaned_up(void *arg) { tally_atomic_add(&cleaned[(uintptr_t)arg], 1); }

/* Exits, so that its frames and registers name the targets no more: each
 * target is named only from one malloc'd block (and by its cleanup). */
static void make_targets(void *arg)
{
	(void)arg;
	nb_plain = rt_malloc(64);
	nb_noscan = tally_malloc_noscan(64);
	nb_grown = tally_malloc_noscan(16);
	RT_CHECK(nb_plain && nb_noscan && nb_grown);
	void **grown = rt_realloc(nb_grown, 4096);  /* moves: stays pointer-free */
	RT_CHECK(grown && grown != nb_grown);
	nb_grown = grown;
	void **blocks[3] = { nb_plain, nb_noscan, nb_grown };
	for (uintptr_t i = 0; i < 3; i++) {
		struct node *t = tally_gc_alloc(sizeof(*t), TALLY_GC_SCAN);
		t->val = 1000 + i;
		t->sum = sum_of(t);
		tally_gc_add_cleanup(t, cleaned_up, (void *)i);
		blocks[i][i == 2 ? 500 : 3] = t;  /* a word inside each block */
	}
	tally_atomic_store(&S->done, 1);  /* publishes the blocks */
}

static void noscan_main(void *arg)
{
	(void)arg;
	tally_go(make_targets, NULL);
	while (!tally_atomic_load(&S->done))
		tally_yield();
	for (int i = 0; i < 3; i++) {
		tally_gc();
		tally_sleep(2000000);  /* the cleanups' goroutine runs */
	}
	S->freed = tally_atomic_load(&cleaned[1]) + 2 * tally_atomic_load(&cleaned[2]);  /* both die: 3 */
	S->live = tally_atomic_load(&cleaned[0]);  /* kept by the plain block: 0 */
	struct node *kept = nb_plain[3];
	S->bad += kept->val != 1000 || kept->sum != sum_of(kept);
	/* a plain block's slow-path free, and the noscan blocks' */
	rt_free(nb_plain);
	rt_free(nb_noscan);
	rt_free(nb_grown);
	void *z = tally_malloc_noscan(0);
	S->bad += z == NULL;
	rt_free(z);
	errno = 0;
	S->bad += tally_malloc_noscan((size_t)1 << 62) != NULL || errno != ENOMEM;
	S->cycles = 1;
}

static void test_malloc_noscan(void **st)
{
	(void)st;
	reset();
	rt_test_run(noscan_main, NULL, 2);
	assert_int_equal(S->cycles, 1);
	assert_int_equal(S->bad, 0);
	if (S->freed != 3)
		fail_msg("objects named only from tally_malloc_noscan blocks: cleanups %lld of 3 "
		         "(1: the block as made, 2: the block grown by realloc)", (long long)S->freed);
	if (S->live != 0)
		fail_msg("the object named from a plain malloc'd block was collected");
}

static void noscan_double_free(void *a)
{
	(void)a;
	void *p = tally_malloc_noscan(48);
	rt_free(p);
	rt_free(p);
}

static void test_malloc_noscan_double_free(void **st)
{
	(void)st;
	expect_fatal(noscan_double_free, 1, "double free");
}

/* ---- misuse ---- */

static void free_collected(void *a)
{
	(void)a;
	free(NULL);
	rt_free(tally_gc_alloc(100, TALLY_GC_SCAN));
}

static void test_free_collected(void **st)
{
	(void)st;
	expect_fatal(free_collected, 1, "a collected object (tally_gc_alloc): the collector frees it");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_garbage_freed),
		cmocka_unit_test(test_roots),
		cmocka_unit_test(test_torture),
		cmocka_unit_test(test_free_collected),
		cmocka_unit_test(test_malloc_noscan),
		cmocka_unit_test(test_malloc_noscan_double_free),
		cmocka_unit_test(test_pause_ring),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

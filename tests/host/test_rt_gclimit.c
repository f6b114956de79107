/*
 * test_rt_gclimit.c - host tests of the collector's soft memory limit and
 * of GOGC off (rt/heap/gc.c's pacer, tally_gc_memory_limit and
 * tally_gc_percent), each in a runtime child.
 *
 * Independent truth: the bytes of garbage the test itself allocates
 * between two reads of the cycle count, the bytes it keeps live (blobs
 * whose contents it checks), and the limit it set.  The heap's own count
 * (heap_alloc, sampled every 64 allocations) is checked against the
 * limit too, with the slack the caches may reserve ahead of it (a window
 * of up to 64 objects per M).
 *
 * What is proved, stop-the-world marking (the hosted default) on 1 and 4
 * Ms, and concurrent marking on 2:
 *   - a limit under what GOGC would allow (6 MiB live, GOGC=100 would let
 *     the heap reach 12 MiB; limit 9 MiB) keeps heap_alloc under the
 *     limit, and collections come at least once per (limit - live) of
 *     garbage; without the limit the same program's heap passes 10 MiB
 *     (the control: the test can see the difference);
 *   - GOGC off with a 16 MiB limit collects only near the limit: 96 MiB
 *     of garbage take 5 to 9 collections (to 11 concurrent, whose cycles
 *     start at the trigger; with the 4 MiB minimum goal it would be about
 *     24), and heap_alloc stays under the limit; GOGC off
 *     without a limit collects never, and heap_goal says so (UINT64_MAX);
 *   - the limit is soft: 8 MiB live under a 4 MiB limit is no error, the
 *     program goes on collecting every 1 MiB or so, its data intact;
 *   - the setters return the previous values, a negative limit leaves
 *     it, 0 removes it (the goal is GOGC's again).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rt/heap/heap.h"
#include "rt/include/tally.h"
#include "tests/host/rt_test.h"

#define MIB (1ll << 20)
#define BLOB (64 << 10)
#define GARBAGE 1024          /* bytes of each dropped object */
#define NBLOB_MAX 160

struct shared {
	volatile int64_t done;
	volatile int64_t bad;
	volatile int64_t conc, nms, limit, gogc, live, garbage;  /* the run's settings */
	volatile int64_t cycles, max_alloc, goal_after, freed;
	volatile int64_t api[8];
	char where[128];
};
RT_TEST_SCAFFOLD

static void fail_at(const char *what)
{
	if (tally_atomic_add(&S->bad, 1) == 1)
		strncpy(S->where, what, sizeof(S->where) - 1);
}

static unsigned char *blobs[NBLOB_MAX];
static void *volatile sink;

static void blobs_make(int n)
{
	for (int i = 0; i < n; i++) {
		blobs[i] = tally_gc_alloc(BLOB, TALLY_GC_NOSCAN);
		memset(blobs[i], 0x30 + i % 64, BLOB);
	}
}

static int blobs_ok(int n)
{
	for (int i = 0; i < n; i++)
		for (int k = 0; k < BLOB; k += 509)
			if (blobs[i][k] != 0x30 + i % 64)
				return 0;
	return 1;
}

/* Allocate S->garbage bytes of dropped objects, sampling heap_alloc. */
static void churn(void)
{
	struct tally_gc_stats st;
	int64_t n = S->garbage / GARBAGE;
	for (int64_t i = 0; i < n; i++) {
		char *p = tally_gc_alloc(GARBAGE, TALLY_GC_SCAN);
		p[0] = 1;
		sink = p;
		if (i % 64 == 0) {
			tally_gc_read_stats(&st);
			if ((int64_t)st.heap_alloc > S->max_alloc)
				S->max_alloc = (int64_t)st.heap_alloc;
		}
	}
	sink = NULL;
}

/* ---- a run: settings in S, results back in S ---- */

static void limit_main(void *arg)
{
	(void)arg;
	if (S->conc)
		rt_gc_set_concurrent(1);
	tally_gc_percent((int)S->gogc);
	tally_gc_memory_limit(S->limit);
	int nblob = (int)(S->live / BLOB);
	blobs_make(nblob);
	tally_gc();  /* the goal from this live heap on */
	struct tally_gc_stats st;
	tally_gc_read_stats(&st);
	uint64_t c0 = st.cycles;
	churn();
	tally_gc_read_stats(&st);
	S->cycles = (int64_t)(st.cycles - c0);
	S->freed = (int64_t)st.objects_freed;
	if (!blobs_ok(nblob))
		fail_at("a live blob's contents changed");
	S->goal_after = (int64_t)st.heap_goal;
	S->done = 1;
}

static void run(unsigned nms, int conc, int gogc, int64_t limit, int64_t live, int64_t garbage)
{
	reset();
	S->conc = conc;
	S->nms = nms;
	S->gogc = gogc;
	S->limit = limit;
	S->live = live;
	S->garbage = garbage;
	rt_test_run(limit_main, NULL, nms);
	if (S->bad)
		fail_msg("%s", S->where);
	assert_int_equal(S->done, 1);
	print_message("  %u Ms%s, gogc %d, limit %lld MiB, live %lld MiB, %lld MiB garbage: "
	              "%lld cycles, heap_alloc max %lld bytes\n",
	              nms, conc ? " (concurrent)" : "", gogc, (long long)(limit / MIB),
	              (long long)(live / MIB), (long long)(garbage / MIB), (long long)S->cycles,
	              (long long)S->max_alloc);
}

/* what the caches may hold reserved beyond the goal: a window of up to 64
 * objects per M, and the blobs' rounding */
static int64_t slack(unsigned nms) { return (int64_t)nms * 64 * GARBAGE + 256 * 1024; }

/* ---- a limit under GOGC's goal ---- */

static void limit_under_gogc(unsigned nms, int conc)
{
	const int64_t limit = 9 * MIB, live = 6 * MIB, garbage = 64 * MIB;
	run(nms, conc, 100, 0, live, garbage);  /* the control */
	if (S->max_alloc < 10 * MIB)
		fail_msg("without a limit heap_alloc reached only %lld bytes: the test cannot tell",
		         (long long)S->max_alloc);
	run(nms, conc, 100, limit, live, garbage);
	if (S->max_alloc > limit + slack(nms))
		fail_msg("heap_alloc reached %lld bytes over the %lld-byte limit", (long long)S->max_alloc,
		         (long long)limit);
	/* at most limit - live of garbage between two collections */
	int64_t per = (limit - live) + slack(nms);
	if (S->cycles < garbage / per)
		fail_msg("%lld collections for %lld bytes of garbage: more than %lld bytes between two",
		         (long long)S->cycles, (long long)garbage, (long long)per);
	if (S->goal_after > limit / 8 * 7)
		fail_msg("heap_goal %lld over 7/8 of the limit", (long long)S->goal_after);
}

static void test_limit_under_gogc(void **st)
{
	(void)st;
	limit_under_gogc(1, 0);
	limit_under_gogc(4, 0);
	limit_under_gogc(2, 1);
}

/* ---- GOGC off: only the limit collects ---- */

static void gogc_off(unsigned nms, int conc)
{
	const int64_t limit = 16 * MIB, garbage = 96 * MIB;
	run(nms, conc, -1, 0, 0, 32 * MIB);  /* no limit: never */
	if (S->cycles != 0)
		fail_msg("GOGC off without a limit: %lld automatic collections", (long long)S->cycles);
	if ((uint64_t)S->goal_after != UINT64_MAX)
		fail_msg("GOGC off without a limit: heap_goal %lld, not UINT64_MAX", (long long)S->goal_after);
	run(nms, conc, -1, limit, 0, garbage);
	if (S->max_alloc > limit + slack(nms))
		fail_msg("heap_alloc reached %lld bytes over the %lld-byte limit", (long long)S->max_alloc,
		         (long long)limit);
	/* no more often than every 7/8 limit (the goal) of garbage, less the
	 * slack; concurrent cycles start at 3/4 of the way to the goal (the
	 * trigger); the first and last may be partial; and at least every
	 * limit's worth */
	int64_t every = conc ? limit / 8 * 7 / 4 * 3 : limit / 8 * 7;
	int64_t most = garbage / (every - slack(nms)) + 2, least = garbage / (limit + slack(nms));
	if (S->cycles > most || S->cycles < least)
		fail_msg("GOGC off, limit %lld: %lld collections for %lld bytes of garbage, expected %lld to %lld",
		         (long long)limit, (long long)S->cycles, (long long)garbage, (long long)least,
		         (long long)most);
}

static void test_gogc_off(void **st)
{
	(void)st;
	gogc_off(1, 0);
	gogc_off(4, 0);
	gogc_off(2, 1);
}

/* ---- soft: live over the limit ---- */

static void test_live_over_limit(void **st)
{
	(void)st;
	const int64_t limit = 4 * MIB, live = 8 * MIB, garbage = 32 * MIB;
	run(2, 0, 100, limit, live, garbage);
	/* the goal is 1 MiB over the live heap */
	if (S->cycles < garbage / (MIB + slack(2)))
		fail_msg("%lld collections for %lld bytes of garbage over the limit", (long long)S->cycles,
		         (long long)garbage);
	if (S->max_alloc > live + MIB + slack(2) + 512 * 1024)
		fail_msg("heap_alloc reached %lld with %lld live", (long long)S->max_alloc, (long long)live);
}

/* ---- the setters ---- */

static void api_main(void *arg)
{
	(void)arg;
	struct tally_gc_stats st;
	S->api[0] = tally_gc_memory_limit(64 * MIB);   /* 0: none before */
	S->api[1] = tally_gc_memory_limit(-1);         /* leaves it: 64 MiB */
	S->api[2] = tally_gc_memory_limit(0);          /* removes it: 64 MiB */
	S->api[3] = tally_gc_memory_limit(-5);         /* 0 */
	S->api[4] = tally_gc_percent(50);              /* 100 */
	S->api[5] = tally_gc_percent(100);             /* 50 */
	blobs_make(100);                               /* 6.25 MiB */
	tally_gc_memory_limit(8 * MIB);
	tally_gc();
	tally_gc_read_stats(&st);
	S->api[6] = (int64_t)st.heap_goal;             /* 7 MiB */
	tally_gc_memory_limit(0);
	tally_gc_read_stats(&st);
	S->api[7] = (int64_t)st.heap_goal;             /* 2 x live again */
	S->live = (int64_t)st.heap_live;
	if (!blobs_ok(100))
		fail_at("a live blob's contents changed");
	S->done = 1;
}

static void test_setters(void **st)
{
	(void)st;
	reset();
	rt_test_run(api_main, NULL, 1);
	if (S->bad)
		fail_msg("%s", S->where);
	assert_int_equal(S->done, 1);
	assert_int_equal(S->api[0], 0);
	assert_int_equal(S->api[1], 64 * MIB);
	assert_int_equal(S->api[2], 64 * MIB);
	assert_int_equal(S->api[3], 0);
	assert_int_equal(S->api[4], 100);
	assert_int_equal(S->api[5], 50);
	assert_int_equal(S->api[6], 7 * MIB);
	if (S->live < 100 * BLOB || S->api[7] != 2 * S->live)
		fail_msg("without the limit: heap_goal %lld for %lld live (%d bytes kept)", (long long)S->api[7],
		         (long long)S->live, 100 * BLOB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_under_gogc),
		cmocka_unit_test(test_gogc_off),
		cmocka_unit_test(test_live_over_limit),
		cmocka_unit_test(test_setters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

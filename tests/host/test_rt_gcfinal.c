/*
 * test_rt_gcfinal.c - host tests of cleanups, weak references and
 * keep-alive (rt/heap/gcfinal.c) through tally.h, each in a runtime child,
 * with 1 and 4 Ms.
 *
 * The last reference to every object that must die is dropped by a
 * goroutine that then exits (its stack goes back to the stack cache and
 * is no root; its saved registers are cleared), and nothing the main
 * goroutine keeps on its stack ever held the object: so the collector's
 * conservative roots cannot keep it by a stale slot.  A goroutine that has
 * signalled it is done may not have exited yet, so a test collects until
 * the object is found dead, at most DEATH_TRIES times, and says in which
 * cycle; what must stay alive is checked over several cycles.
 *
 * Independent truth: whether an object is allocated is read from its
 * span's allocation bits (the allocator's and the sweep's, not
 * gcfinal.c's); a cleanup's effects are counted by the cleanup itself;
 * object addresses are kept XOR-masked where they must not be roots.
 *
 * What is proved:
 *   - a cleanup runs once, with its arg, on a goroutine other than the
 *     caller's, after its object dies; and its object is free right after
 *     the collection that queued it (no resurrection);
 *   - a reachable object's cleanup does not run, over several cycles;
 *   - arg stays alive until the cleanup runs (a collected arg keeps its
 *     contents through cycles that would have freed it);
 *   - tally_gc_cleanup_stop cancels (1, then 0), and a stopped cleanup
 *     never runs while its object is still freed;
 *   - 2000 cleanups on 2000 objects each run exactly once;
 *   - weak handles: equal for one pointer, different for another pointer
 *     into the object; value is the object while it is reachable and NULL
 *     after; the object is freed in that cycle; a new object at the same
 *     address gets a new handle;
 *   - tally_gc_keep_alive does not retain: after it the object dies;
 *   - misuse: a malloc'd pointer, NULL, a stack address, a NULL fn, arg
 *     inside obj: status 2 and the message tally.h promises.
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

#define MASK 0x5555555555555555ull
#define DEATH_TRIES 50
#define NMANY 2000

struct shared {
	volatile int64_t done;
	volatile int64_t bad;
	volatile int64_t ran;          /* cleanups that ran */
	volatile int64_t ran_goid;     /* goroutine of the last one */
	volatile int64_t bad_arg;
	volatile int64_t death_cycle;  /* tries until the object was found dead */
	volatile int64_t stop1, stop2;
	volatile int64_t many[NMANY];
	char where[128];
};
RT_TEST_SCAFFOLD

static void fail_at(const char *what)
{
	if (tally_atomic_add(&S->bad, 1) == 1)  /* the first failure */
		strncpy(S->where, what, sizeof(S->where) - 1);
}

/* Is the object at (masked) address h allocated?  The span's bits.  The
 * unmasked address is a root wherever it lingers, so this runs on a
 * goroutine of its own that exits (allocated, below). */
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
	uintptr_t h;
	int answer;
	struct tally_waitgroup wg;
};

static void probe_g(void *arg)
{
	struct probe *pr = arg;
	pr->answer = allocated_here(pr->h);
	tally_waitgroup_done(&pr->wg);
}

static int allocated(uintptr_t h)
{
	struct probe pr = { .h = h };
	tally_waitgroup_add(&pr.wg, 1);
	tally_go(probe_g, &pr);
	tally_waitgroup_wait(&pr.wg);
	return pr.answer;
}

static uint64_t queued(void)
{
	struct tally_gc_stats st;
	tally_gc_read_stats(&st);
	return st.cleanups_queued;
}

/* Collect until `dead_now` says so, at most DEATH_TRIES times; records
 * the try.  Each try first lets exiting goroutines finish. */
static int collect_until(int (*dead_now)(void))
{
	for (int i = 1; i <= DEATH_TRIES; i++) {
		tally_sleep(1000000);
		tally_gc();
		if (dead_now()) {
			S->death_cycle = i;
			return 1;
		}
	}
	return 0;
}

/* Yield until S->ran reaches n (the cleanup goroutine), at most ~5 s. */
static int wait_ran(int64_t n)
{
	for (int i = 0; i < 5000 && tally_atomic_load(&S->ran) < n; i++)
		tally_sleep(1000000);
	return tally_atomic_load(&S->ran) == n;
}

struct cell {
	uint64_t magic;
	uint64_t sum;
};
#define MAGIC 0x7a11c1ea7a11c1eaull

static void *volatile keep;          /* a root while set */
static uintptr_t hobj, hobj2;        /* masked addresses: not roots */
static struct tally_waitgroup wg;
static uint64_t cid, cid2;
static uint64_t expect_before;

static void note(void *arg)
{
	if (arg != (void *)&hobj)
		tally_atomic_add(&S->bad_arg, 1);
	tally_atomic_store(&S->ran_goid, (int64_t)tally_goid());
	tally_atomic_add(&S->ran, 1);
}

static void note_cell(void *arg)
{
	struct cell *c = arg;
	if (c->magic != MAGIC || c->sum != ((uintptr_t)c ^ MAGIC))
		tally_atomic_add(&S->bad_arg, 1);
	tally_atomic_add(&S->ran, 1);
}

/* ---- a cleanup runs after its object dies, once, with its arg ---- */

static void make_with_cleanup(void *arg)
{
	(void)arg;
	char *o = tally_gc_alloc(64, TALLY_GC_SCAN);
	memset(o, 0xab, 64);
	hobj = (uintptr_t)o ^ MASK;
	cid = tally_gc_add_cleanup(o + 8, note, &hobj);  /* an interior pointer */
	/* a second object kept reachable from a global, with a cleanup whose
	 * arg is a collected object only the cleanup keeps */
	char *o2 = tally_gc_alloc(200, TALLY_GC_SCAN);
	hobj2 = (uintptr_t)o2 ^ MASK;
	struct cell *c = tally_gc_alloc(sizeof(*c), TALLY_GC_SCAN);
	c->magic = MAGIC;
	c->sum = (uintptr_t)c ^ MAGIC;
	cid2 = tally_gc_add_cleanup(o2, note_cell, c);
	keep = o2;
	tally_waitgroup_done(&wg);
}

static int first_dead(void) { return queued() == expect_before + 1; }
static int second_dead(void) { return queued() == expect_before + 2; }

static void cleanup_main(void *arg)
{
	(void)arg;
	tally_waitgroup_add(&wg, 1);
	tally_go(make_with_cleanup, NULL);
	tally_waitgroup_wait(&wg);
	if (cid == 0 || cid2 == 0 || cid == cid2)
		fail_at("cleanup ids");
	expect_before = queued();
	if (!collect_until(first_dead))
		fail_at("the first object never died");
	if (allocated(hobj))
		fail_at("the object is still allocated in the cycle that queued its cleanup");
	if (!allocated(hobj2))
		fail_at("the reachable object was freed");
	if (!wait_ran(1))
		fail_at("the cleanup did not run once");
	if (S->ran_goid == 1 || S->ran_goid == 0)
		fail_at("the cleanup ran on the main goroutine");
	/* the reachable one: several cycles, each with garbage, no cleanup;
	 * its arg (a collected object nothing else names) must survive them */
	for (int i = 0; i < 5; i++) {
		for (int j = 0; j < 20000; j++)
			(void)tally_gc_alloc(32, TALLY_GC_SCAN);
		tally_gc();
	}
	if (S->ran != 1 || queued() != expect_before + 1)
		fail_at("a reachable object's cleanup ran");
	if (!allocated(hobj2))
		fail_at("the reachable object was freed later");
	keep = NULL;
	if (!collect_until(second_dead))
		fail_at("the second object never died");
	if (allocated(hobj2))
		fail_at("the second object is still allocated");
	if (!wait_ran(2))
		fail_at("the second cleanup did not run");
	/* ran once each: more collections run nothing more */
	tally_gc();
	tally_gc();
	tally_sleep(5000000);
	if (S->ran != 2)
		fail_at("a cleanup ran twice");
	if (tally_gc_cleanup_stop(cid) != 0 || tally_gc_cleanup_stop(cid2) != 0)
		fail_at("stop of a cleanup that ran returned 1");
	S->done = 1;
}

static void test_cleanup_runs(void **st)
{
	(void)st;
	run_1_and_4(cleanup_main);
	assert_int_equal(S->done, 1);
	if (S->bad)
		fail_msg("%s\n%s", S->where, rt_test_output());
	assert_int_equal(S->ran, 2);
	assert_int_equal(S->bad_arg, 0);
}

/* ---- stop ---- */

static void make_stopped(void *arg)
{
	(void)arg;
	char *o = tally_gc_alloc(48, TALLY_GC_NOSCAN);
	hobj = (uintptr_t)o ^ MASK;
	uint64_t id = tally_gc_add_cleanup(o, note, &hobj);
	S->stop1 = tally_gc_cleanup_stop(id);
	S->stop2 = tally_gc_cleanup_stop(id);
	tally_waitgroup_done(&wg);
}

static int obj_freed(void) { return !allocated(hobj); }

static void stop_main(void *arg)
{
	(void)arg;
	tally_waitgroup_add(&wg, 1);
	tally_go(make_stopped, NULL);
	tally_waitgroup_wait(&wg);
	uint64_t before = queued();
	if (!collect_until(obj_freed))
		fail_at("the stopped cleanup's object never died");
	tally_sleep(20000000);
	if (S->ran != 0 || queued() != before)
		fail_at("a stopped cleanup ran");
	S->done = 1;
}

static void test_cleanup_stop(void **st)
{
	(void)st;
	run_1_and_4(stop_main);
	assert_int_equal(S->done, 1);
	if (S->bad)
		fail_msg("%s\n%s", S->where, rt_test_output());
	assert_int_equal(S->stop1, 1);
	assert_int_equal(S->stop2, 0);
}

/* ---- many ---- */

static void count_many(void *arg)
{
	int64_t i = (volatile int64_t *)arg - S->many;
	if (i < 0 || i >= NMANY)
		tally_atomic_add(&S->bad_arg, 1);
	else
		tally_atomic_add(&S->many[i], 1);
	tally_atomic_add(&S->ran, 1);
}

static void make_many(void *arg)
{
	(void)arg;
	for (int i = 0; i < NMANY; i++) {
		void *o = tally_gc_alloc(16 + (size_t)(i % 8) * 16, TALLY_GC_SCAN);
		tally_gc_add_cleanup(o, count_many, (void *)&S->many[i]);
	}
	tally_waitgroup_done(&wg);
}

static int all_queued(void) { return queued() == expect_before + NMANY; }

static void many_main(void *arg)
{
	(void)arg;
	expect_before = queued();
	tally_waitgroup_add(&wg, 1);
	tally_go(make_many, NULL);
	tally_waitgroup_wait(&wg);
	if (!collect_until(all_queued))
		fail_at("not every object died");
	if (!wait_ran(NMANY))
		fail_at("not every cleanup ran");
	for (int i = 0; i < NMANY; i++)
		if (S->many[i] != 1)
			fail_at("a cleanup did not run exactly once");
	S->done = 1;
}

static void test_cleanup_many(void **st)
{
	(void)st;
	run_1_and_4(many_main);
	assert_int_equal(S->done, 1);
	if (S->bad)
		fail_msg("%s (death after %lld tries)", S->where, (long long)S->death_cycle);
	assert_int_equal(S->bad_arg, 0);
}

/* ---- weak references ---- */

static struct tally_weak *w1, *w2, *w3;

static void make_weak(void *arg)
{
	(void)arg;
	char *o = tally_gc_alloc(96, TALLY_GC_SCAN);
	hobj = (uintptr_t)o ^ MASK;
	keep = o;
	w1 = tally_weak_make(o);
	w2 = tally_weak_make(o);
	w3 = tally_weak_make(o + 8);
	if (!w1 || w1 != w2)
		fail_at("two handles from one pointer differ");
	if (!w3 || w3 == w1)
		fail_at("handles from different pointers are equal");
	if (tally_weak_value(w1) != o || tally_weak_value(w3) != o + 8)
		fail_at("value of a live object's handle");
	if (tally_weak_make(NULL) || tally_weak_value(NULL))
		fail_at("NULL handles");
	tally_waitgroup_done(&wg);
}

/* Checks from a goroutine that exits, so the values it reads never
 * linger on the main stack. */
static void check_live(void *arg)
{
	(void)arg;
	if (((uintptr_t)tally_weak_value(w1) ^ MASK) != hobj || tally_weak_value(w2) != tally_weak_value(w1))
		fail_at("a reachable object's handle lost it");
	tally_waitgroup_done(&wg);
}

static void check_reuse(void *arg)
{
	(void)arg;
	/* allocate until the dead object's address comes back: its handle
	 * must stay NULL and the new object must get a new handle */
	for (int i = 0; i < 100000; i++) {
		char *o = tally_gc_alloc(96, TALLY_GC_SCAN);
		if (((uintptr_t)o ^ MASK) != hobj)
			continue;
		struct tally_weak *w = tally_weak_make(o);
		if (w == w1 || tally_weak_value(w1) != NULL || tally_weak_value(w) != o)
			fail_at("a new object at a dead one's address");
		S->stop1 = 1;  /* found */
		break;
	}
	tally_waitgroup_done(&wg);
}

static int weak_dead(void) { return tally_weak_value(w1) == NULL; }

static void weak_main(void *arg)
{
	(void)arg;
	struct tally_gc_stats st;
	tally_gc_read_stats(&st);
	uint64_t cleared = st.weak_cleared;
	tally_waitgroup_add(&wg, 1);
	tally_go(make_weak, NULL);
	tally_waitgroup_wait(&wg);
	for (int i = 0; i < 3; i++) {
		tally_gc();
		tally_waitgroup_add(&wg, 1);
		tally_go(check_live, NULL);
		tally_waitgroup_wait(&wg);
	}
	if (!allocated(hobj))
		fail_at("the reachable object was freed");
	keep = NULL;
	if (!collect_until(weak_dead))
		fail_at("the object never died");
	if (allocated(hobj))
		fail_at("the object is allocated after its handle was cleared");
	if (tally_weak_value(w2) != NULL || tally_weak_value(w3) != NULL)
		fail_at("a handle still gives a dead object");
	tally_gc_read_stats(&st);
	if (st.weak_cleared != cleared + 2)
		fail_at("weak_cleared is not 2");
	tally_waitgroup_add(&wg, 1);
	tally_go(check_reuse, NULL);
	tally_waitgroup_wait(&wg);
	S->done = 1;
}

static void test_weak(void **st)
{
	(void)st;
	run_1_and_4(weak_main);
	assert_int_equal(S->done, 1);
	if (S->bad)
		fail_msg("%s\n%s", S->where, rt_test_output());
	assert_int_equal(S->stop1, 1);
}

/* ---- keep-alive ---- */

static void make_kept(void *arg)
{
	(void)arg;
	char *o = tally_gc_alloc(128, TALLY_GC_SCAN);
	hobj = (uintptr_t)o ^ MASK;
	tally_gc_add_cleanup(o, note, &hobj);
	tally_gc();  /* o is live here: used below */
	if (!allocated_here(hobj) || tally_atomic_load(&S->ran) != 0)
		fail_at("the object died before tally_gc_keep_alive");
	tally_gc_keep_alive(o);
	tally_waitgroup_done(&wg);
}

static void keep_main(void *arg)
{
	(void)arg;
	uint64_t before = queued();
	tally_waitgroup_add(&wg, 1);
	tally_go(make_kept, NULL);
	tally_waitgroup_wait(&wg);
	expect_before = before;
	if (!collect_until(first_dead))
		fail_at("keep-alive kept the object for good");
	if (!wait_ran(1))
		fail_at("its cleanup did not run");
	S->done = 1;
}

static void test_keep_alive(void **st)
{
	(void)st;
	run_1_and_4(keep_main);
	assert_int_equal(S->done, 1);
	if (S->bad)
		fail_msg("%s\n%s", S->where, rt_test_output());
}

/* ---- misuse ---- */

static void nop(void *a) { (void)a; }

static void misuse_malloc(void *a)
{
	(void)a;
	tally_gc_add_cleanup(rt_malloc(32), nop, NULL);
}

static void misuse_null(void *a)
{
	(void)a;
	tally_gc_add_cleanup(NULL, nop, NULL);
}

static void misuse_fn(void *a)
{
	(void)a;
	tally_gc_add_cleanup(tally_gc_alloc(32, TALLY_GC_SCAN), NULL, NULL);
}

static void misuse_arg(void *a)
{
	(void)a;
	char *o = tally_gc_alloc(32, TALLY_GC_SCAN);
	tally_gc_add_cleanup(o, nop, o + 16);
}

static void misuse_weak_stack(void *a)
{
	(void)a;
	int local;
	tally_weak_make(&local);
}

static void test_misuse(void **st)
{
	(void)st;
	expect_fatal(misuse_malloc, 1, "panic: tally_gc_add_cleanup: obj 0x");
	assert_non_null(strstr(rt_test_output(), "is malloc'd memory, not a collected object"));
	expect_fatal(misuse_null, 1, "panic: tally_gc_add_cleanup: obj is NULL");
	expect_fatal(misuse_fn, 2, "panic: tally_gc_add_cleanup: fn is NULL");
	expect_fatal(misuse_arg, 1, "points into obj's own object");
	expect_fatal(misuse_weak_stack, 1, "panic: tally_weak_make: 0x");
	assert_non_null(strstr(rt_test_output(), "is not in the heap"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cleanup_runs),
		cmocka_unit_test(test_cleanup_stop),
		cmocka_unit_test(test_cleanup_many),
		cmocka_unit_test(test_weak),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_misuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_rt_sched.c - host tests of the scheduler (rt/sched.c) through the
 * public API (rt/include/tally.h) and, for parking, the runtime's own
 * rt_gopark/rt_goready.
 *
 * What is proved:
 *   - 10000 goroutines (2000 under TSan) spawned on 4 Ms all run exactly
 *     once, and more than one M runs them (idle Ms are woken and steal);
 *     joined by polling a counter with tally_yield, and again with a wait
 *     group;
 *   - runnext: on 1 M a goroutine spawned just before main yields runs
 *     before main resumes, and of several, the last spawned runs first,
 *     then the others in spawn order, then main (Go's order);
 *   - GOMAXPROCS: get, set (returns the old value, clamps to the Ms
 *     there are), and Ms beyond it run nothing;
 *   - goroutine ids: main is 1, ids grow strictly with each spawn and a
 *     goroutine sees the id tally_go returned;
 *   - tally_yield on 1 M alternates two yielding goroutines strictly;
 *   - a goroutine parked with rt_gopark runs again after rt_goready from
 *     another M; tally_goexit ends only its goroutine; main returning ends
 *     the program while others still run;
 *   - fatal paths: a deadlock and a panic end the program with status 2
 *     and Go's messages, a goroutine header and a backtrace.
 *
 * COOPERATIVE: the runnext and yield orders hold only while nothing is
 * preempted, so those three cases run without preemption.  A preempted
 * G goes to the global queue, and the extra schedule it costs moves the
 * every-61st check of that queue (as in Go, where these orders are not
 * promised either).
 *
 * Each case runs the runtime in a forked child (tests/host/rt_test.h);
 * the child records what happened in `S`, memory shared with the parent,
 * where cmocka asserts.  RT_CHECK is for facts checked inside the child.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "rt/platform.h"
#include "rt/rt_impl.h"
#include "rt/include/tally.h"
#include "tests/host/rt_test.h"

/* Under TSan every goroutine's first run creates a TSan fiber (about a
 * millisecond, see rt/hosted/rt_fiber.c): spawn fewer there. */
#if defined(RT_TEST_TSAN)
#define NSPAWN 2000
#define NSMALL 400
#else
#define NSPAWN 10000
#define NSMALL 2000
#endif
#define NYIELD 1000
#define LOGMAX 4096

struct shared {
	volatile int64_t counter;
	volatile int64_t per_m[RT_MAX_M];
	volatile int64_t nlog;
	volatile int64_t log[LOGMAX];
	volatile uint64_t goids[64];
	volatile uint64_t seen[64];
	volatile int64_t values[16];
};

RT_TEST_SCAFFOLD

static void log_event(int64_t v)
{
	int64_t i = tally_atomic_add(&S->nlog, 1) - 1;
	if (i < LOGMAX)
		S->log[i] = v;
}

/* Wait for the counter to reach n, letting others run. */
static void join(int64_t n)
{
	while (tally_atomic_load(&S->counter) < n)
		tally_yield();
}

/* ---- spawn many, steal ---- */

static void count(void *arg)
{
	(void)arg;
	tally_atomic_add(&S->per_m[plat_m_id()], 1);
	tally_atomic_add(&S->counter, 1);
}

static void spawn_many_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < NSPAWN; i++)
		tally_go(count, NULL);
	join(NSPAWN);
}

static void spawn_10000_on_4_ms(void **state)
{
	(void)state;
	reset();
	rt_test_run(spawn_many_main, NULL, 4);
	assert_int_equal(S->counter, NSPAWN);
	int64_t sum = 0;
	unsigned used = 0;
	for (unsigned i = 0; i < RT_MAX_M; i++) {
		sum += S->per_m[i];
		used += S->per_m[i] > 0;
		if (i >= 4)
			assert_int_equal(S->per_m[i], 0);
	}
	assert_int_equal(sum, NSPAWN);
	assert_true(used >= 2);  /* idle Ms were woken and stole work */
}

static struct tally_waitgroup wg;

static void count_done(void *arg)
{
	(void)arg;
	tally_atomic_add(&S->per_m[plat_m_id()], 1);
	tally_atomic_add(&S->counter, 1);
	tally_waitgroup_done(&wg);
}

static void spawn_wg_main(void *arg)
{
	(void)arg;
	tally_waitgroup_add(&wg, NSPAWN);
	for (int i = 0; i < NSPAWN; i++)
		tally_go(count_done, NULL);
	tally_waitgroup_wait(&wg);
	S->values[0] = tally_atomic_load(&S->counter);  /* all done when Wait returned */
}

static void spawn_10000_join_with_waitgroup(void **state)
{
	(void)state;
	reset();
	rt_test_run(spawn_wg_main, NULL, 4);
	assert_int_equal(S->values[0], NSPAWN);
	assert_int_equal(S->counter, NSPAWN);
}

/* ---- runnext ---- */

static void log_arg(void *arg) { log_event((int64_t)(intptr_t)arg); }

static void runnext_one_main(void *arg)
{
	(void)arg;
	tally_go(log_arg, (void *)1);
	tally_yield();
	log_event(0);   /* main */
}

static void runnext_spawned_runs_before_yielder(void **state)
{
	(void)state;
	reset();
	rt_test_set_quantum_us(0);  /* a cooperative order: see COOPERATIVE */
	rt_test_run(runnext_one_main, NULL, 1);
	assert_int_equal(S->nlog, 2);
	assert_int_equal(S->log[0], 1);
	assert_int_equal(S->log[1], 0);
}

static void runnext_order_main(void *arg)
{
	(void)arg;
	tally_go(log_arg, (void *)1);
	tally_go(log_arg, (void *)2);
	tally_go(log_arg, (void *)3);
	tally_yield();
	log_event(0);
}

static void runnext_last_spawned_first(void **state)
{
	(void)state;
	reset();
	rt_test_set_quantum_us(0);  /* a cooperative order: see COOPERATIVE */
	rt_test_run(runnext_order_main, NULL, 1);
	assert_int_equal(S->nlog, 4);
	/* runnext holds the newest; it pushed the older ones to the ring */
	assert_int_equal(S->log[0], 3);
	assert_int_equal(S->log[1], 1);
	assert_int_equal(S->log[2], 2);
	assert_int_equal(S->log[3], 0);
}

/* ---- GOMAXPROCS ---- */

static void count_until_set(void *arg)
{
	(void)arg;
	count(NULL);
}

static void gomaxprocs_main(void *arg)
{
	(void)arg;
	S->values[0] = tally_ncpu();
	S->values[1] = tally_gomaxprocs(0);      /* get */
	S->values[2] = tally_gomaxprocs(2);      /* set: returns the old value */
	S->values[3] = tally_gomaxprocs(0);
	for (int i = 0; i < 100; i++)            /* let Ms 2 and 3 notice */
		tally_yield();
	for (int i = 0; i < NSMALL / 2; i++)
		tally_go(count_until_set, NULL);
	join(NSMALL / 2);
	S->values[4] = tally_gomaxprocs(100);    /* clamped to the Ms there are */
	S->values[5] = tally_gomaxprocs(-1);     /* n <= 0: only a get */
	for (int i = 0; i < NSMALL / 2; i++)
		tally_go(count, NULL);
	join(NSMALL);
}

static void gomaxprocs_get_set(void **state)
{
	(void)state;
	reset();
	rt_test_run(gomaxprocs_main, NULL, 4);
	assert_int_equal(S->values[0], 4);
	assert_int_equal(S->values[1], 4);
	assert_int_equal(S->values[2], 4);
	assert_int_equal(S->values[3], 2);
	assert_int_equal(S->values[4], 2);
	assert_int_equal(S->values[5], 4);
	assert_int_equal(S->counter, NSMALL);
}

static void gomaxprocs_limits_ms_main(void *arg)
{
	(void)arg;
	tally_gomaxprocs(2);
	/* The change is not a barrier (no stop-the-world as in Go's
	 * procresize): an M that the host descheduled in the middle of
	 * findrunnable may still take one G.  Give such Ms time to notice. */
	for (int i = 0; i < 100; i++)
		tally_yield();
	tally_sleep(20 * 1000 * 1000);
	for (int i = 0; i < NSMALL; i++)
		tally_go(count, NULL);
	join(NSMALL);
}

static void gomaxprocs_idles_extra_ms(void **state)
{
	(void)state;
	reset();
	rt_test_run(gomaxprocs_limits_ms_main, NULL, 4);
	assert_int_equal(S->counter, NSMALL);
	assert_int_equal(S->per_m[2], 0);
	assert_int_equal(S->per_m[3], 0);
	assert_int_equal(S->per_m[0] + S->per_m[1], NSMALL);
}

/* ---- goroutine ids ---- */

static void record_goid(void *arg)
{
	S->seen[(intptr_t)arg] = tally_goid();
	tally_atomic_add(&S->counter, 1);
}

static void goid_main(void *arg)
{
	(void)arg;
	S->values[0] = (int64_t)tally_goid();
	for (intptr_t i = 0; i < 64; i++)
		S->goids[i] = tally_go(record_goid, (void *)i);
	join(64);
	S->values[1] = (int64_t)tally_goid();
}

static void goids_are_monotonic(void **state)
{
	(void)state;
	reset();
	rt_test_run(goid_main, NULL, 4);
	assert_int_equal(S->values[0], 1);
	assert_int_equal(S->values[1], 1);
	for (int i = 0; i < 64; i++) {
		assert_true(S->goids[i] > 1);
		if (i > 0)
			assert_true(S->goids[i] > S->goids[i - 1]);
		assert_int_equal(S->seen[i], S->goids[i]);
	}
}

/* ---- yield fairness ---- */

static void yielder(void *arg)
{
	for (int i = 0; i < NYIELD; i++) {
		log_event((int64_t)(intptr_t)arg);
		tally_yield();
	}
	tally_atomic_add(&S->counter, 1);
}

static void yield_main(void *arg)
{
	(void)arg;
	tally_go(yielder, (void *)1);
	tally_go(yielder, (void *)2);
	join(2);
}

static void yield_alternates_on_one_m(void **state)
{
	(void)state;
	reset();
	rt_test_set_quantum_us(0);  /* a cooperative order: see COOPERATIVE */
	rt_test_run(yield_main, NULL, 1);
	assert_int_equal(S->nlog, 2 * NYIELD);
	int n1 = 0, n2 = 0;
	for (int i = 0; i < 2 * NYIELD; i++) {
		n1 += S->log[i] == 1;
		n2 += S->log[i] == 2;
		if (i > 0 && S->log[i] == S->log[i - 1])
			fail_msg("goroutine %d ran twice in a row at %d", (int)S->log[i], i);
	}
	assert_int_equal(n1, NYIELD);
	assert_int_equal(n2, NYIELD);
}

/* ---- park / ready ---- */

static struct rt_lock park_lock;
static struct g *volatile parked_g;

static void parker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++) {
		rt_lock(&park_lock);
		parked_g = rt_getg();
		rt_gopark(rt_park_unlock, &park_lock, "test park");
		log_event(1);
	}
	tally_atomic_add(&S->counter, 1);
}

static void readier(void *arg)
{
	(void)arg;
	int readied = 0;
	while (readied < 100) {
		rt_lock(&park_lock);
		struct g *gp = parked_g;
		parked_g = NULL;
		rt_unlock(&park_lock);
		if (gp) {
			RT_CHECK(gp->status == G_WAITING);
			rt_goready(gp);
			readied++;
		} else {
			tally_yield();
		}
	}
	tally_atomic_add(&S->counter, 1);
}

static void park_main(void *arg)
{
	(void)arg;
	tally_go(parker, NULL);
	tally_go(readier, NULL);
	join(2);
}

static void park_and_ready_across_ms(void **state)
{
	(void)state;
	reset();
	rt_test_run(park_main, NULL, 4);
	assert_int_equal(S->nlog, 100);
	assert_int_equal(S->counter, 2);
}

/* ---- exits ---- */

static void goexit_half(void *arg)
{
	(void)arg;
	tally_atomic_add(&S->counter, 1);
	tally_goexit();
	S->values[0] = 1;  /* never */
}

static void spin_forever(void *arg)
{
	(void)arg;
	for (;;)
		tally_yield();
}

static void exits_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10; i++)
		tally_go(goexit_half, NULL);
	join(10);
	tally_go(spin_forever, NULL);
	tally_go(spin_forever, NULL);
	tally_yield();
	S->values[1] = 1;
	/* returning ends the program although two goroutines still run */
}

static void goexit_and_main_return(void **state)
{
	(void)state;
	reset();
	rt_test_run(exits_main, NULL, 2);
	assert_int_equal(S->counter, 10);
	assert_int_equal(S->values[0], 0);
	assert_int_equal(S->values[1], 1);
}

/* ---- fatal paths ---- */

static void deadlock_main(void *arg)
{
	(void)arg;
	rt_gopark(NULL, NULL, "test forever");
}

static void deadlock_is_reported(void **state)
{
	(void)state;
	int st = rt_test_run_status(deadlock_main, NULL, 2);
	const char *o = rt_test_output();
	if (st != 2 || !strstr(o, "fatal error: all goroutines are asleep - deadlock!") ||
	    !strstr(o, "goroutine 1 [test forever]:"))
		fail_msg("status %d, output:\n%s", st, o);
}

static __attribute__((noinline)) void panicking_function(void)
{
	rt_panic("test boom");
}

static void panic_main(void *arg)
{
	(void)arg;
	panicking_function();
}

static void panic_is_reported(void **state)
{
	(void)state;
	int st = rt_test_run_status(panic_main, NULL, 1);
	const char *o = rt_test_output();
	if (st != 2 || !strstr(o, "panic: test boom") || !strstr(o, "goroutine 1 [running]:") ||
	    !strstr(o, "backtrace:") || !strstr(o, "rt_panic"))
		fail_msg("status %d, output:\n%s", st, o);
}

/* ---- an idle M picks up what a busy one spawns ----
 * The main goroutine spawns and then spins without yielding until the
 * child ran: only another M can run it, one parked in findrunnable that
 * the spawn must wake.  A lost wake-up (spawner and idle M each reading
 * the other's state before their own store is visible) would leave the
 * child queued behind the spinner: the spin gives up after 2 s. */
static void picked_up(void *arg)
{
	(void)arg;
	tally_atomic_add(&S->counter, 1);
}

static void pickup_main(void *arg)
{
	(void)arg;
	for (int r = 0; r < 300; r++) {
		tally_sleep(300 * 1000);   /* let the other M go idle */
		int64_t before = tally_atomic_load(&S->counter);
		uint64_t t0 = rt_nanotime();
		tally_go(picked_up, NULL);
		while (tally_atomic_load(&S->counter) == before) {
			if (rt_nanotime() - t0 > 2000000000ull) {
				S->values[0] = r;
				RT_CHECK(!"an idle M missed the wake-up for a spawned goroutine");
			}
		}
	}
}

static void idle_m_picks_up_spawned_work(void **state)
{
	(void)state;
	reset();
	rt_test_run(pickup_main, NULL, 2);
}

/* ---- two fatal errors at once: the first report wins ---- */
static void panic_at_once(void *arg)
{
	while (tally_atomic_load(&S->counter) < 2)
		tally_yield();   /* until both arrived (then, usually on two Ms) */
	rt_panic(arg);
}

static void panic_arrive(void *arg)
{
	tally_atomic_add(&S->counter, 1);
	panic_at_once(arg);
}

static void two_panics_main2(void *arg)
{
	(void)arg;
	tally_go(panic_arrive, "first boom");
	tally_go(panic_arrive, "second boom");
	for (;;)
		tally_yield();
}

static void one_report_when_two_goroutines_panic(void **state)
{
	(void)state;
	for (int k = 0; k < 20; k++) {
		reset();
		int st = rt_test_run_status(two_panics_main2, NULL, 3);
		const char *o = rt_test_output();
		int n = 0;
		for (const char *p = o; (p = strstr(p, "panic: ")); p++)
			n++;
		if (st != 2 || n != 1 || !strstr(o, " boom\n\ngoroutine "))
			fail_msg("run %d: status %d, %d reports, output:\n%s", k, st, n, o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spawn_10000_on_4_ms),
		cmocka_unit_test(spawn_10000_join_with_waitgroup),
		cmocka_unit_test(runnext_spawned_runs_before_yielder),
		cmocka_unit_test(runnext_last_spawned_first),
		cmocka_unit_test(gomaxprocs_get_set),
		cmocka_unit_test(gomaxprocs_idles_extra_ms),
		cmocka_unit_test(goids_are_monotonic),
		cmocka_unit_test(yield_alternates_on_one_m),
		cmocka_unit_test(park_and_ready_across_ms),
		cmocka_unit_test(goexit_and_main_return),
		cmocka_unit_test(deadlock_is_reported),
		cmocka_unit_test(panic_is_reported),
		cmocka_unit_test(idle_m_picks_up_spawned_work),
		cmocka_unit_test(one_report_when_two_goroutines_panic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

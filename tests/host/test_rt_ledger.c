/*
 * test_rt_ledger.c - host tests of the ledger read API (rt/ledger_read.c)
 * over the hosted platform's per-M ledger (rt/hosted/rt_platform_hosted.c).
 *
 * What is proved:
 *   - the errors: a NULL pointer is TALLY_ENULL, a CPU index outside
 *     0 .. tally_ncpu() - 1 (other than TALLY_LEDGER_ALL) is TALLY_ECPU,
 *     for read and sub; sub refuses (TALLY_EMISMATCH) reads of different
 *     CPUs, a later read as b, and tables whose names differ;
 *   - tally_ledger_cycles sums exactly the classes of a group ("kern"
 *     takes kern and kern.*, not "kernel"), on hand-made ledgers;
 *   - against a clock the ledger does not use (CLOCK_MONOTONIC_RAW, read
 *     by the test): over a 60 ms busy loop the calling M's elapsed grows
 *     by the loop's wall time (within 2 ms + 5%) and at least 80% of it
 *     lands in "user"; over a 60 ms tally_sleep at least 80% lands in
 *     "idle" and under 10 ms in "user"; on 4 Ms the TALLY_LEDGER_ALL sum
 *     covers 4 ledgers and its elapsed grows by about 4 x the wall time;
 *   - the per-CPU reads of a TALLY_LEDGER_ALL read add up to it.
 * Bounds are loose on the side a busy host can push (late wake-ups,
 * threads the host preempts) and tight on the other.  The ledger charges
 * wall time, so while the host keeps the M's thread waiting for a CPU the
 * time lands in whatever class the M was in: the 80% shares allow, on
 * top, the time the thread spent runnable but not running over the same
 * interval, as Linux's scheduler counts it (/proc/thread-self/schedstat,
 * its second field), another clock the ledger does not use.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "rt/include/tally.h"
#include "tests/host/rt_test.h"

#define MS 1000000ull

struct shared {
	volatile int64_t unused;
};

RT_TEST_SCAFFOLD

static uint64_t raw_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Nanoseconds this thread has waited on a host run queue (0 when the
 * kernel does not keep schedstat: the bounds are then the plain ones). */
static uint64_t run_delay_ns(void)
{
	FILE *f = fopen("/proc/thread-self/schedstat", "r");
	unsigned long long on_cpu = 0, waited = 0;
	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &on_cpu, &waited) != 2)
		waited = 0;
	fclose(f);
	return waited;
}

static uint64_t class_cycles(const struct tally_ledger *l, const char *name)
{
	for (unsigned k = 0; k < l->nclasses; k++)
		if (strcmp(l->classes[k].name, name) == 0)
			return l->classes[k].cycles;
	return 0;
}

/* ---- errors ---- */

static void errors_main(void *arg)
{
	(void)arg;
	struct tally_ledger a, b, d;
	int n = tally_ncpu();
	RT_CHECK(tally_ledger_read(NULL, 0) == TALLY_ENULL);
	RT_CHECK(tally_ledger_read(NULL, TALLY_LEDGER_ALL) == TALLY_ENULL);
	RT_CHECK(tally_ledger_read(&a, n) == TALLY_ECPU);
	RT_CHECK(tally_ledger_read(&a, -2) == TALLY_ECPU);
	RT_CHECK(tally_ledger_read(&a, 1 << 30) == TALLY_ECPU);
	RT_CHECK(tally_ledger_read(&a, n - 1) == 0);
	RT_CHECK(a.cpu == n - 1 && a.ncpu == 1 && a.cycles_hz == 1000000000u);
	RT_CHECK(tally_ledger_read(&b, 0) == 0);
	RT_CHECK(tally_ledger_sub(NULL, &a, &b) == TALLY_ENULL);
	RT_CHECK(tally_ledger_sub(&d, NULL, &b) == TALLY_ENULL);
	RT_CHECK(tally_ledger_sub(&d, &a, NULL) == TALLY_ENULL);
	if (n > 1)
		RT_CHECK(tally_ledger_sub(&d, &a, &b) == TALLY_EMISMATCH);
	/* b read after a: a - b would go backwards */
	RT_CHECK(tally_ledger_read(&a, 0) == 0);
	tally_sleep(1 * MS);
	RT_CHECK(tally_ledger_read(&b, 0) == 0);
	RT_CHECK(tally_ledger_sub(&d, &a, &b) == TALLY_EMISMATCH);
	RT_CHECK(tally_ledger_sub(&d, &b, &a) == 0);
	RT_CHECK(d.elapsed >= 1 * MS);
	/* a table with another name at the same id is not comparable */
	struct tally_ledger c = a;
	c.classes[0].name = "not.a.class";
	RT_CHECK(tally_ledger_sub(&d, &b, &c) == TALLY_EMISMATCH);
	RT_CHECK(tally_ledger_cycles(NULL, "user") == 0);
	RT_CHECK(tally_ledger_cycles(&a, NULL) == 0);
}

static void read_errors(void **state)
{
	(void)state;
	reset();
	rt_test_run(errors_main, NULL, 1);
	reset();
	rt_test_run(errors_main, NULL, 4);
}

/* ---- groups (no runtime needed) ---- */

static void groups_sum_their_classes(void **state)
{
	(void)state;
	struct tally_ledger l;
	memset(&l, 0, sizeof(l));
	static const char *names[] = { "idle", "user", "kern", "kern.irq.timer",
	                               "kernel", "kern.fault", "rt.sched", "rtx" };
	for (unsigned k = 0; k < 8; k++) {
		l.classes[k].name = names[k];
		l.classes[k].cycles = 1ull << (2 * k);
	}
	l.nclasses = 8;
	assert_int_equal(tally_ledger_cycles(&l, "kern"), (1 << 4) + (1 << 6) + (1 << 10));
	assert_int_equal(tally_ledger_cycles(&l, "rt"), 1 << 12);
	assert_int_equal(tally_ledger_cycles(&l, "user"), 1 << 2);
	assert_int_equal(tally_ledger_cycles(&l, "idle"), 1);
	assert_int_equal(tally_ledger_cycles(&l, "kern.irq"), 1 << 6);  /* a sub-group */
	assert_int_equal(tally_ledger_cycles(&l, "ker"), 0);
	assert_int_equal(tally_ledger_cycles(&l, "kern.irq.timer"), 1 << 6);
	/* sub subtracts class by class; the residue follows */
	struct tally_ledger a = l, d;
	a.cpu = l.cpu = 0;
	a.ncpu = l.ncpu = 1;
	l.elapsed = 100000;
	a.elapsed = 200000;
	for (unsigned k = 0; k < 8; k++)
		a.classes[k].cycles += 10 * (k + 1);
	assert_int_equal(tally_ledger_sub(&d, &a, &l), 0);
	for (unsigned k = 0; k < 8; k++)
		assert_int_equal(d.classes[k].cycles, 10 * (k + 1));
	assert_int_equal(d.elapsed, 100000);
	a.classes[3].cycles = 0;  /* a class that went down */
	assert_int_equal(tally_ledger_sub(&d, &a, &l), TALLY_EMISMATCH);
}

/* ---- against an independent clock ---- */

static void busy_main(void *arg)
{
	(void)arg;
	struct tally_ledger a, b, d;
	uint64_t q0 = run_delay_ns();  /* outside a..b: see sleep_main */
	RT_CHECK(tally_ledger_read(&a, TALLY_LEDGER_ALL) == 0);
	uint64_t t0 = raw_ns();
	volatile uint64_t x = 0;
	while (raw_ns() - t0 < 60 * MS)
		x++;
	uint64_t wall = raw_ns() - t0;
	RT_CHECK(tally_ledger_read(&b, TALLY_LEDGER_ALL) == 0);
	uint64_t queued = run_delay_ns() - q0;
	RT_CHECK(tally_ledger_sub(&d, &b, &a) == 0);
	uint64_t user = class_cycles(&d, "user");
	RT_CHECK(user + queued >= wall * 8 / 10);
	RT_CHECK(user <= wall + 2 * MS + wall / 20 + queued);
	/* one M: the ledger's elapsed is the wall time of the loop */
	RT_CHECK(d.elapsed + 2 * MS >= wall && d.elapsed <= wall + 2 * MS + wall / 20 + queued);
}

static void sleep_main(void *arg)
{
	(void)arg;
	struct tally_ledger a, b, d;
	/* the schedstat reads are outside a..b: under ASan fopen allocates,
	 * and a thread that blocks there (a lock, a fault the host is slow
	 * to serve) is neither queued nor parked, so that time would land in
	 * "user" with no host count to allow for it (make stress once saw
	 * over 10 ms of "user" here); queued covers a superset of a..b */
	uint64_t q0 = run_delay_ns();
	RT_CHECK(tally_ledger_read(&a, TALLY_LEDGER_ALL) == 0);
	uint64_t t0 = raw_ns();
	tally_sleep(60 * MS);
	uint64_t wall = raw_ns() - t0;
	RT_CHECK(tally_ledger_read(&b, TALLY_LEDGER_ALL) == 0);
	uint64_t queued = run_delay_ns() - q0;
	RT_CHECK(tally_ledger_sub(&d, &b, &a) == 0);
	RT_CHECK(wall >= 60 * MS);
	RT_CHECK(class_cycles(&d, "idle") + queued >= wall * 8 / 10);
	RT_CHECK(class_cycles(&d, "user") < 10 * MS + queued);
	RT_CHECK(d.elapsed + 2 * MS >= wall && d.elapsed <= wall + 2 * MS + wall / 20 + queued);
}

static void busy_loop_is_user_sleep_is_idle(void **state)
{
	(void)state;
	reset();
	rt_test_run(busy_main, NULL, 1);
	reset();
	rt_test_run(sleep_main, NULL, 1);
}

static void all_main(void *arg)
{
	(void)arg;
	tally_sleep(20 * MS);  /* every M has started and charged something */
	struct tally_ledger a, b, d, one;
	/* the reading goroutine may run on any M's thread: the run-queue
	 * waits of all the process's threads bound its own from above */
	uint64_t q0 = rt_test_host_wait_ns();
	RT_CHECK(tally_ledger_read(&a, TALLY_LEDGER_ALL) == 0);
	RT_CHECK(a.ncpu == 4 && a.cpu == TALLY_LEDGER_ALL);
	uint64_t t0 = raw_ns();
	tally_sleep(60 * MS);
	uint64_t wall = raw_ns() - t0;
	RT_CHECK(tally_ledger_read(&b, TALLY_LEDGER_ALL) == 0);
	uint64_t queued = rt_test_host_wait_ns() - q0;
	RT_CHECK(tally_ledger_sub(&d, &b, &a) == 0);
	/* each ledger's part runs from its read in a to its read in b: the
	 * wall time plus the reads, which a host that keeps the reader
	 * waiting stretches */
	RT_CHECK(d.elapsed + 8 * MS >= 4 * wall &&
	         d.elapsed <= 4 * (wall + 2 * MS + wall / 20 + queued));
	/* the parts add up to a later whole: read the 4 CPUs, then ALL */
	uint64_t sum_el = 0, sum_user = 0;
	q0 = rt_test_host_wait_ns();
	for (int i = 0; i < 4; i++) {
		RT_CHECK(tally_ledger_read(&one, i) == 0);
		RT_CHECK(one.ncpu == 1 && one.cpu == i);
		sum_el += one.elapsed;
		sum_user += class_cycles(&one, "user");
	}
	RT_CHECK(tally_ledger_read(&b, TALLY_LEDGER_ALL) == 0);
	queued = rt_test_host_wait_ns() - q0;
	RT_CHECK(b.elapsed >= sum_el && b.elapsed - sum_el < 4 * (20 * MS + queued));
	RT_CHECK(class_cycles(&b, "user") >= sum_user);
}

static void all_sums_every_m(void **state)
{
	(void)state;
	reset();
	rt_test_run(all_main, NULL, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(read_errors),
		cmocka_unit_test(groups_sum_their_classes),
		cmocka_unit_test(busy_loop_is_user_sleep_is_idle),
		cmocka_unit_test(all_sums_every_m),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

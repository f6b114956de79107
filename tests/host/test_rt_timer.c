/*
 * test_rt_timer.c - host tests of rt/rtimer.c: the per-P timer heap,
 * sleep, and Timer/Ticker channels.
 *
 * What is proved, each on 1 and on 4 Ms:
 *   - sleep is never early and roughly right (100 us .. 20 ms, and 50
 *     goroutines sleeping at once);
 *   - a Timer fires once, delivering a nanotime >= its deadline on its
 *     channel; Stop before it fires returns 1 and nothing is delivered,
 *     Stop after it fired returns 0; Reset re-arms (returns 1 if it was
 *     pending) and it fires again;
 *   - a Ticker delivers repeatedly (strictly increasing times, the k-th
 *     tick not before start + k * period), Stop ends it;
 *   - the heap: 64 timers added in random order (a third deleted again)
 *     fire in deadline order exactly once when rt_timers_run is driven
 *     with a synthetic clock; a periodic timer is re-armed past `now`;
 *     pp->timer0_when tracks the earliest deadline;
 *   - in real time, timers on one P fire in deadline order.
 * Times are exact on the lower side (never early) and loose on the upper
 * side: at most SLACK late beyond the time the host kept this process's
 * threads waiting for a CPU over the same interval (Linux's run_delay and
 * the machine's steal time, rt_test_host_wait_ns), so a busy host does
 * not fail them while a timer the runtime fires late still does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>
#include "rt/rt_impl.h"
#include "rt/include/tally.h"
#include "tests/host/rt_test.h"

#define MS 1000000ull
#define US 1000ull
#define SLACK (200 * MS)   /* the runtime's own lateness allowed */
#define NHEAP 64

struct shared {
	volatile int64_t done;
	volatile int64_t nlog;
	int64_t late_max;   /* the gated sleepers' latest (ns past asked) */
	volatile int64_t log[256];
	volatile int64_t fired[NHEAP];
};

RT_TEST_SCAFFOLD
#define join rt_test_join

/* The upper bound on lateness for an interval that began when the host
 * wait was w0: SLACK plus the host's wait since (see the top). */
static uint64_t late_bound(uint64_t w0)
{
	uint64_t w = rt_test_host_wait_ns();
	return SLACK + (w > w0 ? w - w0 : 0);
}

/* ---- sleep ---- */

/* A sleep later than its bound: what the host and the Ms did meanwhile.
 * The Ms' part comes from the runtime's ledger (ns hosted): parked
 * (idle) past the deadline is the runtime's fault; `user` is goroutines
 * running (or their threads waiting for a host CPU: the ledger counts
 * wall time). */
static void late_report(const char *what, uint64_t late, uint64_t bound, uint64_t s0,
                        const struct tally_ledger *l0)
{
	struct tally_ledger l1;
	char parts[200];
	int n = 0;
	if (tally_ledger_read(&l1, TALLY_LEDGER_ALL) == 0 && tally_ledger_sub(&l1, &l1, l0) == 0)
		for (unsigned k = 0; k < l1.nclasses && n < (int)sizeof(parts) - 40; k++)
			if (l1.classes[k].cycles >= MS)
				n += snprintf(parts + n, sizeof(parts) - (size_t)n, " %s %llu ms",
				              l1.classes[k].name,
				              (unsigned long long)(l1.classes[k].cycles / MS));
	parts[n] = 0;
	fprintf(stderr, "%s on %d Ms returned %llu ns late; the host kept the threads waiting "
	        "%llu ns meanwhile (%llu ns of it the machine's steal time); the Ms' ledger "
	        "over it:%s\n", what, tally_ncpu(), (unsigned long long)late,
	        (unsigned long long)(bound - SLACK),
	        (unsigned long long)(rt_test_host_steal_ns() - s0), parts);
}

static void sleeper(void *arg)
{
	uint64_t d = (uint64_t)(uintptr_t)arg;
	struct tally_ledger l0;
	uint64_t s0 = rt_test_host_steal_ns();
	uint64_t w0 = rt_test_host_wait_ns();
	RT_CHECK(tally_ledger_read(&l0, TALLY_LEDGER_ALL) == 0);
	uint64_t t0 = rt_nanotime();
	tally_sleep(d);
	uint64_t el = rt_nanotime() - t0;
	uint64_t bound = late_bound(w0);
	RT_CHECK(el >= d);
	if (el >= d + bound) {
		char what[48];
		snprintf(what, sizeof(what), "sleep(%llu ns)", (unsigned long long)d);
		late_report(what, el - d, bound, s0, &l0);
	}
	RT_CHECK(el < d + bound);
	tally_atomic_add(&S->done, 1);
}

/* One of the 50: it reads only the clock around its sleep.  The host's
 * counters and the ledger are read once for the whole group by
 * sleep_main: read by each sleeper (a directory of /proc and a file per
 * thread, twice), on one M they made every sleeper wait for the other
 * 49's reads, 200 ms and more under the sanitizers on a loaded host,
 * which is the test's cost, not the timers' lateness. */
static void gated_sleeper(void *arg)
{
	int64_t i = tally_atomic_add(&S->nlog, 1) - 1;
	uint64_t d = (uint64_t)(i % 10 + 1) * MS;
	char c;
	tally_chan_recv(arg, &c);   /* closed by sleep_main */
	uint64_t t0 = rt_nanotime();
	tally_sleep(d);
	uint64_t el = rt_nanotime() - t0;
	RT_CHECK(el >= d);
	int64_t late = (int64_t)(el - d), max = __atomic_load_n(&S->late_max, __ATOMIC_RELAXED);
	while (late > max && !__atomic_compare_exchange_n(&S->late_max, &max, late, 0,
	                                                  __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	tally_atomic_add(&S->done, 1);
}

static void sleep_main(void *arg)
{
	(void)arg;
	static const uint64_t ds[] = { 100 * US, 1 * MS, 5 * MS, 20 * MS };
	for (unsigned i = 0; i < sizeof(ds) / sizeof(ds[0]); i++)
		sleeper((void *)(uintptr_t)ds[i]);
	uint64_t w0 = rt_test_host_wait_ns();
	uint64_t t0 = rt_nanotime();
	tally_sleep(0);   /* returns at once */
	RT_CHECK(rt_nanotime() - t0 < late_bound(w0));
	/* 50 sleepers at once.  They all start first and wait at a gate:
	 * a goroutine's first run is the costly part under the sanitizers,
	 * and a woken sleeper queued behind 49 unstarted goroutines on one
	 * M measures their start-up, not the timers. */
	S->done = 0;
	S->nlog = 0;
	S->late_max = 0;
	struct tally_chan *gate = tally_chan_make(1, 0);
	for (int i = 0; i < 50; i++)
		tally_go(gated_sleeper, gate);
	join(&S->nlog, 50);
	struct tally_ledger l0;
	uint64_t s0 = rt_test_host_steal_ns();
	w0 = rt_test_host_wait_ns();
	RT_CHECK(tally_ledger_read(&l0, TALLY_LEDGER_ALL) == 0);
	t0 = rt_nanotime();
	tally_chan_close(gate);
	join(&S->done, 50);
	/* the latest of them, against the host's waits over the group */
	uint64_t bound = late_bound(w0), late = (uint64_t)S->late_max;
	if (late >= bound)
		late_report("the latest of 50 sleeps of 1 to 10 ms", late, bound, s0, &l0);
	RT_CHECK(late < bound);
}

/* Two goroutines ping-pong on a channel (each wake-up goes through
 * runnext, so the M always has local work): timers must still fire. */
static void pingpong(void *arg)
{
	struct tally_chan **cs = arg;
	int64_t v = 0;
	while (!tally_atomic_load(&S->done)) {
		tally_chan_send(cs[0], &v);
		tally_chan_recv(cs[1], &v);
	}
}

static void pingpong_echo(void *arg)
{
	struct tally_chan **cs = arg;
	int64_t v;
	for (;;) {
		tally_chan_recv(cs[0], &v);
		tally_chan_send(cs[1], &v);
	}
}

static void busy_sleep_main(void *arg)
{
	(void)arg;
	/* static: the ping-pong goroutines still run (and read cs) while
	 * main's frame is gone and the program exits */
	static struct tally_chan *cs[2];
	cs[0] = tally_chan_make(sizeof(int64_t), 0);
	cs[1] = tally_chan_make(sizeof(int64_t), 0);
	tally_go(pingpong_echo, cs);
	tally_go(pingpong, cs);
	sleeper((void *)(uintptr_t)(2 * MS));
	tally_atomic_store(&S->done, 1);
}

static void sleep_while_others_busy(void **state)
{
	(void)state;
	run_1_and_4(busy_sleep_main);
}

static void sleep_never_early(void **state)
{
	(void)state;
	run_1_and_4(sleep_main);
}

/* ---- Timer ---- */

static void timer_main(void *arg)
{
	(void)arg;
	/* fires once */
	uint64_t w0 = rt_test_host_wait_ns();
	uint64_t t0 = rt_nanotime();
	struct tally_timer *t = tally_timer_new(5 * MS);
	struct tally_chan *c = tally_timer_chan(t);
	RT_CHECK(tally_chan_cap(c) == 1);
	uint64_t v = 0;
	RT_CHECK(tally_chan_recv(c, &v) == 1);
	uint64_t now = rt_nanotime();
	RT_CHECK(v >= t0 + 5 * MS && v <= now);
	RT_CHECK(now - t0 < 5 * MS + late_bound(w0));
	tally_sleep(15 * MS);
	RT_CHECK(tally_chan_tryrecv(c, &v, NULL) == 0);   /* only once */
	RT_CHECK(tally_timer_stop(t) == 0);               /* already fired */

	/* reset after it fired: fires again */
	t0 = rt_nanotime();
	RT_CHECK(tally_timer_reset(t, 2 * MS) == 0);
	RT_CHECK(tally_chan_recv(c, &v) == 1 && v >= t0 + 2 * MS);
	tally_timer_free(t);

	/* stop before it fires (far off, so a busy host cannot make the stop
	 * come after it) */
	t = tally_timer_new(10000 * MS);
	c = tally_timer_chan(t);
	RT_CHECK(tally_timer_stop(t) == 1);
	RT_CHECK(tally_timer_stop(t) == 0);
	tally_sleep(40 * MS);
	RT_CHECK(tally_chan_tryrecv(c, &v, NULL) == 0);

	/* reset a stopped timer, and reset a pending one */
	t0 = rt_nanotime();
	RT_CHECK(tally_timer_reset(t, 3 * MS) == 0);
	RT_CHECK(tally_chan_recv(c, &v) == 1 && v >= t0 + 3 * MS);
	tally_timer_free(t);
	w0 = rt_test_host_wait_ns();
	t0 = rt_nanotime();
	t = tally_timer_new(10000 * MS);
	c = tally_timer_chan(t);
	RT_CHECK(tally_timer_reset(t, 4 * MS) == 1);
	RT_CHECK(tally_chan_recv(c, &v) == 1 && v >= t0 + 4 * MS);
	RT_CHECK(rt_nanotime() - t0 < 4 * MS + late_bound(w0));
	tally_timer_free(t);

	/* many timers at once, all deliver */
	struct tally_timer *ts[32];
	t0 = rt_nanotime();
	for (int i = 0; i < 32; i++)
		ts[i] = tally_timer_new((uint64_t)(31 - i) * 100 * US);
	for (int i = 0; i < 32; i++) {
		RT_CHECK(tally_chan_recv(tally_timer_chan(ts[i]), &v) == 1);
		RT_CHECK(v >= t0 + (uint64_t)(31 - i) * 100 * US);
		tally_timer_free(ts[i]);
	}
}

static void timer_fires_stops_resets(void **state)
{
	(void)state;
	run_1_and_4(timer_main);
}

/* ---- Ticker ---- */

static void ticker_main(void *arg)
{
	(void)arg;
	uint64_t period = 2 * MS;
	uint64_t t0 = rt_nanotime();
	struct tally_timer *tk = tally_ticker_new(period);
	struct tally_chan *c = tally_timer_chan(tk);
	uint64_t last = 0;
	for (uint64_t k = 1; k <= 10; k++) {
		uint64_t v;
		RT_CHECK(tally_chan_recv(c, &v) == 1);
		RT_CHECK(v > last);
		RT_CHECK(v >= t0 + k * period);
		last = v;
	}
	RT_CHECK(rt_nanotime() - t0 >= 10 * period);
	/* slower reset: skip at most two ticks of the old period (one
	 * buffered, one in flight), then ticks come every 5 ms */
	uint64_t r0 = rt_nanotime();
	RT_CHECK(tally_timer_reset(tk, 5 * MS) == 1);
	uint64_t v = 0;
	int skipped = 0;
	for (;;) {
		RT_CHECK(tally_chan_recv(c, &v) == 1);
		if (v >= r0 + 5 * MS)
			break;
		RT_CHECK(++skipped <= 2);
	}
	RT_CHECK(tally_chan_recv(c, &v) == 1 && v >= r0 + 10 * MS);
	/* stop: nothing more after a callback already running finished */
	RT_CHECK(tally_timer_stop(tk) == 1);
	tally_sleep(2 * MS);
	tally_chan_tryrecv(c, &v, NULL);
	tally_sleep(15 * MS);
	RT_CHECK(tally_chan_tryrecv(c, &v, NULL) == 0);
	tally_timer_free(tk);
}

static void ticker_delivers_repeatedly(void **state)
{
	(void)state;
	run_1_and_4(ticker_main);
}

/* ---- the heap ---- */

static void log_fire(void *arg, uint64_t seq)
{
	(void)seq;
	int64_t i = (int64_t)(intptr_t)arg;
	int64_t n = tally_atomic_add(&S->nlog, 1) - 1;
	if (n < 256)
		S->log[n] = i;
	if (i < NHEAP)
		tally_atomic_add(&S->fired[i], 1);
}

static struct rt_timer heap_timers[NHEAP];

static void heap_main(void *arg)
{
	(void)arg;
	struct m *m = rt_getm();
	m->locks++;   /* stay on this M (and its P) throughout */
	struct p *pp = m->p;
	uint64_t base = rt_nanotime() + 3600000 * MS;   /* an hour away */
	/* a permutation of 0..NHEAP-1: when = base + perm * 1000 */
	int perm[NHEAP];
	for (int i = 0; i < NHEAP; i++)
		perm[i] = i;
	for (int i = NHEAP - 1; i > 0; i--) {
		int j = (int)(rt_fastrand() % (uint64_t)(i + 1));
		int x = perm[i];
		perm[i] = perm[j];
		perm[j] = x;
	}
	unsigned n0 = pp->ntimers;
	for (int i = 0; i < NHEAP; i++) {
		struct rt_timer *t = &heap_timers[perm[i]];
		memset(t, 0, sizeof(*t));
		t->when = base + (uint64_t)perm[i] * 1000;
		t->f = log_fire;
		t->arg = (void *)(intptr_t)perm[i];
		rt_timer_add(t);
		RT_CHECK(t->pp == pp);
	}
	RT_CHECK(pp->ntimers == n0 + NHEAP);
	RT_CHECK(pp->timer0_when == base);
	for (int i = 0; i < NHEAP; i += 3)
		RT_CHECK(rt_timer_del(&heap_timers[i]) == 1);
	for (int i = 0; i < NHEAP; i += 3)
		RT_CHECK(rt_timer_del(&heap_timers[i]) == 0);
	RT_CHECK(pp->timer0_when == base + 1000);   /* timer 0 is gone */
	RT_CHECK(rt_timers_next() != 0 && rt_timers_next() <= base + 1000);

	/* a ticker among them */
	struct rt_timer tick = {0};
	tick.when = base + 500;
	tick.period = 10000;
	tick.f = log_fire;
	tick.arg = (void *)(intptr_t)1000;
	rt_timer_add(&tick);

	/* run the first half with a synthetic clock */
	rt_timers_run(pp, base + 32 * 1000);
	int64_t fired = tally_atomic_load(&S->nlog);
	/* 1..32 minus multiples of 3, plus the tick at base+500 */
	RT_CHECK(fired == (33 - 11) + 1);   /* ids 0..32 minus 0,3..30 */
	RT_CHECK(tick.pp == pp && tick.when == base + 500 + 4 * 10000);
	RT_CHECK(rt_timer_del(&tick) == 1);
	rt_timers_run(pp, base + 10 * 3600000 * MS);
	rt_releasem(m);
	RT_CHECK(pp->ntimers == n0);

	/* order and exactly-once */
	int64_t n = tally_atomic_load(&S->nlog), prev = -1;
	RT_CHECK(n == NHEAP - (NHEAP + 2) / 3 + 1);
	for (int64_t k = 0; k < n; k++) {
		int64_t i = S->log[k];
		if (i == 1000)
			continue;
		RT_CHECK(i > prev);
		prev = i;
	}
	for (int i = 0; i < NHEAP; i++)
		RT_CHECK(S->fired[i] == (i % 3 == 0 ? 0 : 1));
	for (int i = 0; i < NHEAP; i++)
		RT_CHECK(heap_timers[i].pp == NULL);
}

static void heap_fires_in_deadline_order(void **state)
{
	(void)state;
	run_1_and_4(heap_main);
}

static struct rt_timer rt_timers_real[32];

/* 32 timers on one P, added in scrambled order, 200 us apart: they fire
 * in deadline order.  The premise is that all 32 are pending before the
 * first is due: an idle M runs another P's expired timers (sched.c's
 * expired_timers), so one added after its deadline fires when added.  An
 * attempt whose adding outlasted the 5 ms head start (a host thread
 * descheduled) is discarded and tried again, at most 20 times. */
static void realtime_order_main(void *arg)
{
	(void)arg;
	for (int attempt = 0;; attempt++) {
		RT_CHECK(attempt < 20);
		tally_atomic_store(&S->nlog, 0);
		struct m *m = rt_acquirem();   /* all on one P */
		uint64_t base = rt_nanotime() + 5 * MS;
		for (int i = 0; i < 32; i++) {
			int k = (i * 13) % 32;   /* scrambled insertion order */
			struct rt_timer *t = &rt_timers_real[k];
			memset(t, 0, sizeof(*t));
			t->when = base + (uint64_t)k * 200 * US;
			t->f = log_fire;
			t->arg = (void *)(intptr_t)k;
			rt_timer_add(t);
		}
		int premise = rt_nanotime() < base;
		rt_releasem(m);
		tally_sleep(12 * MS);
		join(&S->nlog, 32);
		if (!premise)
			continue;
		for (int k = 0; k < 32; k++)
			RT_CHECK(S->log[k] == k);
		return;
	}
}

static void timers_fire_in_deadline_order(void **state)
{
	(void)state;
	run_1_and_4(realtime_order_main);
}

/* ---- the parking invariant, under a fake clock ----
 *
 * No M parks without the earliest deadline of its P's timers: an M parked
 * with no deadline, or a later one, while its P holds an earlier timer
 * sleeps through that timer (the lost wake-up that made sleeps late).  A
 * thread that is not an M owns the clock: it advances it in 50 us steps
 * and, between steps, looks at every M; a parked M with no wake pending
 * must have parked with a deadline at or before its P's earliest timer.
 * The P's timer0_when is read while the M cannot leave its park, so each
 * look is exact, not a race.  Goroutines meanwhile sleep, reset, stop and
 * tick on every M; each sleep is checked never early to the nanosecond. */

#include <pthread.h>
#include <time.h>

static void *clock_owner(void *arg)
{
	unsigned nms = (unsigned)(uintptr_t)arg;
	while (!tally_atomic_load(&S->log[4])) {
		rt_test_clock_advance(50 * US);
		nanosleep(&(struct timespec){ 0, 100000 }, NULL);
		for (unsigned i = 0; i < nms; i++) {
			uint64_t dl, w;
			int wake;
			if (!rt_test_park_state(i, &dl, &wake, &rt_pget(i)->timer0_when, &w))
				continue;
			tally_atomic_add(&S->log[0], 1);   /* looks at a parked M */
			if (!wake && w && (dl == 0 || dl > w)) {
				S->log[1] = (int64_t)i;
				S->log[2] = (int64_t)dl;
				S->log[3] = (int64_t)w;
				tally_atomic_add(&S->nlog, 1);   /* violations */
			}
		}
	}
	return NULL;
}

static void fake_sleeper(void *arg)
{
	uint64_t seed = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull;
	for (int k = 0; k < 20; k++) {
		seed ^= seed >> 13, seed ^= seed << 7, seed ^= seed >> 17;
		uint64_t d = (seed % 40 + 1) * 25 * US;
		uint64_t t0 = rt_nanotime();
		tally_sleep(d);
		RT_CHECK(rt_nanotime() >= t0 + d);
	}
	tally_atomic_add(&S->done, 1);
}

static void fake_timers(void *arg)
{
	(void)arg;
	struct tally_timer *t = tally_timer_new(3 * MS);
	struct tally_timer *tk = tally_ticker_new(700 * US);
	uint64_t v;
	for (int k = 0; k < 5; k++) {
		RT_CHECK(tally_chan_recv(tally_timer_chan(tk), &v) == 1);
		tally_timer_reset(t, (uint64_t)(k + 1) * 300 * US);
	}
	RT_CHECK(tally_chan_recv(tally_timer_chan(t), &v) == 1);
	tally_timer_stop(tk);
	tally_timer_free(tk);
	tally_timer_free(t);
	tally_atomic_add(&S->done, 1);
}

static void parks_main(void *arg)
{
	unsigned nms = (unsigned)tally_ncpu();
	(void)arg;
	rt_test_clock_fake(rt_nanotime());
	pthread_t th;
	RT_CHECK(pthread_create(&th, NULL, clock_owner, (void *)(uintptr_t)nms) == 0);
	for (int i = 0; i < 16; i++)
		tally_go(fake_sleeper, (void *)(uintptr_t)(i + 1));
	tally_go(fake_timers, NULL);
	tally_go(fake_timers, NULL);
	while (tally_atomic_load(&S->done) < 18)
		tally_sleep(1 * MS);
	tally_atomic_store(&S->log[4], 1);   /* stops the clock owner */
	RT_CHECK(pthread_join(th, NULL) == 0);
	if (S->nlog)
		fprintf(stderr, "m%lld parked with deadline %lld, its P's earliest timer %lld\n",
		        (long long)S->log[1], (long long)S->log[2], (long long)S->log[3]);
	RT_CHECK(S->nlog == 0);
	RT_CHECK(S->log[0] > 0);   /* the watch saw parked Ms */
}

static void parks_keep_earliest_deadline(void **state)
{
	(void)state;
	run_1_and_4(parks_main);
}

/* ---- freeing a Timer that a goroutine still waits on ---- */
static void timer_waiter(void *arg)
{
	uint64_t v;
	tally_atomic_add(&S->done, 1);
	tally_chan_recv(tally_timer_chan(arg), &v);
}

static void free_busy_main(void *arg)
{
	(void)arg;
	struct tally_timer *t = tally_timer_new(3600ull * 1000 * MS);
	tally_go(timer_waiter, t);
	join(&S->done, 1);
	tally_sleep(2 * MS);   /* the waiter is parked on the channel */
	tally_timer_free(t);
}

static void timer_free_with_waiter_is_fatal(void **state)
{
	(void)state;
	expect_fatal(free_busy_main, 1,
	             "fatal error: tally_timer_free: goroutines are blocked on the timer's channel");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sleep_never_early),
		cmocka_unit_test(sleep_while_others_busy),
		cmocka_unit_test(timer_fires_stops_resets),
		cmocka_unit_test(ticker_delivers_repeatedly),
		cmocka_unit_test(heap_fires_in_deadline_order),
		cmocka_unit_test(timers_fire_in_deadline_order),
		cmocka_unit_test(parks_keep_earliest_deadline),
		cmocka_unit_test(timer_free_with_waiter_is_fatal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

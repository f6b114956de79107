/*
 * test_rt_preempt.c - host tests of asynchronous preemption: the hosted
 * timer signal and stub (rt/hosted/rt_preempt_hosted.c,
 * rt_preempt_stub.S) driving rt_preempt_check / rt_async_preempt_body
 * (rt/sched.c).
 *
 * What is proved:
 *   - two goroutines on ONE M that never yield, each spinning until the
 *     other advances a shared turn counter, take NTURNS turns: each turn
 *     needs the spinner to be preempted, so the run counts at least that
 *     many preemptions;
 *   - the same scenario with preemption off makes no progress (the first
 *     spinner keeps the M; its deadline check fails the child): the test
 *     above cannot pass without preemption;
 *   - goroutines preempted many times in the middle of integer, double
 *     and (where the CPU has AVX2) 256-bit vector loops compute exactly
 *     what they compute with preemption held off, on 1 M and on 4 (where
 *     they resume on other Ms): the general registers, the flags and the
 *     extended state (XSAVE: the upper halves of YMM too) survive;
 *   - a goroutine holding a runtime lock (m->locks > 0) is not preempted
 *     however long it runs;
 *   - goroutines on one M that take a pthread mutex only inside the
 *     hosted platform's section (as rt_net_hosted.c does) are never
 *     switched out holding it, even when the signal lands in the PLT stub
 *     through which the unlock is called: the others find it free every
 *     time (trylock; on one thread a busy mutex can only be held by a
 *     goroutine switched out).  Before rule 2 was narrowed to the .text
 *     section this failed within a second at a 10 us quantum;
 *   - rt_fastrand's pin: goroutines on one M drawing from it while being
 *     preempted consume that M's xorshift64* stream exactly once each
 *     value: every value drawn is one of the stream's first outputs, as
 *     the test's own implementation computes them from the M's seed, and
 *     no value is drawn twice (an unpinned read-modify-write of the
 *     state, preempted in between, hands two goroutines the same one).
 * The counts come from the hosted platform (rt_test_preemptions) and
 * from the G itself (g->preemptions, raised by rt_async_preempt_body).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>
#include "rt/rt_impl.h"
#include "rt/include/tally.h"
#include "tests/host/rt_test.h"

#define NTURNS 50
#define NSPIN_CHECK 4096         /* spins between deadline checks */
#define MIX_ROUNDS 200000
#define NWORKERS 3
#define WORKER_PREEMPTS 5        /* each worker runs until preempted this often */
#define MS 1000000ull

struct shared {
	volatile int64_t turn;
	volatile int64_t done;
	volatile uint64_t deadline_ms;   /* a spinner gives up after this */
	volatile uint64_t preempts;      /* seen in the child */
	volatile int64_t mismatches;
	volatile int64_t locked_preempts;
	volatile uint64_t ref_int, ref_vec;
	volatile double ref_fp;
	volatile int64_t has_avx2;
	volatile int64_t held_by_switched_out;
	volatile int64_t locked_rounds;
};

RT_TEST_SCAFFOLD

/* ---- spinners that never yield ---- */

static void spinner(void *arg)
{
	int64_t me = (int64_t)(intptr_t)arg;
	uint64_t deadline = rt_nanotime() + S->deadline_ms * MS;
	for (int64_t k = me; k < 2 * NTURNS; k += 2) {
		unsigned spins = 0;
		while (tally_atomic_load(&S->turn) != k) {
			if (++spins % NSPIN_CHECK == 0)
				RT_CHECK(rt_nanotime() < deadline && "no progress: never preempted");
		}
		tally_atomic_store(&S->turn, k + 1);
	}
	tally_atomic_add(&S->done, 1);
}

static void spinners_main(void *arg)
{
	(void)arg;
	tally_go(spinner, (void *)0);
	tally_go(spinner, (void *)1);
	rt_test_join(&S->done, 2);
	S->preempts = rt_test_preemptions();
}

static void spinners_on_one_m_take_turns(void **state)
{
	(void)state;
	reset();
	S->deadline_ms = 20000;
	rt_test_run(spinners_main, NULL, 1);
	assert_int_equal(S->turn, 2 * NTURNS);
	/* every turn but the first needs the other spinner preempted */
	assert_true(S->preempts >= 2 * NTURNS - 1);
	assert_true(rt_test_last_preemptions() >= S->preempts);
}

static void spinners_without_preemption_make_no_progress(void **state)
{
	(void)state;
	reset();
	S->deadline_ms = 300;
	rt_test_set_quantum_us(0);
	int st = rt_test_run_status(spinners_main, NULL, 1);
	rt_test_set_quantum_us(-1);
	const char *o = rt_test_output();
	if (st != RT_TEST_CHECK_STATUS || !strstr(o, "no progress"))
		fail_msg("expected the spinners to starve; status %d, output:\n%s", st, o);
	assert_int_equal(rt_test_last_preemptions(), 0);
	assert_true(S->turn <= 1);
}

/* ---- register state across preemptions ---- */

/* Eight integer and four double chains, all live in registers across the
 * loop, with a flag-setting compare per round. */
static uint64_t mix(uint64_t seed, unsigned rounds, double *fp)
{
	uint64_t a = seed, b = seed ^ 0x9e3779b97f4a7c15ull, c = seed * 3, d = ~seed;
	uint64_t e = seed << 7, f = seed >> 3, g = seed + 12345, h = seed ^ 0xff;
	double x = 1.0 + (double)(seed % 7), y = 0.5, z = 0.25, w = 2.0;
	for (unsigned i = 0; i < rounds; i++) {
		a += b ^ (c >> 3);
		b = ((b << 7) | (b >> 57)) + d;
		c ^= a * 0x2545f4914f6cdd1dull;
		d += e;
		e ^= f + i;
		f = (f >> 11) + g;
		g ^= h << 5;
		h += a;
		x = x * 0.999 + y;
		y = y * 1.0001 - z * 0.5;
		z = z + w * 1e-3;
		w = w * 0.9999 + x * 1e-6;
	}
	*fp = x + y + z + w;
	return a ^ b ^ c ^ d ^ e ^ f ^ g ^ h;
}

typedef double v4d __attribute__((vector_size(32)));

/* Four 256-bit accumulators: their upper halves live only in YMM
 * registers, which FXSAVE would not save. */
__attribute__((target("avx2"))) static uint64_t mix_avx2(uint64_t seed, unsigned rounds)
{
	v4d p = { 1.0, 2.0, 3.0, (double)(seed % 5) }, q = { 0.5, 0.25, 0.125, 0.0625 };
	v4d r = { 1e-3, 2e-3, 3e-3, 4e-3 }, s = { 7.0, 8.0, 9.0, 10.0 };
	const v4d k = { 0.999, 0.998, 0.997, 0.996 };
	for (unsigned i = 0; i < rounds; i++) {
		p = p * k + q;
		q = q * k + r;
		r = r * k + s * 1e-6;
		s = s * k + p * 1e-6;
	}
	v4d t = p + q + r + s;
	uint64_t out = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t bits;
		double v = t[i];
		memcpy(&bits, &v, sizeof(bits));
		out = out * 31 + bits;
	}
	return out;
}

static void worker(void *arg)
{
	uint64_t seed = (uint64_t)(uintptr_t)arg;
	struct g *gp = rt_getg();
	unsigned n = 0;
	while (gp->preemptions < WORKER_PREEMPTS || n < 2) {
		double fp;
		uint64_t v = mix(seed, MIX_ROUNDS, &fp);
		if (v != S->ref_int || fp != S->ref_fp)
			tally_atomic_add(&S->mismatches, 1);
		if (S->has_avx2 && mix_avx2(seed, MIX_ROUNDS) != S->ref_vec)
			tally_atomic_add(&S->mismatches, 1);
		n++;
	}
	tally_atomic_add(&S->done, 1);
}

static void registers_main(void *arg)
{
	(void)arg;
	const uint64_t seed = 42;
	struct rt_lock l = { 0 };
	double fp;
	S->has_avx2 = __builtin_cpu_supports("avx2");
	/* the reference, computed with preemption held off */
	rt_lock(&l);
	uint64_t before = rt_test_preemptions();
	S->ref_int = mix(seed, MIX_ROUNDS, &fp);
	S->ref_fp = fp;
	if (S->has_avx2)
		S->ref_vec = mix_avx2(seed, MIX_ROUNDS);
	/* spin past several quanta: still no preemption of this G */
	uint64_t until = rt_nanotime() + 20 * MS;
	while (rt_nanotime() < until)
		;
	S->locked_preempts = (int64_t)(rt_test_preemptions() - before);
	rt_unlock(&l);
	for (int i = 0; i < NWORKERS; i++)
		tally_go(worker, (void *)(uintptr_t)seed);
	rt_test_join(&S->done, NWORKERS);
	S->preempts = rt_test_preemptions();
}

static void registers_survive_preemption(void **state)
{
	(void)state;
	run_1_and_4(registers_main);
	assert_int_equal(S->done, NWORKERS);
	assert_int_equal(S->mismatches, 0);
	assert_int_equal(S->locked_preempts, 0);
	assert_true(S->preempts >= NWORKERS * WORKER_PREEMPTS);
}

/* ---- a pthread mutex held across the PLT ---- */

#define PLT_MS 600
static pthread_mutex_t plt_lock = PTHREAD_MUTEX_INITIALIZER;

/* In the hosted platform's section, like its users of pthread mutexes:
 * no preemption inside, but the calls go out through PLT stubs. */
RT_HOSTED_TEXT __attribute__((noinline)) static int plt_locked_round(void)
{
	if (pthread_mutex_trylock(&plt_lock) != 0)
		return 0;
	__atomic_fetch_add(&S->locked_rounds, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&plt_lock);
	return 1;
}

static void plt_worker(void *arg)
{
	(void)arg;
	uint64_t until = rt_nanotime() + PLT_MS * MS;
	while (rt_nanotime() < until) {
		for (int i = 0; i < 64; i++)
			if (!plt_locked_round())
				tally_atomic_add(&S->held_by_switched_out, 1);
		/* plain code between the batches, where a preemption may land:
		 * inside the rounds (the hosted section, libc behind the PLT)
		 * it is refused, and with nothing else the workers were
		 * preempted fewer than 10 times in a third of the runs */
		for (volatile int k = 0; k < 1000; k++)
			;
	}
	tally_atomic_add(&S->done, 1);
}

static void plt_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < 3; i++)
		tally_go(plt_worker, NULL);
	rt_test_join(&S->done, 3);
	S->preempts = rt_test_preemptions();
}

static void mutex_never_held_across_a_switch(void **state)
{
	(void)state;
	reset();
	rt_test_set_quantum_us(10);
	rt_test_run(plt_main, NULL, 1);
	rt_test_set_quantum_us(-1);
	assert_int_equal(S->done, 3);
	assert_int_equal(S->held_by_switched_out, 0);
	assert_true(S->locked_rounds > 0);
	/* the workers were preempted: the signal did land in them */
	assert_true(S->preempts >= 10);
}

/* ---- rt_fastrand under preemption ---- */

#define FR_G 4
#define FR_DRAWS 65536
#define FR_SLACK 65536           /* draws the scheduler itself may make */

struct fr_out {
	uint64_t seed;
	uint64_t done;
	uint64_t v[FR_G * FR_DRAWS];
};
static struct fr_out *fr;        /* MAP_SHARED, mapped by the parent */

static void fr_worker(void *arg)
{
	uint64_t *v = &fr->v[(uintptr_t)arg * FR_DRAWS];
	for (unsigned i = 0; i < FR_DRAWS; i++)
		v[i] = rt_fastrand();
	tally_atomic_add(&S->done, 1);
}

static void fr_main(void *arg)
{
	(void)arg;
	fr->seed = rt_getm()->fastrand;  /* one M: nobody else draws now */
	for (uintptr_t k = 0; k < FR_G; k++)
		tally_go(fr_worker, (void *)k);
	rt_test_join(&S->done, FR_G);
	S->preempts = rt_test_preemptions();
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void fastrand_pinned_under_preemption(void **state)
{
	(void)state;
	reset();
	fr = mmap(NULL, sizeof(*fr), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(fr != MAP_FAILED);
	rt_test_run(fr_main, NULL, 1);
	assert_int_equal(S->done, FR_G);
	assert_true(S->preempts >= 10);
	/* the reference: xorshift64* from the seed, written out here */
	size_t nref = FR_G * FR_DRAWS + FR_SLACK;
	uint64_t *ref = malloc(nref * sizeof(*ref)), x = fr->seed;
	assert_non_null(ref);
	for (size_t i = 0; i < nref; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		ref[i] = x * 0x2545f4914f6cdd1dull;
	}
	qsort(ref, nref, sizeof(*ref), cmp_u64);
	qsort(fr->v, FR_G * FR_DRAWS, sizeof(fr->v[0]), cmp_u64);
	size_t dups = 0, strangers = 0;
	for (size_t i = 0; i < FR_G * FR_DRAWS; i++) {
		if (i && fr->v[i] == fr->v[i - 1])
			dups++;
		if (!bsearch(&fr->v[i], ref, nref, sizeof(*ref), cmp_u64))
			strangers++;
	}
	free(ref);
	munmap(fr, sizeof(*fr));
	if (dups || strangers)
		fail_msg("%zu values drawn twice, %zu not from the M's stream", dups, strangers);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spinners_on_one_m_take_turns),
		cmocka_unit_test(spinners_without_preemption_make_no_progress),
		cmocka_unit_test(registers_survive_preemption),
		cmocka_unit_test(mutex_never_held_across_a_switch),
		cmocka_unit_test(fastrand_pinned_under_preemption),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

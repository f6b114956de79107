/*
 * test_rt_sync.c - host tests of rt/sync.c and rt/sema.c through
 * rt/include/tally.h (and rt/sema.h for the runtime semaphore itself).
 *
 * What is proved, each on 1 and on 4 Ms unless said otherwise:
 *   - Mutex: 4 goroutines x 10000 increments of a plain counter under the
 *     lock lose nothing and never overlap (an owner flag is checked inside
 *     the critical section), also with yields inside it so that waiters
 *     really park; trylock; a mutex held across a sleep on the other side
 *     of the critical section drives starvation mode (waiters park longer
 *     than 1 ms) and still excludes;
 *   - unlock of an unlocked mutex ends the program with "fatal error:
 *     sync: unlock of unlocked mutex" (checked in-process through the
 *     hosted platform's exit hook, and by status 2 in a child);
 *   - RWMutex: 4 readers are inside at the same time; a writer excludes
 *     readers and writers; RUnlock/Unlock of an unlocked RWMutex are fatal;
 *   - WaitGroup: Wait returns after every Done (several waiters), reuse
 *     after Wait, and a negative counter panics;
 *   - Once: 16 racing goroutines, fn runs exactly once and every caller
 *     returns after it finished;
 *   - Cond: Signal wakes exactly one waiter at a time, Broadcast all;
 *   - tally_sema: at most n holders, n reached; tryacquire;
 *     rt_semacquire/rt_semrelease count units and wake sleepers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "rt/rt_impl.h"
#include "rt/sema.h"
#include "rt/include/tally.h"
#include "tests/host/rt_test.h"

#define NINC 10000

struct shared {
	volatile int64_t counter;
	volatile int64_t flag;
	volatile int64_t active, max_active;
	volatile int64_t done;
	volatile int64_t plain;   /* incremented under a lock, not atomically */
	volatile int64_t woken;
	volatile int64_t waiting;
	volatile int64_t tokens;
	volatile int64_t ran;
	volatile int64_t status;
};

RT_TEST_SCAFFOLD
#define join rt_test_join

static void note_max(int64_t a)
{
	int64_t m;
	while ((m = tally_atomic_load(&S->max_active)) < a && !tally_atomic_cas(&S->max_active, m, a))
		;
}

/* ---- Mutex ---- */

static struct tally_mutex mu;

static void inc_worker(void *arg)
{
	int yield_every = (int)(intptr_t)arg;
	for (int i = 0; i < NINC; i++) {
		tally_mutex_lock(&mu);
		RT_CHECK(tally_atomic_swap(&S->flag, 1) == 0);   /* nobody else inside */
		S->plain = S->plain + 1;
		if (yield_every && i % yield_every == 0)
			tally_yield();
		tally_atomic_store(&S->flag, 0);
		tally_mutex_unlock(&mu);
	}
	tally_atomic_add(&S->done, 1);
}

static void mutex_main(void *arg)
{
	(void)arg;
	memset(&mu, 0, sizeof(mu));
	for (int i = 0; i < 4; i++)
		tally_go(inc_worker, (void *)(intptr_t)(i & 1 ? 0 : 97));
	join(&S->done, 4);
	RT_CHECK(S->plain == 4 * NINC);
	RT_CHECK(mu.state == 0);
	/* trylock */
	RT_CHECK(tally_mutex_trylock(&mu) == 1);
	RT_CHECK(tally_mutex_trylock(&mu) == 0);
	tally_mutex_unlock(&mu);
	RT_CHECK(tally_mutex_trylock(&mu) == 1);
	tally_mutex_unlock(&mu);
}

static void mutex_excludes(void **state)
{
	(void)state;
	run_1_and_4(mutex_main);
}

static void starve_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20; i++) {
		tally_mutex_lock(&mu);
		RT_CHECK(tally_atomic_swap(&S->flag, 1) == 0);
		S->plain = S->plain + 1;
		tally_sleep(500000);   /* hold it across a park: waiters starve */
		tally_atomic_store(&S->flag, 0);
		tally_mutex_unlock(&mu);
	}
	tally_atomic_add(&S->done, 1);
}

static void starvation_main(void *arg)
{
	(void)arg;
	memset(&mu, 0, sizeof(mu));
	for (int i = 0; i < 4; i++)
		tally_go(starve_worker, NULL);
	int starving_seen = 0;
	while (tally_atomic_load(&S->done) < 4) {
		starving_seen |= (__atomic_load_n(&mu.state, __ATOMIC_SEQ_CST) & 4) != 0;
		tally_sleep(50000);
	}
	RT_CHECK(starving_seen);   /* waiters that waited > 1 ms switched modes */
	RT_CHECK(S->plain == 80);
	RT_CHECK(mu.state == 0);
}

static void mutex_starvation_mode(void **state)
{
	(void)state;
	run_1_and_4(starvation_main);
}

static jmp_buf exit_jmp;
static void exit_hook(int status)
{
	longjmp(exit_jmp, status + 1);
}

static void unlock_unlocked_main(void *arg)
{
	(void)arg;
	struct tally_mutex m = {0};
	rt_test_set_exit_hook(exit_hook);
	int r = setjmp(exit_jmp);
	if (r == 0) {
		tally_mutex_unlock(&m);
		tally_atomic_store(&S->status, 100);   /* not reached */
	} else {
		tally_atomic_store(&S->status, r - 1);
	}
	rt_test_set_exit_hook(NULL);
	RT_CHECK(S->status == 2);
}

static void plain_unlock_unlocked_main(void *arg)
{
	(void)arg;
	struct tally_mutex m = {0};
	tally_mutex_lock(&m);
	tally_mutex_unlock(&m);
	tally_mutex_unlock(&m);
}

static void mutex_unlock_of_unlocked_is_fatal(void **state)
{
	(void)state;
	reset();
	rt_test_run(unlock_unlocked_main, NULL, 1);
	assert_int_equal(S->status, 2);
	assert_non_null(strstr(rt_test_output(), "fatal error: sync: unlock of unlocked mutex"));
	expect_fatal(plain_unlock_unlocked_main, 4, "fatal error: sync: unlock of unlocked mutex");
}

/* ---- RWMutex ---- */

static struct tally_rwmutex rw;

static void reader(void *arg)
{
	int wait_all = (int)(intptr_t)arg;
	tally_rwmutex_rlock(&rw);
	RT_CHECK(tally_atomic_load(&S->flag) == 0);        /* no writer inside */
	int64_t a = tally_atomic_add(&S->active, 1);
	note_max(a);
	if (wait_all) {
		/* all readers must be able to be inside together */
		for (int i = 0; i < 100000 && tally_atomic_load(&S->max_active) < 4; i++)
			tally_yield();
	} else {
		tally_yield();
	}
	tally_atomic_add(&S->active, -1);
	tally_rwmutex_runlock(&rw);
	tally_atomic_add(&S->done, 1);
}

static void writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 200; i++) {
		tally_rwmutex_lock(&rw);
		RT_CHECK(tally_atomic_swap(&S->flag, 1) == 0);
		RT_CHECK(tally_atomic_load(&S->active) == 0);
		S->plain = S->plain + 1;
		tally_yield();
		tally_atomic_store(&S->flag, 0);
		tally_rwmutex_unlock(&rw);
	}
	tally_atomic_add(&S->done, 1);
}

static void mixed_reader(void *arg)
{
	(void)arg;
	for (int i = 0; i < 200; i++)
		reader(NULL);
}

static void rwmutex_main(void *arg)
{
	(void)arg;
	memset(&rw, 0, sizeof(rw));
	for (int i = 0; i < 4; i++)
		tally_go(reader, (void *)1);
	join(&S->done, 4);
	RT_CHECK(S->max_active == 4);

	S->done = 0;
	for (int i = 0; i < 3; i++) {
		tally_go(writer, NULL);
		tally_go(mixed_reader, NULL);
	}
	join(&S->done, 3 + 3 * 200);
	RT_CHECK(S->plain == 600);
	RT_CHECK(rw.reader_count == 0 && rw.reader_wait == 0 && rw.w.state == 0);
}

static void rwmutex_readers_share_writers_exclude(void **state)
{
	(void)state;
	run_1_and_4(rwmutex_main);
}

static void runlock_unlocked_main(void *arg)
{
	(void)arg;
	memset(&rw, 0, sizeof(rw));
	tally_rwmutex_runlock(&rw);
}

static void unlock_unlocked_rw_main(void *arg)
{
	(void)arg;
	memset(&rw, 0, sizeof(rw));
	tally_rwmutex_rlock(&rw);
	tally_rwmutex_runlock(&rw);
	tally_rwmutex_unlock(&rw);
}

static void rwmutex_misuse_is_fatal(void **state)
{
	(void)state;
	expect_fatal(runlock_unlocked_main, 1, "fatal error: sync: RUnlock of unlocked RWMutex");
	expect_fatal(unlock_unlocked_rw_main, 4, "fatal error: sync: Unlock of unlocked RWMutex");
}

/* ---- WaitGroup ---- */

static struct tally_waitgroup wg;

static void wg_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10; i++)
		tally_yield();
	tally_atomic_add(&S->counter, 1);
	tally_waitgroup_done(&wg);
}

static void wg_waiter(void *arg)
{
	(void)arg;
	tally_waitgroup_wait(&wg);
	RT_CHECK(tally_atomic_load(&S->counter) >= 50);
	tally_atomic_add(&S->woken, 1);
}

static void waitgroup_main(void *arg)
{
	(void)arg;
	memset(&wg, 0, sizeof(wg));
	for (int round = 0; round < 3; round++) {
		S->counter = 0;
		S->woken = 0;
		tally_waitgroup_add(&wg, 50);
		for (int i = 0; i < 3; i++)
			tally_go(wg_waiter, NULL);
		for (int i = 0; i < 50; i++)
			tally_go(wg_worker, NULL);
		tally_waitgroup_wait(&wg);
		RT_CHECK(tally_atomic_load(&S->counter) == 50);
		join(&S->woken, 3);
		RT_CHECK(wg.state == 0);
	}
	tally_waitgroup_wait(&wg);   /* zero counter: returns at once */
}

static void waitgroup_waits_for_all(void **state)
{
	(void)state;
	run_1_and_4(waitgroup_main);
}

static void wg_negative_main(void *arg)
{
	(void)arg;
	memset(&wg, 0, sizeof(wg));
	tally_waitgroup_add(&wg, 1);
	tally_waitgroup_done(&wg);
	tally_waitgroup_done(&wg);
}

static void waitgroup_negative_counter_panics(void **state)
{
	(void)state;
	expect_fatal(wg_negative_main, 1, "panic: sync: negative WaitGroup counter");
}

/* ---- Once ---- */

static struct tally_once once;

static void once_fn(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20; i++)
		tally_yield();   /* widen the window for racing callers */
	tally_atomic_add(&S->ran, 1);
}

static void once_caller(void *arg)
{
	(void)arg;
	tally_once_do(&once, once_fn, NULL);
	RT_CHECK(tally_atomic_load(&S->ran) == 1);   /* fn finished before we return */
	tally_atomic_add(&S->done, 1);
}

static void once_main(void *arg)
{
	(void)arg;
	memset(&once, 0, sizeof(once));
	for (int i = 0; i < 16; i++)
		tally_go(once_caller, NULL);
	join(&S->done, 16);
	tally_once_do(&once, once_fn, NULL);
	RT_CHECK(S->ran == 1);
}

static void once_runs_exactly_once(void **state)
{
	(void)state;
	run_1_and_4(once_main);
}

/* ---- Cond ---- */

static struct tally_mutex cmu;
static struct tally_cond cond;

static void cond_waiter(void *arg)
{
	(void)arg;
	tally_mutex_lock(&cmu);
	S->waiting++;
	while (S->tokens == 0) {
		tally_cond_wait(&cond);
		S->ran++;   /* returns from Wait */
	}
	S->tokens--;
	S->woken++;
	tally_mutex_unlock(&cmu);
}

static int64_t locked_read(volatile int64_t *v)
{
	tally_mutex_lock(&cmu);
	int64_t x = *v;
	tally_mutex_unlock(&cmu);
	return x;
}

static void wait_locked(volatile int64_t *v, int64_t n)
{
	while (locked_read(v) < n)
		tally_yield();
}

static void cond_main(void *arg)
{
	(void)arg;
	memset(&cmu, 0, sizeof(cmu));
	memset(&cond, 0, sizeof(cond));
	cond.l = &cmu;
	enum { K = 8 };
	for (int i = 0; i < K; i++)
		tally_go(cond_waiter, NULL);
	wait_locked(&S->waiting, K);
	for (int i = 1; i <= K; i++) {
		tally_mutex_lock(&cmu);
		S->tokens++;
		tally_cond_signal(&cond);
		tally_mutex_unlock(&cmu);
		wait_locked(&S->woken, i);
		for (int j = 0; j < 20; j++)
			tally_yield();
		RT_CHECK(locked_read(&S->woken) == i);   /* exactly one per signal */
		RT_CHECK(locked_read(&S->ran) == i);
	}
	/* broadcast */
	S->waiting = S->woken = S->ran = 0;
	for (int i = 0; i < K; i++)
		tally_go(cond_waiter, NULL);
	wait_locked(&S->waiting, K);
	tally_mutex_lock(&cmu);
	S->tokens = K;
	tally_cond_broadcast(&cond);
	tally_mutex_unlock(&cmu);
	wait_locked(&S->woken, K);
	tally_cond_signal(&cond);      /* no waiters: no-op */
	tally_cond_broadcast(&cond);
}

static void cond_signal_and_broadcast(void **state)
{
	(void)state;
	run_1_and_4(cond_main);
}

/* ---- counting semaphores ---- */

static struct tally_sema sem;

static void sem_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 50; i++) {
		tally_sema_acquire(&sem);
		int64_t a = tally_atomic_add(&S->active, 1);
		RT_CHECK(a <= 3);
		note_max(a);
		/* hold it until the others fill the semaphore (or a while):
		 * on several Ms a busy host can otherwise run the workers one
		 * after another, and the test would never see 3 holders */
		for (int j = 0; j < 3 || (j < 200 && tally_atomic_load(&S->active) < 3); j++)
			tally_yield();
		tally_atomic_add(&S->active, -1);
		tally_sema_release(&sem);
	}
	tally_atomic_add(&S->done, 1);
}

static volatile uint32_t rsem;

static void rsem_worker(void *arg)
{
	(void)arg;
	rt_semacquire(&rsem);
	tally_atomic_add(&S->woken, 1);
}

static void sema_main(void *arg)
{
	(void)arg;
	tally_sema_init(&sem, 3);
	for (int i = 0; i < 10; i++)
		tally_go(sem_worker, NULL);
	join(&S->done, 10);
	RT_CHECK(S->max_active == 3);
	RT_CHECK(sem.count == 3 && sem.waiters == NULL);

	tally_sema_init(&sem, 1);
	RT_CHECK(tally_sema_tryacquire(&sem) == 1);
	RT_CHECK(tally_sema_tryacquire(&sem) == 0);
	tally_sema_release(&sem);
	RT_CHECK(tally_sema_tryacquire(&sem) == 1);
	tally_sema_release(&sem);

	/* the runtime semaphore: units count, sleepers wake one per unit */
	rsem = 2;
	rt_semacquire(&rsem);
	rt_semacquire(&rsem);
	RT_CHECK(rsem == 0);
	for (int i = 0; i < 5; i++)
		tally_go(rsem_worker, NULL);
	for (int i = 0; i < 50; i++)
		tally_yield();
	RT_CHECK(tally_atomic_load(&S->woken) == 0);
	for (int i = 1; i <= 5; i++) {
		rt_semrelease(&rsem, i & 1);
		join(&S->woken, i);
	}
	for (int i = 0; i < 20; i++)
		tally_yield();
	RT_CHECK(S->woken == 5 && rsem == 0);
}

static void semaphores_count(void **state)
{
	(void)state;
	run_1_and_4(sema_main);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mutex_excludes),
		cmocka_unit_test(mutex_starvation_mode),
		cmocka_unit_test(mutex_unlock_of_unlocked_is_fatal),
		cmocka_unit_test(rwmutex_readers_share_writers_exclude),
		cmocka_unit_test(rwmutex_misuse_is_fatal),
		cmocka_unit_test(waitgroup_waits_for_all),
		cmocka_unit_test(waitgroup_negative_counter_panics),
		cmocka_unit_test(once_runs_exactly_once),
		cmocka_unit_test(cond_signal_and_broadcast),
		cmocka_unit_test(semaphores_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * sync.c - pthreads peer: mutex, counter, timer, sleep and allocation benchmarks.
 *
 * Purpose: the pthreads equivalents of Tally's synchronisation, timer and
 * allocation benchmarks.  One operation of each:
 *   MutexUncontended   pthread_mutex_lock + unlock by one thread
 *   MutexContended     lock, increment, unlock, by either of two threads
 *   TimerStartStop     arm a timerfd one hour ahead, then disarm it
 *   SleepWakeLatency   nanosleep(100 us), measured whole (Linux's default
 *                      50 us timer slack included: that is what a program gets)
 *   CounterAtomic      one atomic fetch-add by either of two threads
 *   CounterOneMutex    one increment under a mutex shared by two threads
 *   CounterSharded     one increment under the thread's own mutex, each
 *                      shard on its own cache line (summed at the end)
 *   TimerPerWait       a wait with a timeout that is already satisfied:
 *                      ready an eventfd, create + arm a timerfd (1 s),
 *                      poll both, consume the event, close the timerfd
 *   TimerReset         the same wait re-arming and disarming one timerfd
 *   AllocPerCall       malloc(64), fill, publish, free
 *   AllocReused        fill and publish one reused 64-byte buffer
 *
 * Data structures: struct shard (a mutex and a counter padded to 64 bytes);
 * struct counter_job (what one counting thread does).  Invariants: after a
 * counter body, the counts add up to b->n (checked: a mismatch fails the
 * benchmark).  Locking: each shard's mutex guards its count; the shared
 * mutex guards the shared count.  Context: threads are joined before return.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* ---- mutexes --------------------------------------------------------------- */

void
bench_mutex_uncontended(struct bench_b *b)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	long i;

	for (i = 0; i < b->n; i++) {
		pthread_mutex_lock(&mu);
		pthread_mutex_unlock(&mu);
	}
}

struct shard {
	pthread_mutex_t mu;
	long count;
} __attribute__((aligned(64)));

enum counter_kind { COUNT_MUTEX, COUNT_ATOMIC };

struct counter_job {
	enum counter_kind kind;
	struct shard *shard;	/* COUNT_MUTEX: the shard to lock */
	atomic_long *atom;	/* COUNT_ATOMIC */
	long n;
};

static void *
count_thread(void *arg)
{
	struct counter_job *j = arg;
	long i;

	if (j->kind == COUNT_ATOMIC) {
		for (i = 0; i < j->n; i++)
			atomic_fetch_add_explicit(j->atom, 1, memory_order_relaxed);
		return NULL;
	}
	for (i = 0; i < j->n; i++) {
		pthread_mutex_lock(&j->shard->mu);
		j->shard->count++;
		pthread_mutex_unlock(&j->shard->mu);
	}
	return NULL;
}

/* Two threads count b->n in total; sharded: each into its own shard. */
static void
run_counters(struct bench_b *b, enum counter_kind kind, int sharded)
{
	static struct shard shards[2];
	struct counter_job jobs[2];
	atomic_long atom;
	pthread_t t[2];
	long total;
	int i;

	atomic_init(&atom, 0);
	for (i = 0; i < 2; i++) {
		pthread_mutex_init(&shards[i].mu, NULL);
		shards[i].count = 0;
		jobs[i].kind = kind;
		jobs[i].shard = &shards[sharded ? i : 0];
		jobs[i].atom = &atom;
		jobs[i].n = i == 0 ? b->n / 2 : b->n - b->n / 2;
	}
	for (i = 0; i < 2; i++)
		bench_start(&t[i], count_thread, &jobs[i]);
	for (i = 0; i < 2; i++)
		bench_join(t[i]);
	total = kind == COUNT_ATOMIC ? atomic_load(&atom) :
	        shards[0].count + shards[1].count;
	if (total != b->n)
		bench_fail(b, "lost increments");
}

void
bench_mutex_contended(struct bench_b *b)
{
	run_counters(b, COUNT_MUTEX, 0);
}

void
bench_counter_atomic(struct bench_b *b)
{
	run_counters(b, COUNT_ATOMIC, 0);
}

void
bench_counter_one_mutex(struct bench_b *b)
{
	run_counters(b, COUNT_MUTEX, 0);
}

void
bench_counter_sharded(struct bench_b *b)
{
	run_counters(b, COUNT_MUTEX, 1);
}

/* ---- timers and sleep ---------------------------------------------------- */

static const struct itimerspec disarm;

void
bench_timer_start_stop(struct bench_b *b)
{
	struct itimerspec hour = { .it_value = { 3600, 0 } };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	long i;

	if (fd < 0) {
		bench_fail(b, "timerfd_create failed");
		return;
	}
	for (i = 0; i < b->n; i++) {
		timerfd_settime(fd, 0, &hour, NULL);
		timerfd_settime(fd, 0, &disarm, NULL);
	}
	close(fd);
}

void
bench_sleep_wake_latency(struct bench_b *b)
{
	struct timespec d = { 0, 100 * 1000 };
	long i;

	for (i = 0; i < b->n; i++)
		nanosleep(&d, NULL);
}

/* One wait on efd (made ready first) with the timeout timer tfd. */
static int
wait_ready(int efd, int tfd)
{
	struct pollfd p[2] = { { efd, POLLIN, 0 }, { tfd, POLLIN, 0 } };
	uint64_t v;

	if (eventfd_write(efd, 1) != 0 || poll(p, 2, -1) != 1 ||
	    !(p[0].revents & POLLIN) || read(efd, &v, sizeof v) != sizeof v)
		return -1;
	return 0;
}

void
bench_timer_per_wait(struct bench_b *b)
{
	struct itimerspec sec = { .it_value = { 1, 0 } };
	int efd = eventfd(0, EFD_CLOEXEC);
	long i;

	for (i = 0; i < b->n; i++) {
		int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

		timerfd_settime(tfd, 0, &sec, NULL);
		if (wait_ready(efd, tfd) != 0) {
			bench_fail(b, "wait failed");
			i = b->n;
		}
		close(tfd);
	}
	close(efd);
}

void
bench_timer_reset(struct bench_b *b)
{
	struct itimerspec sec = { .it_value = { 1, 0 } };
	int efd = eventfd(0, EFD_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	long i;

	for (i = 0; i < b->n; i++) {
		timerfd_settime(tfd, 0, &sec, NULL);
		if (wait_ready(efd, tfd) != 0) {
			bench_fail(b, "wait failed");
			break;
		}
		timerfd_settime(tfd, 0, &disarm, NULL);
	}
	close(tfd);
	close(efd);
}

/* ---- allocation ---------------------------------------------------------- */

#define OBJ_BYTES 64

void
bench_alloc_per_call(struct bench_b *b)
{
	long i;

	for (i = 0; i < b->n; i++) {
		unsigned char *p = malloc(OBJ_BYTES);

		memset(p, (int)i, OBJ_BYTES);
		bench_sink((uintptr_t)p);
		free(p);
	}
}

void
bench_alloc_reused(struct bench_b *b)
{
	static unsigned char buf[OBJ_BYTES];
	long i;

	for (i = 0; i < b->n; i++) {
		memset(buf, (int)i, OBJ_BYTES);
		bench_sink((uintptr_t)buf);
	}
}

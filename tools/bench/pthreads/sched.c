/*
 * sched.c - pthreads peer: thread start, yield, hand-off and queue benchmarks.
 *
 * Purpose: the pthreads equivalents of Tally's scheduler and channel
 * benchmarks.  One operation of each:
 *   SpawnJoin             pthread_create + pthread_join of an empty thread
 *   YieldPingPong         a round trip of a shared atomic turn between two
 *                         threads pinned to CPU 0 that sched_yield() while
 *                         it is not theirs
 *   ChanPingPongOneP      a futex round trip (wake the peer, wait for its
 *                         answer) between two threads pinned to CPU 0
 *   ChanPingPongCrossP    the same with the threads pinned to CPUs 0 and 1
 *   ChanBuffered          one element through a 128-slot queue (mutex + two
 *                         condition variables), producer and consumer on CPU 0
 *   CheckGoroutinePerItem one item checked by a thread of its own (batches of
 *                         64 threads, joined per batch): "a thread per item"
 *   CheckInline           one item checked in a loop
 *   CounterChannel        one increment sent by one of two threads through a
 *                         one-slot queue to a counting thread (the
 *                         "goroutine owns the counter" pattern)
 *
 * Data structures: struct pingpong (a futex word and a stop flag) and struct
 * queue (a ring of ints, a mutex, not_full / not_empty condition variables).
 * Invariants: a queue holds 0 <= count <= cap elements; a futex word is 0
 * when it is the first thread's turn and 1 when it is the second's, 2 once
 * the first has finished.  Locking: the queue's mutex guards its ring.
 * Context: threads started here are joined before the body returns.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

/* ---- SpawnJoin ---------------------------------------------------------- */

static void *
empty_thread(void *arg)
{
	return arg;
}

void
bench_spawn_join(struct bench_b *b)
{
	pthread_t t;
	long i;

	for (i = 0; i < b->n; i++) {
		bench_start(&t, empty_thread, NULL);
		bench_join(t);
	}
}

/* ---- YieldPingPong -------------------------------------------------------- */

struct turn {
	atomic_int turn;
	long n;
	int cpu;
};

static void *
yield_peer(void *arg)
{
	struct turn *t = arg;
	long i;

	bench_pin(t->cpu);
	for (i = 0; i < t->n; i++) {
		while (atomic_load_explicit(&t->turn, memory_order_acquire) != 1)
			sched_yield();
		atomic_store_explicit(&t->turn, 0, memory_order_release);
	}
	return NULL;
}

void
bench_yield_ping_pong(struct bench_b *b)
{
	struct turn t = { .n = b->n, .cpu = 0 };
	pthread_t peer;
	long i;

	bench_pin(0);
	atomic_init(&t.turn, 0);
	bench_start(&peer, yield_peer, &t);
	for (i = 0; i < b->n; i++) {
		atomic_store_explicit(&t.turn, 1, memory_order_release);
		while (atomic_load_explicit(&t.turn, memory_order_acquire) != 0)
			sched_yield();
	}
	bench_join(peer);
}

/* ---- ChanPingPong (futex) ------------------------------------------------- */

static void
futex_wait(atomic_int *w, int val)
{
	syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void
futex_wake(atomic_int *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

struct pingpong {
	atomic_int word;	/* 0: first's turn, 1: second's, 2: stop */
	int cpu;
};

static void *
pong(void *arg)
{
	struct pingpong *p = arg;
	int v;

	bench_pin(p->cpu);
	for (;;) {
		while ((v = atomic_load(&p->word)) == 0)
			futex_wait(&p->word, 0);
		if (v == 2)
			return NULL;
		atomic_store(&p->word, 0);
		futex_wake(&p->word);
	}
}

static void
ping_pong(struct bench_b *b, int cpu0, int cpu1)
{
	struct pingpong p = { .cpu = cpu1 };
	pthread_t peer;
	long i;

	if (bench_pin(cpu0) != 0) {
		bench_fail(b, "cannot pin to the CPU");
		return;
	}
	atomic_init(&p.word, 0);
	bench_start(&peer, pong, &p);
	for (i = 0; i < b->n; i++) {
		atomic_store(&p.word, 1);
		futex_wake(&p.word);
		while (atomic_load(&p.word) == 1)
			futex_wait(&p.word, 1);
	}
	atomic_store(&p.word, 2);
	futex_wake(&p.word);
	bench_join(peer);
}

void
bench_chan_ping_pong_one_p(struct bench_b *b)
{
	ping_pong(b, 0, 0);
}

void
bench_chan_ping_pong_cross_p(struct bench_b *b)
{
	ping_pong(b, 0, 1);
}

/* ---- bounded queue (the "channel" of the C side) --------------------------- */

#define QUEUE_MAX 128

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t not_full, not_empty;
	int ring[QUEUE_MAX];
	int head, count, cap;	/* guarded by mu */
};

static void
queue_init(struct queue *q, int cap)
{
	memset(q, 0, sizeof *q);
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_full, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	q->cap = cap;
}

static void
queue_destroy(struct queue *q)
{
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	pthread_mutex_destroy(&q->mu);
}

static void
queue_send(struct queue *q, int v)
{
	pthread_mutex_lock(&q->mu);
	while (q->count == q->cap)
		pthread_cond_wait(&q->not_full, &q->mu);
	q->ring[(q->head + q->count) % q->cap] = v;
	q->count++;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
}

static int
queue_recv(struct queue *q)
{
	int v;

	pthread_mutex_lock(&q->mu);
	while (q->count == 0)
		pthread_cond_wait(&q->not_empty, &q->mu);
	v = q->ring[q->head];
	q->head = (q->head + 1) % q->cap;
	q->count--;
	pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->mu);
	return v;
}

struct producer {
	struct queue *q;
	long n;
	int pin;		/* CPU to pin to, or -1 */
};

static void *
produce(void *arg)
{
	struct producer *p = arg;
	long i;

	if (p->pin >= 0)
		bench_pin(p->pin);
	for (i = 0; i < p->n; i++)
		queue_send(p->q, 1);
	return NULL;
}

void
bench_chan_buffered(struct bench_b *b)
{
	struct queue q;
	struct producer p = { &q, b->n, 0 };
	pthread_t t;
	long i, sum = 0;

	bench_pin(0);
	queue_init(&q, QUEUE_MAX);
	bench_start(&t, produce, &p);
	for (i = 0; i < b->n; i++)
		sum += queue_recv(&q);
	bench_join(t);
	queue_destroy(&q);
	bench_sink((uintptr_t)sum);
}

void
bench_counter_channel(struct bench_b *b)
{
	struct queue q;
	struct producer p[2];
	pthread_t t[2];
	long i, count = 0;

	queue_init(&q, 1);
	p[0] = (struct producer){ &q, b->n / 2, -1 };
	p[1] = (struct producer){ &q, b->n - b->n / 2, -1 };
	bench_start(&t[0], produce, &p[0]);
	bench_start(&t[1], produce, &p[1]);
	for (i = 0; i < b->n; i++)
		count += queue_recv(&q);
	bench_join(t[0]);
	bench_join(t[1]);
	queue_destroy(&q);
	if (count != b->n)
		bench_fail(b, "lost increments");
}

/* ---- CheckGoroutinePerItem / CheckInline --------------------------------- */

#define ITEM_BYTES 64
#define BATCH 64

struct item {
	unsigned char data[ITEM_BYTES];
	uint64_t sum;
};

static struct item items[BATCH];

/* The "check": FNV-1a over the item's bytes. */
static void
check_item(struct item *it)
{
	uint64_t h = 14695981039346656037ull;
	int i;

	for (i = 0; i < ITEM_BYTES; i++)
		h = (h ^ it->data[i]) * 1099511628211ull;
	it->sum = h;
}

static void *
check_thread(void *arg)
{
	check_item(arg);
	return NULL;
}

static void
fill_items(void)
{
	int i, j;

	for (i = 0; i < BATCH; i++)
		for (j = 0; j < ITEM_BYTES; j++)
			items[i].data[j] = (unsigned char)(i * 31 + j);
}

void
bench_check_thread_per_item(struct bench_b *b)
{
	pthread_t t[BATCH];
	long done = 0;

	fill_items();
	bench_reset_timer(b);
	while (done < b->n) {
		long k, m = b->n - done < BATCH ? b->n - done : BATCH;

		for (k = 0; k < m; k++)
			bench_start(&t[k], check_thread, &items[k]);
		for (k = 0; k < m; k++)
			bench_join(t[k]);
		done += m;
	}
	bench_sink((uintptr_t)items[0].sum);
}

void
bench_check_inline(struct bench_b *b)
{
	long i;

	fill_items();
	bench_reset_timer(b);
	for (i = 0; i < b->n; i++)
		check_item(&items[i % BATCH]);
	bench_sink((uintptr_t)items[0].sum);
}

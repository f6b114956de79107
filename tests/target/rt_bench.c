/*
 * rt_bench.c - on-target benchmarks of the goroutine runtime.  Names and
 * one-operation definitions are those of the Go and pthreads peers
 * (tools/bench/go/ and tools/bench/pthreads/), so `make bench` can put them side by side.
 */
#include <stdint.h>
#include "kernel/bench.h"
#include "rt/include/tally.h"

static struct tally_waitgroup wg_sj;
static void done_fn(void *arg) { tally_waitgroup_done(arg); }

/* go f(); f calls wg.Done(); wg.Wait() */
BENCH(SpawnJoin)
{
	for (uint64_t i = 0; i < b->n; i++) {
		tally_waitgroup_add(&wg_sj, 1);
		tally_go(done_fn, &wg_sj);
		tally_waitgroup_wait(&wg_sj);
	}
}

static volatile int64_t turn;
struct yp {
	uint64_t n;
	struct tally_chan *done;
};
static void yield_peer(void *arg)
{
	struct yp *y = arg;
	for (uint64_t i = 0; i < y->n; i++) {
		while (tally_atomic_load(&turn) != 1)
			tally_yield();
		tally_atomic_store(&turn, 0);
	}
	tally_chan_close(y->done);
}

/* a round trip of a shared atomic turn between two yielding goroutines */
BENCH_P(YieldPingPong, 1)
{
	struct yp y = { b->n, tally_chan_make(0, 0) };
	turn = 0;
	tally_go(yield_peer, &y);
	for (uint64_t i = 0; i < b->n; i++) {
		tally_atomic_store(&turn, 1);
		while (tally_atomic_load(&turn) != 0)
			tally_yield();
	}
	tally_chan_recv(y.done, NULL);
}

struct pp {
	struct tally_chan *ping, *pong;
};
static void ponger(void *arg)
{
	struct pp *p = arg;
	int v;
	while (tally_chan_recv(p->ping, &v))
		tally_chan_send(p->pong, &v);
	tally_chan_close(p->pong);
}

static void chan_pingpong(struct bench_b *b)
{
	struct pp p = { tally_chan_make(sizeof(int), 0), tally_chan_make(sizeof(int), 0) };
	tally_go(ponger, &p);
	int v = 0;
	for (uint64_t i = 0; i < b->n; i++) {
		tally_chan_send(p.ping, &v);
		tally_chan_recv(p.pong, &v);
	}
	tally_chan_close(p.ping);
	tally_chan_recv(p.pong, NULL);
}

/* an unbuffered-channel round trip (ping, pong) */
BENCH_P(ChanPingPongOneP, 1) { chan_pingpong(b); }
BENCH_P(ChanPingPongCrossP, 2) { chan_pingpong(b); }

struct prod {
	struct tally_chan *c;
	uint64_t n;
};
static void producer(void *arg)
{
	struct prod *p = arg;
	for (uint64_t i = 0; i < p->n; i++)
		tally_chan_send(p->c, &i);
	tally_chan_close(p->c);
}

/* one element through a 128-slot channel, one producer, one consumer */
BENCH(ChanBuffered)
{
	struct prod p = { tally_chan_make(sizeof(uint64_t), 128), b->n };
	tally_go(producer, &p);
	uint64_t v, got = 0;
	while (tally_chan_recv(p.c, &v))
		got++;
	if (got != b->n)
		bench_fail(b, "lost elements");
}

static struct tally_mutex mu;

/* Lock + Unlock by one goroutine */
BENCH(MutexUncontended)
{
	for (uint64_t i = 0; i < b->n; i++) {
		tally_mutex_lock(&mu);
		tally_mutex_unlock(&mu);
	}
}

static volatile int64_t counter;
struct half {
	uint64_t n;
	struct tally_waitgroup *wg;
};
static void locker(void *arg)
{
	struct half *h = arg;
	for (uint64_t i = 0; i < h->n; i++) {
		tally_mutex_lock(&mu);
		counter++;
		tally_mutex_unlock(&mu);
	}
	tally_waitgroup_done(h->wg);
}

/* Lock, increment, Unlock by either of two goroutines */
BENCH_P(MutexContended, 2)
{
	static struct tally_waitgroup wg;
	struct half h1 = { b->n / 2, &wg }, h2 = { b->n - b->n / 2, &wg };
	counter = 0;
	tally_waitgroup_add(&wg, 2);
	tally_go(locker, &h1);
	tally_go(locker, &h2);
	tally_waitgroup_wait(&wg);
	if ((uint64_t)counter != b->n)
		bench_fail(b, "lost increments");
}

/* Reset a stopped timer one hour ahead, then Stop it */
BENCH(TimerStartStop)
{
	struct tally_timer *t = tally_timer_new(3600ull * 1000000000ull);
	tally_timer_stop(t);
	for (uint64_t i = 0; i < b->n; i++) {
		tally_timer_reset(t, 3600ull * 1000000000ull);
		tally_timer_stop(t);
	}
	tally_timer_free(t);
}

/* time.Sleep(100 us), measured whole */
BENCH(SleepWakeLatency)
{
	for (uint64_t i = 0; i < b->n; i++)
		tally_sleep(100000);
}

/* paired: a counter incremented over a channel vs atomically */
struct sender {
	uint64_t n;
	struct tally_chan *c;
	struct tally_waitgroup *wg;
};
static void chan_sender(void *arg)
{
	struct sender *s = arg;
	int one = 1;
	for (uint64_t i = 0; i < s->n; i++)
		tally_chan_send(s->c, &one);
	tally_waitgroup_done(s->wg);  /* s lives in the benchmark's frame */
}

/* one increment sent by one of two goroutines over an unbuffered channel
 * to the counting goroutine */
BENCH(CounterChannel)
{
	static struct tally_waitgroup wg;
	struct tally_chan *c = tally_chan_make(sizeof(int), 0);
	struct sender h1 = { b->n / 2, c, &wg }, h2 = { b->n - b->n / 2, c, &wg };
	tally_waitgroup_add(&wg, 2);
	tally_go(chan_sender, &h1);
	tally_go(chan_sender, &h2);
	int v;
	uint64_t total = 0;
	for (uint64_t i = 0; i < b->n; i++) {
		tally_chan_recv(c, &v);
		total += (uint64_t)v;
	}
	tally_waitgroup_wait(&wg);
	if (total != b->n)
		bench_fail(b, "lost increments");
}

static void atomic_adder(void *arg)
{
	struct half *h = arg;
	for (uint64_t i = 0; i < h->n; i++)
		tally_atomic_add(&counter, 1);
	tally_waitgroup_done(h->wg);
}

/* one atomic add by either of two goroutines */
BENCH(CounterAtomic)
{
	static struct tally_waitgroup wg;
	struct half h1 = { b->n / 2, &wg }, h2 = { b->n - b->n / 2, &wg };
	counter = 0;
	tally_waitgroup_add(&wg, 2);
	tally_go(atomic_adder, &h1);
	tally_go(atomic_adder, &h2);
	tally_waitgroup_wait(&wg);
	if ((uint64_t)counter != b->n)
		bench_fail(b, "lost increments");
}

/* ---- paired: a goroutine per trivial check vs the check inline ---- */
#define ITEM_BYTES 64
#define BATCH 64
struct item {
	uint8_t data[ITEM_BYTES];
	uint64_t sum;
};
static struct item items[BATCH];

static void fill_items(void)
{
	for (int i = 0; i < BATCH; i++)
		for (int j = 0; j < ITEM_BYTES; j++)
			items[i].data[j] = (uint8_t)(i * 31 + j);
}

/* FNV-1a over the item: the per-item work */
static void check(struct item *it)
{
	uint64_t h = 14695981039346656037ull;
	for (int i = 0; i < ITEM_BYTES; i++)
		h = (h ^ it->data[i]) * 1099511628211ull;
	it->sum = h;
}

static struct tally_waitgroup check_wg;
static void check_g(void *arg)
{
	check(arg);
	tally_waitgroup_done(&check_wg);
}

/* one 64-byte item checked by a goroutine of its own, batches of 64 */
BENCH(CheckGoroutinePerItem)
{
	fill_items();
	for (uint64_t done = 0; done < b->n;) {
		uint64_t m = b->n - done < BATCH ? b->n - done : BATCH;
		tally_waitgroup_add(&check_wg, (int)m);
		for (uint64_t k = 0; k < m; k++)
			tally_go(check_g, &items[k]);
		tally_waitgroup_wait(&check_wg);
		done += m;
	}
}

/* one item checked in a loop */
BENCH(CheckInline)
{
	fill_items();
	for (uint64_t i = 0; i < b->n; i++)
		check(&items[i % BATCH]);
}

/* ---- paired: one mutex vs a mutex per goroutine (sharded) ---- */
struct shard {
	struct tally_mutex mu;
	int64_t n;
	char pad[64 - sizeof(struct tally_mutex) - sizeof(int64_t)];
} __attribute__((aligned(64)));

struct shard_worker {
	struct shard *s;
	uint64_t n;
	struct tally_waitgroup *wg;
};

static void shard_work(void *arg)
{
	struct shard_worker *w = arg;
	for (uint64_t i = 0; i < w->n; i++) {
		tally_mutex_lock(&w->s->mu);
		w->s->n++;
		tally_mutex_unlock(&w->s->mu);
	}
	tally_waitgroup_done(w->wg);
}

static void count_under_mutex(struct bench_b *b, int sharded)
{
	static struct shard shards[2];
	static struct tally_waitgroup wg;
	shards[0].n = shards[1].n = 0;
	struct shard_worker w0 = { &shards[0], b->n / 2, &wg };
	struct shard_worker w1 = { &shards[sharded ? 1 : 0], b->n - b->n / 2, &wg };
	tally_waitgroup_add(&wg, 2);
	tally_go(shard_work, &w0);
	tally_go(shard_work, &w1);
	tally_waitgroup_wait(&wg);
	if ((uint64_t)(shards[0].n + shards[1].n) != b->n)
		bench_fail(b, "lost increments");
}

/* one increment under a mutex shared by two goroutines */
BENCH(CounterOneMutex) { count_under_mutex(b, 0); }
/* one increment under the goroutine's own mutex (own cache line) */
BENCH(CounterSharded) { count_under_mutex(b, 1); }

/* ---- paired: a timer made per wait vs one timer reset ---- */

/* a wait with a timeout that is already satisfied: make a value ready,
 * a new 1 s timer, select on both, stop */
BENCH(TimerPerWait)
{
	struct tally_chan *ready = tally_chan_make(sizeof(uint64_t), 1);
	uint64_t v, t;
	for (uint64_t i = 0; i < b->n; i++) {
		tally_chan_send(ready, &i);
		struct tally_timer *tm = tally_timer_new(1000000000ull);
		struct tally_select_case cs[2] = {
			{ TALLY_RECV, ready, &v, 0 },
			{ TALLY_RECV, tally_timer_chan(tm), &t, 0 },
		};
		if (tally_select(cs, 2, 0) != 0)
			bench_skip(b, "timer fired first");
		tally_timer_stop(tm);
		tally_timer_free(tm);
	}
}

/* the same wait with one timer: reset, select, stop (draining C if it
 * had fired) */
BENCH(TimerReset)
{
	struct tally_chan *ready = tally_chan_make(sizeof(uint64_t), 1);
	struct tally_timer *tm = tally_timer_new(3600ull * 1000000000ull);
	tally_timer_stop(tm);
	uint64_t v, t;
	for (uint64_t i = 0; i < b->n; i++) {
		tally_chan_send(ready, &i);
		tally_timer_reset(tm, 1000000000ull);
		struct tally_select_case cs[2] = {
			{ TALLY_RECV, ready, &v, 0 },
			{ TALLY_RECV, tally_timer_chan(tm), &t, 0 },
		};
		if (tally_select(cs, 2, 0) != 0) {
			bench_skip(b, "timer fired first");
			continue;
		}
		if (!tally_timer_stop(tm))
			tally_chan_recv(tally_timer_chan(tm), &t);
	}
	tally_timer_free(tm);
}

/* ---- skynet: Go's classic tree of 10-way spawns ---- */

#define SKYNET_SIZE 1000000
#define SKYNET_DIV 10

struct skynet_arg {
	struct tally_chan *c;  /* where this node sends its sum */
	int64_t num, size;
};

/* A leaf sends its number; an inner node starts SKYNET_DIV children on a
 * channel of its own and sends the sum of their answers.  The children's
 * arguments live on the parent's stack: the parent waits for every
 * child's answer, and a child reads its argument before it answers. */
static void skynet(void *p)
{
	struct skynet_arg a = *(struct skynet_arg *)p;
	if (a.size == 1) {
		tally_chan_send(a.c, &a.num);
		return;
	}
	struct skynet_arg kids[SKYNET_DIV];
	struct tally_chan *rc = tally_chan_make(sizeof(int64_t), 0);
	int64_t step = a.size / SKYNET_DIV, sum = 0, v;
	for (int i = 0; i < SKYNET_DIV; i++) {
		kids[i] = (struct skynet_arg){ rc, a.num + i * step, step };
		tally_go(skynet, &kids[i]);
	}
	for (int i = 0; i < SKYNET_DIV; i++) {
		tally_chan_recv(rc, &v);
		sum += v;
	}
	tally_chan_send(a.c, &sum);
}

/* one op: the whole tree of 10^6 leaves (1 111 111 goroutines), summed
 * over unbuffered channels.  Its 111 111 channels are collected objects,
 * dropped when their subtree is done, so the collector runs during the op
 * (its cost is in the op's split); an op is long: run it with a small
 * count (benchtime=1x) */
BENCH(Skynet)
{
	for (uint64_t i = 0; i < b->n; i++) {
		struct skynet_arg root = { tally_chan_make(sizeof(int64_t), 0), 0, SKYNET_SIZE };
		int64_t sum = 0;
		tally_go(skynet, &root);
		tally_chan_recv(root.c, &sum);
		if (sum != (int64_t)SKYNET_SIZE * (SKYNET_SIZE - 1) / 2)
			bench_fail(b, "wrong sum");
	}
}

/* ---- the concurrent prime sieve (Go's classic) ---- */

#define SIEVE_PRIMES 100
#define SIEVE_LAST 541  /* the 100th prime */

struct sieve_filter {
	struct tally_chan *in, *out;
	int prime;
};

/* 2..SIEVE_LAST, then close: the chain winds down behind it */
static void sieve_generate(void *arg)
{
	for (int i = 2; i <= SIEVE_LAST; i++)
		tally_chan_send(arg, &i);
	tally_chan_close(arg);
}

static void sieve_filter(void *arg)
{
	struct sieve_filter *f = arg;
	int v;
	while (tally_chan_recv(f->in, &v))
		if (v % f->prime != 0)
			tally_chan_send(f->out, &v);
	tally_chan_close(f->out);
}

static struct sieve_filter sieve_filters[SIEVE_PRIMES];

/* one op: the first 100 primes through a chain of one filter goroutine
 * per prime, over unbuffered channels (101 goroutines, 101 channels left
 * behind per op: the runtime cannot free a channel) */
BENCH_P(PrimeSieve, 1)
{
	for (uint64_t op = 0; op < b->n; op++) {
		struct tally_chan *ch = tally_chan_make(sizeof(int), 0);
		tally_go(sieve_generate, ch);
		int prime = 0, sum = 0;
		for (int i = 0; i < SIEVE_PRIMES; i++) {
			if (!tally_chan_recv(ch, &prime))
				break;
			sum += prime;
			struct sieve_filter *f = &sieve_filters[i];
			*f = (struct sieve_filter){ ch, tally_chan_make(sizeof(int), 0), prime };
			tally_go(sieve_filter, f);
			ch = f->out;
		}
		while (tally_chan_recv(ch, NULL))
			;  /* nothing passes the last filter: the close arrives */
		if (prime != SIEVE_LAST || sum != 24133)
			bench_fail(b, "wrong primes");
	}
}

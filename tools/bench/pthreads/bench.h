/*
 * bench.h - the pthreads peer's harness interface.
 *
 * Purpose: the contract between the harness (main.c: flags, the b.N scaling
 * loop, timing and output in Go's benchmark format) and the benchmark
 * bodies (sched.c: threads, yield, futex and queue ping-pong; sync.c:
 * mutexes, counters, timers, allocation, per-item work; alloc.c: glibc's
 * malloc beside Tally's allocator).
 *
 * A benchmark body is `void fn(struct bench_b *b)`: it performs b->n
 * operations.  Setup it does not want measured goes before a call to
 * bench_reset_timer(b).  It may call bench_fail(b, why) to drop its result.
 *
 * Invariants: bodies run on the harness's thread; a body that starts threads
 * joins them before it returns; every helper thread of a body is created
 * and finished inside that one call.
 */
#ifndef BENCH_H
#define BENCH_H

#include <pthread.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

struct bench_b {
	long n;			/* operations to perform */
	const char *failed;	/* set by bench_fail(); NULL when fine */
	/* harness-private: the start of the measured interval */
	struct timespec t0;
	uint64_t c0;
	struct rusage r0;
};

void bench_reset_timer(struct bench_b *b);
void bench_fail(struct bench_b *b, const char *why);

/* Helpers for bodies. */
int bench_ncpus(void);
int bench_pin(int cpu);		/* pin the calling thread; 0 on success */
void bench_start(pthread_t *t, void *(*fn)(void *), void *arg);
void bench_join(pthread_t t);
void bench_sink(uintptr_t v);	/* keeps a value alive for the optimiser */

/* sched.c */
void bench_spawn_join(struct bench_b *b);
void bench_yield_ping_pong(struct bench_b *b);
void bench_chan_ping_pong_one_p(struct bench_b *b);
void bench_chan_ping_pong_cross_p(struct bench_b *b);
void bench_chan_buffered(struct bench_b *b);
void bench_check_thread_per_item(struct bench_b *b);
void bench_check_inline(struct bench_b *b);
void bench_counter_channel(struct bench_b *b);

/* sync.c */
void bench_mutex_uncontended(struct bench_b *b);
void bench_mutex_contended(struct bench_b *b);
void bench_timer_start_stop(struct bench_b *b);
void bench_sleep_wake_latency(struct bench_b *b);
void bench_counter_atomic(struct bench_b *b);
void bench_counter_one_mutex(struct bench_b *b);
void bench_counter_sharded(struct bench_b *b);
void bench_timer_per_wait(struct bench_b *b);
void bench_timer_reset(struct bench_b *b);
void bench_alloc_per_call(struct bench_b *b);
void bench_alloc_reused(struct bench_b *b);

/* alloc.c */
void bench_alloc64(struct bench_b *b);
void bench_alloc_throughput_1(struct bench_b *b);
void bench_alloc_throughput_2(struct bench_b *b);

#endif

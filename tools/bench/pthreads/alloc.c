/*
 * alloc.c - pthreads peer: allocation benchmarks with glibc's malloc and
 * free, beside Tally's allocator benchmarks (tests/target/heap_bench.c;
 * docs/heap.md).
 *
 * Purpose: the C library's allocator as the third column.  One operation
 * of each:
 *   Alloc64          malloc(64), one byte written, the pointer published,
 *                    free (glibc's tcache takes and gives back the chunk)
 *   AllocThroughput  one object of a mixed small size (8..512 bytes) per op
 *                    by each of 1 or 2 threads (two rows), each keeping its
 *                    last ALLOC_RING objects alive and freeing the oldest;
 *                    ns/op is per object over all threads
 * The sizes come from the same xorshift32 sequence and seeds as Tally's
 * and Go's.
 *
 * Data structures: struct alloc_job (what one thread does).  Invariants:
 * every object starts with the low byte of the op that made it, checked
 * before it is freed (a mismatch fails the benchmark).  Context: threads
 * are joined before a body returns.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>

#include "bench.h"

void
bench_alloc64(struct bench_b *b)
{
	long i;

	for (i = 0; i < b->n; i++) {
		unsigned char *p = malloc(64);

		if (!p) {
			bench_fail(b, "malloc(64) returned NULL");
			return;
		}
		p[0] = (unsigned char)i;
		bench_sink((uintptr_t)p);
		free(p);
	}
}

#define ALLOC_RING 64

static const unsigned short alloc_sizes[16] = {
	8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 160, 192, 256, 320, 384, 512,
};

struct alloc_job {
	long n;
	uint32_t seed;
	const char *fail;
};

static void *
alloc_thread(void *arg)
{
	struct alloc_job *j = arg;
	unsigned char *ring[ALLOC_RING];
	uint32_t x = j->seed;
	long i, k;

	for (i = 0; i < j->n; i++) {
		int s = (int)(i % ALLOC_RING);
		unsigned char *p;
		size_t sz;

		if (i >= ALLOC_RING) {
			if (ring[s][0] != (unsigned char)(i - ALLOC_RING)) {
				j->fail = "an object changed under its owner";
				break;
			}
			free(ring[s]);
			ring[s] = NULL;
		}
		x ^= x << 13;	/* xorshift32 */
		x ^= x >> 17;
		x ^= x << 5;
		sz = alloc_sizes[x >> 28];
		p = malloc(sz);
		if (!p) {
			j->fail = "malloc returned NULL";
			break;
		}
		p[0] = (unsigned char)i;
		p[sz - 1] = (unsigned char)(i >> 8);
		ring[s] = p;
	}
	for (k = i > ALLOC_RING ? i - ALLOC_RING : 0; k < i; k++)
		free(ring[k % ALLOC_RING]);	/* NULL: freed before a failure */
	return NULL;
}

static void
alloc_throughput(struct bench_b *b, int threads)
{
	struct alloc_job jobs[2];
	pthread_t t[2];
	int w;

	for (w = 0; w < threads; w++) {
		jobs[w].n = b->n / threads + (w < b->n % threads);
		jobs[w].seed = 2463534242u + (uint32_t)w;
		jobs[w].fail = NULL;
		bench_start(&t[w], alloc_thread, &jobs[w]);
	}
	for (w = 0; w < threads; w++)
		bench_join(t[w]);
	for (w = 0; w < threads; w++)
		if (jobs[w].fail)
			bench_fail(b, jobs[w].fail);
}

void
bench_alloc_throughput_1(struct bench_b *b)
{
	alloc_throughput(b, 1);
}

void
bench_alloc_throughput_2(struct bench_b *b)
{
	alloc_throughput(b, 2);
}

/*
 * heap_bench.c - on-target benchmarks of the runtime's allocator
 * (rt/heap/), with their Go and pthreads peers of the same names in
 * tools/bench/go/alloc.go and tools/bench/pthreads/alloc.c (docs/heap.md,
 * "Benchmarks"; docs/bench.md for the harness).  One op of each:
 *
 *   MallocFast       malloc(64), timed in batches of FAST_BATCH (at most a
 *                    cache window of 64 objects, so nearly every call hits
 *                    it; the window refills are part of the average, and
 *                    rare: the frees between batches, not timed
 *                    (b->cycles), put the batch back into the window).
 *                    Under icount it also measures the fast path alone
 *                    and fails above its budget (below).
 *   Alloc64          malloc(64), one byte written, the pointer published,
 *                    free: the explicit-free counterpart of Go's
 *                    new([64]byte) escaping to a global (whose collector's
 *                    cost is in its figure).
 *   AllocPerCall     malloc(64), filled, published, freed; AllocReused:
 *                    one reused 64-byte buffer filled and published (the
 *                    pair's cheap idiom; both as the pthreads peer's).
 *   GCAlloc64        tally_gc_alloc(64, TALLY_GC_SCAN), one byte written,
 *                    the pointer published: the like-for-like peer of Go's
 *                    Alloc64 (the same op under the same name in the Go
 *                    peer), the collector's cost of reclaiming the objects
 *                    in the figure: the pacer collects as the run goes
 *                    (each cycle's share is amortised over the objects
 *                    allocated between cycles), and a collection is
 *                    forced before the run so one run's garbage is not
 *                    billed to the next.  The split adds %rt.gc.stw,
 *                    %rt.gc.sweep and %rt.gc.mark.
 *   AllocThroughput  one object of a mixed small size (8..512 bytes) per
 *                    op by each of P goroutines (P = the row's P), each
 *                    keeping its last ALLOC_RING objects alive and
 *                    freeing the oldest; ns/op is per object over all Ps.
 *
 * Every line adds `%rt.alloc`, the ledger class of the allocator's slow
 * paths (bench_split_class), to the usual split; the fast path is charged
 * to the caller's class (user here: the benchmarks run in a goroutine).
 *
 * The fast-path check (MallocFast under icount, where one cycle is one
 * guest instruction): one call at a time is timed between two reads of
 * the cycle counter, through the same noinline function and a function
 * pointer, once to rt_malloc(64) and once to return_only, a naked
 * function that is a single `ret`.  The smallest difference over
 * FAST_SAMPLES calls (a hit: a miss runs the slow path, far longer; a
 * tick only makes a sample larger) plus return_only's one instruction is
 * rt_malloc's count from entry to return, its `ret` included.  Above
 * FAST_BUDGET (malloc_fast.c's stated budget) the benchmark fails, which
 * fails `make bench` and the system case heap_fast_path_icount.
 *
 * AllocThroughput checks its objects: each starts with the low byte of the
 * op that made it, checked when it is freed; a mismatch (an object handed
 * out twice, or written by someone else) fails the benchmark.
 *
 * Context: the main goroutine, as every benchmark (kernel/bench.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "arch/arch.h"
#include "kernel/bench.h"
#include "kernel/lib/kprintf.h"
#include "rt/heap/rt_malloc.h"
#include "rt/include/tally.h"

#define FAST_BATCH 32      /* <= 64, the most objects a cache window holds */
#define FAST_SAMPLES 256   /* timed single calls of each function */
#define FAST_BUDGET 20     /* instructions, entry to return (malloc_fast.c) */

static void *volatile sink;

typedef void *(*alloc_fn)(size_t);
static volatile alloc_fn timed_fn;

/* One instruction: the baseline whose cost a call of rt_malloc is
 * compared with (`ret` is one instruction, and the same text, on x86_64,
 * aarch64 and riscv64). */
__attribute__((naked, noinline)) static void *return_only(size_t n)
{
	__asm__ volatile("ret");
}

/* Cycles of one call of timed_fn(n), the call and the counter reads
 * included; the same code for every callee. */
__attribute__((noinline)) static uint64_t time_one_call(size_t n, void **out)
{
	alloc_fn f = timed_fn;
	uint64_t t0 = arch_cycles();
	void *p = f(n);
	uint64_t t1 = arch_cycles();
	*out = p;
	return t1 - t0;
}

/* rt_malloc(64)'s instructions from entry to return on a hit (icount
 * only: otherwise the difference is host time); 0 when out of memory. */
static uint64_t fast_path_insns(void)
{
	static void *objs[FAST_SAMPLES];
	uint64_t base = ~0ull, hit = ~0ull;
	void *dummy;
	timed_fn = return_only;
	for (int i = 0; i < FAST_SAMPLES; i++) {
		uint64_t d = time_one_call(64, &dummy);
		base = d < base ? d : base;
	}
	timed_fn = rt_malloc;
	for (int i = 0; i < FAST_SAMPLES; i++) {
		uint64_t d = time_one_call(64, &objs[i]);
		hit = d < hit ? d : hit;
	}
	int ok = 1;
	for (int i = 0; i < FAST_SAMPLES; i++) {
		ok &= objs[i] != NULL;
		rt_free(objs[i]);
	}
	return ok && hit >= base ? hit - base + 1 : 0;
}

/* malloc(64) in batches that fit a cache window; the frees are not timed */
BENCH_P(MallocFast, 1)
{
	void *p[FAST_BATCH];
	uint64_t cycles = 0;
	bench_split_class(b, "rt.alloc");
	for (uint64_t done = 0; done < b->n;) {
		unsigned m = b->n - done < FAST_BATCH ? (unsigned)(b->n - done) : FAST_BATCH;
		uint64_t t0 = arch_cycles();
		for (unsigned i = 0; i < m; i++)
			p[i] = malloc(64);
		cycles += arch_cycles() - t0;
		for (unsigned i = 0; i < m; i++) {
			if (!p[i]) {
				bench_fail(b, "malloc(64) returned NULL");
				return;
			}
			free(p[i]);
		}
		done += m;
	}
	b->cycles = cycles ? cycles : 1;
	if (!bench_icount())
		return;
	uint64_t insns = fast_path_insns();
	bench_metric(b, (double)insns, "fast-insns");
	if (insns == 0)
		bench_fail(b, "rt_malloc(64) returned NULL");
	else if (insns > FAST_BUDGET) {
		static char why[96];
		ksnprintf(why, sizeof(why), "rt_malloc(64)'s fast path took %lu instructions, "
		          "over its budget of %d (malloc_fast.c)", (unsigned long)insns, FAST_BUDGET);
		bench_fail(b, why);
	}
}

/* b->n times: malloc(64), write it (one byte, or all 64 with fill),
 * publish, free.  Inline with a constant fill: each benchmark's loop is
 * its own straight code. */
static inline __attribute__((always_inline)) void malloc_write_free(struct bench_b *b, int fill)
{
	bench_split_class(b, "rt.alloc");
	for (uint64_t i = 0; i < b->n; i++) {
		unsigned char *p = malloc(64);
		if (!p) {
			bench_fail(b, "malloc(64) returned NULL");
			return;
		}
		if (fill)
			memset(p, (int)i, 64);
		else
			p[0] = (unsigned char)i;
		sink = p;
		free(p);
	}
}

/* malloc(64), a write, publish, free */
BENCH_P(Alloc64, 1) { malloc_write_free(b, 0); }

/* The paired exercise (docs/bench.md, "The pairs"): a 64-byte object
 * allocated, filled, published and freed per call, against one reused
 * buffer filled and published; the same bodies as the pthreads peer's
 * (malloc/free), Go's with new() and its collector. */
BENCH_P(AllocPerCall, 1) { malloc_write_free(b, 1); }

BENCH_P(AllocReused, 1)
{
	static unsigned char buf[64];
	for (uint64_t i = 0; i < b->n; i++) {
		memset(buf, (int)i, sizeof(buf));
		sink = buf;
	}
}

/* tally_gc_alloc(64), a write, publish; the collector reclaims */
BENCH_P(GCAlloc64, 1)
{
	bench_split_class(b, "rt.alloc");
	bench_split_class(b, "rt.gc.stw");
	bench_split_class(b, "rt.gc.sweep");  /* sweeping is not in the pause */
	bench_split_class(b, "rt.gc.mark");   /* gcconc=1: concurrent marking */
	struct tally_gc_stats before, after;
	tally_gc();
	tally_gc_read_stats(&before);
	uint64_t t0 = arch_cycles();
	for (uint64_t i = 0; i < b->n; i++) {
		unsigned char *p = tally_gc_alloc(64, TALLY_GC_SCAN);
		if (!p) {
			bench_fail(b, "tally_gc_alloc(64) returned NULL");
			return;
		}
		if (p[0] | p[63]) {
			bench_fail(b, "tally_gc_alloc(64) returned memory that is not zeroed");
			return;
		}
		p[0] = (unsigned char)i;
		sink = p;
	}
	b->cycles = arch_cycles() - t0;
	tally_gc_read_stats(&after);
	bench_metric(b, (double)(after.cycles - before.cycles), "gc-cycles");
}

/* ---- AllocThroughput: every P allocates and frees mixed small sizes ---- */

#define ALLOC_RING 64
static const uint16_t alloc_sizes[16] = {
	8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 160, 192, 256, 320, 384, 512,
};

struct alloc_worker {
	uint64_t n;
	uint32_t seed;
	const char *fail;
	struct tally_waitgroup *wg;
};

static void alloc_worker(void *arg)
{
	struct alloc_worker *w = arg;
	unsigned char *ring[ALLOC_RING];
	uint32_t x = w->seed;
	uint64_t i;
	for (i = 0; i < w->n; i++) {
		unsigned j = (unsigned)(i % ALLOC_RING);
		if (i >= ALLOC_RING) {
			if (ring[j][0] != (unsigned char)(i - ALLOC_RING)) {
				w->fail = "an object changed under its owner";
				break;
			}
			free(ring[j]);
			ring[j] = NULL;
		}
		x ^= x << 13;  /* xorshift32: the peers draw the same sizes */
		x ^= x >> 17;
		x ^= x << 5;
		size_t sz = alloc_sizes[x >> 28];
		unsigned char *p = malloc(sz);
		if (!p) {
			w->fail = "malloc returned NULL";
			break;
		}
		p[0] = (unsigned char)i;
		p[sz - 1] = (unsigned char)(i >> 8);
		ring[j] = p;
	}
	for (uint64_t k = i > ALLOC_RING ? i - ALLOC_RING : 0; k < i; k++)
		free(ring[k % ALLOC_RING]);  /* NULL: freed before a failure */
	tally_waitgroup_done(w->wg);
}

BENCH(AllocThroughput)
{
	static struct tally_waitgroup wg;
	static struct alloc_worker w[8];
	int procs = tally_gomaxprocs(0);
	if (procs < 1 || procs > 8) {
		bench_skip(b, "runs at 1 to 8 Ps");
		return;
	}
	bench_split_class(b, "rt.alloc");
	tally_waitgroup_add(&wg, procs);
	for (int k = 0; k < procs; k++) {
		uint64_t share = b->n / (uint64_t)procs + ((uint64_t)k < b->n % (uint64_t)procs);
		w[k] = (struct alloc_worker){ share, 2463534242u + (uint32_t)k, NULL, &wg };
		tally_go(alloc_worker, &w[k]);
	}
	tally_waitgroup_wait(&wg);
	for (int k = 0; k < procs; k++)
		if (w[k].fail)
			bench_fail(b, w[k].fail);
}

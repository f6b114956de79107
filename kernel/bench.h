/*
 * bench.h - on-target benchmarks in the spirit of Go's testing.B.
 *
 *   BENCH(LedgerTransition) { for (uint64_t i = 0; i < b->n; i++) ...; }
 *
 * A benchmark is a descriptor in the "benches" section.  With the boot
 * option bench=REGEX the kernel runs every benchmark whose name matches
 * (Go's -bench semantics) instead of the application: b->n starts at 1 and
 * grows until one run lasts at least benchtime= (default 500ms, or "Nx"
 * for a fixed count), then prints one line in Go's benchmark format:
 *   BenchmarkName-P  N  X ns/op  Y cycles/op  K %kern  R %rt  U %user  I %idle
 * where P is the number of CPUs and the four percentages are the cost
 * ledger's split of all CPUs' cycles during the final run (left out under
 * ledger=off, which the header line `ledger-mode: off` records).  A header of
 * `key: value` lines records the machine first; `bench: done: N benchmarks`
 * ends the run.
 *
 * Benchmarks run in the main goroutine (the runtime is up), so they may
 * spawn goroutines and use channels; BENCH_P(name, procs) fixes
 * GOMAXPROCS for one benchmark (the "-P" of its line), as the Go peer does.
 * A benchmark that measures something other than wall time per op (e.g.
 * the cost of an interrupt observed from outside) sets b->cycles to the
 * cycles its n ops took; a benchmark that cannot run here calls
 * bench_skip(); one whose own result check fails calls bench_fail().  Extra "value unit" pairs go through bench_metric().
 * bench_split_class(b, "rt.alloc") adds one ledger class's own share of
 * the final run to the line (`X %rt.alloc`, after %idle; it is also
 * inside the %rt or %kern it belongs to); at most BENCH_MAX_CLASSES.
 */
#ifndef TALLY_BENCH_H
#define TALLY_BENCH_H

#include <stdint.h>

struct bench_b {
	uint64_t n;           /* ops to run */
	uint64_t cycles;      /* set by the benchmark to override wall cycles */
	const char *skip;     /* set by bench_skip */
	const char *fail;     /* set by bench_fail */
	unsigned nmetric;
	struct {
		double value;
		const char *unit;
	} metric[4];
	unsigned nclass;
	const char *split_class[4];  /* set by bench_split_class */
};
#define BENCH_MAX_CLASSES 4

struct bench {
	const char *name;     /* without the "Benchmark" prefix */
	void (*fn)(struct bench_b *b);
	int procs;            /* GOMAXPROCS while it runs; 0: every CPU */
};

#define BENCH_P(n, p)                                                          \
	static void bench_fn_##n(struct bench_b *b);                           \
	static const struct bench bench_desc_##n                               \
		__attribute__((used, section("benches"), aligned(8))) = {      \
			#n, bench_fn_##n, p };                                 \
	static void bench_fn_##n(struct bench_b *b)
#define BENCH(n) BENCH_P(n, 0)

/* The benchmark cannot run here (too few CPUs, an environment limit). */
static inline void bench_skip(struct bench_b *b, const char *why) { b->skip = why; }
/* The benchmark's own correctness check failed (a lost increment, a lost
 * element): a bug in what it measures.  "--- FAIL: BenchmarkX: why", and
 * the run ends with a failure status, as `go test -bench` does. */
static inline void bench_fail(struct bench_b *b, const char *why) { b->fail = why; }
void bench_metric(struct bench_b *b, double value, const char *unit);
/* Report ledger class cls's share of the run as well (ignored past
 * BENCH_MAX_CLASSES, and under ledger=off). */
void bench_split_class(struct bench_b *b, const char *cls);
/* 1 when this run counts instructions (the header's `icount:` word: the
 * harness's icount= option, else the detector's verdict). */
int bench_icount(void);

/* Run the benchmarks matching regex, each for at least target_ns (or
 * exactly fixed_n ops when fixed_n != 0: benchtime=Nx); returns the number
 * that failed (their own check, bench_fail; a bad regex counts as one).  The boot options have
 * already checked both (target_ns <= 3600 s, fixed_n <= 10^9). */
int bench_run(const char *regex, uint64_t target_ns, uint64_t fixed_n);
/* 1 when the cycle counter counts instructions (QEMU -icount). */
int bench_icount_detected(void);

#endif

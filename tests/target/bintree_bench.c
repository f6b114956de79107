/*
 * bintree_bench.c - the Benchmarks Game's binary-trees as an on-target
 * benchmark of the collector, with its Go peer of the same name in
 * tools/bench/go/bintree.go (docs/heap.md, "Benchmarks").
 *
 * One op of BinaryTrees is the whole program at depth BT_DEPTH (16, the
 * size the heap issue compares with Go): a stretch tree of depth 17 built
 * and checked; a long-lived tree of depth 16 kept through the run; for
 * d = 4, 6, ..., 16, 2^(16 - d + 4) trees of depth d built and checked;
 * the long-lived tree checked last.  Nodes are two pointers, allocated with
 * tally_gc_alloc(TALLY_GC_SCAN) and never freed: the collector reclaims
 * every short-lived tree, so its whole cost (its pauses, %rt.gc.stw) is
 * in the figure, as Go's collector's is in Go's.  Each check is compared
 * with the count the tree's shape fixes (a tree of depth d has
 * 2^(d+1) - 1 nodes); a mismatch fails the benchmark.
 *
 * Metrics: gc-cycles, the collections during the op (from
 * tally_gc_read_stats; the Go peer reports runtime.MemStats.NumGC), and
 * the split with %rt.alloc, %rt.gc.stw, %rt.gc.sweep and %rt.gc.mark.  Under icount one op is
 * several billion guest instructions: run it with benchtime=1x.
 *
 * Context: the main goroutine, as every benchmark (kernel/bench.c).
 */
#include <stdint.h>
#include "kernel/bench.h"
#include "rt/include/tally.h"

#define BT_DEPTH 16
#define BT_MIN 4

struct bt_node {
	struct bt_node *left, *right;
};

static struct bt_node *bt_make(int d, int *oom)
{
	struct bt_node *n = tally_gc_alloc(sizeof(*n), TALLY_GC_SCAN);
	if (!n) {
		*oom = 1;
		return NULL;
	}
	if (d > 0) {
		n->left = bt_make(d - 1, oom);
		n->right = bt_make(d - 1, oom);
	}
	return n;
}

static int64_t bt_check(const struct bt_node *n)
{
	if (!n)
		return 0;
	return n->left ? 1 + bt_check(n->left) + bt_check(n->right) : 1;
}

static int64_t nodes(int d) { return ((int64_t)1 << (d + 1)) - 1; }

/* the program once; NULL, or why it failed */
static const char *binary_trees(int max)
{
	int oom = 0;
	if (bt_check(bt_make(max + 1, &oom)) != nodes(max + 1))
		return oom ? "tally_gc_alloc returned NULL" : "stretch tree: wrong node count";
	struct bt_node *longlived = bt_make(max, &oom);
	for (int d = BT_MIN; d <= max; d += 2) {
		int64_t iters = (int64_t)1 << (max - d + BT_MIN), sum = 0;
		for (int64_t i = 0; i < iters; i++)
			sum += bt_check(bt_make(d, &oom));
		if (sum != iters * nodes(d))
			return oom ? "tally_gc_alloc returned NULL" : "trees: wrong node count";
	}
	if (bt_check(longlived) != nodes(max))
		return "long-lived tree: wrong node count (a live node was reclaimed?)";
	return NULL;
}

BENCH_P(BinaryTrees, 1)
{
	struct tally_gc_stats before, after;
	bench_split_class(b, "rt.alloc");
	bench_split_class(b, "rt.gc.stw");
	bench_split_class(b, "rt.gc.sweep");  /* sweeping is not in the pause */
	bench_split_class(b, "rt.gc.mark");   /* gcconc=1: concurrent marking */
	tally_gc_read_stats(&before);
	for (uint64_t i = 0; i < b->n; i++) {
		const char *why = binary_trees(BT_DEPTH);
		if (why) {
			bench_fail(b, why);
			return;
		}
	}
	tally_gc_read_stats(&after);
	bench_metric(b, (double)(after.cycles - before.cycles) / (double)b->n, "gc-cycles");
	uint64_t ncyc = after.cycles - before.cycles, max = 0;
	if (ncyc > 0 && ncyc <= 256) {
		for (uint64_t c = before.cycles; c < after.cycles; c++)
			max = after.pause_ns[c % 256] > max ? after.pause_ns[c % 256] : max;
		bench_metric(b, (double)max, "pause-max-ns");
	}
}

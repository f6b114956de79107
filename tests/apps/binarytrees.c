/*
 * binarytrees.c - the Benchmarks Game's binary-trees on the collected heap
 * (tally_gc_alloc, never freed: the collector reclaims every tree).
 *
 * Usage: binarytrees [n] (default 10, at least 6).  Prints the program's
 * standard output, whose check values are fixed by the tree shapes alone
 * (a tree of depth d has 2^(d+1) - 1 nodes), and then verifies them
 * against those formulas itself: "binarytrees: ok" or "binarytrees: FAIL"
 * (status 1), and the collector's statistics.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <tally.h>

struct node {
	struct node *left, *right;
};

static struct node *make(int d)
{
	struct node *n = tally_gc_alloc(sizeof(*n), TALLY_GC_SCAN);
	if (d > 0) {
		n->left = make(d - 1);
		n->right = make(d - 1);
	}
	return n;
}

static long check(const struct node *n)
{
	return n->left ? 1 + check(n->left) + check(n->right) : 1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;
	if (n < 6 || n > 22) {
		printf("usage: binarytrees [6..22]\n");
		return 64;
	}
	int min = 4, max = n, bad = 0;
	long c = check(make(max + 1));
	printf("stretch tree of depth %d\t check: %ld\n", max + 1, c);
	bad += c != (1l << (max + 2)) - 1;
	struct node *longlived = make(max);
	for (int d = min; d <= max; d += 2) {
		long iters = 1l << (max - d + min), sum = 0;
		for (long i = 0; i < iters; i++)
			sum += check(make(d));
		printf("%ld\t trees of depth %d\t check: %ld\n", iters, d, sum);
		bad += sum != iters * ((1l << (d + 1)) - 1);
	}
	c = check(longlived);
	printf("long lived tree of depth %d\t check: %ld\n", max, c);
	bad += c != (1l << (max + 1)) - 1;
	struct tally_gc_stats st;
	tally_gc_read_stats(&st);
	printf("binarytrees: %s, %llu collections, max pause %llu us, %llu objects freed\n",
	       bad ? "FAIL" : "ok", (unsigned long long)st.cycles,
	       (unsigned long long)(st.pause_max_ns / 1000), (unsigned long long)st.objects_freed);
	return bad ? 1 : 0;
}

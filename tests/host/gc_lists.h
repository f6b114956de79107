/*
 * gc_lists.h - the checked lists of the collector's host tests
 * (test_rt_gc.c, test_rt_gc_conc.c, test_rt_gcgen.c): 64-byte collected
 * nodes whose sum is a function of the node's address and value, so a
 * node freed and reused, or moved, fails list_ok.  Include after
 * rt/include/tally.h and tests/host/rt_test.h (RT_CHECK); for the child's
 * goroutines.
 */
#ifndef TALLY_TESTS_GC_LISTS_H
#define TALLY_TESTS_GC_LISTS_H

#include <stdint.h>

struct node {
	struct node *next;
	uint64_t sum;   /* a function of the node's address and value */
	uint64_t val;
	char pad[40];
};

static inline uint64_t sum_of(const struct node *n) { return ((uintptr_t)n * 0x9e3779b97f4a7c15ull) ^ n->val; }

/* n nodes, values seed.. seed + n - 1, each checked zeroed when made. */
static inline struct node *list_make(int n, uint64_t seed)
{
	struct node *head = NULL;
	for (int i = 0; i < n; i++) {
		struct node *x = tally_gc_alloc(sizeof(*x), TALLY_GC_SCAN);
		RT_CHECK(x != NULL);
		RT_CHECK(x->next == NULL && x->val == 0);  /* zeroed */
		x->val = seed + (uint64_t)i;
		x->sum = sum_of(x);
		x->next = head;
		head = x;
	}
	return head;
}

/* 1 if the list from h has n nodes, each with its sum. */
static inline int list_ok(const struct node *h, int n)
{
	int k = 0;
	for (; h; h = h->next, k++)
		if (h->sum != sum_of(h))
			return 0;
	return k == n;
}

#endif

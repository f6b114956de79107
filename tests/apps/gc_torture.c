/*
 * gc_torture.c - the collector under load on every CPU (the heap issue's
 * GC torture, short form; a longer run is `make soak`).
 *
 * Usage: gc_torture [goroutines [rounds]] (default 16 x 40).  Each
 * goroutine builds a 300-node list of collected objects, rewires it with
 * plain C stores (every other node dropped), hangs it from a global slot,
 * a malloc'd box and its own stack, allocates garbage of mixed sizes, and
 * checks every list it can reach by checksum (a function of each node's
 * address and value, so a node freed and reused, or moved, fails).
 * tally_gc is called every 5th round by each goroutine besides the
 * collections the pacer starts (gogc=20 in the system cases).
 * Prints "gc_torture: ok <G> goroutines x <R> rounds, <C> collections,
 * <F> objects freed, 0 corruptions" or the corruption count (status 1).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <tally.h>

struct node {
	struct node *next;
	uint64_t sum, val;
	char pad[40];
};

static uint64_t sum_of(const struct node *n) { return ((uintptr_t)n * 0x9e3779b97f4a7c15ull) ^ n->val; }

static struct node *make(int n, uint64_t seed)
{
	struct node *head = NULL;
	for (int i = 0; i < n; i++) {
		struct node *x = tally_gc_alloc(sizeof(*x), TALLY_GC_SCAN);
		if (!x || x->next || x->val)
			return NULL;  /* counted as a corruption by the caller */
		x->val = seed + (uint64_t)i;
		x->sum = sum_of(x);
		x->next = head;
		head = x;
	}
	return head;
}

static int ok(const struct node *h, int n)
{
	int k = 0;
	for (; h; h = h->next, k++)
		if (h->sum != sum_of(h))
			return 0;
	return k == n;
}

#define MAXG 64
static struct node *slots[MAXG];
static volatile int64_t bad, done;
static int rounds = 40;

static void worker(void *arg)
{
	int me = (int)(uintptr_t)arg;
	struct node **box = malloc(sizeof(*box));
	void *volatile drop;
	for (int r = 0; r < rounds; r++) {
		struct node *a = make(300, (uint64_t)me << 32 | (uint64_t)r);
		struct node *b = make(300, (uint64_t)me << 40 | (uint64_t)r);
		struct node *c = make(300, (uint64_t)me << 48 | (uint64_t)r);
		if (!a || !b || !c) {
			tally_atomic_add(&bad, 1);
			continue;
		}
		for (struct node *x = a; x && x->next; x = x->next)
			x->next = x->next->next;
		slots[me] = a;  /* a global root */
		*box = b;       /* a malloc'd root */
		for (int i = 0; i < 2000; i++)
			drop = tally_gc_alloc(16 + (size_t)(i % 13) * 24, i % 3 ? TALLY_GC_SCAN : TALLY_GC_NOSCAN);
		if (r % 5 == 4)
			tally_gc();
		/* c lives on this stack only */
		if (!ok(slots[me], 150) || !ok(*box, 300) || !ok(c, 300))
			tally_atomic_add(&bad, 1);
	}
	(void)drop;
	free(box);
	tally_atomic_add(&done, 1);
}

int main(int argc, char **argv)
{
	int g = argc > 1 ? atoi(argv[1]) : 16;
	rounds = argc > 2 ? atoi(argv[2]) : 40;
	if (g < 1 || g > MAXG || rounds < 1) {
		printf("usage: gc_torture [goroutines 1..%d [rounds]]\n", MAXG);
		return 64;
	}
	for (int i = 0; i < g; i++)
		tally_go(worker, (void *)(uintptr_t)i);
	while (tally_atomic_load(&done) < g)
		tally_sleep(1000000);
	struct tally_gc_stats st;
	tally_gc_read_stats(&st);
	printf("gc_torture: %s %d goroutines x %d rounds on %d CPUs, %llu collections, %llu objects "
	       "freed, %lld corruptions, max pause %llu us\n",
	       bad ? "FAIL" : "ok", g, rounds, tally_ncpu(), (unsigned long long)st.cycles,
	       (unsigned long long)st.objects_freed, (long long)bad,
	       (unsigned long long)(st.pause_max_ns / 1000));
	return bad ? 1 : 0;
}

/*
 * gc_barrier.c - the store a collector without write barrier loses, made
 * over and over on every CPU while the collector marks concurrently
 * (gcconc=1; the heap issue's barrier torture).
 *
 * Usage: gc_barrier [goroutines [rounds [stack]]] (default 8 x 40).  Each
 * goroutine owns:
 *   - holders: 64 objects hung from a global array (in bss), so the
 *     collector reaches and scans them early in a cycle;
 *   - carriers: a chain of 2000 objects from a global head, so most are
 *     scanned late; their addresses are also kept XOR-masked in a
 *     pointer-free array (TALLY_GC_NOSCAN: not a root), so the goroutine
 *     can reach any carrier at once;
 *   - payloads: one per carrier and per holder, each with a unique value
 *     and a checksum of its address and value.
 * A move takes a carrier's payload (old: its only pointer is in the
 * carrier), gives the carrier a new payload (born marked if a cycle is
 * marking), and stores the old one into a holder, dropping the holder's
 * previous payload: the only pointer to an old object goes from an object
 * likely not yet scanned into one likely scanned already.  Without the
 * dirty-page re-scan such a payload is freed (zeroed) or reused.  After
 * each round every holder and carrier is checked: its payload must hold
 * the value it was given and a valid checksum.  Collections come from the
 * pacer (gogc= in the system cases) and from tally_gc every 8th round of
 * goroutine 0.
 * With "stack" the holders are slots in the goroutine's own frame: the
 * only pointer to an old payload goes into a stack page that the
 * concurrent stack scan has already read, so only the re-scan of the
 * stacks' dirty pages (the final pause's, or on one CPU the last stretch
 * of marking's) keeps it.  Each goroutine then also hangs BALLAST
 * objects from a global, so that marking outlasts the worker's first
 * slices even on one CPU and the moves fall between its stack scan and
 * its scan of the carriers.
 * Prints "gc_barrier: ok <G> goroutines x <R> rounds on <N> CPUs, <C>
 * collections, <M> moves, 0 lost" (", holders on stacks" after "CPUs"
 * with "stack") or the count lost (status 1).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tally.h>

#define MAXG 32
#define NH 64
#define NC 2000
#define MOVES 3000
#define BALLAST 40000
#define MASK 0x3c3c3c3c3c3c3c3cull

struct payload {
	uint64_t val, sum;
	char pad[48];
};

struct holder {
	struct payload *slot;
	uint64_t expect;
};

struct carrier {
	struct carrier *next;
	struct payload *payload;
	uint64_t expect;
};

static struct holder *holders[MAXG][NH];
static struct carrier *chains[MAXG];
static struct carrier *ballast[MAXG];  /* "stack": marking takes many slices */
static uintptr_t *masked[MAXG];   /* NOSCAN arrays */
static volatile int64_t lost, done, moves;
static int rounds = 40, on_stack;

static uint64_t sum_of(const struct payload *p) { return ((uintptr_t)p * 0x9e3779b97f4a7c15ull) ^ p->val; }

static struct payload *payload(uint64_t val)
{
	struct payload *p = tally_gc_alloc(sizeof(*p), TALLY_GC_SCAN);
	if (!p || p->val || p->sum)
		return NULL;
	p->val = val;
	p->sum = sum_of(p);
	return p;
}

static int good(const struct payload *p, uint64_t expect)
{
	return p && p->val == expect && p->sum == sum_of(p);
}

static void worker(void *arg)
{
	int me = (int)(uintptr_t)arg;
	uint64_t next = (uint64_t)me << 40 | 1, rnd = 0x9e3779b97f4a7c15ull ^ (uint64_t)me;
	masked[me] = tally_gc_alloc(NC * sizeof(uintptr_t), TALLY_GC_NOSCAN);
	for (int i = 0; i < NH; i++) {
		struct holder *h = tally_gc_alloc(sizeof(*h), TALLY_GC_SCAN);
		h->expect = next;
		h->slot = payload(next++);
		holders[me][i] = h;
	}
	for (int i = 0; i < NC; i++) {
		struct carrier *c = tally_gc_alloc(sizeof(*c), TALLY_GC_SCAN);
		c->expect = next;
		c->payload = payload(next++);
		c->next = chains[me];
		chains[me] = c;
		masked[me][i] = (uintptr_t)c ^ MASK;
	}
	for (int i = 0; on_stack && i < BALLAST; i++) {
		struct carrier *b = tally_gc_alloc(sizeof(*b), TALLY_GC_SCAN);
		b->next = ballast[me];
		ballast[me] = b;
	}
	struct payload *volatile sslot[NH];  /* "stack": the holders */
	uint64_t sexpect[NH];
	for (int i = 0; i < NH; i++) {
		sexpect[i] = next;
		sslot[i] = on_stack ? payload(next++) : NULL;
	}
	void *volatile drop;
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < MOVES; k++) {
			rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
			struct carrier *c = (struct carrier *)(masked[me][rnd % NC] ^ MASK);
			unsigned j = (unsigned)((rnd >> 32) % NH);
			struct holder *h = holders[me][j];
			struct payload *old = c->payload;
			uint64_t oldv = c->expect;
			c->expect = next;
			c->payload = payload(next++);
			if (on_stack) {
				sslot[j] = old;
				sexpect[j] = oldv;
			} else {
				h->slot = old;
				h->expect = oldv;
			}
			old = NULL;
			if (k % 4 == 0)
				drop = tally_gc_alloc(24 + (size_t)(k % 9) * 40, TALLY_GC_SCAN);
		}
		tally_atomic_add(&moves, MOVES);
		int bad = 0;
		for (int i = 0; i < NH; i++)
			bad += on_stack ? !good(sslot[i], sexpect[i])
			                : !good(holders[me][i]->slot, holders[me][i]->expect);
		int n = 0;
		for (struct carrier *c = chains[me]; c; c = c->next, n++)
			bad += !good(c->payload, c->expect);
		bad += n != NC;
		if (bad)
			tally_atomic_add(&lost, bad);
		if (me == 0 && r % 8 == 7)
			tally_gc();
	}
	(void)drop;
	tally_atomic_add(&done, 1);
}

int main(int argc, char **argv)
{
	int g = argc > 1 ? atoi(argv[1]) : 8;
	rounds = argc > 2 ? atoi(argv[2]) : 40;
	on_stack = argc > 3 && !strcmp(argv[3], "stack");
	if (g < 1 || g > MAXG || rounds < 1 || (argc > 3 && !on_stack)) {
		printf("usage: gc_barrier [goroutines 1..%d [rounds [stack]]]\n", MAXG);
		return 64;
	}
	for (int i = 0; i < g; i++)
		tally_go(worker, (void *)(uintptr_t)i);
	while (tally_atomic_load(&done) < g)
		tally_sleep(1000000);
	struct tally_gc_stats st;
	tally_gc_read_stats(&st);
	printf("gc_barrier: %s %d goroutines x %d rounds on %d CPUs%s, %llu collections, %lld moves, "
	       "%lld lost, max pause %llu us\n",
	       lost ? "FAIL" : "ok", g, rounds, tally_ncpu(), on_stack ? ", holders on stacks" : "",
	       (unsigned long long)st.cycles,
	       (long long)moves, (long long)lost, (unsigned long long)(st.pause_max_ns / 1000));
	return lost ? 1 : 0;
}

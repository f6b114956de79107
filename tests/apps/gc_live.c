/*
 * gc_live.c - the collector's pauses with a large live heap and a mutator
 * on every CPU (the heap issue's "pause at 64 MiB live"; measured by
 * tools/gcmeasure.py, which reads the gctrace=1 lines).
 *
 * Usage: gc_live [MiB [cycles [goal% [work]]]] (default 64 x 6, no goal
 * bound, work 0).  Builds MiB of live
 * data: 1024 lists of 64-byte collected nodes hung from a global array.
 * Then one mutator goroutine per CPU replaces random nodes (in the first
 * eighth) of random lists with new ones (plain stores into old objects: their pages come
 * back dirty) and drops garbage of 16 to 512 bytes, until the collector
 * has run `cycles` more times; the live size stays constant.  At the end
 * every list is checked (length and each node's checksum of its address
 * and value) and the app prints
 *   gc_live: the mutators allocated <MB> MB in <ms> ms, <b> bytes a us
 *   gc_live: ok <MiB> MiB live, <n> cycles, max pause <us> us, <k> corruptions
 * With goal%, the heap's goal after each cycle from the second with
 * mutators on (read every 2 ms) must stay within goal% of the true live
 * size, MiB (GOGC=100: the goal is twice the live heap the collector
 * found; one that counts the floating garbage, the objects born during
 * marking, as live runs to about 265%); the app prints
 *   gc_live: goal max <bytes> = <p>% of live (bound <goal%>%)
 * and fails over it (goal% 0: no bound).
 * With work, a mutator also reads `work` nodes of the list after each
 * replacement, checking their checksums (loads only: no page written, no
 * allocation), so that it allocates less per instruction: the collector's
 * share of the CPU while it marks against the program's allocation rate
 * (tools/gcmeasure.py --work).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <tally.h>

#define NLISTS 1024

struct node {
	struct node *next;
	uint64_t val, sum;
	char pad[40];
};

static struct node *lists[NLISTS];
static int per_list, work;
static volatile int64_t stop, done, bad;

static uint64_t sum_of(const struct node *n) { return ((uintptr_t)n * 0x9e3779b97f4a7c15ull) ^ n->val; }

static struct node *node(uint64_t val)
{
	struct node *n = tally_gc_alloc(sizeof(*n), TALLY_GC_SCAN);
	if (!n)
		return NULL;
	n->val = val;
	n->sum = sum_of(n);
	return n;
}

static void mutator(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	uint64_t rnd = 0x2545f4914f6cdd1dull * (me + 1), val = (uint64_t)(me + 1) << 48;
	void *volatile drop;
	/* each mutator owns the lists l with l % ncpu == me: no two write one */
	unsigned ncpu = (unsigned)tally_ncpu(), mine = (NLISTS - me + ncpu - 1) / ncpu;
	while (!tally_atomic_load(&stop)) {
		for (int k = 0; k < 256; k++) {
			rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
			unsigned l = me + (unsigned)(rnd % mine) * ncpu;
			int at = (int)((rnd >> 32) % (uint64_t)(per_list / 8 + 1));
			struct node *p = lists[l];
			for (int i = 0; i < at; i++)
				p = p->next;
			/* replace p->next with a new node */
			struct node *n = node(val++);
			if (!n) {
				tally_atomic_add(&bad, 1);
				break;
			}
			n->next = p->next->next;
			p->next = n;
			drop = tally_gc_alloc(16 + (size_t)(rnd % 31) * 16, TALLY_GC_SCAN);
			for (int w = 0; w < work; w++) {
				p = p->next ? p->next : lists[l];
				if (p->sum != sum_of(p))
					tally_atomic_add(&bad, 1);
			}
		}
		tally_yield();
	}
	(void)drop;
	tally_atomic_add(&done, 1);
}

int main(int argc, char **argv)
{
	int mib = argc > 1 ? atoi(argv[1]) : 64, cycles = argc > 2 ? atoi(argv[2]) : 6;
	int bound = argc > 3 ? atoi(argv[3]) : 0;
	work = argc > 4 ? atoi(argv[4]) : 0;
	if (mib < 1 || mib > 1024 || cycles < 1 || bound < 0 || work < 0) {
		printf("usage: gc_live [MiB 1..1024 [cycles [goal%% [work]]]]\n");
		return 64;
	}
	per_list = (int)((uint64_t)mib << 20) / (int)sizeof(struct node) / NLISTS;
	for (int l = 0; l < NLISTS; l++)
		for (int i = 0; i < per_list; i++) {
			struct node *n = node((uint64_t)l << 32 | (uint64_t)i);
			if (!n)
				return 71;
			n->next = lists[l];
			lists[l] = n;
		}
	struct tally_gc_stats st;
	tally_gc();
	tally_gc_read_stats(&st);
	uint64_t first = st.cycles;
	printf("gc_live: %d MiB live built, %llu cycles so far\n", mib, (unsigned long long)first);
	unsigned ncpu = (unsigned)tally_ncpu();
	uint64_t alloc0 = st.total_alloc, t0 = tally_nanotime();
	for (unsigned i = 0; i < ncpu; i++)
		tally_go(mutator, (void *)(uintptr_t)i);
	uint64_t goal_max = 0;
	do {
		tally_sleep(2000000);
		tally_gc_read_stats(&st);
		if (st.cycles >= first + 2 && st.heap_goal > goal_max)
			goal_max = st.heap_goal;
	} while (st.cycles < first + (uint64_t)cycles);
	tally_atomic_store(&stop, 1);
	while (tally_atomic_load(&done) < (int64_t)ncpu)
		tally_sleep(1000000);
	tally_gc_read_stats(&st);
	uint64_t us = (tally_nanotime() - t0) / 1000, bytes = st.total_alloc - alloc0;
	printf("gc_live: the mutators allocated %llu MB in %llu ms, %llu bytes a us\n",
	       (unsigned long long)(bytes >> 20), (unsigned long long)(us / 1000),
	       (unsigned long long)(us ? bytes / us : 0));
	for (int l = 0; l < NLISTS; l++) {
		int k = 0;
		for (const struct node *n = lists[l]; n; n = n->next, k++)
			if (n->sum != sum_of(n))
				bad++;
		if (k != per_list)
			bad++;
	}
	uint64_t pct = goal_max * 100 / ((uint64_t)mib << 20);
	int over = bound && (!goal_max || pct > (uint64_t)bound);
	if (bound)
		printf("gc_live: goal max %llu = %llu%% of live (bound %d%%)\n", (unsigned long long)goal_max,
		       (unsigned long long)pct, bound);
	printf("gc_live: %s %d MiB live, %llu cycles, max pause %llu us, %lld corruptions\n",
	       bad || over ? "FAIL" : "ok", mib, (unsigned long long)(st.cycles - first),
	       (unsigned long long)(st.pause_max_ns / 1000), (long long)bad);
	return bad || over ? 1 : 0;
}

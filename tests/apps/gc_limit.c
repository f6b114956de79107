/*
 * gc_limit.c - the soft memory limit set by boot options, on the machine:
 * booted with gogc=off gcmemlimit=<L>M and argv[1] = L, it drops 6 x L
 * MiB of 1 KiB objects and checks, against the limit it was told and the
 * bytes it allocated itself:
 *   - the collector ran, and only near the limit: at most once per
 *     (3/4 x 7/8 x L less a window per CPU) of garbage, concurrent cycles
 *     starting at the trigger (plus one: the first and last cycles may be
 *     partial), and at least once per L;
 *   - heap_alloc (sampled every 64 allocations) stayed under the limit
 *     plus the windows the CPUs' caches may hold;
 *   - heap_goal is 7/8 of the limit.
 * Prints "gc_limit: ok" or a FAIL line per check; exit status 1 on a
 * failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <tally.h>

#define OBJ 1024

static void *volatile sink;

int main(int argc, char **argv)
{
	int64_t mib = argc > 1 ? atoll(argv[1]) : 0;
	if (mib < 4) {
		printf("usage: gc_limit <limit in MiB, at least 4>\n");
		return 2;
	}
	int64_t limit = mib << 20, garbage = 6 * limit;
	int64_t slack = (int64_t)tally_ncpu() * 64 * OBJ + (256 << 10);
	struct tally_gc_stats st;
	tally_gc_read_stats(&st);
	uint64_t c0 = st.cycles, max_alloc = 0;
	for (int64_t i = 0; i < garbage / OBJ; i++) {
		char *p = tally_gc_alloc(OBJ, TALLY_GC_SCAN);
		p[OBJ - 1] = 1;
		sink = p;
		if (i % 64 == 0) {
			tally_gc_read_stats(&st);
			if (st.heap_alloc > max_alloc)
				max_alloc = st.heap_alloc;
		}
	}
	tally_gc_read_stats(&st);
	int64_t cycles = (int64_t)(st.cycles - c0);
	/* a cycle starts at the trigger, 3/4 of the way to the goal (7/8 of
	 * the limit): on average the garbage between two starts is the
	 * trigger's (what a cycle's marking lets be born counts towards the
	 * next), and the first and last cycle may be partial */
	int64_t most = garbage / (limit / 8 * 7 / 4 * 3 - slack) + 2, least = garbage / (limit + slack);
	printf("gc_limit: limit %lld MiB, %lld MiB garbage: %lld cycles (expected %lld to %lld), "
	       "heap_alloc max %llu, goal %llu\n",
	       (long long)mib, (long long)(garbage >> 20), (long long)cycles, (long long)least,
	       (long long)most, (unsigned long long)max_alloc, (unsigned long long)st.heap_goal);
	int bad = 0;
	if (cycles < least || cycles > most) {
		printf("gc_limit: FAIL: %lld collections\n", (long long)cycles);
		bad = 1;
	}
	if ((int64_t)max_alloc > limit + slack) {
		printf("gc_limit: FAIL: heap_alloc reached %llu over the limit\n", (unsigned long long)max_alloc);
		bad = 1;
	}
	if ((int64_t)st.heap_goal != limit / 8 * 7) {
		printf("gc_limit: FAIL: heap_goal %llu, not 7/8 of the limit\n", (unsigned long long)st.heap_goal);
		bad = 1;
	}
	if (!bad)
		printf("gc_limit: ok\n");
	return bad;
}

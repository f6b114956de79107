/*
 * gc_stacktrim.c - the collector gives back the stack pages of parked
 * goroutines below their stack pointer (issue 12, item 7; rt/heap/gc_stack.c
 * trim_stack), and what the goroutines keep above it is untouched.
 *
 * Usage: gc_stacktrim.  Spawns NG goroutines; each recurses DEPTH frames
 * of FRAME bytes (about 256 KiB of stack, mapped on demand), checking on
 * the way back that every frame's bytes are what it wrote, then fills a
 * shallow buffer with values derived from its index and parks on a
 * channel.  main reads tally_stack_stats (the stack subsystem's count of
 * bytes backing stacks: the truth, kept by the kernel's page mapping, not
 * by the collector), runs one collection, and reads it again; then wakes
 * every goroutine, which checks its shallow buffer and recurses as deep
 * again (the trimmed pages come back by faults) and checks that too.
 * Prints "gc_stacktrim: ok <N> goroutines, <B> bytes of stack before,
 * <A> after, <T> trimmed by the collector" when every check passed, the
 * pages the stack layer released during the collection are the
 * collector's own count (tally_gc_stats.stack_bytes_trimmed) and at most
 * what was mapped meanwhile beyond it (with P > 1 the collector's marking
 * helpers are goroutines: their stacks, at most 64 KiB in all, mapped
 * and, when they exit, partly released), and the drop of the bytes
 * backing stacks is at least NG x (DEPTH x FRAME - 64 KiB) less that; with gcconc=0 (no concurrent stack scan, no trim) it prints
 * the same line, with "no trim" for "ok" when nothing was trimmed, and
 * fails if anything was released: the measure is not fooled by something
 * else returning pages.
 *
 * Context: goroutines; one readiness channel, one wake channel each.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tally.h>

#define NG 32
#define DEPTH 64
#define FRAME 4000

static struct tally_chan *ready, *results, *wake[NG];

/* Recurse d frames, each with FRAME bytes it writes and checks on the way
 * back; returns the frames whose bytes were wrong. */
__attribute__((noinline)) static unsigned deep(unsigned g, unsigned d)
{
	volatile uint8_t buf[FRAME];
	for (unsigned i = 0; i < FRAME; i++)
		buf[i] = (uint8_t)(g * 31 + d * 7 + i);
	unsigned bad = d ? deep(g, d - 1) : 0;
	for (unsigned i = 0; i < FRAME; i++)
		if (buf[i] != (uint8_t)(g * 31 + d * 7 + i)) {
			bad++;
			break;
		}
	return bad;
}

static void worker(void *arg)
{
	unsigned g = (unsigned)(uintptr_t)arg, bad = deep(g, DEPTH);
	volatile uint64_t keep[64];
	for (unsigned i = 0; i < 64; i++)
		keep[i] = ((uint64_t)g << 32) ^ (i * 0x9e3779b97f4a7c15ull);
	int x;
	tally_chan_send(ready, &x);
	tally_chan_recv(wake[g], &x);  /* parked through the collection */
	for (unsigned i = 0; i < 64; i++)
		bad += keep[i] != (((uint64_t)g << 32) ^ (i * 0x9e3779b97f4a7c15ull));
	bad += deep(g, DEPTH);
	int r = (int)bad;
	tally_chan_send(results, &r);
}

int main(void)
{
	ready = tally_chan_make(sizeof(int), NG);
	results = tally_chan_make(sizeof(int), NG);
	for (unsigned g = 0; g < NG; g++) {
		wake[g] = tally_chan_make(sizeof(int), 1);
		tally_go(worker, (void *)(uintptr_t)g);
	}
	int x = 0;
	for (unsigned g = 0; g < NG; g++)
		tally_chan_recv(ready, &x);
	struct tally_stack_stats before, after;
	struct tally_gc_stats g0, g1;
	tally_gc_read_stats(&g0);
	tally_stack_stats(&before);
	tally_gc();
	tally_stack_stats(&after);
	tally_gc_read_stats(&g1);
	for (unsigned g = 0; g < NG; g++)
		tally_chan_send(wake[g], &x);
	unsigned bad = 0;
	for (unsigned g = 0; g < NG; g++) {
		int r;
		tally_chan_recv(results, &r);
		bad += (unsigned)r;
	}
	/* the stack layer's counts, in 4 KiB pages on both ISAs: what it
	 * released during the collection, and what it mapped (the stacks of
	 * the collector's helpers, with more than one CPU: a page or two
	 * each, released or cached when they exit) */
	uint64_t released = (after.pages_released - before.pages_released) * 4096;
	uint64_t mapped = (after.pages_mapped - before.pages_mapped) * 4096;
	uint64_t drop = before.committed > after.committed ? before.committed - after.committed : 0;
	uint64_t trimmed = g1.stack_bytes_trimmed - g0.stack_bytes_trimmed;
	uint64_t want = (uint64_t)NG * (DEPTH * FRAME - (64u << 10));
	const char *verdict;
	if (bad)
		verdict = "FAILED: stack contents changed";
	else if (!trimmed)
		verdict = released == 0 ? "no trim" : "FAILED: pages went without the collector";
	else if (mapped > (64u << 10))
		verdict = "FAILED: stacks grew during the collection";
	else
		/* beyond the collector's trim, only what the helpers mapped
		 * can have been released (their stacks, at their exit) */
		verdict = released >= trimmed && released - trimmed <= mapped && drop >= want - mapped
		                  ? "ok" : "FAILED: too little trimmed";
	printf("gc_stacktrim: %s %d goroutines, %llu bytes of stack before, %llu after, %llu trimmed by the "
	       "collector, %u bad frames\n", verdict, NG, (unsigned long long)before.committed,
	       (unsigned long long)after.committed, (unsigned long long)trimmed, bad);
	return strncmp(verdict, "FAILED", 6) ? 0 : 1;
}

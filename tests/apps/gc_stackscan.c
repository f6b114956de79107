/*
 * gc_stackscan.c - with concurrent marking (gcconc=1), an object whose
 * only pointer is on the stack of a goroutine parked since before the
 * cycle survives: the stack is scanned concurrently from the sp the start
 * pause noted (rt/heap/gc_stack.c), and is never re-scanned, since its
 * pages stay clean.
 *
 * Usage: gc_stackscan [control].  Spawns NHOLD goroutines; each allocates
 * a 256-byte TALLY_GC_SCAN object in a function that leaves its address
 * in one stack slot of the goroutine's frame only, fills it with values
 * derived from its index, and parks on a channel.  main runs three
 * collections, then wakes them all; each checks its object's words (the
 * collector zeroes what it frees, and a freed slot is handed out again, so
 * a lost object shows as changed words).
 * Prints "gc_stackscan: ok <N> of <N> intact after 3 collections".
 * control: the collector skips the noted stacks (gc_test_nostackscan):
 * the same objects must then be lost, and the app prints
 * "gc_stackscan: control: <K> of <N> lost" with K > 0, which shows that
 * nothing but the stack scan kept them (status 1 if none was lost).
 *
 * Truth: the values each goroutine wrote, checked after the cycles.
 * Context: main and the holders are goroutines; one chan for readiness,
 * one per holder to wake it.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tally.h>

#define NHOLD 64
#define WORDS 32

extern int gc_test_nostackscan;  /* rt/heap/gc_impl.h: the control */

static struct tally_chan *ready, *results;
static struct tally_chan *wake[NHOLD];

static uint64_t val(unsigned h, unsigned i) { return 0x5eed000000000000ull ^ ((uint64_t)h << 20) ^ i; }

/* Allocate and fill holder h's object; its address leaves only in *slot
 * (a slot of the caller's frame), not in a register the caller keeps. */
__attribute__((noinline)) static void fill(unsigned h, uint64_t *volatile *slot)
{
	uint64_t *o = tally_gc_alloc(WORDS * 8, TALLY_GC_SCAN);
	if (!o)
		return;
	for (unsigned i = 0; i < WORDS; i++)
		o[i] = val(h, i);
	*slot = o;
}

/* Holder h's object's words that still hold their values (all or none
 * expected). */
__attribute__((noinline)) static unsigned intact(unsigned h, uint64_t *volatile *slot)
{
	const volatile uint64_t *o = *slot;
	unsigned ok = 0;
	for (unsigned i = 0; o && i < WORDS; i++)
		ok += o[i] == val(h, i);
	return ok;
}

static void holder(void *arg)
{
	unsigned h = (unsigned)(uintptr_t)arg;
	uint64_t *volatile keep = NULL;
	fill(h, &keep);
	int one = 1, r;
	tally_chan_send(ready, &one);
	tally_chan_recv(wake[h], &r);  /* parked here through the cycles */
	int good = intact(h, &keep) == WORDS;
	tally_chan_send(results, &good);
}

int main(int argc, char **argv)
{
	int control = argc > 1 && !strcmp(argv[1], "control");
	gc_test_nostackscan = control;
	ready = tally_chan_make(sizeof(int), NHOLD);
	results = tally_chan_make(sizeof(int), NHOLD);
	for (unsigned h = 0; h < NHOLD; h++) {
		wake[h] = tally_chan_make(sizeof(int), 1);
		tally_go(holder, (void *)(uintptr_t)h);
	}
	int x;
	for (unsigned h = 0; h < NHOLD; h++)
		tally_chan_recv(ready, &x);
	tally_gc();
	/* new objects of the same size: a freed slot is reused and written */
	for (unsigned k = 0; k < 4 * NHOLD; k++) {
		uint64_t *p = tally_gc_alloc(WORDS * 8, TALLY_GC_SCAN);
		if (p)
			memset(p, 0xa5, WORDS * 8);
	}
	tally_gc();
	tally_gc();
	for (unsigned h = 0; h < NHOLD; h++)
		tally_chan_send(wake[h], &x);
	unsigned good = 0;
	for (unsigned h = 0; h < NHOLD; h++) {
		int g;
		tally_chan_recv(results, &g);
		good += (unsigned)g;
	}
	struct tally_gc_stats st;
	tally_gc_read_stats(&st);
	if (control) {
		printf("gc_stackscan: control: %u of %d lost\n", NHOLD - good, NHOLD);
		return good < NHOLD ? 0 : 1;
	}
	printf("gc_stackscan: %s %u of %d intact after %llu collections\n", good == NHOLD ? "ok" : "FAILED",
	       good, NHOLD, (unsigned long long)st.cycles);
	return good == NHOLD ? 0 : 1;
}

/*
 * gc_grow.c - a store into a page the heap grew into during a
 * pre-cleaning round of concurrent marking (gcconc=1, 2 CPUs) must be
 * re-scanned.
 *
 * A pre-cleaning round (rt/heap/gc_dirty.c, gc_preclean) notes the
 * arena's end, then harvests the dirty bits of whole 2 MiB units of the
 * heap, so it also clears those of pages the arena grows into after the
 * note; the re-scan must reach them.  When it stopped at the noted end,
 * such a page's stores were lost: its dirty bit cleared, its contents
 * never read (gc_live crashed about once in a hundred boots, a live list
 * node swept).
 *
 * Each attempt: a goroutine that then exits allocates W, a 64-byte
 * scanned object with a checksum, and leaves its address only XOR-masked
 * in a global (no root holds it: W is white, and no stack of a live
 * goroutine names it).  main runs tally_gc; the collector's first
 * pre-cleaning round calls the test hook (gc_test_preclean_hook) once the
 * arena's end is noted, and the hook has the grower goroutine, spinning
 * on the other CPU, allocate heap pages (8 KiB objects, born marked)
 * until one, B, lies past the noted end (the free spans below it go
 * first), store W's address in B's first word and hang B from a global,
 * before the round harvests.  W is
 * then reachable through B alone.  After the collection W's checksum
 * must be intact (the collector zeroes what it frees); a goroutine that
 * then exits reads it, and an intact W is kept alive, so that every W
 * takes a slot no earlier W had (a stale copy of a freed W's address, in
 * a recycled stack, would keep a W that took its slot alive).  An attempt
 * counts as a test of the round when B's first page lies past the noted
 * end and inside the last 2 MiB unit the round harvests, and W's slot is
 * new.
 *
 * Usage: gc_grow [attempts [control]] (default 16).  Prints
 *   gc_grow: ok <A> attempts, <T> in the round's grown unit, 0 lost
 * (status 1 if an object was lost, or if no attempt tested the round).
 * control: the re-scan stops at the noted end again
 * (gc_test_hull_snapshot): the tested attempts must then lose W, which
 * shows that nothing but that re-scan kept it (a lost W's slot is taken
 * by the next W, so about half the attempts are tested); prints
 *   gc_grow: control: <L> of <T> lost
 * (status 1 unless T > 0 and L >= 3/4 T: a goroutine that held W's
 * address and is still alive, preempted on its way out under a loaded
 * host, may keep it in a register the final pause reads; seen once, 8
 * of 9, in a clean-clone run).
 *
 * Truth: the checksum each W was given, read after its collection.
 * Context: main (the collector, through tally_gc), one short-lived
 * goroutine per attempt, the grower; gogc=off keeps the pacer out.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tally.h>

#define MAXATT 64
#define BSIZE (8u << 10)   /* a large object: one heap page */
#define UNIT ((uintptr_t)2 << 20)
#define MASK 0xa5a5000000000000ull   /* a masked address is no heap address */

extern void (*gc_test_preclean_hook)(uintptr_t heap_hi);  /* rt/heap/gc_impl.h */
extern int gc_test_hull_snapshot;                          /* the control */

struct wobj {
	uint64_t val, sum, pad[6];
};

static volatile uintptr_t w_masked;      /* W's address, masked */
static void *volatile held[MAXATT];      /* the B objects (a root) */
static void *volatile kept[MAXATT];      /* the W objects found intact (a root) */
static uintptr_t seen[MAXATT];            /* every W's address, masked */
static volatile uintptr_t b_addr, noted_end;
static volatile int64_t go_grow, grown, grower_stop, w_made, hook_calls;
static int attempt;

static uint64_t sum_of(uintptr_t w, uint64_t val) { return (w * 0x9e3779b97f4a7c15ull) ^ val; }

/* The collector's first pre-cleaning round, arena end noted: have the
 * grower allocate and store now (bounded wait: a grower that never runs
 * makes the attempt untested, not a hang). */
static void hook(uintptr_t heap_hi)
{
	if (tally_atomic_add(&hook_calls, 1) != 1)
		return;
	noted_end = heap_hi;
	tally_atomic_store(&go_grow, 1);
	for (uint64_t spins = 0; !tally_atomic_load(&grown) && spins < 2000000000ull; spins++)
		__asm__ volatile("" ::: "memory");
	/* and 2 ms more: the grower returns meanwhile, and its stack, where
	 * W's address may linger, is then no root */
	for (uint64_t t = tally_nanotime(); tally_nanotime() - t < 2000000;)
		__asm__ volatile("" ::: "memory");
}

/* Overwrite the dead frames below the caller's: the goroutines that
 * handle W's address do so in a function of their own, then call this,
 * so that if one is still alive (preempted on its way out) when the
 * world stops, neither its frames nor its callee-saved registers name W
 * any more (conservative roots would keep W alive: no test). */
__attribute__((noinline)) static void scrub(void)
{
	volatile uintptr_t junk[512];
	for (int i = 0; i < 512; i++)
		junk[i] = 0;
}

/* heap pages until one lies past the noted end: the free spans below it
 * are used first (the fillers are born marked, garbage by the next
 * cycle); W's address goes into the first word of that one, B */
__attribute__((noinline)) static void plant(void)
{
	uint64_t *b = NULL;
	for (int k = 0; k < 4096; k++) {
		b = tally_gc_alloc(BSIZE, TALLY_GC_SCAN);
		if (!b || (uintptr_t)b >= noted_end)
			break;
	}
	if (b) {
		b[0] = w_masked ^ MASK;
		held[attempt] = b;
		b_addr = (uintptr_t)b;
	}
}

static void grower(void *arg)
{
	(void)arg;
	while (!tally_atomic_load(&go_grow))
		if (tally_atomic_load(&grower_stop))
			return;
	plant();
	scrub();
	tally_atomic_store(&grown, 1);
}

__attribute__((noinline)) static void make(uint64_t val)
{
	struct wobj *w = tally_gc_alloc(sizeof(*w), TALLY_GC_SCAN);
	if (w) {
		w->val = val;
		w->sum = sum_of((uintptr_t)w, val);
		w_masked = (uintptr_t)w ^ MASK;
	}
}

static void make_w(void *arg)
{
	make((uint64_t)(uintptr_t)arg);
	scrub();
	tally_atomic_store(&w_made, 1);
}

/* 1: W intact, 2: lost (zeroed or reused) */
static volatile int64_t w_checked;

static void check_w(void *arg)
{
	uint64_t val = (uint64_t)(uintptr_t)arg;
	const struct wobj *w = (const struct wobj *)(w_masked ^ MASK);
	int ok = w->val == val && w->sum == sum_of((uintptr_t)w, val);
	/* an intact W stays alive from here on, so the next W takes a slot
	 * never used before, which no stale word anywhere names */
	if (ok)
		kept[attempt] = (void *)w;
	tally_atomic_store(&w_checked, ok ? 1 : 2);
}

int main(int argc, char **argv)
{
	int attempts = argc > 1 ? atoi(argv[1]) : 16, control = argc > 2 && !strcmp(argv[2], "control");
	if (attempts < 1 || attempts > MAXATT || (argc > 2 && !control)) {
		printf("usage: gc_grow [attempts 1..%d [control]]\n", MAXATT);
		return 64;
	}
	if (tally_ncpu() < 2) {
		printf("gc_grow: needs 2 CPUs\n");
		return 64;
	}
	gc_test_hull_snapshot = control;
	gc_test_preclean_hook = hook;
	int tested = 0, lost = 0, lost_tested = 0;
	for (attempt = 0; attempt < attempts; attempt++) {
		uint64_t val = 0x6700000000ull + (uint64_t)attempt;
		tally_atomic_store(&w_made, 0);
		tally_go(make_w, (void *)(uintptr_t)val);
		while (!tally_atomic_load(&w_made))
			tally_sleep(100000);
		tally_sleep(1000000);  /* let make_w exit: its stack is then no root */
		tally_atomic_store(&go_grow, 0);
		tally_atomic_store(&grown, 0);
		tally_atomic_store(&grower_stop, 0);
		tally_atomic_store(&hook_calls, 0);
		b_addr = 0;
		tally_go(grower, NULL);
		tally_sleep(1000000);  /* the grower spins on the other CPU */
		tally_gc();
		tally_atomic_store(&grower_stop, 1);
		uintptr_t end = noted_end, unit_end = (end + UNIT - 1) & ~(UNIT - 1);
		int in_round = tally_atomic_load(&hook_calls) > 0 && tally_atomic_load(&grown) && b_addr >= end &&
		               b_addr < unit_end;
		/* W is read by a goroutine that then exits: a copy of its
		 * address left in main's frame would keep the next attempt's W
		 * alive when it takes the same slot */
		tally_atomic_store(&w_checked, 0);
		tally_go(check_w, (void *)(uintptr_t)val);
		while (!tally_atomic_load(&w_checked))
			tally_sleep(100000);
		int ok = w_checked == 1, fresh = 1;
		for (int k = 0; k < attempt; k++)
			fresh &= seen[k] != w_masked;  /* masked: no root */
		seen[attempt] = w_masked;
		in_round &= fresh;
		tested += in_round;
		lost += !ok;
		lost_tested += !ok && in_round;
		if (!ok && !control)
			printf("gc_grow: attempt %d: W lost (B %p, arena end %p noted)\n", attempt, (void *)b_addr, (void *)end);
		held[attempt] = NULL;  /* B is garbage now: no stale pointer to W's slot lives on */
		tally_sleep(2000000);  /* the grower returns */
	}
	gc_test_preclean_hook = NULL;
	if (control) {
		printf("gc_grow: control: %d of %d lost\n", lost_tested, tested);
		return tested > 0 && lost_tested * 4 >= tested * 3 ? 0 : 1;
	}
	printf("gc_grow: %s %d attempts, %d in the round's grown unit, %d lost\n", lost || !tested ? "FAIL" : "ok",
	       attempts, tested, lost);
	return lost || !tested ? 1 : 0;
}

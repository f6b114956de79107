/*
 * rt_stack.c - growable goroutine stacks.  argv[1] picks the test:
 *   deep      one goroutine recurses 8 MiB deep while 1000 others run
 *   many      100 000 goroutines recurse to random depths and return;
 *             afterwards committed stack memory is back near its baseline
 *   allcores  growth on every CPU at once (4 goroutines per CPU, 2 MiB each)
 *   shrink    a live goroutine releases its unused stack with
 *             tally_stack_shrink
 *   overflow  a goroutine recurses past the limit: Go's report, status 2
 *   clash     (stackmax=64K) a goroutine fills a 48 KiB frame and waits;
 *             another takes a 92 KiB frame, more than its whole stack, and
 *             writes the lowest 8 KiB of it, which lie in the first one's
 *             stack: Go's stack-overflow report, status 2, not a frame
 *             changed under the first ("clash: victim changed")
 *   exits     one goroutine per CPU grows to 16 MiB, waits there, and all
 *             exit at once: their stacks' excess must be trimmed (within
 *             the 1 MiB the cache may keep) though the frees race on
 *             several CPUs
 * Every mode checks that the counters agree with each other:
 *   committed == (pages_mapped - pages_released) * 4096 and peak >= committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tally.h>

static int consistent(const char *when)
{
	struct tally_stack_stats s;
	tally_stack_stats(&s);
	int ok = s.committed == (s.pages_mapped - s.pages_released) * 4096 && s.peak >= s.committed;
	printf("stack: %s: %llu growth faults, %llu pages mapped, %llu released, %llu KiB committed, peak %llu KiB, %llu stacks in use, limit %llu KiB%s\n",
	       when, (unsigned long long)s.growth_faults, (unsigned long long)s.pages_mapped,
	       (unsigned long long)s.pages_released, (unsigned long long)(s.committed >> 10),
	       (unsigned long long)(s.peak >> 10), (unsigned long long)s.in_use,
	       (unsigned long long)(s.limit >> 10), ok ? "" : " INCONSISTENT");
	return ok;
}

/* Each level owns `frame` bytes of stack, written so nothing is elided. */
__attribute__((noinline)) static uint64_t recurse(uint64_t depth, uint64_t seed)
{
	volatile char pad[1000];
	pad[seed % sizeof(pad)] = (char)depth;
	if (depth == 0)
		return pad[seed % sizeof(pad)];
	return recurse(depth - 1, seed * 6364136223846793005ull + 1) + pad[seed % sizeof(pad)];
}

static uint64_t levels_for(uint64_t bytes) { return bytes / 1024; }

static struct tally_waitgroup wg;
static volatile int64_t done_count;
static struct tally_chan *stop;

static void idler(void *arg)
{
	(void)arg;
	int v;
	tally_chan_recv(stop, &v);  /* parked until closed */
	tally_waitgroup_done(&wg);
}

static void deep_one(void *arg)
{
	uint64_t bytes = (uint64_t)(uintptr_t)arg;
	recurse(levels_for(bytes), 1);
	tally_atomic_add(&done_count, 1);
	tally_waitgroup_done(&wg);
}

static void random_depth(void *arg)
{
	uint64_t seed = (uint64_t)(uintptr_t)arg * 2654435761u;
	recurse(seed % 64, seed);  /* up to ~64 KiB */
	tally_waitgroup_done(&wg);
}

static int mode_deep(void)
{
	struct tally_stack_stats before, after;
	tally_stack_stats(&before);
	stop = tally_chan_make(sizeof(int), 0);
	tally_waitgroup_add(&wg, 1001);
	for (int i = 0; i < 1000; i++)
		tally_go(idler, NULL);
	tally_go(deep_one, (void *)(uintptr_t)(8u << 20));
	while (tally_atomic_load(&done_count) == 0)
		tally_sleep(1000000);
	tally_chan_close(stop);
	tally_waitgroup_wait(&wg);
	tally_stack_stats(&after);
	printf("stack: deep: 8 MiB recursion done with 1000 goroutines parked, peak %llu KiB\n",
	       (unsigned long long)(after.peak >> 10));
	return consistent("deep") && after.peak >= (8ull << 20) &&
	       after.growth_faults > before.growth_faults;
}

static int mode_many(void)
{
	struct tally_stack_stats base, after;
	tally_stack_stats(&base);
	tally_waitgroup_add(&wg, 100000);
	for (uintptr_t i = 0; i < 100000; i++)
		tally_go(random_depth, (void *)i);
	tally_waitgroup_wait(&wg);
	tally_yield();
	tally_stack_stats(&after);
	/* exited stacks are trimmed back to their initial page */
	uint64_t cached = after.committed - base.committed;
	printf("stack: many: 100000 goroutines, %llu growth faults, committed %llu KiB (baseline %llu KiB), peak %llu KiB\n",
	       (unsigned long long)(after.growth_faults - base.growth_faults),
	       (unsigned long long)(after.committed >> 10), (unsigned long long)(base.committed >> 10),
	       (unsigned long long)(after.peak >> 10));
	/* near the baseline: at most one initial page per cached stack slot,
	 * which is bounded by the peak number of live goroutines */
	return consistent("many") && cached <= after.peak / 4 + (1u << 20);
}

/* Grow to 16 MiB, then park at the bottom until `stop` closes. */
static uint64_t deep_then_wait(uint64_t depth, uint64_t seed)
{
	volatile char pad[1000];
	pad[seed % sizeof(pad)] = (char)depth;
	if (depth == 0) {
		int v;
		tally_atomic_add(&done_count, 1);
		tally_chan_recv(stop, &v);
		return pad[seed % sizeof(pad)];
	}
	return deep_then_wait(depth - 1, seed * 6364136223846793005ull + 1) + pad[seed % sizeof(pad)];
}

static void deep_waiter(void *arg)
{
	(void)arg;
	deep_then_wait(levels_for(16u << 20), 5);
	tally_waitgroup_done(&wg);
}

static int mode_exits(void)
{
	struct tally_stack_stats base, deep, after;
	int n = tally_ncpu();
	tally_stack_stats(&base);
	stop = tally_chan_make(sizeof(int), 0);
	tally_waitgroup_add(&wg, n);
	for (int i = 0; i < n; i++)
		tally_go(deep_waiter, NULL);
	while (tally_atomic_load(&done_count) < n)
		tally_sleep(1000000);
	tally_stack_stats(&deep);
	tally_chan_close(stop);
	tally_waitgroup_wait(&wg);
	/* the trims run on the exiting goroutines' CPUs after they are done:
	 * wait for them (a trim left undone never ends: 10 s) */
	uint64_t give_up = tally_nanotime() + 10000000000ull;
	do {
		tally_sleep(10000000);
		tally_stack_stats(&after);
	} while (after.committed > base.committed + (2u << 20) && tally_nanotime() < give_up);
	printf("stack: exits: %d goroutines at 16 MiB exited, committed %llu KiB -> %llu KiB (baseline %llu KiB)\n", n,
	       (unsigned long long)(deep.committed >> 10), (unsigned long long)(after.committed >> 10),
	       (unsigned long long)(base.committed >> 10));
	return consistent("exits") && deep.committed >= base.committed + (uint64_t)n * (16u << 20) &&
	       after.committed <= base.committed + (2u << 20);
}

static void (*volatile fill)(volatile char *, size_t, int);
static void fill_bytes(volatile char *b, size_t n, int v) { memset((char *)b, v, n); }
static volatile int victim_ready, clash_done;

__attribute__((noinline)) static void victim_frame(size_t n)
{
	volatile char buf[n];
	fill(buf, n, 0x5a);
	victim_ready = 1;
	while (!clash_done)
		tally_sleep(1000000);
	size_t bad = 0;
	for (size_t i = 0; i < n; i++)
		bad += buf[i] != 0x5a;
	printf("stack: clash: victim changed: %zu of %zu bytes\n", bad, n);
}

static void victim(void *arg)
{
	victim_frame((size_t)(uintptr_t)arg);
	tally_waitgroup_done(&wg);
}

__attribute__((noinline)) static void big_frame(size_t n)
{
	volatile char big[n];
	fill(big, 8u << 10, 0xee);  /* the lowest 8 KiB: past the guard page */
	printf("stack: clash: a %zu KiB frame was written: survived\n", n >> 10);
}

static void clasher(void *arg)
{
	big_frame((size_t)(uintptr_t)arg);
	clash_done = 1;
	tally_waitgroup_done(&wg);
}

static int mode_clash(void)
{
	fill = fill_bytes;
	tally_waitgroup_add(&wg, 2);
	tally_go(victim, (void *)(uintptr_t)(48u << 10));
	while (!victim_ready)
		tally_yield();
	tally_go(clasher, (void *)(uintptr_t)(92u << 10));
	tally_waitgroup_wait(&wg);
	return 0;
}

static int mode_allcores(void)
{
	int n = tally_ncpu() * 4;
	tally_waitgroup_add(&wg, n);
	for (int i = 0; i < n; i++)
		tally_go(deep_one, (void *)(uintptr_t)(2u << 20));
	tally_waitgroup_wait(&wg);
	printf("stack: allcores: %d goroutines grew to 2 MiB on %d CPUs\n", n, tally_ncpu());
	return consistent("allcores") && tally_atomic_load(&done_count) == n;
}

static int mode_shrink(void)
{
	recurse(levels_for(4u << 20), 7);  /* grow main's stack to 4 MiB */
	struct tally_stack_stats a, b;
	tally_stack_stats(&a);
	uint64_t released = tally_stack_shrink();
	tally_stack_stats(&b);
	printf("stack: shrink: released %llu KiB, committed %llu -> %llu KiB\n",
	       (unsigned long long)(released >> 10), (unsigned long long)(a.committed >> 10),
	       (unsigned long long)(b.committed >> 10));
	recurse(levels_for(1u << 20), 9);  /* and it grows again */
	return consistent("shrink") && released >= (3u << 20) &&
	       a.committed - b.committed == released;
}

static void overflow_g(void *arg)
{
	(void)arg;
	recurse(~0ull >> 1, 3);
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	int ok;
	consistent("start");
	if (!strcmp(m, "deep"))
		ok = mode_deep();
	else if (!strcmp(m, "many"))
		ok = mode_many();
	else if (!strcmp(m, "allcores"))
		ok = mode_allcores();
	else if (!strcmp(m, "shrink"))
		ok = mode_shrink();
	else if (!strcmp(m, "exits"))
		ok = mode_exits();
	else if (!strcmp(m, "clash"))
		ok = mode_clash();
	else if (!strcmp(m, "overflow")) {
		tally_waitgroup_add(&wg, 1);
		tally_go(overflow_g, NULL);
		tally_waitgroup_wait(&wg);
		printf("stack: overflow: survived\n");
		return 0;
	} else {
		printf("stack: unknown mode \"%s\"\n", m);
		return 1;
	}
	printf("stack: %s: %s\n", m, ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}

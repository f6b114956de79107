/*
 * stack_bench.c - benchmarks of growable goroutine stacks.
 */
#include <stdint.h>
#include <stdio.h>
#include "kernel/bench.h"
#include "kernel/cpu/cpu.h"
#include "kernel/mem/gstack.h"
#include "kernel/ledger.h"
#include "kernel/mem/pmem.h"
#include "rt/include/tally.h"

/* Each level owns ~4000 bytes of stack; the run-time index keeps the
 * compiler from shrinking the array (it does, for a constant index). */
__attribute__((noinline)) static uint64_t dig(uint64_t pages)
{
	volatile char page[4000];
	page[pages * 997 % sizeof(page)] = (char)pages;
	if (pages <= 1)
		return page[pages * 997 % sizeof(page)];
	return dig(pages - 1) + page[pages * 997 % sizeof(page)];
}

static uint64_t cause_cycles(int cause)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < cpu_count(); i++)
		sum += cpus[i].ledger.cause_cycles[cause];
	return sum;
}

/* One stack-growth fault: the goroutine grows its stack one fault deeper
 * than it is backed, then releases the unused part (tally_stack_shrink,
 * outside the measurement).  ns/op and cycles/op are the fault's own cost
 * as the ledger charged it (kern.fault, cause rt.stack: from the #PF entry
 * stub to the return), per fault.  It reads the ledger, so under
 * ledger=off (nothing charged) it is skipped rather than timing the whole
 * loop under the same name. */
BENCH(StackGrowthFault)
{
	if (!ledger_on) {
		bench_skip(b, "measures kern.fault through the ledger, which ledger=off stops");
		return;
	}
	int cause = ledger_cause("rt.stack");
	struct gstack_stats a, z;
	tally_stack_shrink();
	gstack_stats(&a);
	uint64_t c0 = cause_cycles(cause);
	for (uint64_t i = 0; i < b->n; i++) {
		dig(12);  /* ~48 KiB below the shrunken stack: faults */
		tally_stack_shrink();
	}
	uint64_t cycles = cause_cycles(cause) - c0;
	gstack_stats(&z);
	uint64_t faults = z.growth_faults - a.growth_faults;
	if (!faults) {
		static char why[128];
		snprintf(why, sizeof(why), "no growth faults (committed %llu -> %llu, released %llu)",
		         (unsigned long long)a.committed, (unsigned long long)z.committed,
		         (unsigned long long)(z.pages_released - a.pages_released));
		bench_skip(b, why);
		return;
	}
	b->cycles = cycles * b->n / faults;  /* per fault, scaled to n ops */
	bench_metric(b, (double)faults / (double)b->n, "faults/op");
	bench_metric(b, (double)(z.pages_mapped - a.pages_mapped) / (double)faults, "pages/fault");
}

static struct tally_waitgroup wg;
static void grow_64k(void *arg)
{
	(void)arg;
	dig(16);
	tally_waitgroup_done(&wg);
}

/* go f(); f uses 64 KiB of stack; wg.Wait() */
BENCH(SpawnJoinGrowth)
{
	struct gstack_stats a, z;
	gstack_stats(&a);
	for (uint64_t i = 0; i < b->n; i++) {
		tally_waitgroup_add(&wg, 1);
		tally_go(grow_64k, NULL);
		tally_waitgroup_wait(&wg);
	}
	gstack_stats(&z);
	bench_metric(b, (double)(z.growth_faults - a.growth_faults) / (double)b->n, "faults/op");
}

static struct tally_chan *park_ch;
static volatile int64_t nparked;
static void parked(void *arg)
{
	(void)arg;
	int v;
	tally_atomic_add(&nparked, 1);
	tally_chan_recv(park_ch, &v);
	tally_waitgroup_done(&wg);
}

/* Spawn one goroutine that parks on a channel; after the run all are
 * released.  goroutines/GiB: 1 GiB over the physical memory one parked
 * goroutine takes (its G, its stack's first page, the page-table page of
 * its stack slot), measured from the page allocator around the spawns of
 * a run that needed fresh stack slots (later runs reuse cached, already
 * backed slots and allocate nothing: the figure of the last cold run is
 * reported). */
BENCH(ParkedGoroutines)
{
	/* at most PARK_BATCH parked at once: b.N scaling would otherwise try
	 * to park more goroutines than memory holds */
	enum { PARK_BATCH = 10000 };
	static double per_cold;
	for (uint64_t done = 0; done < b->n;) {
		uint64_t m = b->n - done < PARK_BATCH ? b->n - done : PARK_BATCH;
		struct gstack_stats s0, s1;
		park_ch = tally_chan_make(sizeof(int), 0);
		nparked = 0;
		gstack_trim();
		gstack_stats(&s0);
		uint64_t free0 = pmem_free_pages();
		tally_waitgroup_add(&wg, (int)m);
		for (uint64_t i = 0; i < m; i++)
			tally_go(parked, NULL);
		while ((uint64_t)tally_atomic_load(&nparked) < m)
			tally_sleep(100000);  /* until every one of them is parked */
		tally_yield();
		uint64_t free1 = pmem_free_pages();
		gstack_stats(&s1);
		uint64_t used = free0 > free1 ? (free0 - free1) * PMEM_PAGE_SIZE : 0;
		uint64_t fresh = s1.pages_mapped - s0.pages_mapped;  /* new initial pages */
		tally_chan_close(park_ch);
		tally_waitgroup_wait(&wg);
		if (fresh * 2 >= m && m >= 100)
			per_cold = (double)used / (double)fresh;
		done += m;
	}
	double per = per_cold;
	bench_metric(b, per, "B/goroutine");
	bench_metric(b, per > 0 ? (double)(1ull << 30) / per : 0, "goroutines/GiB");
}

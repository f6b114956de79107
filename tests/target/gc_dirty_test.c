/*
 * gc_dirty_test.c - on-target tests of the runtime's dirty-page contract
 * (rt/platform.h: plat_dirty_harvest, plat_dirty_sync), the collector's
 * write barrier, on the three kinds of memory the collector harvests: the
 * heap arena (a block from the runtime's malloc), data and bss (a static
 * buffer) and a goroutine stack (a slot from gstack).
 *
 * Truth: the pages the test itself writes, on CPU 0 and through ipi_call
 * on the last CPU.  A harvest must return exactly those (one page written
 * of a 4 KiB-mapped range comes back alone: a range in a 2 MiB page would
 * report all its pages, so this also checks the 4 KiB mappings the
 * collector relies on).  After a harvest and plat_dirty_sync, the CPU
 * that dirtied a page writes it again through the translation it had
 * cached with D set: without the sync's shootdown on that CPU the write
 * could go unrecorded (vm_dirty_stale_tlb_control shows whether QEMU
 * behaves so); the test requires it recorded, and every other CPU to
 * have taken exactly one IPI with ledger cause `gc` per sync.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/ipi.h"
#include "kernel/ktest.h"
#include "kernel/ledger.h"
#include "kernel/mem/gstack.h"
#include "rt/platform.h"

#define PG PLAT_DIRTY_PAGE
#define NP 12

static uint8_t bss_buf[NP * PG] __attribute__((aligned(4096)));

struct wjob {
	uintptr_t base;
	unsigned pages;      /* bit i: write page i */
};

static void wr(void *p)
{
	struct wjob *j = p;
	for (unsigned i = 0; i < NP; i++)
		if (j->pages & (1u << i))
			((volatile uint64_t *)(j->base + i * PG))[(i * 37) % 512] = 0x5a00u + i;
}

/* Harvest [base, NP pages) and require exactly the pages of want. */
static void expect(uintptr_t base, unsigned want, const char *what)
{
	uint64_t got[1] = { ~0ull };
	long n = plat_dirty_harvest(base, NP, got);
	if (got[0] != want || n != __builtin_popcount(want))
		ktest_fail(__FILE__, __LINE__, what, " (dirty 0x%llx, %ld pages; written 0x%x)",
		           (unsigned long long)got[0], n, want);
}

static void check_range(uintptr_t base, const char *what)
{
	unsigned n = cpu_count(), last = n - 1;
	int cause = ledger_cause("gc");
	KASSERT(cause > 0);
	uint64_t got[1];
	/* start clean: whatever wrote the range before */
	KASSERT(plat_dirty_harvest(base, NP, got) >= 0);
	plat_dirty_sync();
	expect(base, 0, what);

	/* CPU 0 writes pages 1 and 6, the last CPU 4 and 9 */
	struct wjob j0 = { base, 1u << 1 | 1u << 6 }, j1 = { base, 1u << 4 | 1u << 9 };
	wr(&j0);
	if (n > 1)
		KASSERT(ipi_call(last, wr, &j1, LCAUSE_CALL) == 0);
	else
		wr(&j1);
	expect(base, j0.pages | j1.pages, what);

	/* harvested and synced: the same CPUs rewrite pages they dirtied */
	uint64_t before = cpus[last].ledger.cause_events[cause];
	plat_dirty_sync();
	if (n > 1)
		KASSERT_EQ(cpus[last].ledger.cause_events[cause], before + 1);
	struct wjob k0 = { base, 1u << 6 }, k1 = { base, 1u << 4 | 1u << 11 };
	wr(&k0);
	if (n > 1)
		KASSERT(ipi_call(last, wr, &k1, LCAUSE_CALL) == 0);
	else
		wr(&k1);
	expect(base, k0.pages | k1.pages, what);
	expect(base, 0, what);  /* the harvest cleared them */
}

KTEST(gc_dirty_heap_pages)
{
	void *p = malloc(NP * PG);  /* a large object: whole, aligned heap pages */
	KASSERT(p != NULL && (uintptr_t)p % PG == 0);
	memset(p, 0, NP * PG);
	check_range((uintptr_t)p, "heap arena");
	free(p);
	ktest_note("heap, %u CPU(s): exactly the written pages, before and after a sync", cpu_count());
}

KTEST(gc_dirty_bss_pages)
{
	check_range((uintptr_t)bss_buf, "bss");
}

KTEST(gc_dirty_stack_pages)
{
	size_t size = gstack_size();
	KASSERT(size >= (NP + 1) * PG);
	uintptr_t lo = gstack_alloc(size);
	KASSERT(lo != 0);
	uintptr_t base = lo + size - NP * PG;
	for (unsigned i = 0; i < NP; i++)
		(void)*(volatile uint8_t *)(base + i * PG);  /* map them (growth faults) */
	check_range(base, "goroutine stack");
	gstack_free(lo, size);
}

/* Bad input: a misaligned range is refused, nothing written. */
KTEST(gc_dirty_misaligned)
{
	uint64_t got[1] = { 7 };
	KASSERT_EQ(plat_dirty_harvest((uintptr_t)bss_buf + 8, 1, got), -1);
	KASSERT_EQ(got[0], 7);
}

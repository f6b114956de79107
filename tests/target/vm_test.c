/*
 * vm_test.c - on-target tests of page-fault dispatch by region and of the
 * page-table operations a dirty-bit GC needs.
 *
 * Fault dispatch: a region with its own fault handler sees exactly the
 * faults the test provokes (address, read/write, not-present/protection,
 * guard), can resolve them by mapping (demand paging), and its faults are
 * counted under its ledger cause.
 *
 * Dirty bits: a fresh mapping must report what arch_vm_ad_fresh says (on
 * every page), and once cleaned and flushed, pages written on every CPU
 * must come back from arch_vm_ad as exactly the dirty set (the MMU, here QEMU's, sets D in the PTE); after a
 * clear and one batched shootdown, a second round of writes must give
 * exactly its own pages, including pages rewritten by the CPU that dirtied
 * them before, whose TLB held the translation with D set: without the
 * flush on that CPU its write would not set D again (the control test
 * shows whether the machine behaves so).  The expected answers are the
 * accesses the tests themselves make.
 */
#include <stdint.h>
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/ipi.h"
#include "kernel/ktest.h"
#include "kernel/ledger.h"
#include "kernel/mem/tlb.h"
#include "kernel/mem/vm.h"

#define PAGE ARCH_PAGE_SIZE

static struct {
	unsigned calls;
	uintptr_t addr;
	unsigned access;
	int guard;
	void *arg;
} seen;

/* Demand paging: map the faulting page (read-write) unless the fault is in
 * the guard or on a mapped page (a protection violation). */
static int demand_fault(struct vm_region *r, const struct vm_fault *f, void *arg)
{
	seen.calls++;
	seen.addr = f->addr;
	seen.access = f->access;
	seen.guard = vm_fault_in_guard(r, f->addr);
	seen.arg = arg;  /* checked by the test: no KASSERT in exception context */
	if (seen.guard || (f->access & VM_ACCESS_PRESENT))
		return VM_FAULT_FATAL;
	return vm_commit(r, f->addr & ~(PAGE - 1), PAGE, VM_R | VM_W) == 0 ? VM_FAULT_RETRY
	                                                                  : VM_FAULT_FATAL;
}

static void write_one(void *p) { *(volatile uint8_t *)p = 1; }
static void read_one(void *p) { (void)*(volatile uint8_t *)p; }

KTEST(vm_region_fault_handler)
{
	struct vm_region *r = vm_region_create("ktest demand", 4 * PAGE, PAGE);
	KASSERT(r != NULL);
	int cause = ledger_cause("ktest.fault");
	KASSERT(cause > 0);
	struct ledger_cpu *l = &this_cpu()->ledger;
	uint64_t events = l->cause_events[cause];
	vm_region_set_fault(r, demand_fault, &seen, (unsigned)cause);

	/* a read of an unmapped page: resolved, reads the zeroed page */
	KASSERT_EQ(*(volatile uint64_t *)(r->base + 8), 0);
	KASSERT_EQ(seen.calls, 1);
	KASSERT_EQ(seen.addr, r->base + 8);
	KASSERT_EQ(seen.access & (VM_ACCESS_WRITE | VM_ACCESS_PRESENT | VM_ACCESS_EXEC), 0);
	KASSERT_EQ(seen.guard, 0);
	KASSERT_EQ(seen.arg, (uintptr_t)&seen);
	/* a second access to it does not fault */
	*(volatile uint64_t *)(r->base + 8) = 5;
	KASSERT_EQ(seen.calls, 1);

	/* a write to another page */
	*(volatile uint32_t *)(r->base + 3 * PAGE + 100) = 7;
	KASSERT_EQ(seen.calls, 2);
	KASSERT_EQ(seen.addr, r->base + 3 * PAGE + 100);
	KASSERT_EQ(seen.access & (VM_ACCESS_WRITE | VM_ACCESS_PRESENT), VM_ACCESS_WRITE);
	KASSERT_EQ(r->committed, 2 * PAGE);

	/* the guard: the handler is asked, refuses, the fault is fatal */
	KASSERT_EQ(arch_try(read_one, (void *)(r->base - 1)), ARCH_TRAP_DATA_FAULT + 1);
	KASSERT_EQ(seen.calls, 3);
	KASSERT_EQ(seen.guard, 1);
	KASSERT_EQ(arch_try_fault_addr(), r->base - 1);

	/* a write to a read-only mapped page: a protection fault */
	KASSERT(vm_commit(r, r->base + PAGE, PAGE, VM_R) == 0);
	KASSERT_EQ(arch_try(write_one, (void *)(r->base + PAGE)), ARCH_TRAP_DATA_FAULT + 1);
	KASSERT_EQ(seen.calls, 4);
	KASSERT_EQ(seen.access & (VM_ACCESS_WRITE | VM_ACCESS_PRESENT),
	           VM_ACCESS_WRITE | VM_ACCESS_PRESENT);
	KASSERT_EQ(seen.guard, 0);

	/* every one of them counted under the region's cause, on this CPU */
	KASSERT_EQ(l->cause_events[cause], events + 4);
	KASSERT_EQ(*(volatile uint64_t *)(r->base + 8), 5);
}

/* A region without a handler: the fault is not resolved (it would be the
 * generic crash report; arch_try catches it here). */
KTEST(vm_region_no_handler_is_fatal)
{
	struct vm_region *r = vm_region_create("ktest plain", 2 * PAGE, PAGE);
	KASSERT(r != NULL);
	KASSERT_EQ(arch_try(read_one, (void *)r->base), ARCH_TRAP_DATA_FAULT + 1);
	KASSERT_EQ(arch_try_fault_addr(), r->base);
}

/* ---- hardware dirty bits and the batched shootdown ---- */

#define DPAGES 96   /* > TLB_FULL_FLUSH_PAGES: the full-flush path is exercised too */

struct write_job {
	uintptr_t base;
	uint64_t pages[(DPAGES + 63) / 64];  /* pages this CPU writes */
	uint64_t reads[(DPAGES + 63) / 64];  /* pages it only reads */
};

static int has(const uint64_t *bm, unsigned i) { return (bm[i / 64] >> (i % 64)) & 1; }
static void put(uint64_t *bm, unsigned i) { bm[i / 64] |= 1ull << (i % 64); }

static void do_writes(void *p)
{
	struct write_job *j = p;
	for (unsigned i = 0; i < DPAGES; i++) {
		if (has(j->pages, i))
			((volatile uint64_t *)(j->base + i * PAGE))[i % 512] = i + 1;
		else if (has(j->reads, i))
			(void)((volatile uint64_t *)(j->base + i * PAGE))[0];
	}
}

/* CPU c (of n) writes page p in round r when this says so: a fixed pattern
 * in which every CPU has pages of its own, some pages are written in both
 * rounds by the same CPU (its TLB then held the translation with D set),
 * and some only in the first. */
static int writer(unsigned p, int round, unsigned n)
{
	unsigned c = (p * 5 + 1) % n;
	if (round == 1)
		return p % 3 == 0 || p % 7 == 2 ? (int)c : -1;
	return p % 6 == 0 || p % 11 == 4 ? (int)c : -1;
}

/* Run each CPU's part of round `round` (CPU 0 last, itself). */
static void run_round(uintptr_t base, int round, unsigned n, uint64_t *want)
{
	static struct write_job jobs[CPU_MAX];
	for (unsigned i = 0; i < (DPAGES + 63) / 64; i++)
		want[i] = 0;
	for (unsigned c = 0; c < n; c++) {
		struct write_job *j = &jobs[c];
		*j = (struct write_job){ .base = base };
		for (unsigned p = 0; p < DPAGES; p++) {
			if (writer(p, round, n) == (int)c) {
				put(j->pages, p);
				put(want, p);
			} else if (round == 1 && p % 13 == 6 && p % n == c) {
				put(j->reads, p);  /* read, never written: A without D */
			}
		}
	}
	for (unsigned c = 1; c < n; c++)
		KASSERT(ipi_call(c, do_writes, &jobs[c], LCAUSE_CALL) == 0);
	do_writes(&jobs[0]);
}

static unsigned popcount_bm(const uint64_t *bm)
{
	unsigned k = 0;
	for (unsigned i = 0; i < (DPAGES + 63) / 64; i++)
		k += (unsigned)__builtin_popcountll(bm[i]);
	return k;
}

static void assert_same(const uint64_t *got, const uint64_t *want)
{
	for (unsigned i = 0; i < DPAGES; i++)
		if (has(got, i) != has(want, i))
			ktest_fail(__FILE__, __LINE__, "dirty set", " (page %u: dirty=%d, written=%d)", i,
			           has(got, i), has(want, i));
}

/* A fresh mapping reports what the port says it does (arch_vm_ad_fresh:
 * nothing on x86_64; accessed, and dirty when writable, on aarch64):
 * check that on every page, then clear the bits and flush every CPU's TLB
 * for the range, as the collector does at mark start, so that from here
 * on the bits record only the test's own accesses. */
static void fresh_then_clean(uintptr_t base, unsigned prot)
{
	uint64_t got[(DPAGES + 63) / 64];
	unsigned fresh = arch_vm_ad_fresh(prot);
	KASSERT_EQ(arch_vm_ad(base, DPAGES, VM_AD_ACCESSED, 0, got),
	           (fresh & VM_AD_ACCESSED) ? DPAGES : 0);
	KASSERT_EQ(arch_vm_ad(base, DPAGES, VM_AD_DIRTY, 0, got), (fresh & VM_AD_DIRTY) ? DPAGES : 0);
	if (!fresh)
		return;
	KASSERT_EQ(arch_vm_ad(base, DPAGES, VM_AD_ACCESSED | VM_AD_DIRTY, 1, NULL), DPAGES);
	struct tlb_batch b;
	tlb_batch_init(&b);
	tlb_batch_add(&b, base, DPAGES * PAGE);
	tlb_batch_flush(&b, LCAUSE_SHOOTDOWN);
	KASSERT_EQ(arch_vm_ad(base, DPAGES, VM_AD_ACCESSED | VM_AD_DIRTY, 0, got), 0);
}

KTEST(vm_dirty_bits_match_writes_and_shootdown)
{
	unsigned n = cpu_count();
	uint64_t got[(DPAGES + 63) / 64], want[(DPAGES + 63) / 64], acc[(DPAGES + 63) / 64];
	struct vm_region *r = vm_region_create("ktest dirty", DPAGES * PAGE, PAGE);
	KASSERT(r != NULL);
	KASSERT(vm_commit(r, r->base, r->size, VM_R | VM_W) == 0);
	int cause = ledger_cause("ktest.shootdown");
	KASSERT(cause > 0);

	/* freshly mapped, zeroed through the direct map; then clean */
	fresh_then_clean(r->base, VM_R | VM_W);

	/* round 1: the hardware sets D on exactly the pages written, on
	 * whichever CPU wrote them, and A on those and the pages read */
	run_round(r->base, 1, n, want);
	KASSERT(popcount_bm(want) > 0);
	KASSERT_EQ(arch_vm_ad(r->base, DPAGES, VM_AD_DIRTY, 0, got), popcount_bm(want));
	assert_same(got, want);
	KASSERT(arch_vm_ad(r->base, DPAGES, VM_AD_ACCESSED, 0, acc) >= (long)popcount_bm(want));
	for (unsigned i = 0; i < DPAGES; i++)
		if (has(want, i))
			KASSERT(has(acc, i));

	/* clear D and shoot down, as a GC does at mark start: two ranges, one
	 * round of IPIs, every other CPU charged once under the cause */
	KASSERT_EQ(arch_vm_ad(r->base, DPAGES, VM_AD_DIRTY | VM_AD_ACCESSED, 1, got),
	           popcount_bm(acc));
	KASSERT_EQ(arch_vm_ad(r->base, DPAGES, VM_AD_DIRTY | VM_AD_ACCESSED, 0, got), 0);
	uint64_t before[CPU_MAX], rounds = tlb_batch_rounds();
	for (unsigned c = 0; c < n; c++)
		before[c] = cpus[c].ledger.cause_events[cause];
	struct tlb_batch b;
	tlb_batch_init(&b);
	tlb_batch_add(&b, r->base, 40 * PAGE);
	tlb_batch_add(&b, r->base + 41 * PAGE, (DPAGES - 41) * PAGE);
	tlb_batch_add(&b, r->base + 40 * PAGE, PAGE);
	KASSERT_EQ(b.n, 3);
	tlb_batch_flush(&b, (unsigned)cause);

	/* round 2: only the pages written now are dirty, including pages the
	 * same CPU wrote in round 1 (its TLB entry, D set, had to go) */
	run_round(r->base, 2, n, want);
	KASSERT_EQ(arch_vm_ad(r->base, DPAGES, VM_AD_DIRTY, 1, got), popcount_bm(want));
	assert_same(got, want);
	KASSERT_EQ(tlb_batch_rounds(), rounds + (n > 1));
	for (unsigned c = 1; c < n; c++)
		KASSERT_EQ(cpus[c].ledger.cause_events[cause], before[c] + 1);
	unsigned again = 0;
	uint64_t w1[(DPAGES + 63) / 64];
	for (unsigned i = 0; i < (DPAGES + 63) / 64; i++)
		w1[i] = 0;
	for (unsigned p = 0; p < DPAGES; p++)
		if (writer(p, 1, n) >= 0 && writer(p, 1, n) == writer(p, 2, n))
			again++, put(w1, p);
	KASSERT(again > 0);
	ktest_note("%u CPU(s): %u pages dirty in round 2, %u of them rewritten by the CPU "
	           "that dirtied them in round 1", n, popcount_bm(want), again);
}

/* The control that gives the test above its power: clear D WITHOUT a
 * shootdown and write again from the CPU that dirtied a page.  If that CPU's
 * stale TLB entry (D set) lets the write through without setting D, a
 * missing shootdown would have failed the test above.  Reported, not
 * asserted: a CPU may re-walk the tables (x86 allows it), and QEMU's TCG
 * softmmu keeps its entry until flushed. */
KTEST(vm_dirty_stale_tlb_control)
{
	unsigned n = cpu_count();
	uint64_t got[(DPAGES + 63) / 64];
	struct vm_region *r = vm_region_create("ktest stale", DPAGES * PAGE, PAGE);
	KASSERT(r != NULL);
	KASSERT(vm_commit(r, r->base, r->size, VM_R | VM_W) == 0);
	fresh_then_clean(r->base, VM_R | VM_W);
	static struct write_job j;
	j = (struct write_job){ .base = r->base };
	put(j.pages, 7);
	unsigned c = n > 1 ? 1 : 0;
	KASSERT(ipi_call(c, do_writes, &j, LCAUSE_CALL) == 0);
	KASSERT_EQ(arch_vm_ad(r->base, DPAGES, VM_AD_DIRTY, 1, got), 1);
	KASSERT_EQ(got[0], 1ull << 7);
	KASSERT(ipi_call(c, do_writes, &j, LCAUSE_CALL) == 0);   /* no shootdown */
	long stale = arch_vm_ad(r->base, DPAGES, VM_AD_DIRTY, 1, got);
	ktest_note("cpu %u wrote a page whose D was cleared without a TLB flush: D %s", c,
	           stale == 0 ? "stayed clear (stale TLB entry used)" : "set again (tables re-walked)");
	/* one page: the per-page flush path (the test above takes the full one) */
	struct tlb_batch b;
	tlb_batch_init(&b);
	tlb_batch_add(&b, r->base + 7 * PAGE + 100, 8);
	KASSERT_EQ(b.n, 1);
	KASSERT_EQ(b.pages, 1);
	tlb_batch_flush(&b, LCAUSE_SHOOTDOWN);
	KASSERT(ipi_call(c, do_writes, &j, LCAUSE_CALL) == 0);
	KASSERT_EQ(arch_vm_ad(r->base, DPAGES, VM_AD_DIRTY, 0, got), 1);
	KASSERT_EQ(got[0], 1ull << 7);
}

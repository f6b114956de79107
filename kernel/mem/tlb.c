/*
 * tlb.c - batched TLB shootdown (see tlb.h).
 *
 * Purpose: a dirty-bit GC clears the dirty bits of every heap, stack and
 * data range at mark start and must then flush every CPU's TLB for all of
 * them before marking (a TLB entry holding D=1 lets its CPU write without
 * setting D again).  One IPI round per range would cost an IPI round trip
 * (~1000 instructions of both CPUs under icount, 60-150 us in parallel
 * TCG) times the ranges; a batch costs one round whatever it holds.
 *
 * Data structures: struct tlb_batch, owned by the caller (on its stack);
 * the IPI handlers of the other CPUs read it while tlb_batch_flush waits
 * for them, so it outlives every reader.
 * Invariants: b->n <= TLB_BATCH_RANGES; every range is page-aligned and
 * does not wrap; b->all set means the ranges no longer matter.
 * Locking: none of its own; ipi_call_others serialises the IPI slots.
 * Context: see tlb.h (thread or exception context, interrupts on or off,
 * not in an interrupt handler).  The generic part (batch, IPI round) lives
 * here; the flush instructions are the port's (arch_tlb_flush).
 */
#include "arch/arch.h"
#include "kernel/mem/tlb.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/ipi.h"
#include "kernel/cpu/smp.h"

#define PAGE ARCH_PAGE_SIZE

static uint64_t rounds;

void tlb_batch_init(struct tlb_batch *b)
{
	b->n = 0;
	b->all = 0;
	b->pages = 0;
}

void tlb_batch_add(struct tlb_batch *b, uintptr_t va, size_t len)
{
	if (len == 0 || b->all)
		return;
	uintptr_t lo = va & ~(PAGE - 1);
	uintptr_t end = va + len;
	if (end < va || end + (PAGE - 1) < end) {
		b->all = 1;  /* wraps: flush everything */
		return;
	}
	end = (end + PAGE - 1) & ~(PAGE - 1);
	size_t bytes = end - lo;
	b->pages += bytes / PAGE;
	if (b->n && b->r[b->n - 1].va + b->r[b->n - 1].len == lo) {
		b->r[b->n - 1].len += bytes;
		return;
	}
	if (b->n == TLB_BATCH_RANGES) {
		b->all = 1;
		return;
	}
	b->r[b->n].va = lo;
	b->r[b->n].len = bytes;
	b->n++;
}

/* One CPU's part (run locally and in each other CPU's IPI handler). */
static void flush_batch(void *p)
{
	const struct tlb_batch *b = p;
	if (b->all || b->pages > TLB_FULL_FLUSH_PAGES) {
		arch_tlb_flush(0, ~(size_t)0);
		return;
	}
	for (unsigned i = 0; i < b->n; i++)
		arch_tlb_flush(b->r[i].va, b->r[i].len);
}

void tlb_batch_flush(const struct tlb_batch *b, unsigned cause)
{
	if (!b->all && b->n == 0)
		return;
	/* interrupts off across both halves: a goroutine caller moved by the
	 * tick after its own flush would skip the CPU it moved to (the IPI
	 * round asks every CPU but the current one) */
	unsigned long f = arch_irq_save();
	flush_batch((void *)b);
	if (cpu_count() > 1 && !smp_alone()) {
		__atomic_fetch_add(&rounds, 1, __ATOMIC_RELAXED);
		ipi_call_others(flush_batch, (void *)b, cause);
	}
	arch_irq_restore(f);
}

uint64_t tlb_batch_rounds(void) { return rounds; }

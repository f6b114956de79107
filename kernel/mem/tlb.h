/*
 * tlb.h - batched TLB shootdown: collect ranges, then flush all of them on
 * every CPU with one round of IPIs (see tlb.c).
 *
 *   struct tlb_batch b;
 *   tlb_batch_init(&b);
 *   tlb_batch_add(&b, heap_lo, heap_len);     // after arch_vm_ad(..., clear)
 *   tlb_batch_add(&b, data_lo, data_len);
 *   tlb_batch_flush(&b, LCAUSE_SHOOTDOWN);    // or a registered cause ("gc")
 */
#ifndef TALLY_TLB_H
#define TALLY_TLB_H

#include <stddef.h>
#include <stdint.h>

#define TLB_BATCH_RANGES 16      /* ranges kept; beyond that, flush everything */
#define TLB_FULL_FLUSH_PAGES 64  /* more pages than this: one full flush instead */

struct tlb_batch {
	unsigned n;                  /* ranges in r[] */
	int all;                     /* overflowed: every CPU flushes everything */
	uint64_t pages;              /* pages over r[] (a bound: ranges may overlap) */
	struct {
		uintptr_t va;        /* page-aligned */
		size_t len;          /* bytes, a multiple of the page size */
	} r[TLB_BATCH_RANGES];
};

/* Empty b.  Any context. */
void tlb_batch_init(struct tlb_batch *b);
/* Add [va, va+len) (widened to whole pages; len 0 adds nothing; a range
 * adjacent to the last one is merged into it; the 17th range, or a range
 * that wraps, turns the batch into a full flush).  Any context, no lock:
 * a batch belongs to its caller. */
void tlb_batch_add(struct tlb_batch *b, uintptr_t va, size_t len);
/* Drop every CPU's TLB entries for b's ranges (this CPU's too): this CPU
 * flushes, then ONE round of IPIs (ipi_call_others) has every other online
 * CPU flush, each charged to kern.irq.ipi with ledger cause `cause`
 * (LCAUSE_SHOOTDOWN, or a cause the caller registered).  Per CPU, a batch
 * of more than TLB_FULL_FLUSH_PAGES pages (or an overflowed one) is one
 * full flush, otherwise a flush per page.  Returns only once every CPU
 * flushed; the IPI time-out policy is ipi.c's: a CPU that does not answer
 * gets a warning after 1 s and a kernel panic naming it at ipitimeout=,
 * never an unconfirmed return.  Once the other CPUs are stopped
 * (smp_alone), only this CPU flushes.
 * Context: thread context or an exception handler, with interrupts on or
 * off (they are held off inside, so the caller cannot move to another CPU
 * between its own flush and the IPI round; while waiting it serves IPI
 * calls posted to it, so two CPUs shooting down at once do not deadlock);
 * never in an interrupt handler; b is only read. */
void tlb_batch_flush(const struct tlb_batch *b, unsigned cause);
/* Rounds of IPIs sent by tlb_batch_flush since boot (one per call that had
 * another CPU to ask). */
uint64_t tlb_batch_rounds(void);

#endif

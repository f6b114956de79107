/*
 * rt_dirty.c - the dirty-page half of the runtime's platform contract
 * (rt/platform.h: plat_dirty_harvest, plat_dirty_sync, plat_dirty_precise)
 * on bare metal: the collector's write barrier is the page tables' dirty
 * bits.
 *
 * Purpose: the concurrent collector (rt/heap/gc.c) must know which pages
 * of the heap, of goroutine stacks and of data and bss were written while
 * it marked.  The MMU records that for free: it sets D in a 4 KiB leaf on
 * the first write through a translation whose D is clear.  Harvest reads
 * and clears D over a range (arch_vm_ad: one locked AND per dirty leaf, no
 * lock, unmapped tables skipped whole) and returns the bitmap; sync is one
 * TLB shootdown round (tlb_batch_flush of everything) so no CPU keeps a
 * translation with D set that would let its next write go unrecorded.
 * plat_dirty_round is a harvest for rounds (arch_vm_ad_round): it skips
 * the page tables whose directory entry's accessed bit stayed clear since
 * the last round (the MMU sets it whenever it loads a translation through
 * the entry, and a write needs one; each round's AGAIN pass, after the
 * sync, collects what older translations wrote), so the collector's final
 * pause reads the leaves of the few tables touched since its last
 * pre-cleaning round, not of the whole heap.
 *
 * Granularity: every range the collector harvests is mapped with 4 KiB
 * pages: the heap arena and goroutine stacks are vm regions (vm_commit maps
 * 4 KiB pages only), and the kernel image's data and bss are remapped with
 * 4 KiB pages by paging.c.  A 2 MiB page in a harvested range (only the
 * direct map has them) would be over-reported, never lost (arch.h).
 * tests/target/gc_dirty_test.c checks single pages of each kind.
 *
 * Writes the dirty bits do not see (docs/heap.md): writes through the
 * direct map, which aliases all RAM with its own 2 MiB translations
 * (vm_commit's zeroing of a fresh page is the only one that reaches heap
 * or stack pages, and it writes zeros, which are no pointers); device DMA
 * (the virtio rings and buffers are pmem pages, outside the heap: a
 * pointer to a collected object in a DMA buffer does not keep it alive,
 * as for any memory from pmem).
 *
 * Ledger: the walk is charged to the caller's class (the collector's
 * rt.gc.mark or rt.gc.stw); the shootdown's IPIs to kern.irq.ipi on the
 * other CPUs with cause `gc`, registered when the heap reserves its arena
 * (boot, before the other CPUs run the runtime).
 * Context: thread context on an M (a goroutine or g0); the shootdown runs
 * on this CPU's syscall stack (cpu_syscall) with interrupts held off by
 * tlb_batch_flush, serving IPIs posted to it while it waits.
 */
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/irq.h"
#include "kernel/ledger.h"
#include "kernel/mem/tlb.h"
#include "rt/platform.h"

_Static_assert(PLAT_DIRTY_PAGE == ARCH_PAGE_SIZE, "dirty pages are the MMU's 4 KiB pages");
_Static_assert(PLAT_DIRTY_ROUND == 512 * ARCH_PAGE_SIZE, "a round's unit is one page table's 2 MiB");

static unsigned cause_gc;

/* boot (rt_heap.c's plat_heap_reserve): register the ledger cause */
void rt_dirty_init(void)
{
	if (!cause_gc) {
		int c = ledger_cause("gc");
		cause_gc = c > 0 ? (unsigned)c : LCAUSE_SHOOTDOWN;
	}
}

void kernel_tracking_fault(uint64_t t0)
{
	struct ledger_cpu *l = &this_cpu()->ledger;
	if (!ledger_on)
		return;
	ledger_push(l, t0 > l->last ? t0 : l->last, LC_KERN_FAULT, cause_gc);
	ledger_pop(l, arch_cycles());
}

long plat_dirty_harvest(uintptr_t lo, size_t npages, uint64_t *out)
{
	return arch_vm_ad(lo, npages, VM_AD_DIRTY, 1, out);
}

_Static_assert(PLAT_ROUND_NEXT == ARCH_AD_ROUND_NEXT && PLAT_ROUND_FIRST == ARCH_AD_ROUND_FIRST &&
               PLAT_ROUND_AGAIN == ARCH_AD_ROUND_AGAIN, "the round modes: one numbering");

long plat_dirty_round(uintptr_t lo, size_t npages, uint64_t *out, int mode, size_t *units)
{
	return arch_vm_ad_round(lo, npages, mode, out, units);
}

static int do_sync(void *p)
{
	(void)p;
	struct tlb_batch b;
	tlb_batch_init(&b);
	b.all = 1;  /* every range the collector harvests: one full flush */
	tlb_batch_flush(&b, cause_gc ? cause_gc : LCAUSE_SHOOTDOWN);
	return 0;
}

void plat_dirty_sync(void) { cpu_syscall(do_sync, NULL); }

int plat_dirty_precise(void) { return 1; }

/*
 * paging.c - x86_64 four-level page tables: the kernel's own address space.
 *
 * Purpose: replace the boot path's tables (the early identity map, or the
 * firmware's) with Tally's own:
 *   - a direct map: virtual == physical for [0, top) where top is at least
 *     4 GiB (device space) and covers all RAM up to DIRECT_MAX, with 2 MiB
 *     pages, RW and NX; 2 MiB chunks that hold no RAM are uncached (PCD|PWT);
 *   - the kernel image remapped with 4 KiB pages and W^X: text RX, rodata R,
 *     data/bss RW, ksyms R, everything but text NX;
 *   - page 0 (and the rest of the first 4 KiB) unmapped so NULL faults;
 *   - guard pages below the boot stack and every IST stack unmapped;
 *   - further mappings (heap, stacks) made later with arch_map_page().
 *
 * Data structures: page-table pages for the direct map come from a static
 * pool in .bss (so building it needs no allocator and never touches memory
 * the old tables do not map); pages for later mappings come from pmem.
 *
 * Invariants: direct-map entries are never changed after arch_vm_init except
 * the 4 KiB pages of the first chunk and the kernel chunks; arch_map_page
 * refuses a va covered by a 2 MiB page.  Every present PTE has NX unless it
 * maps kernel text (when the CPU has NX).  Page-table pages are never
 * freed (arch_vm_ad walks without the lock).
 *
 * The walker (x86_pt_walk) and the accessed/dirty-bit walk behind
 * arch_vm_ad (x86_pt_ad) live in pt_walk.c, shared with the host tests;
 * here they run with the identity as phys-to-virt hook.
 *
 * Locking: pt_lock (taken with interrupts off) serialises every change of
 * the tables, so two CPUs cannot both create a missing level.  arch_vm_ad
 * takes no lock (see pt_walk.c: tables are never freed, and every leaf
 * update is one atomic store or locked RMW).  Remote TLBs
 * are the caller's business (tlb_shootdown).  Never called on a goroutine
 * stack (a stack-growth fault there would find pt_lock held by its own
 * CPU): callers run on CPU, IST or syscall stacks.
 * Context: arch_map_page may allocate page-table pages from pmem.
 */
#include <string.h>
#include "arch/arch.h"
#include "arch/x86_64/x86.h"
#include "arch/x86_64/pt.h"
#include "kernel/mem/pmem.h"
#include "kernel/panic.h"
#include "kernel/cpu/spinlock.h"

#include "arch/x86_64/pte.h"

#define DIRECT_MAX (64ull << 30)   /* largest direct map: 64 GiB */
#define POOL_PAGES (2 + 64 + 8)

/* In .bss.noroots (linker.ld: page-aligned, left out of the collector's
 * roots): page tables hold no pointer to a collected object, and the
 * collector's own dirty-bit harvests write them (through these 4 KiB
 * mappings), which would otherwise make them pages to re-scan. */
static pte_t pool[POOL_PAGES][512] __attribute__((aligned(4096), section(".bss.noroots")));
static unsigned pool_used;
static pte_t *pml4;
static uint64_t nx_bit;
static uint64_t direct_top;

extern char _kernel_start[], _kernel_end[], _text_start[], _text_end[];
extern char _rodata_start[], _rodata_end[], _data_start[], _data_end[];
extern char _ksyms_start[], _ksyms_end[], boot_stack_guard[];
size_t x86_guard_pages(uintptr_t *out, size_t max);

static pte_t *pool_page(void)
{
	if (pool_used >= POOL_PAGES)
		panic("paging: static page-table pool exhausted");
	return pool[pool_used++];
}

static pte_t *alloc_table(void)
{
	uint64_t pa = pmem_alloc(0);
	if (!pa)
		return NULL;
	memset((void *)pa, 0, 4096);
	return (pte_t *)pa;
}

uint64_t arch_direct_map_top(void) { return direct_top; }

static uint64_t leaf_flags(uintptr_t va)
{
	uintptr_t a = va;
	if (a >= (uintptr_t)_text_start && a < (uintptr_t)_text_end)
		return PTE_P;                                /* RX */
	if (a >= (uintptr_t)_rodata_start && a < (uintptr_t)_rodata_end)
		return PTE_P | nx_bit;                       /* R */
	if (a >= (uintptr_t)_ksyms_start && a < (uintptr_t)_ksyms_end)
		return PTE_P | nx_bit;                       /* R */
	return PTE_P | PTE_W | nx_bit;                       /* RW */
}

void arch_vm_init(uint64_t top, int (*is_ram)(uint64_t base, uint64_t len))
{
	nx_bit = arch_has_nx() ? PTE_NX : 0;
	if (top < (4ull << 30))
		top = 4ull << 30;
	if (top > DIRECT_MAX)
		top = DIRECT_MAX;
	top = (top + (1ull << 30) - 1) & ~((1ull << 30) - 1);
	direct_top = top;

	pml4 = pool_page();
	pte_t *pdpt = pool_page();
	pml4[0] = (uint64_t)pdpt | PTE_P | PTE_W;
	uint64_t kstart = (uint64_t)_kernel_start & ~((2ull << 20) - 1);
	uint64_t kend = ((uint64_t)_kernel_end + (2ull << 20) - 1) & ~((2ull << 20) - 1);

	for (uint64_t g = 0; g < top >> 30; g++) {
		pte_t *pd = pool_page();
		pdpt[g] = (uint64_t)pd | PTE_P | PTE_W;
		for (uint64_t i = 0; i < 512; i++) {
			uint64_t base = (g << 30) | (i << 21);
			if (base == 0 || (base >= kstart && base < kend)) {
				pte_t *pt = pool_page();
				for (uint64_t j = 0; j < 512; j++) {
					uint64_t a = base + (j << 12);
					pt[j] = a ? (a | leaf_flags(a)) : 0;
				}
				pd[i] = (uint64_t)pt | PTE_P | PTE_W;
				continue;
			}
			uint64_t f = PTE_P | PTE_W | PTE_PS | nx_bit;
			if (!is_ram(base, 2ull << 20))
				f |= PTE_PCD | PTE_PWT;
			pd[i] = base | f;
		}
	}
	write_cr3((uint64_t)pml4);
	if (!x86_pat_ok())
		panic("paging: IA32_PAT is not the power-on value (entry 3 must be UC, 0 WB); "
		      "device mappings would get the wrong memory type");

	uintptr_t guards[8];
	size_t n = x86_guard_pages(guards, 7);
	guards[n++] = (uintptr_t)boot_stack_guard;
	for (size_t i = 0; i < n; i++)
		arch_unmap_page(guards[i]);
}

/* Page-table pages live in the direct map (the static pool and pmem). */
static pte_t *pt_virt(uint64_t pa) { return (pte_t *)pa; }
static uint64_t pt_alloc(void) { return (uint64_t)alloc_table(); }

/* Walk to the PTE for va, creating tables when create is set (pt_walk.c).
 * Returns NULL when a level is missing (or cannot be made) or when va lies
 * inside a 2 MiB page (*large set to that entry then). */
static pte_t *walk(uintptr_t va, int create, pte_t **large)
{
	struct x86_pt pt = { pml4, pt_virt, pt_alloc };
	return x86_pt_walk(&pt, va, create, large);
}

static struct spinlock pt_lock;

/* The entry selects PAT index 3 (UC): PCD|PWT and, in a 4 KiB leaf, no
 * PAT bit (in a 2 MiB entry bit 7 is PS and the PAT bit is bit 12). */
static int pte_is_uc(pte_t e, int large)
{
	if (large)
		return (e & (PTE_PCD | PTE_PWT)) == (PTE_PCD | PTE_PWT) && !(e & (1ull << 12));
	return x86_pte_pat_index(e) == 3;
}

/* boot: Tally relies on the power-on PAT (pte.h); 1 if entry 3 is UC and
 * entry 0 WB. */
int x86_pat_ok(void)
{
	uint64_t pat = rdmsr(0x277);
	return x86_pat_type(pat, 3) == X86_PAT_UC && x86_pat_type(pat, 0) == X86_PAT_WB;
}

int arch_map_page(uintptr_t va, uint64_t pa, unsigned prot)
{
	pte_t *large;
	unsigned long fl = arch_irq_save();
	spin_lock(&pt_lock);
	pte_t *p = walk(va, 1, &large);
	if (!p) {
		spin_unlock(&pt_lock);
		arch_irq_restore(fl);
		return -1;
	}
	*p = (pa & PTE_ADDR) | x86_pte_leaf_bits(prot, nx_bit, VM_W, VM_X, VM_UC);
	invlpg(va);
	spin_unlock(&pt_lock);
	arch_irq_restore(fl);
	return 0;
}

uint64_t arch_unmap_page(uintptr_t va)
{
	pte_t *large;
	unsigned long fl = arch_irq_save();
	spin_lock(&pt_lock);
	pte_t *p = walk(va, 0, &large);
	uint64_t pa = 0;
	if (p && (*p & PTE_P)) {
		pa = *p & PTE_ADDR;
		*p = 0;
		invlpg(va);
	}
	spin_unlock(&pt_lock);
	arch_irq_restore(fl);
	return pa;
}

int arch_translate(uintptr_t va, uint64_t *pa, unsigned *prot)
{
	pte_t *large;
	uint64_t e, off;
	if (!pml4) {
		/* before arch_vm_init: the early identity map covers 4 GiB */
		if (va >= (4ull << 30))
			return -1;
		*pa = va;
		*prot = VM_R | VM_W | VM_X;
		return 0;
	}
	/* non-canonical addresses are never mapped */
	if ((uint64_t)((int64_t)(va << 16) >> 16) != va)
		return -1;
	pte_t *p = walk(va, 0, &large);
	if (large) {
		e = *large;
		off = va & ((2ull << 20) - 1);
	} else if (p && (*p & PTE_P)) {
		e = *p;
		off = va & 4095;
	} else {
		return -1;
	}
	*pa = (e & PTE_ADDR & ~(large ? (2ull << 20) - 1 : 0)) + off;
	*prot = VM_R | ((e & PTE_W) ? VM_W : 0) | (pte_is_uc(e, large != NULL) ? VM_UC : 0);
	if (!(e & nx_bit))
		*prot |= VM_X;
	return 0;
}

void arch_tlb_flush(uintptr_t va, size_t len)
{
	if (len > 64 * 4096) {
		write_cr3(read_cr3());  /* whole TLB (no global pages in use) */
		return;
	}
	for (uintptr_t a = va & ~4095ull; a < va + len; a += 4096)
		invlpg(a);
}

/* ---- Accessed and dirty bits (a dirty-bit GC's operations) ---- */

/* A new PTE has A and D clear; the MMU sets them on first use. */
unsigned arch_vm_ad_fresh(unsigned prot)
{
	(void)prot;
	return 0;
}

long arch_vm_ad(uintptr_t va, size_t npages, unsigned which, int clear, uint64_t *out)
{
	struct x86_pt pt = { pml4, pt_virt, NULL };
	uint64_t bits = ((which & VM_AD_ACCESSED) ? PTE_A : 0) | ((which & VM_AD_DIRTY) ? PTE_D : 0);
	if (!pml4)
		return -1;  /* before arch_vm_init: the boot path's tables */
	return x86_pt_ad(&pt, va, npages, bits, clear, out);
}

_Static_assert(ARCH_AD_ROUND_NEXT == X86_ROUND_NEXT && ARCH_AD_ROUND_FIRST == X86_ROUND_FIRST &&
               ARCH_AD_ROUND_AGAIN == X86_ROUND_AGAIN, "pt.h: the round modes");

long arch_vm_ad_round(uintptr_t va, size_t npages, int mode, uint64_t *out, size_t *units)
{
	struct x86_pt pt = { pml4, pt_virt, NULL };
	if (!pml4)
		return -1;
	return x86_pt_ad_round(&pt, va, npages, mode, out, units);
}

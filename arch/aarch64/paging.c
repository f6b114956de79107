/*
 * paging.c - aarch64 translation tables: the kernel's own address space
 * (arch/arch.h, "Page tables" and "Accessed and dirty bits").
 *
 * Purpose: replace the boot path's map (the boot test image's mmu.c, or
 * firmware's) with Tally's own, through TTBR0_EL1 with a 4 KiB granule
 * and 48-bit virtual addresses (TCR_EL1.T0SZ = 16, four levels):
 *   - a direct map: virtual == physical for [0, top), top a whole number
 *     of GiB, at least 4 GiB, at most DIRECT_MAX; 2 MiB blocks of RAM
 *     (is_ram) are Normal write-back, read/write, never executable; the
 *     rest is Device-nGnRnE (device space: the GIC, the UART, PCIe), in
 *     1 GiB blocks where a whole GiB holds no RAM;
 *   - the kernel image's 2 MiB chunks in 4 KiB pages with W^X: text
 *     read-only and executable, rodata read-only, the rest read/write
 *     and never executable; the guard page below every stack unmapped
 *     (a64_guard_pages);
 *   - page 0 unmapped (its first 2 MiB chunk in 4 KiB pages), so NULL
 *     faults;
 *   - in the image's chunks, every page that is not the collector's
 *     roots (the stacks, the no-roots statics, the RAM after the image)
 *     marked A64_PTE_NOTRACK (pte.h, chunk_pages below): never
 *     write-protected by a dirty-state clean;
 *   - later mappings (heap, stacks, devices) through arch_map_page.
 * The upper half (TTBR1_EL1) is off (TCR_EL1.EPD1): every address at or
 * above 2^48 faults, and the A/D functions refuse it (-1).
 * Descriptor bits, memory types and the dirty-state encoding: pte.h.
 *
 * Accessed and dirty (pte.h): the CPU's ID_AA64MMFR1_EL1.HAFDBS decides.
 * 2 (FEAT_HAFDBS, e.g. QEMU's -cpu max): TCR_EL1.HA and HD on, writable
 * leaves carry DBM, and the MMU sets AF and makes a clean page dirty by
 * itself.  0 (ARMv8.0, e.g. Cortex-A72): a page whose AF was cleared
 * takes an access flag fault, and a write to a clean writable page a
 * permission fault; a64_vm_fixup, called by the trap path before the
 * fault is given to the kernel, sets AF or clears AP[2] and retries, so
 * the dirty-bit collector sees the same state either way (one fault per
 * page and cleaning round on such a CPU).  1 (AF only): HA, and dirty by
 * fault.  a64_vm_hafdbs says which.
 *
 * Data structures: table pages for the direct map come from a static
 * pool in .bss (building it needs no allocator and touches only memory
 * the boot map covers); later tables come from pmem.
 *
 * Invariants: direct-map entries never change after arch_vm_init except
 * the 4 KiB pages of page 0's chunk and the image's chunks (arch_map_page
 * refuses a va inside a block); no leaf is writable and executable
 * (arch_map_page refuses VM_W | VM_X); table pages are never freed
 * (arch_vm_ad walks without the lock).  Changing a valid leaf goes
 * break-before-make (ARM ARM D8.14.1): invalid, TLBI, then the new one.
 *
 * Locking: pt_lock (interrupts off) serialises every change of the
 * tables.  a64_vm_fixup and arch_vm_ad change leaves with a CAS, without
 * it.  TLB maintenance is inner-shareable (TLBI ...IS): it reaches every
 * CPU, so arch_unmap_page and arch_tlb_flush need no IPI.
 * Context: arch_map_page may allocate table pages from pmem; never called
 * on a goroutine stack (as on x86_64: a stack-growth fault would find
 * pt_lock held).
 */
#include <string.h>
#include "arch/arch.h"
#include "arch/aarch64/pt.h"
#include "arch/aarch64/paging.h"
#include "kernel/mem/pmem.h"
#include "kernel/panic.h"
#include "kernel/cpu/spinlock.h"

#define GIB (1ull << 30)
#define MIB2 (2ull << 20)
#define DIRECT_MAX (64ull << 30)
#define POOL_PAGES (2 + 32 + 8)

static pte_t pool[POOL_PAGES][512] __attribute__((aligned(4096), section(".bss.noroots")));
static unsigned pool_used;
static pte_t *root;
static uint64_t tcr_loaded;
static int hafdbs;
static uint64_t direct_top;
static struct spinlock pt_lock;

static pte_t *pool_page(void)
{
	if (pool_used >= POOL_PAGES)
		panic("paging: static table pool exhausted (%u pages: RAM spread over more than "
		      "32 GiB-sized regions?)", POOL_PAGES);
	return pool[pool_used++];
}

uint64_t arch_direct_map_top(void) { return direct_top; }
int a64_vm_hafdbs(void) { return hafdbs; }

static uint64_t leaf(unsigned prot) { return a64_pte_leaf(prot, hafdbs >= 2, VM_W, VM_X, VM_UC); }
static uint64_t block(unsigned prot) { return a64_pte_block(prot, hafdbs >= 2, VM_W, VM_X, VM_UC); }

static unsigned image_prot(uint64_t a, const struct a64_image *im)
{
	if (a >= im->text_start && a < im->text_end)
		return VM_R | VM_X;
	if (a >= im->text_end && a < im->rodata_end)
		return VM_R;
	return VM_R | VM_W;
}

static int is_guard(uint64_t a, const uintptr_t *g, size_t ng)
{
	for (size_t i = 0; i < ng; i++)
		if (g[i] == a)
			return 1;
	return 0;
}

/* Pages of the image's 2 MiB chunks that are not the collector's roots
 * carry A64_PTE_NOTRACK (pte.h): the image's stacks (arch_image_stacks),
 * its statics that hold no collected pointer (linker.ld's
 * _noroots_start.._noroots_end: the page-table pool, the per-CPU state)
 * and the RAM after the image (pmem's pages: page tables among them).
 * The collector cleans whole 2 MiB units around its roots
 * (arch_vm_ad_round), and on a CPU without DBM a clean page is
 * write-protected: the exception entry's first store to its stack, or
 * a64_vm_fixup's to a page table, would then fault forever. */
extern char _noroots_start[] __attribute__((weak)), _noroots_end[] __attribute__((weak));
static uintptr_t stk_lo[4], stk_hi[4];
static size_t nstk;

static int untracked(uint64_t a, int in_image)
{
	if (!in_image)
		return 1;
	if (a >= (uintptr_t)_noroots_start && a < (uintptr_t)_noroots_end)
		return 1;
	for (size_t i = 0; i < nstk; i++)
		if (a >= stk_lo[i] && a < stk_hi[i])
			return 1;
	return 0;
}

/* One 2 MiB chunk in 4 KiB pages: the image's (W^X, guards out) or page
 * 0's (page 0 out, the rest as the chunk would be). */
static pte_t *chunk_pages(uint64_t base, const struct a64_image *im, unsigned plain,
                          const uintptr_t *g, size_t ng)
{
	pte_t *t = pool_page();
	for (uint64_t j = 0; j < 512; j++) {
		uint64_t a = base + (j << 12);
		int in_image = a >= im->start && a < im->end;
		if (a == 0 || is_guard(a, g, ng))
			t[j] = 0;
		else
			t[j] = a | leaf(in_image ? image_prot(a, im) : plain) |
			       (untracked(a, in_image) ? A64_PTE_NOTRACK : 0);
	}
	return t;
}

/* Switch to the port's tables.  The boot map (mmu.c: 39 bits, walks from
 * level 1) and this one (48 bits, from level 0) cannot both be half
 * loaded: with one register written and not the other, the walk would
 * read one map's root as the other's level.  So the MMU goes off for the
 * few instructions that load MAIR, TCR and TTBR0 (this code runs
 * identity-mapped, and touches no memory in between), the TLB is
 * invalidated, and the MMU comes back on. */
static void load_tables(uint64_t tcr)
{
	uint64_t sctlr, off;
	__asm__ volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
	off = sctlr & ~1ull;   /* M */
	__asm__ volatile(
		"dsb ish\n"
		"msr sctlr_el1, %4\n"
		"isb\n"
		"msr mair_el1, %0\n"
		"msr tcr_el1, %2\n"
		"msr ttbr0_el1, %1\n"
		"isb\n"
		"tlbi vmalle1is\n"
		"dsb ish\n"
		"isb\n"
		"msr sctlr_el1, %3\n"
		"isb\n"
		:: "r"(A64_MAIR), "r"((uint64_t)(uintptr_t)root), "r"(tcr), "r"(sctlr | 1), "r"(off)
		: "memory");
}

void arch_vm_init(uint64_t top, int (*is_ram)(uint64_t base, uint64_t len))
{
	struct a64_image im;
	uintptr_t guards[2 * A64_GUARDS_MAX];
	size_t ng = a64_guard_pages(guards, 2 * A64_GUARDS_MAX);
	uint64_t mmfr0, mmfr1;

	a64_image_layout(&im);
	nstk = arch_image_stacks(stk_lo, stk_hi, 4);
	__asm__ volatile("mrs %0, id_aa64mmfr0_el1\n\tmrs %1, id_aa64mmfr1_el1"
	                 : "=r"(mmfr0), "=r"(mmfr1));
	hafdbs = (int)(mmfr1 & 0xf);
	if (hafdbs > 2)
		hafdbs = 2;
	if (top < 4 * GIB)
		top = 4 * GIB;
	if (top > DIRECT_MAX)
		top = DIRECT_MAX;
	top = (top + GIB - 1) & ~(GIB - 1);
	direct_top = top;

	root = pool_page();
	pte_t *l1 = pool_page();
	root[0] = (uint64_t)(uintptr_t)l1 | A64_PTE_VALID | A64_PTE_TABLE;
	uint64_t kstart = im.start & ~(MIB2 - 1), kend = (im.end + MIB2 - 1) & ~(MIB2 - 1);
	for (uint64_t g = 0; g < top / GIB; g++) {
		uint64_t gb = g * GIB;
		int any = gb == 0 || (gb < kend && gb + GIB > kstart);
		for (uint64_t i = 0; i < 512 && !any; i++)
			any = is_ram(gb + i * MIB2, MIB2);
		if (!any) {
			l1[g] = gb | block(VM_R | VM_W | VM_UC);
			continue;
		}
		pte_t *l2 = pool_page();
		for (uint64_t i = 0; i < 512; i++) {
			uint64_t base = gb + i * MIB2;
			unsigned prot = is_ram(base, MIB2) ? VM_R | VM_W : VM_R | VM_W | VM_UC;
			if (base == 0 || (base >= kstart && base < kend))
				l2[i] = (uint64_t)(uintptr_t)chunk_pages(base, &im, prot, guards, ng) |
				        A64_PTE_VALID | A64_PTE_TABLE;
			else
				l2[i] = base | block(prot);
		}
		l1[g] = (uint64_t)(uintptr_t)l2 | A64_PTE_VALID | A64_PTE_TABLE;
	}

	/* TCR_EL1: T0SZ 16 (48 bits), inner/outer write-back walks, inner
	 * shareable, 4 KiB granule, TTBR1 off, IPS from the CPU's PARange
	 * (at most 48 bits), HA/HD as the CPU has them */
	uint64_t ips = mmfr0 & 0xf;
	if (ips > 5)
		ips = 5;
	uint64_t tcr = 16 | (1ull << 8) | (1ull << 10) | (3ull << 12) | (1ull << 23) | (ips << 32);
	if (hafdbs >= 1)
		tcr |= 1ull << 39;   /* HA */
	if (hafdbs >= 2)
		tcr |= 1ull << 40;   /* HD */
	tcr_loaded = tcr;
	load_tables(tcr);
}

int a64_vm_regs(uint64_t *mair, uint64_t *tcr, uint64_t *ttbr0)
{
	if (!root)
		return -1;
	*mair = A64_MAIR;
	*tcr = tcr_loaded;
	*ttbr0 = (uint64_t)(uintptr_t)root;
	return 0;
}

/* Table pages live in the direct map (the pool and pmem). */
static pte_t *pt_virt(uint64_t pa) { return (pte_t *)(uintptr_t)pa; }
static uint64_t pt_alloc(void)
{
	uint64_t pa = pmem_alloc(0);
	if (pa)
		memset((void *)(uintptr_t)pa, 0, 4096);
	return pa;
}

static pte_t *walk(uintptr_t va, int create, pte_t **large)
{
	struct a64_pt pt = { root, pt_virt, pt_alloc };
	return a64_pt_walk(&pt, va, create, large);
}

static void tlbi_page_is(uintptr_t va)
{
	__asm__ volatile("dsb ishst\n\ttlbi vaae1is, %0\n\tdsb ish\n\tisb"
	                 :: "r"((uint64_t)va >> 12) : "memory");
}

int arch_map_page(uintptr_t va, uint64_t pa, unsigned prot)
{
	pte_t *large;
	if ((prot & VM_W) && (prot & VM_X))
		return -1;   /* W^X: never both */
	unsigned long fl = arch_irq_save();
	spin_lock(&pt_lock);
	pte_t *p = root ? walk(va, 1, &large) : NULL;
	if (!p) {
		spin_unlock(&pt_lock);
		arch_irq_restore(fl);
		return -1;
	}
	if (*p & A64_PTE_VALID) {   /* break before make */
		__atomic_store_n(p, 0, __ATOMIC_RELAXED);
		tlbi_page_is(va);
	}
	__atomic_store_n(p, (pa & A64_PTE_ADDR) | leaf(prot), __ATOMIC_RELAXED);
	__asm__ volatile("dsb ishst\n\tisb" ::: "memory");
	spin_unlock(&pt_lock);
	arch_irq_restore(fl);
	return 0;
}

uint64_t arch_unmap_page(uintptr_t va)
{
	pte_t *large;
	uint64_t pa = 0;
	unsigned long fl = arch_irq_save();
	spin_lock(&pt_lock);
	pte_t *p = root ? walk(va, 0, &large) : NULL;
	if (p && (*p & A64_PTE_VALID)) {
		pa = __atomic_exchange_n(p, 0, __ATOMIC_RELAXED) & A64_PTE_ADDR;
		tlbi_page_is(va);
	}
	spin_unlock(&pt_lock);
	arch_irq_restore(fl);
	return pa;
}

int arch_translate(uintptr_t va, uint64_t *pa, unsigned *prot)
{
	pte_t *large, e;
	uint64_t span;
	if (!root) {
		/* before arch_vm_init: the boot map, as the MMU walks it (AT);
		 * it cannot say whether a page is executable: reported as if */
		uint64_t par, parw;
		unsigned long fl = arch_irq_save();
		__asm__ volatile("at s1e1r, %2\n\tisb\n\tmrs %0, par_el1\n\t"
		                 "at s1e1w, %2\n\tisb\n\tmrs %1, par_el1"
		                 : "=&r"(par), "=&r"(parw) : "r"(va) : "memory");
		arch_irq_restore(fl);
		if (par & 1)
			return -1;
		*pa = (par & A64_PTE_ADDR) | (va & 4095);
		*prot = VM_R | VM_X | ((parw & 1) ? 0 : VM_W) | ((par >> 56) == 0 ? VM_UC : 0);
		return 0;
	}
	pte_t *p = walk(va, 0, &large);
	if (large) {
		e = *large;
		/* a block at level 1 spans 2 MiB, at level 2 1 GiB: find which */
		struct a64_pt pt = { root, pt_virt, NULL };
		pte_t *l1 = pt.virt(pt.root[(va >> 39) & 511] & A64_PTE_ADDR);
		span = (&l1[(va >> 30) & 511] == large) ? GIB : MIB2;
	} else if (p && (*p & A64_PTE_VALID)) {
		e = *p;
		span = 4096;
	} else {
		return -1;
	}
	*pa = (e & A64_PTE_ADDR & ~(span - 1)) + (va & (span - 1));
	*prot = VM_R | ((e & A64_PTE_SWW) ? VM_W : 0) | ((e & A64_PTE_PXN) ? 0 : VM_X) |
	        ((e & A64_PTE_ATTR_MASK) == A64_PTE_ATTR(A64_ATTR_DEVICE) ? VM_UC : 0);
	return 0;
}

void arch_tlb_flush(uintptr_t va, size_t len)
{
	if (len > 64 * 4096) {
		__asm__ volatile("dsb ishst\n\ttlbi vmalle1is\n\tdsb ish\n\tisb" ::: "memory");
		return;
	}
	__asm__ volatile("dsb ishst" ::: "memory");
	for (uintptr_t a = va & ~4095ull; a < va + len; a += 4096)
		__asm__ volatile("tlbi vaae1is, %0" :: "r"((uint64_t)a >> 12) : "memory");
	__asm__ volatile("dsb ish\n\tisb" ::: "memory");
}

int a64_vm_fixup(uintptr_t va, unsigned fsc, int write)
{
	pte_t *large, *p, e, n;
	if (!root || hafdbs >= 2)
		return 0;
	p = walk(va, 0, &large);
	if (large)
		p = large;
	if (!p)
		return 0;
	e = __atomic_load_n(p, __ATOMIC_RELAXED);
	do {
		if (!(e & A64_PTE_VALID))
			return 0;
		if ((fsc & 0x3c) == 0x08)                           /* access flag fault */
			n = e | A64_PTE_AF;
		else if ((fsc & 0x3c) == 0x0c && write && (e & A64_PTE_SWW))
			n = (e & ~A64_PTE_AP_RO) | A64_PTE_AF;      /* write to a clean page */
		else
			return 0;
		/* Already so: another CPU resolved the same page first (its
		 * TLBI below is local), and this CPU faulted on a stale entry
		 * of its TLB: drop it and retry. */
		if (n == e)
			break;
	} while (!__atomic_compare_exchange_n(p, &e, n, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	/* the permission-faulting entry may be cached (an access-flag-faulting
	 * one is not): drop it on this CPU */
	__asm__ volatile("dsb ish\n\ttlbi vaae1, %0\n\tdsb nsh\n\tisb"
	                 :: "r"((uint64_t)va >> 12) : "memory");
	return 1;
}

/* a64_pte_leaf's AF = 1 and, when writable, AP[2] = 0 (pte.h). */
unsigned arch_vm_ad_fresh(unsigned prot)
{
	return VM_AD_ACCESSED | ((prot & VM_W) ? VM_AD_DIRTY : 0);
}

long arch_vm_ad(uintptr_t va, size_t npages, unsigned which, int clear, uint64_t *out)
{
	struct a64_pt pt = { root, pt_virt, NULL };
	unsigned w = ((which & VM_AD_ACCESSED) ? A64_AD_ACCESSED : 0) |
	             ((which & VM_AD_DIRTY) ? A64_AD_DIRTY : 0);
	if (!root)
		return -1;
	return a64_pt_ad(&pt, va, npages, w, clear, out);
}

long arch_vm_ad_round(uintptr_t va, size_t npages, int mode, uint64_t *out, size_t *units)
{
	struct a64_pt pt = { root, pt_virt, NULL };
	if (!root)
		return -1;
	if (mode == ARCH_AD_ROUND_AGAIN) {
		/* every NEXT pass reads every table (pt_walk.c): a page written
		 * before the flush is found by the next one, as arch.h allows */
		if ((va & (2 * 1024 * 1024 - 1)) || (npages & 511))
			return -1;
		if (units)
			*units = 0;
		return 0;
	}
	return a64_pt_ad_round(&pt, va, npages, out, units);
}

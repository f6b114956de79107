/*
 * pt.h - the aarch64 translation-table format (4 KiB granule, 48-bit
 * virtual addresses through TTBR0_EL1, four levels) and the walker shared
 * by paging.c and the host tests (tests/host/test_a64_pt.c).
 * aarch64-private.
 *
 * As on x86_64 (arch/x86_64/pt.h), the walker never dereferences a
 * physical address itself: a table's address goes through the `virt` hook
 * of struct a64_pt, and new tables come from `alloc`.  Levels are numbered
 * 3 (the ARM ARM's level 0: 512 GiB an entry) down to 0 (its level 3:
 * 4 KiB pages), so the arithmetic reads like x86's; a block at level 2
 * (1 GiB) or 1 (2 MiB) is a leaf.  Nothing here takes a lock or touches a
 * TLB; see pt_walk.c.
 */
#ifndef TALLY_A64_PT_H
#define TALLY_A64_PT_H

#include <stddef.h>
#include <stdint.h>
#include "arch/aarch64/pte.h"

typedef uint64_t pte_t;

#define A64_VA_BITS 48

struct a64_pt {
	pte_t *root;                          /* the level-0 table, through virt() */
	pte_t *(*virt)(uint64_t pa);          /* a table's physical address -> pointer */
	uint64_t (*alloc)(void);              /* a zeroed table's physical address, 0: none;
	                                         NULL: never create */
};

/* 1 when entry e at level (3..0 as above) is a leaf: a page at level 0,
 * a block at levels 1 and 2. */
static inline int a64_pte_is_leaf(pte_t e, int level)
{
	return level == 0 || (level <= 2 && !(e & A64_PTE_TABLE));
}

/* The level-0 (4 KiB) descriptor for va, creating missing tables when
 * create is set (and pt->alloc given).  NULL when a table is missing (or
 * cannot be made), va is beyond 48 bits, or va lies in a block (*large
 * then points at that entry).  Inline so constant hooks cost nothing. */
static inline pte_t *a64_pt_walk(const struct a64_pt *pt, uintptr_t va, int create,
                                 pte_t **large)
{
	pte_t *t = pt->root;
	*large = NULL;
	if ((uint64_t)va >> A64_VA_BITS)
		return NULL;
	for (int level = 3; level > 0; level--) {
		unsigned idx = (va >> (12 + 9 * level)) & 511;
		pte_t e = t[idx];
		if (!(e & A64_PTE_VALID)) {
			if (!create || !pt->alloc)
				return NULL;
			uint64_t n = pt->alloc();
			if (!n)
				return NULL;
			/* the table must be zero before the MMU can see it */
			__atomic_store_n(&t[idx], n | A64_PTE_VALID | A64_PTE_TABLE, __ATOMIC_RELEASE);
			e = t[idx];
		} else if (a64_pte_is_leaf(e, level)) {
			*large = &t[idx];
			return NULL;
		}
		t = pt->virt(e & A64_PTE_ADDR);
	}
	return &t[(va >> 12) & 511];
}

/* Accessed/dirty selection for a64_pt_ad (see pte.h for the encoding). */
enum { A64_AD_ACCESSED = 1, A64_AD_DIRTY = 2 };

/* For the npages 4 KiB pages from va: bit i of out (every bit written;
 * out may be NULL) is set when page i is mapped and has any of `which`
 * (A64_AD_*): AF, or writable-dirty.  With clear, those are cleared (AF
 * to 0; a dirty page's AP[2] to 1) by one compare-and-swap per leaf that
 * has them.  A block reports for each of its 4 KiB pages inside the range
 * and is cleared only when the range covers all of it.  Returns the pages
 * reported, or -1 when va is not page-aligned or the range goes beyond
 * 48 bits (or wraps). */
long a64_pt_ad(const struct a64_pt *pt, uintptr_t va, size_t npages, unsigned which, int clear,
               uint64_t *out);

/* arch_vm_ad_round's harvest of dirty pages (va 2 MiB-aligned, npages a
 * multiple of 512, else -1): every level-0 table of the range is read
 * and its dirty leaves cleared, every round (aarch64 tables have no
 * accessed bit to skip by).  *tables (may be NULL) gets the tables read.
 * Returns the pages reported. */
long a64_pt_ad_round(const struct a64_pt *pt, uintptr_t va, size_t npages, uint64_t *out,
                     size_t *tables);

#endif

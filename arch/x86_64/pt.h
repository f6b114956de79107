/*
 * pt.h - the x86_64 page-table format and the walker shared by paging.c
 * and the host tests (tests/host/test_pt.c).  x86_64-private.
 *
 * The walker never dereferences a physical address itself: a table entry's
 * address goes through the `virt` hook of struct x86_pt (in the kernel the
 * identity, since page tables live in the direct map; in host tests a
 * lookup into tables built in ordinary memory).  New tables come from the
 * `alloc` hook.  Nothing here takes a lock or touches a TLB; see pt_walk.c.
 */
#ifndef TALLY_X86_PT_H
#define TALLY_X86_PT_H

#include <stddef.h>
#include <stdint.h>
#include "arch/x86_64/pte.h"  /* the entry bits (PTE_*) */

typedef uint64_t pte_t;

struct x86_pt {
	pte_t *root;                          /* the PML4, through virt() */
	pte_t *(*virt)(uint64_t pa);          /* a table's physical address -> pointer */
	uint64_t (*alloc)(void);              /* a zeroed table's physical address, 0: none;
	                                         NULL: never create */
};

/* The 4 KiB PTE for va, creating missing levels when create is set (and
 * pt->alloc given).  NULL when a level is missing (or cannot be made) or
 * va lies in a large page (*large then points at that entry).  Inline, so
 * that a caller passing constant hooks (paging.c: the identity) pays no
 * indirect call per level: map and unmap run it for every page of a
 * stack's growth (out of line, with hooks, it cost 2% of
 * BenchmarkParkedGoroutines and 5% of BenchmarkStackGrowthFault). */
static inline pte_t *x86_pt_walk(const struct x86_pt *pt, uintptr_t va, int create,
                                 pte_t **large)
{
	pte_t *t = pt->root;
	*large = NULL;
	for (int level = 3; level > 0; level--) {
		unsigned idx = (va >> (12 + 9 * level)) & 511;
		pte_t e = t[idx];
		if (!(e & PTE_P)) {
			if (!create || !pt->alloc)
				return NULL;
			uint64_t n = pt->alloc();
			if (!n)
				return NULL;
			t[idx] = n | PTE_P | PTE_W;
			e = t[idx];
		} else if (e & PTE_PS) {
			*large = &t[idx];
			return NULL;
		}
		t = pt->virt(e & PTE_ADDR);
	}
	return &t[(va >> 12) & 511];
}

/* For the npages 4 KiB pages from va: bit i of out (npages bits, every
 * one written; out may be NULL) is set when page i is mapped and its leaf
 * has any of `bits` (PTE_A, PTE_D).  With clear, those bits are cleared by
 * one atomic and per leaf that has them.  A large page reports its bits for
 * each of its 4 KiB pages inside the range and is cleared only when the
 * range covers all of it.  Returns the pages reported, or -1 when va is not
 * page-aligned or the range is not canonical (or wraps). */
long x86_pt_ad(const struct x86_pt *pt, uintptr_t va, size_t npages, uint64_t bits, int clear,
               uint64_t *out);

/* A harvest of D by rounds (arch.h's arch_vm_ad_round; mode
 * X86_ROUND_*, arch.h's ARCH_AD_ROUND_*): va 2 MiB-aligned, npages a multiple of 512.  NEXT: a
 * page table's leaves are read (and their D cleared) only when its
 * directory entry had A set; the entry's A is cleared and PTE_SEEN set to
 * what A was.  FIRST: the same, every table read, PTE_SEEN set.  AGAIN
 * (after the flush that follows a NEXT or FIRST pass): the tables whose
 * entry has PTE_SEEN are read again, their D left set (a translation
 * loaded after the flush may have cached it) and the entry untouched, and
 * their pages added to out (not cleared first).  *tables (may be NULL) gets the tables
 * read.  Returns the pages reported, -1 for a bad range. */
enum { X86_ROUND_NEXT = 0, X86_ROUND_FIRST = 1, X86_ROUND_AGAIN = 2 };
long x86_pt_ad_round(const struct x86_pt *pt, uintptr_t va, size_t npages, int mode, uint64_t *out,
                     size_t *tables);

#endif

/*
 * pt_walk.c - walking aarch64 translation tables: test-and-clear the
 * accessed and dirty state over a range (the one-address walker,
 * a64_pt_walk, is static inline in pt.h).  Shared by paging.c (the
 * kernel's tables) and the host tests, which run it over tables built in
 * ordinary memory.
 *
 * Data structures: struct a64_pt (pt.h): the root and two hooks; levels 3
 * (512 GiB an entry) down to 0 (4 KiB).  Accessed is AF, dirty is
 * "writable (A64_PTE_SWW) and AP[2] clear" (pte.h).
 *
 * The walk visits only what is mapped: an invalid entry at level L skips
 * its whole span, so a sparse range costs a few entries.  Per leaf: one
 * load and, with clear, one compare-and-swap when it has something to
 * clear (a clean range is not written).  Clearing dirty sets AP[2], so a
 * later write faults (no DBM: paging.c's a64_vm_fixup makes it writable
 * again) or the MMU clears AP[2] (DBM); clearing accessed clears AF, so
 * the next access sets it again (the MMU with TCR_EL1.HA, else the access
 * flag fault through a64_vm_fixup).  The CAS is needed (not a plain AND
 * as on x86_64) because "clear dirty" sets a bit while the MMU clears the
 * same bit concurrently (DBM), and because AF and AP[2] may be changed
 * together.
 *
 * Round harvests (arch_vm_ad_round): x86_64 skips a page table whose
 * directory entry's accessed bit stayed clear; aarch64 table descriptors
 * have no accessed bit (FEAT_HAFT, ARMv8.9, adds one), so every table is
 * read every round.  That is the contract's "may skip", taken as never:
 * correct, and as costly as a full arch_vm_ad of the range; and since the
 * next round reads every table anyway, a round's AGAIN pass has nothing
 * to add (paging.c reports nothing there).
 *
 * A leaf with A64_PTE_NOTRACK (pages the fault path writes: the image's
 * stacks and no-roots statics, the RAM after the image) is reported
 * as accessed and dirty and never cleared: over-reported, never lost.
 *
 * Invariants: tables reachable from the root are never freed, so a walk
 * without the page-table lock never reads a freed table; a leaf is
 * changed only by one aligned 8-byte store (map/unmap under the lock), an
 * atomic update by the MMU (AF, DBM) or a CAS (here and a64_vm_fixup), so
 * no update is lost.  A write after the CAS finds AP[2] set and is
 * recorded again: never lost.
 *
 * Locking: none (see paging.c for the lock of a64_pt_walk with create).
 * Context: any; no allocation; TLBs are the caller's (arch.h: clear, then
 * flush every CPU, then rely on the state).
 */
#include <string.h>
#include "arch/aarch64/pt.h"

/* Set bits [from, to) of bitmap bm. */
static void set_bits(uint64_t *bm, uint64_t from, uint64_t to)
{
	while (from < to && (from & 63)) {
		bm[from / 64] |= 1ull << (from & 63);
		from++;
	}
	while (from + 64 <= to) {
		bm[from / 64] = ~0ull;
		from += 64;
	}
	while (from < to) {
		bm[from / 64] |= 1ull << (from & 63);
		from++;
	}
}

struct ad_walk {
	const struct a64_pt *pt;
	uintptr_t start;      /* first address of the whole range */
	unsigned which;
	int clear;
	uint64_t *out;
	long reported;
	size_t tables;        /* level-0 tables whose leaves were read */
};

static int has(pte_t e, unsigned which)
{
	return ((which & A64_AD_ACCESSED) && (e & A64_PTE_AF)) ||
	       ((which & A64_AD_DIRTY) && a64_pte_dirty(e));
}

static pte_t cleared(pte_t e, unsigned which)
{
	if (which & A64_AD_ACCESSED)
		e &= ~A64_PTE_AF;
	if ((which & A64_AD_DIRTY) && (e & A64_PTE_SWW))
		e |= A64_PTE_AP_RO;
	return e;
}

/* Test leaf *p, and clear it when asked (and allowed: whole); returns
 * whether it had any of which when tested. */
static int test_leaf(pte_t *p, unsigned which, int clear)
{
	pte_t e = __atomic_load_n(p, __ATOMIC_RELAXED);
	if (!(e & A64_PTE_VALID))
		return 0;
	if (e & A64_PTE_NOTRACK)
		return 1;   /* never cleaned, always reported (pte.h) */
	if (!has(e, which))
		return 0;
	if (clear) {
		while (!__atomic_compare_exchange_n(p, &e, cleared(e, which), 0, __ATOMIC_SEQ_CST,
		                                    __ATOMIC_RELAXED)) {
			if (!(e & A64_PTE_VALID))
				return 0;   /* unmapped meanwhile */
		}
		return has(e, which);
	}
	return 1;
}

/* Entries of `table` (level `level`) covering [lo, last] (inclusive). */
static void ad_level(struct ad_walk *w, pte_t *table, int level, uintptr_t lo, uintptr_t last)
{
	unsigned shift = 12 + 9 * (unsigned)level;
	uintptr_t a = lo;
	for (;;) {
		uintptr_t span_first = a & ~((1ull << shift) - 1);
		uintptr_t span_last = a | ((1ull << shift) - 1);
		uintptr_t hi = span_last < last ? span_last : last;
		pte_t *p = &table[(a >> shift) & 511];
		pte_t e = __atomic_load_n(p, __ATOMIC_RELAXED);
		if (e & A64_PTE_VALID) {
			if (a64_pte_is_leaf(e, level)) {
				/* a block is cleared only when the range covers it */
				int whole = a == span_first && hi == span_last;
				if (test_leaf(p, w->which, w->clear && whole)) {
					uint64_t from = (a - w->start) >> 12, to = ((hi - w->start) >> 12) + 1;
					if (w->out)
						set_bits(w->out, from, to);
					w->reported += (long)(to - from);
				}
			} else if (level > 1) {
				ad_level(w, w->pt->virt(e & A64_PTE_ADDR), level - 1, a, hi);
			} else {
				w->tables++;
				ad_level(w, w->pt->virt(e & A64_PTE_ADDR), 0, a, hi);
			}
		}
		if (hi == last)
			return;
		a = hi + 1;
	}
}

/* Checks a range: -1 if bad, else its last address in *last. */
static int range_ok(uintptr_t va, size_t npages, uintptr_t *last)
{
	if ((va & 4095) || npages > (SIZE_MAX >> 12) || ((uint64_t)va >> A64_VA_BITS))
		return -1;
	*last = va + ((uintptr_t)npages << 12) - 1;
	if (*last < va || ((uint64_t)*last >> A64_VA_BITS))
		return -1;
	return 0;
}

long a64_pt_ad(const struct a64_pt *pt, uintptr_t va, size_t npages, unsigned which, int clear,
               uint64_t *out)
{
	uintptr_t last;
	if (npages == 0)
		return (va & 4095) ? -1 : 0;
	if (range_ok(va, npages, &last) < 0)
		return -1;
	if (out)
		memset(out, 0, (npages + 63) / 64 * sizeof(uint64_t));
	struct ad_walk w = { pt, va, which & (A64_AD_ACCESSED | A64_AD_DIRTY), clear, out, 0, 0 };
	ad_level(&w, pt->root, 3, va, last);
	return w.reported;
}

long a64_pt_ad_round(const struct a64_pt *pt, uintptr_t va, size_t npages, uint64_t *out,
                     size_t *tables)
{
	uintptr_t last;
	if ((va & ((2u << 20) - 1)) || (npages & 511))
		return -1;
	if (npages == 0)
		return 0;
	if (range_ok(va, npages, &last) < 0)
		return -1;
	if (out)
		memset(out, 0, npages / 64 * sizeof(uint64_t));
	struct ad_walk w = { pt, va, A64_AD_DIRTY, 1, out, 0, 0 };
	ad_level(&w, pt->root, 3, va, last);
	if (tables)
		*tables = w.tables;
	return w.reported;
}

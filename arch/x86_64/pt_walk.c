/*
 * pt_walk.c - walking x86_64 four-level page tables: test-and-clear the
 * accessed and dirty bits over a range (the one-address walker,
 * x86_pt_walk, is static inline in pt.h: on the stack-growth path the
 * hooks then inline to nothing).  Shared by paging.c (the kernel's tables) and the host
 * tests, which run it over tables built in ordinary memory.
 *
 * Data structures: struct x86_pt (pt.h): the root and two hooks, so the
 * code reads tables only through virt() and builds them only with alloc().
 * Levels are numbered 3 (PML4, 512 GiB per entry) down to 0 (PT, 4 KiB per
 * entry); a PS entry at level 2 (1 GiB) or 1 (2 MiB) is a leaf.
 *
 * The A/D walk (x86_pt_ad) visits only what is mapped: a missing entry at
 * level L skips its whole span (512 GiB, 1 GiB, 2 MiB), so a sparse range
 * of terabytes costs a few entries, not a page count.  Its cost is one
 * load per entry visited (the leaves of each page table in one tight loop,
 * ad_leaves: the collector walks every page of the heap in use) and, with clear, one locked AND per leaf whose
 * bits are set (clean leaves are not written, so a clear over a clean
 * range dirties no cache line).
 *
 * Round harvests (x86_pt_ad_round, the collector's pre-cleaning rounds
 * and final pause, arch.h's arch_vm_ad_round) skip a whole page table when
 * its directory entry shows no access since the last round: the MMU sets
 * A in every paging-structure entry it uses to load a translation (SDM
 * 4.8; QEMU's walker does too), and a write needs a translation.  A round
 * is a NEXT pass, the caller's flush of every TLB, and an AGAIN pass.  The
 * NEXT pass clears the entry's A (one CAS) before its leaves are read, and
 * PTE_SEEN (a bit the MMU ignores) keeps that it was set; the AGAIN pass,
 * after the flush, reads those tables again: a leaf whose D a CPU set
 * after the NEXT pass read it, through a translation loaded before A was
 * cleared (or from a paging-structure cache), was set before the flush and
 * is found then; a translation loaded after the clear sets A again and is
 * found next round.  So the next round, the collector's final pause
 * included, reads only tables with A set: the pause no longer reads again
 * the tables the last round found accessed.  The caller harvests each
 * table at most once a pass.  The proof, case by case, is in docs/heap.md
 * ("The final pause").
 *
 * Invariants: tables reachable from the root are never freed (paging.c
 * never frees one), so a walk without the page-table lock never reads a
 * freed table; a leaf is updated only by a single aligned 8-byte store
 * (map/unmap, under the lock) or a locked read-modify-write (the CPU's
 * own A/D updates, and the clear here), so no update of one is lost to
 * another.  A bit the CPU sets after the load here is either seen by the
 * locked AND (reported) or lands after it (reported next time): never
 * lost.
 *
 * Locking: none; x86_pt_walk with create needs the caller's lock
 * (paging.c's pt_lock) so two CPUs do not both make a missing level.
 * Context: any; no allocation except alloc() when creating; TLBs are the
 * caller's business (clearing A/D does not flush: see arch.h).
 */
#include <string.h>
#include "arch/x86_64/pt.h"

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
	const struct x86_pt *pt;
	uintptr_t start;      /* first address of the whole range */
	uint64_t bits;
	int clear;
	uint64_t *out;
	long reported;
	int round;            /* 0: every table; else X86_ROUND_* + 1 */
	size_t tables;        /* page tables whose leaves were read */
};

/* A round harvest's look at directory entry *p (present, not a large
 * page), mode ARCH_AD_ROUND_*: NEXT and FIRST clear its A, keep in
 * PTE_SEEN whether A was set (FIRST: set PTE_SEEN), and say whether its
 * table must be read: A set (FIRST: always).  One CAS (the MMU may set A
 * meanwhile: then again).  Before the table's leaves are read: a
 * translation loaded after this sets A again and is found next round; one
 * loaded before it, through which a leaf's D is set after the leaves were
 * read, did so before the caller's flush and is found by the AGAIN pass,
 * which reads the tables with PTE_SEEN and changes nothing. */
static int round_entry(pte_t *p, int mode)
{
	pte_t e = __atomic_load_n(p, __ATOMIC_RELAXED), n;
	if (mode == X86_ROUND_AGAIN)
		return (e & PTE_SEEN) != 0;
	do {
		if (mode == X86_ROUND_FIRST)
			n = (e & ~PTE_A) | PTE_SEEN;
		else
			n = (e & ~(PTE_A | PTE_SEEN)) | ((e & PTE_A) ? PTE_SEEN : 0);
		if (n == e)
			break;
	} while (!__atomic_compare_exchange_n(p, &e, n, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	return mode == X86_ROUND_FIRST || (e & PTE_A);
}

/* Whether none of 32 entries from t (256-byte aligned) has a bit of
 * `bits`: sixteen 16-byte loads ORed together (SSE2, the x86-64
 * baseline), about 28 instructions where eight at a time takes 80.  Each
 * aligned 8-byte half is read in one access, as a scalar load would; a bit
 * the MMU sets just after the read is the same race the protocol already
 * allows for (the entry is read again, by the AGAIN pass or next round). */
typedef uint64_t pte_x2 __attribute__((vector_size(16), aligned(16)));
static inline int clean32(const pte_t *t, uint64_t bits)
{
	const pte_x2 *v = (const pte_x2 *)(const void *)t;
	__asm__ volatile("" ::: "memory");   /* fresh loads: the MMU writes these */
	pte_x2 a = (v[0] | v[1]) | (v[2] | v[3]) | (v[4] | v[5]) | (v[6] | v[7]) |
	           (v[8] | v[9]) | (v[10] | v[11]) | (v[12] | v[13]) | (v[14] | v[15]);
	return ((a[0] | a[1]) & bits) == 0;
}

/* The 4 KiB leaves of page table t covering [a, hi] (one 2 MiB span or
 * less): the hot loop of a walk over a large mapped range (the collector
 * harvests every heap page, its final pause the tables touched since the
 * last round), under one instruction per clean entry; the same answers as
 * ad_level at level 0. */
static void ad_leaves(struct ad_walk *w, pte_t *t, uintptr_t a, uintptr_t hi)
{
	unsigned i = (a >> 12) & 511, end = (hi >> 12) & 511;
	uint64_t page = (a - w->start) >> 12, bits = w->bits;
	for (; i <= end; i++, page++) {
		/* 32 clean entries at once (the common case of a large heap) */
		while (!(i & 31) && i + 31 <= end && clean32(&t[i], bits)) {
			i += 32;
			page += 32;
		}
		if (i > end)
			break;
		/* eight clean entries at once (a bit clear in all eight: none
		 * has it, present or not): the common case of a large heap */
		while (!(i & 7) && i + 7 <= end) {
			const volatile pte_t *t8 = &t[i];
			if ((t8[0] | t8[1] | t8[2] | t8[3] | t8[4] | t8[5] | t8[6] | t8[7]) & bits)
				break;
			i += 8;
			page += 8;
		}
		if (i > end)
			break;
		pte_t e = __atomic_load_n(&t[i], __ATOMIC_RELAXED);
		if (!(e & PTE_P) || !(e & bits))
			continue;
		if (w->clear)
			e = __atomic_fetch_and(&t[i], ~bits, __ATOMIC_SEQ_CST);
		if (e & bits) {
			if (w->out)
				w->out[page / 64] |= 1ull << (page & 63);
			w->reported++;
		}
	}
}

/* Entries of `table` (level `level`) covering [lo, last] (inclusive: the
 * top of the address space has no exclusive end). */
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
		if (e & PTE_P) {
			if (level == 0 || (level <= 2 && (e & PTE_PS))) {
				/* a leaf: clear only what it has, and a large
				 * one only when the range covers all of it */
				int whole = a == span_first && hi == span_last;
				pte_t old = e;
				if (w->clear && (e & w->bits) && whole)
					old = __atomic_fetch_and(p, ~w->bits, __ATOMIC_SEQ_CST);
				if (old & w->bits) {
					uint64_t from = (a - w->start) >> 12, to = ((hi - w->start) >> 12) + 1;
					if (w->out)
						set_bits(w->out, from, to);
					w->reported += (long)(to - from);
				}
			} else {
				if (level > 1) {
					ad_level(w, w->pt->virt(e & PTE_ADDR), level - 1, a, hi);
				} else if (!w->round || round_entry(p, w->round - 1)) {
					w->tables++;
					ad_leaves(w, w->pt->virt(e & PTE_ADDR), a, hi);
				}  /* else a round: not accessed since the last but one */
			}
		}
		if (hi == last)
			return;
		a = hi + 1;
	}
}

static int canonical(uintptr_t va)
{
	return (uint64_t)((int64_t)((uint64_t)va << 16) >> 16) == va;
}

long x86_pt_ad(const struct x86_pt *pt, uintptr_t va, size_t npages, uint64_t bits, int clear,
               uint64_t *out)
{
	if ((va & 4095) || !canonical(va) || npages > (SIZE_MAX >> 12))
		return -1;
	if (npages == 0)
		return 0;
	uintptr_t last = va + ((uintptr_t)npages << 12) - 1;
	if (last < va || !canonical(last) || (va >> 47) != (last >> 47))
		return -1;
	if (out)
		memset(out, 0, (npages + 63) / 64 * sizeof(uint64_t));
	struct ad_walk w = { pt, va, bits & (PTE_A | PTE_D), clear, out, 0, 0, 0 };
	ad_level(&w, pt->root, 3, va, last);
	return w.reported;
}

long x86_pt_ad_round(const struct x86_pt *pt, uintptr_t va, size_t npages, int mode, uint64_t *out,
                     size_t *tables)
{
	if (mode != X86_ROUND_NEXT && mode != X86_ROUND_FIRST && mode != X86_ROUND_AGAIN)
		return -1;
	if ((va & ((2u << 20) - 1)) || (npages & 511))
		return -1;
	if (npages == 0 || !canonical(va) || npages > (SIZE_MAX >> 12))
		return npages == 0 ? 0 : -1;
	uintptr_t last = va + ((uintptr_t)npages << 12) - 1;
	if (last < va || !canonical(last) || (va >> 47) != (last >> 47))
		return -1;
	if (out && mode != X86_ROUND_AGAIN)
		memset(out, 0, npages / 64 * sizeof(uint64_t));
	/* AGAIN reads D without clearing it: a CPU may hold a translation
	 * loaded after the flush with D cached set, whose next write would
	 * not set D again; the next round's NEXT pass clears it before a
	 * flush, as every round's clear must be */
	struct ad_walk w = { pt, va, PTE_D, mode != X86_ROUND_AGAIN, out, 0, mode + 1, 0 };
	ad_level(&w, pt->root, 3, va, last);
	if (tables)
		*tables = w.tables;
	return w.reported;
}

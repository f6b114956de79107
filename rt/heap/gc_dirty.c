/*
 * gc_dirty.c - the collector's write barrier: the dirty record of the
 * heap, data and stacks, its harvests by rounds, and the re-scans of the
 * pages written while marking ran (gc.c's essay has the cycle; gc_mark.c
 * the marking these re-scans feed).
 *
 * The write barrier (concurrent mode): gc.c clears the dirty record of the
 * heap, data and stacks with the world stopped and syncs it (one TLB
 * shootdown), so every later store sets the dirty bit of its page.  A
 * dirty heap page is re-scanned where it holds marked collected objects
 * or allocated malloc'd objects (a white object on it is scanned whole
 * when it is marked, so its old contents do not matter); a dirty data
 * page whole; a dirty stack page between the goroutine's sp and its top.
 * A page written after its harvest is dirty again at the next one, and
 * the final harvest is made with the world stopped, so the last store
 * into every page is seen.  Rounds before the final one (pre-cleaning)
 * run concurrently: harvest (clear), sync, then re-scan: a store racing
 * with the clear is either in the page when it is read, or dirties it
 * again after the sync.  The heap's and data's harvests are by rounds
 * (plat_dirty_round, over two 2 MiB-aligned hulls, each unit once a
 * pass: the cycle's clear is the first round, then every pre-cleaning
 * round and the final pause; a round before the final one is a NEXT pass,
 * the sync and an AGAIN pass): they skip the page tables no CPU loaded a
 * translation from since the last round, and a page written through a
 * translation loaded before that round's NEXT pass is found by its AGAIN
 * pass, after the sync (docs/heap.md, "The final pause").  Stacks are harvested whole
 * (plat_dirty_harvest): they are cleared before the start pause and
 * harvested again in the final pause (on one CPU also just before it, in
 * gc.c's last stretch, so the pause finds them clean).
 *
 * The remembered set (generational mode, gc_gen.c's essay): while
 * gc_remset_on, every harvest of the heap's record (the clear before the
 * start pause, each pre-cleaning round, the final pause) also ORs its
 * dirty pages into rs_acc.  The cycle's clear ends by making rs_acc the
 * cycle's remembered set (rs_cur) and starting rs_acc afresh; a minor
 * cycle scans the old (marked) objects on rs_cur's pages as roots
 * (gc_mark_remembered).  rs_cur thus holds every heap page written from
 * the last cycle's start pause to this one's clear: every store that can
 * have put the address of a young object into an old one (a young
 * object was allocated after the last marking ended, or born marked
 * during it; stores made earlier than that could not name it), and every
 * page a store through a stale translation could have reached unseen
 * (such a translation was loaded before a harvest that found its page
 * dirty).  Stores after the clear are the write barrier's as in any
 * cycle.
 *
 * Locking: the work lock (gc_impl.h), held by every caller.
 * Context: the collector (a concurrent slice, or the world stopped).
 */
#include <string.h>
#include "rt/heap/gc_impl.h"

#define PG PLAT_DIRTY_PAGE
#define CHUNK_PAGES 4096u   /* pages per harvest: a 512-byte bitmap on the stack */

void (*gc_test_preclean_hook)(uintptr_t heap_hi);
int gc_test_hull_snapshot;

/* ---- the dirty record ---- */

enum { AREA_HEAP, AREA_DATA, AREA_STACK };

/* ---- the remembered set ---- */

PLAT_GC_NOROOT volatile int gc_remset_on;
/* two bitmaps of rs_words words, a bit per page from rs_lo (the heap
 * hull's start) to the arena's end; from the page heap, once */
static PLAT_GC_NOROOT uint64_t *rs_acc, *rs_cur;
static PLAT_GC_NOROOT size_t rs_words, rs_at;   /* rs_at: gc_mark_remembered's next word */
static PLAT_GC_NOROOT uintptr_t rs_lo;

int gc_remset_ready(void)
{
	if (rs_acc)
		return 1;
	uintptr_t lo = rt_arena_lo & ~((uintptr_t)PLAT_DIRTY_ROUND - 1);
	uintptr_t hi = (rt_arena_hi + PLAT_DIRTY_ROUND - 1) & ~((uintptr_t)PLAT_DIRTY_ROUND - 1);
	size_t words = (hi - lo) / PG / 64;
	struct mspan *sp = rt_pageheap_alloc((2 * words * 8 + RT_HP - 1) / RT_HP, RT_HP);
	if (!sp)
		return 0;
	memset((void *)sp->base, 0, 2 * words * 8);
	rs_lo = lo;
	rs_words = words;
	rs_cur = (uint64_t *)sp->base;
	rs_acc = rs_cur + words;
	return 1;
}

/* OR n pages' bits (n a multiple of 64) from page p of the heap into rs_acc. */
static void remset_note(uintptr_t p, const uint64_t *bm, size_t n)
{
	if (!__atomic_load_n(&gc_remset_on, __ATOMIC_RELAXED) || !rs_acc || p < rs_lo)
		return;
	size_t at = (p - rs_lo) / PG / 64;
	for (size_t w = 0; w < n / 64 && at + w < rs_words; w++)
		rs_acc[at + w] |= bm[w];
}

static void remset_begin(void)
{
	if (!__atomic_load_n(&gc_remset_on, __ATOMIC_RELAXED) || !rs_acc)
		return;
	uint64_t *t = rs_cur;
	rs_cur = rs_acc;
	rs_acc = t;
	memset(rs_acc, 0, rs_words * 8);
	rs_at = 0;
}

__attribute__((no_sanitize("thread")))  /* span fields peeked, as gc_span_at */
int gc_mark_remembered(uint64_t deadline)
{
	uintptr_t used = __atomic_load_n(&rt_arena_used, __ATOMIC_ACQUIRE);
	if (!rs_at)
		gc_typed_done = NULL;  /* a new pass (resumed slices go on with it) */
	for (; rs_at < rs_words; rs_at++) {
		if (deadline && rs_at % 8 == 0 && plat_nanotime() >= deadline)
			return 0;
		for (uint64_t b = rs_cur[rs_at]; b; b &= b - 1) {
			uintptr_t pg = rs_lo + (rs_at * 64 + (unsigned)__builtin_ctzll(b)) * PG;
			if (pg < rt_arena_lo || pg >= used)
				continue;
			uint8_t state;
			struct mspan *sp = gc_span_at(pg & ~(uintptr_t)(RT_HP - 1), &state);
			if (!sp || rt_kind_malloc(RT_PEEK(sp->kind)))
				continue;  /* malloc'd objects are roots in every cycle */
			uint64_t t0 = plat_nanotime();
			gc_scan_span_range(sp, state, pg, pg + PG);
			gc_ms.rescan_ns += plat_nanotime() - t0;
			gc_ms.remembered_pages++;
			gc_drain_if_long();
		}
	}
	return 1;
}

/* Re-scan dirty page pg of an area, clipped to [lo, hi). */
static void rescan_page(int area, uintptr_t pg, uintptr_t lo, uintptr_t hi)
{
	uintptr_t a = pg > lo ? pg : lo, b = pg + PG < hi ? pg + PG : hi;
	if (a >= b)
		return;
	if (area != AREA_HEAP) {
		gc_scan_root(a, b);
		return;
	}
	uint8_t state;
	struct mspan *s = gc_span_at(pg & ~(uintptr_t)(RT_HP - 1), &state);
	if (s)
		gc_scan_span_range(s, state, a, b);
}

/* Harvest [lo, hi) (with bm: re-scan what is dirty; without: only clear);
 * returns the dirty pages. */
static uint64_t harvest(int area, uintptr_t lo, uintptr_t hi, int rescan)
{
	uint64_t bm[CHUNK_PAGES / 64], dirty = 0;
	gc_typed_done = NULL;  /* a new pass */
	uintptr_t p = lo & ~(uintptr_t)(PG - 1);
	while (p < hi) {
		size_t n = (hi - p + PG - 1) / PG;
		if (n > CHUNK_PAGES)
			n = CHUNK_PAGES;
		uint64_t t0 = plat_nanotime();
		long k = plat_dirty_harvest(p, n, rescan ? bm : NULL);
		gc_ms.walk_ns += plat_nanotime() - t0;
		if (k > 0 && rescan) {
			dirty += (uint64_t)k;
			for (size_t w = 0; w < (n + 63) / 64; w++)
				for (uint64_t b = bm[w]; b; b &= b - 1) {
					rescan_page(area, p + (w * 64 + (unsigned)__builtin_ctzll(b)) * PG, lo, hi);
					gc_drain_if_long();
				}
		}
		p += n * PG;
	}
	return dirty;
}

/* The harvests by rounds (plat_dirty_round) cover whole units of
 * PLAT_DIRTY_ROUND: two hulls, data and bss's and the heap's, each unit
 * harvested once a round; a page of a hull outside its runs (text, the
 * image's stacks, the span table) is reported but not re-scanned. */
#define RU ((uintptr_t)PLAT_DIRTY_ROUND)
struct hull {
	uintptr_t lo, hi;            /* RU-aligned */
	/* the runs to re-scan; the heap's end is rt_arena_used itself, read
	 * at each re-scan: the arena grows during a round, into the last
	 * unit the round harvests, and a page it grew into (a new span, its
	 * objects born marked and written at once) has its dirty bit cleared
	 * like any other, so only the re-scan can see what was stored in it */
	const volatile uintptr_t *rlo, *rhi;
	unsigned n;
	int area;
};

static unsigned hulls(struct hull h[2], uintptr_t *heap_lo, uintptr_t *heap_hi)
{
	unsigned k = 0;
	const uintptr_t *dlo, *dhi;
	unsigned dn = gc_data_runs(&dlo, &dhi);
	if (dn) {
		uintptr_t lo = dlo[0], hi = dhi[0];
		for (unsigned i = 1; i < dn; i++) {
			lo = dlo[i] < lo ? dlo[i] : lo;
			hi = dhi[i] > hi ? dhi[i] : hi;
		}
		h[k++] = (struct hull){ lo & ~(RU - 1), (hi + RU - 1) & ~(RU - 1), dlo, dhi, dn, AREA_DATA };
	}
	*heap_lo = rt_arena_lo;
	*heap_hi = __atomic_load_n(&rt_arena_used, __ATOMIC_ACQUIRE);
	h[k++] = (struct hull){ rt_arena_lo & ~(RU - 1), (*heap_hi + RU - 1) & ~(RU - 1), heap_lo,
		                gc_test_hull_snapshot ? heap_hi : &rt_arena_used, 1, AREA_HEAP };
	return k;
}

/* Re-scan page pg of hull h where it meets its runs; 1 if it did. */
static int rescan_hull_page(const struct hull *h, uintptr_t pg)
{
	int hit = 0;
	for (unsigned i = 0; i < h->n; i++) {
		uintptr_t lo = h->rlo[i], hi = h->rhi[i];
		if (pg < hi && pg + PG > lo) {
			uint64_t t0 = plat_nanotime();
			rescan_page(h->area, pg, lo, hi);
			gc_ms.rescan_ns += plat_nanotime() - t0;
			hit = 1;
		}
	}
	gc_drain_if_long();
	return hit;
}

/* One pass over the hulls (mode PLAT_ROUND_*; the cycle's first round
 * only clears); with rescan, the dirty pages re-scanned; returns them. */
static uint64_t heap_and_data(int mode, int rescan)
{
	uint64_t bm[CHUNK_PAGES / 64], dirty = 0;
	gc_typed_done = NULL;  /* a new pass */
	uintptr_t hlo, hhi;
	struct hull h[2];
	unsigned nh = hulls(h, &hlo, &hhi);
	for (unsigned i = 0; i < nh; i++)
		for (uintptr_t p = h[i].lo; p < h[i].hi; p += CHUNK_PAGES * PG) {
			size_t n = (h[i].hi - p) / PG < CHUNK_PAGES ? (h[i].hi - p) / PG : CHUNK_PAGES, units = 0;
			uint64_t t0 = plat_nanotime();
			/* the heap's pages go to the remembered set too */
			int note = h[i].area == AREA_HEAP && __atomic_load_n(&gc_remset_on, __ATOMIC_RELAXED);
			if ((rescan || note) && (mode == PLAT_ROUND_AGAIN || note))
				memset(bm, 0, n / 64 * sizeof(uint64_t));   /* AGAIN adds to it */
			long k = plat_dirty_round(p, n, rescan || note ? bm : NULL, mode, &units);
			gc_ms.walk_ns += plat_nanotime() - t0;
			gc_ms.tables += units;
			if (k > 0 && note)
				remset_note(p, bm, n);
			if (k <= 0 || !rescan)
				continue;
			for (size_t w = 0; w < n / 64; w++)
				for (uint64_t b = bm[w]; b; b &= b - 1)
					dirty += (uint64_t)rescan_hull_page(&h[i], p + (w * 64 + (unsigned)__builtin_ctzll(b)) * PG);
		}
	return dirty;
}

void gc_dirty_clear(void)
{
	uint64_t t0 = plat_nanotime();
	heap_and_data(PLAT_ROUND_FIRST, 0);
	gc_clear_stacks();
	uint64_t t1 = plat_nanotime();
	plat_dirty_sync();
	uint64_t t2 = plat_nanotime();
	heap_and_data(PLAT_ROUND_AGAIN, 0);   /* what older translations wrote */
	gc_ms.sync_ns += t2 - t1;
	gc_ms.walk_ns += t1 - t0 + plat_nanotime() - t2;
	remset_begin();  /* what was written up to now: this cycle's remembered set */
}

/* Pre-cleaning (world running): the whole record is harvested into one
 * bitmap first, then synced, then re-scanned, in that order (a page
 * re-scanned before the sync could take a store through a stale
 * translation after its re-scan, unrecorded).  The bitmap (a bit per page
 * of the hulls) stays allocated between cycles, like the mark stack. */
static PLAT_GC_NOROOT uint64_t *pbm;
static PLAT_GC_NOROOT size_t pbm_words;
static PLAT_GC_NOROOT struct mspan *pbm_span;

static int pbm_fit(size_t words)
{
	if (words <= pbm_words)
		return 0;
	size_t npages = (words * 8 + RT_HP - 1) / RT_HP * 2;
	struct mspan *s = rt_pageheap_alloc(npages, RT_HP);
	if (!s)
		return -1;
	if (pbm_span)
		rt_pageheap_free(pbm_span);
	pbm_span = s;
	pbm = (uint64_t *)s->base;
	pbm_words = npages * RT_HP / 8;
	return 0;
}

/* One pass of mode PLAT_ROUND_* over the hulls into pbm (a bit per page
 * of each hull in turn); returns the pages it reported. */
static long preclean_pass(const struct hull *h, unsigned nh, int mode)
{
	size_t at = 0;
	long found = 0;
	for (unsigned i = 0; i < nh; i++) {
		size_t np = (h[i].hi - h[i].lo) / PG, units = 0;
		long k = plat_dirty_round(h[i].lo, np, pbm + at, mode, &units);
		found += k > 0 ? k : 0;
		gc_ms.tables += units;
		at += np / 64;
	}
	return found;
}

long gc_preclean(void)
{
	uintptr_t hlo, hhi;
	struct hull h[2];
	unsigned nh = hulls(h, &hlo, &hhi);
	size_t words = 0, at;
	for (unsigned i = 0; i < nh; i++)
		words += (h[i].hi - h[i].lo) / PG / 64;
	if (pbm_fit(words) < 0)
		return -1;
	if (gc_test_preclean_hook)
		gc_test_preclean_hook(hhi);
	uint64_t t0 = plat_nanotime();
	long found = preclean_pass(h, nh, PLAT_ROUND_NEXT);
	uint64_t t1 = plat_nanotime();
	plat_dirty_sync();
	uint64_t t2 = plat_nanotime();
	/* the round's AGAIN pass: pages written before the sync through
	 * translations older than the NEXT pass, added to the same bitmap */
	found += preclean_pass(h, nh, PLAT_ROUND_AGAIN);
	gc_ms.walk_ns += t1 - t0 + plat_nanotime() - t2;
	gc_ms.sync_ns += t2 - t1;
	at = 0;
	for (unsigned i = 0; found && i < nh; i++) {
		size_t np = (h[i].hi - h[i].lo) / PG;
		if (h[i].area == AREA_HEAP)
			remset_note(h[i].lo, pbm + at, np);
		at += np / 64;
	}
	long dirty = 0;
	at = 0;
	gc_typed_done = NULL;  /* a new pass */
	for (unsigned i = 0; found && i < nh; i++) {
		size_t np = (h[i].hi - h[i].lo) / PG;
		for (size_t w = 0; w < np / 64; w++)
			for (uint64_t b = pbm[at + w]; b; b &= b - 1)
				dirty += rescan_hull_page(&h[i], h[i].lo + (w * 64 + (unsigned)__builtin_ctzll(b)) * PG);
		at += np / 64;
	}
	gc_ms.dirty_pages += (uint64_t)dirty;
	return dirty;
}

uint64_t gc_rescan_dirty(void)
{
	uint64_t d = heap_and_data(PLAT_ROUND_NEXT, 1);
	gc_ms.dirty_pages += d;
	return d;
}

uint64_t gc_rescan_dirty_stacks(struct g *self)
{
	uint64_t dirty = 0;
	for (struct gx *x = (struct gx *)rt_sched.allgs; x; x = x->allnext) {
		uintptr_t sp, top;
		if (gc_stack_of(&x->g, self, &sp, &top))
			dirty += harvest(AREA_STACK, sp, top, 1);
	}
	gc_ms.dirty_pages += dirty;
	return dirty;
}

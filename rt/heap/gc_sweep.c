/*
 * gc_sweep.c - sweeping: the collected spans' dead objects come free,
 * with the world running, in the background and lazily.
 *
 * Sweeping one span: allocbits := allocbits & markbits, every dead object
 * zeroed (tally_gc_alloc's memory is zero without a memset on
 * allocation), nfree counted, markbits cleared for the next cycle, and the
 * span settled (its central list, or the page heap when empty); an
 * unmarked large object goes back whole.  It is never done with the world
 * stopped.  The dead objects are found a bitmap word at a time (alloc &
 * ~mark) and zeroed a run of adjacent ones at a time, not one call per
 * object: a span all of whose objects died is zeroed as one stretch of
 * memory per 64 objects.  An emptied collected span is therefore all
 * zero, and goes back to the page heap as such (rt_pageheap_free_clean,
 * via mcentral.c's settle): its next owner does not zero it again.
 *
 * Sweep generations (Go's mspan.sweepgen): rt_sweepgen grows by 2 at the
 * end of each marking (world stopped).  A collected span's sweepgen is
 *   rt_sweepgen      swept this cycle (or made since: rt_span_born),
 *   rt_sweepgen - 1  being swept (claimed by one CAS),
 *   rt_sweepgen - 2  still to sweep.
 * Who sweeps: the goroutine that ran the cycle, right after it (the
 * background sweeper, gc_sweep_all, charged to rt.gc.sweep), and a cache
 * that takes an unswept span from its central list (rt_gc_sweep_before_use,
 * lazily, under the central's lock; if the sweeper holds that span it
 * waits for it, which needs no lock).  The next cycle finishes the sweep
 * before it starts.
 *
 * Invariants: an unswept span is in no cache (every window went back when
 * marking ended), so nothing else changes its allocbits while it is swept
 * (free() refuses collected objects); markbits of a swept span are clear
 * except for born-marked windows of a later marking.  A span is claimed
 * only after its kind is read as collected, and a span made from a freed
 * malloc span gets its sweepgen before its kind (rt_span_born, then a
 * fence), so a claim never lands on a span that is new.
 *
 * Generational mode (gcgen=1, gc_gen.c's essay): a sweep
 * keeps the mark bits of the survivors the marking traced (markbits :=
 * alloc & mark & ~born): they are the old objects of the next cycle,
 * which a minor cycle neither traces nor frees; the objects born marked
 * this cycle (bornbits) become young again.  Before a full cycle
 * gc_marks_clear clears every collected span's mark bits, with the world
 * running, once every sweep is done.  Whether a generation's sweep keeps
 * marks is fixed when it begins (gc_sweep_next_cycle, world stopped).
 *
 * Context: a goroutine (the sweeper: holds m->locks for each span) or a
 * cache's refill (m->locks, the central's lock).
 */
#include <string.h>
#include "rt/heap/gc_impl.h"

volatile uint32_t rt_sweepgen = 4;
volatile uint64_t gc_freed_objects;
static volatile int pending;   /* a cycle's sweep is not finished */
static volatile int sticky;    /* this generation's sweep keeps the traced marks */
static unsigned class_sweep;

void gc_sweep_init(void) { class_sweep = (unsigned)plat_ledger_class("rt.gc.sweep"); }

int gc_sweep_pending(void) { return __atomic_load_n(&pending, __ATOMIC_ACQUIRE); }

void gc_sweep_next_cycle(int keep_marks)
{
	__atomic_store_n(&sticky, keep_marks, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&rt_sweepgen, 2, __ATOMIC_SEQ_CST);
	__atomic_store_n(&pending, 1, __ATOMIC_RELEASE);
}

/* Zero n bytes at p (n a multiple of 8, p 8-aligned): 32 or eight words
 * a turn, which the compiler may widen; a run of dead objects costs about
 * one store per 8 to 16 bytes, where a memset call per object cost its
 * call, set-up and a store per 8 bytes on top of the per-object loop. */
static inline void zero_words(uintptr_t p, size_t n)
{
	uint64_t *q = (uint64_t *)p, *end = (uint64_t *)(p + n);
	for (; end - q >= 32; q += 32)  /* a run of several objects */
		for (unsigned i = 0; i < 32; i++)
			q[i] = 0;
	for (; end - q >= 8; q += 8) {
		q[0] = 0, q[1] = 0, q[2] = 0, q[3] = 0;
		q[4] = 0, q[5] = 0, q[6] = 0, q[7] = 0;
	}
	for (; q < end; q++)
		*q = 0;
}

/* Zero the dead objects of word w of small span s (bits of dead), one
 * run of adjacent objects at a time: a span whose objects all died is
 * zeroed in runs of 64 objects. */
static void zero_runs(const struct mspan *s, unsigned w, uint64_t dead)
{
	while (dead) {
		unsigned b = (unsigned)__builtin_ctzll(dead);
		uint64_t rest = ~(dead >> b);
		unsigned len = rest ? (unsigned)__builtin_ctzll(rest) : 64u - b;
		zero_words(rt_span_obj(s, w, b), (size_t)len * s->elemsize);
		dead = len + b >= 64 ? 0 : dead & (~0ull << (b + len));
	}
}

/* Sweep claimed span s; settle: put it where it belongs afterwards (not
 * when a cache is about to take it).  Returns the objects freed. */
static uint64_t sweep_span(struct mspan *s, uint32_t sg, int settle)
{
	int keep_marks = __atomic_load_n(&sticky, __ATOMIC_ACQUIRE);
	if (s->state == SPAN_LARGE) {
		if (__atomic_load_n(&s->markbits[0], __ATOMIC_ACQUIRE)) {
			s->markbits[0] = keep_marks && !__atomic_load_n(&s->bornbits[0], __ATOMIC_RELAXED);
			__atomic_store_n(&s->bornbits[0], 0, __ATOMIC_RELAXED);
			__atomic_store_n(&s->sweepgen, sg, __ATOMIC_RELEASE);
			return 0;
		}
		__atomic_store_n(&s->sweepgen, sg, __ATOMIC_RELEASE);
		__atomic_store_n(&s->state, SPAN_META, __ATOMIC_RELEASE);
		rt_allspans_remove(s);
		rt_pageheap_free(s);
		return 1;
	}
	unsigned nfreed = 0;
	for (unsigned w = 0; w < (s->nelems + 63u) / 64u; w++) {
		uint64_t alloc = __atomic_load_n(&s->allocbits[w], __ATOMIC_ACQUIRE);
		uint64_t keep = alloc & s->markbits[w];
		uint64_t dead = alloc & ~keep;
		uint64_t born = __atomic_load_n(&s->bornbits[w], __ATOMIC_RELAXED);
		if (born)  /* nothing sets them while the span is swept */
			__atomic_store_n(&s->bornbits[w], 0, __ATOMIC_RELAXED);
		if (keep_marks)  /* the traced survivors stay marked: old next cycle */
			__atomic_store_n(&s->markbits[w], keep & ~born, __ATOMIC_RELAXED);
		if (!dead)
			continue;
		nfreed += (unsigned)__builtin_popcountll(dead);
		zero_runs(s, w, dead);
		__atomic_store_n(&s->allocbits[w], keep, __ATOMIC_RELEASE);
	}
	for (unsigned w = 0; !keep_marks && w < RT_SPAN_WORDS; w++)
		__atomic_store_n(&s->markbits[w], 0, __ATOMIC_RELAXED);
	if (nfreed)
		__atomic_add_fetch(&s->nfree, (int32_t)nfreed, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->sweepgen, sg, __ATOMIC_RELEASE);
	if (nfreed && settle)
		rt_span_settle(s);  /* central list, or the page heap if empty */
	return nfreed;
}

void rt_gc_sweep_before_use(struct mspan *s)
{
	uint32_t sg = __atomic_load_n(&rt_sweepgen, __ATOMIC_ACQUIRE);
	for (;;) {
		uint32_t g = __atomic_load_n(&s->sweepgen, __ATOMIC_ACQUIRE);
		if (g == sg - 2 && __atomic_compare_exchange_n(&s->sweepgen, &g, sg - 1, 0, __ATOMIC_ACQ_REL,
		                                               __ATOMIC_ACQUIRE)) {
			unsigned old = plat_ledger_switch(class_sweep);
			uint64_t n = sweep_span(s, sg, 0);
			plat_ledger_switch(old);
			__atomic_add_fetch(&gc_freed_objects, n, __ATOMIC_RELAXED);
			return;
		}
		if (g != sg - 1)
			return;  /* swept */
		plat_relax();  /* the sweeper has it; it finishes without our lock */
	}
}

/* The collected span that starts at heap page a, if any: a probe of span
 * fields without their owner's lock (a span being carved or typed under
 * it gives a stale answer, which the claim's CAS then refuses). */
__attribute__((no_sanitize("thread")))
static struct mspan *collected_span_at(uintptr_t a)
{
	struct mspan *s = __atomic_load_n(&rt_spans[(a - rt_arena_lo) >> RT_HP_SHIFT], __ATOMIC_ACQUIRE);
	if (!s || RT_PEEK(s->base) != a)
		return NULL;
	uint8_t state = RT_PEEK(s->state);
	__atomic_signal_fence(__ATOMIC_ACQUIRE);
	if ((state != SPAN_SMALL && state != SPAN_LARGE) || rt_kind_malloc(RT_PEEK(s->kind)))
		return NULL;
	return s;
}

uint64_t gc_sweep_all(void)
{
	uint64_t freed = 0;
	uint32_t sg = __atomic_load_n(&rt_sweepgen, __ATOMIC_ACQUIRE);
	uintptr_t used = __atomic_load_n(&rt_arena_used, __ATOMIC_ACQUIRE);
	struct m *m = rt_acquirem();
	unsigned old = plat_ledger_switch(class_sweep);
	unsigned batch = 0;
	for (uintptr_t a = rt_arena_lo; a < used; a += RT_HP) {
		struct mspan *s = collected_span_at(a);
		if (!s)
			continue;
		uint32_t g = sg - 2;
		if (!__atomic_compare_exchange_n(&s->sweepgen, &g, sg - 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			continue;
		freed += sweep_span(s, sg, 1);
		if (++batch % 64 == 0 && rt_on_goroutine()) {
			/* let the tick in between batches */
			plat_ledger_switch(old);
			rt_releasem(m);
			m = rt_acquirem();
			old = plat_ledger_switch(class_sweep);
		}
	}
	plat_ledger_switch(old);
	rt_releasem(m);
	__atomic_add_fetch(&gc_freed_objects, freed, __ATOMIC_RELAXED);
	if (__atomic_load_n(&rt_sweepgen, __ATOMIC_ACQUIRE) == sg)
		__atomic_store_n(&pending, 0, __ATOMIC_RELEASE);
	return freed;
}

/* Before a full cycle in generational mode (world running, collection
 * lock held, after gc_sweep_all): clear every collected span's mark bits,
 * so that the full cycle traces everything again.  A span another M is
 * still sweeping (claimed before gc_sweep_all, sweepgen - 1) is waited
 * for: its sweep writes the marks it keeps.  Returns the spans cleared. */
uint64_t gc_marks_clear(void)
{
	uint64_t n = 0;
	uint32_t sg = __atomic_load_n(&rt_sweepgen, __ATOMIC_ACQUIRE);
	uintptr_t used = __atomic_load_n(&rt_arena_used, __ATOMIC_ACQUIRE);
	for (uintptr_t a = rt_arena_lo; a < used; a += RT_HP) {
		struct mspan *s = collected_span_at(a);
		if (!s)
			continue;
		while (__atomic_load_n(&s->sweepgen, __ATOMIC_ACQUIRE) == sg - 1)
			plat_relax();  /* its sweeper finishes without a lock */
		for (unsigned w = 0; w < RT_SPAN_WORDS; w++)
			__atomic_store_n(&s->markbits[w], 0, __ATOMIC_RELAXED);
		n++;
	}
	return n;
}

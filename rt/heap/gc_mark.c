/*
 * gc_mark.c - the collector's marking: the mark stack, conservative
 * scanning, batches of grey objects scanned on several CPUs at once, and
 * the roots (gc.c's essay has the cycle; the write barrier, the re-scan of
 * pages the dirty bits say were written while it marked, is gc_dirty.c).
 *
 * Colours: an object is white (mark bit clear), grey (mark bit set, its
 * range on the mark stack), or black (set, scanned).  Mark bits are set
 * with atomic ORs, since the mutators set them too: a window a cache
 * reserves while marking is born marked (mcentral.c: reserve), and so is a
 * large object (malloc.c).  Born objects are never scanned as such: what
 * is stored into them is found by the dirty re-scan, like every store into
 * an object already black.
 *
 * Conservative: any aligned word that holds an address inside an
 * allocated collected object marks it (interior pointers count); words in
 * malloc'd objects, data and bss, and stacks are roots.  Most words are
 * no heap address, so the word loop (scan_words) is what roots and
 * re-scans cost: eight words a turn, a load, a subtraction, a compare and
 * a branch each.  A span's objects to scan (allocated; for a collected
 * span, marked) are found a bitmap word at a time and scanned as runs of
 * adjacent objects, one range each, rather than one call per object: a
 * dirty page of born objects is one scan of the page.  Grey objects are
 * scanned by the marking loop ("the marking loop", below), which pops,
 * scans and marks without a call in the common case.
 *
 * The write barrier (the dirty record, its harvests and re-scans) is
 * gc_dirty.c.
 *
 * Stacks are scanned concurrently (gc_stack.c): the start pause notes each
 * goroutine's saved sp, the worker scans from there up.
 * Statics that hold no pointer to a collected object (the marker's own
 * state here, gc.c's, the caches, the page heap's, the Ms and the
 * scheduler's) are PLAT_GC_NOROOT: not roots, so the pages the collector
 * dirties on its way to the final pause cost nothing.
 *
 * Reading under running mutators: the scan reads words that mutators
 * write (a torn read is impossible: aligned 8-byte loads), objects they
 * free (their pages stay mapped: nothing is scavenged while marking,
 * pageheap.c), and span fields without the span's lock: malloc'd spans
 * are found through the span table, checked to cover the page, and
 * ranges are clipped to the arena's heap pages.  A stale answer can only
 * mark more (floating garbage, freed next cycle), never miss a pointer
 * stored after the clear: that store dirtied its page.
 *
 * Locking: the work lock (gc_impl.h) for the mark stack and gc_ms; an
 * M's own stack (batches, below) is its own while it holds the batch.
 * Context: a goroutine holding m->locks (the collector, a helper, or an
 * assist).
 */
#include <string.h>
#include "rt/heap/gc_impl.h"


/* the marker's state (counters, the mark stack's pages from the page
 * heap, the bitmap, data's runs) holds no pointer to a collected object */
PLAT_GC_NOROOT struct gc_mark_stats gc_ms;
PLAT_GC_NOROOT struct mspan *gc_typed_done;
static PLAT_GC_NOROOT volatile int work_locked;

void gc_work_lock(void)
{
	while (__atomic_exchange_n(&work_locked, 1, __ATOMIC_ACQUIRE))
		plat_relax();
}

int gc_work_trylock(void) { return !__atomic_exchange_n(&work_locked, 1, __ATOMIC_ACQUIRE); }

void gc_work_unlock(void) { __atomic_store_n(&work_locked, 0, __ATOMIC_RELEASE); }

/* ---- the mark stack ---- */

struct work {
	uintptr_t lo, hi;
};
static PLAT_GC_NOROOT struct work *wstack;
static PLAT_GC_NOROOT size_t wtop, wcap;
static PLAT_GC_NOROOT struct mspan *wspan;
static PLAT_GC_NOROOT int overflowed;  /* an object was marked but could not be pushed */

/* The mark stack stays allocated between cycles (a full heap must still
 * be collectable).  When it cannot grow, the object stays marked but
 * unscanned and `overflowed` says so: gc_mark_overflow() then scans every
 * marked object again until no push fails. */
/* Grow the full mark stack; 0 when it cannot (overflowed set). */
__attribute__((noinline)) static int push_grow(void)
{
	size_t ncap = wcap ? wcap * 2 : 32768;
	size_t npages = (ncap * sizeof(struct work) + RT_HP - 1) / RT_HP;
	struct mspan *s = rt_pageheap_alloc(npages, RT_HP);
	if (!s) {
		overflowed = 1;
		return 0;
	}
	if (wtop)
		memcpy((void *)s->base, wstack, wtop * sizeof(struct work));
	if (wspan)
		rt_pageheap_free(wspan);
	wspan = s;
	wstack = (struct work *)s->base;
	wcap = npages * RT_HP / sizeof(struct work);
	return 1;
}

/* Inline: every object marked passes here (a call and its frame were a
 * fifth of marking's instructions on binary-trees' 16-byte nodes). */
__attribute__((always_inline)) static inline void push_global(uintptr_t lo, uintptr_t hi)
{
	if (__builtin_expect(wtop == wcap, 0) && !push_grow())
		return;
	wstack[wtop].lo = lo;
	wstack[wtop].hi = hi;
	wtop++;
}

void gc_mark_begin(void)
{
	wtop = 0;
	overflowed = 0;
	memset(&gc_ms, 0, sizeof(gc_ms));
}

/* ---- batches: marking on several CPUs at once ----
 *
 * While gc_par_on is set (concurrent marking with more than one CPU: the
 * start pause sets it, the final pause clears it, both with the world
 * stopped), grey objects may also be scanned outside the work lock, in
 * batches (gc_drain_shared): under the lock a batch of up to BATCH
 * entries moves from the mark stack to the M's own stack (struct local,
 * from the page heap, kept between cycles) and `inflight` counts it; the
 * batch is scanned without the lock, what it marks pushed on the M's
 * stack (push: locals[plat_m_id()] is set while the M holds a batch), its
 * counts kept aside; under the lock again, what is left goes back to the
 * mark stack, the counts into gc_ms, and inflight down.  A full local
 * stack gives its older half back under the lock (spill).  Mark bits are
 * set by atomic ORs, so two CPUs never both push one object.
 *
 * Holding a batch, an M holds m->locks (no preemption: a batch is never
 * parked with grey objects in it), and the world cannot stop until the
 * batch is back: with the world stopped, inflight is 0 and the mark stack
 * holds every grey object.  A batch is cut short when a stop is asked
 * for (rt_stw) or at its deadline.  The lock is taken to start a batch
 * with a trylock only: the collector may hold it while it stops the
 * world (the final pause after the last stretch), and then inflight is 0
 * (gc_drain_all) and no batch may begin.  Giving a batch back takes the
 * lock by spinning: the collector never waits for a batch holding it. */
#define BATCH 64u          /* grey objects a batch takes */
#define LOCAL_CAP 2048u    /* entries of an M's own stack: 32 KiB */

struct local {
	struct work *w;
	size_t n;
	uint64_t marked, scanned;
};
PLAT_GC_NOROOT volatile int gc_par_on;
static PLAT_GC_NOROOT struct local local_st[RT_MAX_M];
static PLAT_GC_NOROOT struct local *volatile locals[RT_MAX_M];
static PLAT_GC_NOROOT volatile unsigned inflight;
PLAT_GC_NOROOT uint64_t gc_helper_bytes;

/* A full local stack: its older half to the mark stack (spinning for the
 * lock: see above). */
static void spill(struct local *l)
{
	size_t k = l->n / 2;
	gc_work_lock();
	for (size_t i = 0; i < k; i++)
		push_global(l->w[i].lo, l->w[i].hi);
	gc_work_unlock();
	memmove(l->w, l->w + k, (l->n - k) * sizeof(struct work));
	l->n -= k;
}

/* Push on an M's own stack (its batch), its older half spilled when full. */
__attribute__((always_inline)) static inline void push_local(struct local *l, uintptr_t lo, uintptr_t hi)
{
	if (__builtin_expect(l->n == LOCAL_CAP, 0))
		spill(l);
	l->w[l->n].lo = lo;
	l->w[l->n].hi = hi;
	l->n++;
}

__attribute__((always_inline)) static inline void push(uintptr_t lo, uintptr_t hi)
{
	if (__builtin_expect(__atomic_load_n(&gc_par_on, __ATOMIC_RELAXED), 0)) {
		struct local *l = locals[plat_m_id()];
		if (l) {
			push_local(l, lo, hi);
			return;
		}
	}
	push_global(lo, hi);
}

/* The bytes of an object just marked: its M's batch's count, or gc_ms
 * (work lock held). */
static inline void count_marked(uint64_t n)
{
	if (__builtin_expect(__atomic_load_n(&gc_par_on, __ATOMIC_RELAXED), 0)) {
		struct local *l = locals[plat_m_id()];
		if (l) {
			l->marked += n;
			return;
		}
	}
	gc_ms.marked_bytes += n;
}

/* Set a mark bit; 1 when it was clear. */
static inline int set_mark(volatile uint64_t *w, uint64_t bit)
{
	if (__atomic_load_n(w, __ATOMIC_RELAXED) & bit)
		return 0;
	return !(__atomic_fetch_or(w, bit, __ATOMIC_ACQ_REL) & bit);
}

/* Set the mark bit of the slot of small span s (at base) that holds p:
 * its index when the slot is allocated and its bit was clear, else -1
 * (the span's tail, a free slot, marked already). */
__attribute__((always_inline, no_sanitize("thread")))
static inline int64_t mark_slot(struct mspan *s, uintptr_t p, uintptr_t base)
{
	uint32_t idx = (uint32_t)(((uint64_t)(p - base) * RT_PEEK(s->divmul)) >> 32);
	if (idx >= RT_PEEK(s->nelems) || idx >= RT_SPAN_MAXOBJ)
		return -1;  /* the span's tail */
	uint64_t bit = 1ull << (idx & 63);
	if (!(__atomic_load_n(&s->allocbits[idx >> 6], __ATOMIC_ACQUIRE) & bit) ||
	    !set_mark(&s->markbits[idx >> 6], bit))
		return -1;
	return idx;
}

/* Mark the object holding p, an address inside the arena's heap pages. */
__attribute__((no_sanitize("thread")))
static void mark_in_arena(uintptr_t p)
{
	struct mspan *s = __atomic_load_n(&rt_spans[(p - rt_arena_lo) >> RT_HP_SHIFT], __ATOMIC_ACQUIRE);
	if (!s)
		return;
	uint8_t state = RT_PEEK(s->state);
	__atomic_signal_fence(__ATOMIC_ACQUIRE);
	uint8_t kind = RT_PEEK(s->kind);
	uintptr_t base = RT_PEEK(s->base);
	if (rt_kind_malloc(kind) || p - base >= RT_PEEK(s->npages) * RT_HP)  /* below base too */
		return;
	if (state == SPAN_SMALL) {
		int64_t idx = mark_slot(s, p, base);
		if (idx < 0)
			return;
		uint32_t size = RT_PEEK(s->elemsize);
		count_marked(size);
		uintptr_t obj = base + (uintptr_t)idx * size;
		if (kind == KIND_GC_SCAN)
			push(obj, obj + size);
		else if (kind == KIND_GC_TYPED)  /* tagged: scanned by its bitmap */
			push(obj | 1, obj + size);
	} else if (state == SPAN_LARGE) {
		if (!set_mark(&s->markbits[0], 1))
			return;
		size_t npages = RT_PEEK(s->npages);
		count_marked(npages * RT_HP);
		if (kind == KIND_GC_SCAN)
			push(base, base + npages * RT_HP);
		else if (kind == KIND_GC_TYPED)  /* tagged: scanned by its bitmap */
			push(base | 1, base + npages * RT_HP);
	}
}

/* The marking loop's way out for what mark_fast does not handle inline. */
__attribute__((noinline)) static void mark_other(uintptr_t p) { mark_in_arena(p); }

static inline void mark_word(uintptr_t p)
{
	if (p - rt_arena_lo < __atomic_load_n(&rt_arena_used, __ATOMIC_ACQUIRE) - rt_arena_lo)
		mark_in_arena(p);
}

/* ---- the marking loop ----
 *
 * Every grey object passes here (gc_drain, gc_drain_bytes, the batches):
 * popped, its words scanned, what they reach marked and pushed, all in
 * one loop (drain_one, scan_words and mark_fast, inlined into each), so
 * that a grey object costs no call and no saved registers; roots and
 * re-scans take the same word loop (scan).  The common case is a small
 * object of a collected span that may hold pointers, reaching another,
 * or one marked already (a re-scan); anything else (a typed object, a
 * word into a large object, a malloc'd span or a span being set up)
 * takes the general path, scan_object and mark_in_arena, with the same
 * checks.  Without the calls and their frames binary-trees takes 27%
 * fewer instructions (docs/heap.md, "The marking loop").
 *
 * Mark what p = rt_arena_lo + q reaches (q less than the heap pages'
 * length: the word loop keeps only the difference, one register move
 * less a word) and push it on l's stack (an M's batch) or, l NULL, on
 * the mark stack (work lock held, no batch of this M out: push's
 * choice, made once). */
__attribute__((always_inline, no_sanitize("thread")))
static inline void mark_fast(uintptr_t q, struct local *l)
{
	/* rt_arena_lo read again (it never changes once set), so that the
	 * compiler does not keep the loaded word alive for p */
	uintptr_t p = RT_PEEK(rt_arena_lo) + q;
	struct mspan *s = __atomic_load_n(&rt_spans[q >> RT_HP_SHIFT], __ATOMIC_ACQUIRE);
	if (!s)
		return;
	uint8_t state = RT_PEEK(s->state);
	__atomic_signal_fence(__ATOMIC_ACQUIRE);
	uint8_t kind = RT_PEEK(s->kind);
	if (__builtin_expect(state != SPAN_SMALL || kind != KIND_GC_SCAN, 0)) {
		mark_other(p);
		return;
	}
	uintptr_t base = RT_PEEK(s->base);
	if (p - base >= RT_PEEK(s->npages) * RT_HP)  /* below base too: unsigned */
		return;
	int64_t idx = mark_slot(s, p, base);
	if (idx < 0)
		return;
	uint32_t size = RT_PEEK(s->elemsize);
	uintptr_t obj = base + (uintptr_t)idx * size;
	if (l) {
		l->marked += size;
		push_local(l, obj, obj + size);
	} else {
		gc_ms.marked_bytes += size;
		push_global(obj, obj + size);
	}
}

/* Scan the words [a, end) (word-aligned), marking what they reach as
 * mark_fast does: eight a turn, each less the arena's base as it is
 * loaded, a load, a subtraction, a compare and a branch a word (most are
 * no heap address).  The arena's bounds are read once: a heap that grows
 * meanwhile grows with born-marked objects, which need no mark. */
__attribute__((always_inline, no_sanitize("address", "thread")))
static inline void scan_words(const volatile uintptr_t *a, const volatile uintptr_t *end, struct local *l)
{
	uintptr_t base = rt_arena_lo, len = __atomic_load_n(&rt_arena_used, __ATOMIC_ACQUIRE) - base;
	for (; end - a >= 8; a += 8)
#pragma GCC unroll 8   /* whole: mark_fast's size would keep it a loop */
		for (unsigned i = 0; i < 8; i++) {
			uintptr_t q = a[i] - base;
			if (__builtin_expect(q < len, 0))
				mark_fast(q, l);
		}
	for (; a < end; a++) {
		uintptr_t q = *a - base;
		if (__builtin_expect(q < len, 0))
			mark_fast(q, l);
	}
}

/* Reads any memory word by word: stacks hold sanitizer redzones and other
 * goroutines' frames, and mutators write what is read (gc_mark.c's
 * essay: a racing store is re-scanned through its dirty page).  Roots
 * and re-scans: the work lock held, no batch of this M out, so what it
 * marks goes on the mark stack. */
__attribute__((no_sanitize("address", "thread")))
static void scan(uintptr_t lo, uintptr_t hi)
{
	lo = (lo + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
	if (hi < lo + sizeof(uintptr_t))
		return;
	const volatile uintptr_t *a = (const volatile uintptr_t *)lo;
	scan_words(a, a + (hi - lo) / sizeof(uintptr_t), NULL);
}

static void mark_one(uintptr_t p) { mark_word(p); }

/* One object: conservatively, or by its pointer bitmap (gctyped.c). */
static void scan_object(unsigned kind, uintptr_t lo, uintptr_t hi)
{
	if (kind == KIND_GC_TYPED)
		rt_gc_scan_typed(lo, hi, mark_one);
	else
		scan(lo, hi);
}

/* Pop one grey object from l's stack (or, l NULL, the mark stack) and
 * scan it; returns its bytes.  Reads as scan() does (mutators write what
 * is read); a grey object's bounds are its slot's, word-aligned. */
__attribute__((always_inline, no_sanitize("address", "thread")))
static inline uint64_t drain_one(struct local *l)
{
	struct work w = l ? l->w[--l->n] : wstack[--wtop];
	uintptr_t lo = w.lo & ~(uintptr_t)1;  /* bit 0: a typed object */
	if (__builtin_expect(w.lo & 1, 0)) {
		scan_object(KIND_GC_TYPED, lo, w.hi);
		return w.hi - lo;
	}
	scan_words((const volatile uintptr_t *)lo, (const volatile uintptr_t *)w.hi, l);
	return w.hi - lo;
}

int gc_drain(uint64_t deadline)
{
	unsigned n = 0;
	uint64_t done = 0;
	int r = 1;
	while (wtop) {
		if (deadline && (++n & 63) == 0 && plat_nanotime() >= deadline) {
			r = 0;
			break;
		}
		done += drain_one(NULL);
	}
	gc_ms.scanned_bytes += done;
	return r;
}

void gc_drain_if_long(void)
{
	if (wtop > 4096)
		gc_drain(0);
}

uint64_t gc_drain_bytes(uint64_t budget)
{
	uint64_t done = 0;
	while (wtop && done < budget)
		done += drain_one(NULL);
	gc_ms.scanned_bytes += done;
	return done;
}

/* A batch (see "batches" above): returns 1 when the mark stack was
 * empty with no batch out, or marking in parallel is over; 0 when cut
 * short (deadline, a stop of the world); -1 when there is nothing to take
 * now (the lock busy, or the mark stack empty while other batches are
 * out) or no local stack could be had.  Work lock not held; m->locks
 * held. */
int gc_drain_shared(uint64_t deadline)
{
	unsigned id = plat_m_id();
	struct local *l = &local_st[id];
	if (!l->w) {
		struct mspan *sp = rt_pageheap_alloc(LOCAL_CAP * sizeof(struct work) / RT_HP, RT_HP);
		if (!sp)
			return -1;
		l->w = (struct work *)sp->base;
	}
	for (;;) {
		if (!gc_work_trylock())
			return -1;
		if (!__atomic_load_n(&gc_par_on, __ATOMIC_RELAXED)) {
			gc_work_unlock();
			return 1;
		}
		size_t k = wtop < BATCH ? wtop : BATCH;
		if (!k) {
			int none = __atomic_load_n(&inflight, __ATOMIC_ACQUIRE) == 0;
			gc_work_unlock();
			return none ? 1 : -1;
		}
		wtop -= k;
		memcpy(l->w, wstack + wtop, k * sizeof(struct work));
		l->n = k;
		__atomic_add_fetch(&inflight, 1, __ATOMIC_ACQ_REL);
		gc_work_unlock();
		__atomic_store_n(&locals[id], l, __ATOMIC_RELAXED);
		unsigned c = 0;
		int cut = 0;
		while (l->n) {
			if ((++c & 31) == 0 &&
			    (plat_nanotime() >= deadline || __atomic_load_n(&rt_stw, __ATOMIC_RELAXED))) {
				cut = 1;
				break;
			}
			l->scanned += drain_one(l);
		}
		__atomic_store_n(&locals[id], NULL, __ATOMIC_RELAXED);
		gc_work_lock();
		for (size_t i = 0; i < l->n; i++)
			push_global(l->w[i].lo, l->w[i].hi);
		l->n = 0;
		gc_ms.marked_bytes += l->marked;
		gc_ms.scanned_bytes += l->scanned;
		if (rt_getg()->fn == gc_mark_helper)
			gc_helper_bytes += l->scanned;
		l->marked = l->scanned = 0;
		__atomic_sub_fetch(&inflight, 1, __ATOMIC_ACQ_REL);
		gc_work_unlock();
		if (cut)
			return 0;
	}
}

/* Work lock held: drain, and wait (the lock let go meanwhile) until no
 * batch is out, so that every grey object is on the mark stack and
 * scanned.  Without marking in parallel, gc_drain(0). */
void gc_drain_all(void)
{
	for (;;) {
		gc_drain(0);
		if (!__atomic_load_n(&inflight, __ATOMIC_ACQUIRE))
			return;
		gc_work_unlock();
		while (__atomic_load_n(&inflight, __ATOMIC_ACQUIRE))
			plat_relax();
		gc_work_lock();
	}
}

/* World stopped, at the final pause: marking in parallel is over.  A
 * batch out now would hold grey objects the pause cannot see: a broken
 * invariant, not a state to mark through. */
void gc_par_end(void)
{
	if (__atomic_load_n(&inflight, __ATOMIC_ACQUIRE))
		rt_throw("gc: a batch of grey objects out with the world stopped");
	__atomic_store_n(&gc_par_on, 0, __ATOMIC_SEQ_CST);
}

/* Work lock held: no grey object left anywhere (the mark stack empty, no
 * batch out). */
int gc_mark_idle(void) { return !wtop && !__atomic_load_n(&inflight, __ATOMIC_ACQUIRE); }

void gc_mark_overflow(void)
{
	while (overflowed) {
		overflowed = 0;
		for (struct mspan *s = rt_allspans; s; s = s->allnext) {
			if (s->kind != KIND_GC_SCAN && s->kind != KIND_GC_TYPED)
				continue;
			if (s->state == SPAN_LARGE) {
				if (s->markbits[0]) {
					scan_object(s->kind, s->base, s->base + s->npages * RT_HP);
					gc_drain(0);
				}
				continue;
			}
			for (unsigned w = 0; w < (s->nelems + 63u) / 64u; w++)
				for (uint64_t b = s->markbits[w]; b; b &= b - 1) {
					uintptr_t obj = rt_span_obj(s, w, (unsigned)__builtin_ctzll(b));
					scan_object(s->kind, obj, obj + s->elemsize);
					gc_drain(0);
				}
		}
	}
}

/* ---- roots ---- */

void gc_scan_root(uintptr_t lo, uintptr_t hi)
{
	gc_ms.roots_bytes += hi > lo ? hi - lo : 0;
	scan(lo, hi);
}

#define MAXDATA 64

/* Data and bss: the runs plat_gc_data gives (read once a cycle, before
 * its first pause: on bare metal it looks up every page's mapping). */
static PLAT_GC_NOROOT uintptr_t dlo[MAXDATA], dhi[MAXDATA];
static PLAT_GC_NOROOT unsigned dn;

void gc_data_refresh(void) { dn = plat_gc_data(dlo, dhi, MAXDATA); }

unsigned gc_data_runs(const uintptr_t **lo, const uintptr_t **hi)
{
	*lo = dlo;
	*hi = dhi;
	return dn;
}

void gc_mark_data_roots(void)
{
	for (unsigned i = 0; i < dn; i++)
		gc_scan_root(dlo[i], dhi[i]);
}

/* The span starting at heap page address a, if it is a span in use. */
__attribute__((no_sanitize("thread")))
struct mspan *gc_span_at(uintptr_t a, uint8_t *state)
{
	struct mspan *s = __atomic_load_n(&rt_spans[(a - rt_arena_lo) >> RT_HP_SHIFT], __ATOMIC_ACQUIRE);
	if (!s)
		return NULL;
	*state = RT_PEEK(s->state);
	__atomic_signal_fence(__ATOMIC_ACQUIRE);
	if (*state != SPAN_SMALL && *state != SPAN_LARGE)
		return NULL;
	return s;
}

/* Scan the allocated objects of malloc span s (or, for a collected span,
 * the marked ones) that overlap [lo, hi), clipped to it and to the
 * arena's heap pages. */
__attribute__((no_sanitize("thread")))
void gc_scan_span_range(struct mspan *s, uint8_t state, uintptr_t lo, uintptr_t hi)
{
	uintptr_t used = __atomic_load_n(&rt_arena_used, __ATOMIC_ACQUIRE);
	uintptr_t base = RT_PEEK(s->base), end = base + RT_PEEK(s->npages) * RT_HP;
	uint8_t kind = RT_PEEK(s->kind);
	if (kind == KIND_GC_NOSCAN || kind == KIND_MALLOC_NOSCAN)
		return;
	if (lo < base)
		lo = base;
	if (hi > end)
		hi = end;
	if (hi > used)
		hi = used;
	if (lo >= hi || lo < rt_arena_lo)
		return;
	if (state == SPAN_LARGE) {
		if (kind == KIND_GC_TYPED) {
			/* by its bitmap, whole (its trailer is at the slot's end),
			 * once a pass: a pass visits pages in address order, so
			 * its next dirty pages are this same object's (without
			 * this, a 1 MiB object with every page dirty was scanned
			 * 256 times a pass) */
			if (s != gc_typed_done && __atomic_load_n(&s->markbits[0], __ATOMIC_ACQUIRE)) {
				gc_typed_done = s;
				gc_ms.typed_large_bytes += end - base;
				rt_gc_scan_typed(base, end, mark_one);
			}
		} else if (kind == KIND_MALLOC || __atomic_load_n(&s->markbits[0], __ATOMIC_ACQUIRE)) {
			gc_scan_root(lo, hi);
		}
		return;
	}
	uint32_t size = RT_PEEK(s->elemsize), nelems = RT_PEEK(s->nelems), divmul = RT_PEEK(s->divmul);
	if (!size)
		return;
	uint32_t first = (uint32_t)(((uint64_t)(lo - base) * divmul) >> 32);
	uint32_t last = (uint32_t)(((uint64_t)(hi - 1 - base) * divmul) >> 32);
	if (last >= nelems)
		last = nelems - 1;
	if (last >= RT_SPAN_MAXOBJ)
		last = RT_SPAN_MAXOBJ - 1;
	/* the objects to scan, a bitmap word at a time: allocated, and for a
	 * collected span marked (a white object is scanned whole if it is
	 * ever marked); each run of adjacent ones is scanned as one range
	 * (conservative scanning of adjacent objects is the scan of their
	 * union), a typed object alone by its bitmap */
	for (uint32_t w = first / 64; w <= last / 64; w++) {
		uint64_t bits = __atomic_load_n(&s->allocbits[w], __ATOMIC_ACQUIRE);
		if (kind != KIND_MALLOC)
			bits &= __atomic_load_n(&s->markbits[w], __ATOMIC_ACQUIRE);
		if (w == first / 64)
			bits &= ~0ull << (first % 64);
		if (w == last / 64 && last % 64 != 63)
			bits &= (2ull << (last % 64)) - 1;
		while (bits) {
			unsigned b = (unsigned)__builtin_ctzll(bits);
			uint64_t rest = ~(bits >> b);
			unsigned n = kind == KIND_GC_TYPED ? 1u : rest ? (unsigned)__builtin_ctzll(rest) : 64u - b;
			bits = n + b >= 64 ? 0 : bits & (~0ull << (b + n));
			uintptr_t o = base + ((uintptr_t)w * 64 + b) * size, oe = o + (uintptr_t)n * size;
			if (kind == KIND_GC_TYPED)
				rt_gc_scan_typed(o, oe, mark_one);  /* whole, by its bitmap */
			else
				gc_scan_root(o > lo ? o : lo, oe < hi ? oe : hi);
		}
	}
}

__attribute__((no_sanitize("thread")))
void gc_mark_malloc_roots(void)
{
	uintptr_t used = __atomic_load_n(&rt_arena_used, __ATOMIC_ACQUIRE);
	for (uintptr_t a = rt_arena_lo; a < used; a += RT_HP) {
		uint8_t state;
		struct mspan *s = gc_span_at(a, &state);
		if (!s || RT_PEEK(s->base) != a || RT_PEEK(s->kind) != KIND_MALLOC)
			continue;
		gc_scan_span_range(s, state, a, a + RT_PEEK(s->npages) * RT_HP);
		if (wtop > 4096)
			gc_drain(0);  /* keep the mark stack short */
	}
}

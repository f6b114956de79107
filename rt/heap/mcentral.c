/*
 * mcentral.c - small-object spans between the page heap and the per-M
 * caches: window refills, the central partial lists, and the frees that
 * move a span between them.
 *
 * A span of a small class is in exactly one of these places:
 *   - a cache: some M's mcache allocates from it (incache = 1); the
 *     cache's window holds up to 64 of its objects, reserved (bits set);
 *   - its class's partial list: not in a cache, some object free
 *     (onlist = 1);
 *   - nowhere: not in a cache and every object allocated (full); the
 *     first free() of one of its objects puts it on the partial list;
 *   - back in the page heap: the last free() of a span in no cache gives
 *     its pages back (then it is no longer a small span at all), unless
 *     the class's partial list would be left empty: one empty span per
 *     class and kind stays there, so a malloc/free loop does not churn
 *     spans through the page heap.
 * The moves are decided under the class's central lock from the span's
 * nfree as it is then, so a free() racing with a cache that lets the span
 * go cannot lose the span (one of them sees the final count).
 *
 * Window: the cache takes one 64-bit word of allocbits at a time,
 * reserving all its clear bits with one atomic OR; frees on other Ms clear
 * bits of the same word concurrently with atomic ANDs.  A cache scans its
 * span's words once (scanword); when the span has nothing left it goes
 * back to the central list (or stays nowhere if full) and the cache takes
 * another: frees that land behind scanword are found when the span comes
 * round again.
 *
 * The collector (gc.c): while it marks, a window reserved in a collected
 * span is born marked (its bits ORed into markbits, its bytes counted in
 * rt_gc_born_bytes; a window given back unused takes them back; with
 * gcgen=1 its bits are ORed into bornbits too), and a
 * collected span taken from a central list is swept first if this cycle
 * has not swept it yet (rt_gc_sweep_before_use, under the central's lock;
 * gc_sweep.c).  A new span gets the current sweep generation before its
 * kind (rt_span_born).
 *
 * Checks (heapcheck=1): a free object holds RT_POISON in every byte (new
 * spans are filled, free() refills); a refill verifies each object it
 * reserves and reports a write after free naming the object and offset.
 * A large block's pages are the page heap's to check (pageheap.c:
 * poisoned spans).
 *
 * Locking: a central's lock guards its list and the incache/onlist flags
 * of its spans; it is taken before the page heap's lock.  A cache is used
 * only by its own M: refills run pinned (m->locks > 0, the caller's
 * rt_acquirem).
 * Context: thread context on an M.
 */
#include <string.h>
#include "rt/heap/heap.h"

struct mcentral {
	struct rt_lock lock;
	struct mspan *partial;
};

/* spans and windows of free objects: no pointer to a live collected
 * object, so not roots (PLAT_GC_NOROOT; the collector's final pause gives
 * the windows back, writing them) */
static PLAT_GC_NOROOT struct mcentral central[RT_NKINDS][RT_NCLASSES];
PLAT_GC_NOROOT struct mcache rt_mcaches[RT_MAX_M];
struct mspan *rt_allspans;
struct rt_lock rt_allspans_lock;

void rt_allspans_add(struct mspan *s)
{
	rt_lock(&rt_allspans_lock);
	s->allprev = NULL;
	s->allnext = rt_allspans;
	if (rt_allspans)
		rt_allspans->allprev = s;
	rt_allspans = s;
	rt_unlock(&rt_allspans_lock);
}

void rt_allspans_remove(struct mspan *s)
{
	rt_lock(&rt_allspans_lock);
	if (s->allprev)
		s->allprev->allnext = s->allnext;
	else
		rt_allspans = s->allnext;
	if (s->allnext)
		s->allnext->allprev = s->allprev;
	s->allnext = s->allprev = NULL;
	rt_unlock(&rt_allspans_lock);
}

static struct mcentral *central_of(const struct mspan *s) { return &central[s->kind][s->cls]; }

static unsigned span_words(const struct mspan *s) { return (s->nelems + 63u) / 64u; }

static uint64_t word_mask(const struct mspan *s, unsigned w)
{
	unsigned left = s->nelems - w * 64u;
	return left >= 64 ? ~0ull : (1ull << left) - 1;
}

static void plist_push(struct mcentral *c, struct mspan *s)
{
	s->prev = NULL;
	s->next = c->partial;
	if (c->partial)
		c->partial->prev = s;
	c->partial = s;
	s->onlist = 1;
}

static void plist_remove(struct mcentral *c, struct mspan *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		c->partial = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
	s->onlist = 0;
}

/* A span in no cache whose nfree may have changed: put it where it
 * belongs (central lock held). */
static void settle(struct mcentral *c, struct mspan *s)
{
	/* nfree may lag a free() that cleared its bit and was preempted
	 * before counting (even below 0): <= 0 is "full" here, and that free's
	 * count brings the span back when it lands.  Never higher than the
	 * truth outside a cache (reserve counts after it sets bits, but only
	 * for the span its own M holds), so a span put on the list has a free
	 * bit: a refill never spins on a list of spans with nothing to take. */
	int32_t nfree = __atomic_load_n(&s->nfree, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&s->incache, __ATOMIC_SEQ_CST) || s->state != SPAN_SMALL)
		return;
	int others = c->partial && (c->partial != s || s->next);
	if (nfree == (int32_t)s->nelems && others) {
		/* empty, and the class has another partial span: back to the
		 * page heap.  The last one stays on the list (below), so a
		 * malloc/free loop does not take a span from the page heap and
		 * give it back every window */
		if (s->onlist)
			plist_remove(c, s);
		__atomic_store_n(&s->state, SPAN_META, __ATOMIC_RELEASE);  /* no longer small: free() of it now fails */
		rt_allspans_remove(s);
		/* an empty collected span is all zero: its objects were never
		 * handed out, or were zeroed by the sweep that freed them */
		if (!rt_kind_malloc(s->kind))
			rt_pageheap_free_clean(s);
		else
			rt_pageheap_free(s);
	} else if (nfree > 0 && !s->onlist) {
		plist_push(c, s);  /* partial, or empty and the class's only one */
	}
}

void rt_span_fresh_objects(struct mspan *s)
{
	if (!rt_kind_malloc(s->kind)) {
		if (s->needzero)
			memset((void *)s->base, 0, s->npages * RT_HP);  /* collected memory is zeroed */
		s->needzero = 0;
	} else if (rt_heap_checks) {
		memset((void *)s->base, RT_POISON, s->npages * RT_HP);
		s->needzero = 1;
	}  /* else malloc'd memory keeps needzero: calloc clears what needs it */
}

static struct mspan *span_new_small(unsigned kind, unsigned cls)
{
	const struct rt_sizeclass *k = &rt_class[cls];
	struct mspan *s = rt_pageheap_alloc(k->npages, RT_HP);
	if (!s)
		return NULL;
	rt_span_born(s);  /* before its kind: the sweeper reads kind, then claims */
	s->cls = (uint8_t)cls;
	__atomic_store_n(&s->kind, (uint8_t)kind, __ATOMIC_RELEASE);
	s->nelems = (uint16_t)k->nelems;
	s->elemsize = k->size;
	s->divmul = k->divmul;
	s->nfree = (int32_t)k->nelems;
	s->scanword = 0;
	__atomic_store_n(&s->incache, 1, __ATOMIC_SEQ_CST);
	s->onlist = 0;
	for (unsigned w = 0; w < RT_SPAN_WORDS; w++) {  /* the marker may probe a stale span */
		__atomic_store_n(&s->allocbits[w], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s->markbits[w], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s->bornbits[w], 0, __ATOMIC_RELAXED);
	}
	rt_span_fresh_objects(s);
	rt_allspans_add(s);
	__atomic_store_n(&s->state, SPAN_SMALL, __ATOMIC_RELEASE);
	__atomic_fetch_add(&rt_hstats.spans_new, 1, __ATOMIC_RELAXED);
	return s;
}

static void check_poison(const struct mspan *s, uintptr_t obj)
{
	const uint8_t *b = (const uint8_t *)obj;
	for (uint32_t i = 0; i < s->elemsize; i++)
		if (b[i] != RT_POISON)
			rt_heap_misuse("write after free", (const void *)(obj + i), s);
}

/* Reserve the free objects of word w of s into k's window; 1 if any. */
static int reserve(struct mcache_class *k, struct mspan *s, unsigned w)
{
	uint64_t free = ~__atomic_load_n(&s->allocbits[w], __ATOMIC_RELAXED) & word_mask(s, w);
	if (!free)
		return 0;
	uint64_t old = __atomic_fetch_or(&s->allocbits[w], free, __ATOMIC_ACQ_REL);
	uint64_t got = free & ~old;
	if (!got)
		return 0;
	unsigned n = (unsigned)__builtin_popcountll(got);
	__atomic_fetch_sub(&s->nfree, (int32_t)n, __ATOMIC_ACQ_REL);
	__atomic_fetch_add(&rt_hstats.small_allocs, n, __ATOMIC_RELAXED);
	if (!rt_kind_malloc(s->kind)) {
		__atomic_fetch_add(&rt_gc_heap_alloc, (uint64_t)n * s->elemsize, __ATOMIC_RELAXED);
		if (__atomic_load_n(&rt_gc_marking, __ATOMIC_ACQUIRE)) {
			/* born marked: the marker never frees what is handed out
			 * while it marks (the flag changes only with the world
			 * stopped, and a refill holds m->locks) */
			__atomic_fetch_or(&s->markbits[w], got, __ATOMIC_ACQ_REL);
			if (__atomic_load_n(&rt_gc_generational, __ATOMIC_RELAXED))
				__atomic_fetch_or(&s->bornbits[w], got, __ATOMIC_RELAXED);  /* young next cycle */
			__atomic_fetch_add(&rt_gc_born_bytes, (uint64_t)n * s->elemsize, __ATOMIC_RELAXED);
		}
	}
	k->base = s->base + (uintptr_t)w * 64u * s->elemsize;
	k->size = s->elemsize;
	k->allocw = &s->allocbits[w];
	k->span = s;
	if (rt_heap_checks && rt_kind_malloc(s->kind))
		for (uint64_t b = got; b; b &= b - 1)
			check_poison(s, k->base + (uintptr_t)__builtin_ctzll(b) * s->elemsize);
	/* release: the window's base and size before its bits, for another
	 * M's look at this window (rt_span_free_in_window, below) */
	__atomic_store_n(&k->bits, got, __ATOMIC_RELEASE);
	return 1;
}

/* Give k's span back: its unused reserved objects come free again. */
static void release_span(struct mcache_class *k)
{
	struct mspan *s = k->span;
	if (!s)
		return;
	if (k->bits) {
		unsigned w = (unsigned)((k->base - s->base) / ((uintptr_t)64u * s->elemsize));
		unsigned n = (unsigned)__builtin_popcountll(k->bits);
		__atomic_fetch_and(&s->allocbits[w], ~k->bits, __ATOMIC_ACQ_REL);
		__atomic_fetch_add(&s->nfree, (int32_t)n, __ATOMIC_ACQ_REL);
		__atomic_fetch_sub(&rt_hstats.small_allocs, n, __ATOMIC_RELAXED);
		if (!rt_kind_malloc(s->kind)) {
			__atomic_fetch_sub(&rt_gc_heap_alloc, (uint64_t)n * s->elemsize, __ATOMIC_RELAXED);
			if (__atomic_load_n(&rt_gc_marking, __ATOMIC_ACQUIRE))
				__atomic_fetch_sub(&rt_gc_born_bytes, (uint64_t)n * s->elemsize, __ATOMIC_RELAXED);
		}
	}
	k->bits = 0;
	k->span = NULL;
	k->base = 0;  /* no stale pointer into the span for the collector to see */
	struct mcentral *c = central_of(s);
	rt_lock(&c->lock);
	__atomic_store_n(&s->incache, 0, __ATOMIC_SEQ_CST);
	settle(c, s);
	rt_unlock(&c->lock);
}

void rt_span_settle(struct mspan *s)
{
	struct mcentral *c = central_of(s);
	rt_lock(&c->lock);
	settle(c, s);
	rt_unlock(&c->lock);
}

int rt_mcache_refill(struct mcache *mc, unsigned kind, unsigned cls)
{
	struct mcache_class *k = &mc->k[kind][cls];
	__atomic_fetch_add(&rt_hstats.refills, 1, __ATOMIC_RELAXED);
	for (;;) {
		struct mspan *s = k->span;
		if (s) {
			unsigned nw = span_words(s);
			while (s->scanword < nw)
				if (reserve(k, s, s->scanword++))
					return 0;
			release_span(k);
		}
		struct mcentral *c = &central[kind][cls];
		rt_lock(&c->lock);
		s = c->partial;
		if (s) {
			plist_remove(c, s);
			if (!rt_kind_malloc(kind))
				rt_gc_sweep_before_use(s);  /* lazy sweep */
			__atomic_store_n(&s->incache, 1, __ATOMIC_SEQ_CST);
			s->scanword = 0;
		}
		rt_unlock(&c->lock);
		if (!s && !(s = span_new_small(kind, cls)))
			return -1;
		s->cachem = (uint8_t)(mc - rt_mcaches);
		k->span = s;
		k->bits = 0;
		unsigned b = kind * RT_NCLASSES + cls;
		mc->inuse[b / 64] |= 1ull << (b % 64);
	}
}

void rt_mcache_release_all(struct mcache *mc)
{
	for (unsigned w = 0; w < sizeof(mc->inuse) / sizeof(mc->inuse[0]); w++) {
		for (uint64_t bits = mc->inuse[w]; bits; bits &= bits - 1) {
			unsigned b = w * 64 + (unsigned)__builtin_ctzll(bits);
			release_span(&mc->k[b / RT_NCLASSES][b % RT_NCLASSES]);
		}
		mc->inuse[w] = 0;
	}
}

/* Whether the slot at p of small span s is free in the window of the M
 * whose cache holds s (its allocation bit is set, as for an object handed
 * out): free() of it is a double free (its first free put it back into
 * that window on its M, malloc_fast.c) or of a pointer never handed out,
 * and clearing the bit would let the span hand it out while the window
 * does too; a cleanup or weak reference on it names no object.
 * The window is another M's, read without its lock: the owner changes
 * its bits with plain stores, and moves it to another word or span only
 * once its bits are 0, storing the bits last (reserve, above).  An
 * object freed correctly is not in the window's bits whenever they are
 * read, so a racy read can miss a double free but not report one that is
 * not: the bit must be seen set twice, with the same window. */
__attribute__((no_sanitize("thread"))) int rt_span_free_in_window(const struct mspan *s, uintptr_t p)
{
	if (!__atomic_load_n(&s->incache, __ATOMIC_ACQUIRE))
		return 0;
	unsigned m = RT_PEEK(s->cachem), kind = RT_PEEK(s->kind), cls = RT_PEEK(s->cls);
	if (m >= RT_MAX_M || kind >= RT_NKINDS || cls >= RT_NCLASSES)
		return 0;
	const struct mcache_class *k = &rt_mcaches[m].k[kind][cls];
	uintptr_t seen = 0;
	for (int n = 0; n < 2; n++) {
		uint64_t bits = RT_PEEK(k->bits);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		uintptr_t base = RT_PEEK(k->base), size = RT_PEEK(k->size);
		if (RT_PEEK(k->span) != s || !size || p - base >= 64 * size || (p - base) % size ||
		    !((bits >> ((p - base) / size)) & 1) || (n && base != seen))
			return 0;
		seen = base;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	}
	return 1;
}

int rt_span_free_object(struct mspan *s, unsigned idx)
{
	/* Read what is needed of s while the object is still allocated: once
	 * its bit is clear, other frees may empty the span and it may go back
	 * to the page heap and be made again for another class. */
	uint32_t nelems = s->nelems;
	struct mcentral *c = central_of(s);
	__atomic_store_n(&s->needzero, 1, __ATOMIC_RELAXED);
	uint64_t bit = 1ull << (idx & 63);
	uint64_t old = __atomic_fetch_and(&s->allocbits[idx >> 6], ~bit, __ATOMIC_ACQ_REL);
	if (!(old & bit))
		return -1;
	/* sequentially consistent with release_span's store of incache and
	 * settle's load of nfree: one of the two sees the other's write */
	int32_t n = __atomic_add_fetch(&s->nfree, 1, __ATOMIC_SEQ_CST);
	if ((n == 1 || n == (int32_t)nelems) && !__atomic_load_n(&s->incache, __ATOMIC_SEQ_CST)) {
		rt_lock(&c->lock);
		/* still the span it was (small, of this central)? */
		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == SPAN_SMALL && central_of(s) == c)
			settle(c, s);
		rt_unlock(&c->lock);
	}
	return 0;
}

/*
 * pageheap.c - the arena, the span table and the page heap: runs of 8 KiB
 * heap pages for spans, large objects on whole pages, and the scavenger
 * that gives free pages back to the platform.
 *
 * Layout: plat_heap_reserve gives one range of address space.  Its first
 * part holds the span table (one pointer per heap page of the rest); the
 * rest is heap pages, handed out from rt_arena_lo upwards by a bump
 * pointer (rt_arena_used) and, once freed, kept on the page heap's free
 * lists.  Table pages are committed as the bump pointer passes the pages
 * they describe, so a small heap costs a small table.  Span structures
 * themselves come from meta chunks cut from the same bump pointer (they
 * are never given back; freed ones are reused).
 *
 * Free spans: free_exact[n] lists spans of exactly n pages (n < FREE_EXACT),
 * freelarge the rest; a bitmap says which exact lists are not empty, so
 * the first exact fit upwards is a find-first-set, not a walk of up to
 * 127 list heads; allocation takes the first exact fit upwards, then
 * the best fit among large ones, splits off what it does not need, and
 * grows the arena when nothing fits.  A free span's first and last pages
 * point at it in the table, so a freed span merges with free neighbours
 * in O(1) (spans merge only when both are backed or both scavenged, so a
 * free span is wholly one or the other).  Entries for a free span's inner
 * pages are stale (they name whatever span last held the page, and
 * structures are reused), so every lookup checks that the span it finds
 * really covers the page: merging checks adjacency, free() the range.  A span in use has every one of its pages pointing at it
 * (free() and, later, the collector find a span from any address in it).
 *
 * Scavenging: a free span may be "scavenged" (its pages released with
 * plat_heap_release).  rt_pageheap_free scavenges when free, backed pages
 * exceed max(SCAV_MIN, a quarter of the bytes in use), down to half that,
 * oldest-freed first; the time is charged to rt.gc.scavenge.  An
 * allocation that takes pages of a scavenged span commits them again
 * (fresh zero pages); needzero says whether a span's memory may hold old
 * data (calloc and the collector's allocations clear it then); a span
 * whose owner zeroed it already (an emptied collected span: the sweep
 * zeroed its dead objects) comes back with rt_pageheap_free_clean and
 * is not zeroed again.
 * Nothing is scavenged while the collector marks (rt_gc_marking): its
 * concurrent scan may still read a span freed under it.
 *
 * Checks (heapcheck=1): free() of a large block fills its pages with
 * RT_POISON and marks its span poisoned.  A free span merged with a
 * poisoned one is poisoned too (poison_join: most large blocks come free
 * next to free pages, which would end the check), a carved part keeps
 * the mark, a scavenged span loses it (its pages come back zero), and
 * rt_pageheap_alloc checks a poisoned span's pages before it hands them
 * out: a byte that changed is a write after free.
 *
 * Invariants: [rt_arena_lo, rt_arena_used) are heap pages each covered by
 * exactly one span (in use, free, or meta); no two free spans touch unless
 * one is scavenged and the other not; free_backed = bytes of free spans not scavenged.
 * Locking: heap_lock (an rt_lock) guards the free lists, the bump pointer,
 * the meta chunks and every free span's fields; a span in use belongs to
 * whoever allocated it.  rt_arena_used and table entries are published
 * with release stores so rt_span_of (no lock) sees only complete spans.
 * Context: thread context on an M, never an interrupt handler.
 */
#include <string.h>
#include "rt/heap/heap.h"

#define FREE_EXACT 128
#define GROW_MIN (64 * RT_HP)          /* grow the arena 512 KiB at a time */
#define META_CHUNK (16 * RT_HP)        /* span structures, 128 KiB at a time */
#define SCAV_MIN ((uint64_t)16 << 20)  /* keep up to 16 MiB of free pages */
#define ARENA_WANT ((size_t)64 << 30)

/* No roots (PLAT_GC_NOROOT): they point at span structures and the span
 * table, never into a collected object, and the page heap writes them
 * while the collector's final pause re-scans the dirty pages of data and
 * bss (gc_release_caches gives spans back in that pause). */
PLAT_GC_NOROOT uintptr_t rt_arena_lo, rt_arena_hi;
PLAT_GC_NOROOT struct mspan **rt_spans;
PLAT_GC_NOROOT volatile uintptr_t rt_arena_used;
PLAT_GC_NOROOT struct rt_heap_stats rt_hstats;
unsigned rt_class_alloc, rt_class_scavenge;

static PLAT_GC_NOROOT struct rt_lock heap_lock;
static PLAT_GC_NOROOT struct mspan *free_exact[FREE_EXACT];
static PLAT_GC_NOROOT uint64_t exact_bits[FREE_EXACT / 64];  /* bit n: free_exact[n] is not empty */
static PLAT_GC_NOROOT struct mspan *freelarge;
static PLAT_GC_NOROOT uintptr_t table_committed;      /* table bytes backed so far */
static PLAT_GC_NOROOT struct mspan *meta_free;        /* recycled span structures */
static PLAT_GC_NOROOT uintptr_t meta_next, meta_end;
static struct mspan meta_span = { .state = SPAN_META };
static uint64_t free_backed;

int rt_heap_init(void)
{
	size_t size = ARENA_WANT;
	uintptr_t base = plat_heap_reserve(&size);
	if (!base || size < 64 * RT_HP)
		return -1;
	base = (base + RT_HP - 1) & ~(RT_HP - 1);
	size &= ~(RT_HP - 1);
	/* table: 8 bytes per page of the rest, rounded to whole pages */
	size_t pages = size / (RT_HP + sizeof(struct mspan *));
	size_t table = (pages * sizeof(struct mspan *) + RT_HP - 1) & ~(RT_HP - 1);
	rt_spans = (struct mspan **)base;
	rt_arena_lo = base + table;
	rt_arena_hi = rt_arena_lo + pages * RT_HP;
	rt_arena_used = rt_arena_lo;
	rt_hstats.arena_reserved = size;
	rt_sizeclass_init();
	if (plat_heap_checks())
		rt_heap_checks = 1;
	rt_class_alloc = (unsigned)plat_ledger_class("rt.alloc");
	rt_class_scavenge = (unsigned)plat_ledger_class("rt.gc.scavenge");
	rt_gc_init();
	return 0;
}

static void list_push(struct mspan **head, struct mspan *s)
{
	s->prev = NULL;
	s->next = *head;
	if (*head)
		(*head)->prev = s;
	*head = s;
}

static void list_remove(struct mspan **head, struct mspan *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		*head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

static struct mspan **free_list(size_t npages)
{
	return npages < FREE_EXACT ? &free_exact[npages] : &freelarge;
}

/* A free span onto / off its list, exact_bits kept in step. */
static void free_push(struct mspan *s)
{
	list_push(free_list(s->npages), s);
	if (s->npages < FREE_EXACT)
		exact_bits[s->npages / 64] |= 1ull << (s->npages % 64);
}

static void free_remove(struct mspan *s)
{
	list_remove(free_list(s->npages), s);
	if (s->npages < FREE_EXACT && !free_exact[s->npages])
		exact_bits[s->npages / 64] &= ~(1ull << (s->npages % 64));
}

static void set_table(uintptr_t base, size_t npages, struct mspan *s)
{
	size_t i = (base - rt_arena_lo) >> RT_HP_SHIFT;
	for (size_t k = 0; k < npages; k++)
		__atomic_store_n(&rt_spans[i + k], s, __ATOMIC_RELEASE);
}

/* Grow the bump pointer by len bytes (heap_lock held): commit the pages
 * and the table entries that describe them.  Returns the old pointer, 0
 * when the arena or memory runs out. */
static uintptr_t bump(size_t len)
{
	uintptr_t at = rt_arena_used;
	if (len > rt_arena_hi - at)
		return 0;
	uintptr_t tend = (uintptr_t)&rt_spans[(at + len - rt_arena_lo) >> RT_HP_SHIFT];
	tend = (tend + RT_HP - 1) & ~(RT_HP - 1);
	if (tend > (uintptr_t)rt_spans + table_committed) {
		uintptr_t from = (uintptr_t)rt_spans + table_committed;
		if (plat_heap_commit(from, tend - from) < 0)
			return 0;
		table_committed = tend - (uintptr_t)rt_spans;
		rt_hstats.committed += tend - from;
	}
	if (plat_heap_commit(at, len) < 0) {
		plat_heap_release(at, len);  /* what was backed before memory ran out */
		return 0;
	}
	rt_hstats.committed += len;
	__atomic_store_n(&rt_arena_used, at + len, __ATOMIC_RELEASE);
	rt_hstats.arena_used = at + len - rt_arena_lo;
	return at;
}

static struct mspan *span_new(void)
{
	struct mspan *s = meta_free;
	if (s) {
		meta_free = s->next;
	} else {
		if (meta_next + sizeof(*s) > meta_end) {
			uintptr_t at = bump(META_CHUNK);
			if (!at)
				return NULL;
			set_table(at, META_CHUNK / RT_HP, &meta_span);
			meta_next = at;
			meta_end = at + META_CHUNK;
		}
		s = (struct mspan *)meta_next;
		meta_next += sizeof(*s);
	}
	memset(s, 0, sizeof(*s));
	return s;
}

static void span_dispose(struct mspan *s)
{
	__atomic_store_n(&s->state, 0, __ATOMIC_RELEASE);
	s->next = meta_free;
	meta_free = s;
}

/* heapcheck=1: free span s takes in its neighbour o; when one of the two
 * is poisoned (a large block's pages, poisoned by its free), the other is
 * poisoned too, so that the merged span is checked whole when handed out
 * (a clean neighbour would otherwise end the check: most large blocks
 * come free next to free pages).  Both are backed (merging needs equal
 * scavenged flags, and a scavenged span is never poisoned). */
static void poison_join(struct mspan *s, struct mspan *o)
{
	if (s->poisoned == o->poisoned)
		return;
	struct mspan *clean = s->poisoned ? o : s;
	memset((void *)clean->base, RT_POISON, clean->npages * RT_HP);
	s->poisoned = 1;
	s->needzero = 1;
}

/* Put free span s on its list, merged with free neighbours (lock held). */
static void free_insert(struct mspan *s)
{
	__atomic_store_n(&s->state, SPAN_FREE, __ATOMIC_RELEASE);
	uintptr_t lo = s->base, hi = s->base + s->npages * RT_HP;
	if (lo > rt_arena_lo) {
		struct mspan *l = rt_spans[((lo - rt_arena_lo) >> RT_HP_SHIFT) - 1];
		/* a span in use changes its own state without this lock (its
		 * owner types it, free() retires it), never to or from FREE:
		 * read atomically, FREE or not is all that matters */
		if (l && l != s && __atomic_load_n(&l->state, __ATOMIC_RELAXED) == SPAN_FREE && l->base + l->npages * RT_HP == lo &&
		    l->scavenged == s->scavenged) {
			free_remove(l);
			if (!l->scavenged)
				free_backed -= l->npages * RT_HP;
			s->needzero |= l->needzero;
			poison_join(s, l);
			s->base = l->base;
			s->npages += l->npages;
			if (l->freed_at < s->freed_at)
				s->freed_at = l->freed_at;
			span_dispose(l);
		}
	}
	if (hi < rt_arena_used) {
		struct mspan *r = rt_spans[(hi - rt_arena_lo) >> RT_HP_SHIFT];
		if (r && r != s && __atomic_load_n(&r->state, __ATOMIC_RELAXED) == SPAN_FREE && r->base == hi &&
		    r->scavenged == s->scavenged) {
			free_remove(r);
			if (!r->scavenged)
				free_backed -= r->npages * RT_HP;
			s->needzero |= r->needzero;
			poison_join(s, r);
			s->npages += r->npages;
			if (r->freed_at < s->freed_at)
				s->freed_at = r->freed_at;
			span_dispose(r);
		}
	}
	if (!s->scavenged)
		free_backed += s->npages * RT_HP;
	/* first and last page point at the free span (for merging) */
	set_table(s->base, 1, s);
	set_table(s->base + (s->npages - 1) * RT_HP, 1, s);
	free_push(s);
	rt_hstats.free_bytes = 0;  /* recomputed by rt_heap_read_stats */
}

/* The first span that can hold npages at alignment align (lock held). */
static struct mspan *find(size_t npages, size_t align)
{
	size_t extra = align > RT_HP ? align / RT_HP - 1 : 0;
	for (size_t n = npages + extra; n < FREE_EXACT; n = (n | 63) + 1) {
		uint64_t w = exact_bits[n / 64] & (~0ull << (n % 64));
		if (w)
			return free_exact[(n & ~(size_t)63) + (size_t)__builtin_ctzll(w)];
	}
	struct mspan *best = NULL;
	for (struct mspan *s = freelarge; s; s = s->next) {
		uintptr_t at = (s->base + align - 1) & ~(align - 1);
		if (at + npages * RT_HP <= s->base + s->npages * RT_HP &&
		    (!best || s->npages < best->npages))
			best = s;
	}
	if (!best && extra) {  /* exact lists: the extra pages may not be needed */
		for (size_t n = npages; n < FREE_EXACT; n++)
			for (struct mspan *s = free_exact[n]; s; s = s->next) {
				uintptr_t at = (s->base + align - 1) & ~(align - 1);
				if (at + npages * RT_HP <= s->base + s->npages * RT_HP)
					return s;
			}
	}
	return best;
}

/* Cut [at, at + npages) out of free span s (lock held); the parts before
 * and after go back on the free lists.  Returns the span for the cut. */
static struct mspan *carve(struct mspan *s, uintptr_t at, size_t npages)
{
	uintptr_t end = s->base + s->npages * RT_HP, cut_end = at + npages * RT_HP;
	struct mspan *h = at > s->base ? span_new() : NULL;
	struct mspan *t = cut_end < end ? span_new() : NULL;
	if ((at > s->base && !h) || (cut_end < end && !t)) {
		if (h)
			span_dispose(h);
		if (t)
			span_dispose(t);
		return NULL;  /* s is untouched, still on its list */
	}
	free_remove(s);
	if (!s->scavenged)
		free_backed -= s->npages * RT_HP;
	__atomic_store_n(&s->state, SPAN_META, __ATOMIC_RELEASE);  /* not free: the parts must not merge back into it */
	struct mspan *parts[2] = { h, t };
	uintptr_t from[2] = { s->base, cut_end }, to[2] = { at, end };
	for (int i = 0; i < 2; i++) {
		if (!parts[i])
			continue;
		parts[i]->base = from[i];
		parts[i]->npages = (to[i] - from[i]) / RT_HP;
		parts[i]->needzero = s->needzero;
		parts[i]->scavenged = s->scavenged;
		parts[i]->poisoned = s->poisoned;
		parts[i]->freed_at = s->freed_at;
		free_insert(parts[i]);
	}
	s->base = at;
	s->npages = npages;
	return s;
}

/* heapcheck=1: pages a large block's free filled with RT_POISON are
 * handed out again; a byte that changed was written after that free. */
static void check_poisoned(uintptr_t base, size_t len)
{
	const uint64_t poison = 0x0101010101010101ull * RT_POISON;
	for (size_t off = 0; off < len; off += 8)
		if (*(const uint64_t *)(base + off) != poison) {
			const uint8_t *b = (const uint8_t *)(base + off);
			unsigned i = 0;
			while (b[i] == RT_POISON)
				i++;
			rt_heap_misuse("write after free", b + i, NULL);
		}
}

struct mspan *rt_pageheap_alloc(size_t npages, size_t align)
{
	if (align < RT_HP)
		align = RT_HP;
	if (npages == 0 || npages > (rt_arena_hi - rt_arena_lo) / RT_HP)
		return NULL;
	rt_lock(&heap_lock);
	struct mspan *s = find(npages, align);
	if (!s) {
		size_t len = npages * RT_HP + (align > RT_HP ? align : 0);
		if (len < GROW_MIN)
			len = GROW_MIN;
		struct mspan *g = span_new();
		uintptr_t at = g ? bump(len) : 0;
		if (!at) {
			if (g)
				span_dispose(g);
			rt_unlock(&heap_lock);
			return NULL;
		}
		g->base = at;
		g->npages = len / RT_HP;
		g->freed_at = plat_nanotime();
		free_insert(g);
		s = find(npages, align);
	}
	uintptr_t at = (s->base + align - 1) & ~(align - 1);
	int scavenged = s->scavenged;
	s = carve(s, at, npages);
	if (!s) {
		rt_unlock(&heap_lock);
		return NULL;
	}
	if (scavenged && plat_heap_commit(s->base, npages * RT_HP) < 0) {
		plat_heap_release(s->base, npages * RT_HP);  /* what was backed of it */
		free_insert(s);
		rt_unlock(&heap_lock);
		return NULL;
	}
	if (scavenged)
		rt_hstats.committed += npages * RT_HP;
	s->scavenged = 0;
	int poisoned = s->poisoned;
	s->poisoned = 0;
	/* state SPAN_META (carve): not free, not yet typed; the caller sets it */
	set_table(s->base, npages, s);
	rt_unlock(&heap_lock);
	if (poisoned)
		check_poisoned(s->base, npages * RT_HP);
	return s;
}

static uint64_t scavenge_locked(uint64_t keep)
{
	uint64_t released = 0;
	/* the collector reads the pages of spans freed while it marks (a
	 * malloc'd object freed under its scan): none is unmapped until it is
	 * done.  rt_gc_marking only changes with the world stopped, and this
	 * runs under the heap lock (m->locks), which the stop waits for */
	if (__atomic_load_n(&rt_gc_marking, __ATOMIC_ACQUIRE))
		return 0;
	while (free_backed > keep) {
		/* the backed free span freed longest ago */
		struct mspan *old = NULL;
		for (size_t n = 1; n <= FREE_EXACT; n++) {
			struct mspan *h = n < FREE_EXACT ? free_exact[n] : freelarge;
			for (struct mspan *s = h; s; s = s->next)
				if (!s->scavenged && (!old || s->freed_at < old->freed_at))
					old = s;
		}
		if (!old)
			break;
		plat_heap_release(old->base, old->npages * RT_HP);
		old->scavenged = 1;
		old->needzero = 0;
		old->poisoned = 0;  /* zero when committed again */
		free_backed -= old->npages * RT_HP;
		released += old->npages * RT_HP;
		rt_hstats.committed -= old->npages * RT_HP;
	}
	rt_hstats.released += released;
	if (released)
		rt_hstats.scavenges++;
	return released;
}

static void pageheap_free(struct mspan *s, uint8_t needzero)
{
	rt_lock(&heap_lock);
	s->freed_at = plat_nanotime();
	s->needzero = needzero;
	s->next = s->prev = NULL;
	s->cls = 0;
	free_insert(s);
	uint64_t inuse = rt_arena_used - rt_arena_lo - free_backed;
	uint64_t limit = inuse / 4 > SCAV_MIN ? inuse / 4 : SCAV_MIN;
	if (free_backed > limit) {
		unsigned old = plat_ledger_switch(rt_class_scavenge);
		scavenge_locked(limit / 2);
		plat_ledger_switch(old);
	}
	rt_unlock(&heap_lock);
}

void rt_pageheap_free(struct mspan *s) { pageheap_free(s, 1); }

void rt_pageheap_free_clean(struct mspan *s) { pageheap_free(s, 0); }

uint64_t rt_pageheap_scavenge(uint64_t keep)
{
	rt_lock(&heap_lock);
	unsigned old = plat_ledger_switch(rt_class_scavenge);
	uint64_t r = scavenge_locked(keep);
	plat_ledger_switch(old);
	rt_unlock(&heap_lock);
	return r;
}

void rt_heap_read_stats(struct rt_heap_stats *st)
{
	if (!rt_arena_lo) {
		*st = (struct rt_heap_stats){ 0 };
		return;
	}
	rt_lock(&heap_lock);
	*st = rt_hstats;
	uint64_t fb = 0;
	for (size_t n = 1; n <= FREE_EXACT; n++)
		for (struct mspan *s = n < FREE_EXACT ? free_exact[n] : freelarge; s; s = s->next)
			fb += s->npages * RT_HP;
	st->free_bytes = fb;
	st->span_inuse = rt_arena_used - rt_arena_lo - fb;
	rt_unlock(&heap_lock);
	st->small_allocs = __atomic_load_n(&rt_hstats.small_allocs, __ATOMIC_RELAXED);
	st->large_allocs = __atomic_load_n(&rt_hstats.large_allocs, __ATOMIC_RELAXED);
	st->large_frees = __atomic_load_n(&rt_hstats.large_frees, __ATOMIC_RELAXED);
	st->refills = __atomic_load_n(&rt_hstats.refills, __ATOMIC_RELAXED);
	st->recycled = 0;
	for (unsigned i = 0; i < RT_MAX_M; i++)
		st->recycled += __atomic_load_n(&rt_mcaches[i].recycled, __ATOMIC_RELAXED);
}

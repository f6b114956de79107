/*
 * malloc_fast.c - the allocation fast path, alone in its file so that it
 * is compiled without a frame pointer (Makefile, rt/heap/malloc_fast.o:
 * it calls nothing, so no backtrace needs its frame) and cannot be
 * inlined into anything outside section rt_nopreempt.
 *
 * A request of 1..1024 bytes looks up its class's offset in an mcache
 * (rt_size_to_koff, indexed by the size itself) in one table load, finds
 * this M's cache by its M number (plat_m_id: one instruction on bare
 * metal), and takes the lowest set bit of the class's window:
 *     k = &rt_mcaches[plat_m_id()].k[class(n)];
 *     if (b = k->bits) { k->bits = b & (b - 1); return k->base + ctz(b) * k->size; }
 * At most 20 instructions from entry to return (17 with clang -O2 on
 * x86_64); BenchmarkMallocFast counts them under -icount (docs/heap.md).
 * No lock, no atomic and no m->locks: the function is in section
 * rt_nopreempt, where the tick never preempts (rt_preempt_check), so the
 * goroutine cannot move to another M between reading the M number and
 * updating that M's cache; interrupt handlers never allocate.  Anything
 * else tail-calls rt_malloc_slow (malloc.c).  rt_gc_alloc is the same
 * path for a collected kind (tally_gc_alloc jumps to it), its miss
 * rt_gc_alloc_slow (gc.c); rt_malloc_noscan the same for
 * tally_malloc_noscan's kind, its miss rt_malloc_kind_slow (malloc.c).  free() has its fast path here too (rt_free,
 * below: an object of the M's current window goes back into it), its
 * miss rt_free_slow (malloc.c).
 */
#include "rt/heap/heap.h"

void *rt_malloc_slow(size_t n);
void *rt_malloc_kind_slow(size_t n, unsigned kind);
void *rt_gc_alloc_slow(size_t n, unsigned kind);

/* Take the lowest object of k's window, or return miss(n, kind) when it
 * is empty or n is 0 or over 1024.  Inline in both fast paths below (a
 * call would leave section rt_nopreempt); miss is a constant there, so
 * each compiles to the straight path with one tail jump. */
static inline __attribute__((always_inline)) void *window_pop(unsigned kind, size_t n,
                                                              void *(*miss)(size_t, unsigned))
{
	if (__builtin_expect(n - 1 < 1024, 1)) {
		struct mcache_class *k = (struct mcache_class *)((char *)&rt_mcaches[plat_m_id()].k[kind][0] +
		                                                 rt_size_to_koff[n]);
		uint64_t b = k->bits;
		if (__builtin_expect(b != 0, 1)) {
			uintptr_t p = k->base + (uintptr_t)__builtin_ctzll(b) * k->size;
			k->bits = b & (b - 1);
			return (void *)p;
		}
	}
	return miss(n, kind);
}

static inline __attribute__((always_inline)) void *malloc_miss(size_t n, unsigned kind)
{
	(void)kind;
	return rt_malloc_slow(n);
}

RT_NOPREEMPT void *rt_malloc(size_t n) { return window_pop(KIND_MALLOC, n, malloc_miss); }

/* tally_malloc_noscan's: a malloc'd block the collector never scans (its
 * own windows; free() takes its slow path, rt_free's window being the
 * KIND_MALLOC one). */
RT_NOPREEMPT void *rt_malloc_noscan(size_t n) { return window_pop(KIND_MALLOC_NOSCAN, n, rt_malloc_kind_slow); }

/* free()'s fast path: an object of this M's current malloc window for its
 * class goes back into that window, with no atomic and no frame (Alloc64's
 * malloc-then-free, and any object freed soon after it was allocated on
 * the same M).  The window's objects keep their allocation bits set until
 * the window is given back (mcentral.c's release_span clears the bits the
 * window still holds), so nothing else has to change.  k->span == s is the
 * whole test of kind, state and class: only a small malloc span of that
 * class is ever in that window, and only this M or a stopped world changes
 * it (section rt_nopreempt, as rt_malloc).  A freed object already in the
 * window is a double free, and so is one whose allocation bit is clear:
 * another M's free (the slow path) gave it back first, and putting it in
 * the window would hand it out twice.  Anything else, heapcheck=1 (which poisons) and
 * NULL tail-call rt_free_slow (malloc.c).  needzero: the object is no
 * longer zero, so calloc must clear the span's objects. */
void rt_free_slow(void *p);
RT_NOPREEMPT void rt_free(void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;
	struct mspan *s = rt_span_of(p);
	if (__builtin_expect(s != NULL && !rt_heap_checks, 1)) {
		struct mcache *c = &rt_mcaches[plat_m_id()];
		struct mcache_class *k = &c->k[KIND_MALLOC][s->cls];
		uintptr_t off = p - k->base;
		if (k->span == s && off < 64 * k->size) {
			uint32_t i = rt_span_index(s, off);
			if (__builtin_expect((uintptr_t)i * k->size == off, 1)) {
				uint64_t bit = 1ull << i;
				if ((k->bits & bit) || !(__atomic_load_n(k->allocw, __ATOMIC_RELAXED) & bit))
					rt_heap_misuse("double free", ptr, s);
				k->bits |= bit;
				__atomic_store_n(&s->needzero, 1, __ATOMIC_RELAXED);
				__atomic_store_n(&c->recycled, c->recycled + 1, __ATOMIC_RELAXED);
				return;
			}
		}
	}
	rt_free_slow(ptr);
}

/* The same for a collected object of kind (KIND_GC_*): the collected
 * heap's fast path (tally_gc_alloc jumps here); a miss tail-calls
 * rt_gc_alloc_slow (gc.c: the pacer, refills, large objects, n == 0). */
RT_NOPREEMPT void *rt_gc_alloc(size_t n, unsigned kind) { return window_pop(kind, n, rt_gc_alloc_slow); }

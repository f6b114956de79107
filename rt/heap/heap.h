/*
 * heap.h - the runtime's memory allocator: what its files (sizeclass.c,
 * pageheap.c, mcentral.c, malloc.c) share, and nothing else includes.
 *
 * Design (Go's and tcmalloc's, for explicit free): memory comes from one
 * arena, a range of address space the platform reserves at start
 * (plat_heap_reserve) and backs with pages on demand (plat_heap_commit).
 * The arena is cut into heap pages of RT_HP bytes.  A span is a run of
 * heap pages: free (in the page heap), one large object (> 32 KiB), or
 * small objects of one size class (sizeclass.c's table).
 *
 *   arena:  [ span table | heap pages ............................ ]
 *            spans[i] = the span holding heap page i (NULL: never used)
 *
 * Small objects: a span of class c holds nelems objects of elemsize
 * bytes; allocbits has a 1 for every object that is allocated or
 * reserved by a cache.  Each M has an mcache (malloc.c) with, per class,
 * a window: up to 64 free objects of one span reserved at once (their
 * bits set in one atomic OR), handed out one by one from a 64-bit mask by
 * the fast path.  When a window is empty the cache scans its span for the
 * next word with free bits; when the span has none left it goes back to
 * its class's mcentral and the cache takes a partial span from there, or
 * a new one from the page heap.  free() clears the object's bit with an
 * atomic AND (a bit already clear is a double free) and counts it in
 * nfree; a span that is in no cache moves to its central's partial list
 * when its first object comes free, and back to the page heap when its
 * last one does.
 *
 * Locking: the fast path takes none and is not preempted (its code is in
 * section rt_nopreempt, which rt_preempt_check refuses to interrupt);
 * window refills hold m->locks (rt_acquirem) so the cache cannot change
 * M underneath; each mcentral has a lock; the page heap has one lock.
 * Order: mcentral lock, then the page heap lock (never the reverse).
 * Both are rt_locks.  A span's allocbits and nfree are changed with
 * atomics by any M; its incache/onlist flags only under its central's
 * lock.
 *
 * Context: thread context on an M (goroutine, g0, or the boot thread
 * before rt_init); never an interrupt handler.  Hosted builds use the
 * rt_ names only (the system malloc stays glibc's); on bare metal the C
 * library's malloc family is this allocator (kernel/glue/malloc_glue.c).
 */
#ifndef TALLY_RT_HEAP_H
#define TALLY_RT_HEAP_H

#include <stddef.h>
#include <stdint.h>
#include "rt/rt_impl.h"
#include "rt/heap/rt_malloc.h"

#define RT_HP_SHIFT 13
#define RT_HP ((size_t)1 << RT_HP_SHIFT)     /* heap page: 8 KiB */
#define RT_SMALL_MAX 32768                    /* larger: a span of its own */
#define RT_NCLASSES 61                        /* class 0 = large; 1..60 small */
#define RT_SPAN_MAXOBJ 1024                   /* 8-byte class in one page */
#define RT_SPAN_WORDS (RT_SPAN_MAXOBJ / 64)

/* RT_NOPREEMPT (rt_impl.h) puts a function's code in the section the
 * preemption tick never interrupts: it may use this M's cache without
 * holding m->locks. */

/* ---- size classes (sizeclass.c) ---- */
struct rt_sizeclass {
	uint32_t size;       /* bytes per object */
	uint32_t npages;     /* heap pages per span */
	uint32_t nelems;     /* objects per span */
	uint32_t divmul;     /* ceil(2^32 / size): index = (off * divmul) >> 32 */
};
extern const struct rt_sizeclass rt_class[RT_NCLASSES];
extern uint8_t rt_size_to_class8[1024 / 8 + 1];      /* (n + 7) >> 3, n <= 1024 */
extern uint8_t rt_size_to_class128[(RT_SMALL_MAX - 1024) / 128 + 1];
/* For the fast path: byte offset of class(n)'s entry in an mcache, for
 * n <= 1024 (indexed by n itself: one load, no shift). */
extern uint16_t rt_size_to_koff[1024 + 1];
/* Class of a request of n bytes (1 <= n <= RT_SMALL_MAX). */
static inline unsigned rt_size_class(size_t n)
{
	return n <= 1024 ? rt_size_to_class8[(n + 7) >> 3]
	                 : rt_size_to_class128[(n - 1024 + 127) >> 7];
}
void rt_sizeclass_init(void);   /* fills the lookup tables; checks the table */

/* ---- spans ---- */
enum span_state { SPAN_FREE = 1, SPAN_SMALL, SPAN_LARGE, SPAN_META };
/* What a span's objects are: malloc'd (freed by free(), scanned by the
 * collector as roots; KIND_MALLOC_NOSCAN, tally_malloc_noscan's, never
 * scanned), or collected (scanned conservatively, never, or by each
 * object's pointer bitmap: gctyped.c). */
enum { KIND_MALLOC = 0, KIND_GC_SCAN = 1, KIND_GC_NOSCAN = 2, KIND_GC_TYPED = 3,
       KIND_MALLOC_NOSCAN = 4, RT_NKINDS = 5 };
/* A malloc'd kind: freed by free(), never by the collector. */
static inline int rt_kind_malloc(unsigned kind) { return kind == KIND_MALLOC || kind == KIND_MALLOC_NOSCAN; }

struct mspan {
	uintptr_t base;
	size_t npages;
	struct mspan *next, *prev;   /* page heap free list or central partial list */
	uint8_t state;               /* enum span_state */
	uint8_t cls;                 /* size class, 0 for large */
	uint8_t incache;             /* a cache is allocating from it (central lock) */
	uint8_t onlist;              /* on its central's partial list (central lock) */
	uint8_t needzero;            /* some object was freed: memory is not all zero */
	uint8_t scavenged;           /* free span: some of its pages are not backed */
	uint8_t kind;                /* KIND_*: set when it is typed, fixed until freed */
	uint8_t cachem;              /* while incache: the M whose cache has it
	                              * (free's check of that M's window) */
	uint8_t poisoned;            /* free span, heapcheck=1: every byte has
	                              * held RT_POISON since a large block's
	                              * free (checked when handed out again) */
	uint16_t nelems;
	uint32_t elemsize;
	uint32_t divmul;
	volatile int32_t nfree;      /* objects whose bit is clear, give or take
	                              * the frees in flight: free() clears the
	                              * bit, then counts, and may be preempted
	                              * between the two while a cache reserves
	                              * the bit, so nfree can be briefly below
	                              * the truth, even negative (mcentral.c) */
	uint32_t scanword;           /* next allocbits word a cache looks at */
	uint64_t freed_at;           /* free span: nanotime it was freed */
	struct mspan *allnext, *allprev;  /* rt_allspans: every span in use */
	volatile uint32_t sweepgen;  /* collected spans: rt_sweepgen = swept this
	                              * cycle, - 1 being swept, - 2 to sweep
	                              * (gc_sweep.c); set when the span is typed */
	volatile uint64_t allocbits[RT_SPAN_WORDS];
	volatile uint64_t markbits[RT_SPAN_WORDS];  /* the collector's: set with
	                              * atomic ORs (marker, born-marked windows),
	                              * cleared by the span's sweep (gcgen=1: kept
	                              * for the traced survivors, the old objects
	                              * of the next minor cycle, gc_sweep.c) */
	volatile uint64_t bornbits[RT_SPAN_WORDS];  /* gcgen=1: the objects born
	                              * marked this cycle (young again after the
	                              * sweep); set with markbits, cleared by the
	                              * sweep */
};

/* Index of the object at byte offset off of small span s (divmul: no
 * division), and the address of object w * 64 + bit. */
static inline uint32_t rt_span_index(const struct mspan *s, uintptr_t off)
{
	return (uint32_t)(((uint64_t)off * s->divmul) >> 32);
}
static inline uintptr_t rt_span_obj(const struct mspan *s, unsigned w, unsigned bit)
{
	return s->base + ((uintptr_t)w * 64 + bit) * s->elemsize;
}

/* ---- the arena and page heap (pageheap.c) ---- */
extern uintptr_t rt_arena_lo, rt_arena_hi;   /* heap pages: [lo, hi) */
extern struct mspan **rt_spans;              /* indexed by (p - rt_arena_lo) >> RT_HP_SHIFT */
extern volatile uintptr_t rt_arena_used;     /* heap pages below this exist */
int rt_heap_init(void);          /* 0, or -1 if the platform gives no arena */
/* The span holding address p, or NULL (outside the arena or never used). */
static inline struct mspan *rt_span_of(uintptr_t p)
{
	if (p - rt_arena_lo >= __atomic_load_n(&rt_arena_used, __ATOMIC_ACQUIRE) - rt_arena_lo)
		return NULL;
	return __atomic_load_n(&rt_spans[(p - rt_arena_lo) >> RT_HP_SHIFT], __ATOMIC_ACQUIRE);
}
/* A span of npages heap pages (aligned to align bytes, a power of two >=
 * RT_HP), backed; NULL when memory runs out.  Caller sets its state. */
struct mspan *rt_pageheap_alloc(size_t npages, size_t align);
void rt_pageheap_free(struct mspan *s);
/* The same for a span whose pages are all zero (needzero stays clear). */
void rt_pageheap_free_clean(struct mspan *s);
/* Return free pages to the platform until at most keep bytes of free,
 * backed pages remain; returns bytes released. */
uint64_t rt_pageheap_scavenge(uint64_t keep);
extern struct rt_heap_stats rt_hstats;  /* counters: atomics / page heap lock */
extern unsigned rt_class_alloc, rt_class_scavenge;

/* ---- central lists and caches (mcentral.c) ---- */
struct mcache_class {
	uint64_t bits;               /* reserved free objects of the window */
	uintptr_t base;              /* address of the window's object 0 */
	uint64_t size;               /* bytes per object (= class size) */
	struct mspan *span;          /* the span the window is in, or NULL */
	volatile uint64_t *allocw;   /* the window's word of span->allocbits
	                              * (free's check that the bit is set) */
};
struct mcache {
	struct mcache_class k[RT_NKINDS][RT_NCLASSES];  /* k[KIND_MALLOC] first: the
	                                                 * fast path's offsets */
	/* bit kind * RT_NCLASSES + cls: that window may have a span (set by
	 * the refill, cleared by rt_mcache_release_all), so giving every
	 * window back visits only those (the collector's pauses) */
	uint64_t inuse[(RT_NKINDS * RT_NCLASSES + 63) / 64];
	uint64_t recycled;  /* objects free() put back into this M's windows */
	uint8_t pad[16384 - RT_NKINDS * RT_NCLASSES * sizeof(struct mcache_class) -
	            (RT_NKINDS * RT_NCLASSES + 63) / 64 * 8 - 8];
};
_Static_assert(sizeof(struct mcache) == 16384, "mcache: a power of two, indexed by shift");
extern struct mcache rt_mcaches[RT_MAX_M];
/* Refill the window of class cls, kind kind of M m's cache; m is pinned.
 * Returns 0, or -1 when memory runs out. */
int rt_mcache_refill(struct mcache *c, unsigned kind, unsigned cls);
/* Every span in use (small or large, any kind), under rt_allspans_lock;
 * spans join when typed and leave when they go back to the page heap. */
extern struct mspan *rt_allspans;
extern struct rt_lock rt_allspans_lock;
void rt_allspans_add(struct mspan *s);
void rt_allspans_remove(struct mspan *s);
/* A span in no cache whose objects came free (the collector's sweep):
 * put it on its central list, or give it back to the page heap. */
void rt_span_settle(struct mspan *s);
/* Give back every window of M m's cache (unused objects become free). */
void rt_mcache_release_all(struct mcache *c);
/* Fill every object of s with zeros or poison, as a new span's. */
void rt_span_fresh_objects(struct mspan *s);
/* free() found the object at index idx of small span s allocated: clear
 * its bit and move the span between lists if it must; 0, or -1 when the
 * bit was already clear (a double free). */
int rt_span_free_object(struct mspan *s, unsigned idx);
/* Any M, no lock: 1 when the slot at p of small span s is free in the
 * cache window of the M that holds s (allocation bit set, not handed
 * out; mcentral.c has the rules of the racy read). */
int rt_span_free_in_window(const struct mspan *s, uintptr_t p);

/* ---- the collector (gc.c, gc_stw.c, gc_mark.c, gc_dirty.c, gc_stack.c, gc_sweep.c; internals in gc_impl.h) ---- */
/* A probe of a span field read without its owner's lock, in a function
 * marked no_sanitize("thread"): the span may be being carved or typed, and
 * the caller validates what it reads (a plain volatile load, not an
 * atomic: ThreadSanitizer checks atomics even there). */
#define RT_PEEK(x) (*(const volatile __typeof__(x) *)&(x))
/* 1 from the start of marking to its end (changed only with the world
 * stopped): windows reserved now are born marked, nothing is scavenged. */
extern volatile int rt_gc_marking;
/* Bytes born marked this cycle (windows reserved while marking, less what
 * went back unused).  Atomic. */
extern volatile uint64_t rt_gc_born_bytes;
extern volatile uint32_t rt_sweepgen;
/* A new collected span (before it is visible as typed): swept already. */
static inline void rt_span_born(struct mspan *s)
{
	__atomic_store_n(&s->sweepgen, __atomic_load_n(&rt_sweepgen, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);  /* before the kind is written */
}
/* A span taken from a central list (its central's lock held): sweep it
 * first if this cycle has not (gc_sweep.c). */
void rt_gc_sweep_before_use(struct mspan *s);
/* Bytes of collected objects: reserved in windows or allocated since the
 * last collection, plus what it left live.  Atomic. */
extern volatile uint64_t rt_gc_heap_alloc;
extern int rt_gc_percent_v, rt_gctrace;
extern int64_t rt_gc_limit_v;
void rt_gc_init(void);       /* with the arena: classes, boot options */
void rt_gc_collect(void);    /* a whole cycle, then its sweep (a goroutine) */
int rt_gc_collecting(void);  /* 1 on the goroutine holding the collector's
                              * busy lock (a collection, a setter, a read of
                              * the statistics): it must not start a
                              * collection, which would wait for itself */
void rt_gc_set_concurrent(int on);  /* marking mode (gcconc=; hosted tests) */
/* Generational minor cycles (gcgen=; hosted tests), with concurrent
 * marking only: rt_gc_generational is read by the allocator's born-marked
 * paths (1: they note born bits).  Changed only between collections. */
void rt_gc_set_generational(int on);
extern volatile int rt_gc_generational;
/* Tests: the next background-style cycle this goroutine runs, a minor
 * one if generational mode allows it (old objects exist): a whole cycle
 * and its sweep, like rt_gc_collect; returns 1 if it was minor. */
int rt_gc_collect_minor(void);
void rt_gc_set_verify(int on);      /* check every cycle's marking (gcverify=; gc_verify.c) */
/* Every word marking would read that holds an address in [obj, obj +
 * size): fn(where, its base, the word's address, its value, ctx).  The
 * caller's own stack is not read.  For tests (gc_verify.c). */
void rt_gc_referrers(uintptr_t obj, size_t size,
                     void (*fn)(const char *what, uintptr_t base, uintptr_t at, uintptr_t v, void *ctx),
                     void *ctx);
/* rt_gfput (g0), around freeing an exited G's stack: waits while the
 * collector reads that stack concurrently and keeps it from starting to;
 * returns whether the end call must release (gc_stack.c). */
struct g;
int rt_gc_stack_free_begin(struct g *gp);
void rt_gc_stack_free_end(int held);
/* rt_gfput (g0): whether gp is one of the collector's marking helpers;
 * rt_gc_helper_gone once its stack is freed (a collection returns only
 * when its helpers are gone, their stacks with them: gc.c). */
int rt_gc_is_helper(const struct g *gp);
void rt_gc_helper_gone(void);
/* tally_gc_alloc for a span kind (KIND_GC_*): zeroed, collects when over
 * the goal; out of memory ends the program.  The fast path is
 * malloc_fast.c's (section rt_nopreempt), its miss rt_gc_alloc_slow. */
void *rt_gc_alloc(size_t n, unsigned kind);
/* The out-of-memory report for a collected object of n bytes (status 71). */
_Noreturn void rt_gc_oom(size_t n);

/* ---- typed objects (gctyped.c) ---- */
/* Scan the typed object [lo, hi) (its whole slot) by the bitmap in its
 * trailer, calling mark for each word in a pointer slot. */
void rt_gc_scan_typed(uintptr_t lo, uintptr_t hi, void (*mark)(uintptr_t));

/* ---- malloc.c ---- */
/* An object of class cls / a large object of n bytes, of the given kind,
 * from this M's cache / the page heap (the collector's allocations use
 * these too); NULL with errno ENOMEM when memory runs out. */
void *rt_small_alloc(unsigned kind, unsigned cls);
void *rt_large_alloc(unsigned kind, size_t n, size_t align);
extern int rt_heap_checks;       /* heapcheck=1: poison freed memory */
#define RT_POISON 0xdbu
_Noreturn void rt_heap_misuse(const char *what, const void *p, const struct mspan *s);
/* The same, for a misuse in fn (realloc, malloc_usable_size): "fn(p): what". */
_Noreturn void rt_heap_misuse_in(const char *fn, const char *what, const void *p, const struct mspan *s);

/* ---- cleanups and weak references (gcfinal.c) ---- */
/* 1 if the collected object holding address p is marked as marking left
 * it (or p is in no collected object); world stopped. */
int _gc_marked(uintptr_t p);
/* gc.c: after marking is complete, world stopped, before sweep: queue the
 * cleanups of unmarked objects, clear their weak handles, drop the timers
 * no one can reach. */
void rt_gc_final_after_mark(void);
/* gc.c: at the end of a cycle, world running: start the cleanup goroutine
 * if it has work, free the dropped weak records. */
void rt_gc_final_after_cycle(void);
/* Cleanups queued and run, weak handles cleared, so far. */
void rt_gc_final_stats(uint64_t *queued, uint64_t *ran, uint64_t *cleared);

#endif

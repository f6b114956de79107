/*
 * malloc.c - the C allocation calls on the runtime's heap: malloc, free,
 * calloc, realloc, posix_memalign and malloc_usable_size (as rt_*; on
 * bare metal kernel/glue/malloc_glue.c gives them the C library's names).
 *
 Fast path: rt_malloc in malloc_fast.c (at most 20 instructions).
 * Everything else (an empty window, larger sizes, malloc(0)) comes to
 * rt_malloc_slow here, which pins the M and charges its time to rt.alloc.
 *
 * Ledger: the fast path is charged to whatever class the caller is in
 * (user, for a program): two ledger transitions would cost more than the
 * path.  rt.alloc gets the slow paths: window refills (one per up to 64
 * objects), span and page-heap work, large objects.  The fast path's own
 * share is counts x its measured cost: rt_hstats.small_allocs objects
 * plus the objects free put back into windows (`recycled`, per M) at
 * BenchmarkMallocFast's instructions each (docs/heap.md).
 *
 * free(): the span from the address (one table load), the object index
 * by multiplication (divmul).  An object of the freeing M's current
 * window for its class goes back into the window (rt_free in
 * malloc_fast.c: no atomic); any other has its bit cleared with one
 * atomic AND (rt_free_slow).  A
 * pointer outside the heap, into a free span, into the middle of an
 * object, or to an object whose bit is already clear ends the program
 * with "fatal error: free(<addr>): <what>" and status 2 (rt_throw's).
 * With heapcheck=1 freed objects are filled with RT_POISON and checked
 * when reserved again: a write after free is reported then (a read after
 * free cannot be caught this way).
 *
 * realloc(p, 0) and malloc(0) return a unique pointer to a minimal
 * object (freeing p), so a NULL result always means out of memory, and
 * only after one collection (collect_for: the collected heap's garbage
 * may hold the pages) where the caller may run one.
 *
 * Context: thread context on an M or the boot thread; never from an
 * interrupt handler (they do not allocate).
 */
#include <errno.h>
#include <string.h>
#include "rt/heap/heap.h"
#include "rt/heap/rt_malloc.h"
#include "rt/include/tally.h"

int rt_heap_checks;

void *rt_large_alloc(unsigned kind, size_t n, size_t align)
{
	if (n > rt_arena_hi - rt_arena_lo) {
		errno = ENOMEM;
		return NULL;
	}
	size_t npages = (n + RT_HP - 1) / RT_HP;
	struct m *m = rt_acquirem();
	unsigned old = plat_ledger_switch(rt_class_alloc);
	struct mspan *s = rt_pageheap_alloc(npages, align);
	if (s) {
		rt_span_born(s);  /* before its kind (gc_sweep.c) */
		s->cls = 0;
		__atomic_store_n(&s->kind, (uint8_t)kind, __ATOMIC_RELEASE);
		s->elemsize = 0;
		/* born marked while the collector marks (the flag changes only
		 * with the world stopped; m->locks is held here).  Atomic: a
		 * concurrent marker may reach this span through a stale word
		 * while it is being set up (mark_in_arena peeks at its state)
		 * and set the bit itself, which is then 1 either way */
		uint64_t born = !rt_kind_malloc(kind) && __atomic_load_n(&rt_gc_marking, __ATOMIC_ACQUIRE);
		__atomic_store_n(&s->markbits[0], born, __ATOMIC_RELAXED);
		__atomic_store_n(&s->bornbits[0], born && __atomic_load_n(&rt_gc_generational, __ATOMIC_RELAXED),
		                 __ATOMIC_RELAXED);  /* gcgen=1: young next cycle */
		if (born)
			__atomic_fetch_add(&rt_gc_born_bytes, npages * RT_HP, __ATOMIC_RELAXED);
		if (!rt_kind_malloc(kind) && s->needzero)
			memset((void *)s->base, 0, npages * RT_HP);
		s->needzero = rt_kind_malloc(kind) && s->needzero;
		rt_allspans_add(s);
		__atomic_store_n(&s->state, SPAN_LARGE, __ATOMIC_RELEASE);
		__atomic_fetch_add(&rt_hstats.large_allocs, 1, __ATOMIC_RELAXED);
	}
	plat_ledger_switch(old);
	rt_releasem(m);
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	return (void *)s->base;
}

/* An object of class cls from this M's cache (pinned for the call). */
void *rt_small_alloc(unsigned kind, unsigned cls)
{
	struct m *m = rt_acquirem();
	struct mcache_class *k = &rt_mcaches[m->id].k[kind][cls];
	if (!k->bits) {
		unsigned old = plat_ledger_switch(rt_class_alloc);
		int r = rt_mcache_refill(&rt_mcaches[m->id], kind, cls);
		plat_ledger_switch(old);
		if (r < 0) {
			rt_releasem(m);
			errno = ENOMEM;
			return NULL;
		}
	}
	uint64_t b = k->bits;
	k->bits = b & (b - 1);
	void *p = (void *)(k->base + (uintptr_t)__builtin_ctzll(b) * k->size);
	rt_releasem(m);
	return p;
}

/* The arena is made on the first allocation that reaches the slow path
 * (the boot thread's first malloc, before any other CPU runs the heap). */
static void heap_once(void)
{
	static struct rt_lock once;
	static volatile int done;
	if (__atomic_load_n(&done, __ATOMIC_ACQUIRE))
		return;
	rt_lock(&once);
	if (!done) {
		if (rt_heap_init() < 0)
			rt_throw("heap: the platform gives no address space for the heap");
		__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	}
	rt_unlock(&once);
}

void rt_heap_set_checks(int on) { rt_heap_checks = on; }

uint64_t rt_heap_scavenge(uint64_t keep)
{
	heap_once();
	return rt_pageheap_scavenge(keep);
}

/* The misses of rt_malloc and rt_malloc_noscan (malloc_fast.c). */
/* Out of memory for n bytes: the collected heap may hold the pages as
 * garbage (gogc=off, or its goal not reached yet), as tally_gc_alloc
 * knows (gc.c: it collects and tries again).  Collect once, so the
 * caller can try again, when that can help and is allowed: a collected
 * heap exists, n fits the arena at all, and the caller is a goroutine
 * holding no runtime lock (the collector stops the world; a lock's
 * holder has m->locks, and so does a refill) that is not itself running
 * a collection. */
static int collect_for(size_t n)
{
	if (!rt_on_goroutine() || rt_getm()->locks || rt_gc_collecting() ||
	    !__atomic_load_n(&rt_gc_heap_alloc, __ATOMIC_RELAXED) || n > rt_arena_hi - rt_arena_lo)
		return 0;
	rt_gc_collect();
	return 1;
}

static void *alloc_kind(size_t n, unsigned kind)
{
	if (n > RT_SMALL_MAX)
		return rt_large_alloc(kind, n, RT_HP);
	return rt_small_alloc(kind, rt_size_class(n));
}

void *rt_malloc_kind_slow(size_t n, unsigned kind)
{
	heap_once();
	if (n == 0)
		n = 1;
	int e = errno;
	void *p = alloc_kind(n, kind);
	if (!p && collect_for(n) && (p = alloc_kind(n, kind)) != NULL)
		errno = e;  /* (else ENOMEM again) */
	return p;
}

void *rt_malloc_slow(size_t n) { return rt_malloc_kind_slow(n, KIND_MALLOC); }

void *tally_malloc_noscan(size_t n) { return rt_malloc_noscan(n); }

/* ---- misuse reports: no allocation, no stdio ---- */

static char *put_str(char *o, char *end, const char *s)
{
	while (*s && o < end)
		*o++ = *s++;
	return o;
}

static char *put_hex(char *o, char *end, uintptr_t v)
{
	char d[18];
	int n = 0;
	do {
		d[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v && n < 16);
	o = put_str(o, end, "0x");
	while (n && o < end)
		*o++ = d[--n];
	return o;
}

static char *put_dec(char *o, char *end, uint64_t v)
{
	char d[21];
	int n = 0;
	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n && o < end)
		*o++ = d[--n];
	return o;
}

_Noreturn void rt_heap_misuse_in(const char *fn, const char *what, const void *p, const struct mspan *s)
{
	char msg[192];  /* on the stack: two Ms may report at once (the first
	                 * report wins, rt_throw; a shared buffer mixed them) */
	char *o = msg, *end = msg + sizeof(msg) - 1;
	int write_after_free = strcmp(what, "write after free") == 0;
	o = put_str(o, end, write_after_free ? "malloc: " : fn);
	if (!write_after_free)
		o = put_str(o, end, "(");
	if (!write_after_free) {
		o = put_hex(o, end, (uintptr_t)p);
		o = put_str(o, end, "): ");
	}
	o = put_str(o, end, what);
	if (s && s->state == SPAN_SMALL) {
		uintptr_t off = (uintptr_t)p - s->base;
		uintptr_t obj = s->base + off / s->elemsize * s->elemsize;
		o = put_str(o, end, write_after_free ? " at " : " (");
		if (write_after_free) {
			o = put_hex(o, end, (uintptr_t)p);
			o = put_str(o, end, ", byte ");
			o = put_dec(o, end, (uintptr_t)p - obj);
			o = put_str(o, end, " of the ");
		}
		o = put_dec(o, end, s->elemsize);
		o = put_str(o, end, "-byte object at ");
		o = put_hex(o, end, obj);
		o = put_str(o, end, ", size class ");
		o = put_dec(o, end, s->cls);
		o = put_str(o, end, write_after_free ? "; poison was 0xdb" : ")");
	} else if (write_after_free) {
		o = put_str(o, end, " at ");
		o = put_hex(o, end, (uintptr_t)p);
		o = put_str(o, end, " (pages of a freed large block); poison was 0xdb");
	} else if (s && s->state == SPAN_LARGE) {
		o = put_str(o, end, " (large object of ");
		o = put_dec(o, end, s->npages * RT_HP);
		o = put_str(o, end, " bytes at ");
		o = put_hex(o, end, s->base);
		o = put_str(o, end, ")");
	}
	*o = 0;
	rt_throw(msg);
}

_Noreturn void rt_heap_misuse(const char *what, const void *p, const struct mspan *s)
{
	rt_heap_misuse_in("free", what, p, s);
}

/* ---- free and friends ---- */

/* The span of a pointer the allocator returned, or a misuse report
 * naming fn, the caller (free, realloc, malloc_usable_size). */
static struct mspan *owner(const char *fn, const void *ptr, uint32_t *idxp)
{
	uintptr_t p = (uintptr_t)ptr;
	struct mspan *s = rt_span_of(p);
	if (!s || p < s->base || p >= s->base + s->npages * RT_HP)
		rt_heap_misuse_in(fn, "not a pointer the allocator returned", ptr, NULL);
	uint8_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
	if ((st == SPAN_SMALL || st == SPAN_LARGE) && !rt_kind_malloc(s->kind))
		rt_heap_misuse_in(fn, "a collected object (tally_gc_alloc): the collector frees it", ptr, NULL);
	if (st == SPAN_SMALL) {
		uintptr_t off = p - s->base;
		uint32_t idx = rt_span_index(s, off);
		if ((uintptr_t)idx * s->elemsize != off)
			rt_heap_misuse_in(fn, "pointer into the middle of an object", ptr, s);
		*idxp = idx;
		return s;
	}
	if (st == SPAN_LARGE) {
		if (p != s->base)
			rt_heap_misuse_in(fn, "pointer into the middle of an object", ptr, s);
		return s;
	}
	rt_heap_misuse_in(fn, st == SPAN_FREE ? "double free (the memory is already free)"
	                               : "not a pointer the allocator returned", ptr, NULL);
}

/* The same for a block that must be live (realloc, malloc_usable_size):
 * a small block's allocation bit set and the block not free in a cache's
 * window; a large one's span says so already. */
static struct mspan *owner_live(const char *fn, const void *ptr, uint32_t *idxp)
{
	struct mspan *s = owner(fn, ptr, idxp);
	if (s->state == SPAN_SMALL &&
	    (!(__atomic_load_n(&s->allocbits[*idxp >> 6], __ATOMIC_ACQUIRE) & (1ull << (*idxp & 63))) ||
	     rt_span_free_in_window(s, (uintptr_t)ptr)))
		rt_heap_misuse_in(fn, "the block is free (freed already, or never returned)", ptr, s);
	return s;
}

/* free()'s slow path: what rt_free (malloc_fast.c) does not put back into
 * its M's window. */
void rt_free_slow(void *ptr)
{
	if (!ptr)
		return;
	uint32_t idx = 0;
	struct mspan *s = owner("free", ptr, &idx);
	if (s->state == SPAN_SMALL) {
		if (rt_span_free_in_window(s, (uintptr_t)ptr))
			rt_heap_misuse("double free", ptr, s);
		if (rt_heap_checks) {
			uint64_t bit = 1ull << (idx & 63);
			if (!(__atomic_load_n(&s->allocbits[idx >> 6], __ATOMIC_ACQUIRE) & bit))
				rt_heap_misuse("double free", ptr, s);
			memset(ptr, RT_POISON, s->elemsize);
		}
		if (rt_span_free_object(s, idx) < 0)
			rt_heap_misuse("double free", ptr, s);
		return;
	}
	if (rt_heap_checks) {  /* checked when the page heap hands them out */
		memset(ptr, RT_POISON, s->npages * RT_HP);
		s->poisoned = 1;
	}
	struct m *m = rt_acquirem();
	unsigned old = plat_ledger_switch(rt_class_alloc);
	__atomic_store_n(&s->state, SPAN_META, __ATOMIC_RELEASE);
	__atomic_fetch_add(&rt_hstats.large_frees, 1, __ATOMIC_RELAXED);
	rt_allspans_remove(s);
	rt_pageheap_free(s);
	plat_ledger_switch(old);
	rt_releasem(m);
}

static size_t usable_size(const char *fn, void *ptr)
{
	uint32_t idx;
	struct mspan *s = owner_live(fn, ptr, &idx);
	return s->state == SPAN_SMALL ? s->elemsize : s->npages * RT_HP;
}

size_t rt_malloc_usable_size(void *ptr) { return ptr ? usable_size("malloc_usable_size", ptr) : 0; }

void *rt_calloc(size_t a, size_t b)
{
	size_t n;
	if (__builtin_mul_overflow(a, b, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	void *p = rt_malloc(n);
	if (p) {
		struct mspan *s = rt_span_of((uintptr_t)p);
		if (__atomic_load_n(&s->needzero, __ATOMIC_RELAXED))
			memset(p, 0, s->state == SPAN_SMALL ? s->elemsize : n);
	}
	return p;
}

void *rt_realloc(void *ptr, size_t n)
{
	if (!ptr)
		return rt_malloc(n);
	size_t have = usable_size("realloc", ptr);
	if (n == 0)
		n = 1;
	/* stay in place when it fits and would not waste more than half */
	if (n <= have && (n > have / 2 || have <= 16))
		return ptr;
	/* a tally_malloc_noscan block stays pointer-free */
	void *q = rt_span_of((uintptr_t)ptr)->kind == KIND_MALLOC_NOSCAN ? rt_malloc_noscan(n) : rt_malloc(n);
	if (!q)
		return NULL;  /* ptr is untouched, as C requires */
	memcpy(q, ptr, n < have ? n : have);
	rt_free(ptr);
	return q;
}

static void *aligned(size_t align, size_t n)
{
	void *p;
	if (align <= 16) {
		p = rt_malloc(n < align ? align : n);  /* class 1 (8 bytes) is 8-aligned */
	} else if (n <= RT_SMALL_MAX && align <= RT_HP) {
		/* a class whose objects are multiples of align: spans start on
		 * heap-page boundaries, so every object is aligned */
		unsigned cls = rt_size_class(n);
		while (cls < RT_NCLASSES && rt_class[cls].size % align)
			cls++;
		p = cls < RT_NCLASSES ? rt_small_alloc(KIND_MALLOC, cls) : rt_large_alloc(KIND_MALLOC, n, align);
	} else {
		p = rt_large_alloc(KIND_MALLOC, n, align);
	}
	return p;
}

int rt_posix_memalign(void **out, size_t align, size_t n)
{
	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	heap_once();
	if (n == 0)
		n = 1;
	int e = errno;  /* POSIX: posix_memalign reports by its result alone */
	void *p = aligned(align, n);
	if (!p && collect_for(n))
		p = aligned(align, n);
	errno = e;
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *rt_aligned_alloc(size_t align, size_t n)
{
	void *p = NULL;
	int e = rt_posix_memalign(&p, align, n);
	if (e) {
		errno = e;
		return NULL;
	}
	return p;
}

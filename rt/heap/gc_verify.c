/*
 * gc_verify.c - the collector checks its own marking (boot option
 * gcverify=1; rt_gc_set_verify hosted): at the end of every cycle's
 * marking, world stopped, before anything is freed, every word of a root
 * and of every marked object that holds the address of an allocated
 * collected object must name a marked one.  The first word that does not
 * is a fatal error naming where it was, what it holds and the cycle:
 * that object would be freed while reachable.  gc.c's essay has the
 * cycle; this is the closure its marking promises, read again from
 * scratch instead of trusted.
 *
 * What it reads (as marking does, conservatively): data and bss (the
 * cycle's runs), every goroutine stack marking reads (gc_stack_of: from
 * its saved sp to its top; with concurrent marking only from the sp the
 * start pause noted, gc_noted_sp, up) and the collector's own from where
 * it was entered, every allocated malloc'd object, and every marked collected
 * object (a typed one by its bitmap; a pointer-free one not at all).
 * Statics that are no roots (PLAT_GC_NOROOT) are not read, as marking
 * does not; weak references and cleanups hold hidden addresses (~p,
 * gcfinal.c), which name nothing.
 *
 * In a minor cycle (gcgen=1) the same closure is the remembered set's
 * check: an old object is marked without being traced, so a word in it
 * that names an unmarked object means a store the remembered set missed.
 * One case is not a lost store: a word that is no pointer (an integer, an
 * address one past an object) and named a free slot when its old object
 * was last scanned, where a young object has been allocated since; a
 * full cycle would keep that object through the word, a minor one frees
 * it, and this check reports it.  The tests' objects hold no such words.
 *
 * It found the lost store of docs/heap.md's "What a round re-scans" in
 * its first boots.  Cost: one pass over the roots and the marked heap in
 * the final pause (tens of ms at 16 MiB live under TCG), counted in the
 * pause's time (its drain part), so it is for tests (the torture cases
 * run with it), never on by default.
 *
 * Context: the collecting goroutine, world stopped, work lock held,
 * marking complete (after the last drain and gc_mark_overflow).
 *
 * rt_gc_referrers, for tests that find an object alive that should have
 * died: every word of what marking reads (data, every goroutine stack
 * from its saved sp, malloc'd blocks, and collected objects that are not
 * pointer-free, marked or not) that holds an address inside the object,
 * reported with where it is.  The same walk, with another question.
 * Context: a goroutine, no collection running and none started meanwhile
 * (no lock is taken; tests call it between their collections), one
 * caller at a time; with other goroutines running the answer is a
 * snapshot that may be stale.
 */
#include <stdio.h>
#include "rt/heap/gc_impl.h"

static PLAT_GC_NOROOT int verify_on;
static PLAT_GC_NOROOT char msg[320];
static PLAT_GC_NOROOT const char *cur_what;   /* where the words come from, */
static PLAT_GC_NOROOT uintptr_t cur_base;     /* and their object or range */
static PLAT_GC_NOROOT uint64_t cur_cycle;
static PLAT_GC_NOROOT char what[160];
/* rt_gc_referrers' question, when set: [ref_lo, ref_hi), and its answer */
static PLAT_GC_NOROOT uintptr_t ref_lo, ref_hi;
static PLAT_GC_NOROOT void (*ref_fn)(const char *, uintptr_t, uintptr_t, uintptr_t, void *);
static PLAT_GC_NOROOT void *ref_ctx;

void rt_gc_set_verify(int on) { __atomic_store_n(&verify_on, on != 0, __ATOMIC_RELAXED); }

/* The word v, read at address at: fatal if it names an allocated,
 * unmarked collected object. */
static void check(uintptr_t v, uintptr_t at)
{
	if (ref_fn) {
		if (v - ref_lo < ref_hi - ref_lo)
			ref_fn(cur_what, cur_base, at, v, ref_ctx);
		return;
	}
	if (v - rt_arena_lo >= rt_arena_used - rt_arena_lo)
		return;
	struct mspan *s = rt_spans[(v - rt_arena_lo) >> RT_HP_SHIFT];
	if (!s || rt_kind_malloc(s->kind) || v < s->base || v >= s->base + s->npages * RT_HP)
		return;
	uintptr_t obj;
	if (s->state == SPAN_SMALL) {
		uint32_t idx = rt_span_index(s, v - s->base);
		if (idx >= s->nelems)
			return;
		uint64_t bit = 1ull << (idx & 63);
		if (!(s->allocbits[idx >> 6] & bit) || (s->markbits[idx >> 6] & bit))
			return;
		obj = s->base + (uintptr_t)idx * s->elemsize;
	} else if (s->state == SPAN_LARGE) {
		if (s->markbits[0])
			return;
		obj = s->base;
	} else {
		return;
	}
	snprintf(msg, sizeof(msg),
	         "gc: verify: cycle %llu: %s %p: the word at %p holds %p, inside the unmarked object %p "
	         "(%u bytes): it would be freed while reachable",
	         (unsigned long long)cur_cycle, cur_what, (void *)cur_base, (void *)at, (void *)v, (void *)obj,
	         s->state == SPAN_SMALL ? s->elemsize : (unsigned)(s->npages * RT_HP));
	rt_throw(msg);
}

/* Every aligned word of [lo, hi). */
__attribute__((no_sanitize("address", "thread")))
static void check_range(const char *what, uintptr_t base, uintptr_t lo, uintptr_t hi)
{
	cur_what = what;
	cur_base = base;
	lo = (lo + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
	for (uintptr_t a = lo; a + sizeof(uintptr_t) <= hi; a += sizeof(uintptr_t))
		check(*(const volatile uintptr_t *)a, a);
}

/* A typed object's pointer slots (rt_gc_scan_typed gives their values,
 * not their addresses: the object's base stands for where). */
static void check_typed_slot(uintptr_t v) { check(v, cur_base); }

/* Each object of span s to read: allocated (malloc'd), or marked
 * (collected, not pointer-free). */
static void check_span(struct mspan *s)
{
	unsigned kind = s->kind;
	if (kind == KIND_GC_NOSCAN || kind == KIND_MALLOC_NOSCAN)
		return;
	int malloced = rt_kind_malloc(kind);
	if (s->state == SPAN_LARGE) {
		if (!malloced && !s->markbits[0] && !ref_fn)
			return;
		if (kind == KIND_GC_TYPED) {
			cur_what = "typed object";
			cur_base = s->base;
			rt_gc_scan_typed(s->base, s->base + s->npages * RT_HP, check_typed_slot);
		} else {
			check_range(malloced ? "malloc'd block" : "object", s->base, s->base,
			            s->base + s->npages * RT_HP);
		}
		return;
	}
	for (unsigned i = 0; i < s->nelems; i++) {
		uint64_t bit = 1ull << (i & 63), have = s->allocbits[i >> 6];
		if (!malloced && !ref_fn)
			have &= s->markbits[i >> 6];
		if (!(have & bit))
			continue;
		uintptr_t o = s->base + (uintptr_t)i * s->elemsize;
		if (kind == KIND_GC_TYPED) {
			cur_what = "typed object";
			cur_base = o;
			rt_gc_scan_typed(o, o + s->elemsize, check_typed_slot);
		} else {
			check_range(malloced ? "malloc'd block" : "object", o, o, o + s->elemsize);
		}
	}
}

/* Every span in use, by check_span. */
static void check_heap(void)
{
	uintptr_t used = rt_arena_used;
	for (uintptr_t a = rt_arena_lo; a < used; a += RT_HP) {
		uint8_t state;
		struct mspan *s = gc_span_at(a, &state);
		if (s && s->base == a)
			check_span(s);
	}
}

void gc_verify(struct g *self, uintptr_t own_lo, uint64_t cycle, int conc)
{
	if (!__atomic_load_n(&verify_on, __ATOMIC_RELAXED))
		return;
	cur_cycle = cycle;
	const uintptr_t *dlo, *dhi;
	unsigned dn = gc_data_runs(&dlo, &dhi);
	for (unsigned i = 0; i < dn; i++)
		check_range("data", dlo[i], dlo[i], dhi[i]);
	for (struct gx *x = (struct gx *)rt_sched.allgs; x; x = x->allnext) {
		uintptr_t sp, top;
		if (!gc_stack_of(&x->g, self, &sp, &top))
			continue;
		if (conc) {
			/* what concurrent marking read: from the sp the start
			 * pause noted (whole), and below it only the pages
			 * written since (the final pause's re-scan), which
			 * cannot be told apart here from pages of stale words
			 * the goroutine never wrote (an uninitialized frame),
			 * so below the noted sp, and for a goroutine made
			 * during marking, nothing is checked */
			uintptr_t noted = __atomic_load_n(&x->gc_noted_sp, __ATOMIC_RELAXED);
			if (!noted)
				continue;
			sp = noted > sp ? noted : sp;
		}
		snprintf(what, sizeof(what), "goroutine %llu's stack from", (unsigned long long)x->g.goid);
		check_range(what, sp, sp, top);
	}
	check_range("the collector's stack from", own_lo, own_lo, self->stack_lo + self->stack_size);
	check_heap();
}

void rt_gc_referrers(uintptr_t obj, size_t size,
                     void (*fn)(const char *what, uintptr_t base, uintptr_t at, uintptr_t v, void *ctx),
                     void *ctx)
{
	struct m *m = rt_acquirem();
	ref_lo = obj;
	ref_hi = obj + size;
	ref_fn = fn;
	ref_ctx = ctx;
	uintptr_t dlo[64], dhi[64];   /* read now: no cycle may have run yet */
	unsigned dn = plat_gc_data(dlo, dhi, 64);
	for (unsigned i = 0; i < dn; i++)
		check_range("data", dlo[i], dlo[i], dhi[i]);
	struct g *self = rt_getg();
	for (struct gx *x = (struct gx *)rt_sched.allgs; x; x = x->allnext) {
		uintptr_t sp, top;
		if (!gc_stack_of(&x->g, self, &sp, &top))
			continue;
		/* who it is, for a reader who must find the frame: its entry
		 * and why it waits */
		snprintf(what, sizeof(what), "goroutine %llu's stack (fn %p, status %d%s%s, top %#lx) from",
		         (unsigned long long)x->g.goid, (void *)(uintptr_t)x->g.fn, x->g.status,
		         x->g.waitreason ? ", " : "", x->g.waitreason ? x->g.waitreason : "", (unsigned long)top);
		check_range(what, sp, sp, top);
	}
	check_heap();
	ref_fn = NULL;
	rt_releasem(m);
}

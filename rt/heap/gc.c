/*
 * gc.c - the collector: stop the world, mark conservatively from the
 * roots, sweep, start the world; the pacer that decides when.
 *
 * This is the first, stop-the-world form of the collector the heap issue
 * asks for (docs/heap.md says what is still to come: concurrent marking
 * with the page tables' dirty bits, lazy sweeping, assists, cleanups and
 * weak references).  It is complete on its own: every collected object
 * that no root reaches is freed, and nothing reachable is.
 *
 * Stop the world: the collector (a goroutine: tally_gc, or an allocation
 * that finds the heap over its goal) raises rt_stw with a new generation
 * and wakes every other M.  Each M's g0 checks rt_stw at the top of its
 * scheduling loop (sched.c), acknowledges the generation (m->stw_ack) and
 * parks until the world starts again; a running goroutine is preempted
 * at the next tick regardless of its quantum (rt_preempt_check), so the
 * world stops within a tick once no goroutine holds a runtime lock.  The
 * collector holds no lock while it waits (it holds m->locks, so it is not
 * preempted itself).
 *
 * Roots, scanned conservatively (any aligned word that holds an address
 * inside a collected object marks it; interior pointers count):
 *   - static data and bss (plat_gc_data);
 *   - every goroutine's stack from its saved stack pointer to its top,
 *     which holds its callee-saved registers (the switch) or its whole
 *     register file (a preemption's stub); the collector's own stack from
 *     where rt_gc_collect was entered, after spilling its caller's
 *     registers there (__builtin_unwind_init), never its own frames;
 *   - every allocated malloc'd object (goroutines, channels, timers are
 *     malloc'd too), since C code may keep pointers anywhere in them.
 * Every M's cache windows are given back first, so a span's allocbits say
 * exactly which objects exist.
 *
 * Sweep (with the world still stopped, for now): in a collected span,
 * allocbits := allocbits & markbits; each freed object is zeroed (so
 * tally_gc_alloc's memory is zero without a memset on allocation) and
 * counted; a span with free objects goes to its central list, an empty
 * one back to the page heap.  An unmarked large object goes back whole.
 *
 * Pacer: heap_alloc (bytes of collected objects, counted when a cache
 * reserves a window and corrected when it gives one back) is compared with
 * the goal on every window refill: goal = max(4 MiB, live * (100 + GOGC)
 * / 100), and with a memory limit, at most 7/8 of it.  GOGC < 0: only
 * tally_gc collects.
 *
 * Ledger: the collector's time, world stopping included, is rt.gc.stw on
 * its CPU; the stopped CPUs are halted, charged to idle (they are).
 * Context: the collector runs on a goroutine; g0 and the boot thread do
 * not collect (an allocation there only grows the heap).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "rt/heap/heap.h"
#include "rt/sched_impl.h"
#include "rt/include/tally.h"

volatile int rt_stw;
static volatile uint32_t stw_gen;
static volatile int gc_busy;
static unsigned class_stw;
volatile uint64_t rt_gc_heap_alloc;
int rt_gc_percent_v = 100;
int64_t rt_gc_limit_v;
int rt_gctrace;
static uint64_t gc_goal = 4u << 20, gc_live, gc_start_ns;
static struct tally_gc_stats st;
static uint64_t total_alloc_base, prev_live;  /* bytes allocated before the last cycle's end */

#define GOAL_MIN ((uint64_t)4 << 20)

void rt_stw_wait(struct m *m)
{
	uint32_t gen = __atomic_load_n(&stw_gen, __ATOMIC_SEQ_CST);
	__atomic_store_n(&m->stw_ack, gen, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&rt_stw, __ATOMIC_SEQ_CST) &&
	       __atomic_load_n(&stw_gen, __ATOMIC_SEQ_CST) == gen)
		plat_m_park(0);
}

static void stop_the_world(unsigned me)
{
	unsigned n = (unsigned)tally_ncpu();
	uint32_t gen = __atomic_add_fetch(&stw_gen, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&rt_stw, 1, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < n; i++)
		if (i != me)
			plat_m_wake(i);
	for (unsigned i = 0; i < n; i++) {
		if (i == me)
			continue;
		for (uint64_t spins = 1; __atomic_load_n(&rt_ms[i].stw_ack, __ATOMIC_SEQ_CST) != gen; spins++) {
			plat_relax();
			if (spins % 4096 == 0)
				plat_m_wake(i);  /* it may have parked on a path without the check */
		}
	}
}

static void start_the_world(unsigned me)
{
	unsigned n = (unsigned)tally_ncpu();
	__atomic_store_n(&rt_stw, 0, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < n; i++)
		if (i != me)
			plat_m_wake(i);
}

/* ---- marking ---- */

struct work {
	uintptr_t lo, hi;
};
static struct work *wstack;
static size_t wtop, wcap;
static struct mspan *wspan;
static uint64_t marked_bytes, roots_bytes;
static int overflowed;  /* an object was marked but could not be pushed */

/* The mark stack stays allocated between cycles (a full heap must still
 * be collectable).  When it cannot grow, the object stays marked but
 * unscanned and `overflowed` says so: rescan_marked() then scans every
 * marked object again until no push fails. */
static void push(uintptr_t lo, uintptr_t hi)
{
	if (wtop == wcap) {
		size_t ncap = wcap ? wcap * 2 : 32768;
		size_t npages = (ncap * sizeof(struct work) + RT_HP - 1) / RT_HP;
		struct mspan *s = rt_pageheap_alloc(npages, RT_HP);
		if (!s) {
			overflowed = 1;
			return;
		}
		if (wtop)
			memcpy((void *)s->base, wstack, wtop * sizeof(struct work));
		if (wspan)
			rt_pageheap_free(wspan);
		wspan = s;
		wstack = (struct work *)s->base;
		wcap = npages * RT_HP / sizeof(struct work);
	}
	wstack[wtop].lo = lo;
	wstack[wtop].hi = hi;
	wtop++;
}

static inline void mark_word(uintptr_t p)
{
	if (p - rt_arena_lo >= rt_arena_used - rt_arena_lo)
		return;
	struct mspan *s = rt_spans[(p - rt_arena_lo) >> RT_HP_SHIFT];
	if (!s || p < s->base || p >= s->base + s->npages * RT_HP || s->kind == KIND_MALLOC)
		return;
	if (s->state == SPAN_SMALL) {
		uintptr_t off = p - s->base;
		uint32_t idx = rt_span_index(s, off);
		if (idx >= s->nelems)
			return;  /* the span's tail */
		uint64_t bit = 1ull << (idx & 63);
		if (!(s->allocbits[idx >> 6] & bit) || (s->markbits[idx >> 6] & bit))
			return;
		s->markbits[idx >> 6] |= bit;
		if (s->kind == KIND_GC_SCAN) {
			uintptr_t obj = rt_span_obj(s, idx / 64, idx % 64);
			push(obj, obj + s->elemsize);
		} else if (s->kind == KIND_GC_TYPED) {  /* tagged: scanned by its bitmap */
			uintptr_t obj = rt_span_obj(s, idx / 64, idx % 64);
			push(obj | 1, obj + s->elemsize);
		}
	} else if (s->state == SPAN_LARGE) {
		if (s->markbits[0])
			return;
		s->markbits[0] = 1;
		if (s->kind == KIND_GC_SCAN)
			push(s->base, s->base + s->npages * RT_HP);
		else if (s->kind == KIND_GC_TYPED)  /* tagged: scanned by its bitmap */
			push(s->base | 1, s->base + s->npages * RT_HP);
	}
}

/* Reads any memory word by word: stacks hold sanitizer redzones and other
 * goroutines' frames, which the world being stopped makes safe to read. */
__attribute__((no_sanitize("address", "thread")))
static void scan(uintptr_t lo, uintptr_t hi)
{
	lo = (lo + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
	for (uintptr_t a = lo; a + sizeof(uintptr_t) <= hi; a += sizeof(uintptr_t))
		mark_word(*(const uintptr_t *)a);
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

static void drain(void)
{
	while (wtop) {
		wtop--;
		struct work w = wstack[wtop];
		uintptr_t lo = w.lo & ~(uintptr_t)1;  /* bit 0: a typed object */
		marked_bytes += w.hi - lo;
		scan_object(w.lo & 1 ? KIND_GC_TYPED : KIND_GC_SCAN, lo, w.hi);
	}
}

static void rescan_marked(void)
{
	while (overflowed) {
		overflowed = 0;
		for (struct mspan *s = rt_allspans; s; s = s->allnext) {
			if (s->kind != KIND_GC_SCAN && s->kind != KIND_GC_TYPED)
				continue;
			if (s->state == SPAN_LARGE) {
				if (s->markbits[0]) {
					scan_object(s->kind, s->base, s->base + s->npages * RT_HP);
					drain();
				}
				continue;
			}
			for (unsigned w = 0; w < (s->nelems + 63u) / 64u; w++)
				for (uint64_t b = s->markbits[w]; b; b &= b - 1) {
					uintptr_t obj = rt_span_obj(s, w, (unsigned)__builtin_ctzll(b));
					scan_object(s->kind, obj, obj + s->elemsize);
					drain();
				}
		}
	}
}

static void scan_root(uintptr_t lo, uintptr_t hi)
{
	roots_bytes += hi > lo ? hi - lo : 0;
	scan(lo, hi);
	drain();
}

/* The collector's own stack: from where rt_gc_collect was entered (its
 * caller's registers spilled there) up.  Not from here: the collector's
 * own frames below that point hold object addresses of its own making
 * (an inlined mark or sweep's locals, a window's base), stale in slots it
 * has not yet rewritten this cycle, which kept such objects alive cycle
 * after cycle. */
static uintptr_t own_lo;

static void scan_own_stack(struct g *self)
{
	scan_root(own_lo, self->stack_lo + self->stack_size);
}

static void mark_roots(struct g *self)
{
	uintptr_t lo[64], hi[64];
	unsigned n = plat_gc_data(lo, hi, 64);
	for (unsigned i = 0; i < n; i++)
		scan_root(lo[i], hi[i]);
	for (struct gx *x = (struct gx *)rt_sched.allgs; x; x = x->allnext) {
		struct g *gp = &x->g;
		int status = __atomic_load_n(&gp->status, __ATOMIC_SEQ_CST);
		if (gp == self || !gp->stack_lo || (status != G_RUNNABLE && status != G_WAITING))
			continue;
		uintptr_t sp = rt_ctx_sp(&gp->ctx);
		if (sp >= gp->stack_lo && sp <= gp->stack_lo + gp->stack_size)
			scan_root(sp, gp->stack_lo + gp->stack_size);
	}
	scan_own_stack(self);
	/* malloc'd objects: every one allocated is a root */
	for (struct mspan *s = rt_allspans; s; s = s->allnext) {
		if (s->kind != KIND_MALLOC)
			continue;
		if (s->state == SPAN_LARGE) {
			scan_root(s->base, s->base + s->npages * RT_HP);
			continue;
		}
		for (unsigned w = 0; w < (s->nelems + 63u) / 64u; w++)
			for (uint64_t b = s->allocbits[w]; b; b &= b - 1) {
				uintptr_t obj = rt_span_obj(s, w, (unsigned)__builtin_ctzll(b));
				scan_root(obj, obj + s->elemsize);
			}
	}
}

/* ---- sweeping ---- */

static uint64_t sweep(uint64_t *freed_objects)
{
	uint64_t live = 0, freed = 0;
	struct mspan *next;
	for (struct mspan *s = rt_allspans; s; s = next) {
		next = s->allnext;
		if (s->kind == KIND_MALLOC)
			continue;
		if (s->state == SPAN_LARGE) {
			if (s->markbits[0]) {
				live += s->npages * RT_HP;
				continue;
			}
			freed++;
			__atomic_store_n(&s->state, SPAN_META, __ATOMIC_RELEASE);
			rt_allspans_remove(s);
			rt_pageheap_free(s);
			continue;
		}
		unsigned nfreed = 0;
		for (unsigned w = 0; w < (s->nelems + 63u) / 64u; w++) {
			uint64_t alloc = s->allocbits[w], keep = alloc & s->markbits[w];
			for (uint64_t dead = alloc & ~keep; dead; dead &= dead - 1) {
				uintptr_t obj = rt_span_obj(s, w, (unsigned)__builtin_ctzll(dead));
				memset((void *)obj, 0, s->elemsize);
				nfreed++;
			}
			s->allocbits[w] = keep;
			live += (uint64_t)__builtin_popcountll(keep) * s->elemsize;
		}
		if (nfreed) {
			freed += nfreed;
			__atomic_add_fetch(&s->nfree, (int32_t)nfreed, __ATOMIC_SEQ_CST);
			rt_span_settle(s);  /* central list, or the page heap if empty */
		}
	}
	*freed_objects = freed;
	return live;
}

/* ---- the cycle ---- */

static void trace(uint64_t before, uint64_t t_roots, uint64_t t_mark, uint64_t t_sweep, uint64_t pause)
{
	char line[256];
	uint64_t since = plat_nanotime() - gc_start_ns;
	unsigned pct = since ? (unsigned)(st.pause_total_ns * 100 / since) : 0;
	int n = snprintf(line, sizeof(line),
	                 "gc %llu @%llu.%03llus %u%%: %llu.%03llu ms stw (roots+mark %llu.%03llu, sweep "
	                 "%llu.%03llu, stop %llu.%03llu), %llu->%llu MB, %llu MB goal, %u P, %llu freed\n",
	                 (unsigned long long)st.cycles, (unsigned long long)(since / 1000000000),
	                 (unsigned long long)(since / 1000000 % 1000), pct,
	                 (unsigned long long)(pause / 1000000), (unsigned long long)(pause / 1000 % 1000),
	                 (unsigned long long)(t_mark / 1000000), (unsigned long long)(t_mark / 1000 % 1000),
	                 (unsigned long long)(t_sweep / 1000000), (unsigned long long)(t_sweep / 1000 % 1000),
	                 (unsigned long long)(t_roots / 1000000), (unsigned long long)(t_roots / 1000 % 1000),
	                 (unsigned long long)(before >> 20), (unsigned long long)(gc_live >> 20),
	                 (unsigned long long)(gc_goal >> 20), (unsigned)tally_gomaxprocs(0),
	                 (unsigned long long)st.objects_freed);
	plat_write(line, n > 0 && (size_t)n < sizeof(line) ? (size_t)n : strlen(line));
}

static void set_goal(void)
{
	int pct = __atomic_load_n(&rt_gc_percent_v, __ATOMIC_RELAXED);
	int64_t limit = __atomic_load_n(&rt_gc_limit_v, __ATOMIC_RELAXED);
	uint64_t goal = gc_live + gc_live * (uint64_t)(pct < 0 ? 0 : pct) / 100;
	if (goal < GOAL_MIN)
		goal = GOAL_MIN;
	if (limit > 0 && goal > (uint64_t)limit / 8 * 7)
		goal = (uint64_t)limit / 8 * 7 > gc_live ? (uint64_t)limit / 8 * 7 : gc_live + (1u << 20);
	__atomic_store_n(&gc_goal, goal, __ATOMIC_SEQ_CST);
}

static void collect(uintptr_t entry_sp);

/* Entry: spill the caller's callee-saved registers into this frame and
 * note where the collector's own frames begin (scan_own_stack). */
__attribute__((noinline)) void rt_gc_collect(void)
{
	__builtin_unwind_init();
	volatile uintptr_t here = (uintptr_t)&here;
	collect(here);
}

__attribute__((noinline)) static void collect(uintptr_t entry_sp)
{
	if (!rt_on_goroutine())
		return;  /* g0 or the boot thread: cannot stop the world */
	while (__atomic_exchange_n(&gc_busy, 1, __ATOMIC_ACQUIRE))
		tally_yield();  /* another collection: it will stop us too */
	struct m *m = rt_acquirem();
	struct g *self = m->curg;
	unsigned old = plat_ledger_switch(class_stw);
	uint64_t t0 = plat_nanotime();
	stop_the_world(m->id);
	uint64_t t1 = plat_nanotime();
	for (unsigned i = 0; i < (unsigned)tally_ncpu(); i++)
		rt_mcache_release_all(&rt_mcaches[i]);
	uint64_t before = __atomic_load_n(&rt_gc_heap_alloc, __ATOMIC_SEQ_CST);
	for (struct mspan *s = rt_allspans; s; s = s->allnext)
		if (s->kind != KIND_MALLOC)
			memset(s->markbits, 0, sizeof(s->markbits));
	marked_bytes = roots_bytes = 0;
	overflowed = 0;
	own_lo = entry_sp;
	mark_roots(self);
	rescan_marked();
	/* Hook (gcfinal.c): marking is complete, world stopped, before
	 * sweep: queue the cleanups of unmarked objects, clear their weak
	 * handles, drop unreachable timers.  It marks nothing. */
	rt_gc_final_after_mark();
	uint64_t t2 = plat_nanotime();
	uint64_t freed;
	gc_live = sweep(&freed);
	__atomic_store_n(&rt_gc_heap_alloc, gc_live, __ATOMIC_SEQ_CST);
	set_goal();
	uint64_t t3 = plat_nanotime();
	start_the_world(m->id);
	uint64_t pause = plat_nanotime() - t0;
	st.cycles++;
	st.heap_live = gc_live;
	st.objects_freed += freed;
	st.pause_last_ns = pause;
	st.pause_total_ns += pause;
	if (pause > st.pause_max_ns)
		st.pause_max_ns = pause;
	st.roots_bytes = roots_bytes;
	st.marked_bytes = marked_bytes;
	total_alloc_base += before > prev_live ? before - prev_live : 0;
	prev_live = gc_live;
	plat_ledger_switch(old);
	rt_releasem(m);
	if (rt_gctrace)
		trace(before, t1 - t0, t2 - t1, t3 - t2, pause);
	__atomic_store_n(&gc_busy, 0, __ATOMIC_RELEASE);
	/* Hook (gcfinal.c): the world runs again: start the cleanups. */
	rt_gc_final_after_cycle();
}

/* Collect if the heap is over its goal (an allocation's slow path, on a
 * goroutine, no lock held). */
static void maybe_collect(void)
{
	if (__atomic_load_n(&rt_gc_percent_v, __ATOMIC_RELAXED) < 0 &&
	    __atomic_load_n(&rt_gc_limit_v, __ATOMIC_RELAXED) <= 0)
		return;
	if (__atomic_load_n(&rt_gc_heap_alloc, __ATOMIC_RELAXED) < __atomic_load_n(&gc_goal, __ATOMIC_RELAXED))
		return;
	if (rt_on_goroutine() && rt_getm()->locks == 0)
		rt_gc_collect();
}

/* ---- the API ---- */

void *rt_gc_alloc_fast(size_t n, unsigned kind);

void *tally_gc_alloc(size_t n, int kind)
{
	if (kind != TALLY_GC_SCAN && kind != TALLY_GC_NOSCAN) {
		errno = EINVAL;
		return NULL;
	}
	return rt_gc_alloc(n, kind == TALLY_GC_SCAN ? KIND_GC_SCAN : KIND_GC_NOSCAN);
}

void *rt_gc_alloc(size_t n, unsigned k)
{
	if (n == 0)
		n = 1;
	void *p = rt_gc_alloc_fast(n, k);
	if (p)
		return p;
	maybe_collect();
	for (int attempt = 0; attempt < 2; attempt++) {
		if (n > RT_SMALL_MAX) {
			p = rt_large_alloc(k, n, RT_HP);
			if (p)
				__atomic_add_fetch(&rt_gc_heap_alloc, (n + RT_HP - 1) / RT_HP * RT_HP, __ATOMIC_RELAXED);
		} else {
			p = rt_small_alloc(k, rt_size_class(n));
		}
		if (p)
			return p;
		rt_gc_collect();  /* out of memory: collect once, then try again */
	}
	char what[160];
	snprintf(what, sizeof(what), "a collected object; heap %llu bytes live after the last collection, "
	         "goal %llu, limit %lld",
	         (unsigned long long)gc_live, (unsigned long long)gc_goal, (long long)rt_gc_limit_v);
	rt_throw_oom(what, n);
}

void tally_gc(void) { rt_gc_collect(); }

/* The settings and statistics change under gc_busy, like a collection. */
static void busy_lock(void)
{
	while (__atomic_exchange_n(&gc_busy, 1, __ATOMIC_ACQUIRE))
		tally_yield();
}

static void busy_unlock(void) { __atomic_store_n(&gc_busy, 0, __ATOMIC_RELEASE); }

int tally_gc_percent(int percent)
{
	busy_lock();
	int old = rt_gc_percent_v;
	__atomic_store_n(&rt_gc_percent_v, percent, __ATOMIC_RELAXED);
	set_goal();
	busy_unlock();
	return old;
}

int64_t tally_gc_memory_limit(int64_t bytes)
{
	busy_lock();
	int64_t old = rt_gc_limit_v;
	if (bytes >= 0) {
		__atomic_store_n(&rt_gc_limit_v, bytes, __ATOMIC_RELAXED);
		set_goal();
	}
	busy_unlock();
	return old;
}

void tally_gc_read_stats(struct tally_gc_stats *s)
{
	busy_lock();
	*s = st;
	s->heap_alloc = __atomic_load_n(&rt_gc_heap_alloc, __ATOMIC_RELAXED);
	s->heap_goal = gc_goal;
	/* heap_alloc counts objects reserved by caches' windows too: between
	 * collections this is at most a window per class and M ahead */
	s->total_alloc = total_alloc_base + (s->heap_alloc > prev_live ? s->heap_alloc - prev_live : 0);
	rt_gc_final_stats(&s->cleanups_queued, &s->cleanups_run, &s->weak_cleared);  /* gcfinal.c */
	busy_unlock();
}

void rt_gc_init(void)
{
	class_stw = (unsigned)plat_ledger_class("rt.gc.stw");
	gc_start_ns = plat_nanotime();
	plat_gc_config(&rt_gc_percent_v, &rt_gc_limit_v, &rt_gctrace);
	set_goal();
}

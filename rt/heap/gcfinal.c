/*
 * gcfinal.c - cleanups, weak references and keep-alive for the collected
 * heap: Go 1.24's runtime.AddCleanup, weak.Pointer and runtime.KeepAlive.
 *
 * Purpose: tally_gc_add_cleanup / tally_gc_cleanup_stop, tally_weak_make /
 * tally_weak_value and tally_gc_keep_alive (rt/include/tally.h), and the
 * two hooks the collector (gc.c) calls each cycle.
 *
 * Data structures, all in malloc'd memory (which the collector scans as
 * roots) under final_lock:
 *   - a cleanup record {id, HIDE(obj), fn, arg}, in a hash table by id
 *     (for tally_gc_cleanup_stop); once its object is found unreachable
 *     it moves to the run queue, a FIFO the cleanup goroutine drains;
 *   - a weak record {HIDE(p), cell}, in a hash table by HIDE(p).  The
 *     cell is the handle the program holds: a one-word TALLY_GC_NOSCAN
 *     collected object holding HIDE(p), or 0 once p's object has died.
 *     Every tally_weak_make(p) while the record exists returns the same
 *     cell, so two handles made from one pointer compare equal.
 * HIDE(p) = ~p: never an address inside the arena, so neither a record
 * (scanned as a root) nor a cell (never scanned) keeps p's object alive.
 * The record keeps its cell alive while the object lives; afterwards the
 * cell lives as long as the program holds a handle to it, and is then
 * collected like any object.  arg of a cleanup is a real pointer: it
 * stays alive until the cleanup has run (Go's rule), which is why arg
 * must not point into obj's own object (the cleanup would never run; it
 * is reported, as Go does).
 *
 * The cycle (gc.c calls, world stopped):
 *   rt_gc_final_after_mark: marking is complete, sweep has not started.
 *     Every cleanup whose object is unmarked moves to the run queue; every
 *     weak record whose object is unmarked has its cell cleared and goes
 *     on a list to be freed; the timer heaps drop the collected timers no
 *     one can reach (rtimer.c, rt_timers_gc_drop).  Nothing is marked
 *     here, so nothing is resurrected: the object is freed by the sweep
 *     of this same cycle.
 *   rt_gc_final_after_cycle: the world runs again.  The dropped weak
 *     records are freed, and if the run queue has work and no cleanup
 *     goroutine is running, one is started (tally_go).
 * Cleanups run one at a time, in the order they were queued, on that one
 * goroutine (Go: "a single goroutine runs all cleanup calls"); it exits
 * when the queue is empty, so an idle program has no extra goroutine.
 *
 * Invariants:
 *   - a cleanup record is in exactly one place: the table (pending), the
 *     run queue (its object is dead), or freed (ran or stopped);
 *   - a weak record is in the table iff its cell holds HIDE(p) != 0;
 *   - _gc_marked reads the mark bits as gc.c leaves them at the end of
 *     marking: an object allocated during a cycle must read as marked (a
 *     concurrent collector marks such objects at birth).
 *
 * Locking: final_lock (an rt_lock) guards both tables, the run queue and
 * the dead list.  It is taken before any heap lock (rt_malloc under it)
 * and never across tally_gc_alloc (which may collect: the collector takes
 * final_lock in its hook) or a cleanup's fn.  The world stops only where
 * no rt_lock is held, so the hooks always find final_lock free.
 *
 * Context: the API from any goroutine; the hooks on the collector's
 * goroutine.  tally_weak_value holds off preemption (rt_acquirem) between
 * reading the cell and turning HIDE(p) back into p, so no collection can
 * fall between the two (the pointer, once in a register, is a root).
 * Concurrent marking (gcconc=1) needs no shade there (Go's
 * makeStrongFromWeak): a store of p dirties its page, and at the final
 * pause the goroutine's registers are on its stack, on pages the stop
 * dirtied, which are re-scanned (docs/heap.md).
 */
#include <stdio.h>
#include <string.h>
#include "rt/heap/heap.h"
#include "rt/include/tally.h"

#define HIDE(p) (~(uintptr_t)(p))

struct cleanup {
	struct cleanup *next;      /* bucket chain, then the run queue */
	uint64_t id;
	uintptr_t hidden;          /* HIDE(obj) */
	void (*fn)(void *);
	void *arg;                 /* a real pointer: arg stays alive */
};

struct tally_weak {
	volatile uintptr_t hidden; /* HIDE(p), or 0 once p's object died */
};

struct weakref {
	struct weakref *next;
	uintptr_t hidden;          /* HIDE(p) */
	struct tally_weak *cell;
};

/* A chained hash table of records whose first field is `next`. */
struct table {
	void **b;
	size_t nb, n;              /* buckets (a power of two), records */
};

static struct rt_lock final_lock;
static struct table ctab, wtab;
static uint64_t next_id;
static struct cleanup *runq, **runq_tail = &runq;
static struct weakref *dead_weak;
static volatile int runner;   /* 1 while a cleanup goroutine runs */
static volatile uint64_t n_queued, n_ran, n_cleared;

static size_t slot(const struct table *t, uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (t->nb - 1);
}

/* Room for one more record; final_lock held.  Keys come from key_of. */
static void table_grow(struct table *t, uint64_t (*key_of)(const void *))
{
	if (t->n < t->nb * 2 && t->nb)
		return;
	size_t nb = t->nb ? t->nb * 4 : 256;
	void **b = rt_calloc(nb, sizeof(*b));
	if (!b)
		rt_throw_oom("the collector's cleanup or weak table", nb * sizeof(*b));
	struct table nt = { b, nb, t->n };
	for (size_t i = 0; i < t->nb; i++)
		for (void *r = t->b[i], *next; r; r = next) {
			next = *(void **)r;
			size_t k = slot(&nt, key_of(r));
			*(void **)r = b[k];
			b[k] = r;
		}
	rt_free(t->b);
	*t = nt;
}

static uint64_t cleanup_key(const void *r) { return ((const struct cleanup *)r)->id; }
static uint64_t weak_key(const void *r) { return ((const struct weakref *)r)->hidden; }

/* The collected object holding address p: its span, base and size, or
 * NULL (why in *why) when p is in no allocated collected object. */
static struct mspan *gc_object(uintptr_t p, uintptr_t *base, size_t *size, const char **why)
{
	struct mspan *s = p ? rt_span_of(p) : NULL;
	*why = p ? "is not in the heap" : "is NULL";
	if (!s)
		return NULL;
	uint8_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
	if ((st != SPAN_SMALL && st != SPAN_LARGE) || p < s->base || p >= s->base + s->npages * RT_HP) {
		*why = "is in no allocated object";
		return NULL;
	}
	if (rt_kind_malloc(s->kind)) {
		*why = "is malloc'd memory, not a collected object";
		return NULL;
	}
	if (st == SPAN_LARGE) {
		*base = s->base;
		*size = s->npages * RT_HP;
		return s;
	}
	uint32_t idx = rt_span_index(s, p - s->base);
	/* a slot free in a cache's window has its bit set too */
	if (idx >= s->nelems || !(__atomic_load_n(&s->allocbits[idx >> 6], __ATOMIC_ACQUIRE) &
	                          (1ull << (idx & 63))) ||
	    rt_span_free_in_window(s, rt_span_obj(s, idx / 64, idx % 64))) {
		*why = "is in no allocated object";
		return NULL;
	}
	*base = rt_span_obj(s, idx / 64, idx % 64);
	*size = s->elemsize;
	return s;
}

int _gc_marked(uintptr_t p)
{
	uintptr_t base;
	size_t size;
	const char *why;
	struct mspan *s = gc_object(p, &base, &size, &why);
	if (!s)
		return 1;  /* not a collected object: the collector never frees it */
	if (s->state == SPAN_LARGE)
		return s->markbits[0] != 0;
	uint32_t idx = rt_span_index(s, base - s->base);
	return (s->markbits[idx >> 6] >> (idx & 63)) & 1;
}

static _Noreturn void misuse(const char *fn, const void *p, const char *why)
{
	char msg[200];
	if (p)
		snprintf(msg, sizeof(msg), "%s %p %s", fn, p, why);
	else
		snprintf(msg, sizeof(msg), "%s is NULL", fn);
	rt_panic(msg);
}

/* ---- cleanups ---- */

uint64_t tally_gc_add_cleanup(void *obj, void (*fn)(void *), void *arg)
{
	uintptr_t base;
	size_t size;
	const char *why;
	if (!gc_object((uintptr_t)obj, &base, &size, &why))
		misuse("tally_gc_add_cleanup: obj", obj, why);
	if (!fn)
		rt_panic("tally_gc_add_cleanup: fn is NULL");
	if ((uintptr_t)arg >= base && (uintptr_t)arg < base + size)
		misuse("tally_gc_add_cleanup: arg", arg,
		       "points into obj's own object: it would keep obj alive and the cleanup would never run");
	struct cleanup *c = rt_calloc(1, sizeof(*c));  /* no stale words: the record is a root */
	if (!c)
		rt_throw_oom("a cleanup record", sizeof(*c));
	c->hidden = HIDE(obj);
	c->fn = fn;
	c->arg = arg;
	rt_lock(&final_lock);
	table_grow(&ctab, cleanup_key);
	c->id = ++next_id;
	size_t k = slot(&ctab, c->id);
	c->next = ctab.b[k];
	ctab.b[k] = c;
	ctab.n++;
	uint64_t id = c->id;
	rt_unlock(&final_lock);
	tally_gc_keep_alive(obj);  /* obj is alive until the record is in */
	return id;
}

int tally_gc_cleanup_stop(uint64_t id)
{
	struct cleanup *found = NULL;
	rt_lock(&final_lock);
	if (ctab.nb) {
		for (struct cleanup **pp = (struct cleanup **)&ctab.b[slot(&ctab, id)]; *pp; pp = &(*pp)->next)
			if ((*pp)->id == id) {
				found = *pp;
				*pp = found->next;
				ctab.n--;
				break;
			}
	}
	rt_unlock(&final_lock);
	if (!found)
		return 0;  /* unknown, stopped already, or queued to run */
	rt_free(found);
	return 1;
}

static void run_cleanups(void *unused)
{
	(void)unused;
	for (;;) {
		rt_lock(&final_lock);
		struct cleanup *c = runq;
		if (c) {
			runq = c->next;
			if (!runq)
				runq_tail = &runq;
		}
		rt_unlock(&final_lock);
		if (!c) {
			/* Quit, then look again: a cycle that queued work after
			 * our look saw runner == 1 and started no one. */
			__atomic_store_n(&runner, 0, __ATOMIC_SEQ_CST);
			rt_lock(&final_lock);
			int more = runq != NULL;
			rt_unlock(&final_lock);
			int zero = 0;
			if (more && __atomic_compare_exchange_n(&runner, &zero, 1, 0, __ATOMIC_SEQ_CST,
			                                        __ATOMIC_SEQ_CST))
				continue;
			return;
		}
		void (*fn)(void *) = c->fn;
		void *arg = c->arg;
		rt_free(c);
		fn(arg);
		__atomic_add_fetch(&n_ran, 1, __ATOMIC_RELAXED);
	}
}

/* ---- weak references ---- */

struct tally_weak *tally_weak_make(void *p)
{
	uintptr_t base;
	size_t size;
	const char *why;
	if (!p)
		return NULL;
	if (!gc_object((uintptr_t)p, &base, &size, &why))
		misuse("tally_weak_make:", p, why);
	/* Allocated before the lock: tally_gc_alloc may collect (p stays
	 * alive: it is our argument, and kept alive to the end). */
	struct tally_weak *cell = tally_gc_alloc(sizeof(*cell), TALLY_GC_NOSCAN);
	struct weakref *w = rt_calloc(1, sizeof(*w));
	if (!w)
		rt_throw_oom("a weak reference record", sizeof(*w));
	cell->hidden = HIDE(p);
	w->hidden = HIDE(p);
	w->cell = cell;
	struct tally_weak *have = NULL;
	rt_lock(&final_lock);
	if (wtab.nb)
		for (struct weakref *x = wtab.b[slot(&wtab, w->hidden)]; x; x = x->next)
			if (x->hidden == w->hidden) {
				have = x->cell;
				break;
			}
	if (!have) {
		table_grow(&wtab, weak_key);
		size_t k = slot(&wtab, w->hidden);
		w->next = wtab.b[k];
		wtab.b[k] = w;
		wtab.n++;
	}
	rt_unlock(&final_lock);
	if (have) {
		rt_free(w);  /* the new cell is garbage */
		cell = have;
	}
	tally_gc_keep_alive(p);
	return cell;
}

void *tally_weak_value(struct tally_weak *w)
{
	if (!w)
		return NULL;
	struct m *m = rt_acquirem();  /* no collection between load and un-hide */
	uintptr_t h = __atomic_load_n(&w->hidden, __ATOMIC_ACQUIRE);
	void *volatile p = h ? (void *)HIDE(h) : NULL;
	rt_releasem(m);
	return p;
}

__attribute__((noinline)) void tally_gc_keep_alive(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* ---- the collector's hooks ---- */

void rt_gc_final_after_mark(void)
{
	rt_lock(&final_lock);
	uint64_t queued = 0, cleared = 0;
	for (size_t i = 0; i < ctab.nb; i++)
		for (struct cleanup **pp = (struct cleanup **)&ctab.b[i]; *pp;) {
			struct cleanup *c = *pp;
			if (_gc_marked(HIDE(c->hidden))) {
				pp = &c->next;
				continue;
			}
			*pp = c->next;
			ctab.n--;
			c->next = NULL;
			*runq_tail = c;
			runq_tail = &c->next;
			queued++;
		}
	for (size_t i = 0; i < wtab.nb; i++)
		for (struct weakref **pp = (struct weakref **)&wtab.b[i]; *pp;) {
			struct weakref *w = *pp;
			if (_gc_marked(HIDE(w->hidden))) {
				pp = &w->next;
				continue;
			}
			__atomic_store_n(&w->cell->hidden, 0, __ATOMIC_RELEASE);
			*pp = w->next;
			wtab.n--;
			w->next = dead_weak;
			dead_weak = w;
			cleared++;
		}
	rt_unlock(&final_lock);
	__atomic_add_fetch(&n_queued, queued, __ATOMIC_RELAXED);
	__atomic_add_fetch(&n_cleared, cleared, __ATOMIC_RELAXED);
	rt_timers_gc_drop(_gc_marked);
}

void rt_gc_final_after_cycle(void)
{
	rt_lock(&final_lock);
	struct weakref *dead = dead_weak;
	dead_weak = NULL;
	int work = runq != NULL;
	rt_unlock(&final_lock);
	while (dead) {
		struct weakref *next = dead->next;
		rt_free(dead);
		dead = next;
	}
	int zero = 0;
	if (work && __atomic_compare_exchange_n(&runner, &zero, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		tally_go(run_cleanups, NULL);
}

void rt_gc_final_stats(uint64_t *queued, uint64_t *ran, uint64_t *cleared)
{
	*queued = __atomic_load_n(&n_queued, __ATOMIC_RELAXED);
	*ran = __atomic_load_n(&n_ran, __ATOMIC_RELAXED);
	*cleared = __atomic_load_n(&n_cleared, __ATOMIC_RELAXED);
}

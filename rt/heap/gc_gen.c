/*
 * gc_gen.c - generational minor cycles (boot option gcgen=1; hosted
 * rt_gc_set_generational): which kind each cycle is, and the old
 * generation's counts.  gc.c runs the cycle and asks here (gc_gen_choose
 * before it, gc_gen_done at the end of its marking); the kept marks are
 * gc_sweep.c's, the remembered set gc_dirty.c's, the pacer's goal and
 * runways by kind gc_pace.c's.
 *
 * Minor cycles (gcgen=1, concurrent mode only; default off): marking
 * traces the whole live heap every cycle, and on an allocation-heavy
 * program that is most of the collector's CPU.  The dirty record that
 * serves as the write barrier is also a remembered set, as in Boehm's
 * generational mode: a sweep keeps the mark bits of the objects the
 * marking traced (gc_sweep.c), so they are old in the next cycle; a
 * minor cycle marks from the roots and from the old objects on the heap
 * pages written since the last cycle's start pause (gc_dirty.c's
 * remembered set, rs_cur), never traces through an old object otherwise
 * and frees only young garbage; old garbage waits for a full cycle.
 * Objects born marked while a cycle marks are young again after it
 * (their born bits, mcentral.c and malloc.c), else the floating garbage
 * of every minor cycle would pile up as old garbage; that is why the
 * remembered set runs from the last cycle's start pause, not its final
 * pause: an old object written while that cycle marked may hold the only
 * pointer to one of them.  A full cycle clears every mark first
 * (gc_marks_clear, world running, gc_gen_choose).  Which kind: tally_gc,
 * an out-of-memory collection and gcconc=0 are always full; a background
 * cycle is minor unless minor cycles have promoted (traced) a quarter of
 * what the last full cycle traced, or the last one kept 1.5 times that
 * (GEN_PROMOTE_DIV; the pacer, gc_pace.c, keeps a minor cycle's goal at
 * the last full cycle's).  Invariant (gcverify=1 checks it every cycle):
 * at the end of a minor cycle's marking, every word of a marked object
 * that names an allocated object names a marked one; an old object on a
 * page nobody wrote names only old objects, since a young object did not
 * exist when it was last scanned.  What minor cycles change for the
 * program: an old object's cleanup, weak handles and an unreachable
 * timer wait for the next full cycle (gcfinal.c reads the marks as in any
 * cycle).  Rules for a newcomer: nothing but the sweep and
 * gc_marks_clear may clear a mark bit between cycles, and every harvest
 * of the heap's record must pass its pages to the remembered set
 * (gc_dirty.c's remset_note) while gc_remset_on: a harvest that cleared a
 * page's dirty bit without noting it would lose the store that made an
 * old object name a young one.
 *
 * Locking: the collection lock (gc.c's busy_lock): one cycle at a time.
 * Context: the collecting goroutine.
 */
#include "rt/heap/gc_impl.h"

PLAT_GC_NOROOT volatile int rt_gc_generational;
static PLAT_GC_NOROOT int marks_sticky;       /* the last sweep kept the traced marks */
static PLAT_GC_NOROOT int gen_ready;          /* the last cycle noted the remembered set */
static PLAT_GC_NOROOT int gen_next_full;      /* the next background cycle must be full */
static PLAT_GC_NOROOT uint64_t gen_old;       /* bytes marked now: the old objects */
static PLAT_GC_NOROOT uint64_t gen_full;      /* bytes the last full cycle traced */
static PLAT_GC_NOROOT uint64_t gen_promoted;  /* bytes minor cycles traced since */
#define GEN_PROMOTE_DIV 4   /* a full cycle once minor ones promoted a quarter of gen_full */

void rt_gc_set_generational(int on) { __atomic_store_n(&rt_gc_generational, on != 0, __ATOMIC_RELAXED); }

int gc_gen_choose(int conc, int minor_ok, struct gc_cycle *c)
{
	int gen = conc && __atomic_load_n(&rt_gc_generational, __ATOMIC_RELAXED) && gc_remset_ready();
	int minor = gen && minor_ok && gen_ready && !gen_next_full;
	__atomic_store_n(&gc_remset_on, gen, __ATOMIC_RELAXED);
	if (!minor && marks_sticky) {
		struct m *m = rt_acquirem();
		unsigned old = plat_ledger_switch(gc_class_mark);
		uint64_t t0 = plat_nanotime();
		gc_marks_clear();
		c->unmark = plat_nanotime() - t0;
		plat_ledger_switch(old);
		rt_releasem(m);
		marks_sticky = 0;
	}
	c->gen = gen;
	c->minor = minor;
	return minor;
}

uint64_t gc_gen_done(const struct gc_cycle *c, uint64_t born, uint64_t *base)
{
	/* a minor cycle's marked heap: the old objects and what it traced */
	uint64_t marked = gc_ms.marked_bytes + (c->minor ? gen_old : 0);
	marks_sticky = c->gen;
	*base = gc_ms.marked_bytes;
	if (!c->gen) {
		gen_ready = 0;
		return marked;
	}
	gen_old = marked;
	if (c->minor) {
		gen_promoted += gc_ms.marked_bytes;
		*base = gen_full;  /* the goal stays the last full cycle's */
	} else {
		gen_full = gc_ms.marked_bytes;
		gen_promoted = 0;
	}
	gen_ready = 1;
	/* full once minor cycles promoted a quarter of the last full
	 * cycle's live heap, or the heap kept leaves under half of
	 * GOGC's room (old garbage and born objects take it) */
	gen_next_full = gen_promoted * GEN_PROMOTE_DIV >= gen_full || (marked + born) * 2 >= gen_full * 3;
	return marked;
}

int gc_gen_next_minor(const struct gc_cycle *c) { return c->gen && !gen_next_full; }

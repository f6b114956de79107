/*
 * gc_stack.c - goroutine stacks as the collector's roots: scanned in the
 * pause (stop-the-world marking) or concurrently from the sp the start
 * pause noted (concurrent marking), their dirty record cleared before a
 * cycle, the collector's own stack, and the trimming of parked
 * goroutines' stacks.  Split from gc_mark.c; gc_dirty.c re-scans their dirty
 * pages in the final pause; gc.c's essay has the cycle.
 *
 * Data structures: per goroutine (struct gx, rt/sched_impl.h) gc_scan_sp,
 * the sp noted at the start pause while its stack is still to scan, and
 * gc_trimming, up while the worker shrinks its stack; stack_lock.
 *
 * Invariants: a noted stack is read only with stack_lock held and its
 * gc_scan_sp set, so never after rt_gfput began freeing it; a stack is
 * shrunk only while its goroutine is not running (gc_trimming against
 * execute()'s status store, both fenced).  What the concurrent scan reads
 * of a page not written since the dirty record was cleared is what the
 * start pause would have read; a page written since is dirty.
 *
 * Locking: the work lock (gc_impl.h), then stack_lock; rt_gfput takes
 * stack_lock alone, on g0.  Context: the collector's goroutine holding
 * m->locks (world stopped or in a concurrent slice); rt_gc_stack_free_*
 * on g0.
 */
#include "rt/heap/gc_impl.h"

#define PG PLAT_DIRTY_PAGE

int gc_stack_of(struct g *gp, struct g *self, uintptr_t *sp, uintptr_t *top)
{
	int status = __atomic_load_n(&gp->status, __ATOMIC_SEQ_CST);
	if (gp == self || !gp->stack_lo || (status != G_RUNNABLE && status != G_WAITING))
		return 0;
	/* a marking helper (gc.c) holds no root: its frames name only what
	 * it read from the heap and marked; stale slots of its scans would
	 * keep objects alive into the next cycle */
	if (gp->fn == gc_mark_helper)
		return 0;
	*sp = rt_ctx_sp(&gp->ctx);
	*top = gp->stack_lo + gp->stack_size;
	return *sp >= gp->stack_lo && *sp <= *top;
}

void gc_mark_stacks(struct g *self)
{
	for (struct gx *x = (struct gx *)rt_sched.allgs; x; x = x->allnext) {
		uintptr_t sp, top;
		if (gc_stack_of(&x->g, self, &sp, &top))
			gc_scan_root(sp, top);
	}
}

/* Stacks scanned concurrently (gcconc=1).  The start pause only notes each
 * goroutine's saved sp (gc_note_stacks); the worker scans from there to
 * the top with the world running (gc_mark_stacks_noted).  That is the
 * content the start pause would have read, on every page not written
 * since the dirty record was cleared (before the start pause); a page
 * written since is dirty, and the final pause re-scans the dirty pages
 * between each goroutine's sp then and its top; frames pushed below the
 * noted sp are written, so dirty too.  What must not happen is reading a
 * stack being freed: an exited goroutine's stack goes back to the
 * platform's cache, which may unmap it.  So the worker reads a stack
 * holding stack_lock with the goroutine's gc_scan_sp still set, and
 * rt_gfput, before it frees a stack whose gc_scan_sp is set, takes the
 * lock and clears it (an exited goroutine's stack is no root).  The lock
 * is taken only while a noted stack is left to scan.  Lock order: the
 * work lock, then stack_lock; rt_gfput holds no collector lock. */
static PLAT_GC_NOROOT struct rt_lock stack_lock;

/* Trimming (issue 12, item 7): once a noted stack is scanned, the pages
 * its goroutine mapped below its saved sp (less plat_stack_shrink's
 * slack) go back to the kernel, in the worker's slice (rt.gc.mark).  The
 * goroutine must not run meanwhile: the worker raises x->gc_trimming, then
 * reads the status and shrinks only a goroutine parked or runnable (its
 * sp saved, its stack its own: it cannot exit while not running);
 * execute() stores G_RUNNING, then waits while gc_trimming is up (both
 * sides fenced: one sees the other).  A trimmed page is mapped again by
 * the next fault below, as growth does. */
__attribute__((no_sanitize("thread")))  /* status: written plainly by g0s */
static uint64_t trim_stack(struct gx *x)
{
	__atomic_store_n(&x->gc_trimming, 1, __ATOMIC_SEQ_CST);  /* a full fence (xchg) */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);  /* and the compiler keeps the order */
	int status = RT_PEEK(x->g.status);  /* g0s write it plainly */
	uintptr_t lo = RT_PEEK(x->g.stack_lo), hi = lo + RT_PEEK(x->g.stack_size);
	uint64_t n = 0;
	if ((status == G_WAITING || status == G_RUNNABLE) && lo) {
		uintptr_t sp = rt_ctx_sp(&x->g.ctx);
		if (sp > lo && sp <= hi)
			n = plat_stack_shrink(lo, sp);
	}
	__atomic_store_n(&x->gc_trimming, 0, __ATOMIC_SEQ_CST);
	return n;
}

void gc_note_stacks(struct g *self)
{
	for (struct gx *x = (struct gx *)rt_sched.allgs; x; x = x->allnext) {
		uintptr_t sp, top, noted;
		noted = gc_stack_of(&x->g, self, &sp, &top) ? sp : 0;
		__atomic_store_n(&x->gc_noted_sp, noted, __ATOMIC_RELAXED);
		__atomic_store_n(&x->gc_scan_sp, noted, __ATOMIC_SEQ_CST);
	}
}

__attribute__((no_sanitize("thread")))
void gc_mark_stacks_noted(void)
{
	rt_lock(&rt_sched.lock);  /* the list only grows at its head */
	struct gx *head = (struct gx *)rt_sched.allgs;
	rt_unlock(&rt_sched.lock);
	for (struct gx *x = head; x; x = RT_PEEK(x->allnext)) {
		if (!__atomic_load_n(&x->gc_scan_sp, __ATOMIC_SEQ_CST))
			continue;
		rt_lock(&stack_lock);
		uintptr_t sp = __atomic_load_n(&x->gc_scan_sp, __ATOMIC_SEQ_CST);
		if (sp) {
			/* stack_lo and stack_size are the noted stack's: a free
			 * would have cleared gc_scan_sp first */
			gc_scan_root(sp, RT_PEEK(x->g.stack_lo) + RT_PEEK(x->g.stack_size));
			__atomic_store_n(&x->gc_scan_sp, 0, __ATOMIC_SEQ_CST);
			gc_ms.stack_pages_trimmed += trim_stack(x);
		}
		rt_unlock(&stack_lock);
		gc_drain_if_long();
	}
}

int rt_gc_stack_free_begin(struct g *gp)
{
	struct gx *x = (struct gx *)gp;
	__atomic_store_n(&x->gc_noted_sp, 0, __ATOMIC_RELAXED);  /* its next stack is not the noted one */
	if (!__atomic_load_n(&x->gc_scan_sp, __ATOMIC_SEQ_CST))
		return 0;
	rt_lock(&stack_lock);
	__atomic_store_n(&x->gc_scan_sp, 0, __ATOMIC_SEQ_CST);
	return 1;
}

void rt_gc_stack_free_end(int held)
{
	if (held)
		rt_unlock(&stack_lock);
}

/* With the world running: the stacks' fields are read racily, which is
 * harmless: a harvest never faults (unmapped pages report nothing), and a
 * page missed or cleared wrongly here is one written since, or one the
 * start pause scans whole. */
__attribute__((no_sanitize("thread")))
void gc_clear_stacks(void)
{
	rt_lock(&rt_sched.lock);  /* the list only grows at its head */
	struct gx *head = (struct gx *)rt_sched.allgs;
	rt_unlock(&rt_sched.lock);
	for (struct gx *x = head; x; x = RT_PEEK(x->allnext)) {
		uintptr_t lo = RT_PEEK(x->g.stack_lo), size = RT_PEEK(x->g.stack_size);
		if (lo && size && !(lo % PG) && !(size % PG))
			plat_dirty_harvest(lo, size / PG, NULL);
	}
}

/* The collector's own stack from where it was entered (gc.c's
 * collect_from) up: not its own frames below. */
void gc_mark_own_stack(struct g *self, uintptr_t lo)
{
	gc_scan_root(lo, self->stack_lo + self->stack_size);
}


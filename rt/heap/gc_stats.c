/*
 * gc_stats.c - the collector's statistics (tally_gc_read_stats): each
 * cycle's pauses, their parts and counts, and the bytes ever allocated.
 * gc.c's collect() hands every finished cycle here (gc_stats_cycle, then
 * gc_stats_swept once its sweep is done); gctrace prints from the result.
 *
 * total_alloc: heap_alloc counts the collected bytes reserved or
 * allocated since the heap was last set to the live bytes a cycle kept
 * (its final pause), so the bytes allocated up to a final pause are
 * that pause's heap_alloc (struct gc_cycle's `end`, which includes the
 * objects born marked while it marked) less the live bytes the cycle
 * before kept; between cycles, the running heap_alloc less those.
 *
 * Locking: the collector's busy lock (gc.c: gc_busy_lock), held by
 * collect() around its calls here and taken by tally_gc_read_stats, so
 * a reader never sees half a cycle.
 */
#include "rt/heap/gc_impl.h"
#include "rt/include/tally.h"

static PLAT_GC_NOROOT struct tally_gc_stats st;
static PLAT_GC_NOROOT uint64_t total_alloc_base, prev_live;

uint64_t gc_stats_cycles(void) { return st.cycles; }

void gc_stats_cycle(const struct gc_cycle *c, uint64_t live)
{
	uint64_t pause = c->stw1 + c->stw2;
	struct tally_gc_pause parts = {
		.start_ns = c->stw1, .start_stop_ns = c->stop1, .start_stacks_ns = c->stacks1,
		.final_ns = c->stw2, .final_stop_ns = c->stop2, .final_walk_ns = c->walkh2,
		.final_rescan_ns = c->rescanh2, .final_stacks_ns = c->stacks2,
		.final_roots_ns = c->drain2, .final_hooks_ns = c->hooks2,
		.final_dirty_pages = c->dirty2, .final_tables = c->tables2,
	};
	st.pause_last = parts;
	if (!st.cycles || pause > st.pause_worst.start_ns + st.pause_worst.final_ns)
		st.pause_worst = parts;
	st.pause_ns[st.cycles % 256] = pause;
	st.cycles++;
	st.minor_cycles += (uint64_t)c->minor;
	st.heap_live = live;
	st.pause_last_ns = pause;
	st.pause_total_ns += pause;
	if (c->stw1 > st.pause_max_ns)
		st.pause_max_ns = c->stw1;
	if (c->stw2 > st.pause_max_ns)
		st.pause_max_ns = c->stw2;
	st.roots_bytes = gc_ms.roots_bytes;
	st.stack_bytes_trimmed += gc_ms.stack_pages_trimmed * PLAT_DIRTY_PAGE;
	st.marked_bytes = gc_ms.scanned_bytes;
	/* the essay: c->end, not c->before (the born bytes would be in
	 * prev_live, and no cycle would count them) */
	total_alloc_base += c->end > prev_live ? c->end - prev_live : 0;
	prev_live = live;
}

const struct tally_gc_stats *gc_stats_swept(void)
{
	st.objects_freed = __atomic_load_n(&gc_freed_objects, __ATOMIC_RELAXED);
	return &st;
}

void tally_gc_read_stats(struct tally_gc_stats *s)
{
	if (!s)
		rt_panic("tally_gc_read_stats: s is NULL");
	gc_busy_lock();
	*s = st;
	s->heap_alloc = __atomic_load_n(&rt_gc_heap_alloc, __ATOMIC_RELAXED);
	s->heap_goal = gc_goal;
	/* heap_alloc counts objects reserved by caches' windows too: between
	 * collections this is at most a window per class and M ahead */
	s->total_alloc = total_alloc_base + (s->heap_alloc > prev_live ? s->heap_alloc - prev_live : 0);
	rt_gc_final_stats(&s->cleanups_queued, &s->cleanups_run, &s->weak_cleared);  /* gcfinal.c */
	gc_busy_unlock();
}

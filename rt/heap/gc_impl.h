/*
 * gc_impl.h - what the collector's files share (gc.c: the cycle and the
 * pacer; gc_stw.c: stopping the world; gc_mark.c: marking and roots;
 * gc_dirty.c: the dirty record and its re-scans; gc_gen.c: minor cycles; gc_stack.c: stacks as roots, their concurrent scan
 * and trim; gc_sweep.c: sweeping; gc_stats.c: the statistics) and nothing
 * else includes.  The design is gc.c's essay.
 *
 * Locking: mark work (the mark stack, the marker's counters) is done
 * under the work lock by one of: the collector (world stopped, or a
 * concurrent slice), a mark assist; and, while gc_par_on, by batches
 * scanned outside it (the collector's and the helpers', gc_mark.c), which
 * take and give back their objects under it.  Each holds m->locks while
 * it holds the work lock or a batch, so a stop of the world waits for it
 * to let go.  A batch begins with a trylock only; the collector never
 * waits for a batch while it holds the lock (gc_drain_all lets it go).
 */
#ifndef TALLY_RT_GC_IMPL_H
#define TALLY_RT_GC_IMPL_H

#include <stdint.h>
#include "rt/heap/heap.h"
#include "rt/sched_impl.h"

/* ---- gc_mark.c ---- */
struct gc_mark_stats {
	uint64_t marked_bytes;    /* live bytes the marker found (born ones apart) */
	uint64_t scanned_bytes;   /* bytes of objects scanned */
	uint64_t roots_bytes;     /* bytes of roots scanned */
	uint64_t dirty_pages;     /* dirty pages re-scanned, all rounds */
	uint64_t dirty_final;     /* of them, in the final pause */
	uint64_t assist_bytes;    /* bytes scanned by mark assists */
	uint64_t walk_ns;         /* in dirty-bit walks (harvests) */
	uint64_t rescan_ns;       /* in re-scans of dirty heap and data pages, all rounds */
	uint64_t sync_ns;         /* in plat_dirty_sync (shootdowns) */
	uint64_t tables;          /* units (page tables) the round harvests read */
	uint64_t stack_pages_trimmed;  /* parked goroutines' stack pages given back */
	uint64_t remembered_pages;  /* minor cycles: remembered heap pages scanned */
	uint64_t typed_large_bytes; /* large typed objects scanned whole by page re-scans */
};
extern struct gc_mark_stats gc_ms;   /* under the work lock */

/* gc_wait.c: goroutines parked until the collector releases them, on
 * one of two queues: GC_WAIT_GOAL, allocators at the goal until marking
 * ends (or, started and not marking yet, until the cycle ends); GC_WAIT_BUSY, callers of the API while another collection runs.
 * Park the calling goroutine on queue q if still() holds (checked under
 * the lock), until gc_wait_release(q), which makes every goroutine parked
 * on q runnable (after the state still() reads has changed). */
enum { GC_WAIT_GOAL, GC_WAIT_BUSY, GC_WAIT_QUEUES };
void gc_wait_park(unsigned q, int (*still)(void));
void gc_wait_release(unsigned q);

void gc_work_lock(void);
int gc_work_trylock(void);
void gc_work_unlock(void);

/* Read data and bss's runs (plat_gc_data) for this cycle: before its
 * first pause, world running (on bare metal it looks up every page). */
void gc_data_refresh(void);
/* World stopped: empty the mark stack, zero gc_ms. */
void gc_mark_begin(void);
/* Before the start pause, world running: clear the dirty record of the
 * heap, data and every goroutine's stack, then sync.  From the sync on,
 * every store is recorded, a superset of the stores after the pause. */
void gc_dirty_clear(void);
/* Scan data and bss, and every allocated malloc'd object.  With the
 * world running the spans are found through the span table (the list of
 * spans changes under the scan); what is missed was allocated or written
 * after the dirty record was cleared, and is found dirty later. */
void gc_mark_data_roots(void);
void gc_mark_malloc_roots(void);
/* Drain when the mark stack passed 4096 entries (keeps it short). */
void gc_drain_if_long(void);
/* Scan [lo, hi) conservatively as a root (counted in roots_bytes). */
void gc_scan_root(uintptr_t lo, uintptr_t hi);
/* gc_mark.c for gc_dirty.c: the span holding address a of the arena
 * (its state read once into *state), or NULL; scan what [lo, hi) of span
 * s holds (allocated malloc'd objects; marked collected ones); the data
 * and bss runs of this cycle (gc_data_refresh). */
struct mspan *gc_span_at(uintptr_t a, uint8_t *state);
void gc_scan_span_range(struct mspan *s, uint8_t state, uintptr_t lo, uintptr_t hi);
/* The large typed object gc_scan_span_range scanned whole last: a pass
 * over dirty or remembered pages (gc_dirty.c) sets it to NULL when it
 * starts, so each such object is scanned once a pass. */
extern struct mspan *gc_typed_done;
unsigned gc_data_runs(const uintptr_t **lo, const uintptr_t **hi);

/* ---- gc_stack.c ---- */
/* gp's stack from its saved sp to its top, if gp is not self and parked
 * or runnable with a stack (world stopped, or racily: see gc_stack.c). */
int gc_stack_of(struct g *gp, struct g *self, uintptr_t *sp, uintptr_t *top);
/* World running, before the start pause: clear every stack's record. */
void gc_clear_stacks(void);
/* World stopped: every goroutine's stack but self's, from its saved sp. */
void gc_mark_stacks(struct g *self);
/* Concurrent mode: the start pause notes every goroutine's saved sp
 * (world stopped); the worker scans each noted stack from there up, world
 * running, unless the goroutine exited first (gc_stack.c). */
void gc_note_stacks(struct g *self);
void gc_mark_stacks_noted(void);
/* The calling goroutine's own stack from lo (where the collector was
 * entered, its caller's registers spilled there) to its top (world
 * stopped). */
void gc_mark_own_stack(struct g *self, uintptr_t lo);
/* Scan grey objects until none is left (1) or plat_nanotime() passes
 * deadline (0; deadline 0: none).  Work lock held. */
int gc_drain(uint64_t deadline);
/* Marking on several CPUs (gc_mark.c, "batches"): gc_par_on is set by
 * the start pause and cleared by the final pause (world stopped); a
 * batch of grey objects scanned outside the work lock (m->locks held,
 * work lock not): 1 nothing grey left, 0 cut short, -1 nothing to take
 * now.  gc_drain_all: work lock held, drain and wait until no batch is
 * out.  gc_mark_idle: work lock held, nothing grey anywhere. */
extern volatile int gc_par_on;
int gc_drain_shared(uint64_t deadline);
void gc_drain_all(void);
int gc_mark_idle(void);
void gc_par_end(void);
/* bytes the helpers scanned, all cycles (under the work lock; tests) */
extern uint64_t gc_helper_bytes;

/* ---- gc_par.c: marking on several CPUs ---- */
#define MARK_SLICE_NS 500000ull   /* 0.5 ms of marking between sleeps */
#define NAP_NS 100000ull          /* a marker's naps: it notices the goal within one */
/* the helpers' body (gc_stack.c knows them: their stacks hold no root) */
void gc_mark_helper(void *arg);
/* Work lock held: drain until none is left (1) or the deadline (0); with
 * helpers, by batches with the lock let go (1: no batch out either). */
int gc_drain_slice(uint64_t deadline);
void gc_helpers_start(unsigned np);
uint64_t gc_helpers_cpu(void);
void gc_helpers_wait(void);
/* gc.c for gc_par.c: rt.gc.mark's ledger class; the heap at its goal */
extern unsigned gc_class_mark;
int gc_over_goal(void);

/* ---- gc_pace.c: the pacer ---- */
extern uint64_t gc_goal, gc_trigger;  /* written by gc_pace_goal (atomic stores) */
/* Set the goal and trigger from the last cycle and the settings
 * (collection lock held). */
void gc_pace_goal(void);
/* The start pause: before, heap_alloc there (world stopped); minor: a
 * minor cycle (its work is estimated from the last minor one). */
void gc_pace_start(uint64_t before, int minor);
struct gc_cycle;
/* A cycle ended (collection lock held): the bytes its marking traced (a
 * minor cycle: the last full cycle's), the bytes it kept (born ones too),
 * its scan work in bytes; c and assist_ns (NULL: a cycle not measured)
 * update the runway of its kind (minor: a minor cycle); next_minor: the
 * next background cycle will be minor (its runway sets the trigger); then
 * gc_pace_goal. */
void gc_pace_cycle(uint64_t traced, uint64_t kept, uint64_t work, const struct gc_cycle *c,
                   uint64_t assist_ns, unsigned ncpu, int minor, int next_minor);
/* While marking: the bytes an allocation of `bytes` at heap_alloc alloc
 * must scan (0: marking is on schedule). */
uint64_t gc_pace_assist(uint64_t alloc, uint64_t bytes);
/* Scan at most budget bytes of grey objects; returns the bytes scanned. */
uint64_t gc_drain_bytes(uint64_t budget);
/* The mark stack could not grow: re-scan every marked object until no
 * push fails (world stopped). */
void gc_mark_overflow(void);
/* Harvest the dirty record of the heap and data and re-scan the dirty
 * pages (marked collected objects and malloc'd objects on them); returns
 * the pages found dirty. */
uint64_t gc_rescan_dirty(void);
/* A pre-cleaning round (world running): harvest the heap's and data's
 * record, sync, re-scan the dirty pages; returns the pages, or -1 when
 * its bitmap cannot be had (then the final pause does all). */
long gc_preclean(void);
/* World stopped: the same for every goroutine's stack, from its sp. */
uint64_t gc_rescan_dirty_stacks(struct g *self);
/* The remembered set (generational mode; gc_dirty.c): while gc_remset_on
 * (set by gc.c between cycles), heap harvests note their dirty pages;
 * gc_remset_ready: its bitmaps exist (allocated on first use; 0: memory
 * ran out, no minor cycle); gc_mark_remembered: a minor cycle's scan of
 * the old objects on the remembered pages, in slices (1 done, 0 the
 * deadline passed; deadline 0: none).  Work lock held. */
extern volatile int gc_remset_on;
int gc_remset_ready(void);
int gc_mark_remembered(uint64_t deadline);

/* Test hooks (hosted tests): called by the collecting goroutine once
 * concurrent marking has drained (every object reached so far is black),
 * world running, just before the final pause;
 * and with nobarrier set, the final pause skips the dirty re-scans (a
 * collector without write barrier: the tests show it loses objects). */
extern void (*gc_test_hook)(void);
extern int gc_test_nobarrier;
/* With nostackscan set, concurrent marking skips the stacks the start
 * pause noted (tests/apps/gc_stackscan.c's control: a parked goroutine's
 * stack, clean at the final pause, then keeps nothing alive). */
extern int gc_test_nostackscan;
/* With noremset set, a minor cycle skips its remembered pages
 * (tests/apps/gc_gen.c's control: a young object named only by an old
 * one is then lost). */
extern int gc_test_noremset;
/* gc_dirty.c: called by a pre-cleaning round once it has noted the
 * arena's end (heap_hi) and before it harvests (tests/apps/gc_grow.c
 * grows the heap there); with hull_snapshot set, the round's re-scan
 * stops at that noted end, as it did when it lost the stores into pages
 * the arena grew into meanwhile (gc_grow's control). */
extern void (*gc_test_preclean_hook)(uintptr_t heap_hi);
extern int gc_test_hull_snapshot;

/* ---- gc_verify.c ---- */
/* World stopped, marking complete: with the check on (gcverify=1,
 * rt_gc_set_verify), fatal unless every word of a root or a marked object
 * that names an allocated collected object names a marked one (cycle: the
 * cycle's number, for the message; conc: marking was concurrent); else
 * nothing. */
void gc_verify(struct g *self, uintptr_t own_lo, uint64_t cycle, int conc);

/* ---- gc_gen.c: generational minor cycles ---- */
struct gc_cycle;
/* Before a cycle, world running, every sweep done: its kind (1 minor;
 * minor_ok: the caller allows one), noted in c->gen and c->minor; before
 * a full one after a sweep that kept marks, the marks cleared
 * (rt.gc.mark, c->unmark). */
int gc_gen_choose(int conc, int minor_ok, struct gc_cycle *c);
/* Marking of cycle c ended (world stopped), born: the bytes born marked:
 * the marked heap (a minor cycle: the old objects too); *base: the bytes
 * the pacer's goal is over.  gc_gen_next_minor: after it, whether the
 * next background cycle will be minor. */
uint64_t gc_gen_done(const struct gc_cycle *c, uint64_t born, uint64_t *base);
int gc_gen_next_minor(const struct gc_cycle *c);

/* ---- gc_trace.c ---- */
/* One cycle's times (ns) and counts, for gctrace and the statistics
 * (gc.c fills it, gc_trace.c prints it). */
struct gc_cycle {
	uint64_t before;                 /* heap_alloc at the start pause */
	uint64_t end;                    /* heap_alloc when marking ended */
	uint64_t walk1, sync1;           /* before the start pause: clearing the record */
	uint64_t stw1, stop1, stacks1;   /* the start pause; stopping; the stack scan */
	uint64_t conc, mark_cpu;         /* concurrent marking: wall time, the worker's CPU time */
	uint64_t stw2, stop2, walk2, rescan2, drain2;  /* the final pause and its parts */
	uint64_t walkh2, rescanh2;       /* of walk2 and rescan2: the heap's and data's */
	uint64_t stacks2, hooks2;        /* of the final pause: the stacks' walk and re-scan
	                                  * (in walk2 and rescan2 too), the hooks to the end */
	uint64_t dirty2;                 /* pages found dirty in the final pause */
	uint64_t tables2;                /* page tables the final walk read */
	uint64_t sweep;                  /* sweeping by the collecting goroutine */
	uint64_t unmark;                 /* generational, before a full cycle: clearing the marks */
	unsigned precleans;
	int gen, minor;                  /* generational mode; a minor cycle */
};
struct tally_gc_stats;
/* gctrace's line (rt_gctrace 1) or two lines (2) for cycle c: st the
 * statistics after it, since the ns since the collector started, cpu_ns
 * the collector's CPU since (pauses x P, marking, assists, sweeping),
 * assist_ns this cycle's assists, live and goal the heap's after it. */
void gc_trace(const struct gc_cycle *c, const struct tally_gc_stats *st, uint64_t since, uint64_t cpu_ns,
              uint64_t assist_ns, uint64_t live, uint64_t goal);

/* ---- gc.c: the busy lock ---- */
/* One collection at a time, and no setting or statistics read in the
 * middle of one: park while another holds it (gc_wait.c). */
void gc_busy_lock(void);
void gc_busy_unlock(void);

/* ---- gc_stats.c: tally_gc_read_stats's numbers (busy lock held) ---- */
/* Cycle c's final pause is over, live the bytes it kept: its pauses and
 * counts into the statistics.  gc_stats_swept: its sweep is done; the
 * statistics after it (for gctrace).  gc_stats_cycles: cycles so far. */
void gc_stats_cycle(const struct gc_cycle *c, uint64_t live);
const struct tally_gc_stats *gc_stats_swept(void);
uint64_t gc_stats_cycles(void);

/* ---- gc_stw.c ---- */
/* Stop every other M (they acknowledge at the top of their scheduling
 * loop); me is the caller's M.  Start them again. */
void gc_stop_the_world(unsigned me);
void gc_start_the_world(unsigned me);
/* World stopped: give back every M's cache windows. */
void gc_release_caches(void);

/* ---- gc_sweep.c ---- */
void gc_sweep_init(void);
/* Sweep every span left to sweep (on a goroutine, world running; charged
 * to rt.gc.sweep); returns the objects it freed. */
uint64_t gc_sweep_all(void);
/* Objects freed by sweeps in all (atomic). */
extern volatile uint64_t gc_freed_objects;
/* 1 while some span is left to sweep this cycle. */
int gc_sweep_pending(void);
/* World stopped, at the end of marking: every collected span now needs a
 * sweep; keep_marks (generational mode): the sweep leaves the traced
 * survivors marked (old), the born ones clear (young). */
void gc_sweep_next_cycle(int keep_marks);
/* Generational mode, before a full cycle (world running, every sweep
 * done or waited for): clear every collected span's mark bits; returns
 * the spans. */
uint64_t gc_marks_clear(void);

#endif

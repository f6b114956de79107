/*
 * gc.c - the collector's cycle: stop and start the world, the phases of a
 * collection, the pacer that decides when, mark assists, and the API
 * (tally_gc_alloc, tally_gc, settings).  Marking is
 * gc_mark.c, the write barrier's re-scans gc_dirty.c, sweeping
 * gc_sweep.c, the statistics gc_stats.c and gctrace's lines gc_trace.c
 * (both from the cycle's record, struct gc_cycle); what they share is
 * gc_impl.h.
 *
 * A conservative, non-moving mark-sweep collector for plain C.  Two modes
 * (boot option gcconc=, rt_gc_set_concurrent hosted):
 *
 * Stop-the-world marking (gcconc=0): one pause marks everything (roots,
 * then the mark stack drained), then the world starts and the spans are
 * swept.  The hosted build's default (rt_gc_set_concurrent(1) turns the
 * other on), since its dirty record is every page.
 *
 * Concurrent marking (gcconc=1, bare metal's default), the write barrier
 * being the page tables' dirty bits (plat_dirty_*, rt/platform.h):
 *   0. before the pause, world running (rt.gc.mark): the dirty record of
 *      the heap, data and bss and of every goroutine's stack cleared, then
 *      one sync (a TLB shootdown), so every later store is recorded: a
 *      superset of the stores after the start pause;
 *   1. start pause: every cache window back (those in use: the cache's
 *      inuse bitmap); every goroutine's saved sp noted (gc_note_stacks);
 *      born-marked allocation on (rt_gc_marking: a window or large object
 *      handed out from now on is marked already).
 *   2. concurrent marking in slices (rt.gc.mark): the noted stacks (each
 *      from its noted sp up, unless the goroutine exited first: gc_stack.c),
 *      data and bss, every malloc'd object, then the mark stack; then
 *      pre-cleaning rounds (harvest the heap's and data's record by
 *      rounds, plat_dirty_round, which skips page tables untouched since
 *      the last round; sync; the round's AGAIN pass; re-scan the dirty
 *      pages) until one
 *      finds fewer than PRECLEAN_ENOUGH pages, at most PRECLEAN_ROUNDS.
 *      That round is followed at once, in the same slice, by the last
 *      stretch (last_stretch: drain, more rounds while one finds
 *      FINAL_FEW pages or more, at most FINAL_ROUNDS) and the final
 *      pause, the M and the work lock held throughout (with helpers, its
 *      drains let the lock go while a batch is out, and end with none
 *      out, so no batch can be out when the world stops): on one CPU
 *      nothing but the collector runs between its last harvest and the
 *      pause, so the pause finds only what the collector itself wrote
 *      (statics that hold no collected pointer are PLAT_GC_NOROOT and
 *      not re-scanned).  The budget: the collecting
 *      goroutine marks for a slice (MARK_SLICE_NS, holding m->locks, so
 *      the tick does not preempt it and the ledger class stays on its M),
 *      then sleeps so its marking time is at most 25% of the CPUs:
 *      duty = min(1, P / 4) of one CPU, the sleep after a slice of t being
 *      t * (1 - duty) / duty, in naps it cuts short when the heap
 *      reaches its goal.  With P > 1 the start pause also starts P - 1
 *      helpers (gc_mark_helper), background markers that take batches of
 *      grey objects from the mark stack and scan them outside the work
 *      lock (gc_mark.c, "batches"), each at a quarter of a CPU, and the
 *      collecting goroutine's own duty is then 1/4 too: P/4 in all, spread
 *      over the CPUs.  While they run, the collector drains by batches as
 *      well (gc_drain_slice, gc_par.c), so that the lock is free for them; roots and
 *      pre-cleaning stay the collector's, under the lock.
 *   3. final pause: the windows back again, the remaining dirty pages of
 *      the heap and data re-scanned (a round harvest), then every
 *      goroutine's stack pages that are dirty (a parked goroutine that did
 *      not run is not re-scanned: its stack is scanned once per cycle,
 *      concurrently; on one CPU the last stretch re-scanned them just
 *      before, so the pause finds them clean), the collector's own stack
 *      and registers, drained, and marking ends.  No TLB shootdown: none is needed with the world
 *      stopped and marking ending.  Its parts, in ns, are in
 *      tally_gc_stats.pause_last and pause_worst and on gctrace=2's
 *      second line.
 * Minor cycles (gcgen=1, concurrent mode only; default off): gc_gen.c
 * (its essay has the rules), which chooses each cycle's kind
 * (gc_gen_choose) and keeps the old generation's counts (gc_gen_done).
 *
 * Mark assists (rt.gc.assist, on the allocating goroutine): an allocation
 * that needs a new window while marking is on and marking is behind
 * (gc_pace.c: less work done than the share of the runway used) first
 * scans grey objects in proportion to the window's bytes, at least
 * MARK_ASSIST_BYTES.  At the goal with nothing to scan it waits for
 * marking to end, and the worker then marks without sleeping: the 25%
 * budget is the worker's; assists keep the heap near its goal.
 *
 * HOOKS (world stopped, before the sweep generation moves on): gc_verify.c
 * checks the marking (gcverify=1); mark_done_hooks() calls gcfinal.c's
 * rt_gc_final_after_mark (cleanups, weak refs, unreachable timers: all
 * unmarked is garbage, every marked object, born ones included, survives);
 * collect() calls rt_gc_final_after_cycle once the world runs and swept.
 * Typed objects (gctyped.c) are pushed tagged by gc_mark.c's mark_word
 * and scanned by their bitmap (scan_object), in dirty re-scans too.
 *
 * Sweeping (gc_sweep.c) is never done with the world stopped: the
 * collecting goroutine sweeps after the pause (tally_gc before it
 * returns), a cache sweeps a span it takes from a central list, and the
 * next cycle finishes the sweep before it starts.
 *
 * Stop the world (gc_stw.c): the collector raises rt_stw with a new generation and
 * wakes every other M; each M's g0 acknowledges at the top of its
 * scheduling loop (rt_stw_wait) and parks; a running goroutine is
 * preempted at the next tick regardless of its quantum.  The collector
 * holds m->locks while the world is stopped.
 *
 * Pacer: heap_alloc (bytes of collected objects reserved in windows or
 * allocated; at the end of marking, the marked bytes) is checked on every
 * window refill.  The goal and the trigger are gc_pace.c's: GOGC percent
 * over the bytes the last marking traced (born objects apart), at least
 * 4 MiB, at most 7/8 of a memory limit (GOGC < 0: the limit's 7/8 alone,
 * or no goal, UINT64_MAX, without a limit).  Stop-the-world mode collects
 * at the goal; concurrent mode starts a background cycle at the trigger,
 * the goal less the runway the last cycles' marking needed at 25% of the
 * CPUs, so marking can end before the goal; the allocator that
 * starts it yields to it at once, as Go's starts its cycle itself, and
 * an allocator at the goal before the cycle marks waits for it
 * (gc_wait.c), as during marking.  GOGC < 0 and no limit: only
 * tally_gc.
 *
 * Ledger: the pauses are rt.gc.stw on the collector's CPU (the stopped
 * CPUs halt, idle); concurrent marking rt.gc.mark, assists rt.gc.assist,
 * sweeping rt.gc.sweep; the syncs' IPIs kern.irq.ipi with cause gc.
 * Context: the collector runs on a goroutine; g0 and the boot thread do
 * not collect (an allocation there only grows the heap).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "rt/heap/gc_impl.h"
#include "rt/include/tally.h"

#define MARK_ASSIST_BYTES (64u << 10)
#define PRECLEAN_ROUNDS 8
#define PRECLEAN_ENOUGH 128               /* fewer dirty pages: go to the final pause */
#define FINAL_FEW 8                       /* fewer: stop the world now */
#define FINAL_ROUNDS 4                    /* rounds at most in the last stretch */

/* the collector's state holds no pointer to a collected object: not a
 * root (PLAT_GC_NOROOT), and its writes in the final pause dirty no
 * page the pause would re-scan */
static PLAT_GC_NOROOT volatile int gc_busy, bg_running;
static PLAT_GC_NOROOT unsigned class_stw, class_assist;
PLAT_GC_NOROOT unsigned gc_class_mark;
PLAT_GC_NOROOT volatile int rt_gc_marking;
PLAT_GC_NOROOT volatile uint64_t rt_gc_born_bytes;
PLAT_GC_NOROOT volatile uint64_t rt_gc_heap_alloc;
int rt_gc_percent_v = 100;
int64_t rt_gc_limit_v;
int rt_gctrace;
static int gc_conc;
static int gc_helpers = 1;   /* boot option gchelpers= */
static PLAT_GC_NOROOT uint64_t gc_live, gc_start_ns;
static PLAT_GC_NOROOT uint64_t gc_cpu_ns;            /* pauses x P + marking + assists + sweeping */
static PLAT_GC_NOROOT volatile uint64_t assist_ns;   /* this cycle's assists */
static PLAT_GC_NOROOT uintptr_t own_lo;              /* the collector's own stack is scanned from here */

void (*gc_test_hook)(void);
/* the holder of the busy lock, if any: the goroutine in collect() (or in
 * a setter or a statistics read), which must never wait for a collection */
static PLAT_GC_NOROOT struct g *volatile busy_g;
int gc_test_nobarrier, gc_test_nostackscan, gc_test_noremset;

void rt_gc_set_concurrent(int on) { __atomic_store_n(&gc_conc, on != 0, __ATOMIC_RELAXED); }

/* Marking is complete, the world is stopped, nothing is swept yet:
 * gcfinal.c queues the cleanups of unmarked objects, clears their weak
 * handles, drops unreachable timers (it marks nothing). */
static void mark_done_hooks(void) { rt_gc_final_after_mark(); }

/* ---- one cycle ---- */

int gc_over_goal(void)
{
	return __atomic_load_n(&rt_gc_heap_alloc, __ATOMIC_RELAXED) >= __atomic_load_n(&gc_goal, __ATOMIC_RELAXED);
}

/* The last stretch of marking, once a pre-cleaning round found few dirty
 * pages: drain, and pre-clean again while the last round found more than
 * FINAL_FEW (other CPUs' mutators keep writing), at most FINAL_ROUNDS
 * times; no deadline, no sleep: the final pause follows at once, so on one
 * CPU nothing but the collector runs between its last harvest and the
 * pause.  On one CPU it also re-scans the goroutines' dirty stack pages
 * (the mutator's frames written since the start) and drains: no goroutine
 * can run, exit or write a stack before the pause, so a harvest needs no
 * sync there, the pause finds those pages clean, and what they reach is
 * marked before it (a subtree kept only in a frame was marked in the
 * pause, up to 40 000 instructions of binary-trees' 60 000).  With more
 * CPUs the pause re-scans them (a goroutine may run, and exit, meanwhile).
 * Returns the rounds made. */
static int last_stretch(long d, struct g *self)
{
	int extra = 0;
	for (;;) {
		gc_drain_all();
		if (d < FINAL_FEW || extra >= FINAL_ROUNDS) {
			if (tally_ncpu() == 1) {
				gc_rescan_dirty_stacks(self);
				gc_drain(0);
			}
			return extra;
		}
		d = gc_preclean();
		extra++;
		if (d < 0)
			return extra;
	}
}

/* Concurrent marking in slices (world running); returns the CPU time.
 * When it ends by pre-cleaning (*hot), it returns with the M held
 * (rt_acquirem), the work lock taken and the ledger in rt.gc.mark, the
 * class to go back to in *hot_old: the caller stops the world at once. */
static uint64_t mark_concurrently(struct gc_cycle *c, struct g *self, int *hot, unsigned *hot_old)
{
	unsigned ncpu = (unsigned)tally_ncpu();
	uint64_t cpu = 0;
	int phase = 0, rounds = 0;
	*hot = 0;
	/* phases: 0 roots, 4 remembered pages (minor), 1 drain and
	 * pre-clean, 2 drain (no pre-cleaning), 3 done */
	while (phase != 3) {
		struct m *m = rt_acquirem();
		unsigned old = plat_ledger_switch(gc_class_mark);
		gc_work_lock();
		uint64_t t0 = plat_nanotime(), deadline = t0 + MARK_SLICE_NS;
		do {
			if (phase == 0) {
				if (!gc_test_nostackscan)
					gc_mark_stacks_noted();
				gc_mark_data_roots();
				gc_mark_malloc_roots();
				phase = c->minor ? 4 : 1;
			} else if (phase == 4) {
				/* a minor cycle: the old objects on the remembered
				 * pages are roots too */
				if (gc_test_noremset || gc_mark_remembered(deadline))
					phase = 1;
			} else if (phase == 1) {
				if (gc_drain_slice(deadline)) {
					long d = plat_dirty_precise() && !gc_test_nobarrier && rounds < PRECLEAN_ROUNDS
					                 ? gc_preclean() : -1;
					rounds += d >= 0;
					if (d >= 0 && (d < PRECLEAN_ENOUGH || rounds >= PRECLEAN_ROUNDS)) {
						rounds += last_stretch(d, self);
						*hot = 1;
						phase = 3;
					} else if (d < PRECLEAN_ENOUGH) {
						phase = 2;
					}
				}
			} else if (phase == 2) {
				phase = gc_drain_slice(deadline) ? 3 : 2;
			}
		} while (phase != 3 && plat_nanotime() < deadline);
		uint64_t t = plat_nanotime() - t0;
		cpu += t;
		if (*hot) {
			*hot_old = old;
			break;
		}
		gc_work_unlock();
		plat_ledger_switch(old);
		rt_releasem(m);
		if (phase == 3 && gc_test_hook)
			gc_test_hook();
		if (phase != 3) {
			/* duty 1/4 with helpers on the other CPUs, else P/4: sleep
			 * 3 slices' worth on 1 CPU; in short naps, so that it
			 * stops sleeping once the heap reaches its goal
			 * (allocators then wait for marking: pace) */
			uint64_t now = plat_nanotime(),
			         until = now + (__atomic_load_n(&gc_par_on, __ATOMIC_RELAXED) ? 3 * t
			                        : ncpu >= 4 ? 0 : t * (4 - ncpu) / ncpu);
			tally_yield();
			while ((now = plat_nanotime()) < until && !gc_over_goal())
				tally_sleep(until - now < NAP_NS ? until - now : NAP_NS);
		}
	}
	c->precleans = (unsigned)rounds;
	return cpu;
}

static void cycle(int conc, int minor_ok, struct gc_cycle *c)
{
	memset(c, 0, sizeof(*c));
	uint64_t ts = plat_nanotime();
	gc_sweep_all();  /* the last cycle's sweep must be done */
	c->sweep = plat_nanotime() - ts;
	int minor = gc_gen_choose(conc, minor_ok, c);
	gc_data_refresh();
	struct m *m = rt_acquirem();
	struct g *self = m->curg;
	unsigned old;
	if (conc) {
		/* the dirty record cleared and synced before the pause */
		old = plat_ledger_switch(gc_class_mark);
		gc_work_lock();
		gc_ms.walk_ns = gc_ms.sync_ns = 0;
		gc_dirty_clear();
		c->walk1 = gc_ms.walk_ns;
		c->sync1 = gc_ms.sync_ns;
		gc_work_unlock();
		plat_ledger_switch(old);
	}
	old = plat_ledger_switch(class_stw);
	uint64_t t0 = plat_nanotime();
	gc_stop_the_world(m->id);
	c->stop1 = plat_nanotime() - t0;
	gc_release_caches();
	c->before = __atomic_load_n(&rt_gc_heap_alloc, __ATOMIC_SEQ_CST);
	gc_work_lock();
	gc_mark_begin();
	__atomic_store_n(&rt_gc_born_bytes, 0, __ATOMIC_SEQ_CST);
	if (conc) {
		gc_ms.walk_ns = c->walk1;
		gc_ms.sync_ns = c->sync1;
		gc_pace_start(c->before, minor);  /* assists: gc_pace.c */
		unsigned np = (unsigned)tally_ncpu();
		uint64_t ta = plat_nanotime();
		gc_note_stacks(self);  /* scanned concurrently */
		c->stacks1 = plat_nanotime() - ta;
		__atomic_store_n(&rt_gc_marking, 1, __ATOMIC_SEQ_CST);
		int par = np > 1 && gc_helpers;
		if (par)
			__atomic_store_n(&gc_par_on, 1, __ATOMIC_SEQ_CST);
		gc_work_unlock();
		gc_start_the_world(m->id);
		uint64_t t1 = plat_nanotime();
		c->stw1 = t1 - t0;
		plat_ledger_switch(old);
		rt_releasem(m);
		if (par)
			gc_helpers_start(np);
		int hot;
		c->mark_cpu = mark_concurrently(c, self, &hot, &old);
		if (hot) {
			m = rt_getm();  /* held since the last harvest, and the work lock */
			plat_ledger_switch(class_stw);
		} else {
			m = rt_acquirem();
			old = plat_ledger_switch(class_stw);
		}
		uint64_t t2 = plat_nanotime();
		c->conc = t2 - t1;
		gc_stop_the_world(m->id);
		if (!hot)
			gc_work_lock();
		gc_par_end();  /* no batch can be out with the world stopped */
		gc_release_caches();
		uint64_t t3 = plat_nanotime();
		c->stop2 = t3 - t2;
		uint64_t w0 = gc_ms.walk_ns, g0 = gc_ms.tables, ts = t3;
		if (!gc_test_nobarrier) {
			c->dirty2 = gc_rescan_dirty();
			ts = plat_nanotime();
			c->walkh2 = gc_ms.walk_ns - w0;
			c->rescanh2 = ts - t3 - c->walkh2;
			c->dirty2 += gc_rescan_dirty_stacks(self);
		}
		uint64_t t4 = plat_nanotime();
		c->stacks2 = t4 - ts;
		c->walk2 = gc_ms.walk_ns - w0;
		c->rescan2 = t4 - t3 - c->walk2;
		c->tables2 = gc_ms.tables - g0;
		gc_ms.dirty_final = c->dirty2;
		gc_mark_own_stack(self, own_lo);
		gc_drain(0);
		gc_mark_overflow();
		gc_verify(self, own_lo, gc_stats_cycles() + 1, 1);  /* gcverify=1 */
		c->drain2 = plat_nanotime() - t4;
		c->mark_cpu += gc_helpers_cpu();
		t0 = t2;
	} else {
		__atomic_store_n(&rt_gc_marking, 1, __ATOMIC_SEQ_CST);
		gc_mark_data_roots();
		gc_mark_stacks(self);
		gc_mark_own_stack(self, own_lo);
		gc_mark_malloc_roots();
		gc_drain(0);
		gc_mark_overflow();
		gc_verify(self, own_lo, gc_stats_cycles() + 1, 0);  /* gcverify=1 */
		c->drain2 = plat_nanotime() - t0 - c->stop1;
		c->stop2 = c->stop1;
		c->stop1 = 0;
	}
	__atomic_store_n(&rt_gc_marking, 0, __ATOMIC_SEQ_CST);
	uint64_t th = plat_nanotime();
	c->end = __atomic_load_n(&rt_gc_heap_alloc, __ATOMIC_SEQ_CST);
	uint64_t base;
	uint64_t born = __atomic_load_n(&rt_gc_born_bytes, __ATOMIC_SEQ_CST);
	gc_live = gc_gen_done(c, born, &base) + born;
	mark_done_hooks();
	gc_sweep_next_cycle(c->gen);
	__atomic_store_n(&rt_gc_heap_alloc, gc_live, __ATOMIC_SEQ_CST);
	/* the goal over the traced bytes, the runway (gc_pace.c) */
	gc_pace_cycle(base, gc_live, gc_ms.scanned_bytes + gc_ms.roots_bytes, c,
	              __atomic_load_n(&assist_ns, __ATOMIC_RELAXED), (unsigned)tally_ncpu(), minor,
	              gc_gen_next_minor(c));
	gc_work_unlock();
	gc_start_the_world(m->id);
	uint64_t t5 = plat_nanotime();
	c->stw2 = t5 - t0;
	c->hooks2 = t5 - th;
	if (conc) {
		/* The final round cleared the tables' accessed bits; without a
		 * flush, whether one is set again would depend on what the TLB
		 * kept (QEMU sizes it by host time: icount counts that did not
		 * repeat), not on what the program touched. */
		plat_ledger_switch(gc_class_mark);
		plat_dirty_sync();
	}
	plat_ledger_switch(old);
	rt_releasem(m);
	gc_wait_release(GC_WAIT_GOAL);  /* the allocators parked at the goal */
}

static int busy_still(void) { return __atomic_load_n(&gc_busy, __ATOMIC_ACQUIRE) != 0; }

/* Another collection runs: park until it ends (gc_wait.c; gc_busy_unlock
 * releases), not spin through the scheduler, which kept a CPU busy for
 * the whole of a background cycle (tally_gc during one). */
void gc_busy_lock(void)
{
	while (__atomic_exchange_n(&gc_busy, 1, __ATOMIC_ACQUIRE))
		gc_wait_park(GC_WAIT_BUSY, busy_still);
	__atomic_store_n(&busy_g, rt_getg(), __ATOMIC_RELAXED);
}

void gc_busy_unlock(void)
{
	__atomic_store_n(&busy_g, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&gc_busy, 0, __ATOMIC_RELEASE);
	gc_wait_release(GC_WAIT_BUSY);
}

/* A whole cycle on this goroutine, then its sweep.  conc 2: a background
 * cycle, which gives up if a cycle ran while it waited and the heap is
 * under the trigger again.  entry_sp: where the collector was entered
 * (collect_from), its caller's registers spilled there. */
/* noinline: its frame (and cycle's, trace's) must lie below `here` in
 * collect_from, the bound of the own-stack scan; inlined, their locals
 * could sit above it and keep what they named alive. */
__attribute__((noinline)) static int collect(int conc, int minor_ok, uintptr_t entry_sp)
{
	gc_busy_lock();
	if (conc == 2 && __atomic_load_n(&rt_gc_heap_alloc, __ATOMIC_RELAXED) <
	                     __atomic_load_n(&gc_trigger, __ATOMIC_RELAXED)) {
		gc_busy_unlock();
		return 0;
	}
	__atomic_store_n(&assist_ns, 0, __ATOMIC_RELAXED);
	struct gc_cycle c;
	own_lo = entry_sp;
	cycle(conc, minor_ok, &c);
	gc_helpers_wait();  /* a collection returns with its helpers gone */
	gc_stats_cycle(&c, gc_live);
	uint64_t ts = plat_nanotime();
	gc_sweep_all();
	c.sweep += plat_nanotime() - ts;
	const struct tally_gc_stats *st = gc_stats_swept();
	gc_cpu_ns += (c.stw1 + c.stw2) * (uint64_t)tally_ncpu() + c.mark_cpu + assist_ns + c.sweep;
	if (rt_gctrace)
		gc_trace(&c, st, plat_nanotime() - gc_start_ns, gc_cpu_ns, assist_ns, gc_live, gc_goal);
	gc_busy_unlock();
	/* gcfinal.c: the world runs again: start the cleanups */
	rt_gc_final_after_cycle();
	return c.minor;
}

/* The entry to a collection: spill the caller's callee-saved registers
 * into this frame and note where the collector's own frames begin.  The
 * collector's own stack is scanned from there up, never below: its own
 * frames hold object addresses of its own making (a mark's or sweep's
 * locals, a window's base), stale in slots not yet rewritten, which kept
 * such objects alive cycle after cycle. */
__attribute__((noinline)) static int collect_from(int conc, int minor_ok)
{
	__builtin_unwind_init();
	volatile uintptr_t here = (uintptr_t)&here;
	return collect(conc, minor_ok, here);
}

int rt_gc_collecting(void) { return rt_getg() == __atomic_load_n(&busy_g, __ATOMIC_RELAXED); }

void rt_gc_collect(void)
{
	if (!rt_on_goroutine())
		return;  /* g0 or the boot thread: cannot stop the world */
	collect_from(__atomic_load_n(&gc_conc, __ATOMIC_RELAXED), 0);  /* always a full cycle */
}

int rt_gc_collect_minor(void)
{
	if (!rt_on_goroutine())
		return 0;
	return collect_from(__atomic_load_n(&gc_conc, __ATOMIC_RELAXED), 1);
}

static void bg_cycle(void *arg)
{
	(void)arg;
	collect_from(2, 1);  /* a background cycle: skipped if one ran meanwhile; minor if it may be */
	__atomic_store_n(&bg_running, 0, __ATOMIC_RELEASE);
	gc_wait_release(GC_WAIT_GOAL);  /* (a skipped cycle released nobody) */
}

/* At the goal with a cycle under way: marking, or started and not yet
 * marking (gc_wait.c's test, under its lock). */
static int must_wait(void)
{
	return (__atomic_load_n(&rt_gc_marking, __ATOMIC_ACQUIRE) ||
	        __atomic_load_n(&bg_running, __ATOMIC_ACQUIRE)) &&
	       __atomic_load_n(&rt_gc_heap_alloc, __ATOMIC_RELAXED) >=
	               __atomic_load_n(&gc_goal, __ATOMIC_RELAXED);
}

/* Help marking: it fell behind the allocation (gc_pace.c), or the heap
 * reached its goal while marking is on.  Scan grey objects if there are
 * any; at the goal, then park until marking ends (gc_wait.c): the worker
 * stops sleeping between slices while the heap is over its goal, so the
 * heap stays at its goal (waiting is not charged to rt.gc.assist: the
 * goroutine is parked). */
static void assist(uint64_t budget, int over)
{
	uint64_t did = 0;
	struct m *m = rt_acquirem();
	if (gc_work_trylock()) {
		unsigned old = plat_ledger_switch(class_assist);
		uint64_t t0 = plat_nanotime();
		did = gc_drain_bytes(budget);
		gc_ms.assist_bytes += did;
		gc_work_unlock();
		__atomic_add_fetch(&assist_ns, plat_nanotime() - t0, __ATOMIC_RELAXED);
		plat_ledger_switch(old);
	}
	rt_releasem(m);
	/* over the goal, park even after helping: an allocator that went on
	 * once it had scanned something ran the heap past its goal by what
	 * it allocated meanwhile */
	if (!over || rt_gc_collecting())
		return;  /* (the collector itself would wait for itself) */
	gc_wait_park(GC_WAIT_GOAL, must_wait);
}

/* An allocation's slow path, on a goroutine, no lock held: collect, start
 * a background cycle, or assist, as the pacer says. */
static void pace(size_t n)
{
	if (!rt_on_goroutine() || rt_getm()->locks)
		return;
	uint64_t alloc = __atomic_load_n(&rt_gc_heap_alloc, __ATOMIC_RELAXED);
	uint64_t goal = __atomic_load_n(&gc_goal, __ATOMIC_RELAXED);
	if (__atomic_load_n(&rt_gc_marking, __ATOMIC_ACQUIRE)) {
		/* the allocation about to be made (a window: up to 64 objects):
		 * scan for it if marking is behind (gc_pace.c); at the goal,
		 * scan and wait */
		uint64_t bytes = n > RT_SMALL_MAX ? n : 64 * (uint64_t)n;
		uint64_t budget = gc_pace_assist(alloc, bytes);
		if (budget || alloc >= goal)
			assist(budget < MARK_ASSIST_BYTES ? MARK_ASSIST_BYTES : budget, alloc >= goal);
		return;
	}
	if (__atomic_load_n(&rt_gc_percent_v, __ATOMIC_RELAXED) < 0 &&
	    __atomic_load_n(&rt_gc_limit_v, __ATOMIC_RELAXED) <= 0)
		return;
	if (!__atomic_load_n(&gc_conc, __ATOMIC_RELAXED)) {
		if (alloc >= goal)
			rt_gc_collect();
		return;
	}
	if (alloc < __atomic_load_n(&gc_trigger, __ATOMIC_RELAXED))
		return;
	/* start it now, not at the next tick (the heap ran to several times
	 * its goal first); at the goal before marking began (the cycle's
	 * clearing walk, or a CPU slow to stop), wait as at the goal while
	 * marking: yielding let the heap run past the goal (11.4 MiB against
	 * a 7.9 MiB goal in test_rt_gclimit's concurrent runs) */
	if (!__atomic_exchange_n(&bg_running, 1, __ATOMIC_ACQ_REL)) {
		tally_go(bg_cycle, NULL);
		tally_yield();
	}
	if (alloc >= goal && !rt_gc_collecting())
		gc_wait_park(GC_WAIT_GOAL, must_wait);
}

/* ---- the API ---- */
void *rt_gc_alloc_slow(size_t n, unsigned kind);

void *tally_gc_alloc(size_t n, int kind)
{
	if (kind != TALLY_GC_SCAN && kind != TALLY_GC_NOSCAN) {
		errno = EINVAL;
		return NULL;
	}
	return rt_gc_alloc(n, kind == TALLY_GC_SCAN ? KIND_GC_SCAN : KIND_GC_NOSCAN);
}

/* rt_gc_alloc's miss (malloc_fast.c): the window is empty, n is over
 * 1024, or n is 0. */
void *rt_gc_alloc_slow(size_t n, unsigned k)
{
	void *p;
	if (n == 0)
		n = 1;
	pace(n);
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
		if (rt_on_goroutine())
			collect_from(0, 0);  /* out of memory: a whole collection at once, then try again */
	}
	rt_gc_oom(n);
}

/* The out-of-memory report for a collected object of n bytes. */
_Noreturn void rt_gc_oom(size_t n)
{
	char what[160];
	snprintf(what, sizeof(what), "a collected object; heap %llu bytes live after the last collection, "
	         "goal %llu, limit %lld",
	         (unsigned long long)gc_live, (unsigned long long)gc_goal, (long long)rt_gc_limit_v);
	rt_throw_oom(what, n);
}

void tally_gc(void) { rt_gc_collect(); }

int tally_gc_percent(int percent)
{
	gc_busy_lock();
	int old = rt_gc_percent_v;
	__atomic_store_n(&rt_gc_percent_v, percent, __ATOMIC_RELAXED);
	gc_pace_goal();
	gc_busy_unlock();
	return old;
}

int64_t tally_gc_memory_limit(int64_t bytes)
{
	gc_busy_lock();
	int64_t old = rt_gc_limit_v;
	if (bytes >= 0) {
		__atomic_store_n(&rt_gc_limit_v, bytes, __ATOMIC_RELAXED);
		gc_pace_goal();
	}
	gc_busy_unlock();
	return old;
}

void rt_gc_init(void)
{
	class_stw = (unsigned)plat_ledger_class("rt.gc.stw");
	gc_class_mark = (unsigned)plat_ledger_class("rt.gc.mark");
	class_assist = (unsigned)plat_ledger_class("rt.gc.assist");
	gc_sweep_init();
	gc_start_ns = plat_nanotime();
	int gen = 0;
	plat_gc_config(&rt_gc_percent_v, &rt_gc_limit_v, &rt_gctrace, &gc_conc, &gc_helpers, &gen);
	rt_gc_set_generational(gen);
	rt_gc_set_verify(plat_gc_verify());
	gc_pace_goal();
}

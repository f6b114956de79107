/*
 * gc_par.c - marking on several CPUs: the helpers, background markers on
 * the other CPUs (gchelpers=1, the default, with gcconc=1 and P > 1), and
 * the collector's own drains while they run.  The batches they scan are
 * gc_mark.c's ("batches"); the cycle that starts and ends them is gc.c's
 * (its essay, step 2).
 *
 * Lifetime: gc.c's start pause sets gc_par_on; once the world runs again
 * it calls gc_helpers_start(P), which starts P - 1 helpers for this
 * cycle's generation.  The final pause clears gc_par_on with the world
 * stopped (gc_par_end: no batch can be out then); each helper notices
 * within a nap and exits; rt_gfput calls rt_gc_helper_gone once its stack
 * is freed, and collect() returns only after gc_helpers_wait(), so no
 * helper outlives its collection (nor its stack: a program that reads
 * its stacks' bytes around tally_gc sees only its own).
 *
 * Context: the helpers are goroutines; a slice holds m->locks (the tick
 * does not preempt it, its ledger class rt.gc.mark stays on its CPU).
 * State: the generation, the helpers' CPU this cycle and the count alive,
 * atomics; PLAT_GC_NOROOT (no pointer to a collected object).
 */
#include "rt/heap/gc_impl.h"
#include "rt/include/tally.h"

static PLAT_GC_NOROOT volatile uint32_t helper_gen;      /* the cycle the helpers serve */
static PLAT_GC_NOROOT volatile uint64_t helper_cpu_ns;   /* their marking, this cycle */
static PLAT_GC_NOROOT volatile unsigned helpers_alive;   /* started, stack not yet freed */

/* Work lock held: scan grey objects until none is left (1) or the
 * deadline (0).  With helpers (gc_par_on), by batches with the lock let
 * go, so that the helpers can take batches too; 1 only when no batch is
 * out either. */
int gc_drain_slice(uint64_t deadline)
{
	if (!__atomic_load_n(&gc_par_on, __ATOMIC_RELAXED))
		return gc_drain(deadline);
	gc_work_unlock();
	int r;
	while ((r = gc_drain_shared(deadline)) < 0 && plat_nanotime() < deadline)
		plat_relax();
	gc_work_lock();
	return gc_mark_idle();
}

int rt_gc_is_helper(const struct g *gp) { return gp->fn == gc_mark_helper; }
void rt_gc_helper_gone(void) { __atomic_sub_fetch(&helpers_alive, 1, __ATOMIC_ACQ_REL); }

/* A background marker on another CPU: the start pause of a concurrent
 * cycle with P > 1 starts P - 1 of them (cycle()), so that marking runs
 * on every CPU, each at a quarter of its CPU: a slice of batches
 * (gc_drain_shared, at most MARK_SLICE_NS, m->locks held, rt.gc.mark),
 * then three times its length asleep in naps (or one nap when there was
 * nothing to take), no sleep while the heap is over its goal (the
 * allocators wait for marking then).  It exits once its cycle's marking
 * is over (gc_par_on clear, or a later cycle's generation).  It holds no
 * root: what its frames name was read from the heap and marked, so its
 * stack is not scanned (gc_stack.c), and stale slots of its scans there
 * keep nothing alive. */
void gc_mark_helper(void *arg)
{
	uint32_t gen = (uint32_t)(uintptr_t)arg;
	while (__atomic_load_n(&helper_gen, __ATOMIC_ACQUIRE) == gen &&
	       __atomic_load_n(&gc_par_on, __ATOMIC_ACQUIRE)) {
		struct m *m = rt_acquirem();
		unsigned old = plat_ledger_switch(gc_class_mark);
		uint64_t t0 = plat_nanotime();
		gc_drain_shared(t0 + MARK_SLICE_NS);
		uint64_t now = plat_nanotime(), t = now - t0;
		plat_ledger_switch(old);
		rt_releasem(m);
		__atomic_add_fetch(&helper_cpu_ns, t, __ATOMIC_RELAXED);
		uint64_t until = now + (3 * t > NAP_NS ? 3 * t : NAP_NS);
		tally_yield();
		while ((now = plat_nanotime()) < until && !gc_over_goal() &&
		       __atomic_load_n(&gc_par_on, __ATOMIC_ACQUIRE))
			tally_sleep(until - now < NAP_NS ? until - now : NAP_NS);
	}
}

/* World running, marking on (gc_par_on set by the start pause): start
 * np - 1 helpers for a new generation. */
void gc_helpers_start(unsigned np)
{
	__atomic_store_n(&helper_cpu_ns, 0, __ATOMIC_RELAXED);
	uint32_t gen = __atomic_add_fetch(&helper_gen, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&helpers_alive, np - 1, __ATOMIC_ACQ_REL);
	for (unsigned i = 1; i < np; i++)
		tally_go(gc_mark_helper, (void *)(uintptr_t)gen);
}

/* The helpers' marking CPU this cycle (ns), taken (world stopped). */
uint64_t gc_helpers_cpu(void) { return __atomic_exchange_n(&helper_cpu_ns, 0, __ATOMIC_RELAXED); }

/* On the collecting goroutine, after the cycle: until every helper is
 * gone (they notice the end of marking within a nap). */
void gc_helpers_wait(void)
{
	while (__atomic_load_n(&helpers_alive, __ATOMIC_ACQUIRE))
		tally_sleep(NAP_NS / 4);
}

/*
 * gc_stw.c - stopping and starting the world for the collector's pauses,
 * and giving back every cache window in one.  Split from gc.c, whose
 * essay has the cycle.
 *
 * Protocol: the collector bumps stw_gen, raises rt_stw and wakes every
 * other M; each M's g0 acknowledges the generation at the top of its
 * scheduling loop (rt_stw_wait: m->stw_ack = gen) and parks until rt_stw
 * drops or the generation moves; a running goroutine is preempted
 * whatever its quantum, at once where the platform runs the preemption
 * check on the wake-up (rt_preempt_urgent: bare metal's wake IPI), else
 * at its CPU's next tick (rt_impl.h).  The collector spins
 * until every other M acknowledged, waking any every 4096 spins (it may
 * have parked on a path without the check).
 *
 * Invariants: while rt_stw is up for generation g and every other M's
 * stw_ack == g, no goroutine runs but the collector's.  rt_stw and
 * stw_gen hold no pointer: PLAT_GC_NOROOT.
 * Context: gc_* on the collecting goroutine holding m->locks;
 * rt_stw_wait on g0.
 */
#include "rt/heap/gc_impl.h"
#include "rt/include/tally.h"

PLAT_GC_NOROOT volatile int rt_stw;
static PLAT_GC_NOROOT volatile uint32_t stw_gen;

void rt_stw_wait(struct m *m)
{
	uint32_t gen = __atomic_load_n(&stw_gen, __ATOMIC_SEQ_CST);
	__atomic_store_n(&m->stw_ack, gen, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&rt_stw, __ATOMIC_SEQ_CST) &&
	       __atomic_load_n(&stw_gen, __ATOMIC_SEQ_CST) == gen)
		plat_m_park(0);
}

void gc_stop_the_world(unsigned me)
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

void gc_start_the_world(unsigned me)
{
	unsigned n = (unsigned)tally_ncpu();
	__atomic_store_n(&rt_stw, 0, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < n; i++)
		if (i != me)
			plat_m_wake(i);
}

void gc_release_caches(void)
{
	for (unsigned i = 0; i < (unsigned)tally_ncpu(); i++)
		rt_mcache_release_all(&rt_mcaches[i]);
}

/*
 * pin.c - reading "which M am I on" without being moved: rt_acquirem's
 * pin and rt_getg, the two most frequent runtime calls (a goroutine's
 * spawn, park, ready and exit take about sixteen pins between them).
 *
 * Purpose: a goroutine may be preempted and resumed on another M between
 * any two instructions, so reading its M (plat_m_id) and then using that
 * M (raising m->locks, reading m->curg) needs the two steps to happen
 * with no preemption between them.  Holding the tick off (plat_irq_save /
 * plat_irq_restore around the two steps) does it, at the price of two
 * calls and a flags save and restore on every pin; under QEMU's TCG an
 * interrupt-enabling restore also ends the translated block.  Here both
 * functions are instead placed in section rt_nopreempt (RT_NOPREEMPT),
 * whose code the preemption check never interrupts (rt_preempt_check
 * refuses any pc inside it): an interrupt may still arrive, but the
 * goroutine resumes right where it was, on the same M.  The allocator's
 * fast path uses the same section for the same reason (malloc_fast.c).
 *
 * Data structures: none of its own; rt_ms[] (sched.c).
 * Invariants: each function reads the M number and uses that M's fields
 * in straight-line code inside the section, calling nothing but
 * plat_m_id (inline on bare metal; hosted, a call into rt_hosted_text,
 * which the preemption signal never interrupts either: rt/platform.h
 * asks that of plat_m_id).  Once rt_pin_m has raised m->locks the caller
 * is pinned by the count itself (rt_preempt_check refuses m->locks > 0).
 * Context: thread context on an M, goroutine or g0; never an interrupt
 * handler.
 */
#include "rt/rt_impl.h"

/* Raise the running M's lock count and return the M (rt_acquirem). */
RT_NOPREEMPT struct m *rt_pin_m(void)
{
	struct m *m = &rt_ms[plat_m_id()];
	m->locks++;
	return m;
}

/* The running G: the M's curg, or its g0 in the scheduler.  M and curg
 * are read together (no preemption between the two loads). */
RT_NOPREEMPT struct g *rt_getg(void)
{
	struct m *m = &rt_ms[plat_m_id()];
	struct g *gp = m->curg;
	return gp ? gp : &m->g0;
}

/*
 * sched.c - the goroutine scheduler: G/M/P, the scheduling loop, stealing,
 * idle Ms and parking.  Its other concerns have files of their own: run
 * queues (runq.c), goroutine creation and exit (proc.c), fatal reports
 * (fatal.c); what they share is in sched_impl.h.
 *
 * Purpose: run many goroutines (G) on a few execution contexts (M: a CPU
 * on bare metal, a thread when hosted) with Go's design: each P has a
 * bounded local run queue (a ring, lock-free for its owner, thieves steal
 * half) and a runnext slot; a global queue (checked every 61st schedule
 * for fairness) takes overflow and yielded/preempted Gs; an M without work
 * steals from the others and runs their expired timers (expired_timers),
 * then parks (halts) until woken by rt_wakep() or the next timer of any
 * P.  main() runs as goroutine 1; the program ends when
 * it returns.
 *
 * Data structures: rt_ms[] and ps[] (P i bound to M i for i < gomaxprocs);
 * `sched` (global run queue as a linked list, free Gs with their stacks,
 * the list of all Gs for the deadlock report, idle-M accounting) under
 * sched.lock.
 *
 * Invariants:
 *   - a G is in at most one of: a run queue (RUNNABLE), an M (RUNNING), a
 *     wait queue or nowhere (WAITING), the free list (IDLE/DEAD);
 *   - a G's context is saved before it is visible to other Ms: every
 *     switch away from a G goes to its M's g0, which publishes it
 *     (m->after) only after rt_ctx_switch returned there;
 *   - local ring: 0 <= tail - head <= RT_RUNQ_SIZE; only the owner writes
 *     tail; head advances by CAS (owner and thieves);
 *   - nmidle = number of Ms parked in findrunnable (under sched.lock);
 *     idle_mask names them, nop_mask names the Ms parked without a P
 *     (beyond GOMAXPROCS).  An M in neither may hold a G that is in no
 *     queue, so the deadlock check waits until every M is in one.
 * Lost wake-ups are avoided by the idle protocol: an M counts itself idle
 * under sched.lock and then re-checks every queue; a producer publishes
 * work and then reads nmidle (both with sequentially consistent atomics).
 * At most one wake is in flight (rt_sched.waking, set by rt_wakep, cleared
 * by the M leaving its idle state, which then re-checks every queue
 * itself), so a burst of spawns sends one IPI, not one per G.
 *
 * Locking: sched.lock, then an object's lock.  rt_lock disables preemption
 * of its holder (m->locks).  m->locks also covers every context switch and
 * stays balanced per M although a parked G may resume on another M: g0
 * raises it before switching into a G and drops it after a G switched back
 * (undoing the G's raise before its mcall); a resumed G drops the raise of
 * the M it resumed on (rt_goentry does the same for a fresh G).  The preemption tick reads m->locks, m->curg
 * and g->run_start only.
 *
 * The network (rt/netpoll.c, once the stack started): schedule() polls the
 * device's ring when due, findrunnable() polls before it steals and, before
 * it halts, lets the poller turn the receive interrupt on and counts frames
 * waiting as work; checkdead() counts goroutines parked on the network as
 * waiting, not dead; a poll-mode halt ends within 1 ms.
 *
 * Context: thread context on an M.  g0 code (schedule, findrunnable) runs
 * on the M's own stack and is charged to rt.sched in the ledger (the
 * poller's share to rt.netpoll and rt.net).
 *
 * Status: usable by the hosted build and the kernel (tally_go, tally_yield,
 * rt_gopark/rt_goready, rt_main).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rt/rt.h"
#include "rt/rt_impl.h"
#include "rt/sched_impl.h"
#include "rt/netpoll.h"
#include "rt/include/tally.h"

/* rt_getm (rt_impl.h).  No root (PLAT_GC_NOROOT): its G pointers name
 * malloc'd Gs, and park_arg (a wait object, maybe a collected channel) is
 * read and cleared by g0 before the M can stop for the collector, the parking
 * goroutine's frames holding it too.  Each M writes its own at every
 * switch: as roots, the collector's final pause re-scanned the page. */
PLAT_GC_NOROOT struct m rt_ms[RT_MAX_M];
/* no root (PLAT_GC_NOROOT): Gs are malloc'd, and the one collected
 * pointer of a P, its timer heap, is also in rtimer.c's heap_roots[] */
static PLAT_GC_NOROOT struct p ps[RT_MAX_M];
static unsigned nms;                      /* Ms started */
volatile unsigned rt_gomaxprocs_v;
static uint64_t quantum_ns = 10000000ull; /* Go's forcePreemptNS */
static uint64_t quantum_cycles;           /* the same on plat_cycles' clock */
unsigned rt_class_sched, rt_class_timer;

/* No root (PLAT_GC_NOROOT): its lists hold malloc'd Gs. */
PLAT_GC_NOROOT struct rt_sched rt_sched;


/* ns on the ledger's clock (plat_cycles), for the tick's comparison with
 * a G's run start.  Before the clock's rate is known (an early
 * rt_set_quantum), 1 GHz: rt_main converts again. */
static uint64_t ns_to_cycles(uint64_t ns)
{
	uint64_t hz = plat_cycles_hz();
	if (!hz)
		hz = 1000000000u;
	return (uint64_t)((__uint128_t)ns * hz / 1000000000u);
}

void rt_set_quantum(uint64_t ns)
{
	quantum_ns = ns;
	quantum_cycles = ns_to_cycles(ns);
}
struct p *rt_pget(unsigned id) { return &ps[id]; }
uint64_t rt_nanotime(void) { return plat_nanotime(); }

#define acquirem rt_acquirem
#define releasem rt_releasem

uint64_t rt_fastrand(void)
{
	struct m *m = acquirem();  /* m->fastrand is owner-only */
	/* xorshift64* */
	uint64_t x = m->fastrand;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	m->fastrand = x;
	releasem(m);
	return x * 0x2545f4914f6cdd1dull;
}

int rt_park_unlock(struct g *gp, void *arg)
{
	(void)gp;
	rt_unlock((struct rt_lock *)arg);
	return 1;
}

/* ------------------------------------------------------------ idle Ms */

void rt_wakep(void)
{
	/* The caller just published work (a ring's tail, runnext, a timer)
	 * with a release store; an M going idle does nmidle++ (a full
	 * barrier) and then looks for work.  Without a full fence here the
	 * load of nmidle below may be satisfied before the publishing store
	 * is visible (x86 lets a load pass an earlier store): both sides
	 * would miss each other and the work would wait on a busy M while
	 * an idle one halts.  Dekker's pattern: each side fences between its
	 * store and its load. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&rt_sched.nmidle, __ATOMIC_SEQ_CST) == 0 ||
	    __atomic_load_n(&rt_sched.nmspinning, __ATOMIC_SEQ_CST) != 0)
		return;
	/* One wake in flight at a time (Go's wakep claims a spinning M
	 * before it starts one): until the woken M has left its idle state
	 * (findrunnable clears `waking` there, and then looks at every
	 * queue), further work is found by it, and a second wake would only
	 * send another IPI to the same M.  Without the claim, a G spawning
	 * children while the other CPU woke up sent one IPI per child
	 * (skynet: 1.1 million wakes for 1.1 million goroutines). */
	unsigned zero = 0;
	if (!__atomic_compare_exchange_n(&rt_sched.waking, &zero, 1, 0, __ATOMIC_SEQ_CST,
	                                 __ATOMIC_SEQ_CST))
		return;
	uint64_t mask = __atomic_load_n(&rt_sched.idle_mask, __ATOMIC_SEQ_CST);
	unsigned me = plat_m_id();
	for (unsigned i = 0; i < rt_procs(); i++) {
		if (i != me && (mask & (1ull << i))) {
			plat_m_wake(i);
			return;
		}
	}
	__atomic_store_n(&rt_sched.waking, 0, __ATOMIC_SEQ_CST);  /* nobody to wake */
}

/* Any runnable G anywhere?  Every P is looked at, not only those below
 * GOMAXPROCS: right after GOMAXPROCS drops, an M beyond it may still hold
 * Gs in its ring until it hands them to the global queue. */
static int any_work(void)
{
	if (__atomic_load_n(&rt_sched.runq_size, __ATOMIC_SEQ_CST))
		return 1;
	for (unsigned i = 0; i < nms; i++)
		if (!rt_runq_empty(&ps[i]))
			return 1;
	return 0;
}

static const char *status_name(struct g *gp)
{
	return gp->waitreason ? gp->waitreason : "waiting";
}

/* Called with rt_sched.lock held by an M about to park with nothing to do.
 *
 * The program is dead only when every M started is quiescent: parked in
 * findrunnable (idle_mask) or parked without a P (nop_mask), both entered
 * under rt_sched.lock with no G in hand.  Counting only GOMAXPROCS idle Ms is
 * not enough: an M that is not parked may hold a G that is in no queue
 * (a thief between grabbing a batch and publishing it, an M that lost its
 * P moving its ring to the global queue), and right after GOMAXPROCS
 * drops, Ms beyond it still pass through the idle count. */
static void checkdead(void)
{
	uint64_t all = nms >= 64 ? ~0ull : (1ull << nms) - 1;
	uint64_t quiet = __atomic_load_n(&rt_sched.idle_mask, __ATOMIC_SEQ_CST) |
	                 __atomic_load_n(&rt_sched.nop_mask, __ATOMIC_SEQ_CST);
	if ((quiet & all) != all || any_work() || rt_timers_next() != 0 ||
	    __atomic_load_n(&rt_netpoll_waiters, __ATOMIC_SEQ_CST) > 0)
		return;  /* a goroutine parked on the network waits for a frame */
	for (unsigned i = 0; i < nms; i++)
		if (__atomic_load_n(&rt_ms[i].curg, __ATOMIC_SEQ_CST) ||
		    __atomic_load_n(&rt_ms[i].busy, __ATOMIC_SEQ_CST))
			return;
	if (!plat_fatal_begin())
		plat_fatal_exit(2);
	/* none waiting at all: main ended by tally_goexit and every other
	 * goroutine has exited (Go's wording for that case) */
	int waiting = 0;
	for (struct gx *x = (struct gx *)rt_sched.allgs; x; x = x->allnext)
		waiting |= __atomic_load_n(&x->g.status, __ATOMIC_SEQ_CST) == G_WAITING;
	rt_print(waiting ? "fatal error: all goroutines are asleep - deadlock!\n\n"
	                 : "fatal error: no goroutines (main called tally_goexit) - deadlock!\n\n");
	for (struct gx *x = (struct gx *)rt_sched.allgs; x; x = x->allnext) {
		struct g *gp = &x->g;
		if (__atomic_load_n(&gp->status, __ATOMIC_SEQ_CST) != G_WAITING)
			continue;
		rt_print_goroutine_header(gp, status_name(gp));
		plat_backtrace(rt_ctx_pc(&gp->ctx), rt_ctx_fp(&gp->ctx));
		rt_print("\n");
	}
	plat_fatal_exit(2);
}

/* Run the expired timers of every P: this M's own, those no M holds
 * (beyond rt_procs()) and those whose M is busy: with tick=0, or a goroutine that
 * runs long between calls, a busy M reaches its scheduler only when its
 * goroutine yields, and a sleeper whose timer is on its heap would wait
 * for that (a collector sleeping in its duty naps behind a call-free
 * spinner never woke: case gc_stw_spin_tick0_smp2).  Like Go's stealWork,
 * an M with nothing to do runs them; what they ready goes on its own P.
 * Runs before this M's own ring is checked again, charged to rt.timer.
 * The park deadline reads every P's timers again once this M counts as
 * idle (rt_timers_next): a timer added meanwhile on a busy P wakes no one
 * (rt_wakep saw no idle M, or this one spinning). */
static void expired_timers(uint64_t now)
{
	for (unsigned i = 0; i < nms; i++) {
		uint64_t w = __atomic_load_n(&ps[i].timer0_when, __ATOMIC_ACQUIRE);
		if (w && w <= now) {
			unsigned old = plat_ledger_switch(rt_class_timer);
			rt_timers_run(&ps[i], now);
			plat_ledger_switch(old);
		}
	}
}

/* Find a G to run; parks the M while there is none. g0 only. */
static struct g *findrunnable(struct m *m, struct p *pp)
{
	for (;;) {
		if (__atomic_load_n(&rt_stw, __ATOMIC_SEQ_CST))
			rt_stw_wait(m);
		if (m->id >= rt_procs())
			return NULL;  /* this M lost its P: schedule() parks it */
		uint64_t now = plat_nanotime();
		expired_timers(now);
		struct g *gp = rt_runqget(pp);
		if (gp)
			return gp;
		if (__atomic_load_n(&rt_sched.runq_size, __ATOMIC_SEQ_CST)) {
			rt_lock(&rt_sched.lock);
			gp = rt_globrunqget(pp, 0);
			rt_unlock(&rt_sched.lock);
			if (gp)
				return gp;
		}
		/* the network: frames may ready goroutines onto this P */
		if (__atomic_load_n(&rt_netpoll_on, __ATOMIC_ACQUIRE) && rt_netpoll_find() &&
		    (gp = rt_runqget(pp)))
			return gp;
		/* steal: four passes over the other Ps in random order */
		unsigned n = rt_procs();
		if (n > 1) {
			m->spinning = 1;
			__atomic_add_fetch(&rt_sched.nmspinning, 1, __ATOMIC_SEQ_CST);
			for (int pass = 0; pass < 4 && !gp; pass++) {
				unsigned start = (unsigned)(rt_fastrand() % n);
				for (unsigned k = 0; k < n && !gp; k++) {
					struct p *victim = &ps[(start + k) % n];
					if (victim != pp)
						gp = rt_runqsteal(pp, victim, pass == 3);
				}
			}
			m->spinning = 0;
			__atomic_sub_fetch(&rt_sched.nmspinning, 1, __ATOMIC_SEQ_CST);
			if (gp) {
				rt_wakep();  /* we found work: maybe there is more */
				return gp;
			}
		}
		/* nothing: go idle, then re-check everything (lost wake-ups) */
		int net = __atomic_load_n(&rt_netpoll_on, __ATOMIC_ACQUIRE);
		if (net)
			rt_netpoll_before_idle();
		rt_lock(&rt_sched.lock);
		gp = rt_globrunqget(pp, 0);
		if (gp) {
			rt_unlock(&rt_sched.lock);
			return gp;
		}
		__atomic_add_fetch(&rt_sched.nmidle, 1, __ATOMIC_SEQ_CST);
		__atomic_or_fetch(&rt_sched.idle_mask, 1ull << m->id, __ATOMIC_SEQ_CST);
		int work = any_work() || m->id >= rt_procs() ||  /* lost the P meanwhile */
		           (net && rt_netpoll_work());
		if (!work)
			checkdead();
		rt_unlock(&rt_sched.lock);
		if (!work) {
			uint64_t deadline = rt_timers_next();  /* of every P */
			if (net)
				deadline = rt_netpoll_idle_deadline(deadline);
			m->parked = 1;
			plat_m_park(deadline);
			m->parked = 0;
		}
		rt_lock(&rt_sched.lock);
		__atomic_sub_fetch(&rt_sched.nmidle, 1, __ATOMIC_SEQ_CST);
		__atomic_and_fetch(&rt_sched.idle_mask, ~(1ull << m->id), __ATOMIC_SEQ_CST);
		/* out of the idle state (woken or not): the next wake may go */
		__atomic_store_n(&rt_sched.waking, 0, __ATOMIC_SEQ_CST);
		rt_unlock(&rt_sched.lock);
		if (m->id >= rt_procs())
			return NULL;  /* this M lost its P */
	}
}

/* ------------------------------------------------------------ switching */


void rt_gopark(int (*unlockf)(struct g *, void *), void *arg, const char *reason)
{
	/* the lock handed over stays held across the switch; the switch
	 * itself must not be preempted */
	struct m *m = acquirem();
	struct g *gp = m->curg;
	if (!gp)
		rt_throw("gopark on g0");
	m->park_unlock = unlockf;
	m->park_arg = arg;
	gp->waitreason = reason;
	rt_mcall(AFTER_PARK);
	releasem(rt_getm());  /* the raise execute() made on the M we resumed on */
}

void rt_goready(struct g *gp)
{
	if (gp->status != G_WAITING)
		rt_throw("bad g->status in ready");
	struct m *m = acquirem();
	gp->status = G_RUNNABLE;
	gp->waitreason = NULL;
	rt_ready_put(m, gp);
	releasem(m);
	rt_wakep();
}

void tally_yield(void)
{
	acquirem();
	rt_mcall(AFTER_YIELD);
	releasem(rt_getm());
}

int tally_ncpu(void) { return (int)nms; }
int tally_cpu(void) { return (int)plat_m_id(); }

int tally_gomaxprocs(int n)
{
	int old = (int)rt_procs();
	if (n > 0) {
		if ((unsigned)n > nms)
			n = (int)nms;
		__atomic_store_n(&rt_gomaxprocs_v, (unsigned)n, __ATOMIC_SEQ_CST);
		for (unsigned i = 0; i < nms; i++)
			plat_m_wake(i);  /* Ms re-check whether they hold a P */
	}
	return old;
}

/* the linker's bounds of section rt_nopreempt (weak: a build without the
 * heap has no such section, and then no pc is in it) */
extern const char __start_rt_nopreempt[] __attribute__((weak));
extern const char __stop_rt_nopreempt[] __attribute__((weak));

int rt_preempt_check(uintptr_t pc)
{
	if (pc - (uintptr_t)__start_rt_nopreempt < (uintptr_t)(__stop_rt_nopreempt - __start_rt_nopreempt))
		return 0;  /* code that uses this M's state unpinned: next tick */
	struct m *m = rt_getm();
	struct g *gp = m->curg;
	if (!gp || m->locks || gp->status != G_RUNNING || gp->preempt)
		return 0;
	if (!__atomic_load_n(&rt_stw, __ATOMIC_RELAXED) && plat_cycles() - (gp->run_start >> 1) < quantum_cycles)
		return 0;  /* a collector stopping the world preempts at once */
	gp->preempt = 1;  /* until it runs again: no second injection */
	return 1;
}

int rt_preempt_urgent(void) { return __atomic_load_n(&rt_stw, __ATOMIC_RELAXED); }

uintptr_t rt_curg_stack_lo(void)
{
	struct g *gp = rt_getg();
	return gp->goid ? gp->stack_lo : 0;  /* g0's goid is 0 */
}

void rt_async_preempt_body(void)
{
	struct m *m = acquirem();
	m->curg->preemptions++;
	rt_mcall(AFTER_PREEMPT);
	releasem(rt_getm());
}

/* g0: run gp until it switches back, then finish its action. */
static void execute(struct m *m, struct g *gp)
{
	m->schedtick++;
	if (!gp->stack_lo) {
		gp->stack_size = plat_stack_size(gp->stack_size ? gp->stack_size : RT_STACK_SIZE);
		gp->stack_lo = plat_stack_alloc(gp->stack_size);
		if (!gp->stack_lo) {
			char msg[200];
			unsigned st[5] = { 0 }, pre = 0;
			for (struct gx *x = (struct gx *)rt_sched.allgs; x; x = x->allnext)
				if (x->g.stack_lo) {
					st[x->g.status % 5]++;
					pre += x->g.preemptions != 0;
				}
			snprintf(msg, sizeof(msg),
			         "a goroutine stack; %llu Gs made, %llu stacks held, %u cached; with stacks: idle %u runnable %u running %u waiting %u dead %u; ever preempted %u",
			         (unsigned long long)rt_sched.ngs, (unsigned long long)rt_nstacks(),
			         rt_gfree_count(), st[0], st[1], st[2], st[3], st[4], pre);
			rt_throw_oom(msg, 0);
		}
		rt_count_stack(m->p, 1);
	}
	if (gp->fn && gp->status == G_RUNNABLE && rt_ctx_sp(&gp->ctx) == 0)
		rt_ctx_init(&gp->ctx, gp->stack_lo + gp->stack_size, rt_goentry, gp);
	/* m->curg names gp only inside the window covered by m->locks (or
	 * while gp itself runs): the tick must never take g0 for gp. */
	m->locks++;  /* dropped by the G when it resumes (rt_goentry / mcall) */
	rt_tick_barrier();
	__atomic_store_n(&gp->status, G_RUNNING, __ATOMIC_RELAXED);
	/* seq-cst: a full fence between the status and the trim flag's load */
	__atomic_store_n(&m->busy, 1, __ATOMIC_SEQ_CST);
	while (__builtin_expect(__atomic_load_n(&((struct gx *)gp)->gc_trimming, __ATOMIC_SEQ_CST), 0))
		plat_relax();  /* the collector is shrinking its stack (gc_stack.c) */
	gp->m = m;
	gp->preempt = 0;
	rt_tick_barrier();
	__atomic_store_n(&m->curg, gp, __ATOMIC_SEQ_CST);
	/* the ledger's switch reads the run start: the tick reads it only
	 * once the G dropped m->locks, after the switch below */
	gp->run_start = plat_ledger_enter_user();
	rt_ctx_switch_clean(&m->g0.ctx, &gp->ctx);  /* g0's leftovers stay here */
	/* curg is cleared before the G's raise is dropped: the tick must
	 * never see curg naming gp with locks == 0 while g0 runs (it would
	 * preempt g0 as if it were gp) */
	__atomic_store_n(&m->curg, NULL, __ATOMIC_SEQ_CST);
	rt_tick_barrier();
	m->locks--;  /* the raise the G made before switching back */
	int after = m->after;
	if (after == AFTER_PREEMPT)
		plat_ledger_switch(rt_class_sched);  /* from the tick's relabel */
	else
		plat_ledger_leave_user();
	gp->m = NULL;
	m->after = AFTER_NONE;
	switch (after) {
	case AFTER_PARK:
		gp->status = G_WAITING;
		if (m->park_unlock && !m->park_unlock(gp, m->park_arg)) {
			gp->status = G_RUNNABLE;
			gp->waitreason = NULL;
			rt_runqput(m->p, gp, 1);
		}
		m->park_unlock = NULL;
		m->park_arg = NULL;
		break;
	case AFTER_YIELD:
	case AFTER_PREEMPT:
		gp->status = G_RUNNABLE;
		rt_lock(&rt_sched.lock);
		rt_globrunqput(gp);
		rt_unlock(&rt_sched.lock);
		break;
	case AFTER_EXIT:
		rt_ctx_retire(&gp->ctx);
		rt_gfput(gp);
		break;
	default:
		rt_throw("g switched to g0 with no action");
	}
	__atomic_store_n(&m->busy, 0, __ATOMIC_SEQ_CST);
}

static void schedule(struct m *m)
{
	for (;;) {
		if (__atomic_load_n(&rt_stw, __ATOMIC_SEQ_CST))
			rt_stw_wait(m);
		if (m->id >= rt_procs()) {
			/* No P: hand our queue to the others and wait.  The move
			 * is done under rt_sched.lock so that checkdead never runs
			 * while a G is in neither queue. */
			struct g *gp;
			rt_lock(&rt_sched.lock);
			while ((gp = rt_runqget(m->p)))
				rt_globrunqput(gp);
			__atomic_or_fetch(&rt_sched.nop_mask, 1ull << m->id, __ATOMIC_SEQ_CST);
			int lost = m->id >= rt_procs();  /* still without a P? */
			if (lost)
				checkdead();  /* we may be the last M to go quiet */
			rt_unlock(&rt_sched.lock);
			rt_wakep();
			if (lost)
				plat_m_park(0);
			rt_lock(&rt_sched.lock);
			__atomic_and_fetch(&rt_sched.nop_mask, ~(1ull << m->id), __ATOMIC_SEQ_CST);
			rt_unlock(&rt_sched.lock);
			continue;
		}
		struct p *pp = m->p;
		struct g *gp = NULL;
		/* expired timers first: a sleeper must not wait for the local
		 * queue to drain (Go's checkTimers at the top of schedule) */
		uint64_t when = __atomic_load_n(&pp->timer0_when, __ATOMIC_ACQUIRE);
		if (when && when <= plat_nanotime()) {
			unsigned old = plat_ledger_switch(rt_class_timer);
			rt_timers_run(pp, plat_nanotime());
			plat_ledger_switch(old);
		}
		if (__atomic_load_n(&rt_netpoll_on, __ATOMIC_ACQUIRE))
			rt_netpoll_sched();  /* frames may ready goroutines here */
		if (m->schedtick % 61 == 0 && __atomic_load_n(&rt_sched.runq_size, __ATOMIC_SEQ_CST)) {
			rt_lock(&rt_sched.lock);
			gp = rt_globrunqget(pp, 1);
			rt_unlock(&rt_sched.lock);
		}
		if (!gp)
			gp = rt_runqget(pp);
		if (!gp)
			gp = findrunnable(m, pp);
		if (gp)
			execute(m, gp);
	}
}

static void mstart(unsigned id)
{
	struct m *m = &rt_ms[id];
	m->g0.status = G_RUNNING;
	plat_ledger_rounds(&m->schedtick);
	plat_ledger_switch(rt_class_sched);
	schedule(m);
}

/* ------------------------------------------------------------ main */

struct main_args {
	int (*fn)(int, char **);
	int argc;
	char **argv;
};
static struct main_args main_args;

static void main_goroutine(void *arg)
{
	struct main_args *a = arg;
	int status = a->fn(a->argc, a->argv);
	plat_exit(status);  /* Go: the program ends when main returns */
}

_Noreturn void rt_main(int (*mainfn)(int, char **), int argc, char **argv, unsigned n)
{
	unsigned max = plat_max_ms();
	if (max > RT_MAX_M)
		max = RT_MAX_M;
	if (n == 0 || n > max)
		n = max;
	nms = n;
	__atomic_store_n(&rt_gomaxprocs_v, n, __ATOMIC_SEQ_CST);
	rt_class_sched = (unsigned)plat_ledger_class("rt.sched");
	rt_class_timer = (unsigned)plat_ledger_class("rt.timer");
	quantum_cycles = ns_to_cycles(quantum_ns);  /* the clock's rate is known now */
	for (unsigned i = 0; i < n; i++) {
		rt_ms[i].id = i;
		rt_ms[i].p = &ps[i];
		rt_ms[i].fastrand = 0x9e3779b97f4a7c15ull * (i + 1);
		ps[i].id = i;
		ps[i].m = &rt_ms[i];
	}
	main_args.fn = mainfn;
	main_args.argc = argc;
	main_args.argv = argv;
	struct g *gp = rt_newproc(main_goroutine, &main_args);
	gp->stack_size = RT_MAIN_STACK_SIZE;
	rt_runqput(&ps[0], gp, 0);
	plat_preempt_init(quantum_ns);
	for (unsigned i = 1; i < n; i++)
		plat_start_m(i, mstart);
	mstart(0);
	rt_throw("scheduler returned");
}

/*
 * netpoll.c - the network poller in the scheduler: received frames are
 * taken from the device's ring by whichever M is at a scheduling point
 * or looking for work, and handed to the stack (rt/net/stack.c), which
 * readies the goroutines parked on sockets.  Go's netpoll.go, with the
 * device's ring in the place of epoll.
 *
 * Purpose: three modes (boot option netpoll=, rt/platform.h
 * plat_net_config):
 *   hybrid (default)  polled at scheduling points (at most every
 *                     NP_INTERVAL_NS) and whenever an M looks for work;
 *                     the receive interrupt is turned off while polls
 *                     keep finding frames and on again when one finds
 *                     none or an M is about to halt (NAPI's scheme), so
 *                     a busy machine takes no interrupt per frame and an
 *                     idle one is woken by the first frame;
 *   poll              the interrupt stays off; polled as hybrid, and an
 *                     idle M halts at most NP_IDLE_NS before it polls
 *                     again (latency for idle power);
 *   irq               the interrupt stays on; the ring is read only after
 *                     an interrupt said frames came (np_pending), when
 *                     the poller starts (a frame that came before the
 *                     interrupt was armed interrupted no one), and again
 *                     after a poll that emptied it re-armed the
 *                     interrupt (a device that interrupts only past the
 *                     point last read, virtio's EVENT_IDX, may have
 *                     looked before that point was published).
 * A goroutine that computes without a scheduling point delays polling
 * on its M until its quantum ends (the tick preempts it, 10 ms), as
 * Go's sysmon polls every 10 ms; the other Ms poll meanwhile.
 *
 * Data structures: np_busy, a try-lock: one M polls at a time (the others
 * go on with their work); np_pending, set by rt_netpoll_irq (the device's
 * interrupt, or a poll that stopped at its budget); np_last, when the
 * last poll began; counters.
 *
 * Invariants: np_irq_on mirrors what was last asked of the device and is
 * written only with np_busy held; an M halts only after it (in hybrid
 * and irq modes) turned the interrupt on and found np_pending clear and
 * the ring empty, and rt_netpoll_irq sets np_pending before it reads the
 * idle mask (Dekker's pattern with the idle M's idle-mask store and
 * re-check, as rt_wakep), so no frame is left waiting on an idle machine.
 *
 * Ledger: the poll loop is rt.netpoll; the stack's work per frame
 * (net_input) rt.net; the driver's calls kern.driver (pushed by the
 * driver), the interrupt kern.driver too.
 *
 * Context: rt_netpoll_* from g0 (the scheduler), except rt_netpoll_irq
 * (any context: interrupt handlers, threads that are not Ms).
 */
#include "rt/net/stack.h"
#include "rt/sched_impl.h"

#define NP_INTERVAL_NS 50000ull     /* scheduling-point polls at most this often */
#define NP_IDLE_NS 1000000ull       /* poll mode: longest halt of an idle M */
#define NP_BUDGET 64                /* frames per poll before others get a turn */

volatile int rt_netpoll_on;
volatile int rt_netpoll_waiters;
static unsigned np_mode;
static volatile uint32_t np_pending;
static uint64_t np_last;
static volatile int np_busy;
static int np_irq_on;
static uint64_t st_polls, st_frames, st_empty, st_budget, st_irqs, st_wakes, st_arm,
	st_disarm, st_start_pending;
#define COUNT(c, n) __atomic_add_fetch(&(c), (n), __ATOMIC_RELAXED)

void rt_netpoll_start(unsigned mode)
{
	np_mode = mode;
	if (mode != RT_NETPOLL_POLL) {
		plat_net_rx_irq(0, 1);
		__atomic_store_n(&np_irq_on, 1, __ATOMIC_RELAXED);
		COUNT(st_arm, 1);
	}
	/* A frame that came before the interrupt was armed (a peer's ARP
	 * request as the machine boots) interrupted no one, and a device
	 * that interrupts again only once its ring was read (virtio's
	 * EVENT_IDX) never will: look at the ring once. */
	if (plat_net_rx_pending(0)) {
		COUNT(st_start_pending, 1);
		__atomic_store_n(&np_pending, 1, __ATOMIC_SEQ_CST);
	}
	__atomic_store_n(&rt_netpoll_on, 1, __ATOMIC_SEQ_CST);
}

void rt_netpoll_irq(void)
{
	COUNT(st_irqs, 1);
	__atomic_store_n(&np_pending, 1, __ATOMIC_SEQ_CST);
	uint64_t mask = __atomic_load_n(&rt_sched.idle_mask, __ATOMIC_SEQ_CST);
	if (!mask)
		return;  /* every M is busy: the next scheduling point polls */
	unsigned me = plat_m_id();
	unsigned id = (mask & (1ull << me)) ? me : (unsigned)__builtin_ctzll(mask);
	COUNT(st_wakes, 1);
	plat_m_wake(id);
}

static void set_irq(int on)
{
	if (__atomic_load_n(&np_irq_on, __ATOMIC_RELAXED) == on)
		return;
	plat_net_rx_irq(0, on);
	__atomic_store_n(&np_irq_on, on, __ATOMIC_RELAXED);
	if (on)
		COUNT(st_arm, 1);
	else
		COUNT(st_disarm, 1);
}

/* After a poll that emptied the ring: arm the interrupt and look again.
 * A frame that came as we armed is then either seen here or interrupts.
 * In irq mode the interrupt is armed again though it is on: a device that
 * interrupts only when its ring passes the point the driver last read
 * (EVENT_IDX) may have checked that point before the last read's was
 * visible, and arming publishes it with a fence (rt/platform.h).  Hybrid
 * mode arms only when it was off: with it on, nothing was read. */
static void arm_and_look(void)
{
	if (np_mode == RT_NETPOLL_IRQ)
		plat_net_rx_irq(0, 1);
	else
		set_irq(1);
	if (plat_net_rx_pending(0))
		__atomic_store_n(&np_pending, 1, __ATOMIC_SEQ_CST);
}

/* Take up to NP_BUDGET frames through the stack.  g0. */
static unsigned poll_once(void)
{
	if (__atomic_exchange_n(&np_busy, 1, __ATOMIC_ACQUIRE))
		return 0;
	unsigned old = plat_ledger_switch(rt_class_netpoll);
	__atomic_store_n(&np_pending, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&np_last, plat_nanotime(), __ATOMIC_RELAXED);
	struct plat_net_frame f;
	unsigned n = 0;
	/* Counted before the stack sees them: a frame can ready a goroutine
	 * on another CPU, which may read the statistics while this loop still
	 * runs (net_ping_static_poll.a64 once read no poll at all). */
	COUNT(st_polls, 1);
	while (n < NP_BUDGET && plat_net_recv(0, &f)) {
		COUNT(st_frames, 1);
		net_input(f.data, f.len, f.csum_ok ? NET_RX_L4_CSUM_OK : 0);
		plat_net_recv_done(0, &f);
		n++;
	}
	if (n == 0)
		COUNT(st_empty, 1);
	if (n == NP_BUDGET) {
		COUNT(st_budget, 1);
		__atomic_store_n(&np_pending, 1, __ATOMIC_SEQ_CST);  /* more may wait */
	}
	if (np_mode == RT_NETPOLL_HYBRID && n > 0)
		set_irq(0);  /* traffic: poll, without interrupts */
	else if (np_mode == RT_NETPOLL_HYBRID || (np_mode == RT_NETPOLL_IRQ && n < NP_BUDGET))
		arm_and_look();
	plat_ledger_switch(old);
	__atomic_store_n(&np_busy, 0, __ATOMIC_RELEASE);
	return n;
}

unsigned rt_netpoll_sched(void)
{
	uint64_t now = plat_nanotime();
	if (__atomic_load_n(&np_pending, __ATOMIC_RELAXED) ||
	    (np_mode != RT_NETPOLL_IRQ &&
	     now - __atomic_load_n(&np_last, __ATOMIC_RELAXED) >= NP_INTERVAL_NS))
		return poll_once();
	return 0;
}

unsigned rt_netpoll_find(void)
{
	if (np_mode == RT_NETPOLL_IRQ && !__atomic_load_n(&np_pending, __ATOMIC_RELAXED))
		return 0;
	return poll_once();
}

void rt_netpoll_before_idle(void)
{
	if (np_mode == RT_NETPOLL_POLL || __atomic_load_n(&np_irq_on, __ATOMIC_RELAXED))
		return;  /* a stale 0 only costs a look under np_busy */
	if (__atomic_exchange_n(&np_busy, 1, __ATOMIC_ACQUIRE))
		return;  /* an M is polling: it is not idle, and re-arms when done */
	set_irq(1);
	__atomic_store_n(&np_busy, 0, __ATOMIC_RELEASE);
}

int rt_netpoll_work(void)
{
	if (__atomic_load_n(&np_pending, __ATOMIC_SEQ_CST))
		return 1;
	return np_mode != RT_NETPOLL_IRQ && plat_net_rx_pending(0) != 0;
}

uint64_t rt_netpoll_idle_deadline(uint64_t deadline)
{
	if (np_mode != RT_NETPOLL_POLL)
		return deadline;
	uint64_t d = plat_nanotime() + NP_IDLE_NS;
	return !deadline || d < deadline ? d : deadline;
}

unsigned rt_netpoll_stats(const char **names, uint64_t *v, unsigned max)
{
	static const char *const n[] = {
		"netpoll.polls", "netpoll.frames", "netpoll.empty", "netpoll.budget_full",
		"netpoll.irqs", "netpoll.irq_wakes", "netpoll.irq_on", "netpoll.irq_off",
		"netpoll.start_pending",
	};
	uint64_t *c[] = { &st_polls, &st_frames, &st_empty, &st_budget, &st_irqs, &st_wakes,
	                  &st_arm, &st_disarm, &st_start_pending };
	unsigned k = 0;
	for (; k < sizeof(n) / sizeof(n[0]) && k < max; k++) {
		names[k] = n[k];
		v[k] = __atomic_load_n(c[k], __ATOMIC_RELAXED);
	}
	return k;
}

/*
 * rt_port.h - what the runtime provides to a platform: the calls a
 * platform's implementation (kernel/glue/rt_platform.c, the hosted platform)
 * makes back into rt/, the other direction of rt/platform.h.  A platform
 * includes this header, never rt/rt_impl.h: it sees no G, M or P.
 */
#ifndef TALLY_RT_PORT_H
#define TALLY_RT_PORT_H

#include <stdint.h>

/* Called periodically on every M by the platform's tick (bare metal: from
 * the interrupt path) with the interrupted pc.  Returns 1 when the
 * interrupted G should be preempted now (the platform then arranges
 * rt_async_preempt_body to run on the G's own stack with its full
 * register state saved).  Never for a pc in section rt_nopreempt (the
 * allocator's fast path; a platform puts plat_m_id there too). */
int rt_preempt_check(uintptr_t pc);
/* 1 while a running G should be preempted at its CPU's next interrupt of
 * any kind, not only the tick: a collector is stopping the world (its
 * wake-up IPI then preempts at once, tick or no tick).  The platform then
 * calls rt_preempt_check as from the tick.  Any context. */
int rt_preempt_urgent(void);
/* Runs on the preempted G's own stack: gives up the M and resumes later. */
void rt_async_preempt_body(void);
/* The lowest usable address of the running goroutine's stack, or 0 when
 * the caller is not a goroutine (g0) or its stack is not allocated. */
uintptr_t rt_curg_stack_lo(void);
/* A network device has received frames while its receive interrupt was
 * on (rt/netpoll.c): marks the poller pending and wakes an idle M (on the
 * calling CPU itself when it is the idle one: no IPI).  Any context,
 * interrupt handlers and threads that are not Ms included: atomics and
 * plat_m_wake only. */
void rt_netpoll_irq(void);
/* The netpoll= modes (plat_net_config). */
enum { RT_NETPOLL_HYBRID = 0, RT_NETPOLL_POLL = 1, RT_NETPOLL_IRQ = 2 };

#endif

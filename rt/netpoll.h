/*
 * netpoll.h - the network poller's calls (rt/netpoll.c) for the
 * scheduler (rt/sched.c) and the stack (rt/net/stack.c).
 *
 * Context: g0 (the scheduler's hooks, only while rt_netpoll_on), except
 * rt_netpoll_start (the goroutine that starts the stack) and
 * rt_netpoll_irq (rt/rt_port.h: any context).
 */
#ifndef TALLY_RT_NETPOLL_H
#define TALLY_RT_NETPOLL_H

#include <stdint.h>

/* 1 once the stack started (the scheduler's hooks run only then). */
extern volatile int rt_netpoll_on;
/* Goroutines parked on the network (sockets, pings): while > 0 an idle
 * program is waiting for frames, not deadlocked. */
extern volatile int rt_netpoll_waiters;
/* Start polling in mode RT_NETPOLL_* (rt/rt_port.h). */
void rt_netpoll_start(unsigned mode);
/* At a scheduling point: poll when due.  Returns the frames taken. */
unsigned rt_netpoll_sched(void);
/* An M looking for work: poll (irq mode: only if an interrupt said so). */
unsigned rt_netpoll_find(void);
/* An M about to halt: hybrid mode turns the receive interrupt back on. */
void rt_netpoll_before_idle(void);
/* The idle re-check: 1 when frames wait (an interrupt said so, or the
 * ring has some). */
int rt_netpoll_work(void);
/* The halt's deadline: poll mode caps it at 1 ms from now. */
uint64_t rt_netpoll_idle_deadline(uint64_t deadline);
/* The poller's counters by name; returns how many (at most max). */
unsigned rt_netpoll_stats(const char **names, uint64_t *v, unsigned max);

#endif

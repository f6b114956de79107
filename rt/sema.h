/*
 * sema.h - runtime semaphores and notify lists (rt/sema.c), the blocking
 * primitives under rt/sync.c (Go's runtime/sema.go).
 *
 * A runtime semaphore is any uint32_t in memory: its value counts
 * available units, and Gs waiting for a unit are kept in a table keyed
 * by the word's address, so the word itself needs no room for a queue.
 */
#ifndef TALLY_RT_SEMA_H
#define TALLY_RT_SEMA_H

#include <stdint.h>

/* Wait until *addr > 0, then decrement it (Go's semacquire).  lifo puts
 * this G at the head of the address's queue (a waiter that has already
 * waited once: Go's sync.Mutex starvation handling).  Goroutine context. */
void rt_semacquire(volatile uint32_t *addr);
void rt_semacquire_lifo(volatile uint32_t *addr, int lifo);
/* Increment *addr and wake one waiter if any (Go's semrelease).  handoff:
 * give the unit straight to the woken G and yield to it (sync.Mutex in
 * starvation mode).  Any G; never parks. */
void rt_semrelease(volatile uint32_t *addr, int handoff);

/* Notify lists (Go's notifyList, for sync.Cond): tickets are taken with
 * rt_notify_add before the caller releases its lock, then waited for;
 * notify_one wakes the oldest ticket, notify_all every ticket so far.
 * *wait and *notify are the ticket counters, *head the waiter list. */
uint32_t rt_notify_add(volatile uint32_t *wait);
void rt_notify_wait(volatile uint32_t *wait, volatile uint32_t *notify, void **head, uint32_t t);
void rt_notify_one(volatile uint32_t *wait, volatile uint32_t *notify, void **head);
void rt_notify_all(volatile uint32_t *wait, volatile uint32_t *notify, void **head);

#endif

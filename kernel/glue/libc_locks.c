/*
 * libc_locks.c - newlib's retargetable locks on bare metal.
 *
 * Purpose: newlib is built with --enable-newlib-retargetable-locking, so
 * malloc, stdio, atexit, environment and time zone code call these
 * functions around their shared state; with goroutines on several CPUs
 * they must really exclude.  A lock is a spinlock with an owner (the CPU)
 * and a recursion count.  While a CPU holds any libc lock its goroutine is
 * not preempted (cpu->preempt_off), so a preempted holder cannot make
 * another goroutine on the same CPU spin forever, and the holder never
 * migrates (newlib never parks a goroutine while holding one).
 *
 * Data structures: struct __lock (the type newlib leaves to us); the
 * static locks newlib names; a pool for locks made at run time (FILEs).
 * Invariants: owner == CPU index + 1 exactly while count > 0 (but for the
 * instants between the exchange and the owner store); a CPU's
 * preempt_off counts at least one pin per level of every libc lock it
 * holds (cpu_pin, kernel/cpu/cpu.h).
 * On the exit path, once this CPU stopped the others (smp_alone): a lock
 * held by another CPU is taken over (owner = this CPU, count = 1) instead
 * of waited for, since a stopped CPU never releases it.  The exit path
 * flushes stdio and a runtime fatal error runs newlib's exit(); both would
 * otherwise hang on a lock a stopped CPU held.  Taking over, not skipping:
 * newlib's code around a lock goes on either way (acquire cannot fail),
 * and with the owner recorded the release balances.  What the stopped
 * holder was changing may be half done (a FILE being flushed loses its
 * unflushed tail; newlib resets the buffer before it writes); the machine
 * is about to exit and the report is already out.
 * Context: thread context; interrupts stay enabled while waiting.
 */
#include <sys/lock.h>
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/panic.h"
#include "kernel/cpu/smp.h"
#include "rt/platform.h"  /* PLAT_GC_NOROOT */

struct __lock {
	volatile int locked;
	volatile unsigned owner;  /* CPU index + 1 */
	unsigned count;
};

struct __lock __lock___sinit_recursive_mutex, __lock___sfp_recursive_mutex,
	__lock___atexit_recursive_mutex, __lock___at_quick_exit_mutex,
	__lock___malloc_recursive_mutex, __lock___env_recursive_mutex, __lock___tz_mutex,
	__lock___dd_hash_mutex, __lock___arc4random_mutex;

#define POOL 256
static PLAT_GC_NOROOT struct __lock pool[POOL];  /* owners and counts: no roots */
static volatile unsigned pool_next;

static struct __lock *make(void)
{
	unsigned i = __atomic_fetch_add(&pool_next, 1, __ATOMIC_RELAXED);
	if (i >= POOL)
		panic("libc locks: more than %d locks created", POOL);
	return &pool[i];
}

void __retarget_lock_init(_LOCK_T *l) { *l = make(); }
void __retarget_lock_init_recursive(_LOCK_T *l) { *l = make(); }
void __retarget_lock_close(_LOCK_T l) { (void)l; }
void __retarget_lock_close_recursive(_LOCK_T l) { (void)l; }

/* Pinned first, then the owner test: a CPU index read before pinning can
 * be stale by the time it is compared (the goroutine moved), and would
 * let it "re-enter" a lock that a goroutine on its old CPU holds.  Every
 * level of a recursive hold keeps its own pin, so the count of pins and
 * of holds stay equal and release can unpin unconditionally. */
static int try(struct __lock *l)
{
	struct cpu *c = cpu_pin();
	unsigned me = c->arch.index + 1;
	if (l->owner == me) {
		l->count++;
		return 1;
	}
	if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0 || smp_alone()) {
		/* free, or held by a CPU stopped for good: ours */
		l->owner = me;
		l->count = 1;
		return 1;
	}
	cpu_unpin(c);
	return 0;
}

static void acquire(struct __lock *l)
{
	while (!try(l))
		arch_pause();
}

static void release(struct __lock *l)
{
	struct cpu *c = this_cpu();  /* pinned by the hold: cannot change */
	if (l->owner != c->arch.index + 1 || l->count == 0)
		panic("libc lock released by a CPU that does not hold it");
	if (--l->count == 0) {
		l->owner = 0;
		__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	}
	cpu_unpin(c);
}

void __retarget_lock_acquire(_LOCK_T l) { acquire(l); }
void __retarget_lock_acquire_recursive(_LOCK_T l) { acquire(l); }
int __retarget_lock_try_acquire(_LOCK_T l) { return try(l); }
int __retarget_lock_try_acquire_recursive(_LOCK_T l) { return try(l); }
void __retarget_lock_release(_LOCK_T l) { release(l); }
void __retarget_lock_release_recursive(_LOCK_T l) { release(l); }

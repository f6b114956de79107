/*
 * spinlock.h - the simplest mutual exclusion: a test-and-test-and-set lock.
 *
 * Purpose: guard short critical sections shared between cores (the page
 * allocator's lists, for one) before anything smarter exists.
 *
 * Data structures: struct spinlock { volatile int locked; }: 0 free, 1 held.
 * SPINLOCK_INIT or spin_init() gives a free lock; a zeroed one is free.
 *
 * Invariants: acquire ordering on a successful lock, release ordering on
 * unlock, so everything written inside the critical section is visible to
 * the next holder.  Not recursive; the holder must unlock exactly once.
 *
 * Context: ISA-neutral (GCC/Clang __atomic builtins only; the wait loop is
 * a plain load with a compiler barrier, no pause/yield hint).  It does not
 * disable interrupts: a lock also taken from an interrupt handler must be
 * taken with interrupts disabled by the caller.  Works hosted too, so the
 * same code runs in host tests.
 */
#ifndef TALLY_SPINLOCK_H
#define TALLY_SPINLOCK_H

struct spinlock {
	volatile int locked;
};

#define SPINLOCK_INIT { 0 }

static inline void spin_init(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELAXED);
}

/* Returns 1 if the lock was taken, 0 if it is held by someone. */
static inline int spin_trylock(struct spinlock *l)
{
	return __atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0;
}

static inline void spin_lock(struct spinlock *l)
{
	while (!spin_trylock(l)) {
		/* Wait with plain loads so the cache line stays shared. */
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0)
			__asm__ __volatile__("" ::: "memory");
	}
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* Non-zero if held (for self-checks such as "lock must be held"). */
static inline int spin_held(const struct spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0;
}

#endif

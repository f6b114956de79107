/*
 * rt_wakeup.c - an idle CPU picks up work that a busy CPU spawns.
 *
 * The main goroutine spawns a child and then spins without yielding until
 * the child has run; the boot uses a quantum far longer than the wait
 * allowed, so only another CPU can run the child: one that was halted in
 * the scheduler's idle path and must be woken by the spawn (rt_wakep).  A
 * lost wake-up (the spawner reading "no idle M" before its own queue
 * store is visible, while the idle M read an empty queue before counting
 * itself idle) leaves the child queued behind a CPU that never yields.
 * Repeats argv[1] times (default 200), each with a fresh child, after
 * letting the other CPUs go idle again; fails if one wait exceeds argv[2]
 * ms (default 500).  Needs 2 CPUs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <tally.h>

static volatile int64_t ran;

static void child(void *arg)
{
	(void)arg;
	tally_atomic_add(&ran, 1);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 200;
	uint64_t bound = (uint64_t)(argc > 2 ? atoi(argv[2]) : 500) * 1000000ull;
	if (tally_ncpu() < 2) {
		printf("wakeup: needs 2 CPUs\n");
		return 1;
	}
	uint64_t worst = 0, sum = 0;
	for (int r = 0; r < rounds; r++) {
		tally_sleep(200000);  /* the other CPUs run out of work and park */
		int64_t before = tally_atomic_load(&ran);
		uint64_t t0 = tally_nanotime();
		tally_go(child, NULL);
		uint64_t el;
		while (tally_atomic_load(&ran) == before) {  /* no yield, no call into the runtime */
			el = tally_nanotime() - t0;
			if (el > bound) {
				printf("wakeup: round %d: the spawned goroutine did not run within %llu ms "
				       "while this CPU was busy: an idle CPU missed its wake-up\n",
				       r, (unsigned long long)(bound / 1000000));
				return 1;
			}
		}
		el = tally_nanotime() - t0;
		sum += el;
		if (el > worst)
			worst = el;
	}
	printf("wakeup: %d rounds on %d CPUs, picked up in %llu us on average, %llu us at worst\n",
	       rounds, tally_ncpu(), (unsigned long long)(sum / (uint64_t)rounds / 1000),
	       (unsigned long long)(worst / 1000));
	return 0;
}

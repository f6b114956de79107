/*
 * rt_spin.c - preemption: one call-free spinning goroutine per CPU, plus
 * a sleeper that sleeps 1 ms 50 times and measures how late it wakes.
 * Without preemption the sleeper would never run again (every CPU is held
 * by a loop with no calls); with it, lateness is bounded by the quantum.
 * Prints the lateness and fails above a bound: argv[1] is the quantum in
 * us (default 10000, the kernel's default), argv[2] the bound in us
 * (default 2000000: 2 s, a sanity bound; 252 ms was seen on a host with a
 * core taken by another program).  Under QEMU's -icount, where time is exact, the system
 * tests pass a bound of 3 quanta + 1 ms; without it the vCPU threads are at
 * the mercy of the host scheduler and only a sanity bound is given (with no
 * preemption at all the sleeper would never run again: the test would time
 * out).
 */
#include <stdio.h>
#include <stdlib.h>
#include <tally.h>

static volatile int stop;
static volatile uint64_t spins[64];

static void spinner(void *arg)
{
	int i = (int)(intptr_t)arg;
	while (!stop)
		spins[i & 63]++;  /* no calls: only the tick can take the CPU */
}

int main(int argc, char **argv)
{
	uint64_t quantum_ns = (argc > 1 ? strtoull(argv[1], NULL, 10) : 10000) * 1000ull;
	uint64_t bound = (argc > 2 ? strtoull(argv[2], NULL, 10) : 2000000) * 1000ull;
	int n = tally_ncpu();
	for (int i = 0; i < n; i++)
		tally_go(spinner, (void *)(intptr_t)i);
	tally_yield();  /* let the spinners take every CPU */
	uint64_t max_late = 0, sum_late = 0;
	const int rounds = 50;
	for (int r = 0; r < rounds; r++) {
		uint64_t t0 = tally_nanotime();
		tally_sleep(1000000);
		uint64_t late = tally_nanotime() - t0 - 1000000;
		if ((int64_t)late < 0) {
			printf("spin: woke %lld ns early\n", -(long long)late);
			return 1;
		}
		sum_late += late;
		if (late > max_late)
			max_late = late;
	}
	stop = 1;
	printf("spin: %d spinners on %d CPUs, quantum %llu us, sleeper lateness mean %llu us max %llu us (bound %llu us)\n",
	       n, n, (unsigned long long)(quantum_ns / 1000), (unsigned long long)(sum_late / rounds / 1000),
	       (unsigned long long)(max_late / 1000), (unsigned long long)(bound / 1000));
	return max_late <= bound ? 0 : 1;
}

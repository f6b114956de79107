/*
 * rt_spawn.c - 100 000 goroutines spawned and joined with a wait group;
 * each adds its number to a shared atomic sum, which must come out exact.
 */
#include <stdint.h>
#include <stdio.h>
#include <tally.h>

#define N 100000

static struct tally_waitgroup wg;
static volatile int64_t sum;
static volatile int64_t cpus_seen[64];

static void work(void *arg)
{
	tally_atomic_add(&sum, (int64_t)(intptr_t)arg);
	tally_atomic_add(&cpus_seen[tally_cpu() & 63], 1);
	tally_waitgroup_done(&wg);
}

int main(void)
{
	uint64_t t0 = tally_nanotime();
	tally_waitgroup_add(&wg, N);
	for (intptr_t i = 1; i <= N; i++)
		tally_go(work, (void *)i);
	tally_waitgroup_wait(&wg);
	int64_t want = (int64_t)N * (N + 1) / 2;
	int ncpu = 0;
	for (int i = 0; i < 64; i++)
		ncpu += cpus_seen[i] != 0;
	printf("spawn: %d goroutines joined, sum %lld (want %lld), ran on %d of %d CPUs, %llu ms\n", N,
	       (long long)sum, (long long)want, ncpu, tally_ncpu(),
	       (unsigned long long)((tally_nanotime() - t0) / 1000000));
	return sum == want ? 0 : 1;
}

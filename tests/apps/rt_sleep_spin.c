/*
 * rt_sleep_spin.c - a sleeper wakes on time although the CPU whose timer
 * heap holds its timer runs a goroutine that never calls anything.
 *
 * Boot with tick=0 (or a quantum longer than the waits allowed): nothing
 * then takes the spinner's CPU, so only another, idle CPU can run the
 * sleeper's timer (the scheduler's expired_timers; before it, the sleeper
 * waited forever and so did a collection sleeping in its duty naps).
 *
 * One attempt: a goroutine S spawns the sleeper T (onto S's own P), and
 * yields; T notes its CPU and sleeps SLEEP_MS; S, run again, notes its CPU
 * and spins on a flag.  Main sleeps meanwhile (its CPU idles) and checks
 * that T woke within argv[2] ms (default 1000).  Where S and T ran is up
 * to the scheduler: only the attempts where they shared a CPU test the
 * point, so it repeats until argv[1] of them (default 5) did, and fails
 * if fewer did in 50 attempts.  Needs 2 CPUs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <tally.h>

#define SLEEP_MS 2

static volatile int stop, s_cpu, t_cpu, t_woke, s_exited;
static volatile uint64_t spins;

static void sleeper(void *arg)
{
	(void)arg;
	t_cpu = tally_cpu();
	tally_sleep(SLEEP_MS * 1000000ull);
	t_woke = 1;
}

static void spinner(void *arg)
{
	(void)arg;
	tally_go(sleeper, NULL);
	tally_yield();  /* the sleeper runs here next and sleeps */
	s_cpu = tally_cpu();
	while (!stop)
		spins++;  /* no calls: nothing but an interrupt takes the CPU */
	s_exited++;
}

int main(int argc, char **argv)
{
	int want = argc > 1 ? atoi(argv[1]) : 5;
	uint64_t bound = (uint64_t)(argc > 2 ? atoi(argv[2]) : 1000) * 1000000ull;
	if (tally_ncpu() < 2) {
		printf("rt_sleep_spin: needs 2 CPUs\n");
		return 1;
	}
	int shared = 0, attempts = 0;
	uint64_t worst = 0;
	while (shared < want && attempts < 50) {
		attempts++;
		stop = 0, t_woke = 0, s_cpu = -1, t_cpu = -1, spins = 0;
		tally_go(spinner, NULL);
		uint64_t t0 = tally_nanotime();
		while (s_cpu < 0 || spins == 0) {  /* until S spins */
			if (tally_nanotime() - t0 > bound) {
				printf("rt_sleep_spin: attempt %d: the spinner never spun\n", attempts);
				return 1;
			}
			tally_sleep(100000);
		}
		int same = s_cpu == t_cpu;
		while (!t_woke) {
			if (tally_nanotime() - t0 > bound) {
				printf("rt_sleep_spin: attempt %d: a %d ms sleeper on cpu %d did not "
				       "wake in %llu ms while cpu %d spun\n", attempts, SLEEP_MS,
				       t_cpu, (unsigned long long)(bound / 1000000), s_cpu);
				return 1;
			}
			tally_sleep(100000);
		}
		uint64_t took = tally_nanotime() - t0;
		stop = 1;
		if (same) {
			shared++;
			if (took > worst)
				worst = took;
		}
		/* the next attempt's spinner starts once this one has gone: two
		 * would take both CPUs, and nothing would run main's timer */
		t0 = tally_nanotime();
		while (s_exited < attempts) {
			if (tally_nanotime() - t0 > bound) {
				printf("rt_sleep_spin: attempt %d: the spinner did not stop\n", attempts);
				return 1;
			}
			tally_sleep(100000);
		}
	}
	if (shared < want) {
		printf("rt_sleep_spin: the sleeper shared the spinner's CPU in only %d "
		       "of %d attempts (wanted %d)\n", shared, attempts, want);
		return 1;
	}
	printf("rt_sleep_spin: %d of %d attempts had the sleeper's timer on the "
	       "spinning CPU; every sleeper woke, the latest after %llu us\n", shared,
	       attempts, (unsigned long long)(worst / 1000));
	return 0;
}

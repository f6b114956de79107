/*
 * gc_stw_spin.c - stopping the world for a collection while another CPU
 * runs a goroutine that never calls anything, with the tick off (tick=0):
 * only the collector's wake-up IPI can take that CPU (the IPI runs the
 * same preemption check as the tick, and a world being stopped preempts at
 * once).  Without it the collection waits forever and the case times out.
 * Prints how long tally_gc() took; checks the spinner ran before and after.
 */
#include <stdio.h>
#include <tally.h>

static volatile int stop;
static volatile uint64_t spins;

static void spinner(void *arg)
{
	(void)arg;
	while (!stop)
		spins++;  /* no calls: nothing but an interrupt takes the CPU */
}

int main(void)
{
	if (tally_ncpu() < 2) {
		printf("gc_stw_spin: needs 2 CPUs\n");
		return 1;
	}
	tally_go(spinner, NULL);
	uint64_t t0 = tally_nanotime();
	while (spins < 1000) {
		if (tally_nanotime() - t0 > 5000000000ull) {
			printf("gc_stw_spin: the spinner never ran\n");
			return 1;
		}
	}
	struct tally_gc_stats a, b;
	tally_gc_read_stats(&a);
	uint64_t t1 = tally_nanotime();
	tally_gc();
	uint64_t took = tally_nanotime() - t1;
	tally_gc_read_stats(&b);
	uint64_t s0 = spins;
	t0 = tally_nanotime();
	while (spins == s0) {
		if (tally_nanotime() - t0 > 5000000000ull) {
			printf("gc_stw_spin: the spinner did not run after the collection\n");
			return 1;
		}
	}
	stop = 1;
	printf("gc_stw_spin: %llu collection(s) with a call-free spinner on the other CPU, "
	       "tally_gc took %llu us\n", (unsigned long long)(b.cycles - a.cycles),
	       (unsigned long long)(took / 1000));
	return b.cycles > a.cycles ? 0 : 1;
}

/*
 * fatal_race.c - system test: fatal errors with several CPUs running.
 * argv[1] picks the race:
 *   together  one goroutine per CPU; all meet (pinned: so each on its own
 *             CPU) and all call panic at once.  Expected: exactly one
 *             crash report ("testhook: N CPUs panic at once"), whole,
 *             status 70: the first CPU stops the others, a later one halts
 *             quietly.
 *   printing  a goroutine prints numbered lines of dots without pause
 *             (printf + fflush: newlib's stdout lock, then the console);
 *             main, on another CPU, panics.  Expected: one whole report
 *             ("testhook: panic while cpu N prints"); every printer line
 *             is made of its own characters only (the last one may be cut
 *             where the stop caught it), no report line holds printer
 *             text; the exit path's stdio flush does not hang on the
 *             stdout lock the stopped printer held.
 * Never prints "survived".
 */
#include <stdio.h>
#include <string.h>
#include <tally.h>

int testhook_panic_together(int n);
int testhook_panic_unless_on(int cpu, const char *why);

static int ncpu;
static volatile int printer_cpu = -1;
static volatile int printed;

static void together(void *arg)
{
	(void)arg;
	while (testhook_panic_together(ncpu) < 0)
		tally_yield();  /* not all waiting at once: let the others run */
}

static void printer(void *arg)
{
	(void)arg;
	static const char dots[] = "............................................................";
	for (int i = 0;; i++) {
		printer_cpu = tally_cpu();
		printf("printer: %06d %s\n", i, dots);
		fflush(stdout);
		printed = i + 1;
	}
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "together";
	ncpu = tally_ncpu();
	printf("fatal_race: %s\n", what);
	fflush(stdout);
	if (strcmp(what, "together") == 0) {
		for (int i = 0; i < ncpu; i++)
			tally_go(together, NULL);
		for (;;)
			tally_sleep(1000000);
	} else if (strcmp(what, "printing") == 0) {
		char why[64];
		tally_go(printer, NULL);
		for (int tries = 0; tries < 1000; tries++) {
			tally_sleep(1000000);
			if (printed < 20)
				continue;
			snprintf(why, sizeof(why), "panic while cpu %d prints", printer_cpu);
			testhook_panic_unless_on(printer_cpu, why);  /* returns: same CPU */
		}
	}
	printf("fatal_race: survived\n");
	return 0;
}

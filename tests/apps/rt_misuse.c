/*
 * rt_misuse.c - runtime misuse ends the program with Go's message, the
 * goroutine's backtrace and status 2.  argv[1] picks the mistake:
 *   deadlock      main waits on a channel nobody sends to
 *   closeclosed   close of a closed channel
 *   sendclosed    send on a closed channel
 *   unlock        unlock of an unlocked mutex
 *   waitgroup     negative wait-group counter
 *   chanoom       a channel bigger than memory: out of memory, status 71
 *   twopanics     two goroutines on two CPUs send on a closed channel at
 *                 the same moment: one report, the first
 *   selectneg     tally_select with a negative number of cases
 *   goexit        main ends by tally_goexit and its one goroutine exits:
 *                 "no goroutines (main called tally_goexit) - deadlock!"
 *   nullmutex, nullonce, nulltimer, nullselect   a NULL where the call
 *                 needs an object: a panic naming the call, not a page
 *                 fault's crash (status 70)
 */
#include <stdio.h>
#include <string.h>
#include <tally.h>

static void helper_sleeps(void *arg)
{
	struct tally_chan *c = arg;
	int v;
	tally_chan_recv(c, &v);  /* blocks forever too */
}

static volatile int64_t arrived;

/* Both wait until the other runs too (on another CPU: neither yields),
 * then fail together. */
static void send_closed_together(void *arg)
{
	int v = 0;
	tally_atomic_add(&arrived, 1);
	while (tally_atomic_load(&arrived) < 2)
		;
	tally_chan_send(arg, &v);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	struct tally_chan *c = tally_chan_make(sizeof(int), 0);
	int v = 0;
	printf("misuse: %s\n", what);
	fflush(stdout);
	if (strcmp(what, "deadlock") == 0) {
		tally_go(helper_sleeps, tally_chan_make(sizeof(int), 0));
		tally_chan_recv(c, &v);
	} else if (strcmp(what, "closeclosed") == 0) {
		tally_chan_close(c);
		tally_chan_close(c);
	} else if (strcmp(what, "sendclosed") == 0) {
		tally_chan_close(c);
		tally_chan_send(c, &v);
	} else if (strcmp(what, "unlock") == 0) {
		static struct tally_mutex m;
		tally_mutex_unlock(&m);
	} else if (strcmp(what, "waitgroup") == 0) {
		static struct tally_waitgroup wg;
		tally_waitgroup_add(&wg, 1);
		tally_waitgroup_done(&wg);
		tally_waitgroup_done(&wg);
	} else if (strcmp(what, "chanoom") == 0) {
		tally_chan_make(1, (size_t)1 << 40);  /* 1 TiB of buffer */
	} else if (strcmp(what, "selectneg") == 0) {
		tally_select(NULL, -1, 1);
	} else if (strcmp(what, "goexit") == 0) {
		tally_go(helper_sleeps, c);  /* c is closed at once: it returns */
		tally_chan_close(c);
		tally_goexit();
	} else if (strcmp(what, "nullmutex") == 0) {
		tally_mutex_lock(NULL);
	} else if (strcmp(what, "nullonce") == 0) {
		static struct tally_once once;
		tally_once_do(&once, NULL, NULL);
	} else if (strcmp(what, "nulltimer") == 0) {
		tally_timer_stop(NULL);
	} else if (strcmp(what, "nullselect") == 0) {
		tally_select(NULL, 3, 0);
	} else if (strcmp(what, "twopanics") == 0) {
		tally_chan_close(c);
		for (int i = 0; i < 2; i++)
			tally_go(send_closed_together, c);
		for (;;)
			tally_yield();
	}
	printf("misuse: survived\n");
	return 0;
}

/*
 * rt_misuse.c - runtime misuse ends the program with Go's message, the
 * goroutine's backtrace and status 2.  argv[1] picks the mistake:
 *   deadlock      main waits on a channel nobody sends to
 *   closeclosed   close of a closed channel
 *   sendclosed    send on a closed channel
 *   unlock        unlock of an unlocked mutex
 *   waitgroup     negative wait-group counter
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
	}
	printf("misuse: survived\n");
	return 0;
}

/*
 * rt_pingpong.c - two goroutines bounce a counter over unbuffered
 * channels 10 000 times.  Each side records the CPU it ran on; the number
 * of hand-offs whose two ends ran on different CPUs is reported, and with
 * the argument "cross" (and more than one CPU) at least one is required.
 *
 * A hand-off readies the ponger into main's P's runnext, and main's M,
 * blocking on pong at once, usually runs it itself: whether another CPU
 * steals it in time is a race, which a host that leaves the other vCPUs
 * unscheduled for the whole run (a busy CI machine) can lose 10 000 times
 * in a row.  So with "cross" and none crossed, more rounds follow in which
 * main keeps its CPU after each send (a call-free wait, up to 1 ms, until
 * the ponger has the value): the ponger then waits in runnext while
 * main's M is busy, which an idle M's steal takes.  Up to 30 s of them;
 * none crossing by then is the failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tally.h>

#define ROUNDS 10000

static struct tally_chan *ping, *pong;
static volatile int ponger_cpu, got;

static void ponger(void *arg)
{
	(void)arg;
	int v;
	while (tally_chan_recv(ping, &v)) {
		got = 1;
		v++;
		ponger_cpu = tally_cpu();
		tally_chan_send(pong, &v);
	}
}

int main(int argc, char **argv)
{
	ping = tally_chan_make(sizeof(int), 0);
	pong = tally_chan_make(sizeof(int), 0);
	tally_go(ponger, NULL);
	int v = 0, crossed = 0;
	for (int i = 0; i < ROUNDS; i++) {
		tally_chan_send(ping, &v);
		tally_chan_recv(pong, &v);
		crossed += ponger_cpu != tally_cpu();
	}
	int cross = argc > 1 && strcmp(argv[1], "cross") == 0 && tally_ncpu() > 1, extra = 0, w = v;
	uint64_t end = tally_nanotime() + 30000000000ull;
	while (cross && !crossed && tally_nanotime() < end) {
		got = 0;
		tally_chan_send(ping, &w);
		uint64_t until = tally_nanotime() + 1000000;
		while (!got && tally_nanotime() < until)
			;  /* keep this CPU: the ponger is stealable meanwhile */
		tally_chan_recv(pong, &w);
		crossed += ponger_cpu != tally_cpu();
		extra++;
	}
	tally_chan_close(ping);
	printf("pingpong: %d round trips, value %d (want %d), %d crossed CPUs, %d CPUs\n", ROUNDS, v,
	       ROUNDS, crossed, tally_ncpu());
	if (extra)
		printf("pingpong: %d more round trips with main keeping its CPU\n", extra);
	if (v != ROUNDS || w != v + extra)
		return 1;
	if (cross && crossed == 0)
		return 1;
	return 0;
}

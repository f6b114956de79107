/*
 * rt_pingpong.c - two goroutines bounce a counter over unbuffered
 * channels 10 000 times.  Each side records the CPU it ran on; the number
 * of hand-offs whose two ends ran on different CPUs is reported, and with
 * the argument "cross" (and more than one CPU) at least one is required.
 */
#include <stdio.h>
#include <string.h>
#include <tally.h>

#define ROUNDS 10000

static struct tally_chan *ping, *pong;
static volatile int ponger_cpu;

static void ponger(void *arg)
{
	(void)arg;
	int v;
	while (tally_chan_recv(ping, &v)) {
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
	tally_chan_close(ping);
	printf("pingpong: %d round trips, value %d (want %d), %d crossed CPUs, %d CPUs\n", ROUNDS, v,
	       ROUNDS, crossed, tally_ncpu());
	if (v != ROUNDS)
		return 1;
	if (argc > 1 && strcmp(argv[1], "cross") == 0 && tally_ncpu() > 1 && crossed == 0)
		return 1;
	return 0;
}

/*
 * rt_select.c - select fairness: with two always-ready receive cases,
 * each must be chosen roughly half the time (Go picks uniformly at random
 * among ready cases); a default case must only run when nothing is ready;
 * a nil channel's case is never chosen.
 */
#include <stdio.h>
#include <tally.h>

#define ROUNDS 10000

int main(void)
{
	struct tally_chan *a = tally_chan_make(sizeof(int), 1);
	struct tally_chan *b = tally_chan_make(sizeof(int), 1);
	int one = 1, got, counts[2] = { 0, 0 };
	for (int i = 0; i < ROUNDS; i++) {
		tally_chan_trysend(a, &one);
		tally_chan_trysend(b, &one);
		struct tally_select_case cs[3] = {
			{ TALLY_RECV, a, &got, 0 },
			{ TALLY_RECV, b, &got, 0 },
			{ TALLY_RECV, NULL, &got, 0 },
		};
		int k = tally_select(cs, 3, 0);
		if (k < 0 || k > 1) {
			printf("select: chose case %d\n", k);
			return 1;
		}
		counts[k]++;
	}
	/* drain, then nothing is ready: default */
	while (tally_chan_tryrecv(a, &got, NULL))
		;
	while (tally_chan_tryrecv(b, &got, NULL))
		;
	struct tally_select_case cs[2] = { { TALLY_RECV, a, &got, 0 }, { TALLY_RECV, b, &got, 0 } };
	int d = tally_select(cs, 2, 1);
	printf("select: case 0 %d times, case 1 %d times of %d; empty select with default -> %d\n",
	       counts[0], counts[1], ROUNDS, d);
	int fair = counts[0] > ROUNDS * 45 / 100 && counts[1] > ROUNDS * 45 / 100;
	return fair && d == -1 ? 0 : 1;
}

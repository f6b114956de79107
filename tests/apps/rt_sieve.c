/*
 * rt_sieve.c - the concurrent prime sieve (Go's classic): a generator
 * goroutine and one filter goroutine per prime, chained by unbuffered
 * channels.  Checks the first 1000 primes against a plain sieve.
 */
#include <stdio.h>
#include <tally.h>

#define N 1000

static void generate(void *arg)
{
	struct tally_chan *ch = arg;
	for (int i = 2;; i++)
		tally_chan_send(ch, &i);
}

struct filter {
	struct tally_chan *in, *out;
	int prime;
};

static void filter(void *arg)
{
	struct filter *f = arg;
	int v;
	for (;;) {
		tally_chan_recv(f->in, &v);
		if (v % f->prime != 0)
			tally_chan_send(f->out, &v);
	}
}

static struct filter filters[N];

int main(void)
{
	static char composite[8000];
	int expect[N], n = 0;
	for (int i = 2; n < N; i++) {
		if (composite[i])
			continue;
		expect[n++] = i;
		for (int j = i * 2; j < 8000; j += i)
			composite[j] = 1;
	}
	struct tally_chan *ch = tally_chan_make(sizeof(int), 0);
	tally_go(generate, ch);
	for (int i = 0; i < N; i++) {
		int prime;
		tally_chan_recv(ch, &prime);
		if (prime != expect[i]) {
			printf("sieve: prime %d is %d, expected %d\n", i, prime, expect[i]);
			return 1;
		}
		filters[i].in = ch;
		filters[i].out = tally_chan_make(sizeof(int), 0);
		filters[i].prime = prime;
		tally_go(filter, &filters[i]);
		ch = filters[i].out;
	}
	printf("sieve: %d primes ok, the last is %d, on %d CPUs\n", N, expect[N - 1], tally_ncpu());
	return 0;
}

/*
 * test_rt_chan.c - host tests of channels (rt/chan.c) through rt/tally.h.
 *
 * What is proved, each on 1 and on 4 Ms:
 *   - unbuffered: a send completes only once a receiver has arrived
 *     (hand-off), values arrive in order, trysend/tryrecv without a peer
 *     fail;
 *   - buffered: FIFO order, capacity (cap sends succeed without a peer,
 *     the next would block), len/cap, a producer/consumer stream of 10000
 *     values through a small ring in order, and 4 producers x 4 consumers
 *     deliver every value exactly once;
 *   - close: receivers drain the buffer, then get zero values with ok = 0
 *     (blocking and try forms); receivers blocked at close wake with
 *     ok = 0; zero-sized elements and NULL destinations work;
 *   - fatal paths (status 2 and Go's message): send on a closed channel,
 *     a sender blocked when the channel is closed, close of a closed
 *     channel, close of NULL; receive from a NULL channel blocks forever
 *     (the deadlock report names "chan receive (nil chan)"), and a
 *     goroutine blocked sending on NULL does not stop main from ending.
 *
 * Each case runs the runtime in a forked child (tests/host/rt_test.h);
 * RT_CHECK asserts inside it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "rt/rt_impl.h"
#include "rt/include/tally.h"
#include "tests/host/rt_test.h"

#define NSTREAM 10000
#define NPROD 4
#define PER_PROD 2500

struct shared {
	volatile int64_t counter;
	volatile int64_t flag;
	volatile int64_t sum;
	volatile int64_t seen[NPROD * PER_PROD];
};

RT_TEST_SCAFFOLD
#define join rt_test_join

/* ---- unbuffered ---- */

static void unbuf_receiver(void *arg)
{
	struct tally_chan *c = arg;
	for (int64_t i = 0; i < 1000; i++) {
		tally_atomic_store(&S->flag, i + 1);  /* "receiver i is here" */
		int64_t v = -1;
		RT_CHECK(tally_chan_recv(c, &v) == 1);
		RT_CHECK(v == i);
	}
	tally_atomic_add(&S->counter, 1);
}

static void unbuffered_main(void *arg)
{
	(void)arg;
	struct tally_chan *c = tally_chan_make(sizeof(int64_t), 0);
	RT_CHECK(tally_chan_cap(c) == 0 && tally_chan_len(c) == 0);
	int64_t v = 7;
	RT_CHECK(tally_chan_trysend(c, &v) == 0);     /* nobody receives */
	int ok = 5;
	RT_CHECK(tally_chan_tryrecv(c, &v, &ok) == 0); /* nobody sends */
	RT_CHECK(ok == 0 && v == 7);
	tally_go(unbuf_receiver, c);
	for (int64_t i = 0; i < 1000; i++) {
		tally_chan_send(c, &i);
		/* the hand-off needs the receiver that asked for value i */
		RT_CHECK(tally_atomic_load(&S->flag) >= i + 1);
	}
	join(&S->counter, 1);
}

static void unbuffered_handoff(void **state)
{
	(void)state;
	run_1_and_4(unbuffered_main);
}

/* ---- buffered ---- */

static void buffered_fifo_main(void *arg)
{
	(void)arg;
	struct tally_chan *c = tally_chan_make(sizeof(int64_t), 8);
	RT_CHECK(tally_chan_cap(c) == 8);
	for (int64_t i = 0; i < 8; i++) {
		RT_CHECK(tally_chan_trysend(c, &i) == 1);
		RT_CHECK(tally_chan_len(c) == (size_t)i + 1);
	}
	int64_t x = 99;
	RT_CHECK(tally_chan_trysend(c, &x) == 0);      /* full */
	RT_CHECK(tally_chan_len(c) == 8);
	for (int64_t i = 0; i < 4; i++) {
		int64_t v;
		RT_CHECK(tally_chan_recv(c, &v) == 1 && v == i);
	}
	/* wrap around the ring */
	for (int64_t i = 8; i < 12; i++)
		tally_chan_send(c, &i);
	for (int64_t i = 4; i < 12; i++) {
		int64_t v;
		int ok = 0;
		RT_CHECK(tally_chan_tryrecv(c, &v, &ok) == 1 && ok == 1 && v == i);
	}
	RT_CHECK(tally_chan_len(c) == 0);
	int ok = 3;
	RT_CHECK(tally_chan_tryrecv(c, &x, &ok) == 0 && ok == 0);
	RT_CHECK(tally_chan_len(NULL) == 0 && tally_chan_cap(NULL) == 0);
}

static void buffered_fifo_and_capacity(void **state)
{
	(void)state;
	run_1_and_4(buffered_fifo_main);
}

static void stream_producer(void *arg)
{
	struct tally_chan *c = arg;
	for (int64_t i = 0; i < NSTREAM; i++)
		tally_chan_send(c, &i);
	tally_chan_close(c);
}

static void stream_main(void *arg)
{
	(void)arg;
	struct tally_chan *c = tally_chan_make(sizeof(int64_t), 3);
	tally_go(stream_producer, c);
	int64_t want = 0, v;
	while (tally_chan_recv(c, &v)) {
		RT_CHECK(v == want);
		want++;
	}
	RT_CHECK(want == NSTREAM);
	RT_CHECK(v == 0);  /* zeroed by the close */
}

static void buffered_stream_in_order(void **state)
{
	(void)state;
	run_1_and_4(stream_main);
}

struct mpmc {
	struct tally_chan *c;
	int64_t id;
};

static void mpmc_producer(void *arg)
{
	struct mpmc *a = arg;
	for (int64_t i = 0; i < PER_PROD; i++) {
		int64_t v = a->id * PER_PROD + i;
		tally_chan_send(a->c, &v);
	}
	tally_atomic_add(&S->flag, 1);
}

static void mpmc_consumer(void *arg)
{
	struct tally_chan *c = arg;
	int64_t v;
	while (tally_chan_recv(c, &v)) {
		RT_CHECK(v >= 0 && v < NPROD * PER_PROD);
		tally_atomic_add(&S->seen[v], 1);
		tally_atomic_add(&S->sum, v);
	}
	tally_atomic_add(&S->counter, 1);
}

static void mpmc_main_cap(size_t cap)
{
	struct tally_chan *c = tally_chan_make(sizeof(int64_t), cap);
	struct mpmc args[NPROD];
	for (int i = 0; i < NPROD; i++) {
		tally_go(mpmc_consumer, c);
		args[i].c = c;
		args[i].id = i;
		tally_go(mpmc_producer, &args[i]);
	}
	join(&S->flag, NPROD);
	tally_chan_close(c);
	join(&S->counter, NPROD);
	int64_t n = NPROD * PER_PROD;
	RT_CHECK(S->sum == n * (n - 1) / 2);
	for (int64_t i = 0; i < n; i++)
		RT_CHECK(S->seen[i] == 1);
}

static void mpmc_buffered_main(void *arg)
{
	(void)arg;
	mpmc_main_cap(5);
}

static void mpmc_unbuffered_main(void *arg)
{
	(void)arg;
	mpmc_main_cap(0);
}

static void many_producers_and_consumers(void **state)
{
	(void)state;
	run_1_and_4(mpmc_buffered_main);
	run_1_and_4(mpmc_unbuffered_main);
}

/* ---- close ---- */

static void closed_receiver(void *arg)
{
	struct tally_chan *c = arg;
	int64_t v = 42;
	tally_atomic_add(&S->flag, 1);
	RT_CHECK(tally_chan_recv(c, &v) == 0);
	RT_CHECK(v == 0);
	tally_atomic_add(&S->counter, 1);
}

static void close_main(void *arg)
{
	(void)arg;
	/* drain, then zero values */
	struct tally_chan *c = tally_chan_make(sizeof(int64_t), 4);
	for (int64_t i = 1; i <= 3; i++)
		tally_chan_send(c, &i);
	tally_chan_close(c);
	RT_CHECK(tally_chan_len(c) == 3);
	for (int64_t i = 1; i <= 3; i++) {
		int64_t v;
		RT_CHECK(tally_chan_recv(c, &v) == 1 && v == i);
	}
	int64_t v = 5;
	RT_CHECK(tally_chan_recv(c, &v) == 0 && v == 0);
	v = 5;
	int ok = 1;
	RT_CHECK(tally_chan_tryrecv(c, &v, &ok) == 1 && ok == 0 && v == 0);
	RT_CHECK(tally_chan_recv(c, NULL) == 0);

	/* receivers blocked at close wake with zero, ok = 0 */
	struct tally_chan *u = tally_chan_make(sizeof(int64_t), 0);
	for (int i = 0; i < 5; i++)
		tally_go(closed_receiver, u);
	join(&S->flag, 5);
	for (int i = 0; i < 50; i++)
		tally_yield();  /* let them reach the wait queue (either way is fine) */
	tally_chan_close(u);
	join(&S->counter, 5);

	/* zero-sized elements and NULL destinations */
	struct tally_chan *z = tally_chan_make(0, 2);
	RT_CHECK(tally_chan_trysend(z, NULL) == 1);
	tally_chan_send(z, NULL);
	RT_CHECK(tally_chan_trysend(z, NULL) == 0);
	RT_CHECK(tally_chan_len(z) == 2);
	RT_CHECK(tally_chan_recv(z, NULL) == 1);
	RT_CHECK(tally_chan_tryrecv(z, NULL, NULL) == 1);
	tally_chan_close(z);
	RT_CHECK(tally_chan_tryrecv(z, NULL, &ok) == 1 && ok == 0);

	/* non-blocking forms on NULL never succeed */
	RT_CHECK(tally_chan_trysend(NULL, &v) == 0);
	RT_CHECK(tally_chan_tryrecv(NULL, &v, &ok) == 0);
}

static void close_semantics(void **state)
{
	(void)state;
	run_1_and_4(close_main);
}

static void send_closed_main(void *arg)
{
	(void)arg;
	struct tally_chan *c = tally_chan_make(sizeof(int64_t), 1);
	tally_chan_close(c);
	int64_t v = 1;
	tally_chan_send(c, &v);
}

static void blocked_sender(void *arg)
{
	int64_t v = 1;
	tally_atomic_store(&S->flag, 1);
	tally_chan_send(arg, &v);   /* blocks; panics when closed */
	tally_atomic_store(&S->flag, 2);
}

static void send_closed_blocked_main(void *arg)
{
	(void)arg;
	struct tally_chan *c = tally_chan_make(sizeof(int64_t), 0);
	tally_go(blocked_sender, c);
	join(&S->flag, 1);
	for (int i = 0; i < 50; i++)
		tally_yield();
	tally_chan_close(c);
	for (;;)
		tally_yield();   /* the sender's panic ends the program */
}

static void close_closed_main(void *arg)
{
	(void)arg;
	struct tally_chan *c = tally_chan_make(sizeof(int64_t), 0);
	tally_chan_close(c);
	tally_chan_close(c);
}

static void close_nil_main(void *arg)
{
	(void)arg;
	tally_chan_close(NULL);
}

static void misuse_panics(void **state)
{
	(void)state;
	expect_fatal(send_closed_main, 1, "panic: send on closed channel");
	expect_fatal(send_closed_blocked_main, 1, "panic: send on closed channel");
	expect_fatal(send_closed_blocked_main, 4, "panic: send on closed channel");
	expect_fatal(close_closed_main, 4, "panic: close of closed channel");
	expect_fatal(close_nil_main, 1, "panic: close of nil channel");
}

static void nil_recv_main(void *arg)
{
	(void)arg;
	int64_t v;
	tally_chan_recv(NULL, &v);
	tally_atomic_store(&S->flag, 1);   /* never */
}

static void nil_sender(void *arg)
{
	(void)arg;
	int64_t v = 1;
	tally_atomic_store(&S->flag, 1);
	tally_chan_send(NULL, &v);
	tally_atomic_store(&S->flag, 2);   /* never */
}

static void nil_send_main(void *arg)
{
	(void)arg;
	tally_go(nil_sender, NULL);
	join(&S->flag, 1);
	for (int i = 0; i < 100; i++)
		tally_yield();
	RT_CHECK(tally_atomic_load(&S->flag) == 1);
}

static void nil_channel_blocks_forever(void **state)
{
	(void)state;
	expect_fatal(nil_recv_main, 2, "goroutine 1 [chan receive (nil chan)]");
	assert_int_equal(S->flag, 0);
	assert_non_null(strstr(rt_test_output(), "all goroutines are asleep - deadlock!"));
	run_1_and_4(nil_send_main);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unbuffered_handoff),
		cmocka_unit_test(buffered_fifo_and_capacity),
		cmocka_unit_test(buffered_stream_in_order),
		cmocka_unit_test(many_producers_and_consumers),
		cmocka_unit_test(close_semantics),
		cmocka_unit_test(misuse_panics),
		cmocka_unit_test(nil_channel_blocks_forever),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

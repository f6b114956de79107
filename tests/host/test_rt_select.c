/*
 * test_rt_select.c - host tests of select (rt/select.c) through
 * rt/tally.h.
 *
 * What is proved, each on 1 and on 4 Ms:
 *   - fairness: with two always-ready cases, each is chosen 40-60% of
 *     10000 times (receives on closed channels, and sends into channels
 *     with room);
 *   - default: taken when nothing is ready, never when a case is ready;
 *   - blocking: a select waiting on several channels wakes for the one a
 *     peer sends on / receives from, with the value and ok = 1; a close
 *     wakes it with ok = 0; the other cases' wait entries are removed
 *     (later traffic on them is not lost);
 *   - duplicates: the same channel in several cases (two receives; a send
 *     and a receive on one buffered channel) works and both duplicates
 *     get chosen;
 *   - NULL channels are never chosen, with or without default, and a
 *     select of only NULL channels blocks forever (deadlock report);
 *   - stress: 4 consumers selecting over two data channels and a done
 *     channel against 2 producers receive every value exactly once (the
 *     selectdone race between two wakers);
 *   - a select send case on a closed channel panics.
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

#define NFAIR 10000
#define NSTRESS 20000

struct shared {
	volatile int64_t counter;
	volatile int64_t flag;
	volatile int64_t sum;
	volatile int64_t hits[8];
	volatile int64_t seen[NSTRESS];
};

RT_TEST_SCAFFOLD
#define join rt_test_join

static struct tally_select_case rcase(struct tally_chan *c, void *elem)
{
	struct tally_select_case k = { TALLY_RECV, c, elem, -1 };
	return k;
}

static struct tally_select_case scase(struct tally_chan *c, void *elem)
{
	struct tally_select_case k = { TALLY_SEND, c, elem, -1 };
	return k;
}

/* ---- fairness ---- */

static void fairness_main(void *arg)
{
	(void)arg;
	struct tally_chan *a = tally_chan_make(sizeof(int64_t), 0);
	struct tally_chan *b = tally_chan_make(sizeof(int64_t), 0);
	tally_chan_close(a);
	tally_chan_close(b);
	int n[2] = {0, 0};
	for (int i = 0; i < NFAIR; i++) {
		int64_t v = 1;
		struct tally_select_case k[2] = { rcase(a, &v), rcase(b, &v) };
		int r = tally_select(k, 2, 0);
		RT_CHECK(r == 0 || r == 1);
		RT_CHECK(k[r].ok == 0 && v == 0);
		n[r]++;
	}
	RT_CHECK(n[0] >= NFAIR * 4 / 10 && n[0] <= NFAIR * 6 / 10);

	/* two send cases with room (drained after each round) */
	struct tally_chan *c = tally_chan_make(sizeof(int64_t), 1);
	struct tally_chan *d = tally_chan_make(sizeof(int64_t), 1);
	n[0] = n[1] = 0;
	for (int i = 0; i < NFAIR; i++) {
		int64_t v = i;
		struct tally_select_case k[3] = { scase(c, &v), scase(d, &v), rcase(NULL, NULL) };
		int r = tally_select(k, 3, 1);
		RT_CHECK(r == 0 || r == 1);
		n[r]++;
		int64_t w;
		RT_CHECK(tally_chan_tryrecv(r ? d : c, &w, NULL) == 1 && w == i);
	}
	RT_CHECK(n[0] >= NFAIR * 4 / 10 && n[0] <= NFAIR * 6 / 10);
}

static void fairness_of_ready_cases(void **state)
{
	(void)state;
	run_1_and_4(fairness_main);
}

/* ---- default ---- */

static void default_main(void *arg)
{
	(void)arg;
	struct tally_chan *c = tally_chan_make(sizeof(int64_t), 1);
	int64_t v = 3;
	struct tally_select_case k[2] = { rcase(c, &v), rcase(NULL, &v) };
	RT_CHECK(tally_select(k, 2, 1) == -1);
	RT_CHECK(v == 3);
	/* a send case with room is ready: never the default */
	struct tally_select_case s[1] = { scase(c, &v) };
	RT_CHECK(tally_select(s, 1, 1) == 0);
	RT_CHECK(tally_select(s, 1, 1) == -1);   /* now full */
	v = 0;
	RT_CHECK(tally_select(k, 2, 1) == 0 && v == 3 && k[0].ok == 1);
	/* empty select with default */
	RT_CHECK(tally_select(NULL, 0, 1) == -1);
}

static void select_default(void **state)
{
	(void)state;
	run_1_and_4(default_main);
}

/* ---- blocking ---- */

struct chans {
	struct tally_chan *a, *b, *c;
};

static void late_sender(void *arg)
{
	struct chans *ch = arg;
	for (int i = 0; i < 20; i++)
		tally_yield();
	int64_t v = 77;
	tally_chan_send(ch->b, &v);
	/* then a receive for the select's send case */
	int64_t w = 0;
	RT_CHECK(tally_chan_recv(ch->c, &w) == 1 && w == 55);
	/* then traffic on a: must not hit a stale wait entry of main */
	v = 88;
	tally_chan_send(ch->a, &v);
	for (int i = 0; i < 20; i++)
		tally_yield();
	tally_chan_close(ch->b);
}

static void blocking_main(void *arg)
{
	(void)arg;
	struct chans ch = {
		tally_chan_make(sizeof(int64_t), 0),
		tally_chan_make(sizeof(int64_t), 0),
		tally_chan_make(sizeof(int64_t), 0),
	};
	tally_go(late_sender, &ch);
	int64_t va = 0, vb = 0;
	struct tally_select_case k[2] = { rcase(ch.a, &va), rcase(ch.b, &vb) };
	RT_CHECK(tally_select(k, 2, 0) == 1);
	RT_CHECK(vb == 77 && va == 0 && k[1].ok == 1);

	int64_t out = 55, in = 0;
	struct tally_select_case s[2] = { rcase(ch.a, &in), scase(ch.c, &out) };
	RT_CHECK(tally_select(s, 2, 0) == 1);
	RT_CHECK(in == 0);

	RT_CHECK(tally_chan_recv(ch.a, &va) == 1 && va == 88);

	vb = 9;
	struct tally_select_case z[2] = { rcase(ch.b, &vb), rcase(NULL, NULL) };
	RT_CHECK(tally_select(z, 2, 0) == 0);
	RT_CHECK(z[0].ok == 0 && vb == 0);   /* woken by close */
}

static void select_blocks_and_wakes(void **state)
{
	(void)state;
	run_1_and_4(blocking_main);
}

/* ---- duplicates ---- */

static void dup_sender(void *arg)
{
	struct tally_chan *c = arg;
	for (int64_t i = 0; i < 1000; i++)
		tally_chan_send(c, &i);
}

static void duplicates_main(void *arg)
{
	(void)arg;
	struct tally_chan *c = tally_chan_make(sizeof(int64_t), 0);
	tally_go(dup_sender, c);
	int n[2] = {0, 0};
	for (int64_t i = 0; i < 1000; i++) {
		int64_t v0 = -1, v1 = -1;
		struct tally_select_case k[3] = { rcase(c, &v0), rcase(c, &v1), rcase(NULL, NULL) };
		int r = tally_select(k, 3, 0);
		RT_CHECK(r == 0 || r == 1);
		RT_CHECK((r ? v1 : v0) == i && (r ? v0 : v1) == -1);
		n[r]++;
	}
	RT_CHECK(n[0] > 0 && n[1] > 0);

	/* send and receive on one buffered channel in one select */
	struct tally_chan *b = tally_chan_make(sizeof(int64_t), 1);
	for (int64_t i = 0; i < 100; i++) {
		int64_t out = i, in = -1;
		struct tally_select_case k[2] = { scase(b, &out), rcase(b, &in) };
		RT_CHECK(tally_select(k, 2, 0) == 0);  /* empty: only the send */
		RT_CHECK(tally_select(k, 2, 0) == 1);  /* full: only the receive */
		RT_CHECK(in == i);
	}
}

static void select_duplicate_channels(void **state)
{
	(void)state;
	run_1_and_4(duplicates_main);
}

/* ---- NULL channels ---- */

static void nil_main(void *arg)
{
	(void)arg;
	struct tally_chan *c = tally_chan_make(sizeof(int64_t), 0);
	tally_chan_close(c);
	for (int i = 0; i < 1000; i++) {
		int64_t v;
		struct tally_select_case k[3] = { rcase(NULL, &v), scase(NULL, &v), rcase(c, &v) };
		RT_CHECK(tally_select(k, 3, 0) == 2);
		RT_CHECK(tally_select(k, 2, 1) == -1);
	}
}

static void nil_only_main(void *arg)
{
	(void)arg;
	int64_t v;
	struct tally_select_case k[2] = { rcase(NULL, &v), scase(NULL, &v) };
	tally_select(k, 2, 0);
	tally_atomic_store(&S->flag, 1);   /* never */
}

static void select_nil_channels(void **state)
{
	(void)state;
	run_1_and_4(nil_main);
	expect_fatal(nil_only_main, 2, "goroutine 1 [select (no cases)]");
	assert_int_equal(S->flag, 0);
}

/* ---- stress ---- */

struct stress {
	struct tally_chan *a, *b, *done;
};

static void stress_producer(void *arg)
{
	struct stress *st = arg;
	int64_t half = NSTRESS / 2;
	int64_t base = tally_atomic_add(&S->flag, 1) - 1;  /* 0 or 1 */
	for (int64_t i = base * half; i < (base + 1) * half; i++) {
		struct tally_chan *c = (i & 1) ? st->a : st->b;
		tally_chan_send(c, &i);
	}
}

static void stress_consumer(void *arg)
{
	struct stress *st = arg;
	for (;;) {
		int64_t va, vb;
		struct tally_select_case k[3] = { rcase(st->a, &va), rcase(st->b, &vb), rcase(st->done, NULL) };
		int r = tally_select(k, 3, 0);
		if (r == 2)
			break;
		int64_t v = r ? vb : va;
		RT_CHECK(v >= 0 && v < NSTRESS);
		tally_atomic_add(&S->seen[v], 1);
		tally_atomic_add(&S->sum, v);
		tally_atomic_add(&S->counter, 1);
	}
	tally_atomic_add(&S->hits[0], 1);
}

static void stress_main(void *arg)
{
	(void)arg;
	struct stress st = {
		tally_chan_make(sizeof(int64_t), 0),
		tally_chan_make(sizeof(int64_t), 2),
		tally_chan_make(0, 0),
	};
	for (int i = 0; i < 4; i++)
		tally_go(stress_consumer, &st);
	tally_go(stress_producer, &st);
	tally_go(stress_producer, &st);
	join(&S->counter, NSTRESS);
	tally_chan_close(st.done);
	join(&S->hits[0], 4);
	RT_CHECK(S->counter == NSTRESS);
	RT_CHECK(S->sum == (int64_t)NSTRESS * (NSTRESS - 1) / 2);
	for (int i = 0; i < NSTRESS; i++)
		RT_CHECK(S->seen[i] == 1);
}

static void select_stress_exactly_once(void **state)
{
	(void)state;
	run_1_and_4(stress_main);
}

/* ---- misuse ---- */

static void send_closed_main(void *arg)
{
	(void)arg;
	struct tally_chan *c = tally_chan_make(sizeof(int64_t), 4);
	struct tally_chan *d = tally_chan_make(sizeof(int64_t), 0);
	tally_chan_close(c);
	int64_t v = 1;
	struct tally_select_case k[2] = { rcase(d, &v), scase(c, &v) };
	tally_select(k, 2, 1);
}

static void select_send_on_closed_panics(void **state)
{
	(void)state;
	expect_fatal(send_closed_main, 1, "panic: send on closed channel");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fairness_of_ready_cases),
		cmocka_unit_test(select_default),
		cmocka_unit_test(select_blocks_and_wakes),
		cmocka_unit_test(select_duplicate_channels),
		cmocka_unit_test(select_nil_channels),
		cmocka_unit_test(select_stress_exactly_once),
		cmocka_unit_test(select_send_on_closed_panics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_tcp_sim.c - the TCP state machine (rt/net/tcp*.c) between two
 * endpoints over a simulated lossy link (tests/host/tcp_sim.c).
 *
 * Truth: the bytes each side wrote, hashed (FNV-1a) by the test as it
 * wrote them, against the bytes the other side read, hashed as read; the
 * link's own record of what it dropped; the times at which the link saw
 * the same sequence number go out again (the RTO back-off).
 *
 * Cases:
 *   - transfers of 3 MiB each way at once, loss 0, 1%, 5%, 20% (with
 *     duplication and reordering on the lossy links), three seeds each:
 *     the streams must arrive intact, both sides must close cleanly, and
 *     the retransmission counters must be 0 on a clean link and non-zero
 *     on a lossy one (timeouts and back-off at 20%);
 *   - one data segment dropped on an otherwise clean link: exactly one
 *     fast retransmit, no timeout;
 *   - every segment dropped for a while: the same sequence number is
 *     resent after 1, 2, 4, 8 ... times the RTO;
 *   - a zero window: the sender probes it, and the transfer finishes when
 *     the reader drains;
 *   - a SYN flood of 100,000 spoofed SYNs against a listener with backlog
 *     16: the listener never holds more than backlog + SYN queue
 *     connections, and a real client in the middle of the flood connects
 *     and exchanges data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tests/host/tcp_sim.h"

#define IP_A 0xc0000201u
#define IP_B 0xc0000202u

static const uint8_t secret[16] = "tally tcp tests";

/* One direction's application: writes total bytes of a PRNG stream,
 * reads whatever arrives. */
struct app {
	struct tcp_conn *c;
	uint64_t total, sent, rcvd;
	uint64_t wseed, hsent, hrcvd;
	int shut, drain;
	uint8_t buf[16384];
};

static void app_init(struct app *a, uint64_t total, uint64_t seed)
{
	memset(a, 0, sizeof *a);
	a->total = total;
	a->wseed = seed;
	a->hsent = a->hrcvd = SIM_FNV0;
	a->drain = 1;
}

static void app_step(struct app *a, uint64_t now)
{
	struct tcp_conn *c = a->c;
	if (!c)
		return;
	if (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT) {
		while (a->sent < a->total && tcp_writable(c) > 0) {
			uint32_t n = tcp_writable(c);
			if (n > sizeof a->buf)
				n = sizeof a->buf;
			if (n > a->total - a->sent)
				n = (uint32_t)(a->total - a->sent);
			for (uint32_t i = 0; i < n; i++) {
				a->wseed = a->wseed * 6364136223846793005ull + 1442695040888963407ull;
				a->buf[i] = (uint8_t)(a->wseed >> 56);
			}
			long k = tcp_send(c, a->buf, n, now);
			assert_int_equal(k, (long)n);
			a->hsent = sim_fnv(a->hsent, a->buf, n);
			a->sent += n;
		}
		if (a->sent == a->total && !a->shut) {
			a->shut = 1;
			assert_int_equal(tcp_shutdown(c, now), TCP_OK);
		}
	}
	while (a->drain) {
		long k = tcp_recv(c, a->buf, sizeof a->buf, now);
		if (k <= 0)
			break;
		a->hrcvd = sim_fnv(a->hrcvd, a->buf, (size_t)k);
		a->rcvd += (uint64_t)k;
	}
}

struct pair {
	struct app a, b;
	struct tcp_listener l;
};

static void pair_step(struct sim *s, void *arg)
{
	struct pair *p = arg;
	if (!p->b.c) {
		p->b.c = tcp_accept(&p->l);
	}
	app_step(&p->a, s->now);
	app_step(&p->b, s->now);
}

static int closed(const struct tcp_conn *c)
{
	return c && (c->state == TCP_CLOSED || c->state == TCP_TIME_WAIT);
}

static int pair_done(struct sim *s, void *arg)
{
	struct pair *p = arg;
	(void)s;
	return closed(p->a.c) && closed(p->b.c) && tcp_eof(p->a.c) && tcp_eof(p->b.c);
}

/* Connect A to B's listener and run the two applications to the end. */
static void pair_run(struct sim *s, struct pair *p, uint32_t buf, uint64_t limit)
{
	s->lis_rxcap = s->lis_txcap = buf;
	assert_int_equal(tcp_listen_init(&p->l, IP_B, 80, 16, 16, secret, buf, 0, &s->ops, s),
	                 TCP_OK);
	sim_add_listener(s, &p->l);
	p->a.c = sim_conn(s, buf, buf, 0);
	assert_int_equal(tcp_connect(p->a.c, IP_A, 40000, IP_B, 80, 0x12345678u, s->now),
	                 TCP_OK);
	int ok = sim_run(s, limit, pair_done, pair_step, p);
	if (!ok)
		print_message("A %s %s snd_una %u snd_max %u sent %lu rcvd %lu; B %s %s sent %lu rcvd %lu\n",
		              tcp_state_name(p->a.c->state), tcp_err_str(p->a.c->err), p->a.c->snd_una, p->a.c->snd_max,
		              (unsigned long)p->a.sent, (unsigned long)p->a.rcvd,
		              p->b.c ? tcp_state_name(p->b.c->state) : "-", p->b.c ? tcp_err_str(p->b.c->err) : "-",
		              (unsigned long)p->b.sent, (unsigned long)p->b.rcvd);
	assert_true(ok);
	assert_null(tcp_check(p->a.c));
	assert_null(tcp_check(p->b.c));
	assert_int_equal(p->a.c->err, TCP_OK);
	assert_int_equal(p->b.c->err, TCP_OK);
	assert_int_equal(p->a.rcvd, p->b.total);
	assert_int_equal(p->b.rcvd, p->a.total);
	assert_true(p->a.hsent == p->b.hrcvd);
	assert_true(p->b.hsent == p->a.hrcvd);
}

#define XFER (3u << 20)

static void transfer(uint32_t loss_ppm, uint64_t seed)
{
	struct sim s;
	struct pair *p = calloc(1, sizeof *p);
	assert_non_null(p);
	sim_init(&s, seed);
	s.loss_ppm = loss_ppm;
	if (loss_ppm) {
		s.dup_ppm = loss_ppm / 4;
		s.reorder_ppm = loss_ppm / 4;
		s.jitter = 2000;
	}
	app_init(&p->a, XFER, seed * 3 + 1);
	app_init(&p->b, XFER, seed * 7 + 2);
	pair_run(&s, p, 256 * 1024, 3600ull * 1000000);
	const struct tcp_stats *x = &p->a.c->st, *y = &p->b.c->st;
	print_message("loss %u ppm seed %lu: %.1f s simulated, lost %lu dup %lu reord %lu;"
	              " A rexmit %lu fast %lu partial %lu rto %lu backoff %lu;"
	              " B rexmit %lu fast %lu rto %lu; srtt %lu us\n",
	              loss_ppm, (unsigned long)seed, s.now / 1e6, (unsigned long)s.st.lost,
	              (unsigned long)s.st.duplicated, (unsigned long)s.st.reordered,
	              (unsigned long)x->retransmits, (unsigned long)x->fast_retransmits,
	              (unsigned long)x->partial_acks, (unsigned long)x->timeouts,
	              (unsigned long)x->max_backoff, (unsigned long)y->retransmits,
	              (unsigned long)y->fast_retransmits, (unsigned long)y->timeouts,
	              (unsigned long)p->a.c->rtt.srtt);
	if (loss_ppm == 0) {
		assert_int_equal(s.st.lost, 0);
		assert_int_equal(x->retransmits + y->retransmits, 0);
		assert_int_equal(x->fast_retransmits + y->fast_retransmits, 0);
		assert_int_equal(x->timeouts + y->timeouts, 0);
	} else {
		assert_true(s.st.lost > 0);
		assert_true(x->retransmits > 0 && y->retransmits > 0);
		/* the rest of the repairs are the loss's: no more resends than
		 * segments lost, times a go-back-N burst's bound */
		assert_true(x->fast_retransmits + y->fast_retransmits > 0);
	}
	if (loss_ppm >= 200000) {
		assert_true(x->timeouts + y->timeouts > 0);
		assert_true(x->max_backoff >= 2 || y->max_backoff >= 2);
	}
	assert_int_equal(s.st.bad_parse, 0);
	sim_free(&s);
	free(p);
}

static void test_transfer_clean(void **st)
{
	(void)st;
	for (uint64_t seed = 1; seed <= 3; seed++)
		transfer(0, seed);
}

static void test_transfer_loss1(void **st)
{
	(void)st;
	for (uint64_t seed = 1; seed <= 3; seed++)
		transfer(10000, seed);
}

static void test_transfer_loss5(void **st)
{
	(void)st;
	for (uint64_t seed = 1; seed <= 3; seed++)
		transfer(50000, seed);
}

static void test_transfer_loss20(void **st)
{
	(void)st;
	for (uint64_t seed = 1; seed <= 3; seed++)
		transfer(200000, seed);
}


/* ---- one loss on a clean link: fast retransmit, nothing else ---- */
struct drop_nth {
	uint32_t n, seen, seq;
	int dropped;
};

static int drop_nth_filter(struct sim *s, uint32_t src, uint32_t dst, const struct net_tcp *v,
                           void *arg)
{
	struct drop_nth *d = arg;
	(void)s, (void)dst;
	if (src != IP_A || v->payload_len == 0 || d->dropped)
		return 0;
	if (++d->seen == d->n) {
		d->dropped = 1;
		d->seq = v->seq;
		return 1;
	}
	return 0;
}

static void test_one_loss_fast_retransmit(void **st)
{
	(void)st;
	struct sim s;
	struct pair *p = calloc(1, sizeof *p);
	struct drop_nth d = {.n = 40};
	sim_init(&s, 11);
	s.filter = drop_nth_filter;
	s.filter_arg = &d;
	app_init(&p->a, 1u << 20, 5);
	app_init(&p->b, 0, 6);
	pair_run(&s, p, 128 * 1024, 600ull * 1000000);
	assert_true(d.dropped);
	assert_int_equal(p->b.rcvd, 1u << 20);
	assert_true(p->a.hsent == p->b.hrcvd);
	assert_int_equal(p->a.c->st.fast_retransmits, 1);
	assert_int_equal(p->a.c->st.retransmits, 1);
	assert_int_equal(p->a.c->st.timeouts, 0);
	assert_int_equal(p->a.c->st.partial_acks, 0);
	assert_true(p->b.c->st.ooo_segs > 0);
	sim_free(&s);
	free(p);
}

/* ---- an outage: the RTO doubles between resends of the same byte ---- */
struct outage {
	uint64_t from, to;
	uint32_t seq;
	int have_seq;
	uint64_t t[32];
	unsigned nt;
};

static int outage_filter(struct sim *s, uint32_t src, uint32_t dst, const struct net_tcp *v,
                         void *arg)
{
	struct outage *o = arg;
	(void)dst;
	if (src != IP_A || v->payload_len == 0)
		return 0;
	if (s->now >= o->from && !o->have_seq) {
		o->have_seq = 1;
		o->seq = v->seq;
	}
	if (o->have_seq && v->seq == o->seq && o->nt < 32)
		o->t[o->nt++] = s->now;
	return s->now >= o->from && s->now < o->to;
}

static void test_rto_backoff(void **st)
{
	(void)st;
	struct sim s;
	struct pair *p = calloc(1, sizeof *p);
	struct outage o = {.from = 100000, .to = 100000 + 30000000ull};
	sim_init(&s, 12);
	s.filter = outage_filter;
	s.filter_arg = &o;
	app_init(&p->a, 1u << 20, 7);
	app_init(&p->b, 0, 8);
	pair_run(&s, p, 128 * 1024, 600ull * 1000000);
	assert_int_equal(p->b.rcvd, 1u << 20);
	assert_true(p->a.hsent == p->b.hrcvd);
	/* sent once, then resent at t1, t1 + 2R, t1 + 2R + 4R, ... */
	assert_true(o.nt >= 7);
	print_message("resends of seq %u at (ms):", o.seq);
	for (unsigned i = 0; i < o.nt; i++)
		print_message(" %.1f", o.t[i] / 1000.0);
	print_message("\n");
	uint64_t first = o.t[2] - o.t[1];
	assert_true(first >= 2 * TCP_RTO_MIN);
	for (unsigned i = 2; i + 1 < o.nt && o.t[i + 1] < o.to; i++) {
		uint64_t want = o.t[i] - o.t[i - 1];
		want = 2 * want > TCP_RTO_MAX ? TCP_RTO_MAX : 2 * want;
		assert_int_equal(o.t[i + 1] - o.t[i], want);
	}
	assert_true(p->a.c->st.timeouts >= 6);
	assert_true(p->a.c->st.max_backoff >= 6);
	assert_int_equal(p->a.c->st.fast_retransmits, 0);
	sim_free(&s);
	free(p);
}

/* ---- a reader that stops: zero window, probes, then the rest ---- */
static void zw_step(struct sim *s, void *arg)
{
	struct pair *p = arg;
	p->b.drain = s->now >= 20000000;
	pair_step(s, arg);
}

static void test_zero_window_probe(void **st)
{
	(void)st;
	struct sim s;
	struct pair *p = calloc(1, sizeof *p);
	sim_init(&s, 13);
	app_init(&p->a, 1u << 20, 9);
	app_init(&p->b, 0, 10);
	s.lis_rxcap = s.lis_txcap = 32768;
	assert_int_equal(tcp_listen_init(&p->l, IP_B, 80, 16, 16, secret, 32768, 0, &s.ops, &s),
	                 TCP_OK);
	sim_add_listener(&s, &p->l);
	p->a.c = sim_conn(&s, 65536, 65536, 0);
	assert_int_equal(tcp_connect(p->a.c, IP_A, 40001, IP_B, 80, 77, 0), TCP_OK);
	assert_true(sim_run(&s, 3600ull * 1000000, pair_done, zw_step, p));
	assert_int_equal(p->b.rcvd, 1u << 20);
	assert_true(p->a.hsent == p->b.hrcvd);
	assert_true(p->a.c->st.probes >= 3);
	assert_int_equal(p->a.c->st.timeouts, 0);
	print_message("zero window: %lu probes in 20 s\n", (unsigned long)p->a.c->st.probes);
	sim_free(&s);
	free(p);
}

/* ---- SYN flood ---- */
static int spoof_filter(struct sim *s, uint32_t src, uint32_t dst, const struct net_tcp *v,
                        void *arg)
{
	(void)s, (void)src, (void)v, (void)arg;
	return (dst >> 24) == 10;       /* replies to spoofed sources go nowhere */
}

static void test_syn_flood(void **st)
{
	(void)st;
	struct sim s;
	struct pair *p = calloc(1, sizeof *p);
	sim_init(&s, 14);
	s.filter = spoof_filter;
	s.lis_rxcap = s.lis_txcap = 16384;
	app_init(&p->a, 20000, 11);
	app_init(&p->b, 30000, 12);
	assert_int_equal(tcp_listen_init(&p->l, IP_B, 80, 16, 16, secret, 16384, 0, &s.ops, &s),
	                 TCP_OK);
	sim_add_listener(&s, &p->l);
	for (unsigned batch = 0; batch < 1000; batch++) {
		for (unsigned i = 0; i < 100; i++) {
			uint64_t r = sim_rand(&s);
			struct net_tcp syn = {.sport = (uint16_t)(1024 + r % 60000), .dport = 80,
			                      .seq = (uint32_t)(r >> 32), .flags = TCP_SYN,
			                      .win = 64240};
			syn.opt.has_mss = 1, syn.opt.mss = 1460;
			uint32_t src = 0x0a000000u | (uint32_t)((r >> 8) & 0xffffff);
			tcp_listen_input(&p->l, &syn, src, IP_B, s.now);
			assert_true(p->l.nsyn <= 16 && p->l.nacc <= 16);
		}
		if (batch == 500) {
			p->a.c = sim_conn(&s, 16384, 16384, 0);
			assert_int_equal(tcp_connect(p->a.c, IP_A, 40002, IP_B, 80, 99, s.now), TCP_OK);
		}
		sim_run(&s, s.now + 10000, NULL, pair_step, p);
		/* the listener's connections plus, later, the client's */
		assert_true(s.live <= 16 + 16 + 1);
	}
	assert_true(sim_run(&s, s.now + 600ull * 1000000, pair_done, pair_step, p));
	assert_int_equal(p->l.st.syns, 100001);
	assert_true(p->l.st.cookies_sent > 99000);
	assert_true(s.max_live <= 16 + 16 + 1);
	assert_int_equal(p->b.rcvd, 20000);
	assert_int_equal(p->a.rcvd, 30000);
	assert_true(p->a.hsent == p->b.hrcvd && p->b.hsent == p->a.hrcvd);
	/* the embryos time out after their SYN-ACK retries and are given back */
	sim_run(&s, s.now + 300ull * 1000000, NULL, NULL, NULL);
	assert_int_equal(p->l.nsyn, 0);
	assert_true(s.frees >= 16);
	print_message("flood: %lu SYNs, %lu cookies sent, %lu cookie ACKs, at most %lu connections"
	              " live, %lu embryos given back\n", (unsigned long)p->l.st.syns,
	              (unsigned long)p->l.st.cookies_sent, (unsigned long)p->l.st.cookies_ok,
	              (unsigned long)s.max_live, (unsigned long)s.frees);
	sim_free(&s);
	free(p);
}

/* ---- simultaneous open and close (RFC 9293 figures 8 and 13) ---- */
struct simul {
	struct tcp_conn *a, *b;
	int a_closing, b_closing, shut;
};

static void simul_step(struct sim *s, void *arg)
{
	struct simul *m = arg;
	if (!m->shut && m->a->state == TCP_ESTABLISHED && m->b->state == TCP_ESTABLISHED) {
		m->shut = 1;
		assert_int_equal(tcp_shutdown(m->a, s->now), TCP_OK);
		assert_int_equal(tcp_shutdown(m->b, s->now), TCP_OK);
	}
	m->a_closing |= m->a->state == TCP_CLOSING;
	m->b_closing |= m->b->state == TCP_CLOSING;
}

static int simul_done(struct sim *s, void *arg)
{
	struct simul *m = arg;
	(void)s;
	return m->a->state == TCP_TIME_WAIT && m->b->state == TCP_TIME_WAIT;
}

static void test_simultaneous_open_close(void **st)
{
	(void)st;
	struct sim s;
	struct simul m = {0};
	sim_init(&s, 15);
	m.a = sim_conn(&s, 8192, 8192, 0);
	m.b = sim_conn(&s, 8192, 8192, 0);
	assert_int_equal(tcp_connect(m.a, IP_A, 5000, IP_B, 6000, 100, 0), TCP_OK);
	assert_int_equal(tcp_connect(m.b, IP_B, 6000, IP_A, 5000, 300, 0), TCP_OK);
	assert_true(sim_run(&s, 10000000, simul_done, simul_step, &m));
	assert_true(m.shut);
	assert_true(m.a_closing && m.b_closing);
	assert_int_equal(m.a->snd_una, 102);      /* SYN and FIN acknowledged */
	assert_int_equal(m.b->snd_una, 302);
	assert_int_equal(m.a->rcv_nxt, 302);
	assert_int_equal(m.b->rcv_nxt, 102);
	assert_int_equal(m.a->st.retransmits + m.b->st.retransmits, 0);
	assert_int_equal(s.st.no_endpoint, 0);
	sim_run(&s, s.now + 2ull * TCP_MSL_DEFAULT, NULL, NULL, NULL);
	assert_int_equal(m.a->state, TCP_CLOSED);
	assert_int_equal(m.b->state, TCP_CLOSED);
	assert_int_equal(m.a->err, TCP_OK);
	assert_int_equal(m.b->err, TCP_OK);
	sim_free(&s);
}

/* ---- small rings: every window smaller than a few segments ---- */
static void test_small_buffers(void **st)
{
	(void)st;
	static const uint32_t bufs[] = {61, 1000, 3000};
	for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
		struct sim s;
		struct pair *p = calloc(1, sizeof *p);
		sim_init(&s, 20 + i);
		s.loss_ppm = 50000;
		s.dup_ppm = s.reorder_ppm = 10000;
		s.jitter = 2000;
		app_init(&p->a, 100000, 30 + i);
		app_init(&p->b, 70000, 40 + i);
		pair_run(&s, p, bufs[i], 3600ull * 1000000);
		print_message("%u-byte rings: %.1f s simulated, A rexmit %lu probes %lu\n", bufs[i],
		              s.now / 1e6, (unsigned long)p->a.c->st.retransmits,
		              (unsigned long)p->a.c->st.probes);
		sim_free(&s);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transfer_clean),
		cmocka_unit_test(test_transfer_loss1),
		cmocka_unit_test(test_transfer_loss5),
		cmocka_unit_test(test_transfer_loss20),
		cmocka_unit_test(test_one_loss_fast_retransmit),
		cmocka_unit_test(test_rto_backoff),
		cmocka_unit_test(test_zero_window_probe),
		cmocka_unit_test(test_syn_flood),
		cmocka_unit_test(test_simultaneous_open_close),
		cmocka_unit_test(test_small_buffers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

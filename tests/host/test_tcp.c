/*
 * test_tcp.c - the TCP state machine (rt/net/tcp*.c) one segment at a
 * time: the RTO estimator, a recorded Linux connection replayed from
 * either side, and the corner cases of the handshake, RST and ACK checks.
 *
 * Truth:
 *   - RTO: SRTT, RTTVAR and RTO for a sequence of samples computed by
 *     hand from RFC 6298's formulas in exact fractions (the table below
 *     gives them; the code under test truncates to microseconds, so each
 *     must agree within 4 us);
 *   - replay: tests/fixtures/net/tcp.pcap, a Linux 6.18 client and server
 *     (tcpdump's reading in tcp.expect).  As the client we take the
 *     recorded client's ISN, so every sequence and acknowledgement number
 *     we send must equal the recorded client's, segment for segment; as
 *     the server our ISN differs and the peer's acknowledgements are moved
 *     by the difference.  Windows are checked against what RFC 9293 and
 *     7323 require of them (the SYN's unscaled, later ones never past the
 *     free buffer, the right edge never moved back);
 *   - corner cases: the segments RFC 9293 3.10.7 and RFC 5961 prescribe
 *     (RST <SEQ=SEG.ACK>, challenge ACKs, states), built by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tests/host/net_fx.h"
#include "rt/net/tcp.h"
#include "tests/host/tcp_cap.h"

/* ---- RFC 6298 ---- */
static void test_rto_estimator(void **st)
{
	(void)st;
	/* sample (ms), SRTT, RTTVAR, RTO (us), from the formulas in fractions */
	static const struct { unsigned ms; double srtt, rttvar, rto; } t[] = {
		{100, 100000.0, 50000.0, 300000.0},
		{120, 102500.0, 42500.0, 272500.0},
		{80, 99687.5, 37500.0, 249687.5},
		{300, 124726.5625, 78203.125, 437539.0625},
		{90, 120385.7421875, 67333.984375, 389721.6796875},
		{95, 117212.5244140625, 56846.923828125, 344600.2197265625},
		{100, 115060.95886230469, 46938.323974609375, 302814.2547607422},
		{2000, 350678.3390045166, 506438.50326538086, 2376432.35206604},
		{100, 319343.546628952, 442498.4622001648, 2089337.3954296112},
		{100, 291925.603300333, 386709.7333073616, 1838764.5365297794},
		{5, 256059.9028877914, 361763.70080560446, 1703114.7061102092},
	};
	struct tcp_rtt r;
	tcp_rtt_init(&r);
	assert_int_equal(r.rto, 1000000);        /* 2.1: 1 s before a sample */
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		tcp_rtt_sample(&r, t[i].ms * 1000ull);
		assert_true(r.srtt <= t[i].srtt + 4 && r.srtt + 4 >= t[i].srtt);
		assert_true(r.rttvar <= t[i].rttvar + 4 && r.rttvar + 4 >= t[i].rttvar);
		assert_true(r.rto <= t[i].rto + 20 && r.rto + 20 >= t[i].rto);
	}
	/* 5.5: each timeout doubles, up to 60 s; a sample ends the back-off */
	uint64_t rto = r.rto;
	tcp_rtt_backoff(&r);
	assert_int_equal(r.rto, 2 * rto);
	tcp_rtt_backoff(&r);
	assert_int_equal(r.rto, 4 * rto);
	for (int i = 0; i < 10; i++)
		tcp_rtt_backoff(&r);
	assert_int_equal(r.rto, 60000000);
	assert_int_equal(r.backoff, 12);
	tcp_rtt_sample(&r, 256000);
	assert_int_equal(r.backoff, 0);
	assert_true(r.rto < 2000000);
	/* the floor: a 1 ms path still waits 200 ms */
	tcp_rtt_init(&r);
	tcp_rtt_sample(&r, 1000);
	assert_int_equal(r.rto, TCP_RTO_MIN);
}

/* ---- the recorded connection ---- */
struct rec {
	struct nfx f;
	struct net_rx rx[NFX_MAX_FRAMES];
	uint8_t *copy[NFX_MAX_FRAMES];
};

static void rec_load(struct rec *r)
{
	nfx_load("tcp", &r->f);
	assert_int_equal(r->f.n, 10);
	for (size_t i = 0; i < r->f.n; i++) {
		r->copy[i] = nfx_copy(&r->f, i);
		struct net_rx_cfg cfg = {.ip = 0};
		memcpy(cfg.mac, r->copy[i], 6);
		assert_int_equal(net_rx_parse(&cfg, r->copy[i], r->f.len[i], &r->rx[i]), NET_OK);
		assert_int_equal(r->rx[i].kind, NET_RX_TCP);
	}
}

static void rec_free(struct rec *r)
{
	for (size_t i = 0; i < r->f.n; i++)
		free(r->copy[i]);
	nfx_free(&r->f);
}

/* Frame i with its acknowledgement number moved by delta (checksums fixed). */
static void rec_shift_ack(struct rec *r, size_t i, uint32_t delta)
{
	uint8_t *tcp = r->copy[i] + 14 + 20;
	net_put32(tcp + TCP_ACK, net_get32(tcp + TCP_ACK) + delta);
	nfx_fix_l4(r->copy[i], r->f.len[i]);
	struct net_rx_cfg cfg = {.ip = 0};
	memcpy(cfg.mac, r->copy[i], 6);
	assert_int_equal(net_rx_parse(&cfg, r->copy[i], r->f.len[i], &r->rx[i]), NET_OK);
}

/* The window of segment v: never past the free buffer, the right edge
 * never back by more than the scale's rounding. */
static void check_window(const struct tcp_conn *c, const struct net_tcp *v, uint64_t *edge)
{
	uint64_t ws = c->rcv_wscale;
	uint64_t right = (uint64_t)v->ack + ((uint64_t)v->win << ws);
	assert_true(right <= (uint64_t)v->ack + (c->rcv.cap - c->rcv.len));
	assert_true(right + (1u << ws) > *edge);
	if (right > *edge)
		*edge = right;
}

static void expect_same(const struct net_tcp *mine, const struct net_tcp *rec, uint32_t dseq,
                        uint32_t dack)
{
	assert_int_equal(mine->seq, rec->seq + dseq);
	assert_int_equal(mine->ack, rec->ack + dack);
	assert_int_equal(mine->flags, rec->flags);
	assert_int_equal(mine->payload_len, rec->payload_len);
	assert_memory_equal(mine->payload, rec->payload, rec->payload_len);
	assert_int_equal(mine->sport, rec->sport);
	assert_int_equal(mine->dport, rec->dport);
}

#define RXCAP (256 * 1024)

static void test_replay_as_client(void **st)
{
	(void)st;
	struct rec r;
	struct cap *k = calloc(1, sizeof *k);
	rec_load(&r);
	const struct net_tcp *R[10];
	for (int i = 0; i < 10; i++)
		R[i] = &r.rx[i].tcp;
	uint32_t A = r.rx[0].ip.src, B = r.rx[0].ip.dst;
	struct tcp_conn *c = new_conn(k, RXCAP, 0);
	uint64_t edge = 0, now = 1000;

	/* SYN: the recorded ISN, MSS, our scale, an unscaled window */
	assert_int_equal(tcp_connect(c, A, R[0]->sport, B, R[0]->dport, R[0]->seq, now), TCP_OK);
	assert_int_equal(k->n, 1);
	assert_int_equal(k->v[0].seq, R[0]->seq);
	assert_int_equal(k->v[0].flags, TCP_SYN);
	assert_true(k->v[0].opt.has_mss && k->v[0].opt.mss == 1460);
	assert_true(k->v[0].opt.has_wscale && k->v[0].opt.wscale == ref_wscale(RXCAP));
	assert_int_equal(k->v[0].win, 65535);
	assert_int_equal(c->state, TCP_SYN_SENT);

	/* SYN-ACK in: the ACK Linux sent (frame 3) */
	tcp_input(c, R[1], now += 20);
	assert_int_equal(c->state, TCP_ESTABLISHED);
	assert_true(k->events & TCP_EV_CONNECTED);
	assert_int_equal(k->n, 2);
	expect_same(&k->v[1], R[2], 0, 0);
	edge = k->v[1].ack;
	check_window(c, &k->v[1], &edge);
	assert_int_equal(c->snd_wscale, 10);
	assert_int_equal(c->snd_wnd, 65160);     /* a SYN's window is not scaled */
	assert_int_equal(c->snd_mss, 1460);

	/* the request: frame 4 */
	const char *req = "GET / tally\n";
	assert_int_equal(tcp_send(c, req, strlen(req), now += 20), (long)strlen(req));
	assert_int_equal(k->n, 3);
	expect_same(&k->v[2], R[3], 0, 0);
	check_window(c, &k->v[2], &edge);

	/* its ACK (frame 5): nothing to say */
	tcp_input(c, R[4], now += 20);
	assert_int_equal(k->n, 3);
	assert_int_equal(c->snd_una, R[4]->ack);
	assert_int_equal(c->snd_wnd, 64u << 10);

	/* the reply (frame 6): acknowledged as frame 7 */
	tcp_input(c, R[5], now += 20);
	assert_int_equal(k->n, 4);
	expect_same(&k->v[3], R[6], 0, 0);
	char buf[16];
	assert_int_equal(tcp_recv(c, buf, sizeof buf, now), 3);
	assert_memory_equal(buf, "ok\n", 3);

	/* our FIN: frame 8 */
	assert_int_equal(tcp_shutdown(c, now += 20), TCP_OK);
	assert_int_equal(c->state, TCP_FIN_WAIT_1);
	assert_int_equal(k->n, 5);
	expect_same(&k->v[4], R[7], 0, 0);
	check_window(c, &k->v[4], &edge);

	/* the server's FIN, acknowledging ours: frame 10 */
	tcp_input(c, R[8], now += 20);
	assert_int_equal(c->state, TCP_TIME_WAIT);
	assert_int_equal(k->n, 6);
	expect_same(&k->v[5], R[9], 0, 0);
	check_window(c, &k->v[5], &edge);
	assert_true(tcp_eof(c));
	/* TIME_WAIT: 2 MSL, then CLOSED without error */
	assert_int_equal(tcp_deadline(c), now + 2ull * TCP_MSL_DEFAULT);
	tcp_expire(c, now + 2ull * TCP_MSL_DEFAULT - 1);
	assert_int_equal(c->state, TCP_TIME_WAIT);
	tcp_expire(c, now + 2ull * TCP_MSL_DEFAULT);
	assert_int_equal(c->state, TCP_CLOSED);
	assert_int_equal(c->err, TCP_OK);
	assert_int_equal(k->n, 6);
	assert_null(tcp_check(c));
	free_conn(c);
	free(k);
	rec_free(&r);
}

static void test_replay_as_server(void **st)
{
	(void)st;
	struct rec r;
	struct cap *k = calloc(1, sizeof *k);
	struct tcp_listener l;
	static const uint8_t key[16] = "replay secret!!";
	rec_load(&r);
	const struct net_tcp *R[10];
	for (int i = 0; i < 10; i++)
		R[i] = &r.rx[i].tcp;
	uint32_t A = r.rx[0].ip.src, B = r.rx[0].ip.dst;
	uint64_t now = 5000, edge;
	k->rxcap = RXCAP;
	assert_int_equal(tcp_listen_init(&l, B, R[0]->dport, 4, 4, key, RXCAP, 0, &cap_ops, k),
	                 TCP_OK);

	/* SYN in: a SYN-ACK for it */
	tcp_listen_input(&l, R[0], A, B, now);
	assert_int_equal(k->n, 1);
	const struct net_tcp *sa = &k->v[0];
	assert_int_equal(sa->flags, TCP_SYN | TCP_ACK_F);
	assert_int_equal(sa->ack, R[0]->seq + 1);
	assert_true(sa->opt.has_mss && sa->opt.mss == 1460);
	assert_true(sa->opt.has_wscale && sa->opt.wscale == ref_wscale(RXCAP));
	assert_false(sa->opt.has_ts || sa->opt.sack_perm);   /* never offered */
	assert_int_equal(sa->win, 65535);
	assert_int_equal(k->src[0], B);
	assert_int_equal(k->dst[0], A);
	uint32_t delta = sa->seq - R[1]->seq;
	edge = sa->ack + sa->win;
	assert_int_equal(l.nsyn, 1);

	/* the handshake's ACK: established, accepted, nothing sent */
	rec_shift_ack(&r, 2, delta);
	assert_null(tcp_accept(&l));
	struct tcp_conn *c = l.synq;
	assert_non_null(c);
	tcp_input(c, R[2], now += 20);
	assert_int_equal(k->n, 1);
	assert_int_equal(c->state, TCP_ESTABLISHED);
	assert_ptr_equal(tcp_accept(&l), c);
	assert_int_equal(l.nsyn + l.nacc, 0);
	assert_int_equal(c->snd_wscale, 10);
	assert_int_equal(c->snd_wnd, 63u << 10);

	/* the request: acknowledged at once (as Linux did, frame 5) */
	rec_shift_ack(&r, 3, delta);
	tcp_input(c, R[3], now += 20);
	assert_int_equal(k->n, 2);
	expect_same(&k->v[1], R[4], delta, 0);
	check_window(c, &k->v[1], &edge);
	char buf[32];
	assert_int_equal(tcp_recv(c, buf, sizeof buf, now), 12);
	assert_memory_equal(buf, R[3]->payload, 12);

	/* the reply: frame 6 */
	assert_int_equal(tcp_send(c, "ok\n", 3, now += 20), 3);
	assert_int_equal(k->n, 3);
	expect_same(&k->v[2], R[5], delta, 0);
	check_window(c, &k->v[2], &edge);

	/* its ACK, then the client's FIN: an ACK at once, CLOSE_WAIT */
	rec_shift_ack(&r, 6, delta);
	tcp_input(c, R[6], now += 20);
	assert_int_equal(k->n, 3);
	assert_int_equal(c->snd_una, sa->seq + 4);
	rec_shift_ack(&r, 7, delta);
	tcp_input(c, R[7], now += 20);
	assert_int_equal(c->state, TCP_CLOSE_WAIT);
	assert_int_equal(k->n, 4);
	assert_int_equal(k->v[3].flags, TCP_ACK_F);
	assert_int_equal(k->v[3].seq, R[8]->seq + delta);
	assert_int_equal(k->v[3].ack, R[8]->ack);
	check_window(c, &k->v[3], &edge);
	assert_true(tcp_eof(c));

	/* our FIN: frame 9; the last ACK (frame 10) closes */
	assert_int_equal(tcp_close(c, now += 20), TCP_OK);
	assert_int_equal(c->state, TCP_LAST_ACK);
	assert_int_equal(k->n, 5);
	expect_same(&k->v[4], R[8], delta, 0);
	rec_shift_ack(&r, 9, delta);
	tcp_input(c, R[9], now += 20);
	assert_int_equal(c->state, TCP_CLOSED);
	assert_int_equal(c->err, TCP_OK);
	assert_int_equal(k->n, 5);
	assert_true(k->events & TCP_EV_CLOSED);
	free_conn(c);
	free(k);
	rec_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rto_estimator),
		cmocka_unit_test(test_replay_as_client),
		cmocka_unit_test(test_replay_as_server),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

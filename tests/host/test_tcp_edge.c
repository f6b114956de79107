/*
 * test_tcp_edge.c - the TCP state machine's corner cases, one hand-built
 * segment at a time: RST in every state, SYN to a closed port, old
 * duplicates, segments outside the window, SYN and RST inside it (RFC
 * 5961), the handshake's retransmission (Karn), out-of-order reassembly,
 * Nagle, MSS and window scale, SYN cookies, and bad arguments.
 *
 * Truth: what RFC 9293 3.10.7 and RFC 5961 prescribe for each segment
 * (the reply's flags, sequence and acknowledgement numbers, the state),
 * written out here from the RFCs' text, not from the code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tests/host/tcp_cap.h"

#define ME   0x0a000002u
#define PEER 0x0a000001u
#define ISS  1000u
#define IRS  5000u

static const uint8_t key[16] = "edge case secret";

/* A segment from the peer to c's port. */
static struct net_tcp from_peer(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
                                const char *data)
{
	struct net_tcp v = {.sport = 80, .dport = 1000, .seq = seq, .ack = ack, .flags = flags,
	                    .win = win};
	if (data) {
		v.payload = (const uint8_t *)data;
		v.payload_len = strlen(data);
	}
	return v;
}

/* An active connection, established with the peer's SYN-ACK (MSS mss,
 * window scale ws or none when ws < 0); the capture is then emptied. */
static struct tcp_conn *established(struct cap *k, int nodelay, uint16_t mss, int ws)
{
	struct tcp_conn *c = new_conn(k, 65536, nodelay);
	assert_int_equal(tcp_connect(c, ME, 1000, PEER, 80, ISS, 0), TCP_OK);
	struct net_tcp sa = from_peer(TCP_SYN | TCP_ACK_F, IRS, ISS + 1, 65535, NULL);
	sa.opt.has_mss = 1, sa.opt.mss = mss;
	if (ws >= 0)
		sa.opt.has_wscale = 1, sa.opt.wscale = (uint8_t)ws;
	tcp_input(c, &sa, 10);
	assert_int_equal(c->state, TCP_ESTABLISHED);
	k->n = 0;
	k->events = 0;
	return c;
}

static void in(struct tcp_conn *c, struct net_tcp v, uint64_t now)
{
	tcp_input(c, &v, now);
	assert_null(tcp_check(c));
}

static void test_closed_port(void **st)
{
	(void)st;
	struct cap *k = calloc(1, sizeof *k);
	uint8_t buf[TCP_HLEN];
	struct net_tcp syn = {.sport = 4000, .dport = 81, .seq = 100, .flags = TCP_SYN};
	tcp_reply_rst(&cap_ops, k, &syn, PEER, ME, buf);
	assert_int_equal(k->n, 1);
	assert_int_equal(k->v[0].flags, TCP_RST | TCP_ACK_F);
	assert_int_equal(k->v[0].seq, 0);
	assert_int_equal(k->v[0].ack, 101);
	assert_int_equal(k->v[0].sport, 81);
	assert_int_equal(k->v[0].dport, 4000);
	assert_int_equal(k->src[0], ME);
	assert_int_equal(k->dst[0], PEER);
	struct net_tcp ack = {.sport = 4000, .dport = 81, .seq = 5, .ack = 777, .flags = TCP_ACK_F};
	tcp_reply_rst(&cap_ops, k, &ack, PEER, ME, buf);
	assert_int_equal(k->v[1].flags, TCP_RST);
	assert_int_equal(k->v[1].seq, 777);
	struct net_tcp rst = {.sport = 4000, .dport = 81, .seq = 5, .flags = TCP_RST};
	tcp_reply_rst(&cap_ops, k, &rst, PEER, ME, buf);
	assert_int_equal(k->n, 2);
	struct net_tcp sf = {.sport = 4000, .dport = 81, .seq = 10, .flags = TCP_SYN | TCP_FIN,
	                     .payload = (const uint8_t *)"hello", .payload_len = 5};
	tcp_reply_rst(&cap_ops, k, &sf, PEER, ME, buf);
	assert_int_equal(k->v[2].ack, 10 + 1 + 5 + 1);
	free(k);
}

static void test_syn_sent(void **st)
{
	(void)st;
	struct cap *k = calloc(1, sizeof *k);
	struct tcp_conn *c = new_conn(k, 65536, 0);
	assert_int_equal(tcp_connect(c, ME, 1000, PEER, 80, ISS, 0), TCP_OK);
	/* a RST without ACK, or with an unacceptable one: ignored */
	in(c, from_peer(TCP_RST, 1, 0, 0, NULL), 1);
	in(c, from_peer(TCP_RST | TCP_ACK_F, 1, ISS + 50, 0, NULL), 2);
	assert_int_equal(c->state, TCP_SYN_SENT);
	assert_int_equal(k->n, 1);
	/* an old duplicate SYN-ACK: <SEQ=SEG.ACK><CTL=RST>, still SYN_SENT */
	in(c, from_peer(TCP_SYN | TCP_ACK_F, 77, ISS + 50, 100, NULL), 3);
	assert_int_equal(k->n, 2);
	assert_int_equal(k->v[1].flags, TCP_RST);
	assert_int_equal(k->v[1].seq, ISS + 50);
	assert_int_equal(c->state, TCP_SYN_SENT);
	/* the refusal: RST with the right ACK */
	in(c, from_peer(TCP_RST | TCP_ACK_F, 0, ISS + 1, 0, NULL), 4);
	assert_int_equal(c->state, TCP_CLOSED);
	assert_int_equal(c->err, TCP_ERR_REFUSED);
	assert_true(k->events & TCP_EV_CLOSED);
	assert_non_null(strstr(tcp_err_str(c->err), "refused"));
	assert_int_equal(tcp_send(c, "x", 1, 5), -(long)TCP_ERR_REFUSED);
	free_conn(c);
	free(k);
}

static void test_syn_retransmit_karn(void **st)
{
	(void)st;
	struct cap *k = calloc(1, sizeof *k);
	struct tcp_conn *c = new_conn(k, 65536, 0);
	assert_int_equal(tcp_connect(c, ME, 1000, PEER, 80, ISS, 0), TCP_OK);
	assert_int_equal(tcp_deadline(c), TCP_RTO_INIT);
	tcp_expire(c, TCP_RTO_INIT);
	assert_int_equal(k->n, 2);
	assert_int_equal(k->v[1].seq, ISS);
	assert_int_equal(k->v[1].flags, TCP_SYN);
	assert_int_equal(tcp_deadline(c), 3 * TCP_RTO_INIT);
	struct net_tcp sa = from_peer(TCP_SYN | TCP_ACK_F, IRS, ISS + 1, 1000, NULL);
	in(c, sa, 1500000);
	assert_int_equal(c->state, TCP_ESTABLISHED);
	/* Karn: which SYN was answered is unknown, so no sample, and the
	 * backed-off RTO stays */
	assert_int_equal(c->rtt.nsamples, 0);
	assert_int_equal(c->rtt.rto, 2 * TCP_RTO_INIT);
	free_conn(c);
	/* no answer at all: TCP_SYN_RETRIES resends, doubling, then timeout */
	k->n = 0;
	c = new_conn(k, 65536, 0);
	assert_int_equal(tcp_connect(c, ME, 1001, PEER, 80, ISS, 0), TCP_OK);
	uint64_t iv = TCP_RTO_INIT;
	for (int i = 0; i < TCP_SYN_RETRIES; i++) {
		uint64_t d = tcp_deadline(c);
		tcp_expire(c, d);
		iv = 2 * iv > TCP_RTO_MAX ? TCP_RTO_MAX : 2 * iv;   /* RFC 6298 5.5 */
		assert_int_equal(tcp_deadline(c) - d, iv);
	}
	assert_int_equal(k->n, 1 + TCP_SYN_RETRIES);
	tcp_expire(c, tcp_deadline(c));
	assert_int_equal(c->state, TCP_CLOSED);
	assert_int_equal(c->err, TCP_ERR_TIMEOUT);
	free_conn(c);
	free(k);
}

static void test_rst_established(void **st)
{
	(void)st;
	struct cap *k = calloc(1, sizeof *k);
	struct tcp_conn *c = established(k, 0, 1460, 0);
	/* out of the window: silently dropped */
	in(c, from_peer(TCP_RST, IRS + 1 + 200000, 0, 0, NULL), 20);
	assert_int_equal(k->n, 0);
	/* in the window but not rcv_nxt: a challenge ACK (RFC 5961 3.2) */
	in(c, from_peer(TCP_RST, IRS + 11, 0, 0, NULL), 30);
	assert_int_equal(c->state, TCP_ESTABLISHED);
	assert_int_equal(k->n, 1);
	assert_int_equal(k->v[0].flags, TCP_ACK_F);
	assert_int_equal(k->v[0].seq, ISS + 1);
	assert_int_equal(k->v[0].ack, IRS + 1);
	/* at most TCP_CHALLENGE_MAX a second */
	for (int i = 0; i < 30; i++)
		in(c, from_peer(TCP_RST, IRS + 20 + (uint32_t)i, 0, 0, NULL), 40);
	assert_int_equal(k->n, TCP_CHALLENGE_MAX);
	in(c, from_peer(TCP_RST, IRS + 99, 0, 0, NULL), 40 + 1000000);
	assert_int_equal(k->n, TCP_CHALLENGE_MAX + 1);
	/* exactly rcv_nxt: reset */
	in(c, from_peer(TCP_RST, IRS + 1, 0, 0, NULL), 2000000);
	assert_int_equal(c->state, TCP_CLOSED);
	assert_int_equal(c->err, TCP_ERR_RESET);
	assert_true(k->events & TCP_EV_CLOSED);
	free_conn(c);
	free(k);
}

/* Drive an established connection (ISS/IRS above) into state s. */
static void drive(struct tcp_conn *c, enum tcp_state s)
{
	switch (s) {
	case TCP_FIN_WAIT_1:
		assert_int_equal(tcp_shutdown(c, 20), TCP_OK);
		break;
	case TCP_FIN_WAIT_2:
		drive(c, TCP_FIN_WAIT_1);
		in(c, from_peer(TCP_ACK_F, IRS + 1, ISS + 2, 1000, NULL), 30);
		break;
	case TCP_CLOSE_WAIT:
		in(c, from_peer(TCP_FIN | TCP_ACK_F, IRS + 1, ISS + 1, 1000, NULL), 30);
		break;
	case TCP_LAST_ACK:
		drive(c, TCP_CLOSE_WAIT);
		assert_int_equal(tcp_shutdown(c, 40), TCP_OK);
		break;
	case TCP_CLOSING:
		drive(c, TCP_FIN_WAIT_1);
		in(c, from_peer(TCP_FIN | TCP_ACK_F, IRS + 1, ISS + 1, 1000, NULL), 30);
		break;
	case TCP_TIME_WAIT:
		drive(c, TCP_FIN_WAIT_2);
		in(c, from_peer(TCP_FIN | TCP_ACK_F, IRS + 1, ISS + 2, 1000, NULL), 40);
		break;
	default:
		fail();
	}
	assert_int_equal(c->state, s);
}

/* FIN_WAIT_2 of a closed connection ends after fin_timeout (60 s, Linux's
 * tcp_fin_timeout) when the peer ACKs our FIN and never sends its own;
 * nothing is sent then.  A connection only shut down stays (its user may
 * still read); closing it later starts the time-out at the close; a FIN
 * before the time-out goes to TIME_WAIT as usual. */
static void test_fin_wait_2_timeout(void **st)
{
	(void)st;
	struct cap *k = calloc(1, sizeof *k);
	struct tcp_conn *c = established(k, 0, 1460, 0);
	assert_int_equal(tcp_close(c, 20), TCP_OK);        /* FIN_WAIT_1, an orphan */
	in(c, from_peer(TCP_ACK_F, IRS + 1, ISS + 2, 1000, NULL), 30);
	assert_int_equal(c->state, TCP_FIN_WAIT_2);
	assert_int_equal(tcp_deadline(c), 30 + 60000000u);
	size_t n = k->n;
	tcp_expire(c, 30 + 60000000u - 1);
	assert_int_equal(c->state, TCP_FIN_WAIT_2);
	/* an ACK from the peer does not restart it */
	in(c, from_peer(TCP_ACK_F, IRS + 1, ISS + 2, 1000, NULL), 1000000);
	assert_int_equal(tcp_deadline(c), 30 + 60000000u);
	tcp_expire(c, 30 + 60000000u);
	assert_int_equal(c->state, TCP_CLOSED);
	assert_int_equal(c->err, TCP_ERR_TIMEOUT);
	assert_int_equal(c->st.fin_timeouts, 1);
	assert_int_equal(k->n, n);                          /* silently, as Linux */
	assert_true(k->events & TCP_EV_CLOSED);
	free_conn(c);
	free(k);

	/* shut down, not closed: no time-out; closed later: from the close */
	k = calloc(1, sizeof *k);
	c = established(k, 0, 1460, 0);
	drive(c, TCP_FIN_WAIT_2);
	assert_int_equal(tcp_deadline(c), TCP_NEVER);
	tcp_expire(c, 500000000);
	assert_int_equal(c->state, TCP_FIN_WAIT_2);
	assert_int_equal(tcp_close(c, 500000000), TCP_OK);
	assert_null(tcp_check(c));
	assert_int_equal(tcp_deadline(c), 500000000 + 60000000u);
	/* the peer's FIN in time: TIME_WAIT (2 MSL from then), not a time-out */
	in(c, from_peer(TCP_FIN | TCP_ACK_F, IRS + 1, ISS + 2, 1000, NULL), 510000000);
	assert_int_equal(c->state, TCP_TIME_WAIT);
	assert_int_equal(tcp_deadline(c), 510000000 + 60000000u);
	tcp_expire(c, 510000000 + 60000000u);
	assert_int_equal(c->state, TCP_CLOSED);
	assert_int_equal(c->err, TCP_OK);
	assert_int_equal(c->st.fin_timeouts, 0);
	free_conn(c);
	free(k);

	/* the conf's value replaces the default */
	k = calloc(1, sizeof *k);
	c = established(k, 0, 1460, 0);
	c->fin_timeout = 2000000;
	assert_int_equal(tcp_close(c, 100), TCP_OK);
	in(c, from_peer(TCP_ACK_F, IRS + 1, ISS + 2, 1000, NULL), 200);
	assert_int_equal(tcp_deadline(c), 200 + 2000000);
	free_conn(c);
	free(k);
}

static void test_rst_each_state(void **st)
{
	(void)st;
	static const enum tcp_state states[] = {TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT,
	                                        TCP_LAST_ACK, TCP_CLOSING, TCP_TIME_WAIT};
	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
		struct cap *k = calloc(1, sizeof *k);
		struct tcp_conn *c = established(k, 0, 1460, 0);
		drive(c, states[i]);
		size_t n = k->n;
		in(c, from_peer(TCP_RST, c->rcv_nxt, 0, 0, NULL), 100);
		if (states[i] == TCP_TIME_WAIT) {
			/* RFC 1337: no TIME_WAIT assassination */
			assert_int_equal(c->state, TCP_TIME_WAIT);
		} else {
			assert_int_equal(c->state, TCP_CLOSED);
			assert_int_equal(c->err, TCP_ERR_RESET);
		}
		assert_int_equal(k->n, n);   /* a RST is never answered */
		free_conn(c);
		free(k);
	}
	/* SYN_RECEIVED on a listener: the embryo dies and is given back */
	struct cap *k = calloc(1, sizeof *k);
	struct tcp_listener l;
	k->rxcap = 65536;
	assert_int_equal(tcp_listen_init(&l, ME, 1000, 4, 4, key, 65536, 0, &cap_ops, k), TCP_OK);
	struct net_tcp syn = from_peer(TCP_SYN, IRS, 0, 1000, NULL);
	tcp_listen_input(&l, &syn, PEER, ME, 0);
	assert_int_equal(l.nsyn, 1);
	struct tcp_conn *e = l.synq;
	assert_int_equal(e->state, TCP_SYN_RECEIVED);
	in(e, from_peer(TCP_RST, IRS + 5, 0, 0, NULL), 10);
	assert_int_equal(e->state, TCP_SYN_RECEIVED);
	in(e, from_peer(TCP_RST, IRS + 1, 0, 0, NULL), 20);
	assert_int_equal(e->state, TCP_CLOSED);
	assert_int_equal(tcp_listen_deadline(&l), 0);
	tcp_listen_expire(&l, 30);
	assert_int_equal(k->frees, 1);
	assert_int_equal(l.nsyn, 0);
	assert_null(tcp_accept(&l));
	free(k);
}

static void test_syn_and_acks_in_window(void **st)
{
	(void)st;
	struct cap *k = calloc(1, sizeof *k);
	struct tcp_conn *c = established(k, 0, 1460, 0);
	/* SYN in a synchronized state: challenge ACK, state kept (5961 4.2) */
	in(c, from_peer(TCP_SYN, IRS + 1, 0, 1000, NULL), 20);
	assert_int_equal(c->state, TCP_ESTABLISHED);
	assert_int_equal(k->n, 1);
	assert_int_equal(k->v[0].flags, TCP_ACK_F);
	assert_int_equal(k->v[0].ack, IRS + 1);
	/* an ACK of something never sent: ACK and drop */
	in(c, from_peer(TCP_ACK_F, IRS + 1, ISS + 5000, 1000, NULL), 30);
	assert_int_equal(k->n, 2);
	assert_int_equal(c->snd_una, ISS + 1);
	/* an ACK older than snd_una - MAX.SND.WND (RFC 5961 5.2) */
	in(c, from_peer(TCP_ACK_F, IRS + 1, ISS - 70000, 1000, NULL), 40);
	assert_int_equal(k->n, 3);
	assert_int_equal(c->snd_una, ISS + 1);
	assert_int_equal(c->state, TCP_ESTABLISHED);
	free_conn(c);
	free(k);
}

static void test_old_and_out_of_window(void **st)
{
	(void)st;
	struct cap *k = calloc(1, sizeof *k);
	struct tcp_conn *c = established(k, 0, 1460, 0);
	char buf[64];
	in(c, from_peer(TCP_ACK_F | TCP_PSH, IRS + 1, ISS + 1, 1000, "0123456789"), 20);
	assert_int_equal(tcp_readable(c), 10);
	size_t n = k->n;
	/* the same segment again: not delivered twice, an ACK for rcv_nxt */
	in(c, from_peer(TCP_ACK_F | TCP_PSH, IRS + 1, ISS + 1, 1000, "0123456789"), 30);
	assert_int_equal(tcp_readable(c), 10);
	assert_int_equal(k->n, n + 1);
	assert_int_equal(k->v[n].ack, IRS + 11);
	/* past the window: dropped, ACKed */
	uint32_t right = c->rcv_adv;
	in(c, from_peer(TCP_ACK_F, right + 10, ISS + 1, 1000, "zz"), 40);
	assert_int_equal(k->n, n + 2);
	assert_int_equal(k->v[n + 1].ack, IRS + 11);
	assert_int_equal(c->nooo, 0);
	/* straddling the right edge: trimmed to it, kept out of order */
	in(c, from_peer(TCP_ACK_F, right - 4, ISS + 1, 1000, "abcdefgh"), 50);
	assert_int_equal(c->nooo, 1);
	assert_int_equal(c->ooo[0].start, right - 4);
	assert_int_equal(c->ooo[0].end, right);
	assert_int_equal(tcp_recv(c, buf, sizeof buf, 60), 10);
	assert_memory_equal(buf, "0123456789", 10);
	free_conn(c);
	free(k);
}

static void test_reassembly(void **st)
{
	(void)st;
	struct cap *k = calloc(1, sizeof *k);
	struct tcp_conn *c = established(k, 0, 1460, 0);
	char p1[101], p2[101], p3[101], buf[400];
	memset(p1, 'a', 100), memset(p2, 'b', 100), memset(p3, 'c', 100);
	p1[100] = p2[100] = p3[100] = 0;
	in(c, from_peer(TCP_ACK_F, IRS + 201, ISS + 1, 1000, p3), 20);
	assert_int_equal(tcp_readable(c), 0);
	assert_int_equal(k->v[k->n - 1].ack, IRS + 1);     /* a duplicate ACK at once */
	in(c, from_peer(TCP_ACK_F, IRS + 1, ISS + 1, 1000, p1), 30);
	assert_int_equal(tcp_readable(c), 100);
	assert_int_equal(k->v[k->n - 1].ack, IRS + 101);
	in(c, from_peer(TCP_ACK_F, IRS + 101, ISS + 1, 1000, p2), 40);
	assert_int_equal(tcp_readable(c), 300);
	assert_int_equal(k->v[k->n - 1].ack, IRS + 301);
	assert_int_equal(c->nooo, 0);
	assert_int_equal(tcp_recv(c, buf, sizeof buf, 50), 300);
	assert_memory_equal(buf, p1, 100);
	assert_memory_equal(buf + 100, p2, 100);
	assert_memory_equal(buf + 200, p3, 100);
	free_conn(c);
	free(k);
}

static void test_nagle(void **st)
{
	(void)st;
	struct cap *k = calloc(1, sizeof *k);
	struct tcp_conn *c = established(k, 0, 1460, 0);
	assert_int_equal(tcp_send(c, "a", 1, 20), 1);
	assert_int_equal(k->n, 1);                  /* nothing in flight: sent */
	assert_int_equal(tcp_send(c, "b", 1, 21), 1);
	assert_int_equal(tcp_send(c, "c", 1, 22), 1);
	assert_int_equal(k->n, 1);                  /* held behind the unacked "a" */
	in(c, from_peer(TCP_ACK_F, IRS + 1, ISS + 2, 1000, NULL), 30);
	assert_int_equal(k->n, 2);
	assert_int_equal(k->v[1].payload_len, 2);
	assert_memory_equal(k->v[1].payload, "bc", 2);
	/* no-delay: every write goes at once; turning it on flushes */
	assert_int_equal(tcp_send(c, "d", 1, 40), 1);
	assert_int_equal(k->n, 2);
	tcp_set_nodelay(c, 1, 41);
	assert_int_equal(k->n, 3);
	assert_int_equal(tcp_send(c, "e", 1, 42), 1);
	assert_int_equal(k->n, 4);
	free_conn(c);
	free(k);
}

static void test_mss_and_window_scale(void **st)
{
	(void)st;
	struct cap *k = calloc(1, sizeof *k);
	struct tcp_conn *c = established(k, 0, 536, 7);
	static char big[2000];
	memset(big, 'x', sizeof big);
	assert_int_equal(c->snd_mss, 536);
	assert_int_equal(c->snd_wnd, 65535);        /* from the SYN: unscaled */
	assert_int_equal(tcp_send(c, big, sizeof big, 20), 2000);
	/* initial window 4 * 536 (RFC 5681 3.1); the 392-byte tail waits (Nagle) */
	assert_int_equal(k->n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(k->v[i].payload_len, 536);
	/* our windows are scaled by what we offered: 64 KiB >> 1 */
	assert_int_equal(c->rcv_wscale, ref_wscale(65536));
	assert_int_equal(k->v[0].win, 65536 >> ref_wscale(65536));
	in(c, from_peer(TCP_ACK_F, IRS + 1, ISS + 1 + 536, 100, NULL), 30);
	assert_int_equal(c->snd_wnd, 100u << 7);
	free_conn(c);
	/* a peer without window scaling: neither side scales */
	k->n = 0;
	c = established(k, 0, 1460, -1);
	assert_int_equal(c->rcv_wscale, 0);
	assert_int_equal(c->snd_wscale, 0);
	assert_int_equal(tcp_send(c, "x", 1, 20), 1);
	assert_int_equal(k->v[0].win, 65535);
	free_conn(c);
	free(k);
}

static void test_close_with_unread_data(void **st)
{
	(void)st;
	struct cap *k = calloc(1, sizeof *k);
	struct tcp_conn *c = established(k, 0, 1460, 0);
	in(c, from_peer(TCP_ACK_F, IRS + 1, ISS + 1, 1000, "unread"), 20);
	size_t n = k->n;
	assert_int_equal(tcp_close(c, 30), TCP_OK);
	assert_int_equal(k->n, n + 1);
	assert_int_equal(k->v[n].flags, TCP_RST);
	assert_int_equal(k->v[n].seq, ISS + 1);
	assert_int_equal(c->state, TCP_CLOSED);
	assert_int_equal(c->err, TCP_ERR_ABORTED);
	free_conn(c);
	free(k);
}

static void test_syn_cookies(void **st)
{
	(void)st;
	struct cap *k = calloc(1, sizeof *k);
	struct tcp_listener l;
	k->rxcap = 65536;
	assert_int_equal(tcp_listen_init(&l, ME, 1000, 4, 1, key, 65536, 0, &cap_ops, k), TCP_OK);
	/* an ACK nobody asked for: a RST at its ACK number */
	struct net_tcp forged = from_peer(TCP_ACK_F, 42, 0xdeadbeef, 1000, NULL);
	tcp_listen_input(&l, &forged, PEER, ME, 0);
	assert_int_equal(k->n, 1);
	assert_int_equal(k->v[0].flags, TCP_RST);
	assert_int_equal(k->v[0].seq, 0xdeadbeef);
	assert_int_equal(l.st.cookies_bad, 1);
	/* the SYN queue (1) taken: the next SYN gets a cookie, no memory */
	struct net_tcp s1 = from_peer(TCP_SYN, 100, 0, 1000, NULL);
	tcp_listen_input(&l, &s1, PEER, ME, 0);
	struct net_tcp s2 = from_peer(TCP_SYN, IRS, 0, 1000, NULL);
	s2.sport = 81;
	s2.opt.has_mss = 1, s2.opt.mss = 1300;
	s2.opt.has_wscale = 1, s2.opt.wscale = 6;
	tcp_listen_input(&l, &s2, PEER, ME, 10);
	assert_int_equal(k->news, 1);
	assert_int_equal(l.st.cookies_sent, 1);
	const struct net_tcp *sa = &k->v[k->n - 1];
	assert_int_equal(sa->flags, TCP_SYN | TCP_ACK_F);
	assert_int_equal(sa->ack, IRS + 1);
	uint32_t cookie = sa->seq;
	/* a stale answer (200 s later) is refused */
	struct net_tcp ack = from_peer(TCP_ACK_F, IRS + 1, cookie + 1, 500, NULL);
	ack.sport = 81;
	tcp_listen_input(&l, &ack, PEER, ME, 200000000ull);
	assert_int_equal(l.st.cookies_bad, 2);
	/* a wrong client ISN is refused */
	ack.seq = IRS + 2;
	tcp_listen_input(&l, &ack, PEER, ME, 20);
	assert_int_equal(l.st.cookies_bad, 3);
	/* the real answer makes the connection, with the MSS class and scale */
	ack.seq = IRS + 1;
	ack.payload = (const uint8_t *)"hi";
	ack.payload_len = 2;
	tcp_listen_input(&l, &ack, PEER, ME, 20);
	assert_int_equal(l.st.cookies_ok, 1);
	struct tcp_conn *c = tcp_accept(&l);
	assert_non_null(c);
	assert_int_equal(c->state, TCP_ESTABLISHED);
	assert_int_equal(c->snd_mss, 1220);          /* largest class <= 1300 */
	assert_int_equal(c->snd_wscale, 6);
	assert_int_equal(c->snd_wnd, 500u << 6);
	assert_int_equal(c->iss, cookie);
	assert_int_equal(c->rcv_nxt, IRS + 3);       /* the data it carried */
	assert_int_equal(tcp_readable(c), 2);
	assert_null(tcp_check(c));
	free_conn(c);
	tcp_listen_close(&l, 30);
	assert_int_equal(k->frees, 1);
	free(k);
}

static void test_bad_arguments(void **st)
{
	(void)st;
	struct cap *k = calloc(1, sizeof *k);
	uint8_t b[16];
	struct tcp_conn *c = malloc(sizeof *c);
	struct tcp_conf cf = {.rxbuf = b, .txbuf = b, .rxcap = 0, .txcap = 16, .ops = &cap_ops};
	assert_int_equal(tcp_conn_init(c, &cf), TCP_ERR_INVAL);
	cf.rxcap = 16, cf.mss = 10;
	assert_int_equal(tcp_conn_init(c, &cf), TCP_ERR_INVAL);
	cf.mss = 0, cf.ops = NULL;
	assert_int_equal(tcp_conn_init(c, &cf), TCP_ERR_INVAL);
	cf.ops = &cap_ops, cf.ctx = k;
	assert_int_equal(tcp_conn_init(c, &cf), TCP_OK);
	assert_int_equal(tcp_send(c, "x", 1, 0), -(long)TCP_ERR_STATE);
	assert_int_equal(tcp_shutdown(c, 0), TCP_ERR_STATE);
	assert_int_equal(tcp_connect(c, ME, 0, PEER, 80, 1, 0), TCP_ERR_INVAL);
	assert_int_equal(tcp_connect(c, ME, 1, PEER, 80, 1, 0), TCP_OK);
	assert_int_equal(tcp_connect(c, ME, 1, PEER, 80, 1, 0), TCP_ERR_STATE);
	free(c);
	struct tcp_listener l;
	assert_int_equal(tcp_listen_init(&l, ME, 80, 0, 4, key, 1024, 0, &cap_ops, k),
	                 TCP_ERR_INVAL);
	for (int e = 0; e < TCP_NERR; e++)
		for (int f = e + 1; f < TCP_NERR; f++)
			assert_string_not_equal(tcp_err_str((enum tcp_err)e),
			                        tcp_err_str((enum tcp_err)f));
	assert_string_equal(tcp_err_str((enum tcp_err)99), "?");
	assert_string_equal(tcp_state_name((enum tcp_state)99), "?");
	assert_string_equal(tcp_state_name(TCP_TIME_WAIT), "TIME_WAIT");
	free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_closed_port),
		cmocka_unit_test(test_syn_sent),
		cmocka_unit_test(test_syn_retransmit_karn),
		cmocka_unit_test(test_rst_established),
		cmocka_unit_test(test_rst_each_state),
		cmocka_unit_test(test_fin_wait_2_timeout),
		cmocka_unit_test(test_syn_and_acks_in_window),
		cmocka_unit_test(test_old_and_out_of_window),
		cmocka_unit_test(test_reassembly),
		cmocka_unit_test(test_nagle),
		cmocka_unit_test(test_mss_and_window_scale),
		cmocka_unit_test(test_close_with_unread_data),
		cmocka_unit_test(test_syn_cookies),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

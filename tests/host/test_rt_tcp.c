/*
 * test_rt_tcp.c - host tests of TCP on the runtime (rt/net/tcp_sock.c,
 * tcp_api.c over the TCP state machine and the stack) through the hosted
 * in-memory link (rt/hosted/rt_net_hosted.c), plain, ASan and TSan.
 *
 * Truth: the recorded frames of tests/fixtures/net/ (Linux 6.18 on a veth
 * pair: an ARP exchange and a TCP connection from 192.0.2.1:53470 to
 * 192.0.2.2:8000) and tcpdump's reading of them; checksums by the tests'
 * own RFC 1071 reference (net_fx.c):
 *   - a listener given Linux's recorded SYN answers SYN-ACK with ack =
 *     its sequence + 1 and MSS 1460, sends it again after the initial
 *     RTO while every goroutine is parked (the runtime's timer), and
 *     after the recorded ACK and request (their ack rewritten to our
 *     ISN + 1) the accepting goroutine reads the request's 12 bytes and
 *     its "ok\n" and FIN leave at ISN + 1 and + 4 acknowledging them, each
 *     checksum verified by the reference;
 *   - connect sends a SYN (MSS 1460) behind Linux's ARP request; given
 *     Linux's recorded SYN-ACK (port and ack rewritten to ours) it ACKs
 *     the server's sequence + 1 and returns; a read past its deadline
 *     fails with TALLY_ETIMEDOUT no sooner; a select on the socket's
 *     readiness channel and a 3 s timer is won by the recorded "ok\n",
 *     which is then read, and the FIN acknowledges its 3 bytes;
 *   - with tcp_fin_timeout at 400 ms, a server that closes after the
 *     request, a peer that ACKs our FIN and is never heard again: the
 *     connection stays in FIN_WAIT_2 (still counted, nothing sent) and is
 *     gone no sooner than 400 ms later, counted in tcp.fin_timeouts; a
 *     late segment then draws a RST, and once the listener is closed too
 *     no socket memory is left.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rt/net/net.h"
#include "rt/rt_impl.h"
#include "rt/include/tally.h"
#include "tests/host/net_fx.h"
#include "tests/host/rt_test.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define TAKE_NS (3 * SEC)   /* the longest a reply may take on a busy host */

struct shared {
	volatile int64_t done;
	volatile unsigned mode;
};
RT_TEST_SCAFFOLD

/* loaded in the parent; the children inherit them */
static struct nfx fx_arp, fx_tcp;

static const uint8_t mac1[6] = { 2, 0, 0, 0, 0, 1 }, mac2[6] = { 2, 0, 0, 0, 0, 2 };
#define IP1 0xc0000201u
#define IP2 0xc0000202u

static uint64_t stat(const char *name)
{
	struct tally_net_stats st;
	RT_CHECK(tally_net_stats(&st) == 0);
	return tally_net_stat(&st, name);
}

/* The next frame the stack sent, waiting at most ns: the goroutine
 * sleeps between looks (parked, so its M polls the link). */
static size_t take_within(uint8_t *buf, uint64_t ns)
{
	uint64_t t0 = tally_nanotime();
	for (;;) {
		size_t n = rt_test_net_take(buf, 1514, 0);
		if (n || tally_nanotime() - t0 >= ns)
			return n;
		tally_sleep(MS / 2);
	}
}

static size_t take(uint8_t *buf) { return take_within(buf, TAKE_NS); }

static void start_static(const uint8_t *mac, uint32_t ip)
{
	rt_test_net_enable(mac, S->mode, ip, 0xffffff00u, 0);
	RT_CHECK(tally_net_up(0) == 0);
}

/* ---- TCP through the stack: a listener, Linux's recorded client ---- */

static struct tally_chan *tcp_done;

/* The server: accept, read the client's 12 bytes, answer "ok\n", close. */
static void tcp_server(void *arg)
{
	struct tally_tcp *l = arg, *c = NULL;
	int st = tally_tcp_accept(l, &c);
	char buf[64];
	long n = st == 0 ? tally_tcp_read(c, buf, sizeof(buf)) : -1;
	if (n == 12 && !memcmp(buf, "GET / tally\n", 12))
		st = tally_tcp_write(c, "ok\n", 3) == 3 ? 0 : -2;
	else
		st = -3;
	if (c)
		tally_tcp_close(c);
	tally_chan_send(tcp_done, &st);
}

/* The TCP checksum of frame f by the reference, over its pseudo-header. */
static int tcp_csum_ok(const uint8_t *f)
{
	uint8_t ph[12];
	unsigned tlen = net_get16(f + 16) - 20u;
	memcpy(ph, f + 26, 8);
	ph[8] = 0, ph[9] = 6, ph[10] = (uint8_t)(tlen >> 8), ph[11] = (uint8_t)tlen;
	return nfx_ref_csum(ph, 12, f + 34, tlen) == 0;
}

/* A recorded client frame with its acknowledgment rewritten to ack. */
static void inject_acked(size_t i, uint32_t ack)
{
	uint8_t *f = nfx_copy(&fx_tcp, i);
	net_put32(f + 42, ack);
	nfx_fix_l4(f, fx_tcp.len[i]);
	rt_test_net_inject(f, fx_tcp.len[i]);
	free(f);
}

static void tcp_listen_main(void *arg)
{
	(void)arg;
	start_static(mac2, IP2);
	uint8_t f[1514];
	rt_test_net_inject(fx_arp.frame[0], fx_arp.len[0]);  /* learn .1 */
	take(f);
	struct tally_tcp *l;
	RT_CHECK(tally_tcp_listen(&l, 8000, 4) == 0);
	tcp_done = tally_chan_make(sizeof(int), 1);
	tally_go(tcp_server, l);
	uint32_t cseq = 1574307705u;  /* tcpdump's reading of the SYN */
	rt_test_net_inject(fx_tcp.frame[0], fx_tcp.len[0]);
	size_t n = take(f);
	RT_CHECK(n >= 58 && tcp_csum_ok(f));
	RT_CHECK(net_get16(f + 34) == 8000 && net_get16(f + 36) == 53470);
	RT_CHECK(f[47] == (TCP_SYN | TCP_ACK_F) && net_get32(f + 42) == cseq + 1);
	RT_CHECK(f[54] == 2 && f[55] == 4 && net_get16(f + 56) == 1460);  /* MSS first */
	uint32_t iss = net_get32(f + 38);
	/* unanswered, the SYN-ACK comes again after the initial RTO (1 s),
	 * from the runtime's timer while every goroutine is parked */
	uint64_t t0 = tally_nanotime();
	n = take_within(f, 4 * SEC);
	uint64_t dt = tally_nanotime() - t0;
	RT_CHECK(n >= 58 && f[47] == (TCP_SYN | TCP_ACK_F) && net_get32(f + 38) == iss);
	RT_CHECK(dt >= 900 * MS);
	RT_CHECK(stat("tcp.retransmits") == 1);  /* the one we saw */
	/* the handshake's ACK and the request, acknowledging our SYN */
	inject_acked(2, iss + 1);
	inject_acked(3, iss + 1);
	/* the answer: "ok\n" at iss + 1, acknowledging the request's 12 bytes;
	 * a pure ACK may come first, and the FIN may ride on the data */
	int got_data = 0, got_fin = 0;
	for (int k = 0; k < 4 && !(got_data && got_fin); k++) {
		n = take(f);
		RT_CHECK(n >= 54 && tcp_csum_ok(f));
		RT_CHECK(net_get32(f + 42) == cseq + 13);
		size_t off = 34 + (size_t)(f[46] >> 4) * 4;
		size_t plen = 14 + net_get16(f + 16) - off;
		if (plen) {
			RT_CHECK(plen == 3 && !memcmp(f + off, "ok\n", 3));
			RT_CHECK(net_get32(f + 38) == iss + 1);
			got_data = 1;
		}
		if (f[47] & TCP_FIN) {
			RT_CHECK(net_get32(f + 38) == iss + 1 + 3);
			got_fin = 1;
		}
	}
	RT_CHECK(got_data && got_fin);
	int st = 1;
	tally_chan_recv(tcp_done, &st);
	RT_CHECK(st == 0);
	RT_CHECK(stat("tcp.accepted") == 1 && stat("drop.tcp_no_listener") == 0);
	RT_CHECK(tally_tcp_close(l) == 0);
}

static void tcp_listen_accept_answer(void **st)
{
	(void)st;
	reset();
	rt_test_run(tcp_listen_main, NULL, 2);
}

/* ---- TCP connect: Linux's recorded server answers ---- */

static struct tally_chan *cl_events;

/* The client: connect, a read past its deadline, then a select on the
 * socket's readiness and a timer, which the answer wins, and the read. */
static void tcp_client(void *arg)
{
	(void)arg;
	struct tally_tcp *c;
	int ev = tally_tcp_connect(&c, IP2, 8000, tally_nanotime() + 5 * SEC);
	tally_chan_send(cl_events, &ev);
	if (ev < 0)
		return;
	uint64_t t0 = tally_nanotime();
	tally_tcp_set_deadlines(c, t0 + 300 * MS, 0);
	char buf[16];
	long n = tally_tcp_read(c, buf, sizeof(buf));
	ev = n == TALLY_ETIMEDOUT && tally_nanotime() - t0 >= 300 * MS ? 1 : -1;
	tally_chan_send(cl_events, &ev);
	tally_tcp_set_deadlines(c, 0, 0);
	/* select: the socket's readiness against a 3 s timer; the answer
	 * comes first (the test injects it after ev 1) */
	struct tally_chan *ready = tally_tcp_ready(c);
	struct tally_timer *t = tally_timer_new(3 * SEC);
	uint8_t tok;
	struct tally_select_case cs[2] = {
		{ TALLY_RECV, ready, &tok, 0 },
		{ TALLY_RECV, tally_timer_chan(t), NULL, 0 },
	};
	int which = tally_select(cs, 2, 0);
	tally_timer_free(t);
	n = which == 0 ? tally_tcp_read(c, buf, sizeof(buf)) : -1;
	ev = n == 3 && !memcmp(buf, "ok\n", 3) && tally_tcp_ready(c) == ready ? 2 : -2;
	tally_tcp_close(c);
	tally_chan_send(cl_events, &ev);
}

/* Recorded server frame i, sent to our port with ack rewritten. */
static void inject_to(size_t i, uint16_t dport, uint32_t ack)
{
	uint8_t *f = nfx_copy(&fx_tcp, i);
	net_put16(f + 36, dport);
	net_put32(f + 42, ack);
	nfx_fix_l4(f, fx_tcp.len[i]);
	rt_test_net_inject(f, fx_tcp.len[i]);
	free(f);
}

static void tcp_connect_main(void *arg)
{
	(void)arg;
	start_static(mac1, IP1);
	uint8_t f[1514];
	cl_events = tally_chan_make(sizeof(int), 4);
	tally_go(tcp_client, NULL);
	size_t n = take(f);
	RT_CHECK(n == fx_arp.len[0] && !memcmp(f, fx_arp.frame[0], n));  /* Linux's request */
	rt_test_net_inject(fx_arp.frame[1], fx_arp.len[1]);
	n = take(f);  /* the SYN, waiting behind ARP */
	RT_CHECK(n >= 58 && tcp_csum_ok(f) && f[47] == TCP_SYN);
	RT_CHECK(net_get16(f + 36) == 8000 && net_get16(f + 34) >= 49152);
	RT_CHECK(f[54] == 2 && f[55] == 4 && net_get16(f + 56) == 1460);
	uint16_t port = net_get16(f + 34);
	uint32_t iss = net_get32(f + 38), sseq = 893584139u;  /* tcpdump: the SYN-ACK's */
	inject_to(1, port, iss + 1);
	n = take(f);  /* our ACK of the SYN-ACK */
	RT_CHECK(n >= 54 && tcp_csum_ok(f) && f[47] == TCP_ACK_F);
	RT_CHECK(net_get32(f + 38) == iss + 1 && net_get32(f + 42) == sseq + 1);
	int ev = -9;
	tally_chan_recv(cl_events, &ev);
	RT_CHECK(ev == 0);
	tally_chan_recv(cl_events, &ev);
	RT_CHECK(ev == 1);  /* the read deadline passed */
	inject_to(5, port, iss + 1);  /* the server's "ok\n" */
	tally_chan_recv(cl_events, &ev);
	RT_CHECK(ev == 2);
	int fin = 0;
	for (int k = 0; k < 3 && !fin; k++) {  /* an ACK, then the FIN */
		n = take(f);
		RT_CHECK(n >= 54 && tcp_csum_ok(f) && net_get32(f + 42) == sseq + 1 + 3);
		fin = (f[47] & TCP_FIN) != 0;
	}
	RT_CHECK(fin && stat("tcp.connected") == 1);
}

static void tcp_connect_deadline_read(void **st)
{
	(void)st;
	reset();
	rt_test_run(tcp_connect_main, NULL, 2);
}

/* ---- FIN_WAIT_2 time-out: the peer ACKs our FIN and vanishes ---- */

static struct tally_chan *fw_closed;

/* The server: accept, read the request, close at once (our FIN first). */
static void fw_server(void *arg)
{
	struct tally_tcp *l = arg, *c = NULL;
	int st = tally_tcp_accept(l, &c);
	char buf[64];
	if (st == 0 && tally_tcp_read(c, buf, sizeof(buf)) == 12)
		st = tally_tcp_close(c);
	else
		st = -1;
	tally_chan_send(fw_closed, &st);
}

#define FW_TIMEOUT_US 400000u   /* tcp_fin_timeout=400ms */

static void tcp_fin_wait_2_main(void *arg)
{
	(void)arg;
	rt_test_net_fin_timeout(FW_TIMEOUT_US);
	start_static(mac2, IP2);
	uint8_t f[1514];
	rt_test_net_inject(fx_arp.frame[0], fx_arp.len[0]);
	take(f);
	struct tally_tcp *l;
	RT_CHECK(tally_tcp_listen(&l, 8000, 4) == 0);
	fw_closed = tally_chan_make(sizeof(int), 1);
	tally_go(fw_server, l);
	uint32_t cseq = 1574307705u;
	rt_test_net_inject(fx_tcp.frame[0], fx_tcp.len[0]);
	size_t n = take(f);
	RT_CHECK(n >= 58 && f[47] == (TCP_SYN | TCP_ACK_F));
	uint32_t iss = net_get32(f + 38);
	inject_acked(2, iss + 1);
	inject_acked(3, iss + 1);   /* the 12-byte request */
	int st = 1;
	tally_chan_recv(fw_closed, &st);
	RT_CHECK(st == 0);
	/* our FIN at iss + 1 (after a pure ACK of the request, perhaps) */
	int fin = 0;
	for (int k = 0; k < 3 && !fin; k++) {
		n = take(f);
		RT_CHECK(n >= 54 && tcp_csum_ok(f));
		fin = (f[47] & TCP_FIN) != 0;
	}
	RT_CHECK(fin && net_get32(f + 38) == iss + 1);
	/* the peer ACKs the FIN (the recorded ACK frame, its ack moved past
	 * our FIN and its sequence past the request) and is never heard again */
	uint8_t *a = nfx_copy(&fx_tcp, 2);
	net_put32(a + 38, cseq + 13);
	net_put32(a + 42, iss + 2);
	nfx_fix_l4(a, fx_tcp.len[2]);
	rt_test_net_inject(a, fx_tcp.len[2]);
	free(a);
	uint64_t t0 = tally_nanotime();
	tally_sleep(100 * MS);
	/* FIN_WAIT_2: the connection is still there, nothing sent */
	RT_CHECK(stat("tcp.conns") == 1 && stat("tcp.fin_timeouts") == 0);
	RT_CHECK(rt_test_net_take(f, sizeof(f), 0) == 0);
	uint64_t mem_alive = stat("tcp.mem_bytes");
	while (stat("tcp.fin_timeouts") == 0 && tally_nanotime() - t0 < 5 * SEC)
		tally_sleep(10 * MS);
	uint64_t dt = tally_nanotime() - t0;
	RT_CHECK(stat("tcp.fin_timeouts") == 1);
	RT_CHECK(dt >= FW_TIMEOUT_US * 1000ull);   /* not before the time-out */
	RT_CHECK(stat("tcp.conns") == 0);
	RT_CHECK(rt_test_net_take(f, sizeof(f), 0) == 0);   /* silently, as Linux */
	/* a late segment from the vanished peer finds no connection: a RST */
	inject_acked(3, iss + 2);
	n = take(f);
	RT_CHECK(n >= 54 && (f[47] & TCP_RST));
	/* the socket was freed (the graveyard, drained by the next call):
	 * with the listener and its pool gone nothing is left */
	RT_CHECK(mem_alive > 0);
	RT_CHECK(tally_tcp_close(l) == 0);
	RT_CHECK(stat("tcp.mem_bytes") == 0);
}

static void tcp_fin_wait_2_timeout(void **st)
{
	(void)st;
	reset();
	rt_test_run(tcp_fin_wait_2_main, NULL, 2);
}

static int setup(void **st)
{
	(void)st;
	nfx_load("arp_icmp", &fx_arp);
	nfx_load("tcp", &fx_tcp);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcp_listen_accept_answer),
		cmocka_unit_test(tcp_connect_deadline_read),
		cmocka_unit_test(tcp_fin_wait_2_timeout),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

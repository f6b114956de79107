/*
 * test_rt_net.c - host tests of the network stack running on the
 * runtime (rt/net/stack.c, sock.c, dhcp_client.c, rt/netpoll.c) over the
 * hosted in-memory link (rt/hosted/rt_net_hosted.c), plain, ASan and TSan.
 *
 * Truth: the recorded frames of tests/fixtures/net/ (Linux 6.18 on a veth
 * pair, busybox, QEMU's slirp) and tcpdump's reading of them:
 *   - given Linux's ARP request, the stack answers with Linux's ARP reply
 *     byte for byte (the stack plays 192.0.2.2 with the recorded MAC);
 *   - given Linux's echo request, the echo reply equals Linux's except
 *     the IP identification and so the header checksum (which must
 *     verify by the tests' own RFC 1071 reference);
 *   - the UDP echo of the recorded datagram equals the recorded echo the
 *     same way; playing 192.0.2.1, the stack's ARP request for 192.0.2.2
 *     is Linux's byte for byte;
 *   - a SYN to a closed port gets RST/ACK with ack = the SYN's sequence
 *     (tcpdump's reading) + 1, RFC 9293 3.10.7.1;
 *   - the DHCP client binds the address slirp's recorded OFFER and ACK
 *     give (the test's peer rewrites only their transaction id);
 *   - an ARP request for that address before DHCP bound it (slirp's, for
 *     a datagram forwarded early) is drop.no_addr and gets no reply;
 *     once bound it gets one, and a request between two other hosts is
 *     drop.arp_other;
 *   - garbage (crafted defects of recorded frames) moves exactly the
 *     drop counter the defect implies and nothing else;
 *   - with a link that interrupts once per arming (virtio's EVENT_IDX),
 *     echo requests sent one at a time are all answered in every mode;
 *   - the poller's counters already count a poll and its frame when a
 *     goroutine that frame readied reads them, the poll still running;
 *   - a goroutine parked in recvfrom is readied by a frame put on the
 *     link by another thread, in each netpoll mode, even when every
 *     goroutine is parked (no false deadlock); deadlines and close end a
 *     parked read with their codes;
 *   - select over a socket's readiness channel, another channel and a
 *     timer picks the timer when nothing comes and the socket when a
 *     frame comes first; a close wakes it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
static struct nfx fx_arp, fx_udp, fx_tcp, fx_dhcp;

static const uint8_t mac1[6] = { 2, 0, 0, 0, 0, 1 }, mac2[6] = { 2, 0, 0, 0, 0, 2 };
#define IP1 0xc0000201u
#define IP2 0xc0000202u

static uint64_t stat(const char *name)
{
	struct tally_net_stats st;
	RT_CHECK(tally_net_stats(&st) == 0);
	return tally_net_stat(&st, name);
}

/* Every counter whose name starts with prefix, summed. */
static uint64_t stat_sum(const char *prefix)
{
	struct tally_net_stats st;
	RT_CHECK(tally_net_stats(&st) == 0);
	uint64_t s = 0;
	for (unsigned i = 0; i < st.n; i++)
		if (!strncmp(st.c[i].name, prefix, strlen(prefix)))
			s += st.c[i].value;
	return s;
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

/* Equal except bytes [skip, skip + n) of the IP header's id and checksum,
 * and the IP header's checksum verifies by the reference. */
static void check_like(const uint8_t *got, size_t glen, const uint8_t *want, size_t wlen)
{
	RT_CHECK(glen == wlen);
	for (size_t i = 0; i < wlen; i++) {
		if (i == 18 || i == 19 || i == 24 || i == 25)
			continue;  /* IP id, header checksum */
		RT_CHECK(got[i] == want[i]);
	}
	RT_CHECK(nfx_ref_csum(NULL, 0, got + 14, 20) == 0);
}

static void start_static(const uint8_t *mac, uint32_t ip)
{
	rt_test_net_enable(mac, S->mode, ip, 0xffffff00u, 0);
	RT_CHECK(tally_net_up(0) == 0);
}

/* Run fn once in each netpoll mode (hybrid, poll, irq): poll mode on 4
 * Ms, the others on 1. */
static void in_each_mode(void (*fn)(void *))
{
	for (unsigned mode = 0; mode < 3; mode++) {
		reset();
		S->mode = mode;
		rt_test_run(fn, NULL, mode == RT_NETPOLL_POLL ? 4 : 1);
	}
}

/* ---- ARP and ICMP answered as Linux answers ---- */

static void arp_echo_main(void *arg)
{
	(void)arg;
	start_static(mac2, IP2);
	uint8_t f[1514];
	RT_CHECK(rt_test_net_inject(fx_arp.frame[0], fx_arp.len[0]) == 0);
	size_t n = take(f);
	RT_CHECK(n == fx_arp.len[1]);
	RT_CHECK(!memcmp(f, fx_arp.frame[1], n));
	RT_CHECK(rt_test_net_inject(fx_arp.frame[2], fx_arp.len[2]) == 0);
	n = take(f);
	check_like(f, n, fx_arp.frame[3], fx_arp.len[3]);
	RT_CHECK(stat("arp.requests_in") == 1 && stat("arp.replies_out") == 1);
	RT_CHECK(stat("icmp.echo_in") == 1 && stat("icmp.echo_out") == 1);
	RT_CHECK(stat("rx.accepted") == 2 && stat("rx.frames") == 2);
	RT_CHECK(stat_sum("drop.") == 0);
	RT_CHECK(take_within(f, 50 * MS) == 0);  /* nothing else sent */
}

static void arp_and_echo_as_linux(void **st)
{
	(void)st;
	in_each_mode(arp_echo_main);
}

/* ---- a frame that came before the poller started ----
 * The device's receive interrupt for a frame that arrives before the
 * poller arms it goes nowhere (on the machine: QEMU's slirp asks by ARP
 * for the guest as soon as a forwarded datagram reaches it, and with
 * EVENT_IDX the device interrupts again only once the ring is read), so
 * the poller must look at the ring when it starts; in irq mode nothing
 * else would read it. */

static void early_main(void *arg)
{
	(void)arg;
	rt_test_net_enable(mac2, S->mode, IP2, 0xffffff00u, 0);
	/* the link's interrupt is off until the stack starts the poller */
	RT_CHECK(rt_test_net_inject(fx_arp.frame[0], fx_arp.len[0]) == 0);
	RT_CHECK(tally_net_up(0) == 0);
	uint8_t f[1514];
	size_t n = take(f);
	RT_CHECK(n == fx_arp.len[1]);
	RT_CHECK(!memcmp(f, fx_arp.frame[1], n));
	RT_CHECK(stat("arp.requests_in") == 1 && stat("arp.replies_out") == 1);
}

static void frame_before_poller_starts(void **st)
{
	(void)st;
	in_each_mode(early_main);
}

/* ---- one interrupt per arming ----
 * virtio-net with EVENT_IDX interrupts for a frame only when the driver
 * has published that it read the ring up to it; the hosted link's
 * event_idx model publishes only when the interrupt is armed.  Echo
 * requests one at a time: in irq mode each one after the first is
 * answered only if the poller re-armed after the poll that emptied the
 * ring (hybrid arms when a poll finds nothing; poll mode needs none). */

static void one_irq_main(void *arg)
{
	(void)arg;
	rt_test_net_event_idx(1);
	start_static(mac2, IP2);
	uint8_t f[1514];
	RT_CHECK(rt_test_net_inject(fx_arp.frame[0], fx_arp.len[0]) == 0);
	RT_CHECK(take(f) == fx_arp.len[1]);
	for (int i = 0; i < 8; i++) {
		RT_CHECK(rt_test_net_inject(fx_arp.frame[2], fx_arp.len[2]) == 0);
		size_t n = take(f);
		RT_CHECK(n == fx_arp.len[3]);
		check_like(f, n, fx_arp.frame[3], fx_arp.len[3]);
	}
	RT_CHECK(stat("icmp.echo_in") == 8 && stat("icmp.echo_out") == 8);
	if (S->mode == RT_NETPOLL_IRQ)
		RT_CHECK(rt_test_net_irqs() == 9);  /* every frame interrupted: none polled */
}

static void irq_rearmed_after_each_poll(void **st)
{
	(void)st;
	in_each_mode(one_irq_main);
}

/* ---- the poller's counters, read while a poll runs ----
 * A frame the poller hands to the stack can ready a goroutine on another
 * M, which reads the statistics while that poll still runs: the link
 * holds the poller inside its poll after the datagram, and the reader
 * must already see the poll and the frame counted. */

static void counted_main(void *arg)
{
	(void)arg;
	start_static(mac2, IP2);
	struct tally_udp *s;
	uint8_t buf[2048];
	RT_CHECK(tally_udp_open(&s, 7000) == 0);
	rt_test_net_hold(1);
	RT_CHECK(rt_test_net_inject(fx_udp.frame[0], fx_udp.len[0]) == 0);
	RT_CHECK(tally_udp_recvfrom(s, buf, sizeof(buf), NULL, NULL) == 30);
	uint64_t polls = stat("netpoll.polls"), frames = stat("netpoll.frames");
	rt_test_net_release();
	RT_CHECK(polls >= 1);
	RT_CHECK(frames >= 1);
	RT_CHECK(tally_udp_close(s) == 0);
}

static void counted_while_polling(void **st)
{
	(void)st;
	for (unsigned mode = 0; mode < 3; mode++) {
		reset();
		S->mode = mode;
		rt_test_run(counted_main, NULL, 2);  /* the reader on the other M */
	}
}

/* ---- UDP ---- */

static void udp_main(void *arg)
{
	(void)arg;
	start_static(mac2, IP2);
	uint8_t f[1514], buf[2048];
	struct tally_udp *s;
	RT_CHECK(tally_udp_open(&s, 7000) == 0);
	struct tally_udp *s2;
	RT_CHECK(tally_udp_open(&s2, 7000) == TALLY_EADDRINUSE);
	/* learn 192.0.2.1 from its request for us (RFC 826) */
	rt_test_net_inject(fx_arp.frame[0], fx_arp.len[0]);
	RT_CHECK(take(f) == fx_arp.len[1]);
	RT_CHECK(rt_test_net_inject(fx_udp.frame[0], fx_udp.len[0]) == 0);
	uint32_t ip;
	uint16_t port;
	int n = tally_udp_recvfrom(s, buf, sizeof(buf), &ip, &port);
	RT_CHECK(n == 30);
	RT_CHECK(!memcmp(buf, fx_udp.frame[0] + 42, 30));
	RT_CHECK(ip == IP1 && port == 40001);
	RT_CHECK(tally_udp_sendto(s, ip, port, buf, (size_t)n) == 30);
	size_t len = take(f);
	check_like(f, len, fx_udp.frame[1], fx_udp.len[1]);
	/* a closed port, well formed (checksum fixed by the reference) */
	uint8_t *c = nfx_copy(&fx_udp, 0);
	c[36] = 7001 >> 8, c[37] = 7001 & 255;
	nfx_fix_l4(c, fx_udp.len[0]);
	rt_test_net_inject(c, fx_udp.len[0]);
	/* the socket's queue holds 32: the 33rd is dropped */
	for (int i = 0; i < 33; i++)
		rt_test_net_inject(fx_udp.frame[0], fx_udp.len[0]);
	while (stat("rx.frames") < 1 + 1 + 1 + 33)  /* ARP, UDP, closed port, 33 */
		tally_yield();
	RT_CHECK(stat("drop.no_socket") == 1);
	RT_CHECK(stat("drop.sock_full") == 1);
	for (int i = 0; i < 32; i++)
		RT_CHECK(tally_udp_recvfrom(s, buf, 5, NULL, NULL) == 5);  /* truncated to cap */
	RT_CHECK(tally_udp_set_deadline(s, tally_nanotime()) == 0);
	RT_CHECK(tally_udp_recvfrom(s, buf, sizeof(buf), NULL, NULL) == TALLY_ETIMEDOUT);
	RT_CHECK(tally_udp_sendto(s, IP1, 40001, buf, 1473) == TALLY_EMSGSIZE);
	RT_CHECK(tally_udp_sendto(s, IP1, 0, buf, 1) == TALLY_EINVAL);
	RT_CHECK(tally_udp_close(s) == 0);
	RT_CHECK(tally_udp_open(&s, 7000) == 0);  /* the port is free again */
	RT_CHECK(tally_udp_close(s) == 0);
	free(c);
}

static void udp_demux_and_echo(void **st)
{
	(void)st;
	reset();
	rt_test_run(udp_main, NULL, 1);
	reset();
	S->mode = RT_NETPOLL_IRQ;
	rt_test_run(udp_main, NULL, 4);
}

/* ---- ARP resolution: the request, the queue, retries ---- */

static void arp_queue_main(void *arg)
{
	(void)arg;
	start_static(mac1, IP1);
	uint8_t f[1514];
	struct tally_udp *s;
	RT_CHECK(tally_udp_open(&s, 40001) == 0);
	for (int i = 0; i < 4; i++)
		RT_CHECK(tally_udp_sendto(s, IP2, 7000, "abcd", (size_t)i + 1) == i + 1);
	RT_CHECK(tally_udp_sendto(s, IP2, 7000, "x", 1) == TALLY_ENOBUFS);  /* queue of 4 */
	size_t n = take(f);
	RT_CHECK(n == fx_arp.len[0] && !memcmp(f, fx_arp.frame[0], n));  /* Linux's request */
	RT_CHECK(stat("drop.arp_queue_full") == 1);
	rt_test_net_inject(fx_arp.frame[1], fx_arp.len[1]);  /* the reply */
	for (int i = 0; i < 4; i++) {
		n = take(f);
		RT_CHECK(n == 14 + 20 + 8 + (size_t)i + 1);
		RT_CHECK(!memcmp(f, mac2, 6) && !memcmp(f + 6, mac1, 6));
		RT_CHECK(!memcmp(f + 42, "abcd", (size_t)i + 1));
	}
	/* a host that never answers: 3 requests a second apart, then the
	 * frame waiting for it is dropped and counted.  t0 before the send:
	 * the send makes the first request and arms the retry, so a clock
	 * read after it (late on a busy host) would put the retries less
	 * than a second after t0. */
	uint64_t t0 = tally_nanotime();
	RT_CHECK(tally_udp_sendto(s, IP1 + 7, 7000, "y", 1) == 1);
	for (int i = 0; i < 3; i++) {
		n = take(f);
		RT_CHECK(n == 42 && f[21] == 1 && net_get32(f + 38) == IP1 + 7);
		uint64_t el = tally_nanotime() - t0;
		RT_CHECK(el >= (uint64_t)i * SEC);
	}
	RT_CHECK(take_within(f, 1500 * MS) == 0);  /* no fourth */
	while (stat("drop.arp_timeout") == 0 && tally_nanotime() - t0 < 10 * SEC)
		tally_sleep(10 * MS);
	RT_CHECK(stat("drop.arp_timeout") == 1);
	RT_CHECK(tally_nanotime() - t0 >= 3 * SEC);
	tally_udp_close(s);
}

static void arp_request_queue_retry(void **st)
{
	(void)st;
	reset();
	rt_test_run(arp_queue_main, NULL, 2);
}

/* ---- ping ---- */

static volatile int peer_stop;

/* The far end for ping: answers our ARP request with the recorded reply
 * and echo requests by turning them around (its own code and the
 * reference checksum). */
static void *ping_peer(void *arg)
{
	(void)arg;
	uint8_t f[1514];
	while (!__atomic_load_n(&peer_stop, __ATOMIC_ACQUIRE)) {
		size_t n = rt_test_net_take(f, sizeof(f), 20 * MS);
		if (n == 42 && f[12] == 8 && f[13] == 6 && f[21] == 1 && net_get32(f + 38) == IP2) {
			rt_test_net_inject(fx_arp.frame[1], fx_arp.len[1]);
		} else if (n >= 42 && f[12] == 8 && f[13] == 0 && f[23] == 1 && f[34] == 8 &&
		           net_get32(f + 30) == IP2) {
			uint8_t t[6];
			memcpy(t, f, 6), memcpy(f, f + 6, 6), memcpy(f + 6, t, 6);
			uint32_t a = net_get32(f + 26);
			memcpy(f + 26, f + 30, 4);
			net_put32(f + 30, a);
			f[34] = 0;
			nfx_fix_ip(f, n);
			nfx_fix_l4(f, n);
			rt_test_net_inject(f, n);
		}
	}
	return NULL;
}

static void ping_main(void *arg)
{
	(void)arg;
	start_static(mac1, IP1);
	pthread_t th;
	peer_stop = 0;
	RT_CHECK(pthread_create(&th, NULL, ping_peer, NULL) == 0);
	for (uint16_t seq = 1; seq <= 3; seq++) {
		uint64_t rtt = 0;
		RT_CHECK(tally_ping(IP2, seq, 56, TAKE_NS, &rtt) == 0);
		RT_CHECK(rtt > 0);
	}
	RT_CHECK(stat("icmp.reply_in") == 3);
	uint64_t t0 = tally_nanotime();
	RT_CHECK(tally_ping(IP2 + 1, 9, 8, 50 * MS, NULL) == TALLY_ETIMEDOUT);  /* no answer */
	RT_CHECK(tally_nanotime() - t0 >= 50 * MS);
	__atomic_store_n(&peer_stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
}

static void ping_through_a_peer(void **st)
{
	(void)st;
	reset();
	rt_test_run(ping_main, NULL, 1);
	reset();
	S->mode = RT_NETPOLL_IRQ;
	rt_test_run(ping_main, NULL, 4);
}

/* ---- TCP without a listener ---- */

static void tcp_main(void *arg)
{
	(void)arg;
	start_static(mac2, IP2);
	uint8_t f[1514];
	rt_test_net_inject(fx_arp.frame[0], fx_arp.len[0]);  /* learn .1 */
	take(f);
	rt_test_net_inject(fx_tcp.frame[0], fx_tcp.len[0]);  /* SYN to :8000 */
	size_t n = take(f);
	RT_CHECK(n == 54);
	uint32_t syn_seq = 1574307705u;  /* tcpdump's reading of the SYN */
	RT_CHECK(net_get16(f + 34) == 8000 && net_get16(f + 36) == 53470);
	RT_CHECK(net_get32(f + 38) == 0 && net_get32(f + 42) == syn_seq + 1);
	RT_CHECK(f[47] == (TCP_RST | TCP_ACK_F));
	uint8_t ph[12];
	memcpy(ph, f + 26, 8);
	ph[8] = 0, ph[9] = 6, ph[10] = 0, ph[11] = 20;
	RT_CHECK(nfx_ref_csum(ph, 12, f + 34, 20) == 0);
	/* a segment with ACK (the client's third frame): RST with seq = its ack */
	rt_test_net_inject(fx_tcp.frame[2], fx_tcp.len[2]);
	n = take(f);
	RT_CHECK(n == 54 && f[47] == TCP_RST);
	RT_CHECK(net_get32(f + 38) == net_get32(fx_tcp.frame[2] + 42));
	/* an RST is never answered */
	uint8_t *r = nfx_copy(&fx_tcp, 2);
	r[47] = TCP_RST;
	nfx_fix_l4(r, fx_tcp.len[2]);
	rt_test_net_inject(r, fx_tcp.len[2]);
	RT_CHECK(take_within(f, 100 * MS) == 0);
	RT_CHECK(stat("drop.tcp_no_listener") == 3 && stat("tcp.rst_out") == 2);
	free(r);
}

static void tcp_closed_port_rst(void **st)
{
	(void)st;
	reset();
	rt_test_run(tcp_main, NULL, 1);
}

/* ---- garbage ---- */

/* Each crafted defect of a recorded frame, and the one counter it must
 * move (the wire layer's reasons: docs/net.md). */
static void garbage_main(void *arg)
{
	(void)arg;
	start_static(mac2, IP2);
	struct tally_udp *s;
	RT_CHECK(tally_udp_open(&s, 7000) == 0);
	struct { const char *counter; uint8_t *f; size_t len; } g[12];
	unsigned k = 0;
	size_t ul = fx_udp.len[0];
	g[k].counter = "drop.short", g[k].f = nfx_copy(&fx_udp, 0), g[k++].len = 10;
	g[k].counter = "drop.bad_csum", g[k].f = nfx_copy(&fx_udp, 0), g[k].len = ul;
	g[k++].f[24] ^= 0x40;                       /* IP header checksum */
	g[k].counter = "drop.bad_csum", g[k].f = nfx_copy(&fx_udp, 0), g[k].len = ul;
	g[k++].f[50] ^= 1;                          /* payload under the UDP checksum */
	g[k].counter = "drop.unsupported", g[k].f = nfx_copy(&fx_udp, 0), g[k].len = ul;
	g[k].f[12] = 0x86, g[k++].f[13] = 0xdd;     /* IPv6 */
	g[k].counter = "drop.not_for_us", g[k].f = nfx_copy(&fx_udp, 0), g[k].len = ul;
	g[k++].f[5] ^= 0x10;                        /* another host's MAC */
	g[k].counter = "drop.fragment", g[k].f = nfx_copy(&fx_udp, 0), g[k].len = ul;
	g[k].f[20] |= 0x20, nfx_fix_ip(g[k].f, ul), k++;  /* MF, checksum fixed */
	g[k].counter = "drop.truncated", g[k].f = nfx_copy(&fx_udp, 0), g[k++].len = ul - 5;
	g[k].counter = "drop.bad_version", g[k].f = nfx_copy(&fx_udp, 0), g[k].len = ul;
	g[k++].f[14] = 0x65;
	g[k].counter = "drop.icmp_type", g[k].f = nfx_copy(&fx_arp, 2), g[k].len = fx_arp.len[2];
	g[k].f[34] = 13, nfx_fix_l4(g[k].f, g[k].len), k++;  /* ICMP timestamp */
	for (unsigned i = 0; i < k; i++) {
		uint64_t before = stat(g[i].counter), all = stat_sum("drop.");
		uint64_t udp = stat("udp.in"), icmp = stat("icmp.echo_in"), tx = stat("tx.frames");
		/* half through the device, half through the stack's entry */
		if (i % 2)
			RT_CHECK(tally_net_inject(g[i].f, g[i].len) == 0);
		else
			RT_CHECK(rt_test_net_inject(g[i].f, g[i].len) == 0);
		uint64_t t0 = tally_nanotime();
		while (stat_sum("drop.") == all && tally_nanotime() - t0 < TAKE_NS)
			tally_sleep(MS);
		if (stat(g[i].counter) != before + 1 || stat_sum("drop.") != all + 1)
			printf("garbage %u: %s %llu -> %llu\n", i, g[i].counter,
			       (unsigned long long)before, (unsigned long long)stat(g[i].counter));
		RT_CHECK(stat(g[i].counter) == before + 1);
		RT_CHECK(stat_sum("drop.") == all + 1);
		RT_CHECK(stat("udp.in") == udp && stat("icmp.echo_in") == icmp);
		RT_CHECK(stat("tx.frames") == tx);
		free(g[i].f);
	}
	RT_CHECK(stat("rx.frames") == k);
	RT_CHECK(stat("rx.injected") == k / 2);
	/* the socket got nothing; a good datagram still gets through */
	RT_CHECK(tally_udp_set_deadline(s, tally_nanotime()) == 0);
	uint8_t buf[64];
	RT_CHECK(tally_udp_recvfrom(s, buf, sizeof(buf), NULL, NULL) == TALLY_ETIMEDOUT);
	tally_udp_set_deadline(s, 0);
	rt_test_net_inject(fx_udp.frame[0], fx_udp.len[0]);
	RT_CHECK(tally_udp_recvfrom(s, buf, sizeof(buf), NULL, NULL) == 30);
	tally_udp_close(s);
}

static void garbage_counted_not_delivered(void **st)
{
	(void)st;
	reset();
	rt_test_run(garbage_main, NULL, 2);
}

/* ---- parking: woken by a frame, a deadline, a close ---- */

static void *late_injector(void *arg)
{
	(void)arg;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	rt_test_net_inject(fx_udp.frame[0], fx_udp.len[0]);
	return NULL;
}

static void closer(void *arg)
{
	tally_sleep(20 * MS);
	tally_udp_close(arg);
	tally_atomic_add(&S->done, 1);
}

/* Readies the parked reader with a datagram and closes the socket before
 * the reader runs again (on 1 M it cannot run in between): the reader,
 * still inside recvfrom, must say closed and free the socket itself.
 * (The socket is in the runtime's heap, which ASan does not watch, so a
 * use after free would not be reported here; what is checked is that
 * the path ends with the right code and leaves the port usable.) */
static void inject_then_close(void *arg)
{
	tally_sleep(5 * MS);
	RT_CHECK(tally_net_inject(fx_udp.frame[0], fx_udp.len[0]) == 0);
	RT_CHECK(tally_udp_close(arg) == 0);
	tally_atomic_add(&S->done, 1);
}

static void park_main(void *arg)
{
	(void)arg;
	start_static(mac2, IP2);
	struct tally_udp *s;
	RT_CHECK(tally_udp_open(&s, 7000) == 0);
	/* every goroutine parked, the frame comes from a thread that is not an M */
	pthread_t th;
	RT_CHECK(pthread_create(&th, NULL, late_injector, NULL) == 0);
	uint8_t buf[64];
	RT_CHECK(tally_udp_recvfrom(s, buf, sizeof(buf), NULL, NULL) == 30);
	pthread_join(th, NULL);
	if (S->mode == RT_NETPOLL_IRQ)
		RT_CHECK(rt_test_net_irqs() >= 1);
	if (S->mode == RT_NETPOLL_POLL)
		RT_CHECK(rt_test_net_irqs() == 0);
	uint64_t t0 = tally_nanotime();
	RT_CHECK(tally_udp_set_deadline(s, t0 + 30 * MS) == 0);
	RT_CHECK(tally_udp_recvfrom(s, buf, sizeof(buf), NULL, NULL) == TALLY_ETIMEDOUT);
	RT_CHECK(tally_nanotime() - t0 >= 30 * MS);
	tally_udp_set_deadline(s, 0);
	tally_go(closer, s);
	RT_CHECK(tally_udp_recvfrom(s, buf, sizeof(buf), NULL, NULL) == TALLY_ECLOSED);
	rt_test_join(&S->done, 1);
	RT_CHECK(tally_udp_open(&s, 7000) == 0);
	tally_go(inject_then_close, s);
	int r = tally_udp_recvfrom(s, buf, sizeof(buf), NULL, NULL);
	RT_CHECK(r == TALLY_ECLOSED || r == 30);  /* 30: it ran before the close */
	rt_test_join(&S->done, 2);
	RT_CHECK(tally_udp_open(&s, 7000) == 0);
	RT_CHECK(tally_udp_close(s) == 0);
}

static void recv_parks_and_wakes(void **st)
{
	(void)st;
	for (unsigned mode = 0; mode < 3; mode++) {
		reset();
		S->mode = mode;
		rt_test_run(park_main, NULL, 1);
		reset();
		S->mode = mode;
		rt_test_run(park_main, NULL, 4);
	}
}

/* ---- select on a socket's readiness, a channel and a timer ---- */

static void *injector_after(void *arg)
{
	struct timespec ts = { 0, (long)(uintptr_t)arg };
	nanosleep(&ts, NULL);
	rt_test_net_inject(fx_udp.frame[0], fx_udp.len[0]);
	return NULL;
}

static void select_main(void *arg)
{
	(void)arg;
	start_static(mac2, IP2);
	struct tally_udp *s;
	RT_CHECK(tally_udp_open(&s, 7000) == 0);
	struct tally_chan *ready = tally_udp_ready(s);
	RT_CHECK(ready && tally_udp_ready(s) == ready);
	struct tally_chan *other = tally_chan_make(sizeof(int), 0);
	uint8_t tok, buf[64];
	/* nothing comes: the timer wins */
	struct tally_timer *t = tally_timer_new(30 * MS);
	struct tally_select_case cs[3] = {
		{ TALLY_RECV, ready, &tok, 0 },
		{ TALLY_RECV, other, NULL, 0 },
		{ TALLY_RECV, tally_timer_chan(t), NULL, 0 },
	};
	RT_CHECK(tally_select(cs, 3, 0) == 2);
	tally_timer_free(t);
	/* a datagram 20 ms later, a timer at 2 s: the socket wins */
	pthread_t th;
	RT_CHECK(pthread_create(&th, NULL, injector_after, (void *)(uintptr_t)(20 * MS)) == 0);
	t = tally_timer_new(2 * SEC);
	cs[2].c = tally_timer_chan(t);
	uint64_t t0 = tally_nanotime();
	RT_CHECK(tally_select(cs, 3, 0) == 0);
	RT_CHECK(tally_nanotime() - t0 < 2 * SEC);
	pthread_join(th, NULL);
	tally_timer_free(t);
	RT_CHECK(tally_udp_set_deadline(s, 1) == 0);  /* drain without waiting */
	RT_CHECK(tally_udp_recvfrom(s, buf, sizeof(buf), NULL, NULL) == 30);
	RT_CHECK(tally_udp_recvfrom(s, buf, sizeof(buf), NULL, NULL) == TALLY_ETIMEDOUT);
	/* no token is left over for a datagram already taken */
	RT_CHECK(tally_select(cs, 2, 1) == -1);
	/* one waiting before the call: the token comes at once */
	rt_test_net_inject(fx_udp.frame[0], fx_udp.len[0]);
	while (stat("udp.in") < 2)
		tally_sleep(MS);
	tally_chan_tryrecv(ready, &tok, NULL);  /* the arrival's token */
	RT_CHECK(tally_udp_ready(s) == ready);
	RT_CHECK(tally_chan_tryrecv(ready, &tok, NULL) == 1);
	/* a close wakes a select on it */
	tally_go(closer, s);
	RT_CHECK(tally_select(cs, 2, 0) == 0);
	rt_test_join(&S->done, 1);
}

static void select_on_socket_readiness(void **st)
{
	(void)st;
	reset();
	rt_test_run(select_main, NULL, 1);
	reset();
	S->mode = RT_NETPOLL_IRQ;
	rt_test_run(select_main, NULL, 4);
}

/* ---- DHCP against slirp's recorded answers ---- */

/* Answers DISCOVER with slirp's OFFER and REQUEST with its ACK, each with
 * the client's transaction id written in (and the UDP checksum fixed). */
static void *dhcp_peer(void *arg)
{
	(void)arg;
	uint8_t f[1514];
	while (!__atomic_load_n(&peer_stop, __ATOMIC_ACQUIRE)) {
		size_t n = rt_test_net_take(f, sizeof(f), 20 * MS);
		if (n < 42 + 240 || f[23] != 17 || net_get16(f + 36) != 67)
			continue;
		uint32_t xid = net_get32(f + 42 + 4);
		const uint8_t *opt = f + 42 + 240;
		size_t idx = opt[0] == 53 && opt[2] == 1 ? 1 : opt[0] == 53 && opt[2] == 3 ? 3 : 0;
		if (!idx)
			continue;
		uint8_t *r = nfx_copy(&fx_dhcp, idx);
		net_put32(r + 42 + 4, xid);
		nfx_fix_l4(r, fx_dhcp.len[idx]);
		rt_test_net_inject(r, fx_dhcp.len[idx]);
		free(r);
	}
	return NULL;
}

static void dhcp_main(void *arg)
{
	(void)arg;
	rt_test_net_enable(mac1, S->mode, 0, 0, 0);  /* no ip=: DHCP */
	peer_stop = 0;
	pthread_t th;
	RT_CHECK(pthread_create(&th, NULL, dhcp_peer, NULL) == 0);
	RT_CHECK(tally_net_up(10 * SEC) == 0);
	struct tally_net_info ni;
	RT_CHECK(tally_net_info(&ni) == 0);
	RT_CHECK(ni.ip == nfx_ip(nfx_get(&fx_dhcp, 3, "dhcp.yiaddr")));
	RT_CHECK(ni.mask == nfx_ip(nfx_get(&fx_dhcp, 3, "dhcp.mask")));
	RT_CHECK(ni.dhcp == 1 && ni.lease == 86400);
	RT_CHECK(ni.dhcp_server == nfx_ip(nfx_get(&fx_dhcp, 3, "dhcp.server")));
	RT_CHECK(!strcmp(ni.dhcp_state, "bound"));
	__atomic_store_n(&peer_stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
}

static void dhcp_binds_slirp_lease(void **st)
{
	(void)st;
	reset();
	rt_test_run(dhcp_main, NULL, 2);
}

/* ---- ARP before an address: slirp asks for the lease before DHCP ends ---- */

/* Linux's recorded request, from mac2 at spa asking for tpa. */
static uint8_t *arp_request(uint32_t spa, uint32_t tpa)
{
	uint8_t *r = nfx_copy(&fx_arp, 0);
	memcpy(r + 6, mac2, 6);   /* Ethernet source */
	memcpy(r + 22, mac2, 6);  /* sender hardware address */
	net_put32(r + 28, spa);
	net_put32(r + 38, tpa);
	return r;
}

/* Inject f; wait until a drop counter or arp.replies_out moves. */
static void inject_and_settle(const uint8_t *f, size_t len)
{
	uint64_t all = stat_sum("drop."), out = stat("arp.replies_out"), t0 = tally_nanotime();
	RT_CHECK(rt_test_net_inject(f, len) == 0);
	while (stat_sum("drop.") == all && stat("arp.replies_out") == out && tally_nanotime() - t0 < TAKE_NS)
		tally_sleep(MS);
}

/* Frames sent so far that are ARP replies (the rest, DHCP's, dropped). */
static unsigned arp_replies_sent(uint32_t to)
{
	uint8_t f[1514];
	unsigned n = 0;
	size_t len;
	while ((len = take_within(f, 50 * MS)) != 0)
		if (len >= 42 && net_get16(f + 12) == 0x0806 && net_get16(f + 20) == 2 && net_get32(f + 38) == to)
			n++;
	return n;
}

static void arp_before_address_main(void *arg)
{
	(void)arg;
	uint32_t lease = nfx_ip(nfx_get(&fx_dhcp, 3, "dhcp.yiaddr"));
	uint32_t server = nfx_ip(nfx_get(&fx_dhcp, 3, "dhcp.server"));
	rt_test_net_enable(mac1, S->mode, 0, 0, 0);  /* DHCP, no server answering yet */
	RT_CHECK(tally_net_up(0) != 0);
	uint8_t *ask = arp_request(server, lease);
	uint8_t *other = arp_request(lease + 2, lease + 1);  /* a host not in the cache */
	size_t len = fx_arp.len[0];
	inject_and_settle(ask, len);
	RT_CHECK(stat("drop.no_addr") == 1);
	RT_CHECK(stat("drop.arp_other") == 0 && stat_sum("drop.") == 1);
	RT_CHECK(stat("arp.requests_in") == 1 && stat("arp.replies_out") == 0);
	RT_CHECK(arp_replies_sent(server) == 0);
	/* bound: the same question is answered; one between two other hosts
	 * is arp_other (the server's entry, learnt above, would be refreshed) */
	peer_stop = 0;
	pthread_t th;
	RT_CHECK(pthread_create(&th, NULL, dhcp_peer, NULL) == 0);
	RT_CHECK(tally_net_up(10 * SEC) == 0);
	__atomic_store_n(&peer_stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	arp_replies_sent(server);  /* what DHCP left in the queue */
	inject_and_settle(ask, len);
	RT_CHECK(stat("arp.replies_out") == 1);
	RT_CHECK(arp_replies_sent(server) == 1);
	inject_and_settle(other, len);
	RT_CHECK(stat("drop.arp_other") == 1);
	RT_CHECK(stat("drop.no_addr") == 1 && stat_sum("drop.") == 2);
	RT_CHECK(stat("arp.requests_in") == 3 && stat("arp.replies_out") == 1);
	free(ask);
	free(other);
}

static void arp_before_address_is_no_addr(void **st)
{
	(void)st;
	reset();
	rt_test_run(arp_before_address_main, NULL, 2);
}

static int setup(void **st)
{
	(void)st;
	nfx_load("arp_icmp", &fx_arp);
	nfx_load("udp", &fx_udp);
	nfx_load("tcp", &fx_tcp);
	nfx_load("slirp_dhcp", &fx_dhcp);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(arp_and_echo_as_linux),
		cmocka_unit_test(frame_before_poller_starts),
		cmocka_unit_test(irq_rearmed_after_each_poll),
		cmocka_unit_test(counted_while_polling),
		cmocka_unit_test(udp_demux_and_echo),
		cmocka_unit_test(arp_request_queue_retry),
		cmocka_unit_test(ping_through_a_peer),
		cmocka_unit_test(tcp_closed_port_rst),
		cmocka_unit_test(garbage_counted_not_delivered),
		cmocka_unit_test(recv_parks_and_wakes),
		cmocka_unit_test(select_on_socket_readiness),
		cmocka_unit_test(dhcp_binds_slirp_lease),
		cmocka_unit_test(arp_before_address_is_no_addr),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

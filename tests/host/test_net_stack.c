/*
 * test_net_stack.c - host tests of the stack's pure parts: the ARP cache
 * (rt/net/arp_cache.c), the DHCP client's state machine (rt/net/dhcpc.c)
 * and the ip= parser (rt/net/ipconf.c).
 *
 * Truth:
 *   ARP: RFC 826's merge rule and the cache's stated bounds, with times
 *   computed by hand (a request every ARP_RETRY_NS, ARP_TRIES of them,
 *   ARP_REACHABLE_NS of life); frames counted in and out.
 *   DHCP: recorded servers (tests/fixtures/net/: busybox udhcpd's OFFER,
 *   ACK and NAK, QEMU slirp's OFFER and ACK) and tcpdump's reading of
 *   them (the .expect files): the client must request the offered
 *   address from the offering server, and bind exactly the address,
 *   mask, gateway and lease tcpdump read; the timers follow RFC 2131
 *   (T1 = lease / 2, T2 = 7/8 lease, retransmission doubling from the
 *   first interval); replies are dropped on purpose to drive the
 *   retransmissions and the give-up.
 *   ip=: hand-written valid and invalid values with the message each
 *   must name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "rt/net/arp_cache.h"
#include "rt/net/dhcpc.h"
#include "rt/net/ipconf.h"
#include "rt/net/net.h"
#include "tests/host/net_fx.h"

#define SEC 1000000000ull

/* ------------------------------------------------------------ ARP */

static struct arp_cache cache;
static uint32_t resent[64];
static unsigned nresent;

static void resend(void *arg, uint32_t ip)
{
	(void)arg;
	resent[nresent++ % 64] = ip;
}

static void frame_of(uint8_t *f, size_t len, uint8_t tag)
{
	memset(f, tag, len);
}

static void arp_queue_bound_and_timeout(void **st)
{
	(void)st;
	arp_cache_init(&cache);
	nresent = 0;
	uint8_t f[60], mac[6];
	uint32_t ip = 0xc0000202;
	uint64_t t = 5 * SEC;
	assert_int_equal(arp_cache_lookup(&cache, ip, t, mac), 0);
	frame_of(f, sizeof(f), 1);
	assert_int_equal(arp_cache_enqueue(&cache, ip, f, sizeof(f), t), ARP_Q_REQUEST);
	for (uint8_t k = 2; k <= ARP_QUEUE_MAX; k++) {
		frame_of(f, sizeof(f), k);
		assert_int_equal(arp_cache_enqueue(&cache, ip, f, sizeof(f), t), ARP_Q_WAITING);
	}
	assert_int_equal(arp_cache_enqueue(&cache, ip, f, sizeof(f), t), ARP_Q_FULL);
	assert_int_equal(cache.queue_full, 1);
	assert_int_equal(cache.queued, ARP_QUEUE_MAX);
	/* nothing before the first retry time; then one request a second */
	assert_int_equal(arp_cache_tick(&cache, t + ARP_RETRY_NS - 1, resend, NULL), t + ARP_RETRY_NS);
	assert_int_equal(nresent, 0);
	assert_int_equal(arp_cache_tick(&cache, t + ARP_RETRY_NS, resend, NULL), t + 2 * ARP_RETRY_NS);
	assert_int_equal(nresent, 1);
	assert_int_equal(resent[0], ip);
	assert_int_equal(arp_cache_tick(&cache, t + 2 * ARP_RETRY_NS, resend, NULL), t + 3 * ARP_RETRY_NS);
	assert_int_equal(nresent, 2);  /* 1 at enqueue + 2 resends = ARP_TRIES requests */
	/* the third interval passes unanswered: the queue is dropped, counted */
	assert_int_equal(arp_cache_tick(&cache, t + 3 * ARP_RETRY_NS, resend, NULL), 0);
	assert_int_equal(nresent, 2);
	assert_int_equal(cache.timeouts, ARP_QUEUE_MAX);
	assert_null(arp_cache_find(&cache, ip));
	/* frames in = queued + refused; queued = timed out */
	assert_int_equal(cache.queued + cache.queue_full, ARP_QUEUE_MAX + 1);
}

static void arp_reply_resolves_queue(void **st)
{
	(void)st;
	arp_cache_init(&cache);
	uint8_t f[60], mac[6];
	const uint8_t peer[6] = { 2, 0, 0, 0, 0, 2 };
	uint32_t ip = 0xc0000202;
	frame_of(f, sizeof(f), 7);
	assert_int_equal(arp_cache_enqueue(&cache, ip, f, sizeof(f), 0), ARP_Q_REQUEST);
	frame_of(f, sizeof(f), 8);
	assert_int_equal(arp_cache_enqueue(&cache, ip, f, sizeof(f), 0), ARP_Q_WAITING);
	/* RFC 826: the reply is not "for us" by target in the cache's sense
	 * (create 0) but the pair is in the table: it is merged */
	struct arp_entry *e = arp_cache_update(&cache, ip, peer, 10, 0);
	assert_non_null(e);
	assert_int_equal(e->state, ARP_RESOLVED);
	assert_int_equal(e->nq, 2);
	assert_int_equal(e->q[0][0], 7);
	assert_int_equal(e->q[1][59], 8);
	assert_int_equal(e->qlen[1], 60);
	e->nq = 0;  /* the caller sent them */
	assert_int_equal(arp_cache_lookup(&cache, ip, 11, mac), 1);
	assert_memory_equal(mac, peer, 6);
	/* its life: ARP_REACHABLE_NS from the update */
	assert_int_equal(arp_cache_lookup(&cache, ip, 10 + ARP_REACHABLE_NS - 1, mac), 1);
	assert_int_equal(arp_cache_lookup(&cache, ip, 10 + ARP_REACHABLE_NS, mac), 0);
	assert_int_equal(cache.expired, 1);
	/* no timer fires for a resolved entry */
	nresent = 0;
	assert_int_equal(arp_cache_tick(&cache, 100 * SEC, resend, NULL), 0);
	assert_int_equal(nresent, 0);
}

static void arp_merge_rule(void **st)
{
	(void)st;
	arp_cache_init(&cache);
	const uint8_t a[6] = { 2, 0, 0, 0, 0, 0xa }, b[6] = { 2, 0, 0, 0, 0, 0xb };
	uint8_t mac[6];
	/* not in the table and not for us: not learnt (RFC 826) */
	assert_null(arp_cache_update(&cache, 0x0a000001, a, 0, 0));
	assert_int_equal(arp_cache_lookup(&cache, 0x0a000001, 1, mac), 0);
	/* for us: learnt */
	assert_non_null(arp_cache_update(&cache, 0x0a000001, a, 0, 1));
	/* a gratuitous reply with a new address for a known host: merged */
	assert_non_null(arp_cache_update(&cache, 0x0a000001, b, 5, 0));
	assert_int_equal(arp_cache_lookup(&cache, 0x0a000001, 6, mac), 1);
	assert_memory_equal(mac, b, 6);
}

static void arp_eviction_lru(void **st)
{
	(void)st;
	arp_cache_init(&cache);
	uint8_t mac[6] = { 2, 0, 0, 0, 0, 0 };
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
		mac[5] = (uint8_t)i;
		assert_non_null(arp_cache_update(&cache, 0x0a000100 + i, mac, 100 + i, 1));
	}
	/* use every entry but number 3 later than it */
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++)
		if (i != 3)
			assert_int_equal(arp_cache_lookup(&cache, 0x0a000100 + i, 1000 + i, mac), 1);
	mac[5] = 0x99;
	assert_non_null(arp_cache_update(&cache, 0x0a0001ff, mac, 2000, 1));
	assert_int_equal(cache.evicted, 1);
	assert_null(arp_cache_find(&cache, 0x0a000103));
	assert_non_null(arp_cache_find(&cache, 0x0a000104));
	/* pending entries are never evicted, and at most half the cache is
	 * pending: with the other half resolved, the cache full, and with
	 * half pending, no room for another pending one */
	arp_cache_init(&cache);
	uint8_t f[20] = { 0 };
	for (unsigned i = 0; i < ARP_CACHE_SIZE / 2; i++)
		assert_int_equal(arp_cache_enqueue(&cache, 0x0a000200 + i, f, sizeof(f), 0), ARP_Q_REQUEST);
	assert_int_equal(arp_cache_enqueue(&cache, 0x0a0002ff, f, sizeof(f), 0), ARP_Q_NOROOM);
	assert_int_equal(cache.queue_full, 1);
	/* the resolved half: a flood of new pending ones never evicts it */
	for (unsigned i = 0; i < ARP_CACHE_SIZE / 2; i++)
		assert_non_null(arp_cache_update(&cache, 0x0a000300 + i, mac, 10, 1));
	for (unsigned i = 0; i < 1000; i++)
		assert_int_equal(arp_cache_enqueue(&cache, 0x0b000000 + i, f, sizeof(f), 20),
		                 ARP_Q_NOROOM);
	assert_int_equal(cache.evicted, 0);
	for (unsigned i = 0; i < ARP_CACHE_SIZE / 2; i++)
		assert_int_equal(arp_cache_lookup(&cache, 0x0a000300 + i, 30, mac), 1);
	/* the pending ones time out (three requests): room again */
	for (uint64_t t = ARP_RETRY_NS; t <= (uint64_t)ARP_TRIES * ARP_RETRY_NS; t += ARP_RETRY_NS)
		arp_cache_tick(&cache, t, NULL, NULL);
	assert_int_equal(arp_cache_enqueue(&cache, 0x0a0002ff, f, sizeof(f), 4 * ARP_RETRY_NS),
	                 ARP_Q_REQUEST);
	assert_int_equal(arp_cache_enqueue(&cache, 0x0a000200, f, ARP_FRAME_MAX + 1, 0), ARP_Q_TOOBIG);
}

/* ------------------------------------------------------------ DHCP */

/* The UDP payload of frame i of a capture (the wire layer, tested on its
 * own in test_net, finds it). */
static const uint8_t *dhcp_payload(const struct nfx *fx, size_t i, size_t *len)
{
	struct net_rx_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.mac, fx->frame[i] + ETH_DST, 6);  /* whoever it is addressed to */
	struct net_rx rx;
	assert_int_equal(net_rx_parse(&cfg, fx->frame[i], fx->len[i], &rx), NET_OK);
	assert_int_equal(rx.kind, NET_RX_UDP);
	*len = rx.udp.payload_len;
	return rx.udp.payload;
}

static void parse_out(const struct dhcpc_out *o, struct net_dhcp *d)
{
	assert_true(o->len >= DHCP_MIN_LEN);
	assert_int_equal(net_dhcp_parse(o->msg, o->len, d), NET_OK);
	assert_int_equal(d->op, DHCP_BOOTREQUEST);
}

static uint32_t xv(const struct nfx *fx, size_t i, const char *key)
{
	const char *v = nfx_get(fx, i, key);
	assert_non_null(v);
	return nfx_ip(v);
}

/* DISCOVER, the server's OFFER, REQUEST, its ACK: bound with exactly
 * what the server gave (tcpdump's reading). */
static void dhcp_exchange(const char *capture, uint32_t *lease_out, struct dhcpc *c)
{
	struct nfx fx;
	nfx_load(capture, &fx);
	uint8_t mac[6];
	nfx_mac(nfx_get(&fx, 0, "dhcp.chaddr"), mac);
	uint32_t xid;
	sscanf(nfx_get(&fx, 0, "dhcp.xid"), "%x", &xid);
	struct dhcpc_out out;
	struct net_dhcp d;
	dhcpc_start(c, mac, xid, 4 * SEC, 4, 1000, &out);
	parse_out(&out, &d);
	assert_int_equal(d.type, DHCP_DISCOVER);
	assert_int_equal(d.xid, xid);
	assert_memory_equal(d.chaddr, mac, 6);
	assert_int_equal(out.dst, 0xffffffffu);
	assert_int_equal(out.src, 0);
	assert_int_equal(c->next, 1000 + 4 * SEC);
	size_t n;
	const uint8_t *p = dhcp_payload(&fx, 1, &n);
	assert_int_equal(dhcpc_input(c, p, n, 2000, &out), DHCPC_EV_NONE);
	assert_int_equal(c->state, DHCPC_REQUESTING);
	parse_out(&out, &d);
	assert_int_equal(d.type, DHCP_REQUEST);
	assert_int_equal(d.xid, xid);
	assert_true(d.present & DHCP_HAS_REQ_IP);
	assert_true(d.present & DHCP_HAS_SERVER);
	assert_int_equal(d.req_ip, xv(&fx, 1, "dhcp.yiaddr"));
	assert_int_equal(d.server, xv(&fx, 1, "dhcp.server"));
	assert_int_equal(d.ciaddr, 0);
	assert_int_equal(out.dst, 0xffffffffu);
	p = dhcp_payload(&fx, 3, &n);
	assert_int_equal(dhcpc_input(c, p, n, 3000, &out), DHCPC_EV_BOUND);
	assert_int_equal(out.len, 0);
	assert_int_equal(c->state, DHCPC_BOUND);
	assert_int_equal(c->ip, xv(&fx, 3, "dhcp.yiaddr"));
	assert_int_equal(c->mask, xv(&fx, 3, "dhcp.mask"));
	const char *router = nfx_get(&fx, 3, "dhcp.router");
	assert_int_equal(c->gw, router ? nfx_ip(router) : 0);
	assert_int_equal(c->server, xv(&fx, 3, "dhcp.server"));
	unsigned lease;
	sscanf(nfx_get(&fx, 3, "dhcp.lease"), "%u", &lease);
	assert_int_equal(c->lease, lease);
	/* RFC 2131 4.4.5: T1 = lease / 2 when the server gives none */
	assert_int_equal(c->next, 3000 + (uint64_t)(lease / 2) * SEC);
	/* the same ACK again while bound: ignored */
	assert_int_equal(dhcpc_input(c, p, n, 4000, &out), DHCPC_EV_NONE);
	assert_int_equal(out.len, 0);
	*lease_out = lease;
	nfx_free(&fx);
}

static void dhcp_udhcpd(void **st)
{
	(void)st;
	struct dhcpc c;
	uint32_t lease;
	dhcp_exchange("dhcp", &lease, &c);
	assert_int_equal(lease, 3600);
	assert_int_equal(c.gw, nfx_ip("192.0.2.2"));
}

static void dhcp_slirp(void **st)
{
	(void)st;
	struct dhcpc c;
	uint32_t lease;
	dhcp_exchange("slirp_dhcp", &lease, &c);
	assert_int_equal(c.ip, nfx_ip("10.0.2.15"));
	assert_int_equal(lease, 86400);
	dhcp_exchange("slirp_dhcp_restrict", &lease, &c);
	assert_int_equal(c.gw, 0);  /* slirp with restrict=on names no router */
}

/* Renewal at T1 (unicast, ciaddr, no options 50/54), the renewed ACK
 * (the recorded one with the renewal's transaction id), rebinding at T2,
 * the lease's end. */
static void dhcp_renew_rebind_expire(void **st)
{
	(void)st;
	struct dhcpc c;
	uint32_t lease;
	dhcp_exchange("dhcp", &lease, &c);
	uint64_t bound = 3000;
	uint64_t t1 = bound + 1800 * SEC, t2 = bound + 3150 * SEC, end = bound + 3600 * SEC;
	struct dhcpc_out out;
	struct net_dhcp d;
	assert_int_equal(dhcpc_timeout(&c, t1 - 1, &out), DHCPC_EV_NONE);
	assert_int_equal(out.len, 0);
	assert_int_equal(dhcpc_timeout(&c, t1, &out), DHCPC_EV_NONE);
	assert_int_equal(c.state, DHCPC_RENEWING);
	parse_out(&out, &d);
	assert_int_equal(d.type, DHCP_REQUEST);
	assert_int_equal(d.ciaddr, c.ip);
	assert_false(d.present & (DHCP_HAS_REQ_IP | DHCP_HAS_SERVER));
	assert_int_equal(out.dst, c.server);
	assert_int_equal(out.src, c.ip);
	/* next resend: half the time to T2 (675 s) */
	assert_int_equal(c.next, t1 + (t2 - t1) / 2);
	/* renewed by an ACK of the new exchange */
	struct nfx fx;
	nfx_load("dhcp", &fx);
	size_t n;
	const uint8_t *p = dhcp_payload(&fx, 3, &n);
	uint8_t ack[600];
	memcpy(ack, p, n);
	assert_int_equal(dhcpc_input(&c, ack, n, t1 + 5, &out), DHCPC_EV_NONE);  /* old xid */
	net_put32(ack + 4, d.xid);
	assert_int_equal(dhcpc_input(&c, ack, n, t1 + 5, &out), DHCPC_EV_BOUND);
	assert_int_equal(c.state, DHCPC_BOUND);
	assert_int_equal(c.next, t1 + 5 + 1800 * SEC);
	/* no answer from now on: renewing at the new T1, rebinding at T2,
	 * lost at the end */
	bound = t1 + 5;
	t1 = bound + 1800 * SEC;
	t2 = bound + 3150 * SEC;
	end = bound + 3600 * SEC;
	unsigned renews = 0, rebinds = 0;
	enum dhcpc_event ev = DHCPC_EV_NONE;
	while (ev != DHCPC_EV_LOST) {
		uint64_t now = c.next;
		assert_true(now <= end);
		ev = dhcpc_timeout(&c, now, &out);
		if (ev == DHCPC_EV_LOST)
			break;
		parse_out(&out, &d);
		assert_int_equal(d.ciaddr, nfx_ip("192.0.2.103"));
		if (c.state == DHCPC_RENEWING) {
			renews++;
			assert_true(now >= t1 && now < t2);
			assert_int_equal(out.dst, nfx_ip("192.0.2.2"));
		} else {
			rebinds++;
			assert_int_equal(c.state, DHCPC_REBINDING);
			assert_true(now >= t2 && now < end);
			assert_int_equal(out.dst, 0xffffffffu);
		}
	}
	/* 1350 s from T1 to T2: resends at T1, +675, then the 60 s floor
	 * until T2; 450 s from T2 to the end: T2, +225, then 60 s steps */
	assert_true(renews >= 3);
	assert_true(rebinds >= 3);
	assert_int_equal(c.ip, 0);
	parse_out(&out, &d);
	assert_int_equal(d.type, DHCP_DISCOVER);
	assert_int_equal(c.state, DHCPC_SELECTING);
	nfx_free(&fx);
}

/* Nobody answers: DISCOVER at 0, 4, 12, 28 s (4 s doubling), FAILED at
 * 60 s, and a new exchange after one more interval. */
static void dhcp_lost_replies(void **st)
{
	(void)st;
	struct dhcpc c;
	struct dhcpc_out out;
	struct net_dhcp d;
	const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	dhcpc_start(&c, mac, 77, 4 * SEC, 4, 0, &out);
	uint64_t expect[] = { 4 * SEC, 12 * SEC, 28 * SEC, 60 * SEC };
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(c.next, expect[i]);
		assert_int_equal(dhcpc_timeout(&c, expect[i], &out), DHCPC_EV_NONE);
		parse_out(&out, &d);
		assert_int_equal(d.type, DHCP_DISCOVER);
		assert_int_equal(d.xid, 77);  /* a retransmission keeps its id */
	}
	assert_int_equal(c.next, expect[3]);
	assert_int_equal(dhcpc_timeout(&c, expect[3], &out), DHCPC_EV_FAILED);
	assert_int_equal(out.len, 0);
	assert_int_equal(c.sent, 4);
	assert_int_equal(c.next, 60 * SEC + 32 * SEC);
	assert_int_equal(dhcpc_timeout(&c, c.next, &out), DHCPC_EV_NONE);
	parse_out(&out, &d);
	assert_int_equal(d.type, DHCP_DISCOVER);
	assert_int_equal(d.xid, 78);  /* a new exchange, a new id */
	/* an OFFER lost once in REQUESTING: the REQUEST is resent */
	struct nfx fx;
	nfx_load("dhcp", &fx);
	uint8_t m2[6];
	nfx_mac(nfx_get(&fx, 0, "dhcp.chaddr"), m2);
	dhcpc_start(&c, m2, 0xbf627d39, 4 * SEC, 4, 0, &out);
	size_t n;
	const uint8_t *p = dhcp_payload(&fx, 1, &n);
	dhcpc_input(&c, p, n, SEC, &out);
	assert_int_equal(c.state, DHCPC_REQUESTING);
	assert_int_equal(dhcpc_timeout(&c, 5 * SEC, &out), DHCPC_EV_NONE);
	parse_out(&out, &d);
	assert_int_equal(d.type, DHCP_REQUEST);
	assert_int_equal(d.req_ip, nfx_ip("192.0.2.103"));
	p = dhcp_payload(&fx, 3, &n);
	assert_int_equal(dhcpc_input(&c, p, n, 6 * SEC, &out), DHCPC_EV_BOUND);
	nfx_free(&fx);
}

/* udhcpd's NAK (dhcp_nak) in REQUESTING: back to DISCOVER, new id;
 * replies for another MAC or id are ignored. */
static void dhcp_nak_and_strangers(void **st)
{
	(void)st;
	struct nfx fx, nak;
	nfx_load("dhcp", &fx);
	nfx_load("dhcp_nak", &nak);
	uint8_t mac[6];
	nfx_mac(nfx_get(&fx, 0, "dhcp.chaddr"), mac);
	struct dhcpc c;
	struct dhcpc_out out;
	struct net_dhcp d;
	dhcpc_start(&c, mac, 0xbf627d39, 4 * SEC, 4, 0, &out);
	size_t n;
	const uint8_t *p = dhcp_payload(&fx, 1, &n);
	/* an OFFER for another MAC: ignored */
	uint8_t other[600];
	memcpy(other, p, n);
	other[28 + 5] ^= 1;  /* chaddr's last byte */
	assert_int_equal(dhcpc_input(&c, other, n, 1, &out), DHCPC_EV_NONE);
	assert_int_equal(out.len, 0);
	assert_int_equal(c.state, DHCPC_SELECTING);
	assert_int_equal(c.ignored, 1);
	dhcpc_input(&c, p, n, 2, &out);
	assert_int_equal(c.state, DHCPC_REQUESTING);
	p = dhcp_payload(&nak, 1, &n);
	assert_int_equal(dhcpc_input(&c, p, n, 3, &out), DHCPC_EV_NONE);
	assert_int_equal(c.naks, 1);
	assert_int_equal(c.state, DHCPC_SELECTING);
	parse_out(&out, &d);
	assert_int_equal(d.type, DHCP_DISCOVER);
	assert_int_equal(d.xid, 0xbf627d3a);
	/* garbage is ignored, not trusted */
	uint8_t junk[300] = { 2 };
	assert_int_equal(dhcpc_input(&c, junk, sizeof(junk), 4, &out), DHCPC_EV_NONE);
	assert_int_equal(out.len, 0);
	nfx_free(&fx);
	nfx_free(&nak);
}

/* ------------------------------------------------------------ ip= */

static void ipconf_values(void **st)
{
	(void)st;
	uint32_t ip, mask, gw;
	char err[200];
	assert_int_equal(net_ipconf_parse("dhcp", &ip, &mask, &gw, err, sizeof(err)), 0);
	assert_int_equal(ip, 0);
	assert_int_equal(net_ipconf_parse("10.0.2.15/24,gw=10.0.2.2", &ip, &mask, &gw, err, sizeof(err)), 0);
	assert_int_equal(ip, 0x0a00020f);
	assert_int_equal(mask, 0xffffff00);
	assert_int_equal(gw, 0x0a000202);
	assert_int_equal(net_ipconf_parse("192.168.1.1/30", &ip, &mask, &gw, err, sizeof(err)), 0);
	assert_int_equal(mask, 0xfffffffc);
	assert_int_equal(gw, 0);
	static const struct { const char *in, *msg; } bad[] = {
		{ "10.0.2.15", "no /PREFIX" },
		{ "10.0.2.256/24", "not an IPv4 address" },
		{ "10.0.2/24", "not an IPv4 address" },
		{ "10.0.02.15/24", "not an IPv4 address" },
		{ "10.0.2.15/0", "prefix length must be 1..30: \"0\"" },
		{ "10.0.2.15/31", "prefix length must be 1..30: \"31\"" },
		{ "10.0.2.15/2x", "prefix length must be 1..30" },
		{ "10.0.2.0/24", "network or broadcast address, not a host: \"10.0.2.0\"" },
		{ "10.0.2.255/24", "network or broadcast address" },
		{ "224.0.0.1/24", "not a unicast host address" },
		{ "127.0.0.1/8", "not a unicast host address" },
		{ "10.0.2.15/24,gw=10.0.3.2", "gateway is not a host of the address's subnet: \"10.0.3.2\"" },
		{ "10.0.2.15/24,gw=10.0.2.15", "gateway is the address itself" },
		{ "10.0.2.15/24,gw=10.0.2.x", "gateway: not an IPv4 address" },
		{ "10.0.2.15/24,gateway=10.0.2.2", "expected gw=ADDRESS" },
		{ "10.0.2.15/24,gw=10.0.2.2,x", "gateway: not an IPv4 address" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		ip = 1;
		if (net_ipconf_parse(bad[i].in, &ip, &mask, &gw, err, sizeof(err)) != -1 ||
		    !strstr(err, bad[i].msg) || ip != 0)
			fail_msg("ip=%s: got \"%s\", want \"%s\"", bad[i].in, err, bad[i].msg);
	}
	char b[16];
	assert_string_equal(net_ip_format(0x0a00020f, b), "10.0.2.15");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(arp_queue_bound_and_timeout),
		cmocka_unit_test(arp_reply_resolves_queue),
		cmocka_unit_test(arp_merge_rule),
		cmocka_unit_test(arp_eviction_lru),
		cmocka_unit_test(dhcp_udhcpd),
		cmocka_unit_test(dhcp_slirp),
		cmocka_unit_test(dhcp_renew_rebind_expire),
		cmocka_unit_test(dhcp_lost_replies),
		cmocka_unit_test(dhcp_nak_and_strangers),
		cmocka_unit_test(ipconf_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

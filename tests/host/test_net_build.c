/*
 * test_net_build.c - host tests of the wire layer's builders (rt/net/):
 * frames built from the fields tcpdump read in a recording must equal the
 * recorded frame byte for byte; built frames parse back to their input;
 * no builder writes past its capacity; DHCP's refusals.
 *
 * Truth: the recordings of tests/fixtures/net/ (Linux's ARP, ICMP, UDP and
 * TCP, busybox udhcpc's DHCP DISCOVER and REQUEST) and tcpdump's reading of
 * them (.expect, and for DHCP options the .txt lines quoted below).  The
 * payloads are what tools/record-net-fixtures.sh sent ("tally udp
 * fixture: 0123456789\n", "GET / tally\n", "ok\n"), except ping's, which
 * carries a send time and is copied from the recording: the headers and
 * checksums built around it are what is tested.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/net_fx.h"
#include "rt/net/net.h"
#include "rt/net/dhcp.h"

#define B(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static unsigned long num(const struct nfx *f, size_t i, const char *key)
{
	const char *v = nfx_get(f, i, key);
	if (v == NULL)
		fail_msg("%s frame %zu: no %s", f->name, i + 1, key);
	return strtoul(v, NULL, 0);
}

static uint32_t addr(const struct nfx *f, size_t i, const char *key)
{
	return nfx_ip(nfx_get(f, i, key));
}

static size_t put_eth(uint8_t *b, const struct nfx *f, size_t i)
{
	uint8_t d[6], s[6];
	nfx_mac(nfx_get(f, i, "eth.dst"), d);
	nfx_mac(nfx_get(f, i, "eth.src"), s);
	assert_int_equal(net_eth_build(b, 14, d, s, (uint16_t)num(f, i, "eth.type")), 14);
	return 14;
}

static size_t put_ip(uint8_t *b, const struct nfx *f, size_t i, size_t payload)
{
	struct net_ipv4 h = {
		.tos = (uint8_t)num(f, i, "ip.tos"), .ttl = (uint8_t)num(f, i, "ip.ttl"),
		.proto = (uint8_t)num(f, i, "ip.proto"), .df = (uint8_t)num(f, i, "ip.df"),
		.id = (uint16_t)num(f, i, "ip.id"), .src = addr(f, i, "ip.src"), .dst = addr(f, i, "ip.dst"),
	};
	assert_int_equal(net_ipv4_build(b, 20, &h, payload), 20);
	return 20;
}

static void same(const struct nfx *f, size_t i, const uint8_t *b, size_t n)
{
	if (n != f->len[i])
		fail_msg("%s frame %zu: built %zu bytes, recorded %zu", f->name, i + 1, n, f->len[i]);
	for (size_t k = 0; k < n; k++)
		if (b[k] != f->frame[i][k])
			fail_msg("%s frame %zu: byte %zu built 0x%02x, recorded 0x%02x", f->name, i + 1,
			         k, b[k], f->frame[i][k]);
}

static void test_arp_as_recorded(void **state)
{
	(void)state;
	struct nfx f;
	uint8_t b[64];
	nfx_load("arp_icmp", &f);
	for (size_t i = 0; i < 2; i++) {
		struct net_arp a = {.op = (uint16_t)num(&f, i, "arp.op"),
		                    .spa = addr(&f, i, "arp.spa"), .tpa = addr(&f, 1 - i, "arp.spa")};
		nfx_mac(nfx_get(&f, i, "eth.src"), a.sha);
		/* a request's target MAC is unknown: Linux sends zeros (RFC 826
		 * leaves it open); a reply's is the requester's */
		memset(a.tha, 0, 6);
		if (a.op == ARP_OP_REPLY)
			nfx_mac(nfx_get(&f, i, "eth.dst"), a.tha);
		else
			assert_int_equal(a.tpa, addr(&f, i, "arp.tpa"));
		size_t n = put_eth(b, &f, i);
		assert_int_equal(net_arp_build(b + n, sizeof b - n, &a), 28);
		same(&f, i, b, n + 28);
		struct net_arp back;
		assert_int_equal(net_arp_parse(b + n, 28, &back), NET_OK);
		assert_memory_equal(&back, &a, sizeof a);
	}
	nfx_free(&f);
}

static void test_icmp_as_recorded(void **state)
{
	(void)state;
	struct nfx f;
	uint8_t b[128];
	nfx_load("arp_icmp", &f);
	for (size_t i = 2; i < 4; i++) {
		const uint8_t *data = f.frame[i] + 42;
		size_t dn = f.len[i] - 42;
		assert_int_equal(dn + 8, num(&f, i, "icmp.len"));
		size_t n = put_eth(b, &f, i);
		n += put_ip(b + n, &f, i, 8 + dn);
		int k = net_icmp_build_echo(b + n, sizeof b - n, (uint8_t)num(&f, i, "icmp.type"),
		                            (uint16_t)num(&f, i, "icmp.id"), (uint16_t)num(&f, i, "icmp.seq"),
		                            data, dn);
		assert_int_equal(k, 8 + dn);
		same(&f, i, b, n + (size_t)k);
	}
	/* a reply built in place over its request, as a responder would */
	uint8_t *req = nfx_copy(&f, 2);
	struct net_icmp v;
	assert_int_equal(net_icmp_parse(req + 34, f.len[2] - 34, &v), NET_OK);
	assert_int_equal(net_icmp_build_echo(req + 34, f.len[2] - 34, ICMP_ECHO_REPLY, v.id, v.seq,
	                                     v.data, v.data_len), (int)(f.len[2] - 34));
	assert_memory_equal(req + 34, f.frame[3] + 34, f.len[3] - 34);
	free(req);
	nfx_free(&f);
}

static void test_udp_as_recorded(void **state)
{
	(void)state;
	static const char msg[] = "tally udp fixture: 0123456789\n";
	struct nfx f;
	uint8_t b[128];
	nfx_load("udp", &f);
	for (size_t i = 0; i < 2; i++) {
		size_t n = put_eth(b, &f, i);
		n += put_ip(b + n, &f, i, 8 + sizeof msg - 1);
		int k = net_udp_build(b + n, sizeof b - n, addr(&f, i, "ip.src"), addr(&f, i, "ip.dst"),
		                      (uint16_t)num(&f, i, "udp.sport"), (uint16_t)num(&f, i, "udp.dport"),
		                      (const uint8_t *)msg, sizeof msg - 1);
		assert_int_equal(k, 8 + sizeof msg - 1);
		same(&f, i, b, n + (size_t)k);
	}
	nfx_free(&f);
}

static void test_tcp_as_recorded(void **state)
{
	(void)state;
	struct nfx f;
	uint8_t b[128];
	nfx_load("tcp", &f);
	for (size_t i = 0; i < f.n; i++) {
		struct net_tcp h;
		memset(&h, 0, sizeof h);
		h.sport = (uint16_t)num(&f, i, "tcp.sport");
		h.dport = (uint16_t)num(&f, i, "tcp.dport");
		h.seq = (uint32_t)num(&f, i, "tcp.seq");
		const char *ack = nfx_get(&f, i, "tcp.ack");
		h.ack = strcmp(ack, "none") ? (uint32_t)strtoul(ack, NULL, 10) : 0;
		h.flags = (uint8_t)num(&f, i, "tcp.flags");
		h.win = (uint16_t)num(&f, i, "tcp.win");
		if (nfx_get(&f, i, "tcp.mss"))
			h.opt.has_mss = 1, h.opt.mss = (uint16_t)num(&f, i, "tcp.mss");
		if (nfx_get(&f, i, "tcp.sackok"))
			h.opt.sack_perm = 1;
		if (nfx_get(&f, i, "tcp.tsval"))
			h.opt.has_ts = 1, h.opt.tsval = (uint32_t)num(&f, i, "tcp.tsval"),
			h.opt.tsecr = (uint32_t)num(&f, i, "tcp.tsecr");
		if (nfx_get(&f, i, "tcp.wscale"))
			h.opt.has_wscale = 1, h.opt.wscale = (uint8_t)num(&f, i, "tcp.wscale");
		size_t plen = num(&f, i, "tcp.len");
		const char *pl = plen == 12 ? "GET / tally\n" : plen == 3 ? "ok\n" : "";
		assert_int_equal(strlen(pl), plen);
		size_t olen = (h.opt.has_mss ? 4 : 0) + (h.opt.has_ts ? 12 : 0) + (h.opt.has_wscale ? 4 : 0);
		size_t n = put_eth(b, &f, i);
		n += put_ip(b + n, &f, i, 20 + olen + plen);
		int k = net_tcp_build(b + n, sizeof b - n, addr(&f, i, "ip.src"), addr(&f, i, "ip.dst"),
		                      &h, (const uint8_t *)pl, plen);
		assert_int_equal(k, 20 + olen + plen);
		same(&f, i, b, n + (size_t)k);
	}
	nfx_free(&f);
}

/* The options udhcpc sent, as tcpdump printed them (dhcp.txt):
 *   MSZ (57), length 2: 576
 *   Parameter-Request (55), length 7: 1, 3, 6, 12, 15, 28, 42
 *   Hostname (12), length 5: "tally"
 *   Vendor-Class (60), length 12: "udhcp 1.35.0"
 *   Client-ID (61), length 7: ether 02:00:00:00:00:01  (type 1, the MAC) */
static int build_udhcpc(uint8_t *b, size_t cap, const struct nfx *f, size_t i)
{
	static const uint8_t msz[] = {576 >> 8, 576 & 255}, prl[] = {1, 3, 6, 12, 15, 28, 42},
	                     cid[] = {1, 2, 0, 0, 0, 0, 1};
	const struct net_dhcp_opt extra[] = {
		{57, 2, msz}, {55, 7, prl}, {12, 5, (const uint8_t *)"tally"},
		{60, 12, (const uint8_t *)"udhcp 1.35.0"}, {61, 7, cid},
	};
	struct net_dhcp h;
	memset(&h, 0, sizeof h);
	h.op = DHCP_BOOTREQUEST;
	h.type = (uint8_t)num(f, i, "dhcp.type");
	h.xid = (uint32_t)num(f, i, "dhcp.xid");
	h.secs = (uint16_t)num(f, i, "dhcp.secs");
	h.flags = (uint16_t)num(f, i, "dhcp.flags");
	nfx_mac(nfx_get(f, i, "dhcp.chaddr"), h.chaddr);
	if (nfx_get(f, i, "dhcp.reqip"))
		h.present |= DHCP_HAS_REQ_IP, h.req_ip = addr(f, i, "dhcp.reqip");
	if (nfx_get(f, i, "dhcp.server"))
		h.present |= DHCP_HAS_SERVER, h.server = addr(f, i, "dhcp.server");
	int k = net_dhcp_build(b, cap, &h, extra, 5);
	assert_true(k > 0);
	struct net_dhcp back;
	assert_int_equal(net_dhcp_parse(b, (size_t)k, &back), NET_OK);
	assert_int_equal(back.xid, h.xid);
	assert_int_equal(back.type, h.type);
	assert_int_equal(back.present, h.present);
	assert_int_equal(back.req_ip, h.req_ip);
	assert_int_equal(back.server, h.server);
	assert_memory_equal(back.chaddr, h.chaddr, 6);
	return k;
}

static void test_dhcp_as_recorded(void **state)
{
	(void)state;
	static const struct { const char *name; size_t frame; } cases[] = {
		{"dhcp", 0}, {"dhcp", 2}, {"slirp_dhcp", 0}, {"slirp_dhcp", 2}, {"slirp_dhcp_restrict", 2},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct nfx f;
		uint8_t b[600], d[600];
		size_t i = cases[c].frame;
		nfx_load(cases[c].name, &f);
		int dn = build_udhcpc(d, sizeof d, &f, i);
		assert_int_equal(dn, num(&f, i, "dhcp.len"));
		size_t n = put_eth(b, &f, i);
		n += put_ip(b + n, &f, i, 8 + (size_t)dn);
		int k = net_udp_build(b + n, sizeof b - n, addr(&f, i, "ip.src"), addr(&f, i, "ip.dst"),
		                      (uint16_t)num(&f, i, "udp.sport"), (uint16_t)num(&f, i, "udp.dport"),
		                      d, (size_t)dn);
		same(&f, i, b, n + (size_t)k);
		nfx_free(&f);
	}
}

/* ---- round trips and capacity ---- */

static void test_tcp_round_trip(void **state)
{
	(void)state;
	static const struct net_tcp_opts opts[] = {
		{0},
		{.has_mss = 1, .mss = 536},
		{.sack_perm = 1},
		{.sack_perm = 1, .has_wscale = 1, .wscale = 14},
		{.has_ts = 1, .tsval = 0xdeadbeef, .tsecr = 1, .nsack = 2,
		 .sack = {{1, 2}, {0xfffffff0u, 5}}},
		{.has_ts = 1, .tsval = 7, .nsack = 1, .sack = {{10, 20}}},
		{.nsack = 4, .sack = {{1, 2}, {3, 4}, {5, 6}, {7, 8}}},
	};
	for (size_t c = 0; c < sizeof opts / sizeof opts[0]; c++) {
		uint8_t b[128];
		struct net_tcp h = {.sport = 1234, .dport = 80, .seq = 0x80000000u, .ack = 7,
		                    .flags = TCP_ACK_F | TCP_PSH, .win = 512, .urp = 0, .opt = opts[c]};
		int k = net_tcp_build(b, sizeof b, 0x0a000002, 0x0a00020f, &h, (const uint8_t *)"xyz", 3);
		assert_true(k > 0);
		struct net_tcp v;
		assert_int_equal(net_tcp_parse(b, (size_t)k, 0x0a000002, 0x0a00020f, &v), NET_OK);
		assert_int_equal(v.seq, h.seq);
		assert_int_equal(v.ack, h.ack);
		assert_int_equal(v.flags, h.flags);
		assert_int_equal(v.win, h.win);
		assert_memory_equal(&v.opt, &h.opt, sizeof h.opt);
		assert_int_equal(v.payload_len, 3);
		assert_memory_equal(v.payload, "xyz", 3);
		/* the checksum covers the addresses */
		assert_int_equal(net_tcp_parse(b, (size_t)k, 0x0a000003, 0x0a00020f, &v), NET_DROP_BAD_CSUM);
	}
	struct net_tcp big = {.sport = 1, .dport = 2,
	                      .opt = {.has_mss = 1, .has_ts = 1, .has_wscale = 1, .nsack = 3}};
	uint8_t b[128];
	assert_int_equal(net_tcp_build(b, sizeof b, 1, 2, &big, NULL, 0), NET_EINVAL);
}

typedef int (*build_fn)(uint8_t *b, size_t cap);

static uint8_t ff6[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, me[6] = {2, 0, 0, 0, 0, 1};
static int b_eth(uint8_t *b, size_t cap) { return net_eth_build(b, cap, ff6, me, ETH_P_ARP); }
static int b_arp(uint8_t *b, size_t cap)
{
	struct net_arp a = {.op = ARP_OP_REQUEST, .spa = 1, .tpa = 2};
	return net_arp_build(b, cap, &a);
}
static int b_ip(uint8_t *b, size_t cap)
{
	struct net_ipv4 h = {.ttl = 64, .proto = 17, .src = 1, .dst = 2};
	return net_ipv4_build(b, cap, &h, 100);
}
static int b_icmp(uint8_t *b, size_t cap)
{
	return net_icmp_build_echo(b, cap, ICMP_ECHO_REQUEST, 1, 2, (const uint8_t *)"abcdefgh", 8);
}
static int b_udp(uint8_t *b, size_t cap)
{
	return net_udp_build(b, cap, 1, 2, 3, 4, (const uint8_t *)"abc", 3);
}
static int b_tcp(uint8_t *b, size_t cap)
{
	struct net_tcp h = {.sport = 1, .dport = 2, .opt = {.has_mss = 1, .mss = 1460, .has_ts = 1}};
	return net_tcp_build(b, cap, 1, 2, &h, (const uint8_t *)"abc", 3);
}
static int b_dhcp(uint8_t *b, size_t cap)
{
	struct net_dhcp h = {.op = 1, .type = DHCP_DISCOVER, .xid = 5};
	return net_dhcp_build(b, cap, &h, NULL, 0);
}

static void test_capacity(void **state)
{
	(void)state;
	static const struct { build_fn fn; int len; } cases[] = {
		{b_eth, 14}, {b_arp, 28}, {b_ip, 20}, {b_icmp, 16}, {b_udp, 11}, {b_tcp, 39},
		{b_dhcp, 300},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		for (int cap = 0; cap <= cases[c].len; cap++) {
			uint8_t *b = malloc(cap ? (size_t)cap : 1);   /* exactly cap: ASan sees overruns */
			int k = cases[c].fn(b, (size_t)cap);
			if (cap < cases[c].len && k != NET_ENOSPC)
				fail_msg("builder %zu with capacity %d: %d, expected NET_ENOSPC", c, cap, k);
			if (cap == cases[c].len)
				assert_int_equal(k, cases[c].len);
			free(b);
		}
	}
	uint8_t b[64];
	struct net_arp a = {.op = 3};
	assert_int_equal(net_arp_build(b, sizeof b, &a), NET_EINVAL);
	assert_int_equal(net_icmp_build_echo(b, sizeof b, 3, 0, 0, NULL, 0), NET_EINVAL);
	struct net_ipv4 h = {0};
	assert_int_equal(net_ipv4_build(b, sizeof b, &h, 65516), NET_EINVAL);
	assert_int_equal(net_udp_build(b, sizeof b, 1, 2, 3, 4, b, 65508), NET_EINVAL);
	struct net_dhcp d = {.op = 1, .type = 9};
	assert_int_equal(net_dhcp_build(b, sizeof b, &d, NULL, 0), NET_EINVAL);
	d.type = 1;
	const struct net_dhcp_opt bad = {DHCPOPT_SERVER, 4, b};
	assert_int_equal(net_dhcp_build(b, sizeof b, &d, &bad, 1), NET_EINVAL);
}

/* ---- DHCP refusals, on slirp's recorded OFFER (options at 240: 53 @240,
 * 54 @243, 1 @249, 3 @255, 6 @261, 51 @267, END @273) ---- */

static enum net_drop offer_edited(size_t at, const uint8_t *bytes, size_t n, size_t cut)
{
	struct nfx f;
	nfx_load("slirp_dhcp", &f);
	size_t len = f.len[1] - 42;
	uint8_t *p = malloc(len);
	memcpy(p, f.frame[1] + 42, len);
	assert_int_equal(p[243], 54);
	assert_int_equal(p[273], 255);
	memcpy(p + at, bytes, n);
	struct net_dhcp v;
	enum net_drop r = net_dhcp_parse(p, cut ? cut : len, &v);
	if (r == NET_OK) {
		assert_int_equal(v.type, DHCP_OFFER);
		assert_int_equal(v.yiaddr, 0x0a00020f);
	}
	free(p);
	nfx_free(&f);
	return r;
}

static void test_dhcp_refusals(void **state)
{
	(void)state;
	assert_int_equal(offer_edited(0, B(2), 0), NET_OK);
	assert_int_equal(offer_edited(0, B(3), 0), NET_DROP_BAD_FIELD);               /* op */
	assert_int_equal(offer_edited(1, B(6), 0), NET_DROP_UNSUPPORTED);             /* htype */
	assert_int_equal(offer_edited(2, B(7), 0), NET_DROP_BAD_LEN);                 /* hlen */
	assert_int_equal(offer_edited(236, B(0x63, 0x82, 0x53, 0x64), 0), NET_DROP_BAD_FIELD);
	assert_int_equal(offer_edited(273, B(52, 1, 3, 255), 0), NET_DROP_UNSUPPORTED); /* overload */
	assert_int_equal(offer_edited(273, B(54, 4, 1, 2, 3, 4, 255), 0), NET_DROP_BAD_OPTION);
	assert_int_equal(offer_edited(273, B(53, 1, 5, 255), 0), NET_DROP_BAD_OPTION); /* 2nd type */
	assert_int_equal(offer_edited(273, B(0), 0), NET_DROP_BAD_OPTION);            /* no END */
	assert_int_equal(offer_edited(273, B(0, 0, 0, 0), 274), NET_DROP_BAD_OPTION); /* cut */
	assert_int_equal(offer_edited(240, B(0, 0, 0), 0), NET_DROP_BAD_OPTION);      /* no type */
	assert_int_equal(offer_edited(242, B(9), 0), NET_DROP_BAD_OPTION);            /* type 9 */
	assert_int_equal(offer_edited(250, B(3), 0), NET_DROP_BAD_OPTION);            /* mask len 3 */
	assert_int_equal(offer_edited(256, B(6), 0), NET_DROP_BAD_OPTION);            /* router 6 */
	assert_int_equal(offer_edited(268, B(200), 0), NET_DROP_BAD_OPTION);          /* past end */
	assert_int_equal(offer_edited(273, B(99, 2, 0, 0, 255), 0), NET_OK);          /* unknown */
	assert_int_equal(offer_edited(0, B(0), 239), NET_DROP_SHORT);

	struct nfx f;
	struct net_dhcp v;
	nfx_load("dhcp", &f);
	assert_int_equal(net_dhcp_parse(f.frame[1] + 42, f.len[1] - 42, &v), NET_OK);
	uint8_t mac[6];
	nfx_mac(nfx_get(&f, 1, "dhcp.chaddr"), mac);
	assert_int_equal(net_dhcp_for_us(&v, (uint32_t)num(&f, 1, "dhcp.xid"), mac), NET_OK);
	assert_int_equal(net_dhcp_for_us(&v, (uint32_t)num(&f, 1, "dhcp.xid") + 1, mac),
	                 NET_DROP_NOT_FOR_US);
	mac[5] ^= 1;
	assert_int_equal(net_dhcp_for_us(&v, (uint32_t)num(&f, 1, "dhcp.xid"), mac), NET_DROP_NOT_FOR_US);
	/* the client's own DISCOVER is a request, never a reply for it */
	assert_int_equal(net_dhcp_parse(f.frame[0] + 42, f.len[0] - 42, &v), NET_OK);
	mac[5] ^= 1;
	assert_int_equal(net_dhcp_for_us(&v, v.xid, mac), NET_DROP_NOT_FOR_US);
	/* busybox's NAK: type 6, server id, nothing else */
	nfx_free(&f);
	nfx_load("dhcp_nak", &f);
	assert_int_equal(net_dhcp_parse(f.frame[1] + 42, f.len[1] - 42, &v), NET_OK);
	assert_int_equal(v.type, DHCP_NAK);
	assert_int_equal(v.present, DHCP_HAS_SERVER);
	assert_int_equal(v.yiaddr, 0);
	nfx_free(&f);
}

static void test_drop_names(void **state)
{
	(void)state;
	for (int i = 0; i < NET_DROP_NREASONS; i++) {
		assert_string_not_equal(net_drop_name((enum net_drop)i), "?");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(net_drop_name((enum net_drop)i), net_drop_name((enum net_drop)j));
	}
	assert_string_equal(net_drop_name(NET_DROP_NREASONS), "?");
	struct net_drop_counts c = {{0}};
	net_drop_count(&c, NET_DROP_BAD_CSUM);
	net_drop_count(&c, NET_DROP_BAD_CSUM);
	net_drop_count(&c, NET_OK);
	assert_int_equal(c.n[NET_DROP_BAD_CSUM], 2);
	assert_int_equal(c.n[NET_OK], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arp_as_recorded),
		cmocka_unit_test(test_icmp_as_recorded),
		cmocka_unit_test(test_udp_as_recorded),
		cmocka_unit_test(test_tcp_as_recorded),
		cmocka_unit_test(test_dhcp_as_recorded),
		cmocka_unit_test(test_tcp_round_trip),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_dhcp_refusals),
		cmocka_unit_test(test_drop_names),
	};
	return cmocka_run_group_tests_name("net_build", tests, NULL, NULL);
}

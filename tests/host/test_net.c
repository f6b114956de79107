/*
 * test_net.c - host tests of the wire layer's parsers (rt/net/) against
 * recorded frames, the RFCs' checksum examples, and every corruption and
 * truncation of the recordings.
 *
 * Truth:
 *   - tests/fixtures/net/: frames Linux, busybox's DHCP client and server
 *     and QEMU's slirp sent (tools/record-net-fixtures.sh), and the
 *     .expect written from tcpdump's reading of them; tcpdump said every
 *     UDP and TCP checksum was correct;
 *   - RFC 1071 section 3's example (bytes 00 01 f2 03 f4 f5 f6 f7: sum
 *     0xddf2), the IPv4 header example 4500 0030 4422 4000 8006 xxxx
 *     8c7c 19ac ae24 1e2b with checksum 0x442e, RFC 1624 section 4's
 *     example (HC 0xdd2f, m 0x5555 -> m' 0x3285: HC' 0x0000, where RFC
 *     1141's form gives 0xffff) and its erratum 5864's (HC 0, 0x5555 ->
 *     0x5556: 0xfffe);
 *   - for a corrupted byte, which check the protocol must fail, decided
 *     here from which field the byte is in (mutation_expect below), with
 *     checksums recomputed by the tests' own reference (net_fx.c) where a
 *     test edits a field on purpose.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/net_fx.h"
#include "rt/net/net.h"
#include "rt/net/dhcp.h"

static const uint8_t other_mac[6] = {0x02, 0, 0, 0, 0x99, 0x99};

/* The receiver of frame i: its destination MAC (or one the recording never
 * uses, for broadcasts) and its destination IP (0, take any, for the
 * limited broadcast). */
static void cfg_for(const struct nfx *f, size_t i, struct net_rx_cfg *c)
{
	memset(c, 0, sizeof *c);
	nfx_mac(nfx_get(f, i, "eth.dst"), c->mac);
	if (net_eth_is_broadcast(c->mac))
		memcpy(c->mac, other_mac, 6);
	const char *dst = nfx_get(f, i, "ip.dst");
	if (dst != NULL && nfx_ip(dst) != IP4_BROADCAST)
		c->ip = nfx_ip(dst);
}

static enum net_drop rx(const struct nfx *f, size_t i, const uint8_t *b, size_t n,
                        struct net_rx *out)
{
	struct net_rx_cfg c;
	cfg_for(f, i, &c);
	enum net_drop r = net_rx_parse(&c, b, n, out);
	if (r == NET_OK && out->kind == NET_RX_UDP &&
	    (out->udp.dport == DHCP_CLIENT_PORT || out->udp.dport == DHCP_SERVER_PORT)) {
		struct net_dhcp d;
		r = net_dhcp_parse(out->udp.payload, out->udp.payload_len, &d);
	}
	return r;
}

/* ---- checksums ---- */

static void test_csum_rfc1071(void **state)
{
	(void)state;
	static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	assert_int_equal(net_csum(b, sizeof b), (uint16_t)~0xddf2);
	assert_int_equal(nfx_ref_csum(NULL, 0, b, sizeof b), (uint16_t)~0xddf2);
	/* in two parts (associativity, RFC 1071 2(B)) */
	assert_int_equal(net_csum_fold(net_csum_add(net_csum_add(0, b, 4), b + 4, 4)),
	                 (uint16_t)~0xddf2);
	/* odd length: the last byte is the high half of a zero-padded word */
	/* 0001 + f203 + f4f5 + f600 = 2dcf9 -> dcf9 + 2 = dcfb -> ~ = 2304 */
	assert_int_equal(net_csum(b, 7), 0x2304);
	static const uint8_t ip[] = {0x45, 0x00, 0x00, 0x30, 0x44, 0x22, 0x40, 0x00, 0x80, 0x06,
	                             0x00, 0x00, 0x8c, 0x7c, 0x19, 0xac, 0xae, 0x24, 0x1e, 0x2b};
	assert_int_equal(net_csum(ip, sizeof ip), 0x442e);
	assert_int_equal(nfx_ref_csum(NULL, 0, ip, sizeof ip), 0x442e);
}

static void test_csum_rfc1624(void **state)
{
	(void)state;
	assert_int_equal(net_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
	assert_int_equal(net_csum_update16(0x0000, 0x5555, 0x5556), 0xfffe);
	/* on every recorded IPv4 header: TTL decremented, incremental update
	 * equals the reference recomputed from scratch */
	for (const char *const *nm = nfx_names; *nm; nm++) {
		struct nfx f;
		nfx_load(*nm, &f);
		for (size_t i = 0; i < f.n; i++) {
			if (f.len[i] < 34 || f.frame[i][12] != 0x08 || f.frame[i][13] != 0x00)
				continue;
			uint8_t *c = nfx_copy(&f, i), *ip = c + 14;
			uint16_t old = (uint16_t)(ip[8] << 8 | ip[9]), hc = (uint16_t)(ip[10] << 8 | ip[11]);
			ip[8]--;
			uint16_t inc = net_csum_update16(hc, old, (uint16_t)(ip[8] << 8 | ip[9]));
			ip[10] = ip[11] = 0;
			assert_int_equal(inc, nfx_ref_csum(NULL, 0, ip, 20));
			free(c);
		}
		nfx_free(&f);
	}
}

/* ---- recorded frames read as tcpdump read them ---- */

static void ipstr(uint32_t a, char *b)
{
	sprintf(b, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
}

static void macstr(const uint8_t *m, char *b)
{
	sprintf(b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* Our value of an .expect key, formatted as tcpdump prints it; 0 if the
 * key is not one we compare. */
static int ours(const struct net_rx *r, const struct net_dhcp *d, const char *key,
                size_t flen, char *b)
{
	const struct net_tcp_opts *o = &r->tcp.opt;
	if (!strcmp(key, "eth.src")) macstr(r->eth.src, b);
	else if (!strcmp(key, "eth.dst")) macstr(r->eth.dst, b);
	else if (!strcmp(key, "eth.type")) sprintf(b, "0x%04x", r->eth.type);
	else if (!strcmp(key, "frame.len")) sprintf(b, "%zu", flen);
	else if (!strcmp(key, "arp.op")) sprintf(b, "%u", r->arp.op);
	else if (!strcmp(key, "arp.spa")) ipstr(r->arp.spa, b);
	else if (!strcmp(key, "arp.tpa")) ipstr(r->arp.tpa, b);
	else if (!strcmp(key, "arp.sha")) macstr(r->arp.sha, b);
	else if (!strcmp(key, "ip.tos")) sprintf(b, "0x%x", r->ip.tos);
	else if (!strcmp(key, "ip.ttl")) sprintf(b, "%u", r->ip.ttl);
	else if (!strcmp(key, "ip.id")) sprintf(b, "%u", r->ip.id);
	else if (!strcmp(key, "ip.frag")) sprintf(b, "0");    /* a fragment is never NET_OK */
	else if (!strcmp(key, "ip.df")) sprintf(b, "%u", r->ip.df);
	else if (!strcmp(key, "ip.proto")) sprintf(b, "%u", r->ip.proto);
	else if (!strcmp(key, "ip.len")) sprintf(b, "%u", r->ip.total_len);
	else if (!strcmp(key, "ip.src")) ipstr(r->ip.src, b);
	else if (!strcmp(key, "ip.dst")) ipstr(r->ip.dst, b);
	else if (!strcmp(key, "icmp.type")) sprintf(b, "%u", r->icmp.type);
	else if (!strcmp(key, "icmp.id")) sprintf(b, "%u", r->icmp.id);
	else if (!strcmp(key, "icmp.seq")) sprintf(b, "%u", r->icmp.seq);
	else if (!strcmp(key, "icmp.len")) sprintf(b, "%zu", r->icmp.data_len + 8);
	else if (!strcmp(key, "udp.sport")) sprintf(b, "%u", r->udp.sport);
	else if (!strcmp(key, "udp.dport")) sprintf(b, "%u", r->udp.dport);
	else if (!strcmp(key, "udp.csum")) sprintf(b, "ok");  /* NET_OK: verified */
	else if (!strcmp(key, "tcp.sport")) sprintf(b, "%u", r->tcp.sport);
	else if (!strcmp(key, "tcp.dport")) sprintf(b, "%u", r->tcp.dport);
	else if (!strcmp(key, "tcp.flags")) sprintf(b, "0x%02x", r->tcp.flags);
	else if (!strcmp(key, "tcp.csum")) sprintf(b, "correct");
	else if (!strcmp(key, "tcp.seq")) sprintf(b, "%u", r->tcp.seq);
	else if (!strcmp(key, "tcp.ack")) {
		if (r->tcp.flags & TCP_ACK_F) sprintf(b, "%u", r->tcp.ack);
		else sprintf(b, "none");
	}
	else if (!strcmp(key, "tcp.win")) sprintf(b, "%u", r->tcp.win);
	else if (!strcmp(key, "tcp.len")) sprintf(b, "%zu", r->tcp.payload_len);
	else if (!strcmp(key, "tcp.mss")) { if (!o->has_mss) return 0; sprintf(b, "%u", o->mss); }
	else if (!strcmp(key, "tcp.wscale")) { if (!o->has_wscale) return 0; sprintf(b, "%u", o->wscale); }
	else if (!strcmp(key, "tcp.tsval")) { if (!o->has_ts) return 0; sprintf(b, "%u", o->tsval); }
	else if (!strcmp(key, "tcp.tsecr")) { if (!o->has_ts) return 0; sprintf(b, "%u", o->tsecr); }
	else if (!strcmp(key, "tcp.sackok")) sprintf(b, "%u", o->sack_perm);
	else if (!strcmp(key, "tcp.opts")) return 0;          /* compared through the keys above */
	else if (!strcmp(key, "dhcp.len")) sprintf(b, "%zu", r->udp.payload_len);
	else if (!strcmp(key, "dhcp.xid")) sprintf(b, "0x%08x", d->xid);
	else if (!strcmp(key, "dhcp.secs")) sprintf(b, "%u", d->secs);
	else if (!strcmp(key, "dhcp.flags")) sprintf(b, "0x%04x", d->flags);
	else if (!strcmp(key, "dhcp.yiaddr")) ipstr(d->yiaddr, b);
	else if (!strcmp(key, "dhcp.siaddr")) ipstr(d->siaddr, b);
	else if (!strcmp(key, "dhcp.chaddr")) macstr(d->chaddr, b);
	else if (!strcmp(key, "dhcp.type")) sprintf(b, "%u", d->type);
	else if (!strcmp(key, "dhcp.server")) ipstr(d->server, b);
	else if (!strcmp(key, "dhcp.lease")) sprintf(b, "%u", d->lease);
	else if (!strcmp(key, "dhcp.mask")) ipstr(d->mask, b);
	else if (!strcmp(key, "dhcp.router")) ipstr(d->router, b);
	else if (!strcmp(key, "dhcp.reqip")) ipstr(d->req_ip, b);
	else if (!strcmp(key, "dhcp.dns")) {
		b[0] = 0;
		for (unsigned k = 0; k < d->ndns; k++) {
			if (k) strcat(b, ",");
			ipstr(d->dns[k], b + strlen(b));
		}
	}
	else fail_msg("unknown .expect key %s", key);
	return 1;
}

static void test_fixtures_as_tcpdump_reads_them(void **state)
{
	(void)state;
	size_t compared = 0, frames = 0;
	for (const char *const *nm = nfx_names; *nm; nm++) {
		struct nfx f;
		nfx_load(*nm, &f);
		size_t fi = (size_t)-1;
		struct net_rx r;
		struct net_dhcp d;
		for (size_t k = 0; k < f.exp.n; k++) {
			const char *key = f.exp.key[k], *want = f.exp.val[k];
			char got[256];
			if (!strcmp(key, "frame")) {
				fi++;
				frames++;
				struct net_rx_cfg c;
				cfg_for(&f, fi, &c);
				enum net_drop e = net_rx_parse(&c, f.frame[fi], f.len[fi], &r);
				if (e != NET_OK)
					fail_msg("%s frame %zu: dropped (%s)", *nm, fi + 1, net_drop_name(e));
				memset(&d, 0, sizeof d);
				if (nfx_get(&f, fi, "dhcp.type")) {
					e = net_dhcp_parse(r.udp.payload, r.udp.payload_len, &d);
					if (e != NET_OK)
						fail_msg("%s frame %zu: DHCP dropped (%s)", *nm, fi + 1, net_drop_name(e));
				}
				/* tcpdump's verdict "correct"/"ok" is what NET_OK implies */
				continue;
			}
			if (!ours(&r, &d, key, f.len[fi], got)) {
				if (!strcmp(key, "tcp.opts") || !strcmp(key, "ip.frag"))
					continue;
				fail_msg("%s frame %zu: %s %s but the parse has no such option", *nm, fi + 1,
				         key, want);
			}
			if (strcmp(got, want) != 0)
				fail_msg("%s frame %zu: %s is %s, tcpdump read %s", *nm, fi + 1, key, got, want);
			compared++;
		}
		nfx_free(&f);
	}
	assert_int_equal(frames, 30);
	assert_true(compared > 500);
}

/* ---- every byte corrupted ---- */

/* What the stack must say when byte i of frame (eth type, IP total length
 * and protocol from the .expect) is XORed with m.  Derived from the
 * protocols: Ethernet has no FCS here, ARP no checksum; IPv4, ICMP, UDP
 * and TCP checksums cover every other byte. */
static enum net_drop mutation_expect(const struct nfx *f, size_t fi, const uint8_t *b,
                                     size_t i, uint8_t m)
{
	unsigned type = (unsigned)strtoul(nfx_get(f, fi, "eth.type"), NULL, 16);
	if (i < 6)
		return NET_DROP_NOT_FOR_US;
	if (i < 12)
		return (i == 6 && (m & 1)) ? NET_DROP_BAD_ADDR : NET_OK;
	if (i < 14)
		return NET_DROP_UNSUPPORTED;     /* no single flip here makes 0x0800 <-> 0x0806 */
	size_t j = i - 14, avail = f->len[fi] - 14;
	if (type == 0x0806) {
		if (j < 4)
			return NET_DROP_UNSUPPORTED;
		if (j < 6)
			return NET_DROP_BAD_LEN;
		if (j < 8) {
			unsigned op = (unsigned)(b[14 + 6] << 8 | b[14 + 7]);
			return op == 1 || op == 2 ? NET_OK : NET_DROP_BAD_FIELD;
		}
		if (j == 8)
			return (m & 1) ? NET_DROP_BAD_ADDR : NET_OK;
		if (j >= 14 && j < 18) {
			uint32_t spa = (uint32_t)b[28] << 24 | (uint32_t)b[29] << 16 | (uint32_t)b[30] << 8 | b[31];
			return (spa >> 28) == 0xe || spa == 0xffffffffu ? NET_DROP_BAD_ADDR : NET_OK;
		}
		return NET_OK;                   /* sender MAC low bits, target: unprotected */
	}
	if (j == 0) {
		if (b[14] >> 4 != 4)
			return NET_DROP_BAD_VERSION;
		size_t hl = (size_t)(b[14] & 15) * 4;
		if (hl < 20)
			return NET_DROP_BAD_IHL;
		return hl > avail ? NET_DROP_TRUNCATED : NET_DROP_BAD_CSUM;
	}
	if (j < 20)
		return NET_DROP_BAD_CSUM;
	unsigned proto = (unsigned)atoi(nfx_get(f, fi, "ip.proto"));
	size_t k = j - 20, l4 = (size_t)atoi(nfx_get(f, fi, "ip.len")) - 20;
	if (k >= l4)
		return NET_OK;                   /* Ethernet padding: none in these recordings */
	if (proto == 17 && (k == 4 || k == 5)) {
		size_t ulen = (size_t)(b[34 + 4] << 8 | b[34 + 5]);
		return ulen < 8 ? NET_DROP_BAD_LEN : ulen > l4 ? NET_DROP_TRUNCATED : NET_DROP_BAD_CSUM;
	}
	if (proto == 17 && (k == 6 || k == 7) && b[34 + 6] == 0 && b[34 + 7] == 0)
		return NET_OK;                   /* checksum 0: "none computed" */
	return NET_DROP_BAD_CSUM;
}

static void test_every_byte_corrupted(void **state)
{
	(void)state;
	static const uint8_t masks[] = {0x01, 0x02, 0x10, 0x80, 0xff};
	size_t tried = 0, accepted = 0;
	for (const char *const *nm = nfx_names; *nm; nm++) {
		struct nfx f;
		nfx_load(*nm, &f);
		for (size_t fi = 0; fi < f.n; fi++) {
			uint8_t *b = nfx_copy(&f, fi);
			for (size_t i = 0; i < f.len[fi]; i++) {
				for (size_t mi = 0; mi < sizeof masks; mi++) {
					struct net_rx r;
					b[i] ^= masks[mi];
					enum net_drop want = mutation_expect(&f, fi, b, i, masks[mi]);
					enum net_drop got = rx(&f, fi, b, f.len[fi], &r);
					if (got != want)
						fail_msg("%s frame %zu byte %zu ^0x%02x: %s, expected %s", *nm,
						         fi + 1, i, masks[mi], net_drop_name(got), net_drop_name(want));
					b[i] ^= masks[mi];
					tried++;
					accepted += want == NET_OK;
				}
			}
			free(b);
		}
		nfx_free(&f);
	}
	/* what is accepted is only what no check can see: 5 of 6 source MAC
	 * bytes' flips, ARP's unprotected fields, a UDP checksum becoming 0 */
	assert_true(tried > 10000);
	assert_true(accepted * 20 < tried);
}

/* ---- every truncation ---- */

static void test_every_truncation(void **state)
{
	(void)state;
	for (const char *const *nm = nfx_names; *nm; nm++) {
		struct nfx f;
		nfx_load(*nm, &f);
		for (size_t fi = 0; fi < f.n; fi++) {
			unsigned type = (unsigned)strtoul(nfx_get(&f, fi, "eth.type"), NULL, 16);
			for (size_t n = 0; n < f.len[fi]; n++) {
				uint8_t *b = malloc(n ? n : 1);   /* exactly n bytes: ASan sees over-reads */
				struct net_rx r;
				memcpy(b, f.frame[fi], n);
				enum net_drop want, got = rx(&f, fi, b, n, &r);
				if (n < 14)
					want = NET_DROP_SHORT;
				else if (type == 0x0806)
					want = n - 14 < 28 ? NET_DROP_SHORT : NET_OK;
				else
					want = n - 14 < 20 ? NET_DROP_SHORT : NET_DROP_TRUNCATED;
				if (got != want)
					fail_msg("%s frame %zu cut to %zu: %s, expected %s", *nm, fi + 1, n,
					         net_drop_name(got), net_drop_name(want));
				free(b);
			}
		}
		nfx_free(&f);
	}
}

/* ---- a field set on purpose, checksums made right by the reference ---- */

static enum net_drop edited(const char *name, size_t fi, size_t at, const uint8_t *bytes,
                            size_t n, int fix)
{
	struct nfx f;
	struct net_rx r;
	nfx_load(name, &f);
	uint8_t *b = nfx_copy(&f, fi);
	memcpy(b + at, bytes, n);
	if (fix & 1)
		nfx_fix_ip(b, f.len[fi]);
	if (fix & 2)
		nfx_fix_l4(b, f.len[fi]);
	enum net_drop e = rx(&f, fi, b, f.len[fi], &r);
	free(b);
	nfx_free(&f);
	return e;
}

#define B(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static void test_field_drops(void **state)
{
	(void)state;
	/* arp_icmp: 0 ARP request, 2 ICMP echo request; udp: 0; tcp: 0 SYN */
	assert_int_equal(edited("arp_icmp", 2, 12, B(0x81, 0x00), 0), NET_DROP_UNSUPPORTED);
	assert_int_equal(edited("arp_icmp", 2, 12, B(0x05, 0xdc), 0), NET_DROP_UNSUPPORTED);
	assert_int_equal(edited("arp_icmp", 2, 12, B(0x86, 0xdd), 0), NET_DROP_UNSUPPORTED);
	assert_int_equal(edited("arp_icmp", 0, 14 + 7, B(3), 0), NET_DROP_BAD_FIELD);
	assert_int_equal(edited("arp_icmp", 0, 14 + 14, B(224, 0, 0, 1), 0), NET_DROP_BAD_ADDR);
	assert_int_equal(edited("arp_icmp", 0, 14 + 4, B(8), 0), NET_DROP_BAD_LEN);
	/* IPv4 */
	assert_int_equal(edited("arp_icmp", 2, 14 + 6, B(0x20, 0x00), 1), NET_DROP_FRAGMENT);
	assert_int_equal(edited("arp_icmp", 2, 14 + 6, B(0x00, 0x01), 1), NET_DROP_FRAGMENT);
	assert_int_equal(edited("arp_icmp", 2, 14 + 6, B(0x80, 0x00), 1), NET_DROP_BAD_FIELD);
	assert_int_equal(edited("arp_icmp", 2, 14 + 2, B(0x00, 19), 1), NET_DROP_BAD_LEN);
	assert_int_equal(edited("arp_icmp", 2, 14 + 2, B(0x00, 85), 1), NET_DROP_TRUNCATED);
	assert_int_equal(edited("arp_icmp", 2, 14 + 9, B(50), 1), NET_DROP_UNSUPPORTED);
	assert_int_equal(edited("arp_icmp", 2, 14 + 12, B(224, 0, 0, 5), 3), NET_DROP_BAD_ADDR);
	assert_int_equal(edited("arp_icmp", 2, 14 + 16, B(192, 0, 2, 9), 3), NET_DROP_NOT_FOR_US);
	assert_int_equal(edited("arp_icmp", 2, 14 + 16, B(255, 255, 255, 255), 3), NET_OK);
	assert_int_equal(edited("arp_icmp", 2, 0, B(0x02, 0, 0, 0, 0, 3), 0), NET_DROP_NOT_FOR_US);
	/* IHL 6: the ICMP header's first bytes "08 00" become an option of
	 * kind 8 whose length 0 is below 2 */
	assert_int_equal(edited("arp_icmp", 2, 14, B(0x46), 1), NET_DROP_BAD_OPTION);
	/* UDP */
	assert_int_equal(edited("udp", 0, 34 + 4, B(0, 7), 1), NET_DROP_BAD_LEN);
	assert_int_equal(edited("udp", 0, 34 + 4, B(0, 39), 1), NET_DROP_TRUNCATED);
	assert_int_equal(edited("udp", 0, 34 + 6, B(0, 0), 0), NET_OK);
	assert_int_equal(edited("udp", 0, 34 + 2, B(0, 0), 2), NET_DROP_BAD_ADDR);
	assert_int_equal(edited("udp", 0, 34 + 2, B(0, 9), 2), NET_OK);
	/* TCP: the SYN's options are 02 04 05 b4 04 02 08 0a ... 01 03 03 0a */
	assert_int_equal(edited("tcp", 0, 54 + 1, B(5), 2), NET_DROP_BAD_OPTION);    /* MSS len 5 */
	assert_int_equal(edited("tcp", 0, 54 + 1, B(0), 2), NET_DROP_BAD_OPTION);    /* len 0 */
	assert_int_equal(edited("tcp", 0, 54 + 1, B(1), 2), NET_DROP_BAD_OPTION);    /* len 1 */
	assert_int_equal(edited("tcp", 0, 54 + 1, B(21), 2), NET_DROP_BAD_OPTION);   /* past end */
	assert_int_equal(edited("tcp", 0, 54 + 5, B(3), 2), NET_DROP_BAD_OPTION);    /* SACK-perm 3 */
	assert_int_equal(edited("tcp", 0, 54 + 7, B(9), 2), NET_DROP_BAD_OPTION);    /* TS 9 */
	assert_int_equal(edited("tcp", 0, 54 + 18, B(4), 2), NET_DROP_BAD_OPTION);   /* WS 4 */
	assert_int_equal(edited("tcp", 0, 54 + 16, B(0), 2), NET_OK);   /* EOL before WS */
	assert_int_equal(edited("tcp", 0, 54 + 0, B(99, 4), 2), NET_OK); /* unknown, skipped */
	assert_int_equal(edited("tcp", 0, 46, B(0x40), 2), NET_DROP_BAD_LEN);     /* offset 4 */
	assert_int_equal(edited("tcp", 0, 46, B(0xf0), 2), NET_DROP_TRUNCATED);   /* offset 15 */
	assert_int_equal(edited("tcp", 0, 34, B(0, 0), 2), NET_DROP_BAD_ADDR);    /* port 0 */
}

/* NET_RX_L4_CSUM_OK (a device vouched for the L4 checksum): the recorded
 * ICMP, UDP and TCP frames with their last payload byte changed are
 * BAD_CSUM without the flag and accepted with it; the IPv4 header's
 * checksum is still verified with it (the TTL changed: BAD_CSUM). */
static void test_l4_csum_trust(void **state)
{
	(void)state;
	static const struct { const char *name; size_t fi; } fr[] = {
		{ "arp_icmp", 2 }, { "udp", 0 }, { "tcp", 2 },
	};
	for (size_t k = 0; k < sizeof(fr) / sizeof(fr[0]); k++) {
		struct nfx f;
		struct net_rx r, r0;
		struct net_rx_cfg c;
		nfx_load(fr[k].name, &f);
		cfg_for(&f, fr[k].fi, &c);
		size_t n = f.len[fr[k].fi];
		uint8_t *b = nfx_copy(&f, fr[k].fi);
		assert_int_equal(net_rx_parse_flags(&c, b, n, 0, &r0), NET_OK);
		b[n - 1] ^= 0x10;
		assert_int_equal(net_rx_parse(&c, b, n, &r), NET_DROP_BAD_CSUM);
		assert_int_equal(net_rx_parse_flags(&c, b, n, 0, &r), NET_DROP_BAD_CSUM);
		assert_int_equal(net_rx_parse_flags(&c, b, n, NET_RX_L4_CSUM_OK, &r), NET_OK);
		assert_int_equal(r.kind, r0.kind);
		b[14 + 8] ^= 0x01;   /* TTL: the IPv4 header's checksum no longer holds */
		assert_int_equal(net_rx_parse_flags(&c, b, n, NET_RX_L4_CSUM_OK, &r),
		                 NET_DROP_BAD_CSUM);
		free(b);
		nfx_free(&f);
	}
}

static void test_tcp_options_parsed(void **state)
{
	(void)state;
	struct net_tcp_opts o;
	/* window scale 20 is taken as 14 (RFC 7323 2.3) */
	assert_int_equal(net_tcp_parse_options(B(3, 3, 20), &o), NET_OK);
	assert_int_equal(o.wscale, 14);
	/* SACK: 2 blocks; 5 blocks cannot be (and do not fit 40 bytes) */
	assert_int_equal(net_tcp_parse_options(B(1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2,
	                                         0, 0, 0, 3, 0, 0, 0, 4), &o), NET_OK);
	assert_int_equal(o.nsack, 2);
	assert_int_equal(o.sack[1].left, 3);
	assert_int_equal(o.sack[1].right, 4);
	assert_int_equal(net_tcp_parse_options(B(5, 9, 0, 0, 0, 0, 0, 0, 0), &o), NET_DROP_BAD_OPTION);
	assert_int_equal(net_tcp_parse_options(B(5, 2), &o), NET_DROP_BAD_OPTION);
	/* a second SACK option replaces the first whole, no stale block left
	 * (fuzz_tcp's crash-54ed9b58: the rebuilt view differed) */
	assert_int_equal(net_tcp_parse_options(B(5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
	                                         5, 10, 0, 0, 0, 9, 0, 0, 0, 10), &o), NET_OK);
	assert_int_equal(o.nsack, 1);
	assert_int_equal(o.sack[0].left, 9);
	assert_int_equal(o.sack[1].left, 0);
	assert_int_equal(o.sack[1].right, 0);
	/* a kind in the last byte has no length byte */
	assert_int_equal(net_tcp_parse_options(B(1, 1, 1, 2), &o), NET_DROP_BAD_OPTION);
	/* everything after EOL is ignored, even garbage */
	assert_int_equal(net_tcp_parse_options(B(0, 2, 9), &o), NET_OK);
	assert_int_equal(o.has_mss, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_rfc1071),
		cmocka_unit_test(test_csum_rfc1624),
		cmocka_unit_test(test_fixtures_as_tcpdump_reads_them),
		cmocka_unit_test(test_every_byte_corrupted),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_field_drops),
		cmocka_unit_test(test_tcp_options_parsed),
		cmocka_unit_test(test_l4_csum_trust),
	};
	return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}

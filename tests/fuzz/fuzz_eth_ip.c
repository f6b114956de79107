/*
 * fuzz_eth_ip.c - net_rx_parse (rt/net/rx.c) and every parser under it:
 * Ethernet, ARP, IPv4, ICMP, UDP, TCP, and DHCP on ports 67/68.
 *
 * Input: one Ethernet frame.  Seeds: the recorded frames of
 * tests/fixtures/net/.  Each input is parsed twice: as it is, by a host
 * with a fixed address (192.0.2.2, 02:00:00:00:00:02), which exercises the
 * drops; and, on a copy whose IPv4 header and ICMP/UDP/TCP checksums the
 * harness recomputed, by a host with no address yet whose MAC is the
 * frame's destination, so that random bytes reach the upper parsers.
 *
 * A third parse, of the input as it is, by a host whose MAC is the
 * frame's destination, with and without NET_RX_L4_CSUM_OK (a device that
 * vouches for the L4 checksum): the verdicts must agree unless the check
 * trusting skips refused the frame.
 *
 * Promises checked (net.h): a NET_OK view's pointers and lengths lie
 * inside the frame and agree with each other; every checksum verifies; no
 * fragment passes; an ARP, IPv4 (no options), ICMP echo and UDP view
 * rebuilds to the same bytes (checksum fields aside: 0 and 0xffff both
 * verify), a TCP and DHCP view to the same view.
 */
#include "tests/fuzz/fuzz_net_check.h"

static void check(const uint8_t *f, size_t len, const struct net_rx *r)
{
	FZ_CHECK(len >= 14 && r->eth.payload == f + 14 && r->eth.payload_len == len - 14);
	const uint8_t *p = r->eth.payload;
	size_t n = r->eth.payload_len;
	if (r->kind == NET_RX_ARP) {
		uint8_t o[28];
		FZ_CHECK(n >= 28 && net_arp_build(o, sizeof o, &r->arp) == 28);
		FZ_CHECK(memcmp(o, p, 28) == 0);
		return;
	}
	const struct net_ipv4 *ip = &r->ip;
	FZ_CHECK(r->kind == NET_RX_ICMP || r->kind == NET_RX_UDP || r->kind == NET_RX_TCP);
	FZ_CHECK(ip->hlen >= 20 && ip->hlen <= 60 && ip->hlen % 4 == 0);
	FZ_CHECK(ip->hlen <= ip->total_len && ip->total_len <= n);
	FZ_CHECK(ip->payload == p + ip->hlen && ip->payload_len == ip->total_len - ip->hlen);
	FZ_CHECK(ip->opts == p + 20 && ip->opts_len == ip->hlen - 20);
	FZ_INSIDE(ip->payload, ip->payload_len, f, len);
	FZ_CHECK(net_csum(p, ip->hlen) == 0);
	FZ_CHECK((net_get16(p + IP4_FRAG) & (IP4_F_MF | IP4_OFFMASK | IP4_F_RESERVED)) == 0);
	if (ip->hlen == 20) {
		uint8_t o[20];
		FZ_CHECK(net_ipv4_build(o, sizeof o, ip, ip->payload_len) == 20);
		FZ_CHECK(memcmp(o, p, 10) == 0 && memcmp(o + 12, p + 12, 8) == 0);
	}
	const uint8_t *l4 = ip->payload;
	size_t ln = ip->payload_len;
	uint8_t *o = malloc(ln + 1);
	FZ_CHECK(o != NULL);
	if (r->kind == NET_RX_ICMP) {
		FZ_CHECK(r->icmp.data == l4 + 8 && r->icmp.data_len == ln - 8);
		FZ_CHECK(net_csum(l4, ln) == 0);
		if ((r->icmp.type == ICMP_ECHO_REQUEST || r->icmp.type == ICMP_ECHO_REPLY) &&
		    r->icmp.code == 0) {
			int k = net_icmp_build_echo(o, ln, r->icmp.type, r->icmp.id, r->icmp.seq,
			                            r->icmp.data, r->icmp.data_len);
			FZ_CHECK(k == (int)ln);
			FZ_CHECK(memcmp(o, l4, 2) == 0 && memcmp(o + 4, l4 + 4, ln - 4) == 0);
		}
	} else if (r->kind == NET_RX_UDP) {
		const struct net_udp *u = &r->udp;
		FZ_CHECK(u->ulen >= 8 && u->ulen <= ln && u->payload == l4 + 8 &&
		         u->payload_len == (size_t)u->ulen - 8 && u->dport != 0);
		int k = net_udp_build(o, ln, ip->src, ip->dst, u->sport, u->dport, u->payload,
		                      u->payload_len);
		FZ_CHECK(k == u->ulen && memcmp(o, l4, 6) == 0 && memcmp(o + 8, l4 + 8, (size_t)k - 8) == 0);
		struct net_udp w;
		FZ_CHECK(net_udp_parse(o, (size_t)k, ip->src, ip->dst, &w) == NET_OK && w.csum != 0);
		if (u->dport == DHCP_CLIENT_PORT || u->dport == DHCP_SERVER_PORT) {
			struct net_dhcp d;
			if (net_dhcp_parse(u->payload, u->payload_len, &d) == NET_OK)
				fz_check_dhcp(u->payload, u->payload_len, &d);
		}
	} else {
		fz_check_tcp(l4, ln, ip->src, ip->dst, &r->tcp);
	}
	free(o);
}

/* Recompute the checksums an IPv4 frame carries (the harness's own use of
 * net_csum: only to let random bytes past them). */
static void fix(uint8_t *f, size_t len)
{
	if (len < 34 || f[12] != 0x08 || f[13] != 0x00)
		return;
	uint8_t *ip = f + 14;
	size_t hl = (size_t)(ip[0] & 15) * 4, tot = net_get16(ip + 2);
	if (hl < 20 || 14 + hl > len)
		return;
	net_put16(ip + 10, 0);
	net_put16(ip + 10, net_csum(ip, hl));
	if (tot < hl || 14 + tot > len)
		return;
	uint8_t *l4 = ip + hl;
	size_t n = tot - hl;
	uint32_t src = net_get32(ip + 12), dst = net_get32(ip + 16);
	if (ip[9] == IP_P_ICMP && n >= 8) {
		net_put16(l4 + 2, 0);
		net_put16(l4 + 2, net_csum(l4, n));
	} else if (ip[9] == IP_P_UDP && n >= 8) {
		size_t ul = net_get16(l4 + 4);
		if (ul < 8 || ul > n)
			return;
		net_put16(l4 + 6, 0);
		uint16_t c = net_csum_fold(net_csum_add(net_csum_pseudo4(src, dst, IP_P_UDP, (uint16_t)ul), l4, ul));
		net_put16(l4 + 6, c ? c : 0xffff);
	} else if (ip[9] == IP_P_TCP && n >= 20) {
		net_put16(l4 + 16, 0);
		net_put16(l4 + 16, net_csum_fold(net_csum_add(
			net_csum_pseudo4(src, dst, IP_P_TCP, (uint16_t)n), l4, n)));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_rx r;
	struct net_rx_cfg cfg = {.mac = {2, 0, 0, 0, 0, 2}, .ip = 0xc0000202, .bcast = 0xc00002ff};

	if (net_rx_parse(&cfg, data, size, &r) == NET_OK)
		check(data, size, &r);
	else
		FZ_CHECK(r.kind == NET_RX_NONE);

	/* NET_RX_L4_CSUM_OK removes the L4 checksum's check and nothing else:
	 * the same verdict unless that check refused it; the IPv4 header's
	 * checksum still holds on what it accepts */
	struct net_rx_cfg own = {.ip = 0};
	if (size >= 6)
		memcpy(own.mac, data, 6);
	struct net_rx u, t;
	enum net_drop ru = net_rx_parse(&own, data, size, &u);
	enum net_drop rt = net_rx_parse_flags(&own, data, size, NET_RX_L4_CSUM_OK, &t);
	if (ru != NET_DROP_BAD_CSUM)
		FZ_CHECK(rt == ru && (ru != NET_OK || t.kind == u.kind));
	if (rt == NET_OK && t.kind != NET_RX_ARP) {
		FZ_CHECK(net_csum(t.eth.payload, t.ip.hlen) == 0);
		FZ_INSIDE(t.ip.payload, t.ip.payload_len, data, size);
	}

	uint8_t *c = malloc(size ? size : 1);
	FZ_CHECK(c != NULL);
	memcpy(c, data, size);
	fix(c, size);
	struct net_rx_cfg any = {.ip = 0};
	if (size >= 6)
		memcpy(any.mac, c, 6);
	if (net_rx_parse(&any, c, size, &r) == NET_OK)
		check(c, size, &r);
	free(c);
	return 0;
}

/*
 * rx.c - classify one received frame: Ethernet, then ARP or IPv4, then
 * ICMP, UDP or TCP.
 *
 * Purpose: the single entry from the driver into the stack.  It returns
 * the first drop reason met on the way down (the caller counts it) or
 * NET_OK with every layer's view filled, so the layers above (ARP cache,
 * ping responder, sockets, TCP) get only frames that passed every check.
 *
 * Address filter: an Ethernet destination other than our MAC and the
 * broadcast address is NOT_FOR_US (no multicast group is joined); an IPv4
 * destination other than our address, 255.255.255.255 and our subnet's
 * broadcast is NOT_FOR_US, except while we have no address (cfg->ip 0,
 * DHCP under way), when every destination is taken.  ARP is not filtered
 * by target address: a cache may refresh an entry from a request for
 * someone else (RFC 826), and that is its decision.
 *
 * Checksums: every one is verified, except that with NET_RX_L4_CSUM_OK
 * (the device vouched: virtio-net's NEEDS_CSUM or DATA_VALID) the ICMP,
 * UDP or TCP checksum is not; the IPv4 header's always is.
 *
 * Invariants: kind == NET_RX_NONE unless NET_OK; for ICMP, UDP and TCP the
 * upper parse sees exactly the IP payload (ip.payload, ip.payload_len).
 *
 * Context: pure; any context.
 */
#include <string.h>
#include "rt/net/net.h"

enum net_drop net_rx_parse(const struct net_rx_cfg *cfg, const uint8_t *frame, size_t len,
                           struct net_rx *out)
{
	return net_rx_parse_flags(cfg, frame, len, 0, out);
}

enum net_drop net_rx_parse_flags(const struct net_rx_cfg *cfg, const uint8_t *frame,
                                 size_t len, unsigned flags, struct net_rx *out)
{
	enum net_drop r;
	int trust = (flags & NET_RX_L4_CSUM_OK) != 0;

	out->kind = NET_RX_NONE;
	if ((r = net_eth_parse(frame, len, &out->eth)) != NET_OK)
		return r;
	if (!net_eth_is_broadcast(out->eth.dst) && memcmp(out->eth.dst, cfg->mac, ETH_ALEN) != 0)
		return NET_DROP_NOT_FOR_US;
	const uint8_t *p = out->eth.payload;
	size_t n = out->eth.payload_len;
	if (out->eth.type == ETH_P_ARP) {
		if ((r = net_arp_parse(p, n, &out->arp)) != NET_OK)
			return r;
		out->kind = NET_RX_ARP;
		return NET_OK;
	}
	if (out->eth.type != ETH_P_IPV4)
		return NET_DROP_UNSUPPORTED;
	struct net_ipv4 *ip = &out->ip;
	if ((r = net_ipv4_parse(p, n, ip)) != NET_OK)
		return r;
	if (cfg->ip != 0 && ip->dst != cfg->ip && ip->dst != IP4_BROADCAST &&
	    !(cfg->bcast != 0 && ip->dst == cfg->bcast))
		return NET_DROP_NOT_FOR_US;
	switch (ip->proto) {
	case IP_P_ICMP:
		if ((r = net_icmp_parse_trusting(ip->payload, ip->payload_len, trust,
		                                 &out->icmp)) != NET_OK)
			return r;
		out->kind = NET_RX_ICMP;
		return NET_OK;
	case IP_P_UDP:
		if ((r = net_udp_parse_trusting(ip->payload, ip->payload_len, ip->src, ip->dst,
		                                trust, &out->udp)) != NET_OK)
			return r;
		out->kind = NET_RX_UDP;
		return NET_OK;
	case IP_P_TCP:
		if ((r = net_tcp_parse_trusting(ip->payload, ip->payload_len, ip->src, ip->dst,
		                                trust, &out->tcp)) != NET_OK)
			return r;
		out->kind = NET_RX_TCP;
		return NET_OK;
	default:
		return NET_DROP_UNSUPPORTED;
	}
}

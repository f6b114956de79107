/*
 * arp.c - ARP packets for IPv4 over Ethernet (RFC 826): parse, build.
 *
 * Purpose: the wire half of address resolution.  The cache (entries, time
 * outs, the queue of frames waiting for an answer) is not here; it reads
 * struct net_arp.
 *
 * Invariants: only hardware type 1 with protocol 0x0800 and address
 * lengths 6 and 4 is accepted (anything else has another layout); the
 * opcode is 1 or 2; the sender's addresses are unicast (a cache must never
 * learn a group MAC or a broadcast IP).  ARP carries no checksum: a
 * corrupted address field that stays unicast cannot be detected here.
 *
 * Context: pure; any context.
 */
#include <string.h>
#include "rt/net/net.h"

static int ip_is_group(uint32_t a)
{
	return (a >> 28) == 0xe || a == IP4_BROADCAST;
}

enum net_drop net_arp_parse(const uint8_t *buf, size_t len, struct net_arp *v)
{
	if (len < ARP_LEN)
		return NET_DROP_SHORT;
	if (net_get16(buf + ARP_HTYPE) != 1 || net_get16(buf + ARP_PTYPE) != ETH_P_IPV4)
		return NET_DROP_UNSUPPORTED;
	if (buf[ARP_HLEN] != ETH_ALEN || buf[ARP_PLEN] != 4)
		return NET_DROP_BAD_LEN;
	v->op = net_get16(buf + ARP_OP);
	memcpy(v->sha, buf + ARP_SHA, ETH_ALEN);
	memcpy(v->tha, buf + ARP_THA, ETH_ALEN);
	v->spa = net_get32(buf + ARP_SPA);
	v->tpa = net_get32(buf + ARP_TPA);
	if (v->op != ARP_OP_REQUEST && v->op != ARP_OP_REPLY)
		return NET_DROP_BAD_FIELD;
	if ((v->sha[0] & 1) || ip_is_group(v->spa))
		return NET_DROP_BAD_ADDR;
	return NET_OK;
}

int net_arp_build(uint8_t *buf, size_t cap, const struct net_arp *a)
{
	if (a->op != ARP_OP_REQUEST && a->op != ARP_OP_REPLY)
		return NET_EINVAL;
	if (cap < ARP_LEN)
		return NET_ENOSPC;
	net_put16(buf + ARP_HTYPE, 1);
	net_put16(buf + ARP_PTYPE, ETH_P_IPV4);
	buf[ARP_HLEN] = ETH_ALEN;
	buf[ARP_PLEN] = 4;
	net_put16(buf + ARP_OP, a->op);
	memmove(buf + ARP_SHA, a->sha, ETH_ALEN);
	net_put32(buf + ARP_SPA, a->spa);
	memmove(buf + ARP_THA, a->tha, ETH_ALEN);
	net_put32(buf + ARP_TPA, a->tpa);
	return ARP_LEN;
}

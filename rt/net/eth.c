/*
 * eth.c - Ethernet II headers: parse, build.
 *
 * Purpose: the first look at a received frame and the last header written
 * on a sent one.  The device strips the frame check sequence, so nothing
 * here can verify the MAC header's integrity: a corrupted source address
 * is only caught when it becomes a group address (BAD_ADDR); a corrupted
 * destination makes the frame NOT_FOR_US in net_rx_parse.
 *
 * Invariants: see net.h (payload == buf + 14).  Frames shorter than the
 * 60-byte Ethernet minimum are accepted: the upper layer's own length
 * decides, and padding beyond it is ignored there.
 *
 * Context: pure; any context.
 */
#include <string.h>
#include "rt/net/net.h"

int net_eth_is_broadcast(const uint8_t mac[ETH_ALEN])
{
	for (int i = 0; i < ETH_ALEN; i++)
		if (mac[i] != 0xff)
			return 0;
	return 1;
}

enum net_drop net_eth_parse(const uint8_t *buf, size_t len, struct net_eth *v)
{
	if (len < ETH_HLEN)
		return NET_DROP_SHORT;
	memcpy(v->dst, buf + ETH_DST, ETH_ALEN);
	memcpy(v->src, buf + ETH_SRC, ETH_ALEN);
	v->type = net_get16(buf + ETH_TYPE);
	v->payload = buf + ETH_HLEN;
	v->payload_len = len - ETH_HLEN;
	if (v->src[0] & 1)                 /* I/G bit: no frame comes from a group */
		return NET_DROP_BAD_ADDR;
	if (v->type < ETH_MIN_TYPE)        /* 802.3 length field, LLC follows */
		return NET_DROP_UNSUPPORTED;
	return NET_OK;
}

int net_eth_build(uint8_t *buf, size_t cap, const uint8_t dst[ETH_ALEN],
                  const uint8_t src[ETH_ALEN], uint16_t type)
{
	if (cap < ETH_HLEN)
		return NET_ENOSPC;
	memmove(buf + ETH_DST, dst, ETH_ALEN);
	memmove(buf + ETH_SRC, src, ETH_ALEN);
	net_put16(buf + ETH_TYPE, type);
	return ETH_HLEN;
}

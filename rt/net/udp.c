/*
 * udp.c - UDP datagrams over IPv4 (RFC 768): parse, build.
 *
 * Purpose: the datagram layer under the UDP sockets and the DHCP client.
 *
 * Order of checks: header present; length field >= 8 (BAD_LEN) and within
 * the IP payload (TRUNCATED); the checksum over the pseudo-header and the
 * length field's bytes (BAD_CSUM), unless the field is 0, which RFC 768
 * reserves for "no checksum computed"; then destination port 0 (BAD_ADDR).
 * Bytes of the IP payload past the length field are ignored.
 *
 * Invariants: see net.h.  The builder never sends a 0 checksum: a
 * computed 0 goes out as 0xffff (the same value in one's complement).
 *
 * Context: pure; any context.
 */
#include <string.h>
#include "rt/net/net.h"

enum net_drop net_udp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
                            struct net_udp *v)
{
	return net_udp_parse_trusting(buf, len, src, dst, 0, v);
}

enum net_drop net_udp_parse_trusting(const uint8_t *buf, size_t len, uint32_t src,
                                     uint32_t dst, int trust, struct net_udp *v)
{
	if (len < UDP_HLEN)
		return NET_DROP_SHORT;
	uint16_t ulen = net_get16(buf + UDP_LEN);
	if (ulen < UDP_HLEN)
		return NET_DROP_BAD_LEN;
	if (ulen > len)
		return NET_DROP_TRUNCATED;
	uint16_t csum = net_get16(buf + UDP_CSUM);
	if (csum != 0 && !trust &&
	    net_csum_fold(net_csum_add(net_csum_pseudo4(src, dst, IP_P_UDP, ulen), buf, ulen)) != 0)
		return NET_DROP_BAD_CSUM;
	v->sport = net_get16(buf + UDP_SPORT);
	v->dport = net_get16(buf + UDP_DPORT);
	v->ulen = ulen;
	v->csum = csum;
	v->payload = buf + UDP_HLEN;
	v->payload_len = ulen - UDP_HLEN;
	if (v->dport == 0)
		return NET_DROP_BAD_ADDR;
	return NET_OK;
}

int net_udp_build(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst, uint16_t sport,
                  uint16_t dport, const uint8_t *payload, size_t n)
{
	if (n > 0xffff - IP4_HLEN - UDP_HLEN)
		return NET_EINVAL;
	if (cap < UDP_HLEN || cap - UDP_HLEN < n)
		return NET_ENOSPC;
	if (n)
		memmove(buf + UDP_HLEN, payload, n);
	uint16_t ulen = (uint16_t)(UDP_HLEN + n);
	net_put16(buf + UDP_SPORT, sport);
	net_put16(buf + UDP_DPORT, dport);
	net_put16(buf + UDP_LEN, ulen);
	net_put16(buf + UDP_CSUM, 0);
	uint16_t c = net_csum_fold(net_csum_add(net_csum_pseudo4(src, dst, IP_P_UDP, ulen), buf, ulen));
	net_put16(buf + UDP_CSUM, c ? c : 0xffff);
	return ulen;
}

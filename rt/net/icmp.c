/*
 * icmp.c - ICMP messages (RFC 792): parse any, build echo request/reply.
 *
 * Purpose: ping in both directions.  The parser checks what every ICMP
 * message has (8-byte header, checksum over the whole message) and leaves
 * the meaning of type and code to its caller: an echo request is
 * answered, an unreachable or time-exceeded message (whose data begins
 * with the offending IP header) is for the socket layer to match.
 *
 * Invariants: on NET_OK, data == buf + 8 and data_len == len - 8; a built
 * echo message's checksum makes net_csum over it 0.
 *
 * Context: pure; any context.
 */
#include <string.h>
#include "rt/net/net.h"

enum net_drop net_icmp_parse(const uint8_t *buf, size_t len, struct net_icmp *v)
{
	return net_icmp_parse_trusting(buf, len, 0, v);
}

enum net_drop net_icmp_parse_trusting(const uint8_t *buf, size_t len, int trust,
                                      struct net_icmp *v)
{
	if (len < ICMP_HLEN)
		return NET_DROP_SHORT;
	if (!trust && net_csum(buf, len) != 0)
		return NET_DROP_BAD_CSUM;
	v->type = buf[ICMP_TYPE];
	v->code = buf[ICMP_CODE];
	v->id = net_get16(buf + ICMP_ID);
	v->seq = net_get16(buf + ICMP_SEQ);
	v->data = buf + ICMP_HLEN;
	v->data_len = len - ICMP_HLEN;
	return NET_OK;
}

int net_icmp_build_echo(uint8_t *buf, size_t cap, uint8_t type, uint16_t id,
                        uint16_t seq, const uint8_t *data, size_t n)
{
	if (type != ICMP_ECHO_REQUEST && type != ICMP_ECHO_REPLY)
		return NET_EINVAL;
	if (n > 0xffff - IP4_HLEN - ICMP_HLEN)
		return NET_EINVAL;
	if (cap < ICMP_HLEN || cap - ICMP_HLEN < n)
		return NET_ENOSPC;
	if (n)
		memmove(buf + ICMP_HLEN, data, n);
	buf[ICMP_TYPE] = type;
	buf[ICMP_CODE] = 0;
	net_put16(buf + ICMP_CSUM, 0);
	net_put16(buf + ICMP_ID, id);
	net_put16(buf + ICMP_SEQ, seq);
	net_put16(buf + ICMP_CSUM, net_csum(buf, ICMP_HLEN + n));
	return (int)(ICMP_HLEN + n);
}

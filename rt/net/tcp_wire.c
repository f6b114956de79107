/*
 * tcp_wire.c - TCP segment headers and options (RFC 9293; window scale
 * and timestamps RFC 7323; SACK RFC 2018): parse, build.
 *
 * Purpose: the bytes of a segment, nothing of the connection: the state
 * machine reads struct net_tcp and fills one to send.
 *
 * Order of checks: 20-byte header present; the checksum over pseudo-header
 * and whole segment (so any corrupted byte of header, options or payload
 * is BAD_CSUM); data offset >= 5 (BAD_LEN) and inside the segment
 * (TRUNCATED); options (BAD_OPTION); ports not 0 (BAD_ADDR).
 *
 * Options: EOL ends the list, NOP is skipped; every other kind must have
 * a length byte >= 2 that stays inside the option space.  Known kinds must
 * have their length: MSS 4, window scale 3, SACK-permitted 2, timestamps
 * 10, SACK 2 + 8n with 1 <= n <= 4; anything else is BAD_OPTION (Linux
 * ignores a known option of the wrong length; dropping is the stricter
 * reading, and no correct sender is affected).  Unknown kinds are
 * skipped.  A window scale above 14 is taken as 14 (RFC 7323 2.3).
 * Whether an option is allowed in this segment (MSS only on SYN) is the
 * state machine's call, not the parser's.
 *
 * Builder layout: Linux's (tcp_options_write), so the segments look like
 * the ones every middlebox already passes: MSS; then timestamps, preceded
 * by SACK-permitted in the same word when both are on or by two NOPs;
 * SACK-permitted alone after two NOPs; NOP + window scale; NOP NOP + SACK
 * blocks.  The total must fit the 40 bytes of option space.
 *
 * Context: pure; any context.
 */
#include <string.h>
#include "rt/net/net.h"

enum net_drop net_tcp_parse_options(const uint8_t *p, size_t n, struct net_tcp_opts *o)
{
	size_t i = 0;

	memset(o, 0, sizeof *o);
	while (i < n) {
		uint8_t kind = p[i];
		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= n)
			return NET_DROP_BAD_OPTION;
		uint8_t l = p[i + 1];
		if (l < 2 || l > n - i)
			return NET_DROP_BAD_OPTION;
		const uint8_t *d = p + i + 2;
		switch (kind) {
		case TCPOPT_MSS:
			if (l != 4)
				return NET_DROP_BAD_OPTION;
			o->has_mss = 1;
			o->mss = net_get16(d);
			break;
		case TCPOPT_WSCALE:
			if (l != 3)
				return NET_DROP_BAD_OPTION;
			o->has_wscale = 1;
			o->wscale = d[0] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : d[0];
			break;
		case TCPOPT_SACK_PERM:
			if (l != 2)
				return NET_DROP_BAD_OPTION;
			o->sack_perm = 1;
			break;
		case TCPOPT_TS:
			if (l != 10)
				return NET_DROP_BAD_OPTION;
			o->has_ts = 1;
			o->tsval = net_get32(d);
			o->tsecr = net_get32(d + 4);
			break;
		case TCPOPT_SACK:
			if (l < 10 || (l - 2) % 8 != 0 || (l - 2) / 8 > NET_TCP_MAX_SACK)
				return NET_DROP_BAD_OPTION;
			/* a repeated SACK option replaces the earlier one whole:
			 * no block of it may survive past the new nsack */
			memset(o->sack, 0, sizeof o->sack);
			o->nsack = (uint8_t)((l - 2) / 8);
			for (unsigned k = 0; k < o->nsack; k++) {
				o->sack[k].left = net_get32(d + 8 * k);
				o->sack[k].right = net_get32(d + 8 * k + 4);
			}
			break;
		default:
			break;
		}
		i += l;
	}
	return NET_OK;
}

enum net_drop net_tcp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
                            struct net_tcp *v)
{
	return net_tcp_parse_trusting(buf, len, src, dst, 0, v);
}

enum net_drop net_tcp_parse_trusting(const uint8_t *buf, size_t len, uint32_t src,
                                     uint32_t dst, int trust, struct net_tcp *v)
{
	if (len < TCP_HLEN)
		return NET_DROP_SHORT;
	if (len > 0xffff)
		return NET_DROP_BAD_LEN;
	if (!trust && net_csum_fold(net_csum_add(net_csum_pseudo4(src, dst, IP_P_TCP, (uint16_t)len),
	                               buf, len)) != 0)
		return NET_DROP_BAD_CSUM;
	size_t hlen = (size_t)(buf[TCP_OFF] >> 4) * 4;
	if (hlen < TCP_HLEN)
		return NET_DROP_BAD_LEN;
	if (hlen > len)
		return NET_DROP_TRUNCATED;
	enum net_drop r = net_tcp_parse_options(buf + TCP_HLEN, hlen - TCP_HLEN, &v->opt);
	if (r != NET_OK)
		return r;
	v->sport = net_get16(buf + TCP_SPORT);
	v->dport = net_get16(buf + TCP_DPORT);
	v->seq = net_get32(buf + TCP_SEQ);
	v->ack = net_get32(buf + TCP_ACK);
	v->flags = buf[TCP_FLAGS];
	v->win = net_get16(buf + TCP_WIN);
	v->urp = net_get16(buf + TCP_URP);
	v->hlen = hlen;
	v->payload = buf + hlen;
	v->payload_len = len - hlen;
	if (v->sport == 0 || v->dport == 0)
		return NET_DROP_BAD_ADDR;
	return NET_OK;
}

static size_t options_len(const struct net_tcp_opts *o)
{
	size_t n = 0;

	if (o->has_mss)
		n += 4;
	if (o->has_ts)
		n += 12;
	else if (o->sack_perm)
		n += 4;
	if (o->has_wscale)
		n += 4;
	if (o->nsack)
		n += 4 + 8 * (size_t)o->nsack;
	return n;
}

static void put4(uint8_t *p, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	p[0] = a, p[1] = b, p[2] = c, p[3] = d;
}

int net_tcp_build(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst,
                  const struct net_tcp *h, const uint8_t *payload, size_t n)
{
	const struct net_tcp_opts *o = &h->opt;

	if (o->nsack > NET_TCP_MAX_SACK)
		return NET_EINVAL;
	size_t olen = options_len(o);
	size_t hlen = TCP_HLEN + olen;
	if (olen > TCP_MAX_HLEN - TCP_HLEN || n > 0xffff - IP4_HLEN - hlen)
		return NET_EINVAL;
	if (cap < hlen || cap - hlen < n)
		return NET_ENOSPC;
	if (n)
		memmove(buf + hlen, payload, n);
	net_put16(buf + TCP_SPORT, h->sport);
	net_put16(buf + TCP_DPORT, h->dport);
	net_put32(buf + TCP_SEQ, h->seq);
	net_put32(buf + TCP_ACK, h->ack);
	buf[TCP_OFF] = (uint8_t)(hlen / 4 << 4);
	buf[TCP_FLAGS] = h->flags;
	net_put16(buf + TCP_WIN, h->win);
	net_put16(buf + TCP_CSUM, 0);
	net_put16(buf + TCP_URP, h->urp);
	uint8_t *p = buf + TCP_HLEN;
	if (o->has_mss) {
		put4(p, TCPOPT_MSS, 4, (uint8_t)(o->mss >> 8), (uint8_t)o->mss);
		p += 4;
	}
	if (o->has_ts) {
		if (o->sack_perm)
			put4(p, TCPOPT_SACK_PERM, 2, TCPOPT_TS, 10);
		else
			put4(p, TCPOPT_NOP, TCPOPT_NOP, TCPOPT_TS, 10);
		net_put32(p + 4, o->tsval);
		net_put32(p + 8, o->tsecr);
		p += 12;
	} else if (o->sack_perm) {
		put4(p, TCPOPT_NOP, TCPOPT_NOP, TCPOPT_SACK_PERM, 2);
		p += 4;
	}
	if (o->has_wscale) {
		put4(p, TCPOPT_NOP, TCPOPT_WSCALE, 3, o->wscale);
		p += 4;
	}
	if (o->nsack) {
		put4(p, TCPOPT_NOP, TCPOPT_NOP, TCPOPT_SACK, (uint8_t)(2 + 8 * o->nsack));
		p += 4;
		for (unsigned k = 0; k < o->nsack; k++, p += 8) {
			net_put32(p, o->sack[k].left);
			net_put32(p + 4, o->sack[k].right);
		}
	}
	size_t seg = hlen + n;
	net_put16(buf + TCP_CSUM, net_csum_fold(net_csum_add(
		net_csum_pseudo4(src, dst, IP_P_TCP, (uint16_t)seg), buf, seg)));
	return (int)seg;
}

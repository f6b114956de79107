/*
 * ipv4.c - IPv4 headers (RFC 791): parse, build.
 *
 * Purpose: validate a received datagram before anything in it is
 * believed, and write the header of a sent one.
 *
 * Order of checks (drop.h): fixed header present; version; IHL >= 5; the
 * header inside the buffer; the header checksum (RFC 1071) -- only then
 * are the covered fields used: total length between the header length and
 * the buffer (Ethernet pads short frames, so the buffer may be longer; the
 * padding is not payload); the reserved flag; fragments; options; source
 * address.  A single corrupted header byte thus always reads as BAD_CSUM
 * unless it hit the version or IHL nibble.
 *
 * Not supported: fragments (MF set or a non-zero offset) are dropped with
 * NET_DROP_FRAGMENT: there is no reassembly, and a peer doing path-MTU
 * discovery (DF, as Linux sets) never fragments towards us.  Options are
 * checked for form (each length >= 2 and inside the header; EOL ends them)
 * and skipped: none is acted on (no source routing, no record route).
 * The builder writes no options.
 *
 * Context: pure; any context.
 */
#include "rt/net/net.h"

static enum net_drop check_options(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (p[i] == 0)                 /* end of option list */
			return NET_OK;
		if (p[i] == 1) {               /* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= n || p[i + 1] < 2 || p[i + 1] > n - i)
			return NET_DROP_BAD_OPTION;
		i += p[i + 1];
	}
	return NET_OK;
}

enum net_drop net_ipv4_parse(const uint8_t *buf, size_t len, struct net_ipv4 *v)
{
	if (len < IP4_HLEN)
		return NET_DROP_SHORT;
	if (buf[IP4_VER_IHL] >> 4 != 4)
		return NET_DROP_BAD_VERSION;
	size_t hlen = (size_t)(buf[IP4_VER_IHL] & 0xf) * 4;
	if (hlen < IP4_HLEN)
		return NET_DROP_BAD_IHL;
	if (hlen > len)
		return NET_DROP_TRUNCATED;
	if (net_csum(buf, hlen) != 0)
		return NET_DROP_BAD_CSUM;
	uint16_t total = net_get16(buf + IP4_TOTLEN);
	if (total < hlen)
		return NET_DROP_BAD_LEN;
	if (total > len)
		return NET_DROP_TRUNCATED;
	uint16_t frag = net_get16(buf + IP4_FRAG);
	if (frag & IP4_F_RESERVED)
		return NET_DROP_BAD_FIELD;
	if ((frag & IP4_F_MF) || (frag & IP4_OFFMASK))
		return NET_DROP_FRAGMENT;
	if (check_options(buf + IP4_HLEN, hlen - IP4_HLEN) != NET_OK)
		return NET_DROP_BAD_OPTION;
	v->tos = buf[IP4_TOS];
	v->ttl = buf[IP4_TTL];
	v->proto = buf[IP4_PROTO];
	v->df = (frag & IP4_F_DF) != 0;
	v->id = net_get16(buf + IP4_ID);
	v->total_len = total;
	v->src = net_get32(buf + IP4_SRC);
	v->dst = net_get32(buf + IP4_DST);
	v->hlen = hlen;
	v->opts = buf + IP4_HLEN;
	v->opts_len = hlen - IP4_HLEN;
	v->payload = buf + hlen;
	v->payload_len = total - hlen;
	if ((v->src >> 28) == 0xe || v->src == IP4_BROADCAST)
		return NET_DROP_BAD_ADDR;
	return NET_OK;
}

int net_ipv4_build(uint8_t *buf, size_t cap, const struct net_ipv4 *h, size_t payload_len)
{
	if (payload_len > 0xffff - IP4_HLEN)
		return NET_EINVAL;
	if (cap < IP4_HLEN)
		return NET_ENOSPC;
	buf[IP4_VER_IHL] = 0x45;
	buf[IP4_TOS] = h->tos;
	net_put16(buf + IP4_TOTLEN, (uint16_t)(IP4_HLEN + payload_len));
	net_put16(buf + IP4_ID, h->id);
	net_put16(buf + IP4_FRAG, h->df ? IP4_F_DF : 0);
	buf[IP4_TTL] = h->ttl;
	buf[IP4_PROTO] = h->proto;
	net_put16(buf + IP4_CSUM, 0);
	net_put32(buf + IP4_SRC, h->src);
	net_put32(buf + IP4_DST, h->dst);
	net_put16(buf + IP4_CSUM, net_csum(buf, IP4_HLEN));
	return IP4_HLEN;
}

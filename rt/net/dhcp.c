/*
 * dhcp.c - DHCP messages (RFC 2131/2132): parse, build.  The contract and
 * what is not supported are in dhcp.h.
 *
 * Parse order: fixed part and cookie present (SHORT); op (BAD_FIELD);
 * htype (UNSUPPORTED), hlen (BAD_LEN); cookie (BAD_FIELD); then the
 * options from byte 240: PAD is skipped, END stops; every other option
 * needs its length byte and its data inside the buffer (BAD_OPTION).  The
 * options this client uses must have their exact length (mask, server,
 * requested address, lease, T1, T2: 4; message type: 1) or a multiple of
 * 4 (router, DNS: at least 4) and appear once; others are skipped
 * unread.  Overload (52) is refused: following it would mean parsing the
 * sname and file fields as options too, which no server we meet does.
 * The buffer must hold an END option; bytes after it (padding) are not
 * read.
 *
 * Context: pure; any context.
 */
#include <string.h>
#include "rt/net/dhcp.h"

#define SEEN_TYPE 0x100u

static enum net_drop one_option(struct net_dhcp *v, uint32_t *seen, uint8_t code,
                                const uint8_t *d, uint8_t l)
{
	uint32_t bit;
	uint32_t *field;

	switch (code) {
	case DHCPOPT_OVERLOAD:
		return NET_DROP_UNSUPPORTED;
	case DHCPOPT_TYPE:
		if (l != 1 || (*seen & SEEN_TYPE) || d[0] < DHCP_DISCOVER || d[0] > DHCP_INFORM)
			return NET_DROP_BAD_OPTION;
		*seen |= SEEN_TYPE;
		v->type = d[0];
		return NET_OK;
	case DHCPOPT_ROUTER:
	case DHCPOPT_DNS:
		bit = code == DHCPOPT_ROUTER ? DHCP_HAS_ROUTER : DHCP_HAS_DNS;
		if (l < 4 || l % 4 != 0 || (*seen & bit))
			return NET_DROP_BAD_OPTION;
		*seen |= bit;
		if (code == DHCPOPT_ROUTER) {
			v->router = net_get32(d);
		} else {
			v->dns_total = (uint8_t)(l / 4);
			v->ndns = v->dns_total < NET_DHCP_MAX_DNS ? v->dns_total : NET_DHCP_MAX_DNS;
			for (unsigned i = 0; i < v->ndns; i++)
				v->dns[i] = net_get32(d + 4 * i);
		}
		return NET_OK;
	case DHCPOPT_MASK:   bit = DHCP_HAS_MASK;   field = &v->mask;   break;
	case DHCPOPT_REQ_IP: bit = DHCP_HAS_REQ_IP; field = &v->req_ip; break;
	case DHCPOPT_LEASE:  bit = DHCP_HAS_LEASE;  field = &v->lease;  break;
	case DHCPOPT_SERVER: bit = DHCP_HAS_SERVER; field = &v->server; break;
	case DHCPOPT_T1:     bit = DHCP_HAS_T1;     field = &v->t1;     break;
	case DHCPOPT_T2:     bit = DHCP_HAS_T2;     field = &v->t2;     break;
	default:
		return NET_OK;
	}
	if (l != 4 || (*seen & bit))
		return NET_DROP_BAD_OPTION;
	*seen |= bit;
	*field = net_get32(d);
	return NET_OK;
}

enum net_drop net_dhcp_parse(const uint8_t *buf, size_t len, struct net_dhcp *v)
{
	if (len < DHCP_OPTIONS)
		return NET_DROP_SHORT;
	memset(v, 0, sizeof *v);
	v->op = buf[0];
	if (v->op != DHCP_BOOTREQUEST && v->op != DHCP_BOOTREPLY)
		return NET_DROP_BAD_FIELD;
	if (buf[1] != 1)
		return NET_DROP_UNSUPPORTED;
	if (buf[2] != 6)
		return NET_DROP_BAD_LEN;
	if (net_get32(buf + DHCP_FIXED_LEN) != DHCP_MAGIC)
		return NET_DROP_BAD_FIELD;
	v->xid = net_get32(buf + 4);
	v->secs = net_get16(buf + 8);
	v->flags = net_get16(buf + 10);
	v->ciaddr = net_get32(buf + 12);
	v->yiaddr = net_get32(buf + 16);
	v->siaddr = net_get32(buf + 20);
	v->giaddr = net_get32(buf + 24);
	memcpy(v->chaddr, buf + 28, 6);

	uint32_t seen = 0;
	size_t i = DHCP_OPTIONS;
	for (;;) {
		if (i >= len)
			return NET_DROP_BAD_OPTION;       /* no END */
		uint8_t code = buf[i];
		if (code == DHCPOPT_END)
			break;
		if (code == DHCPOPT_PAD) {
			i++;
			continue;
		}
		if (i + 1 >= len || buf[i + 1] > len - i - 2)
			return NET_DROP_BAD_OPTION;
		uint8_t l = buf[i + 1];
		enum net_drop r = one_option(v, &seen, code, buf + i + 2, l);
		if (r != NET_OK)
			return r;
		i += 2 + (size_t)l;
	}
	if (!(seen & SEEN_TYPE))
		return NET_DROP_BAD_OPTION;
	v->present = seen & ~SEEN_TYPE;
	return NET_OK;
}

enum net_drop net_dhcp_for_us(const struct net_dhcp *v, uint32_t xid, const uint8_t mac[6])
{
	if (v->op != DHCP_BOOTREPLY || v->xid != xid || memcmp(v->chaddr, mac, 6) != 0)
		return NET_DROP_NOT_FOR_US;
	return NET_OK;
}

int net_dhcp_build(uint8_t *buf, size_t cap, const struct net_dhcp *h,
                   const struct net_dhcp_opt *extra, size_t n)
{
	size_t len = DHCP_OPTIONS + 3 + 1;       /* type option, END */

	if (h->type < DHCP_DISCOVER || h->type > DHCP_INFORM)
		return NET_EINVAL;
	if (h->present & DHCP_HAS_REQ_IP)
		len += 6;
	if (h->present & DHCP_HAS_SERVER)
		len += 6;
	for (size_t k = 0; k < n; k++) {
		uint8_t c = extra[k].code;
		if (c == DHCPOPT_PAD || c == DHCPOPT_END || c == DHCPOPT_TYPE ||
		    c == DHCPOPT_REQ_IP || c == DHCPOPT_SERVER)
			return NET_EINVAL;
		len += 2 + (size_t)extra[k].len;
	}
	size_t total = len < DHCP_MIN_LEN ? DHCP_MIN_LEN : len;
	if (total > 0xffff - IP4_HLEN - UDP_HLEN)
		return NET_EINVAL;
	if (cap < total)
		return NET_ENOSPC;
	memset(buf, 0, total);
	buf[0] = h->op;
	buf[1] = 1;
	buf[2] = 6;
	net_put32(buf + 4, h->xid);
	net_put16(buf + 8, h->secs);
	net_put16(buf + 10, h->flags);
	net_put32(buf + 12, h->ciaddr);
	net_put32(buf + 16, h->yiaddr);
	net_put32(buf + 20, h->siaddr);
	net_put32(buf + 24, h->giaddr);
	memcpy(buf + 28, h->chaddr, 6);
	net_put32(buf + DHCP_FIXED_LEN, DHCP_MAGIC);
	uint8_t *p = buf + DHCP_OPTIONS;
	*p++ = DHCPOPT_TYPE, *p++ = 1, *p++ = h->type;
	if (h->present & DHCP_HAS_REQ_IP) {
		*p++ = DHCPOPT_REQ_IP, *p++ = 4;
		net_put32(p, h->req_ip);
		p += 4;
	}
	if (h->present & DHCP_HAS_SERVER) {
		*p++ = DHCPOPT_SERVER, *p++ = 4;
		net_put32(p, h->server);
		p += 4;
	}
	for (size_t k = 0; k < n; k++) {
		*p++ = extra[k].code, *p++ = extra[k].len;
		if (extra[k].len)
			memcpy(p, extra[k].data, extra[k].len);
		p += extra[k].len;
	}
	*p = DHCPOPT_END;
	return (int)total;
}

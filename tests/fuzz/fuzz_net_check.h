/*
 * fuzz_net_check.h - the wire layer's promises (rt/net/net.h, dhcp.h),
 * checked by the network harnesses after every parse.
 *
 * Each function takes the buffer that was parsed and the view a parser
 * returned NET_OK for, aborts (FZ_CHECK) when a promise is broken, and
 * rebuilds the message from the view to check that the builder's output
 * parses back to the same view.  Context: host only, one input at a time.
 */
#ifndef TALLY_FUZZ_NET_CHECK_H
#define TALLY_FUZZ_NET_CHECK_H

#include <string.h>
#include "tests/fuzz/fuzz.h"
#include "rt/net/net.h"
#include "rt/net/dhcp.h"

#define FZ_INSIDE(p, n, buf, len) \
	FZ_CHECK((p) >= (buf) && (n) <= (len) && (size_t)((p) - (buf)) <= (len) - (n))

static inline void fz_check_tcp(const uint8_t *b, size_t len, uint32_t src, uint32_t dst,
                                const struct net_tcp *v)
{
	FZ_CHECK(v->hlen >= 20 && v->hlen <= 60 && v->hlen % 4 == 0 && v->hlen <= len);
	FZ_CHECK(v->payload == b + v->hlen && v->payload_len == len - v->hlen);
	FZ_INSIDE(v->payload, v->payload_len, b, len);
	FZ_CHECK(v->opt.nsack <= NET_TCP_MAX_SACK && v->opt.wscale <= TCP_MAX_WSCALE);
	FZ_CHECK(v->sport != 0 && v->dport != 0);
	FZ_CHECK(net_csum_fold(net_csum_add(net_csum_pseudo4(src, dst, IP_P_TCP, (uint16_t)len),
	                                    b, len)) == 0);
	/* rebuild: the options may be laid out differently, the view may not */
	size_t olen = (v->opt.has_mss ? 4 : 0) + (v->opt.has_ts ? 12 : v->opt.sack_perm ? 4 : 0) +
	              (v->opt.has_wscale ? 4 : 0) + (v->opt.nsack ? 4 + 8 * (size_t)v->opt.nsack : 0);
	size_t cap = 60 + v->payload_len;
	uint8_t *o = malloc(cap);
	FZ_CHECK(o != NULL);
	int k = net_tcp_build(o, cap, src, dst, v, v->payload, v->payload_len);
	if (olen > 40 || 20 + olen + v->payload_len > 0xffff - 20) {
		FZ_CHECK(k == NET_EINVAL);
	} else {
		struct net_tcp w;
		FZ_CHECK(k == (int)(20 + olen + v->payload_len));
		FZ_CHECK(net_tcp_parse(o, (size_t)k, src, dst, &w) == NET_OK);
		FZ_CHECK(w.sport == v->sport && w.dport == v->dport && w.seq == v->seq &&
		         w.ack == v->ack && w.flags == v->flags && w.win == v->win && w.urp == v->urp);
		FZ_CHECK(memcmp(&w.opt, &v->opt, sizeof w.opt) == 0);
		FZ_CHECK(w.payload_len == v->payload_len &&
		         memcmp(w.payload, v->payload, v->payload_len) == 0);
	}
	free(o);
}

static inline void fz_check_dhcp(const uint8_t *b, size_t len, const struct net_dhcp *v)
{
	(void)b;
	FZ_CHECK(len >= DHCP_OPTIONS);
	FZ_CHECK(v->type >= DHCP_DISCOVER && v->type <= DHCP_INFORM);
	FZ_CHECK(v->op == DHCP_BOOTREQUEST || v->op == DHCP_BOOTREPLY);
	FZ_CHECK(v->ndns <= NET_DHCP_MAX_DNS && v->ndns <= v->dns_total);
	FZ_CHECK((v->ndns != 0) == ((v->present & DHCP_HAS_DNS) != 0));
	struct net_dhcp h = *v, w;
	h.present &= DHCP_HAS_REQ_IP | DHCP_HAS_SERVER;
	uint8_t o[DHCP_MIN_LEN];
	int k = net_dhcp_build(o, sizeof o, &h, NULL, 0);
	FZ_CHECK(k == DHCP_MIN_LEN);
	FZ_CHECK(net_dhcp_parse(o, (size_t)k, &w) == NET_OK);
	FZ_CHECK(w.op == h.op && w.type == h.type && w.xid == h.xid && w.secs == h.secs &&
	         w.flags == h.flags && w.ciaddr == h.ciaddr && w.yiaddr == h.yiaddr &&
	         w.siaddr == h.siaddr && w.giaddr == h.giaddr && w.present == h.present &&
	         memcmp(w.chaddr, h.chaddr, 6) == 0);
	FZ_CHECK(!(h.present & DHCP_HAS_REQ_IP) || w.req_ip == h.req_ip);
	FZ_CHECK(!(h.present & DHCP_HAS_SERVER) || w.server == h.server);
}

#endif

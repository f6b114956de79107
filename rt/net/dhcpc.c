/*
 * dhcpc.c - the DHCP client's state machine (dhcpc.h): which message to
 * send and when, what a reply means, the lease's timers.
 *
 * Purpose and states: see dhcpc.h.  Messages are built and parsed by
 * dhcp.c (net_dhcp_build, net_dhcp_parse, net_dhcp_for_us); this file
 * reads only struct net_dhcp.
 *
 * Choices: the first acceptable OFFER wins (RFC 2131 allows waiting for
 * more; QEMU's slirp and most networks have one server).  An OFFER or ACK
 * without a subnet mask gets /24 with the address's own /24 (no classful
 * guesses beyond that); without a lease time the lease is infinite.  No
 * DHCPDECLINE: the offered address is not probed with ARP first (RFC 5227
 * would have us; said so in docs/net.md).
 *
 * Context: pure; any context; no allocation.
 */
#include <string.h>
#include "rt/net/dhcpc.h"

#define SEC 1000000000ull
#define RTO_MAX (64 * SEC)
#define RENEW_MIN (60 * SEC)

const char *dhcpc_state_name(enum dhcpc_state s)
{
	switch (s) {
	case DHCPC_SELECTING: return "selecting";
	case DHCPC_REQUESTING: return "requesting";
	case DHCPC_BOUND: return "bound";
	case DHCPC_RENEWING: return "renewing";
	case DHCPC_REBINDING: return "rebinding";
	}
	return "?";
}

static const uint8_t params[] = { DHCPOPT_MASK, DHCPOPT_ROUTER, DHCPOPT_DNS, DHCPOPT_LEASE,
                                  DHCPOPT_SERVER, DHCPOPT_T1, DHCPOPT_T2 };

static void build(struct dhcpc *c, uint8_t type, uint32_t ciaddr, uint32_t req_ip,
                  uint32_t server, uint32_t dst, struct dhcpc_out *out)
{
	struct net_dhcp h;
	memset(&h, 0, sizeof(h));
	h.op = DHCP_BOOTREQUEST;
	h.type = type;
	h.xid = c->xid;
	h.ciaddr = ciaddr;
	memcpy(h.chaddr, c->mac, 6);
	if (req_ip) {
		h.present |= DHCP_HAS_REQ_IP;
		h.req_ip = req_ip;
	}
	if (server) {
		h.present |= DHCP_HAS_SERVER;
		h.server = server;
	}
	struct net_dhcp_opt opt = { DHCPOPT_PARAMS, sizeof(params), params };
	int n = net_dhcp_build(out->msg, sizeof(out->msg), &h, &opt, 1);
	out->len = n > 0 ? (size_t)n : 0;
	out->dst = dst;
	out->src = ciaddr;
	c->sent++;
}

static void discover(struct dhcpc *c, uint64_t now, struct dhcpc_out *out)
{
	c->state = DHCPC_SELECTING;
	c->xid++;
	c->tries = 1;
	c->rto = c->rto0;
	c->next = now + c->rto;
	build(c, DHCP_DISCOVER, 0, 0, 0, 0xffffffffu, out);
}

void dhcpc_start(struct dhcpc *c, const uint8_t mac[6], uint32_t xid, uint64_t rto0,
                 unsigned max_tries, uint64_t now, struct dhcpc_out *out)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->mac, mac, 6);
	c->xid = xid - 1;  /* discover() takes the next one */
	c->rto0 = rto0 ? rto0 : 4 * SEC;
	c->max_tries = max_tries ? max_tries : 4;
	discover(c, now, out);
}

static uint64_t at(const struct dhcpc *c, uint32_t secs)
{
	return c->bound_at + (uint64_t)secs * SEC;
}

/* The next resend in RENEWING / REBINDING: half the time to `end`, at
 * least 60 s, never past end. */
static uint64_t half_to(uint64_t now, uint64_t end)
{
	if (end <= now)
		return now;
	uint64_t d = (end - now) / 2;
	if (d < RENEW_MIN)
		d = RENEW_MIN;
	return now + d < end ? now + d : end;
}

static void take_lease(struct dhcpc *c, const struct net_dhcp *d, uint64_t now)
{
	c->ip = d->yiaddr;
	c->mask = (d->present & DHCP_HAS_MASK) ? d->mask : 0xffffff00u;
	c->gw = (d->present & DHCP_HAS_ROUTER) ? d->router : 0;
	if (d->present & DHCP_HAS_SERVER)
		c->server = d->server;
	c->lease = (d->present & DHCP_HAS_LEASE) ? d->lease : 0xffffffffu;
	if (c->lease == 0xffffffffu) {
		c->t1 = c->t2 = 0xffffffffu;
	} else {
		c->t1 = (d->present & DHCP_HAS_T1) ? d->t1 : c->lease / 2;
		c->t2 = (d->present & DHCP_HAS_T2) ? d->t2 : (uint32_t)((uint64_t)c->lease * 7 / 8);
		if (c->t2 > c->lease)
			c->t2 = c->lease;
		if (c->t1 > c->t2)
			c->t1 = c->t2;
	}
	c->bound_at = now;
	c->state = DHCPC_BOUND;
	c->tries = 0;
	/* an infinite lease still gets a (far) deadline: next > 0 */
	c->next = c->lease == 0xffffffffu ? UINT64_MAX : at(c, c->t1);
}

enum dhcpc_event dhcpc_input(struct dhcpc *c, const uint8_t *buf, size_t len, uint64_t now,
                             struct dhcpc_out *out)
{
	out->len = 0;
	struct net_dhcp d;
	if (net_dhcp_parse(buf, len, &d) != NET_OK || d.op != DHCP_BOOTREPLY ||
	    net_dhcp_for_us(&d, c->xid, c->mac) != NET_OK) {
		c->ignored++;
		return DHCPC_EV_NONE;
	}
	switch (c->state) {
	case DHCPC_SELECTING:
		if (d.type != DHCP_OFFER || !d.yiaddr || !(d.present & DHCP_HAS_SERVER)) {
			c->ignored++;
			return DHCPC_EV_NONE;
		}
		c->offers++;
		c->offer_ip = d.yiaddr;
		c->offer_server = d.server;
		c->state = DHCPC_REQUESTING;
		c->tries = 1;
		c->rto = c->rto0;
		c->next = now + c->rto;
		build(c, DHCP_REQUEST, 0, c->offer_ip, c->offer_server, 0xffffffffu, out);
		return DHCPC_EV_NONE;
	case DHCPC_REQUESTING:
	case DHCPC_RENEWING:
	case DHCPC_REBINDING:
		if (d.type == DHCP_ACK) {
			if (!d.yiaddr || (c->state == DHCPC_REQUESTING && d.yiaddr != c->offer_ip) ||
			    (c->state != DHCPC_REQUESTING && d.yiaddr != c->ip)) {
				c->ignored++;
				return DHCPC_EV_NONE;
			}
			c->acks++;
			take_lease(c, &d, now);
			return DHCPC_EV_BOUND;
		}
		if (d.type == DHCP_NAK) {
			c->naks++;
			int had = c->ip != 0;
			c->ip = c->mask = c->gw = 0;
			discover(c, now, out);
			return had ? DHCPC_EV_LOST : DHCPC_EV_NONE;
		}
		c->ignored++;
		return DHCPC_EV_NONE;
	case DHCPC_BOUND:
		break;
	}
	c->ignored++;
	return DHCPC_EV_NONE;
}

enum dhcpc_event dhcpc_timeout(struct dhcpc *c, uint64_t now, struct dhcpc_out *out)
{
	out->len = 0;
	if (now < c->next)
		return DHCPC_EV_NONE;
	switch (c->state) {
	case DHCPC_SELECTING:
	case DHCPC_REQUESTING:
		if (c->tries >= c->max_tries) {
			uint64_t wait = c->rto;
			discover(c, now, out);
			/* the new exchange starts after one more interval */
			out->len = 0;
			c->sent--;
			c->tries = 0;
			c->next = now + wait;
			return DHCPC_EV_FAILED;
		}
		c->tries++;
		c->rto = c->rto * 2 > RTO_MAX ? RTO_MAX : c->rto * 2;
		c->next = now + c->rto;
		if (c->state == DHCPC_SELECTING)
			build(c, DHCP_DISCOVER, 0, 0, 0, 0xffffffffu, out);
		else
			build(c, DHCP_REQUEST, 0, c->offer_ip, c->offer_server, 0xffffffffu, out);
		return DHCPC_EV_NONE;
	case DHCPC_BOUND:
	case DHCPC_RENEWING:
	case DHCPC_REBINDING:
		if (now >= at(c, c->lease)) {
			c->ip = c->mask = c->gw = 0;
			discover(c, now, out);
			return DHCPC_EV_LOST;
		}
		if (now >= at(c, c->t2)) {
			if (c->state != DHCPC_REBINDING) {
				c->state = DHCPC_REBINDING;
				c->xid++;
			}
			c->next = half_to(now, at(c, c->lease));
			build(c, DHCP_REQUEST, c->ip, 0, 0, 0xffffffffu, out);
			return DHCPC_EV_NONE;
		}
		if (c->state == DHCPC_BOUND) {
			c->state = DHCPC_RENEWING;
			c->xid++;
		}
		c->next = half_to(now, at(c, c->t2));
		build(c, DHCP_REQUEST, c->ip, 0, 0, c->server, out);
		return DHCPC_EV_NONE;
	}
	return DHCPC_EV_NONE;
}

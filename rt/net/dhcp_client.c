/*
 * dhcp_client.c - the DHCP client goroutine: the state machine of
 * dhcpc.c over a UDP socket on port 68, configuring the interface.
 *
 * Purpose: started by net_start when ip= gave no address.  It sends what
 * dhcpc asks for, waits for replies with a read deadline at dhcpc's next
 * timer (the goroutine parks; retransmission and the lease's T1/T2 are
 * those deadlines), and applies the events: BOUND sets the address, mask
 * and gateway (and prints one line), LOST removes the address, FAILED
 * prints that no server answered (the client keeps trying).
 *
 * Context: one goroutine for the program's life; it parks on its socket
 * (counted in rt_netpoll_waiters, so an idle program waiting for a lease
 * is not a deadlock).
 */
#include <stdio.h>
#include <string.h>
#include "rt/net/dhcpc.h"
#include "rt/net/ipconf.h"
#include "rt/net/stack.h"
#include "rt/include/tally.h"

#define SEC 1000000000ull
#define DHCP_RTO0 (2 * SEC)
#define DHCP_TRIES 4

static void send_out(struct tally_udp *s, const struct dhcpc_out *o)
{
	if (o->len)
		tally_udp_sendto(s, o->dst, DHCP_SERVER_PORT, o->msg, o->len);
}

static void apply(const struct dhcpc *c, enum dhcpc_event ev)
{
	char a[16], g[16], sv[16];
	unsigned old = net_enter();
	net_st.dhcp_state = dhcpc_state_name(c->state);
	if (ev == DHCPC_EV_BOUND) {
		int fresh = net_st.ip != c->ip;
		net_leave(old);
		/* the line goes out before the address is set: a goroutine
		 * waiting for the address then prints after it, never before */
		if (fresh) {
			unsigned prefix = (unsigned)__builtin_popcount(c->mask);
			printf("tally: net: dhcp: %s/%u gw %s from %s, lease %u s\n", net_ip_format(c->ip, a),
			       prefix, net_ip_format(c->gw, g), net_ip_format(c->server, sv), c->lease);
		}
		old = net_enter();
		net_set_addr(c->ip, c->mask, c->gw);
		net_st.dhcp_server = c->server;
		net_st.lease = c->lease;
		net_leave(old);
		return;
	}
	if (ev == DHCPC_EV_LOST)
		net_set_addr(0, 0, 0);
	net_leave(old);
	if (ev == DHCPC_EV_LOST)
		printf("tally: net: dhcp: lease lost, address removed\n");
	else if (ev == DHCPC_EV_FAILED)
		printf("tally: net: dhcp: no answer after %u tries, starting over\n", c->max_tries);
}

void net_dhcp_main(void *arg)
{
	(void)arg;
	struct tally_udp *s;
	if (tally_udp_open(&s, DHCP_CLIENT_PORT) < 0) {
		printf("tally: net: dhcp: port %u is taken; no DHCP\n", DHCP_CLIENT_PORT);
		return;
	}
	static struct dhcpc c;
	static struct dhcpc_out out;
	static uint8_t buf[NET_UDP_MAX];
	dhcpc_start(&c, net_st.mac, (uint32_t)rt_fastrand(), DHCP_RTO0, DHCP_TRIES, rt_nanotime(),
	            &out);
	apply(&c, DHCPC_EV_NONE);
	send_out(s, &out);
	for (;;) {
		tally_udp_set_deadline(s, c.next == UINT64_MAX ? 0 : c.next);
		uint32_t ip;
		uint16_t port;
		int n = tally_udp_recvfrom(s, buf, sizeof(buf), &ip, &port);
		enum dhcpc_event ev;
		if (n >= 0) {
			if (port != DHCP_SERVER_PORT)
				continue;
			ev = dhcpc_input(&c, buf, (size_t)n, rt_nanotime(), &out);
		} else if (n == TALLY_ETIMEDOUT) {
			ev = dhcpc_timeout(&c, rt_nanotime(), &out);
		} else {
			printf("tally: net: dhcp: %s; DHCP stops\n", tally_strerror(n));
			return;
		}
		send_out(s, &out);
		apply(&c, ev);
	}
}

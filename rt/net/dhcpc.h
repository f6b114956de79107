/*
 * dhcpc.h - the DHCP client's state machine (RFC 2131 section 4.4), pure:
 * messages in, messages out, time as an argument.
 *
 * Purpose: the client goroutine (stack.c: net_dhcp_main) owns a UDP
 * socket on port 68 and calls dhcpc_start once, dhcpc_input for every
 * datagram from port 67 and dhcpc_timeout when c->next passes; each call
 * may fill a message to send (out->len > 0, to out->dst: 255.255.255.255
 * or the server) and returns an event: BOUND (an address to configure, or
 * a renewed lease), LOST (the address must go: NAK or lease ended),
 * FAILED (a whole exchange went unanswered: the client starts over).
 *
 * States (RFC 2131 figure 5):
 *   SELECTING   DISCOVER sent; the first OFFER with an address and a
 *               server identifier is taken -> REQUESTING
 *   REQUESTING  REQUEST (broadcast, options 50 and 54) sent; ACK -> BOUND,
 *               NAK -> a new DISCOVER
 *   BOUND       until T1 (option 58, else lease / 2) -> RENEWING
 *   RENEWING    REQUEST unicast to the server with ciaddr; ACK -> BOUND;
 *               at T2 (option 59, else lease * 7 / 8) -> REBINDING
 *   REBINDING   REQUEST broadcast with ciaddr; ACK -> BOUND; at the
 *               lease's end -> LOST and a new DISCOVER
 * Retransmission: SELECTING and REQUESTING double the interval from rto0
 * (RFC 2131 4.1 says 4 s, doubling up to 64 s; rto0 is the caller's), up
 * to max_tries sends, then FAILED and a new DISCOVER after the last
 * interval.  RENEWING and REBINDING resend after half the time left to
 * T2 or the lease's end, at least 60 s (RFC 2131 4.4.5), never past it.
 * Each new exchange (a DISCOVER, a renewal) takes the next transaction
 * id; replies with another id or MAC are NOT_FOR_US and ignored.
 *
 * Invariants: state BOUND, RENEWING or REBINDING <=> ip != 0;
 * next > 0 always after dhcpc_start (the caller never waits forever);
 * a lease of 0xffffffff seconds (infinite) never renews.
 *
 * Context: pure; any context; no allocation.  Times in nanoseconds.
 */
#ifndef TALLY_NET_DHCPC_H
#define TALLY_NET_DHCPC_H

#include <stddef.h>
#include <stdint.h>
#include "rt/net/dhcp.h"

enum dhcpc_state { DHCPC_SELECTING = 1, DHCPC_REQUESTING, DHCPC_BOUND, DHCPC_RENEWING,
                   DHCPC_REBINDING };
enum dhcpc_event { DHCPC_EV_NONE, DHCPC_EV_BOUND, DHCPC_EV_LOST, DHCPC_EV_FAILED };

struct dhcpc {
	uint8_t mac[6];
	enum dhcpc_state state;
	uint32_t xid;
	uint32_t ip, mask, gw, server;    /* the lease (host order) */
	uint32_t lease, t1, t2;           /* seconds */
	uint32_t offer_ip, offer_server;
	uint64_t bound_at;                /* ns: when the lease began */
	uint64_t next;                    /* ns: call dhcpc_timeout then */
	uint64_t rto, rto0;
	unsigned tries, max_tries;
	uint64_t sent, acks, naks, offers, ignored;
};

struct dhcpc_out {
	size_t len;                       /* 0: nothing to send */
	uint32_t dst;                     /* 0xffffffff or the server */
	uint32_t src;                     /* 0 before an address is bound */
	uint8_t msg[DHCP_MIN_LEN + 64];
};

/* Set up (state SELECTING, nothing sent yet) and build the first DISCOVER
 * into *out at time now. */
void dhcpc_start(struct dhcpc *c, const uint8_t mac[6], uint32_t xid, uint64_t rto0,
                 unsigned max_tries, uint64_t now, struct dhcpc_out *out);
/* A UDP payload received on port 68 from port 67 (checksum verified). */
enum dhcpc_event dhcpc_input(struct dhcpc *c, const uint8_t *buf, size_t len, uint64_t now,
                             struct dhcpc_out *out);
/* Call when now >= c->next. */
enum dhcpc_event dhcpc_timeout(struct dhcpc *c, uint64_t now, struct dhcpc_out *out);
const char *dhcpc_state_name(enum dhcpc_state s);

#endif

/*
 * dhcp.h - DHCP messages (RFC 2131, options RFC 2132) for the client:
 * build DISCOVER and REQUEST, parse OFFER, ACK and NAK.
 *
 * Purpose: the wire half of the DHCP client.  The client itself (states,
 * timers, retransmission, the lease's renewal) is above and reads struct
 * net_dhcp.  A message travels in UDP (ports 68 -> 67 and back), so the
 * bytes given to net_dhcp_parse are a UDP payload whose checksum was
 * already verified by net_udp_parse.
 *
 * Data structures: struct net_dhcp is the view of a parsed message and
 * the input of the builder; `present` says which options were in it (or
 * are to be written).  Extra options for the builder are (code, len,
 * data) records written in the order given.
 *
 * Invariants (checked by the fuzz harness): on NET_OK, type is 1..8;
 * ndns <= NET_DHCP_MAX_DNS <= dns_total; every DHCP_HAS_* bit's field was
 * read from an option of exactly its length inside the buffer.  A built
 * message is at least 300 bytes (the BOOTP minimum of RFC 1542 section
 * 2.1, zero padding after the END option) and parses back to its fixed
 * fields, type, requested address and server identifier.
 *
 * Not supported: option overload (option 52: options in the sname and file
 * fields) is NET_DROP_UNSUPPORTED; an option this parser interprets that
 * appears twice (RFC 3396's split long options) is NET_DROP_BAD_OPTION;
 * hardware other than Ethernet (htype 1, hlen 6) is refused.
 *
 * Context: pure; any context, no allocation.
 */
#ifndef TALLY_NET_DHCP_H
#define TALLY_NET_DHCP_H

#include <stddef.h>
#include <stdint.h>
#include "rt/net/drop.h"
#include "rt/net/wire.h"

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_FIXED_LEN   236          /* op .. file */
#define DHCP_OPTIONS     240          /* after the magic cookie */
#define DHCP_MIN_LEN     300          /* what a builder pads to */
#define DHCP_MAGIC       0x63825363u
#define DHCP_BOOTREQUEST 1
#define DHCP_BOOTREPLY   2
#define DHCP_FLAG_BROADCAST 0x8000

/* message types (option 53) */
#define DHCP_DISCOVER 1
#define DHCP_OFFER    2
#define DHCP_REQUEST  3
#define DHCP_DECLINE  4
#define DHCP_ACK      5
#define DHCP_NAK      6
#define DHCP_RELEASE  7
#define DHCP_INFORM   8

/* options */
#define DHCPOPT_PAD      0
#define DHCPOPT_MASK     1
#define DHCPOPT_ROUTER   3
#define DHCPOPT_DNS      6
#define DHCPOPT_REQ_IP   50
#define DHCPOPT_LEASE    51
#define DHCPOPT_OVERLOAD 52
#define DHCPOPT_TYPE     53
#define DHCPOPT_SERVER   54
#define DHCPOPT_PARAMS   55
#define DHCPOPT_MAXSIZE  57
#define DHCPOPT_T1       58
#define DHCPOPT_T2       59
#define DHCPOPT_END      255

#define DHCP_HAS_MASK   0x01u
#define DHCP_HAS_ROUTER 0x02u
#define DHCP_HAS_DNS    0x04u
#define DHCP_HAS_REQ_IP 0x08u
#define DHCP_HAS_LEASE  0x10u
#define DHCP_HAS_SERVER 0x20u
#define DHCP_HAS_T1     0x40u
#define DHCP_HAS_T2     0x80u

#define NET_DHCP_MAX_DNS 3

struct net_dhcp {
	uint8_t op;                        /* DHCP_BOOTREQUEST / _BOOTREPLY */
	uint8_t type;                      /* option 53, DHCP_DISCOVER .. */
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[6];
	uint32_t present;                  /* DHCP_HAS_* */
	uint32_t mask, router;             /* router: the first one listed */
	uint32_t req_ip, server;
	uint32_t lease, t1, t2;            /* seconds */
	uint8_t ndns;                      /* kept in dns[] */
	uint8_t dns_total;                 /* listed in the option */
	uint32_t dns[NET_DHCP_MAX_DNS];
};

struct net_dhcp_opt {
	uint8_t code, len;
	const uint8_t *data;
};

/* SHORT below 240 bytes; BAD_FIELD for an op other than 1 and 2 or a
 * wrong magic cookie; UNSUPPORTED for htype != 1 or option overload;
 * BAD_LEN for hlen != 6; BAD_OPTION for an option whose length leaves the
 * buffer, no END option, no or a bad message type, an interpreted option
 * of the wrong length or repeated. */
enum net_drop net_dhcp_parse(const uint8_t *buf, size_t len, struct net_dhcp *v);
/* NOT_FOR_US unless a reply carries our transaction id and MAC. */
enum net_drop net_dhcp_for_us(const struct net_dhcp *v, uint32_t xid, const uint8_t mac[6]);
/* Write a message: the fixed fields from *h (htype 1, hlen 6, hops 0,
 * sname and file zero), the cookie, option 53 (h->type), option 50 and 54
 * when h->present has DHCP_HAS_REQ_IP / DHCP_HAS_SERVER, then extra[0..n)
 * in order, END, and zeros up to 300 bytes.  Returns the length,
 * NET_ENOSPC, or NET_EINVAL for a type outside 1..8 or an extra option
 * coded 0, 255, 53, 50 or 54. */
int net_dhcp_build(uint8_t *buf, size_t cap, const struct net_dhcp *h,
                   const struct net_dhcp_opt *extra, size_t n);

#endif

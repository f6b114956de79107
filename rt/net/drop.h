/*
 * drop.h - why the network stack refused a frame, and the counters of it.
 *
 * Purpose: every parser of the wire layer (rt/net/net.h, rt/net/dhcp.h)
 * answers with NET_OK and a parsed view, or with exactly one reason from
 * enum net_drop; nothing half-parsed is ever handed on.  The caller counts
 * the reason (net_drop_count) in a struct net_drop_counts it owns, so the
 * drops can be reported by name ("net: drop bad_csum 3").
 *
 * Order of checks, the same in every parser (so a frame with several
 * defects always gets the same reason): is the fixed header there
 * (SHORT); version and header-length fields (BAD_VERSION, BAD_IHL, BAD_LEN);
 * does the buffer hold what the header length claims (TRUNCATED); the
 * checksum over what it covers (BAD_CSUM); only then are the covered
 * fields believed: lengths against each other (BAD_LEN, TRUNCATED),
 * fragments (FRAGMENT), options (BAD_OPTION), addresses (BAD_ADDR,
 * NOT_FOR_US), field values (BAD_FIELD, UNSUPPORTED).
 *
 * Invariants: NET_OK is 0 and no reason is; net_drop_name(r) is a short
 * lower-case word for every r < NET_DROP_NREASONS, "?" otherwise.
 *
 * Context: pure; any context.  The counters are plain integers: one
 * struct per receiving context (a per-P or per-queue struct), summed by
 * the reader.
 */
#ifndef TALLY_NET_DROP_H
#define TALLY_NET_DROP_H

#include <stdint.h>

enum net_drop {
	NET_OK = 0,
	NET_DROP_SHORT,        /* shorter than the protocol's fixed header */
	NET_DROP_TRUNCATED,    /* a length field claims more than the buffer holds */
	NET_DROP_BAD_LEN,      /* a length field below its minimum or inconsistent */
	NET_DROP_BAD_CSUM,     /* checksum does not verify */
	NET_DROP_BAD_VERSION,  /* IP version not 4 */
	NET_DROP_BAD_IHL,      /* IPv4 header length below 20 bytes */
	NET_DROP_FRAGMENT,     /* an IPv4 fragment: reassembly is not supported */
	NET_DROP_BAD_OPTION,   /* an IP, TCP or DHCP option malformed */
	NET_DROP_BAD_ADDR,     /* a source address no sender may have (multicast,
	                        * broadcast), a zero port where one is needed */
	NET_DROP_BAD_FIELD,    /* a field with a value the protocol forbids
	                        * (ARP opcode, DHCP magic cookie, BOOTP op) */
	NET_DROP_UNSUPPORTED,  /* well formed but not spoken here: ethertype,
	                        * IP protocol, ARP hardware, DHCP overload */
	NET_DROP_NOT_FOR_US,   /* addressed to another host */
	NET_DROP_NREASONS
};

struct net_drop_counts {
	uint64_t n[NET_DROP_NREASONS];   /* n[NET_OK]: frames accepted */
};

/* Short name of a reason ("short", "bad_csum", ...); "?" if out of range. */
const char *net_drop_name(enum net_drop r);

/* Count one verdict (NET_OK counts as accepted; a value outside the enum,
 * which no parser returns, counts as bad_field rather than writing past
 * the array). */
static inline void net_drop_count(struct net_drop_counts *c, enum net_drop r)
{
	c->n[(unsigned)r < NET_DROP_NREASONS ? r : NET_DROP_BAD_FIELD]++;
}

#endif

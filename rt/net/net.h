/*
 * net.h - the wire layer for its callers: parse and build Ethernet, ARP,
 * IPv4, ICMP, UDP and TCP segments, and classify a received frame.
 *
 * Purpose: the bottom of the TCP/IP stack (rt.net), pure and free of any
 * hardware: bytes in, a parsed view or a drop reason out (drop.h); fields
 * in, bytes into a caller's buffer out.  The virtio-net driver hands
 * frames to net_rx_parse; the ARP cache, the TCP state machine, the
 * sockets and the DHCP client (dhcp.h) sit above and never read a header
 * byte themselves.
 *
 * Data structures: one view struct per protocol.  A view's pointers
 * (payload, opts) point into the caller's buffer and are valid as long as
 * it is; scalars are in host order.  The same struct is the input of the
 * protocol's builder (the fields a builder reads are listed at it).
 *
 * Invariants (checked by the fuzz harnesses after every parse):
 *   a parser returns NET_OK or one drop reason; on a drop the view is not
 *   to be read;
 *   on NET_OK every pointer of the view lies inside [buf, buf + len) and
 *   payload + payload_len <= buf + len;
 *   eth:  payload == buf + 14, payload_len == len - 14;
 *   ipv4: 20 <= hlen == 4 * IHL <= total_len <= len, payload == buf + hlen,
 *         payload_len == total_len - hlen (Ethernet padding beyond
 *         total_len is not payload), not a fragment, header checksum 0;
 *   udp:  8 <= ulen <= len, payload_len == ulen - 8; checksum verified
 *         unless it is 0 (the sender computed none, RFC 768);
 *   tcp:  20 <= hlen <= len, payload_len == len - hlen; checksum verified;
 *         options well formed (every option's length inside the header,
 *         MSS 4, window scale 3, SACK-permitted 2, timestamps 10, SACK
 *         2 + 8n bytes).
 *   A builder writes exactly the length it returns and nothing beyond it;
 *   its output parses back to the view it was built from.
 *
 * Not supported (said so, not silently mishandled): IPv4 fragments are
 * dropped (NET_DROP_FRAGMENT; reassembly is not implemented), IPv4
 * options are checked for form and skipped, 802.1Q tagged frames are
 * NET_DROP_UNSUPPORTED, IPv6 (ethertype 0x86dd) likewise.
 *
 * Context: pure; any context (an interrupt handler may classify a frame),
 * no allocation, no locks, no global state.
 */
#ifndef TALLY_NET_H
#define TALLY_NET_H

#include <stddef.h>
#include <stdint.h>
#include "rt/net/drop.h"
#include "rt/net/wire.h"

/* ---- Ethernet ---- */
struct net_eth {
	uint8_t dst[ETH_ALEN], src[ETH_ALEN];
	uint16_t type;
	const uint8_t *payload;
	size_t payload_len;
};

/* SHORT below 14 bytes; BAD_ADDR for a group (multicast) source;
 * UNSUPPORTED for an 802.3 length in the type field (< 0x0600). */
enum net_drop net_eth_parse(const uint8_t *buf, size_t len, struct net_eth *v);
/* Write the 14-byte header (dst, src, type).  Returns 14 or NET_ENOSPC. */
int net_eth_build(uint8_t *buf, size_t cap, const uint8_t dst[ETH_ALEN],
                  const uint8_t src[ETH_ALEN], uint16_t type);
/* 1 when the address is ff:ff:ff:ff:ff:ff. */
int net_eth_is_broadcast(const uint8_t mac[ETH_ALEN]);

/* ---- ARP (IPv4 over Ethernet only) ---- */
struct net_arp {
	uint16_t op;                       /* ARP_OP_REQUEST or ARP_OP_REPLY */
	uint8_t sha[ETH_ALEN], tha[ETH_ALEN];
	uint32_t spa, tpa;
};

/* SHORT below 28 bytes; UNSUPPORTED unless hardware 1 (Ethernet) and
 * protocol 0x0800; BAD_LEN unless address lengths 6 and 4; BAD_FIELD for
 * an opcode other than 1 and 2; BAD_ADDR for a group sender MAC or a
 * broadcast or multicast sender IP.  Bytes after 28 (padding) ignored. */
enum net_drop net_arp_parse(const uint8_t *buf, size_t len, struct net_arp *v);
/* Write the 28-byte packet from every field of *a.  28 or NET_ENOSPC;
 * NET_EINVAL for an op other than request and reply. */
int net_arp_build(uint8_t *buf, size_t cap, const struct net_arp *a);

/* ---- IPv4 ---- */
struct net_ipv4 {
	uint8_t tos, ttl, proto;
	uint8_t df;                        /* don't-fragment flag */
	uint16_t id, total_len;
	uint32_t src, dst;
	size_t hlen;                       /* header bytes, options included */
	const uint8_t *opts;               /* hlen - 20 bytes of options */
	size_t opts_len;
	const uint8_t *payload;
	size_t payload_len;
};

/* SHORT below 20; BAD_VERSION unless 4; BAD_IHL below 5 words; TRUNCATED
 * when the header or total length passes len; BAD_CSUM; BAD_LEN when
 * total length < header length; BAD_FIELD for the reserved flag;
 * FRAGMENT for MF or a non-zero offset; BAD_OPTION for an option whose
 * length is below 2 or leaves the header; BAD_ADDR for a multicast or
 * broadcast source. */
enum net_drop net_ipv4_parse(const uint8_t *buf, size_t len, struct net_ipv4 *v);
/* Write a 20-byte header (no options) from tos, ttl, proto, df, id, src,
 * dst, with total length 20 + payload_len and its checksum.  Returns 20,
 * NET_ENOSPC, or NET_EINVAL when the total passes 65535. */
int net_ipv4_build(uint8_t *buf, size_t cap, const struct net_ipv4 *h, size_t payload_len);

/* ---- ICMP ---- */
struct net_icmp {
	uint8_t type, code;
	uint16_t id, seq;                  /* bytes 4-7: echo's identifier, sequence */
	const uint8_t *data;               /* after the 8-byte header */
	size_t data_len;
};

/* SHORT below 8; BAD_CSUM over the whole message. */
enum net_drop net_icmp_parse(const uint8_t *buf, size_t len, struct net_icmp *v);
/* The same; trust != 0 skips the checksum (a device vouched for it:
 * net_rx_parse_flags). */
enum net_drop net_icmp_parse_trusting(const uint8_t *buf, size_t len, int trust,
                                      struct net_icmp *v);
/* Write an echo request or reply (type ICMP_ECHO_REQUEST or
 * ICMP_ECHO_REPLY, code 0) with id, seq and n bytes of data (data may be
 * buf + 8 already, as in a reply built over its request).  Returns 8 + n,
 * NET_ENOSPC, or NET_EINVAL for another type. */
int net_icmp_build_echo(uint8_t *buf, size_t cap, uint8_t type, uint16_t id,
                        uint16_t seq, const uint8_t *data, size_t n);

/* ---- UDP ---- */
struct net_udp {
	uint16_t sport, dport;
	uint16_t ulen;                     /* the length field */
	uint16_t csum;                     /* as sent; 0: none computed */
	const uint8_t *payload;
	size_t payload_len;
};

/* buf, len: the IP payload; src, dst: the IP addresses (pseudo-header).
 * SHORT below 8; BAD_LEN when the length field < 8; TRUNCATED when it
 * passes len; BAD_CSUM; BAD_ADDR for destination port 0. */
enum net_drop net_udp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
                            struct net_udp *v);
/* The same; trust != 0 skips the checksum (net_rx_parse_flags). */
enum net_drop net_udp_parse_trusting(const uint8_t *buf, size_t len, uint32_t src,
                                     uint32_t dst, int trust, struct net_udp *v);
/* Header and payload (copied; it may already be at buf + 8) with the
 * checksum (0 sent as 0xffff).  Returns 8 + n, NET_ENOSPC, or NET_EINVAL
 * past 65535 - 20 - 8 bytes of payload. */
int net_udp_build(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst, uint16_t sport,
                  uint16_t dport, const uint8_t *payload, size_t n);

/* ---- TCP ---- */
#define NET_TCP_MAX_SACK 4
struct net_tcp_opts {
	uint8_t has_mss, has_wscale, sack_perm, has_ts;
	uint8_t nsack;                     /* SACK blocks (0: none) */
	uint8_t wscale;                    /* clamped to TCP_MAX_WSCALE */
	uint16_t mss;
	uint32_t tsval, tsecr;
	struct { uint32_t left, right; } sack[NET_TCP_MAX_SACK];
};

struct net_tcp {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;                     /* TCP_FIN ... TCP_CWR */
	uint16_t win, urp;
	size_t hlen;                       /* 4 * data offset */
	struct net_tcp_opts opt;
	const uint8_t *payload;
	size_t payload_len;
};

/* buf, len: the whole segment (the IP payload); src, dst for the
 * pseudo-header.  SHORT below 20; BAD_CSUM; BAD_LEN for a data offset
 * below 5; TRUNCATED when the header passes len; BAD_OPTION (see
 * net_tcp_parse_options); BAD_ADDR for a zero port. */
enum net_drop net_tcp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
                            struct net_tcp *v);
/* The same; trust != 0 skips the checksum (net_rx_parse_flags). */
enum net_drop net_tcp_parse_trusting(const uint8_t *buf, size_t len, uint32_t src,
                                     uint32_t dst, int trust, struct net_tcp *v);
/* The option bytes alone: NET_OK, or BAD_OPTION for a kind without its
 * length byte, a length below 2 or past the end, a known option of the
 * wrong length.  EOL ends the list; unknown kinds are skipped; a repeated
 * option replaces the earlier one. */
enum net_drop net_tcp_parse_options(const uint8_t *p, size_t n, struct net_tcp_opts *o);
/* Header (from sport, dport, seq, ack, flags, win, urp and opt), options
 * laid out as Linux writes them (MSS; SACK-permitted and timestamps as one
 * 12-byte block, or each after two NOPs; NOP + window scale; NOP NOP +
 * SACK blocks), then the payload (copied; it may already be in place),
 * and the checksum.  Returns the segment length, NET_ENOSPC, or NET_EINVAL
 * when the options pass 40 bytes or the segment 65515. */
int net_tcp_build(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst,
                  const struct net_tcp *h, const uint8_t *payload, size_t n);

/* ---- one received frame, classified ---- */
struct net_rx_cfg {
	uint8_t mac[ETH_ALEN];
	uint32_t ip;                       /* 0: no address yet (DHCP): any
	                                    * IPv4 destination is taken */
	uint32_t bcast;                    /* the subnet's broadcast, or 0 */
};

enum net_rx_kind { NET_RX_NONE, NET_RX_ARP, NET_RX_ICMP, NET_RX_UDP, NET_RX_TCP };

struct net_rx {
	enum net_rx_kind kind;
	struct net_eth eth;
	struct net_arp arp;                /* kind ARP */
	struct net_ipv4 ip;                /* kinds ICMP, UDP, TCP */
	struct net_icmp icmp;
	struct net_udp udp;
	struct net_tcp tcp;
};

/* Ethernet (destination our MAC or broadcast, else NOT_FOR_US), then ARP
 * or IPv4 (destination our address, 255.255.255.255 or our subnet's
 * broadcast, else NOT_FOR_US; any while cfg->ip is 0), then ICMP, UDP or
 * TCP; any other ethertype or protocol is UNSUPPORTED.  The first reason
 * found is returned, out->kind tells how far a NET_OK parse went. */
enum net_drop net_rx_parse(const struct net_rx_cfg *cfg, const uint8_t *frame, size_t len,
                           struct net_rx *out);
/* The device vouches for the frame's ICMP, UDP or TCP checksum (virtio's
 * NEEDS_CSUM: the checksum is partial and the data was checked where it
 * was made; DATA_VALID: the device checked it): that checksum is not
 * verified.  Every other check stands, the IPv4 header's checksum too. */
#define NET_RX_L4_CSUM_OK 1u
/* net_rx_parse with flags (NET_RX_*); net_rx_parse is flags 0. */
enum net_drop net_rx_parse_flags(const struct net_rx_cfg *cfg, const uint8_t *frame,
                                 size_t len, unsigned flags, struct net_rx *out);

#endif

/*
 * wire.h - byte order, header layouts and checksums of the wire layer.
 *
 * Purpose: the network stack reads and writes frames as byte arrays.  A
 * header is a set of offsets (ETH_*, IP4_*, ...) read with net_get16/32 and
 * written with net_put16/32, never a packed struct cast onto a buffer: no
 * alignment assumption, no compiler extension, no host byte order leaking
 * into a frame.  Multi-byte values in views and arguments are in host
 * order; addresses are uint32_t in host order (192.0.2.1 is 0xc0000201),
 * MAC addresses six bytes.
 *
 * Checksums (csum.c): the Internet checksum of RFC 1071 (one's-complement
 * sum of 16-bit big-endian words, an odd last byte padded with zero),
 * computed as a running 32-bit partial sum so that a pseudo-header and a
 * payload in another buffer can be added; the incremental update of RFC
 * 1624 (eqn. 3, HC' = ~(~HC + ~m + m')), which never produces the
 * spurious 0xffff of RFC 1141's form.
 *
 * Invariants: net_csum_fold(net_csum_add(0, b, n)) == 0 exactly when the
 * data b (checksum field included) verifies; builders return the number of
 * bytes written (> 0) or NET_ENOSPC (capacity too small, nothing useful
 * written) or NET_EINVAL (arguments that cannot make a valid frame).
 *
 * Context: pure functions and constants; any context, no allocation.
 */
#ifndef TALLY_NET_WIRE_H
#define TALLY_NET_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define NET_ENOSPC (-1)
#define NET_EINVAL (-2)

static inline uint16_t net_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t net_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void net_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void net_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- Ethernet II (IEEE 802.3 framing, no FCS: the device strips it) ---- */
#define ETH_ALEN      6
#define ETH_DST       0
#define ETH_SRC       6
#define ETH_TYPE      12
#define ETH_HLEN      14
#define ETH_P_IPV4    0x0800
#define ETH_P_ARP     0x0806
#define ETH_P_VLAN    0x8100
#define ETH_MIN_TYPE  0x0600   /* below: an 802.3 length, not a type */

/* ---- ARP for IPv4 over Ethernet (RFC 826) ---- */
#define ARP_HTYPE     0        /* 1: Ethernet */
#define ARP_PTYPE     2        /* 0x0800 */
#define ARP_HLEN      4        /* 6 */
#define ARP_PLEN      5        /* 4 */
#define ARP_OP        6        /* 1 request, 2 reply */
#define ARP_SHA       8
#define ARP_SPA       14
#define ARP_THA       18
#define ARP_TPA       24
#define ARP_LEN       28
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY   2

/* ---- IPv4 (RFC 791) ---- */
#define IP4_VER_IHL   0
#define IP4_TOS       1
#define IP4_TOTLEN    2
#define IP4_ID        4
#define IP4_FRAG      6        /* flags (3 bits) and fragment offset (13) */
#define IP4_TTL       8
#define IP4_PROTO     9
#define IP4_CSUM      10
#define IP4_SRC       12
#define IP4_DST       16
#define IP4_HLEN      20
#define IP4_F_RESERVED 0x8000
#define IP4_F_DF       0x4000
#define IP4_F_MF       0x2000
#define IP4_OFFMASK    0x1fff
#define IP_P_ICMP     1
#define IP_P_TCP      6
#define IP_P_UDP      17
#define IP4_BROADCAST 0xffffffffu

/* ---- ICMP (RFC 792) ---- */
#define ICMP_TYPE     0
#define ICMP_CODE     1
#define ICMP_CSUM     2
#define ICMP_ID       4        /* echo only */
#define ICMP_SEQ      6        /* echo only */
#define ICMP_HLEN     8
#define ICMP_ECHO_REPLY   0
#define ICMP_UNREACH      3
#define ICMP_ECHO_REQUEST 8
#define ICMP_TIME_EXCEEDED 11

/* ---- UDP (RFC 768) ---- */
#define UDP_SPORT     0
#define UDP_DPORT     2
#define UDP_LEN       4
#define UDP_CSUM      6
#define UDP_HLEN      8

/* ---- TCP (RFC 9293, options RFC 7323, RFC 2018) ---- */
#define TCP_SPORT     0
#define TCP_DPORT     2
#define TCP_SEQ       4
#define TCP_ACK       8
#define TCP_OFF       12       /* data offset in the high nibble, in words */
#define TCP_FLAGS     13
#define TCP_WIN       14
#define TCP_CSUM      16
#define TCP_URP       18
#define TCP_HLEN      20
#define TCP_MAX_HLEN  60
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK_F 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80
#define TCPOPT_EOL       0
#define TCPOPT_NOP       1
#define TCPOPT_MSS       2     /* length 4 */
#define TCPOPT_WSCALE    3     /* length 3 */
#define TCPOPT_SACK_PERM 4     /* length 2 */
#define TCPOPT_SACK      5     /* length 2 + 8n, n = 1..4 */
#define TCPOPT_TS        8     /* length 10 */
#define TCP_MAX_WSCALE   14    /* RFC 7323 2.3: larger values are taken as 14 */

/* ---- checksums (csum.c) ---- */
/* Add the bytes to a running partial sum (16-bit big-endian words; an odd
 * length is padded with one zero byte, so only the last call may be odd). */
uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t n);
/* Fold the partial sum to 16 bits and complement it: the checksum field's
 * value, and 0 when data that already holds its checksum verifies. */
uint16_t net_csum_fold(uint32_t sum);
/* RFC 1071 checksum of one buffer: net_csum_fold(net_csum_add(0, p, n)). */
uint16_t net_csum(const uint8_t *p, size_t n);
/* Partial sum of the IPv4 pseudo-header of RFC 768 / RFC 9293 3.1:
 * source, destination, zero, protocol, length of the segment. */
uint32_t net_csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);
/* RFC 1624 eqn. 3: the checksum after one 16-bit word covered by csum
 * changed from old to new. */
uint16_t net_csum_update16(uint16_t csum, uint16_t old, uint16_t new_);

#endif

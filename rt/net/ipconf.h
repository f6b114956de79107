/*
 * ipconf.h - the network's boot-time address setting: the value of the
 * boot option ip= ("dhcp", or "A.B.C.D/N" with an optional ",gw=A.B.C.D"),
 * parsed into an address, a mask and a gateway, with a precise message
 * for a bad value.
 *
 * Purpose: the parser is pure, so the same code checks the option at boot
 * (kernel/glue/rt_net.c) and in the host tests (tests/host/test_net_stack.c).
 * Context: pure; any context, no allocation.
 */
#ifndef TALLY_NET_IPCONF_H
#define TALLY_NET_IPCONF_H

#include <stddef.h>
#include <stdint.h>

/* Parse "A.B.C.D" (decimal parts 0..255, no leading zeros beyond "0",
 * exactly four) into *ip (host order).  0, or -1. */
int net_ip_parse(const char *s, size_t n, uint32_t *ip);
/* Print ip as "A.B.C.D" into buf (at least 16 bytes); returns buf. */
char *net_ip_format(uint32_t ip, char *buf);
/* The value of ip=.  "dhcp": 0 with *ip = *mask = *gw = 0.  Else
 * "A.B.C.D/N[,gw=E.F.G.H]" with N in 1..30: 0 with the three set (gw 0
 * when not given).  Refused (-1, err filled with one line naming the
 * part): a malformed address or prefix, an address that is the subnet's
 * network or broadcast address, 0.0.0.0, a multicast or class-E address,
 * a gateway outside the subnet or equal to the address, anything after
 * the gateway. */
int net_ipconf_parse(const char *s, uint32_t *ip, uint32_t *mask, uint32_t *gw,
                     char *err, size_t errlen);

#endif

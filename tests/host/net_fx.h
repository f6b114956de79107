/*
 * net_fx.h - recorded frames for the wire layer's host tests: pcap files
 * and their .expect (tests/fixtures/net/README.md), plus the tests' own
 * reference checksum.
 *
 * Data structures: struct nfx is one capture: every frame in its own
 * exactly-sized heap block (so a parser reading one byte past the frame is
 * caught by AddressSanitizer) and the .expect lines, split by "frame N".
 *
 * The reference checksum (nfx_ref_csum) is written from RFC 1071's
 * definition byte by byte (even bytes high, odd bytes low, end-around
 * carry after every add), not from the code under test; it is itself
 * checked against RFC 1071's worked example and tcpdump's verdicts.
 *
 * Context: host only (stdio, malloc, cmocka).
 */
#ifndef TALLY_TEST_NET_FX_H
#define TALLY_TEST_NET_FX_H

#include <stddef.h>
#include <stdint.h>
#include "tests/host/fixture.h"

#define NFX_MAX_FRAMES 16

struct nfx {
	const char *name;
	size_t n;
	uint8_t *frame[NFX_MAX_FRAMES];
	size_t len[NFX_MAX_FRAMES];
	struct fx_expect exp;
};

/* The recorded captures, by stem (NULL-terminated). */
extern const char *const nfx_names[];

/* Load tests/fixtures/net/<name>.pcap and .expect, or fail the test. */
void nfx_load(const char *name, struct nfx *f);
void nfx_free(struct nfx *f);
/* Value of key in frame i (0-based) of the .expect, or NULL. */
const char *nfx_get(const struct nfx *f, size_t i, const char *key);
/* A fresh exactly-sized copy of frame i (free it). */
uint8_t *nfx_copy(const struct nfx *f, size_t i);

/* RFC 1071 by its definition: the 16-bit one's-complement of the
 * one's-complement sum, over an optional prefix (pseudo-header) and data. */
uint16_t nfx_ref_csum(const uint8_t *pre, size_t npre, const uint8_t *p, size_t n);
/* Recompute, by the reference, the IPv4 header checksum and the ICMP, UDP
 * or TCP checksum of an Ethernet frame holding IPv4 (after a test edited a
 * field on purpose).  The UDP checksum is left 0 if it was 0. */
void nfx_fix_ip(uint8_t *frame, size_t len);
void nfx_fix_l4(uint8_t *frame, size_t len);
/* "a.b.c.d" -> host-order address; "aa:bb:..." -> 6 bytes; or fail. */
uint32_t nfx_ip(const char *s);
void nfx_mac(const char *s, uint8_t mac[6]);

#endif

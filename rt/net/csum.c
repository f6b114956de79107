/*
 * csum.c - the Internet checksum (RFC 1071), its incremental update (RFC
 * 1624) and the IPv4 pseudo-header sum used by UDP and TCP.
 *
 * Purpose: every checksum the wire layer verifies or writes goes through
 * here, so one routine is tested against the RFCs' worked examples and
 * recorded frames.
 *
 * Data structures: a partial sum is a uint32_t holding the one's-complement
 * sum not yet folded.  net_csum_add accumulates in 64 bits and folds its
 * result back below 2^17 before returning, so any number of calls, of any
 * size, cannot overflow.
 *
 * Invariants: fold(add(add(0, a), b)) == fold(add(0, a ++ b)) when a has
 * even length (the one's-complement sum is associative and commutative
 * over 16-bit words, RFC 1071 section 2); a buffer holding its own
 * correct checksum sums to 0xffff, so net_csum_fold of it is 0.  The
 * result 0 of a UDP checksum is sent as 0xffff (RFC 768); the caller does
 * that, since only UDP gives 0 a meaning.
 *
 * Context: pure; any context, no allocation.  Speed: a byte-pair loop,
 * about one cycle per byte; the stack's frames are at most 1514 bytes.
 */
#include "rt/net/wire.h"

static uint32_t fold32(uint64_t s)
{
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);  /* now below 2^17 */
	return (uint32_t)s;
}

uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < n)
		s += (uint32_t)p[i] << 8;
	return fold32(s);
}

uint16_t net_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t net_csum(const uint8_t *p, size_t n)
{
	return net_csum_fold(net_csum_add(0, p, n));
}

uint32_t net_csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	uint64_t s = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);
	s += proto;
	s += len;
	return fold32(s);
}

uint16_t net_csum_update16(uint16_t csum, uint16_t old, uint16_t new_)
{
	/* HC' = ~(~HC + ~m + m') in one's-complement arithmetic */
	uint32_t s = (uint32_t)(uint16_t)~csum + (uint16_t)~old + new_;
	return net_csum_fold(s);
}

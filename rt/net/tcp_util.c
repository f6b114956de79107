/*
 * tcp_util.c - byte rings, SipHash, initial sequence numbers and the
 * invariant check of the TCP state machine.
 *
 * Rings: struct tcp_ring is len bytes starting at buf[head] and wrapping
 * at cap; the storage is the caller's.  Offsets are from the head, so the
 * receive ring can hold out-of-order bytes past len (tcp_impl.h).
 *
 * SipHash-2-4 (Aumasson and Bernstein, 2012) is the keyed hash behind the
 * ISNs of RFC 6528 and the SYN cookies (tcp_listen.c): a 64-bit PRF under
 * a 128-bit key, short inputs cheap, no table.
 *
 * tcp_check: the equations of tcp.h's essay, tested by the fuzzer after
 * every step and by the host tests after every transfer.
 *
 * Context: pure.
 */
#include <string.h>
#include "rt/net/tcp_impl.h"

void _tcp_ring_put(struct tcp_ring *r, uint32_t off, const uint8_t *p, uint32_t n)
{
	uint32_t pos = (uint32_t)(((uint64_t)r->head + off) % r->cap);
	uint32_t first = _tcp_min32(n, r->cap - pos);

	memcpy(r->buf + pos, p, first);
	memcpy(r->buf, p + first, n - first);
}

void _tcp_ring_get(const struct tcp_ring *r, uint32_t off, uint8_t *p, uint32_t n)
{
	uint32_t pos = (uint32_t)(((uint64_t)r->head + off) % r->cap);
	uint32_t first = _tcp_min32(n, r->cap - pos);

	memcpy(p, r->buf + pos, first);
	memcpy(p + first, r->buf, n - first);
}

void _tcp_ring_drop(struct tcp_ring *r, uint32_t n)
{
	r->head = (uint32_t)(((uint64_t)r->head + n) % r->cap);
	r->len -= n;
}

static uint64_t rotl(uint64_t x, int b)
{
	return x << b | x >> (64 - b);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#define SIPROUND                                                              \
	do {                                                                  \
		v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);     \
		v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                        \
		v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                        \
		v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);     \
	} while (0)

uint64_t _tcp_siphash(const uint8_t key[16], const uint8_t *p, size_t n)
{
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t m = le64(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t b = (uint64_t)n << 56;
	for (size_t j = 0; i + j < n; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint8_t _tcp_wscale_for(uint32_t cap)
{
	uint8_t s = 0;
	while (s < TCP_MAX_WSCALE && (cap >> s) > 0xffff)
		s++;
	return s;
}

uint32_t tcp_isn(const uint8_t secret[16], uint32_t laddr, uint16_t lport, uint32_t raddr,
                 uint16_t rport, uint64_t now)
{
	uint8_t b[12];
	net_put32(b, laddr);
	net_put32(b + 4, raddr);
	net_put16(b + 8, lport);
	net_put16(b + 10, rport);
	/* RFC 6528: ISN = M + F(4-tuple, key), M a 4 us clock */
	return (uint32_t)(now / 4) + (uint32_t)_tcp_siphash(secret, b, sizeof b);
}

const char *tcp_check(const struct tcp_conn *c)
{
	if ((unsigned)c->state >= TCP_NSTATES)
		return "state out of range";
	if (c->snd.len > c->snd.cap || c->rcv.len > c->rcv.cap)
		return "ring length past capacity";
	if (c->snd.head >= c->snd.cap || c->rcv.head >= c->rcv.cap)
		return "ring head past capacity";
	if (c->nooo > TCP_OOO_MAX)
		return "too many out-of-order ranges";
	if (c->state == TCP_CLOSED || c->state == TCP_LISTEN)
		return NULL;
	if (!SEQ_LEQ(c->snd_una, c->snd_nxt) || !SEQ_LEQ(c->snd_nxt, c->snd_max))
		return "snd_una <= snd_nxt <= snd_max broken";
	uint32_t extra = (SEQ_LT(c->snd_una, c->snd_seq0) ? 1 : 0) + (c->fin_queued ? 1 : 0);
	if (c->snd_max - c->snd_una > c->snd.len + extra)
		return "more in flight than the ring holds";
	if (SEQ_GT(c->snd_una, c->snd_seq0) &&
	    !(c->fin_queued && c->snd.len == 0 && c->snd_una == c->snd_seq0 + 1))
		return "acknowledged bytes still in the send ring";
	/* liveness: something outstanding always has a timer to recover it */
	if (c->state == TCP_FIN_WAIT_2 && c->orphan && c->t_timewait == TCP_NEVER)
		return "FIN_WAIT_2 after close without its time-out";
	if (c->state == TCP_TIME_WAIT) {
		if (c->t_timewait == TCP_NEVER)
			return "TIME_WAIT without its timer";
	} else if (c->snd_max != c->snd_una && c->t_rexmt == TCP_NEVER &&
	           c->t_persist == TCP_NEVER) {
		return "unacknowledged data and no timer to resend it";
	}
	if (c->state == TCP_SYN_SENT)
		return NULL;
	if (!SEQ_LEQ(c->rcv_nxt, c->rcv_adv))
		return "rcv_adv behind rcv_nxt";
	if (c->rcv_adv - c->rcv_nxt > c->rcv.cap - c->rcv.len)
		return "advertised window past the free space";
	uint32_t prev = c->rcv_nxt;
	for (unsigned i = 0; i < c->nooo; i++) {
		if (!SEQ_LT(prev, c->ooo[i].start) || !SEQ_LT(c->ooo[i].start, c->ooo[i].end))
			return "out-of-order ranges not sorted and disjoint";
		if (SEQ_GT(c->ooo[i].end, c->rcv_adv))
			return "out-of-order range past the window";
		prev = c->ooo[i].end;
	}
	return NULL;
}

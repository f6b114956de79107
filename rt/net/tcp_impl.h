/*
 * tcp_impl.h - internals shared by the files of the TCP state machine
 * (tcp_conn.c, tcp_in.c, tcp_out.c, tcp_timer.c, tcp_listen.c, tcp_util.c,
 * tcp_rto.c).  Callers use tcp.h only.
 *
 * Sequence arithmetic: 32-bit, compared through the signed difference
 * (RFC 9293 3.4), valid while the two numbers are less than 2^31 apart,
 * which every window here guarantees (rings are at most 2^30 bytes).
 *
 * Ring offsets: the send ring's byte 0 has sequence number c->snd_seq0;
 * the receive ring's in-order bytes end at rcv_nxt and out-of-order
 * bytes lie after them at offset rcv.len + (seq - rcv_nxt).
 *
 * Context: as tcp.h.
 */
#ifndef TALLY_NET_TCP_IMPL_H
#define TALLY_NET_TCP_IMPL_H

#include "rt/net/tcp.h"

#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

static inline uint32_t _tcp_min32(uint32_t a, uint32_t b) { return a < b ? a : b; }
static inline uint32_t _tcp_max32(uint32_t a, uint32_t b) { return a > b ? a : b; }
static inline uint64_t _tcp_min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* Is the connection past the handshake (RFC 9293's synchronized states)? */
static inline int _tcp_synced(const struct tcp_conn *c)
{
	return c->state >= TCP_ESTABLISHED;
}

/* Sequence number of our FIN (valid when fin_queued). */
static inline uint32_t _tcp_fin_seq(const struct tcp_conn *c)
{
	return c->snd_seq0 + c->snd.len;
}

/* Our FIN has been sent and acknowledged. */
static inline int _tcp_fin_acked(const struct tcp_conn *c)
{
	return c->fin_queued && SEQ_GT(c->snd_una, _tcp_fin_seq(c));
}

/* ---- rings (tcp_util.c) ---- */
/* Copy n bytes in at offset off from the head (len unchanged). */
void _tcp_ring_put(struct tcp_ring *r, uint32_t off, const uint8_t *p, uint32_t n);
/* Copy n bytes out from offset off. */
void _tcp_ring_get(const struct tcp_ring *r, uint32_t off, uint8_t *p, uint32_t n);
/* Discard n bytes from the head. */
void _tcp_ring_drop(struct tcp_ring *r, uint32_t n);

/* SipHash-2-4 of n bytes under a 16-byte key. */
uint64_t _tcp_siphash(const uint8_t key[16], const uint8_t *p, size_t n);
/* Largest window scale needed for a receive buffer of cap bytes. */
uint8_t _tcp_wscale_for(uint32_t cap);

/* ---- output (tcp_out.c) ---- */
/* Send what the windows, Nagle and the owed ACK allow. */
void _tcp_output(struct tcp_conn *c, uint64_t now);
/* One segment: len bytes of the send ring from seq, with flags (ACK adds
 * rcv_nxt and the window, SYN adds options).  Counts it. */
void _tcp_send_seg(struct tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags, uint64_t now);
/* SYN or SYN-ACK (by state), from iss. */
void _tcp_send_syn(struct tcp_conn *c, uint64_t now);
/* A RST from our side of c: <SEQ=seq><CTL=RST>. */
void _tcp_send_rst(struct tcp_conn *c, uint32_t seq, uint64_t now);
/* The window to announce in bytes, updating rcv_adv (never shrinks). */
uint32_t _tcp_rcv_window(struct tcp_conn *c);
/* Would a window update open the window by enough to be worth an ACK? */
int _tcp_window_update_due(const struct tcp_conn *c);
/* Retransmit the first unacknowledged segment (fast retransmit). */
void _tcp_retransmit_first(struct tcp_conn *c, uint64_t now);
/* RFC 5681 initial window. */
uint32_t _tcp_initial_cwnd(uint16_t mss);
/* Arm the retransmission timer (if data or a SYN/FIN is outstanding). */
void _tcp_rexmt_arm(struct tcp_conn *c, uint64_t now, int restart);

/* ---- state (tcp_conn.c) ---- */
void _tcp_set_state(struct tcp_conn *c, enum tcp_state s);
void _tcp_closed(struct tcp_conn *c, enum tcp_err err);
void _tcp_event(struct tcp_conn *c, unsigned ev);
void _tcp_established(struct tcp_conn *c, uint64_t now);
/* FIN_WAIT_2; an orphan's time-out armed (tcp_timer.c). */
void _tcp_fin_wait_2(struct tcp_conn *c, uint64_t now);
void _tcp_enter_time_wait(struct tcp_conn *c, uint64_t now);

/* ---- input (tcp_in.c) ---- */
/* The options of a SYN: MSS (TCP_MSS_DEFAULT without one, clamped to
 * 64..TCP_MSS_MAX) and window scale (both sides scale only if both
 * offered, RFC 7323 1.3). */
void _tcp_take_syn_options(struct tcp_conn *c, const struct net_tcp *seg);

/* ---- listener (tcp_listen.c) ---- */
/* An embryo finished its handshake / died. */
void _tcp_listen_established(struct tcp_listener *l, struct tcp_conn *c);
void _tcp_listen_dead(struct tcp_listener *l, struct tcp_conn *c);

#endif

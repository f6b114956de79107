/*
 * tcp.h - the TCP state machine for its callers (the socket layer): one
 * connection control block, a listener, and the calls that drive them.
 *
 * Purpose: RFC 9293's connection state machine with the parts the stack
 * needs (handshake, sliding window with window scaling (RFC 7323), MSS,
 * retransmission with the RFC 6298 estimator, NewReno fast retransmit and
 * recovery (RFC 5681, RFC 6582), RST and SYN checks of RFC 5961, zero
 * window probes, Nagle (RFC 896) with a no-delay option, delayed ACKs,
 * TIME_WAIT, a listener with a bounded backlog and SYN cookies), as pure
 * C: no device, no socket, no clock, no allocation.  The caller gives the
 * buffers (struct tcp_conn holds its own; the byte rings' storage is the
 * caller's), the time (`now`, microseconds on any monotonic clock), the
 * parsed segments (net_tcp_parse's views) and the callbacks that carry
 * built segments out and events up.  The same code runs under cmocka,
 * the sanitizers and libFuzzer on the build machine and under the poller.
 *
 * How the socket layer wires it up:
 *   - a received segment: net_rx_parse gives struct net_tcp and the two
 *     addresses.  Look the 4-tuple up in the caller's table: a connection
 *     gets tcp_input(c, seg, now); else a listener on the port gets
 *     tcp_listen_input(l, seg, src, dst, now); else tcp_reply_rst (closed
 *     port, RFC 9293 3.10.7.1).
 *   - sending: every segment leaves through ops->output(ctx, src, dst,
 *     seg, len) fully built (header, options, payload, checksum: the IP
 *     payload), in the order it is to go on the wire.  The buffer is the
 *     connection's; it is valid only during the call.
 *   - events: ops->event(ctx, c, TCP_EV_*) when a connection becomes
 *     connected, readable (data or end of stream), writable (send space
 *     freed), or closed (c->err says why: tcp_err_str); on a listener,
 *     TCP_EV_ACCEPT when tcp_accept has a connection to give.  The event
 *     is called from inside tcp_* calls: it may record readiness and wake
 *     a goroutine, never call back into the same connection.
 *   - timers: tcp_deadline(c) is the earliest time tcp_expire(c, now) has
 *     work (TCP_NEVER: none); the poller keeps connections in its timer
 *     structure by that value and re-reads it after every tcp_* call on c.
 *   - a connection in TCP_CLOSED may be forgotten by the caller (taken out
 *     of the table, its memory reused), except one made by a listener and
 *     not yet accepted: the listener gives it back through ops->conn_free
 *     at its next call (tcp_listen_input, tcp_accept, tcp_listen_expire).
 *
 * Data structures: struct tcp_ring (a byte ring of caller-given size);
 * struct tcp_conn (RFC 9293's TCB with congestion, timer and statistics
 * state, the out-of-order ranges, the segment scratch buffer); struct
 * tcp_listener (SYN queue, accept queue, the SYN-cookie secret).
 *
 * Invariants (tcp_check verifies them; the fuzzer calls it after every
 * step):
 *   snd_una <= snd_nxt <= snd_max (sequence space, mod 2^32)
 *   snd_max - snd_una <= bytes in the send ring + SYN + FIN
 *   rcv.len <= rcv.cap, snd.len <= snd.cap
 *   rcv_nxt <= rcv_adv <= rcv_nxt + (rcv.cap - rcv.len): the advertised
 *   window never passes the free space, so out-of-order data always fits
 *   every out-of-order range lies in (rcv_nxt, rcv_adv], sorted, disjoint
 *   snd_max != snd_una implies a retransmission or persist deadline, and
 *   TIME_WAIT its own, as does FIN_WAIT_2 once tcp_close was called (no
 *   connection is left with nothing to wake it: an orphan whose peer
 *   never sends its FIN ends after fin_timeout, counted in fin_timeouts)
 *
 * Context: not thread-safe; one caller at a time per connection and per
 * listener (the socket layer's lock, or one P).  No allocation except
 * through the listener's conn_new.  Any context that may run the output
 * and event callbacks.
 */
#ifndef TALLY_NET_TCP_H
#define TALLY_NET_TCP_H

#include <stddef.h>
#include <stdint.h>
#include "rt/net/net.h"

#define TCP_NEVER UINT64_MAX

/* Constants (microseconds).  Each is justified in docs/net.md "TCP". */
#define TCP_RTO_INIT      1000000u   /* RFC 6298 2.1 */
#define TCP_RTO_MIN        200000u   /* Linux's floor; RFC 6298 2.4 says 1 s */
#define TCP_RTO_MAX      60000000u   /* RFC 6298 2.5 */
#define TCP_DELACK         40000u    /* delayed ACK timer (RFC 9293: < 0.5 s) */
#define TCP_PERSIST_MIN    200000u
#define TCP_PERSIST_MAX  60000000u
#define TCP_MSL_DEFAULT  30000000u   /* TIME_WAIT lasts 2 * MSL = 60 s */
#define TCP_FIN_TIMEOUT_DEFAULT 60000000u  /* an orphan's FIN_WAIT_2: Linux's tcp_fin_timeout */
#define TCP_SYN_RETRIES   6          /* SYN or SYN-ACK: 1+2+4+8+16+32+64 s */
#define TCP_DATA_RETRIES  12         /* back-offs before ETIMEDOUT */
#define TCP_MSS_DEFAULT   536        /* RFC 9293 3.7.1 when none is sent */
#define TCP_MSS_MAX       1460       /* Ethernet: 1500 - 20 - 20 */
#define TCP_SEG_MAX       (TCP_MAX_HLEN + TCP_MSS_MAX)
#define TCP_OOO_MAX       8          /* out-of-order ranges kept */
#define TCP_CHALLENGE_MAX 10         /* challenge ACKs per second (RFC 5961 7) */

enum tcp_state {
	TCP_CLOSED, TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RECEIVED, TCP_ESTABLISHED,
	TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_LAST_ACK,
	TCP_TIME_WAIT, TCP_NSTATES
};

enum tcp_err {
	TCP_OK = 0,
	TCP_ERR_REFUSED,     /* RST answered our SYN */
	TCP_ERR_RESET,       /* the peer reset the connection */
	TCP_ERR_TIMEOUT,     /* retransmissions exhausted */
	TCP_ERR_ABORTED,     /* closed locally by tcp_abort or a close with unread data */
	TCP_ERR_STATE,       /* the call is not valid in this state */
	TCP_ERR_SHUTDOWN,    /* send after shutdown */
	TCP_ERR_INVAL,       /* bad argument (buffer sizes, ports, MSS) */
	TCP_NERR
};

#define TCP_EV_CONNECTED 0x01
#define TCP_EV_READABLE  0x02
#define TCP_EV_WRITABLE  0x04
#define TCP_EV_CLOSED    0x08
#define TCP_EV_ACCEPT    0x10

/* A byte ring over caller storage: len bytes starting at buf[head]. */
struct tcp_ring {
	uint8_t *buf;
	uint32_t cap, head, len;
};

struct tcp_conn;
struct tcp_listener;

struct tcp_ops {
	void (*output)(void *ctx, uint32_t src, uint32_t dst, const uint8_t *seg, size_t len);
	void (*event)(void *ctx, struct tcp_conn *c, unsigned ev);   /* may be NULL */
	/* listeners only: a connection with its buffers, state CLOSED, made by
	 * tcp_conn_init; NULL when out of memory (the SYN is answered with a
	 * cookie instead).  conn_free gives it back. */
	struct tcp_conn *(*conn_new)(void *ctx, struct tcp_listener *l);
	void (*conn_free)(void *ctx, struct tcp_conn *c);
	void (*listen_event)(void *ctx, struct tcp_listener *l, unsigned ev);
};

/* The RFC 6298 estimator (tcp_rto.c). */
struct tcp_rtt {
	uint64_t srtt, rttvar;          /* microseconds; valid once nsamples > 0 */
	uint64_t rto;                   /* current, back-off included */
	uint32_t nsamples;
	uint8_t backoff;                /* doublings since the last sample */
};

struct tcp_stats {
	uint64_t segs_in, segs_out, bytes_in, bytes_out;
	uint64_t retransmits;           /* segments sent again, any cause */
	uint64_t fast_retransmits;      /* third duplicate ACK */
	uint64_t partial_acks;          /* NewReno retransmits on a partial ACK */
	uint64_t timeouts;              /* retransmission timer expiries */
	uint64_t max_backoff;
	uint64_t dupacks_in;
	uint64_t probes;                /* zero-window probes */
	uint64_t challenge_acks;        /* RFC 5961 */
	uint64_t ooo_segs, ooo_dropped; /* out of order: kept, no range left */
	uint64_t dropped;               /* unacceptable segments */
	uint64_t delayed_acks;          /* ACKs sent by the delayed ACK timer */
	uint64_t fin_timeouts;          /* orphans ended in FIN_WAIT_2 by fin_timeout */
};

struct tcp_conf {
	uint8_t *rxbuf, *txbuf;         /* storage of the rings */
	uint32_t rxcap, txcap;          /* 1 .. 2^30 */
	uint16_t mss;                   /* our receive MSS; 0: TCP_MSS_MAX */
	uint8_t nodelay;                /* 1: Nagle off */
	uint8_t no_delack;              /* 1: ACK every segment at once */
	uint8_t no_wscale;              /* 1: do not offer window scaling */
	uint32_t msl;                   /* 0: TCP_MSL_DEFAULT */
	uint32_t fin_timeout;           /* 0: TCP_FIN_TIMEOUT_DEFAULT */
	const struct tcp_ops *ops;
	void *ctx;
};

struct tcp_conn {
	enum tcp_state state;
	enum tcp_err err;               /* why it closed (TCP_OK: orderly) */
	uint32_t laddr, raddr;              /* addresses, host order */
	uint16_t lport, rport;
	const struct tcp_ops *ops;
	void *ctx;

	/* send sequence space (RFC 9293 3.3.1); snd_max: highest ever sent */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wl1, snd_wl2;
	uint32_t snd_wnd, max_snd_wnd;  /* bytes, scale applied */
	uint8_t snd_wscale, rcv_wscale, ws_ok;
	uint16_t snd_mss;               /* segment size we send */
	uint16_t rcv_mss;               /* what we announce */
	/* receive sequence space */
	uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge announced */

	struct tcp_ring snd, rcv;       /* snd: from snd_una's byte on */
	uint32_t snd_seq0;              /* sequence number of snd's first byte */
	uint8_t fin_queued;             /* shutdown called: FIN after the ring */
	uint8_t fin_rcvd;               /* the peer's FIN is in rcv_nxt */
	uint8_t passive;                /* made by a listener */
	uint8_t orphan;                 /* tcp_close called: nobody reads any more */
	uint8_t nodelay, delack_on;
	uint8_t ack_now;                /* an ACK is owed at once */
	uint8_t delack_segs;            /* full segments unacknowledged */

	struct { uint32_t start, end; } ooo[TCP_OOO_MAX];
	uint8_t nooo;

	/* congestion control (RFC 5681, NewReno RFC 6582) */
	uint32_t cwnd, ssthresh, recover;
	uint8_t dupacks, in_recovery;

	/* RTT timing: one segment at a time, never a retransmitted one */
	struct tcp_rtt rtt;
	uint32_t rtt_seq;
	uint64_t rtt_start;
	uint8_t rtt_on;
	uint8_t retries;                /* back-offs since progress */

	/* timers: absolute deadlines, TCP_NEVER when off; t_timewait is the
	 * state's own end: TIME_WAIT's 2 MSL, or an orphan's FIN_WAIT_2 */
	uint64_t t_rexmt, t_persist, t_delack, t_timewait;
	uint64_t persist_iv;
	uint32_t msl, fin_timeout;
	uint64_t chal_window;           /* start of the challenge-ACK second */
	uint32_t chal_count;

	struct tcp_listener *listener;  /* made by it and not accepted yet */
	struct tcp_conn *lnext;         /* on the listener's lists */
	void *user;                     /* the caller's */

	struct tcp_stats st;
	uint8_t seg[TCP_SEG_MAX];       /* segments are built here */
};

struct tcp_listener {
	uint32_t laddr;                   /* 0: any local address */
	uint16_t lport;
	uint16_t backlog;               /* accepted-queue bound */
	uint16_t synq_max;              /* half-open bound */
	uint16_t nsyn, nacc;
	struct tcp_conn *synq, *accq, *zombies;
	const struct tcp_ops *ops;
	void *ctx;
	uint8_t secret[16];             /* SYN cookies and ISNs */
	uint16_t mss;                   /* announced in SYN-ACKs */
	uint32_t rxcap;                 /* the receive window a cookie promises */
	struct {
		uint64_t syns, cookies_sent, cookies_ok, cookies_bad;
		uint64_t acc_full, conn_new_fail, resets;
	} st;
};

/* ---- connections (tcp_conn.c) ---- */
/* Set up c as CLOSED with the conf's buffers: TCP_OK or TCP_ERR_INVAL. */
enum tcp_err tcp_conn_init(struct tcp_conn *c, const struct tcp_conf *cf);
/* Active open: SYN_SENT, the SYN sent.  iss: the caller's, e.g. tcp_isn. */
enum tcp_err tcp_connect(struct tcp_conn *c, uint32_t laddr, uint16_t lport, uint32_t raddr,
                         uint16_t rport, uint32_t iss, uint64_t now);
/* Queue up to n bytes; the count taken (0: ring full), or -TCP_ERR_*. */
long tcp_send(struct tcp_conn *c, const void *p, size_t n, uint64_t now);
/* Read up to n bytes: the count, 0 at end of stream (tcp_eof) or when
 * nothing is there, or -TCP_ERR_*. */
long tcp_recv(struct tcp_conn *c, void *p, size_t n, uint64_t now);
/* No more sending: a FIN after the queued bytes. */
enum tcp_err tcp_shutdown(struct tcp_conn *c, uint64_t now);
/* shutdown; with unread received data, an abort instead (RFC 9293 3.10.4).
 * Nobody reads afterwards, so FIN_WAIT_2 then lasts at most fin_timeout
 * (the peer may never send its FIN); it ends CLOSED, err TCP_ERR_TIMEOUT,
 * without a segment (as Linux's orphans do). */
enum tcp_err tcp_close(struct tcp_conn *c, uint64_t now);
/* RST (if synchronized) and CLOSED with TCP_ERR_ABORTED. */
void tcp_abort(struct tcp_conn *c, uint64_t now);
void tcp_set_nodelay(struct tcp_conn *c, int on, uint64_t now);
int tcp_eof(const struct tcp_conn *c);             /* FIN read and ring empty */
uint32_t tcp_readable(const struct tcp_conn *c);   /* bytes tcp_recv can give */
uint32_t tcp_writable(const struct tcp_conn *c);   /* bytes tcp_send can take */

/* ---- segments in (tcp_in.c) ---- */
/* One segment for c (its 4-tuple matched by the caller). */
void tcp_input(struct tcp_conn *c, const struct net_tcp *seg, uint64_t now);
/* The RST for a segment no connection or listener wants: nothing for a
 * RST, <SEQ=SEG.ACK><RST> for an ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
 * <RST,ACK>.  src, dst: the segment's.  buf: >= 20 bytes of scratch. */
void tcp_reply_rst(const struct tcp_ops *ops, void *ctx, const struct net_tcp *seg,
                   uint32_t src, uint32_t dst, uint8_t *buf);

/* ---- timers (tcp_timer.c) ---- */
uint64_t tcp_deadline(const struct tcp_conn *c);
void tcp_expire(struct tcp_conn *c, uint64_t now);

/* ---- the listener (tcp_listen.c) ---- */
/* secret: 16 random bytes (SYN cookies, ISNs); laddr 0: any address. */
enum tcp_err tcp_listen_init(struct tcp_listener *l, uint32_t laddr, uint16_t lport,
                             uint16_t backlog, uint16_t synq_max, const uint8_t secret[16],
                             uint32_t rxcap, uint16_t mss, const struct tcp_ops *ops, void *ctx);
void tcp_listen_input(struct tcp_listener *l, const struct net_tcp *seg, uint32_t src,
                      uint32_t dst, uint64_t now);
/* The oldest established connection, or NULL. */
struct tcp_conn *tcp_accept(struct tcp_listener *l);
/* Give back every unaccepted connection (closing it with a RST). */
void tcp_listen_close(struct tcp_listener *l, uint64_t now);
uint64_t tcp_listen_deadline(const struct tcp_listener *l);
void tcp_listen_expire(struct tcp_listener *l, uint64_t now);

/* ---- helpers ---- */
/* RFC 6528 ISN: a keyed hash of the 4-tuple plus the clock in 4 us steps. */
uint32_t tcp_isn(const uint8_t secret[16], uint32_t laddr, uint16_t lport, uint32_t raddr,
                 uint16_t rport, uint64_t now);
const char *tcp_state_name(enum tcp_state s);
const char *tcp_err_str(enum tcp_err e);
/* NULL, or a constant string naming the first broken invariant. */
const char *tcp_check(const struct tcp_conn *c);

/* RFC 6298 (tcp_rto.c), exposed for tests. */
void tcp_rtt_init(struct tcp_rtt *r);
void tcp_rtt_sample(struct tcp_rtt *r, uint64_t rtt_us);
void tcp_rtt_backoff(struct tcp_rtt *r);

#endif

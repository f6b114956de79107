/*
 * tcp_timer.c - a connection's four timers: retransmission, persist,
 * delayed ACK, TIME_WAIT (or an orphan's FIN_WAIT_2).
 *
 * Purpose: each timer is an absolute deadline in the connection
 * (TCP_NEVER when off); tcp_deadline is their minimum and tcp_expire runs
 * the ones that are due.  The caller keeps no timer of its own.
 *
 * Retransmission (RFC 6298 5.4-5.7, RFC 5681 3.1): on expiry the RTO
 * doubles (tcp_rtt_backoff), ssthresh = max(flight / 2, 2 MSS), cwnd =
 * 1 MSS, NewReno's recover = snd_max (RFC 6582 3.2 step 1: no fast
 * retransmit for duplicates of data sent before the timeout), RTT timing
 * stops (Karn), snd_nxt goes back to snd_una and the send loop resends
 * from there as the window reopens.  A SYN or SYN-ACK is resent as is.
 * After TCP_SYN_RETRIES (handshake) or TCP_DATA_RETRIES back-offs without
 * progress the connection closes with TCP_ERR_TIMEOUT.
 *
 * Persist (RFC 9293 3.8.6.1): armed by the send loop when data waits and
 * nothing is in flight (a zero or silly window).  On expiry with a
 * non-zero window, what fits is sent (3.8.6.2.1's override timeout); with
 * a zero window one byte is sent at snd_nxt, beyond the window, without moving snd_nxt (snd_max
 * covers it, so its ACK is acceptable), and the interval doubles from
 * max(RTO, 200 ms) up to 60 s.  A window that opens resets it.  A peer
 * that keeps answering probes with a zero window keeps the connection
 * open indefinitely, as RFC 9293 requires.
 *
 * Delayed ACK (RFC 9293 3.8.6.3, RFC 5681 4.2): an in-order segment that
 * is not the second full one in a row waits up to TCP_DELACK (40 ms) for
 * a reply to carry its ACK.  TIME_WAIT: 2 * MSL, restarted by a
 * retransmitted FIN; on expiry the connection is CLOSED (err TCP_OK).
 * FIN_WAIT_2 of an orphan (tcp_close called; the same deadline field):
 * fin_timeout from entering FIN_WAIT_2 (or from the close, if later),
 * not restarted by segments; on expiry CLOSED with TCP_ERR_TIMEOUT and
 * counted in fin_timeouts, nothing sent (Linux's tcp_fin_timeout, 60 s:
 * a peer that never sends its FIN must not hold the connection
 * forever; one that is alive and sends later gets a RST for a closed
 * port).  A connection only shut down stays in FIN_WAIT_2: its user may
 * still read, as RFC 9293 allows.
 *
 * Context: as tcp.h.
 */
#include "rt/net/tcp_impl.h"

uint64_t tcp_deadline(const struct tcp_conn *c)
{
	uint64_t d = _tcp_min64(c->t_rexmt, c->t_persist);
	d = _tcp_min64(d, c->t_delack);
	return _tcp_min64(d, c->t_timewait);
}

static void rexmt_expire(struct tcp_conn *c, uint64_t now)
{
	c->t_rexmt = TCP_NEVER;
	if (c->snd_max == c->snd_una)
		return;
	int hs = c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED;
	if (c->retries >= (hs ? TCP_SYN_RETRIES : TCP_DATA_RETRIES)) {
		if (c->state != TCP_SYN_SENT)
			_tcp_send_rst(c, c->snd_nxt, now);
		_tcp_closed(c, TCP_ERR_TIMEOUT);
		return;
	}
	c->retries++;
	c->st.timeouts++;
	tcp_rtt_backoff(&c->rtt);
	if (c->rtt.backoff > c->st.max_backoff)
		c->st.max_backoff = c->rtt.backoff;
	c->rtt_on = 0;
	if (hs) {
		_tcp_send_syn(c, now);
		c->st.retransmits++;
		_tcp_rexmt_arm(c, now, 1);
		return;
	}
	uint32_t flight = c->snd_max - c->snd_una;
	c->ssthresh = _tcp_max32(flight / 2, 2u * c->snd_mss);
	c->cwnd = c->snd_mss;
	c->recover = c->snd_max;
	c->in_recovery = 0;
	c->dupacks = 0;
	c->snd_nxt = c->snd_una;
	_tcp_rexmt_arm(c, now, 1);
	/* the window may be shut: the send loop then arms the persist timer */
	uint64_t keep = c->t_rexmt;
	c->t_rexmt = TCP_NEVER;
	_tcp_output(c, now);
	if (c->snd_nxt != c->snd_una)
		c->t_rexmt = keep;
	else if (c->t_persist == TCP_NEVER)
		c->t_rexmt = keep;
}

static void persist_expire(struct tcp_conn *c, uint64_t now)
{
	c->t_persist = TCP_NEVER;
	uint32_t off = c->snd_nxt - c->snd_seq0;
	if (c->snd_nxt != c->snd_una || off >= c->snd.len) {
		_tcp_output(c, now);
		return;
	}
	uint32_t avail = c->snd.len - off;
	if (c->snd_wnd > 0) {
		/* a silly window: the override timeout sends what fits */
		uint32_t len = _tcp_min32(_tcp_min32(c->snd_wnd, c->snd_mss), avail);
		_tcp_send_seg(c, c->snd_nxt, len, TCP_ACK_F | TCP_PSH, now);
		c->snd_nxt += len;
		if (SEQ_GT(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		_tcp_rexmt_arm(c, now, 0);
		return;
	}
	_tcp_send_seg(c, c->snd_nxt, 1, TCP_ACK_F, now);
	c->st.probes++;
	if (SEQ_GT(c->snd_nxt + 1, c->snd_max))
		c->snd_max = c->snd_nxt + 1;
	c->persist_iv = _tcp_min64(c->persist_iv * 2, TCP_PERSIST_MAX);
	c->t_persist = now + c->persist_iv;
}

void tcp_expire(struct tcp_conn *c, uint64_t now)
{
	if (c->t_timewait <= now) {
		c->t_timewait = TCP_NEVER;
		if (c->state == TCP_FIN_WAIT_2) {
			c->st.fin_timeouts++;
			_tcp_closed(c, TCP_ERR_TIMEOUT);
		} else {
			_tcp_closed(c, TCP_OK);
		}
		return;
	}
	if (c->t_delack <= now) {
		c->t_delack = TCP_NEVER;
		c->ack_now = 1;
		c->st.delayed_acks++;
		_tcp_output(c, now);
	}
	if (c->t_rexmt <= now)
		rexmt_expire(c, now);
	if (c->state != TCP_CLOSED && c->t_persist <= now)
		persist_expire(c, now);
}

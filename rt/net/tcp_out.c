/*
 * tcp_out.c - what a connection sends, and when: segment building, the
 * send loop with Nagle and sender-side silly-window avoidance, the
 * receive window we announce, retransmission of the first segment.
 *
 * Purpose: every segment leaves through _tcp_send_seg, which builds it in
 * c->seg with net_tcp_build (tcp_wire.c) and hands it to ops->output.  An
 * ACK rides on every segment after the SYN; sending one clears the owed
 * ACK and the delayed-ACK timer.
 *
 * The send loop (_tcp_output), RFC 9293 3.8.6.2.1 and RFC 896: from
 * snd_nxt, send min(unsent, MSS, usable window) bytes where usable =
 * min(snd_wnd, cwnd) - in flight, if
 *   (a) it is a full MSS, or
 *   (b) it is all that is queued and nothing is unacknowledged (Nagle),
 *       or Nagle is off (nodelay), or a FIN follows (closing flushes), or
 *   (c) it is at least half the largest window the peer has offered;
 * a FIN goes after the last byte (it needs no window).  When data waits,
 * nothing is in flight and nothing may be sent, the persist timer is
 * armed (tcp_timer.c probes the window).  A segment at a sequence number
 * below snd_max is a retransmission (after the retransmission timer
 * rewound snd_nxt: go-back-N from snd_una, under cwnd = 1 MSS), counted
 * and never timed (Karn).  One segment is timed at a time: the first new
 * one sent while no timing runs.  A segment with no data and no SYN or
 * FIN (a pure ACK) carries snd_max, not snd_nxt, as BSD's does: after a
 * rewind snd_nxt may lie below what the peer has received, and an ACK
 * sequenced there would be outside the peer's window and dropped unread
 * (both sides rewound would then never hear each other's ACKs).
 *
 * The window we announce (_tcp_rcv_window), RFC 9293 3.8.6.2.2 and RFC
 * 7323: the free space of the receive ring, rcv.cap - rcv.len, but the
 * right edge moves only when it would move by at least min(cap/2, MSS)
 * (receiver silly-window avoidance), and never back: rcv_adv, the right
 * edge announced, only grows.  Since in-order data moves rcv_nxt and
 * rcv.len together, rcv_adv <= rcv_nxt + free always holds, so every
 * byte accepted inside the window has room in the ring.  Scaled windows
 * are rounded down to a multiple of 2^rcv_wscale.  A SYN's window is
 * never scaled (RFC 7323 2.2).
 *
 * Context: as tcp.h.
 */
#include <string.h>
#include "rt/net/tcp_impl.h"

uint32_t _tcp_initial_cwnd(uint16_t mss)
{
	/* RFC 5681 3.1 */
	if (mss > 2190)
		return 2u * mss;
	if (mss > 1095)
		return 3u * mss;
	return 4u * mss;
}

static uint32_t wnd_step(const struct tcp_conn *c)
{
	uint32_t t = _tcp_min32(c->rcv.cap / 2, c->rcv_mss);
	return _tcp_max32(t, 1u << c->rcv_wscale);
}

uint32_t _tcp_rcv_window(struct tcp_conn *c)
{
	uint32_t free = c->rcv.cap - c->rcv.len;
	uint32_t cur = c->rcv_adv - c->rcv_nxt;
	uint32_t w = cur;

	if (free > cur && free - cur >= wnd_step(c))
		w = free;
	uint32_t maxw = 0xffffu << c->rcv_wscale;
	if (w > maxw)
		w = maxw;
	w = w >> c->rcv_wscale << c->rcv_wscale;
	if (SEQ_GT(c->rcv_nxt + w, c->rcv_adv))
		c->rcv_adv = c->rcv_nxt + w;
	return w;
}

int _tcp_window_update_due(const struct tcp_conn *c)
{
	uint32_t maxw = 0xffffu << c->rcv_wscale;
	uint32_t cur = c->rcv_adv - c->rcv_nxt;
	uint32_t free = _tcp_min32(c->rcv.cap - c->rcv.len, maxw);
	/* worth a segment of its own: two MSS, or half a small buffer */
	uint32_t step = _tcp_max32(wnd_step(c), _tcp_min32(2u * c->rcv_mss, c->rcv.cap / 2));

	return free > cur && free - cur >= step;
}

void _tcp_send_seg(struct tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags, uint64_t now)
{
	struct net_tcp h;
	size_t olen = 0;

	(void)now;
	memset(&h, 0, sizeof h);
	h.sport = c->lport;
	h.dport = c->rport;
	h.seq = seq;
	h.flags = flags;
	if (flags & TCP_ACK_F)
		h.ack = c->rcv_nxt;
	if (flags & TCP_SYN) {
		h.opt.has_mss = 1;
		h.opt.mss = c->rcv_mss;
		olen = 4;
		if (c->ws_ok) {
			h.opt.has_wscale = 1;
			h.opt.wscale = c->rcv_wscale;
			olen += 4;
		}
		uint32_t w = _tcp_min32(c->rcv.cap - c->rcv.len, 0xffff);
		h.win = (uint16_t)w;
		if ((flags & TCP_ACK_F) && SEQ_GT(c->rcv_nxt + w, c->rcv_adv))
			c->rcv_adv = c->rcv_nxt + w;
	} else if (!(flags & TCP_RST)) {
		h.win = (uint16_t)(_tcp_rcv_window(c) >> c->rcv_wscale);
	}
	if (len)
		_tcp_ring_get(&c->snd, seq - c->snd_seq0, c->seg + TCP_HLEN + olen, len);
	int n = net_tcp_build(c->seg, sizeof c->seg, c->laddr, c->raddr, &h,
	                      c->seg + TCP_HLEN + olen, len);
	if (n < 0)
		return;        /* cannot happen: len <= MSS <= TCP_MSS_MAX */
	c->st.segs_out++;
	c->st.bytes_out += len;
	if (flags & TCP_ACK_F) {
		c->ack_now = 0;
		c->delack_segs = 0;
		c->t_delack = TCP_NEVER;
	}
	c->ops->output(c->ctx, c->laddr, c->raddr, c->seg, (size_t)n);
}

void _tcp_send_syn(struct tcp_conn *c, uint64_t now)
{
	uint8_t f = TCP_SYN | (c->state == TCP_SYN_RECEIVED ? TCP_ACK_F : 0);
	_tcp_send_seg(c, c->iss, 0, f, now);
}

void _tcp_send_rst(struct tcp_conn *c, uint32_t seq, uint64_t now)
{
	_tcp_send_seg(c, seq, 0, TCP_RST, now);
}

void _tcp_rexmt_arm(struct tcp_conn *c, uint64_t now, int restart)
{
	if (c->snd_max == c->snd_una) {
		c->t_rexmt = TCP_NEVER;
		return;
	}
	if (restart || c->t_rexmt == TCP_NEVER)
		c->t_rexmt = now + c->rtt.rto;
}

void _tcp_retransmit_first(struct tcp_conn *c, uint64_t now)
{
	uint32_t off = c->snd_una - c->snd_seq0;
	if (off > c->snd.len)
		return;
	uint32_t avail = c->snd.len - off;
	uint32_t len = _tcp_min32(avail, c->snd_mss);
	int fin = c->fin_queued && len == avail && SEQ_LT(_tcp_fin_seq(c), c->snd_max);
	if (len == 0 && !fin)
		return;
	_tcp_send_seg(c, c->snd_una, len, TCP_ACK_F | (fin ? TCP_FIN : 0), now);
	c->st.retransmits++;
	c->rtt_on = 0;         /* Karn: the timed segment may be this one */
}

static int can_send_data(const struct tcp_conn *c)
{
	switch (c->state) {
	case TCP_ESTABLISHED: case TCP_CLOSE_WAIT: case TCP_FIN_WAIT_1:
	case TCP_CLOSING: case TCP_LAST_ACK:
		return 1;
	default:
		return 0;
	}
}

void _tcp_output(struct tcp_conn *c, uint64_t now)
{
	switch (c->state) {
	case TCP_CLOSED: case TCP_LISTEN: case TCP_SYN_SENT:
		return;
	case TCP_SYN_RECEIVED:
		if (c->ack_now) {
			c->ack_now = 0;
			_tcp_send_syn(c, now);
		}
		return;
	default:
		break;
	}
	while (can_send_data(c)) {
		uint32_t off = c->snd_nxt - c->snd_seq0;
		uint32_t avail = c->snd.len > off ? c->snd.len - off : 0;
		uint32_t flight = c->snd_nxt - c->snd_una;
		uint32_t wnd = _tcp_min32(c->snd_wnd, c->cwnd);
		uint32_t usable = wnd > flight ? wnd - flight : 0;
		uint32_t len = _tcp_min32(_tcp_min32(avail, c->snd_mss), usable);
		int fin = c->fin_queued && off <= c->snd.len && len == avail;
		int send = 0;

		if (len > 0) {
			if (len == c->snd_mss)
				send = 1;
			else if (len == avail && (c->nodelay || flight == 0 || c->fin_queued))
				send = 1;
			else if (c->max_snd_wnd && len >= c->max_snd_wnd / 2)
				send = 1;
		} else if (fin) {
			send = 1;
		}
		if (!send) {
			if (avail > 0 && flight == 0 && c->t_persist == TCP_NEVER &&
			    c->t_rexmt == TCP_NEVER) {
				if (c->persist_iv == 0)
					c->persist_iv = _tcp_max32((uint32_t)c->rtt.rto, TCP_PERSIST_MIN);
				c->t_persist = now + c->persist_iv;
			}
			break;
		}
		uint32_t seq = c->snd_nxt;
		int rexmit = SEQ_LT(seq, c->snd_max);
		uint8_t f = TCP_ACK_F | (len && len == avail ? TCP_PSH : 0) | (fin ? TCP_FIN : 0);
		_tcp_send_seg(c, seq, len, f, now);
		if (rexmit)
			c->st.retransmits++;
		c->snd_nxt += len + (fin ? 1 : 0);
		if (SEQ_GT(c->snd_nxt, c->snd_max)) {
			if (!c->rtt_on && !rexmit) {
				c->rtt_on = 1;
				c->rtt_seq = seq;
				c->rtt_start = now;
			}
			c->snd_max = c->snd_nxt;
		}
		c->t_persist = TCP_NEVER;
		_tcp_rexmt_arm(c, now, 0);
	}
	if (c->ack_now)
		_tcp_send_seg(c, c->snd_max, 0, TCP_ACK_F, now);
}

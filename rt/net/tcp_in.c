/*
 * tcp_in.c - a segment arrives (RFC 9293 3.10.7), with RFC 5961's checks.
 *
 * Purpose: tcp_input takes one parsed segment for a connection and moves
 * it: the handshake (SYN_SENT, SYN_RECEIVED, simultaneous open), the
 * acceptability test, RST and SYN handling, the ACK (send window, RTT
 * sample, congestion control with NewReno fast retransmit and recovery),
 * the data (in order into the receive ring, out of order into the ring's
 * free space with a range list), the FIN and the closing states.
 *
 * Order for a synchronized connection (3.10.7.4): 1. sequence number
 * acceptable (else an ACK, unless it is a RST, and drop); 2. RST: exactly
 * rcv_nxt resets, elsewhere in the window draws a challenge ACK (RFC 5961
 * 3.2); 4. SYN: a challenge ACK and drop (RFC 5961 4.2, instead of 9293's
 * reset); 5. no ACK: drop; the ACK: above snd_max draws an ACK and drop;
 * below snd_una - max_snd_wnd likewise (RFC 5961 5.2); new data acked,
 * or a duplicate; the window update rule (snd_wl1, snd_wl2); 7. the text
 * (ESTABLISHED, FIN_WAIT_1/2 only); 8. the FIN, when it is in order.
 * Challenge ACKs are limited to TCP_CHALLENGE_MAX a second per connection.
 * A RST in TIME_WAIT is ignored (RFC 1337: no TIME_WAIT assassination).
 *
 * Congestion control (RFC 5681, RFC 3465 with L = 1, RFC 6582): a new ACK
 * grows cwnd by min(acked, MSS) below ssthresh and by MSS*MSS/cwnd above.
 * A duplicate ACK (ack == snd_una, no data, no SYN/FIN, same non-zero
 * window, data outstanding) is counted; the third starts fast retransmit if ack-1 is
 * past `recover`: ssthresh = max(flight/2, 2 MSS), recover = snd_max, the
 * first segment resent, cwnd = ssthresh + 3 MSS; each further duplicate
 * adds one MSS.  In recovery a partial ACK resends the next hole and
 * deflates cwnd by the amount acked less one MSS; a full ACK (>= recover)
 * ends it with cwnd = min(ssthresh, flight + MSS).
 *
 * Received data: the segment is trimmed to [rcv_nxt, rcv_adv).  In order,
 * it is appended to the ring and the out-of-order ranges it reaches are
 * absorbed.  Out of order, it is copied to its place past the in-order
 * bytes (rcv_adv <= rcv_nxt + free, so it fits) and its range merged into
 * the sorted list; with TCP_OOO_MAX ranges taken, a segment that would
 * need another one is dropped.  Out-of-order data and a filled hole draw
 * an ACK at once (RFC 5681 4.2); a FIN is taken only in order (a FIN on an
 * out-of-order segment is forgotten; the peer resends it).  Delayed ACKs
 * (RFC 9293 3.8.6.3): an in-order full-sized segment is acknowledged with
 * the next one or after TCP_DELACK; a segment shorter than our MSS (the
 * tail of a message) at once, so a peer's Nagle never waits for our timer
 * (the 40 ms stall of Nagle against delayed ACKs).  conf.no_delack
 * acknowledges every segment at once.
 *
 * Not done: urgent data (URG is ignored, its bytes are ordinary data),
 * timestamps and SACK (never offered, so a peer never sends them;
 * received ones are ignored), ECN.
 *
 * Context: as tcp.h.
 */
#include "rt/net/tcp_impl.h"

static int challenge_ok(struct tcp_conn *c, uint64_t now)
{
	if (now - c->chal_window >= 1000000u || now < c->chal_window) {
		c->chal_window = now;
		c->chal_count = 0;
	}
	if (c->chal_count >= TCP_CHALLENGE_MAX)
		return 0;
	c->chal_count++;
	c->st.challenge_acks++;
	return 1;
}

static void challenge_ack(struct tcp_conn *c, uint64_t now)
{
	if (challenge_ok(c, now))
		_tcp_send_seg(c, c->snd_max, 0, TCP_ACK_F, now);
}

void tcp_reply_rst(const struct tcp_ops *ops, void *ctx, const struct net_tcp *seg,
                   uint32_t src, uint32_t dst, uint8_t *buf)
{
	struct net_tcp h = {0};

	if (seg->flags & TCP_RST)
		return;
	h.sport = seg->dport;
	h.dport = seg->sport;
	if (seg->flags & TCP_ACK_F) {
		h.seq = seg->ack;
		h.flags = TCP_RST;
	} else {
		h.ack = seg->seq + (uint32_t)seg->payload_len + !!(seg->flags & TCP_SYN) +
		        !!(seg->flags & TCP_FIN);
		h.flags = TCP_RST | TCP_ACK_F;
	}
	int n = net_tcp_build(buf, TCP_HLEN, dst, src, &h, NULL, 0);
	if (n > 0)
		ops->output(ctx, dst, src, buf, (size_t)n);
}

void _tcp_take_syn_options(struct tcp_conn *c, const struct net_tcp *seg)
{
	uint16_t mss = seg->opt.has_mss ? seg->opt.mss : TCP_MSS_DEFAULT;
	if (mss > TCP_MSS_MAX)
		mss = TCP_MSS_MAX;
	if (mss < 64)
		mss = 64;               /* nonsense: keep segments sane */
	c->snd_mss = mss;
	if (c->ws_ok && seg->opt.has_wscale) {
		c->snd_wscale = seg->opt.wscale;
	} else {
		c->ws_ok = 0;
		c->snd_wscale = c->rcv_wscale = 0;
	}
}

static void syn_sent(struct tcp_conn *c, const struct net_tcp *seg, uint64_t now)
{
	uint8_t f = seg->flags;

	if (f & TCP_ACK_F) {
		if (SEQ_LEQ(seg->ack, c->iss) || SEQ_GT(seg->ack, c->snd_max)) {
			if (!(f & TCP_RST))
				_tcp_send_rst(c, seg->ack, now);
			c->st.dropped++;
			return;
		}
	}
	if (f & TCP_RST) {
		if (f & TCP_ACK_F)
			_tcp_closed(c, TCP_ERR_REFUSED);
		else
			c->st.dropped++;
		return;
	}
	if (!(f & TCP_SYN)) {
		c->st.dropped++;
		return;
	}
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	_tcp_take_syn_options(c, seg);
	c->snd_wnd = c->max_snd_wnd = seg->win;     /* a SYN's window is not scaled */
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	if (f & TCP_ACK_F) {
		c->snd_una = seg->ack;
		if (c->rtt_on && c->retries == 0)
			tcp_rtt_sample(&c->rtt, now - c->rtt_start);
		c->rtt_on = 0;
		_tcp_rexmt_arm(c, now, 1);
		c->ack_now = 1;
		_tcp_established(c, now);
		_tcp_output(c, now);
		return;
	}
	/* simultaneous open */
	c->rtt_on = 0;
	_tcp_set_state(c, TCP_SYN_RECEIVED);
	_tcp_send_syn(c, now);
	_tcp_rexmt_arm(c, now, 1);
}

static int acceptable(const struct tcp_conn *c, uint32_t seq, uint32_t seglen)
{
	uint32_t wnd = c->rcv_adv - c->rcv_nxt;
	if (seglen == 0) {
		if (wnd == 0)
			return seq == c->rcv_nxt;
		return SEQ_LEQ(c->rcv_nxt, seq) && SEQ_LT(seq, c->rcv_adv);
	}
	if (wnd == 0)
		return 0;
	uint32_t last = seq + seglen - 1;
	return (SEQ_LEQ(c->rcv_nxt, seq) && SEQ_LT(seq, c->rcv_adv)) ||
	       (SEQ_LEQ(c->rcv_nxt, last) && SEQ_LT(last, c->rcv_adv));
}

static void cc_new_ack(struct tcp_conn *c, uint32_t acked, uint32_t ack, uint64_t now)
{
	uint32_t mss = c->snd_mss;

	if (c->in_recovery) {
		if (SEQ_GEQ(ack, c->recover)) {
			uint32_t flight = c->snd_max - ack;
			c->cwnd = _tcp_min32(c->ssthresh, flight + mss);
			c->in_recovery = 0;
			c->dupacks = 0;
		} else {
			c->st.partial_acks++;
			_tcp_retransmit_first(c, now);
			c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
			if (acked >= mss)
				c->cwnd += mss;
			if (c->cwnd < mss)
				c->cwnd = mss;
			_tcp_rexmt_arm(c, now, 1);
		}
		return;
	}
	c->dupacks = 0;
	if (c->cwnd < c->ssthresh)
		c->cwnd += _tcp_min32(acked, mss);
	else
		c->cwnd += _tcp_max32(1, (uint32_t)((uint64_t)mss * mss / c->cwnd));
	if (c->cwnd > (1u << 30))
		c->cwnd = 1u << 30;
}

static void dup_ack(struct tcp_conn *c, uint64_t now)
{
	c->st.dupacks_in++;
	if (c->dupacks < 255)
		c->dupacks++;
	if (c->dupacks < 3)
		return;
	uint32_t mss = c->snd_mss;
	if (c->dupacks == 3 && !c->in_recovery) {
		/* RFC 6582 3.2 step 2: not for duplicates of what was
		 * sent before the last timeout or recovery */
		if (!SEQ_GT(c->snd_una - 1, c->recover) && c->recover != c->iss)
			return;
		uint32_t flight = c->snd_max - c->snd_una;
		c->ssthresh = _tcp_max32(flight / 2, 2u * mss);
		c->recover = c->snd_max;
		c->in_recovery = 1;
		c->st.fast_retransmits++;
		_tcp_retransmit_first(c, now);
		c->cwnd = c->ssthresh + 3u * mss;
		_tcp_rexmt_arm(c, now, 1);
		return;
	}
	if (c->in_recovery) {
		c->cwnd += mss;
		_tcp_output(c, now);
	}
}

/* The ACK field of a synchronized connection; 0 if the segment is done. */
static int process_ack(struct tcp_conn *c, const struct net_tcp *seg, uint64_t now)
{
	uint32_t ack = seg->ack;

	if (SEQ_GT(ack, c->snd_max) || SEQ_LT(ack, c->snd_una - c->max_snd_wnd)) {
		c->ack_now = 1;
		c->st.dropped++;
		_tcp_output(c, now);
		return 0;
	}
	uint32_t wnd = (uint32_t)seg->win << c->snd_wscale;
	if (SEQ_GT(ack, c->snd_una)) {
		uint32_t acked = ack - c->snd_una;
		uint32_t data = ack - c->snd_seq0;
		if (SEQ_LT(ack, c->snd_seq0))
			data = 0;                 /* only the SYN */
		if (data > c->snd.len)
			data = c->snd.len;        /* and the FIN */
		_tcp_ring_drop(&c->snd, data);
		c->snd_seq0 += data;
		c->snd_una = ack;
		if (SEQ_LT(c->snd_nxt, c->snd_una))
			c->snd_nxt = c->snd_una;
		if (c->rtt_on && SEQ_GT(ack, c->rtt_seq)) {
			tcp_rtt_sample(&c->rtt, now - c->rtt_start);
			c->rtt_on = 0;
		}
		c->retries = 0;
		cc_new_ack(c, acked, ack, now);
		_tcp_rexmt_arm(c, now, 1);
		if (data && !c->fin_queued)
			_tcp_event(c, TCP_EV_WRITABLE);
	} else if (ack == c->snd_una && seg->payload_len == 0 &&
	           !(seg->flags & (TCP_SYN | TCP_FIN)) && wnd == c->snd_wnd &&
	           wnd != 0 && c->snd_max != c->snd_una) {
		/* (a zero window's answers to probes are not duplicates) */
		dup_ack(c, now);
	}
	if (SEQ_LT(c->snd_wl1, seg->seq) ||
	    (c->snd_wl1 == seg->seq && SEQ_LEQ(c->snd_wl2, ack))) {
		c->snd_wnd = wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = ack;
		if (wnd > c->max_snd_wnd)
			c->max_snd_wnd = wnd;
		if (wnd > 0) {
			c->t_persist = TCP_NEVER;
			c->persist_iv = 0;
		}
	}
	if (_tcp_fin_acked(c)) {
		switch (c->state) {
		case TCP_FIN_WAIT_1:
			_tcp_fin_wait_2(c, now);
			break;
		case TCP_CLOSING:
			_tcp_enter_time_wait(c, now);
			break;
		case TCP_LAST_ACK:
			_tcp_closed(c, TCP_OK);
			return 0;
		default:
			break;
		}
	}
	return 1;
}

/* Merge [s, e) into the sorted out-of-order list; 0 if no room. */
static int ooo_add(struct tcp_conn *c, uint32_t s, uint32_t e)
{
	unsigned i = 0, n = c->nooo;

	while (i < n && SEQ_LT(c->ooo[i].end, s))
		i++;
	unsigned j = i;
	while (j < n && SEQ_LEQ(c->ooo[j].start, e))
		j++;
	if (i == j) {                     /* no overlap: insert at i */
		if (n == TCP_OOO_MAX)
			return 0;
		for (unsigned k = n; k > i; k--)
			c->ooo[k] = c->ooo[k - 1];
		c->ooo[i].start = s, c->ooo[i].end = e;
		c->nooo++;
		return 1;
	}
	if (SEQ_LT(c->ooo[i].start, s))
		s = c->ooo[i].start;
	if (SEQ_GT(c->ooo[j - 1].end, e))
		e = c->ooo[j - 1].end;
	c->ooo[i].start = s, c->ooo[i].end = e;
	for (unsigned k = j; k < n; k++)
		c->ooo[i + 1 + k - j] = c->ooo[k];
	c->nooo = (uint8_t)(n - (j - i - 1));
	return 1;
}

/* The segment's text and FIN (step 7 and 8). */
static void process_text(struct tcp_conn *c, const struct net_tcp *seg, uint64_t now)
{
	uint32_t seq = seg->seq, n = (uint32_t)seg->payload_len;
	const uint8_t *p = seg->payload;
	int fin = (seg->flags & TCP_FIN) != 0;
	int text_ok = c->state == TCP_ESTABLISHED || c->state == TCP_FIN_WAIT_1 ||
	              c->state == TCP_FIN_WAIT_2;

	if (c->fin_rcvd || !text_ok)
		return;
	if (SEQ_LT(seq, c->rcv_nxt)) {
		uint32_t d = c->rcv_nxt - seq;
		if (d > n) {
			n = 0;
			fin = 0;
		} else {
			p += d, n -= d;
		}
		seq = c->rcv_nxt;
	}
	if (SEQ_GT(seq + n, c->rcv_adv)) {
		n = SEQ_GT(seq, c->rcv_adv) ? 0 : c->rcv_adv - seq;
		fin = 0;
	}
	if (n == 0 && !fin)
		return;
	if (seq != c->rcv_nxt) {
		c->ack_now = 1;
		if (n == 0)
			return;
		if (!ooo_add(c, seq, seq + n)) {
			c->st.ooo_dropped++;
			return;
		}
		c->st.ooo_segs++;
		_tcp_ring_put(&c->rcv, c->rcv.len + (seq - c->rcv_nxt), p, n);
		return;
	}
	if (n) {
		_tcp_ring_put(&c->rcv, c->rcv.len, p, n);
		c->rcv.len += n;
		c->rcv_nxt += n;
		c->st.bytes_in += n;
		if (c->nooo) {
			c->ack_now = 1;          /* a hole filled, or one still open */
			while (c->nooo && SEQ_LEQ(c->ooo[0].start, c->rcv_nxt)) {
				if (SEQ_GT(c->ooo[0].end, c->rcv_nxt)) {
					uint32_t k = c->ooo[0].end - c->rcv_nxt;
					c->rcv.len += k;
					c->rcv_nxt += k;
					c->st.bytes_in += k;
					fin = 0;         /* data past the FIN: not believed */
				}
				for (unsigned k = 1; k < c->nooo; k++)
					c->ooo[k - 1] = c->ooo[k];
				c->nooo--;
			}
		}
		if (!c->delack_on || ++c->delack_segs >= 2 || n < c->rcv_mss)
			c->ack_now = 1;
		else if (c->t_delack == TCP_NEVER)
			c->t_delack = now + TCP_DELACK;
		_tcp_event(c, TCP_EV_READABLE);
	}
	if (!fin)
		return;
	c->rcv_nxt++;
	if (SEQ_GT(c->rcv_nxt, c->rcv_adv))
		c->rcv_adv = c->rcv_nxt;
	c->fin_rcvd = 1;
	c->nooo = 0;
	c->ack_now = 1;
	switch (c->state) {
	case TCP_ESTABLISHED:
		_tcp_set_state(c, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT_1:
		if (_tcp_fin_acked(c))
			_tcp_enter_time_wait(c, now);
		else
			_tcp_set_state(c, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT_2:
		_tcp_enter_time_wait(c, now);
		break;
	default:
		break;
	}
	_tcp_event(c, TCP_EV_READABLE);
}

void tcp_input(struct tcp_conn *c, const struct net_tcp *seg, uint64_t now)
{
	uint8_t f = seg->flags;

	c->st.segs_in++;
	switch (c->state) {
	case TCP_CLOSED: case TCP_LISTEN:
		c->st.dropped++;
		return;
	case TCP_SYN_SENT:
		syn_sent(c, seg, now);
		return;
	default:
		break;
	}
	struct net_tcp strip;
	if (c->state == TCP_SYN_RECEIVED && (f & TCP_SYN) && !(f & TCP_RST) &&
	    seg->seq == c->irs) {
		if (!(f & TCP_ACK_F)) {
			/* the peer's SYN again: our SYN-ACK was lost */
			_tcp_send_syn(c, now);
			return;
		}
		/* simultaneous open (RFC 9293 figure 8, line 6): the peer's
		 * SYN-ACK repeats the SYN we hold; take its ACK without it */
		strip = *seg;
		strip.seq++;
		strip.flags &= (uint8_t)~TCP_SYN;
		seg = &strip;
		f = strip.flags;
	}
	uint32_t seglen = (uint32_t)seg->payload_len + !!(f & TCP_SYN) + !!(f & TCP_FIN);
	if (!acceptable(c, seg->seq, seglen)) {
		c->st.dropped++;
		if (f & TCP_RST)
			return;
		if (c->state == TCP_TIME_WAIT && (f & TCP_FIN))
			c->t_timewait = now + 2 * (uint64_t)c->msl;
		c->ack_now = 1;
		_tcp_output(c, now);
		return;
	}
	if (f & TCP_RST) {
		if (seg->seq != c->rcv_nxt) {
			challenge_ack(c, now);
			return;
		}
		if (c->state == TCP_TIME_WAIT)
			return;
		if (c->state == TCP_SYN_RECEIVED && !c->passive)
			_tcp_closed(c, TCP_ERR_REFUSED);
		else
			_tcp_closed(c, TCP_ERR_RESET);
		return;
	}
	if (f & TCP_SYN) {
		c->st.dropped++;
		challenge_ack(c, now);
		return;
	}
	if (!(f & TCP_ACK_F)) {
		c->st.dropped++;
		return;
	}
	if (c->state == TCP_SYN_RECEIVED) {
		if (!SEQ_LT(c->snd_una, seg->ack) || SEQ_GT(seg->ack, c->snd_max)) {
			_tcp_send_rst(c, seg->ack, now);
			return;
		}
		if (c->rtt_on && c->retries == 0)
			tcp_rtt_sample(&c->rtt, now - c->rtt_start);
		c->rtt_on = 0;
		c->snd_una = seg->ack;
		c->snd_wnd = c->max_snd_wnd = (uint32_t)seg->win << c->snd_wscale;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
		_tcp_rexmt_arm(c, now, 1);
		_tcp_established(c, now);
	}
	if (!process_ack(c, seg, now))
		return;
	process_text(c, seg, now);
	_tcp_output(c, now);
}

/*
 * tcp_conn.c - a connection's life as its user sees it: set-up, active
 * open, send, receive, shutdown, close, abort, and the state changes the
 * other files share (_tcp_established, _tcp_closed, TIME_WAIT).
 *
 * Purpose: the user calls of RFC 9293 3.10 (OPEN, SEND, RECEIVE, CLOSE,
 * ABORT) over caller storage.  tcp_send copies into the send ring and runs
 * the send loop; tcp_recv copies out of the receive ring and, when that
 * opens the window by enough, sends a window update at once (otherwise a
 * sender stopped by a zero window would wait for its persist probe).
 *
 * Closing: tcp_shutdown queues a FIN after the last byte (ESTABLISHED ->
 * FIN_WAIT_1, CLOSE_WAIT -> LAST_ACK); tcp_close is shutdown, or an abort
 * when received data was never read (RFC 9293 3.10.4: the peer learns at
 * once, by a RST, that its data was lost).  The state is CLOSED once both
 * FINs are acknowledged (and after TIME_WAIT on the side that closed
 * first), or at a RST, a timeout or an abort, with c->err saying why.
 *
 * Events go to ops->event, except for a connection still owned by its
 * listener (c->listener set): its user does not know it yet; the
 * listener's TCP_EV_ACCEPT is the signal, and the user reads the state
 * after tcp_accept.
 *
 * Context: as tcp.h.
 */
#include <string.h>
#include "rt/net/tcp_impl.h"

enum tcp_err tcp_conn_init(struct tcp_conn *c, const struct tcp_conf *cf)
{
	if (!cf || !cf->ops || !cf->ops->output || !cf->rxbuf || !cf->txbuf ||
	    cf->rxcap == 0 || cf->txcap == 0 || cf->rxcap > (1u << 30) ||
	    cf->txcap > (1u << 30) || (cf->mss && (cf->mss < 64 || cf->mss > TCP_MSS_MAX)))
		return TCP_ERR_INVAL;
	memset(c, 0, offsetof(struct tcp_conn, seg));
	c->state = TCP_CLOSED;
	c->ops = cf->ops;
	c->ctx = cf->ctx;
	c->rcv = (struct tcp_ring){cf->rxbuf, cf->rxcap, 0, 0};
	c->snd = (struct tcp_ring){cf->txbuf, cf->txcap, 0, 0};
	c->rcv_mss = cf->mss ? cf->mss : TCP_MSS_MAX;
	c->snd_mss = TCP_MSS_DEFAULT;
	c->nodelay = cf->nodelay;
	c->delack_on = !cf->no_delack;
	c->ws_ok = !cf->no_wscale;          /* offered; cleared if the peer does not */
	c->rcv_wscale = c->ws_ok ? _tcp_wscale_for(cf->rxcap) : 0;
	c->msl = cf->msl ? cf->msl : TCP_MSL_DEFAULT;
	c->fin_timeout = cf->fin_timeout ? cf->fin_timeout : TCP_FIN_TIMEOUT_DEFAULT;
	c->t_rexmt = c->t_persist = c->t_delack = c->t_timewait = TCP_NEVER;
	tcp_rtt_init(&c->rtt);
	return TCP_OK;
}

enum tcp_err tcp_connect(struct tcp_conn *c, uint32_t laddr, uint16_t lport, uint32_t raddr,
                         uint16_t rport, uint32_t iss, uint64_t now)
{
	if (c->state != TCP_CLOSED || c->snd.len || c->rcv.len)
		return TCP_ERR_STATE;
	if (lport == 0 || rport == 0)
		return TCP_ERR_INVAL;
	c->laddr = laddr, c->raddr = raddr, c->lport = lport, c->rport = rport;
	c->iss = iss;
	c->snd_una = iss;
	c->snd_nxt = c->snd_max = iss + 1;
	c->snd_seq0 = iss + 1;
	c->recover = iss;
	c->ssthresh = 1u << 30;
	c->err = TCP_OK;
	_tcp_set_state(c, TCP_SYN_SENT);
	_tcp_send_syn(c, now);
	c->rtt_on = 1;
	c->rtt_seq = iss;
	c->rtt_start = now;
	_tcp_rexmt_arm(c, now, 1);
	return TCP_OK;
}

long tcp_send(struct tcp_conn *c, const void *p, size_t n, uint64_t now)
{
	switch (c->state) {
	case TCP_SYN_SENT: case TCP_SYN_RECEIVED: case TCP_ESTABLISHED: case TCP_CLOSE_WAIT:
		break;
	case TCP_CLOSED:
		return -(long)(c->err ? c->err : TCP_ERR_STATE);
	default:
		return -(long)TCP_ERR_SHUTDOWN;
	}
	if (c->fin_queued)
		return -(long)TCP_ERR_SHUTDOWN;
	uint32_t k = (uint32_t)(n < tcp_writable(c) ? n : tcp_writable(c));
	_tcp_ring_put(&c->snd, c->snd.len, p, k);
	c->snd.len += k;
	_tcp_output(c, now);
	return (long)k;
}

long tcp_recv(struct tcp_conn *c, void *p, size_t n, uint64_t now)
{
	if (c->state == TCP_CLOSED && c->err && c->rcv.len == 0)
		return -(long)c->err;
	uint32_t k = (uint32_t)(n < c->rcv.len ? n : c->rcv.len);
	if (k == 0)
		return 0;
	_tcp_ring_get(&c->rcv, 0, p, k);
	_tcp_ring_drop(&c->rcv, k);
	if (_tcp_synced(c) && !c->fin_rcvd && _tcp_window_update_due(c)) {
		c->ack_now = 1;
		_tcp_output(c, now);
	}
	return (long)k;
}

int tcp_eof(const struct tcp_conn *c)
{
	return c->fin_rcvd && c->rcv.len == 0;
}

uint32_t tcp_readable(const struct tcp_conn *c)
{
	return c->rcv.len;
}

uint32_t tcp_writable(const struct tcp_conn *c)
{
	return c->snd.cap - c->snd.len;
}

void tcp_set_nodelay(struct tcp_conn *c, int on, uint64_t now)
{
	c->nodelay = on != 0;
	if (on)
		_tcp_output(c, now);
}

enum tcp_err tcp_shutdown(struct tcp_conn *c, uint64_t now)
{
	switch (c->state) {
	case TCP_SYN_SENT:
		_tcp_closed(c, TCP_OK);
		return TCP_OK;
	case TCP_SYN_RECEIVED:
		c->fin_queued = 1;      /* sent once established */
		return TCP_OK;
	case TCP_ESTABLISHED:
		_tcp_set_state(c, TCP_FIN_WAIT_1);
		break;
	case TCP_CLOSE_WAIT:
		_tcp_set_state(c, TCP_LAST_ACK);
		break;
	case TCP_CLOSED: case TCP_LISTEN:
		return TCP_ERR_STATE;
	default:
		return TCP_OK;          /* already closing */
	}
	c->fin_queued = 1;
	_tcp_output(c, now);
	return TCP_OK;
}

enum tcp_err tcp_close(struct tcp_conn *c, uint64_t now)
{
	if (c->rcv.len > 0 && _tcp_synced(c)) {
		tcp_abort(c, now);
		return TCP_OK;
	}
	enum tcp_err e = tcp_shutdown(c, now);
	if (c->state != TCP_CLOSED && !c->orphan) {
		c->orphan = 1;
		if (c->state == TCP_FIN_WAIT_2)
			_tcp_fin_wait_2(c, now);   /* shut down before: the time-out starts now */
	}
	return e;
}

void tcp_abort(struct tcp_conn *c, uint64_t now)
{
	switch (c->state) {
	case TCP_SYN_RECEIVED: case TCP_ESTABLISHED: case TCP_FIN_WAIT_1: case TCP_FIN_WAIT_2:
	case TCP_CLOSE_WAIT:
		_tcp_send_rst(c, c->snd_nxt, now);
		break;
	default:
		break;
	}
	if (c->state != TCP_CLOSED)
		_tcp_closed(c, TCP_ERR_ABORTED);
}

void _tcp_set_state(struct tcp_conn *c, enum tcp_state s)
{
	c->state = s;
}

void _tcp_event(struct tcp_conn *c, unsigned ev)
{
	if (c->listener == NULL && c->ops->event)
		c->ops->event(c->ctx, c, ev);
}

void _tcp_closed(struct tcp_conn *c, enum tcp_err err)
{
	c->state = TCP_CLOSED;
	c->err = err;
	c->t_rexmt = c->t_persist = c->t_delack = c->t_timewait = TCP_NEVER;
	c->nooo = 0;
	if (c->listener)
		_tcp_listen_dead(c->listener, c);
	else
		_tcp_event(c, TCP_EV_CLOSED | TCP_EV_READABLE | TCP_EV_WRITABLE);
}

void _tcp_established(struct tcp_conn *c, uint64_t now)
{
	_tcp_set_state(c, TCP_ESTABLISHED);
	c->cwnd = _tcp_initial_cwnd(c->snd_mss);
	c->retries = 0;
	if (c->listener)
		_tcp_listen_established(c->listener, c);
	_tcp_event(c, TCP_EV_CONNECTED | TCP_EV_WRITABLE);
	if (c->fin_queued) {
		_tcp_set_state(c, TCP_FIN_WAIT_1);
		_tcp_output(c, now);
	}
}

void _tcp_fin_wait_2(struct tcp_conn *c, uint64_t now)
{
	_tcp_set_state(c, TCP_FIN_WAIT_2);
	if (c->orphan)
		c->t_timewait = now + c->fin_timeout;
}

void _tcp_enter_time_wait(struct tcp_conn *c, uint64_t now)
{
	_tcp_set_state(c, TCP_TIME_WAIT);
	c->t_rexmt = c->t_persist = c->t_delack = TCP_NEVER;
	c->t_timewait = now + 2 * (uint64_t)c->msl;
}

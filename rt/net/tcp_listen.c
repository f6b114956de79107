/*
 * tcp_listen.c - the passive side: a listener, its SYN queue, its accept
 * queue and SYN cookies.
 *
 * Purpose: a SYN to a listening port becomes a connection in SYN_RECEIVED
 * (an "embryo") taken from ops->conn_new, answered with a SYN-ACK; when
 * its handshake completes it moves to the accept queue, TCP_EV_ACCEPT is
 * signalled and tcp_accept hands it to the user.
 *
 * Bounds (what a SYN flood cannot exceed): at most synq_max embryos and
 * backlog established-but-unaccepted connections exist, so the listener
 * never holds more than synq_max + backlog connections from conn_new.
 * A SYN that finds the SYN queue full (or conn_new out of memory) is
 * answered statelessly with a SYN cookie; a SYN that finds the accept
 * queue full is dropped (the client's SYN retransmission tries again, as
 * Linux does).  A flood of spoofed SYNs fills the SYN queue with embryos
 * that time out after TCP_SYN_RETRIES SYN-ACKs and are given back; every
 * other SYN costs one SYN-ACK and no memory, and a real client's ACK of
 * its cookie makes its connection directly.
 *
 * The cookie (our ISN on a stateless SYN-ACK): bits 31..27 a counter of
 * 64-second periods, 26..25 an index into {536, 1220, 1440, 1460} (the
 * largest MSS not above the client's), 24..21 the client's window scale
 * (15: none), 20..0 SipHash-2-4 under the listener's secret of the
 * 4-tuple, the client's ISN, the counter, the MSS index and the scale.
 * An ACK with no connection is a cookie's answer if ack - 1 carries a
 * counter at most one period old and the hash matches for seq - 1; then
 * the connection is made in ESTABLISHED with the MSS and scale the cookie
 * kept.  Otherwise it is answered with a RST.  What a cookie loses:
 * SACK-permitted and timestamps (never offered here anyway) and any data
 * the client sent with its SYN.  A forger has 1 chance in 2^21 per ACK
 * per tuple.
 *
 * Embryos and unaccepted connections belong to the listener: when one
 * closes (RST, timeout) it is moved to the zombie list and given back
 * through ops->conn_free at the listener's next call (never from inside
 * tcp_input or tcp_expire of that connection, which the caller is still
 * in).  tcp_listen_deadline is 0 while a zombie waits.
 *
 * Context: as tcp.h.
 */
#include <string.h>
#include "rt/net/tcp_impl.h"

#define COOKIE_PERIOD 64000000u
static const uint16_t cookie_mss[4] = {536, 1220, 1440, 1460};

enum tcp_err tcp_listen_init(struct tcp_listener *l, uint32_t laddr, uint16_t lport,
                             uint16_t backlog, uint16_t synq_max, const uint8_t secret[16],
                             uint32_t rxcap, uint16_t mss, const struct tcp_ops *ops, void *ctx)
{
	if (lport == 0 || backlog == 0 || synq_max == 0 || rxcap == 0 || rxcap > (1u << 30) ||
	    !ops || !ops->output || !ops->conn_new || !ops->conn_free ||
	    (mss && (mss < 64 || mss > TCP_MSS_MAX)))
		return TCP_ERR_INVAL;
	memset(l, 0, sizeof *l);
	l->laddr = laddr;
	l->lport = lport;
	l->backlog = backlog;
	l->synq_max = synq_max;
	memcpy(l->secret, secret, 16);
	l->rxcap = rxcap;
	l->mss = mss ? mss : TCP_MSS_MAX;
	l->ops = ops;
	l->ctx = ctx;
	return TCP_OK;
}

static void reap(struct tcp_listener *l)
{
	while (l->zombies) {
		struct tcp_conn *c = l->zombies;
		l->zombies = c->lnext;
		c->lnext = NULL;
		c->listener = NULL;
		l->ops->conn_free(l->ctx, c);
	}
}

static int unlink_from(struct tcp_conn **head, struct tcp_conn *c)
{
	for (; *head; head = &(*head)->lnext) {
		if (*head == c) {
			*head = c->lnext;
			c->lnext = NULL;
			return 1;
		}
	}
	return 0;
}

static void append(struct tcp_conn **head, struct tcp_conn *c)
{
	while (*head)
		head = &(*head)->lnext;
	c->lnext = NULL;
	*head = c;
}

void _tcp_listen_established(struct tcp_listener *l, struct tcp_conn *c)
{
	if (unlink_from(&l->synq, c))
		l->nsyn--;
	append(&l->accq, c);
	l->nacc++;
	if (l->ops->listen_event)
		l->ops->listen_event(l->ctx, l, TCP_EV_ACCEPT);
}

void _tcp_listen_dead(struct tcp_listener *l, struct tcp_conn *c)
{
	if (unlink_from(&l->synq, c))
		l->nsyn--;
	else if (unlink_from(&l->accq, c))
		l->nacc--;
	l->st.resets++;
	c->lnext = l->zombies;
	l->zombies = c;
}

static uint32_t cookie_hash(const struct tcp_listener *l, uint32_t laddr, uint32_t raddr,
                            uint16_t lport, uint16_t rport, uint32_t peer_isn, uint32_t bits)
{
	uint8_t b[20];
	net_put32(b, laddr);
	net_put32(b + 4, raddr);
	net_put16(b + 8, lport);
	net_put16(b + 10, rport);
	net_put32(b + 12, peer_isn);
	net_put32(b + 16, bits);
	return (uint32_t)_tcp_siphash(l->secret, b, sizeof b) & 0x1fffff;
}

static uint32_t cookie_make(const struct tcp_listener *l, const struct net_tcp *seg,
                            uint32_t src, uint32_t dst, uint64_t now)
{
	uint32_t t = (uint32_t)(now / COOKIE_PERIOD) & 31;
	uint16_t mss = seg->opt.has_mss ? seg->opt.mss : TCP_MSS_DEFAULT;
	uint32_t mi = 0;
	while (mi < 3 && cookie_mss[mi + 1] <= mss)
		mi++;
	uint32_t ws = seg->opt.has_wscale ? seg->opt.wscale : 15;
	uint32_t bits = t << 27 | mi << 25 | ws << 21;
	return bits | cookie_hash(l, dst, src, seg->dport, seg->sport, seg->seq, bits);
}

static int cookie_check(const struct tcp_listener *l, const struct net_tcp *seg, uint32_t src,
                        uint32_t dst, uint64_t now, uint16_t *mss, uint8_t *ws)
{
	uint32_t ck = seg->ack - 1;
	uint32_t t = (uint32_t)(now / COOKIE_PERIOD) & 31;
	if (((t - (ck >> 27)) & 31) > 1)
		return 0;
	uint32_t bits = ck & ~0x1fffffu;
	if (cookie_hash(l, dst, src, seg->dport, seg->sport, seg->seq - 1, bits) != (ck & 0x1fffff))
		return 0;
	*mss = cookie_mss[(ck >> 25) & 3];
	*ws = (uint8_t)((ck >> 21) & 15);
	return 1;
}

/* A conn_new connection for this segment's tuple, in the SYN queue. */
static struct tcp_conn *embryo(struct tcp_listener *l, const struct net_tcp *seg, uint32_t src,
                               uint32_t dst, uint32_t iss, uint32_t irs)
{
	struct tcp_conn *c = l->ops->conn_new(l->ctx, l);
	if (!c) {
		l->st.conn_new_fail++;
		return NULL;
	}
	c->laddr = dst, c->raddr = src, c->lport = seg->dport, c->rport = seg->sport;
	c->passive = 1;
	c->listener = l;
	c->iss = iss;
	c->snd_una = iss;
	c->snd_nxt = c->snd_max = c->snd_seq0 = iss + 1;
	c->recover = iss;
	c->ssthresh = 1u << 30;
	c->irs = irs;
	c->rcv_nxt = c->rcv_adv = irs + 1;
	c->snd_wl1 = irs;
	c->err = TCP_OK;
	append(&l->synq, c);
	l->nsyn++;
	return c;
}

static void send_cookie(struct tcp_listener *l, const struct net_tcp *seg, uint32_t src,
                        uint32_t dst, uint64_t now)
{
	uint8_t buf[TCP_HLEN + 8];
	struct net_tcp h;

	memset(&h, 0, sizeof h);
	h.sport = seg->dport;
	h.dport = seg->sport;
	h.seq = cookie_make(l, seg, src, dst, now);
	h.ack = seg->seq + 1;
	h.flags = TCP_SYN | TCP_ACK_F;
	h.win = (uint16_t)_tcp_min32(l->rxcap, 0xffff);
	h.opt.has_mss = 1;
	h.opt.mss = l->mss;
	if (seg->opt.has_wscale) {
		h.opt.has_wscale = 1;
		h.opt.wscale = _tcp_wscale_for(l->rxcap);
	}
	int n = net_tcp_build(buf, sizeof buf, dst, src, &h, NULL, 0);
	if (n > 0) {
		l->st.cookies_sent++;
		l->ops->output(l->ctx, dst, src, buf, (size_t)n);
	}
}

static void cookie_ack(struct tcp_listener *l, const struct net_tcp *seg, uint32_t src,
                       uint32_t dst, uint64_t now)
{
	uint16_t mss;
	uint8_t ws;
	uint8_t buf[TCP_HLEN];

	if (!cookie_check(l, seg, src, dst, now, &mss, &ws)) {
		l->st.cookies_bad++;
		tcp_reply_rst(l->ops, l->ctx, seg, src, dst, buf);
		return;
	}
	if (l->nacc >= l->backlog) {
		l->st.acc_full++;
		return;
	}
	struct tcp_conn *c = embryo(l, seg, src, dst, seg->ack - 1, seg->seq - 1);
	if (!c)
		return;
	l->st.cookies_ok++;
	struct net_tcp syn = {0};
	syn.opt.has_mss = 1;
	syn.opt.mss = mss;
	syn.opt.has_wscale = ws != 15;
	syn.opt.wscale = ws;
	c->ws_ok = 1;                     /* as the cookie's SYN-ACK offered */
	c->rcv_wscale = _tcp_wscale_for(l->rxcap);
	_tcp_take_syn_options(c, &syn);
	/* the window the cookie's SYN-ACK offered, as far as this ring holds it */
	uint32_t w = _tcp_min32(_tcp_min32(l->rxcap, 0xffff), c->rcv.cap - c->rcv.len);
	c->rcv_adv = c->rcv_nxt + w;
	c->snd_una = seg->ack;
	c->snd_wnd = c->max_snd_wnd = (uint32_t)seg->win << c->snd_wscale;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	_tcp_established(c, now);
	tcp_input(c, seg, now);           /* any data it carries */
}

void tcp_listen_input(struct tcp_listener *l, const struct net_tcp *seg, uint32_t src,
                      uint32_t dst, uint64_t now)
{
	uint8_t f = seg->flags;
	uint8_t buf[TCP_HLEN];

	reap(l);
	if (f & TCP_RST)
		return;
	if (f & TCP_ACK_F) {
		if (f & TCP_SYN)
			tcp_reply_rst(l->ops, l->ctx, seg, src, dst, buf);
		else
			cookie_ack(l, seg, src, dst, now);
		return;
	}
	if (!(f & TCP_SYN))
		return;
	l->st.syns++;
	if (l->nacc >= l->backlog) {
		l->st.acc_full++;
		return;
	}
	if (l->nsyn < l->synq_max) {
		uint32_t iss = tcp_isn(l->secret, dst, seg->dport, src, seg->sport, now);
		struct tcp_conn *c = embryo(l, seg, src, dst, iss, seg->seq);
		if (c) {
			/* the conf's scale offer, answered only if the peer made one */
			c->rcv_wscale = c->ws_ok ? _tcp_wscale_for(c->rcv.cap) : 0;
			_tcp_take_syn_options(c, seg);
			c->snd_wnd = c->max_snd_wnd = seg->win;
			_tcp_set_state(c, TCP_SYN_RECEIVED);
			_tcp_send_syn(c, now);
			c->rtt_on = 1;
			c->rtt_seq = iss;
			c->rtt_start = now;
			_tcp_rexmt_arm(c, now, 1);
			return;
		}
	}
	send_cookie(l, seg, src, dst, now);
}

struct tcp_conn *tcp_accept(struct tcp_listener *l)
{
	reap(l);
	struct tcp_conn *c = l->accq;
	if (!c)
		return NULL;
	l->accq = c->lnext;
	l->nacc--;
	c->lnext = NULL;
	c->listener = NULL;
	return c;
}

void tcp_listen_close(struct tcp_listener *l, uint64_t now)
{
	while (l->synq)
		tcp_abort(l->synq, now);
	while (l->accq)
		tcp_abort(l->accq, now);
	reap(l);
}

uint64_t tcp_listen_deadline(const struct tcp_listener *l)
{
	return l->zombies ? 0 : TCP_NEVER;
}

void tcp_listen_expire(struct tcp_listener *l, uint64_t now)
{
	(void)now;
	reap(l);
}

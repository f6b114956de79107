/*
 * tcp_api.c - the TCP socket calls of rt/include/tally.h (listen, accept,
 * connect, read, write, shutdown, close, no-delay, deadlines, readiness)
 * over tcp_sock.c's table and the TCP state machine (tcp.h).
 *
 * Purpose: each call takes the stack's lock charged to rt.net (net_enter:
 * pinned), makes its tcp_* call and ts_post (the timer, the table), and
 * when it must wait parks the goroutine on the socket's reader (rw) or
 * writer (ww) net_wait with the socket's deadline; the module's events
 * (ts_event), a deadline's timer or a close ready it, and it looks again.
 * write loops until every byte is queued; read returns what is there.
 *
 * Invariants: `inside` counts the goroutines between parking and taking
 * the lock again; a socket is freed (ts_drain) only once the user closed
 * it, its connection ended and inside is 0.  Errors of the module map to
 * TALLY_E* codes (map_err), each with its message in tally_strerror.
 *
 * Context: goroutines only.  Allocates in listen, accept (the pool's
 * refill) and connect, never under the lock.
 */
#include <string.h>
#include "rt/heap/rt_malloc.h"
#include "rt/net/tcp_sock.h"
#include "rt/include/tally.h"

static int map_err(long e)
{
	switch ((enum tcp_err)-e) {
	case TCP_ERR_REFUSED: return TALLY_ECONNREFUSED;
	case TCP_ERR_RESET: return TALLY_ECONNRESET;
	case TCP_ERR_TIMEOUT: return TALLY_ECONNTIMEDOUT;
	case TCP_ERR_ABORTED: return TALLY_ECONNABORTED;
	case TCP_ERR_SHUTDOWN: return TALLY_ESHUTDOWN;
	case TCP_ERR_INVAL: return TALLY_EINVAL;
	default: return TALLY_ECLOSED;
	}
}

/* Park on w (lock held, pinned with class old); returns with the lock
 * and class back.  0, or TALLY_ETIMEDOUT when dl passed. */
static int park(struct tally_tcp *s, struct net_wait *w, uint64_t dl, unsigned *old,
                const char *why)
{
	if (dl && rt_nanotime() >= dl)
		return TALLY_ETIMEDOUT;
	s->inside++;
	plat_ledger_switch(*old);
	rt_releasem(rt_getm());
	net_wait_park(w, dl, why);
	*old = net_enter();
	s->inside--;
	return 0;
}

/* Leave a call on s: drop the lock; free s if the call was the last. */
static void leave(struct tally_tcp *s, unsigned old)
{
	ts_bury(s);
	net_leave(old);
	ts_drain();
}

int tally_tcp_listen(struct tally_tcp **out, uint16_t port, int backlog)
{
	if (!out)
		return TALLY_EINVAL;
	*out = NULL;
	if (!port || backlog < 1 || backlog > TS_BACKLOG_MAX)
		return TALLY_EINVAL;
	int r = net_start();
	if (r < 0)
		return r;
	ts_drain();
	struct tally_tcp *s = rt_calloc(1, sizeof(*s));
	struct tcp_listener *l = rt_calloc(1, sizeof(*l));
	if (!s || !l) {
		rt_free(s);
		rt_free(l);
		return TALLY_ENOMEM;
	}
	s->kind = TS_LISTEN;
	s->l = l;
	ts_mem_add(rt_malloc_usable_size(s) + rt_malloc_usable_size(l));
	s->pool_max = 2u * (unsigned)backlog < TS_POOL_MAX ? 2u * (unsigned)backlog : TS_POOL_MAX;
	unsigned old = net_enter();
	ts_init();
	if (ts_find_listener(port)) {
		r = TALLY_EADDRINUSE;
	} else {
		tcp_listen_init(l, 0, port, (uint16_t)backlog, (uint16_t)backlog, ts_secret, TS_RXCAP,
		                0, &ts_ops, s);
		s->hnext = ts_listeners;
		ts_listeners = s;
	}
	net_leave(old);
	if (r < 0) {
		ts_sock_free(s);
		return r;
	}
	ts_refill(s);
	*out = s;
	return 0;
}

int tally_tcp_accept(struct tally_tcp *ls, struct tally_tcp **out)
{
	if (!ls || !out || ls->kind != TS_LISTEN)
		return TALLY_EINVAL;
	*out = NULL;
	ts_drain();
	unsigned old = net_enter();
	int r = 0;
	for (;;) {
		if (ls->closed) {
			r = TALLY_ECLOSED;
			break;
		}
		struct tcp_conn *c = tcp_accept(ls->l);
		if (c) {
			struct tally_tcp *s = c->user;
			s->owner = NULL;
			ts_accepted++;
			ts_post(s);  /* it may have closed while it waited */
			*out = s;
			break;
		}
		if (ls->rw.gp) {
			r = TALLY_EBUSY;
			break;
		}
		r = park(ls, &ls->rw, ls->rdl, &old, "tcp accept");
		if (r < 0)
			break;
	}
	leave(ls, old);
	if (r == 0)
		ts_refill(ls);
	return r;
}

int tally_tcp_connect(struct tally_tcp **out, uint32_t ip, uint16_t port, uint64_t deadline)
{
	if (!out)
		return TALLY_EINVAL;
	*out = NULL;
	if (!ip || !port)
		return TALLY_EINVAL;
	int r = net_start();
	if (r < 0)
		return r;
	ts_drain();
	struct tally_tcp *s = ts_conn_alloc();
	if (!s)
		return TALLY_ENOMEM;
	unsigned old = net_enter();
	ts_init();
	ts_conn_reset(s, NULL);
	if (!net_st.ip) {
		net_st.drop[NET_SDROP_NO_ADDR]++;
		s->closed = 1;  /* never hashed: freed below */
		net_leave(old);
		ts_sock_free(s);
		return TALLY_ENOADDR;
	}
	uint16_t lport = 0;
	for (unsigned tries = 0; tries < 16384 && !lport; tries++) {
		uint16_t p = net_st.next_eport;
		net_st.next_eport = p == 65535 ? 49152 : (uint16_t)(p + 1);
		if (!ts_lookup(ip, port, p) && !ts_find_listener(p))
			lport = p;
	}
	if (!lport) {
		net_leave(old);
		ts_sock_free(s);
		return TALLY_EADDRINUSE;
	}
	uint64_t now = ts_now_us();
	uint32_t iss = tcp_isn(ts_secret, net_st.ip, lport, ip, port, now);
	s->wdl = deadline;
	tcp_connect(s->c, net_st.ip, lport, ip, port, iss, now);
	ts_hash_in(s);
	ts_post(s);
	while (s->c->state == TCP_SYN_SENT || s->c->state == TCP_SYN_RECEIVED) {
		r = park(s, &s->ww, deadline, &old, "tcp connect");
		if (r < 0)
			break;
	}
	s->wdl = 0;
	if (r == 0 && s->c->state == TCP_CLOSED)
		r = map_err(-(long)(s->c->err ? s->c->err : TCP_ERR_STATE));
	if (r < 0) {
		if (s->c->state != TCP_CLOSED)
			tcp_abort(s->c, ts_now_us());
		ts_post(s);
		s->closed = 1;
		leave(s, old);
		return r;
	}
	ts_connected++;
	net_leave(old);
	*out = s;
	return 0;
}

long tally_tcp_read(struct tally_tcp *s, void *buf, size_t n)
{
	if (!s || s->kind != TS_CONN || (!buf && n))
		return TALLY_EINVAL;
	unsigned old = net_enter();
	long r;
	for (;;) {
		if (s->closed) {
			r = TALLY_ECLOSED;
			break;
		}
		if (n == 0) {
			r = 0;
			break;
		}
		r = tcp_recv(s->c, buf, n, ts_now_us());
		ts_post(s);
		if (r > 0)
			break;
		if (r < 0) {
			r = map_err(r);
			break;
		}
		if (tcp_eof(s->c) || s->c->state == TCP_CLOSED)
			break;  /* end of stream */
		if (s->rw.gp) {
			r = TALLY_EBUSY;
			break;
		}
		r = park(s, &s->rw, s->rdl, &old, "tcp read");
		if (r < 0)
			break;
	}
	leave(s, old);
	return r;
}

long tally_tcp_write(struct tally_tcp *s, const void *buf, size_t n)
{
	if (!s || s->kind != TS_CONN || (!buf && n))
		return TALLY_EINVAL;
	const uint8_t *p = buf;
	size_t done = 0;
	long r = 0;
	unsigned old = net_enter();
	while (done < n) {
		if (s->closed) {
			r = TALLY_ECLOSED;
			break;
		}
		r = tcp_send(s->c, p + done, n - done, ts_now_us());
		ts_post(s);
		if (r < 0) {
			r = map_err(r);
			break;
		}
		done += (size_t)r;
		if (done == n)
			break;
		if (r == 0) {
			if (s->ww.gp) {
				r = TALLY_EBUSY;
				break;
			}
			r = park(s, &s->ww, s->wdl, &old, "tcp write");
			if (r < 0)
				break;
		}
	}
	leave(s, old);
	return r < 0 ? r : (long)done;
}

int tally_tcp_shutdown(struct tally_tcp *s)
{
	if (!s || s->kind != TS_CONN)
		return TALLY_EINVAL;
	unsigned old = net_enter();
	int r = s->closed ? TALLY_ECLOSED : 0;
	if (!r) {
		enum tcp_err e = tcp_shutdown(s->c, ts_now_us());
		ts_post(s);
		if (e != TCP_OK && s->c->state != TCP_CLOSED)
			r = map_err(-(long)e);
	}
	leave(s, old);
	return r;
}

int tally_tcp_close(struct tally_tcp *s)
{
	if (!s)
		return TALLY_EINVAL;
	ts_drain();
	unsigned old = net_enter();
	if (s->closed) {
		net_leave(old);
		return TALLY_ECLOSED;
	}
	s->closed = 1;
	uint64_t now = ts_now_us();
	if (s->kind == TS_LISTEN) {
		for (struct tally_tcp **pp = &ts_listeners; *pp; pp = &(*pp)->hnext)
			if (*pp == s) {
				*pp = s->hnext;
				break;
			}
		ts_gone_syns += s->l->st.syns;  /* net_tcp_stats keeps counting them */
		ts_gone_cookies_sent += s->l->st.cookies_sent;
		tcp_listen_close(s->l, now);
		struct tally_tcp *pool = s->pool;
		s->pool = NULL;
		s->npool = 0;
		for (struct tally_tcp *p = pool; p; p = p->hnext)
			p->pooled = 0, p->closed = 1, p->dead = 1;
		net_wait_wake(&s->rw);
		if (s->ready)
			net_notify(s->ready);
		s->hnext = NULL;
		ts_bury(s);
		net_leave(old);
		while (pool) {
			struct tally_tcp *n = pool->hnext;
			ts_sock_free(pool);
			pool = n;
		}
		ts_drain();
		return 0;
	}
	if (s->c->state != TCP_CLOSED)
		tcp_close(s->c, now);
	net_wait_wake(&s->rw);
	net_wait_wake(&s->ww);
	if (s->ready)
		net_notify(s->ready);
	ts_post(s);
	leave(s, old);
	return 0;
}

int tally_tcp_set_nodelay(struct tally_tcp *s, int on)
{
	if (!s || s->kind != TS_CONN)
		return TALLY_EINVAL;
	unsigned old = net_enter();
	tcp_set_nodelay(s->c, on, ts_now_us());
	ts_post(s);
	net_leave(old);
	return 0;
}

int tally_tcp_set_deadlines(struct tally_tcp *s, uint64_t rd, uint64_t wd)
{
	if (!s)
		return TALLY_EINVAL;
	unsigned old = net_enter();
	s->rdl = rd;
	s->wdl = wd;
	/* parked goroutines re-evaluate with the new deadline */
	net_wait_wake(&s->rw);
	net_wait_wake(&s->ww);
	net_leave(old);
	return 0;
}

int tally_tcp_peer(const struct tally_tcp *s, uint32_t *ip, uint16_t *port)
{
	if (!s || s->kind != TS_CONN)
		return TALLY_EINVAL;
	if (ip)
		*ip = s->c->raddr;
	if (port)
		*port = s->c->rport;
	return 0;
}

int tally_tcp_port(const struct tally_tcp *s)
{
	if (!s)
		return TALLY_EINVAL;
	return s->kind == TS_LISTEN ? s->l->lport : s->c->lport;
}

struct tally_chan *tally_tcp_ready(struct tally_tcp *s)
{
	if (!s)
		return NULL;
	struct tally_chan *c = tally_chan_make(1, 1);
	unsigned old = net_enter();
	if (!s->ready)
		s->ready = c;
	int now;
	if (s->kind == TS_LISTEN)
		now = s->closed || s->l->accq;
	else
		now = s->closed || tcp_readable(s->c) || tcp_eof(s->c) ||
		      s->c->state == TCP_CLOSED;
	if (now)
		net_notify(s->ready);
	c = s->ready;
	net_leave(old);
	return c;
}

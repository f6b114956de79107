/*
 * tcp_sock.c - TCP on the machine: the TCP state machine (tcp.h) wired to
 * the stack (stack.c) and to goroutines (the tally_tcp_* calls of
 * rt/include/tally.h).
 *
 * Purpose: a connection table and the listeners, the received segment's
 * way from net_input into tcp_input / tcp_listen_input (or the module's
 * RST for a closed port), the segments' way out through the stack's
 * IPv4/ARP send path, the module's timers on the runtime's timers, and
 * the socket calls that park goroutines until the module's events ready
 * them.  All of it runs under net_st.lock and is charged to rt.net
 * (net_input and net_enter switch to it; the timer callback does too).
 *
 * Data structures:
 *   struct tally_tcp: one socket, a connection or a listener, with its
 *     struct tcp_conn (or tcp_listener) and, for a connection, its two
 *     byte rings in the same allocation; a runtime timer; two net_waits
 *     (rw: a reader, or an accepter on a listener; ww: a writer or a
 *     connecter); the read and write deadlines; a readiness channel.
 *   ts_hash[]: connections by (remote address, remote port, local port)
 *     (one local address), chained through hnext; only connections not
 *     CLOSED are in it.  ts_listeners: listeners, chained through hnext.
 *   A listener's pool: connections made ready (allocated) by goroutines
 *     (listen, accept) for the listener's conn_new, which runs in the
 *     poller under the lock where nothing is allocated; backlog + SYN
 *     queue of them (2 x backlog) but at most TS_POOL_MAX, so a SYN
 *     flood is bounded by the pool, and a SYN that finds the pool empty
 *     gets a SYN cookie (tcp_listen.c).
 *     conn_new's connections wait on the listener's `fresh` list until
 *     the listener's call returns and their 4-tuple is known, then are
 *     hashed.
 *   ts_grave: sockets the user closed whose connection has ended, to be
 *     freed by the next goroutine that enters a tally_tcp_* call (their
 *     timer must be idle first, which only a goroutine may wait for).
 *
 * Invariants: a socket is hashed <=> its connection is neither CLOSED nor
 * given back to a pool; its timer is armed at or before tcp_deadline (a
 * timer that fires early re-arms: the module's expire does nothing
 * early); a socket is freed only after it is dead (closed by the user,
 * out of the table, no goroutine inside a call on it) and its timer idle;
 * at most one reader and one writer per connection (another gets
 * TALLY_EBUSY), one accepter per listener.
 *
 * Time: the module's clock is rt_nanotime() / 1000 (microseconds).
 *
 * Context: net_tcp_input and the timer callback under/taking the lock
 * (poller g0, timer M); the tally_tcp_* calls on goroutines.
 */
#include <string.h>
#include "rt/heap/rt_malloc.h"
#include "rt/net/stack.h"
#include "rt/net/tcp_sock.h"
#include "rt/include/tally.h"


static struct tally_tcp *ts_hash[TS_HASH];
struct tally_tcp *ts_listeners;
static struct tally_tcp *ts_grave;
uint8_t ts_secret[16];
static int ts_inited;
static uint8_t ts_frame[ETH_HLEN + IP4_HLEN + TCP_SEG_MAX];
/* counters of connections gone (live ones are summed in at read time) */
static struct tcp_stats ts_gone;
uint64_t ts_accepted, ts_connected, ts_live, ts_cookies;
uint64_t ts_mem;              /* bytes of sockets allocated, not yet freed */
/* high-water marks of ts_mem and ts_live since boot: a SYN flood's bound
 * is read from them, not from samples that could miss a peak */
uint64_t ts_mem_peak, ts_live_peak;
/* tcp_fin_timeout= (plat_net_tcp_fin_timeout), µs; 0: the module's default */
static uint32_t ts_fin_timeout;
/* counters of listeners closed (open ones are summed in at read time) */
uint64_t ts_gone_syns, ts_gone_cookies_sent;


static unsigned hash3(uint32_t raddr, uint16_t rport, uint16_t lport)
{
	uint32_t h = raddr * 2654435761u ^ ((uint32_t)rport << 16 | lport) * 40503u;
	return (h ^ h >> 16) % TS_HASH;
}

/* ------------------------------------------------------------ callbacks */

static void ts_output(void *ctx, uint32_t src, uint32_t dst, const uint8_t *seg, size_t len)
{
	(void)ctx, (void)src;
	if (len > TCP_SEG_MAX)
		return;
	memcpy(ts_frame + ETH_HLEN + IP4_HLEN, seg, len);
	net_ip_send(ts_frame, IP_P_TCP, dst, len);  /* failures are counted there */
}

static void ts_event(void *ctx, struct tcp_conn *c, unsigned ev)
{
	(void)ctx;
	struct tally_tcp *s = c->user;
	if (!s)
		return;
	if (ev & (TCP_EV_READABLE | TCP_EV_CLOSED | TCP_EV_CONNECTED))
		net_wait_wake(&s->rw);
	if (ev & (TCP_EV_WRITABLE | TCP_EV_CLOSED | TCP_EV_CONNECTED))
		net_wait_wake(&s->ww);
	if (s->ready)
		net_notify(s->ready);
}

static void ts_listen_event(void *ctx, struct tcp_listener *l, unsigned ev)
{
	(void)l;
	struct tally_tcp *s = ctx;
	if (ev & TCP_EV_ACCEPT) {
		net_wait_wake(&s->rw);
		if (s->ready)
			net_notify(s->ready);
	}
}

static struct tcp_conn *ts_conn_new(void *ctx, struct tcp_listener *l);
static void ts_conn_free(void *ctx, struct tcp_conn *c);

const struct tcp_ops ts_ops = {
	.output = ts_output, .event = ts_event, .conn_new = ts_conn_new,
	.conn_free = ts_conn_free, .listen_event = ts_listen_event,
};

/* ------------------------------------------------------------ table */

static void add_stats(struct tcp_stats *d, const struct tcp_stats *a)
{
	const uint64_t *src = (const uint64_t *)a;
	uint64_t *dst = (uint64_t *)d;
	for (size_t i = 0; i < sizeof(*a) / sizeof(uint64_t); i++)
		dst[i] += src[i];
}

static void unhash(struct tally_tcp *s)
{
	if (!s->hashed)
		return;
	struct tcp_conn *c = s->c;
	struct tally_tcp **pp = &ts_hash[hash3(c->raddr, c->rport, c->lport)];
	while (*pp && *pp != s)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = s->hnext;
	s->hnext = NULL;
	s->hashed = 0;
	ts_live--;
	add_stats(&ts_gone, &c->st);  /* the counters stay monotonic */
	memset(&c->st, 0, sizeof(c->st));
}

void ts_hash_in(struct tally_tcp *s)
{
	struct tcp_conn *c = s->c;
	struct tally_tcp **h = &ts_hash[hash3(c->raddr, c->rport, c->lport)];
	s->hnext = *h;
	*h = s;
	s->hashed = 1;
	if (++ts_live > ts_live_peak)
		ts_live_peak = ts_live;
}

struct tally_tcp *ts_lookup(uint32_t raddr, uint16_t rport, uint16_t lport)
{
	for (struct tally_tcp *s = ts_hash[hash3(raddr, rport, lport)]; s; s = s->hnext)
		if (s->c->raddr == raddr && s->c->rport == rport && s->c->lport == lport &&
		    s->c->state != TCP_CLOSED)
			return s;
	return NULL;
}

struct tally_tcp *ts_find_listener(uint16_t port)
{
	for (struct tally_tcp *s = ts_listeners; s; s = s->hnext)
		if (s->l->lport == port)
			return s;
	return NULL;
}

/* Lock held: a socket nobody uses any more goes to the graveyard. */
void ts_bury(struct tally_tcp *s)
{
	if (s->dead || !s->closed || s->hashed || s->inside || s->pooled)
		return;
	s->dead = 1;
	s->hnext = ts_grave;
	ts_grave = s;
}

/* ------------------------------------------------------------ timers */

static void ts_fire(void *arg, uint64_t seq);

/* Lock held: after every tcp_* call on s's connection. */
void ts_post(struct tally_tcp *s)
{
	struct tcp_conn *c = s->c;
	if (c->state == TCP_CLOSED) {
		unhash(s);
		if (s->armed) {
			rt_timer_del(&s->timer);
			s->armed = 0;
		}
		ts_bury(s);
		return;
	}
	uint64_t d = tcp_deadline(c);
	if (d == TCP_NEVER)
		return;  /* an armed timer fires early and finds nothing: harmless */
	uint64_t ns = d * 1000 + 1000;
	if (s->armed && s->armed <= ns)
		return;
	if (s->armed)
		rt_timer_del(&s->timer);
	s->timer.when = ns;
	s->timer.period = 0;
	s->timer.f = ts_fire;
	s->timer.arg = s;
	s->timer.seq = ++s->tseq;
	s->armed = ns;
	rt_timer_add(&s->timer);
}

/* Lock held: give back what the listener's embryo call closed. */
static void reap(struct tcp_listener *l, uint64_t now)
{
	if (l && tcp_listen_deadline(l) != TCP_NEVER)
		tcp_listen_expire(l, now);
}

static void ts_fire(void *arg, uint64_t seq)
{
	struct tally_tcp *s = arg;
	unsigned old = plat_ledger_switch(rt_class_net);
	rt_lock(&net_st.lock);
	if (seq == s->tseq && !s->dead && !s->pooled && s->c) {
		s->armed = 0;
		struct tcp_listener *l = s->c->listener;
		uint64_t now = ts_now_us();
		tcp_expire(s->c, now);
		ts_post(s);
		reap(l, now);
	}
	net_unlock();
	plat_ledger_switch(old);
}

/* ------------------------------------------------------------ memory */

struct tally_tcp *ts_conn_alloc(void)
{
	struct tally_tcp *s = rt_calloc(1, sizeof(*s) + sizeof(struct tcp_conn) + TS_RXCAP +
	                                   TS_TXCAP);
	if (!s)
		return NULL;
	ts_mem_add(rt_malloc_usable_size(s));
	s->kind = TS_CONN;
	s->c = (struct tcp_conn *)(s + 1);
	return s;
}

void ts_mem_add(uint64_t n)
{
	uint64_t now = __atomic_add_fetch(&ts_mem, n, __ATOMIC_RELAXED);
	uint64_t peak = __atomic_load_n(&ts_mem_peak, __ATOMIC_RELAXED);
	while (now > peak && !__atomic_compare_exchange_n(&ts_mem_peak, &peak, now, 1,
	                                                  __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* Lock held: the connection reset to CLOSED over its rings. */
void ts_conn_reset(struct tally_tcp *s, struct tally_tcp *owner)
{
	uint8_t *rx = (uint8_t *)(s->c + 1);
	struct tcp_conf cf = { .rxbuf = rx, .txbuf = rx + TS_RXCAP, .rxcap = TS_RXCAP,
	                       .txcap = TS_TXCAP, .fin_timeout = ts_fin_timeout, .ops = &ts_ops };
	tcp_conn_init(s->c, &cf);
	s->c->user = s;
	s->owner = owner;
	s->closed = 0;
	s->rdl = s->wdl = 0;
}

void ts_sock_free(struct tally_tcp *s)
{
	rt_timer_del(&s->timer);
	rt_timer_wait_idle(&s->timer);
	rt_timer_del(&s->rw.timer);
	rt_timer_wait_idle(&s->rw.timer);
	rt_timer_del(&s->ww.timer);
	rt_timer_wait_idle(&s->ww.timer);
	__atomic_sub_fetch(&ts_mem, rt_malloc_usable_size(s), __ATOMIC_RELAXED);
	if (s->l)
		__atomic_sub_fetch(&ts_mem, rt_malloc_usable_size(s->l), __ATOMIC_RELAXED);
	rt_free(s->l);
	rt_free(s);
}

/* Goroutine, no lock: free what the graveyard holds. */
void ts_drain(void)
{
	if (!__atomic_load_n(&ts_grave, __ATOMIC_RELAXED))
		return;
	unsigned old = net_enter();
	struct tally_tcp *g = ts_grave;
	ts_grave = NULL;
	net_leave(old);
	while (g) {
		struct tally_tcp *n = g->hnext;
		ts_sock_free(g);
		g = n;
	}
}

/* Goroutine, no lock: top the listener's pool up to pool_max. */
void ts_refill(struct tally_tcp *ls)
{
	for (;;) {
		unsigned old = net_enter();
		int need = !ls->closed && ls->npool + 0u < ls->pool_max;
		net_leave(old);
		if (!need)
			return;
		struct tally_tcp *s = ts_conn_alloc();
		if (!s)
			return;  /* the listener answers with cookies meanwhile */
		old = net_enter();
		s->pooled = 1;
		s->owner = ls;
		s->hnext = ls->pool;
		ls->pool = s;
		ls->npool++;
		net_leave(old);
	}
}

static struct tcp_conn *ts_conn_new(void *ctx, struct tcp_listener *l)
{
	(void)l;
	struct tally_tcp *ls = ctx;
	struct tally_tcp *s = ls->pool;
	if (!s)
		return NULL;
	ls->pool = s->hnext;
	ls->npool--;
	s->pooled = 0;
	s->dead = 0;
	ts_conn_reset(s, ls);
	s->hnext = ls->fresh;
	ls->fresh = s;
	return s->c;
}

/* A connection its listener gave up before anyone accepted it. */
static void ts_conn_free(void *ctx, struct tcp_conn *c)
{
	struct tally_tcp *ls = ctx, *s = c->user;
	unhash(s);
	for (struct tally_tcp **pp = &ls->fresh; *pp; pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			break;
		}
	if (s->armed) {
		rt_timer_del(&s->timer);
		s->armed = 0;
	}
	s->tseq++;  /* a callback on its way finds a stale generation */
	add_stats(&ts_gone, &c->st);
	memset(&c->st, 0, sizeof(c->st));
	s->pooled = 1;
	s->hnext = ls->pool;
	ls->pool = s;
	ls->npool++;
}

/* Lock held: hash what conn_new handed out during the listener's call. */
static void hash_fresh(struct tally_tcp *ls)
{
	while (ls->fresh) {
		struct tally_tcp *s = ls->fresh;
		ls->fresh = s->hnext;
		s->hnext = NULL;
		if (s->c->state != TCP_CLOSED && !s->hashed) {
			ts_hash_in(s);
			ts_post(s);
		}
	}
}

/* ------------------------------------------------------------ receive */

int net_tcp_input(const struct net_rx *rx)
{
	const struct net_tcp *t = &rx->tcp;
	uint64_t now = ts_now_us();
	if (rx->ip.dst == net_st.ip) {
		struct tally_tcp *s = ts_lookup(rx->ip.src, t->sport, t->dport);
		if (s) {
			struct tcp_listener *l = s->c->listener;
			tcp_input(s->c, t, now);
			ts_post(s);
			reap(l, now);
			return 1;
		}
		struct tally_tcp *ls = ts_find_listener(t->dport);
		if (ls) {
			uint64_t ok = ls->l->st.cookies_ok;
			tcp_listen_input(ls->l, t, rx->ip.src, rx->ip.dst, now);
			ts_cookies += ls->l->st.cookies_ok - ok;
			hash_fresh(ls);
			reap(ls->l, now);
			return 1;
		}
	}
	net_st.drop[NET_SDROP_TCP_NO_LISTENER]++;
	if ((t->flags & TCP_RST) || rx->ip.dst != net_st.ip)
		return 0;
	uint8_t buf[TCP_HLEN];
	tcp_reply_rst(&ts_ops, NULL, t, rx->ip.src, rx->ip.dst, buf);  /* RFC 9293 3.10.7.1 */
	net_st.tcp_rst_out++;
	return 0;
}

void ts_init(void)
{
	if (ts_inited)
		return;
	for (unsigned i = 0; i < 16; i += 8) {
		uint64_t r = rt_fastrand() ^ rt_nanotime();
		memcpy(ts_secret + i, &r, 8);
	}
	ts_fin_timeout = plat_net_tcp_fin_timeout();
	ts_inited = 1;
}

/* The TCP counters for tally_net_stats (lock held).  The listeners'
 * (tcp.syns_in, tcp.cookies_sent, tcp.synq: embryos now, in SYN_RECEIVED)
 * are summed over the open ones and those closed. */
unsigned net_tcp_stats(const char **names, uint64_t *v, unsigned max)
{
	struct tcp_stats t = ts_gone;
	for (unsigned i = 0; i < TS_HASH; i++)
		for (struct tally_tcp *s = ts_hash[i]; s; s = s->hnext)
			add_stats(&t, &s->c->st);
	uint64_t syns = ts_gone_syns, sent = ts_gone_cookies_sent, synq = 0;
	for (struct tally_tcp *ls = ts_listeners; ls; ls = ls->hnext) {
		syns += ls->l->st.syns;
		sent += ls->l->st.cookies_sent;
		synq += ls->l->nsyn;
	}
	const char *n[] = { "tcp.segs_in", "tcp.segs_out", "tcp.retransmits",
	                    "tcp.fast_retransmits", "tcp.timeouts", "tcp.dropped",
	                    "tcp.accepted", "tcp.connected", "tcp.conns", "tcp.cookies_ok",
	                    "tcp.mem_bytes", "tcp.syns_in", "tcp.cookies_sent", "tcp.synq",
	                    "tcp.conns_peak", "tcp.mem_peak", "tcp.fin_timeouts" };
	uint64_t x[] = { t.segs_in, t.segs_out, t.retransmits, t.fast_retransmits, t.timeouts,
	                 t.dropped, ts_accepted, ts_connected, ts_live, ts_cookies,
	                 __atomic_load_n(&ts_mem, __ATOMIC_RELAXED), syns, sent, synq,
	                 ts_live_peak, __atomic_load_n(&ts_mem_peak, __ATOMIC_RELAXED),
	                 t.fin_timeouts };
	unsigned k = 0;
	for (; k < sizeof(x) / sizeof(x[0]) && k < max; k++) {
		names[k] = n[k];
		v[k] = x[k];
	}
	return k;
}

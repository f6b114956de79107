/*
 * tcp_sim.c - the simulated link of tcp_sim.h.
 *
 * The link: each segment is lost with probability loss_ppm / 10^6; else
 * delivered after delay + uniform(0, jitter); with reorder_ppm it is held
 * back a further 1..3 * delay (later segments overtake it); with dup_ppm a
 * second copy follows up to one delay later.  Segments with the same
 * delivery time keep their send order.
 *
 * Every connection's invariants (tcp_check) are checked after each
 * segment it takes and each timer it runs.
 *
 * Demultiplexing as the socket layer will do it: a connection not CLOSED
 * with the segment's 4-tuple, else a listener on the destination port,
 * else tcp_reply_rst.
 *
 * Context: host only.
 */
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>
#include "tests/host/tcp_sim.h"

uint64_t sim_rand(struct sim *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int pkt_before(const struct sim_pkt *a, const struct sim_pkt *b)
{
	return a->t < b->t || (a->t == b->t && a->order < b->order);
}

static void push(struct sim *s, uint64_t t, uint32_t src, uint32_t dst, const uint8_t *d,
                 size_t len)
{
	if (s->nq == s->capq) {
		s->capq = s->capq ? 2 * s->capq : 256;
		s->q = realloc(s->q, s->capq * sizeof *s->q);
		assert_non_null(s->q);
	}
	struct sim_pkt p = {t, s->order++, src, dst, len, malloc(len)};
	assert_non_null(p.data);
	memcpy(p.data, d, len);
	size_t i = s->nq++;
	while (i > 0 && pkt_before(&p, &s->q[(i - 1) / 2])) {
		s->q[i] = s->q[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->q[i] = p;
}

static struct sim_pkt pop(struct sim *s)
{
	struct sim_pkt top = s->q[0], last = s->q[--s->nq];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		const struct sim_pkt *best = &last;
		if (l < s->nq && pkt_before(&s->q[l], best))
			m = l, best = &s->q[l];
		if (l + 1 < s->nq && pkt_before(&s->q[l + 1], best))
			m = l + 1;
		if (m == i)
			break;
		s->q[i] = s->q[m];
		i = m;
	}
	if (s->nq)
		s->q[i] = last;
	return top;
}

static int chance(struct sim *s, uint32_t ppm)
{
	return ppm && sim_rand(s) % 1000000u < ppm;
}

static void output(void *ctx, uint32_t src, uint32_t dst, const uint8_t *seg, size_t len)
{
	struct sim *s = ctx;
	struct net_tcp v;

	s->st.sent++;
	if (net_tcp_parse(seg, len, src, dst, &v) != NET_OK) {
		s->st.bad_parse++;
		fail_msg("a segment sent does not parse");
	}
	if (s->filter && s->filter(s, src, dst, &v, s->filter_arg)) {
		s->st.filtered++;
		return;
	}
	if (chance(s, s->loss_ppm)) {
		s->st.lost++;
		return;
	}
	uint64_t t = s->now + s->delay + (s->jitter ? sim_rand(s) % (s->jitter + 1) : 0);
	if (chance(s, s->reorder_ppm)) {
		s->st.reordered++;
		t += s->delay * (1 + sim_rand(s) % 3) + 1;
	}
	push(s, t, src, dst, seg, len);
	if (chance(s, s->dup_ppm)) {
		s->st.duplicated++;
		push(s, t + sim_rand(s) % (s->delay + 1), src, dst, seg, len);
	}
}

static struct tcp_conn *conn_new(void *ctx, struct tcp_listener *l)
{
	struct sim *s = ctx;
	(void)l;
	struct tcp_conn *c = sim_conn(s, s->lis_rxcap, s->lis_txcap, 0);
	s->news++;
	return c;
}

static void forget(struct sim *s, struct tcp_conn *c)
{
	for (size_t i = 0; i < s->nconn; i++) {
		if (s->conn[i] == c) {
			s->conn[i] = s->conn[--s->nconn];
			break;
		}
	}
	free(c->rcv.buf);
	free(c->snd.buf);
	free(c);
	s->live--;
}

static void conn_free(void *ctx, struct tcp_conn *c)
{
	struct sim *s = ctx;
	s->frees++;
	forget(s, c);
}

void sim_init(struct sim *s, uint64_t seed)
{
	memset(s, 0, sizeof *s);
	s->rng = seed;
	s->delay = 5000;
	s->lis_rxcap = s->lis_txcap = 65536;
	s->ops.output = output;
	s->ops.conn_new = conn_new;
	s->ops.conn_free = conn_free;
}

void sim_free(struct sim *s)
{
	while (s->nq) {
		struct sim_pkt p = pop(s);
		free(p.data);
	}
	free(s->q);
	while (s->nconn)
		forget(s, s->conn[0]);
}

struct tcp_conn *sim_conn(struct sim *s, uint32_t rxcap, uint32_t txcap, int nodelay)
{
	if (s->nconn == SIM_MAX_EP)
		return NULL;
	struct tcp_conn *c = malloc(sizeof *c);
	struct tcp_conf cf = {.rxbuf = malloc(rxcap), .txbuf = malloc(txcap), .rxcap = rxcap,
	                      .txcap = txcap, .nodelay = (uint8_t)nodelay, .ops = &s->ops,
	                      .ctx = s};
	assert_non_null(c);
	assert_non_null(cf.rxbuf);
	assert_non_null(cf.txbuf);
	assert_int_equal(tcp_conn_init(c, &cf), TCP_OK);
	s->conn[s->nconn++] = c;
	if (++s->live > s->max_live)
		s->max_live = s->live;
	return c;
}

void sim_add_listener(struct sim *s, struct tcp_listener *l)
{
	s->lis[s->nlis++] = l;
}

uint64_t sim_next(const struct sim *s)
{
	uint64_t t = s->nq ? s->q[0].t : TCP_NEVER;
	for (size_t i = 0; i < s->nconn; i++) {
		uint64_t d = tcp_deadline(s->conn[i]);
		if (d < t)
			t = d;
	}
	for (size_t i = 0; i < s->nlis; i++) {
		uint64_t d = tcp_listen_deadline(s->lis[i]);
		if (d < t)
			t = d;
	}
	return t;
}

static void check(const struct tcp_conn *c)
{
	const char *e = tcp_check(c);
	if (e)
		fail_msg("tcp_check: %s (state %s)", e, tcp_state_name(c->state));
}

static void deliver(struct sim *s, struct sim_pkt *p)
{
	struct net_tcp v;
	assert_int_equal(net_tcp_parse(p->data, p->len, p->src, p->dst, &v), NET_OK);
	s->st.delivered++;
	for (size_t i = 0; i < s->nconn; i++) {
		struct tcp_conn *c = s->conn[i];
		if (c->state != TCP_CLOSED && c->laddr == p->dst && c->raddr == p->src &&
		    c->lport == v.dport && c->rport == v.sport) {
			tcp_input(c, &v, s->now);
			check(c);
			return;
		}
	}
	for (size_t i = 0; i < s->nlis; i++) {
		struct tcp_listener *l = s->lis[i];
		if (l->lport == v.dport && (l->laddr == 0 || l->laddr == p->dst)) {
			tcp_listen_input(l, &v, p->src, p->dst, s->now);
			return;
		}
	}
	s->st.no_endpoint++;
	uint8_t buf[TCP_HLEN];
	tcp_reply_rst(&s->ops, s, &v, p->src, p->dst, buf);
}

int sim_run(struct sim *s, uint64_t until, int (*done)(struct sim *, void *),
            void (*step)(struct sim *, void *), void *arg)
{
	for (;;) {
		if (done && done(s, arg))
			return 1;
		uint64_t t = sim_next(s);
		if (t == TCP_NEVER || t > until) {
			if (until != TCP_NEVER && s->now < until)
				s->now = until;
			return done ? done(s, arg) : 0;
		}
		if (t > s->now)
			s->now = t;
		if (s->nq && s->q[0].t <= s->now) {
			struct sim_pkt p = pop(s);
			deliver(s, &p);
			free(p.data);
		} else {
			for (size_t i = 0; i < s->nconn; i++) {
				if (tcp_deadline(s->conn[i]) <= s->now) {
					tcp_expire(s->conn[i], s->now);
					check(s->conn[i]);
					break;
				}
			}
			for (size_t i = 0; i < s->nlis; i++)
				if (tcp_listen_deadline(s->lis[i]) <= s->now)
					tcp_listen_expire(s->lis[i], s->now);
		}
		if (step)
			step(s, arg);
	}
}

/*
 * fuzz_tcp_state.c - the TCP state machine (rt/net/tcp*.c) fed arbitrary
 * segments, user calls and clock steps, from each state.
 *
 * Input: byte 0 picks the starting point (a connection driven by a
 * scripted peer into SYN_SENT, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2,
 * CLOSE_WAIT, CLOSING, LAST_ACK or TIME_WAIT, or a listener with a SYN
 * queue of 2 and a backlog of 2); byte 1 the ring sizes (down to 61 bytes,
 * so the rings wrap often), no-delay and window scaling.  Then records:
 *   0 segment: flags, seq and ack as offsets from rcv_nxt and snd_una
 *     (or raw), window, options, payload length (payload from the input);
 *   1 tcp_send, 2 tcp_recv, 3 clock step + tcp_expire, 4 shutdown,
 *   5 close, 6 abort, 7 no-delay on/off.
 * Segments to a listener go to the connection with their 4-tuple if the
 * listener made one (as the socket layer's table would), else to the
 * listener.
 *
 * Promises checked after every step: tcp_check (sequence variables in
 * order, in-flight bytes within the send ring, the advertised window
 * within the free receive space, out-of-order ranges sorted inside the
 * window); every segment sent parses (checksum, options) and carries at
 * most TCP_MSS_MAX bytes; a listener never holds more than its SYN queue
 * plus backlog connections.  ASan and UBSan catch the rest.
 */
#include <string.h>
#include "tests/fuzz/fuzz.h"
#include "rt/net/tcp.h"

#define ME   0x0a000002u
#define PEER 0x0a000001u
#define ISS  1000u
#define IRS  5000u

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint32_t take(struct rd *r, int bytes)
{
	uint32_t v = 0;
	for (int i = 0; i < bytes; i++) {
		v <<= 8;
		if (r->n) {
			v |= *r->p++;
			r->n--;
		}
	}
	return v;
}

static int live;
static uint32_t rxcap, txcap;
static uint8_t nodelay, nows;

static void output(void *ctx, uint32_t src, uint32_t dst, const uint8_t *seg, size_t len)
{
	struct net_tcp v;
	(void)ctx;
	FZ_CHECK(net_tcp_parse(seg, len, src, dst, &v) == NET_OK);
	FZ_CHECK(v.payload_len <= TCP_MSS_MAX);
	FZ_CHECK(src == ME && dst == PEER);
}

static struct tcp_conn *conn_new(void *ctx, struct tcp_listener *l);
static void conn_free(void *ctx, struct tcp_conn *c);

static const struct tcp_ops ops = {
	.output = output, .conn_new = conn_new, .conn_free = conn_free,
};

static struct tcp_conn *mk(void)
{
	struct tcp_conn *c = malloc(sizeof *c);
	struct tcp_conf cf = {.rxbuf = malloc(rxcap), .txbuf = malloc(txcap), .rxcap = rxcap,
	                      .txcap = txcap, .nodelay = nodelay, .no_wscale = nows,
	                      .ops = &ops};
	FZ_CHECK(c && cf.rxbuf && cf.txbuf);
	FZ_CHECK(tcp_conn_init(c, &cf) == TCP_OK);
	live++;
	return c;
}

static void rm(struct tcp_conn *c)
{
	free(c->rcv.buf);
	free(c->snd.buf);
	free(c);
	live--;
}

#define MAXC 8
static struct tcp_conn *owned[MAXC];   /* accepted, or the active one */
static int nowned;

static struct tcp_conn *conn_new(void *ctx, struct tcp_listener *l)
{
	(void)ctx, (void)l;
	return mk();
}

static void conn_free(void *ctx, struct tcp_conn *c)
{
	(void)ctx;
	rm(c);
}

static struct net_tcp peer(uint8_t flags, uint32_t seq, uint32_t ack, const char *d)
{
	struct net_tcp v = {.sport = 80, .dport = 1000, .seq = seq, .ack = ack, .flags = flags,
	                    .win = 8000};
	if (d)
		v.payload = (const uint8_t *)d, v.payload_len = strlen(d);
	return v;
}

static void feed(struct tcp_conn *c, struct net_tcp v, uint64_t now)
{
	tcp_input(c, &v, now);
}

/* The scripted peer: drive a fresh active connection into state k. */
static void drive(struct tcp_conn *c, unsigned k)
{
	FZ_CHECK(tcp_connect(c, ME, 1000, PEER, 80, ISS, 0) == TCP_OK);
	if (k == 0)
		return;                                  /* SYN_SENT */
	struct net_tcp sa = peer(TCP_SYN | TCP_ACK_F, IRS, ISS + 1, NULL);
	sa.opt.has_mss = 1, sa.opt.mss = 100;
	sa.opt.has_wscale = 1, sa.opt.wscale = 2;
	feed(c, sa, 10);                             /* ESTABLISHED */
	feed(c, peer(TCP_ACK_F, IRS + 1, ISS + 1, "hello"), 20);
	switch (k) {
	case 2: tcp_shutdown(c, 30); break;          /* FIN_WAIT_1 */
	case 3: tcp_shutdown(c, 30);                 /* FIN_WAIT_2 */
		feed(c, peer(TCP_ACK_F, IRS + 6, ISS + 2, NULL), 40); break;
	case 4: feed(c, peer(TCP_FIN | TCP_ACK_F, IRS + 6, ISS + 1, NULL), 40); break;
	case 5: tcp_shutdown(c, 30);                 /* CLOSING */
		feed(c, peer(TCP_FIN | TCP_ACK_F, IRS + 6, ISS + 1, NULL), 40); break;
	case 6: feed(c, peer(TCP_FIN | TCP_ACK_F, IRS + 6, ISS + 1, NULL), 40);
		tcp_shutdown(c, 50); break;              /* LAST_ACK */
	case 7: tcp_shutdown(c, 30);                 /* TIME_WAIT */
		feed(c, peer(TCP_FIN | TCP_ACK_F, IRS + 6, ISS + 2, NULL), 40); break;
	default: break;
	}
}

static void check(const struct tcp_conn *c)
{
	const char *e = tcp_check(c);
	if (e) {
		fprintf(stderr, "tcp_check: %s in %s\n", e, tcp_state_name(c->state));
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t caps[4] = {61, 1000, 4096, 100000};
	static const uint8_t key[16] = "fuzz tcp secret";
	struct rd r = {data, size};
	unsigned start = take(&r, 1) % 9;
	unsigned o = take(&r, 1);
	struct tcp_listener l;
	int listening = start == 8;
	uint64_t now = 100;
	uint8_t junk[255 * 6];

	rxcap = caps[o & 3];
	txcap = caps[(o >> 2) & 3];
	nodelay = (o >> 4) & 1;
	nows = (o >> 5) & 1;
	live = 0;
	nowned = 0;
	memset(junk, 'j', sizeof junk);
	if (listening) {
		FZ_CHECK(tcp_listen_init(&l, ME, 1000, 2, 2, key, rxcap, 0, &ops, NULL) == TCP_OK);
	} else {
		owned[nowned++] = mk();
		drive(owned[0], start);
		check(owned[0]);
	}
	for (int steps = 0; r.n && steps < 256; steps++) {
		unsigned op = take(&r, 1);
		struct tcp_conn *c = nowned ? owned[(op >> 4) % nowned] : NULL;
		switch (op & 7) {
		case 0: {
			uint8_t fl = (uint8_t)take(&r, 1);
			uint8_t mode = (uint8_t)take(&r, 1);
			uint32_t ds = take(&r, 4), da = take(&r, 4);
			struct net_tcp v = {.sport = (uint16_t)(80 + (mode >> 6)), .dport = 1000,
			                    .flags = fl, .win = (uint16_t)take(&r, 2)};
			struct tcp_conn *t = listening ? NULL : c;
			if (listening) {
				for (struct tcp_conn *e = l.synq; e; e = e->lnext)
					if (e->rport == v.sport && e->state != TCP_CLOSED)
						t = e;
				for (struct tcp_conn *e = l.accq; e; e = e->lnext)
					if (e->rport == v.sport && e->state != TCP_CLOSED)
						t = e;
				for (int i = 0; i < nowned; i++)
					if (owned[i]->rport == v.sport && owned[i]->state != TCP_CLOSED)
						t = owned[i];
			}
			uint32_t base_s = t ? t->rcv_nxt : IRS, base_a = t ? t->snd_una : ISS;
			v.seq = mode & 1 ? ds : base_s + (uint32_t)(int16_t)ds;
			v.ack = mode & 2 ? da : base_a + (uint32_t)(int16_t)da;
			if (mode & 4)
				v.opt.has_mss = 1, v.opt.mss = (uint16_t)(da >> 16);
			if (mode & 8)
				v.opt.has_wscale = 1, v.opt.wscale = (uint8_t)(ds >> 24) % 15;
			size_t len = take(&r, 1) * (mode & 16 ? 6 : 1);
			if (len > r.n && !(mode & 32))
				len = r.n;
			v.payload = len <= r.n ? r.p : junk;
			v.payload_len = len;
			if (len <= r.n)
				r.p += len, r.n -= len;
			if (t)
				tcp_input(t, &v, now);
			else if (listening)
				tcp_listen_input(&l, &v, PEER, ME, now);
			break;
		}
		case 1:
			if (c) {
				size_t n = take(&r, 2) % 5000;
				uint8_t *b = malloc(n + 1);
				FZ_CHECK(b);
				memset(b, 'x', n);
				long k = tcp_send(c, b, n, now);
				FZ_CHECK(k <= (long)n);
				free(b);
			}
			break;
		case 2:
			if (c) {
				size_t n = take(&r, 2) % 5000;
				uint8_t *b = malloc(n + 1);
				FZ_CHECK(b);
				long k = tcp_recv(c, b, n, now);
				FZ_CHECK(k <= (long)n);
				free(b);
			}
			break;
		case 3:
			now += (uint64_t)take(&r, 2) * 1000 + 1;
			for (int i = 0; i < nowned; i++)
				if (tcp_deadline(owned[i]) <= now)
					tcp_expire(owned[i], now);
			if (listening) {
				for (struct tcp_conn *e = l.synq, *nx; e; e = nx) {
					nx = e->lnext;
					if (tcp_deadline(e) <= now)
						tcp_expire(e, now);
				}
				tcp_listen_expire(&l, now);
			}
			break;
		case 4: if (c) tcp_shutdown(c, now); break;
		case 5: if (c) tcp_close(c, now); break;
		case 6: if (c) tcp_abort(c, now); break;
		case 7: if (c) tcp_set_nodelay(c, op & 8, now); break;
		}
		if (listening) {
			struct tcp_conn *a;
			while (nowned < MAXC && (a = tcp_accept(&l)) != NULL)
				owned[nowned++] = a;
			FZ_CHECK(l.nsyn <= 2 && l.nacc <= 2);
			FZ_CHECK(live - nowned <= 2 + 2 + 2);  /* + zombies awaiting reap */
			for (struct tcp_conn *e = l.synq; e; e = e->lnext)
				check(e);
		}
		for (int i = 0; i < nowned; i++)
			check(owned[i]);
	}
	if (listening)
		tcp_listen_close(&l, now);
	for (int i = 0; i < nowned; i++)
		rm(owned[i]);
	FZ_CHECK(live == 0);
	return 0;
}

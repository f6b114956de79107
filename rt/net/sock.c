/*
 * sock.c - the network's application API (rt/include/tally.h): UDP
 * sockets, ping, the interface's facts and counters, frame injection,
 * error names.
 *
 * Purpose: goroutine-facing calls over the stack (stack.h).  A call
 * charges its stack work to rt.net (net_enter: pinned, the lock taken)
 * and parks the goroutine, not the CPU, when it must wait: a reader on an
 * empty socket is named in the socket's net_wait and readied by the
 * poller's delivery, its deadline's timer or a close.
 *
 * Data structures: struct tally_udp (stack.h) with a ring of
 * NET_SOCK_QLEN datagrams allocated with the socket; net_st.socks[] is
 * the port table (a linear scan of 64: a socket per port, no
 * SO_REUSEPORT).  Pings: NET_MAX_PINGS slots matched by (id, seq).
 *
 * Invariants: a socket's queue: 0 <= n <= NET_SOCK_QLEN, entries
 * [head, head + n) mod the size; at most one goroutine parked per socket
 * (a second reader gets TALLY_EBUSY, as a read in progress would in a
 * Go conn's fdMutex sense of "one reader at a time"); `inside` counts the
 * readers between parking and taking the lock again (a reader readied by
 * a datagram is still inside until it runs); a closed socket is out of
 * socks[] and freed by close when nobody is inside, else by the last
 * reader to leave (closed == 2).  Using a socket after closing it is the
 * caller's error, as in C with any freed object.
 *
 * Readiness for select: tally_udp_ready gives the socket a channel of
 * capacity 1 that gets a token (net_notify, sent after the stack's lock
 * is dropped) when a datagram is queued or the socket is closed, and at
 * once when one is already waiting.  Channels are collected objects: the
 * socket (malloc'd memory, a root) keeps it alive, and after a close
 * whoever still holds it (a select, the token on its way in
 * net_st.notify) does, so a late token lands in live memory.
 *
 * Context: goroutines only.  Allocates in tally_udp_open and
 * tally_udp_ready.
 */
#include <string.h>
#include "rt/heap/rt_malloc.h"
#include "rt/net/stack.h"
#include "rt/include/tally.h"

const char *tally_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case TALLY_ENULL: return "a NULL pointer argument";
	case TALLY_ECPU: return "no such CPU, or it did not answer";
	case TALLY_EMISMATCH: return "ledger reads of different CPUs or in the wrong order";
	case TALLY_ENONET: return "no network device";
	case TALLY_EADDRINUSE: return "the port is in use";
	case TALLY_ETIMEDOUT: return "the deadline passed";
	case TALLY_EMSGSIZE: return "a datagram larger than one frame holds (1472 bytes)";
	case TALLY_ENOBUFS: return "no buffer: the device's transmit ring or a queue is full";
	case TALLY_ECLOSED: return "the socket is closed";
	case TALLY_EINVAL: return "an invalid argument";
	case TALLY_ENOADDR: return "no address yet, or no route to the destination";
	case TALLY_ENOMEM: return "out of memory";
	case TALLY_EBUSY: return "another goroutine is receiving on this socket";
	case TALLY_EDEVICE: return "the network device failed";
	case TALLY_ECONNREFUSED: return "connection refused by the peer";
	case TALLY_ECONNRESET: return "connection reset by the peer";
	case TALLY_ECONNTIMEDOUT: return "the peer stopped answering (retransmissions exhausted)";
	case TALLY_ECONNABORTED: return "connection aborted here";
	case TALLY_ESHUTDOWN: return "write after shutdown";
	}
	return "unknown error";
}

/* ------------------------------------------------------------ UDP */

int tally_udp_open(struct tally_udp **out, uint16_t port)
{
	if (!out)
		return TALLY_EINVAL;
	*out = NULL;
	int r = net_start();
	if (r < 0)
		return r;
	struct tally_udp *s = rt_calloc(1, sizeof(*s));
	struct net_udp_dgram *q = rt_malloc(NET_SOCK_QLEN * sizeof(*q));
	if (!s || !q) {
		rt_free(s);
		rt_free(q);
		return TALLY_ENOMEM;
	}
	s->q = q;
	unsigned old = net_enter();
	int slot = -1;
	for (unsigned i = 0; i < NET_MAX_SOCKS; i++) {
		if (!net_st.socks[i]) {
			if (slot < 0)
				slot = (int)i;
		} else if (port && net_st.socks[i]->port == port) {
			r = TALLY_EADDRINUSE;
		}
	}
	if (r == 0 && slot < 0)
		r = TALLY_ENOBUFS;
	if (r == 0 && !port) {
		/* an ephemeral port (49152..65535, RFC 6335) nobody holds */
		for (unsigned tries = 0; tries < 16384 && !port; tries++) {
			uint16_t p = net_st.next_eport;
			net_st.next_eport = p == 65535 ? 49152 : (uint16_t)(p + 1);
			port = p;
			for (unsigned i = 0; i < NET_MAX_SOCKS; i++)
				if (net_st.socks[i] && net_st.socks[i]->port == p)
					port = 0;
		}
	}
	if (r == 0) {
		s->port = port;
		net_st.socks[slot] = s;
	}
	net_leave(old);
	if (r < 0) {
		rt_free(q);
		rt_free(s);
		return r;
	}
	*out = s;
	return 0;
}

int tally_udp_port(const struct tally_udp *s) { return s ? s->port : TALLY_EINVAL; }

int tally_udp_set_deadline(struct tally_udp *s, uint64_t deadline)
{
	if (!s)
		return TALLY_EINVAL;
	unsigned old = net_enter();
	s->deadline = deadline;
	if (s->w.gp) {
		/* move the parked reader's timer: wake it to re-evaluate */
		net_wait_wake(&s->w);
	}
	net_leave(old);
	return 0;
}

int tally_udp_sendto(struct tally_udp *s, uint32_t ip, uint16_t port, const void *buf, size_t n)
{
	if (!s || (!buf && n) || !port || !ip)
		return TALLY_EINVAL;
	if (n > NET_UDP_MAX)
		return TALLY_EMSGSIZE;
	uint8_t f[ETH_HLEN + IP4_HLEN + UDP_HLEN + NET_UDP_MAX];
	unsigned old = net_enter();
	int r;
	if (s->closed) {
		r = TALLY_ECLOSED;
	} else if (!net_st.ip && ip != IP4_BROADCAST) {
		net_st.drop[NET_SDROP_NO_ADDR]++;
		r = TALLY_ENOADDR;
	} else {
		int l = net_udp_build(f + ETH_HLEN + IP4_HLEN, UDP_HLEN + n, net_st.ip, ip, s->port,
		                      port, buf, n);
		r = l < 0 ? TALLY_EMSGSIZE : net_ip_prepare(f, IP_P_UDP, ip, (size_t)l);
		if (r >= 0)
			net_st.udp_out++;
	}
	net_leave(old);
	/* the device's send after the lock is dropped: the poller on another
	 * CPU does not wait behind a device notification (docs/net.md) */
	if (r > 0)
		r = net_dev_send(f, ETH_HLEN + IP4_HLEN + UDP_HLEN + n);
	return r < 0 ? r : (int)n;
}

static void sock_free(struct tally_udp *s)
{
	rt_timer_del(&s->w.timer);
	rt_timer_wait_idle(&s->w.timer);
	rt_free(s->q);
	rt_free(s);
}

int tally_udp_recvfrom(struct tally_udp *s, void *buf, size_t cap, uint32_t *ip, uint16_t *port)
{
	if (!s || (!buf && cap))
		return TALLY_EINVAL;
	int r;
	unsigned old = net_enter();
	for (;;) {
		if (s->closed) {
			r = TALLY_ECLOSED;
			break;
		}
		if (s->n) {
			struct net_udp_dgram *d = &s->q[s->head];
			size_t len = d->len < cap ? d->len : cap;
			memcpy(buf, d->data, len);
			if (ip)
				*ip = d->ip;
			if (port)
				*port = d->port;
			s->head = (s->head + 1) % NET_SOCK_QLEN;
			s->n--;
			r = (int)len;
			break;
		}
		if (s->w.gp) {
			r = TALLY_EBUSY;
			break;
		}
		uint64_t dl = s->deadline;
		if (dl && rt_nanotime() >= dl) {
			r = TALLY_ETIMEDOUT;
			break;
		}
		/* park: give the class back and unpin, keep the lock; while
		 * inside, a close leaves the freeing to us */
		s->inside++;
		plat_ledger_switch(old);
		rt_releasem(rt_getm());
		net_wait_park(&s->w, dl, "udp recv");
		old = net_enter();
		s->inside--;
	}
	int last = s->closed == 2 && s->inside == 0;
	net_leave(old);
	if (last)
		sock_free(s);  /* closed while we were inside: ours to free */
	return r;
}

int tally_udp_close(struct tally_udp *s)
{
	if (!s)
		return TALLY_EINVAL;
	unsigned old = net_enter();
	if (s->closed) {
		net_leave(old);
		return TALLY_ECLOSED;
	}
	for (unsigned i = 0; i < NET_MAX_SOCKS; i++)
		if (net_st.socks[i] == s)
			net_st.socks[i] = NULL;
	/* a reader parked, or readied and not yet back under the lock, is
	 * inside recvfrom: the last one out frees the socket */
	int inside = s->inside != 0;
	s->closed = inside ? 2 : 1;
	net_wait_wake(&s->w);
	if (s->ready)
		net_notify(s->ready);  /* a select on it wakes, recvfrom says closed */
	net_leave(old);
	if (!inside)
		sock_free(s);
	return 0;
}

struct tally_chan *tally_udp_ready(struct tally_udp *s)
{
	if (!s)
		return NULL;
	struct tally_chan *c = tally_chan_make(1, 1);
	unsigned old = net_enter();
	if (!s->ready)
		s->ready = c;  /* else c is garbage: channels are collected */
	if (s->n || s->closed)
		net_notify(s->ready);
	c = s->ready;
	net_leave(old);
	return c;
}

/* ------------------------------------------------------------ ping */

int tally_ping(uint32_t ip, uint16_t seq, size_t len, uint64_t timeout_ns, uint64_t *rtt_ns)
{
	if (!ip || len > NET_UDP_MAX)
		return len > NET_UDP_MAX ? TALLY_EMSGSIZE : TALLY_EINVAL;
	int r = net_start();
	if (r < 0)
		return r;
	uint8_t f[ETH_HLEN + IP4_HLEN + ICMP_HLEN + NET_UDP_MAX];
	uint8_t *data = f + ETH_HLEN + IP4_HLEN + ICMP_HLEN;
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(0x20 + (seq + i) % 95);  /* printable, varies with seq */
	unsigned old = net_enter();
	struct net_ping *p = NULL;
	for (unsigned i = 0; i < NET_MAX_PINGS && !p; i++)
		if (!net_st.pings[i].used)
			p = &net_st.pings[i];
	if (!p) {
		net_leave(old);
		return TALLY_ENOBUFS;
	}
	p->used = 1;
	p->done = 0;
	p->id = net_st.ping_id;
	p->seq = seq;
	p->t0 = rt_nanotime();
	int n = net_icmp_build_echo(f + ETH_HLEN + IP4_HLEN, ICMP_HLEN + len, ICMP_ECHO_REQUEST,
	                            p->id, seq, data, len);
	r = net_ip_send(f, IP_P_ICMP, ip, (size_t)n);
	uint64_t dl = p->t0 + timeout_ns;
	while (r == 0 && !p->done && rt_nanotime() < dl) {
		plat_ledger_switch(old);
		rt_releasem(rt_getm());
		net_wait_park(&p->w, dl, "ping");
		old = net_enter();
	}
	if (r == 0 && !p->done)
		r = TALLY_ETIMEDOUT;
	if (r == 0 && rtt_ns)
		*rtt_ns = p->t1 - p->t0;
	p->used = 0;
	net_leave(old);
	rt_timer_wait_idle(&p->w.timer);
	return r;
}

/* ------------------------------------------------------------ facts */

int tally_net_up(uint64_t timeout_ns)
{
	int r = net_start();
	if (r < 0)
		return r;
	uint64_t dl = rt_nanotime() + timeout_ns;
	while (!__atomic_load_n(&net_st.ip, __ATOMIC_ACQUIRE)) {
		if (rt_nanotime() >= dl)
			return TALLY_ETIMEDOUT;
		tally_sleep(1000000);  /* 1 ms: the address comes once per boot */
	}
	return 0;
}

static const char *const mode_names[] = { "hybrid", "poll", "irq" };

int tally_net_info(struct tally_net_info *ni)
{
	if (!ni)
		return TALLY_EINVAL;
	int r = net_start();
	if (r < 0)
		return r;
	memset(ni, 0, sizeof(*ni));
	unsigned old = net_enter();
	memcpy(ni->mac, net_st.mac, 6);
	ni->ip = net_st.ip;
	ni->mask = net_st.mask;
	ni->gw = net_st.gw;
	ni->dhcp = net_st.dhcp;
	ni->dhcp_server = net_st.dhcp_server;
	ni->lease = net_st.lease;
	ni->dhcp_state = net_st.dhcp ? net_st.dhcp_state : NULL;
	ni->netpoll = mode_names[net_st.mode < 3 ? net_st.mode : 0];
	net_leave(old);
	ni->link_up = plat_net_link_up(net_st.dev);
	return 0;
}

static void put(struct tally_net_stats *st, const char *name, uint64_t v)
{
	if (st->n < TALLY_NET_MAX_STATS) {
		st->c[st->n].name = name;
		st->c[st->n++].value = v;
	}
}

int tally_net_stats(struct tally_net_stats *st)
{
	if (!st)
		return TALLY_EINVAL;
	int r = net_start();
	if (r < 0)
		return r;
	static const char *const pnames[NET_DROP_NREASONS] = {
		"rx.accepted", "drop.short", "drop.truncated", "drop.bad_len", "drop.bad_csum",
		"drop.bad_version", "drop.bad_ihl", "drop.fragment", "drop.bad_option",
		"drop.bad_addr", "drop.bad_field", "drop.unsupported", "drop.not_for_us",
	};
	static const char *const snames[NET_SDROP_NREASONS] = {
		"drop.no_socket", "drop.sock_full", "drop.arp_queue_full", "drop.arp_timeout",
		"drop.tx_full", "drop.tx_dead", "drop.icmp_type", "drop.tcp_no_listener",
		"drop.arp_conflict", "drop.arp_other", "drop.no_addr",
	};
	st->n = 0;
	unsigned old = net_enter();
	put(st, "rx.frames", net_st.rx_frames);
	put(st, "rx.bytes", net_st.rx_bytes);
	put(st, "tx.frames", __atomic_load_n(&net_st.tx_frames, __ATOMIC_RELAXED));
	put(st, "tx.bytes", __atomic_load_n(&net_st.tx_bytes, __ATOMIC_RELAXED));
	for (unsigned i = 0; i < NET_DROP_NREASONS; i++)
		put(st, pnames[i], net_st.parse.n[i]);
	for (unsigned i = 0; i < NET_SDROP_NREASONS; i++)
		put(st, snames[i], __atomic_load_n(&net_st.drop[i], __ATOMIC_RELAXED));
	put(st, "arp.requests_in", net_st.arp_req_in);
	put(st, "arp.replies_in", net_st.arp_rep_in);
	put(st, "arp.requests_out", net_st.arp_req_out);
	put(st, "arp.replies_out", net_st.arp_rep_out);
	put(st, "arp.queued", net_st.arp.queued);
	put(st, "arp.evicted", net_st.arp.evicted);
	put(st, "icmp.echo_in", net_st.icmp_echo_in);
	put(st, "icmp.echo_out", net_st.icmp_echo_out);
	put(st, "icmp.reply_in", net_st.icmp_reply_in);
	put(st, "udp.in", net_st.udp_in);
	put(st, "udp.out", net_st.udp_out);
	put(st, "tcp.rst_out", net_st.tcp_rst_out);
	put(st, "rx.injected", net_st.injected);
	put(st, "rx.csum_trusted", net_st.csum_trusted);
	put(st, "tx.ring_waits", __atomic_load_n(&net_st.tx_waits, __ATOMIC_RELAXED));
	put(st, "loss.rx", __atomic_load_n(&net_st.loss_rx, __ATOMIC_RELAXED));
	put(st, "loss.tx", __atomic_load_n(&net_st.loss_tx, __ATOMIC_RELAXED));
	put(st, "net.lock_wait_ns", __atomic_load_n(&net_st.lock_wait_ns, __ATOMIC_RELAXED));
	put(st, "net.wake_ns", __atomic_load_n(&net_st.wake_ns, __ATOMIC_RELAXED));
	const char *names[24];
	uint64_t v[24];
	unsigned n = net_tcp_stats(names, v, 24);
	for (unsigned i = 0; i < n; i++)
		put(st, names[i], v[i]);
	net_leave(old);
	n = rt_netpoll_stats(names, v, 24);
	for (unsigned i = 0; i < n; i++)
		put(st, names[i], v[i]);
	static const char *const qnames[4][2] = {
		{ "dev.pair0.rx_frames", "dev.pair0.tx_frames" },
		{ "dev.pair1.rx_frames", "dev.pair1.tx_frames" },
		{ "dev.pair2.rx_frames", "dev.pair2.tx_frames" },
		{ "dev.pair3.rx_frames", "dev.pair3.tx_frames" },
	};
	for (unsigned q = 0; q < 4; q++) {
		uint64_t r, t;
		if (!plat_net_queue_stats(0, q, &r, &t))
			break;
		put(st, qnames[q][0], r);
		put(st, qnames[q][1], t);
	}
	return 0;
}

uint64_t tally_net_stat(const struct tally_net_stats *st, const char *name)
{
	for (unsigned i = 0; st && name && i < st->n; i++)
		if (!strcmp(st->c[i].name, name))
			return st->c[i].value;
	return 0;
}

int tally_net_inject(const void *frame, size_t len)
{
	if (!frame && len)
		return TALLY_EINVAL;
	int r = net_start();
	if (r < 0)
		return r;
	struct m *m = rt_acquirem();
	__atomic_add_fetch(&net_st.injected, 1, __ATOMIC_RELAXED);
	net_input(frame, len, 0);
	rt_releasem(m);
	return 0;
}

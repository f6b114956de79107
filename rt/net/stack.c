/*
 * stack.c - the network stack above the wire layer: one received frame
 * from the device to its end (an ARP answer, an ICMP echo reply, a UDP
 * socket's queue, a TCP endpoint or an RST, or a counted drop), and the
 * way out (IPv4 next hop, ARP resolution, the device).
 *
 * Purpose: net_input is the receive entry (the poller calls it for every
 * frame; tally_net_inject for a test's); net_ip_output the send exit.
 * State, locking and invariants: stack.h.
 *
 * Receive: net_rx_parse (the wire layer) checks every length, checksum
 * and address and names one reason for a refusal; then per kind:
 *   ARP   RFC 826's merge: a packet from an address in the cache
 *         refreshes it (a gratuitous or unsolicited reply included); a
 *         packet whose target is our address adds its sender and a
 *         request gets a reply.  A sender claiming our own address is
 *         counted as arp_conflict and not learnt.  An entry that becomes
 *         resolved sends the frames queued behind it.
 *   ICMP  echo request to us: echo reply with the same identifier,
 *         sequence and data, straight to the sender's MAC; echo reply:
 *         matched to an outstanding tally_ping; any other type counted
 *         (icmp_type).
 *   UDP   the socket bound to the destination port gets the datagram
 *         (copied into its queue; a parked reader is readied), else
 *         no_socket (no ICMP port unreachable is sent).
 *   TCP   net_tcp_input (tcp_sock.c): the connection with the 4-tuple,
 *         else the listener on the port, else the TCP module's RST as RFC
 *         9293 3.10.7.1 says for a closed port (none for an RST), counted
 *         as tcp_no_listener.
 * Send: the next hop is the destination on our subnet, the gateway
 * otherwise; broadcast goes to ff:ff:ff:ff:ff:ff without ARP.  A next
 * hop without an ARP entry gets a request and the frame waits in its
 * queue (4 frames; more are dropped and counted); arp_timer retries the
 * request every second, three times, then drops what waits.
 *
 * Loss injection (boot option netloss=P[,SEED]): a received frame is
 * dropped before the lock with probability P percent, and so is a frame
 * to send (reported sent); counted as loss.rx and loss.tx.
 *
 * Not done: IPv4 reassembly (fragments are dropped by the wire layer),
 * ICMP errors (port unreachable, time exceeded) are neither sent nor
 * acted on, IP options are not sent, no multicast.
 *
 * Context: see stack.h: poller (g0) or goroutine, lock held where said.
 */
#include <string.h>
#include "rt/heap/rt_malloc.h"
#include "rt/net/stack.h"
#include "rt/include/tally.h"

struct net_stack net_st;
unsigned rt_class_net, rt_class_netpoll;

#define NET_TX_WAIT_NS 500000ull  /* longest wait for room in the device's ring */

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static const char *const sdrop_names[NET_SDROP_NREASONS] = {
	"no_socket", "sock_full", "arp_queue_full", "arp_timeout", "tx_full", "tx_dead",
	"icmp_type", "tcp_no_listener", "arp_conflict", "arp_other", "no_addr",
};

const char *net_sdrop_name(unsigned r) { return r < NET_SDROP_NREASONS ? sdrop_names[r] : "?"; }

/* ------------------------------------------------------------ waits */

void net_notify(struct tally_chan *c)
{
	for (unsigned i = 0; i < net_st.nnotify; i++)
		if (net_st.notify[i] == c)
			return;
	if (net_st.nnotify == NET_READY_MAX)
		rt_throw("net: too many readiness tokens from one frame");
	net_st.notify[net_st.nnotify++] = c;
}

void net_unlock(void)
{
	struct g *gs[NET_READY_MAX];
	struct tally_chan *cs[NET_READY_MAX];
	unsigned n = net_st.nready, k = net_st.nnotify;
	memcpy(gs, net_st.ready, n * sizeof(gs[0]));
	memcpy(cs, net_st.notify, k * sizeof(cs[0]));
	net_st.nready = net_st.nnotify = 0;
	rt_unlock(&net_st.lock);
	if (!n && !k)
		return;
	/* readying is the scheduler's work (a wake-up IPI included): rt.sched.
	 * Callers are pinned or on g0, as plat_ledger_switch requires. */
	unsigned cls = plat_ledger_switch(rt_class_sched);
	uint64_t t0 = plat_nanotime();
	for (unsigned i = 0; i < n; i++)
		rt_goready(gs[i]);
	static const uint8_t token = 1;
	for (unsigned i = 0; i < k; i++)
		tally_chan_trysend(cs[i], &token);  /* full: a token waits already */
	__atomic_add_fetch(&net_st.wake_ns, plat_nanotime() - t0, __ATOMIC_RELAXED);
	plat_ledger_switch(cls);
}

void net_wait_wake(struct net_wait *w)
{
	if (!w->gp)
		return;
	if (net_st.nready == NET_READY_MAX)
		rt_throw("net: too many goroutines woken by one frame");
	net_st.ready[net_st.nready++] = w->gp;
	w->gp = NULL;
	w->seq++;
	__atomic_sub_fetch(&rt_netpoll_waiters, 1, __ATOMIC_SEQ_CST);
}

/* The deadline's timer: runs on g0, no lock held. */
static void wait_timeout(void *arg, uint64_t seq)
{
	struct net_wait *w = arg;
	rt_lock(&net_st.lock);
	if (w->gp && w->seq == seq) {
		w->timed_out = 1;
		net_wait_wake(w);
	}
	net_unlock();
}

static int wait_commit(struct g *gp, void *arg)
{
	(void)gp;
	rt_unlock(arg);
	return 1;
}

void net_wait_park(struct net_wait *w, uint64_t deadline, const char *reason)
{
	w->gp = rt_getg();
	w->timed_out = 0;
	__atomic_add_fetch(&rt_netpoll_waiters, 1, __ATOMIC_SEQ_CST);
	if (deadline) {
		rt_timer_del(&w->timer);
		w->timer.when = deadline;
		w->timer.period = 0;
		w->timer.f = wait_timeout;
		w->timer.arg = w;
		w->timer.seq = w->seq;
		rt_timer_add(&w->timer);
	}
	rt_gopark(wait_commit, &net_st.lock, reason);
	if (deadline)
		rt_timer_del(&w->timer);
}

/* rt_lock, timing the wait when the lock is taken (stats: lock_wait_ns) */
static void net_lock(void)
{
	rt_acquirem();  /* as rt_lock: the holder is not preempted */
	if (!__atomic_exchange_n(&net_st.lock.locked, 1, __ATOMIC_ACQUIRE))
		return;
	uint64_t t0 = plat_nanotime();
	do {
		while (__atomic_load_n(&net_st.lock.locked, __ATOMIC_RELAXED))
			plat_relax();
	} while (__atomic_exchange_n(&net_st.lock.locked, 1, __ATOMIC_ACQUIRE));
	__atomic_add_fetch(&net_st.lock_wait_ns, plat_nanotime() - t0, __ATOMIC_RELAXED);
}

unsigned net_enter(void)
{
	struct m *m = rt_acquirem();
	(void)m;
	unsigned old = plat_ledger_switch(rt_class_net);
	net_lock();
	return old;
}

void net_leave(unsigned old)
{
	net_unlock();
	plat_ledger_switch(old);
	rt_releasem(rt_getm());
}

/* ------------------------------------------------------------ send */

/* netloss=: 1 when this frame is to be dropped.  splitmix64 over an
 * atomic counter, so any context may draw (with or without the lock). */
static int loss_draw(void)
{
	if (!net_st.loss_ppm)
		return 0;
	uint64_t z = __atomic_add_fetch(&net_st.loss_ctr, 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z % 1000000u < net_st.loss_ppm;
}

/* The device's send and its counters (atomic: a goroutine sends its own
 * frames after dropping the lock, net_dev_send).  A frame netloss= drops
 * is counted (loss_tx) and reported sent, as a wire would lose it. */
int net_dev_send(const uint8_t *frame, size_t len)
{
	if (loss_draw()) {
		__atomic_add_fetch(&net_st.loss_tx, 1, __ATOMIC_RELAXED);
		return 0;
	}
	int r = plat_net_send(net_st.dev, frame, len);
	if (r == -2) {
		/* the ring is full of frames the device has not taken yet: it
		 * takes them on its own time (the emulator's thread), so wait a
		 * little (NET_TX_WAIT_NS) before dropping: a dropped TCP segment
		 * costs a retransmission time-out (200 ms or more) */
		uint64_t t0 = plat_nanotime();
		while (r == -2 && plat_nanotime() - t0 < NET_TX_WAIT_NS) {
			plat_relax();
			r = plat_net_send(net_st.dev, frame, len);
		}
		if (r == 0)
			__atomic_add_fetch(&net_st.tx_waits, 1, __ATOMIC_RELAXED);
	}
	if (r == 0) {
		__atomic_add_fetch(&net_st.tx_frames, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&net_st.tx_bytes, len, __ATOMIC_RELAXED);
		return 0;
	}
	unsigned why = r == -3 ? NET_SDROP_TX_DEAD : NET_SDROP_TX_FULL;
	__atomic_add_fetch(&net_st.drop[why], 1, __ATOMIC_RELAXED);
	return r == -3 ? TALLY_EDEVICE : TALLY_ENOBUFS;
}


static void arp_send(uint16_t op, const uint8_t *dst_mac, const uint8_t *tha, uint32_t tpa)
{
	uint8_t f[ETH_HLEN + 28];
	struct net_arp a = { .op = op, .spa = net_st.ip, .tpa = tpa };
	memcpy(a.sha, net_st.mac, 6);
	memcpy(a.tha, tha, 6);
	net_eth_build(f, sizeof(f), dst_mac, net_st.mac, ETH_P_ARP);
	net_arp_build(f + ETH_HLEN, sizeof(f) - ETH_HLEN, &a);
	if (net_dev_send(f, sizeof(f)) == 0) {
		if (op == ARP_OP_REQUEST)
			net_st.arp_req_out++;
		else
			net_st.arp_rep_out++;
	}
}

static void arp_resend(void *arg, uint32_t ip)
{
	(void)arg;
	static const uint8_t zero[6];
	arp_send(ARP_OP_REQUEST, bcast_mac, zero, ip);
}

static void arp_tick(void *arg, uint64_t seq);

/* Lock held: keep the retry timer armed while requests are outstanding. */
static void arp_timer_arm(uint64_t next)
{
	if (!next || net_st.arp_timer_armed)
		return;
	net_st.arp_timer_armed = 1;
	net_st.arp_timer.when = next;
	net_st.arp_timer.f = arp_tick;
	net_st.arp_timer.arg = NULL;
	rt_timer_add(&net_st.arp_timer);
}

static void arp_tick(void *arg, uint64_t seq)
{
	(void)arg, (void)seq;
	unsigned old = plat_ledger_switch(rt_class_net);
	rt_lock(&net_st.lock);
	net_st.arp_timer_armed = 0;
	uint64_t before = net_st.arp.timeouts;
	uint64_t next = arp_cache_tick(&net_st.arp, rt_nanotime(), arp_resend, NULL);
	net_st.drop[NET_SDROP_ARP_TIMEOUT] += net_st.arp.timeouts - before;
	arp_timer_arm(next);
	net_unlock();
	plat_ledger_switch(old);
}

int net_ip_output(uint8_t *frame, size_t iplen, uint32_t dst)
{
	int r = net_ip_route(frame, iplen, dst);
	return r > 0 ? net_dev_send(frame, ETH_HLEN + iplen) : r;
}

int net_ip_route(uint8_t *frame, size_t iplen, uint32_t dst)
{
	size_t len = ETH_HLEN + iplen;
	uint8_t mac[6];
	if (dst == IP4_BROADCAST || (net_st.bcast && dst == net_st.bcast)) {
		net_eth_build(frame, len, bcast_mac, net_st.mac, ETH_P_IPV4);
		return 1;
	}
	uint32_t hop = dst;
	if (!net_st.ip || (dst & net_st.mask) != (net_st.ip & net_st.mask)) {
		if (!net_st.ip || !net_st.gw) {
			net_st.drop[NET_SDROP_NO_ADDR]++;
			return TALLY_ENOADDR;
		}
		hop = net_st.gw;
	}
	uint64_t now = rt_nanotime();
	net_eth_build(frame, len, bcast_mac, net_st.mac, ETH_P_IPV4);
	if (arp_cache_lookup(&net_st.arp, hop, now, mac)) {
		memcpy(frame + ETH_DST, mac, 6);
		return 1;
	}
	int q = arp_cache_enqueue(&net_st.arp, hop, frame, len, now);
	if (q < 0) {
		net_st.drop[NET_SDROP_ARP_QUEUE_FULL]++;
		return TALLY_ENOBUFS;
	}
	if (q == ARP_Q_REQUEST) {
		arp_resend(NULL, hop);
		arp_timer_arm(now + ARP_RETRY_NS);
	}
	return 0;
}

int net_ip_prepare(uint8_t *frame, uint8_t proto, uint32_t dst, size_t l4len)
{
	struct net_ipv4 h = { .ttl = 64, .proto = proto, .df = 1, .id = net_st.ip_id++,
	                      .src = net_st.ip, .dst = dst };
	int n = net_ipv4_build(frame + ETH_HLEN, IP4_HLEN + l4len, &h, l4len);
	if (n < 0)
		return TALLY_EMSGSIZE;
	return net_ip_route(frame, IP4_HLEN + l4len, dst);
}

int net_ip_send(uint8_t *frame, uint8_t proto, uint32_t dst, size_t l4len)
{
	int r = net_ip_prepare(frame, proto, dst, l4len);
	return r > 0 ? net_dev_send(frame, ETH_HLEN + IP4_HLEN + l4len) : r;
}

void net_set_addr(uint32_t ip, uint32_t mask, uint32_t gw)
{
	__atomic_store_n(&net_st.ip, ip, __ATOMIC_RELEASE);  /* tally_net_up reads it unlocked */
	net_st.mask = ip ? mask : 0;
	net_st.gw = ip ? gw : 0;
	net_st.bcast = ip ? (ip & mask) | ~mask : 0;
	net_st.rxcfg.ip = ip;
	net_st.rxcfg.bcast = net_st.bcast;
}

/* ------------------------------------------------------------ receive */

static void arp_input(const struct net_rx *rx)
{
	const struct net_arp *a = &rx->arp;
	if (a->op == ARP_OP_REQUEST)
		net_st.arp_req_in++;
	else
		net_st.arp_rep_in++;
	if (!net_st.ip) {
		/* No address yet (DHCP not bound): nothing is for us.  A host
		 * may well ask for the address we are about to take (slirp does,
		 * for a datagram forwarded to its guest before the guest's DHCP
		 * ended) and asks again later; we sent no request to answer. */
		net_st.drop[NET_SDROP_NO_ADDR]++;
		return;
	}
	if (a->spa == net_st.ip) {
		net_st.drop[NET_SDROP_ARP_CONFLICT]++;
		return;
	}
	int for_us = net_st.ip && a->tpa == net_st.ip;
	uint64_t now = rt_nanotime();
	struct arp_entry *e = NULL;
	if (a->spa)  /* a probe (sender 0.0.0.0, RFC 5227) teaches nothing */
		e = arp_cache_update(&net_st.arp, a->spa, a->sha, now, for_us);
	if (e && e->nq) {
		/* the answer to our request: send what waited for it */
		for (unsigned i = 0; i < e->nq; i++) {
			memcpy(e->q[i] + ETH_DST, e->mac, 6);
			net_dev_send(e->q[i], e->qlen[i]);
		}
		e->nq = 0;
	}
	if (for_us && a->op == ARP_OP_REQUEST) {
		arp_send(ARP_OP_REPLY, a->sha, a->sha, a->spa);
		return;
	}
	if (!for_us && !e)
		net_st.drop[NET_SDROP_ARP_OTHER]++;
}

static void icmp_input(const struct net_rx *rx)
{
	const struct net_icmp *ic = &rx->icmp;
	if (ic->type == ICMP_ECHO_REQUEST && ic->code == 0 && rx->ip.dst == net_st.ip) {
		net_st.icmp_echo_in++;
		uint8_t f[ETH_HLEN + IP4_HLEN + 1480];
		if (ic->data_len > sizeof(f) - ETH_HLEN - IP4_HLEN - ICMP_HLEN)
			return;  /* cannot happen: a frame holds at most that */
		int n = net_icmp_build_echo(f + ETH_HLEN + IP4_HLEN, sizeof(f) - ETH_HLEN - IP4_HLEN,
		                            ICMP_ECHO_REPLY, ic->id, ic->seq, ic->data, ic->data_len);
		struct net_ipv4 h = { .ttl = 64, .proto = IP_P_ICMP, .df = 0,  /* as Linux: no DF */
		                      .id = net_st.ip_id++, .src = net_st.ip, .dst = rx->ip.src };
		net_ipv4_build(f + ETH_HLEN, sizeof(f) - ETH_HLEN, &h, (size_t)n);
		net_eth_build(f, sizeof(f), rx->eth.src, net_st.mac, ETH_P_IPV4);
		if (net_dev_send(f, ETH_HLEN + IP4_HLEN + (size_t)n) == 0)
			net_st.icmp_echo_out++;
		return;
	}
	if (ic->type == ICMP_ECHO_REPLY && ic->code == 0) {
		for (unsigned i = 0; i < NET_MAX_PINGS; i++) {
			struct net_ping *p = &net_st.pings[i];
			if (p->used && !p->done && p->id == ic->id && p->seq == ic->seq) {
				net_st.icmp_reply_in++;
				p->done = 1;
				p->t1 = rt_nanotime();
				net_wait_wake(&p->w);
				return;
			}
		}
	}
	net_st.drop[NET_SDROP_ICMP_TYPE]++;
}

static void udp_input(const struct net_rx *rx)
{
	struct tally_udp *s = NULL;
	for (unsigned i = 0; i < NET_MAX_SOCKS; i++)
		if (net_st.socks[i] && net_st.socks[i]->port == rx->udp.dport) {
			s = net_st.socks[i];
			break;
		}
	if (!s) {
		net_st.drop[NET_SDROP_NO_SOCKET]++;
		return;
	}
	if (s->n == NET_SOCK_QLEN || rx->udp.payload_len > NET_UDP_MAX) {
		s->drops++;
		net_st.drop[NET_SDROP_SOCK_FULL]++;
		return;
	}
	struct net_udp_dgram *d = &s->q[(s->head + s->n) % NET_SOCK_QLEN];
	d->ip = rx->ip.src;
	d->port = rx->udp.sport;
	d->len = (uint16_t)rx->udp.payload_len;
	memcpy(d->data, rx->udp.payload, rx->udp.payload_len);
	s->n++;
	net_st.udp_in++;
	net_wait_wake(&s->w);
	if (s->ready)
		net_notify(s->ready);
}

static void tcp_input(const struct net_rx *rx)
{
	net_tcp_input(rx);  /* tcp_sock.c: a connection, a listener, or the RST */
}

void net_input(const uint8_t *frame, size_t len, unsigned flags)
{
	unsigned old = plat_ledger_switch(rt_class_net);
	if (loss_draw()) {
		__atomic_add_fetch(&net_st.loss_rx, 1, __ATOMIC_RELAXED);
		plat_ledger_switch(old);
		return;
	}
	net_lock();
	net_st.rx_frames++;
	net_st.rx_bytes += len;
	struct net_rx rx;
	enum net_drop r = net_rx_parse_flags(&net_st.rxcfg, frame, len, flags, &rx);
	if (flags & NET_RX_L4_CSUM_OK)
		net_st.csum_trusted++;
	net_drop_count(&net_st.parse, r);
	if (r == NET_OK) {
		switch (rx.kind) {
		case NET_RX_ARP: arp_input(&rx); break;
		case NET_RX_ICMP: icmp_input(&rx); break;
		case NET_RX_UDP: udp_input(&rx); break;
		case NET_RX_TCP: tcp_input(&rx); break;
		default: break;
		}
	}
	net_unlock();
	plat_ledger_switch(old);
}

/* ------------------------------------------------------------ start */

int net_start(void)
{
	int s = __atomic_load_n(&net_st.state, __ATOMIC_ACQUIRE);
	if (s == 2)
		return 0;
	if (s == -1)
		return TALLY_ENONET;
	rt_lock(&net_st.lock);
	if (__atomic_load_n(&net_st.state, __ATOMIC_ACQUIRE) == 0) {
		if (plat_net_count() == 0) {
			__atomic_store_n(&net_st.state, -1, __ATOMIC_RELEASE);  /* no device */
			rt_unlock(&net_st.lock);
			return TALLY_ENONET;
		}
		__atomic_store_n(&net_st.state, 1, __ATOMIC_RELEASE);
		rt_class_net = (unsigned)plat_ledger_class("rt.net");
		rt_class_netpoll = (unsigned)plat_ledger_class("rt.netpoll");
		arp_cache_init(&net_st.arp);
		net_st.dev = 0;
		plat_net_mac(0, net_st.mac);
		memcpy(net_st.rxcfg.mac, net_st.mac, 6);
		uint32_t ip, mask, gw;
		plat_net_config(&net_st.mode, &ip, &mask, &gw);
		uint32_t seed;
		plat_net_loss(&net_st.loss_ppm, &seed);
		net_st.loss_ctr = (uint64_t)seed * 0x2545f4914f6cdd1dull;
		net_st.next_eport = (uint16_t)(49152 + rt_fastrand() % 16384);
		net_st.ip_id = (uint16_t)rt_fastrand();
		net_st.ping_id = (uint16_t)rt_fastrand();
		net_set_addr(ip, mask, gw);
		net_st.dhcp = ip == 0;
		rt_unlock(&net_st.lock);
		rt_netpoll_start(net_st.mode);
		__atomic_store_n(&net_st.state, 2, __ATOMIC_RELEASE);
		if (net_st.dhcp)
			tally_go(net_dhcp_main, NULL);  /* it opens its socket: running first */
		return 0;
	}
	rt_unlock(&net_st.lock);
	while ((s = __atomic_load_n(&net_st.state, __ATOMIC_ACQUIRE)) == 1)
		tally_yield();
	return s == 2 ? 0 : TALLY_ENONET;
}

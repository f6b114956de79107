/*
 * rt_net_hosted.c - the network part of the platform contract
 * (rt/platform.h, "network devices") in the hosted build: an in-memory
 * Ethernet link, so the whole stack (rt/net/, rt/netpoll.c) runs under
 * cmocka, ASan/UBSan and TSan with a test playing the peer.
 *
 * Purpose: device 0 exists once a test calls rt_test_net_enable (its MAC,
 * the netpoll mode and a static address or none, as the boot options
 * would give).  Frames the stack sends go to the tx queue, which the test
 * reads with rt_test_net_take (any thread, with a timeout); frames the
 * test writes with rt_test_net_inject (any thread) go to the rx queue,
 * which plat_net_recv reads.  While the receive interrupt is on, an
 * inject calls rt_netpoll_irq() from the injecting thread, as the
 * device's interrupt would from the interrupt path.
 *
 * With rt_test_net_event_idx(1) the link interrupts as virtio-net with
 * EVENT_IDX at its weakest: only for the frame at the ring position the
 * driver last published, the count of frames read when the interrupt was
 * last turned on.  The position a driver stores as it reads, with no
 * fence (drivers/virtio/virtq.c), is modelled as never seen; only arming
 * publishes it.  So a frame that comes while others wait unread, or after
 * frames were read since the last arming, raises nothing: the poller must
 * re-arm after it empties the ring (rt/platform.h, plat_net_rx_irq).
 *
 * rt_test_net_hold(n) stops the poller inside its poll: once n more
 * frames were read, the next plat_net_recv waits (outside the lock) until
 * rt_test_net_release or 5 s, so that a test can look at the stack while
 * a poll that delivered frames has not returned.
 *
 * Data structures: two rings of HL_FRAMES frames of up to 1514 bytes, one
 * lock and one condition (tx) for both; the frame handed out by
 * plat_net_recv is copied into `held` until recv_done (one at a time:
 * the poller polls on one M at a time).
 *
 * Locking: hl.lock guards everything here; no runtime lock is taken under
 * it, and rt_netpoll_irq is called after it is dropped.
 * Context: any thread; every function is in rt_hosted_text (never
 * preempted while it holds the pthread mutex).
 */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include "rt/platform.h"
#include "rt/rt_port.h"
#include "rt/hosted/hosted.h"

#define HL_FRAMES 256
#define HL_MAX 1514

struct hl_ring {
	uint8_t data[HL_FRAMES][HL_MAX];
	uint16_t len[HL_FRAMES];
	unsigned head, n;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int enabled, irq, held;
	int event_idx;                 /* rt_test_net_event_idx */
	uint64_t hold_after;           /* rt_test_net_hold: 0, or frames read before the hold */
	volatile int released;
	uint64_t consumed, published;  /* rx frames read; consumed at the last arming */
	uint8_t mac[6];
	unsigned mode;
	uint32_t ip, mask, gw;
	uint64_t irqs, sent, refused;
	struct hl_ring rx, tx;
	uint8_t cur[HL_MAX];
} hl = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

RT_HOSTED_TEXT static int ring_put(struct hl_ring *r, const void *f, size_t len)
{
	if (r->n == HL_FRAMES || len > HL_MAX)
		return -1;
	unsigned i = (r->head + r->n) % HL_FRAMES;
	memcpy(r->data[i], f, len);
	r->len[i] = (uint16_t)len;
	r->n++;
	return 0;
}

RT_HOSTED_TEXT static size_t ring_get(struct hl_ring *r, void *buf, size_t cap)
{
	size_t len = r->len[r->head];
	memcpy(buf, r->data[r->head], len < cap ? len : cap);
	r->head = (r->head + 1) % HL_FRAMES;
	r->n--;
	return len;
}

RT_HOSTED_TEXT void rt_test_net_enable(const uint8_t mac[6], unsigned mode, uint32_t ip,
                                       uint32_t mask, uint32_t gw)
{
	pthread_mutex_lock(&hl.lock);
	hl.enabled = 1;
	memcpy(hl.mac, mac, 6);
	hl.mode = mode;
	hl.ip = ip;
	hl.mask = mask;
	hl.gw = gw;
	pthread_mutex_unlock(&hl.lock);
}

RT_HOSTED_TEXT void rt_test_net_hold(uint64_t frames)
{
	pthread_mutex_lock(&hl.lock);
	hl.hold_after = hl.consumed + frames;
	__atomic_store_n(&hl.released, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&hl.lock);
}

RT_HOSTED_TEXT void rt_test_net_release(void) { __atomic_store_n(&hl.released, 1, __ATOMIC_RELEASE); }

RT_HOSTED_TEXT void rt_test_net_event_idx(int on)
{
	pthread_mutex_lock(&hl.lock);
	hl.event_idx = on;
	pthread_mutex_unlock(&hl.lock);
}

RT_HOSTED_TEXT int rt_test_net_inject(const void *frame, size_t len)
{
	pthread_mutex_lock(&hl.lock);
	uint64_t pos = hl.consumed + hl.rx.n;  /* the new frame's ring position */
	int r = ring_put(&hl.rx, frame, len);
	int irq = r == 0 && hl.irq && (!hl.event_idx || pos == hl.published);
	if (irq)
		hl.irqs++;
	pthread_mutex_unlock(&hl.lock);
	if (irq)
		rt_netpoll_irq();
	return r;
}

RT_HOSTED_TEXT size_t rt_test_net_take(void *buf, size_t cap, uint64_t timeout_ns)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ns = (uint64_t)ts.tv_nsec + timeout_ns;
	ts.tv_sec += (time_t)(ns / 1000000000u);
	ts.tv_nsec = (long)(ns % 1000000000u);
	pthread_mutex_lock(&hl.lock);
	while (hl.tx.n == 0)
		if (pthread_cond_timedwait(&hl.cond, &hl.lock, &ts))
			break;
	size_t len = hl.tx.n ? ring_get(&hl.tx, buf, cap) : 0;
	pthread_mutex_unlock(&hl.lock);
	return len;
}

RT_HOSTED_TEXT uint64_t rt_test_net_irqs(void)
{
	pthread_mutex_lock(&hl.lock);
	uint64_t n = hl.irqs;
	pthread_mutex_unlock(&hl.lock);
	return n;
}

RT_HOSTED_TEXT unsigned plat_net_count(void)
{
	pthread_mutex_lock(&hl.lock);
	unsigned n = hl.enabled ? 1 : 0;
	pthread_mutex_unlock(&hl.lock);
	return n;
}

RT_HOSTED_TEXT void plat_net_mac(unsigned dev, uint8_t mac[6])
{
	(void)dev;
	pthread_mutex_lock(&hl.lock);
	memcpy(mac, hl.mac, 6);
	pthread_mutex_unlock(&hl.lock);
}

RT_HOSTED_TEXT int plat_net_link_up(unsigned dev) { return dev == 0 && plat_net_count(); }

RT_HOSTED_TEXT int plat_net_send(unsigned dev, const void *frame, size_t len)
{
	if (dev != 0 || len < 14 || len > HL_MAX)
		return -1;
	pthread_mutex_lock(&hl.lock);
	int r = ring_put(&hl.tx, frame, len);
	if (r == 0) {
		hl.sent++;
		pthread_cond_broadcast(&hl.cond);
	} else {
		hl.refused++;
	}
	pthread_mutex_unlock(&hl.lock);
	return r == 0 ? 0 : -2;
}

RT_HOSTED_TEXT int plat_net_recv(unsigned dev, struct plat_net_frame *f)
{
	if (dev != 0)
		return 0;
	pthread_mutex_lock(&hl.lock);
	if (hl.hold_after && hl.consumed >= hl.hold_after && !__atomic_load_n(&hl.released, __ATOMIC_ACQUIRE)) {
		/* rt_test_net_hold: the poller stops here, inside its poll, until
		 * released (at most 5 s) */
		pthread_mutex_unlock(&hl.lock);
		for (int i = 0; i < 5000 && !__atomic_load_n(&hl.released, __ATOMIC_ACQUIRE); i++)
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
		pthread_mutex_lock(&hl.lock);
		__atomic_store_n(&hl.released, 1, __ATOMIC_RELEASE);
	}
	int got = 0;
	if (hl.rx.n) {
		if (hl.held) {
			pthread_mutex_unlock(&hl.lock);
			plat_write("hosted net: recv while a frame is held\n", 39);
			return 0;
		}
		f->len = (uint32_t)ring_get(&hl.rx, hl.cur, sizeof(hl.cur));
		hl.consumed++;
		f->data = hl.cur;
		f->cookie = 1;
		f->csum_ok = 0;   /* the hosted link vouches for nothing */
		hl.held = 1;
		got = 1;
	}
	pthread_mutex_unlock(&hl.lock);
	return got;
}

RT_HOSTED_TEXT void plat_net_recv_done(unsigned dev, const struct plat_net_frame *f)
{
	(void)dev, (void)f;
	pthread_mutex_lock(&hl.lock);
	hl.held = 0;
	pthread_mutex_unlock(&hl.lock);
}

RT_HOSTED_TEXT unsigned plat_net_rx_pending(unsigned dev)
{
	(void)dev;
	pthread_mutex_lock(&hl.lock);
	unsigned n = hl.rx.n;
	pthread_mutex_unlock(&hl.lock);
	return n;
}

RT_HOSTED_TEXT void plat_net_rx_irq(unsigned dev, int on)
{
	(void)dev;
	pthread_mutex_lock(&hl.lock);
	hl.irq = on;
	if (on)
		hl.published = hl.consumed;
	pthread_mutex_unlock(&hl.lock);
}

RT_HOSTED_TEXT int plat_net_queue_stats(unsigned dev, unsigned q, uint64_t *rx_frames,
                                        uint64_t *tx_frames)
{
	(void)dev, (void)q, (void)rx_frames, (void)tx_frames;
	return 0;  /* the hosted link has no queue pairs */
}

RT_HOSTED_TEXT void plat_net_loss(uint32_t *ppm, uint32_t *seed)
{
	*ppm = 0;  /* the hosted link injects its own faults */
	*seed = 1;
}

static uint32_t hl_fin_timeout;   /* rt_test_net_fin_timeout: tcp_fin_timeout= */

RT_HOSTED_TEXT void rt_test_net_fin_timeout(uint32_t us) { hl_fin_timeout = us; }

RT_HOSTED_TEXT uint32_t plat_net_tcp_fin_timeout(void)
{
	return hl_fin_timeout;   /* 0 (the default) unless a test set one */
}

RT_HOSTED_TEXT void plat_net_config(unsigned *mode, uint32_t *ip, uint32_t *mask, uint32_t *gw)
{
	pthread_mutex_lock(&hl.lock);
	*mode = hl.mode;
	*ip = hl.ip;
	*mask = hl.mask;
	*gw = hl.gw;
	pthread_mutex_unlock(&hl.lock);
}

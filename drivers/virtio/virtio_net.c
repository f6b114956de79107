/*
 * virtio_net.c - virtio-net (virtio 1.x section 5.1) over the modern PCI
 * transport: one queue pair (receive 2k, transmit 2k+1) per CPU when the
 * device offers several (NET_F_MQ), else one.
 *
 * Purpose: the device side of the network.  The probe brings the device
 * up (virtio_pci.c), negotiates, fills the receive ring, reads the MAC
 * and prints one line with what was negotiated; the calls in
 * virtio_net.h move frames.  No protocol is parsed here.
 *
 * Negotiated when offered: VIRTIO_F_VERSION_1 (required), EVENT_IDX,
 * NET_F_MAC (else a random locally administered unicast MAC is made from
 * the cycle counter), NET_F_STATUS (link state), NET_F_MRG_RXBUF,
 * NET_F_CSUM (the device could complete a partial checksum; transmit
 * headers ask for no offload yet, so it never has to), NET_F_GUEST_CSUM,
 * NET_F_CTRL_VQ and NET_F_MQ together (below), and VIRTIO_F_RING_PACKED
 * with the boot option virtio_packed=on (every queue packed: virtq.h;
 * docs/net.md, "Packed virtqueues").
 * Nothing here depends on the layout.  Not negotiated: the GSO/TSO
 * family, HASH_REPORT, INDIRECT_DESC.
 *
 * Receive checksums (GUEST_CSUM, 5.1.6.4): a frame's header flags say
 * NEEDS_CSUM (its L4 checksum is partial, the pseudo-header sum only; the
 * data was checked where it was made: Linux hands its own segments to a
 * tap so) or DATA_VALID (the device checked it), or neither.  They are
 * passed up in virtio_net_frame.csum; the stack then skips that one
 * checksum and verifies every other (rt/net/rx.c).  A frame with neither
 * is verified in full, so corruption the device did not vouch for is
 * still caught.  (Negotiated before the stack honoured the flags, every
 * TCP segment from a tap's host was dropped as bad_csum.)
 *
 * Header: with VERSION_1 every frame on a ring is preceded by the 12-byte
 * struct virtio_net_hdr (flags, gso_type, hdr_len, gso_size, csum_start,
 * csum_offset, num_buffers), whether or not MRG_RXBUF was negotiated
 * (virtio 1.x 5.1.6); HASH_REPORT would make it 20.
 *
 * Multiqueue (5.1.6.5.5): with MQ the device has max_virtqueue_pairs
 * (configuration offset 8) pairs and a control queue after them (index
 * 2 x max).  The driver sets up npairs = min(max, CPUs, VNET_QMAX, what
 * the MSI-X table can route: 1 + 2 x npairs entries) pairs; pair k's
 * receive and transmit entries (1 + 2k, 2 + 2k) are routed to CPU k.
 * After DRIVER_OK, when npairs > 1, one VQ_PAIRS_SET command on the
 * control queue (class 4, command 0, the count; the device writes an ack
 * byte, 0 = OK) makes the device use them; the command is polled for,
 * at most 1 s.  A send goes out on the pair of the CPU it runs on (its
 * own lock, so CPUs do not contend); a receive call takes a frame from
 * the caller's CPU's pair first, then from the others, so one poller
 * still drains every pair.  The host spreads flows over the receive
 * queues (Linux's tap: by flow hash).  Counters are kept per pair
 * (virtio_net_pair_stats) and summed by virtio_net_stats.
 *
 * Buffers: VNET_RING receive and VNET_RING transmit buffers of VNET_BUF
 * bytes each per pair, one pmem block per direction (virtio_dma_alloc: the
 * device gets physical addresses, the CPU the same number through the
 * direct map).  A receive buffer holds header + the largest frame, so
 * with no GSO negotiated the device never needs a second buffer; a frame
 * that arrives with num_buffers > 1 anyway is dropped with its buffers
 * (counted, not reassembled).  The buffer index is the virtqueue token
 * (index + 1, never NULL).
 *
 * Invariants: every receive buffer is on the ring or handed out to a
 * caller (rx_held[i] == 1); every transmit buffer is on the ring or
 * on tx_free: ntx_free + transmit chains in flight == VNET_RING.
 *
 * Interrupts for the poller: virtio_net_rx_interrupts asks for receive
 * interrupts or not (virtq_interrupts: the avail ring's NO_INTERRUPT flag,
 * or used_event with EVENT_IDX), virtio_net_set_rx_notify names the
 * function the receive interrupt's handler calls after its flag
 * (rt_netpoll_irq, which only sets flags and wakes a CPU).
 *
 * Locking: a pair's rx_lock guards its receive queue and rx counters,
 * its tx_lock the transmit queue, tx_free and tx counters; never two at
 * once.  The control queue is used once, in the probe.  Callers are
 * pinned (cpu_ledger_enter) while a lock is held, so no preemption
 * inside; interrupt handlers take no lock (they only count: virtio_pci.c).
 * Context: probe at boot (its set-up is charged to kern.boot); the rest
 * from thread or boot context, charged to kern.driver.
 */
#include <string.h>
#include "arch/arch.h"
#include "drivers/virtio/virtio_net.h"
#include "drivers/virtio/virtio_pci.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/spinlock.h"
#include "kernel/ledger.h"
#include "kernel/lib/kprintf.h"

#define VNET_MAX  2
#define VNET_QMAX 4        /* queue pairs driven at most */
#define VNET_RING 128
#define VNET_BUF  2048
#define HDR_MAX   20
#define NET_S_LINK_UP 1u
#define CFG_MAC    0
#define CFG_STATUS 6
#define CFG_MAX_PAIRS 8
/* MSI-X table entries: config change, then receive and transmit of each pair */
#define ENTRY_CONFIG 0
#define ENTRY_RX(k)  (1 + 2 * (k))
#define ENTRY_TX(k)  (2 + 2 * (k))
/* control queue (5.1.6.5) */
#define CTRL_MQ             4
#define CTRL_MQ_PAIRS_SET   0
#define CTRL_OK             0

struct vnet_pair {
	struct virtq rx, tx;
	struct spinlock rx_lock, tx_lock;
	uint8_t *rx_mem, *tx_mem;   /* VNET_RING * VNET_BUF each */
	uint64_t rx_pa, tx_pa;
	uint8_t rx_held[VNET_RING]; /* 1: receive buffer handed to a caller */
	uint16_t tx_free[VNET_RING];
	unsigned ntx_free;
	volatile uint64_t rx_irqs, tx_irqs;   /* written by the handler */
	volatile uint32_t rx_flag, tx_flag;
	struct virtio_net_qstats rxs, txs;
};

struct virtio_net {
	struct virtio_dev vdev;
	struct vnet_pair p[VNET_QMAX];
	struct virtq ctrl;        /* the control queue (only when npairs > 1) */
	unsigned npairs;          /* pairs in use, 1..VNET_QMAX */
	uint16_t max_pairs;       /* the device's (1 without MQ) */
	uint8_t mac[6];
	uint8_t mac_random;       /* no NET_F_MAC: made up here */
	uint8_t polled;           /* fewer than 3 MSI-X entries: no interrupts */
	uint16_t hdr_len;
	char where[16];
};

static struct virtio_net devs[VNET_MAX];
static unsigned ndevs;

static const char *const drop_names[VNET_DROP_NREASONS] = {
	"runt", "multibuf", "bad_hdr", "device", "bad_len", "ring_full", "dead",
};

const char *virtio_net_drop_name(unsigned r) { return r < VNET_DROP_NREASONS ? drop_names[r] : "?"; }

unsigned virtio_net_hdr_len(uint64_t f)
{
	unsigned n = (f & (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF)))
	                     ? 12 : 10;
	if (f & VIRTIO_BIT(VIRTIO_NET_F_HASH_REPORT))
		n += 8;
	return n;
}

/* Queue receive buffer i (device-writable, whole buffer).  rx_lock held. */
static int rx_post(struct vnet_pair *p, unsigned i)
{
	struct virtq_buf b = { p->rx_pa + (uint64_t)i * VNET_BUF, VNET_BUF };
	return virtq_add(&p->rx, &b, 0, 1, (void *)(uintptr_t)(i + 1));
}

/* The pair of the CPU c (pinned by cpu_ledger_enter). */
static struct vnet_pair *cpu_pair(struct virtio_net *n, const struct cpu *c, unsigned *k)
{
	*k = (unsigned)(c - cpus) % n->npairs;
	return &n->p[*k];
}

static void random_mac(uint8_t mac[6])
{
	/* splitmix64 of the cycle counter: not secret, only unlikely to
	 * collide with another guest's */
	uint64_t z = arch_cycles() + 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(z >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);   /* unicast, locally administered */
}

static const struct pci_id virtio_net_ids[] = {
	{ VIRTIO_VENDOR, 0x1000 },   /* transitional network device */
	{ VIRTIO_VENDOR, 0x1041 },   /* modern-only network device */
	{ 0, 0 },
};

static int probe(struct virtio_net *n, struct pci_dev *d);

static int virtio_net_probe(struct pci_dev *d)
{
	if (ndevs >= VNET_MAX)
		return -1;
	struct virtio_net *n = &devs[ndevs];
	int rc = probe(n, d);
	if (rc < -2)
		virtio_pci_close(&n->vdev);   /* opened: routed interrupts go */
	if (rc == 0) {
		d->driver_data = n;
		ndevs++;
	}
	return rc;
}

/* Set up pair k's queues, buffers and interrupts (routed to CPU k). */
static int pair_setup(struct virtio_net *n, unsigned k, int irq)
{
	struct virtio_dev *v = &n->vdev;
	struct vnet_pair *p = &n->p[k];
	if (virtio_pci_queue(v, &p->rx, (uint16_t)(2 * k), VNET_RING, irq ? ENTRY_RX(k) : -1, k,
	                     &p->rx_irqs, &p->rx_flag) < 0 ||
	    virtio_pci_queue(v, &p->tx, (uint16_t)(2 * k + 1), VNET_RING, irq ? ENTRY_TX(k) : -1,
	                     k, &p->tx_irqs, &p->tx_flag) < 0)
		return -4;
	p->rx_mem = virtio_dma_alloc((size_t)p->rx.size * VNET_BUF, &p->rx_pa);
	p->tx_mem = virtio_dma_alloc((size_t)p->tx.size * VNET_BUF, &p->tx_pa);
	if (!p->rx_mem || !p->tx_mem) {
		virtio_pci_fail(v, "out of memory for packet buffers");
		return -6;
	}
	for (unsigned i = 0; i < p->rx.size; i++)
		if (rx_post(p, i) < 0) {
			virtio_pci_fail(v, "receive ring refused a buffer");
			return -7;
		}
	for (unsigned i = 0; i < p->tx.size; i++)
		p->tx_free[i] = (uint16_t)i;
	p->ntx_free = p->tx.size;
	return 0;
}

/* VQ_PAIRS_SET on the control queue (after DRIVER_OK), polled for at most
 * 1 s: 0, or -1 with the device failed and a line printed. */
static int set_pairs(struct virtio_net *n)
{
	struct virtio_dev *v = &n->vdev;
	struct virtq *ctrl = &n->ctrl;
	uint64_t pa;
	uint8_t *m = virtio_dma_alloc(64, &pa);
	if (!m) {
		virtio_pci_fail(v, "out of memory for the control queue");
		return -1;
	}
	m[0] = CTRL_MQ;
	m[1] = CTRL_MQ_PAIRS_SET;
	uint16_t np = (uint16_t)n->npairs;
	memcpy(m + 2, &np, 2);       /* little-endian, as virtio 1.x fields are */
	m[4] = 0xff;                 /* the ack the device overwrites */
	struct virtq_buf b[3] = { { pa, 2 }, { pa + 2, 2 }, { pa + 4, 1 } };
	if (virtq_add(ctrl, b, 2, 1, (void *)1) < 0) {
		virtio_pci_fail(v, "control queue refused the command");
		return -1;
	}
	virtq_kick(ctrl);
	virtio_pci_notify(v, ctrl);
	uint64_t t0 = arch_cycles(), limit = arch_cycles_hz() ? arch_cycles_hz() : 3000000000ull;
	uint32_t len;
	while (!virtq_get(ctrl, &len)) {
		if (arch_cycles() - t0 > limit) {
			virtio_pci_fail(v, "no answer to VQ_PAIRS_SET within 1 s");
			return -1;
		}
		arch_pause();
	}
	if (__atomic_load_n(&m[4], __ATOMIC_ACQUIRE) != CTRL_OK) {
		char why[64];
		ksnprintf(why, sizeof(why), "VQ_PAIRS_SET %u refused (ack %u)", n->npairs, m[4]);
		virtio_pci_fail(v, why);
		return -1;
	}
	return 0;
}

static int probe(struct virtio_net *n, struct pci_dev *d)
{
	memset(n, 0, sizeof(*n));
	ksnprintf(n->where, sizeof(n->where), "%02x:%02x.%x", d->bus, d->dev, d->fn);
	struct virtio_dev *v = &n->vdev;
	if (virtio_pci_open(v, d, "virtio-net") < 0)
		return -2;
	uint64_t want = VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_NET_F_MAC) |
	                VIRTIO_BIT(VIRTIO_NET_F_STATUS) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) |
	                VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM);
	/* MQ needs the control queue to be switched on, and the control
	 * queue is used for nothing else; one CPU has no use for a second pair */
	uint64_t mq = VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ) | VIRTIO_BIT(VIRTIO_NET_F_MQ);
	if ((v->offered & mq) == mq && cpu_count() > 1)
		want |= mq;
	if (virtio_options_packed())
		want |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	if (virtio_pci_negotiate(v, want, VIRTIO_BIT(VIRTIO_F_VERSION_1)) < 0)
		return -3;
	n->hdr_len = (uint16_t)virtio_net_hdr_len(v->features);
	int msi = pci_msi_possible(d);
	int irq = d->has_msix && d->msix.size > ENTRY_TX(0) && msi;
	/* no MSI on this machine (aarch64 with a GICv2, or no ITS): the INTx
	 * pin, one interrupt for every queue, else polling */
	int intx = !msi && d->irq_pin && virtio_pci_use_intx(v) == 0;
	if (intx)
		irq = 1;
	n->polled = !irq;
	if (!irq)
		kprintf("tally: virtio-net %s: %s; no interrupts, polling only\n", n->where,
		        msi ? "fewer than 3 MSI-X entries"
		            : "this machine takes no MSI-X messages (no ITS) and no INTx");
	else if (intx)
		kprintf("tally: virtio-net %s: this machine takes no MSI-X messages (no ITS): "
		        "INTx on interrupt %d, one queue pair\n", n->where, v->intx_vector);
	n->max_pairs = 1;
	n->npairs = 1;
	if ((v->features & mq) == mq) {
		uint16_t mp = 0;
		if (virtio_pci_config(v, CFG_MAX_PAIRS, &mp, 2) < 0 || mp < 1 || mp > 0x8000) {
			virtio_pci_fail(v, "MQ offered but max_virtqueue_pairs is missing or out "
			                   "of 1..0x8000");
			return -3;
		}
		n->max_pairs = mp;
		unsigned k = mp < cpu_count() ? mp : cpu_count();
		if (k > VNET_QMAX)
			k = VNET_QMAX;
		while (k > 1 && irq && !intx && d->msix.size <= ENTRY_TX(k - 1))
			k--;   /* every pair gets its own two entries, or is not used */
		if (intx)
			k = 1;   /* one shared line: more pairs would only share it */
		n->npairs = k;
	}
	for (unsigned k = 0; k < n->npairs; k++) {
		int rc = pair_setup(n, k, irq);
		if (rc < 0)
			return rc;
	}
	if (irq && virtio_pci_config_irq(v, ENTRY_CONFIG) < 0) {
		virtio_pci_fail(v, "no config-change interrupt");
		return -5;
	}
	if (v->features & VIRTIO_BIT(VIRTIO_NET_F_MAC)) {
		if (virtio_pci_config(v, CFG_MAC, n->mac, 6) < 0) {
			virtio_pci_fail(v, "MAC offered but the device configuration is too short");
			return -8;
		}
	} else {
		random_mac(n->mac);
		n->mac_random = 1;
	}
	/* the control queue is set up before DRIVER_OK (queues may not be
	 * added after it) and used after it */
	if (n->npairs > 1 &&
	    virtio_pci_queue(v, &n->ctrl, (uint16_t)(2 * n->max_pairs), 8, -1, 0, NULL, NULL) < 0)
		return -4;
	virtio_pci_ready(v);
	if (n->npairs > 1 && set_pairs(n) < 0)
		return -9;
	for (unsigned k = 0; k < n->npairs; k++)
		if (virtq_kick(&n->p[k].rx))
			virtio_pci_notify(v, &n->p[k].rx);
	if (virtio_pci_check(v) < 0)
		return -9;
	uint64_t f = v->features;
	char pairs[48] = "";
	if (f & VIRTIO_BIT(VIRTIO_NET_F_MQ))
		ksnprintf(pairs, sizeof(pairs), ", %u of %u pairs (pair k on CPU k)", n->npairs,
		          n->max_pairs);
	kprintf("tally: virtio-net %s: mac %02x:%02x:%02x:%02x:%02x:%02x%s link %s, queues "
	        "rx %u tx %u%s, header %u bytes, %s; features%s%s%s%s%s%s%s%s%s%s\n", n->where,
	        n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5],
	        n->mac_random ? " (random)" : "", virtio_net_link_up(n) ? "up" : "down",
	        n->p[0].rx.size, n->p[0].tx.size, pairs, n->hdr_len,
	        intx ? "INTx" : irq ? "MSI-X" : "polled",
	        " version_1",
	        f & VIRTIO_BIT(VIRTIO_F_EVENT_IDX) ? " event_idx" : "",
	        f & VIRTIO_BIT(VIRTIO_NET_F_MAC) ? " mac" : "",
	        f & VIRTIO_BIT(VIRTIO_NET_F_STATUS) ? " status" : "",
	        f & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) ? " mrg_rxbuf" : "",
	        f & VIRTIO_BIT(VIRTIO_NET_F_CSUM) ? " csum" : "",
	        f & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) ? " guest_csum" : "",
	        f & VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ) ? " ctrl_vq" : "",
	        f & VIRTIO_BIT(VIRTIO_NET_F_MQ) ? " mq" : "",
	        f & VIRTIO_BIT(VIRTIO_F_RING_PACKED) ? " packed" : "");
	if (v->mmio_fence)
		kprintf("tally: virtio-net %s: one CPU under a hypervisor: queue fences by a "
		        "register read (virtio_pci.c, \"Fences\")\n", n->where);
	return 0;
}

PCI_DRIVER(virtio_net, "virtio-net", virtio_net_ids, virtio_net_probe);

struct virtio_net *virtio_net_get(unsigned i) { return i < ndevs ? &devs[i] : NULL; }
const uint8_t *virtio_net_mac(const struct virtio_net *n) { return n->mac; }
uint64_t virtio_net_features(const struct virtio_net *n) { return n->vdev.features; }
const char *virtio_net_where(const struct virtio_net *n) { return n->where; }
int virtio_net_polled(const struct virtio_net *n) { return n->polled; }

unsigned virtio_net_pairs(const struct virtio_net *n) { return n->npairs; }

void virtio_net_rx_interrupts(struct virtio_net *n, int on)
{
	struct cpu *c = cpu_ledger_enter(LC_KERN_DRIVER);
	for (unsigned k = 0; k < n->npairs; k++) {
		struct vnet_pair *p = &n->p[k];
		spin_lock(&p->rx_lock);
		virtq_interrupts(&p->rx, on);
		spin_unlock(&p->rx_lock);
	}
	cpu_ledger_leave(c);
}

unsigned virtio_net_rx_pending(struct virtio_net *n)
{
	unsigned w = 0;
	for (unsigned k = 0; k < n->npairs; k++)
		w += virtq_pending(&n->p[k].rx);
	return w;
}

void virtio_net_set_rx_notify(struct virtio_net *n, void (*fn)(void))
{
	if (!n->polled)
		for (unsigned k = 0; k < n->npairs; k++)
			virtio_pci_set_notify(&n->p[k].rx_flag, fn);
}

int virtio_net_link_up(struct virtio_net *n)
{
	if (!(n->vdev.features & VIRTIO_BIT(VIRTIO_NET_F_STATUS)))
		return 1;
	uint16_t s = 0;
	if (virtio_pci_config(&n->vdev, CFG_STATUS, &s, 2) < 0)
		return 0;
	return (s & NET_S_LINK_UP) != 0;
}

/* Device-side refusals the queue counted since we last looked. */
static uint64_t device_faults(const struct virtq *q)
{
	return q->st.bad_id + q->st.dup_id + q->st.bad_len + q->st.bad_idx;
}

/* A config interrupt may announce DEVICE_NEEDS_RESET: look at the status
 * then, not on every call (an uncached read). */
static void config_check(struct virtio_net *n)
{
	if (__atomic_exchange_n(&n->vdev.config_changed, 0, __ATOMIC_ACQUIRE))
		virtio_pci_check(&n->vdev);
}

/* p->tx_lock held. */
static unsigned tx_reap(struct vnet_pair *p)
{
	unsigned got = 0;
	uint32_t len;
	void *tok;
	uint64_t before = device_faults(&p->tx);
	while ((tok = virtq_get(&p->tx, &len)) != NULL) {
		uintptr_t i = (uintptr_t)tok - 1;
		p->tx_free[p->ntx_free++] = (uint16_t)i;
		got++;
	}
	p->txs.completed += got;
	p->txs.drops[VNET_DROP_DEVICE] += device_faults(&p->tx) - before;
	return got;
}

unsigned virtio_net_tx_complete(struct virtio_net *n)
{
	struct cpu *c = cpu_ledger_enter(LC_KERN_DRIVER);
	unsigned got = 0;
	for (unsigned k = 0; k < n->npairs; k++) {
		struct vnet_pair *p = &n->p[k];
		spin_lock(&p->tx_lock);
		got += tx_reap(p);
		spin_unlock(&p->tx_lock);
	}
	cpu_ledger_leave(c);
	return got;
}

int virtio_net_send(struct virtio_net *n, const void *frame, size_t len)
{
	int rc = 0;
	struct cpu *c = cpu_ledger_enter(LC_KERN_DRIVER);
	unsigned k;
	struct vnet_pair *p = cpu_pair(n, c, &k);
	spin_lock(&p->tx_lock);
	if (len < VIRTIO_NET_FRAME_MIN || len > VIRTIO_NET_FRAME_MAX) {
		p->txs.drops[VNET_DROP_BAD_LEN]++;
		rc = -1;
		goto out;
	}
	config_check(n);
	if (n->vdev.failed || p->tx.broken) {
		p->txs.drops[VNET_DROP_DEAD]++;
		rc = -3;
		goto out;
	}
	if (p->ntx_free == 0)
		tx_reap(p);
	if (p->ntx_free == 0) {
		p->txs.drops[VNET_DROP_RING_FULL]++;
		rc = -2;
		goto out;
	}
	uint16_t i = p->tx_free[--p->ntx_free];
	uint8_t *buf = p->tx_mem + (size_t)i * VNET_BUF;
	memset(buf, 0, n->hdr_len);   /* no offload asked, gso none, num_buffers 0 */
	memcpy(buf + n->hdr_len, frame, len);
	struct virtq_buf b = { p->tx_pa + (uint64_t)i * VNET_BUF, (uint32_t)(n->hdr_len + len) };
	if (virtq_add(&p->tx, &b, 1, 0, (void *)(uintptr_t)(i + 1)) < 0) {
		/* cannot happen while ntx_free tracks the ring; count, not trust */
		p->tx_free[p->ntx_free++] = i;
		p->txs.drops[VNET_DROP_RING_FULL]++;
		rc = -2;
		goto out;
	}
	p->txs.frames++;
	p->txs.bytes += len;
	if (virtq_kick(&p->tx))
		virtio_pci_notify(&n->vdev, &p->tx);
out:
	spin_unlock(&p->tx_lock);
	cpu_ledger_leave(c);
	return rc;
}

/* Put buffer i back on pair p's receive ring and tell the device.  rx_lock held. */
static void rx_refill(struct virtio_net *n, struct vnet_pair *p, unsigned i)
{
	if (rx_post(p, i) >= 0 && virtq_kick(&p->rx))
		virtio_pci_notify(&n->vdev, &p->rx);
}

/* One frame from pair k, or 0.  p->rx_lock held. */
static int recv_pair(struct virtio_net *n, unsigned k, struct virtio_net_frame *f)
{
	struct vnet_pair *p = &n->p[k];
	while (!n->vdev.failed) {
		uint32_t len;
		void *tok = virtq_get(&p->rx, &len);
		if (!tok)
			return 0;
		unsigned i = (unsigned)((uintptr_t)tok - 1);
		uint8_t *buf = p->rx_mem + (size_t)i * VNET_BUF;
		if (len < n->hdr_len + VIRTIO_NET_FRAME_MIN) {
			p->rxs.drops[VNET_DROP_RUNT]++;
			rx_refill(n, p, i);
			continue;
		}
		uint16_t nbuf;
		memcpy(&nbuf, buf + 10, 2);
		if (n->vdev.features & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF)) {
			if (nbuf == 0) {
				p->rxs.drops[VNET_DROP_BAD_HDR]++;
				rx_refill(n, p, i);
				continue;
			}
			if (nbuf > 1) {
				/* the rest of the frame is in the next nbuf-1 used
				 * buffers; drop them all */
				p->rxs.drops[VNET_DROP_MULTIBUF]++;
				rx_refill(n, p, i);
				for (unsigned j = 1; j < nbuf; j++) {
					void *t = virtq_get(&p->rx, &len);
					if (!t)
						break;
					rx_refill(n, p, (unsigned)((uintptr_t)t - 1));
				}
				continue;
			}
		}
		f->data = buf + n->hdr_len;
		f->len = len - n->hdr_len;
		f->csum = buf[0] & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID);
		f->buf = (uint16_t)i;
		f->pair = (uint8_t)k;
		p->rxs.frames++;
		p->rxs.bytes += f->len;
		p->rx_held[i] = 1;
		return 1;
	}
	return 0;
}

int virtio_net_recv(struct virtio_net *n, struct virtio_net_frame *f)
{
	int got = 0;
	struct cpu *c = cpu_ledger_enter(LC_KERN_DRIVER);
	unsigned k0;
	cpu_pair(n, c, &k0);
	config_check(n);
	/* this CPU's pair first, then the others */
	for (unsigned j = 0; j < n->npairs && !got; j++) {
		unsigned k = (k0 + j) % n->npairs;
		struct vnet_pair *p = &n->p[k];
		if (j && !virtq_pending(&p->rx))
			continue;
		spin_lock(&p->rx_lock);
		uint64_t before = device_faults(&p->rx);
		got = recv_pair(n, k, f);
		p->rxs.drops[VNET_DROP_DEVICE] += device_faults(&p->rx) - before;
		spin_unlock(&p->rx_lock);
	}
	cpu_ledger_leave(c);
	return got;
}

void virtio_net_recv_done(struct virtio_net *n, const struct virtio_net_frame *f)
{
	struct cpu *c = cpu_ledger_enter(LC_KERN_DRIVER);
	if (f->pair >= n->npairs) {
		kprintf("tally: virtio-net %s: recv_done with pair %u of %u; ignored\n", n->where,
		        f->pair, n->npairs);
		cpu_ledger_leave(c);
		return;
	}
	struct vnet_pair *p = &n->p[f->pair];
	spin_lock(&p->rx_lock);
	if (f->buf < p->rx.size && p->rx_held[f->buf] &&
	    f->data == p->rx_mem + (size_t)f->buf * VNET_BUF + n->hdr_len) {
		p->rx_held[f->buf] = 0;
		rx_refill(n, p, f->buf);
	} else {
		kprintf("tally: virtio-net %s: recv_done with a frame this driver did not hand "
		        "out, or gave back already (pair %u buffer %u); ignored\n", n->where,
		        f->pair, f->buf);
	}
	spin_unlock(&p->rx_lock);
	cpu_ledger_leave(c);
}

static void add_qstats(struct virtio_net_qstats *to, const struct virtio_net_qstats *q)
{
	to->frames += q->frames;
	to->bytes += q->bytes;
	to->completed += q->completed;
	to->irqs += q->irqs;
	for (unsigned r = 0; r < VNET_DROP_NREASONS; r++)
		to->drops[r] += q->drops[r];
}

int virtio_net_pair_stats(struct virtio_net *n, unsigned k, struct virtio_net_qstats *rx,
                          struct virtio_net_qstats *tx)
{
	if (k >= n->npairs)
		return -1;
	struct vnet_pair *p = &n->p[k];
	struct cpu *c = cpu_ledger_enter(LC_KERN_DRIVER);
	spin_lock(&p->rx_lock);
	*rx = p->rxs;
	rx->irqs = __atomic_load_n(&p->rx_irqs, __ATOMIC_RELAXED);
	spin_unlock(&p->rx_lock);
	spin_lock(&p->tx_lock);
	*tx = p->txs;
	tx->irqs = __atomic_load_n(&p->tx_irqs, __ATOMIC_RELAXED);
	spin_unlock(&p->tx_lock);
	cpu_ledger_leave(c);
	return 0;
}

void virtio_net_stats(struct virtio_net *n, struct virtio_net_qstats *rx,
                      struct virtio_net_qstats *tx)
{
	memset(rx, 0, sizeof(*rx));
	memset(tx, 0, sizeof(*tx));
	for (unsigned k = 0; k < n->npairs; k++) {
		struct virtio_net_qstats r, t;
		virtio_net_pair_stats(n, k, &r, &t);
		add_qstats(rx, &r);
		add_qstats(tx, &t);
	}
}

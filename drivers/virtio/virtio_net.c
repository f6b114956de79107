/*
 * virtio_net.c - virtio-net (virtio 1.x section 5.1) over the modern PCI
 * transport: one receive queue (0) and one transmit queue (1).
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
 * headers ask for no offload yet, so it never has to).  Not negotiated:
 * NET_F_GUEST_CSUM, CTRL_VQ, MQ, the GSO/TSO family, HASH_REPORT,
 * INDIRECT_DESC, RING_PACKED.  GUEST_CSUM promises that the driver takes
 * frames whose checksum is only partial (NEEDS_CSUM: the pseudo-header
 * sum, the rest left to the receiver); the stack verifies every
 * checksum, so a tap backend that uses the promise (Linux hands such
 * frames from its own stack to the tap) had every TCP segment of the
 * host's dropped as bad_csum, while slirp, which never offers it, hid
 * that.  A received frame's flags are still passed up in
 * virtio_net_frame.csum.
 *
 * Header: with VERSION_1 every frame on a ring is preceded by the 12-byte
 * struct virtio_net_hdr (flags, gso_type, hdr_len, gso_size, csum_start,
 * csum_offset, num_buffers), whether or not MRG_RXBUF was negotiated
 * (virtio 1.x 5.1.6); HASH_REPORT would make it 20.
 *
 * Buffers: VNET_RING receive and VNET_RING transmit buffers of VNET_BUF
 * bytes each, one pmem block per direction (virtio_dma_alloc: the
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
 * Locking: rx_lock guards the receive queue and rx counters, tx_lock the
 * transmit queue, tx_free and tx counters; never both.  Callers are
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
#define VNET_RING 128
#define VNET_BUF  2048
#define HDR_MAX   20
#define NET_S_LINK_UP 1u
#define CFG_MAC    0
#define CFG_STATUS 6
/* MSI-X table entries: config change, receive, transmit */
#define ENTRY_CONFIG 0
#define ENTRY_RX     1
#define ENTRY_TX     2

struct virtio_net {
	struct virtio_dev vdev;
	struct virtq rx, tx;
	uint8_t mac[6];
	uint8_t mac_random;       /* no NET_F_MAC: made up here */
	uint8_t polled;           /* fewer than 3 MSI-X entries: no interrupts */
	uint16_t hdr_len;
	char where[16];
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
static int rx_post(struct virtio_net *n, unsigned i)
{
	struct virtq_buf b = { n->rx_pa + (uint64_t)i * VNET_BUF, VNET_BUF };
	return virtq_add(&n->rx, &b, 0, 1, (void *)(uintptr_t)(i + 1));
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

static int probe(struct virtio_net *n, struct pci_dev *d)
{
	memset(n, 0, sizeof(*n));
	ksnprintf(n->where, sizeof(n->where), "%02x:%02x.%x", d->bus, d->dev, d->fn);
	struct virtio_dev *v = &n->vdev;
	if (virtio_pci_open(v, d, "virtio-net") < 0)
		return -2;
	uint64_t want = VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_NET_F_MAC) |
	                VIRTIO_BIT(VIRTIO_NET_F_STATUS) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) |
	                VIRTIO_BIT(VIRTIO_NET_F_CSUM);
	if (virtio_pci_negotiate(v, want, VIRTIO_BIT(VIRTIO_F_VERSION_1)) < 0)
		return -3;
	n->hdr_len = (uint16_t)virtio_net_hdr_len(v->features);
	int irq = d->has_msix && d->msix.size > ENTRY_TX;
	n->polled = !irq;
	if (!irq)
		kprintf("tally: virtio-net %s: fewer than 3 MSI-X entries; no interrupts, "
		        "polling only\n", n->where);
	if (virtio_pci_queue(v, &n->rx, 0, VNET_RING, irq ? ENTRY_RX : -1, &n->rx_irqs,
	                     &n->rx_flag) < 0 ||
	    virtio_pci_queue(v, &n->tx, 1, VNET_RING, irq ? ENTRY_TX : -1, &n->tx_irqs,
	                     &n->tx_flag) < 0)
		return -4;
	if (irq && virtio_pci_config_irq(v, ENTRY_CONFIG) < 0) {
		virtio_pci_fail(v, "no config-change interrupt");
		return -5;
	}
	n->rx_mem = virtio_dma_alloc((size_t)n->rx.size * VNET_BUF, &n->rx_pa);
	n->tx_mem = virtio_dma_alloc((size_t)n->tx.size * VNET_BUF, &n->tx_pa);
	if (!n->rx_mem || !n->tx_mem) {
		virtio_pci_fail(v, "out of memory for packet buffers");
		return -6;
	}
	for (unsigned i = 0; i < n->rx.size; i++)
		if (rx_post(n, i) < 0) {
			virtio_pci_fail(v, "receive ring refused a buffer");
			return -7;
		}
	for (unsigned i = 0; i < n->tx.size; i++)
		n->tx_free[i] = (uint16_t)i;
	n->ntx_free = n->tx.size;
	if (v->features & VIRTIO_BIT(VIRTIO_NET_F_MAC)) {
		if (virtio_pci_config(v, CFG_MAC, n->mac, 6) < 0) {
			virtio_pci_fail(v, "MAC offered but the device configuration is too short");
			return -8;
		}
	} else {
		random_mac(n->mac);
		n->mac_random = 1;
	}
	virtio_pci_ready(v);
	int kick = virtq_kick(&n->rx);
	if (kick)
		virtio_pci_notify(v, &n->rx);
	if (virtio_pci_check(v) < 0)
		return -9;
	uint64_t f = v->features;
	kprintf("tally: virtio-net %s: mac %02x:%02x:%02x:%02x:%02x:%02x%s link %s, queues "
	        "rx %u tx %u, header %u bytes, %s; features%s%s%s%s%s%s%s\n", n->where,
	        n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5],
	        n->mac_random ? " (random)" : "", virtio_net_link_up(n) ? "up" : "down",
	        n->rx.size, n->tx.size, n->hdr_len, irq ? "MSI-X" : "polled",
	        " version_1",
	        f & VIRTIO_BIT(VIRTIO_F_EVENT_IDX) ? " event_idx" : "",
	        f & VIRTIO_BIT(VIRTIO_NET_F_MAC) ? " mac" : "",
	        f & VIRTIO_BIT(VIRTIO_NET_F_STATUS) ? " status" : "",
	        f & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) ? " mrg_rxbuf" : "",
	        f & VIRTIO_BIT(VIRTIO_NET_F_CSUM) ? " csum" : "",
	        f & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) ? " guest_csum" : "");
	return 0;
}

PCI_DRIVER(virtio_net, "virtio-net", virtio_net_ids, virtio_net_probe);

struct virtio_net *virtio_net_get(unsigned i) { return i < ndevs ? &devs[i] : NULL; }
const uint8_t *virtio_net_mac(const struct virtio_net *n) { return n->mac; }
uint64_t virtio_net_features(const struct virtio_net *n) { return n->vdev.features; }
const char *virtio_net_where(const struct virtio_net *n) { return n->where; }
int virtio_net_polled(const struct virtio_net *n) { return n->polled; }

void virtio_net_rx_interrupts(struct virtio_net *n, int on)
{
	struct cpu *c = cpu_ledger_enter(LC_KERN_DRIVER);
	spin_lock(&n->rx_lock);
	virtq_interrupts(&n->rx, on);
	spin_unlock(&n->rx_lock);
	cpu_ledger_leave(c);
}

unsigned virtio_net_rx_pending(struct virtio_net *n) { return virtq_pending(&n->rx); }

void virtio_net_set_rx_notify(struct virtio_net *n, void (*fn)(void))
{
	if (!n->polled)
		virtio_pci_set_notify(&n->rx_flag, fn);
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

/* tx_lock held. */
static unsigned tx_reap(struct virtio_net *n)
{
	unsigned got = 0;
	uint32_t len;
	void *tok;
	uint64_t before = device_faults(&n->tx);
	while ((tok = virtq_get(&n->tx, &len)) != NULL) {
		uintptr_t i = (uintptr_t)tok - 1;
		n->tx_free[n->ntx_free++] = (uint16_t)i;
		got++;
	}
	n->txs.completed += got;
	n->txs.drops[VNET_DROP_DEVICE] += device_faults(&n->tx) - before;
	return got;
}

unsigned virtio_net_tx_complete(struct virtio_net *n)
{
	struct cpu *c = cpu_ledger_enter(LC_KERN_DRIVER);
	spin_lock(&n->tx_lock);
	unsigned got = tx_reap(n);
	spin_unlock(&n->tx_lock);
	cpu_ledger_leave(c);
	return got;
}

int virtio_net_send(struct virtio_net *n, const void *frame, size_t len)
{
	int rc = 0;
	struct cpu *c = cpu_ledger_enter(LC_KERN_DRIVER);
	spin_lock(&n->tx_lock);
	if (len < VIRTIO_NET_FRAME_MIN || len > VIRTIO_NET_FRAME_MAX) {
		n->txs.drops[VNET_DROP_BAD_LEN]++;
		rc = -1;
		goto out;
	}
	config_check(n);
	if (n->vdev.failed || n->tx.broken) {
		n->txs.drops[VNET_DROP_DEAD]++;
		rc = -3;
		goto out;
	}
	if (n->ntx_free == 0)
		tx_reap(n);
	if (n->ntx_free == 0) {
		n->txs.drops[VNET_DROP_RING_FULL]++;
		rc = -2;
		goto out;
	}
	uint16_t i = n->tx_free[--n->ntx_free];
	uint8_t *buf = n->tx_mem + (size_t)i * VNET_BUF;
	memset(buf, 0, n->hdr_len);   /* no offload asked, gso none, num_buffers 0 */
	memcpy(buf + n->hdr_len, frame, len);
	struct virtq_buf b = { n->tx_pa + (uint64_t)i * VNET_BUF, (uint32_t)(n->hdr_len + len) };
	if (virtq_add(&n->tx, &b, 1, 0, (void *)(uintptr_t)(i + 1)) < 0) {
		/* cannot happen while ntx_free tracks the ring; count, not trust */
		n->tx_free[n->ntx_free++] = i;
		n->txs.drops[VNET_DROP_RING_FULL]++;
		rc = -2;
		goto out;
	}
	n->txs.frames++;
	n->txs.bytes += len;
	if (virtq_kick(&n->tx))
		virtio_pci_notify(&n->vdev, &n->tx);
out:
	spin_unlock(&n->tx_lock);
	cpu_ledger_leave(c);
	return rc;
}

/* Put buffer i back on the receive ring and tell the device.  rx_lock held. */
static void rx_refill(struct virtio_net *n, unsigned i)
{
	if (rx_post(n, i) >= 0 && virtq_kick(&n->rx))
		virtio_pci_notify(&n->vdev, &n->rx);
}

int virtio_net_recv(struct virtio_net *n, struct virtio_net_frame *f)
{
	int got = 0;
	struct cpu *c = cpu_ledger_enter(LC_KERN_DRIVER);
	spin_lock(&n->rx_lock);
	uint64_t before = device_faults(&n->rx);
	config_check(n);
	while (!got && !n->vdev.failed) {
		uint32_t len;
		void *tok = virtq_get(&n->rx, &len);
		if (!tok)
			break;
		unsigned i = (unsigned)((uintptr_t)tok - 1);
		uint8_t *buf = n->rx_mem + (size_t)i * VNET_BUF;
		if (len < n->hdr_len + VIRTIO_NET_FRAME_MIN) {
			n->rxs.drops[VNET_DROP_RUNT]++;
			rx_refill(n, i);
			continue;
		}
		uint16_t nbuf;
		memcpy(&nbuf, buf + 10, 2);
		if (n->vdev.features & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF)) {
			if (nbuf == 0) {
				n->rxs.drops[VNET_DROP_BAD_HDR]++;
				rx_refill(n, i);
				continue;
			}
			if (nbuf > 1) {
				/* the rest of the frame is in the next nbuf-1 used
				 * buffers; drop them all */
				n->rxs.drops[VNET_DROP_MULTIBUF]++;
				rx_refill(n, i);
				for (unsigned k = 1; k < nbuf; k++) {
					void *t = virtq_get(&n->rx, &len);
					if (!t)
						break;
					rx_refill(n, (unsigned)((uintptr_t)t - 1));
				}
				continue;
			}
		}
		f->data = buf + n->hdr_len;
		f->len = len - n->hdr_len;
		f->csum = buf[0] & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID);
		f->buf = (uint16_t)i;
		n->rxs.frames++;
		n->rxs.bytes += f->len;
		n->rx_held[i] = 1;
		got = 1;
	}
	n->rxs.drops[VNET_DROP_DEVICE] += device_faults(&n->rx) - before;
	spin_unlock(&n->rx_lock);
	cpu_ledger_leave(c);
	return got;
}

void virtio_net_recv_done(struct virtio_net *n, const struct virtio_net_frame *f)
{
	struct cpu *c = cpu_ledger_enter(LC_KERN_DRIVER);
	spin_lock(&n->rx_lock);
	if (f->buf < n->rx.size && n->rx_held[f->buf] &&
	    f->data == n->rx_mem + (size_t)f->buf * VNET_BUF + n->hdr_len) {
		n->rx_held[f->buf] = 0;
		rx_refill(n, f->buf);
	} else {
		kprintf("tally: virtio-net %s: recv_done with a frame this driver did not hand "
		        "out, or gave back already (buffer %u); ignored\n", n->where, f->buf);
	}
	spin_unlock(&n->rx_lock);
	cpu_ledger_leave(c);
}

void virtio_net_stats(struct virtio_net *n, struct virtio_net_qstats *rx,
                      struct virtio_net_qstats *tx)
{
	struct cpu *c = cpu_ledger_enter(LC_KERN_DRIVER);
	spin_lock(&n->rx_lock);
	*rx = n->rxs;
	rx->irqs = __atomic_load_n(&n->rx_irqs, __ATOMIC_RELAXED);
	spin_unlock(&n->rx_lock);
	spin_lock(&n->tx_lock);
	*tx = n->txs;
	tx->irqs = __atomic_load_n(&n->tx_irqs, __ATOMIC_RELAXED);
	spin_unlock(&n->tx_lock);
	cpu_ledger_leave(c);
}

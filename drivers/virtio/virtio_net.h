/*
 * virtio_net.h - the virtio-net driver's calls, for the network stack to
 * come (see virtio_net.c for how the device is driven).
 *
 * One receive and one transmit queue per device, or one pair of them per
 * CPU with multiqueue (virtio_net.c).  A frame is an Ethernet
 * frame without the FCS: 14-byte header and payload, 14 to 1514 bytes.
 *   send:    virtio_net_send copies the frame into a transmit buffer;
 *            completed buffers are taken back on the next send or by
 *            virtio_net_tx_complete.
 *   receive: virtio_net_recv hands out a filled receive buffer (frame
 *            and length, in place); the caller gives it back with
 *            virtio_net_recv_done, which refills the ring with it.
 * Counters per queue: frames, bytes, interrupts, drops by reason.
 * For the scheduler's poller (rt/netpoll.c through kernel/glue/rt_net.c):
 * receive interrupts on or off, a lock-free "frames waiting" hint, and a
 * notify function the receive interrupt's handler calls.
 *
 * Locking: one spinlock per queue inside; callers need none.  Every call
 * is pinned to its CPU and charged to kern.driver while it runs.
 * Context: thread or boot context; not in an interrupt handler; no call
 * blocks.
 */
#ifndef TALLY_VIRTIO_NET_H
#define TALLY_VIRTIO_NET_H

#include <stddef.h>
#include <stdint.h>

/* virtio-net feature bits (virtio 1.x 5.1.3) */
#define VIRTIO_NET_F_CSUM       0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_MRG_RXBUF  15
#define VIRTIO_NET_F_STATUS     16
#define VIRTIO_NET_F_CTRL_VQ    17
#define VIRTIO_NET_F_MQ         22
#define VIRTIO_NET_F_HASH_REPORT 57

#define VIRTIO_NET_FRAME_MIN 14
#define VIRTIO_NET_FRAME_MAX 1514

/* receive header flags, as virtio_net_frame.csum reports them */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1u   /* checksum partial: the stack completes it */
#define VIRTIO_NET_HDR_F_DATA_VALID 2u   /* the device checked the checksum */

enum virtio_net_drop {
	VNET_DROP_RUNT,        /* rx: shorter than header + Ethernet header */
	VNET_DROP_MULTIBUF,    /* rx: a frame spread over several buffers (num_buffers > 1) */
	VNET_DROP_BAD_HDR,     /* rx: num_buffers 0 with merged buffers */
	VNET_DROP_DEVICE,      /* rx/tx: used entries the queue refused (bad id, length, index) */
	VNET_DROP_BAD_LEN,     /* tx: frame outside 14..1514 bytes */
	VNET_DROP_RING_FULL,   /* tx: no free transmit buffer */
	VNET_DROP_DEAD,        /* rx/tx: the device failed or asks for a reset */
	VNET_DROP_NREASONS
};

struct virtio_net_qstats {
	uint64_t frames, bytes;    /* delivered (rx) or handed to the device (tx) */
	uint64_t completed;        /* tx: buffers the device gave back */
	uint64_t irqs;             /* MSI-X interrupts of this queue */
	uint64_t drops[VNET_DROP_NREASONS];
};

struct virtio_net_frame {
	uint8_t *data;             /* the Ethernet frame */
	uint32_t len;
	uint8_t csum;              /* VIRTIO_NET_HDR_F_* from the device */
	uint8_t pair;              /* the driver's: the queue pair it came from */
	uint16_t buf;              /* the driver's: which buffer to give back */
};

struct virtio_net;

/* The i-th device the driver brought up, or NULL. */
struct virtio_net *virtio_net_get(unsigned i);
/* Send one frame (copied) on the calling CPU's queue pair.  0; -1 for a
 * length outside 14..1514; -2
 * when every transmit buffer is in flight; -3 when the device is dead.
 * Each refusal is counted as a drop. */
int virtio_net_send(struct virtio_net *n, const void *frame, size_t len);
/* Take back the transmit buffers the device finished; returns how many. */
unsigned virtio_net_tx_complete(struct virtio_net *n);
/* 1 with *f filled when a received frame is waiting, else 0.  Malformed
 * ones are dropped (counted) and their buffers refilled on the way. */
int virtio_net_recv(struct virtio_net *n, struct virtio_net_frame *f);
/* Give a received buffer back (it goes back on the receive ring). */
void virtio_net_recv_done(struct virtio_net *n, const struct virtio_net_frame *f);
/* Receive interrupts on (1) or off (0): a hint the device may ignore
 * (virtq_interrupts).  With event_idx, turning them on asks for an
 * interrupt at the next frame after those already taken. */
void virtio_net_rx_interrupts(struct virtio_net *n, int on);
/* Used receive entries waiting (a lock-free hint: 0 may be stale). */
unsigned virtio_net_rx_pending(struct virtio_net *n);
/* Have the receive interrupt call fn() (interrupt context: it may only
 * set flags and wake CPUs); NULL: none.  No-op on a polled device. */
void virtio_net_set_rx_notify(struct virtio_net *n, void (*fn)(void));
/* 1 if the link is up (always 1 without VIRTIO_NET_F_STATUS). */
int virtio_net_link_up(struct virtio_net *n);
const uint8_t *virtio_net_mac(const struct virtio_net *n);
/* Negotiated features (virtio bit numbers: VIRTIO_NET_F_*, VIRTIO_F_*). */
uint64_t virtio_net_features(const struct virtio_net *n);
/* Bytes of virtio-net header in front of every frame on the rings. */
unsigned virtio_net_hdr_len(uint64_t features);
/* The counters summed over the queue pairs (each pair's copy consistent). */
void virtio_net_stats(struct virtio_net *n, struct virtio_net_qstats *rx,
                      struct virtio_net_qstats *tx);
/* Queue pairs in use (1 without multiqueue). */
unsigned virtio_net_pairs(const struct virtio_net *n);
/* Pair k's counters: 0, or -1 when there is no pair k. */
int virtio_net_pair_stats(struct virtio_net *n, unsigned k, struct virtio_net_qstats *rx,
                          struct virtio_net_qstats *tx);
/* 1 if the device runs without interrupts (fewer than 3 MSI-X entries:
 * config, receive, transmit); its irqs counters stay 0. */
int virtio_net_polled(const struct virtio_net *n);
/* "00:03.0" for messages. */
const char *virtio_net_where(const struct virtio_net *n);
/* Name of a drop reason ("runt", ...). */
const char *virtio_net_drop_name(unsigned reason);

#endif

/*
 * virtio_pci.h - the virtio 1.x PCI transport (modern devices only), for
 * device drivers (virtio_net.c).
 *
 * Purpose: a device driver's probe calls virtio_pci_open (find and map
 * the vendor capabilities, reset, ACKNOWLEDGE and DRIVER), then
 * virtio_pci_negotiate, virtio_pci_queue per queue, and virtio_pci_ready
 * (DRIVER_OK).  A failure on the way writes FAILED to the device and
 * prints one line naming the device and the reason.  A legacy-only
 * device (no virtio 1.0 capabilities: QEMU's disable-modern=on) is
 * refused by virtio_pci_open with such a line.
 *
 * Data structures: struct virtio_pci_caps, the parse of the capability
 * list (pure, host-tested against config spaces recorded from QEMU);
 * struct virtio_dev, one per device, embedded in the device driver's
 * state.  Registers (virtio 1.x 4.1.4.3, common configuration):
 *   0x00 device_feature_select  0x04 device_feature  0x08 driver_feature_select
 *   0x0c driver_feature  0x10 config_msix_vector  0x12 num_queues
 *   0x14 device_status (8)  0x15 config_generation (8)  0x16 queue_select
 *   0x18 queue_size  0x1a queue_msix_vector  0x1c queue_enable
 *   0x1e queue_notify_off  0x20 queue_desc  0x28 queue_driver  0x30 queue_device
 *
 * Invariants: features holds exactly what was written to the device and
 * accepted (FEATURES_OK read back), and always VIRTIO_F_VERSION_1;
 * failed != 0 once FAILED was written or DEVICE_NEEDS_RESET was seen;
 * nothing more is asked of a failed device.
 * Locking: none; set-up runs at boot in the probe; virtio_pci_notify and
 * virtio_pci_check are the driver's to serialize per queue.
 * Context: set-up at boot or thread context (allocates pages, vectors);
 * virtio_pci_notify from any context; the interrupt handlers installed
 * here only count and set a flag.
 */
#ifndef TALLY_VIRTIO_PCI_H
#define TALLY_VIRTIO_PCI_H

#include <stddef.h>
#include <stdint.h>
#include "drivers/virtio/virtq.h"
#include "kernel/pci/pci.h"

#define VIRTIO_VENDOR 0x1af4

/* device status (virtio 1.x 2.1) */
#define VIRTIO_S_ACKNOWLEDGE 1u
#define VIRTIO_S_DRIVER      2u
#define VIRTIO_S_DRIVER_OK   4u
#define VIRTIO_S_FEATURES_OK 8u
#define VIRTIO_S_NEEDS_RESET 64u
#define VIRTIO_S_FAILED      128u

/* transport feature bits (virtio 1.x 6) */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1     32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED   34
#define VIRTIO_BIT(b) (1ull << (b))

/* vendor capability types (virtio 1.x 4.1.4) */
enum { VIRTIO_CAP_COMMON = 1, VIRTIO_CAP_NOTIFY, VIRTIO_CAP_ISR, VIRTIO_CAP_DEVICE,
       VIRTIO_CAP_PCI };

struct virtio_pci_region {
	uint8_t bar;
	uint32_t off, len;
};

struct virtio_pci_caps {
	unsigned found;                 /* bit t set: region of type t found */
	struct virtio_pci_region r[VIRTIO_CAP_DEVICE + 1];   /* by type */
	uint32_t notify_mult;           /* notify_off_multiplier */
	unsigned nbad;                  /* vendor capabilities ignored as malformed */
	char why[96];                   /* the first reason one was ignored */
};

/* Read the virtio vendor capabilities (id 0x09) of d through rd (32-bit
 * config reads at 4-aligned offsets).  The first well-formed capability
 * of each type wins; one whose BAR is not an implemented memory BAR, or
 * whose region leaves the BAR, or that is shorter than its type needs, is
 * ignored and counted.  Returns 0 when common, notify and ISR regions were
 * all found (a modern device), -1 otherwise.  Pure: no globals. */
int virtio_pci_parse_caps(const struct pci_dev *d,
                          uint32_t (*rd)(const struct pci_dev *d, unsigned off),
                          struct virtio_pci_caps *out);

#define VIRTIO_MAX_IRQ 12

struct virtio_dev {
	struct pci_dev *pci;
	const char *name;               /* "virtio-net" */
	volatile uint8_t *common, *isr, *device, *notify;
	uint32_t device_len, notify_len, notify_mult;
	uint64_t offered;               /* the device's feature bits (from open on) */
	uint64_t features;              /* negotiated */
	uint16_t num_queues;
	uint8_t failed;
	uint8_t mmio_fence;             /* queues fence with a register read too
	                                   (virtio_pci.c, "Fences") */
	/* interrupts: config change, counted by its handler */
	int config_vector;              /* CPU vector, or -1 */
	volatile uint64_t config_irqs;
	volatile uint32_t config_changed;
	/* MSI-X entries routed so far, for virtio_pci_close */
	unsigned nrouted;
	struct { uint16_t entry, vector; } routed[VIRTIO_MAX_IRQ];
	/* INTx instead of MSI-X (virtio_pci_use_intx): every source shares
	 * this vector; the handler reads the ISR byte (which lowers the line)
	 * and, when it is not 0, flags every source.  -1: MSI-X. */
	int intx_vector;
};

/* Find and map the capabilities, reset the device, set ACKNOWLEDGE and
 * DRIVER.  0, or -1 with a line printed (legacy-only device, bad
 * capabilities, reset that never completes). */
int virtio_pci_open(struct virtio_dev *v, struct pci_dev *d, const char *name);
/* Offer wanted & the device's features, plus required (which must all be
 * offered; VIRTIO_F_VERSION_1 always is required), set FEATURES_OK and
 * check the device kept it.  0, or -1 with FAILED written and a line
 * printed. */
int virtio_pci_negotiate(struct virtio_dev *v, uint64_t wanted, uint64_t required);
/* Set up queue `index` with at most max_size entries (rounded down to a
 * power of two): ring memory from pmem, the addresses written, MSI-X
 * table entry msix_entry routed to a vector on CPU `cpu` (an online
 * CPU's index) whose handler adds 1 to *irqs and sets *flag (msix_entry
 * < 0: no interrupt), then enabled.
 * The queue's event index and layout (split, or packed with
 * VIRTIO_F_RING_PACKED) follow the negotiated features.  0, or -1
 * with FAILED written and a line printed. */
int virtio_pci_queue(struct virtio_dev *v, struct virtq *q, uint16_t index, uint16_t max_size,
                     int msix_entry, unsigned cpu, volatile uint64_t *irqs,
                     volatile uint32_t *flag);
/* Have the interrupt handler of the source whose flag is `flag` call
 * fn() after setting it (NULL: no call).  fn runs in the interrupt
 * handler: it may only set flags and wake CPUs. */
void virtio_pci_set_notify(volatile uint32_t *flag, void (*fn)(void));
/* Take the function's INTx pin (pci_intx_enable) for all the device's
 * interrupt sources, for a machine that takes no MSI-X messages: from
 * then on virtio_pci_queue and virtio_pci_config_irq route their sources
 * to it (msix_entry only says whether a source wants an interrupt) and
 * tell the device NO_VECTOR.  0, or -1 with a line (then the caller
 * polls). */
int virtio_pci_use_intx(struct virtio_dev *v);
/* Route config-change interrupts to MSI-X entry `entry` (counted in
 * config_irqs, flagged in config_changed).  0, or -1 with a line. */
int virtio_pci_config_irq(struct virtio_dev *v, unsigned entry);
/* DRIVER_OK: the device is live. */
void virtio_pci_ready(struct virtio_dev *v);
/* Tell the device queue q has new buffers. */
void virtio_pci_notify(struct virtio_dev *v, const struct virtq *q);
/* Copy len bytes of device configuration at off into buf, consistently
 * (retried while config_generation changes).  0, or -1 if the range
 * lies outside the device's configuration region. */
int virtio_pci_config(struct virtio_dev *v, unsigned off, void *buf, unsigned len);
/* Read the status: 0 while the device is live, -1 (once with a line,
 * and failed set) when it asks for a reset or was failed. */
int virtio_pci_check(struct virtio_dev *v);
/* Zeroed pages for DMA, at least bytes long: the CPU's pointer, and in
 * *pa the address the device is given (the same number: the direct
 * map).  NULL when memory runs out.  Boot or thread context. */
void *virtio_dma_alloc(size_t bytes, uint64_t *pa);
/* Undo the interrupt routing of a device given up during set-up: mask
 * its MSI-X entries, free their vectors and handler rows (so a later
 * device's counters are not reached through them).  The ring and buffer
 * pages stay allocated.  Boot or thread context. */
void virtio_pci_close(struct virtio_dev *v);
/* Write FAILED and print why (the device is given up). */
void virtio_pci_fail(struct virtio_dev *v, const char *why);
/* The boot option virtio_packed= (virtio_options.c): 1 when drivers are
 * to negotiate VIRTIO_F_RING_PACKED if it is offered. */
int virtio_options_packed(void);

#endif

/*
 * virtio_pci.c - the virtio 1.x PCI transport: bringing a modern device
 * up (virtio 1.x 3.1.1) and serving its queues.
 *
 * Purpose: the order is the specification's: reset (write 0, wait until
 * the status reads 0), ACKNOWLEDGE, DRIVER, read the device's 64 feature
 * bits, write the driver's subset, FEATURES_OK and read it back (a device
 * that clears it rejected the subset), set up each queue (select, size,
 * the three addresses, its MSI-X entry read back, enable), DRIVER_OK.
 * The registers are reached through the BAR regions the vendor
 * capabilities name (virtio_pci_caps.c), mapped uncached by the PCI layer
 * (pci_map_bar).  64-bit registers are written as two 32-bit halves, low
 * first, which the specification allows.
 *
 * Interrupts: MSI-X only.  Each interrupt source (config change, one per
 * queue) gets a table entry routed by pci_msix_enable_cpu to its own
 * vector on the CPU the driver names (the boot CPU for the config change;
 * a queue pair's CPU for multiqueue), charged to kern.driver; the entry number is written
 * into the device's config_msix_vector or queue_msix_vector and read
 * back (NO_VECTOR, 0xffff, means the device refused it).  The handler
 * only adds one to the source's counter and sets its flag (HACKING.md);
 * the work runs in the driver's callers.  A source may also name a
 * notify function (virtio_pci_set_notify), called by the handler after
 * the flag: the network poller's wake-up, which only sets flags and
 * wakes a CPU.  On a machine that takes no MSI-X messages (aarch64
 * until the ITS is driven) a driver may take INTx instead
 * (virtio_pci_use_intx): every source shares the pin's interrupt, the
 * device is told NO_VECTOR, and the handler reads the ISR byte (which
 * lowers the level-triggered line) and, when it is not 0, counts and
 * flags every source of that device (a flag is a hint to look at a
 * ring, so one too many costs a look).  The ISR byte is read only then.
 *
 * Fences: the driver and the device each store an index and then load
 * the other's (the published avail index, then avail_event; used_event,
 * then the used index; in a packed queue a head's flags, then the
 * device's event area, and so on), with a full fence between (virtq.c), so that one
 * of the two always sees the other's store (Dekker).  That needs the
 * CPU's fence to order our store before our load as the device's thread
 * sees them.  Under QEMU's TCG before 8.1 with one CPU (-smp 1) it does
 * not: the emulator drops every guest fence when the machine has one CPU
 * ("tcg: Do not elide memory barriers for !CF_PARALLEL in system mode",
 * QEMU 8.1), and its device thread runs beside the vCPU's on the host, so
 * the host's store buffer can hold our index while we read the device's
 * stale event index and the device reads our stale index: each side
 * thinks the other is done, the notification is never sent, and the
 * queue stops for good (docs/net.md, "A lost notification at P=1").  A
 * read of a device register (config_generation) is emulated by the host
 * under a lock, which orders the host's stores and loads as a fence
 * would; so with one CPU under a hypervisor (mmio_fence) each queue's
 * fence (virtq.h) is such a read.  Cost: one register read per kick
 * decision and per interrupt re-arm (an exit under KVM, where the CPU's
 * fence would do: the driver cannot tell the two apart).
 *
 * DMA memory: rings come from the page allocator (pmem).  Below
 * arch_direct_map_top() virtual == physical, so a page's physical address
 * is both the CPU's pointer (write-back cached; DMA is coherent on this
 * machine) and the address the device is given.
 *
 * Data structures: a small table (vector -> counter, flag) for the
 * handlers, filled at set-up, read by the handler.
 * Invariants: see virtio_pci.h.  Locking: none (set-up at boot; a
 * vector's table row is written before its device source is told to use
 * the entry, so a handler never sees half a row that matters).
 * Context: boot or thread context, except virtio_pci_notify (any).
 */
#include <string.h>
#include "arch/arch.h"
#include "drivers/virtio/virtio_pci.h"
#include "kernel/cpu/cpu.h"
#include "kernel/ledger.h"
#include "kernel/lib/kprintf.h"
#include "kernel/mem/pmem.h"

#define C_DFSELECT  0x00
#define C_DF        0x04
#define C_GFSELECT  0x08
#define C_GF        0x0c
#define C_MSIX      0x10
#define C_NUMQ      0x12
#define C_STATUS    0x14
#define C_CFGGEN    0x15
#define C_QSELECT   0x16
#define C_QSIZE     0x18
#define C_QMSIX     0x1a
#define C_QENABLE   0x1c
#define C_QNOTIFY   0x1e
#define C_QDESC     0x20
#define C_QDRIVER   0x28
#define C_QDEVICE   0x30
#define NO_VECTOR   0xffffu

#define LOC "tally: %s %02x:%02x.%x: "
#define LOCARGS(v) (v)->name, (v)->pci->bus, (v)->pci->dev, (v)->pci->fn

static uint8_t rd8(volatile uint8_t *b, unsigned o) { return b[o]; }
static uint16_t rd16(volatile uint8_t *b, unsigned o) { return *(volatile uint16_t *)(b + o); }
static uint32_t rd32(volatile uint8_t *b, unsigned o) { return *(volatile uint32_t *)(b + o); }
static void wr8(volatile uint8_t *b, unsigned o, uint8_t x) { b[o] = x; }
static void wr16(volatile uint8_t *b, unsigned o, uint16_t x) { *(volatile uint16_t *)(b + o) = x; }
static void wr32(volatile uint8_t *b, unsigned o, uint32_t x) { *(volatile uint32_t *)(b + o) = x; }
static void wr64(volatile uint8_t *b, unsigned o, uint64_t x)
{
	wr32(b, o, (uint32_t)x);
	wr32(b, o + 4, (uint32_t)(x >> 32));
}

/* ---- interrupts: count and flag, nothing else ---- */
static struct virtio_irq_row {
	unsigned vector;
	volatile uint64_t *count;
	volatile uint32_t *flag;
	void (*volatile notify)(void);  /* called after the flag, if set */
} irq_rows[VIRTIO_MAX_IRQ * 4];
static unsigned nirq_rows;

static void virtio_irq(unsigned vector, struct trap_frame *tf)
{
	(void)tf;
	for (unsigned i = 0; i < nirq_rows; i++)
		if (irq_rows[i].vector == vector) {
			__atomic_fetch_add(irq_rows[i].count, 1, __ATOMIC_RELAXED);
			__atomic_store_n(irq_rows[i].flag, 1, __ATOMIC_RELEASE);
			void (*fn)(void) = __atomic_load_n(&irq_rows[i].notify, __ATOMIC_ACQUIRE);
			if (fn)
				fn();
			return;
		}
}

/* INTx: the devices sharing the handler, by vector (one each: a shared
 * line is refused by pci_intx_enable). */
static struct virtio_dev *intx_devs[4];
static unsigned nintx;

static void virtio_intx_irq(unsigned vector, struct trap_frame *tf)
{
	(void)tf;
	for (unsigned k = 0; k < nintx; k++) {
		struct virtio_dev *v = intx_devs[k];
		if (!v || v->intx_vector != (int)vector)
			continue;
		/* reading the ISR clears it and lowers the line (virtio 1.x
		 * 4.1.4.5); 0: not this device's */
		if (!rd8(v->isr, 0))
			return;
		for (unsigned i = 0; i < nirq_rows; i++)
			if (irq_rows[i].vector == vector) {
				__atomic_fetch_add(irq_rows[i].count, 1, __ATOMIC_RELAXED);
				__atomic_store_n(irq_rows[i].flag, 1, __ATOMIC_RELEASE);
				void (*fn)(void) = __atomic_load_n(&irq_rows[i].notify,
				                                   __ATOMIC_ACQUIRE);
				if (fn)
					fn();
			}
		return;
	}
}

int virtio_pci_use_intx(struct virtio_dev *v)
{
	if (nintx >= sizeof(intx_devs) / sizeof(intx_devs[0])) {
		kprintf(LOC "no INTx table row left\n", LOCARGS(v));
		return -1;
	}
	intx_devs[nintx++] = v;   /* before the vector exists: no half row */
	int vec = pci_intx_enable(v->pci, virtio_intx_irq, LC_KERN_DRIVER);
	if (vec < 0) {
		intx_devs[--nintx] = NULL;
		return -1;
	}
	v->intx_vector = vec;
	return 0;
}

void virtio_pci_set_notify(volatile uint32_t *flag, void (*fn)(void))
{
	for (unsigned i = 0; i < nirq_rows; i++)
		if (irq_rows[i].flag == flag)
			__atomic_store_n(&irq_rows[i].notify, fn, __ATOMIC_RELEASE);
}

/* Route MSI-X entry to a vector whose handler counts into *count. */
static int route(struct virtio_dev *v, unsigned entry, volatile uint64_t *count,
                 volatile uint32_t *flag, unsigned cpu)
{
	if (nirq_rows >= sizeof(irq_rows) / sizeof(irq_rows[0]) || v->nrouted >= VIRTIO_MAX_IRQ) {
		kprintf(LOC "no interrupt table row left\n", LOCARGS(v));
		return -1;
	}
	if (v->intx_vector >= 0) {   /* one shared line: a row, no MSI-X entry */
		irq_rows[nirq_rows++] = (struct virtio_irq_row){ (unsigned)v->intx_vector, count,
		                                                 flag, NULL };
		return v->intx_vector;
	}
	int vec = pci_msix_enable_cpu(v->pci, entry, virtio_irq, LC_KERN_DRIVER, cpu);
	if (vec < 0)
		return -1;
	irq_rows[nirq_rows++] = (struct virtio_irq_row){ (unsigned)vec, count, flag, NULL };
	v->routed[v->nrouted].entry = (uint16_t)entry;
	v->routed[v->nrouted++].vector = (uint16_t)vec;
	return vec;
}

void virtio_pci_close(struct virtio_dev *v)
{
	for (unsigned k = 0; k < v->nrouted; k++) {
		unsigned vec = v->routed[k].vector;
		/* the row first: the handler stops counting, then the vector goes */
		for (unsigned i = 0; i < nirq_rows; i++)
			if (irq_rows[i].vector == vec) {
				irq_rows[i] = irq_rows[--nirq_rows];
				break;
			}
		pci_msix_disable(v->pci, v->routed[k].entry, vec);
	}
	v->nrouted = 0;
	v->config_vector = -1;
	if (v->intx_vector >= 0) {
		for (unsigned i = 0; i < nirq_rows;)
			if (irq_rows[i].vector == (unsigned)v->intx_vector)
				irq_rows[i] = irq_rows[--nirq_rows];
			else
				i++;
		pci_intx_disable(v->pci, (unsigned)v->intx_vector);
		for (unsigned k = 0; k < nintx; k++)
			if (intx_devs[k] == v)
				intx_devs[k] = intx_devs[--nintx];
		v->intx_vector = -1;
	}
}

/* ---- fences (above): a register read the host emulates under a lock ---- */
static void mmio_fence(void *arg)
{
	struct virtio_dev *v = arg;
	(void)rd8(v->common, C_CFGGEN);
}

/* ---- DMA pages ---- */
void *virtio_dma_alloc(size_t bytes, uint64_t *pa)
{
	unsigned order = 0;
	while ((PMEM_PAGE_SIZE << order) < bytes)
		order++;
	uint64_t p = pmem_alloc(order);
	if (!p)
		return NULL;
	if (p + (PMEM_PAGE_SIZE << order) > arch_direct_map_top()) {
		pmem_free(p, order);   /* not reachable as va == pa */
		return NULL;
	}
	memset((void *)(uintptr_t)p, 0, PMEM_PAGE_SIZE << order);
	*pa = p;
	return (void *)(uintptr_t)p;
}

/* ---- status ---- */
void virtio_pci_fail(struct virtio_dev *v, const char *why)
{
	if (v->common)
		wr8(v->common, C_STATUS, rd8(v->common, C_STATUS) | VIRTIO_S_FAILED);
	v->failed = 1;
	kprintf(LOC "%s; device given up (status FAILED)\n", LOCARGS(v), why);
}

static void status_or(struct virtio_dev *v, uint8_t bits)
{
	wr8(v->common, C_STATUS, rd8(v->common, C_STATUS) | bits);
}

int virtio_pci_check(struct virtio_dev *v)
{
	if (v->failed)
		return -1;
	uint8_t s = rd8(v->common, C_STATUS);
	if (s & VIRTIO_S_NEEDS_RESET) {
		virtio_pci_fail(v, "the device set DEVICE_NEEDS_RESET (reset not supported yet)");
		return -1;
	}
	if (!(s & VIRTIO_S_DRIVER_OK) || (s & VIRTIO_S_FAILED)) {
		v->failed = 1;
		kprintf(LOC "status 0x%02x: the device is no longer live\n", LOCARGS(v), s);
		return -1;
	}
	return 0;
}

static uint32_t cfg_rd(const struct pci_dev *d, unsigned off) { return pci_read32(d, off); }

static volatile uint8_t *region(struct virtio_dev *v, const struct virtio_pci_caps *c, int type)
{
	const struct virtio_pci_region *r = &c->r[type];
	volatile uint8_t *bar = pci_map_bar(v->pci, r->bar);
	return bar ? bar + r->off : NULL;
}

static const char *kind(uint16_t device)
{
	/* transitional ids 0x1000 + n and modern 0x1040 + type */
	switch (device) {
	case 0x1000: case 0x1041: return "network";
	case 0x1001: case 0x1042: return "block";
	case 0x1003: case 0x1043: return "console";
	default: return "device";
	}
}

int virtio_pci_open(struct virtio_dev *v, struct pci_dev *d, const char *name)
{
	struct virtio_pci_caps c;
	memset(v, 0, sizeof(*v));
	v->pci = d;
	v->name = name;
	v->config_vector = -1;
	v->intx_vector = -1;
	v->mmio_fence = cpu_count() == 1 && arch_hypervisor();
	if (virtio_pci_parse_caps(d, cfg_rd, &c) < 0) {
		kprintf(LOC "%04x:%04x (%s): legacy-only virtio device (no virtio 1.0 PCI "
		        "capabilities%s%s); refused: only modern (1.0+) devices are supported "
		        "(QEMU: drop disable-modern=on)\n", LOCARGS(v), d->vendor, d->device,
		        kind(d->device), c.nbad ? "; " : "", c.nbad ? c.why : "");
		return -1;
	}
	if (c.nbad)
		kprintf(LOC "%u malformed virtio capabilities ignored (%s)\n", LOCARGS(v), c.nbad,
		        c.why);
	v->common = region(v, &c, VIRTIO_CAP_COMMON);
	v->notify = region(v, &c, VIRTIO_CAP_NOTIFY);
	v->isr = region(v, &c, VIRTIO_CAP_ISR);
	v->device = (c.found & 1u << VIRTIO_CAP_DEVICE) ? region(v, &c, VIRTIO_CAP_DEVICE) : NULL;
	v->device_len = v->device ? c.r[VIRTIO_CAP_DEVICE].len : 0;
	v->notify_len = c.r[VIRTIO_CAP_NOTIFY].len;
	v->notify_mult = c.notify_mult;
	if (!v->common || !v->notify || !v->isr) {
		kprintf(LOC "a virtio register BAR cannot be mapped; refused\n", LOCARGS(v));
		return -1;
	}
	/* reset: the device reads 0 once it is done (virtio 1.x 4.1.4.3.2) */
	wr8(v->common, C_STATUS, 0);
	uint64_t hz = arch_cycles_hz(), t0 = arch_cycles();
	uint64_t limit = hz ? hz : 4000000000ull;   /* 1 s */
	while (rd8(v->common, C_STATUS) != 0) {
		if (arch_cycles() - t0 > limit) {
			virtio_pci_fail(v, "reset did not complete in 1 s");
			return -1;
		}
		arch_pause();
	}
	status_or(v, VIRTIO_S_ACKNOWLEDGE);
	status_or(v, VIRTIO_S_DRIVER);
	v->num_queues = rd16(v->common, C_NUMQ);
	/* what the device offers, for a driver whose wishes depend on it */
	wr32(v->common, C_DFSELECT, 0);
	uint64_t lo = rd32(v->common, C_DF);
	wr32(v->common, C_DFSELECT, 1);
	v->offered = lo | (uint64_t)rd32(v->common, C_DF) << 32;
	return 0;
}

int virtio_pci_negotiate(struct virtio_dev *v, uint64_t wanted, uint64_t required)
{
	char why[120];
	required |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
	wr32(v->common, C_DFSELECT, 0);
	uint64_t lo = rd32(v->common, C_DF);
	wr32(v->common, C_DFSELECT, 1);
	uint64_t hi = rd32(v->common, C_DF);
	v->offered = lo | hi << 32;
	if ((v->offered & required) != required) {
		ksnprintf(why, sizeof(why), "features 0x%lx required, device offers 0x%lx",
		          required, v->offered);
		virtio_pci_fail(v, why);
		return -1;
	}
	uint64_t f = (wanted | required) & v->offered;
	wr32(v->common, C_GFSELECT, 0);
	wr32(v->common, C_GF, (uint32_t)f);
	wr32(v->common, C_GFSELECT, 1);
	wr32(v->common, C_GF, (uint32_t)(f >> 32));
	status_or(v, VIRTIO_S_FEATURES_OK);
	if (!(rd8(v->common, C_STATUS) & VIRTIO_S_FEATURES_OK)) {
		ksnprintf(why, sizeof(why), "the device did not accept features 0x%lx (FEATURES_OK "
		          "cleared)", f);
		virtio_pci_fail(v, why);
		return -1;
	}
	v->features = f;
	/* the queue count may follow the features: QEMU's virtio-net has
	 * 2 x max pairs + 1 queues only once MQ is accepted, 3 before */
	v->num_queues = rd16(v->common, C_NUMQ);
	return 0;
}

int virtio_pci_queue(struct virtio_dev *v, struct virtq *q, uint16_t index, uint16_t max_size,
                     int msix_entry, unsigned cpu, volatile uint64_t *irqs,
                     volatile uint32_t *flag)
{
	char why[120];
	if (index >= v->num_queues) {
		ksnprintf(why, sizeof(why), "queue %u missing (device has %u)", index, v->num_queues);
		virtio_pci_fail(v, why);
		return -1;
	}
	wr16(v->common, C_QSELECT, index);
	uint16_t dev_size = rd16(v->common, C_QSIZE);
	uint16_t n = 1;
	while ((uint32_t)n * 2 <= dev_size && (uint32_t)n * 2 <= max_size &&
	       n * 2u <= VIRTQ_MAX_SIZE)
		n = (uint16_t)(n * 2);
	if (dev_size == 0 || rd16(v->common, C_QENABLE)) {
		ksnprintf(why, sizeof(why), "queue %u unavailable (size %u)", index, dev_size);
		virtio_pci_fail(v, why);
		return -1;
	}
	uint64_t ring_pa, slot_pa;
	int packed = (v->features & VIRTIO_BIT(VIRTIO_F_RING_PACKED)) != 0;
	void *ring = virtio_dma_alloc(packed ? virtq_packed_ring_bytes(n) : virtq_ring_bytes(n),
	                              &ring_pa);
	struct virtq_slot *slots = virtio_dma_alloc(sizeof(*slots) * n, &slot_pa);
	if (!ring || !slots) {
		virtio_pci_fail(v, "out of memory for a queue");
		return -1;
	}
	int event_idx = (v->features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX)) != 0;
	if ((packed ? virtq_init_packed : virtq_init)(q, index, n, ring, ring_pa, slots,
	                                             event_idx) < 0) {
		virtio_pci_fail(v, "bad queue size");
		return -1;
	}
	uint32_t noff = (uint32_t)rd16(v->common, C_QNOTIFY) * v->notify_mult;
	if ((uint64_t)noff + 2 > v->notify_len) {
		ksnprintf(why, sizeof(why), "queue %u notify offset 0x%x outside the 0x%x-byte "
		          "notify region", index, noff, v->notify_len);
		virtio_pci_fail(v, why);
		return -1;
	}
	q->notify_off = noff;
	if (v->mmio_fence) {
		q->fence = mmio_fence;
		q->fence_arg = v;
	}
	wr16(v->common, C_QSIZE, n);
	wr64(v->common, C_QDESC, q->desc_pa);
	wr64(v->common, C_QDRIVER, q->avail_pa);
	wr64(v->common, C_QDEVICE, q->used_pa);
	if (msix_entry >= 0 && v->intx_vector >= 0) {
		route(v, (unsigned)msix_entry, irqs, flag, cpu);
		wr16(v->common, C_QMSIX, NO_VECTOR);
	} else if (msix_entry >= 0) {
		if (route(v, (unsigned)msix_entry, irqs, flag, cpu) < 0) {
			virtio_pci_fail(v, "no MSI-X interrupt for a queue");
			return -1;
		}
		wr16(v->common, C_QMSIX, (uint16_t)msix_entry);
		if (rd16(v->common, C_QMSIX) != (uint16_t)msix_entry) {
			ksnprintf(why, sizeof(why), "queue %u refused MSI-X entry %d", index, msix_entry);
			virtio_pci_fail(v, why);
			return -1;
		}
	} else {
		wr16(v->common, C_QMSIX, NO_VECTOR);
	}
	wr16(v->common, C_QENABLE, 1);
	return 0;
}

int virtio_pci_config_irq(struct virtio_dev *v, unsigned entry)
{
	int vec = route(v, entry, &v->config_irqs, &v->config_changed, 0);
	if (vec < 0)
		return -1;
	if (v->intx_vector >= 0) {
		wr16(v->common, C_MSIX, NO_VECTOR);
		v->config_vector = vec;
		return 0;
	}
	wr16(v->common, C_MSIX, (uint16_t)entry);
	if (rd16(v->common, C_MSIX) != entry) {
		kprintf(LOC "config interrupt: the device refused MSI-X entry %u\n", LOCARGS(v), entry);
		return -1;
	}
	v->config_vector = vec;
	return 0;
}

void virtio_pci_ready(struct virtio_dev *v)
{
	status_or(v, VIRTIO_S_DRIVER_OK);
}

void virtio_pci_notify(struct virtio_dev *v, const struct virtq *q)
{
	wr16(v->notify, q->notify_off, q->index);
}

int virtio_pci_config(struct virtio_dev *v, unsigned off, void *buf, unsigned len)
{
	if (!v->device || off > v->device_len || len > v->device_len - off)
		return -1;
	uint8_t *out = buf;
	for (unsigned tries = 0; tries < 1000; tries++) {
		uint8_t gen = rd8(v->common, C_CFGGEN);
		/* each field with its natural width (virtio 1.x 4.1.3.1) */
		if (len == 2 && !(off & 1)) {
			uint16_t x = rd16(v->device, off);
			memcpy(out, &x, 2);
		} else if (len == 4 && !(off & 3)) {
			uint32_t x = rd32(v->device, off);
			memcpy(out, &x, 4);
		} else {
			for (unsigned i = 0; i < len; i++)
				out[i] = rd8(v->device, off + i);
		}
		if (rd8(v->common, C_CFGGEN) == gen)
			return 0;
	}
	return -1;
}

/*
 * its.c - the GICv3 Interrupt Translation Service: PCI MSI and MSI-X on
 * aarch64 (arch_msi_compose).
 *
 * Purpose: on a GICv3 a device's message is a 32-bit write of an EventID
 * to the ITS's GITS_TRANSLATER; the ITS looks the writer's DeviceID (its
 * PCI requester id on QEMU's virt, whose msi-map is the identity) up in a
 * device table, the EventID in that device's interrupt translation table
 * (ITT), and makes the LPI found there pending on the redistributor of
 * the entry's collection.  Tables live in memory the kernel gives; the
 * ITS is programmed through a command queue.  Arm IHI 0069 (GICv3) 5.1
 * (LPIs), 5.3 (the ITS commands), 12.11 (GICR_PROPBASER, GICR_PENDBASER),
 * 12.19 (the GITS_ registers).
 *
 * Numbering: kernel vector v (an SPI-range number from the kernel's
 * allocator, 32..1019, never an SPI the distributor enables) is LPI
 * GIC_LPI_BASE + v, and its EventID is v on every device.  gic_ack hands
 * the kernel v back.  A vector belongs to the last device and CPU it was
 * composed for: composing it for another device discards the old
 * translation first (DISCARD), for another CPU of the same device moves it
 * (MOVI), so no two translations ever name one LPI.
 *
 * Set-up, at the first arch_msi_compose (thread context, after the
 * physical allocator and every redistributor exist):
 *   - the LPI configuration table (GICR_PROPBASER: 14 INTID bits, one
 *     byte per LPI from 8192: priority and enable) and one pending table
 *     per redistributor (GICR_PENDBASER, 64 KiB aligned, zeroed), then
 *     GICR_CTLR.EnableLPIs, on every redistributor the regions hold,
 *     started CPU or not (their frames are memory-mapped; a CPU started
 *     later needs nothing more);
 *   - the ITS disabled (and quiescent), each GITS_BASER<n> of type device
 *     or collection given zeroed pages (device table: every DeviceID the
 *     ITS has bits for, at most 2^16; collection table: one entry per
 *     possible CPU), the command queue (one 4 KiB page, 128 commands),
 *     then GITS_CTLR.Enabled.
 *   Memory attributes asked for: inner-shareable, write-back.  If a
 *   register reads back non-shareable or non-cacheable, the GIC reads
 *   memory directly and every line written for it is cleaned to the
 *   point of coherency first (`clean`).
 * A set-up that fails (no LPIs on a redistributor, EnableLPIs left set by
 * firmware, no memory, a command the ITS does not complete) prints one
 * line and leaves the machine without MSI: arch_msi_compose returns -1,
 * and PCI drivers take INTx (docs/boot.md).
 *
 * Data structures: per vector its device (+1; 0 none) and collection;
 * the device ids mapped (up to ITS_MAX_DEV; their ITTs stay theirs); per
 * redistributor its pending table; per collection (ICID = its position in
 * coll[]) the CPU's hwid, its RDbase as MAPC/SYNC want it and its
 * redistributor's pending table.
 * Locking: none.  arch_msi_compose is called one at a time (arch.h: device
 * set-up); the IRQ path reads only vec_dev/vec_coll/pend through
 * its_in_flight, which tolerates a stale answer (irq_free_vector's drain).
 * Context: arch_msi_compose: thread context; its_in_flight: any.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "arch/arch.h"
#include "arch/aarch64/a64.h"
#include "arch/aarch64/gic.h"
#include "kernel/lib/kprintf.h"
#include "kernel/mem/pmem.h"

#define ITS_SPIN        10000000u
#define ITS_MAX_DEV     64
#define ITS_MAX_COLL    64
#define ITS_MAX_RD      256
#define LPI_IDBITS      14                 /* INTIDs below 2^14: LPIs 8192..16383 */
#define PROP_BYTES      ((1u << LPI_IDBITS) - GIC_LPI_BASE)
#define PEND_ORDER      4                  /* 64 KiB: the pending table's alignment */
#define EVENT_BITS      10                 /* EventID = vector < 1024 */
#define LPI_PRIO        0xa0               /* as gic.c's SPIs */
#define LPI_GROUP1      0x02
#define LPI_ENABLE      0x01

/* redistributor */
#define GICR_CTLR       0x0000
#define GICR_TYPER      0x0008
#define GICR_PROPBASER  0x0070
#define GICR_PENDBASER  0x0078
#define GICR_FRAME      0x10000ull
/* ITS */
#define GITS_CTLR       0x0000
#define GITS_TYPER      0x0008
#define GITS_CBASER     0x0080
#define GITS_CWRITER    0x0088
#define GITS_CREADR     0x0090
#define GITS_BASER(n)   (0x0100 + 8 * (n))
#define GITS_TRANSLATER 0x10040ull
#define GITS_CTLR_ENABLED   (1u << 0)
#define GITS_CTLR_QUIESCENT (1u << 31)
/* memory attributes of the *BASER registers: inner write-back
 * read/write-allocate (InnerCache 0b111 at bits 9:7 or 61:59), inner
 * shareable (0b01 at bits 11:10) */
#define ATTR_SH_INNER   (1ull << 10)
#define ATTR_SH_MASK    (3ull << 10)
#define RD_CACHE_WB     (7ull << 7)
#define RD_CACHE_MASK   (7ull << 7)
#define ITS_CACHE_WB    (7ull << 59)
#define ITS_CACHE_MASK  (7ull << 59)
#define BASER_VALID     (1ull << 63)
#define BASER_TYPE(b)   ((unsigned)((b) >> 56) & 7)
#define BASER_ESIZE(b)  ((unsigned)((b) >> 48 & 0x1f) + 1)
#define BASER_DEVICE    1
#define BASER_COLL      4
/* commands */
#define CMD_MOVI        0x01
#define CMD_SYNC        0x05
#define CMD_MAPD        0x08
#define CMD_MAPC        0x09
#define CMD_MAPTI       0x0a
#define CMD_INV         0x0c
#define CMD_DISCARD     0x0f

static int state;                  /* 0 not tried, 1 up, -1 failed */
static uint64_t its;               /* GITS base */
static int pta, noncoherent;
static unsigned devbits, itt_esize;
static uint8_t *prop;
static uint64_t *cmdq;
static unsigned cmd_next;          /* next free slot, 32-byte commands */
static uint32_t vec_dev[1024];     /* devid + 1 of the vector's translation */
static uint8_t vec_coll[1024];
static uint32_t dev[ITS_MAX_DEV];   /* device ids mapped (MAPD) */
static unsigned ndev;
static struct { uint32_t hwid; uint64_t rdbase; const uint8_t *pend; } coll[ITS_MAX_COLL];
static unsigned ncoll;
static struct { uint64_t rd; uint8_t *pend; } rds[ITS_MAX_RD];
static unsigned nrd;

static int its_in_flight(unsigned v);

#define rd32 gic_rd32
#define rd64 gic_rd64
#define wr32 gic_wr32
#define wr64 gic_wr64

/* Lines the GIC reads, cleaned when it reads memory directly. */
static void clean(const void *p, size_t len)
{
	if (noncoherent)
		a64_clean_to_poc(p, len);
}

/* Zeroed, physically contiguous 2^order pages reachable as va == pa. */
static void *pages(unsigned order)
{
	uint64_t pa = pmem_alloc(order);

	if (!pa)
		return NULL;
	if (pa + (ARCH_PAGE_SIZE << order) > arch_direct_map_top()) {
		pmem_free(pa, order);
		return NULL;
	}
	memset((void *)(uintptr_t)pa, 0, ARCH_PAGE_SIZE << order);
	clean((void *)(uintptr_t)pa, ARCH_PAGE_SIZE << order);
	return (void *)(uintptr_t)pa;
}

static unsigned order_for(uint64_t bytes)
{
	unsigned o = 0;

	while ((ARCH_PAGE_SIZE << o) < bytes)
		o++;
	return o;
}

/* Queue one command and wait for the ITS to have read it: 0, or -1 with
 * a line printed (the ITS stalled on it, or never got there). */
static int command(const char *what, uint64_t d0, uint64_t d1, uint64_t d2)
{
	uint64_t *c = cmdq + 4 * cmd_next;
	unsigned slots = (unsigned)(ARCH_PAGE_SIZE / 32);

	c[0] = d0;
	c[1] = d1;
	c[2] = d2;
	c[3] = 0;
	clean(c, 32);
	__asm__ volatile("dsb ishst" ::: "memory");
	cmd_next = (cmd_next + 1) % slots;
	wr64(its + GITS_CWRITER, (uint64_t)cmd_next * 32);
	for (uint32_t i = 0; i < ITS_SPIN; i++) {
		uint64_t r = rd64(its + GITS_CREADR);

		if (r & 1) {
			kprintf("tally: its: the ITS stalled on %s (GITS_CREADR 0x%llx)\n", what,
			        (unsigned long long)r);
			return -1;
		}
		if ((r & 0xfffe0) == (uint64_t)cmd_next * 32)
			return 0;
	}
	kprintf("tally: its: the ITS did not read %s\n", what);
	return -1;
}

/* MAPC's and SYNC's RDbase field: the redistributor's physical address
 * (GITS_TYPER.PTA) or its processor number. */
static uint64_t rdbase_field(uint64_t rd)
{
	if (pta)
		return rd & 0x000fffffffff0000ull;
	return ((rd64(rd + GICR_TYPER) >> 8) & 0xffff) << 16;
}

static int sync_coll(unsigned icid)
{
	return command("SYNC", CMD_SYNC, 0, coll[icid].rdbase);
}

/* Every redistributor of the layout: LPIs on, with one configuration
 * table and a pending table each. */
static int redists_init(const struct gic_layout *l)
{
	uint64_t propbase = (uint64_t)(uintptr_t)prop | ATTR_SH_INNER | RD_CACHE_WB | (LPI_IDBITS - 1);

	for (uint32_t r = 0; r < l->nredist; r++) {
		uint64_t a = l->redist[r].base, end = a + l->redist[r].size;

		while (a + 2 * GICR_FRAME <= end && nrd < ITS_MAX_RD) {
			uint64_t t = rd64(a + GICR_TYPER), back;

			if (!(t & 1)) {
				kprintf("tally: its: the redistributor at 0x%llx has no LPIs (GICR_TYPER.PLPIS)\n",
				        (unsigned long long)a);
				return -1;
			}
			if (rd32(a + GICR_CTLR) & 1) {
				kprintf("tally: its: LPIs were left enabled at 0x%llx (GICR_CTLR.EnableLPIs): "
				        "their tables cannot be replaced\n", (unsigned long long)a);
				return -1;
			}
			uint8_t *pend = pages(PEND_ORDER);
			if (!pend) {
				kprintf("tally: its: no memory for a pending table\n");
				return -1;
			}
			wr64(a + GICR_PROPBASER, propbase);
			back = rd64(a + GICR_PROPBASER);
			if (!(back & ATTR_SH_MASK) || !(back & RD_CACHE_MASK)) {
				noncoherent = 1;
				wr64(a + GICR_PROPBASER, (uint64_t)(uintptr_t)prop | (LPI_IDBITS - 1));
			}
			wr64(a + GICR_PENDBASER, (uint64_t)(uintptr_t)pend | ATTR_SH_INNER | RD_CACHE_WB |
			                         (1ull << 62) /* PTZ: the table is zero */);
			back = rd64(a + GICR_PENDBASER);
			if (!(back & ATTR_SH_MASK) || !(back & RD_CACHE_MASK))
				noncoherent = 1;
			__asm__ volatile("dsb sy" ::: "memory");
			wr32(a + GICR_CTLR, rd32(a + GICR_CTLR) | 1);
			rds[nrd].rd = a;
			rds[nrd++].pend = pend;
			if (t & (1u << 4))   /* Last */
				break;
			a += (t & 2) ? 4 * GICR_FRAME : 2 * GICR_FRAME;
		}
	}
	clean(prop, PROP_BYTES);
	return nrd ? 0 : -1;
}

/* GITS_BASER<n> of type device or collection: zeroed pages, flat. */
static int table_init(unsigned n)
{
	uint64_t b = rd64(its + GITS_BASER(n)), entries, bytes, want, back;
	unsigned type = BASER_TYPE(b), order;

	if (type != BASER_DEVICE && type != BASER_COLL)
		return 0;
	entries = type == BASER_DEVICE ? 1ull << devbits : ITS_MAX_COLL;
	bytes = entries * BASER_ESIZE(b);
	order = order_for(bytes);
	if (order > 8) {   /* Size holds at most 256 pages */
		kprintf("tally: its: a %u-bit device table needs %llu bytes\n", devbits,
		        (unsigned long long)bytes);
		return -1;
	}
	void *t = pages(order);
	if (!t) {
		kprintf("tally: its: no memory for its tables\n");
		return -1;
	}
	want = BASER_VALID | ITS_CACHE_WB | (b & (7ull << 56)) | (b & (0x1full << 48)) |
	       (uint64_t)(uintptr_t)t | ATTR_SH_INNER | ((1ull << order) - 1);  /* 4 KiB pages */
	wr64(its + GITS_BASER(n), want);
	back = rd64(its + GITS_BASER(n));
	if ((back & (3ull << 8)) != 0) {
		kprintf("tally: its: GITS_BASER%u takes no 4 KiB pages\n", n);
		return -1;
	}
	if (!(back & ATTR_SH_MASK) || !(back & ITS_CACHE_MASK))
		noncoherent = 1;
	return 0;
}

static int its_init(void)
{
	const struct gic_layout *l = gic_get_layout();
	uint64_t typer, back;

	if (l->version != 3 || !l->its.size)
		return -1;   /* no ITS: INTx (virtio_net.c says so) */
	its = l->its.base;
	typer = rd64(its + GITS_TYPER);
	pta = (typer >> 19) & 1;
	itt_esize = (unsigned)((typer >> 4) & 0xf) + 1;
	devbits = (unsigned)((typer >> 13) & 0x1f) + 1;
	if (devbits > 16)
		devbits = 16;
	if (!(typer & 1) || ((typer >> 8) & 0x1f) + 1 < EVENT_BITS) {
		kprintf("tally: its: the ITS at 0x%llx takes no physical LPIs with %u-bit events "
		        "(GITS_TYPER 0x%llx)\n", (unsigned long long)its, EVENT_BITS,
		        (unsigned long long)typer);
		return -1;
	}
	prop = pages(order_for(PROP_BYTES));
	cmdq = pages(0);
	if (!prop || !cmdq) {
		kprintf("tally: its: no memory for the LPI tables\n");
		return -1;
	}
	if (redists_init(l) < 0)
		return -1;
	wr32(its + GITS_CTLR, rd32(its + GITS_CTLR) & ~GITS_CTLR_ENABLED);
	for (uint32_t i = 0; !(rd32(its + GITS_CTLR) & GITS_CTLR_QUIESCENT); i++)
		if (i == ITS_SPIN) {
			kprintf("tally: its: the ITS did not become quiescent\n");
			return -1;
		}
	for (unsigned n = 0; n < 8; n++)
		if (table_init(n) < 0)
			return -1;
	wr64(its + GITS_CBASER, BASER_VALID | ITS_CACHE_WB | (uint64_t)(uintptr_t)cmdq | ATTR_SH_INNER);
	back = rd64(its + GITS_CBASER);
	if (!(back & ATTR_SH_MASK) || !(back & ITS_CACHE_MASK))
		noncoherent = 1;
	wr64(its + GITS_CWRITER, 0);
	cmd_next = 0;
	__asm__ volatile("dsb sy" ::: "memory");
	wr32(its + GITS_CTLR, rd32(its + GITS_CTLR) | GITS_CTLR_ENABLED);
	gic_set_lpi_probe(its_in_flight);
	kprintf("tally: its: ITS at 0x%llx: %u redistributors with LPIs, %u-bit device ids, "
	        "%s%s\n", (unsigned long long)its, nrd, devbits, pta ? "RDbase by address" :
	        "RDbase by processor number", noncoherent ? ", tables cleaned by hand" : "");
	return 0;
}

/* The collection of the CPU with hardware id hwid (mapped on first use),
 * or -1. */
static int coll_for(uint32_t hwid)
{
	for (unsigned i = 0; i < ncoll; i++)
		if (coll[i].hwid == hwid)
			return (int)i;
	uint64_t rd = gic_redist_of(hwid);
	const uint8_t *pend = NULL;
	for (unsigned i = 0; i < nrd; i++)
		if (rds[i].rd == rd)
			pend = rds[i].pend;
	if (!pend || ncoll == ITS_MAX_COLL)
		return -1;
	coll[ncoll].hwid = hwid;
	coll[ncoll].pend = pend;
	coll[ncoll].rdbase = rdbase_field(rd);
	if (command("MAPC", CMD_MAPC, 0, (1ull << 63) | coll[ncoll].rdbase | ncoll) < 0 ||
	    command("SYNC", CMD_SYNC, 0, coll[ncoll].rdbase) < 0)
		return -1;
	return (int)ncoll++;
}

/* Map the device (MAPD with a fresh ITT) unless it is: 0, or -1. */
static int dev_map(uint32_t devid)
{
	for (unsigned i = 0; i < ndev; i++)
		if (dev[i] == devid)
			return 0;
	if (devid >> devbits || ndev == ITS_MAX_DEV) {
		kprintf("tally: its: device id 0x%x: %s\n", devid,
		        devid >> devbits ? "beyond the ITS's device id bits" : "too many devices");
		return -1;
	}
	void *itt = pages(order_for((uint64_t)itt_esize << EVENT_BITS));
	if (!itt) {
		kprintf("tally: its: no memory for device 0x%x's translation table\n", devid);
		return -1;
	}
	if (command("MAPD", CMD_MAPD | (uint64_t)devid << 32, EVENT_BITS - 1,
	            (1ull << 63) | ((uint64_t)(uintptr_t)itt & 0x000fffffffffff00ull)) < 0)
		return -1;
	dev[ndev++] = devid;
	return 0;
}

static int its_in_flight(unsigned v)
{
	if (v >= 1024 || !vec_dev[v])
		return 0;
	unsigned lpi = GIC_LPI_BASE + v;
	return (__atomic_load_n(&coll[vec_coll[v]].pend[lpi / 8], __ATOMIC_RELAXED) >> (lpi % 8)) & 1;
}

int arch_msi_compose(uint32_t devid, uint32_t hwid, unsigned vector, uint64_t *addr,
                     uint32_t *data)
{
	int c;

	if (!state)
		state = its_init() == 0 ? 1 : -1;
	if (state < 0 || vector < 32 || vector >= 1020)
		return -1;
	if ((c = coll_for(hwid)) < 0 || dev_map(devid) < 0)
		return -1;
	if (vec_dev[vector] == devid + 1) {
		if (vec_coll[vector] != c) {
			if (command("MOVI", CMD_MOVI | (uint64_t)devid << 32, vector, (uint64_t)c) < 0 ||
			    sync_coll(vec_coll[vector]) < 0)
				return -1;
			vec_coll[vector] = (uint8_t)c;
		}
	} else {
		if (vec_dev[vector]) {
			uint32_t old = vec_dev[vector] - 1u;
			if (command("DISCARD", CMD_DISCARD | (uint64_t)old << 32, vector, 0) < 0 ||
			    sync_coll(vec_coll[vector]) < 0)
				return -1;
			vec_dev[vector] = 0;
		}
		prop[vector] = LPI_PRIO | LPI_GROUP1 | LPI_ENABLE;   /* LPI 8192 + vector */
		clean(&prop[vector], 1);
		__asm__ volatile("dsb ishst" ::: "memory");
		if (command("MAPTI", CMD_MAPTI | (uint64_t)devid << 32,
		            vector | (uint64_t)(GIC_LPI_BASE + vector) << 32, (uint64_t)c) < 0 ||
		    command("INV", CMD_INV | (uint64_t)devid << 32, vector, 0) < 0 ||
		    sync_coll((unsigned)c) < 0)
			return -1;
		vec_dev[vector] = devid + 1;
		vec_coll[vector] = (uint8_t)c;
	}
	*addr = its + GITS_TRANSLATER;
	*data = vector;
	return 0;
}

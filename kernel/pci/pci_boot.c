/*
 * pci_boot.c - the machine's PCI bus: choosing the config mechanism,
 * the boot scan, the listing, BAR mappings and driver matching.
 *
 * Purpose: pci_init() runs once at boot.  It takes ECAM when the machine
 * (kernel/machine.h pci_ecam: a PC's ACPI MCFG, a device tree's
 * pci-host-ecam-generic node) lists a window for segment 0: in place when
 * the direct map holds its pages uncached (the window is device space,
 * never RAM), else in a region of its own whose buses are mapped
 * uncached as the scan first reads them (aarch64 virt's window lies at
 * 256 GiB); without a window, the machine's legacy
 * mechanism (the machine's pci_legacy_cfg, kernel/machine.h); it scans
 * (pci.c), assigns the memory BARs no firmware did (pci_assign.c), checks
 * BAR overlaps, prints the listing at loglevel >= 2 and the
 * config dump when asked, then offers each function to the registered
 * drivers (section "pci_drivers", PCI_DRIVER in pci.h) in link order; the
 * first whose id table matches and whose probe returns 0 owns it.  Before
 * a probe the function's memory decoding and bus mastering are turned on
 * and its memory BARs are mapped uncached (pci_map_bar).
 *
 * Data structures: one struct pci_scan in .bss; the ECAM window (base,
 * bus range) in a small context struct.  A BAR mapping is a vm region of
 * its own, backed page by page with arch_map_page(VM_UC).
 *
 * Invariants: bus.mechanism is NULL until pci_init ran; a dev's bar[i].va
 * is NULL or maps exactly [base, base+size) uncached.
 * Locking: none; pci_init and the probes run at boot on the boot CPU.
 * Context: boot; may allocate page tables (pci_map_bar).
 */
#include <string.h>
#include "arch/arch.h"
#include "kernel/lib/kprintf.h"
#include "kernel/machine.h"
#include "kernel/mem/vm.h"
#include "kernel/pci/pci_impl.h"

static struct pci_scan bus;
static const struct pci_cfg_ops *ops;

extern const struct pci_driver __start_pci_drivers[], __stop_pci_drivers[];

/* ---- ECAM: bus << 20 | dev << 15 | fn << 12 | offset into the window ---- */
static struct ecam {
	uint64_t base;          /* address of bus bus_start's space */
	uint64_t pa;            /* the window's physical address */
	unsigned bus_start;
	uint8_t lazy;           /* base is a region: a bus is mapped at first use */
	uint8_t failed;         /* a bus could not be mapped (said once) */
	uint8_t mapped[256];    /* lazy: bus - bus_start mapped */
} ecam;

/* A window outside the direct map (aarch64 virt's is at 256 GiB) lives in
 * a region of its own; a bus's 1 MiB is mapped uncached the first time
 * it is read, which is during the boot scan (the scan follows bridges, so
 * only buses that exist are mapped; drivers later touch only those).
 * 0, or -1 when page tables ran out (the bus then reads as empty). */
static int map_bus(unsigned i)
{
	uint64_t off = (uint64_t)i << 20;
	for (uint64_t o = 0; o < (1u << 20); o += ARCH_PAGE_SIZE)
		if (arch_map_page((uintptr_t)(ecam.base + off + o), ecam.pa + off + o,
		                  VM_R | VM_W | VM_UC) < 0) {
			if (!ecam.failed)
				kprintf("tally: pci: out of memory mapping ECAM bus %u\n",
				        i + ecam.bus_start);
			ecam.failed = 1;
			return -1;
		}
	ecam.mapped[i] = 1;
	return 0;
}

static volatile uint32_t *ecam_at(unsigned b, unsigned d, unsigned f, unsigned off)
{
	unsigned i = b - ecam.bus_start;
	if (ecam.lazy && !ecam.mapped[i] && map_bus(i) < 0)
		return NULL;
	uint64_t a = ecam.base + ((uint64_t)i << 20 | d << 15 | f << 12 | (off & 0xffc));
	return (volatile uint32_t *)(uintptr_t)a;
}

static uint32_t ecam_read32(void *ctx, unsigned b, unsigned d, unsigned f, unsigned off)
{
	(void)ctx;
	volatile uint32_t *p = ecam_at(b, d, f, off);
	return p ? *p : 0xffffffffu;
}

static void ecam_write32(void *ctx, unsigned b, unsigned d, unsigned f, unsigned off, uint32_t v)
{
	(void)ctx;
	volatile uint32_t *p = ecam_at(b, d, f, off);
	if (p)
		*p = v;
}

static struct pci_cfg_ops ecam_ops = { "ecam", ecam_read32, ecam_write32, &ecam, 0, 0,
                                       PCI_EXT_SIZE };

/* Every 2 MiB step of the window (the direct map's page size) must map
 * to itself uncached. */
static int window_mapped_uc(uint64_t base, uint64_t len)
{
	for (uint64_t a = base; a < base + len; a += 2ull << 20) {
		uint64_t pa;
		unsigned prot;
		if (arch_translate(a, &pa, &prot) < 0 || pa != a || !(prot & VM_UC))
			return 0;
	}
	return 1;
}

static const struct pci_cfg_ops *choose(void)
{
	const struct machine_ecam *list = NULL;
	unsigned n = machine->pci_ecam ? machine->pci_ecam(&list) : 0;
	for (unsigned i = 0; i < n; i++) {
		const struct machine_ecam *m = &list[i];
		if (m->segment != 0 || m->bus_end < m->bus_start)
			continue;
		uint64_t len = (uint64_t)(m->bus_end - m->bus_start + 1) << 20;
		ecam.base = ecam.pa = m->base;
		if (!window_mapped_uc(m->base, len)) {
			struct vm_region *r = vm_region_create("pci ecam", len, ARCH_PAGE_SIZE);
			if (!r) {
				kprintf("tally: pci: ECAM window 0x%lx (%lu MiB) is outside the direct map "
				        "and no region is left for it; using the legacy mechanism\n",
				        m->base, len >> 20);
				break;
			}
			ecam.base = r->base;
			ecam.lazy = 1;
		}
		ecam.bus_start = m->bus_start;
		ecam_ops.bus_start = m->bus_start;
		ecam_ops.bus_end = m->bus_end;
		return &ecam_ops;
	}
	return machine->pci_legacy_cfg ? machine->pci_legacy_cfg() : NULL;
}

/* ---- config access for drivers ---- */
/* Offsets past what the mechanism reaches read as all ones and are not
 * written (the legacy mechanism would wrap them onto the first 256 bytes). */
static int reachable(unsigned off)
{
	return off < (ops->cfg_size ? ops->cfg_size : PCI_CFG_SIZE);
}

uint32_t pci_read32(const struct pci_dev *d, unsigned off)
{
	if (!reachable(off))
		return 0xffffffffu;
	return ops->read32(ops->ctx, d->bus, d->dev, d->fn, off & ~3u);
}

void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v)
{
	if (!reachable(off))
		return;
	ops->write32(ops->ctx, d->bus, d->dev, d->fn, off & ~3u, v);
}

uint16_t pci_read16(const struct pci_dev *d, unsigned off)
{
	return (uint16_t)(pci_read32(d, off) >> (8 * (off & 2)));
}

/* Read-modify-write of the containing dword.  Callers must not use it on
 * a register whose other half has write-1-to-clear bits they would set
 * by accident: the command/status pair is handled by masking status. */
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v)
{
	uint32_t old = pci_read32(d, off);
	unsigned sh = 8 * (off & 2);
	if ((off & ~3u) == PCI_COMMAND)
		old &= 0xffffu;   /* writing status back would clear its RW1C bits */
	pci_write32(d, off, (old & ~(0xffffu << sh)) | (uint32_t)v << sh);
}

struct pci_scan *pci_devices(void) { return &bus; }

struct pci_dev *pci_find(uint16_t vendor, uint16_t device)
{
	for (uint32_t i = 0; i < bus.ndev; i++)
		if (bus.dev[i].vendor == vendor && bus.dev[i].device == device)
			return &bus.dev[i];
	return NULL;
}

volatile void *pci_map_bar(struct pci_dev *d, unsigned i)
{
	if (i >= 6)
		return NULL;
	struct pci_bar *b = &d->bar[i];
	if (b->va)
		return b->va;
	if ((b->kind != PCI_BAR_MEM32 && b->kind != PCI_BAR_MEM64) || !b->size || !b->base)
		return NULL;
	uint64_t first = b->base & ~(ARCH_PAGE_SIZE - 1);
	uint64_t end = (b->base + b->size + ARCH_PAGE_SIZE - 1) & ~(ARCH_PAGE_SIZE - 1);
	struct vm_region *r = vm_region_create("pci bar", end - first, ARCH_PAGE_SIZE);
	if (!r)
		return NULL;
	for (uint64_t pa = first; pa < end; pa += ARCH_PAGE_SIZE)
		if (arch_map_page(r->base + (pa - first), pa, VM_R | VM_W | VM_UC) < 0) {
			kprintf("tally: pci: %02x:%02x.%x: out of memory mapping BAR %u\n",
			        d->bus, d->dev, d->fn, i);
			return NULL;
		}
	b->va = (volatile void *)(r->base + (b->base - first));
	return b->va;
}

/* ---- the listing and the fixture dump ---- */
static void list(void)
{
	char line[200];
	kprintf("tally: pci: %u functions via %s\n", bus.ndev, bus.mechanism);
	for (uint32_t i = 0; i < bus.ndev; i++) {
		struct pci_dev *d = &bus.dev[i];
		pci_describe(d, line, sizeof(line));
		kprintf("pci: %s driver %s\n", line, d->driver ? d->driver->name : "none");
		for (unsigned j = 0; j < 6; j++) {
			pci_describe_bar(d, j, line, sizeof(line));
			if (line[0])
				kprintf("pci:   %s\n", line);
		}
		pci_describe_irq(d, line, sizeof(line));
		if (line[0])
			kprintf("pci:   %s\n", line);
		pci_describe_ecaps(d, line, sizeof(line));
		if (line[0])
			kprintf("pci:   %s\n", line);
	}
}

/* Each function's 256 bytes and the read-back of all ones in each BAR
 * slot (decoding off meanwhile), then the parse: what tools/record-
 * fixture.py pci turns into a host-test fixture. */
static void dump(void)
{
	char line[200];
	kprintf("pcidump: begin %s\n", bus.mechanism);
	for (uint32_t i = 0; i < bus.ndev; i++) {
		struct pci_dev *d = &bus.dev[i];
		kprintf("pcidump: fn %02x:%02x.%x\n", d->bus, d->dev, d->fn);
		for (unsigned off = 0; off < PCI_CFG_SIZE; off += 32) {
			int n = 0;
			for (unsigned k = 0; k < 32; k += 4)
				n += ksnprintf(line + n, sizeof(line) - n, "%08x", pci_read32(d, off + k));
			kprintf("pcidump: cfg %02x %s\n", off, line);
		}
		if (d->nbar) {
			uint16_t cmd = pci_read16(d, PCI_COMMAND);
			pci_write16(d, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
			int n = 0;
			for (unsigned k = 0; k < d->nbar; k++) {
				unsigned off = PCI_BAR0 + 4 * k;
				uint32_t orig = pci_read32(d, off);
				pci_write32(d, off, 0xffffffffu);
				n += ksnprintf(line + n, sizeof(line) - n, " %08x", pci_read32(d, off));
				pci_write32(d, off, orig);
			}
			pci_write16(d, PCI_COMMAND, cmd);
			kprintf("pcidump: barmask%s\n", line);
		}
		pci_describe(d, line, sizeof(line));
		kprintf("pcidump: expect dev %s\n", line);
		for (unsigned j = 0; j < 6; j++) {
			pci_describe_bar(d, j, line, sizeof(line));
			if (line[0])
				kprintf("pcidump: expect bar %s\n", line);
		}
		pci_describe_irq(d, line, sizeof(line));
		if (line[0])
			kprintf("pcidump: expect irq %s\n", line);
	}
	kprintf("pcidump: end\n");
}

static void match_drivers(void)
{
	for (uint32_t i = 0; i < bus.ndev; i++) {
		struct pci_dev *d = &bus.dev[i];
		for (const struct pci_driver *drv = __start_pci_drivers; drv < __stop_pci_drivers; drv++) {
			if (!pci_driver_matches(drv, d))
				continue;
			uint16_t cmd = pci_read16(d, PCI_COMMAND);
			pci_write16(d, PCI_COMMAND, cmd | PCI_CMD_MEM | PCI_CMD_IO | PCI_CMD_MASTER);
			for (unsigned j = 0; j < 6; j++)
				pci_map_bar(d, j);
			int rc = drv->probe(d);
			if (rc == 0) {
				d->driver = drv;
				break;
			}
			kprintf("tally: pci: %02x:%02x.%x: driver %s declined it (%d)\n", d->bus,
			        d->dev, d->fn, drv->name, rc);
			pci_write16(d, PCI_COMMAND, cmd);
		}
	}
}

void pci_init(int loglevel, int want_dump)
{
	ops = choose();
	if (!ops) {
		kprintf("tally: pci: no config mechanism (no MCFG window, no legacy one)\n");
		return;
	}
	pci_scan(ops, &bus);
	pci_assign_bars(&bus, ops->bus_start);
	pci_check_overlaps(&bus);
	for (uint32_t i = 0; i < bus.nwarn; i++)
		kprintf("tally: %s\n", bus.warn[i]);
	if (bus.nwarn_dropped)
		kprintf("tally: pci: %u more warnings not shown\n", bus.nwarn_dropped);
	if (want_dump)
		dump();
	match_drivers();
	if (loglevel >= 2)
		list();
}

/*
 * pci.h - PCI devices for their callers: enumeration results, BARs, MSI and
 * MSI-X facts, driver registration, interrupt set-up.
 *
 * Purpose: at boot pci_init() reads every function's configuration space
 * through one struct pci_cfg_ops chosen by probe (ECAM over the machine's
 * window when there is one, on a PC the ACPI MCFG's, else the machine's
 * legacy mechanism through its pci_legacy_cfg op, kernel/machine.h), sizes
 * the BARs, walks the capability lists, checks BARs for overlaps, matches
 * drivers by vendor and device id and calls their probe.  The scan itself (pci_scan) reads only through the ops
 * struct, so host tests run it against recorded and crafted config spaces.
 *
 * Data structures: struct pci_scan holds every function found (fixed
 * array, PCI_MAX_DEVS) and the warnings raised while reading them; the
 * kernel keeps one in .bss (pci_devices()).  A driver is a struct
 * pci_driver placed in the "pci_drivers" section by PCI_DRIVER(); no table
 * is edited to add one.
 *
 * Invariants after pci_scan(): ndev <= PCI_MAX_DEVS; every dev has vendor
 * != 0xffff; for every bar with size != 0, size is a power of two and
 * base % size == 0 (a BAR that breaks this is dropped with a warning);
 * caps[] holds the capabilities in list order, each offset >= 0x40 and
 * offset + its length <= 256; a list that loops, leaves the 256 bytes,
 * points into the header or ends in a truncated capability stops at the
 * bad link with a warning naming the function and both offsets;
 * ecap[] holds the PCI Express extended capabilities in list order (read
 * only when the mechanism reaches 4 KiB and the function has a PCI Express
 * capability), each offset in 0x100..0xffc and 4-aligned; a link below
 * 0x100, a loop or a header reading all ones stops that walk with a
 * warning and ecap_error;
 * has_msix implies msix.table_bir and msix.pba_bir name implemented memory
 * BARs and the table and PBA lie inside them.
 *
 * Locking: none; the scan runs once at boot on one CPU, later readers only
 * read.  Context: pci_scan and pci_init run at boot (no interrupts needed,
 * no allocation in pci_scan; pci_init maps BARs, which may allocate page
 * tables).  pci_msix_enable may run after boot but not in an interrupt.
 */
#ifndef TALLY_PCI_H
#define TALLY_PCI_H

#include <stdint.h>
#include <stddef.h>
#include "kernel/cpu/irq.h"

#define PCI_MAX_DEVS  64
#define PCI_MAX_CAPS  16
#define PCI_MAX_WARN  16
#define PCI_WARN_LEN  160
#define PCI_CFG_SIZE  256      /* the part of config space the scan reads */
#define PCI_EXT_SIZE  4096     /* with the extended space (PCI Express, ECAM) */
#define PCI_MAX_ECAPS 16

/* Config-space access: 32-bit reads and writes at 4-aligned offsets.
 * A read of an absent function returns 0xffffffff. */
struct pci_cfg_ops {
	const char *name;      /* "ecam", the port's legacy one, "fake" in tests */
	uint32_t (*read32)(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned off);
	void (*write32)(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned off,
	                uint32_t v);
	void *ctx;
	unsigned bus_start, bus_end;   /* buses this mechanism reaches */
	unsigned cfg_size;     /* bytes of config space it reaches per function:
	                        * 4096 (ECAM) or 256 (0 means 256) */
};

enum { PCI_BAR_NONE = 0, PCI_BAR_MEM32, PCI_BAR_MEM64, PCI_BAR_IO };

struct pci_bar {
	uint64_t base;         /* bus address (0: not assigned by firmware) */
	uint64_t size;         /* 0: not implemented */
	uint8_t kind;          /* PCI_BAR_* */
	uint8_t prefetch;      /* memory BAR marked prefetchable */
	volatile void *va;     /* uncached mapping once pci_map_bar ran, else NULL */
};

struct pci_cap {
	uint8_t id, off;
};

/* A PCI Express extended capability (offset 0x100-0xffc): 16-bit id,
 * 4-bit version, where it is. */
struct pci_ecap {
	uint16_t id, off;
	uint8_t ver;
};

struct pci_msi {
	uint8_t cap;           /* offset of the capability */
	uint8_t is64, maskable;
	uint8_t vectors;       /* requestable: 1 << Multiple Message Capable */
};

struct pci_msix {
	uint8_t cap;
	uint16_t size;         /* table entries (N, not N-1) */
	uint8_t table_bir, pba_bir;
	uint32_t table_off, pba_off;
};

struct pci_driver;

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class, subclass, progif, revision;
	uint8_t header_type;   /* bits 0-6: 0 device, 1 bridge, 2 cardbus */
	uint8_t multifunction;
	uint8_t secondary, subordinate;  /* bridges only */
	uint8_t irq_line, irq_pin;
	uint8_t nbar;          /* BAR slots the header type has (6, 2 or 0) */
	struct pci_bar bar[6]; /* a 64-bit BAR fills slot i, slot i+1 stays NONE */
	uint8_t ncap;
	struct pci_cap cap[PCI_MAX_CAPS];
	uint8_t cap_error;     /* the capability walk stopped at a bad link */
	uint8_t pcie;          /* has a PCI Express capability (id 0x10) */
	uint8_t necap;         /* extended capabilities kept (first PCI_MAX_ECAPS) */
	uint8_t ecap_error;    /* the extended walk stopped at a bad link */
	uint16_t necap_all;    /* extended capabilities found, kept or not */
	struct pci_ecap ecap[PCI_MAX_ECAPS];
	uint8_t has_msi, has_msix;
	struct pci_msi msi;
	struct pci_msix msix;
	const struct pci_driver *driver;   /* matched at boot, or NULL */
	void *driver_data;
};

struct pci_scan {
	const char *mechanism;     /* ops->name */
	uint32_t ndev;
	uint32_t ndropped;         /* functions beyond PCI_MAX_DEVS */
	struct pci_dev dev[PCI_MAX_DEVS];
	uint32_t nwarn, nwarn_dropped;
	char warn[PCI_MAX_WARN][PCI_WARN_LEN];  /* each "pci: ..." */
};

/* Enumerate every function reachable through ops from bus ops->bus_start:
 * functions, bridges (their secondary buses, each bus once), BAR sizes,
 * capabilities.  BAR sizing writes the BARs and the command register and
 * restores both.  Fills *out (zeroed first); returns the number of
 * functions found.  No allocation, no globals. */
uint32_t pci_scan(const struct pci_cfg_ops *ops, struct pci_scan *out);
/* Warn about every pair of assigned BARs (memory with memory, I/O with
 * I/O) whose ranges intersect, in any two devices or one.  Returns the
 * number of overlapping pairs. */
unsigned pci_check_overlaps(struct pci_scan *s);
/* Boot, after the scan: give root-bus functions' unassigned memory BARs
 * ranges of the machine's host-bridge windows (machine.h pci_windows;
 * pci_assign.c).  Returns how many were assigned. */
unsigned pci_assign_bars(struct pci_scan *s, unsigned root_bus);
/* One-line descriptions for the listing, into buf (NUL-terminated):
 * the function; BAR i ("" when it is unimplemented); MSI and MSI-X. */
void pci_describe(const struct pci_dev *d, char *buf, size_t n);
void pci_describe_bar(const struct pci_dev *d, unsigned i, char *buf, size_t n);
void pci_describe_irq(const struct pci_dev *d, char *buf, size_t n);
/* "extended: AER v2 @0x100, DSN v1 @0x140" ("" when there are none). */
void pci_describe_ecaps(const struct pci_dev *d, char *buf, size_t n);
/* "AER", "DSN", ... or "0x00nn" style for an extended capability id. */
const char *pci_ecap_name(uint16_t id);
/* "host bridge", "ethernet", ... for a class/subclass pair. */
const char *pci_class_name(uint8_t class, uint8_t subclass);

/* ---- drivers ---- */
struct pci_id {
	uint16_t vendor, device;   /* PCI_ANY_ID matches anything */
};
#define PCI_ANY_ID 0xffffu

struct pci_driver {
	const char *name;
	const struct pci_id *ids;  /* ends with {0, 0} */
	/* boot, after the device's memory BARs are mapped and bus mastering
	 * is enabled; 0 claims the device, < 0 declines it (logged). */
	int (*probe)(struct pci_dev *d);
};

/* Register a driver: PCI_DRIVER(e1000e, "e1000e", ids, probe); */
#define PCI_DRIVER(sym, name_, ids_, probe_)                                   \
	static const struct pci_driver pci_driver_##sym                        \
		__attribute__((used, section("pci_drivers"), aligned(8))) = {  \
			name_, ids_, probe_ }

/* 1 if the driver's id table lists d's vendor and device. */
int pci_driver_matches(const struct pci_driver *drv, const struct pci_dev *d);

/* ---- the kernel's bus (bare metal) ---- */
/* boot: choose the config mechanism (ECAM in a window the machine lists,
 * kernel/machine.h pci_ecam, else the machine's legacy one), scan, map
 * memory BARs uncached, match drivers.
 * loglevel >= 2 lists the devices; dump != 0 hex-dumps each function's
 * config space and BAR size masks (for tests/fixtures). */
void pci_init(int loglevel, int dump);
/* The scan made by pci_init (empty before it). */
struct pci_scan *pci_devices(void);
/* First function with this vendor and device id, or NULL. */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device);
/* Config space of a scanned function (after pci_init). */
uint32_t pci_read32(const struct pci_dev *d, unsigned off);
void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v);
uint16_t pci_read16(const struct pci_dev *d, unsigned off);
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v);
/* Map memory BAR i uncached (once; later calls return the same va).
 * NULL for an I/O or unimplemented BAR, or when memory runs out. */
volatile void *pci_map_bar(struct pci_dev *d, unsigned i);
/* Route MSI-X table entry `entry` of d to a newly allocated interrupt
 * vector on the boot CPU, calling fn there (charged to cls); enables MSI-X
 * (function mask off) and unmasks only that entry.  Returns the vector, or
 * -1 with a message printed (no MSI-X, entry out of range, no vector
 * left, table BAR not mapped). */
/* d's PCI requester id: bus << 8 | device << 3 | function (the device id
 * an MSI write carries, arch_msi_compose's devid). */
static inline uint32_t pci_requester_id(const struct pci_dev *d)
{
	return (uint32_t)d->bus << 8 | (uint32_t)d->dev << 3 | d->fn;
}
int pci_msix_enable(struct pci_dev *d, unsigned entry, irq_fn fn, unsigned cls);
/* 1 when the port can address an MSI or MSI-X message from d to the boot
 * CPU (arch_msi_compose); 0 on a machine with no MSI target (aarch64
 * without a GICv3 ITS: a GICv2, or an ITS that did not come up), where a
 * driver must use INTx or poll. */
int pci_msi_possible(const struct pci_dev *d);
/* The same, the message addressed to CPU `cpu` (an index into cpus[],
 * online) instead of the boot CPU. */
int pci_msix_enable_cpu(struct pci_dev *d, unsigned entry, irq_fn fn, unsigned cls,
                        unsigned cpu);
/* Mask the entry again and free its vector (MSI-X stays enabled). */
void pci_msix_disable(struct pci_dev *d, unsigned entry, unsigned vector);
/* Route the function's MSI (one vector: Multiple Message Enable 0) to a
 * newly allocated vector on the boot CPU calling fn (charged to cls):
 * MSI-X off, address and data written while MSI is disabled (and the
 * vector masked when the function can mask), INTx off, bus mastering on,
 * then MSI enabled.  Returns the vector, or -1 with a message (no MSI
 * capability, no vector left, the CPU not nameable in a message).  A
 * function has either MSI or MSI-X in use, never both (PCI 3.0 6.8). */
int pci_msi_enable(struct pci_dev *d, irq_fn fn, unsigned cls);
/* Disable MSI (read back, so the device has stopped before the vector
 * goes) and free the vector. */
void pci_msi_disable(struct pci_dev *d, unsigned vector);
/* Use the function's legacy INTx pin: turn MSI and MSI-X off, route the
 * line the firmware wrote in its interrupt-line register through the
 * machine's router to a new vector calling fn, and let the function
 * assert INTx.  The handler must make the device drop the line (INTx is
 * level-triggered).  Returns the vector, or -1 with a message (no pin,
 * no line assigned, no router, no vector). */
int pci_intx_enable(struct pci_dev *d, irq_fn fn, unsigned cls);
/* Stop INTx (command register) and unroute its line. */
void pci_intx_disable(struct pci_dev *d, unsigned vector);

#endif

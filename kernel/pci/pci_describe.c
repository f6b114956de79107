/*
 * pci_describe.c - the words of the boot listing of PCI devices.
 *
 * Purpose: one formatting of a function, its BARs and its message
 * interrupts, shared by the loglevel=2 listing on the machine and by the
 * host tests, which compare their parse of a recorded config space with
 * the listing the machine printed for the same bytes.
 *
 * Format (one line each):
 *   BB:DD.F VVVV:DDDD class CC.SS.PP NAME rev RR [bridge to bus SS-UU]
 *   BARi mem32|mem64|io 0xBASE SIZE [prefetch] [unassigned]
 *   MSI N vectors[ 64-bit][ maskable]; MSI-X N entries table BARi+0xOFF pba BARj+0xOFF
 *   extended: NAME vV @0xOFF, ... [(+N more)]   (PCI Express, ECAM only)
 * SIZE is in bytes, K or M when it divides exactly.
 *
 * Context: pure (ksnprintf only); any context.
 */
#include "kernel/lib/kprintf.h"
#include "kernel/pci/pci_impl.h"

const char *pci_class_name(uint8_t class, uint8_t sub)
{
	switch (class) {
	case 0x01: return sub == 0x01 ? "ide" : sub == 0x06 ? "sata" : sub == 0x08 ? "nvme" : "storage";
	case 0x02: return sub == 0x00 ? "ethernet" : "network";
	case 0x03: return "display";
	case 0x04: return "multimedia";
	case 0x05: return "memory";
	case 0x06:
		switch (sub) {
		case 0x00: return "host bridge";
		case 0x01: return "isa bridge";
		case 0x04: return "pci bridge";
		case 0x80: return "bridge";
		default: return "bridge";
		}
	case 0x07: return "communication";
	case 0x08: return "system";
	case 0x0c: return sub == 0x03 ? "usb" : sub == 0x05 ? "smbus" : "serial bus";
	case 0xff: return "unassigned";
	default: return "other";
	}
}

static void size_str(uint64_t n, char *buf, size_t len)
{
	if (n >= (1ull << 20) && !(n & ((1ull << 20) - 1)))
		ksnprintf(buf, len, "%luM", n >> 20);
	else if (n >= 1024 && !(n & 1023))
		ksnprintf(buf, len, "%luK", n >> 10);
	else
		ksnprintf(buf, len, "%lu", n);
}

void pci_describe(const struct pci_dev *d, char *buf, size_t n)
{
	int k = ksnprintf(buf, n, "%02x:%02x.%x %04x:%04x class %02x.%02x.%02x %s rev %02x",
	                  d->bus, d->dev, d->fn, d->vendor, d->device, d->class, d->subclass,
	                  d->progif, pci_class_name(d->class, d->subclass), d->revision);
	if ((d->header_type & 0x7f) == 1 && (size_t)k < n)
		ksnprintf(buf + k, n - k, " bridge to bus %02x-%02x", d->secondary, d->subordinate);
}

void pci_describe_bar(const struct pci_dev *d, unsigned i, char *buf, size_t n)
{
	static const char *kinds[] = { "none", "mem32", "mem64", "io" };
	const struct pci_bar *b = &d->bar[i];
	char sz[24];
	if (i >= 6 || !b->size) {
		if (n)
			buf[0] = 0;
		return;
	}
	size_str(b->size, sz, sizeof(sz));
	ksnprintf(buf, n, "BAR%u %s 0x%lx %s%s%s", i, kinds[b->kind], b->base, sz,
	          b->prefetch ? " prefetch" : "", b->base ? "" : " unassigned");
}

void pci_describe_irq(const struct pci_dev *d, char *buf, size_t n)
{
	int k = 0;
	if (n)
		buf[0] = 0;
	if (d->has_msi)
		k = ksnprintf(buf, n, "MSI %u vectors%s%s", d->msi.vectors,
		              d->msi.is64 ? " 64-bit" : "", d->msi.maskable ? " maskable" : "");
	if (d->has_msix && (size_t)k < n)
		ksnprintf(buf + k, n - k, "%sMSI-X %u entries table BAR%u+0x%x pba BAR%u+0x%x",
		          k ? "; " : "", d->msix.size, d->msix.table_bir, d->msix.table_off,
		          d->msix.pba_bir, d->msix.pba_off);
}

const char *pci_ecap_name(uint16_t id)
{
	/* PCI Express Base Specification, extended capability ids */
	switch (id) {
	case 0x0001: return "AER";
	case 0x0002: case 0x0009: return "VC";
	case 0x0003: return "DSN";
	case 0x0004: return "power budget";
	case 0x000b: return "vendor";
	case 0x000d: return "ACS";
	case 0x000e: return "ARI";
	case 0x000f: return "ATS";
	case 0x0010: return "SR-IOV";
	case 0x0013: return "PRI";
	case 0x0015: return "resizable BAR";
	case 0x0018: return "LTR";
	case 0x0019: return "secondary PCIe";
	case 0x001b: return "PASID";
	case 0x001e: return "L1 PM";
	case 0x0023: return "DVSEC";
	default: return NULL;
	}
}

void pci_describe_ecaps(const struct pci_dev *d, char *buf, size_t n)
{
	char one[32];
	size_t k = 0;
	unsigned shown = 0;
	if (n)
		buf[0] = 0;
	for (unsigned i = 0; i < d->necap; i++) {
		const struct pci_ecap *e = &d->ecap[i];
		const char *name = pci_ecap_name(e->id);
		int m = name ? ksnprintf(one, sizeof(one), "%s v%u @0x%03x", name, e->ver, e->off)
		             : ksnprintf(one, sizeof(one), "0x%04x v%u @0x%03x", e->id, e->ver, e->off);
		/* keep room for ", " and a " (+NNN more)" tail */
		if (k + (size_t)m + 2 + 16 + (i ? 0 : 10) >= n)
			break;
		k += (size_t)ksnprintf(buf + k, n - k, "%s%s", i ? ", " : "extended: ", one);
		shown++;
	}
	if (d->necap_all > shown && k + 16 < n)
		ksnprintf(buf + k, n - k, " (+%u more)", d->necap_all - shown);
}

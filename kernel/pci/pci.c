/*
 * pci.c - enumeration of PCI functions through a config-space ops struct.
 *
 * Purpose: find every function on every bus reachable from the first bus
 * of the config mechanism, read its identity, size its BARs, and walk its
 * capability list, taking the MSI and MSI-X facts from it.  All reads and
 * writes go through struct pci_cfg_ops, so the same code runs on the
 * machine (ECAM or the legacy mechanism) and in host tests (config spaces
 * recorded from QEMU, or crafted to be wrong).
 *
 * Algorithm: buses are visited breadth-first from a queue; a bridge's
 * secondary bus joins the queue unless it was queued before, lies outside
 * the mechanism's bus range or is not above the bridge's own bus (so a
 * firmware loop of bridges cannot make the walk revisit a bus).  On each
 * bus, device 0..31, function 0, and functions 1..7 when function 0's
 * header type has the multi-function bit.  BAR sizing follows the
 * specification: with I/O and memory decoding turned off in the command
 * register, write all ones, read back the mask, restore the original; a
 * 64-bit memory BAR also sizes its upper half.  The capability walk reads
 * a copy of the 256-byte header and refuses, with a warning naming the
 * link: a pointer below 0x40 (into the header), a pointer seen before (a
 * loop), and a capability whose fixed part runs past byte 255 (truncated).
 * The walk is bounded by its seen-bitmap: at most 48 steps.
 *
 * A PCI Express function (one with capability 0x10) reached through a
 * mechanism that covers 4 KiB (ECAM; the legacy one stops at 256 bytes)
 * also has its extended capability list walked, from 0x100: each header
 * dword is id (bits 0-15), version (16-19) and the next offset (20-31,
 * low two bits masked as the specification says).  A header of 0 or all
 * ones at 0x100 means none; a next offset below 0x100, one seen before
 * (a loop) or a header reading all ones later stops the walk with a
 * warning.  Bounded by a seen-bitmap of the 960 dwords: at most 960 steps.
 * Id 0 (a null capability, which the specification allows as a
 * placeholder) is followed but not kept.
 *
 * Rejected: recursion over bridges (depth is the firmware's to choose).
 *
 * Invariants: see pci.h.  Locking: none (boot, one CPU).  Context: no
 * allocation; kvsnprintf is the only library call besides memset.
 */
#include <stdarg.h>
#include <string.h>
#include "kernel/lib/kprintf.h"
#include "kernel/pci/pci_impl.h"

void _pci_warn(struct pci_scan *s, const char *fmt, ...)
{
	if (s->nwarn >= PCI_MAX_WARN) {
		s->nwarn_dropped++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(s->warn[s->nwarn++], PCI_WARN_LEN, fmt, ap);
	va_end(ap);
}

#define LOC "pci: %02x:%02x.%x: "
#define LOCARGS(d) (d)->bus, (d)->dev, (d)->fn

static uint32_t rd(const struct pci_cfg_ops *o, const struct pci_dev *d, unsigned off)
{
	return o->read32(o->ctx, d->bus, d->dev, d->fn, off);
}

static void wr(const struct pci_cfg_ops *o, const struct pci_dev *d, unsigned off, uint32_t v)
{
	o->write32(o->ctx, d->bus, d->dev, d->fn, off, v);
}

/* Size BAR slot i (and i+1 for a 64-bit one); returns the slots used. */
static unsigned size_bar(const struct pci_cfg_ops *o, struct pci_scan *s, struct pci_dev *d,
                         unsigned i)
{
	unsigned off = PCI_BAR0 + 4 * i;
	struct pci_bar *b = &d->bar[i];
	uint32_t orig = rd(o, d, off);
	wr(o, d, off, 0xffffffffu);
	uint32_t m = rd(o, d, off);
	wr(o, d, off, orig);
	if (orig & 1) {
		uint32_t mask = m & ~3u;
		if ((mask & 0xffffu) == 0)
			return 1;                   /* unimplemented */
		if ((mask & 0xffff0000u) == 0)
			mask |= 0xffff0000u;        /* 16-bit I/O decoder */
		b->kind = PCI_BAR_IO;
		b->base = orig & ~3u;
		b->size = (uint32_t)(~mask + 1);
	} else {
		unsigned type = (orig >> 1) & 3;
		uint64_t mask = m & ~0xfu;
		b->prefetch = (orig & 8) != 0;
		b->base = orig & ~0xfu;
		if (type == 2) {
			if (i + 1 >= d->nbar) {
				_pci_warn(s, LOC "BAR %u is 64-bit but is the last BAR slot; ignored",
				          LOCARGS(d), i);
				b->prefetch = 0, b->base = 0;
				return 1;
			}
			uint32_t ohi = rd(o, d, off + 4);
			wr(o, d, off + 4, 0xffffffffu);
			uint32_t mhi = rd(o, d, off + 4);
			wr(o, d, off + 4, ohi);
			mask |= (uint64_t)mhi << 32;
			b->base |= (uint64_t)ohi << 32;
			b->kind = PCI_BAR_MEM64;
		} else if (type == 3) {
			_pci_warn(s, LOC "BAR %u has the reserved memory type 3; ignored",
			          LOCARGS(d), i);
			b->prefetch = 0, b->base = 0;
			return 1;
		} else {
			if (mask)
				mask |= 0xffffffff00000000ull;
			b->kind = PCI_BAR_MEM32;
		}
		if (mask == 0) {
			b->kind = PCI_BAR_NONE, b->prefetch = 0, b->base = 0;
			return type == 2 ? 2 : 1;
		}
		b->size = ~mask + 1;
	}
	if (b->size & (b->size - 1) || (b->base & (b->size - 1))) {
		_pci_warn(s, LOC "BAR %u: size 0x%lx / base 0x%lx is not a power-of-two-aligned "
		          "window (read-back mask 0x%08x); ignored",
		          LOCARGS(d), i, b->size, b->base, m);
		unsigned used = b->kind == PCI_BAR_MEM64 ? 2 : 1;
		memset(b, 0, sizeof(*b));
		return used;
	}
	return b->kind == PCI_BAR_MEM64 ? 2 : 1;
}

static unsigned msi_len(uint16_t ctrl)
{
	unsigned n = (ctrl & PCI_MSI_64) ? 14 : 10;
	if (ctrl & PCI_MSI_MASKBIT)
		n = (ctrl & PCI_MSI_64) ? 24 : 20;
	return n;
}

static const char *cap_name(uint8_t id)
{
	switch (id) {
	case 0x01: return "PM";
	case 0x05: return "MSI";
	case 0x09: return "vendor";
	case 0x10: return "PCIe";
	case 0x11: return "MSI-X";
	default: return "cap";
	}
}

static uint16_t get16(const uint8_t *c, unsigned off) { return (uint16_t)(c[off] | c[off + 1] << 8); }
static uint32_t get32(const uint8_t *c, unsigned off) { return get16(c, off) | (uint32_t)get16(c, off + 2) << 16; }

static int msix_region_ok(const struct pci_dev *d, unsigned bir, uint64_t off, uint64_t len)
{
	if (bir >= d->nbar)
		return 0;
	const struct pci_bar *b = &d->bar[bir];
	if (b->kind != PCI_BAR_MEM32 && b->kind != PCI_BAR_MEM64)
		return 0;
	return off + len <= b->size;
}

static void parse_msix(struct pci_scan *s, struct pci_dev *d, const uint8_t *c, unsigned p)
{
	struct pci_msix *x = &d->msix;
	uint32_t t = get32(c, p + 4), pba = get32(c, p + 8);
	x->cap = (uint8_t)p;
	x->size = (uint16_t)((get16(c, p + 2) & 0x7ffu) + 1);
	x->table_bir = t & 7, x->table_off = t & ~7u;
	x->pba_bir = pba & 7, x->pba_off = pba & ~7u;
	if (!msix_region_ok(d, x->table_bir, x->table_off, (uint64_t)x->size * PCI_MSIX_ENTRY)) {
		_pci_warn(s, LOC "MSI-X table (BAR %u + 0x%x, %u entries) is not inside an "
		          "implemented memory BAR; MSI-X not used", LOCARGS(d), x->table_bir,
		          x->table_off, x->size);
		return;
	}
	if (!msix_region_ok(d, x->pba_bir, x->pba_off, ((uint64_t)x->size + 63) / 64 * 8)) {
		_pci_warn(s, LOC "MSI-X PBA (BAR %u + 0x%x) is not inside an implemented memory "
		          "BAR; MSI-X not used", LOCARGS(d), x->pba_bir, x->pba_off);
		return;
	}
	d->has_msix = 1;
}

static void walk_caps(struct pci_scan *s, struct pci_dev *d, const uint8_t *c)
{
	uint64_t seen = 0;  /* one bit per dword of the 256 bytes */
	unsigned from = PCI_CAP_PTR;
	unsigned p = c[PCI_CAP_PTR] & 0xfcu;
	while (p) {
		if (p < PCI_HEADER_END) {
			_pci_warn(s, LOC "capability pointer 0x%02x at 0x%02x points into the "
			          "header (below 0x40); capability list cut there", LOCARGS(d), p, from);
			d->cap_error = 1;
			return;
		}
		if (seen & (1ull << (p >> 2))) {
			_pci_warn(s, LOC "capability list loops: pointer at 0x%02x leads back to "
			          "0x%02x; capability list cut there", LOCARGS(d), from, p);
			d->cap_error = 1;
			return;
		}
		seen |= 1ull << (p >> 2);
		uint8_t id = c[p];
		unsigned need = PCI_CAP_MIN_LEN;
		if (id == PCI_CAP_MSIX)
			need = PCI_MSIX_LEN;
		else if (id == PCI_CAP_MSI)
			need = msi_len(get16(c, p + 2));
		if (p + need > PCI_CFG_SIZE) {
			_pci_warn(s, LOC "%s capability at 0x%02x is truncated: needs %u bytes, "
			          "%u left in config space", LOCARGS(d), cap_name(id), p, need,
			          PCI_CFG_SIZE - p);
			d->cap_error = 1;
			return;
		}
		if (d->ncap < PCI_MAX_CAPS) {
			d->cap[d->ncap].id = id;
			d->cap[d->ncap].off = (uint8_t)p;
			d->ncap++;
		}
		if (id == PCI_CAP_PCIE)
			d->pcie = 1;
		if (id == PCI_CAP_MSI && !d->has_msi) {
			uint16_t ctrl = get16(c, p + 2);
			d->has_msi = 1;
			d->msi.cap = (uint8_t)p;
			d->msi.is64 = (ctrl & PCI_MSI_64) != 0;
			d->msi.maskable = (ctrl & PCI_MSI_MASKBIT) != 0;
			unsigned mmc = (ctrl >> 1) & 7;  /* 6 and 7 are reserved */
			d->msi.vectors = (uint8_t)(1u << (mmc > 5 ? 5 : mmc));
		} else if (id == PCI_CAP_MSIX && !d->has_msix && !d->msix.cap) {
			parse_msix(s, d, c, p);
		}
		from = p + 1;
		p = c[p + 1] & 0xfcu;
	}
}

static void walk_ext_caps(const struct pci_cfg_ops *o, struct pci_scan *s, struct pci_dev *d)
{
	uint64_t seen[PCI_EXT_SIZE / 4 / 64] = { 0 };
	unsigned from = 0, p = PCI_ECAP_START;
	uint32_t h = rd(o, d, p);
	if (h == 0 || h == 0xffffffffu)
		return;
	for (;;) {
		if (h == 0xffffffffu) {
			_pci_warn(s, LOC "extended capability at 0x%03x (from 0x%03x) reads as all "
			          "ones; extended list cut there", LOCARGS(d), p, from);
			d->ecap_error = 1;
			return;
		}
		seen[p / 4 / 64] |= 1ull << (p / 4 % 64);
		uint16_t id = h & 0xffff;
		if (id) {
			if (d->necap < PCI_MAX_ECAPS) {
				struct pci_ecap *e = &d->ecap[d->necap++];
				e->id = id, e->off = (uint16_t)p, e->ver = (h >> 16) & 0xf;
			}
			d->necap_all++;
		}
		unsigned next = (h >> 20) & 0xffcu;
		if (!next)
			return;
		if (next < PCI_ECAP_START) {
			_pci_warn(s, LOC "extended capability at 0x%03x points to 0x%03x, below "
			          "0x100; extended list cut there", LOCARGS(d), p, next);
			d->ecap_error = 1;
			return;
		}
		if (seen[next / 4 / 64] & (1ull << (next / 4 % 64))) {
			_pci_warn(s, LOC "extended capability list loops: 0x%03x leads back to "
			          "0x%03x; extended list cut there", LOCARGS(d), p, next);
			d->ecap_error = 1;
			return;
		}
		from = p, p = next;
		h = rd(o, d, p);
	}
}

static void read_function(const struct pci_cfg_ops *o, struct pci_scan *s, struct pci_dev *d)
{
	uint32_t id = rd(o, d, PCI_VENDOR), cr = rd(o, d, PCI_CLASS_REV);
	d->vendor = id & 0xffff, d->device = id >> 16;
	d->revision = cr & 0xff, d->progif = (cr >> 8) & 0xff;
	d->subclass = (cr >> 16) & 0xff, d->class = cr >> 24;
	d->header_type = (rd(o, d, PCI_HEADER) >> 16) & 0xff;
	uint32_t intr = rd(o, d, PCI_INTERRUPT);
	d->irq_line = intr & 0xff, d->irq_pin = (intr >> 8) & 0xff;
	switch (d->header_type & 0x7f) {
	case 0: d->nbar = 6; break;
	case 1: {
		uint32_t b = rd(o, d, PCI_BUSES);
		d->nbar = 2;
		d->secondary = (b >> 8) & 0xff, d->subordinate = (b >> 16) & 0xff;
		break;
	}
	case 2: d->nbar = 0; break;  /* CardBus: socket registers, not sized */
	default:
		_pci_warn(s, LOC "unknown header type 0x%02x; only its identity is used",
		          LOCARGS(d), d->header_type);
		return;
	}

	uint32_t cmd = rd(o, d, PCI_COMMAND) & 0xffff;
	if (d->nbar) {
		/* decoding off while a BAR holds all ones: it must not claim
		 * addresses that belong to someone else meanwhile */
		wr(o, d, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
		for (unsigned i = 0; i < d->nbar;)
			i += size_bar(o, s, d, i);
		wr(o, d, PCI_COMMAND, cmd);
	}

	uint8_t c[PCI_CFG_SIZE];
	for (unsigned off = 0; off < PCI_CFG_SIZE; off += 4) {
		uint32_t v = rd(o, d, off);
		c[off] = v & 0xff, c[off + 1] = (v >> 8) & 0xff;
		c[off + 2] = (v >> 16) & 0xff, c[off + 3] = v >> 24;
	}
	if (get16(c, PCI_STATUS) & PCI_STATUS_CAPS)
		walk_caps(s, d, c);
	if (d->pcie && o->cfg_size >= PCI_EXT_SIZE)
		walk_ext_caps(o, s, d);
}

static int present(const struct pci_cfg_ops *o, unsigned bus, unsigned dev, unsigned fn)
{
	return (o->read32(o->ctx, bus, dev, fn, PCI_VENDOR) & 0xffff) != 0xffff;
}

uint32_t pci_scan(const struct pci_cfg_ops *o, struct pci_scan *s)
{
	uint8_t queued[32] = { 0 };
	uint8_t queue[256];
	unsigned head = 0, tail = 0;

	memset(s, 0, sizeof(*s));
	s->mechanism = o->name;
	if (o->bus_start > o->bus_end || o->bus_end > 255)
		return 0;
	queue[tail++] = (uint8_t)o->bus_start;
	queued[o->bus_start >> 3] |= 1u << (o->bus_start & 7);
	while (head < tail) {
		unsigned bus = queue[head++];
		for (unsigned dv = 0; dv < 32; dv++) {
			if (!present(o, bus, dv, 0))
				continue;
			unsigned hdr = (o->read32(o->ctx, bus, dv, 0, PCI_HEADER) >> 16) & 0xff;
			unsigned nfn = (hdr & PCI_HDR_MULTI) ? 8 : 1;
			for (unsigned fn = 0; fn < nfn; fn++) {
				if (fn && !present(o, bus, dv, fn))
					continue;
				if (s->ndev >= PCI_MAX_DEVS) {
					s->ndropped++;
					continue;
				}
				struct pci_dev *d = &s->dev[s->ndev++];
				d->bus = (uint8_t)bus, d->dev = (uint8_t)dv, d->fn = (uint8_t)fn;
				d->multifunction = (hdr & PCI_HDR_MULTI) != 0;
				read_function(o, s, d);
				if ((d->header_type & 0x7f) != 1)
					continue;
				unsigned sec = d->secondary;
				if (sec <= bus || sec < o->bus_start || sec > o->bus_end) {
					_pci_warn(s, LOC "bridge to bus %02x, which is not above its own "
					          "bus or outside %02x-%02x; not followed", LOCARGS(d),
					          sec, o->bus_start, o->bus_end);
				} else if (!(queued[sec >> 3] & (1u << (sec & 7)))) {
					queued[sec >> 3] |= 1u << (sec & 7);
					queue[tail++] = (uint8_t)sec;
				}
			}
		}
	}
	if (s->ndropped)
		_pci_warn(s, "pci: more than %d functions; %u not listed", PCI_MAX_DEVS, s->ndropped);
	return s->ndev;
}

unsigned pci_check_overlaps(struct pci_scan *s)
{
	unsigned n = 0;
	for (uint32_t a = 0; a < s->ndev; a++)
		for (unsigned i = 0; i < 6; i++) {
			const struct pci_bar *x = &s->dev[a].bar[i];
			if (!x->size || !x->base)
				continue;
			for (uint32_t b = a; b < s->ndev; b++)
				for (unsigned j = b == a ? i + 1 : 0; j < 6; j++) {
					const struct pci_bar *y = &s->dev[b].bar[j];
					if (!y->size || !y->base || (x->kind == PCI_BAR_IO) != (y->kind == PCI_BAR_IO))
						continue;
					if (x->base >= y->base + y->size || y->base >= x->base + x->size)
						continue;
					const struct pci_dev *da = &s->dev[a], *db = &s->dev[b];
					_pci_warn(s, "pci: BAR %u of %02x:%02x.%x [0x%lx-0x%lx] overlaps BAR %u "
					          "of %02x:%02x.%x [0x%lx-0x%lx]", i, LOCARGS(da), x->base,
					          x->base + x->size - 1, j, LOCARGS(db), y->base,
					          y->base + y->size - 1);
					n++;
				}
		}
	return n;
}

int pci_driver_matches(const struct pci_driver *drv, const struct pci_dev *d)
{
	for (const struct pci_id *id = drv->ids; id->vendor || id->device; id++)
		if ((id->vendor == PCI_ANY_ID || id->vendor == d->vendor) &&
		    (id->device == PCI_ANY_ID || id->device == d->device))
			return 1;
	return 0;
}

/*
 * virtio_pci_caps.c - finding a modern virtio device's register regions
 * in its PCI capability list (virtio 1.x 4.1.4).
 *
 * Purpose: a virtio 1.x PCI function lists its register blocks as vendor
 * capabilities (id 0x09), each naming a BAR, an offset and a length:
 * common configuration, notifications, the ISR byte, the device-specific
 * configuration, and a config-space access window (not used here).  A
 * legacy-only device has none; that is how it is told apart.
 *
 * Layout of one capability (little-endian):
 *   +0 cap_vndr (0x09)  +1 cap_next  +2 cap_len  +3 cfg_type
 *   +4 bar  +5 id  +6 padding[2]  +8 offset (32)  +12 length (32)
 *   notify only: +16 notify_off_multiplier (32)
 *
 * Invariants of the result: for every type in found, r[type] lies inside
 * an implemented memory BAR of d (off + len <= size, no overflow) and is
 * at least as long as its type needs (common 0x38 bytes, ISR 1, the rest
 * 1); the notify multiplier comes from a capability at least 20 bytes
 * long.  The capability offsets themselves were checked by the PCI scan
 * (pci.h: inside the 256 bytes, no loops).
 *
 * Context: pure: reads config space only through rd, no globals, no
 * allocation; runs in host tests on recorded config spaces.
 */
#include <string.h>
#include "drivers/virtio/virtio_pci.h"
#include "kernel/lib/kprintf.h"

#define PCI_CAP_VENDOR 0x09
#define COMMON_CFG_LEN 0x38

static void ignore(struct virtio_pci_caps *out, unsigned off, const char *why)
{
	if (out->nbad++ == 0)
		ksnprintf(out->why, sizeof(out->why), "capability at 0x%02x: %s", off, why);
}

int virtio_pci_parse_caps(const struct pci_dev *d,
                          uint32_t (*rd)(const struct pci_dev *d, unsigned off),
                          struct virtio_pci_caps *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < d->ncap; i++) {
		if (d->cap[i].id != PCI_CAP_VENDOR)
			continue;
		unsigned off = d->cap[i].off;
		uint32_t w0 = rd(d, off), w1 = rd(d, off + 4);
		unsigned cap_len = (w0 >> 16) & 0xff, type = w0 >> 24, bar = w1 & 0xff;
		if (type < VIRTIO_CAP_COMMON || type > VIRTIO_CAP_DEVICE)
			continue;   /* the PCI access window, shared memory, ... */
		if (out->found & (1u << type))
			continue;   /* the first of each type wins */
		if (cap_len < 16 || off + cap_len > PCI_CFG_SIZE) {
			ignore(out, off, "too short");
			continue;
		}
		uint32_t roff = rd(d, off + 8), rlen = rd(d, off + 12);
		if (bar >= 6 || !d->bar[bar].size ||
		    (d->bar[bar].kind != PCI_BAR_MEM32 && d->bar[bar].kind != PCI_BAR_MEM64)) {
			ignore(out, off, "names no memory BAR");
			continue;
		}
		if ((uint64_t)roff + rlen > d->bar[bar].size) {
			ignore(out, off, "region leaves its BAR");
			continue;
		}
		if (rlen < (type == VIRTIO_CAP_COMMON ? COMMON_CFG_LEN : 1u)) {
			ignore(out, off, "region too short for its type");
			continue;
		}
		if (type == VIRTIO_CAP_NOTIFY) {
			if (cap_len < 20 || off + 20 > PCI_CFG_SIZE) {
				ignore(out, off, "notify capability without its multiplier");
				continue;
			}
			out->notify_mult = rd(d, off + 16);
		}
		out->r[type] = (struct virtio_pci_region){ (uint8_t)bar, roff, rlen };
		out->found |= 1u << type;
	}
	unsigned need = 1u << VIRTIO_CAP_COMMON | 1u << VIRTIO_CAP_NOTIFY | 1u << VIRTIO_CAP_ISR;
	return (out->found & need) == need ? 0 : -1;
}

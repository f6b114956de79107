/*
 * pci_impl.h - internals shared by the files of kernel/pci/.
 *
 * Purpose: register offsets and bits of the configuration header and of
 * the capabilities the scan understands (PCI Local Bus 3.0, PCIe 4.0
 * chapter 7), and the scan's helpers used by the boot-time code.
 * Nothing here is for callers outside kernel/pci/ and its tests.
 * Context: pure declarations.
 */
#ifndef TALLY_PCI_IMPL_H
#define TALLY_PCI_IMPL_H

#include <stdint.h>
#include "kernel/pci/pci.h"

/* header, common part */
#define PCI_VENDOR      0x00
#define PCI_COMMAND     0x04   /* 16 bits; status is the upper half */
#define PCI_STATUS      0x06
#define PCI_CLASS_REV   0x08   /* revision, prog-if, subclass, class */
#define PCI_HEADER      0x0c   /* byte 2 of the dword: header type */
#define PCI_BAR0        0x10
#define PCI_BUSES       0x18   /* bridges: primary, secondary, subordinate */
#define PCI_CAP_PTR     0x34
#define PCI_INTERRUPT   0x3c   /* line, pin */
#define PCI_HEADER_END  0x40   /* capabilities live at or above this */

#define PCI_CMD_IO      0x0001u
#define PCI_CMD_MEM     0x0002u
#define PCI_CMD_MASTER  0x0004u
#define PCI_CMD_INTX_OFF 0x0400u
#define PCI_STATUS_CAPS 0x0010u
#define PCI_HDR_MULTI   0x80u

/* capability ids and the bytes each occupies (for truncation checks) */
#define PCI_CAP_MSI     0x05
#define PCI_CAP_MSIX    0x11
#define PCI_CAP_PCIE    0x10
#define PCI_ECAP_START  0x100  /* the first extended capability, if any */
#define PCI_CAP_MIN_LEN 2      /* id and next pointer */
#define PCI_MSIX_LEN    12
/* MSI: 10 bytes, +4 for a 64-bit address, +10 with per-vector masking */
#define PCI_MSI_ENABLE  0x0001u
#define PCI_MSI_MME     0x0070u   /* Multiple Message Enable: log2 of vectors granted */
#define PCI_MSI_64      0x0080u
#define PCI_MSI_MASKBIT 0x0100u
/* register offsets from the capability (Message Data and Mask Bits move
 * by 4 with a 64-bit address) */
#define PCI_MSI_ADDR_LO 0x04
#define PCI_MSI_ADDR_HI 0x08
#define PCI_MSI_DATA32  0x08
#define PCI_MSI_DATA64  0x0c
#define PCI_MSI_MASK32  0x0c
#define PCI_MSI_MASK64  0x10

/* MSI-X message control and table */
#define PCI_MSIX_ENABLE 0x8000u
#define PCI_MSIX_FMASK  0x4000u
#define PCI_MSIX_ENTRY  16     /* bytes per table entry */
#define PCI_MSIX_VCTRL_MASK 1u

/* Append a formatted warning to s (dropped and counted when full). */
void _pci_warn(struct pci_scan *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif

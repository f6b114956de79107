/*
 * marker.h - the value the aarch64 UEFI loader puts in x1 when it enters
 * the kernel (boot/uefi/enter_aarch64.c), so that the kernel's entry
 * (arch/aarch64/kernel/entry.S) tells it from an arm64 Image boot, where
 * x1 is 0 (Linux's booting.rst: x1-x3 reserved, 0).  With it x0 is the
 * loader's struct boot_info, not a device tree.  C and assembly.
 */
#ifndef TALLY_UEFI_MARKER_H
#define TALLY_UEFI_MARKER_H

#define UEFI_A64_MARKER 0x54414c4c59454649   /* "TALLYEFI" */

#endif

/*
 * virt.h - what the aarch64 entry tells the virt machine description
 * (virt.c) before machine_probe(), and what a test may read back.
 *
 * Why this exists: struct boot_info (boot/boot_info.h) carries an ACPI
 * RSDP but no device tree, so the DTB address QEMU passes in x0 reaches
 * the description through this call instead of through probe(bi).  When
 * boot_info grows a DTB field, virt_set_dtb goes away.
 *
 * Context: boot CPU, before machine_probe().
 */
#ifndef TALLY_A64_VIRT_H
#define TALLY_A64_VIRT_H

#include <stdint.h>
#include "arch/aarch64/virt_desc.h"

/* The device tree blob and how many bytes from it may be read. */
void virt_set_dtb(const void *blob, uint64_t avail);
/* Use the physical timer for the tick even when the tree gives the
 * virtual one (before intc_init). */
void virt_prefer_phys_timer(int on);
/* Why probe said no ("" if it said yes or did not run). */
const char *virt_probe_error(void);
/* The description probe built (valid after a successful probe). */
const struct virt_desc *virt_description(void);

#endif

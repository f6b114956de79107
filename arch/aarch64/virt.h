/*
 * virt.h - what the aarch64 entry tells the virt machine description
 * (virt.c) before machine_probe(), and what a test may read back.
 *
 * The device tree itself reaches the description through probe(bi):
 * struct boot_info's dtb_addr and dtb_len, which the aarch64 entry fills
 * from x0 and the bytes its map makes readable.
 *
 * Context: boot CPU, before machine_probe().
 */
#ifndef TALLY_A64_VIRT_H
#define TALLY_A64_VIRT_H

#include <stdint.h>
#include "arch/aarch64/virt_desc.h"

/* Use the physical timer for the tick even when the tree gives the
 * virtual one (before intc_init). */
void virt_prefer_phys_timer(int on);
/* Why probe said no ("" if it said yes or did not run). */
const char *virt_probe_error(void);
/* The description probe built (valid after a successful probe). */
const struct virt_desc *virt_description(void);

#endif

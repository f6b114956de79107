/*
 * gic_id.c - what the GIC says about itself, read from its registers, to
 * check the device tree's description of it.
 *
 * Purpose: the device tree says which GIC the board has and where; the
 * GIC's own identification and topology registers say the same things
 * independently.  Before a GIC driver exists (issue 14), the boot test
 * image reads them and reports whether the two agree:
 *   - the architecture revision, PIDR2 bits 7:4 (GICv3: GICD_PIDR2 at
 *     0xffe8; GICv2: ICPIDR2 at 0xfe8), must be the tree's version;
 *   - GICv3: walking the redistributor region (GICR_TYPER at 0x8 of each
 *     redistributor: affinity in bits 63:32, Last in bit 4, VLPIS in bit 1
 *     making a redistributor four 64 KiB frames instead of two) must find
 *     one redistributor per CPU of the tree, with the CPU's affinity;
 *   - GICv2: GICD_TYPER.CPUNumber (bits 7:5) + 1 must be the tree's CPU
 *     count.
 * Register offsets: Arm GIC architecture specification (IHI 0069) 12.9,
 * 12.10 and GICv2 (IHI 0048) 4.3.
 *
 * Invariants: only reads; every address read lies inside a region the
 * tree gave and mmu.c maps as device memory (checked first); the walk
 * stops at Last, at the region's end, or after GIC_ID_MAX_REDIST frames.
 * Context: boot CPU, interrupts masked; the GIC is not configured.
 */
#include <stdint.h>
#include "arch/aarch64/a64.h"
#include "kernel/fdt/fdt.h"
#include "kernel/lib/kprintf.h"

#define GIC_ID_MAX_REDIST 512
#define GICD_TYPER      0x0004
#define GICV3_PIDR2     0xffe8
#define GICV2_PIDR2     0x0fe8
#define GICR_TYPER      0x0008
#define GICR_FRAME      0x10000ull

static uint32_t rd32(uint64_t a)
{
	return *(volatile uint32_t *)(uintptr_t)a;
}

static uint64_t rd64(uint64_t a)
{
	return *(volatile uint64_t *)(uintptr_t)a;
}

/* MPIDR (Aff3 in bits 39:32, Aff2..Aff0 in 23:0) as GICR_TYPER's 32-bit
 * affinity value (Aff3.Aff2.Aff1.Aff0). */
static uint32_t affinity(uint64_t mpidr)
{
	return (uint32_t)(((mpidr >> 8) & 0xff000000u) | (mpidr & 0xffffffu));
}

static int redists(const struct fdt_info *in, unsigned *bad)
{
	uint32_t r, i, n = 0;
	uint32_t aff[GIC_ID_MAX_REDIST];

	for (r = 0; r < in->nredist; r++) {
		uint64_t a = in->redist[r].base, end = a + in->redist[r].size;

		if (!a64_mmu_is_device(a, in->redist[r].size)) {
			kprintf("gic: redistributor region 0x%llx is not in the device map\n",
			        (unsigned long long)a);
			(*bad)++;
			continue;
		}
		while (a + 2 * GICR_FRAME <= end && n < GIC_ID_MAX_REDIST) {
			uint64_t t = rd64(a + GICR_TYPER);

			aff[n++] = (uint32_t)(t >> 32);
			a += (t & 2) ? 4 * GICR_FRAME : 2 * GICR_FRAME;
			if (t & (1u << 4))
				break;
		}
	}
	kprintf("gic: %u redistributor%s, affinit%s", n, n == 1 ? "" : "s", n == 1 ? "y" : "ies");
	for (i = 0; i < n && i < 16; i++)
		kprintf(" 0x%x", aff[i]);
	kprintf("%s\n", n > 16 ? " ..." : "");
	for (i = 0; i < in->ncpu; i++) {
		for (r = 0; r < n && aff[r] != affinity(in->cpu[i].mpidr); r++)
			;
		if (r == n) {
			kprintf("gic: DISAGREES: cpu %u (mpidr 0x%llx) has no redistributor\n", i,
			        (unsigned long long)in->cpu[i].mpidr);
			(*bad)++;
		}
	}
	if (n != in->ncpu) {
		kprintf("gic: DISAGREES: %u redistributors for %u CPUs\n", n, in->ncpu);
		(*bad)++;
	}
	return (int)n;
}

void a64_gic_check(const struct fdt_info *in)
{
	uint64_t d = in->gicd.base;
	unsigned rev, bad = 0;

	if (in->gic_version == 0)
		return;
	if (!a64_mmu_is_device(d, 0x10000)) {
		kprintf("gic: distributor 0x%llx is not in the device map: not read\n",
		        (unsigned long long)d);
		return;
	}
	rev = (rd32(d + (in->gic_version == 3 ? GICV3_PIDR2 : GICV2_PIDR2)) >> 4) & 0xf;
	kprintf("gic: distributor ArchRev %u, %u interrupt ids", rev,
	        32 * ((rd32(d + GICD_TYPER) & 0x1f) + 1));
	if (in->gic_version == 2)
		kprintf(", %u CPU interfaces", ((rd32(d + GICD_TYPER) >> 5) & 7) + 1);
	kprintf("\n");
	if (rev != in->gic_version) {
		kprintf("gic: DISAGREES: the tree says GICv%u\n", in->gic_version);
		bad++;
	}
	if (in->gic_version == 3) {
		redists(in, &bad);
	} else if (((rd32(d + GICD_TYPER) >> 5) & 7) + 1 != (in->ncpu < 8 ? in->ncpu : 8)) {
		kprintf("gic: DISAGREES: %u CPUs in the tree\n", in->ncpu);
		bad++;
	}
	if (!bad)
		kprintf("gic: agrees with the device tree\n");
}

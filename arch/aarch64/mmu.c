/*
 * mmu.c - a flat identity map that lets the aarch64 boot test image run
 * with the MMU and caches on.
 *
 * Purpose: with the MMU off every data access is to Device-nGnRnE memory,
 * where an unaligned access faults and DC ZVA is not allowed; newlib's
 * string routines and clang's code assume Normal memory.  So before any
 * C library call the image maps itself as Normal memory.  This is not the
 * port's page-table format (4 KiB pages, W^X, guard pages: still to do,
 * docs/boot.md "aarch64 status"); it is the least that makes C run.
 *
 * Data structures: one level-1 table (4 KiB granule, TCR_EL1.T0SZ = 25: a
 * 39-bit address space starting at level 1, each entry a 1 GiB block):
 *   entry 0        [0, 1 GiB)  Device-nGnRnE, never executable (QEMU
 *                  virt's GIC, UART, RTC, virtio-mmio and flash live here)
 *   entry image    the 1 GiB block holding the image, Normal write-back,
 *                  inner shareable, read/write/execute at EL1
 *   entry dtb      the block holding the DTB, the same
 * Everything else is unmapped, so a stray access faults (trap.c reports
 * it).  MAIR_EL1: attribute 0 = 0x00 (Device-nGnRnE), 1 = 0xff (Normal,
 * write-back, read/write-allocate).
 *
 * Invariants: the image and the DTB lie below 512 GiB and above 1 GiB
 * (checked; otherwise the map is not enabled and 0 is returned).  QEMU
 * models no caches, so no cache maintenance is done before enabling them;
 * real hardware would need the image cleaned to the point of coherency.
 * Context: a64_mmu_init: boot CPU, MMU off, before any C library call;
 * a64_mmu_secondary: a started CPU, MMU off, the same tables and
 * registers (its SCTLR is the boot CPU's value).
 */
#include <stdint.h>
#include "arch/aarch64/a64.h"

#define GIB        (1ull << 30)
#define BLOCK      1ull               /* descriptor bits 1:0 = 01 */
#define ATTR(i)    ((uint64_t)(i) << 2)
#define SH_INNER   (3ull << 8)
#define AF         (1ull << 10)
#define PXN        (1ull << 53)
#define UXN        (1ull << 54)

#define TCR_T0SZ   25ull
#define TCR_IRGN0_WBWA (1ull << 8)
#define TCR_ORGN0_WBWA (1ull << 10)
#define TCR_SH0_INNER  (3ull << 12)
#define TCR_EPD1   (1ull << 23)
#define TCR_IPS_40 (2ull << 32)

#define SCTLR_M    (1ull << 0)
#define SCTLR_A    (1ull << 1)
#define SCTLR_C    (1ull << 2)
#define SCTLR_I    (1ull << 12)

static uint64_t l1[512] __attribute__((aligned(4096)));
extern char _start[];

int a64_mmu_is_device(uint64_t pa, uint64_t len)
{
	return pa < GIB && len <= GIB - pa;
}

/* The register values the boot CPU loaded; secondaries load the same.
 * Written before any CPU_ON (whose call orders them for the started CPU:
 * PSCI's CPU_ON is a context synchronisation point for the caller's
 * earlier stores in QEMU, which models no caches). */
static uint64_t mair, tcr, ttbr0, sctlr_on;

static void load(void)
{
	__asm__ volatile(
		"msr mair_el1, %0\n"
		"msr tcr_el1, %1\n"
		"msr ttbr0_el1, %2\n"
		"dsb ish\n"
		"isb\n"
		"tlbi vmalle1\n"
		"dsb ish\n"
		"isb\n"
		"msr sctlr_el1, %3\n"
		"isb\n"
		:: "r"(mair), "r"(tcr), "r"(ttbr0), "r"(sctlr_on) : "memory");
}

uint64_t a64_mmu_init(uint64_t dtb)
{
	uint64_t img = (uint64_t)(uintptr_t)_start / GIB, d = dtb / GIB;

	if (img == 0 || img >= 512 || d == 0 || d >= 512)
		return 0;
	l1[0] = 0 | BLOCK | ATTR(0) | AF | PXN | UXN;
	l1[img] = img * GIB | BLOCK | ATTR(1) | SH_INNER | AF;
	l1[d] = d * GIB | BLOCK | ATTR(1) | SH_INNER | AF;
	mair = 0xff00ull;
	tcr = TCR_T0SZ | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | TCR_EPD1 | TCR_IPS_40;
	ttbr0 = (uint64_t)(uintptr_t)l1;
	sctlr_on = (A64_SYSREG_READ(sctlr_el1) | SCTLR_M | SCTLR_C | SCTLR_I) & ~SCTLR_A;
	load();
	return (d + 1) * GIB - dtb;
}

void a64_mmu_secondary(void)
{
	load();
}

/*
 * mmu.c - the page tables of the aarch64 boot test image: an identity
 * map with W^X and guard pages, so that C and newlib run with the MMU and
 * caches on.
 *
 * Purpose: with the MMU off every data access is to Device-nGnRnE memory,
 * where an unaligned access faults and DC ZVA is not allowed; newlib's
 * string routines and clang's code assume Normal memory.  So before any
 * C library call the image maps itself as Normal memory, and while at it
 * keeps code unwritable, data unexecutable and every stack's overflow
 * caught.  The port's own tables (paging.c: arch_vm_init, arch_map_page
 * & co, 48-bit addresses) replace this map when a test of the command
 * line asks for them (tests/a64/vm_test.c; docs/boot.md "aarch64
 * status").
 *
 * Data structures (4 KiB granule, TCR_EL1.T0SZ = 25: a 39-bit address
 * space whose walk starts at level 1):
 *   l1[0]       [0, 1 GiB) as one block, Device-nGnRnE, never executable
 *               (QEMU virt's GIC, UART, RTC, virtio-mmio and flash)
 *   l1[image]   -> l2: the image's GiB in 2 MiB blocks, Normal write-back,
 *               read/write, never executable; except
 *     l2[image] -> l3: the image's 2 MiB in 4 KiB pages:
 *               [__text_start, __text_end)    read-only, executable
 *               [__text_end, __rodata_end)    read-only
 *               the rest                      read/write, never executable
 *               every stack's guard page      not mapped (stacks.S)
 *   l1[dtb]     the DTB's GiB, if another, one block like l2's
 * Everything else is unmapped, so a stray access faults (trap.c reports
 * it).  MAIR_EL1: attribute 0 = 0x00 (Device-nGnRnE), 1 = 0xff (Normal,
 * write-back, read/write-allocate); shareability inner.
 *
 * Invariants: the image lies in one 2 MiB region, and it and the DTB lie
 * in [1 GiB, 512 GiB) (checked; otherwise nothing is enabled and 0 is
 * returned); no page is both writable and executable at EL1.  QEMU models
 * no caches, so no cache maintenance is done before enabling them; real
 * hardware would need the tables and image cleaned to the point of
 * coherency first.
 * Context: a64_mmu_init: boot CPU, MMU off, before any C library call;
 * a64_mmu_secondary: a started CPU, MMU off, the same tables and
 * registers (its SCTLR is the boot CPU's value).
 */
#include <stdint.h>
#include "arch/aarch64/a64.h"

#define GIB        (1ull << 30)
#define MIB2       (2ull << 20)
#define PAGE       4096ull
#define BLOCK      1ull               /* level 1/2 block: bits 1:0 = 01 */
#define TABLE      3ull               /* level 1/2 table, level 3 page: 11 */
#define ATTR(i)    ((uint64_t)(i) << 2)
#define AP_RO      (2ull << 6)        /* AP[2:1] = 10: EL1 read-only */
#define SH_INNER   (3ull << 8)
#define AF         (1ull << 10)
#define PXN        (1ull << 53)
#define UXN        (1ull << 54)
#define NORMAL     (ATTR(1) | SH_INNER | AF)
#define DATA       (NORMAL | PXN | UXN)

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
static uint64_t l2[512] __attribute__((aligned(4096)));
static uint64_t l3[512] __attribute__((aligned(4096)));
extern char _start[], __text_start[], __text_end[], __rodata_end[], _image_end[];
extern char a64_sec_stacks[];
extern const uint64_t a64_guards[2];

#define ADDR(sym) ((uint64_t)(uintptr_t)(sym))

static uint64_t page_attr(uint64_t pa)
{
	if (pa >= ADDR(__text_start) && pa < ADDR(__text_end))
		return NORMAL | AP_RO | UXN;
	if (pa >= ADDR(__text_end) && pa < ADDR(__rodata_end))
		return DATA | AP_RO;
	return DATA;
}

static void unmap_guard(uint64_t base2m, uint64_t pa)
{
	l3[(pa - base2m) / PAGE] = 0;
}

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
	uint64_t img = ADDR(_start) / GIB, d = dtb / GIB, base2m = ADDR(_start) & ~(MIB2 - 1);
	unsigned i;

	if (img == 0 || img >= 512 || d == 0 || d >= 512 || ADDR(_image_end) - base2m > MIB2)
		return 0;
	l1[0] = 0 | BLOCK | ATTR(0) | AF | PXN | UXN;
	for (i = 0; i < 512; i++)
		l2[i] = (img * GIB + i * MIB2) | BLOCK | DATA;
	for (i = 0; i < 512; i++)
		l3[i] = (base2m + i * PAGE) | TABLE | page_attr(base2m + i * PAGE);
	unmap_guard(base2m, a64_guards[0]);
	unmap_guard(base2m, a64_guards[1]);
	for (i = 0; i < A64_MAX_SECONDARY; i++) {
		unmap_guard(base2m, ADDR(a64_sec_stacks) + A64_SLOT_SIZE * i);
		unmap_guard(base2m, ADDR(a64_sec_stacks) + A64_SLOT_SIZE * i + A64_SLOT_RUN_GUARD);
	}
	l2[(base2m - img * GIB) / MIB2] = ADDR(l3) | TABLE;
	l1[img] = ADDR(l2) | TABLE;
	if (d != img)
		l1[d] = d * GIB | BLOCK | DATA;
	mair = 0xff00ull;
	tcr = TCR_T0SZ | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | TCR_EPD1 | TCR_IPS_40;
	ttbr0 = ADDR(l1);
	sctlr_on = (A64_SYSREG_READ(sctlr_el1) | SCTLR_M | SCTLR_C | SCTLR_I) & ~SCTLR_A;
	load();
	return (d + 1) * GIB - dtb;
}

void a64_mmu_secondary(void)
{
	load();
}

/*
 * early_map.c - the kernel's first page tables on aarch64: enough of an
 * identity map, with the MMU and caches on, for boot_main to parse the
 * device tree and for kernel_main to reach arch_vm_init.
 *
 * Purpose: with the MMU off every data access is Device-nGnRnE, where an
 * unaligned access faults and DC ZVA is not allowed, and newlib's string
 * routines and clang's code assume Normal memory.  So the entry calls
 * a64_early_map(dtb or boot_info, kind) before any C library call.  kernel_main replaces this
 * map with the port's own (paging.c: arch_vm_init, W^X, guard pages) as
 * its first memory step; until then the kernel runs on this one.
 *
 * Data structures (4 KiB granule, TCR_EL1.T0SZ = 25: a 39-bit space whose
 * walk starts at level 1; one table, no level 2 or 3):
 *   l1[0]        [0, 1 GiB) one block, Device-nGnRnE, never executable
 *                (virt's flash, GIC, UART, RTC, virtio-mmio)
 *   l1[image]    the kernel's GiB (and the next, if the image crosses
 *                into it) as Normal write-back blocks, read/write and
 *                executable: the early map has no W^X (the image is
 *                larger than the boot test image's 2 MiB of 4 KiB pages,
 *                mmu.c); arch_vm_init's map has it
 *   l1[dtb]      the DTB's GiB, if another, Normal, never executable
 *                (a UEFI boot: the GiB of the loader's boot_info, and
 *                every GiB its memory map lists RAM or ACPI memory in,
 *                Normal, never executable: the ACPI tables the machine
 *                description reads may lie anywhere in RAM)
 * Everything else is unmapped.  MAIR_EL1: 0 = Device-nGnRnE, 1 = Normal
 * write-back (the same indices as paging.c).
 *
 * Invariants: the image and the DTB lie in [1 GiB, 512 GiB), checked; if
 * not, nothing is enabled and the CPU halts (no console exists yet to
 * say why).
 *
 * Caches.  The boot protocol (Linux's booting.rst; the UEFI loader does
 * the same, boot/uefi/enter_aarch64.c) hands over the image cleaned to
 * the point of coherency, with the data cache off.  Everything the entry
 * wrote since then (.bss zeroed, this table, the boot stack, all inside
 * [_bss_start, _bss_end)) went straight to memory, while the cache may
 * still hold stale lines of those addresses from before the hand-off
 * (the loader's own use of the RAM, speculative fills).  Once the cache
 * is on such a line would be read instead of memory (a table entry, a
 * zero of .bss), or written back over it later.  So before SCTLR.C is set
 * the range is invalidated by address to the point of coherency (DC IVAC,
 * by the smallest line CTR_EL0 gives; with the cache off, memory holds
 * the truth and dropping lines loses nothing), and the instruction cache
 * is invalidated (IC IALLU) before SCTLR.I.  QEMU models no caches, so
 * only real hardware can tell whether this is missing.
 * Context: boot CPU, MMU off, before any C library call.
 */
#include <stdint.h>
#include "arch/aarch64/a64.h"
#include "boot/boot_info.h"

#define GIB        (1ull << 30)
#define BLOCK      1ull
#define ATTR(i)    ((uint64_t)(i) << 2)
#define SH_INNER   (3ull << 8)
#define AF         (1ull << 10)
#define PXN        (1ull << 53)
#define UXN        (1ull << 54)
#define NORMAL     (ATTR(1) | SH_INNER | AF | UXN)

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
#define SCTLR_WXN  (1ull << 19)

static uint64_t l1[512] __attribute__((aligned(4096)));
extern char _kernel_start[], _kernel_end[], _bss_start[], _bss_end[];

/* DC IVAC over [lo, hi): drop any cached copy of what the entry wrote with
 * the data cache off (above, "Caches"). */
static void invalidate_to_poc(uintptr_t lo, uintptr_t hi)
{
	uint64_t line = a64_dcache_line();

	for (uintptr_t a = lo & ~(uintptr_t)(line - 1); a < hi; a += line)
		__asm__ volatile("dc ivac, %0" :: "r"(a) : "memory");
	__asm__ volatile("dsb sy" ::: "memory");
}

/* A UEFI boot: every GiB the loader's memory map lists RAM or firmware
 * tables in (ACPI's tables may lie anywhere in RAM), data only. */
static void map_ram(const struct boot_info *bi)
{
	uint32_t n = bi->mmap_count < BOOT_MMAP_MAX ? bi->mmap_count : BOOT_MMAP_MAX;

	for (uint32_t i = 0; i < n; i++) {
		const struct boot_mmap_entry *m = &bi->mmap[i];
		uint32_t t = m->type;

		if ((t != BOOT_MEM_USABLE && t != BOOT_MEM_BOOT_RECLAIM &&
		     t != BOOT_MEM_ACPI_RECLAIM && t != BOOT_MEM_ACPI_NVS) || !m->len)
			continue;
		for (uint64_t g = m->base / GIB; g <= (m->base + m->len - 1) / GIB && g < 512; g++)
			if (g && !l1[g])
				l1[g] = g * GIB | BLOCK | NORMAL | PXN;
	}
}

void a64_early_map(uint64_t ptr, uint64_t kind)
{
	uint64_t s = (uint64_t)(uintptr_t)_kernel_start / GIB;
	uint64_t e = ((uint64_t)(uintptr_t)_kernel_end - 1) / GIB, d = ptr / GIB;

	if (s == 0 || e >= 512 || d == 0 || d >= 512)
		a64_halt();
	l1[0] = 0 | BLOCK | ATTR(0) | AF | PXN | UXN;
	l1[d] = d * GIB | BLOCK | NORMAL | PXN;
	if (kind == A64_BOOT_UEFI)
		map_ram((const struct boot_info *)(uintptr_t)ptr);
	for (uint64_t g = s; g <= e; g++)
		l1[g] = g * GIB | BLOCK | NORMAL;
	uint64_t tcr = TCR_T0SZ | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | TCR_EPD1 |
	               TCR_IPS_40;
	uint64_t sctlr = (A64_SYSREG_READ(sctlr_el1) | SCTLR_M | SCTLR_C | SCTLR_I) &
	                 ~(SCTLR_A | SCTLR_WXN);
	invalidate_to_poc((uintptr_t)_bss_start, (uintptr_t)_bss_end);
	__asm__ volatile(
		"ic iallu\n"
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
		:: "r"(0xff00ull), "r"(tcr), "r"((uint64_t)(uintptr_t)l1), "r"(sctlr) : "memory");
}

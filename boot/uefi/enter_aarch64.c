/*
 * enter_aarch64.c - the UEFI loader's hand-off on aarch64 (uefi_impl.h).
 *
 * The kernel's entry (arch/aarch64/kernel/entry.S) expects what an arm64
 * Image gets from its boot loader: the MMU and the data cache off, at EL2
 * or EL1, interrupts masked.  The firmware runs with both on, so after
 * boot services are gone:
 *   1. interrupts masked (DAIF);
 *   2. everything the kernel reads or writes before it turns its own MMU
 *      on is cleaned and invalidated to the point of coherency by virtual
 *      address (DC CIVAC, the smallest line CTR_EL0 gives): the loaded
 *      image (the loader copied and zeroed it through the cache; a dirty
 *      line written back later would overwrite what the kernel stored
 *      with its MMU off), boot_info and the device tree copy;
 *   3. the few instructions that run after SCTLR's M bit is cleared are
 *      cleaned too (they are fetched from memory then), then, at the EL
 *      the firmware runs at (EL2 with virtualization=on, else EL1), the
 *      MMU, the data cache and the instruction cache are turned off,
 *      the instruction cache invalidated, and the kernel entered with
 *      x0 = &boot_info and x1 = UEFI_A64_MARKER, which entry.S tells from
 *      an Image boot (there x1 is 0) and passes on as the UEFI kind.
 * This is the sequence Linux's arm64 EFI stub uses to enter its kernel.
 * boot_info and the tree copy go below uefi_data_limit: the end of the
 * kernel's GiB, which the kernel's first map (early_map.c) covers.
 * Context: boot services gone; never returns.
 */
#include <efi.h>
#include "boot/uefi/marker.h"
#include "boot/uefi/uefi_impl.h"

#define GIB (1ull << 30)

UINT64 uefi_data_limit(UINT64 kernel_lo)
{
	return (kernel_lo & ~(GIB - 1)) + GIB;
}

static void clean_to_poc(UINT64 lo, UINT64 hi)
{
	UINT64 ctr, line, a;

	__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
	line = 4ull << ((ctr >> 16) & 0xf);   /* DminLine: log2 of words */
	for (a = lo & ~(line - 1); a < hi; a += line)
		__asm__ volatile("dc civac, %0" ::"r"(a) : "memory");
	__asm__ volatile("dsb sy" ::: "memory");
}

void uefi_enter(UINT64 entry_pa, struct boot_info *bi, UINT64 lo, UINT64 hi)
{
	__asm__ volatile("msr daifset, #0xf" ::: "memory");
	clean_to_poc(lo, hi);
	clean_to_poc((UINT64)(UINTN)bi, (UINT64)(UINTN)bi + sizeof(*bi));
	if (bi->dtb_len)
		clean_to_poc(bi->dtb_addr, bi->dtb_addr + bi->dtb_len);
	register UINT64 x0 __asm__("x0") = (UINT64)(UINTN)bi;
	register UINT64 x1 __asm__("x1") = UEFI_A64_MARKER;
	register UINT64 x2 __asm__("x2") = entry_pa;
	__asm__ volatile(
		/* clean [1f, 9f) (the code below) to the point of coherency */
		"	adr	x9, 1f\n"
		"	adr	x10, 9f\n"
		"	mrs	x11, ctr_el0\n"
		"	ubfx	x11, x11, #16, #4\n"
		"	mov	x12, #4\n"
		"	lsl	x12, x12, x11\n"
		"	sub	x11, x12, #1\n"
		"	bic	x9, x9, x11\n"
		"0:	dc	civac, x9\n"
		"	add	x9, x9, x12\n"
		"	cmp	x9, x10\n"
		"	b.lo	0b\n"
		"	dsb	sy\n"
		"1:	mrs	x9, CurrentEL\n"
		"	mov	x10, #((1 << 0) | (1 << 2) | (1 << 12))\n"   /* M, C, I */
		"	cmp	x9, #(2 << 2)\n"
		"	b.ne	2f\n"
		"	mrs	x11, sctlr_el2\n"
		"	bic	x11, x11, x10\n"
		"	msr	sctlr_el2, x11\n"
		"	b	3f\n"
		"2:	mrs	x11, sctlr_el1\n"
		"	bic	x11, x11, x10\n"
		"	msr	sctlr_el1, x11\n"
		"3:	isb\n"
		"	ic	iallu\n"
		"	dsb	nsh\n"
		"	isb\n"
		"	br	x2\n"
		"9:\n"
		:
		: "r"(x0), "r"(x1), "r"(x2)
		: "x9", "x10", "x11", "x12", "memory");
	for (;;)
		__asm__ volatile("wfi");
}

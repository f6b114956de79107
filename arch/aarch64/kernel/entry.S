/*
 * entry.S - the kernel's arm64 Image header and first instructions:
 * from the boot loader's hand-off to boot_main(KIND_DTB, dtb).
 *
 * Purpose: QEMU's `-kernel` (and any arm64 Linux boot loader) recognises
 * the kernel by the 64-byte arm64 Image header (Linux's
 * Documentation/arm64/booting.rst), loads it at RAM base + 2 MiB
 * (text_offset 0; 0x40200000 on virt, where linker.ld links it through
 * arch/aarch64/isa.ld) and enters its first byte with the device tree's
 * physical address in x0, MMU and D-cache off, at EL2 or EL1.  The entry
 * checks that it runs where it was linked and stops otherwise.
 *
 * The UEFI loader (boot/uefi/enter_aarch64.c) enters the same way, in the
 * same state, with x0 = its struct boot_info and x1 = UEFI_A64_MARKER
 * (boot/uefi/marker.h; an Image boot has x1 = 0).
 *
 * Register contract at boot_main(kind, ptr): x0 = 4 (KIND_DTB,
 * boot/boot.c) and x1 = the DTB's physical address, or x0 = 3
 * (KIND_UEFI) and x1 = the loader's boot_info; running at EL1 on the
 * boot stack through SP_EL0 (SP_EL1 is the boot CPU's exception stack;
 * both below, each above an unmapped guard page once arch_vm_init runs),
 * VBAR_EL1 = a64_vectors, FP/SIMD untrapped (CPACR_EL1.FPEN: newlib's
 * string routines use NEON), .bss zeroed, interrupts masked (DAIF), the
 * MMU and caches on with the early map (early_map.c).
 *
 * Entered at EL2 (virtualization=on), a64_drop_to_el1 (el.S) makes EL1
 * AArch64, opens the counters and timers to it and drops to EL1h.
 *
 * Context: the boot CPU only; the others stay off until PSCI CPU_ON.
 */
#include "boot/uefi/marker.h"

	.section .text.head, "ax"
	.globl _start
_start:
	b	1f			/* code0: branch over the header */
	.long	0			/* code1 */
	.quad	0			/* text_offset */
	.quad	_kernel_end - _start	/* image_size, .bss included */
	.quad	2			/* flags: little-endian, 4 KiB pages */
	.quad	0, 0, 0			/* res2..res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5 (no PE header) */

1:	mov	x19, x0			/* x19 = DTB or boot_info, kept across the set-up */
	mov	x22, #4			/* x22 = KIND_DTB */
	ldr	x2, =UEFI_A64_MARKER
	cmp	x1, x2
	b.ne	5f
	mov	x22, #3			/* KIND_UEFI: x0 is the loader's boot_info */
5:	msr	daifset, #0xf
	adr	x1, _start
	ldr	x2, =_start
	cmp	x1, x2
	b.ne	a64_halt		/* loaded elsewhere: nothing can be trusted */

	mrs	x20, CurrentEL
	lsr	x20, x20, #2
	adr	x21, 2f
	bl	a64_drop_to_el1

2:	mov	x1, #(3 << 20)		/* CPACR_EL1.FPEN: no FP/SIMD traps */
	msr	cpacr_el1, x1
	adr	x1, a64_vectors
	msr	vbar_el1, x1
	isb
	msr	spsel, #1		/* SP_EL1: exceptions (vectors.S) */
	ldr	x1, =a64_exc_stack_top
	mov	sp, x1
	msr	spsel, #0		/* SP_EL0: everything else */
	ldr	x1, =a64_boot_stack_top
	mov	sp, x1
	mov	x29, xzr		/* the frame chain ends here */
	mov	x30, xzr

	/* zero .bss (the stacks are in it: nothing is on them yet);
	 * linker.ld aligns both ends to 16 bytes */
	ldr	x1, =_bss_start
	ldr	x2, =_bss_end
3:	cmp	x1, x2
	b.hs	4f
	stp	xzr, xzr, [x1], #16
	b	3b

4:	mov	x0, x19
	mov	x1, x22
	bl	a64_early_map		/* MMU and caches on before any C library call */
	mov	x0, x22			/* KIND_DTB or KIND_UEFI */
	mov	x1, x19
	bl	boot_main
	b	a64_halt		/* boot_main does not return */

/* The boot CPU's stacks, each above a guard page that arch_vm_init leaves
 * unmapped (image.c lists them): the boot stack (SP_EL0; kernel_main
 * moves to a goroutine stack before the application runs) and the
 * exception stack (SP_EL1, until arch_cpu_tables_init gives another). */
	.section .bss.stacks, "aw", %nobits
	.balign	4096
	.globl	a64_boot_stack_guard, a64_exc_stack_guard
	.globl	a64_boot_stack_top, a64_exc_stack_top
a64_boot_stack_guard:
	.skip	4096
	.skip	32768
a64_boot_stack_top:
a64_exc_stack_guard:
	.skip	4096
	.skip	16384
a64_exc_stack_top:

/*
 * head.S - the arm64 Image header and the first instructions of the
 * aarch64 boot test image (build/aarch64/dtboot.img).
 *
 * Purpose: QEMU's `-kernel` (and any arm64 Linux boot loader) recognises an
 * image by the 64-byte arm64 Image header (Linux's
 * Documentation/arm64/booting.rst) and then enters it at its first byte
 * with the device tree blob's physical address in x0, x1..x3 zero, MMU and
 * D-cache off, at EL2 or EL1.  QEMU's virt machine loads such an image at
 * RAM base + 2 MiB + text_offset (text_offset 0 here: 0x40200000), which
 * is where dtboot.ld links it, so the image runs where it was linked; the
 * entry checks that (adr against the link-time address) and stops if not.
 *
 * Register contract at _start: x0 = DTB physical address.  At the call of
 * dtboot_main(dtb, entry_el): running at EL1 on the boot stack through
 * SP_EL0 (SP_EL1 is the exception stack; both in stacks.S), VBAR_EL1 =
 * a64_vectors, FP/SIMD enabled (CPACR_EL1.FPEN = 3:
 * newlib's string routines use NEON), .bss zeroed, interrupts masked
 * (DAIF), MMU still off.
 *
 * Entered at EL2 (virtualization=on), the code makes EL1 AArch64
 * (HCR_EL2.RW), lets EL1 read the counters and timers (CNTHCTL_EL2.EL1PCEN
 * and EL1PCTEN, CNTVOFF_EL2 = 0) and drops to EL1h with an eret.  Nothing
 * else of EL2 is configured.
 *
 * a64_secondary_entry is where PSCI CPU_ON starts the other CPUs (x0 = a
 * slot in a64_sec_stacks, 8 of them, stacks.S): the same set-up on the
 * slot's stacks, then dtboot_secondary(slot).
 *
 * a64_drop_to_el1 and a64_halt, which the kernel's entry shares, are in
 * el.S.
 *
 * Context: _start runs on the boot CPU only; QEMU keeps the others
 * powered off until a PSCI CPU_ON names a64_secondary_entry.
 */
	.section .text.head, "ax"
	.globl _start
_start:
	b	1f			/* code0: branch over the header */
	.long	0			/* code1 */
	.quad	0			/* text_offset */
	.quad	_image_end - _start	/* image_size, .bss included */
	.quad	2			/* flags: little-endian, 4 KiB pages */
	.quad	0, 0, 0			/* res2..res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5 (no PE header) */

1:	mov	x19, x0			/* x19 = DTB, kept across the set-up */
	msr	daifset, #0xf
	adr	x1, _start
	ldr	x2, =_start
	cmp	x1, x2
	b.ne	wrong_place

	mrs	x20, CurrentEL
	lsr	x20, x20, #2		/* x20 = entry EL, for the report */
	adr	x21, at_el1
	bl	a64_drop_to_el1

at_el1:
	mov	x1, #(3 << 20)		/* CPACR_EL1.FPEN: no FP/SIMD traps */
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

	ldr	x1, =__bss_start	/* both 16-aligned (dtboot.ld) */
	ldr	x2, =__bss_end
2:	cmp	x1, x2
	b.hs	3f
	stp	xzr, xzr, [x1], #16
	b	2b

3:	mov	x0, x19
	mov	x1, x20
	bl	dtboot_main
	b	a64_halt		/* dtboot_main does not return */

/* Secondary CPUs, started by PSCI CPU_ON (dtboot.c): x0 = the context id
 * (the slot of a64_sec_stacks), MMU off, at the EL the caller ran in or
 * EL2.  Same set-up as the boot CPU, on the slot's stacks; then
 * dtboot_secondary(slot), which never returns. */
	.globl	a64_secondary_entry
a64_secondary_entry:
	mov	x19, x0
	msr	daifset, #0xf
	mrs	x20, CurrentEL
	lsr	x20, x20, #2
	adr	x21, 5f
	bl	a64_drop_to_el1
5:	mov	x1, #(3 << 20)
	msr	cpacr_el1, x1
	adr	x1, a64_vectors
	msr	vbar_el1, x1
	isb
	ldr	x1, =a64_sec_stacks	/* slot s: 20 KiB at 20 KiB * s (stacks.S) */
	mov	x2, #20480
	madd	x1, x19, x2, x1
	add	x2, x1, #8192		/* guard, exception stack 4 KiB */
	msr	spsel, #1
	mov	sp, x2
	msr	spsel, #0
	add	x2, x1, #20480		/* guard, stack 8 KiB */
	mov	sp, x2
	mov	x29, xzr
	mov	x30, xzr
	mov	x0, x19
	bl	dtboot_secondary
	b	a64_halt

/* Loaded somewhere else than linked: nothing can be trusted; stop. */
wrong_place:
	b	a64_halt

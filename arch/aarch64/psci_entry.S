/*
 * psci_entry.S - where PSCI CPU_ON starts a CPU for arch_start_cpu
 * (psci.c).
 *
 * Register contract at psci_secondary_entry: x0 = the physical address
 * of a struct psci_start (psci.c; offsets checked there), MMU and caches
 * off, interrupts masked, at EL1 or (virtualization=on) EL2.  The code
 * is entered at its physical address and runs there until the MMU is on,
 * so the image must be mapped at its physical address (the boot test
 * image is identity-mapped); the jump after SCTLR goes to the link
 * address.
 *
 * Steps: at EL2, a64_drop_to_el1 (head.S) makes EL1 AArch64, opens the
 * counters, timers and GIC system registers to it and erets to EL1h;
 * FP/SIMD on (CPACR_EL1.FPEN); the caller's VBAR_EL1, MAIR, TCR, TTBR0,
 * TTBR1 and, after a TLB invalidation, SCTLR_EL1 (MMU and caches on);
 * TPIDR_EL1 = 0 (no per-CPU pointer yet: the entry function sets it).
 * Stacks, as the boot CPU runs (head.S): code on SP_EL0, exceptions on
 * SP_EL1.  The top 4 KiB of the given stack are SP_EL1's until the CPU's
 * own exception stacks are installed; SP_EL0 starts 4 KiB below the top.
 * Then entry(arg) with an empty frame chain; if it returns, the CPU halts.
 */
	.text
	.globl	psci_secondary_entry
psci_secondary_entry:
	mov	x19, x0
	msr	daifset, #0xf
	mrs	x20, CurrentEL
	lsr	x20, x20, #2
	adr	x21, 1f
	bl	a64_drop_to_el1
1:	mov	x1, #(3 << 20)		/* CPACR_EL1.FPEN */
	msr	cpacr_el1, x1
	ldr	x1, [x19, #64]		/* vbar */
	msr	vbar_el1, x1
	ldp	x1, x2, [x19, #24]	/* mair, tcr */
	msr	mair_el1, x1
	msr	tcr_el1, x2
	ldp	x1, x2, [x19, #40]	/* ttbr0, ttbr1 */
	msr	ttbr0_el1, x1
	msr	ttbr1_el1, x2
	dsb	ish
	isb
	tlbi	vmalle1
	dsb	ish
	isb
	ldr	x1, [x19, #56]		/* sctlr */
	msr	sctlr_el1, x1
	isb
	ldr	x1, =2f
	br	x1
2:	msr	tpidr_el1, xzr
	ldr	x2, [x19, #16]		/* stack_top */
	msr	spsel, #1
	mov	sp, x2
	msr	spsel, #0
	sub	x2, x2, #4096
	mov	sp, x2
	mov	x29, xzr
	mov	x30, xzr
	ldp	x1, x0, [x19, #0]	/* entry, arg */
	blr	x1
	b	a64_halt

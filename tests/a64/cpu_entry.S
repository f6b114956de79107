/*
 * cpu_entry.S - where the cross-CPU test (smp_test.c) starts a second
 * CPU with PSCI CPU_ON: straight onto the port's translation tables.
 *
 * Register contract: x0 = struct a64t_cpu (smp_test.c; offsets below),
 * MMU off, EL1 or EL2 (virtualization=on starts CPUs at EL2: then EL1 is
 * made AArch64 with the counters and, with a GICv3, the GIC's system
 * registers open to it, as head.S does, and entered by an eret),
 * interrupts masked.  Loads
 * MAIR/TCR/TTBR0 as a64_vm_regs gave them, invalidates this CPU's TLB,
 * turns the MMU and caches on with the boot CPU's SCTLR_EL1, sets
 * VBAR_EL1, FP/SIMD, SP_EL1 (exceptions) and SP_EL0 (code) from the
 * struct, and calls fn(x0) with x29 = x30 = 0.  fn never returns (it
 * ends with PSCI CPU_OFF); if it does, the CPU halts.
 *
 *	0 mair, 8 tcr, 16 ttbr0, 24 sctlr, 32 exception stack top,
 *	40 stack top, 48 fn
 */
	.text
	.globl	a64t_cpu_entry
a64t_cpu_entry:
	msr	daifset, #0xf
	mov	x19, x0
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.ne	1f
	mov	x1, #(1 << 31)			/* HCR_EL2.RW */
	msr	hcr_el2, x1
	mrs	x1, cnthctl_el2
	orr	x1, x1, #3			/* EL1PCEN, EL1PCTEN */
	msr	cnthctl_el2, x1
	msr	cntvoff_el2, xzr
	mrs	x1, id_aa64pfr0_el1
	ubfx	x1, x1, #24, #4			/* GIC system registers? */
	cbz	x1, 2f
	mov	x1, #9				/* ICC_SRE_EL2: SRE, Enable */
	msr	S3_4_C12_C9_5, x1
	isb
2:	mov	x1, #0x3c5			/* EL1h, DAIF masked */
	msr	spsr_el2, x1
	adr	x1, 1f
	msr	elr_el2, x1
	eret
1:	mrs	x1, CurrentEL
	cmp	x1, #(1 << 2)
	b.ne	a64_halt
	mov	x1, #(3 << 20)
	msr	cpacr_el1, x1
	adr	x1, a64_vectors
	msr	vbar_el1, x1
	ldp	x1, x2, [x19, #0]
	ldp	x3, x4, [x19, #16]
	msr	mair_el1, x1
	msr	tcr_el1, x2
	msr	ttbr0_el1, x3
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	msr	sctlr_el1, x4
	isb
	ldp	x1, x2, [x19, #32]
	msr	tpidrro_el0, x1			/* as arch_cpu_tables_init keeps it */
	msr	spsel, #1
	mov	sp, x1
	msr	spsel, #0
	mov	sp, x2
	mov	x29, xzr
	mov	x30, xzr
	ldr	x1, [x19, #48]
	mov	x0, x19
	blr	x1
	b	a64_halt

/*
 * el.S - the two pieces of entry code that the boot test image (head.S)
 * and the kernel (kernel/entry.S) share, and psci_entry.S's trampoline
 * calls: leaving EL2 for EL1, and stopping a CPU.
 */
	.text
/* At EL2 (x20 == 2): make EL1 AArch64, give it the counters and timers
 * and (with a GICv3 CPU interface) the GIC system registers, and eret to
 * x21 at EL1h with DAIF masked.  Elsewhere: return.  Uses
 * x1 only.  Also the entry of CPUs started by arch_start_cpu
 * (psci_entry.S). */
	.globl	a64_drop_to_el1
a64_drop_to_el1:
	cmp	x20, #2
	b.ne	6f
	mov	x1, #(1 << 31)		/* HCR_EL2.RW: EL1 is AArch64 */
	msr	hcr_el2, x1
	mrs	x1, cnthctl_el2
	orr	x1, x1, #3		/* EL1PCEN, EL1PCTEN */
	msr	cnthctl_el2, x1
	msr	cntvoff_el2, xzr
	mrs	x1, id_aa64pfr0_el1
	ubfx	x1, x1, #24, #4		/* GIC system registers implemented? */
	cbz	x1, 7f
	mov	x1, #9			/* ICC_SRE_EL2: SRE, Enable (EL1 may use them) */
	msr	S3_4_C12_C9_5, x1
	isb
7:	mov	x1, #0x3c5		/* SPSR: DAIF masked, EL1h */
	msr	spsr_el2, x1
	msr	elr_el2, x21
	eret
6:	ret

	.globl a64_halt
a64_halt:
	msr	daifset, #0xf
4:	wfi
	b	4b

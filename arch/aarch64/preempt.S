/*
 * preempt.S - asynchronous preemption stub for aarch64.
 *
 * arch_inject_preempt (trap_cpu.c) edits an interrupt frame so that the
 * interrupt's eret enters arch_preempt_stub at EL1 with SP_EL0 pointing at
 * a 32-byte record on the interrupted stack: {pc, SPSR, sp, 0} of the
 * interrupted code.
 *
 * Register contract: on entry every general, SIMD and FP register still
 * holds the interrupted code's value, PSTATE is the interrupted SPSR
 * (interrupts as they were), sp = the record (16-aligned).  The stub
 * saves x0-x30, FPSR, FPCR and q0-q31 in an 800-byte area below the
 * record, links a frame record {x29, interrupted pc} (so a backtrace from
 * inside preempt_entry_c walks into the interrupted code), calls
 * preempt_entry_c() (which may switch to another goroutine and resume,
 * later, on any CPU: nothing here is per CPU), restores everything, masks
 * interrupts, loads ELR_EL1/SPSR_EL1 from the record and sp from it, and
 * erets: pc, sp, NZCV and the interrupt mask are the interrupted code's
 * again.  Between the mask and the eret nothing can overwrite ELR/SPSR;
 * the area lies below sp by then, which no interrupt can write (masked).
 *
 * Area layout: x0..x30 at 8 n, FPSR 256, FPCR 264, frame record 272,
 * q0..q31 from 288; size 800 (16-aligned).
 */
#define AREA 800
#define AQ   288

	.text
	.globl	arch_preempt_stub
	.type	arch_preempt_stub, %function
arch_preempt_stub:
	sub	sp, sp, #AREA
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	str	x30, [sp, #240]
	mrs	x0, fpsr
	mrs	x1, fpcr
	stp	x0, x1, [sp, #256]
	stp	q0, q1, [sp, #AQ + 0]
	stp	q2, q3, [sp, #AQ + 32]
	stp	q4, q5, [sp, #AQ + 64]
	stp	q6, q7, [sp, #AQ + 96]
	stp	q8, q9, [sp, #AQ + 128]
	stp	q10, q11, [sp, #AQ + 160]
	stp	q12, q13, [sp, #AQ + 192]
	stp	q14, q15, [sp, #AQ + 224]
	stp	q16, q17, [sp, #AQ + 256]
	stp	q18, q19, [sp, #AQ + 288]
	stp	q20, q21, [sp, #AQ + 320]
	stp	q22, q23, [sp, #AQ + 352]
	stp	q24, q25, [sp, #AQ + 384]
	stp	q26, q27, [sp, #AQ + 416]
	stp	q28, q29, [sp, #AQ + 448]
	stp	q30, q31, [sp, #AQ + 480]
	ldr	x1, [sp, #AREA]		/* the interrupted pc, from the record */
	stp	x29, x1, [sp, #272]
	add	x29, sp, #272
	bl	preempt_entry_c
	ldp	x0, x1, [sp, #256]
	msr	fpsr, x0
	msr	fpcr, x1
	ldp	q0, q1, [sp, #AQ + 0]
	ldp	q2, q3, [sp, #AQ + 32]
	ldp	q4, q5, [sp, #AQ + 64]
	ldp	q6, q7, [sp, #AQ + 96]
	ldp	q8, q9, [sp, #AQ + 128]
	ldp	q10, q11, [sp, #AQ + 160]
	ldp	q12, q13, [sp, #AQ + 192]
	ldp	q14, q15, [sp, #AQ + 224]
	ldp	q16, q17, [sp, #AQ + 256]
	ldp	q18, q19, [sp, #AQ + 288]
	ldp	q20, q21, [sp, #AQ + 320]
	ldp	q22, q23, [sp, #AQ + 352]
	ldp	q24, q25, [sp, #AQ + 384]
	ldp	q26, q27, [sp, #AQ + 416]
	ldp	q28, q29, [sp, #AQ + 448]
	ldp	q30, q31, [sp, #AQ + 480]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldr	x30, [sp, #240]
	msr	daifset, #3
	add	x1, sp, #AREA
	ldp	x0, x1, [x1]		/* pc, SPSR from the record */
	msr	elr_el1, x0
	msr	spsr_el1, x1
	ldr	x1, [sp, #AREA + 16]	/* the interrupted sp */
	mov	x0, sp
	mov	sp, x1
	ldp	x0, x1, [x0]		/* x0, x1 last (no writeback: allowed) */
	eret
	.size	arch_preempt_stub, . - arch_preempt_stub

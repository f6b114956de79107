/*
 * vectors.S - the EL1 exception vector table of the aarch64 port: every
 * exception enters a64_trap (trap.c) with a full register frame, and
 * resumes from that frame as the handler left it.
 *
 * Layout (ARM ARM D1.10.2): VBAR_EL1 is 2 KiB aligned; 16 entries of 0x80
 * bytes: {current EL with SP_EL0, current EL with SP_ELx, lower EL
 * AArch64, lower EL AArch32} x {synchronous, IRQ, FIQ, SError}.
 *
 * Stacks (stacks.S): the image runs on SP_EL0 (head.S selects it after
 * setting SP_EL1 to the exception stack), so an exception from running code arrives in
 * the "SP_EL0" group on a fresh exception stack, even when its cause was
 * an overflow of the running stack.  An exception in the "SP_ELx" group
 * happened inside the handler itself: its entry first resets SP_EL1 to the
 * top of this CPU's exception stack (TPIDRRO_EL0, which
 * arch_cpu_tables_init sets: nothing runs at EL0 to read it; the boot
 * CPU's a64_exc_stack_top while it is 0), giving up the frame of the
 * failed report,
 * and a64_trap sees kind >= 4 and reports it briefly.  Except a
 * synchronous one with room left: a handler may write a page whose dirty
 * state was cleaned (an IPI call's function, the tick writing a
 * goroutine's G), which on a CPU without hardware dirty state (ARMv8.0)
 * is a permission fault that a64_vm_fixup resolves.  So the "SP_ELx"
 * synchronous entry keeps the handler's stack when it has used at most
 * A64_EXC_NEST_MAX bytes of this CPU's exception stack (TPIDRRO_EL0 less
 * SP): it pushes its frame below the handler's and enters a64_trap with
 * kind A64_KIND_NESTED (16), which resumes if the fixup resolves the fault
 * and else reports it briefly, as kind 4.  Deeper (an overflowing
 * handler), or before TPIDRRO_EL0 is set, it resets SP_EL1 as above.
 * x16 is parked in TPIDR_EL0 during that check (nothing runs at EL0, and
 * no exception can come between the park and the reload).
 * A64_EXC_NEST_MAX: 1536 bytes by default (the boot test image's 4 KiB
 * exception stacks keep 2.5 KiB for the nested frame and the fixup); the
 * kernel's build sets 8192 (its exception stacks are 16 KiB).
 *
 * Frame (struct trap_frame, trap.h; offsets checked there): x0..x30 at
 * 8 * n, the interrupted SP at 248, ELR_EL1 256, SPSR_EL1 264, ESR_EL1
 * 272, FAR_EL1 280, q0..q31 from 288, FPSR 800, FPCR 808; 816 bytes.
 * kind = 4 * group + type (type 0 sync, 1 IRQ, 2 FIQ, 3 SError).
 * a64_trap(frame, kind) returns only to resume the interrupted code: every
 * register is reloaded from the frame as the handler left it (ELR, SPSR,
 * x0..x30, q0..q31, FPSR, FPCR and, for an exception from running code,
 * SP_EL0: arch_try's landing and arch_inject_preempt move it), then eret.
 * x19 keeps kind across the call (callee-saved; its frame slot is
 * reloaded last).
 */
#define FRAME 816
#define FQ    288
#ifndef A64_EXC_NEST_MAX
#define A64_EXC_NEST_MAX 1536
#endif
#define A64_KIND_NESTED 16

	.macro	entry kind, reset
	.balign	0x80
	.if	\reset
	mrs	x16, tpidrro_el0	/* this CPU's exception stack top, */
	cbnz	x16, 1f
	ldr	x16, =a64_exc_stack_top	/* or the boot CPU's before it is set */
1:	mov	sp, x16
	.endif
	sub	sp, sp, #FRAME
	stp	x0, x1, [sp, #0]
	mov	x1, #\kind
	b	a64_vector_common
	.endm

	.text
	.balign	2048
	.globl	a64_vectors
a64_vectors:
	entry	0, 0
	entry	1, 0
	entry	2, 0
	entry	3, 0
	/* 4: synchronous, inside a handler (above) */
	.balign	0x80
	msr	tpidr_el0, x16
	mrs	x16, tpidrro_el0
	cbz	x16, 1f
	sub	x16, x16, #A64_EXC_NEST_MAX
	cmp	sp, x16
	b.lo	1f
	mrs	x16, tpidr_el0		/* room: keep the handler's frames */
	sub	sp, sp, #FRAME
	stp	x0, x1, [sp, #0]
	mov	x1, #A64_KIND_NESTED
	b	a64_vector_common
1:	mrs	x16, tpidrro_el0	/* no room: as entry 5..7 */
	cbnz	x16, 2f
	ldr	x16, =a64_exc_stack_top
2:	mov	sp, x16
	sub	sp, sp, #FRAME
	stp	x0, x1, [sp, #0]
	mov	x1, #4
	b	a64_vector_common
	.org	a64_vectors + 0x280	/* (fails to assemble if entry 4 outgrew 0x80) */
	entry	5, 1
	entry	6, 1
	entry	7, 1
	entry	8, 0
	entry	9, 0
	entry	10, 0
	entry	11, 0
	entry	12, 0
	entry	13, 0
	entry	14, 0
	entry	15, 0

a64_vector_common:
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
	mrs	x2, sp_el0		/* the running code's stack */
	cmp	x1, #4
	b.lo	1f
	add	x2, sp, #FRAME		/* (nested: the handler's own) */
1:	mrs	x3, elr_el1
	stp	x2, x3, [sp, #248]
	mrs	x2, spsr_el1
	mrs	x3, esr_el1
	stp	x2, x3, [sp, #264]
	mrs	x2, far_el1
	str	x2, [sp, #280]
	stp	q0, q1, [sp, #FQ + 0]
	stp	q2, q3, [sp, #FQ + 32]
	stp	q4, q5, [sp, #FQ + 64]
	stp	q6, q7, [sp, #FQ + 96]
	stp	q8, q9, [sp, #FQ + 128]
	stp	q10, q11, [sp, #FQ + 160]
	stp	q12, q13, [sp, #FQ + 192]
	stp	q14, q15, [sp, #FQ + 224]
	stp	q16, q17, [sp, #FQ + 256]
	stp	q18, q19, [sp, #FQ + 288]
	stp	q20, q21, [sp, #FQ + 320]
	stp	q22, q23, [sp, #FQ + 352]
	stp	q24, q25, [sp, #FQ + 384]
	stp	q26, q27, [sp, #FQ + 416]
	stp	q28, q29, [sp, #FQ + 448]
	stp	q30, q31, [sp, #FQ + 480]
	mrs	x2, fpsr
	mrs	x3, fpcr
	str	x2, [sp, #800]
	str	x3, [sp, #808]
	mov	x19, x1			/* kind, kept across the call */
	mov	x0, sp
	mov	x29, xzr
	bl	a64_trap		/* returns only to resume (kind < 4) */
	cmp	x19, #4
	b.hs	2f
	ldr	x2, [sp, #248]		/* SP_EL0 (a handler may move it) */
	msr	sp_el0, x2
2:	ldp	x2, x3, [sp, #256]	/* ELR, SPSR (a64_trap may move ELR) */
	msr	elr_el1, x2
	msr	spsr_el1, x3
	ldr	x2, [sp, #800]
	ldr	x3, [sp, #808]
	msr	fpsr, x2
	msr	fpcr, x3
	ldp	q0, q1, [sp, #FQ + 0]
	ldp	q2, q3, [sp, #FQ + 32]
	ldp	q4, q5, [sp, #FQ + 64]
	ldp	q6, q7, [sp, #FQ + 96]
	ldp	q8, q9, [sp, #FQ + 128]
	ldp	q10, q11, [sp, #FQ + 160]
	ldp	q12, q13, [sp, #FQ + 192]
	ldp	q14, q15, [sp, #FQ + 224]
	ldp	q16, q17, [sp, #FQ + 256]
	ldp	q18, q19, [sp, #FQ + 288]
	ldp	q20, q21, [sp, #FQ + 320]
	ldp	q22, q23, [sp, #FQ + 352]
	ldp	q24, q25, [sp, #FQ + 384]
	ldp	q26, q27, [sp, #FQ + 416]
	ldp	q28, q29, [sp, #FQ + 448]
	ldp	q30, q31, [sp, #FQ + 480]
	ldp	x0, x1, [sp, #0]
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
	add	sp, sp, #FRAME
	eret

/*
 * switch.S - stack switching and recoverable calls for aarch64.
 *
 * int arch_call_on_stack(uintptr_t top, int (*fn)(void *), void *arg)
 * Register contract: x0 = new stack top (16-byte aligned), x1 = fn,
 * x2 = arg.  Keeps the old sp in x19 (callee-saved, so fn preserves it),
 * calls fn(arg) on the new stack with x29 = 0 (fn's frame record then
 * ends backtraces), restores and returns fn's result.
 *
 * int arch_try(void (*fn)(void *), void *arg)
 * Runs fn(arg) and returns 0 when it returns.  When it raises a
 * recoverable exception, trap_cpu.c's a64_try_recover resumes at
 * arch_try_landing with sp = struct arch_percpu.try_rsp (TPIDR_EL1 + 8)
 * and x0 = the exception class + 1.  The callee-saved registers x19-x30
 * and d8-d15 are kept in a 160-byte record on the stack, whose address is
 * try_rsp, so the landing restores the caller's state whatever fn left
 * in the registers.  One level deep per CPU; not reentrant.
 * Context: any; interrupts as the caller had them.
 */
	.text
	.globl	arch_call_on_stack
	.type	arch_call_on_stack, %function
arch_call_on_stack:
	stp	x29, x30, [sp, #-32]!
	mov	x29, sp
	str	x19, [sp, #16]
	mov	x19, sp
	mov	sp, x0
	mov	x9, x1
	mov	x0, x2
	mov	x29, xzr		/* the new stack's chain starts here */
	blr	x9
	mov	sp, x19
	ldr	x19, [sp, #16]
	ldp	x29, x30, [sp], #32
	ret
	.size	arch_call_on_stack, . - arch_call_on_stack

	.globl	arch_try, arch_try_landing
	.type	arch_try, %function
arch_try:
	stp	x29, x30, [sp, #-160]!
	mov	x29, sp
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mrs	x9, tpidr_el1
	mov	x10, sp
	str	x10, [x9, #8]		/* arch_percpu.try_rsp */
	mov	x10, x0
	mov	x0, x1
	blr	x10
	mov	x0, #0
arch_try_landing:
	mrs	x9, tpidr_el1
	str	xzr, [x9, #8]
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldp	x29, x30, [sp], #160
	ret
	.size	arch_try, . - arch_try

/*
 * switch.S - stack switching.
 *
 * int arch_call_on_stack(uintptr_t top, int (*fn)(void *), void *arg)
 * Register contract: RDI = new stack top (16-byte aligned), RSI = fn,
 * RDX = arg.  Saves the old RSP in RBX (callee-saved, so fn preserves it),
 * calls fn(arg) on the new stack with RBP = 0 (ends backtraces), restores.
 */
	.section .text
	.globl arch_call_on_stack
arch_call_on_stack:
	pushq %rbp
	movq %rsp, %rbp
	pushq %rbx
	subq $8, %rsp
	movq %rsp, %rbx
	movq %rdi, %rsp
	movq %rsi, %rax
	movq %rdx, %rdi
	pushq $0                /* fake return address: end of the chain */
	pushq $0                /* fake saved rbp */
	xorl %ebp, %ebp
	call *%rax
	movq %rbx, %rsp
	addq $8, %rsp
	popq %rbx
	popq %rbp
	ret

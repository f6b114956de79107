/*
 * vectors.S - the 256 interrupt/exception entry stubs and the common path.
 *
 * Register contract: each stub pushes a zero error code when the CPU pushes
 * none (so every frame has one), then the vector number, and jumps to
 * trap_common, which pushes the 15 general registers (struct trap_frame in
 * trap.h), reads the cycle counter (so the ledger charges the interrupt
 * from here, not from the C handler), saves the FPU/SSE state with FXSAVE
 * below the frame, calls trap_dispatch(frame, entry_cycles) with RSP
 * 16-byte aligned, and undoes it all before IRETQ.  The frame may be edited by the handler (RIP/RSP/RAX for
 * arch_try's fault recovery).
 *
 * Vectors with a CPU error code: 8, 10-14, 17, 21, 29, 30.
 */
#include "arch/x86_64/regs.h"

	.section .text
	.code64

	.globl trap_vectors_start
trap_vectors_start:
	.set i, 0
	.rept 256
	.balign 16
	.if (i == 8) || (i >= 10 && i <= 14) || (i == 17) || (i == 21) || (i == 29) || (i == 30)
	.else
	pushq $0
	.endif
	pushq $i
	jmp trap_common
	.set i, i + 1
	.endr
	.balign 16

trap_common:
	PUSH_GPRS
	cld
	rdtsc                   /* entry time for the cost ledger */
	shlq $32, %rdx
	orq %rdx, %rax
	movq %rax, %rsi
	movq %rsp, %rdi
	subq $512, %rsp
	fxsave64 (%rsp)
	/* Make the frame look like a call from the interrupted code so the
	 * backtrace walks through it: rbp -> [saved rbp, saved rip]. */
	pushq 17*8(%rdi)        /* rip */
	pushq %rbp
	movq %rsp, %rbp
	call trap_dispatch
	addq $16, %rsp
	fxrstor64 (%rsp)
	addq $512, %rsp
	POP_GPRS
	addq $16, %rsp
	iretq

	/* Table of stub addresses for the IDT builder. */
	.section .rodata
	.balign 8
	.globl trap_vector_table
trap_vector_table:
	.set i, 0
	.rept 256
	.quad trap_vectors_start + i * 16
	.set i, i + 1
	.endr

/*
 * int arch_try(void (*fn)(void *), void *arg)
 * Runs fn(arg).  Returns 0 when it returns normally; when it raises a CPU
 * exception that trap_dispatch may recover (not #DF/#NMI/#MC), the handler
 * resumes at arch_try_landing with RSP = the saved value and RAX = vector+1.
 * One level deep per CPU (the slot is struct arch_percpu.try_rsp at
 * %gs:8); not reentrant.
 */
	.section .text
	.globl arch_try, arch_try_landing
arch_try:
	pushq %rbp
	movq %rsp, %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $8, %rsp
	movq %rsp, %gs:8
	movq %rdi, %rax
	movq %rsi, %rdi
	call *%rax
	xorl %eax, %eax
arch_try_landing:
	movq $0, %gs:8
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/*
 * preempt.S - asynchronous preemption stub.
 *
 * arch_inject_preempt() (trap.c) edits an interrupt frame so that, when
 * the interrupt returns, the interrupted code "calls" arch_preempt_stub:
 * below the interrupted stack pointer less the 128-byte ABI red zone
 * (the host's libgcc may use it), aligned to 16, it builds an IRET frame
 * {rip, cs, rflags, rsp, ss} of the interrupted context and points the
 * frame's RSP there and its RIP here.
 *
 * Register contract: on entry every register still holds the interrupted
 * context's value; RSP points at that IRET frame (RSP = 8 mod 16).  The
 * stub saves all 15 general registers and the FPU/SSE state (FXSAVE) on
 * the goroutine's own stack, calls preempt_entry_c() (which may switch to
 * another goroutine and resume, later, on any CPU), restores everything
 * and IRETs to the interrupted instruction with its flags and stack.
 */
#include "arch/x86_64/regs.h"

	.section .text
	.globl arch_preempt_stub
arch_preempt_stub:
	PUSH_GPRS
	subq $512, %rsp
	fxsave64 (%rsp)
	/* a frame record so backtraces walk into the interrupted code */
	pushq 15*8+512(%rsp)     /* interrupted rip (IRET frame's first word) */
	pushq %rbp
	movq %rsp, %rbp
	call preempt_entry_c
	addq $16, %rsp
	fxrstor64 (%rsp)
	addq $512, %rsp
	POP_GPRS
	iretq

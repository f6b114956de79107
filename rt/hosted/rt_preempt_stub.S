/*
 * rt_preempt_stub.S - the hosted runtime's asynchronous preemption stub
 * (the hosted twin of arch/x86_64/preempt.S).
 *
 * Purpose: the preemption signal's handler (rt_preempt_hosted.c) does not
 * switch stacks.  It edits the interrupted context (ucontext_t) so that,
 * when the handler returns, the interrupted goroutine "calls" this stub on
 * its own stack: it stores the interrupted RIP at RSP - 128 - 8 (below the
 * ABI's 128-byte red zone, which the interrupted function may be using),
 * points RSP there and RIP here.  The kernel's sigreturn then loads every
 * other register, the flags and the FP/SSE/AVX state unchanged.
 *
 * Register contract: on entry every register except RSP and RIP holds the
 * interrupted value; [RSP] = the interrupted RIP; the interrupted RSP is
 * RSP + 8 + 128.  RSP is only 8-aligned.  The stub
 *   - saves RBP (as a frame record {RBP, interrupted RIP}, so that frame-
 *     pointer backtraces walk from the runtime into the interrupted
 *     function), RFLAGS and the other 14 general registers;
 *   - saves the extended state in a 64-byte aligned area below them:
 *     XSAVE of the components in rt_hosted_xsave_mask (every user
 *     component XCR0 enables except AMX tiles), rt_hosted_xsave_size
 *     bytes; FXSAVE's 512 bytes when the mask is 0 (no XSAVE);
 *   - clears DF and calls rt_async_preempt_body() with the ABI's stack
 *     alignment.  That call gives up the M and returns later, possibly on
 *     another thread (the process's XCR0 is the same on every thread);
 *   - restores everything and returns with `ret $128`: RIP and RSP are
 *     the interrupted ones again, the red zone untouched.
 * Stack use: 8 + 16 * 8 + rt_hosted_xsave_size + 63 bytes below the red
 * zone, plus what rt_async_preempt_body uses; the handler injects only
 * with RT_HOSTED_PREEMPT_ROOM bytes free.
 *
 * Section: rt_hosted_text, like every function of the hosted platform.
 * The handler never preempts a PC in that section, so a signal that
 * arrives while the stub saves or restores leaves it alone; one that
 * arrives inside rt_async_preempt_body finds g->preempt set (it stays set
 * until the goroutine is scheduled again) or m->locks raised.
 */

	.weak rt_async_preempt_body     /* absent where no scheduler is linked */

	.section rt_hosted_text, "ax", @progbits
	.globl rt_hosted_preempt_stub
	.type rt_hosted_preempt_stub, @function
	.p2align 4
rt_hosted_preempt_stub:
	pushq %rbp
	movq %rsp, %rbp
	pushfq
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15                      /* at RBP - 15 * 8 */
	cld                             /* the ABI's DF = 0 at a call */
	movl rt_hosted_xsave_size(%rip), %ecx
	subq %rcx, %rsp
	andq $-64, %rsp
	movq rt_hosted_xsave_mask(%rip), %rax
	testq %rax, %rax
	jz 1f
	/* XSAVE writes only XSTATE_BV of the 64-byte header at 512;
	 * XRSTOR faults unless XCOMP_BV and the reserved bytes are 0. */
	xorl %ecx, %ecx
	movq %rcx, 512(%rsp)
	movq %rcx, 520(%rsp)
	movq %rcx, 528(%rsp)
	movq %rcx, 536(%rsp)
	movq %rcx, 544(%rsp)
	movq %rcx, 552(%rsp)
	movq %rcx, 560(%rsp)
	movq %rcx, 568(%rsp)
	movq %rax, %rdx
	shrq $32, %rdx                  /* EDX:EAX = the component mask */
	xsave64 (%rsp)
	call rt_async_preempt_body@PLT
	movq rt_hosted_xsave_mask(%rip), %rax
	movq %rax, %rdx
	shrq $32, %rdx
	xrstor64 (%rsp)
	jmp 2f
1:	fxsave64 (%rsp)
	call rt_async_preempt_body@PLT
	fxrstor64 (%rsp)
2:	leaq -15*8(%rbp), %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	popfq
	popq %rbp
	ret $128                        /* pop the RIP, then skip the red zone */
	.size rt_hosted_preempt_stub, . - rt_hosted_preempt_stub

	.section .note.GNU-stack, "", @progbits

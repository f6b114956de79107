/*
 * context.S - goroutine context switch for x86_64 (SysV ABI), the
 * implementation of rt/rt_ctx.h.
 *
 * Purpose: rt_ctx_switch saves the caller's context and resumes another;
 * rt_ctx_switch_clean does the same after clearing the scratch registers
 * (what g0 uses to resume a goroutine); rt_ctx_init prepares a fresh context that starts in a trampoline calling
 * entry(arg).  The same file is assembled by clang for the kernel
 * (--target=x86_64-unknown-elf) and by gcc for the hosted runtime tests.
 *
 * Data structure: struct rt_ctx, whose only member is struct arch_ctx
 * (arch/x86_64/include/arch_ctx.h); offsets (checked by _Static_assert in
 * tests/host/test_ctx.c; change both together):
 *
 *	CTX_RSP    0   stack pointer to resume with (return address popped)
 *	CTX_RIP    8   where to resume: the return address of the switch
 *	               call, or the trampoline for a fresh context
 *	CTX_RBX   16   callee-saved registers
 *	CTX_RBP   24   (0 in a fresh context: ends frame-pointer walks)
 *	CTX_R12   32   (fresh context: entry)
 *	CTX_R13   40   (fresh context: arg)
 *	CTX_R14   48
 *	CTX_R15   56
 *	CTX_MXCSR 64   32 bits; fresh context: 0x1f80 (all masked, RN)
 *	CTX_FPUCW 68   16 bits; fresh context: 0x037f (all masked, RN, 64-bit)
 *	size      72
 *
 * Register contract:
 *	rt_ctx_switch(RDI = from, RSI = to).  Saves RBX, RBP, R12-R15, MXCSR,
 *	the x87 control word, RSP (as it will be after the return) and the
 *	return address into *from; loads the same from *to and jumps to
 *	to->rip.  Clobbers RAX, RCX (caller-saved anyway).  Saving RIP and RBP
 *	of a parked context lets a backtrace start from (ctx.rip, ctx.rbp).
 *	rt_ctx_switch_clean(RDI = from, RSI = to).  Zeroes RDX, R8-R11 and
 *	XMM0-15, then falls into rt_ctx_switch: the resumed context gets
 *	none of the caller's scratch values (RAX, RCX, RDI, RSI then hold
 *	the switch's own: a return address, a stack pointer, the two
 *	contexts).  The collector scans a goroutine's stack conservatively,
 *	and an asynchronous preemption (the tick's, or the hosted stub's)
 *	saves every register there; a pointer g0 left in a scratch
 *	register (the channel a timer callback sent on, the one a park
 *	unlocked) would otherwise be saved into the goroutine's stack, stay
 *	in a slot no later frame overwrote and keep that object alive as
 *	long as the goroutine lives.  21
 *	instructions, so the scheduler uses it only where it resumes a
 *	goroutine from g0 (rt/sched.c, execute), not on the way back.  The
 *	upper halves of YMM0-15 and ZMM16-31 are not cleared: the kernel
 *	enables no AVX state, and only the hosted build's C library uses them
 *	(its AVX routines end with VZEROUPPER; its EVEX ones may leave words
 *	in YMM16-31).
 *	rt_ctx_init(RDI = c, RSI = stack_top, RDX = entry, RCX = arg).  Writes
 *	only *c, never the new stack (bare metal maps stack pages lazily).
 *	The trampoline, entered with RSP = stack_top (16-byte aligned), moves
 *	R13 (arg) into RDI, clears RBP and calls R12 (entry): entry starts
 *	with RSP = stack_top - 8, i.e. the ABI's alignment at a function
 *	entry.  If entry returns, ud2 traps (#UD on bare metal, SIGILL
 *	hosted).
 *
 * Invariants: from and to may be the same context only if it is resumed
 * by somebody else later (the switch writes *from before reading *to, so
 * from == to is a no-op that returns at once).  MXCSR and the x87 control
 * word are per goroutine: a goroutine that changes its rounding mode
 * keeps it and does not leak it to others.  The status flags in MXCSR
 * (bits 0-5) travel along, which is harmless.
 *
 * Locking and context: none; a plain function call.  On bare metal the
 * caller keeps preemption off around the switch (plat_irq_save); hosted,
 * the sanitizer builds wrap the two switches and rt_ctx_init at link time
 * (ld --wrap, see rt/hosted/rt_fiber.c) to tell ASan and TSan
 * about the stack change; this file knows nothing about that.
 */

#define CTX_RSP   0
#define CTX_RIP   8
#define CTX_RBX   16
#define CTX_RBP   24
#define CTX_R12   32
#define CTX_R13   40
#define CTX_R14   48
#define CTX_R15   56
#define CTX_MXCSR 64
#define CTX_FPUCW 68

#define FRESH_MXCSR 0x1f80
#define FRESH_FPUCW 0x037f

	.text

/* void rt_ctx_switch_clean(struct rt_ctx *from, const struct rt_ctx *to)
 * Clears the scratch registers the switch would otherwise carry from
 * `from` into `to`, then falls through into rt_ctx_switch. */
	.globl rt_ctx_switch_clean
	.type rt_ctx_switch_clean, @function
	.p2align 4
rt_ctx_switch_clean:
	xorl %edx, %edx
	xorl %r8d, %r8d
	xorl %r9d, %r9d
	xorl %r10d, %r10d
	xorl %r11d, %r11d
	pxor %xmm0, %xmm0
	pxor %xmm1, %xmm1
	pxor %xmm2, %xmm2
	pxor %xmm3, %xmm3
	pxor %xmm4, %xmm4
	pxor %xmm5, %xmm5
	pxor %xmm6, %xmm6
	pxor %xmm7, %xmm7
	pxor %xmm8, %xmm8
	pxor %xmm9, %xmm9
	pxor %xmm10, %xmm10
	pxor %xmm11, %xmm11
	pxor %xmm12, %xmm12
	pxor %xmm13, %xmm13
	pxor %xmm14, %xmm14
	pxor %xmm15, %xmm15
	.size rt_ctx_switch_clean, . - rt_ctx_switch_clean
	/* falls through: no alignment padding between the two */

/* void rt_ctx_switch(struct rt_ctx *from, const struct rt_ctx *to) */
	.globl rt_ctx_switch
	.type rt_ctx_switch, @function
rt_ctx_switch:
	movq (%rsp), %rax               /* return address */
	leaq 8(%rsp), %rcx              /* RSP after the return */
	movq %rcx, CTX_RSP(%rdi)
	movq %rax, CTX_RIP(%rdi)
	movq %rbx, CTX_RBX(%rdi)
	movq %rbp, CTX_RBP(%rdi)
	movq %r12, CTX_R12(%rdi)
	movq %r13, CTX_R13(%rdi)
	movq %r14, CTX_R14(%rdi)
	movq %r15, CTX_R15(%rdi)
	stmxcsr CTX_MXCSR(%rdi)
	fnstcw CTX_FPUCW(%rdi)

	ldmxcsr CTX_MXCSR(%rsi)
	fldcw CTX_FPUCW(%rsi)
	movq CTX_RBX(%rsi), %rbx
	movq CTX_RBP(%rsi), %rbp
	movq CTX_R12(%rsi), %r12
	movq CTX_R13(%rsi), %r13
	movq CTX_R14(%rsi), %r14
	movq CTX_R15(%rsi), %r15
	movq CTX_RSP(%rsi), %rsp
	jmpq *CTX_RIP(%rsi)
	.size rt_ctx_switch, . - rt_ctx_switch

/* void rt_ctx_init(struct rt_ctx *c, uintptr_t stack_top,
 *                  void (*entry)(void *), void *arg) */
	.globl rt_ctx_init
	.type rt_ctx_init, @function
	.p2align 4
rt_ctx_init:
	andq $-16, %rsi                 /* defensive: keep the ABI alignment */
	movq %rsi, CTX_RSP(%rdi)
	leaq rt_ctx_trampoline(%rip), %rax
	movq %rax, CTX_RIP(%rdi)
	movq $0, CTX_RBX(%rdi)
	movq $0, CTX_RBP(%rdi)
	movq %rdx, CTX_R12(%rdi)
	movq %rcx, CTX_R13(%rdi)
	movq $0, CTX_R14(%rdi)
	movq $0, CTX_R15(%rdi)
	movl $FRESH_MXCSR, CTX_MXCSR(%rdi)
	movw $FRESH_FPUCW, CTX_FPUCW(%rdi)
	movw $0, CTX_FPUCW+2(%rdi)
	ret
	.size rt_ctx_init, . - rt_ctx_init

/* First code of a fresh context: RSP = stack_top, R12 = entry, R13 = arg. */
	.type rt_ctx_trampoline, @function
	.p2align 4
rt_ctx_trampoline:
	movq %r13, %rdi
	xorl %ebp, %ebp
	callq *%r12
	ud2                             /* entry returned: a runtime bug */
	.size rt_ctx_trampoline, . - rt_ctx_trampoline

	.section .note.GNU-stack, "", @progbits

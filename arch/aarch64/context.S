/*
 * context.S - goroutine context switch for aarch64 (AAPCS64), the
 * implementation of rt/rt_ctx.h.
 *
 * Purpose: rt_ctx_switch saves the caller's context and resumes another;
 * rt_ctx_switch_clean does the same after clearing the scratch registers
 * (what g0 uses to resume a goroutine); rt_ctx_init prepares a fresh context that starts in a trampoline calling
 * entry(arg).
 *
 * Data structure: struct rt_ctx, whose only member is struct arch_ctx
 * (arch/aarch64/include/arch_ctx.h, where _Static_asserts check these
 * offsets; change both together):
 *
 *	CTX_SP     0   stack pointer to resume with
 *	CTX_PC     8   where to resume: the switch's return address (x30), or
 *	               the trampoline for a fresh context
 *	CTX_X19   16   x19..x28, 8 bytes each (fresh context: x19 = entry,
 *	               x20 = arg, the rest 0)
 *	CTX_FP    96   x29 (0 in a fresh context: ends frame-pointer walks)
 *	CTX_D8   104   d8..d15
 *	CTX_FPCR 168   FPCR (fresh context: 0 = round to nearest, no traps,
 *	               no flush-to-zero)
 *	size     176
 *
 * Register contract:
 *	rt_ctx_switch(x0 = from, x1 = to).  Saves x19-x30, sp, d8-d15 and
 *	FPCR into *from; loads the same from *to and returns into it (x30 =
 *	to's pc).  Clobbers x9-x12 (caller-saved).  FPCR is written only when
 *	it differs (a write may serialise the pipeline).
 *	rt_ctx_switch_clean(x0 = from, x1 = to).  Zeroes x2-x8, x12-x18,
 *	v0-v7 and v16-v31, then falls into rt_ctx_switch, which overwrites
 *	x9-x11 and, by loading d8-d15, clears the upper halves of v8-v15:
 *	the resumed context gets none of the caller's scratch values (x0,
 *	x1 then hold the two contexts).  Why: the x86_64 file's essay (a
 *	pointer g0 left in a scratch register would reach the goroutine's
 *	stack with a preemption's register save and keep an object
 *	alive under conservative scanning).  38 instructions; used only
 *	where g0 resumes a goroutine.
 *	rt_ctx_init(x0 = c, x1 = stack_top, x2 = entry, x3 = arg).  Writes
 *	only *c, never the new stack (stack pages are mapped lazily).  The
 *	trampoline, entered with sp = stack_top (16-byte aligned, as AAPCS64
 *	wants sp at every public interface), moves x20 into x0, clears x29
 *	and x30 and calls x19: entry's frame record ends the chain.  If entry
 *	returns, BRK #0x3c traps (a runtime bug).
 *
 * Invariants: as for x86_64: from == to is harmless (written before it
 * is read); FPCR is per goroutine, FPSR's cumulative flags are not saved
 * (caller-saved status, like MXCSR's flags being harmless there).
 *
 * Locking and context: none; a plain function call.  The caller keeps
 * preemption off around the switch.
 */

#define CTX_SP    0
#define CTX_PC    8
#define CTX_X19   16
#define CTX_FP    96
#define CTX_D8    104
#define CTX_FPCR  168

	.text

/* void rt_ctx_switch_clean(struct rt_ctx *from, const struct rt_ctx *to)
 * Clears the scratch registers the switch would otherwise carry from
 * `from` into `to`, then falls through into rt_ctx_switch. */
	.globl	rt_ctx_switch_clean
	.type	rt_ctx_switch_clean, %function
	.p2align 4
rt_ctx_switch_clean:
	mov	x2, xzr
	mov	x3, xzr
	mov	x4, xzr
	mov	x5, xzr
	mov	x6, xzr
	mov	x7, xzr
	mov	x8, xzr
	mov	x12, xzr
	mov	x13, xzr
	mov	x14, xzr
	mov	x15, xzr
	mov	x16, xzr
	mov	x17, xzr
	mov	x18, xzr
	movi	v0.2d, #0
	movi	v1.2d, #0
	movi	v2.2d, #0
	movi	v3.2d, #0
	movi	v4.2d, #0
	movi	v5.2d, #0
	movi	v6.2d, #0
	movi	v7.2d, #0
	movi	v16.2d, #0
	movi	v17.2d, #0
	movi	v18.2d, #0
	movi	v19.2d, #0
	movi	v20.2d, #0
	movi	v21.2d, #0
	movi	v22.2d, #0
	movi	v23.2d, #0
	movi	v24.2d, #0
	movi	v25.2d, #0
	movi	v26.2d, #0
	movi	v27.2d, #0
	movi	v28.2d, #0
	movi	v29.2d, #0
	movi	v30.2d, #0
	movi	v31.2d, #0
	.size	rt_ctx_switch_clean, . - rt_ctx_switch_clean
	/* falls through: no alignment padding between the two */

/* void rt_ctx_switch(struct rt_ctx *from, const struct rt_ctx *to) */
	.globl	rt_ctx_switch
	.type	rt_ctx_switch, %function
rt_ctx_switch:
	mov	x9, sp
	stp	x9, x30, [x0, #CTX_SP]
	stp	x19, x20, [x0, #CTX_X19]
	stp	x21, x22, [x0, #CTX_X19 + 16]
	stp	x23, x24, [x0, #CTX_X19 + 32]
	stp	x25, x26, [x0, #CTX_X19 + 48]
	stp	x27, x28, [x0, #CTX_X19 + 64]
	str	x29, [x0, #CTX_FP]
	stp	d8, d9, [x0, #CTX_D8]
	stp	d10, d11, [x0, #CTX_D8 + 16]
	stp	d12, d13, [x0, #CTX_D8 + 32]
	stp	d14, d15, [x0, #CTX_D8 + 48]
	mrs	x10, fpcr
	str	x10, [x0, #CTX_FPCR]

	ldr	x11, [x1, #CTX_FPCR]
	cmp	x10, x11
	b.eq	1f
	msr	fpcr, x11
1:	ldp	d8, d9, [x1, #CTX_D8]
	ldp	d10, d11, [x1, #CTX_D8 + 16]
	ldp	d12, d13, [x1, #CTX_D8 + 32]
	ldp	d14, d15, [x1, #CTX_D8 + 48]
	ldp	x19, x20, [x1, #CTX_X19]
	ldp	x21, x22, [x1, #CTX_X19 + 16]
	ldp	x23, x24, [x1, #CTX_X19 + 32]
	ldp	x25, x26, [x1, #CTX_X19 + 48]
	ldp	x27, x28, [x1, #CTX_X19 + 64]
	ldr	x29, [x1, #CTX_FP]
	ldp	x9, x30, [x1, #CTX_SP]
	mov	sp, x9
	ret
	.size	rt_ctx_switch, . - rt_ctx_switch

/* void rt_ctx_init(struct rt_ctx *c, uintptr_t stack_top,
 *                  void (*entry)(void *), void *arg) */
	.globl	rt_ctx_init
	.type	rt_ctx_init, %function
	.p2align 4
rt_ctx_init:
	and	x1, x1, #~15			/* defensive: keep the alignment */
	adr	x9, rt_ctx_trampoline
	stp	x1, x9, [x0, #CTX_SP]
	stp	x2, x3, [x0, #CTX_X19]
	stp	xzr, xzr, [x0, #CTX_X19 + 16]
	stp	xzr, xzr, [x0, #CTX_X19 + 32]
	stp	xzr, xzr, [x0, #CTX_X19 + 48]
	stp	xzr, xzr, [x0, #CTX_X19 + 64]
	str	xzr, [x0, #CTX_FP]
	stp	xzr, xzr, [x0, #CTX_D8]
	stp	xzr, xzr, [x0, #CTX_D8 + 16]
	stp	xzr, xzr, [x0, #CTX_D8 + 32]
	stp	xzr, xzr, [x0, #CTX_D8 + 48]
	str	xzr, [x0, #CTX_FPCR]
	ret
	.size	rt_ctx_init, . - rt_ctx_init

/* First code of a fresh context: sp = stack_top, x19 = entry, x20 = arg. */
	.type	rt_ctx_trampoline, %function
	.p2align 4
rt_ctx_trampoline:
	mov	x0, x20
	mov	x29, xzr
	mov	x30, xzr
	blr	x19
	brk	#0x3c				/* entry returned: a runtime bug */
	.size	rt_ctx_trampoline, . - rt_ctx_trampoline

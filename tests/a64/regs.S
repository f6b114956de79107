/*
 * regs.S - register-level checks for the aarch64 port's tests: values the
 * compiler cannot be trusted to keep in a register are set and read back
 * in assembly.
 *
 * uint64_t a64t_switch_check(struct rt_ctx *from, struct rt_ctx *to,
 *                            uint64_t salt)
 *	Sets x19..x28 = salt + n and d8..d15 = salt + 100 + n, calls
 *	rt_ctx_switch(from, to), and when switched back returns how many of
 *	those 18 registers no longer hold their value (0: the switch kept
 *	the callee-saved state).  Preserves the caller's callee-saved
 *	registers (AAPCS64).
 *
 * uint64_t a64t_scratch_switch(struct rt_ctx *from, const struct rt_ctx *to,
 *                              uint64_t fill, int clean)
 *	Sets x2-x8, x12-x18, v0-v7 and v16-v31 (both halves) and the upper
 *	halves of v8-v15 to fill, then calls rt_ctx_switch_clean (clean
 *	!= 0) or rt_ctx_switch.  Returns 0 when switched back.
 *
 * uint64_t a64t_scratch_park(struct rt_ctx *self, const struct rt_ctx *home,
 *                            uint64_t fill)
 *	Calls rt_ctx_switch(self, home); once resumed, counts the 70 words
 *	a64t_scratch_switch filled as the switch into it left them: returns
 *	(how many hold fill) | (how many are not zero) << 16.
 *
 * uint64_t a64t_spin(struct a64t_spin *s)   s = {u32 flag, u32, u64 budget}
 *	Sets x1..x28 = P + n, v0..v31 = {Q + n, ~(Q + n)}, FPCR.RMode = RZ,
 *	NZCV = N|C, then loops reading s->flag (a load, a store of the
 *	decremented budget, two cbz: no flag-setting instruction) until it is
 *	non-zero or the budget is spent (the loop is [a64t_spin_loop,
 *	a64t_spin_loop_end): every register above is live there).  Returns 0 when every one of those
 *	registers, NZCV, FPCR, x29 and sp still hold their values; else a
 *	code: n for xn, 100 + n for vn, 200 NZCV, 201 FPCR, 202 x29 or sp,
 *	300 the budget ran out (no interrupt stopped the loop).  Restores
 *	FPCR and the callee-saved registers.
 *
 * uint64_t a64t_try_keeps(void (*fn)(void *), void *arg)
 *	Sets x19..x28 = P + n, calls arch_try(fn, arg), and returns its
 *	result, plus 1 << 32 when any of x19..x28 changed.
 *
 * void a64t_clobber_fault(void *addr)
 *	Overwrites x19..x28 and d8..d15, then reads *addr (a fault for an
 *	unmapped addr: the state arch_try must undo).
 */
#define P 0x5a5a5a5a00000000
#define Q 0x3c3c3c3c00000000

	.macro	save_callee
	stp	x29, x30, [sp, #-176]!
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
	.endm

	.macro	restore_callee
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldp	x29, x30, [sp], #176
	.endm

	/* v0-v7 and v16-v31 whole and the upper halves of v8-v15 (the
	 * vector state AAPCS64 lets a callee change) = reg */
	.macro	fill_vector_scratch reg
	dup	v0.2d, \reg
	dup	v1.2d, \reg
	dup	v2.2d, \reg
	dup	v3.2d, \reg
	dup	v4.2d, \reg
	dup	v5.2d, \reg
	dup	v6.2d, \reg
	dup	v7.2d, \reg
	dup	v16.2d, \reg
	dup	v17.2d, \reg
	dup	v18.2d, \reg
	dup	v19.2d, \reg
	dup	v20.2d, \reg
	dup	v21.2d, \reg
	dup	v22.2d, \reg
	dup	v23.2d, \reg
	dup	v24.2d, \reg
	dup	v25.2d, \reg
	dup	v26.2d, \reg
	dup	v27.2d, \reg
	dup	v28.2d, \reg
	dup	v29.2d, \reg
	dup	v30.2d, \reg
	dup	v31.2d, \reg
	mov	v8.d[1], \reg
	mov	v9.d[1], \reg
	mov	v10.d[1], \reg
	mov	v11.d[1], \reg
	mov	v12.d[1], \reg
	mov	v13.d[1], \reg
	mov	v14.d[1], \reg
	mov	v15.d[1], \reg
	.endm

	.text
	.globl	a64t_switch_check
a64t_switch_check:
	save_callee
	str	x2, [sp, #160]
	.irp	n, 8, 9, 10, 11, 12, 13, 14, 15
	add	x9, x2, #(100 + \n)
	fmov	d\n, x9
	.endr
	.irp	n, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28
	add	x\n, x2, #\n
	.endr
	bl	rt_ctx_switch
	ldr	x2, [sp, #160]
	mov	x0, #0
	.irp	n, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28
	add	x9, x2, #\n
	cmp	x\n, x9
	cinc	x0, x0, ne
	.endr
	.irp	n, 8, 9, 10, 11, 12, 13, 14, 15
	add	x9, x2, #(100 + \n)
	fmov	x10, d\n
	cmp	x10, x9
	cinc	x0, x0, ne
	.endr
	restore_callee
	ret

	.globl	a64t_scratch_switch
a64t_scratch_switch:
	save_callee
	mov	x19, x3
	fill_vector_scratch x2
	.irp	n, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15, 16, 17, 18
	mov	x\n, x2
	.endr
	cbz	x19, 1f
	bl	rt_ctx_switch_clean
	b	2f
1:	bl	rt_ctx_switch
2:	mov	x0, #0
	restore_callee
	ret

	.macro	count_word reg
	cmp	\reg, x20
	cinc	x21, x21, eq
	cmp	\reg, #0
	cinc	x22, x22, ne
	.endm

	.globl	a64t_scratch_park
a64t_scratch_park:
	save_callee
	mov	x20, x2
	bl	rt_ctx_switch
	mov	x21, #0
	mov	x22, #0
	.irp	n, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15, 16, 17, 18
	count_word x\n
	.endr
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	mov	x9, v\n\().d[0]
	count_word x9
	mov	x9, v\n\().d[1]
	count_word x9
	.endr
	.irp	n, 8, 9, 10, 11, 12, 13, 14, 15
	mov	x9, v\n\().d[1]
	count_word x9
	.endr
	orr	x0, x21, x22, lsl #16
	restore_callee
	ret

	.globl	a64t_spin, a64t_spin_loop, a64t_spin_loop_end
	.globl	a64t_spin_end
a64t_spin:
	save_callee
	mrs	x9, fpcr
	str	x9, [sp, #160]
	orr	x9, x9, #(3 << 22)		/* RMode = RZ */
	msr	fpcr, x9
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	ldr	x30, =Q
	add	x30, x30, #\n
	fmov	d\n, x30
	mvn	x30, x30
	mov	v\n\().d[1], x30
	.endr
	ldr	x30, =P
	.irp	n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28
	add	x\n, x30, #\n
	.endr
	mov	x30, #0xa0000000		/* N and C */
	msr	nzcv, x30
a64t_spin_loop:
1:	ldr	x30, [x0, #8]
	sub	x30, x30, #1
	str	x30, [x0, #8]
	cbz	x30, 2f
	ldr	w30, [x0]
	cbz	w30, 1b
a64t_spin_loop_end:
2:	mrs	x30, nzcv
	str	x30, [sp, #168]
	ldr	w30, [x0]
	cbz	w30, 9f				/* budget spent, never stopped */
	.irp	n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28
	ldr	x0, =P
	add	x0, x0, #\n
	cmp	x\n, x0
	b.eq	3f
	mov	x0, #\n
	b	8f
3:
	.endr
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	ldr	x0, =Q
	add	x0, x0, #\n
	fmov	x30, d\n
	cmp	x30, x0
	b.ne	4f
	mvn	x0, x0
	mov	x30, v\n\().d[1]
	cmp	x30, x0
	b.eq	3f
4:	mov	x0, #(100 + \n)
	b	8f
3:
	.endr
	ldr	x30, [sp, #168]
	mov	x0, #0xa0000000
	cmp	x30, x0
	mov	x0, #200
	b.ne	8f
	mrs	x30, fpcr
	ubfx	x30, x30, #22, #2
	cmp	x30, #3
	mov	x0, #201
	b.ne	8f
	mov	x30, sp
	cmp	x29, x30
	mov	x0, #202
	b.ne	8f
	mov	x0, #0
	b	8f
9:	mov	x0, #300
8:	ldr	x9, [sp, #160]
	msr	fpcr, x9
	restore_callee
	ret
a64t_spin_end:
	.ltorg

	.globl	a64t_try_keeps
a64t_try_keeps:
	save_callee
	ldr	x9, =P
	.irp	n, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28
	add	x\n, x9, #\n
	.endr
	bl	arch_try
	mov	w0, w0
	ldr	x9, =P
	mov	x10, #0
	.irp	n, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28
	add	x11, x9, #\n
	cmp	x\n, x11
	cinc	x10, x10, ne
	.endr
	cbz	x10, 1f
	orr	x0, x0, #(1 << 32)
1:	restore_callee
	ret
	.ltorg

	.globl	a64t_clobber_fault
a64t_clobber_fault:
	.irp	n, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28
	mov	x\n, #\n
	.endr
	.irp	n, 8, 9, 10, 11, 12, 13, 14, 15
	fmov	d\n, x\n
	.endr
	ldr	x0, [x0]
	ret

/* void a64t_clobber_caller_saved(void)
 *	Overwrites every register AAPCS64 lets a callee change: x0-x18,
 *	v0-v7 and v16-v31 whole, the upper halves of v8-v15 (their lower
 *	halves are callee-saved).  What an interrupted context's registers
 *	must survive (the preemption test runs it inside the preemption). */
	.globl	a64t_clobber_caller_saved
a64t_clobber_caller_saved:
	mov	x9, #0x6666
	fill_vector_scratch x9
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18
	mov	x\n, x9
	.endr
	msr	nzcv, xzr
	ret

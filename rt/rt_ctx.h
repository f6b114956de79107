/*
 * rt_ctx.h - a saved goroutine context and the switch between two.
 *
 * The switch is a function call: only callee-saved registers, the stack
 * pointer, the x87 control word and MXCSR are saved (everything else is
 * dead across a call by the ABI).  An asynchronous preemption (the tick)
 * first saves the full register state on the goroutine's own stack
 * (arch asm), then calls into the runtime, which switches with this.
 * Implemented per ISA in arch/<isa>/context.S; the same file builds into
 * the hosted runtime on an x86_64 host.
 */
#ifndef TALLY_RT_CTX_H
#define TALLY_RT_CTX_H

#include <stdint.h>

struct rt_ctx {
	uint64_t rsp;
	uint64_t rip;   /* only meaningful for a fresh context */
	uint64_t rbx, rbp, r12, r13, r14, r15;
	uint32_t mxcsr;
	uint16_t fpucw;
	uint16_t pad;
};

/* Save the caller's context in *from, resume *to.  Returns (in from's
 * context) when something switches back to it. */
void rt_ctx_switch(struct rt_ctx *from, const struct rt_ctx *to);
/* Prepare *c so that switching to it calls entry(arg) on the stack whose
 * top is stack_top (16-byte aligned); entry must never return. */
void rt_ctx_init(struct rt_ctx *c, uintptr_t stack_top, void (*entry)(void *), void *arg);

#endif

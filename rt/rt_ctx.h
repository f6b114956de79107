/*
 * rt_ctx.h - a saved goroutine context and the switch between two.
 *
 * The switch is a function call: only callee-saved registers, the stack
 * pointer, the x87 control word and MXCSR are saved (everything else is
 * dead across a call by the ABI).  An asynchronous preemption (the tick)
 * first saves the full register state on the goroutine's own stack
 * (arch asm), then calls into the runtime, which switches with this.
 * Implemented per ISA in arch/<isa>/context.S, with the layout in
 * arch/<isa>/include/arch_ctx.h; the same files build into the hosted
 * runtime on an x86_64 host.
 */
#ifndef TALLY_RT_CTX_H
#define TALLY_RT_CTX_H

#include <stdint.h>
#include <arch_ctx.h>  /* arch/<isa>/include/: the layout, by the include path */

/* The register layout is the port's (struct arch_ctx); the runtime reads
 * a context only through the accessors below. */
struct rt_ctx {
	struct arch_ctx arch;
};

/* Saved stack pointer; 0 when the context was never initialised or was
 * retired (a G whose next run must start afresh). */
static inline uintptr_t rt_ctx_sp(const struct rt_ctx *c) { return arch_ctx_sp(&c->arch); }
/* Where a parked context resumes, and its frame pointer (backtraces). */
static inline uintptr_t rt_ctx_pc(const struct rt_ctx *c) { return arch_ctx_pc(&c->arch); }
static inline uintptr_t rt_ctx_fp(const struct rt_ctx *c) { return arch_ctx_fp(&c->arch); }
/* Mark the context retired: rt_ctx_sp(c) becomes 0. */
static inline void rt_ctx_retire(struct rt_ctx *c) { arch_ctx_retire(&c->arch); }

/* Save the caller's context in *from, resume *to.  Returns (in from's
 * context) when something switches back to it. */
void rt_ctx_switch(struct rt_ctx *from, const struct rt_ctx *to);
/* rt_ctx_switch, having first cleared the scratch (caller-saved) general
 * and vector registers that the switch would otherwise carry from the
 * caller into *to.  For g0 resuming a goroutine: the collector scans
 * conservatively, and g0's leftovers (a timer's channel, the channel a
 * park just unlocked) would reach the goroutine's stack when an interrupt
 * or the hosted preemption stub saves its registers there, and keep
 * those objects alive while it lives.  The ISA's essay lists what is
 * cleared. */
void rt_ctx_switch_clean(struct rt_ctx *from, const struct rt_ctx *to);
/* Prepare *c so that switching to it calls entry(arg) on the stack whose
 * top is stack_top (16-byte aligned); entry must never return. */
void rt_ctx_init(struct rt_ctx *c, uintptr_t stack_top, void (*entry)(void *), void *arg);

#endif

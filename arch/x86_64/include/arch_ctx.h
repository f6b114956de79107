/*
 * arch_ctx.h - x86_64's saved goroutine context: the register layout
 * behind rt/rt_ctx.h, and the accessors the runtime reads it through.
 *
 * Included only by rt/rt_ctx.h (found by the include path,
 * arch/<isa>/include/).  The runtime never names a register: it sees
 * struct arch_ctx as opaque storage inside struct rt_ctx and calls the
 * accessors below.  arch/x86_64/context.S writes and reads the fields at
 * the offsets listed there (checked by tests/host/test_ctx.c).
 *
 * What a port's arch_ctx.h provides (the contract rt/rt_ctx.h relies on):
 *   struct arch_ctx                   callee-saved state of a switch
 *   arch_ctx_sp(c)                    saved stack pointer; 0 for a context
 *                                     never initialised or retired
 *   arch_ctx_pc(c), arch_ctx_fp(c)    where a parked context resumes and
 *                                     its frame pointer (backtraces)
 *   arch_ctx_retire(c)                make arch_ctx_sp(c) == 0
 * Context: any; plain loads and stores of a context nobody runs on.
 */
#ifndef TALLY_ARCH_X86_64_CTX_H
#define TALLY_ARCH_X86_64_CTX_H

#include <stdint.h>

struct arch_ctx {
	uint64_t rsp;
	uint64_t rip;   /* only meaningful for a fresh context */
	uint64_t rbx, rbp, r12, r13, r14, r15;
	uint32_t mxcsr;
	uint16_t fpucw;
	uint16_t pad;
};

static inline uintptr_t arch_ctx_sp(const struct arch_ctx *c) { return c->rsp; }
static inline uintptr_t arch_ctx_pc(const struct arch_ctx *c) { return c->rip; }
static inline uintptr_t arch_ctx_fp(const struct arch_ctx *c) { return c->rbp; }
static inline void arch_ctx_retire(struct arch_ctx *c) { c->rsp = 0; }

#endif

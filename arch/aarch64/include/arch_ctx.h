/*
 * arch_ctx.h - aarch64's saved goroutine context: the register layout
 * behind rt/rt_ctx.h, and the accessors the runtime reads it through.
 *
 * Included only by rt/rt_ctx.h (found by the include path,
 * arch/<isa>/include/).  The runtime never names a register: it sees
 * struct arch_ctx as opaque storage inside struct rt_ctx and calls the
 * accessors below (the contract is written at the top of
 * arch/x86_64/include/arch_ctx.h).  arch/aarch64/context.S writes and
 * reads the fields at the offsets listed there; the _Static_asserts below
 * keep the two in step.
 *
 * What a switch saves (AAPCS64 5.1: the callee-saved state of a call):
 * x19-x28, the frame pointer x29, the link register x30 (as pc: where the
 * switch returns), sp, the low 64 bits of v8-v15 (d8-d15) and FPCR
 * (rounding mode and trap enables: per goroutine, as MXCSR is on x86_64).
 * Context: any; plain loads and stores of a context nobody runs on.
 */
#ifndef TALLY_ARCH_AARCH64_CTX_H
#define TALLY_ARCH_AARCH64_CTX_H

#include <stddef.h>
#include <stdint.h>

struct arch_ctx {
	uint64_t sp;
	uint64_t pc;     /* x30 at the switch; the trampoline for a fresh context */
	uint64_t x19_x28[10];
	uint64_t fp;     /* x29 (0 in a fresh context: ends frame-pointer walks) */
	uint64_t d8_d15[8];
	uint64_t fpcr;
};

_Static_assert(offsetof(struct arch_ctx, pc) == 8, "context.S CTX_PC");
_Static_assert(offsetof(struct arch_ctx, x19_x28) == 16, "context.S CTX_X19");
_Static_assert(offsetof(struct arch_ctx, fp) == 96, "context.S CTX_FP");
_Static_assert(offsetof(struct arch_ctx, d8_d15) == 104, "context.S CTX_D8");
_Static_assert(offsetof(struct arch_ctx, fpcr) == 168, "context.S CTX_FPCR");
_Static_assert(sizeof(struct arch_ctx) == 176, "context.S size");

static inline uintptr_t arch_ctx_sp(const struct arch_ctx *c) { return c->sp; }
static inline uintptr_t arch_ctx_pc(const struct arch_ctx *c) { return c->pc; }
static inline uintptr_t arch_ctx_fp(const struct arch_ctx *c) { return c->fp; }
static inline void arch_ctx_retire(struct arch_ctx *c) { c->sp = 0; }

#endif

/*
 * arch_ctx.h (contract check) - the goroutine-context contract of
 * rt/rt_ctx.h with no port behind it: an opaque layout, and the accessors
 * declared only (see arch_inline.h in this folder).
 */
#ifndef TALLY_CONTRACT_ARCH_CTX_H
#define TALLY_CONTRACT_ARCH_CTX_H

#include <stdint.h>

struct arch_ctx {
	uintptr_t opaque[16];
};

static inline uintptr_t arch_ctx_sp(const struct arch_ctx *c);
static inline uintptr_t arch_ctx_pc(const struct arch_ctx *c);
static inline uintptr_t arch_ctx_fp(const struct arch_ctx *c);
static inline void arch_ctx_retire(struct arch_ctx *c);

#endif

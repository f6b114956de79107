/*
 * gstack.h - growable goroutine stacks (see gstack.c for the design).
 */
#ifndef TALLY_GSTACK_H
#define TALLY_GSTACK_H

#include <stddef.h>
#include <stdint.h>

struct gstack_stats {
	uint64_t growth_faults;   /* page faults that grew a stack */
	uint64_t pages_mapped;    /* pages ever mapped into stacks */
	uint64_t pages_released;  /* pages ever trimmed or shrunk away */
	uint64_t committed;       /* bytes backing stacks now */
	uint64_t peak;            /* most bytes ever backing stacks at once */
	uint64_t in_use;          /* stacks held by goroutines */
	uint64_t stackmax;        /* usable bytes of every stack (the limit) */
	uint64_t init_bytes;      /* bytes mapped at spawn */
};

/* Boot: reserve the arena and register its fault handler (growth on
 * demand, overflow reports). 0, or -1 for impossible sizes. */
int gstack_init(size_t stackmax, size_t stackinit);
size_t gstack_size(void);
uintptr_t gstack_alloc(size_t size);
void gstack_free(uintptr_t lo, size_t size);
/* Release the pages of the stack [lo, ...) below sp - slack (keeping the
 * initial backing); returns pages released.  Thread context, not on the
 * stack being shrunk's unmapped part (the caller runs on it above sp). */
uint64_t gstack_shrink(uintptr_t lo, uintptr_t sp, size_t slack);
void gstack_stats(struct gstack_stats *s);
/* Trim every cached stack back to its initial backing now. g0/thread. */
void gstack_trim(void);

#endif

/*
 * plat_inline.h (bare metal) - the runtime platform calls that must be
 * inline (rt/platform.h says which): an M is a CPU, and its number is the
 * CPU's, read in one instruction from the per-CPU area.
 */
#ifndef TALLY_PLAT_INLINE_H
#define TALLY_PLAT_INLINE_H

#include "arch/arch.h"

static inline unsigned plat_m_id(void) { return arch_cpu_index(); }

#endif

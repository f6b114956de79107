/*
 * plat_inline.h (hosted) - the runtime platform calls rt/platform.h wants
 * inline.  Hosted, plat_m_id stays a call (rt_platform_hosted.c, a
 * thread-local read) in the code the preemption signal never interrupts
 * (RT_HOSTED_TEXT), which is what the contract asks of it.
 */
#ifndef TALLY_PLAT_INLINE_H
#define TALLY_PLAT_INLINE_H

unsigned plat_m_id(void);

#endif

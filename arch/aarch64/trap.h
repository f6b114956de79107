/*
 * trap.h - the aarch64 trap frame, as vectors.S builds it.
 *
 * Layout (low to high, 816 bytes, 16-aligned): x0..x30; the interrupted
 * code's stack pointer (SP_EL0 for an exception from running code);
 * ELR_EL1, SPSR_EL1, ESR_EL1, FAR_EL1; q0..q31; FPSR, FPCR.  The SIMD
 * registers are in the frame because C handlers may use them (clang
 * vectorises copies, newlib's string routines use NEON) and the
 * interrupted code's must survive.  On return vectors.S reloads every
 * register from the frame, SP_EL0 included, so a handler may redirect
 * the interrupted code: ELR (arch_try's landing, arch_inject_preempt's
 * stub), sp and x0.
 */
#ifndef TALLY_A64_TRAP_H
#define TALLY_A64_TRAP_H

#include <stddef.h>
#include <stdint.h>

struct trap_frame {
	uint64_t x[31];
	uint64_t sp;            /* the interrupted code's stack pointer */
	uint64_t elr, spsr, esr, far;
	__uint128_t q[32];
	uint64_t fpsr, fpcr;
};
_Static_assert(offsetof(struct trap_frame, sp) == 248, "vectors.S frame: sp");
_Static_assert(offsetof(struct trap_frame, elr) == 256, "vectors.S frame: elr");
_Static_assert(offsetof(struct trap_frame, far) == 280, "vectors.S frame: far");
_Static_assert(offsetof(struct trap_frame, q) == 288, "vectors.S frame: q0");
_Static_assert(offsetof(struct trap_frame, fpsr) == 800, "vectors.S frame: fpsr");
_Static_assert(sizeof(struct trap_frame) == 816, "vectors.S FRAME");

/* ESR_EL1 exception classes the port decodes */
#define A64_EC_UNKNOWN   0x00
#define A64_EC_IABT      0x21   /* instruction abort, same EL */
#define A64_EC_DABT      0x25   /* data abort, same EL */
#define A64_EC_BRK       0x3c

/* trap_cpu.c: an exception from running code (vector kind 0) that the
 * port can resolve or recover: a fault a64_vm_fixup resolves, else one
 * inside arch_try (resumed at its landing).  1 if handled. */
int a64_trap_recover(struct trap_frame *tf);

/* The IRQ handler trap.c calls for an interrupt from running code, if
 * set (the boot test image's preemption test); else the probe's. */
extern void (*a64_irq_hook)(struct trap_frame *tf);

#endif

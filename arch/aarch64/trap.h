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

/* The VM_ACCESS_* bits (arch/arch.h) of an abort's syndrome, what the
 * fault path hands kernel_page_fault (ARM ARM D17.2.37, ISS of a data or
 * instruction abort): PRESENT for a permission or access flag fault (the
 * translation existed: a protection violation), WRITE for a data abort
 * with WnR set that is not a cache maintenance operation (CM, which
 * reports WnR = 1), EXEC for an instruction abort, USER for an abort
 * taken from EL0.  0 for a read of an unmapped page at EL1, as on x86_64.
 * Pure: needs only the VM_ACCESS_* values. */
static inline unsigned a64_fault_access(uint64_t esr, unsigned present, unsigned write,
                                        unsigned user, unsigned exec)
{
	unsigned ec = (unsigned)(esr >> 26) & 0x3f, fsc = (unsigned)esr & 0x3f, a = 0;
	if (ec == 0x20 || ec == 0x24)
		a |= user;
	if (ec == 0x20 || ec == 0x21)
		a |= exec;
	else if (((esr >> 6) & 1) && !((esr >> 8) & 1))
		a |= write;
	if ((fsc & 0x3c) == 0x08 || (fsc & 0x3c) == 0x0c)
		a |= present;
	return a;
}

/* trap_cpu.c: an exception from running code (vector kind 0) that the
 * port can resolve or recover: a fault a64_vm_fixup resolves, else one
 * inside arch_try (resumed at its landing).  1 if handled. */
int a64_trap_recover(struct trap_frame *tf);
/* Its two halves: a64_vm_fixup's resolution; arch_try's recovery. */
int a64_trap_fixup(struct trap_frame *tf);
int a64_trap_try(struct trap_frame *tf);

/* Each image's (dtboot.c; kernel/trap_kernel.c): the handler of an IRQ
 * from running code, and of a synchronous exception from running code
 * (1: resolved or recovered, resume; 0: fatal, trap.c reports it). */
void a64_trap_irq(struct trap_frame *tf);
int a64_trap_sync(struct trap_frame *tf);

/* The IRQ handler the boot test image's a64_trap_irq calls for an interrupt from running code, if
 * set (the boot test image's preemption test); else the probe's. */
extern void (*a64_irq_hook)(struct trap_frame *tf);

#endif

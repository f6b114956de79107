/*
 * trap.h - x86_64 trap frame, as built by vectors.S.
 *
 * Layout (low to high): 15 general registers pushed by the common stub,
 * the vector number and error code (0 when the CPU pushes none), then the
 * CPU's own iret frame.  The 512-byte FXSAVE area sits below the frame and
 * is restored on return, so handlers may use SSE freely.
 */
#ifndef TALLY_X86_TRAP_H
#define TALLY_X86_TRAP_H

#include <stddef.h>
#include <stdint.h>

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(offsetof(struct trap_frame, vector) == 15 * 8, "trap frame layout");
_Static_assert(offsetof(struct trap_frame, rip) == 17 * 8, "trap frame layout");
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap frame layout");

/* Called by vectors.S with the frame and the cycle counter read at entry;
 * may modify the frame before iret. */
void trap_dispatch(struct trap_frame *tf, uint64_t entry_cycles);

#endif

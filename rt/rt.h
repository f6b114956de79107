/*
 * rt.h - starting the runtime (used by the platform's entry, not by
 * applications, which see rt/include/tally.h).
 */
#ifndef TALLY_RT_H
#define TALLY_RT_H

#include <stdint.h>

/* Run mainfn(argc, argv) as goroutine 1 on up to nms Ms (0: every M the
 * platform has), with Ps = Ms.  The calling thread becomes M 0.  When
 * mainfn returns, exit(status) is called (Go: the program ends when main
 * returns), so rt_main never returns. */
_Noreturn void rt_main(int (*mainfn)(int, char **), int argc, char **argv, unsigned nms);

/* Preemption quantum in ns (default 10 ms, Go's forcePreemptNS); set
 * before rt_main. */
void rt_set_quantum(uint64_t ns);

/* The running goroutine's stack (the lowest usable address, as
 * plat_stack_alloc gave it), or 0 on g0 or before its first run: the
 * platform's stack-fault handler grows only that stack.  Any context on
 * an M, interrupts and faults included. */
uintptr_t rt_current_stack_lo(void);

#endif

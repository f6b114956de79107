/*
 * hooks.c - kernel entry points for system-test applications.
 *
 * Purpose: a test program (tests/apps/) is linked into the kernel image,
 * so it can call kernel functions, but it sees only rt/tally.h.  These
 * few functions give it the kernel operations a crash test needs (an IPI
 * call, a shootdown, a kernel panic) with the pinning done here; each app
 * declares the prototypes it uses.  Nothing in the kernel calls them.
 * Context: goroutine (thread) context.
 */
#include <stdint.h>
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/ipi.h"
#include "kernel/ledger.h"
#include "kernel/panic.h"
#include "kernel/cpu/timer.h"
#include "rt/include/tally.h"

static void nothing(void *p) { (void)p; }

/* Send an IPI call (mode 0), a one-page TLB shootdown (mode 1) or the
 * shootdown of a goroutine stack shrink (mode 2: the caller's unused stack
 * below its frame is released) that a CPU made deaf by apfail=ID:ipi has
 * to answer.  Returns -1 without doing anything when there is no such CPU
 * other than the caller's own (then the caller can move and retry);
 * otherwise it does not return (the wait ends in a kernel panic) unless
 * the CPU answers. */
int testhook_ipi_deaf(int mode)
{
	struct cpu *c = cpu_pin();
	int deaf = -1;
	for (unsigned i = 0; i < cpu_count(); i++)
		if (cpus[i].ipi_deaf && i != c->arch.index)
			deaf = (int)i;
	if (deaf >= 0) {
		if (mode == 0)
			ipi_call((unsigned)deaf, nothing, NULL, LCAUSE_CALL);
		else if (mode == 1)
			tlb_shootdown(0x00007e0000000000ull, ARCH_PAGE_SIZE);
		else
			tally_stack_shrink();
	}
	cpu_unpin(c);
	return deaf >= 0 ? 0 : -1;
}

static volatile int arrived;

/* n goroutines call this, each until it panics: the caller pins itself
 * and waits up to 50 ms for all n to be waiting; if they are, it panics,
 * else it leaves (returns -1: the caller yields and calls again).  A
 * pinned goroutine cannot be preempted, so n callers waiting at the same
 * time run on n different CPUs, and they all see the count reach n and
 * panic within instants of each other. */
int testhook_panic_together(int n)
{
	struct cpu *c = cpu_pin();
	__atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
	uint64_t end = arch_cycles() + timer_ns_to_cycles(50000000ull);
	while (arch_cycles() < end) {
		if (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) >= n)
			panic("testhook: %d CPUs panic at once (this one is cpu %u)", n,
			      c->arch.index);
		arch_pause();
	}
	__atomic_sub_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
	cpu_unpin(c);
	return -1;
}

/* Kernel panic "testhook: <why>", unless the caller runs on CPU cpu: then
 * return -1 (the caller can move and retry). */
int testhook_panic_unless_on(int cpu, const char *why)
{
	struct cpu *c = cpu_pin();
	if ((int)c->arch.index != cpu)
		panic("testhook: %s", why);
	cpu_unpin(c);
	return -1;
}

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
#include "kernel/cpu.h"
#include "kernel/ipi.h"
#include "kernel/ledger.h"
#include "kernel/panic.h"
#include "kernel/timer.h"

static void nothing(void *p) { (void)p; }

/* Send an IPI call (mode 0) or a one-page TLB shootdown (mode 1) that a
 * CPU made deaf by apfail=ID:ipi has to answer.  Returns -1 without doing
 * anything when there is no such CPU other than the caller's own (then the
 * caller can move and retry); otherwise it does not return (the wait ends
 * in a kernel panic) unless the CPU answers. */
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
		else
			tlb_shootdown(0x00007e0000000000ull, ARCH_PAGE_SIZE);
	}
	cpu_unpin(c);
	return deaf >= 0 ? 0 : -1;
}

static volatile int arrived;

/* n goroutines call this at once: each pins itself, waits (up to 2 s)
 * until all n arrived, and all panic together.  A pinned goroutine cannot
 * be preempted, so n callers waiting at the same time run on n different
 * CPUs.  The message says how many had arrived. */
_Noreturn void testhook_panic_together(int n)
{
	struct cpu *c = cpu_pin();
	int got = __atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
	uint64_t end = arch_cycles() + timer_ns_to_cycles(2000000000ull);
	while (got < n && arch_cycles() < end) {
		arch_pause();
		got = __atomic_load_n(&arrived, __ATOMIC_ACQUIRE);
	}
	panic("testhook: %d of %d CPUs panic at once (this one is cpu %u)", got, n, c->arch.index);
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

/*
 * hooks.c - kernel entry points for system-test applications.
 *
 * Purpose: a test program (tests/apps/) is linked into the kernel image,
 * so it can call kernel functions, but it sees only rt/tally.h.  These
 * few functions give it the kernel operations a crash test needs (an IPI
 * call, a shootdown, a kernel panic) with the pinning done here, and the
 * readings the runtime-level ledger checks need (the ledger's sums, the
 * HPET, a goroutine's stack top); each app declares the prototypes it
 * uses.  Nothing in the kernel calls them.
 * Context: goroutine (thread) context.
 */
#include <stdint.h>
#include <string.h>
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/ipi.h"
#include "kernel/ledger.h"
#include "kernel/mem/gstack.h"
#include "kernel/panic.h"
#include "kernel/cpu/timer.h"
#include "rt/include/tally.h"
#include "rt/rt_port.h"
#include "tests/target/refclock.h"

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

/* ---- the ledger in the runtime (tests/apps/ledger_rt.c) ---- */

/* Sums over every CPU of what the ledger charged, as of now (each CPU's
 * pending cycles go to its current class).  Each CPU snapshots its own
 * ledger, in an IPI call (the caller's own directly), as
 * tally_ledger_read does: a CPU read from another can be caught half way
 * through a transition (an idle CPU still takes its timer's and other
 * interrupts), its open interval then counted twice; a read racing the
 * other CPU's wake-up saw the idle sum fall by about the time since
 * boot between two reads (ledger_truth_rt_tcg_smp2, a host core busy). */
struct testhook_ledger {
	uint64_t idle, user, fault, sched;  /* cycles (sched: rt.sched) */
	uint64_t all;                     /* cycles of every class */
	uint64_t fault_entries;
	uint64_t stack_events, stack_cycles;  /* cause rt.stack */
	uint64_t hz;                      /* cycle counter frequency */
};

static void snap_self(void *p)
{
	ledger_snapshot(&this_cpu()->ledger, arch_cycles(), p);
}

void testhook_ledger_read(struct testhook_ledger *out)
{
	struct ledger_snapshot s;
	int cause = ledger_cause("rt.stack"), sched = ledger_class("rt.sched");
	memset(out, 0, sizeof(*out));
	struct cpu *c = cpu_pin();  /* the reply comes to this CPU's frame */
	for (unsigned i = 0; i < cpu_count(); i++) {
		memset(&s, 0, sizeof(s));
		if (ipi_call(i, snap_self, &s, LCAUSE_CALL) < 0)
			continue;
		out->idle += s.cycles[LC_IDLE];
		out->user += s.cycles[LC_USER];
		out->fault += s.cycles[LC_KERN_FAULT];
		out->sched += sched > 0 ? s.cycles[sched] : 0;
		for (unsigned k = 0; k < LEDGER_MAX_CLASSES; k++)
			out->all += s.cycles[k];
		out->fault_entries += cpus[i].ledger.entries[LC_KERN_FAULT];
		out->stack_events += cpus[i].ledger.cause_events[cause];
		out->stack_cycles += s.cause_cycles[cause];
	}
	cpu_unpin(c);
	out->hz = arch_cycles_hz();
}

/* The top of the calling goroutine's stack (its first mapped page lies
 * just below), and the pages mapped at spawn. */
uintptr_t testhook_stack_top(uint64_t *init_pages)
{
	struct gstack_stats s;
	gstack_stats(&s);
	*init_pages = s.init_bytes / ARCH_PAGE_SIZE;
	return rt_curg_stack_lo() + gstack_size();
}

static int trim_on_syscall_stack(void *p)
{
	(void)p;
	gstack_trim();
	return 0;
}

/* Trim every cached goroutine stack back to its initial pages, so the
 * next spawn starts from them. */
void testhook_stack_trim(void) { cpu_syscall(trim_on_syscall_stack, NULL); }

/* Nanoseconds of the HPET (tests/target/refclock.c); ~0 when the machine
 * lists none. */
uint64_t testhook_ref_ns(void) { return refclock_init() ? refclock_ns() : ~0ull; }

/* A loop of exactly n iterations of 2 instructions each
 * (arch_counted_loop), run where the caller runs: in a goroutine, charged
 * as the program's own work. */
void testhook_counted_loop(unsigned n) { arch_counted_loop(n); }

/* Timer interrupts taken and preemptions injected, summed over the CPUs. */
void testhook_timer_counts(uint64_t *irqs, uint64_t *preempts)
{
	*irqs = *preempts = 0;
	for (unsigned i = 0; i < cpu_count(); i++) {
		*irqs += __atomic_load_n(&cpus[i].timer_irqs, __ATOMIC_RELAXED);
		*preempts += __atomic_load_n(&cpus[i].preempt_injected, __ATOMIC_RELAXED);
	}
}

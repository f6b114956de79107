/*
 * ledger_report.c - the cost ledger's report: snapshots of every CPU's
 * ledger, the "ledger:" lines, and the measured cost of one transition.
 *
 * Purpose: what the kernel prints of the ledger (ledger.h holds the
 * transitions, ledger.c the class names and the snapshot arithmetic).
 * Data structures: one snapshot per CPU, filled by ledger_gather (each
 * CPU snapshots itself, the others by an IPI call) and printed by
 * ledger_print.  Each line ends with the CPU's transition count; the
 * cost of one transition is timed at boot (a push or pop on a scratch
 * ledger; a pair switch on a scratch word); the
 * ledger's cost is not estimated here (a count times a best-case cost is
 * not a measurement): tools/ledger_overhead.py measures it, on against
 * off.  Under ledger=off, ledger_print_off prints one line with the
 * transitions made since boot (0 when the switch works).
 * Context: ledger_gather from thread context (it sends IPIs and waits);
 * ledger_print after it, on one CPU.
 */
#include <stddef.h>
#include <string.h>
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/ipi.h"
#include "kernel/cpu/smp.h"
#include "kernel/ledger.h"
#include "kernel/lib/kprintf.h"

static uint64_t transition_cost, pair_cost;

static struct ledger_snapshot snaps[CPU_MAX];

static void snap_self(void *p)
{
	(void)p;
	unsigned long f = arch_irq_save();
	struct cpu *c = this_cpu();
	ledger_snapshot(&c->ledger, arch_cycles(), &snaps[c->arch.index]);
	arch_irq_restore(f);
}

static void print_snapshot(const char *who, const struct ledger_snapshot *s, uint64_t transitions)
{
	kprintf("ledger: %-5s elapsed %lu cycles", who, s->elapsed);
	for (unsigned k = 0; k < ledger_nclasses(); k++) {
		if (!s->cycles[k])
			continue;
		uint64_t pm = s->elapsed ? s->cycles[k] * 1000 / s->elapsed : 0;
		kprintf(" %s=%lu(%lu.%lu%%)", ledger_class_name(k), s->cycles[k], pm / 10, pm % 10);
	}
	for (unsigned k = 1; k < ledger_ncauses(); k++)
		if (s->cause_cycles[k])
			kprintf(" cause.%s=%lu", ledger_cause_name(k), s->cause_cycles[k]);
	kprintf(" residue=%ld transitions=%lu\n", s->residue, transitions);
}

void ledger_gather(void)
{
	/* pinned: the others' snapshots and our own cover every CPU once (a
	 * goroutine caller could otherwise move in between) */
	struct cpu *pin = cpu_pin();
	if (cpu_count() > 1)
		ipi_call_others(snap_self, NULL, LCAUSE_CALL);
	snap_self(NULL);
	cpu_unpin(pin);
}

void ledger_print(void)
{
	unsigned n = cpu_count();
	struct ledger_snapshot total;
	memset(&total, 0, sizeof(total));
	uint64_t all_tr = 0;
	for (unsigned i = 0; i < n; i++) {
		char who[8];
		uint64_t tr = ledger_transitions(&cpus[i].ledger);
		ksnprintf(who, sizeof(who), "cpu%u", i);
		print_snapshot(who, &snaps[i], tr);
		ledger_snapshot_add(&total, &snaps[i]);
		all_tr += tr;
	}
	if (n > 1)
		print_snapshot("total", &total, all_tr);
}

void ledger_print_off(void)
{
	uint64_t tr = 0;
	for (unsigned i = 0; i < cpu_count(); i++)
		tr += ledger_transitions(&cpus[i].ledger);
	kprintf("ledger: off (ledger=off): transitions=%lu\n", tr);
}

uint64_t ledger_transition_cost(void) { return transition_cost; }
uint64_t ledger_pair_switch_cost(void) { return pair_cost; }

#define PAIR_SCRATCH (offsetof(struct cpu, ledger) + offsetof(struct ledger_cpu, pair_scratch))

/* Cost of one transition: time 1000 push/pop pairs on a scratch ledger
 * (same code path as the real one), take the best of 5 runs. */
void ledger_measure_overhead(void)
{
	static struct ledger_cpu scratch;
	uint64_t best = ~0ull;
	ledger_start(&scratch, arch_cycles(), LC_KERN_BOOT);
	for (int run = 0; run < 5; run++) {
		uint64_t t0 = arch_cycles();
		for (int i = 0; i < 1000; i++) {
			ledger_push(&scratch, arch_cycles(), LC_KERN_IRQ_OTHER, 0);
			ledger_pop(&scratch, arch_cycles());
		}
		uint64_t d = arch_cycles() - t0;
		if (d < best)
			best = d;
	}
	transition_cost = best / 2000;
	/* the scheduler's pair switch: the very sequence of
	 * plat_ledger_leave_user / enter_user, on a word no ledger reads */
	best = ~0ull;
	for (int run = 0; run < 5; run++) {
		uint64_t t0 = arch_cycles();
		for (int i = 0; i < 1000; i++) {
			arch_ledger_pair_leave(PAIR_SCRATCH);
			(void)arch_ledger_pair_enter(PAIR_SCRATCH);
		}
		uint64_t d = arch_cycles() - t0;
		if (d < best)
			best = d;
	}
	pair_cost = best / 2000;
}

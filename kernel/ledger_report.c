/*
 * ledger_report.c - the cost ledger's report: snapshots of every CPU's
 * ledger, the "ledger:" lines, and the measured cost of one transition.
 *
 * Purpose: what the kernel prints of the ledger (ledger.h holds the
 * transitions, ledger.c the class names and the snapshot arithmetic).
 * Data structures: one snapshot per CPU, filled by ledger_gather (each
 * CPU snapshots itself, the others by an IPI call) and printed by
 * ledger_print.
 * Context: ledger_gather from thread context (it sends IPIs and waits);
 * ledger_print after it, on one CPU.
 */
#include <string.h>
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/ipi.h"
#include "kernel/cpu/smp.h"
#include "kernel/ledger.h"
#include "kernel/lib/kprintf.h"

static uint64_t transition_cost;

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
	kprintf(" residue=%ld", s->residue);
	if (transition_cost && s->elapsed) {
		uint64_t ov = transitions * transition_cost;
		kprintf(" overhead~%lu(%lu.%02lu%%)", ov, ov * 100 / s->elapsed,
		        ov * 10000 / s->elapsed % 100);
	}
	kprintf("\n");
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
		uint64_t tr = 0;
		for (unsigned k = 0; k < LEDGER_MAX_CLASSES; k++)
			tr += cpus[i].ledger.entries[k];
		ksnprintf(who, sizeof(who), "cpu%u", i);
		print_snapshot(who, &snaps[i], tr * 2);
		ledger_snapshot_add(&total, &snaps[i]);
		all_tr += tr * 2;
	}
	if (n > 1)
		print_snapshot("total", &total, all_tr);
}

uint64_t ledger_transition_cost(void) { return transition_cost; }

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
}

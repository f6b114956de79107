/*
 * kern_bench.c - on-target benchmarks of kernel mechanisms: IPI round
 * trip, timer-interrupt cost, ledger transition.
 */
#include <stdint.h>
#include "arch/arch.h"
#include "kernel/bench.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/ipi.h"
#include "kernel/cpu/timer.h"
#include "rt/platform.h"

static void noop(void *p) { (void)p; }

/* This CPU runs a function on another one by IPI and waits for it to
 * finish: send, delivery, the remote handler (ledger push/pop, EOI), the
 * completion flag seen back here.  The benchmark runs in a goroutine:
 * preemption is held off so it stays on this CPU. */
BENCH(IPIRoundTrip)
{
	if (cpu_count() < 2) {
		bench_skip(b, "needs 2 CPUs");
		return;
	}
	struct cpu *c = cpu_pin();  /* cannot move any more */
	unsigned other = c->arch.index == 0 ? 1 : 0;
	for (uint64_t i = 0; i < b->n; i++)
		ipi_call(other, noop, NULL, LCAUSE_CALL);
	cpu_unpin(c);
}

/* Timer interrupt, entry to exit, as the interrupted code sees it: spin
 * reading the cycle counter; the iteration during which this CPU's timer
 * interrupt count changed lasted one normal iteration plus the whole
 * interrupt (stub, dispatch, ledger, handler, re-arm, EOI, iret).  One op
 * is one such interrupt.  Under emulation a gap sometimes also contains a
 * host preemption of the vCPU, so the per-op cost reported is the median
 * gap (b->cycles = median * n); the mean and the minimum are extra
 * columns. */
#define MAX_GAPS 4096
static PLAT_GC_NOROOT uint64_t gaps[MAX_GAPS];  /* numbers: no root */

static void sort_u64(uint64_t *a, uint64_t n)
{
	for (uint64_t i = 1; i < n; i++) {  /* insertion sort: n <= 4096 */
		uint64_t v = a[i], j = i;
		while (j > 0 && a[j - 1] > v) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = v;
	}
}

BENCH(TimerInterrupt)
{
	if (timer_tick_hz() == 0) {
		bench_skip(b, "tick=0");
		return;
	}
	/* stay on this CPU: its interrupt count is the one being watched */
	struct cpu *c = cpu_pin();
	volatile uint64_t *irqs = &c->timer_irqs;
	uint64_t base = ~0ull;
	for (int i = 0; i < 1000; i++) {  /* a normal iteration, no interrupt */
		uint64_t k = *irqs, t0 = arch_cycles();
		uint64_t t1 = arch_cycles();
		if (*irqs == k && t1 - t0 < base)
			base = t1 - t0;
	}
	/* The count is read just after the cycle counter, so an interrupt
	 * landing between the two reads shows in the next interval: when the
	 * count changes, the gap is the larger of this interval and the next. */
	uint64_t seen = 0, sum = 0, k = *irqs, prev = arch_cycles(), pending = 0;
	int have_pending = 0;
	while (seen < b->n) {
		uint64_t now = arch_cycles(), k2 = *irqs;
		uint64_t iv = now - prev > base ? now - prev - base : 0;
		if (have_pending) {
			uint64_t gap = iv > pending ? iv : pending;
			sum += gap;
			if (seen < MAX_GAPS)
				gaps[seen] = gap;
			seen++;
			have_pending = 0;
		}
		if (k2 != k) {
			pending = iv;
			have_pending = 1;
			k = k2;
		}
		prev = now;
	}
	uint64_t m = seen < MAX_GAPS ? seen : MAX_GAPS;
	sort_u64(gaps, m);
	cpu_unpin(c);
	b->cycles = gaps[m / 2] * b->n;
	bench_metric(b, (double)sum / (double)b->n, "mean-cycles/op");
	bench_metric(b, (double)gaps[0], "min-cycles/op");
}

/* One ledger transition as the interrupt path makes it (a cycle-counter
 * read and a push or pop; half are each), with interrupts held off as in a
 * handler.  The transitions go to a scratch ledger, never this CPU's: the
 * live ledger keeps charging the benchmark's own time to user, and its
 * split shows no class the benchmark invented. */
static struct ledger_cpu scratch_ledger;

BENCH(LedgerTransition)
{
	unsigned long f = arch_irq_save();
	struct ledger_cpu *l = &scratch_ledger;
	ledger_start(l, arch_cycles(), LC_USER);
	for (uint64_t i = 0; i < b->n; i += 2) {
		ledger_push(l, arch_cycles(), LC_KERN_IRQ_OTHER, 0);
		ledger_pop(l, arch_cycles());
	}
	arch_irq_restore(f);
	/* the scratch books balance and saw every push */
	struct ledger_snapshot s;
	ledger_snapshot(l, l->last, &s);
	if (s.residue != 0 || l->entries[LC_KERN_IRQ_OTHER] != (b->n + 1) / 2)
		bench_fail(b, "scratch ledger does not balance");
}

/*
 * irq_free_test.c - on-target test that freeing a device vector waits for
 * an interrupt already on its way to another CPU (kernel/cpu/irq_alloc.c).
 *
 * The race it reproduces on purpose: a device sent its message just
 * before its driver masked it, the message sits in another CPU's local
 * APIC (IRR) because that CPU has interrupts off, and the driver frees
 * the vector.  A free that only cleared the handler let that CPU take the
 * vector later with no handler: "unexpected interrupt vector" (a panic),
 * or, once the vector was handed out again, a call into the wrong
 * device's handler.
 *
 * Here CPU 1 (from its idle loop, smp_run) turns interrupts off; CPU 0
 * allocates a vector and sends it to CPU 1 as a fixed IPI, which is what
 * an MSI message is to the APIC; then CPU 0 frees the vector.  CPU 1
 * keeps interrupts off until the free's own question reaches it (a call
 * IPI in its IRR: the free has swapped the handler by then), so the order
 * does not depend on how the host schedules the two vCPUs.  The truth
 * checked: the driver's handler never ran, the interrupt arrived exactly
 * once and was counted as late, and on return it is out of CPU 1's APIC
 * (read there through a call IPI) and the vector is free again.
 *
 * Context: a ktest (boot CPU, interrupts on); needs 2 CPUs (SKIP note
 * with one: the SMP cases run it).
 */
#include <stdint.h>
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/ipi.h"
#include "kernel/cpu/irq.h"
#include "kernel/cpu/smp.h"
#include "kernel/ktest.h"
#include "kernel/ledger.h"

static volatile uint64_t driver_hits;
static volatile int held, hold_timed_out;

static void driver_handler(unsigned vector, struct trap_frame *tf)
{
	(void)vector, (void)tf;
	driver_hits++;
}

/* CPU 1: interrupts off until a call IPI is pending here (at most 5 s). */
static void hold(void *arg)
{
	(void)arg;
	uint64_t hz = arch_cycles_hz(), t0;
	uint64_t limit = hz ? 5 * hz : 20000000000ull;
	unsigned long f = arch_irq_save();
	t0 = arch_cycles();
	__atomic_store_n(&held, 1, __ATOMIC_RELEASE);
	while (!arch_irq_in_flight(ARCH_IRQ_IPI_CALL)) {
		if (arch_cycles() - t0 > limit) {
			hold_timed_out = 1;
			break;
		}
		arch_pause();
	}
	arch_irq_restore(f);
}

struct probe {
	unsigned v;
	int in_flight;
};

static void probe(void *arg)
{
	struct probe *p = arg;
	p->in_flight = arch_irq_in_flight(p->v);
}

KTEST(irq_free_waits_for_late_interrupt)
{
	if (cpu_count() < 2) {
		ktest_note("SKIP: needs 2 CPUs (%u)", cpu_count());
		return;
	}
	unsigned free0 = irq_vectors_free();
	uint64_t late0 = irq_late_count();
	int v = irq_alloc_vector(driver_handler, LC_KERN_DRIVER);
	KASSERT(v >= 0);
	uint64_t count0 = irq_count((unsigned)v);
	driver_hits = 0;
	held = hold_timed_out = 0;
	KASSERT(smp_run(1, hold, NULL) == 0);
	uint64_t hz = arch_cycles_hz(), t0 = arch_cycles();
	while (!__atomic_load_n(&held, __ATOMIC_ACQUIRE)) {
		KASSERT(arch_cycles() - t0 < (hz ? 5 * hz : 20000000000ull));
		arch_pause();
	}
	arch_send_ipi(cpus[1].arch.hwid, (unsigned)v);
	irq_free_vector((unsigned)v);
	KASSERT(smp_run_wait(1, 5000000000ull) == 0);
	KASSERT_EQ(hold_timed_out, 0);
	KASSERT_EQ(driver_hits, 0);
	KASSERT_EQ(irq_count((unsigned)v) - count0, 1);
	KASSERT_EQ(irq_late_count() - late0, 1);
	struct probe p = { (unsigned)v, -1 };
	KASSERT(ipi_call(1, probe, &p, LCAUSE_CALL) == 0);
	KASSERT_EQ(p.in_flight, 0);
	KASSERT_EQ(irq_vectors_free(), free0);
	ktest_note("vector 0x%x: sent to CPU 1 with its interrupts off, freed: the handler "
	           "never ran, 1 late interrupt", v);
}

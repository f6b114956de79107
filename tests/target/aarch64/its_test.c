/*
 * its_test.c - on-target test of the GICv3 ITS as the port drives it
 * (arch/aarch64/kernel/its.c): a composed message raises its vector on
 * the CPU it was composed for, composing it again for another CPU moves
 * it, and composing it for another device takes it from the first.
 *
 * The message is written by the CPU itself to the address
 * arch_msi_compose returned: on QEMU's virt a CPU's write reaches
 * GITS_TRANSLATER with requester id 0, so the ITS reads it as device 0
 * (00:00.0, the host bridge, which sends no messages of its own).  The
 * truth checked is where and how often the handler ran (its CPU index,
 * read in the handler), not what its.c recorded.
 *
 * Context: a ktest (boot CPU, interrupts on); needs 2 CPUs and an ITS in
 * the machine's description (SKIP note otherwise: a GICv2, its=off).
 */
#include <stdint.h>
#include "arch/arch.h"
#include "arch/aarch64/gic.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/irq.h"
#include "kernel/ktest.h"
#include "kernel/ledger.h"

static volatile unsigned hits, last_cpu;

static void handler(unsigned vector, struct trap_frame *tf)
{
	(void)vector, (void)tf;
	last_cpu = arch_cpu_index();
	__atomic_add_fetch(&hits, 1, __ATOMIC_RELEASE);
}

/* Write the message; wait up to 2 s for hits to reach want. */
static int send_and_wait(uint64_t addr, uint32_t data, unsigned want)
{
	uint64_t hz = arch_cycles_hz(), t0;

	*(volatile uint32_t *)(uintptr_t)addr = data;
	t0 = arch_cycles();
	while (__atomic_load_n(&hits, __ATOMIC_ACQUIRE) < want)
		if (arch_cycles() - t0 > 2 * hz)
			return -1;
	return 0;
}

KTEST(its_message_follows_its_cpu_and_device)
{
	if (cpu_count() < 2 || !gic_get_layout()->its.size) {
		ktest_note("SKIP: needs 2 CPUs (%u) and an ITS (%s)", cpu_count(),
		           gic_get_layout()->its.size ? "yes" : "none described");
		return;
	}
	uint64_t addr, hz = arch_cycles_hz(), t0;
	uint32_t data;
	int v = irq_alloc_vector(handler, LC_KERN_DRIVER);
	KASSERT(v >= 0);
	hits = 0;
	last_cpu = ~0u;

	KASSERT(arch_msi_compose(0, cpus[1].arch.hwid, (unsigned)v, &addr, &data) == 0);
	KASSERT(addr == gic_get_layout()->its.base + 0x10040);   /* GITS_TRANSLATER */
	KASSERT_EQ(data, (uint32_t)v);
	KASSERT(send_and_wait(addr, data, 1) == 0);
	KASSERT_EQ(last_cpu, 1);

	KASSERT(arch_msi_compose(0, cpus[0].arch.hwid, (unsigned)v, &addr, &data) == 0);
	KASSERT(send_and_wait(addr, data, 2) == 0);
	KASSERT_EQ(last_cpu, 0);

	/* the vector now belongs to device 8 (00:01.0): device 0's event v
	 * translates to nothing any more */
	KASSERT(arch_msi_compose(8, cpus[0].arch.hwid, (unsigned)v, &addr, &data) == 0);
	*(volatile uint32_t *)(uintptr_t)addr = data;
	t0 = arch_cycles();
	while (arch_cycles() - t0 < hz / 20)
		arch_pause();
	KASSERT_EQ(hits, 2);
	irq_free_vector((unsigned)v);
	ktest_note("vector %d: LPI %u on CPU 1, moved to CPU 0, then taken by device 8 "
	           "(device 0's write ignored)", v, GIC_LPI_BASE + (unsigned)v);
}

/*
 * irq_probe.c - one interrupt end to end on the aarch64 boot test image:
 * the virtual timer's PPI, routed by the GIC the device tree names, taken
 * through the vector table, acknowledged and ended.
 *
 * Purpose: prove the pieces an interrupt needs before a driver exists
 * (issue 14: GICv3/v2, the generic timer): the tree's GIC addresses and
 * the timer's PPI number are right, the vector table's IRQ entry saves and
 * resumes, and the GIC's acknowledge register returns the INTID the tree
 * gave.  The boot CPU only; nothing stays enabled afterwards.
 *
 * Steps (GIC architecture specification IHI 0069 for v3, IHI 0048 for v2;
 * the generic timer, ARM ARM D11):
 *   GICv3: GICD_CTLR = ARE | EnableGrp1 | EnableGrp0 (QEMU's virt GIC has
 *     one security state), wait for RWP; this CPU's redistributor (the
 *     one whose GICR_TYPER affinity is the CPU's MPIDR) is woken
 *     (GICR_WAKER.ProcessorSleep cleared, ChildrenAsleep awaited), the PPI
 *     put in group 1 with priority 0x80 and enabled (SGI frame:
 *     IGROUPR0, IPRIORITYR, ISENABLER0); ICC_SRE_EL1.SRE, ICC_PMR_EL1 =
 *     0xff, ICC_IGRPEN1_EL1 = 1.  Acknowledge ICC_IAR1_EL1, end
 *     ICC_EOIR1_EL1.
 *   GICv2: GICD_CTLR = 1, the PPI's priority and enable in the
 *     distributor's banked registers, GICC_PMR = 0xff, GICC_CTLR = 1.
 *     Acknowledge GICC_IAR, end GICC_EOIR.
 *   Timer: CNTV_TVAL_EL0 = CNTFRQ / 1000 (1 ms), CNTV_CTL_EL0 = ENABLE;
 *   the handler masks it (IMASK) before ending the interrupt.
 * Then IRQs are unmasked and the CPU polls for the handler's record, at
 * most 1 s by CNTVCT_EL0 (no WFI: a lost interrupt must not hang the
 * machine), and masks IRQs again.  The report gives the INTID and how
 * long after the timer's deadline (CNTV_CVAL_EL0) the handler ran
 * (CNTVCT_EL0 at its entry); before the deadline would be a bug.  Under
 * TCG the counter follows the host's clock, so that delay includes the
 * emulator translating the code and the host descheduling the vCPU: it
 * is a fact of the run, not a latency of the design.
 *
 * Every asm statement clobbers "memory": without it clang moved the
 * timer's arming above the GIC set-up (a volatile asm may move across
 * code that is not), and the interrupt fired before the wait began.
 *
 * Once a64_irq_probe_hook is set (virt_test.c, after this probe), the handler
 * passes every IRQ to it instead.
 *
 * Invariants: every register address lies in a region of the tree that
 * mmu.c maps as device memory (checked before any access); each wait is
 * bounded.  Context: boot CPU; a64_irq_probe_handler runs from trap.c
 * for an IRQ, on the exception stack.
 */
#include <stdint.h>
#include "arch/aarch64/a64.h"
#include "kernel/fdt/fdt.h"
#include "kernel/lib/kprintf.h"

#define GICD_CTLR        0x0000
#define GICD_ISENABLER0  0x0100
#define GICD_IPRIORITYR  0x0400
#define GICD_CTLR_RWP    (1u << 31)
#define GICR_TYPER       0x0008
#define GICR_WAKER       0x0014
#define GICR_SGI         0x10000ull
#define GICR_IGROUPR0    0x0080
#define GICC_CTLR        0x0000
#define GICC_PMR         0x0004
#define GICC_IAR         0x000c
#define GICC_EOIR        0x0010
#define SPIN_LIMIT       10000000u

static const struct fdt_info *gic;
static volatile uint32_t taken_intid, taken;
static volatile uint64_t taken_at;   /* CNTVCT_EL0 at the handler's entry */

static uint32_t rd32(uint64_t a)
{
	return *(volatile uint32_t *)(uintptr_t)a;
}

static void wr32(uint64_t a, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)a = v;
}

static void wr8(uint64_t a, uint8_t v)
{
	*(volatile uint8_t *)(uintptr_t)a = v;
}

/* Spin until (rd32(a) & mask) == want, at most SPIN_LIMIT reads. */
static int wait32(uint64_t a, uint32_t mask, uint32_t want)
{
	uint32_t i;

	for (i = 0; i < SPIN_LIMIT; i++)
		if ((rd32(a) & mask) == want)
			return 0;
	return -1;
}

/* This CPU's redistributor (RD_base), or 0. */
static uint64_t my_redist(void)
{
	uint64_t m = A64_SYSREG_READ(mpidr_el1);
	uint32_t aff = (uint32_t)(((m >> 8) & 0xff000000u) | (m & 0xffffffu));
	uint32_t r;

	for (r = 0; r < gic->nredist; r++) {
		uint64_t a = gic->redist[r].base, end = a + gic->redist[r].size;

		while (a + 2 * GICR_SGI <= end) {
			uint64_t t = *(volatile uint64_t *)(uintptr_t)(a + GICR_TYPER);

			if ((uint32_t)(t >> 32) == aff)
				return a;
			if (t & (1u << 4))
				break;
			a += (t & 2) ? 4 * GICR_SGI : 2 * GICR_SGI;
		}
	}
	return 0;
}

static int setup_v3(uint32_t intid)
{
	uint64_t d = gic->gicd.base, r = my_redist(), sre;

	if (!r) {
		kprintf("irq: no redistributor has this CPU's affinity\n");
		return -1;
	}
	wr32(d + GICD_CTLR, (1u << 4) | 3u);
	if (wait32(d + GICD_CTLR, GICD_CTLR_RWP, 0) < 0) {
		kprintf("irq: GICD_CTLR.RWP did not clear\n");
		return -1;
	}
	wr32(r + GICR_WAKER, rd32(r + GICR_WAKER) & ~2u);
	if (wait32(r + GICR_WAKER, 4u, 0) < 0) {
		kprintf("irq: GICR_WAKER.ChildrenAsleep did not clear\n");
		return -1;
	}
	wr32(r + GICR_SGI + GICR_IGROUPR0, rd32(r + GICR_SGI + GICR_IGROUPR0) | 1u << intid);
	wr8(r + GICR_SGI + GICD_IPRIORITYR + intid, 0x80);
	wr32(r + GICR_SGI + GICD_ISENABLER0, 1u << intid);
	__asm__ volatile("mrs %0, S3_0_C12_C12_5" : "=r"(sre));
	/* ICC_SRE_EL1.SRE, ICC_PMR_EL1, ICC_IGRPEN1_EL1 */
	__asm__ volatile("msr S3_0_C12_C12_5, %0\n isb" :: "r"(sre | 1) : "memory");
	__asm__ volatile("msr S3_0_C4_C6_0, %0" :: "r"(0xffull) : "memory");
	__asm__ volatile("msr S3_0_C12_C12_7, %0\n isb" :: "r"(1ull) : "memory");
	return 0;
}

static int setup_v2(uint32_t intid)
{
	uint64_t d = gic->gicd.base, c = gic->gicc.base;

	if (!a64_mmu_is_device(c, 0x2000)) {
		kprintf("irq: CPU interface 0x%llx is not in the device map\n", (unsigned long long)c);
		return -1;
	}
	wr32(d + GICD_CTLR, 1);
	wr8(d + GICD_IPRIORITYR + intid, 0x80);
	wr32(d + GICD_ISENABLER0, 1u << intid);
	wr32(c + GICC_PMR, 0xff);
	wr32(c + GICC_CTLR, 1);
	return 0;
}

void (*volatile a64_irq_probe_hook)(void);

void a64_irq_probe_handler(void)
{
	uint64_t iar, now;
	void (*hook)(void) = a64_irq_probe_hook;

	if (hook) {
		hook();
		return;
	}
	__asm__ volatile("mrs %0, cntvct_el0" : "=r"(now) :: "memory");
	taken_at = now;
	if (gic && gic->gic_version == 3)
		__asm__ volatile("mrs %0, S3_0_C12_C12_0" : "=r"(iar) :: "memory");  /* ICC_IAR1_EL1 */
	else if (gic)
		iar = rd32(gic->gicc.base + GICC_IAR);
	else
		return;
	__asm__ volatile("msr cntv_ctl_el0, %0\n isb" :: "r"(3ull) : "memory");   /* ENABLE | IMASK */
	taken_intid = (uint32_t)(iar & 0xffffff);
	taken++;
	if (gic->gic_version == 3)
		__asm__ volatile("msr S3_0_C12_C12_1, %0\n isb" :: "r"(iar) : "memory");  /* ICC_EOIR1_EL1 */
	else
		wr32(gic->gicc.base + GICC_EOIR, (uint32_t)iar);
}

void a64_irq_probe(const struct fdt_info *in)
{
	const struct fdt_irq *t = &in->timer[FDT_TIMER_VIRT];
	uint64_t hz = A64_SYSREG_READ(cntfrq_el0), t0, deadline;

	if (!t->valid || !in->gic_version || !a64_mmu_is_device(in->gicd.base, 0x10000)) {
		kprintf("irq: not probed (no virtual timer PPI or no GIC in the device map)\n");
		return;
	}
	gic = in;
	if ((in->gic_version == 3 ? setup_v3(t->intid) : setup_v2(t->intid)) < 0)
		return;
	__asm__ volatile("msr cntv_tval_el0, %0\n msr cntv_ctl_el0, %1\n isb"
	                 :: "r"(hz / 1000), "r"(1ull) : "memory");
	__asm__ volatile("mrs %0, cntv_cval_el0" : "=r"(deadline) :: "memory");
	__asm__ volatile("mrs %0, cntvct_el0" : "=r"(t0) :: "memory");
	__asm__ volatile("msr daifclr, #2" ::: "memory");
	while (!taken && A64_SYSREG_READ(cntvct_el0) - t0 < hz)
		__asm__ volatile("yield" ::: "memory");
	__asm__ volatile("msr daifset, #2" ::: "memory");
	__asm__ volatile("msr cntv_ctl_el0, %0" :: "r"(0ull) : "memory");
	if (taken && taken_at >= deadline)
		kprintf("irq: virtual timer interrupt taken %llu us after its deadline: INTID %u acknowledged, the tree says %u\n",
		        (unsigned long long)((taken_at - deadline) * 1000000 / hz), taken_intid, t->intid);
	else if (taken)
		kprintf("irq: virtual timer interrupt taken %llu ticks BEFORE its deadline: INTID %u\n",
		        (unsigned long long)(deadline - taken_at), taken_intid);
	else
		kprintf("irq: no virtual timer interrupt within 1 s\n");
}

/*
 * gic.c - the Arm Generic Interrupt Controller, v3 and v2, as arch/arch.h's
 * interrupt controller on aarch64 (gic.h says how it is wired).
 *
 * Purpose: one driver for the two GICs QEMU's virt board offers
 * (gic-version=3, the default, and gic-version=2), chosen by the layout
 * the device tree gave (gic_set_layout); the version is a field, not a
 * build choice.  Register offsets and sequences: Arm GIC architecture
 * specification IHI 0069 (v3) 12.8-12.11 and IHI 0048 (v2) 4.3-4.4.
 *
 * GICv3: the distributor is set up once (arch_intc_init_boot): disabled,
 * RWP awaited, affinity routing on (ARE), every SPI in group 1, priority
 * 0xa0, disabled and routed to the boot CPU (GICD_IROUTER); then groups
 * 0 and 1 enabled (QEMU's virt GIC has one security state, so group 1 is
 * an IRQ at EL1).  Each CPU (boot and arch_intc_init_ap) finds its own
 * redistributor by walking the regions for the GICR_TYPER affinity that
 * is its MPIDR (stopping at Last; a redistributor with VLPIS is four
 * 64 KiB frames, else two), wakes it (GICR_WAKER.ProcessorSleep cleared,
 * ChildrenAsleep awaited), puts its SGIs and PPIs in group 1 at priority
 * 0xa0, enables the 16 SGIs and no PPI, and opens its CPU interface
 * through the system registers: ICC_SRE_EL1.SRE, ICC_PMR_EL1 = 0xff,
 * ICC_BPR1_EL1 = 0, ICC_CTLR_EL1.EOImode = 0 (EOIR drops priority and
 * deactivates), ICC_IGRPEN1_EL1 = 1.  An IPI is a write of
 * ICC_SGI1R_EL1 (Aff3.Aff2.Aff1 of the target, a 16-bit target list for
 * Aff0, the range selector RS = Aff0 / 16 when ICC_CTLR_EL1.RSS says
 * the CPU interface takes it), after a DSB so the target sees our
 * earlier stores; acknowledge ICC_IAR1_EL1, end ICC_EOIR1_EL1.
 * GICv2: the same through memory: the distributor's GICD_CTLR, SPI
 * priorities, disables and GICD_ITARGETSR (the boot CPU's interface);
 * per CPU its banked SGI/PPI registers, and the CPU interface's
 * GICC_PMR, GICC_BPR, GICC_CTLR.  A CPU's interface number is not its
 * MPIDR: each CPU reads it from its banked GICD_ITARGETSR0 at init and
 * records it against its hwid, and arch_send_ipi looks it up there for
 * GICD_SGIR's target list.  GICC_IAR of an SGI carries the sender in
 * bits 12:10, and GICC_EOIR wants the whole value back.
 *
 * Data structures: the layout; per CPU index the last acknowledged IAR;
 * the v2 table of (hwid, interface mask).
 * Invariants: a register is touched only inside a region the layout
 * names; every wait is bounded (GIC_SPIN reads) and its failure is
 * reported; ack and EOI pair up per CPU with interrupts masked between
 * them (no nesting), so one IAR slot per CPU suffices.
 * Locking: none.  Distributor set-up runs once on the boot CPU before any
 * other CPU starts; afterwards a CPU writes only its own banked or
 * redistributor registers, the v2 table's own entry, and (arch_send_ipi)
 * the write-only SGI registers.  v2 entries are added by one CPU at a
 * time (CPUs start one by one), each published by a release store of the
 * count after it is written; arch_send_ipi reads the count with acquire.
 * Context: as arch.h says for each function; no allocation.
 */
#include <stddef.h>
#include <stdint.h>
#include "arch/arch.h"
#include "arch/aarch64/a64.h"
#include "arch/aarch64/gic.h"
#include "arch/aarch64/virt_desc.h"
#include "kernel/lib/kprintf.h"

#define GIC_SPIN         10000000u
#define PRIO_DEFAULT     0xa0
/* distributor (both) */
#define GICD_CTLR        0x0000
#define GICD_TYPER       0x0004
#define GICD_IGROUPR     0x0080
#define GICD_ISENABLER   0x0100
#define GICD_ICENABLER   0x0180
#define GICD_ISPENDR     0x0200
#define GICD_ISACTIVER   0x0300
#define GICD_ICFGR       0x0c00
#define GICD_IPRIORITYR  0x0400
#define GICD_ITARGETSR   0x0800
#define GICD_SGIR        0x0f00
#define GICD_IROUTER     0x6000
#define GICD_CTLR_RWP    (1u << 31)
#define GICD_CTLR_ARE    (1u << 4)
/* redistributor (v3): RD_base frame, then the SGI frame 64 KiB on */
#define GICR_FRAME       0x10000ull
#define GICR_CTLR        0x0000
#define GICR_TYPER       0x0008
#define GICR_WAKER       0x0014
#define GICR_SGI         GICR_FRAME
#define GICR_CTLR_RWP    (1u << 3)
#define WAKER_SLEEP      (1u << 1)
#define WAKER_ASLEEP     (1u << 2)
/* CPU interface (v2) */
#define GICC_CTLR        0x0000
#define GICC_PMR         0x0004
#define GICC_BPR         0x0008
#define GICC_IAR         0x000c
#define GICC_EOIR        0x0010
/* CPU interface system registers (v3) */
#define ICC_PMR_EL1      "S3_0_C4_C6_0"
#define ICC_IAR1_EL1     "S3_0_C12_C12_0"
#define ICC_EOIR1_EL1    "S3_0_C12_C12_1"
#define ICC_BPR1_EL1     "S3_0_C12_C12_3"
#define ICC_CTLR_EL1     "S3_0_C12_C12_4"
#define ICC_SRE_EL1      "S3_0_C12_C12_5"
#define ICC_IGRPEN1_EL1  "S3_0_C12_C12_7"
#define ICC_SGI1R_EL1    "S3_0_C12_C11_5"
#define ICC_CTLR_RSS     (1ull << 18)

static struct gic_layout lay;
static unsigned lines;                 /* distributor's interrupt lines */
static uint32_t iar[GIC_MAX_CPUS];     /* per CPU index: the IAR to end */
static uint32_t timer_intid = GIC_SPURIOUS;
static unsigned timer_vector = GIC_SPURIOUS;
static int rss;                        /* v3: SGI1R's range selector works */
static struct { uint32_t hwid; uint8_t mask; } v2cpu[8];
static unsigned nv2cpu;
static int (*lpi_in_flight)(unsigned vector);   /* its.c, once an LPI is mapped */

#define rd32 gic_rd32
#define rd64 gic_rd64
#define wr32 gic_wr32
#define wr64 gic_wr64
static inline void wr8(uint64_t a, uint8_t v) { *(volatile uint8_t *)(uintptr_t)a = v; }

#define SYSREG_WRITE(name, v) __asm__ volatile("msr " name ", %0" :: "r"((uint64_t)(v)) : "memory")
#define SYSREG_READ(name) ({ uint64_t v_; __asm__ volatile("mrs %0, " name : "=r"(v_) :: "memory"); v_; })

/* This CPU's index (struct arch_percpu behind TPIDR_EL1; 0 before set). */
static inline unsigned cpu_slot(void)
{
	const struct arch_percpu *p = (const struct arch_percpu *)(uintptr_t)A64_SYSREG_READ(tpidr_el1);

	return p && p->index < GIC_MAX_CPUS ? p->index : 0;
}

static int wait32(uint64_t a, uint32_t mask, uint32_t want, const char *what)
{
	for (uint32_t i = 0; i < GIC_SPIN; i++)
		if ((rd32(a) & mask) == want)
			return 0;
	kprintf("gic: %s did not clear\n", what);
	return -1;
}

void gic_set_layout(const struct gic_layout *l)
{
	lay = *l;
}

unsigned gic_lines(void)
{
	return lines;
}

uint32_t arch_cpu_hwid(void)
{
	return virt_hwid(A64_SYSREG_READ(mpidr_el1));
}

const char *arch_intc_name(void)
{
	return lay.version == 3 ? "gicv3" : lay.version == 2 ? "gicv2" : "none";
}

const struct gic_layout *gic_get_layout(void)
{
	return &lay;
}

void gic_set_lpi_probe(int (*in_flight)(unsigned vector))
{
	lpi_in_flight = in_flight;
}

/* The redistributor (RD_base) whose GICR_TYPER affinity is hwid, or 0. */
uint64_t gic_redist_of(uint32_t aff)
{
	for (uint32_t r = 0; r < lay.nredist; r++) {
		uint64_t a = lay.redist[r].base, end = a + lay.redist[r].size;

		while (a + 2 * GICR_FRAME <= end) {
			uint64_t t = rd64(a + GICR_TYPER);

			if ((uint32_t)(t >> 32) == aff)
				return a;
			if (t & (1u << 4))   /* Last */
				break;
			a += (t & 2) ? 4 * GICR_FRAME : 2 * GICR_FRAME;
		}
	}
	return 0;
}

static uint64_t my_redist(void)
{
	return gic_redist_of(arch_cpu_hwid());
}

/* Base of this CPU's SGI/PPI registers: the SGI frame (v3), the banked
 * distributor (v2). */
static uint64_t private_base(void)
{
	if (lay.version == 2)
		return lay.gicd.base;
	uint64_t r = my_redist();
	return r ? r + GICR_SGI : 0;
}

static int cpu_init_v3(void)
{
	uint64_t r = my_redist(), s = r + GICR_SGI;

	if (!r) {
		kprintf("gic: no redistributor has affinity 0x%x (this CPU's MPIDR)\n", arch_cpu_hwid());
		return -1;
	}
	wr32(r + GICR_WAKER, rd32(r + GICR_WAKER) & ~WAKER_SLEEP);
	if (wait32(r + GICR_WAKER, WAKER_ASLEEP, 0, "GICR_WAKER.ChildrenAsleep") < 0)
		return -1;
	wr32(s + GICD_IGROUPR, ~0u);
	wr32(s + GICD_ICENABLER, ~0u);
	if (wait32(r + GICR_CTLR, GICR_CTLR_RWP, 0, "GICR_CTLR.RWP") < 0)
		return -1;
	for (unsigned i = 0; i < 32; i++)
		wr8(s + GICD_IPRIORITYR + i, PRIO_DEFAULT);
	wr32(s + GICD_ISENABLER, 0xffffu);   /* the SGIs: IPIs */
	SYSREG_WRITE(ICC_SRE_EL1, SYSREG_READ(ICC_SRE_EL1) | 1);
	__asm__ volatile("isb" ::: "memory");
	SYSREG_WRITE(ICC_PMR_EL1, 0xff);
	SYSREG_WRITE(ICC_BPR1_EL1, 0);
	SYSREG_WRITE(ICC_CTLR_EL1, SYSREG_READ(ICC_CTLR_EL1) & ~2ull);  /* EOImode 0 */
	rss = (SYSREG_READ(ICC_CTLR_EL1) & ICC_CTLR_RSS) != 0;
	SYSREG_WRITE(ICC_IGRPEN1_EL1, 1);
	__asm__ volatile("isb" ::: "memory");
	return 0;
}

static int cpu_init_v2(void)
{
	uint64_t d = lay.gicd.base, c = lay.gicc.base;
	uint8_t mask = (uint8_t)rd32(d + GICD_ITARGETSR);   /* banked: this CPU's own */
	uint32_t me = arch_cpu_hwid();
	unsigned i;

	if (!mask) {
		kprintf("gic: GICD_ITARGETSR0 reads 0 on hwid 0x%x: no CPU interface number\n", me);
		return -1;
	}
	for (i = 0; i < nv2cpu && v2cpu[i].hwid != me; i++)
		;
	if (i == 8) {
		kprintf("gic: more than 8 CPUs on a GICv2\n");
		return -1;
	}
	v2cpu[i].hwid = me;
	v2cpu[i].mask = mask;
	if (i == nv2cpu)   /* publish the entry after writing it */
		__atomic_store_n(&nv2cpu, i + 1, __ATOMIC_RELEASE);
	wr32(d + GICD_ICENABLER, ~0u);
	for (i = 0; i < 32; i++)
		wr8(d + GICD_IPRIORITYR + i, PRIO_DEFAULT);
	wr32(d + GICD_ISENABLER, 0xffffu);
	wr32(c + GICC_PMR, 0xff);
	wr32(c + GICC_BPR, 0);
	wr32(c + GICC_CTLR, 1);
	return 0;
}

static int cpu_init(void)
{
	return lay.version == 3 ? cpu_init_v3() : cpu_init_v2();
}

int arch_intc_init_boot(uint64_t mmio_base)
{
	uint64_t d = lay.gicd.base;
	unsigned i;

	if (!lay.version || mmio_base != d || !d) {
		kprintf("gic: no layout for a distributor at 0x%llx\n", (unsigned long long)mmio_base);
		return -1;
	}
	lines = 32 * ((rd32(d + GICD_TYPER) & 0x1f) + 1);
	if (lines > 1020)
		lines = 1020;
	wr32(d + GICD_CTLR, 0);
	if (lay.version == 3 && wait32(d + GICD_CTLR, GICD_CTLR_RWP, 0, "GICD_CTLR.RWP") < 0)
		return -1;
	for (i = 32; i < lines; i += 32) {
		wr32(d + GICD_IGROUPR + i / 8, lay.version == 3 ? ~0u : 0);
		wr32(d + GICD_ICENABLER + i / 8, ~0u);
	}
	for (i = 32; i < lines; i++)
		wr8(d + GICD_IPRIORITYR + i, PRIO_DEFAULT);
	if (lay.version == 3) {
		if (wait32(d + GICD_CTLR, GICD_CTLR_RWP, 0, "GICD_CTLR.RWP") < 0)
			return -1;
		wr32(d + GICD_CTLR, GICD_CTLR_ARE);
		for (i = 32; i < lines; i++)
			wr64(d + GICD_IROUTER + 8 * i, virt_mpidr(arch_cpu_hwid()));
		wr32(d + GICD_CTLR, GICD_CTLR_ARE | 3u);
		if (wait32(d + GICD_CTLR, GICD_CTLR_RWP, 0, "GICD_CTLR.RWP") < 0)
			return -1;
	} else {
		uint8_t me = (uint8_t)rd32(d + GICD_ITARGETSR);

		for (i = 32; i < lines; i++)
			wr8(d + GICD_ITARGETSR + i, me);
		wr32(d + GICD_CTLR, 1);
	}
	return cpu_init();
}

void arch_intc_init_ap(void)
{
	if (cpu_init() < 0)
		kprintf("gic: hwid 0x%x: CPU interface not enabled\n", arch_cpu_hwid());
}

void gic_ppi_enable(uint32_t intid, int on)
{
	uint64_t b = private_base();

	if (!b || intid < 16 || intid > 31)
		return;
	wr32(b + (on ? GICD_ISENABLER : GICD_ICENABLER), 1u << intid);
}

void gic_set_timer_vector(uint32_t intid, unsigned vector)
{
	timer_intid = intid;
	timer_vector = vector;
}

void arch_send_ipi(uint32_t hwid, unsigned vector)
{
	if (vector > 15) {
		kprintf("gic: IPI %u is not an SGI (0..15): not sent\n", vector);
		return;
	}
	__asm__ volatile("dsb ishst" ::: "memory");
	if (lay.version == 3) {
		uint32_t aff0 = hwid & 0xff;
		uint64_t v;

		if (aff0 >= 16 && !rss) {
			kprintf("gic: hwid 0x%x: Aff0 >= 16 and no SGI range selector: not sent\n", hwid);
			return;
		}
		v = (uint64_t)(hwid >> 24) << 48 | (uint64_t)(hwid >> 16 & 0xff) << 32 |
		    (uint64_t)(aff0 / 16) << 44 | (uint64_t)vector << 24 |
		    (uint64_t)(hwid >> 8 & 0xff) << 16 | 1u << (aff0 % 16);
		SYSREG_WRITE(ICC_SGI1R_EL1, v);
		__asm__ volatile("isb" ::: "memory");
		return;
	}
	for (unsigned i = 0, n = __atomic_load_n(&nv2cpu, __ATOMIC_ACQUIRE); i < n; i++)
		if (v2cpu[i].hwid == hwid) {
			wr32(lay.gicd.base + GICD_SGIR, (uint32_t)v2cpu[i].mask << 16 | vector);
			return;
		}
	kprintf("gic: hwid 0x%x has no GICv2 CPU interface on record: IPI not sent\n", hwid);
}

unsigned gic_ack(void)
{
	uint32_t v = lay.version == 3 ? (uint32_t)SYSREG_READ(ICC_IAR1_EL1)
	                              : rd32(lay.gicc.base + GICC_IAR);
	uint32_t intid = v & (lay.version == 3 ? 0xffffffu : 0x3ffu);

	if (intid >= 1020 && intid < GIC_LPI_BASE)
		return GIC_SPURIOUS;
	iar[cpu_slot()] = v;
	if (intid >= GIC_LPI_BASE) {   /* an ITS message: the vector it was composed for */
		if (intid - GIC_LPI_BASE >= 32 && intid - GIC_LPI_BASE < 1020)
			return intid - GIC_LPI_BASE;
		arch_eoi();   /* never composed (its.c maps vectors 32..1019 only) */
		return GIC_SPURIOUS;
	}
	return intid == timer_intid ? timer_vector : intid;
}

void arch_eoi(void)
{
	uint32_t v = iar[cpu_slot()];

	if (lay.version == 3) {
		SYSREG_WRITE(ICC_EOIR1_EL1, v);
		__asm__ volatile("isb" ::: "memory");
	} else {
		wr32(lay.gicc.base + GICC_EOIR, v);
	}
}

int gic_spi(uint32_t intid, int on, uint32_t hwid)
{
	uint64_t d = lay.gicd.base;

	if (!d || intid < 32 || intid >= lines || intid >= 1020)
		return -1;
	if (!on) {
		wr32(d + GICD_ICENABLER + 4 * (intid / 32), 1u << (intid % 32));
		return lay.version == 3 ? wait32(d + GICD_CTLR, GICD_CTLR_RWP, 0, "GICD_CTLR.RWP") : 0;
	}
	/* level-sensitive: Int_config bit (2 * n + 1) clear */
	uint64_t cfg = d + GICD_ICFGR + 4 * (intid / 16);
	wr32(cfg, rd32(cfg) & ~(2u << (2 * (intid % 16))));
	if (lay.version == 3) {
		wr64(d + GICD_IROUTER + 8ull * intid, (uint64_t)(hwid >> 24) << 32 | (hwid & 0xffffffu));
	} else {
		uint8_t mask = 0;
		for (unsigned i = 0, n = __atomic_load_n(&nv2cpu, __ATOMIC_ACQUIRE); i < n; i++)
			if (v2cpu[i].hwid == hwid)
				mask = v2cpu[i].mask;
		if (!mask)
			return -1;
		wr8(d + GICD_ITARGETSR + intid, mask);
	}
	wr32(d + GICD_ISENABLER + 4 * (intid / 32), 1u << (intid % 32));
	return 0;
}

int arch_irq_in_flight(unsigned v)
{
	/* the kernel's timer number is not an INTID (gic.h) */
	uint32_t intid = v == timer_vector ? timer_intid : v;
	uint64_t b;

	if (lpi_in_flight && lpi_in_flight(v))
		return 1;
	if (intid >= 1020 || (intid >= 32 && intid >= lines))
		return 0;
	b = intid < 32 ? private_base() : lay.gicd.base;
	if (!b)
		return 0;
	b += 4 * (intid / 32);
	return (int)(((rd32(b + GICD_ISPENDR) | rd32(b + GICD_ISACTIVER)) >> (intid % 32)) & 1);
}

void arch_irq_vector_range(unsigned *first, unsigned *last)
{
	unsigned top = lines ? lines - 1 : 31;

	if (top > ARCH_IRQ_COUNT - 1)
		top = ARCH_IRQ_COUNT - 1;
	*first = 32;
	*last = top;
}

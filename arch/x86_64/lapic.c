/*
 * lapic.c - local APIC: xAPIC (MMIO) or x2APIC (MSRs), and its timer.
 *
 * Purpose: the per-core interrupt controller behind arch.h's intc and
 * timer functions.  A probe at boot picks an ops struct: x2APIC when CPUID
 * says the CPU has it, else xAPIC at the MADT's address (identity-mapped,
 * uncached by arch_vm_init since it is not RAM).  The timer uses
 * TSC-deadline mode when CPUID.1:ECX[24] says so; otherwise one-shot mode
 * with a divide-by-16 count calibrated against the TSC (itself calibrated
 * against a reference clock), converting a deadline into a count.
 *
 * Data structures: one ops pointer and the calibration, shared by all
 * CPUs (they are identical); per-CPU state is the hardware's.
 *
 * Invariants: a deadline is never delivered early by this layer's
 * contract's users: one-shot counts are rounded up, and the timer service
 * re-arms when an interrupt arrives before its deadline.
 * Locking: none; every function acts on the calling CPU's own APIC.
 * Context: any, with interrupts off.
 */
#include <stddef.h>
#include "arch/arch.h"
#include "arch/x86_64/x86.h"
#include "kernel/panic.h"

enum {
	LAPIC_ID = 0x20, LAPIC_EOI = 0xb0, LAPIC_SVR = 0xf0, LAPIC_ESR = 0x280,
	LAPIC_ICR_LO = 0x300, LAPIC_ICR_HI = 0x310, LAPIC_LVT_TIMER = 0x320,
	LAPIC_LVT_LINT0 = 0x350, LAPIC_LVT_LINT1 = 0x360, LAPIC_LVT_ERROR = 0x370,
	LAPIC_TIMER_INIT = 0x380, LAPIC_TIMER_CUR = 0x390, LAPIC_TIMER_DIV = 0x3e0,
	LAPIC_TPR = 0x80, LAPIC_ISR = 0x100, LAPIC_IRR = 0x200,   /* 8 banks of 32, 0x10 apart */
};
#define LVT_MASKED (1u << 16)

struct lapic_ops {
	const char *name;
	uint32_t (*read)(unsigned reg);
	void (*write)(unsigned reg, uint32_t v);
	void (*icr)(uint32_t dest, uint32_t lo);
	uint32_t (*id)(void);
};

static volatile uint32_t *xapic;
static const struct lapic_ops *ops;
static unsigned timer_vector;
static int tsc_deadline;
static uint64_t ticks_per_mcycle;   /* APIC timer ticks per 2^20 TSC cycles */

static uint32_t xapic_read(unsigned reg) { return xapic[reg / 4]; }
static void xapic_write(unsigned reg, uint32_t v) { xapic[reg / 4] = v; }
static void xapic_icr(uint32_t dest, uint32_t lo)
{
	for (int i = 0; i < 1000000 && (xapic[LAPIC_ICR_LO / 4] & (1u << 12)); i++)
		arch_pause();  /* previous IPI still being delivered */
	xapic[LAPIC_ICR_HI / 4] = dest << 24;
	xapic[LAPIC_ICR_LO / 4] = lo;
}
static uint32_t xapic_id(void) { return xapic[LAPIC_ID / 4] >> 24; }

static uint32_t x2apic_read(unsigned reg) { return (uint32_t)rdmsr(0x800 + reg / 16); }
static void x2apic_write(unsigned reg, uint32_t v) { wrmsr(0x800 + reg / 16, v); }
/* WRMSR to the x2APIC ICR is not serializing: without the fence the IPI
 * can overtake the sender's earlier stores (a call slot's pending flag,
 * a stop request), and the target finds nothing to do. */
static void x2apic_icr(uint32_t dest, uint32_t lo)
{
	__asm__ volatile("mfence; lfence" ::: "memory");
	wrmsr(0x830, ((uint64_t)dest << 32) | lo);
}
static uint32_t x2apic_id(void) { return (uint32_t)rdmsr(0x802); }

static const struct lapic_ops xapic_ops = { "xapic", xapic_read, xapic_write, xapic_icr, xapic_id };
static const struct lapic_ops x2apic_ops = { "x2apic", x2apic_read, x2apic_write, x2apic_icr, x2apic_id };

static void enable_this_cpu(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	base |= 1u << 11;                       /* global enable */
	if (ops == &x2apic_ops)
		base |= 1u << 10;               /* x2APIC mode */
	wrmsr(MSR_APIC_BASE, base);
	ops->write(LAPIC_TPR, 0);
	ops->write(LAPIC_LVT_LINT0, LVT_MASKED);
	ops->write(LAPIC_LVT_LINT1, 4u << 8);   /* NMI delivery (QEMU, PCs wire LINT1) */
	ops->write(LAPIC_LVT_ERROR, ARCH_IRQ_INTC_ERROR);
	ops->write(LAPIC_LVT_TIMER, LVT_MASKED);
	ops->write(LAPIC_SVR, 0x100 | ARCH_IRQ_SPURIOUS);
	ops->write(LAPIC_ESR, 0);
	ops->write(LAPIC_EOI, 0);
}

int arch_intc_init_boot(uint64_t mmio_base)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[3] & (1u << 9)))
		return -1;                      /* no local APIC */
	/* mask both 8259 PICs: all interrupts come through the APICs */
	arch_outb(0x21, 0xff);
	arch_outb(0xa1, 0xff);
	if (r[2] & (1u << 21)) {
		ops = &x2apic_ops;
	} else {
		if (!mmio_base)
			mmio_base = rdmsr(MSR_APIC_BASE) & ~0xfffull;
		xapic = (volatile uint32_t *)(uintptr_t)mmio_base;
		ops = &xapic_ops;
	}
	tsc_deadline = (r[2] >> 24) & 1;
	enable_this_cpu();
	return 0;
}

void arch_intc_init_ap(void) { enable_this_cpu(); }
const char *arch_intc_name(void) { return ops ? ops->name : "none"; }
uint32_t arch_cpu_hwid(void) { return ops->id(); }
void arch_eoi(void) { ops->write(LAPIC_EOI, 0); }

int arch_irq_in_flight(unsigned v)
{
	if (v > 255)
		return 0;
	unsigned bank = 0x10 * (v / 32), bit = v % 32;
	uint32_t irr = ops->read(LAPIC_IRR + bank), isr = ops->read(LAPIC_ISR + bank);
	return (int)((irr | isr) >> bit & 1);
}

void arch_send_ipi(uint32_t hwid, unsigned vector)
{
	/* xAPIC writes the destination and the command separately: both must
	 * reach the same CPU's APIC (a goroutine calling this could otherwise
	 * be preempted and moved in between) */
	unsigned long f = arch_irq_save();
	ops->icr(hwid, (1u << 14) | vector);  /* fixed, assert, physical */
	arch_irq_restore(f);
}

void arch_send_nmi(uint32_t hwid)
{
	unsigned long f = arch_irq_save();   /* same reason as above */
	ops->icr(hwid, (4u << 8) | (1u << 14));  /* NMI, assert, physical */
	arch_irq_restore(f);
}

/* INIT, SIPI (x2APIC needs no delivery-status polling). */
void x86_send_init(uint32_t hwid) { ops->icr(hwid, (5u << 8) | (1u << 14)); }
void x86_send_sipi(uint32_t hwid, uint32_t page) { ops->icr(hwid, (6u << 8) | (1u << 14) | page); }

void arch_timer_init(unsigned vector)
{
	timer_vector = vector;
	if (tsc_deadline) {
		ops->write(LAPIC_LVT_TIMER, (2u << 17) | vector);
		__asm__ volatile("mfence" ::: "memory");
		return;
	}
	ops->write(LAPIC_TIMER_DIV, 0x3);       /* divide by 16 */
	ops->write(LAPIC_LVT_TIMER, vector);    /* one-shot */
	if (ticks_per_mcycle)
		return;                         /* calibrated by the boot CPU */
	uint64_t hz = arch_cycles_hz();
	if (!hz)
		panic("lapic: timer calibration needs the cycle-counter frequency");
	ops->write(LAPIC_LVT_TIMER, LVT_MASKED | vector);
	ops->write(LAPIC_TIMER_INIT, 0xffffffffu);
	uint64_t t0 = arch_cycles(), span = hz / 100;  /* 10 ms */
	while (arch_cycles() - t0 < span)
		arch_pause();
	uint32_t left = ops->read(LAPIC_TIMER_CUR);
	uint64_t t1 = arch_cycles();
	ops->write(LAPIC_TIMER_INIT, 0);
	ops->write(LAPIC_LVT_TIMER, vector);
	uint64_t ticks = 0xffffffffull - left;
	ticks_per_mcycle = (ticks << 20) / (t1 - t0);
	if (!ticks_per_mcycle)
		panic("lapic: timer did not count during calibration");
}

const char *arch_timer_name(void) { return tsc_deadline ? "tsc-deadline" : "oneshot"; }

void arch_timer_arm(uint64_t deadline)
{
	if (tsc_deadline) {
		wrmsr(MSR_TSC_DEADLINE, deadline);  /* 0 disarms */
		return;
	}
	if (!deadline) {
		ops->write(LAPIC_TIMER_INIT, 0);
		return;
	}
	uint64_t now = arch_cycles();
	uint64_t delta = deadline > now ? deadline - now : 1;
	/* round up so the interrupt does not come before the deadline */
	uint64_t count = (delta * ticks_per_mcycle + (1u << 20) - 1) >> 20;
	if (count == 0)
		count = 1;
	if (count > 0xffffffffull)
		count = 0xffffffffull;  /* far deadline: re-armed when it fires */
	ops->write(LAPIC_TIMER_INIT, (uint32_t)count);
}

void arch_wait_for_interrupt(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

/*
 * ioapic.c - routing of legacy (ISA) interrupts through the I/O APICs
 * the ACPI MADT lists.
 *
 * Purpose: a legacy device line (ISA IRQ 0-15: PIT, keyboard, serial, RTC,
 * and PCI INTx lines the firmware steered there) reaches a CPU through an
 * I/O APIC input (a global system interrupt, GSI).  The MADT says which
 * I/O APIC serves which GSIs and where ISA IRQs do not arrive on the GSI
 * of the same number (source overrides, e.g. IRQ 0 on GSI 2), with their
 * polarity and trigger mode.  pc_irq_routers_init() masks every input;
 * pc_irq_route_legacy() programs one redirection entry.
 *
 * Registers (82093AA datasheet): an indirect pair at the MMIO base,
 * IOREGSEL (+0x00) and IOWIN (+0x10).  Register 0x01 bits 16-23: highest
 * redirection entry.  Entry n: 0x10 + 2n (low) and 0x11 + 2n (high):
 * low = vector | delivery (bits 8-10, 0 fixed) | destination mode (bit 11,
 * 0 physical) | polarity (bit 13, 1 active low) | trigger (bit 15, 1
 * level) | mask (bit 16); high bits 24-31 = destination APIC id.
 * ISA defaults when no override or the override says "bus default":
 * active high, edge.
 *
 * Data structures: a copy of the MADT's I/O APICs (base, GSI range) and
 * source overrides, taken at init.
 * Invariants: nio <= ACPI_MAX_IOAPICS; ioapic[i].regs is an uncached
 * identity mapping (the direct map's device space).
 * Locking: io_lock (interrupts off) makes each select/access pair atomic.
 * Context: init at boot; route and mask from boot or thread context.
 */
#include "arch/arch.h"
#include "arch/x86_64/pc.h"
#include "kernel/acpi/acpi.h"
#include "kernel/cpu/spinlock.h"
#include "kernel/lib/kprintf.h"

#define IOREGSEL 0x00
#define IOWIN    0x10
#define IOAPIC_VER 0x01
#define RTE_LOW(n)  (0x10 + 2 * (n))
#define RTE_HIGH(n) (0x11 + 2 * (n))
#define RTE_MASKED  (1u << 16)
#define RTE_LEVEL   (1u << 15)
#define RTE_LOW_ACTIVE (1u << 13)

static struct ioapic {
	volatile uint32_t *regs;
	uint32_t gsi_base, nent;
} io[ACPI_MAX_IOAPICS];
static unsigned nio;
static struct acpi_override ovr[ACPI_MAX_OVERRIDES];
static unsigned novr;
static struct spinlock io_lock;

static uint32_t io_read(struct ioapic *a, unsigned reg)
{
	a->regs[IOREGSEL / 4] = reg;
	return a->regs[IOWIN / 4];
}

static void io_write(struct ioapic *a, unsigned reg, uint32_t v)
{
	a->regs[IOREGSEL / 4] = reg;
	a->regs[IOWIN / 4] = v;
}

unsigned pc_irq_routers_init(const struct acpi_info *acpi)
{
	nio = novr = 0;
	if (!acpi)
		return 0;
	for (uint32_t i = 0; i < acpi->nioapic && nio < ACPI_MAX_IOAPICS; i++) {
		uint64_t pa;
		unsigned prot;
		uint64_t base = acpi->ioapic[i].addr;
		if (arch_translate(base, &pa, &prot) < 0 || pa != base || !(prot & VM_UC)) {
			kprintf("tally: ioapic: %u at 0x%lx is not in the uncached direct map; unused\n",
			        acpi->ioapic[i].id, base);
			continue;
		}
		struct ioapic *a = &io[nio];
		a->regs = (volatile uint32_t *)(uintptr_t)base;
		a->gsi_base = acpi->ioapic[i].gsi_base;
		uint32_t ver = io_read(a, IOAPIC_VER);
		if (ver == 0xffffffffu) {
			kprintf("tally: ioapic: %u at 0x%lx does not answer; unused\n",
			        acpi->ioapic[i].id, base);
			continue;
		}
		a->nent = ((ver >> 16) & 0xff) + 1;
		for (unsigned n = 0; n < a->nent; n++) {
			io_write(a, RTE_LOW(n), RTE_MASKED);
			io_write(a, RTE_HIGH(n), 0);
		}
		nio++;
	}
	for (uint32_t i = 0; i < acpi->noverride && i < ACPI_MAX_OVERRIDES; i++)
		if (acpi->override[i].bus == 0)  /* bus 0 is ISA */
			ovr[novr++] = acpi->override[i];
	return nio;
}

/* GSI and redirection-entry flags of ISA irq. */
static uint32_t isa_gsi(unsigned irq, uint32_t *flags)
{
	uint32_t gsi = irq;
	unsigned pol = 0, trig = 0;
	for (unsigned i = 0; i < novr; i++)
		if (ovr[i].source == irq) {
			gsi = ovr[i].gsi;
			pol = ACPI_INTI_POLARITY(ovr[i].flags);
			trig = ACPI_INTI_TRIGGER(ovr[i].flags);
		}
	*flags = (pol == 3 ? RTE_LOW_ACTIVE : 0) | (trig == 3 ? RTE_LEVEL : 0);
	return gsi;
}

static struct ioapic *serving(uint32_t gsi)
{
	for (unsigned i = 0; i < nio; i++)
		if (gsi >= io[i].gsi_base && gsi < io[i].gsi_base + io[i].nent)
			return &io[i];
	return NULL;
}

int pc_irq_route_legacy(unsigned irq, unsigned vector, uint32_t hwid)
{
	uint32_t flags;
	uint32_t gsi = isa_gsi(irq, &flags);
	struct ioapic *a = serving(gsi);
	if (!a || vector < 0x20 || vector > 0xff || hwid > 255)
		return -1;
	unsigned n = gsi - a->gsi_base;
	unsigned long fl = arch_irq_save();
	spin_lock(&io_lock);
	io_write(a, RTE_LOW(n), RTE_MASKED);
	io_write(a, RTE_HIGH(n), hwid << 24);
	io_write(a, RTE_LOW(n), vector | flags);   /* fixed, physical, unmasked */
	spin_unlock(&io_lock);
	arch_irq_restore(fl);
	return 0;
}

void pc_irq_mask_legacy(unsigned irq)
{
	uint32_t flags;
	uint32_t gsi = isa_gsi(irq, &flags);
	struct ioapic *a = serving(gsi);
	if (!a)
		return;
	unsigned long fl = arch_irq_save();
	spin_lock(&io_lock);
	io_write(a, RTE_LOW(gsi - a->gsi_base), RTE_MASKED | flags);
	spin_unlock(&io_lock);
	arch_irq_restore(fl);
}

/*
 * e1000e.c - Intel 82574L (e1000e, 8086:10d3): enough of the device to own
 * it and to make it raise MSI-X interrupts; no packets yet.
 *
 * Purpose: the network issue brings the data path.  Today the driver
 * claims the function at boot (PCI_DRIVER), masks every interrupt cause,
 * and lets a caller route one of the device's MSI-X entries to a handler
 * and make the device itself raise it, which is how the on-target test
 * checks MSI-X end to end.
 *
 * Registers used (82574 datasheet, BAR 0): ICR 0xC0 (cause read, write 1
 * to clear), ICS 0xC8 (cause set), IMS 0xD0 (mask set = enable), IMC 0xD8
 * (mask clear = disable), IVAR 0xE4 (MSI-X allocation: one 4-bit field per
 * cause, vector in bits 0-2, bit 3 valid; RXQ0 bits 0-3, TXQ0 bits 8-11,
 * other bits 16-19).  Causes RXQ0 (bit 20) and TXQ0 (bit 22).  A cause set
 * while enabled in IMS is sent as the MSI-X message of the entry its IVAR
 * field names.
 *
 * Data structures: struct e1000e, one per device (at most E1000E_MAX).
 * Locking: none; boot and one test at a time.
 * Context: probe at boot; e1000e_* from thread context; the interrupt
 * handler is the caller's.
 */
#include "drivers/e1000e.h"
#include "kernel/lib/kprintf.h"

#define E1000E_MAX 4
#define REG_ICR  0xc0
#define REG_ICS  0xc8
#define REG_IMS  0xd0
#define REG_IMC  0xd8
#define REG_IVAR 0xe4
#define IVAR_VALID 0x8u

static struct e1000e devs[E1000E_MAX];
static unsigned ndevs;

static const struct pci_id e1000e_ids[] = {
	{ 0x8086, 0x10d3 },
	{ 0, 0 },
};

static inline void wr(struct e1000e *e, unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)((volatile uint8_t *)e->regs + reg) = v;
}

static inline uint32_t rd(struct e1000e *e, unsigned reg)
{
	return *(volatile uint32_t *)((volatile uint8_t *)e->regs + reg);
}

static int e1000e_probe(struct pci_dev *d)
{
	if (ndevs >= E1000E_MAX)
		return -1;
	volatile void *regs = d->bar[0].va;
	if (!regs || d->bar[0].size < 0x20000)
		return -2;
	struct e1000e *e = &devs[ndevs++];
	e->pci = d;
	e->regs = regs;
	wr(e, REG_IMC, 0xffffffffu);   /* nothing enabled until asked */
	(void)rd(e, REG_ICR);
	wr(e, REG_ICR, 0xffffffffu);
	d->driver_data = e;
	return 0;
}

PCI_DRIVER(e1000e, "e1000e", e1000e_ids, e1000e_probe);

struct e1000e *e1000e_get(unsigned i) { return i < ndevs ? &devs[i] : NULL; }

int e1000e_route(struct e1000e *e, uint32_t causes, unsigned entry)
{
	uint32_t ivar = rd(e, REG_IVAR);
	if (entry > 4)
		return -1;
	if (causes & E1000E_CAUSE_RXQ0)
		ivar = (ivar & ~0xfu) | IVAR_VALID | entry;
	if (causes & E1000E_CAUSE_TXQ0)
		ivar = (ivar & ~0xf00u) | (IVAR_VALID | entry) << 8;
	wr(e, REG_IVAR, ivar);
	wr(e, REG_IMS, causes);
	return 0;
}

void e1000e_raise(struct e1000e *e, uint32_t causes) { wr(e, REG_ICS, causes); }

uint32_t e1000e_ack(struct e1000e *e, uint32_t causes)
{
	uint32_t was = rd(e, REG_ICR);
	wr(e, REG_ICR, causes);
	return was;
}

void e1000e_quiet(struct e1000e *e)
{
	wr(e, REG_IMC, 0xffffffffu);
	wr(e, REG_ICR, 0xffffffffu);
}

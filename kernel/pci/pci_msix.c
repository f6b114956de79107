/*
 * pci_msix.c - a function's interrupts: MSI-X entries routed to vectors,
 * MSI (one vector), and the legacy INTx pin routed through the machine's
 * router (a PC: the interrupt-line register's ISA line through the
 * IOAPIC), or taken at the fixed interrupt the board wires the pin to
 * (machine.h pci_intx_irq: aarch64 virt's GIC SPIs, level-triggered).
 *
 * Purpose: pci_msix_enable() gives a driver an interrupt from one entry of
 * its device's MSI-X table: a vector from the kernel's allocator with the
 * handler installed, the message the port composes for that vector and
 * the boot CPU (arch_msi_compose), written into the entry, then the entry
 * and the function unmasked.  Order (PCI 3.0 section 6.8.2): with MSI-X
 * enabled and the function mask set, write address and data while the
 * entry's own mask is set, clear the entry mask, then the function mask;
 * INTx is disabled in the command register and bus mastering enabled
 * (a device's message is a memory write it masters).  MSI is turned off
 * first: a function uses MSI or MSI-X, never both.
 *
 * pci_msi_enable() does the same for plain MSI, one vector (Multiple
 * Message Enable 0, so the device never adds a vector number to the
 * data): MSI-X off, address and data written while MSI is disabled (with
 * the vector masked when the function has per-vector masking), INTx off,
 * then MSI enabled and the mask cleared.  The message goes to the same
 * place an MSI-X entry's would (arch_msi_compose).
 *
 * Data structures: none of its own; the MSI registers are in config space
 * after the capability header (address low, [address high], data, [mask,
 * pending]: 64-bit and maskable variants move them), the MSI-X table lives in the device BAR
 * (mapped uncached by pci_map_bar), 16 bytes per entry: address low,
 * address high, data, vector control (bit 0: masked).
 * Invariants: an entry is unmasked only while its vector has a handler.
 * Locking: none; a device's table is its driver's (one caller at a time).
 * Context: boot or thread context; not in an interrupt handler.
 */
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/lib/kprintf.h"
#include "kernel/machine.h"
#include "kernel/pci/pci_impl.h"

static volatile uint32_t *entry_at(struct pci_dev *d, unsigned entry)
{
	volatile uint8_t *t = pci_map_bar(d, d->msix.table_bir);
	if (!t)
		return NULL;
	return (volatile uint32_t *)(t + d->msix.table_off + entry * PCI_MSIX_ENTRY);
}

/* A new vector calling fn (charged to cls) and the message that raises it
 * on CPU `cpu` (an index into cpus[], online): the vector, or -1 with a
 * message printed (no vector left, the CPU offline or not nameable in a
 * message; nothing is kept then).  Vectors are the same on every CPU, so
 * the handler is found wherever the message lands. */
static int vector_and_message(struct pci_dev *d, irq_fn fn, unsigned cls, unsigned cpu,
                              uint64_t *addr, uint32_t *data)
{
	if (cpu >= cpu_count()) {
		kprintf("tally: pci: %02x:%02x.%x: CPU %u is not online (%u are)\n", d->bus, d->dev,
		        d->fn, cpu, cpu_count());
		return -1;
	}
	int v = irq_alloc_vector(fn, cls);
	if (v < 0) {
		kprintf("tally: pci: %02x:%02x.%x: no interrupt vector left\n", d->bus, d->dev, d->fn);
		return -1;
	}
	if (arch_msi_compose(pci_requester_id(d), cpus[cpu].arch.hwid, (unsigned)v, addr,
	                     data) < 0) {
		kprintf("tally: pci: %02x:%02x.%x: CPU hwid %u cannot be named in an MSI message\n",
		        d->bus, d->dev, d->fn, cpus[cpu].arch.hwid);
		irq_free_vector((unsigned)v);
		return -1;
	}
	return v;
}

int pci_msi_possible(const struct pci_dev *d)
{
	unsigned first, last;
	uint64_t addr;
	uint32_t data;
	arch_irq_vector_range(&first, &last);
	return arch_msi_compose(pci_requester_id(d), cpus[0].arch.hwid, first, &addr, &data) == 0;
}

int pci_msix_enable(struct pci_dev *d, unsigned entry, irq_fn fn, unsigned cls)
{
	return pci_msix_enable_cpu(d, entry, fn, cls, 0);
}

int pci_msix_enable_cpu(struct pci_dev *d, unsigned entry, irq_fn fn, unsigned cls,
                        unsigned cpu)
{
	uint64_t addr;
	uint32_t data;
	if (!d->has_msix || entry >= d->msix.size) {
		kprintf("tally: pci: %02x:%02x.%x: no MSI-X entry %u (table has %u)\n", d->bus,
		        d->dev, d->fn, entry, d->has_msix ? d->msix.size : 0);
		return -1;
	}
	volatile uint32_t *e = entry_at(d, entry);
	if (!e) {
		kprintf("tally: pci: %02x:%02x.%x: MSI-X table BAR %u cannot be mapped\n",
		        d->bus, d->dev, d->fn, d->msix.table_bir);
		return -1;
	}
	int v = vector_and_message(d, fn, cls, cpu, &addr, &data);
	if (v < 0)
		return -1;
	if (d->has_msi) {
		unsigned mctl = d->msi.cap + 2;
		pci_write16(d, mctl, pci_read16(d, mctl) & ~PCI_MSI_ENABLE);
	}
	unsigned ctl = d->msix.cap + 2;
	uint16_t mc = pci_read16(d, ctl);
	pci_write16(d, ctl, mc | PCI_MSIX_ENABLE | PCI_MSIX_FMASK);
	e[3] |= PCI_MSIX_VCTRL_MASK;
	e[0] = (uint32_t)addr;
	e[1] = (uint32_t)(addr >> 32);
	e[2] = data;
	e[3] &= ~PCI_MSIX_VCTRL_MASK;
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, cmd | PCI_CMD_INTX_OFF | PCI_CMD_MASTER | PCI_CMD_MEM);
	pci_write16(d, ctl, (mc | PCI_MSIX_ENABLE) & ~PCI_MSIX_FMASK);
	return v;
}

void pci_msix_disable(struct pci_dev *d, unsigned entry, unsigned vector)
{
	volatile uint32_t *e = entry_at(d, entry);
	if (e) {
		e[3] |= PCI_MSIX_VCTRL_MASK;
		(void)e[3];   /* read back: the mask is in place before the vector goes */
	}
	irq_free_vector(vector);
}

int pci_msi_enable(struct pci_dev *d, irq_fn fn, unsigned cls)
{
	uint64_t addr;
	uint32_t data;
	if (!d->has_msi) {
		kprintf("tally: pci: %02x:%02x.%x: no MSI capability\n", d->bus, d->dev, d->fn);
		return -1;
	}
	int v = vector_and_message(d, fn, cls, 0, &addr, &data);
	if (v < 0)
		return -1;
	if (!d->msi.is64 && (addr >> 32)) {
		kprintf("tally: pci: %02x:%02x.%x: MSI address 0x%lx needs 64 bits; the function has 32\n",
		        d->bus, d->dev, d->fn, addr);
		irq_free_vector((unsigned)v);
		return -1;
	}
	unsigned c = d->msi.cap, ctl = c + 2;
	if (d->has_msix) {
		unsigned xctl = d->msix.cap + 2;
		pci_write16(d, xctl, pci_read16(d, xctl) & ~PCI_MSIX_ENABLE);
	}
	uint16_t mc = pci_read16(d, ctl);
	mc &= (uint16_t)~(PCI_MSI_ENABLE | PCI_MSI_MME);
	pci_write16(d, ctl, mc);
	unsigned mask = d->msi.is64 ? PCI_MSI_MASK64 : PCI_MSI_MASK32;
	if (d->msi.maskable)
		pci_write32(d, c + mask, pci_read32(d, c + mask) | 1u);
	pci_write32(d, c + PCI_MSI_ADDR_LO, (uint32_t)addr);
	if (d->msi.is64)
		pci_write32(d, c + PCI_MSI_ADDR_HI, (uint32_t)(addr >> 32));
	pci_write16(d, c + (d->msi.is64 ? PCI_MSI_DATA64 : PCI_MSI_DATA32), (uint16_t)data);
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, cmd | PCI_CMD_INTX_OFF | PCI_CMD_MASTER | PCI_CMD_MEM);
	pci_write16(d, ctl, mc | PCI_MSI_ENABLE);
	if (d->msi.maskable)
		pci_write32(d, c + mask, pci_read32(d, c + mask) & ~1u);
	return v;
}

void pci_msi_disable(struct pci_dev *d, unsigned vector)
{
	unsigned ctl = d->msi.cap + 2;
	pci_write16(d, ctl, pci_read16(d, ctl) & ~PCI_MSI_ENABLE);
	(void)pci_read16(d, ctl);   /* read back: disabled before the vector goes */
	irq_free_vector(vector);
}

/* A board that wires each INTx pin to a fixed interrupt (machine.h
 * pci_intx_irq: aarch64 virt's GIC SPIs): that interrupt, claimed, made
 * level-triggered and enabled on the boot CPU; -1 with a message. */
static int intx_fixed(struct pci_dev *d, irq_fn fn, unsigned cls)
{
	int irq = machine->pci_intx_irq(d->bus, d->dev, d->irq_pin);
	if (irq < 0) {
		kprintf("tally: pci: %02x:%02x.%x: the board routes no interrupt for INT%c\n",
		        d->bus, d->dev, d->fn, 'A' + d->irq_pin - 1);
		return -1;
	}
	int v = irq_claim_vector((unsigned)irq, fn, cls);
	if (v < 0) {
		kprintf("tally: pci: %02x:%02x.%x: INT%c's interrupt %d is in use (a shared INTx "
		        "line is not supported)\n", d->bus, d->dev, d->fn, 'A' + d->irq_pin - 1, irq);
		return -1;
	}
	if (!machine->irq_fixed || machine->irq_fixed((unsigned)v, 1, cpus[0].arch.hwid) < 0) {
		irq_free_vector((unsigned)v);
		kprintf("tally: pci: %02x:%02x.%x: interrupt %d cannot be enabled\n", d->bus,
		        d->dev, d->fn, irq);
		return -1;
	}
	return v;
}

int pci_intx_enable(struct pci_dev *d, irq_fn fn, unsigned cls)
{
	/* 0: no pin; line 0xff: firmware assigned none (a board with fixed
	 * wiring needs no line) */
	if (!d->irq_pin || (d->irq_line == 0xff && !machine->pci_intx_irq)) {
		kprintf("tally: pci: %02x:%02x.%x: no INTx (pin %u, line %u)\n", d->bus, d->dev,
		        d->fn, d->irq_pin, d->irq_line);
		return -1;
	}
	if (d->has_msix) {
		unsigned ctl = d->msix.cap + 2;
		pci_write16(d, ctl, pci_read16(d, ctl) & ~PCI_MSIX_ENABLE);
	}
	if (d->has_msi) {
		unsigned ctl = d->msi.cap + 2;
		pci_write16(d, ctl, pci_read16(d, ctl) & ~1u);   /* MSI enable */
	}
	int v;
	if (machine->pci_intx_irq) {
		if ((v = intx_fixed(d, fn, cls)) < 0)
			return -1;
	} else if ((v = irq_route_legacy(d->irq_line, fn, cls)) < 0) {
		kprintf("tally: pci: %02x:%02x.%x: line %u cannot be routed\n", d->bus, d->dev,
		        d->fn, d->irq_line);
		return -1;
	}
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, (cmd | PCI_CMD_MEM | PCI_CMD_MASTER) & ~PCI_CMD_INTX_OFF);
	return v;
}

void pci_intx_disable(struct pci_dev *d, unsigned vector)
{
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | PCI_CMD_INTX_OFF);
	if (machine->pci_intx_irq) {
		if (machine->irq_fixed)
			machine->irq_fixed(vector, 0, 0);
		irq_free_vector(vector);
		return;
	}
	irq_unroute_legacy(d->irq_line, vector);
}

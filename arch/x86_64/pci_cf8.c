/*
 * pci_cf8.c - PC configuration mechanism #1: ports 0xCF8 (address) and
 * 0xCFC (data), the fallback when ACPI lists no ECAM window (QEMU's `pc`
 * machine, old firmware).
 *
 * Purpose: fill the kernel's struct pci_cfg_ops for the legacy mechanism.
 * An access writes 0x80000000 | bus << 16 | dev << 11 | fn << 8 | offset
 * to 0xCF8, then moves the dword at 0xCFC.  It reaches buses 0-255 and the
 * first 256 bytes of each function only.
 *
 * Data structures: one ops struct.  Invariant: 0xCF8 holds an address
 * only between the two halves of one access, under cf8_lock.
 * Locking: cf8_lock (interrupts off while held) makes the address/data
 * pair atomic against other CPUs and interrupt handlers.
 * Context: any (no allocation, never blocks).
 */
#include "arch/arch.h"
#include "arch/x86_64/pc.h"
#include "kernel/cpu/spinlock.h"
#include "kernel/pci/pci.h"

#define CF8_ADDR 0xcf8
#define CF8_DATA 0xcfc
#define CF8_ENABLE 0x80000000u

static struct spinlock cf8_lock;

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static uint32_t cf8_addr(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	return CF8_ENABLE | (bus & 0xff) << 16 | (dev & 31) << 11 | (fn & 7) << 8 | (off & 0xfc);
}

static uint32_t cf8_read32(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	(void)ctx;
	if (off >= 256)
		return 0xffffffffu;
	unsigned long fl = arch_irq_save();
	spin_lock(&cf8_lock);
	arch_outl(CF8_ADDR, cf8_addr(bus, dev, fn, off));
	uint32_t v = inl(CF8_DATA);
	spin_unlock(&cf8_lock);
	arch_irq_restore(fl);
	return v;
}

static void cf8_write32(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned off,
                        uint32_t v)
{
	(void)ctx;
	if (off >= 256)
		return;
	unsigned long fl = arch_irq_save();
	spin_lock(&cf8_lock);
	arch_outl(CF8_ADDR, cf8_addr(bus, dev, fn, off));
	arch_outl(CF8_DATA, v);
	spin_unlock(&cf8_lock);
	arch_irq_restore(fl);
}

static struct pci_cfg_ops cf8_ops = {
	"cf8", cf8_read32, cf8_write32, NULL, 0, 255, PCI_CFG_SIZE,
};

const struct pci_cfg_ops *pc_pci_legacy_ops(void)
{
	/* The mechanism is there if the address port keeps the enable bit
	 * (the classic probe), and something answers at 00:00.0. */
	unsigned long fl = arch_irq_save();
	spin_lock(&cf8_lock);
	arch_outl(CF8_ADDR, CF8_ENABLE);
	uint32_t back = inl(CF8_ADDR);
	arch_outl(CF8_ADDR, 0);
	spin_unlock(&cf8_lock);
	arch_irq_restore(fl);
	if (back != CF8_ENABLE)
		return NULL;
	return &cf8_ops;
}

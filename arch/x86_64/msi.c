/*
 * msi.c - x86 message-signalled interrupts: the message format and the
 * range of vectors devices may use.
 *
 * Purpose: a device's MSI or MSI-X write is a DWORD store of `data` to
 * `address`; the chipset turns stores to 0xFEEx_xxxx into interrupts.
 * Format (Intel SDM vol. 3, "Message Signalled Interrupts"):
 *   address = 0xFEE00000 | destination APIC id << 12 | RH << 3 | DM << 2
 *   data    = trigger << 15 | level << 14 | delivery mode << 8 | vector
 * Tally sends physical-destination (DM 0, RH 0), fixed delivery (0),
 * edge-triggered messages to one CPU.  The destination field has 8 bits:
 * a CPU whose APIC id is above 255 cannot be named without interrupt
 * remapping, and arch_msi_compose refuses it.
 *
 * Vectors: 0-31 are exceptions; 0x20-0x2f are left free for legacy PIC
 * remnants; devices get 0x30-0xef; the kernel's fixed vectors (timer, IPIs,
 * APIC error, spurious) live at 0xf0 and above.  A higher vector has a
 * higher priority class, so the timer and IPIs outrank devices.
 *
 * Context: any; pure.
 */
#include "arch/arch.h"

#define MSI_ADDR_BASE 0xfee00000u

void arch_irq_vector_range(unsigned *first, unsigned *last)
{
	*first = 0x30;
	*last = 0xef;
}

int arch_msi_compose(uint32_t devid, uint32_t hwid, unsigned vector, uint64_t *addr,
                     uint32_t *data)
{
	(void)devid;   /* no interrupt remapping: the message names the CPU itself */
	if (hwid > 255 || vector < 0x20 || vector > 0xff)
		return -1;
	*addr = MSI_ADDR_BASE | hwid << 12;
	*data = vector & 0xff;   /* fixed delivery, edge, assert */
	return 0;
}

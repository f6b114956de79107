/*
 * trap_kernel.c - the kernel's side of aarch64's exceptions (trap.c calls
 * a64_trap_irq and a64_trap_sync), and the two interrupt-controller
 * functions of arch/arch.h that the GIC driver (gic.c) does not give yet.
 *
 * Purpose:
 *   - an IRQ: the cycle counter is read, the GIC acknowledged (gic_ack:
 *     the INTID, or the vector the tick was registered under, or
 *     GIC_SPURIOUS), and the number handed to kernel_interrupt, which
 *     charges the ledger, runs the handler, ends the interrupt (arch_eoi)
 *     and may preempt (arch_inject_preempt).  SGI A64_SGI_STOP is the
 *     stand-in for the non-maskable interrupt: it goes to kernel_nmi;
 *   - a synchronous exception: an abort a64_vm_fixup resolves (accessed
 *     and dirty by fault on ARMv8.0), else kernel_page_fault with the
 *     VM_ACCESS_* bits a64_fault_access decodes (a growing goroutine
 *     stack), else arch_try's recovery, else 0: trap.c reports it and
 *     exits with status 70.
 *
 * Not done (docs/boot.md, "aarch64 status"): a true NMI (GICv3 pseudo-NMI
 * by priority): arch_send_nmi sends SGI A64_SGI_STOP, which a CPU running
 * with interrupts masked does not take, so smp_stop_others may report it
 * as not stopped; MSI (the GICv3 ITS or GICv2m): arch_msi_compose says no
 * CPU can be named in a message, so a PCI device's MSI-X set-up fails
 * with kernel/pci's message.
 * Context: exception entry, interrupts masked, on the exception stack.
 */
#include <stdint.h>
#include "arch/aarch64/a64.h"
#include "arch/aarch64/gic.h"
#include "arch/aarch64/trap.h"
#include "arch/arch.h"
#include "kernel/cpu/irq.h"
#include "kernel/panic.h"

#define A64_SGI_STOP 2   /* not a vector the kernel allocates (arch_irq_reserved) */

void a64_trap_irq(struct trap_frame *tf)
{
	uint64_t c = arch_cycles();
	unsigned v = gic_ack();

	if (v == A64_SGI_STOP) {
		arch_eoi();
		if (!kernel_nmi(tf))
			panic("aarch64: stop interrupt (SGI %u) with no stop request", A64_SGI_STOP);
		return;
	}
	kernel_interrupt(v, tf, c);
}

int a64_trap_sync(struct trap_frame *tf)
{
	uint64_t c = arch_cycles();
	unsigned ec = (unsigned)(tf->esr >> 26) & 0x3f;

	if (ec == A64_EC_DABT || ec == A64_EC_IABT) {
		if (a64_trap_fixup(tf))
			return 1;
		unsigned access = a64_fault_access(tf->esr, VM_ACCESS_PRESENT, VM_ACCESS_WRITE,
		                                   VM_ACCESS_USER, VM_ACCESS_EXEC);
		if (kernel_page_fault((uintptr_t)tf->far, access, tf, c))
			return 1;
	}
	return a64_trap_try(tf);
}

void arch_send_nmi(uint32_t hwid)
{
	arch_send_ipi(hwid, A64_SGI_STOP);
}

int arch_msi_compose(uint32_t hwid, unsigned vector, uint64_t *addr, uint32_t *data)
{
	(void)hwid;
	(void)vector;
	(void)addr;
	(void)data;
	return -1;
}

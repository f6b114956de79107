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
 *   - arch_irq_before_access (tests of the ledger's restart): hardware
 *     watchpoint 0 on the 8 bytes (DBGWVR0/DBGWCR0_EL1, loads and stores
 *     at EL1, the OS lock cleared, MDSCR_EL1.KDE and MDE, PSTATE.D
 *     unmasked); its hit (EC 0x35, taken before the access) disarms it,
 *     sends this CPU a wake SGI and resumes with PSTATE.I clear and D set
 *     again, so the SGI is taken right before the accessing instruction;
 *   - a synchronous exception: an abort a64_vm_fixup resolves (accessed
 *     and dirty by fault on ARMv8.0; charged by kernel_tracking_fault to
 *     kern.fault, cause gc), else kernel_page_fault with the
 *     VM_ACCESS_* bits a64_fault_access decodes (a growing goroutine
 *     stack), else arch_try's recovery, else the kernel's report
 *     (panic_trap: decoded class and fault, registers, symbolized
 *     backtrace) and status 70.
 *
 * Not done (docs/boot.md, "aarch64 status"): a true NMI (GICv3 pseudo-NMI
 * by priority): arch_send_nmi sends SGI A64_SGI_STOP, which a CPU running
 * with interrupts masked does not take, so smp_stop_others may report it
 * as not stopped.  (MSI is its.c's: the GICv3 ITS; a GICv2's GICv2m is
 * not driven.)
 * Context: exception entry, interrupts masked, on the exception stack.
 */
#include <stdint.h>
#include "arch/aarch64/a64.h"
#include "arch/aarch64/gic.h"
#include "arch/aarch64/trap.h"
#include "arch/arch.h"
#include "kernel/cpu/irq.h"
#include "kernel/lib/kprintf.h"
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

#define A64_EC_WATCH 0x35   /* watchpoint, same EL */
#define SPSR_I (1ull << 7)
#define SPSR_D (1ull << 9)

int arch_irq_before_access(const void *addr)
{
	uint64_t a = (uint64_t)(uintptr_t)addr, mdscr;
	/* E, PAC = EL1, LSC = load and store, BAS = all 8 bytes */
	const uint64_t wcr = 1 | (1u << 1) | (3u << 3) | (0xffu << 5);

	if (a & 7)
		return -1;
	__asm__ volatile("msr oslar_el1, xzr\n\tisb\n\tmrs %0, mdscr_el1" : "=r"(mdscr) :: "memory");
	mdscr |= (1u << 13) | (1u << 15);   /* KDE, MDE */
	__asm__ volatile("msr mdscr_el1, %0\n\t"
	                 "msr dbgwvr0_el1, %1\n\t"
	                 "msr dbgwcr0_el1, %2\n\t"
	                 "isb\n\t"
	                 "msr daifclr, #8\n\t"
	                 "isb"
	                 :: "r"(mdscr), "r"(a), "r"(wcr) : "memory");
	return 0;
}

static int watch_hit(struct trap_frame *tf)
{
	uint64_t wcr;
	__asm__ volatile("mrs %0, dbgwcr0_el1" : "=r"(wcr));
	if (!(wcr & 1))
		return 0;
	__asm__ volatile("msr dbgwcr0_el1, xzr\n\tisb" ::: "memory");
	arch_send_ipi(arch_cpu_hwid(), ARCH_IRQ_IPI_WAKE);
	tf->spsr = (tf->spsr & ~SPSR_I) | SPSR_D;
	return 1;
}

/* A synchronous exception nothing resolved: the kernel's report
 * (panic_trap: the class decoded, for an abort its address and fault
 * status, the stack region it hit, the registers, a symbolized
 * backtrace; status 70). */
static _Noreturn void fatal_sync(struct trap_frame *tf, unsigned ec)
{
	char title[96], detail[160], fs[48];
	int abort = ec == A64_EC_DABT || ec == A64_EC_IABT || ec == 0x20 || ec == 0x24;

	ksnprintf(title, sizeof(title), "%s (EC 0x%x)", a64_ec_name(ec), ec);
	detail[0] = 0;
	if (abort) {
		a64_fault_status((unsigned)tf->esr & 0x3f, fs, sizeof(fs));
		ksnprintf(detail, sizeof(detail), "fault address 0x%016llx: %s, %s",
		          (unsigned long long)tf->far, fs,
		          ec == A64_EC_IABT || ec == 0x20 ? "instruction fetch"
		          : (tf->esr >> 6) & 1           ? "write"
		                                         : "read");
	} else {
		ksnprintf(detail, sizeof(detail), "ESR 0x%016llx", (unsigned long long)tf->esr);
	}
	panic_trap(tf, title, detail, tf->far, abort);
}

int a64_trap_sync(struct trap_frame *tf)
{
	uint64_t c = arch_cycles();
	unsigned ec = (unsigned)(tf->esr >> 26) & 0x3f;

	if (ec == A64_EC_WATCH && watch_hit(tf))
		return 1;

	if (ec == A64_EC_DABT || ec == A64_EC_IABT) {
		if (a64_trap_fixup(tf)) {
			kernel_tracking_fault(c);
			return 1;
		}
		unsigned access = a64_fault_access(tf->esr, VM_ACCESS_PRESENT, VM_ACCESS_WRITE,
		                                   VM_ACCESS_USER, VM_ACCESS_EXEC);
		if (kernel_page_fault((uintptr_t)tf->far, access, tf, c))
			return 1;
	}
	if (a64_trap_try(tf))
		return 1;
	fatal_sync(tf, ec);
}

void arch_send_nmi(uint32_t hwid)
{
	arch_send_ipi(hwid, A64_SGI_STOP);
}


/*
 * trap.c - what aarch64 does with an exception (the boot test image's
 * and the kernel's):
 * resolve or recover the ones the port expects, report any other and
 * stop.
 *
 * Purpose: every exception not listed below is a bug, and the report
 * must say which: the vector
 * (group and type), the exception class decoded from ESR_EL1 (ARM ARM
 * D17.2.37), for an abort its fault status code and whether it was a
 * write, the faulting address (FAR_EL1) when the class defines one, ELR,
 * SPSR and every general register.  The report goes to the console
 * (PL011) and the image exits with status 70, as the x86_64 kernel does
 * for a CPU exception.
 *
 * An IRQ from running code (kind 1) goes to the image's a64_trap_irq and
 * resumes: in the boot test image (dtboot.c) a64_irq_hook when a test set
 * one (the preemption test, tests/a64/ctx_test.c), else irq_probe.c's
 * handler; in the kernel (kernel/trap_kernel.c) the GIC's acknowledge and
 * kernel_interrupt.  A synchronous exception from running code goes to
 * the image's a64_trap_sync, which resumes it when it returns 1: in both
 * images a fault the port resolves (an access flag fault or a write to a
 * writable-clean page without hardware dirty-state management, paging.c's
 * a64_vm_fixup) or recovers (inside arch_try, trap_cpu.c); in the kernel
 * also a page fault kernel_page_fault resolves (a growing stack).  The
 * other exception that is
 * not a bug: a64_semihost's HLT #0xf000 when
 * QEMU was started without -semihosting is an undefined instruction
 * (class 0x00).  Seen at exactly a64_semihost_insn, it marks semihosting
 * absent and resumes after the HLT with x0 = -1.
 *
 * Invariants: a second exception while reporting one (vector group
 * "current EL, SP_ELx", kind >= 4) prints one short line and halts; a
 * third halts silently, so a broken console cannot loop.  One inside a
 * handler that a64_vm_fixup resolves (kind 16: vectors.S kept the
 * handler's stack) resumes the handler instead.
 *
 * Context: exception entry, interrupts masked, on the exception stack.
 */
#include <stdint.h>
#include "arch/aarch64/a64.h"
#include "arch/aarch64/trap.h"
#include "kernel/lib/kprintf.h"

volatile int a64_semihosting_absent;

static const char *const ec_names[64] = {
	[0x00] = "unknown reason (undefined instruction)",
	[0x01] = "WFI/WFE trapped",
	[0x07] = "SIMD/FP access trapped",
	[0x0e] = "illegal execution state",
	[0x15] = "SVC (AArch64)",
	[0x16] = "HVC (AArch64)",
	[0x17] = "SMC (AArch64)",
	[0x18] = "MSR/MRS/system instruction trapped",
	[0x20] = "instruction abort from a lower EL",
	[0x21] = "instruction abort",
	[0x22] = "PC alignment fault",
	[0x24] = "data abort from a lower EL",
	[0x25] = "data abort",
	[0x26] = "SP alignment fault",
	[0x2c] = "floating-point exception",
	[0x2f] = "SError",
	[0x30] = "breakpoint from a lower EL",
	[0x31] = "breakpoint",
	[0x32] = "software step from a lower EL",
	[0x33] = "software step",
	[0x34] = "watchpoint from a lower EL",
	[0x35] = "watchpoint",
	[0x3c] = "BRK instruction",
};

const char *a64_ec_name(unsigned ec)
{
	return ec < 64 && ec_names[ec] ? ec_names[ec] : "?";
}

static const char *const groups[4] = {
	"current EL, SP_EL0", "current EL, SP_ELx", "lower EL, AArch64", "lower EL, AArch32",
};
static const char *const types[4] = { "synchronous", "IRQ", "FIQ", "SError" };

/* An abort's fault status code (ISS bits 5:0), as the ARM ARM names it. */
void a64_fault_status(unsigned fsc, char *buf, size_t n)
{
	static const char *const kind[4] = { "address size", "translation", "access flag",
	                                     "permission" };

	if (fsc < 16)
		ksnprintf(buf, n, "%s fault, level %u", kind[fsc >> 2], fsc & 3);
	else if (fsc == 0x21)
		ksnprintf(buf, n, "alignment fault");
	else if (fsc == 0x10)
		ksnprintf(buf, n, "synchronous external abort");
	else
		ksnprintf(buf, n, "fault status 0x%x", fsc);
}

void (*a64_irq_hook)(struct trap_frame *tf);

void a64_trap(struct trap_frame *f, uint64_t kind)
{
	static volatile int depth;
	unsigned ec = (unsigned)(f->esr >> 26) & 0x3f;
	unsigned i;
	char fs[48] = "";

	if (kind == 1) {   /* IRQ from running code: the image's handler */
		a64_trap_irq(f);
		return;
	}
	if (kind == 0 && ec == 0x00 && f->elr == (uint64_t)(uintptr_t)a64_semihost_insn) {
		a64_semihosting_absent = 1;
		f->x[0] = (uint64_t)-1;
		f->elr += 4;
		return;
	}
	if (kind == 0 && a64_trap_sync(f))
		return;
	if (kind == 16) {   /* synchronous inside a handler, its stack kept (vectors.S) */
		if (a64_trap_fixup(f))
			return;
		kind = 4;
	}
	if (++depth > 1 || kind >= 4) {
		if (depth <= 2)
			kprintf("\ntally: FATAL: exception while reporting an exception (kind %u, ESR 0x%llx, ELR 0x%llx)\n",
			        (unsigned)kind, (unsigned long long)f->esr, (unsigned long long)f->elr);
		a64_halt();
	}
	if (ec == 0x20 || ec == 0x21 || ec == 0x24 || ec == 0x25)
		a64_fault_status((unsigned)f->esr & 0x3f, fs, sizeof fs);
	kprintf("\ntally: FATAL: %s exception (%s): EC 0x%x %s%s%s%s\n",
	        types[kind & 3], groups[(kind >> 2) & 3], ec, a64_ec_name(ec),
	        fs[0] ? ", " : "", fs,
	        (ec == 0x24 || ec == 0x25) ? ((f->esr >> 6) & 1 ? ", write" : ", read") : "");
	kprintf("  ESR 0x%016llx  ELR 0x%016llx  FAR 0x%016llx%s\n", (unsigned long long)f->esr,
	        (unsigned long long)f->elr, (unsigned long long)f->far,
	        (ec >= 0x20 && ec <= 0x25) || (ec >= 0x34 && ec <= 0x35) ? "" : " (not valid for this class)");
	kprintf("  SPSR 0x%016llx  SP 0x%016llx\n", (unsigned long long)f->spsr,
	        (unsigned long long)f->sp);
	for (i = 0; i < 31; i++)
		kprintf("  x%-2u 0x%016llx%s", i, (unsigned long long)f->x[i], i % 3 == 2 || i == 30 ? "\n" : "");
	a64_exit(70);
}

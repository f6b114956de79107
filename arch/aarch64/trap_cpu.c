/*
 * trap_cpu.c - the arch/arch.h trap functions of the aarch64 port: the
 * vector table and exception stack of a CPU, the per-CPU pointer, frames
 * and frame-pointer unwinding, arch_try's recovery, asynchronous
 * preemption's frame edit, restartable sequences.
 *
 * Purpose: what the kernel asks of any port's trap path, on the frame
 * vectors.S builds (trap.h).  The exception-class numbering: arch_try
 * returns ESR_EL1.EC + 1 for the exception it caught (0x25 + 1 for a data
 * abort, 0x21 + 1 for an instruction abort, 0x3c + 1 for BRK), and
 * arch_trap_name names an EC (interrupts are GIC INTIDs and are never
 * passed to it; see include/arch_inline.h).
 *
 * Preemption (arch_inject_preempt, preempt.S): the interrupt frame's
 * return is redirected into arch_preempt_stub with a 32-byte record
 * pushed below the interrupted sp (aligned to 16; AAPCS64 has no red
 * zone, so nothing below sp is live): {interrupted pc, SPSR, sp, 0}.
 * The eret then "calls" the stub at EL1 on the interrupted stack with
 * every register still the interrupted code's; the stub saves them all
 * (x0-x30, q0-q31, FPSR, FPCR) on that stack, calls preempt_entry_c and
 * returns to the pc in the record through an eret of its own, which also
 * restores NZCV and the interrupt mask from the record's SPSR.
 *
 * Invariants: a CPU's TPIDRRO_EL0 is 0 or its exception stack's top
 * (arch_cpu_tables_init; QEMU resets it to 0, hardware leaves it UNKNOWN:
 * a kernel calls arch_cpu_tables_init first on every CPU); this CPU's
 * arch_percpu.try_rsp != 0 exactly while
 * arch_try runs its function (switch.S); TPIDR_EL1 points at the CPU's
 * struct arch_percpu before any of these is called.
 * Context: exception entry (interrupts masked) for a64_trap_recover and
 * arch_inject_preempt; any for the rest.
 */
#include <stdint.h>
#include "arch/arch.h"
#include "arch/aarch64/trap.h"
#include "arch/aarch64/paging.h"
#include "kernel/lib/kprintf.h"

/* VBAR_EL1 and the exception stack.  One stack per CPU on aarch64 (SP_EL1:
 * every exception from running code lands on it, interrupts included);
 * ist_top[0] is its top, NULL the boot CPU's static one (stacks.S).  The
 * top is also kept in TPIDRRO_EL0 (nothing runs at EL0 to read it) for
 * vectors.S's nested-exception entry, which resets SP_EL1 to it.  Call
 * on SP_EL0 (thread mode) with interrupts masked. */
void arch_cpu_tables_init(unsigned cpu, const uintptr_t *ist_top)
{
	extern char a64_vectors[], a64_exc_stack_top[];
	uintptr_t top = ist_top ? ist_top[0] : (uintptr_t)a64_exc_stack_top;
	(void)cpu;
	__asm__ volatile("msr vbar_el1, %0\n\t"
	                 "msr tpidrro_el0, %1\n\t"
	                 "msr spsel, #1\n\t"
	                 "mov sp, %1\n\t"
	                 "msr spsel, #0\n\t"
	                 "isb"
	                 :: "r"(a64_vectors), "r"(top) : "memory");
}

void arch_cpu_set_local(void *p)
{
	__asm__ volatile("msr tpidr_el1, %0" :: "r"(p) : "memory");
}

uint64_t arch_try_fault_addr(void)
{
	return ((struct arch_percpu *)arch_cpu_local())->try_addr;
}

int a64_trap_try(struct trap_frame *tf)
{
	extern char arch_try_landing[];
	unsigned ec = (unsigned)(tf->esr >> 26) & 0x3f;
	int abort = ec == A64_EC_DABT || ec == A64_EC_IABT;
	struct arch_percpu *pc = arch_cpu_local();
	if (!pc || !pc->try_rsp)
		return 0;
	pc->try_addr = abort ? tf->far : 0;
	tf->elr = (uint64_t)(uintptr_t)arch_try_landing;
	tf->sp = pc->try_rsp;
	tf->x[0] = ec + 1;
	pc->try_rsp = 0;
	return 1;
}

int a64_trap_fixup(struct trap_frame *tf)
{
	unsigned ec = (unsigned)(tf->esr >> 26) & 0x3f, fsc = (unsigned)tf->esr & 0x3f;
	int abort = ec == A64_EC_DABT || ec == A64_EC_IABT;
	int write = a64_fault_access(tf->esr, 0, 1, 0, 0) != 0;   /* WnR, not CM */
	return abort && a64_vm_fixup(tf->far, fsc, write);
}

int a64_trap_recover(struct trap_frame *tf)
{
	return a64_trap_fixup(tf) || a64_trap_try(tf);
}

const char *arch_trap_name(unsigned v)
{
	static const char *const names[64] = {
		[0x00] = "unknown reason (undefined instruction)",
		[0x01] = "WFI/WFE trapped",
		[0x07] = "SIMD/FP access trapped",
		[0x0e] = "illegal execution state",
		[0x15] = "SVC",
		[0x16] = "HVC",
		[0x17] = "SMC",
		[0x18] = "MSR/MRS/system instruction trapped",
		[0x20] = "instruction abort from a lower EL",
		[0x21] = "instruction abort",
		[0x22] = "PC alignment fault",
		[0x24] = "data abort from a lower EL",
		[0x25] = "data abort",
		[0x26] = "SP alignment fault",
		[0x2c] = "floating-point exception",
		[0x2f] = "SError",
		[0x31] = "breakpoint",
		[0x33] = "software step",
		[0x35] = "watchpoint",
		[0x3c] = "BRK instruction",
	};
	return v < 64 && names[v] ? names[v] : "reserved exception class";
}

uintptr_t arch_frame_pc(const struct trap_frame *tf) { return tf->elr; }
uintptr_t arch_frame_fp(const struct trap_frame *tf) { return tf->x[29]; }

void arch_dump_frame(const struct trap_frame *tf)
{
	for (int i = 0; i < 31; i++)
		kprintf("  x%-2d=%016llx%s", i, (unsigned long long)tf->x[i],
		        i % 4 == 3 || i == 30 ? "\n" : "");
	kprintf("  sp =%016llx elr=%016llx spsr=%08llx\n", (unsigned long long)tf->sp,
	        (unsigned long long)tf->elr, (unsigned long long)tf->spsr);
	kprintf("  esr=%016llx far=%016llx fpsr=%08llx fpcr=%08llx\n", (unsigned long long)tf->esr,
	        (unsigned long long)tf->far, (unsigned long long)tf->fpsr,
	        (unsigned long long)tf->fpcr);
}

/* 1 when the MMU translates va for an EL1 read now (AT S1E1R: the
 * hardware's own walk, whatever tables are loaded). */
static int readable(uintptr_t va)
{
	uint64_t par;
	unsigned long fl = arch_irq_save();   /* PAR_EL1 is not saved by exceptions */
	__asm__ volatile("at s1e1r, %1\n\tisb\n\tmrs %0, par_el1" : "=r"(par) : "r"(va) : "memory");
	arch_irq_restore(fl);
	return !(par & 1);
}

int arch_next_frame(uintptr_t *fp, uintptr_t *ret)
{
	uintptr_t f = *fp;
	if (f == 0 || (f & 15) || !readable(f) || !readable(f + 15))
		return -1;   /* AAPCS64 frame records are 16-byte aligned */
	*fp = ((uintptr_t *)f)[0];
	*ret = ((uintptr_t *)f)[1];
	return 0;
}

void arch_inject_preempt(struct trap_frame *tf)
{
	extern char arch_preempt_stub[];
	uint64_t *rec = (uint64_t *)(uintptr_t)((tf->sp - 32) & ~15ull);
	rec[0] = tf->elr;
	rec[1] = tf->spsr;
	rec[2] = tf->sp;
	rec[3] = 0;
	tf->sp = (uint64_t)(uintptr_t)rec;
	tf->elr = (uint64_t)(uintptr_t)arch_preempt_stub;
}

/* {clock read, commit} of each restartable sequence (arch_inline.h) */
extern const uintptr_t __start_arch_restart[] __attribute__((weak));
extern const uintptr_t __stop_arch_restart[] __attribute__((weak));

int arch_restart_fixup(struct trap_frame *tf)
{
	for (const uintptr_t *r = __start_arch_restart; r < __stop_arch_restart; r += 2)
		if (tf->elr > r[0] && tf->elr <= r[1]) {
			tf->elr = r[0];
			return 1;
		}
	return 0;
}

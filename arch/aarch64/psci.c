/*
 * psci.c - PSCI (Arm DEN 0022, the Power State Coordination Interface)
 * for the aarch64 port: arch_start_cpu through CPU_ON, and the machine's
 * SYSTEM_OFF and SYSTEM_RESET.
 *
 * Purpose: on QEMU's virt board (and on most aarch64 machines) the other
 * CPUs, power-off and reset belong to firmware (EL3) or a hypervisor
 * (EL2), reached by SMC or HVC as the device tree's /psci method says
 * (power.c's a64_psci makes the call).  CPU_ON(target MPIDR, entry
 * physical address, context id) powers a CPU on at the entry with the
 * MMU off and x0 = the context id (DEN 0022 5.6); QEMU starts it at EL1,
 * or at EL2 with virtualization=on.
 *
 * arch_start_cpu fills one start block (struct psci_start: the entry
 * function and its argument, the stack, and this CPU's MMU and vector
 * registers), cleans it to the point of coherency (the started CPU reads
 * it with its MMU and caches off), calls CPU_ON with psci_entry.S's
 * psci_secondary_entry and the block's address, and waits, bounded by
 * CNTVCT_EL0, for the started CPU's entry to set *started.  The CPU loads
 * the same MAIR, TCR, TTBR0/1 and SCTLR as the caller, so it runs in the
 * caller's address space; the block is reused by the next call only after
 * *started is seen, which the entry function sets after the trampoline
 * has read everything.
 *
 * PSCI 0.1 has no standard ids: CPU_ON's comes from the tree (cpu_on),
 * and there is no SYSTEM_OFF or SYSTEM_RESET (psci_set's psci_02 = 0).
 *
 * Data structures: the conduit and ids; the one start block.
 * Invariants: one arch_start_cpu at a time (the boot CPU starts the
 * others one by one: kernel/cpu/smp.c); the block's offsets are the ones
 * psci_entry.S reads (checked below).
 * Context: arch_start_cpu: boot CPU (or a started one), interrupts off,
 * no allocation.  The system calls: the exit path.
 */
#include <stddef.h>
#include <stdint.h>
#include "arch/arch.h"
#include "arch/aarch64/a64.h"
#include "arch/aarch64/gic.h"
#include "arch/aarch64/virt_desc.h"
#include "kernel/lib/kprintf.h"

/* What psci_secondary_entry reads (x0 points here). */
struct psci_start {
	uint64_t entry, arg, stack_top;
	uint64_t mair, tcr, ttbr0, ttbr1, sctlr, vbar;
};
_Static_assert(offsetof(struct psci_start, entry) == 0, "psci_entry.S: entry");
_Static_assert(offsetof(struct psci_start, arg) == 8, "psci_entry.S: arg");
_Static_assert(offsetof(struct psci_start, stack_top) == 16, "psci_entry.S: stack_top");
_Static_assert(offsetof(struct psci_start, mair) == 24, "psci_entry.S: mair");
_Static_assert(offsetof(struct psci_start, vbar) == 64, "psci_entry.S: vbar");

void psci_secondary_entry(void);   /* psci_entry.S */

static struct psci_start block __attribute__((aligned(64)));
static uint32_t cpu_on_id;
static int has_system;              /* PSCI 0.2+: SYSTEM_OFF, SYSTEM_RESET */

void psci_set(int conduit, uint32_t cpu_on, int psci_02)
{
	a64_psci_set_conduit(conduit == FDT_PSCI_HVC ? A64_CONDUIT_HVC :
	                     conduit == FDT_PSCI_SMC ? A64_CONDUIT_SMC : A64_CONDUIT_NONE);
	cpu_on_id = conduit == FDT_PSCI_NONE ? 0 : cpu_on;
	has_system = conduit != FDT_PSCI_NONE && psci_02;
}

const char *psci_error_name(int64_t e)
{
	static const char *const names[] = {
		"SUCCESS", "NOT_SUPPORTED", "INVALID_PARAMETERS", "DENIED", "ALREADY_ON",
		"ON_PENDING", "INTERNAL_FAILURE", "NOT_PRESENT", "DISABLED", "INVALID_ADDRESS",
	};
	return e <= 0 && e >= -9 ? names[-e] : "?";
}

static uint64_t counter(void)
{
	uint64_t v;

	__asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(v) :: "memory");
	return v;
}

int arch_start_cpu(uint32_t hwid, void (*entry)(void *), void *arg,
                   uintptr_t stack_top, volatile int *started, uint64_t timeout_ns)
{
	uint64_t hz = A64_SYSREG_READ(cntfrq_el0), t0, limit;
	int64_t r;

	if (!cpu_on_id) {
		kprintf("psci: no CPU_ON (no PSCI in the device tree): hwid 0x%x not started\n", hwid);
		return -1;
	}
	block.entry = (uint64_t)(uintptr_t)entry;
	block.arg = (uint64_t)(uintptr_t)arg;
	block.stack_top = stack_top;
	block.mair = A64_SYSREG_READ(mair_el1);
	block.tcr = A64_SYSREG_READ(tcr_el1);
	block.ttbr0 = A64_SYSREG_READ(ttbr0_el1);
	block.ttbr1 = A64_SYSREG_READ(ttbr1_el1);
	block.sctlr = A64_SYSREG_READ(sctlr_el1);
	block.vbar = A64_SYSREG_READ(vbar_el1);
	a64_clean_to_poc(&block, sizeof block);
	r = a64_psci(cpu_on_id, virt_mpidr(hwid), (uint64_t)(uintptr_t)psci_secondary_entry,
	             (uint64_t)(uintptr_t)&block);
	if (r != 0) {
		kprintf("psci: CPU_ON hwid 0x%x: %s (%lld)\n", hwid, psci_error_name(r), (long long)r);
		return -1;
	}
	limit = timeout_ns / 1000000000ull * hz + timeout_ns % 1000000000ull * hz / 1000000000ull;
	t0 = counter();
	while (!*started) {
		if (counter() - t0 > limit)
			return -1;
		__asm__ volatile("yield" ::: "memory");
	}
	return 0;
}

int64_t psci_system_off(void)
{
	return has_system ? a64_psci(VIRT_PSCI_SYSTEM_OFF, 0, 0, 0) : -1;
}

int64_t psci_system_reset(void)
{
	return has_system ? a64_psci(VIRT_PSCI_SYSTEM_RESET, 0, 0, 0) : -1;
}

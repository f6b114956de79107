/*
 * power.c - leaving the machine from the aarch64 boot test image, and the
 * PSCI calls it makes.
 *
 * Purpose: a test run must end with a status the harness can read.  Under
 * QEMU with -semihosting, Arm semihosting's SYS_EXIT (operation 0x18, block
 * {ADP_Stopped_ApplicationExit = 0x20026, code}) makes QEMU exit with that
 * code; a64_exit passes (status << 1) | 1, so tools/tally_qemu.py decodes
 * it exactly as isa-debug-exit's exit codes on x86_64 (odd: a status;
 * 0: a crash or power-off without one).  Without semihosting the HLT traps
 * (trap.c marks it absent) and PSCI SYSTEM_OFF (0x84000008) powers off
 * through the conduit the DTB named; the status is then only on the
 * console's "tally: exit N" line.  Without either, the CPU halts.
 *
 * PSCI function ids and return codes: Arm DEN 0022 (PSCI 1.1), 5.1/5.2.
 *
 * Invariants: the conduit is NONE until a64_psci_set_conduit; a PSCI call
 * with no conduit returns NOT_SUPPORTED (-1) without executing HVC or SMC
 * (either is undefined where no EL2/EL3 takes it).
 * Context: any; no allocation.
 */
#include <stdint.h>
#include "arch/aarch64/a64.h"
#include "kernel/lib/kprintf.h"

#define SEMIHOST_WRITE0 0x04
#define SEMIHOST_EXIT   0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define PSCI_SYSTEM_OFF 0x84000008u

static int conduit = A64_CONDUIT_NONE;

void a64_psci_set_conduit(int c)
{
	conduit = c;
}

int64_t a64_psci(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	if (conduit == A64_CONDUIT_HVC)
		return (int64_t)a64_psci_hvc(fn, a1, a2, a3);
	if (conduit == A64_CONDUIT_SMC)
		return (int64_t)a64_psci_smc(fn, a1, a2, a3);
	return -1;
}

int a64_semihost_write0(const char *s)
{
	if (a64_semihosting_absent)
		return -1;
	a64_semihost(SEMIHOST_WRITE0, s);
	return a64_semihosting_absent ? -1 : 0;
}

_Noreturn void a64_exit(int status)
{
	uint64_t block[2] = { ADP_STOPPED_APPLICATION_EXIT, ((uint64_t)(uint32_t)status << 1) | 1 };

	kprintf("tally: exit %d\n", status);
	if (!a64_semihosting_absent)
		a64_semihost(SEMIHOST_EXIT, block);
	if (conduit != A64_CONDUIT_NONE) {
		kprintf("tally: no semihosting: PSCI SYSTEM_OFF (the status is only in the line above)\n");
		a64_psci(PSCI_SYSTEM_OFF, 0, 0, 0);
	}
	kprintf("tally: no semihosting and no PSCI: halting\n");
	a64_halt();
}

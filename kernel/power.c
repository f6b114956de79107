/*
 * power.c - the exit policy: emulator status, power-off, reset or halt.
 *
 * Purpose: see power.h.  The kernel decides what an exit means; the
 * machine description (exit_device, poweroff, reset: kernel/machine.h)
 * knows how the board does it.  The \_S5 sleep type is looked up once at boot
 * (acpi_s5_find), not at exit: the DSDT is read while the memory map and
 * the page tables are known good, and a broken _S5 shows at loglevel=2
 * before anything depends on it.
 *
 * Why power-off is the default: on a machine with no one at the console,
 * a halted CPU keeps the machine on forever and a reset boots Tally again
 * and loops; an emulator without an exit device also ends cleanly.  Why
 * the emulator's exit device still comes first unless onexit= is given:
 * it is the only way a status leaves the machine, and every test reads it.
 *
 * A crash powers the machine off too (after its report on the console):
 * onexit=halt keeps a crashed machine on for someone to read its screen.
 *
 * Not done, for want of an AML interpreter: the _PTS (prepare to sleep)
 * and _GTS methods ACPI asks the OS to run before S5, and switching the
 * machine into ACPI mode (ACPI_ENABLE to SMI_CMD) when firmware left
 * SCI_EN clear.  Chipsets enter S5 on SLP_EN either way (or trap it to
 * firmware that does), which is what every machine tried needed; one
 * that does not prints "still running" and halts.
 *
 * Data structures: s5, the result of the DSDT scan, kept for the report
 * and handed to the port.
 *
 * Locking: none; s5 is written at boot before the other CPUs start.
 *
 * Context: power_acpi_init at boot, one CPU (an ACPI machine's init); power_exit on the exit path (one
 * CPU alone: kernel_exit has stopped the others).  No allocation.
 */
#include "arch/arch.h"
#include "kernel/acpi/acpi.h"
#include "kernel/kernel.h"
#include "kernel/lib/kprintf.h"
#include "kernel/machine.h"
#include "kernel/power.h"

static struct acpi_s5 s5;

const struct acpi_s5 *power_acpi_init(const struct acpi_info *a)
{
	acpi_s5_find(a, kernel_acpi_phys, NULL, &s5);
	if (kopts.loglevel < 2)
		return &s5;
	if (a->has_reset)
		kprintf("tally: power: reset register %s 0x%lx <- 0x%x\n",
		        acpi_gas_space_name(a->reset_reg.space), a->reset_reg.addr,
		        a->reset_value);
	else
		kprintf("tally: power: no reset register in the FADT\n");
	if (s5.result == ACPI_S5_FOUND)
		kprintf("tally: power: _S5 SLP_TYPa %u SLP_TYPb %u (DSDT offset "
		        "0x%x), %s %s 0x%lx%s\n", s5.slp_typa, s5.slp_typb, s5.at,
		        a->has_sleep_ctl ? "sleep control" : "PM1a_CNT",
		        acpi_gas_space_name(a->has_sleep_ctl ? a->sleep_ctl.space
		                                             : a->pm1a_cnt.space),
		        a->has_sleep_ctl ? a->sleep_ctl.addr : a->pm1a_cnt.addr,
		        a->pm1b_cnt.addr ? ", PM1b_CNT too" : "");
	else if (s5.result == ACPI_S5_NONE)
		kprintf("tally: power: no _S5 in the DSDT: power-off will halt\n");
	else
		kprintf("tally: power: _S5 unusable (%s): power-off will halt\n",
		        s5.why);
	return &s5;
}

_Noreturn void power_exit(int status)
{
	const struct machine *m = machine;
	if (!m)
		arch_exit(status);  /* before the machine was chosen: the floor */
	if (!kopts.onexit_given && m->exit_device)
		m->exit_device(status);  /* under QEMU: the run ends here */
	switch (kopts.onexit) {
	case POWER_ONEXIT_RESET:
		if (m->reset)
			m->reset();
		kprintf("tally: reset failed; halting instead\n");
		break;
	case POWER_ONEXIT_POWEROFF:
		if (m->poweroff)
			(void)m->poweroff();
		else
			kprintf("tally: the %s machine has no power-off\n", m->name);
		kprintf("tally: power-off failed; halting instead\n");
		break;
	default:
		break;
	}
	kprintf("tally: halted; the machine can be powered off or reset\n");
	arch_halt_forever();
}

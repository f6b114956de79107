/*
 * pc.c - the x86 PC machine description (kernel/machine.h), driven by ACPI.
 *
 * Purpose: what kernel/ must not know about a PC: the console is a 16550
 * UART on the port the `serial=` option chose (pc_options.c), COM1 before
 * that; the firmware's description is ACPI (kernel/acpi/boot.c); the CPUs
 * are the MADT's local APICs; the cycle counter is calibrated against the
 * ACPI PM timer or the HPET; the interrupt controller is the local APIC
 * (lapic.c); the exit device, reset and power-off are pc_power.c's.
 *
 * Data structures: the early and chosen UARTs, the CPU list copied out of
 * the MADT at init.
 * Invariants: cpus[] holds at most ACPI_MAX_CPUS entries, in MADT order,
 * no two with the same hwid (acpi_parse drops duplicates).
 * Context: as each op of struct machine says; early_console from any
 * context (exception handlers use it before the console is chosen).
 */
#include <stddef.h>
#include "arch/arch.h"
#include "arch/x86_64/pc.h"
#include "arch/x86_64/pc_options.h"
#include "boot/boot_info.h"
#include "drivers/uart16550.h"
#include "kernel/acpi/acpi.h"
#include "kernel/acpi/boot.h"
#include "kernel/console.h"
#include "kernel/machine.h"
#include "kernel/power.h"

#define COM1 0x3f8

static struct uart16550 early = { .port = COM1 };
static const struct console_ops early_ops = {
	"com1 (early)", uart16550_putc_ops, uart16550_getc_ops, &early,
};
static struct uart16550 serial;
static struct console_ops serial_ops = { NULL, uart16550_putc_ops, uart16550_getc_ops, &serial };

static struct machine_cpu cpus[ACPI_MAX_CPUS];
static unsigned ncpus;
static struct machine_ecam ecam[ACPI_MAX_MCFG];
static unsigned necam;

/* The only x86_64 machine so far: every x86_64 boot is a PC. */
static int pc_probe(const struct boot_info *bi)
{
	(void)bi;
	return 1;
}

static const struct console_ops *pc_early_console(void)
{
	if (!early.ready)
		uart16550_init(&early);
	return &early_ops;
}

static const struct console_ops *pc_console(void)
{
	serial.port = pc_opts.serial_port;
	if (uart16550_init(&serial) < 0)
		return NULL;
	serial_ops.name = pc_opts.serial_name;
	return &serial_ops;
}

static void pc_init(const struct boot_info *bi)
{
	if (acpi_boot_init(bi) < 0) {
		pc_power_init(NULL, NULL);
		return;
	}
	const struct acpi_info *a = acpi_boot_get();
	pc_power_init(a, power_acpi_init(a));
	pc_irq_routers_init(a);
	for (uint32_t i = 0; i < a->nmcfg && necam < ACPI_MAX_MCFG; i++) {
		ecam[necam].base = a->mcfg[i].base;
		ecam[necam].segment = a->mcfg[i].segment;
		ecam[necam].bus_start = a->mcfg[i].bus_start;
		ecam[necam].bus_end = a->mcfg[i].bus_end;
		necam++;
	}
	if (!a->has_madt)
		return;
	for (uint32_t i = 0; i < a->ncpu && ncpus < ACPI_MAX_CPUS; i++) {
		cpus[ncpus].hwid = a->cpu[i].apic_id;
		cpus[ncpus].enabled = a->cpu[i].enabled;
		cpus[ncpus].online_capable = a->cpu[i].online_capable;
		ncpus++;
	}
}

static void pc_clock_refs(struct arch_clock_ref *ref)
{
	const struct acpi_info *a = acpi_boot_get();
	if (!a)
		return;
	if (a->has_pm_timer && a->pm_timer.space == ACPI_GAS_IO && a->pm_timer.addr < 0x10000) {
		ref->pm_timer_port = (uint16_t)a->pm_timer.addr;
		ref->pm_timer_32bit = a->pm_timer_32bit;
	}
	if (a->has_hpet)
		ref->hpet_addr = a->hpet_addr;
}

static int pc_intc_init(const char **why)
{
	const struct acpi_info *a = acpi_boot_get();
	if (arch_intc_init_boot(a && a->has_madt ? a->lapic_addr : 0) < 0) {
		*why = "no local APIC: Tally needs one for its per-core timer";
		return -1;
	}
	return 0;
}

static unsigned pc_pci_ecam(const struct machine_ecam **list)
{
	*list = ecam;
	return necam;
}

static unsigned pc_cpus(const struct machine_cpu **list)
{
	*list = cpus;
	return ncpus;
}

MACHINE(pc) = {
	.name = "pc",
	.hwid_name = "apic",
	.probe = pc_probe,
	.early_console = pc_early_console,
	.console = pc_console,
	.init = pc_init,
	.clock_refs = pc_clock_refs,
	.intc_init = pc_intc_init,
	.cpus = pc_cpus,
	.pci_ecam = pc_pci_ecam,
	.pci_legacy_cfg = pc_pci_legacy_ops,
	.irq_route_legacy = pc_irq_route_legacy,
	.irq_mask_legacy = pc_irq_mask_legacy,
	.exit_device = pc_exit_device,
	.reset = pc_reset,
	.poweroff = pc_poweroff,
};

/*
 * boot.c - the boot-time read of the firmware's ACPI tables, kept for
 * whoever needs their facts later (the machine description, PCI's MCFG,
 * power-off's FADT).
 *
 * Purpose: acpi_parse() (acpi.c) is pure and host-tested; this file runs
 * it once on the RSDP the boot path found, through kernel_acpi_phys (only
 * listed, mapped memory is read), prints its warnings, and keeps the
 * result.  Which machine description calls it is the machine's business
 * (the PC always; an aarch64 board when UEFI hands over ACPI tables).
 * Invariants: acpi_boot_get() is NULL until acpi_boot_init() succeeded,
 * then the same pointer for good.
 * Context: acpi_boot_init at boot only; acpi_boot_get any.
 */
#include "kernel/acpi/acpi.h"
#include "kernel/acpi/boot.h"
#include "kernel/kernel.h"
#include "kernel/lib/kprintf.h"

static struct acpi_info acpi;
static int parsed;

int acpi_boot_init(const struct boot_info *bi)
{
	if (!bi->rsdp_len) {
		kprintf("tally: acpi: no RSDP from the boot path or the BIOS area\n");
		return -1;
	}
	int rc = acpi_parse(bi->rsdp, bi->rsdp_len, kernel_acpi_phys, NULL, &acpi);
	for (uint32_t i = 0; i < acpi.nwarn; i++)
		kprintf("tally: %s\n", acpi.warn[i]);
	if (acpi.nwarn_dropped)
		kprintf("tally: acpi: %u more warnings not shown\n", acpi.nwarn_dropped);
	if (rc < 0)
		return -1;
	parsed = 1;
	if (kopts.loglevel >= 2)
		kprintf("tally: acpi: %s rev %u, %u CPUs in MADT, %u IOAPIC, PM timer %s, HPET %s\n",
		        acpi.oem, acpi.revision, acpi.ncpu, acpi.nioapic,
		        acpi.has_pm_timer ? "yes" : "no", acpi.has_hpet ? "yes" : "no");
	return 0;
}

const struct acpi_info *acpi_boot_get(void) { return parsed ? &acpi : NULL; }

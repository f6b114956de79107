/*
 * boot.h - the ACPI facts read at boot (kernel/acpi/boot.c).
 */
#ifndef TALLY_ACPI_BOOT_H
#define TALLY_ACPI_BOOT_H

struct acpi_info;
struct boot_info;

/* boot, after Tally's page tables are up: parse the tables behind the
 * boot path's RSDP and print their warnings.  0, or -1 when there is no
 * RSDP or the root table is unusable (then acpi_boot_get() stays NULL). */
int acpi_boot_init(const struct boot_info *bi);
/* any: the facts acpi_boot_init() read, or NULL. */
const struct acpi_info *acpi_boot_get(void);

#endif

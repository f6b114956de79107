/*
 * acpi_arm.c - the two Arm tables the aarch64 machine description needs
 * besides the MADT and FADT: the Generic Timer Description Table and the
 * Serial Port Console Redirection table.
 *
 * GTDT (ACPI 6.x, 5.2.25): after the header, CntControlBase u64 @36, a
 * reserved u32 @44, then {GSIV u32, flags u32} for the secure EL1 timer
 * @48, the non-secure EL1 (physical) timer @56, the virtual EL1 timer @64
 * and the EL2 timer @72.  A GSIV below 32 is a PPI's INTID.  Kept: the
 * non-secure physical and the virtual timer's GSIVs.
 * SPCR (Microsoft's SPCR specification, revision 2): interface type u8
 * @36 (ACPI_SPCR_*), the UART's base address as a Generic Address
 * Structure @40.  Kept as given; the machine description decides whether
 * it can drive that UART.
 *
 * Invariants: as acpi_impl.h says (the table is validated, len >= its
 * minimum, nothing outside it is read).  A GTDT timer GSIV of 0 means
 * "not provided" and is kept as 0.
 * Locking: none.  Context: boot time, called from acpi.c only.
 */
#include <stdint.h>
#include "kernel/acpi/acpi_impl.h"

void _acpi_gtdt(struct acpi_ctx *c, const uint8_t *t, uint32_t len, uint64_t pa)
{
	struct acpi_info *o = c->out;

	(void)len, (void)pa;
	o->has_gtdt = 1;
	o->gtdt_phys_gsiv = _acpi_u32(t + 56);
	o->gtdt_virt_gsiv = _acpi_u32(t + 64);
}

void _acpi_spcr(struct acpi_ctx *c, const uint8_t *t, uint32_t len, uint64_t pa)
{
	struct acpi_info *o = c->out;

	(void)len, (void)pa;
	o->has_spcr = 1;
	o->spcr_type = t[36];
	_acpi_gas(t + 40, &o->spcr_base);
}

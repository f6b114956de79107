/*
 * test_virt_acpi.c - host tests of the aarch64 `virt` machine description
 * read from ACPI tables (arch/aarch64/virt_acpi.c).
 *
 * Purpose: the tables AAVMF handed over on QEMU 7.2's virt board
 * (tests/fixtures/acpi-qemu72-virt-aavmf-smp2.bin, recorded) must be
 * described as that board: the GICv3 at QEMU's addresses
 * (hw/arm/virt.c's memory map: GICD 0x08000000, redistributors from
 * 0x080a0000), the virtual timer's PPI 27 for the tick, the PL011 at
 * 0x09000000, PSCI over HVC, two CPUs with MPIDRs 0 and 1, the ECAM at
 * 0x4010000000 for buses 0-255: facts taken from QEMU's memory map and
 * command line, not from this code.  Then struct acpi_info values edited
 * one at a time (a GICv2, no GTDT, a 16550 console, no PSCI, a CPU not
 * enabled, no distributor, no GIC at all) must lose exactly that piece,
 * with a note or an intc_why line saying so, never a guess.
 *
 * Context: host only, single-threaded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tests/host/fixture.h"
#include "arch/aarch64/virt_desc.h"

#define RECORDED "acpi-qemu72-virt-aavmf-smp2.bin"

/* kprintf.c's console sink: nothing here prints through it. */
void console_write(const char *s, size_t n)
{
	(void)s;
	(void)n;
}

static struct acpi_info acpi;  /* ~17 KiB each: static */
static struct virt_desc desc;
static char err[VIRT_WHY_LEN];

static void parse_recorded(void)
{
	struct fx_mem m;
	const struct fx_region *r = NULL;

	assert_int_equal(fx_mem_load(fx_path(RECORDED), &m), 0);
	for (uint32_t i = 0; i < m.nreg; i++)
		if (m.reg[i].base == m.arg)
			r = &m.reg[i];
	assert_non_null(r);
	assert_int_equal(acpi_parse(r->data, (uint32_t)r->len, fx_phys, &m, &acpi), 0);
	assert_int_equal(acpi.nwarn, 0);
	fx_mem_free(&m);
}

static int has_note(const char *part)
{
	for (uint32_t i = 0; i < desc.nnote; i++)
		if (strstr(desc.note[i], part))
			return 1;
	return 0;
}

static void test_recorded_board(void **state)
{
	(void)state;
	parse_recorded();
	assert_int_equal(virt_describe_acpi(&acpi, 0x80000000, &desc, err, sizeof err), 0);
	assert_string_equal(desc.intc_why, "");
	assert_int_equal(desc.gic_version, 3);
	assert_int_equal(desc.gicd.base, 0x08000000);
	assert_int_equal(desc.gicd.size, 0x10000);
	assert_int_equal(desc.nredist, 1);
	assert_int_equal(desc.redist[0].base, 0x080a0000);
	assert_int_equal(desc.redist[0].size, 0xf60000);
	assert_int_equal(desc.its.base, 0x08080000);   /* the MADT's ITS entry */
	assert_int_equal(desc.its.size, 0x20000);
	assert_int_equal(desc.timer, VIRT_TIMER_VIRT);
	assert_int_equal(desc.timer_intid, 27);
	assert_int_equal(desc.virt_intid, 27);
	assert_int_equal(desc.phys_intid, 30);
	assert_int_equal(desc.has_uart, 1);
	assert_int_equal(desc.uart.base, 0x09000000);
	assert_int_equal(desc.psci, FDT_PSCI_HVC);
	assert_int_equal(desc.psci_02, 1);
	assert_int_equal(desc.psci_cpu_on, VIRT_PSCI_CPU_ON);
	assert_int_equal(desc.ncpu, 2);
	for (uint32_t i = 0; i < 2; i++) {
		assert_int_equal(desc.cpu[i].hwid, i);
		assert_int_equal(desc.cpu[i].enabled, 1);
		assert_int_equal(desc.cpu[i].online_capable, 0);
	}
	assert_int_equal(desc.necam, 1);
	assert_int_equal(desc.ecam[0].base, 0x4010000000ull);
	assert_int_equal(desc.ecam[0].bus_start, 0);
	assert_int_equal(desc.ecam[0].bus_end, 255);
	assert_int_equal(desc.nnote, 0);
}

static void test_gicv2(void **state)
{
	(void)state;
	parse_recorded();
	acpi.gic_version = 2;
	acpi.ngicr = 0;
	acpi.gicc[0].gicc_base = 0x08010000;
	acpi.gicc[1].gicc_base = 0x08010000;
	assert_int_equal(virt_describe_acpi(&acpi, 1, &desc, err, sizeof err), 0);
	assert_int_equal(desc.gic_version, 2);
	assert_int_equal(desc.gicd.size, 0x1000);
	assert_int_equal(desc.gicc.base, 0x08010000);
	assert_int_equal(desc.gicc.size, 0x2000);
	assert_int_equal(desc.nredist, 0);
	/* version 0 ("unspecified") with no redistributor anywhere: a v2 */
	acpi.gic_version = 0;
	assert_int_equal(virt_describe_acpi(&acpi, 1, &desc, err, sizeof err), 0);
	assert_int_equal(desc.gic_version, 2);
	/* a v2 whose boot CPU names no CPU interface cannot be driven */
	acpi.gicc[1].gicc_base = 0;
	assert_int_equal(virt_describe_acpi(&acpi, 1, &desc, err, sizeof err), 0);
	assert_non_null(strstr(desc.intc_why, "no CPU interface base"));
}

static void test_per_cpu_redistributors(void **state)
{
	(void)state;
	parse_recorded();
	acpi.ngicr = 0;
	acpi.gic_version = 0;
	acpi.gicc[0].gicr_base = 0x080a0000;
	acpi.gicc[1].gicr_base = 0x080c0000;
	assert_int_equal(virt_describe_acpi(&acpi, 0, &desc, err, sizeof err), 0);
	assert_int_equal(desc.gic_version, 3);
	assert_int_equal(desc.nredist, 2);
	assert_int_equal(desc.redist[1].base, 0x080c0000);
	assert_int_equal(desc.redist[1].size, 0x20000);
	/* a v3 with no redistributor at all */
	acpi.gic_version = 3;
	acpi.gicc[0].gicr_base = acpi.gicc[1].gicr_base = 0;
	assert_int_equal(virt_describe_acpi(&acpi, 0, &desc, err, sizeof err), 0);
	assert_non_null(strstr(desc.intc_why, "no redistributor"));
}

static void test_timer(void **state)
{
	(void)state;
	parse_recorded();
	acpi.gtdt_virt_gsiv = 0;
	assert_int_equal(virt_describe_acpi(&acpi, 0, &desc, err, sizeof err), 0);
	assert_int_equal(desc.timer, VIRT_TIMER_PHYS);
	assert_int_equal(desc.timer_intid, 30);
	assert_string_equal(desc.intc_why, "");
	acpi.gtdt_phys_gsiv = 40;   /* an SPI: not a per-CPU timer */
	assert_int_equal(virt_describe_acpi(&acpi, 0, &desc, err, sizeof err), 0);
	assert_non_null(strstr(desc.intc_why, "neither timer a PPI"));
	acpi.has_gtdt = 0;
	assert_int_equal(virt_describe_acpi(&acpi, 0, &desc, err, sizeof err), 0);
	assert_non_null(strstr(desc.intc_why, "no GTDT"));
}

static void test_console_and_psci(void **state)
{
	(void)state;
	parse_recorded();
	acpi.spcr_type = ACPI_SPCR_16550;
	acpi.arm_boot_arch = ACPI_ARM_PSCI_COMPLIANT;   /* over SMC */
	assert_int_equal(virt_describe_acpi(&acpi, 0, &desc, err, sizeof err), 0);
	assert_int_equal(desc.has_uart, 0);
	assert_true(has_note("interface type 0"));
	assert_int_equal(desc.psci, FDT_PSCI_SMC);
	acpi.has_spcr = 0;
	acpi.arm_boot_arch = 0;
	assert_int_equal(virt_describe_acpi(&acpi, 0, &desc, err, sizeof err), 0);
	assert_true(has_note("no SPCR"));
	assert_true(has_note("PSCI_COMPLIANT"));
	assert_int_equal(desc.psci, FDT_PSCI_NONE);
	assert_int_equal(desc.psci_cpu_on, 0);
	/* without PSCI only the boot CPU counts as enabled */
	assert_int_equal(desc.ncpu, 2);
	assert_int_equal(desc.cpu[0].enabled, 1);
	assert_int_equal(desc.cpu[1].enabled, 0);
}

static void test_cpus(void **state)
{
	(void)state;
	parse_recorded();
	acpi.gicc[1].enabled = 0;
	acpi.gicc[1].online_capable = 1;
	assert_int_equal(virt_describe_acpi(&acpi, 0, &desc, err, sizeof err), 0);
	assert_int_equal(desc.cpu[1].enabled, 0);
	assert_int_equal(desc.cpu[1].online_capable, 1);
	assert_true(has_note("1 CPU not enabled"));
	/* the boot CPU runs whatever its entry says */
	acpi.gicc[0].enabled = 0;
	assert_int_equal(virt_describe_acpi(&acpi, 0, &desc, err, sizeof err), 0);
	assert_int_equal(desc.cpu[0].enabled, 1);
	acpi.ngicc = 0;
	assert_int_equal(virt_describe_acpi(&acpi, 0x100, &desc, err, sizeof err), 0);
	assert_int_equal(desc.ncpu, 1);
	assert_int_equal(desc.cpu[0].hwid, 0x100);
}

static void test_not_a_board(void **state)
{
	(void)state;
	parse_recorded();
	acpi.has_gicd = 0;
	assert_int_equal(virt_describe_acpi(&acpi, 0, &desc, err, sizeof err), 0);
	assert_non_null(strstr(desc.intc_why, "no GIC distributor"));
	acpi.ngicc = 0;
	acpi.has_gtdt = 0;
	assert_int_equal(virt_describe_acpi(&acpi, 0, &desc, err, sizeof err), -1);
	assert_non_null(strstr(err, "describe no GIC and no generic timer"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded_board),
		cmocka_unit_test(test_gicv2),
		cmocka_unit_test(test_per_cpu_redistributors),
		cmocka_unit_test(test_timer),
		cmocka_unit_test(test_console_and_psci),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_not_a_board),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_virt.c - host tests of the aarch64 `virt` machine description's
 * device-tree logic (arch/aarch64/virt_desc.c).
 *
 * Purpose: prove that every blob QEMU 7.2 dumped for its virt board
 * (tests/fixtures/dtb/virt-*.dtb) is described as the board it is: the
 * GIC, the redistributors or CPU interface, the UART, the PSCI conduit
 * and the CPUs as the .expect says (written from QEMU's command line and
 * dtc's decoding, not from this code), the virtual timer's PPI chosen for
 * the tick, and the ECAM window of QEMU's memory map (hw/arm/virt.c,
 * VIRT_HIGH_PCIE_ECAM: 256 MiB at 0x4010000000 for buses 0..255; the
 * default highmem layout of every recorded machine); and that a copy
 * with one piece removed (its compatible string overwritten in place: no
 * GIC, no timer, no UART, no PSCI, not a virt board, a broken bus-range
 * or ECAM reg) is described with that piece absent and a note or error
 * line saying exactly what is lost, never a crash or a guess.
 *
 * Every blob handed over is an exactly-sized heap copy, so the ASan build
 * catches a read past it.  Context: host only, single-threaded.
 */
#define _POSIX_C_SOURCE 200809L  /* setenv */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tests/host/fixture.h"
#include "arch/aarch64/virt_desc.h"

#define GIC3 "virt-gic3-smp4-1G.dtb"
#define GIC2 "virt-gic2-smp4-2G.dtb"
#define QEMU_ECAM_BASE 0x4010000000ull

/* kprintf.c's console sink: nothing here prints through it. */
void console_write(const char *s, size_t n)
{
	(void)s;
	(void)n;
}

static struct fdt_info info;  /* ~12 KiB each: static */
static struct virt_desc desc;

static uint8_t *load(const char *name, size_t *len)
{
	uint8_t *b;

	assert_int_equal(fx_read_file(fx_path(name), &b, len), 0);
	return b;
}

/* Overwrite every occurrence of from (its bytes, NUL included) with to
 * (the same length) in the blob; returns how many. */
static int patch(uint8_t *b, size_t len, const char *from, const char *to)
{
	size_t n = strlen(from) + 1, i;
	int k = 0;

	assert_int_equal(strlen(to) + 1, n);
	for (i = 0; i + n <= len; i++)
		if (memcmp(b + i, from, n) == 0) {
			memcpy(b + i, to, n);
			k++;
		}
	return k;
}

/* Overwrite the first occurrence of the byte string from (n bytes). */
static void patch_bytes(uint8_t *b, size_t len, const void *from, const void *to, size_t n)
{
	size_t i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(b + i, from, n) == 0) {
			memcpy(b + i, to, n);
			return;
		}
	fail_msg("patch target not found");
}

static int describe(const uint8_t *b, size_t len, uint64_t boot, char *err)
{
	struct fdt f;

	err[0] = 0;
	assert_int_equal(fdt_open(&f, b, len, err, FDT_ERR_LEN), 0);
	assert_int_equal(fdt_scan(&f, &info, err, FDT_ERR_LEN), 0);
	return virt_describe(&f, &info, boot, &desc, err, FDT_ERR_LEN);
}

static int has_note(const char *text)
{
	uint32_t i;

	for (i = 0; i < desc.nnote; i++)
		if (strcmp(desc.note[i], text) == 0)
			return 1;
	return 0;
}

static void range_is(const struct fdt_range *r, const char *val)
{
	unsigned long long base, size;

	assert_int_equal(sscanf(val, "%llx %llx", &base, &size), 2);
	assert_true(r->base == base && r->size == size);
}

/* One recorded QEMU blob: the description against its .expect. */
static void test_recorded(void **state)
{
	const char *path = *state;
	struct fx_expect e;
	char err[FDT_ERR_LEN];
	uint8_t *b;
	size_t len, i, ncpu = 0, nred = 0;
	unsigned long long v[4];

	assert_int_equal(fx_read_file(path, &b, &len), 0);
	assert_int_equal(fx_expect_load(path, &e), 0);
	assert_int_equal(describe(b, len, 0, err), 0);
	assert_true(desc.dummy_virt);
	assert_string_equal(desc.intc_why, "");
	if (desc.nnote)
		fail_msg("unexpected note: %s", desc.note[0]);
	assert_int_equal(desc.gic_version, fx_num(fx_expect_get(&e, "gic_version")));
	/* the ITS of a GICv3 board (QEMU's memory map, hw/arm/virt.c
	 * VIRT_GIC_ITS: 0x08080000, 128 KiB; the blobs were recorded with its
	 * default on); a GICv2 board's GICv2m frame is not an ITS */
	if (desc.gic_version == 3)
		assert_true(desc.its.base == 0x08080000 && desc.its.size == 0x20000);
	else
		assert_int_equal(desc.its.size, 0);
	for (i = 0; i < e.n; i++) {
		const char *k = e.key[i], *val = e.val[i];

		if (strcmp(k, "gicd") == 0) {
			range_is(&desc.gicd, val);
		} else if (strcmp(k, "gicc") == 0) {
			range_is(&desc.gicc, val);
		} else if (strcmp(k, "redist") == 0) {
			assert_true(nred < desc.nredist);
			range_is(&desc.redist[nred++], val);
		} else if (strcmp(k, "cpu") == 0) {
			/* "cpu MPIDR psci": every CPU enabled, hwid = Aff fields */
			assert_int_equal(sscanf(val, "%llx", &v[0]), 1);
			assert_true(ncpu < desc.ncpu);
			assert_int_equal(desc.cpu[ncpu].hwid, (uint32_t)((v[0] >> 8 & 0xff000000u) | (v[0] & 0xffffff)));
			assert_true(virt_mpidr(desc.cpu[ncpu].hwid) == v[0]);
			assert_int_equal(desc.cpu[ncpu].enabled, 1);
			assert_int_equal(desc.cpu[ncpu].online_capable, 0);
			ncpu++;
		} else if (strcmp(k, "psci") == 0) {
			assert_int_equal(desc.psci, strncmp(val, "hvc", 3) == 0 ? FDT_PSCI_HVC : FDT_PSCI_SMC);
			assert_true(desc.psci_02);
			assert_int_equal(desc.psci_cpu_on, VIRT_PSCI_CPU_ON);
		} else if (strcmp(k, "uart") == 0) {
			assert_int_equal(sscanf(val, "%llx %llx", &v[0], &v[1]), 2);
			assert_true(desc.has_uart && desc.uart.base == v[0] && desc.uart.size == v[1]);
		} else if (strcmp(k, "timer") == 0) {
			/* secure phys, phys, virt, hyp: the tick takes the virtual one */
			assert_int_equal(sscanf(val, "%llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3]), 4);
			assert_int_equal(desc.timer, VIRT_TIMER_VIRT);
			assert_int_equal(desc.timer_intid, v[2]);
			assert_int_equal(desc.virt_intid, v[2]);
			assert_int_equal(desc.phys_intid, v[1]);
		}
	}
	assert_int_equal(desc.ncpu, ncpu);
	assert_int_equal(desc.ncpu, fx_num(fx_expect_get(&e, "ncpu")));
	assert_int_equal(desc.nredist, nred);
	assert_int_equal(desc.necam, 1);
	assert_true(desc.ecam[0].base == QEMU_ECAM_BASE);
	assert_int_equal(desc.ecam[0].segment, 0);
	assert_int_equal(desc.ecam[0].bus_start, 0);
	assert_int_equal(desc.ecam[0].bus_end, 255);
	/* the host bridge's memory windows, QEMU's memory map (hw/arm/virt.c:
	 * VIRT_PCIE_MMIO 0x10000000 + 0x2eff0000, VIRT_HIGH_PCIE_MMIO at 512
	 * GiB, 512 GiB long, with highmem); the I/O window is not kept */
	assert_int_equal(desc.npciwin, 2);
	assert_true(desc.pciwin[0].cpu == 0x10000000 && desc.pciwin[0].pci == 0x10000000);
	assert_true(desc.pciwin[0].size == 0x2eff0000 && !desc.pciwin[0].mem64);
	assert_true(desc.pciwin[1].cpu == 0x8000000000ull && desc.pciwin[1].pci == 0x8000000000ull);
	assert_true(desc.pciwin[1].size == 0x8000000000ull && desc.pciwin[1].mem64);
	fx_expect_free(&e);
	free(b);
}

/* The boot CPU counts as enabled; the others follow the tree. */
static void test_boot_cpu(void **state)
{
	char err[FDT_ERR_LEN];
	size_t len;
	uint8_t *b = load(GIC3, &len);

	(void)state;
	assert_int_equal(describe(b, len, 0x80000002ull, err), 0);  /* MPIDR bit 31 RES1 */
	assert_int_equal(desc.ncpu, 4);
	assert_int_equal(desc.cpu[2].enabled, 1);
	free(b);
}

static void test_no_gic(void **state)
{
	char err[FDT_ERR_LEN];
	size_t len;
	uint8_t *b = load(GIC3, &len);

	(void)state;
	assert_int_equal(patch(b, len, "arm,gic-v3", "arm,gic-vX"), 1);
	assert_int_equal(describe(b, len, 0, err), 0);
	assert_int_equal(desc.gic_version, 0);
	assert_string_equal(desc.intc_why, "virt: no GIC in the device tree (arm,gic-v3 or "
	                    "arm,cortex-a15-gic): no interrupt controller");
	assert_true(desc.has_uart);
	free(b);
	b = load(GIC2, &len);
	assert_int_equal(patch(b, len, "arm,cortex-a15-gic", "arm,cortex-a15-giX"), 1);
	assert_int_equal(describe(b, len, 0, err), 0);
	assert_int_equal(desc.gic_version, 0);
	assert_true(strstr(desc.intc_why, "no GIC") != NULL);
	free(b);
}

static void test_no_timer(void **state)
{
	char err[FDT_ERR_LEN];
	size_t len;
	uint8_t *b = load(GIC2, &len);

	(void)state;
	assert_int_equal(patch(b, len, "arm,armv8-timer", "arm,armv8-tXmer"), 1);
	assert_int_equal(describe(b, len, 0, err), 0);
	assert_int_equal(desc.gic_version, 2);
	assert_int_equal(desc.timer_intid, 0);
	assert_string_equal(desc.intc_why, "virt: no arm,armv8-timer with a virtual or physical "
	                    "timer PPI: no tick");
	free(b);
}

static void test_no_uart(void **state)
{
	char err[FDT_ERR_LEN];
	size_t len;
	uint8_t *b = load(GIC3, &len);

	(void)state;
	assert_int_equal(patch(b, len, "arm,pl011", "arm,pX011"), 1);
	assert_int_equal(describe(b, len, 0, err), 0);
	assert_false(desc.has_uart);
	assert_true(has_note("virt: no arm,pl011 UART in the device tree: no console"));
	assert_string_equal(desc.intc_why, "");
	free(b);
}

static void test_no_psci(void **state)
{
	char err[FDT_ERR_LEN];
	size_t len, i;
	uint8_t *b = load(GIC3, &len);

	(void)state;
	/* "arm,psci-1.0", "arm,psci-0.2", "arm,psci": every entry */
	assert_int_equal(patch(b, len, "arm,psci-1.0", "arm,pXci-1.0") +
	                 patch(b, len, "arm,psci-0.2", "arm,pXci-0.2") +
	                 patch(b, len, "arm,psci", "arm,pXci"), 3);
	assert_int_equal(describe(b, len, 0, err), 0);
	assert_int_equal(desc.psci, FDT_PSCI_NONE);
	assert_int_equal(desc.psci_cpu_on, 0);
	assert_true(has_note("virt: no PSCI in the device tree: one CPU, no power-off or reset"));
	assert_true(has_note("virt: 3 CPUs with enable-method psci but no PSCI CPU_ON: not started"));
	assert_int_equal(desc.cpu[0].enabled, 1);  /* the boot CPU */
	for (i = 1; i < 4; i++)
		assert_int_equal(desc.cpu[i].enabled, 0);
	free(b);
}

/* Crafted by tools/mkdtb.py: PSCI 0.1 over smc (cpu_on id in the node)
 * and a spin-table CPU. */
static void test_psci01(void **state)
{
	char err[FDT_ERR_LEN];
	size_t len;
	uint8_t *b = load("small-spin-table.dtb", &len);

	(void)state;
	/* booted on MPIDR 1, which the tree does not list: its one CPU (a
	 * spin-table one) cannot be started */
	assert_int_equal(describe(b, len, 1, err), 0);
	assert_int_equal(desc.ncpu, 1);
	assert_int_equal(desc.cpu[0].enabled, 0);
	assert_false(desc.dummy_virt);
	assert_int_equal(desc.psci, FDT_PSCI_SMC);
	assert_false(desc.psci_02);
	assert_true(desc.psci_cpu_on == info.psci_cpu_on && desc.psci_cpu_on != 0);
	assert_true(desc.nnote >= 1);
	assert_true(has_note("virt: PSCI 0.1 (compatible \"arm,psci\" only): no SYSTEM_OFF or "
	                     "SYSTEM_RESET, so no power-off or reset"));
	assert_true(has_note("virt: 1 CPU with an enable-method other than psci (spin-table or none): "
	                     "not started"));
	free(b);
}

static void test_not_virt(void **state)
{
	char err[FDT_ERR_LEN];
	size_t len;
	uint8_t *b = load(GIC3, &len);

	(void)state;
	/* the root's compatible and its model carry the same string */
	assert_int_equal(patch(b, len, "linux,dummy-virt", "linux,dummy-vXrt"), 2);
	/* still a GIC and a timer: described from its pieces */
	assert_int_equal(describe(b, len, 0, err), 0);
	assert_false(desc.dummy_virt);
	assert_int_equal(desc.gic_version, 3);
	assert_int_equal(patch(b, len, "arm,gic-v3", "arm,gic-vX"), 1);
	assert_int_equal(describe(b, len, 0, err), -1);
	assert_string_equal(err, "virt: the device tree is neither compatible \"linux,dummy-virt\" "
	                    "nor has a GIC and an arm,armv8-timer (model \"linux,dummy-vXrt\")");
	free(b);
}

static void test_bad_ecam(void **state)
{
	static const uint8_t range_ok[8] = { 0, 0, 0, 0, 0, 0, 0, 0xff };
	static const uint8_t range_bad[8] = { 0, 0, 0, 0, 0, 0, 1, 0 };   /* 0..256 */
	static const uint8_t reg_ok[16] = { 0, 0, 0, 0x40, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0 };
	static const uint8_t reg_small[16] = { 0, 0, 0, 0x40, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x0f, 0xf0, 0, 0 };
	char err[FDT_ERR_LEN];
	size_t len;
	uint8_t *b = load(GIC3, &len);

	(void)state;
	patch_bytes(b, len, range_ok, range_bad, 8);
	assert_int_equal(describe(b, len, 0, err), 0);
	assert_int_equal(desc.necam, 0);
	assert_true(has_note("virt: pcie@10000000: bus-range 0..256 is not within 0..255: no ECAM window"));
	free(b);
	b = load(GIC3, &len);
	patch_bytes(b, len, reg_ok, reg_small, 16);
	assert_int_equal(describe(b, len, 0, err), 0);
	assert_int_equal(desc.necam, 0);
	assert_true(has_note("virt: pcie@10000000: reg 0x4010000000+0xff00000 is smaller than buses "
	                     "0..255 need: no ECAM window"));
	free(b);
}

int main(void)
{
	static char dir[4096];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_cpu),
		cmocka_unit_test(test_no_gic),
		cmocka_unit_test(test_no_timer),
		cmocka_unit_test(test_no_uart),
		cmocka_unit_test(test_no_psci),
		cmocka_unit_test(test_psci01),
		cmocka_unit_test(test_not_virt),
		cmocka_unit_test(test_bad_ecam),
	};

	snprintf(dir, sizeof dir, "%s/dtb", fx_dir());
	setenv("TALLY_FIXTURES", dir, 1);
	return fx_run_group("virt", tests, sizeof tests / sizeof tests[0], "virt-", ".dtb",
	                    test_recorded, 5);
}

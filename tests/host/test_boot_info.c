/*
 * test_boot_info.c - host tests of boot/boot_info.c, and of the whole path
 * fixture -> front-end parser -> memmap_sanitize().
 *
 * Purpose: the constructors (init, add_mem, set_cmdline), every RSDP rule
 * of set_rsdp, the BIOS-area scan (EBDA first, bad candidates skipped, the
 * last possible slot, a missing EBDA), the UEFI map conversion helper, and
 * on every pvh-/mb2- fixture that parses, that the sanitized map keeps the
 * invariants of memmap.h.
 *
 * Context: host only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/fixture.h"
#include "boot/boot_info_impl.h"
#include "kernel/mem/memmap.h"

static struct boot_info bi;

static void test_init(void **state)
{
	char name[100];

	(void)state;
	memset(&bi, 0xff, sizeof bi);
	boot_info_init(&bi, "uefi");
	assert_int_equal(bi.magic, BOOT_INFO_MAGIC);
	assert_int_equal(bi.version, BOOT_INFO_VERSION);
	assert_string_equal(bi.loader, "uefi");
	assert_int_equal(bi.mmap_count, 0);
	assert_int_equal(bi.rsdp_len, 0);
	assert_int_equal(bi.rsdp_addr, 0);
	assert_int_equal(bi.fb.addr, 0);
	assert_string_equal(bi.cmdline, "");
	memset(name, 'x', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	boot_info_init(&bi, name);
	assert_int_equal(strlen(bi.loader), BOOT_LOADER_MAX - 1);
	boot_info_init(&bi, NULL);
	assert_string_equal(bi.loader, "");
}

static void test_add_mem(void **state)
{
	unsigned i;

	(void)state;
	boot_info_init(&bi, "t");
	assert_int_equal(boot_info_add_mem(&bi, 0x1000, 0, 1), 0);
	assert_int_equal(bi.mmap_count, 0);
	for (i = 0; i < BOOT_MMAP_MAX; i++)
		assert_int_equal(boot_info_add_mem(&bi, i * 0x1000ull, 0x1000,
		                                   1 + i % 6), 0);
	assert_int_equal(boot_info_add_mem(&bi, 1ull << 40, 0x1000, 1), -1);
	assert_int_equal(bi.mmap_count, BOOT_MMAP_MAX);
	assert_int_equal(bi.mmap[BOOT_MMAP_MAX - 1].base,
	                 (BOOT_MMAP_MAX - 1) * 0x1000ull);
	assert_int_equal(bi.mmap[5].type, 6);
}

static void test_cmdline(void **state)
{
	static char big[BOOT_CMDLINE_MAX + 10];

	(void)state;
	boot_info_init(&bi, "t");
	boot_info_set_cmdline(&bi, "serial=com2 -- a", 100);
	assert_string_equal(bi.cmdline, "serial=com2 -- a");
	boot_info_set_cmdline(&bi, "serial=com2 -- a", 6);
	assert_string_equal(bi.cmdline, "serial");
	boot_info_set_cmdline(&bi, NULL, 5);
	assert_string_equal(bi.cmdline, "");
	memset(big, 'q', sizeof big - 1);
	boot_info_set_cmdline(&bi, big, sizeof big);
	assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	boot_info_set_cmdline(&bi, "short", UINT64_MAX);
	assert_string_equal(bi.cmdline, "short");
	/* No stale bytes after the NUL. */
	assert_int_equal(bi.cmdline[6], '\0');
	assert_int_equal(bi.cmdline[BOOT_CMDLINE_MAX - 2], '\0');
}

static void test_set_rsdp(void **state)
{
	uint8_t r[64];

	(void)state;
	boot_info_init(&bi, "t");
	fx_make_rsdp(r, 0, 20, "BOCHS");
	assert_int_equal(boot_info_set_rsdp(&bi, r, 19, 1), -1);
	assert_int_equal(bi.rsdp_len, 0);
	assert_int_equal(boot_info_set_rsdp(&bi, r, 20, 0xf5a40), 0);
	assert_int_equal(bi.rsdp_len, 20);
	assert_int_equal(bi.rsdp_addr, 0xf5a40);
	assert_memory_equal(bi.rsdp, r, 20);
	/* Revision 1 is treated like 0. */
	r[15] = 1;
	r[8]--;
	assert_int_equal(boot_info_set_rsdp(&bi, r, 36, 2), 0);
	assert_int_equal(bi.rsdp_len, 20);
	/* Failures leave the previous RSDP in place. */
	r[8]++;
	assert_int_equal(boot_info_set_rsdp(&bi, r, 20, 3), -1);
	assert_int_equal(bi.rsdp_addr, 2);
	fx_make_rsdp(r, 0, 20, "BOCHS");
	r[7] = 'X';
	assert_int_equal(boot_info_set_rsdp(&bi, r, 20, 3), -1);
	assert_int_equal(boot_info_set_rsdp(&bi, NULL, 20, 3), -1);

	fx_make_rsdp(r, 2, 36, "OVMF");
	assert_int_equal(boot_info_set_rsdp(&bi, r, 35, 4), -1);
	assert_int_equal(boot_info_set_rsdp(&bi, r, 36, 4), 0);
	assert_int_equal(bi.rsdp_len, 36);
	assert_memory_equal(bi.rsdp, r, 36);
	r[35] ^= 0x40;  /* reserved byte: only the extended sum sees it */
	assert_int_equal(boot_info_set_rsdp(&bi, r, 36, 5), -1);
	fx_make_rsdp(r, 2, 48, "OVMF");
	assert_int_equal(boot_info_set_rsdp(&bi, r, 47, 6), -1);
	assert_int_equal(boot_info_set_rsdp(&bi, r, 48, 6), 0);
	assert_int_equal(bi.rsdp_len, 36);
	/* length field below 36 with revision 2 */
	fx_make_rsdp(r, 2, 36, "OVMF");
	fx_put(r + 20, 20, 4);
	r[8] = 0;
	{
		uint8_t s = 0;
		int i;

		for (i = 0; i < 20; i++)
			s = (uint8_t)(s + r[i]);
		r[8] = (uint8_t)-s;
	}
	assert_int_equal(boot_info_set_rsdp(&bi, r, 36, 7), -1);
	assert_int_equal(bi.rsdp_addr, 6);
}

/* 1 MiB of fake low memory as one region. */
static uint8_t *lowmem(struct fx_mem *m, uint16_t ebda_seg)
{
	uint8_t *mem;

	fx_mem_init(m, 0, 0);
	mem = fx_mem_add(m, 0, NULL, 0x100000);
	assert_non_null(mem);
	fx_put(mem + 0x40e, ebda_seg, 2);
	return mem;
}

static void test_scan(void **state)
{
	struct fx_mem m;
	uint8_t *mem;

	(void)state;
	/* Nothing anywhere. */
	mem = lowmem(&m, 0x9fc0);
	boot_info_init(&bi, "t");
	assert_int_equal(boot_info_scan_rsdp(&bi, fx_phys, &m), -1);
	assert_int_equal(bi.rsdp_len, 0);
	/* A bad-checksum decoy, a misaligned copy, then the real one. */
	fx_make_rsdp(mem + 0xe0010, 0, 20, "DECOY");
	mem[0xe0010 + 8] ^= 1;
	fx_make_rsdp(mem + 0xe0028, 0, 20, "MISAL");
	fx_make_rsdp(mem + 0xf5a40, 0, 20, "BOCHS");
	assert_int_equal(boot_info_scan_rsdp(&bi, fx_phys, &m), 0);
	assert_int_equal(bi.rsdp_addr, 0xf5a40);
	assert_memory_equal(bi.rsdp + 9, "BOCHS", 5);
	/* One in the EBDA's first KiB is preferred. */
	fx_make_rsdp(mem + 0x9fc00 + 0x3f0, 2, 36, "EBDA");
	assert_int_equal(boot_info_scan_rsdp(&bi, fx_phys, &m), 0);
	assert_int_equal(bi.rsdp_addr, 0x9fff0);
	assert_int_equal(bi.rsdp_len, 36);
	/* Beyond the first KiB of the EBDA it is not looked at. */
	fx_mem_free(&m);
	mem = lowmem(&m, 0x9000);
	fx_make_rsdp(mem + 0x90400, 0, 20, "FAR");
	fx_make_rsdp(mem + 0xfffe0, 0, 20, "LAST");  /* last slot it fits */
	assert_int_equal(boot_info_scan_rsdp(&bi, fx_phys, &m), 0);
	assert_int_equal(bi.rsdp_addr, 0xfffe0);
	fx_mem_free(&m);
	/* EBDA segment 0: only the BIOS area is scanned (the IVT at 0 holds
	 * a copy that must not be found). */
	mem = lowmem(&m, 0);
	fx_make_rsdp(mem + 0x0, 0, 20, "IVT");
	boot_info_init(&bi, "t");
	assert_int_equal(boot_info_scan_rsdp(&bi, fx_phys, &m), -1);
	fx_mem_free(&m);
	/* Nothing readable at all. */
	fx_mem_init(&m, 0, 0);
	assert_int_equal(boot_info_scan_rsdp(&bi, fx_phys, &m), -1);
	fx_mem_free(&m);
}

static void test_efi_mmap(void **state)
{
	uint8_t map[4 * 56] = { 0 };
	unsigned i;
	static const uint32_t types[4] = { 7, 7, 3, 7 };
	static const uint64_t base[4] = { 0x0, 0x2000, 0x3000, 0x5000 };

	(void)state;
	for (i = 0; i < 4; i++) {
		fx_put(map + i * 56, types[i], 4);
		fx_put(map + i * 56 + 8, base[i], 8);
		fx_put(map + i * 56 + 24, 2, 8);
	}
	boot_info_init(&bi, "t");
	assert_int_equal(boot_info_add_efi_mmap(&bi, map, sizeof map, 56), 0);
	/* [0,0x2000) and [0x2000,0x4000) usable merge; [0x3000,0x5000)
	 * boot and [0x5000,0x7000) usable follow a different type. */
	assert_int_equal(bi.mmap_count, 3);
	assert_int_equal(bi.mmap[0].base, 0);
	assert_int_equal(bi.mmap[0].len, 0x4000);
	assert_int_equal(bi.mmap[1].type, BOOT_MEM_BOOT_RECLAIM);
	assert_int_equal(bi.mmap[2].base, 0x5000);
	/* Descriptor size below 40 is refused, partial tail ignored. */
	boot_info_init(&bi, "t");
	assert_int_equal(boot_info_add_efi_mmap(&bi, map, sizeof map, 32), 0);
	assert_int_equal(bi.mmap_count, 0);
	assert_int_equal(boot_info_add_efi_mmap(&bi, map, 56 + 55, 56), 0);
	assert_int_equal(bi.mmap_count, 1);
	/* A full map reports what it dropped. */
	boot_info_init(&bi, "t");
	for (i = 0; i < BOOT_MMAP_MAX - 1; i++)
		boot_info_add_mem(&bi, 1ull << 32, 1, 2);
	assert_int_equal(boot_info_add_efi_mmap(&bi, map, sizeof map, 56), 2);
	assert_int_equal(bi.mmap_count, BOOT_MMAP_MAX);
}

static void test_e820_types(void **state)
{
	(void)state;
	assert_int_equal(boot_e820_type(1), BOOT_MEM_USABLE);
	assert_int_equal(boot_e820_type(2), BOOT_MEM_RESERVED);
	assert_int_equal(boot_e820_type(3), BOOT_MEM_ACPI_RECLAIM);
	assert_int_equal(boot_e820_type(4), BOOT_MEM_ACPI_NVS);
	assert_int_equal(boot_e820_type(5), BOOT_MEM_BAD);
	assert_int_equal(boot_e820_type(0), BOOT_MEM_RESERVED);
	assert_int_equal(boot_e820_type(12), BOOT_MEM_RESERVED);
}

/* Every fixture that parses gives a map that sanitizes cleanly. */
static void test_fixture_sanitized(void **state)
{
	const char *path = *state;
	const char *name = strrchr(path, '/') + 1;
	struct fx_mem m;
	char err[256];
	int rc, overflow;
	size_t n, i;

	assert_int_equal(fx_mem_load(path, &m), 0);
	if (strncmp(name, "pvh-", 4) == 0)
		rc = pvh_parse(&bi, m.arg, fx_phys, &m, err, sizeof err);
	else if (strncmp(name, "mb2-", 4) == 0)
		rc = mb2_parse(&bi, m.arg, fx_phys, &m, err, sizeof err);
	else
		rc = -1;
	if (rc == 0) {
		n = memmap_sanitize(bi.mmap, bi.mmap_count, BOOT_MMAP_MAX,
		                    &overflow);
		assert_int_equal(overflow, 0);
		assert_true(n > 0);
		for (i = 0; i < n; i++) {
			assert_true(bi.mmap[i].len > 0);
			if (i + 1 < n)
				assert_true(bi.mmap[i].base + bi.mmap[i].len <=
				            bi.mmap[i + 1].base);
			if (bi.mmap[i].type == BOOT_MEM_USABLE)
				assert_int_equal((bi.mmap[i].base |
				                  bi.mmap[i].len) & 0xfff, 0);
		}
		assert_true(memmap_total(bi.mmap, n, BOOT_MEM_USABLE) > 0);
	}
	fx_mem_free(&m);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_add_mem),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_set_rsdp),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_efi_mmap),
		cmocka_unit_test(test_e820_types),
	};

	return fx_run_group("boot_info", tests, sizeof tests / sizeof tests[0],
	                    "pvh-|mb2-", ".bin", test_fixture_sanitized,
	                    8);
}

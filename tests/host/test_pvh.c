/*
 * test_pvh.c - host tests of pvh_parse() (boot/pvh.c).
 *
 * Purpose: the fixture files tests/fixtures/pvh-*.bin (checked against
 * their .expect), plus in-memory start_info layouts for the boundaries the
 * fixtures do not reach: partially readable structures, long and unreadable
 * command lines, invalid RSDPs (ignored), extended RSDP lengths, more
 * memory-map entries than boot_info holds.
 *
 * Context: host only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/fixture.h"

#define SI_PA   0x6000u
#define MAP_PA  0x7000u
#define CMD_PA  0x20000u
#define RSDP_PA 0xf5a40u

/* A start_info of `silen` readable bytes with n RAM entries at MAP_PA. */
static void mk_pvh(struct fx_mem *m, uint32_t version, uint64_t silen,
                   uint32_t n, uint64_t cmd_pa, uint64_t rsdp_pa)
{
	uint8_t si[56] = { 0 }, *map;
	uint32_t i;

	fx_mem_init(m, FX_KIND_PVH, SI_PA);
	fx_put(si, PVH_START_MAGIC, 4);
	fx_put(si + 4, version, 4);
	fx_put(si + 24, cmd_pa, 8);
	fx_put(si + 32, rsdp_pa, 8);
	fx_put(si + 40, MAP_PA, 8);
	fx_put(si + 48, n, 4);
	assert_non_null(fx_mem_add(m, SI_PA, si, silen));
	if (n == 0)
		return;
	map = fx_mem_add(m, MAP_PA, NULL, (uint64_t)n * 24);
	assert_non_null(map);
	for (i = 0; i < n; i++) {
		fx_put(map + i * 24, 0x100000ull + i * 0x2000ull, 8);
		fx_put(map + i * 24 + 8, 0x1000, 8);
		fx_put(map + i * 24 + 16, 1, 4);
	}
}

static int parse(struct fx_mem *m, struct boot_info *bi, char *err)
{
	return pvh_parse(bi, m->arg, fx_phys, m, err, 256);
}

static void expect_fail(struct fx_mem *m, const char *what)
{
	static struct boot_info bi;
	char err[256];

	assert_int_equal(parse(m, &bi, err), -1);
	if (strstr(err, what) == NULL || strncmp(err, "pvh: ", 5) != 0)
		fail_msg("error \"%s\" lacks \"%s\"", err, what);
}

static void test_minimal(void **state)
{
	static struct boot_info bi;
	struct fx_mem m;
	char err[256];

	(void)state;
	mk_pvh(&m, 1, 56, 3, 0, 0);
	assert_int_equal(parse(&m, &bi, err), 0);
	assert_string_equal(err, "");
	assert_string_equal(bi.loader, "pvh");
	assert_string_equal(bi.cmdline, "");
	assert_int_equal(bi.rsdp_len, 0);
	assert_int_equal(bi.mmap_count, 3);
	assert_int_equal(bi.mmap[2].base, 0x104000);
	assert_int_equal(bi.mmap[2].len, 0x1000);
	assert_int_equal(bi.mmap[2].type, BOOT_MEM_USABLE);
	fx_mem_free(&m);
}

static void test_unreadable(void **state)
{
	struct fx_mem m;

	(void)state;
	fx_mem_init(&m, FX_KIND_PVH, SI_PA);
	expect_fail(&m, "hvm_start_info at 0x6000 unreadable");
	fx_mem_free(&m);
	mk_pvh(&m, 1, 40, 3, 0, 0);  /* version 1 but only 40 bytes */
	expect_fail(&m, "unreadable (56 bytes)");
	fx_mem_free(&m);
	mk_pvh(&m, 0, 40, 0, 0, 0);  /* version 0 needs only 40 */
	expect_fail(&m, "version 0");
	fx_mem_free(&m);
}

static void test_memmap_bounds(void **state)
{
	static struct boot_info bi;
	struct fx_mem m;
	char err[256];

	(void)state;
	mk_pvh(&m, 1, 56, 0, 0, 0);
	expect_fail(&m, "memory map is empty");
	fx_mem_free(&m);
	mk_pvh(&m, 1, 56, 3, 0, 0);
	fx_put(m.reg[0].data + 48, 4097, 4);
	expect_fail(&m, "has 4097 entries");
	fx_put(m.reg[0].data + 48, 4, 4);  /* one more than recorded */
	expect_fail(&m, "memory map at 0x7000 (4 entries) unreadable");
	fx_mem_free(&m);
	/* More entries than boot_info holds: the first 256 are kept. */
	mk_pvh(&m, 1, 56, BOOT_MMAP_MAX + 10, 0, 0);
	assert_int_equal(parse(&m, &bi, err), 0);
	assert_int_equal(bi.mmap_count, BOOT_MMAP_MAX);
	assert_int_equal(bi.mmap[BOOT_MMAP_MAX - 1].base,
	                 0x100000 + (BOOT_MMAP_MAX - 1) * 0x2000);
	fx_mem_free(&m);
	/* A later version with a bigger structure is read as version 1. */
	mk_pvh(&m, 2, 56, 2, 0, 0);
	assert_int_equal(parse(&m, &bi, err), 0);
	assert_int_equal(bi.mmap_count, 2);
	fx_mem_free(&m);
}

static void test_cmdline(void **state)
{
	static struct boot_info bi;
	static char big[3000];
	struct fx_mem m;
	char err[256];

	(void)state;
	/* NUL is the last readable byte. */
	mk_pvh(&m, 1, 56, 1, CMD_PA, 0);
	fx_mem_add(&m, CMD_PA, "test=all -- x", 14);
	assert_int_equal(parse(&m, &bi, err), 0);
	assert_string_equal(bi.cmdline, "test=all -- x");
	fx_mem_free(&m);
	/* No NUL before the region ends: an error, not a silent cut. */
	mk_pvh(&m, 1, 56, 1, CMD_PA, 0);
	fx_mem_add(&m, CMD_PA, "test=all", 8);
	expect_fail(&m, "command line at 0x20000 unreadable");
	fx_mem_free(&m);
	/* Longer than BOOT_CMDLINE_MAX - 1: truncated. */
	memset(big, 'a', sizeof big - 1);
	mk_pvh(&m, 1, 56, 1, CMD_PA, 0);
	fx_mem_add(&m, CMD_PA, big, sizeof big);
	assert_int_equal(parse(&m, &bi, err), 0);
	assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	fx_mem_free(&m);
}

static void test_rsdp(void **state)
{
	static struct boot_info bi;
	uint8_t r[64];
	struct fx_mem m;
	char err[256];

	(void)state;
	/* Extended length 40 > 36: checksum over 40, 36 kept. */
	mk_pvh(&m, 1, 56, 1, 0, RSDP_PA);
	fx_mem_add(&m, RSDP_PA, r, fx_make_rsdp(r, 2, 40, "TALLY"));
	assert_int_equal(parse(&m, &bi, err), 0);
	assert_int_equal(bi.rsdp_len, 36);
	assert_int_equal(bi.rsdp_addr, RSDP_PA);
	assert_memory_equal(bi.rsdp, r, 36);
	/* Break the extended checksum (byte 38 is only in that sum). */
	m.reg[2].data[38] ^= 1;  /* regions: start_info, map, RSDP */
	assert_int_equal(parse(&m, &bi, err), 0);
	assert_int_equal(bi.rsdp_len, 0);
	assert_int_equal(bi.rsdp_addr, 0);
	fx_mem_free(&m);
	/* Only 20 bytes readable but revision 2: ignored, not fatal. */
	mk_pvh(&m, 1, 56, 1, 0, RSDP_PA);
	fx_make_rsdp(r, 2, 36, "TALLY");
	fx_mem_add(&m, RSDP_PA, r, 20);
	assert_int_equal(parse(&m, &bi, err), 0);
	assert_int_equal(bi.rsdp_len, 0);
	fx_mem_free(&m);
	/* Pointer to garbage: ignored, and no scan happens. */
	mk_pvh(&m, 1, 56, 1, 0, RSDP_PA);
	fx_mem_add(&m, RSDP_PA, "RSD PTX garbage.....", 20);
	fx_make_rsdp(r, 0, 20, "BOCHS");
	fx_mem_add(&m, 0xe0000, r, 20);
	assert_int_equal(parse(&m, &bi, err), 0);
	assert_int_equal(bi.rsdp_len, 0);
	fx_mem_free(&m);
}

static void test_null_err(void **state)
{
	static struct boot_info bi;
	struct fx_mem m;

	(void)state;
	fx_mem_init(&m, FX_KIND_PVH, SI_PA);
	assert_int_equal(pvh_parse(&bi, SI_PA, fx_phys, &m, NULL, 0), -1);
	fx_mem_free(&m);
}

static void test_fixture(void **state)
{
	static struct boot_info bi;
	struct fx_expect e;
	struct fx_mem m;
	char err[256];
	int rc;

	assert_int_equal(fx_mem_load(*state, &m), 0);
	assert_int_equal(m.kind, FX_KIND_PVH);
	assert_int_equal(fx_expect_load(*state, &e), 0);
	memset(&bi, 0xa5, sizeof bi);
	rc = pvh_parse(&bi, m.arg, fx_phys, &m, err, sizeof err);
	fx_check_boot_info(&e, rc, err, &bi);
	fx_expect_free(&e);
	fx_mem_free(&m);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_memmap_bounds),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_rsdp),
		cmocka_unit_test(test_null_err),
	};

	return fx_run_group("pvh", tests, sizeof tests / sizeof tests[0],
	                    "pvh-", ".bin", test_fixture, 4);
}

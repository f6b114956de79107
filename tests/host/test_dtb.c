/*
 * test_dtb.c - host tests of dtb_parse() (boot/dtb.c): a device tree to
 * boot_info.
 *
 * Purpose: the trees QEMU 7.2 recorded (tests/fixtures/dtb/virt-*.dtb,
 * README.md there gives each one's command line) placed at a physical
 * address in a fake memory, and the truth taken from those command lines,
 * not from the parser: -m 512M, 1024M, 5120M is one RAM range at virt's
 * 0x40000000 of that size; -append's words are /chosen bootargs (only the
 * smp4-1G recording has them); the blob itself is reserved at its own
 * address for its header's totalsize.  Bad input: no blob, a bad magic, a
 * header readable but the rest not, a structure the fdt parser refuses;
 * each a one-line "dtb: " error.
 *
 * Context: host only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/fixture.h"

#define DTB_PA 0x48000000ull
#define RAM    0x40000000ull

static struct boot_info bi;

/* kprintf.c's console sink: nothing here prints through it. */
void console_write(const char *s, size_t n)
{
	(void)s;
	(void)n;
}

/* The recorded blob at DTB_PA (only its first keep bytes if keep > 0);
 * returns the fake memory's copy, for patching. */
static uint8_t *load(struct fx_mem *m, const char *name, uint64_t keep)
{
	uint8_t *b, *copy;
	size_t len;

	assert_int_equal(fx_read_file(fx_path(name), &b, &len), 0);
	fx_mem_init(m, 0, DTB_PA);
	copy = fx_mem_add(m, DTB_PA, b, keep && keep < len ? keep : len);
	assert_non_null(copy);
	free(b);
	return copy;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void check_good(const char *name, uint64_t ram, const char *cmdline)
{
	struct fx_mem m;
	char err[256] = "";
	uint8_t *b;
	size_t len;

	assert_int_equal(fx_read_file(fx_path(name), &b, &len), 0);
	uint32_t total = be32(b + 4);
	free(b);
	load(&m, name, 0);
	memset(&bi, 0xa5, sizeof bi);
	if (dtb_parse(&bi, DTB_PA, fx_phys, &m, err, sizeof err) != 0)
		fail_msg("%s: %s", name, err);
	assert_string_equal(bi.loader, "dtb");
	assert_int_equal(bi.magic, BOOT_INFO_MAGIC);
	assert_int_equal(bi.dtb_addr, DTB_PA);
	assert_int_equal(bi.dtb_len, total);
	assert_int_equal(bi.rsdp_len, 0);
	assert_int_equal(bi.mmap_count, 2);
	assert_int_equal(bi.mmap[0].base, RAM);
	assert_int_equal(bi.mmap[0].len, ram);
	assert_int_equal(bi.mmap[0].type, BOOT_MEM_USABLE);
	assert_int_equal(bi.mmap[1].base, DTB_PA);
	assert_int_equal(bi.mmap[1].len, total);
	assert_int_equal(bi.mmap[1].type, BOOT_MEM_RESERVED);
	assert_string_equal(bi.cmdline, cmdline);
	fx_mem_free(&m);
}

static void test_recorded(void **state)
{
	(void)state;
	check_good("dtb/virt-gic3-smp1-512M.dtb", 512ull << 20, "");
	check_good("dtb/virt-gic3-smp4-1G.dtb", 1024ull << 20, "console=ttyAMA0 test=all -- a b");
	check_good("dtb/virt-gic2-smp1-256M.dtb", 256ull << 20, "");
	check_good("dtb/virt-gic3-el2-smp2-5G.dtb", 5120ull << 20, "");
}

static void expect_fail(struct fx_mem *m, const char *what)
{
	char err[256] = "";

	assert_int_equal(dtb_parse(&bi, DTB_PA, fx_phys, m, err, sizeof err), -1);
	if (strncmp(err, "dtb: ", 5) != 0 || strstr(err, what) == NULL || strchr(err, '\n'))
		fail_msg("error \"%s\" lacks \"%s\"", err, what);
}

static void test_bad(void **state)
{
	struct fx_mem m;
	uint8_t *p;

	(void)state;
	fx_mem_init(&m, 0, DTB_PA);                  /* nothing there */
	expect_fail(&m, "header at 0x48000000 is not readable");
	fx_mem_free(&m);

	p = load(&m, "dtb/virt-gic3-smp1-512M.dtb", 0);  /* a bad magic */
	p[0] ^= 0xff;
	expect_fail(&m, "no device tree at 0x48000000");
	fx_mem_free(&m);

	load(&m, "dtb/virt-gic3-smp1-512M.dtb", 64);  /* the header only */
	expect_fail(&m, "are not readable");
	fx_mem_free(&m);

	load(&m, "dtb/bad-no-end.dtb", 0);           /* the fdt parser's refusal */
	expect_fail(&m, "fdt");
	fx_mem_free(&m);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests_name("dtb", tests, NULL, NULL);
}

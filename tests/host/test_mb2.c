/*
 * test_mb2.c - host tests of mb2_parse() (boot/mb2.c).
 *
 * Purpose: the fixture files tests/fixtures/mb2-*.bin with their .expect
 * (GRUB-style structures, valid and broken), plus structures built here for
 * each rule of mb2.c's policy: alignment, total_size bounds, tag header
 * checks, minimum tag sizes, memory-map precedence (6 > 17 > 4), RSDP
 * precedence, loader-name truncation, framebuffer types, a mutation fuzz.
 *
 * Context: host only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/fixture.h"
#include "boot/boot_info_impl.h"

#define MBI_PA 0x10000u

struct mbi {
	uint8_t b[8192];
	uint32_t len;
};

static void mbi_start(struct mbi *m)
{
	memset(m, 0, sizeof *m);
	m->len = 8;
}

/* Append a tag; returns its offset. */
static uint32_t mbi_tag(struct mbi *m, uint32_t type, const void *pay,
                        uint32_t n)
{
	uint32_t off = m->len;

	fx_put(m->b + off, type, 4);
	fx_put(m->b + off + 4, 8 + n, 4);
	if (n > 0)
		memcpy(m->b + off + 8, pay, n);
	m->len = (off + 8 + n + 7) & ~7u;
	return off;
}

static void mbi_end(struct mbi *m)
{
	mbi_tag(m, 0, NULL, 0);
	fx_put(m->b, m->len, 4);
}

static uint32_t mbi_mmap(struct mbi *m, uint32_t esz, uint32_t n)
{
	uint8_t pay[8 + 32 * 16] = { 0 };
	uint32_t i;

	fx_put(pay, esz, 4);
	for (i = 0; i < n; i++) {
		uint8_t *e = pay + 8 + i * esz;

		fx_put(e, 0x100000ull * (i + 1), 8);
		fx_put(e + 8, 0x80000, 8);
		fx_put(e + 16, i + 1, 4);  /* types 1..n */
	}
	return mbi_tag(m, 6, pay, 8 + n * esz);
}

static int run(const struct mbi *m, uint64_t pa, struct boot_info *bi,
               char *err)
{
	struct fx_mem fm;
	int rc;

	fx_mem_init(&fm, FX_KIND_MB2, pa);
	fx_mem_add(&fm, pa, m->b, m->len);
	rc = mb2_parse(bi, pa, fx_phys, &fm, err, 256);
	fx_mem_free(&fm);
	return rc;
}

static void expect_fail(const struct mbi *m, const char *what)
{
	static struct boot_info bi;
	char err[256];

	assert_int_equal(run(m, MBI_PA, &bi, err), -1);
	if (strstr(err, what) == NULL || strncmp(err, "mb2: ", 5) != 0)
		fail_msg("error \"%s\" lacks \"%s\"", err, what);
}

static void test_minimal(void **state)
{
	static struct boot_info bi;
	struct mbi m;
	char err[256];

	(void)state;
	mbi_start(&m);
	mbi_mmap(&m, 24, 6);
	mbi_tag(&m, 1, "a=b", 4);
	mbi_end(&m);
	assert_int_equal(run(&m, MBI_PA, &bi, err), 0);
	assert_string_equal(bi.loader, "multiboot2");
	assert_string_equal(bi.cmdline, "a=b");
	assert_int_equal(bi.mmap_count, 6);
	/* E820 types 1..5 map one to one, 6 (unknown) is reserved. */
	assert_int_equal(bi.mmap[0].type, BOOT_MEM_USABLE);
	assert_int_equal(bi.mmap[2].type, BOOT_MEM_ACPI_RECLAIM);
	assert_int_equal(bi.mmap[3].type, BOOT_MEM_ACPI_NVS);
	assert_int_equal(bi.mmap[4].type, BOOT_MEM_BAD);
	assert_int_equal(bi.mmap[5].type, BOOT_MEM_RESERVED);
	assert_int_equal(bi.mmap[5].base, 0x600000);
	assert_int_equal(bi.fb.addr, 0);
}

static void test_structure_bounds(void **state)
{
	static struct boot_info bi;
	struct mbi m;
	char err[256];

	(void)state;
	mbi_start(&m);
	mbi_mmap(&m, 24, 1);
	mbi_end(&m);
	assert_int_equal(run(&m, MBI_PA + 4, &bi, err), -1);
	assert_non_null(strstr(err, "0x10004 is not 8-byte aligned"));
	fx_put(m.b, 8, 4);
	expect_fail(&m, "total_size 8 too small");
	fx_put(m.b, (1u << 20) + 8, 4);
	expect_fail(&m, "total_size 1048584 larger than 1 MiB");
	fx_put(m.b, m.len + 8, 4);  /* claims more than is readable */
	expect_fail(&m, "(total_size 64) unreadable");
	fx_put(m.b, m.len, 4);
	assert_int_equal(run(&m, MBI_PA, &bi, err), 0);
}

static void test_tag_headers(void **state)
{
	struct mbi m;
	uint32_t off;

	(void)state;
	mbi_start(&m);
	off = mbi_tag(&m, 1, "x", 2);
	fx_put(m.b + off + 4, 7, 4);
	mbi_end(&m);
	expect_fail(&m, "tag type 1 at offset 8: size 7 smaller than");

	mbi_start(&m);
	mbi_mmap(&m, 24, 1);
	mbi_tag(&m, 1, "x", 2);
	mbi_end(&m);
	fx_put(m.b, m.len - 4, 4);  /* end tag cut in half */
	m.len -= 4;
	expect_fail(&m, "tag header at offset 64 runs past total_size 68");

	mbi_start(&m);
	off = mbi_tag(&m, 99, "unknown", 8);
	mbi_end(&m);
	fx_put(m.b + off + 4, 8 + 8 + 9, 4);  /* into the end tag and past */
	expect_fail(&m, "tag type 99 at offset 8: size 25 runs past "
	            "total_size 32");
}

static void test_tag_sizes(void **state)
{
	struct mbi m;
	uint32_t off;
	uint8_t pay[64] = { 0 };

	(void)state;
	mbi_start(&m);
	mbi_tag(&m, 6, pay, 4);
	mbi_end(&m);
	expect_fail(&m, "tag type 6 at offset 8: size 12 too small (need 16)");

	mbi_start(&m);
	mbi_mmap(&m, 20, 1);
	mbi_end(&m);
	expect_fail(&m, "entry_size 20 invalid");

	mbi_start(&m);
	mbi_tag(&m, 4, pay, 4);
	mbi_end(&m);
	expect_fail(&m, "tag type 4 at offset 8: size 12 too small");

	mbi_start(&m);
	mbi_mmap(&m, 24, 1);
	mbi_tag(&m, 8, pay, 20);
	mbi_end(&m);
	expect_fail(&m, "tag type 8 at offset 48: size 28 too small (need 32)");

	/* RGB type needs the colour info, indexed does not. */
	pay[21] = 1;
	mbi_start(&m);
	mbi_mmap(&m, 24, 1);
	mbi_tag(&m, 8, pay, 24);
	mbi_end(&m);
	expect_fail(&m, "size 32 too small (need 38)");

	mbi_start(&m);
	fx_put(pay, 36, 4);
	off = mbi_tag(&m, 17, pay, 8 + 36);
	(void)off;
	mbi_end(&m);
	expect_fail(&m, "descriptor_size 36 invalid");

	mbi_start(&m);
	fx_put(pay, 48, 4);
	mbi_tag(&m, 17, pay, 8 + 40);
	mbi_end(&m);
	expect_fail(&m, "size 56 minus 16 is not a multiple of "
	            "descriptor_size 48");
}

static void test_framebuffer(void **state)
{
	static struct boot_info bi;
	struct mbi m;
	char err[256];
	uint8_t pay[32] = { 0 };

	(void)state;
	fx_put(pay, 0xe0000000ull, 8);
	fx_put(pay + 8, 3200, 4);
	fx_put(pay + 12, 800, 4);
	fx_put(pay + 16, 600, 4);
	pay[20] = 32;
	pay[21] = 0;  /* indexed colour: not recorded */
	mbi_start(&m);
	mbi_mmap(&m, 24, 1);
	mbi_tag(&m, 8, pay, 30);
	mbi_end(&m);
	assert_int_equal(run(&m, MBI_PA, &bi, err), 0);
	assert_int_equal(bi.fb.addr, 0);
	pay[21] = 1;
	memcpy(pay + 24, "\x10\x08\x08\x08\x00\x08", 6);
	mbi_start(&m);
	mbi_mmap(&m, 24, 1);
	mbi_tag(&m, 8, pay, 30);
	mbi_end(&m);
	assert_int_equal(run(&m, MBI_PA, &bi, err), 0);
	assert_int_equal(bi.fb.addr, 0xe0000000);
	assert_int_equal(bi.fb.pitch, 3200);
	assert_int_equal(bi.fb.width, 800);
	assert_int_equal(bi.fb.height, 600);
	assert_int_equal(bi.fb.bpp, 32);
	assert_int_equal(bi.fb.red_pos, 16);
	assert_int_equal(bi.fb.blue_size, 8);
}

static void test_mmap_precedence(void **state)
{
	static struct boot_info bi;
	struct mbi m;
	char err[256];
	uint8_t meminfo[8], efi[8 + 3 * 48] = { 0 };

	(void)state;
	fx_put(meminfo, 639, 4);
	fx_put(meminfo + 4, 64512, 4);
	fx_put(efi, 48, 4);
	fx_put(efi + 8 + 0, 7, 4);          /* conventional */
	fx_put(efi + 8 + 8, 0x1000, 8);
	fx_put(efi + 8 + 24, 2, 8);
	fx_put(efi + 56 + 0, 7, 4);         /* continues it: merged */
	fx_put(efi + 56 + 8, 0x3000, 8);
	fx_put(efi + 56 + 24, 1, 8);
	fx_put(efi + 104 + 0, 7, 4);        /* page count overflows: skip */
	fx_put(efi + 104 + 8, 0x10000, 8);
	fx_put(efi + 104 + 24, 1ull << 60, 8);

	mbi_start(&m);
	mbi_tag(&m, 4, meminfo, 8);
	mbi_end(&m);
	assert_int_equal(run(&m, MBI_PA, &bi, err), 0);
	assert_int_equal(bi.mmap_count, 2);
	assert_int_equal(bi.mmap[0].len, 639 * 1024);
	assert_int_equal(bi.mmap[1].base, 0x100000);
	assert_int_equal(bi.mmap[1].len, 64512ull * 1024);

	mbi_start(&m);
	mbi_tag(&m, 4, meminfo, 8);
	mbi_tag(&m, 17, efi, sizeof efi);
	mbi_end(&m);
	assert_int_equal(run(&m, MBI_PA, &bi, err), 0);
	assert_int_equal(bi.mmap_count, 1);
	assert_int_equal(bi.mmap[0].base, 0x1000);
	assert_int_equal(bi.mmap[0].len, 0x3000);
	assert_int_equal(bi.mmap[0].type, BOOT_MEM_USABLE);

	mbi_start(&m);
	mbi_tag(&m, 17, efi, sizeof efi);
	mbi_mmap(&m, 24, 2);
	mbi_tag(&m, 4, meminfo, 8);
	mbi_mmap(&m, 24, 5);  /* a second type-6 tag is ignored */
	mbi_end(&m);
	assert_int_equal(run(&m, MBI_PA, &bi, err), 0);
	assert_int_equal(bi.mmap_count, 2);
	assert_int_equal(bi.mmap[1].type, BOOT_MEM_RESERVED);
}

static void test_efi_types(void **state)
{
	static const uint32_t want[16] = {
		BOOT_MEM_RESERVED, BOOT_MEM_BOOT_RECLAIM, BOOT_MEM_BOOT_RECLAIM,
		BOOT_MEM_BOOT_RECLAIM, BOOT_MEM_BOOT_RECLAIM, BOOT_MEM_RESERVED,
		BOOT_MEM_RESERVED, BOOT_MEM_USABLE, BOOT_MEM_BAD,
		BOOT_MEM_ACPI_RECLAIM, BOOT_MEM_ACPI_NVS, BOOT_MEM_RESERVED,
		BOOT_MEM_RESERVED, BOOT_MEM_RESERVED, BOOT_MEM_RESERVED,
		BOOT_MEM_RESERVED,
	};
	uint32_t t;

	(void)state;
	for (t = 0; t < 16; t++)
		assert_int_equal(boot_efi_type(t), want[t]);
	assert_int_equal(boot_efi_type(0x80000000u), BOOT_MEM_RESERVED);
}

static void test_rsdp_precedence(void **state)
{
	static struct boot_info bi;
	struct mbi m;
	char err[256];
	uint8_t r1[20], r2[36];

	(void)state;
	fx_make_rsdp(r1, 0, 20, "OLD");
	fx_make_rsdp(r2, 2, 36, "NEW");
	/* New before old, and old before new: new wins both times. */
	mbi_start(&m);
	mbi_mmap(&m, 24, 1);
	mbi_tag(&m, 15, r2, 36);
	mbi_tag(&m, 14, r1, 20);
	mbi_end(&m);
	assert_int_equal(run(&m, MBI_PA, &bi, err), 0);
	assert_int_equal(bi.rsdp_len, 36);
	assert_memory_equal(bi.rsdp + 9, "NEW", 3);
	mbi_start(&m);
	mbi_mmap(&m, 24, 1);
	mbi_tag(&m, 14, r1, 20);
	mbi_tag(&m, 15, r2, 36);
	mbi_end(&m);
	assert_int_equal(run(&m, MBI_PA, &bi, err), 0);
	assert_int_equal(bi.rsdp_len, 36);
	assert_int_equal(bi.rsdp_addr, 0);
	/* A corrupt new copy falls back to the old one. */
	r2[20] ^= 0xff;
	mbi_start(&m);
	mbi_mmap(&m, 24, 1);
	mbi_tag(&m, 15, r2, 36);
	mbi_tag(&m, 14, r1, 20);
	mbi_end(&m);
	assert_int_equal(run(&m, MBI_PA, &bi, err), 0);
	assert_int_equal(bi.rsdp_len, 20);
	assert_memory_equal(bi.rsdp + 9, "OLD", 3);
	/* Only a corrupt copy: no RSDP, still success. */
	mbi_start(&m);
	mbi_mmap(&m, 24, 1);
	mbi_tag(&m, 15, r2, 36);
	mbi_end(&m);
	assert_int_equal(run(&m, MBI_PA, &bi, err), 0);
	assert_int_equal(bi.rsdp_len, 0);
}

static void test_loader_name(void **state)
{
	static struct boot_info bi;
	struct mbi m;
	char err[256], name[100];

	(void)state;
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	mbi_start(&m);
	mbi_mmap(&m, 24, 1);
	mbi_tag(&m, 2, name, sizeof name);
	mbi_end(&m);
	assert_int_equal(run(&m, MBI_PA, &bi, err), 0);
	assert_int_equal(strlen(bi.loader), BOOT_LOADER_MAX - 1);
	assert_int_equal(strncmp(bi.loader, "multiboot2 (nnn", 15), 0);
	assert_int_equal(bi.loader[BOOT_LOADER_MAX - 2], ')');
	/* Unterminated name and cmdline are bounded by the tag size. */
	mbi_start(&m);
	mbi_mmap(&m, 24, 1);
	mbi_tag(&m, 2, "GRUBxxxx", 4);
	mbi_tag(&m, 1, "abcdefgh", 3);
	mbi_end(&m);
	assert_int_equal(run(&m, MBI_PA, &bi, err), 0);
	assert_string_equal(bi.loader, "multiboot2 (GRUB)");
	assert_string_equal(bi.cmdline, "abc");
}

/* Random corruption of a valid fixture must never crash or over-read
 * (fx_phys copies are exact: ASan catches reads past them), and whatever
 * is accepted satisfies the boot_info invariants. */
static void test_fuzz(void **state)
{
	static struct boot_info bi;
	struct fx_mem m;
	uint8_t *orig;
	uint64_t len;
	unsigned it, k, ok = 0;
	char err[256];

	(void)state;
	assert_int_equal(fx_mem_load(fx_path("mb2-valid.bin"), &m), 0);
	len = m.reg[0].len;
	orig = malloc(len);
	memcpy(orig, m.reg[0].data, len);
	srand(777);
	for (it = 0; it < 5000; it++) {
		memcpy(m.reg[0].data, orig, len);
		for (k = 0; k < 1 + (unsigned)rand() % 3; k++)
			m.reg[0].data[(uint64_t)rand() % len] = (uint8_t)rand();
		if (mb2_parse(&bi, m.arg, fx_phys, &m, err, sizeof err) != 0) {
			assert_int_equal(strncmp(err, "mb2: ", 5), 0);
			continue;
		}
		ok++;
		assert_true(bi.mmap_count <= BOOT_MMAP_MAX);
		assert_non_null(memchr(bi.cmdline, 0, BOOT_CMDLINE_MAX));
		assert_non_null(memchr(bi.loader, 0, BOOT_LOADER_MAX));
		assert_true(bi.rsdp_len == 0 || bi.rsdp_len == 20 ||
		            bi.rsdp_len == 36);
	}
	assert_true(ok > 100);
	free(orig);
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
	assert_int_equal(m.kind, FX_KIND_MB2);
	assert_int_equal(fx_expect_load(*state, &e), 0);
	memset(&bi, 0xa5, sizeof bi);
	rc = mb2_parse(&bi, m.arg, fx_phys, &m, err, sizeof err);
	fx_check_boot_info(&e, rc, err, &bi);
	fx_expect_free(&e);
	fx_mem_free(&m);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_structure_bounds),
		cmocka_unit_test(test_tag_headers),
		cmocka_unit_test(test_tag_sizes),
		cmocka_unit_test(test_framebuffer),
		cmocka_unit_test(test_mmap_precedence),
		cmocka_unit_test(test_efi_types),
		cmocka_unit_test(test_rsdp_precedence),
		cmocka_unit_test(test_loader_name),
		cmocka_unit_test(test_fuzz),
	};

	return fx_run_group("mb2", tests, sizeof tests / sizeof tests[0],
	                    "mb2-", ".bin", test_fixture, 4);
}

/*
 * test_elf_load.c - host tests of elf_plan() (boot/elf_load.c).
 *
 * Purpose: every check elf_plan promises, on images built here in memory
 * (exact boundaries, wrap-around, counts) and on the fixture files
 * tests/fixtures/elf-*.elf with their .expect (a real clang + ld.lld image
 * and crafted corruptions of it), plus a mutation fuzz of the real image
 * that checks the success invariants whenever a mutant is accepted.
 *
 * Data structures: images are built into exactly-sized heap blocks so an
 * over-read is an AddressSanitizer error in the asan build.
 *
 * Context: host only.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/fixture.h"
#include "boot/elf_load.h"

struct seg_spec {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

static void put(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		*p++ = (uint8_t)v;
		v >>= 8;
	}
}

/* A minimal ELF64 x86_64 executable: header, phdrs at 64, file size size. */
static uint8_t *mk_elf(size_t size, uint64_t entry, const struct seg_spec *s,
                       unsigned n, unsigned phentsize)
{
	uint8_t *b = calloc(1, size);
	unsigned i;

	assert_non_null(b);
	assert_true(size >= 64 + (size_t)n * phentsize);
	memcpy(b, "\x7f" "ELF\x02\x01\x01", 7);
	put(b + 16, 2, 2);          /* ET_EXEC */
	put(b + 18, 62, 2);         /* EM_X86_64 */
	put(b + 20, 1, 4);
	put(b + 24, entry, 8);
	put(b + 32, 64, 8);         /* e_phoff */
	put(b + 52, 64, 2);
	put(b + 54, phentsize, 2);
	put(b + 56, n, 2);
	for (i = 0; i < n; i++) {
		uint8_t *ph = b + 64 + i * phentsize;

		put(ph, s[i].type, 4);
		put(ph + 4, s[i].flags, 4);
		put(ph + 8, s[i].offset, 8);
		put(ph + 16, s[i].vaddr, 8);
		put(ph + 24, s[i].paddr, 8);
		put(ph + 32, s[i].filesz, 8);
		put(ph + 40, s[i].memsz, 8);
	}
	return b;
}

static const struct seg_spec two[] = {
	{ 1, 5, 0x1000, 0x200000, 0x200000, 0x800, 0x800 },
	{ 1, 6, 0x1800, 0x201000, 0x201000, 0x100, 0x3000 },
};

static int plan_of(const uint8_t *b, size_t size, struct elf_plan *p,
                   char *err)
{
	return elf_plan(b, size, p, err, 256);
}

static void expect_err(const uint8_t *b, size_t size, const char *what)
{
	struct elf_plan p;
	char err[256];

	assert_int_equal(plan_of(b, size, &p, err), -1);
	if (strstr(err, what) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, what);
	assert_int_equal(strncmp(err, "elf: ", 5), 0);
}

static void test_valid_two_segments(void **state)
{
	uint8_t *b = mk_elf(0x1900, 0x200010, two, 2, 56);
	struct elf_plan p;
	char err[256];

	(void)state;
	assert_int_equal(plan_of(b, 0x1900, &p, err), 0);
	assert_string_equal(err, "");
	assert_int_equal(p.entry, 0x200010);
	assert_int_equal(p.nseg, 2);
	assert_int_equal(p.lo, 0x200000);
	assert_int_equal(p.hi, 0x204000);
	assert_int_equal(p.seg[1].offset, 0x1800);
	assert_int_equal(p.seg[1].filesz, 0x100);
	assert_int_equal(p.seg[1].memsz, 0x3000);
	assert_int_equal(p.seg[1].flags, 6);
	free(b);
}

static void test_unaligned_image(void **state)
{
	uint8_t *b = mk_elf(0x1900, 0x200010, two, 2, 56);
	uint8_t *u = malloc(0x1900 + 3);
	struct elf_plan p;
	char err[256];

	(void)state;
	memcpy(u + 3, b, 0x1900);
	assert_int_equal(plan_of(u + 3, 0x1900, &p, err), 0);
	assert_int_equal(p.seg[0].paddr, 0x200000);
	free(u);
	free(b);
}

static void test_short_images(void **state)
{
	uint8_t *b = mk_elf(0x1900, 0x200010, two, 2, 56);
	size_t n;

	(void)state;
	for (n = 0; n < 64; n++) {
		uint8_t *c = malloc(n > 0 ? n : 1);

		memcpy(c, b, n);
		expect_err(c, n, "image too small");
		free(c);
	}
	/* Header complete, phdr table cut one byte short. */
	expect_err(b, 64 + 2 * 56 - 1, "program header table");
	/* Second segment's file bytes one byte short. */
	expect_err(b, 0x18ff, "program header 1: file bytes run past end");
	free(b);
}

static void test_header_fields(void **state)
{
	uint8_t *b = mk_elf(0x1900, 0x200010, two, 2, 56);

	(void)state;
	b[1] = 'X';
	expect_err(b, 0x1900, "bad magic");
	b[1] = 'E';
	b[5] = 2;
	expect_err(b, 0x1900, "data encoding 2");
	b[5] = 1;
	b[6] = 0;
	expect_err(b, 0x1900, "version");
	b[6] = 1;
	put(b + 18, 3, 2);
	expect_err(b, 0x1900, "e_machine 3 (i386), expected 62 (x86_64)");
	put(b + 18, 62, 2);
	put(b + 54, 48, 2);
	expect_err(b, 0x1900, "e_phentsize 48");
	put(b + 54, 56, 2);
	put(b + 56, 0, 2);
	expect_err(b, 0x1900, "no program headers");
	put(b + 56, 0xffff, 2);
	expect_err(b, 0x1900, "PN_XNUM");
	put(b + 56, 2, 2);
	put(b + 32, UINT64_MAX - 8, 8);
	expect_err(b, 0x1900, "program header table (offset 0xfffffffffffffff7");
	expect_err(NULL, 0x1900, "no image");
	free(b);
}

static void test_larger_phentsize(void **state)
{
	uint8_t *b = mk_elf(0x1900, 0x200010, two, 2, 64);
	struct elf_plan p;
	char err[256];

	(void)state;
	assert_int_equal(plan_of(b, 0x1900, &p, err), 0);
	assert_int_equal(p.nseg, 2);
	assert_int_equal(p.seg[1].paddr, 0x201000);
	free(b);
}

static void test_segment_counts(void **state)
{
	struct seg_spec s[ELF_PLAN_MAX + 2];
	struct elf_plan p;
	char err[256];
	uint8_t *b;
	unsigned i;

	(void)state;
	for (i = 0; i < ELF_PLAN_MAX + 2; i++) {
		s[i] = (struct seg_spec){ 1, 5, 0x1000, 0x200000 + i * 0x1000,
		                          0x200000 + i * 0x1000, 0x10, 0x1000 };
	}
	b = mk_elf(0x1100, 0x200000, s, ELF_PLAN_MAX, 56);
	assert_int_equal(plan_of(b, 0x1100, &p, err), 0);
	assert_int_equal(p.nseg, ELF_PLAN_MAX);
	/* Touching segments are fine: hi is the end of the last one. */
	assert_int_equal(p.hi, 0x200000 + ELF_PLAN_MAX * 0x1000);
	free(b);
	b = mk_elf(0x1100, 0x200000, s, ELF_PLAN_MAX + 1, 56);
	expect_err(b, 0x1100, "more than 8 PT_LOAD segments");
	free(b);
	/* Empty segments and non-LOAD headers do not count. */
	s[ELF_PLAN_MAX].memsz = 0;
	s[ELF_PLAN_MAX].filesz = 0;
	s[ELF_PLAN_MAX + 1].type = 4; /* PT_NOTE */
	b = mk_elf(0x1100, 0x200000, s, ELF_PLAN_MAX + 2, 56);
	assert_int_equal(plan_of(b, 0x1100, &p, err), 0);
	assert_int_equal(p.nseg, ELF_PLAN_MAX);
	free(b);
	/* Only non-LOAD headers: nothing to load. */
	s[0].type = 4;
	b = mk_elf(0x1100, 0x200000, s, 1, 56);
	expect_err(b, 0x1100, "no loadable");
	free(b);
}

static void test_segment_checks(void **state)
{
	struct seg_spec s[2];
	uint8_t *b;

	(void)state;
	memcpy(s, two, sizeof s);
	s[0].type = 3;
	b = mk_elf(0x1900, 0x200010, s, 2, 56);
	expect_err(b, 0x1900, "program header 0: PT_INTERP");
	free(b);

	memcpy(s, two, sizeof s);
	s[1].paddr = UINT64_MAX - 0xfff;
	b = mk_elf(0x1900, 0x200010, s, 2, 56);
	expect_err(b, 0x1900, "program header 1: physical range wraps");
	free(b);

	memcpy(s, two, sizeof s);
	s[1].vaddr = UINT64_MAX - 0x10;
	b = mk_elf(0x1900, 0x200010, s, 2, 56);
	expect_err(b, 0x1900, "program header 1: virtual range wraps");
	free(b);

	memcpy(s, two, sizeof s);
	s[1].offset = UINT64_MAX - 0x10;
	b = mk_elf(0x1900, 0x200010, s, 2, 56);
	expect_err(b, 0x1900, "file bytes run past end of image (offset "
	           "0xffffffffffffffef, filesz 0x100)");
	free(b);

	memcpy(s, two, sizeof s);
	s[0].filesz = 0x801;
	b = mk_elf(0x1900, 0x200010, s, 2, 56);
	expect_err(b, 0x1900, "program header 0: filesz larger than memsz "
	           "(filesz 0x801, memsz 0x800)");
	free(b);

	memcpy(s, two, sizeof s);
	s[1].paddr = 0x2007ff;
	b = mk_elf(0x1900, 0x200010, s, 2, 56);
	expect_err(b, 0x1900, "load segments 0 and 1 overlap ([0x200000, "
	           "0x200800) and [0x2007ff, 0x2037ff))");
	free(b);
}

static void test_entry(void **state)
{
	struct seg_spec s[2];
	struct elf_plan p;
	char err[256];
	uint8_t *b;

	(void)state;
	memcpy(s, two, sizeof s);
	s[0].memsz = 0x1000;   /* .text followed by zero fill */
	b = mk_elf(0x1900, 0x2007ff, s, 2, 56);
	assert_int_equal(plan_of(b, 0x1900, &p, err), 0);
	free(b);
	b = mk_elf(0x1900, 0x200800, s, 2, 56);  /* in zero fill */
	expect_err(b, 0x1900, "entry point 0x200800 is not inside");
	free(b);
	b = mk_elf(0x1900, 0x201000, s, 2, 56);  /* data, not exec */
	expect_err(b, 0x1900, "entry point 0x201000 is not inside");
	free(b);
	b = mk_elf(0x1900, 0x1fffff, s, 2, 56);
	expect_err(b, 0x1900, "entry point 0x1fffff");
	free(b);
}

static void test_err_buffer(void **state)
{
	uint8_t *b = mk_elf(0x1900, 0x200010, two, 2, 56);
	struct elf_plan p;
	char small[12];

	(void)state;
	b[0] = 0;
	assert_int_equal(elf_plan(b, 0x1900, &p, NULL, 0), -1);
	memset(small, 'Z', sizeof small);
	assert_int_equal(elf_plan(b, 0x1900, &p, small, 8), -1);
	assert_string_equal(small, "elf: ba");
	assert_int_equal(small[8], 'Z');
	free(b);
}

/* Mutate the real image at random; whatever elf_plan accepts must satisfy
 * the invariants of elf_load.h. */
static void test_fuzz_real_image(void **state)
{
	uint8_t *img, *b;
	size_t n;
	unsigned it, k, i, j;
	struct elf_plan p;
	char err[256];
	unsigned accepted = 0;

	(void)state;
	assert_int_equal(fx_read_file(fx_path("elf-valid.elf"), &img, &n), 0);
	b = malloc(n);
	srand(12345);
	for (it = 0; it < 20000; it++) {
		size_t len = n;

		memcpy(b, img, n);
		for (k = 0; k < 1 + (unsigned)rand() % 4; k++) {
			/* Bias towards the header and program headers. */
			size_t at = (size_t)rand() % (rand() % 2 ? 64 + 6 * 56 : n);

			b[at] = (uint8_t)(rand() % 3 == 0 ? 0xff : rand());
		}
		if (rand() % 8 == 0)
			len = (size_t)rand() % n;
		if (elf_plan(b, len, &p, err, sizeof err) != 0) {
			assert_int_equal(strncmp(err, "elf: ", 5), 0);
			continue;
		}
		accepted++;
		assert_true(p.nseg >= 1 && p.nseg <= ELF_PLAN_MAX);
		for (i = 0; i < p.nseg; i++) {
			const struct elf_seg *a = &p.seg[i];

			assert_true(a->filesz <= a->memsz);
			assert_true(a->offset + a->filesz <= len);
			assert_true(a->offset + a->filesz >= a->offset);
			assert_true(a->paddr + a->memsz >= a->paddr);
			assert_true(a->paddr >= p.lo && a->paddr + a->memsz <= p.hi);
			for (j = i + 1; j < p.nseg; j++) {
				const struct elf_seg *c = &p.seg[j];

				assert_true(a->paddr + a->memsz <= c->paddr ||
				            c->paddr + c->memsz <= a->paddr);
			}
		}
	}
	assert_true(accepted > 100);
	free(b);
	free(img);
}

static void test_fixture(void **state)
{
	const char *path = *state;
	struct fx_expect e;
	struct elf_plan p;
	char err[256];
	uint8_t *b;
	size_t n, i, k = 0;
	int rc;

	assert_int_equal(fx_read_file(path, &b, &n), 0);
	assert_int_equal(fx_expect_load(path, &e), 0);
	rc = elf_plan(b, n, &p, err, sizeof err);
	if (fx_check_result(&e, rc, err)) {
		const char *v;

		if ((v = fx_expect_get(&e, "entry")) != NULL)
			assert_int_equal(p.entry, fx_num(v));
		if ((v = fx_expect_get(&e, "lo")) != NULL)
			assert_int_equal(p.lo, fx_num(v));
		if ((v = fx_expect_get(&e, "hi")) != NULL)
			assert_int_equal(p.hi, fx_num(v));
		if (fx_expect_count(&e, "seg") > 0)
			assert_int_equal(p.nseg, fx_expect_count(&e, "seg"));
		for (i = 0; i < e.n; i++) {
			unsigned long long o, pa, va, fs, ms;
			unsigned fl;

			if (strcmp(e.key[i], "seg") != 0)
				continue;
			assert_int_equal(sscanf(e.val[i], "%llx %llx %llx %llx "
			                        "%llx %u", &o, &pa, &va, &fs,
			                        &ms, &fl), 6);
			assert_int_equal(p.seg[k].offset, o);
			assert_int_equal(p.seg[k].paddr, pa);
			assert_int_equal(p.seg[k].vaddr, va);
			assert_int_equal(p.seg[k].filesz, fs);
			assert_int_equal(p.seg[k].memsz, ms);
			assert_int_equal(p.seg[k].flags, fl);
			k++;
		}
	}
	fx_expect_free(&e);
	free(b);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_two_segments),
		cmocka_unit_test(test_unaligned_image),
		cmocka_unit_test(test_short_images),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_larger_phentsize),
		cmocka_unit_test(test_segment_counts),
		cmocka_unit_test(test_segment_checks),
		cmocka_unit_test(test_entry),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_fuzz_real_image),
	};

	return fx_run_group("elf_load", tests, sizeof tests / sizeof tests[0],
	                    "elf-", ".elf", test_fixture, 2);
}

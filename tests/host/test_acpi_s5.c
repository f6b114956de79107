/*
 * test_acpi_s5.c - host tests of the \_S5 scanner (kernel/acpi/acpi_s5.c).
 *
 * Purpose: acpi_s5_scan() reads SLP_TYPa and SLP_TYPb out of raw AML with
 * no interpreter, so every encoding firmware may use must be checked
 * against values written down here by hand from the AML grammar (ACPI
 * 6.4, 20.2): the QEMU form (four ZeroOps), BytePrefix, Zero/One,
 * WordPrefix and DWordPrefix values, the one-element form, a root or
 * parent prefix on the name, one- and multi-byte PkgLengths; and what
 * must not decode: a truncated package at every possible cut, a PkgLength
 * past the end, reserved PkgLength bits, a non-integer element, a value
 * wider than the 3-bit SLP_TYP field, a reference that is not a
 * definition, no _S5_ at all.  The whole-DSDT path (acpi_s5_find on
 * recorded QEMU tables and crafted ones) is tested by test_acpi through
 * the "s5" lines of the acpi-*.expect fixtures.
 *
 * Every AML sample is copied into an exactly-sized heap block before the
 * scan, so a read past its end is caught by the ASan build.
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
#include "kernel/acpi/acpi.h"

#define S5 '_', 'S', '5', '_'

/* Scan a heap copy of aml[0..len) and check the general promises. */
static struct acpi_s5 scan(const uint8_t *aml, uint32_t len)
{
	struct acpi_s5 s;
	uint8_t *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, aml, len);
	memset(&s, 0xa5, sizeof s);
	acpi_s5_scan(copy, len, &s);
	free(copy);
	assert_true(s.result == ACPI_S5_FOUND || s.result == ACPI_S5_NONE ||
	            s.result == ACPI_S5_BAD);
	if (s.result == ACPI_S5_FOUND) {
		assert_true(s.slp_typa <= 7 && s.slp_typb <= 7);
		assert_null(s.why);
		assert_true(s.at < len && aml[s.at] == 0x08);
	} else if (s.result == ACPI_S5_BAD) {
		assert_non_null(s.why);
		assert_true(s.at < len && aml[s.at] == 0x08);
	} else {
		assert_null(s.why);
	}
	return s;
}

static void found(const uint8_t *aml, uint32_t len, unsigned a, unsigned b,
                  unsigned elements, uint32_t at)
{
	struct acpi_s5 s = scan(aml, len);

	if (s.result != ACPI_S5_FOUND)
		fail_msg("expected found, got %s (%s)",
		         acpi_s5_result_name(s.result), s.why ? s.why : "");
	assert_int_equal(s.slp_typa, a);
	assert_int_equal(s.slp_typb, b);
	assert_int_equal(s.elements, elements);
	assert_int_equal(s.at, at);
}

static void bad(const uint8_t *aml, uint32_t len, const char *why)
{
	struct acpi_s5 s = scan(aml, len);

	if (s.result != ACPI_S5_BAD)
		fail_msg("expected bad (%s), got %s", why,
		         acpi_s5_result_name(s.result));
	if (strstr(s.why, why) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", s.why, why);
}

/* QEMU 7.2's DSDT (pc and q35), as recorded: Name (_S5, Package (0x04)
 * { Zero, Zero, Zero, Zero }), after a Scope's end. */
static const uint8_t qemu[] = { 0x02, 0x00, 0x00, 0x08, S5, 0x12, 0x06,
                                0x04, 0x00, 0x00, 0x00, 0x00, 0x10 };

static void test_qemu_form(void **state)
{
	(void)state;
	found(qemu, sizeof qemu, 0, 0, 4, 3);
}

static void test_byte_prefix(void **state)
{
	/* Package (0x04) { 0x07, 0x05, Zero, Zero }: common on Intel boards */
	static const uint8_t aml[] = { 0x08, S5, 0x12, 0x08, 0x04, 0x0a, 0x07,
	                               0x0a, 0x05, 0x00, 0x00 };
	(void)state;
	found(aml, sizeof aml, 7, 5, 4, 0);
}

static void test_zero_one(void **state)
{
	/* Package (0x02) { One, Zero } */
	static const uint8_t aml[] = { 0x08, S5, 0x12, 0x04, 0x02, 0x01, 0x00 };
	/* Package (0x02) { Zero, One } */
	static const uint8_t rev[] = { 0x08, S5, 0x12, 0x04, 0x02, 0x00, 0x01 };
	(void)state;
	found(aml, sizeof aml, 1, 0, 2, 0);
	found(rev, sizeof rev, 0, 1, 2, 0);
}

static void test_word_dword(void **state)
{
	/* Package (0x02) { 0x0003 (WordPrefix), 0x00000006 (DWordPrefix) } */
	static const uint8_t aml[] = { 0x08, S5, 0x12, 0x0a, 0x02, 0x0b, 0x03,
	                               0x00, 0x0c, 0x06, 0x00, 0x00, 0x00 };
	/* QWordPrefix too */
	static const uint8_t q[] = { 0x08, S5, 0x12, 0x0c, 0x02, 0x0e, 0x02,
	                             0, 0, 0, 0, 0, 0, 0, 0x01 };
	(void)state;
	found(aml, sizeof aml, 3, 6, 2, 0);
	found(q, sizeof q, 2, 1, 2, 0);
}

static void test_one_element(void **state)
{
	/* Package (One) { 0x0305 }: SLP_TYPa in the low byte, b in the next */
	static const uint8_t aml[] = { 0x08, S5, 0x12, 0x05, 0x01, 0x0b, 0x05,
	                               0x03 };
	(void)state;
	found(aml, sizeof aml, 5, 3, 1, 0);
}

static void test_prefixed_names(void **state)
{
	/* Name (\_S5, ...) and Name (^^_S5, ...) */
	static const uint8_t root[] = { 0x10, 0x08, 0x5c, S5, 0x12, 0x08, 0x04,
	                                0x0a, 0x06, 0x0a, 0x06, 0x00, 0x00 };
	static const uint8_t par[] = { 0x08, 0x5e, 0x5e, S5, 0x12, 0x05, 0x02,
	                               0x0a, 0x04, 0x01 };
	(void)state;
	found(root, sizeof root, 6, 6, 4, 1);
	found(par, sizeof par, 4, 1, 2, 0);
}

/* Package of n elements with SLP_TYP a, b (BytePrefix) then n - 2 Zeros,
 * its PkgLength written with follow extra bytes (0 = shortest). */
static uint32_t big(uint8_t *out, unsigned n, uint8_t a, uint8_t b,
                    unsigned follow)
{
	uint32_t p = 0, body = 1 + 4 + (n - 2), len = body + 1 + follow, i;

	out[p++] = 0x08;
	memcpy(out + p, "_S5_", 4);
	p += 4;
	out[p++] = 0x12;
	if (follow == 0) {
		out[p++] = (uint8_t)len;
	} else {
		out[p++] = (uint8_t)(follow << 6 | (len & 0x0f));
		for (i = 0; i < follow; i++)
			out[p++] = (uint8_t)(len >> (4 + 8 * i));
	}
	out[p++] = (uint8_t)n;
	out[p++] = 0x0a;
	out[p++] = a;
	out[p++] = 0x0a;
	out[p++] = b;
	for (i = 2; i < n; i++)
		out[p++] = 0x00;
	return p;
}

static void test_multibyte_pkglength(void **state)
{
	uint8_t aml[400];
	uint32_t n;

	(void)state;
	/* 100 elements: a PkgLength of 105, written in two bytes */
	n = big(aml, 100, 3, 2, 1);
	assert_true(aml[6] >> 6 == 1);
	found(aml, n, 3, 2, 100, 0);
	/* the same with three- and four-byte encodings of the length */
	n = big(aml, 100, 5, 4, 2);
	found(aml, n, 5, 4, 100, 0);
	n = big(aml, 100, 1, 7, 3);
	found(aml, n, 1, 7, 100, 0);
	/* 250 elements (NumElements is a byte): a PkgLength of 255 */
	n = big(aml, 250, 6, 0, 1);
	found(aml, n, 6, 0, 250, 0);
	/* reserved bits 4-5 of a multi-byte lead byte */
	n = big(aml, 100, 3, 2, 1);
	aml[6] |= 0x10;
	bad(aml, n, "reserved bits");
	/* a length past the end of the AML */
	n = big(aml, 100, 3, 2, 1);
	bad(aml, n - 1, "past the end");
}

static void test_truncated_everywhere(void **state)
{
	uint32_t cut;

	(void)state;
	/* the definition starts at 3: NameOp + "_S5_" end at 8 */
	for (cut = 0; cut <= sizeof qemu; cut++) {
		struct acpi_s5 s = scan(qemu, cut);

		if (cut < 8)
			assert_int_equal(s.result, ACPI_S5_NONE);
		else if (cut < 15)
			assert_int_equal(s.result, ACPI_S5_BAD);
		else
			assert_int_equal(s.result, ACPI_S5_FOUND);
	}
	bad(qemu, 9, "truncated in its PkgLength");
	bad(qemu, 12, "past the end");
}

static void test_refused(void **state)
{
	/* SLP_TYP 8 does not fit 3 bits */
	static const uint8_t wide[] = { 0x08, S5, 0x12, 0x05, 0x02, 0x0a, 0x08,
	                                0x00 };
	/* one-element form whose b byte is 0x10 */
	static const uint8_t wide1[] = { 0x08, S5, 0x12, 0x05, 0x01, 0x0b, 0x05,
	                                 0x10 };
	/* an element that is a name, not an integer */
	static const uint8_t name[] = { 0x08, S5, 0x12, 0x06, 0x02, 'S', 'L',
	                                'P', 'A' };
	/* a package that ends after its first element */
	static const uint8_t short1[] = { 0x08, S5, 0x12, 0x03, 0x04, 0x00,
	                                  0x00, 0x00 };
	/* no elements */
	static const uint8_t empty[] = { 0x08, S5, 0x12, 0x02, 0x00 };
	/* a PkgLength that cannot even hold NumElements */
	static const uint8_t tiny[] = { 0x08, S5, 0x12, 0x01, 0x00 };
	/* _S5_ named as a string, not a package */
	static const uint8_t str[] = { 0x08, S5, 0x0d, 'o', 'f', 'f', 0x00 };
	/* a BytePrefix with its byte missing */
	static const uint8_t cut[] = { 0x08, S5, 0x12, 0x05, 0x02, 0x0a, 0x05,
	                               0x0a };
	(void)state;
	bad(wide, sizeof wide, "3-bit");
	bad(wide1, sizeof wide1, "3-bit");
	bad(name, sizeof name, "not an integer");
	bad(short1, sizeof short1, "ends before");
	bad(empty, sizeof empty, "no elements");
	bad(tiny, sizeof tiny, "too small");
	bad(str, sizeof str, "not a package");
	bad(cut, sizeof cut, "runs past the end of the package");
}

static void test_none(void **state)
{
	/* Store (_S5_, Local0): a reference, not a definition */
	static const uint8_t ref[] = { 0x70, S5, 0x60 };
	/* only _S3_ */
	static const uint8_t s3[] = { 0x08, '_', 'S', '3', '_', 0x12, 0x04, 0x02,
	                              0x01, 0x01 };
	/* "_S5_" at the very start: nothing can precede it */
	static const uint8_t start[] = { S5, 0x12, 0x04, 0x02, 0x00, 0x00 };
	struct acpi_s5 s;

	(void)state;
	assert_int_equal(scan(ref, sizeof ref).result, ACPI_S5_NONE);
	assert_int_equal(scan(s3, sizeof s3).result, ACPI_S5_NONE);
	assert_int_equal(scan(start, sizeof start).result, ACPI_S5_NONE);
	assert_int_equal(scan(qemu, 0).result, ACPI_S5_NONE);
	acpi_s5_scan(NULL, 100, &s);
	assert_int_equal(s.result, ACPI_S5_NONE);
}

static void test_first_good_candidate_wins(void **state)
{
	/* a broken definition (element is a name), then a sound one */
	static const uint8_t two[] = { 0x08, S5, 0x12, 0x06, 0x02, 'A', 'B',
	                               'C', 'D', 0x08, S5, 0x12, 0x05, 0x02,
	                               0x0a, 0x07, 0x00 };
	/* two sound ones: the first is taken */
	static const uint8_t dup[] = { 0x08, S5, 0x12, 0x04, 0x02, 0x01, 0x01,
	                               0x08, S5, 0x12, 0x04, 0x02, 0x02, 0x02 };
	(void)state;
	found(two, sizeof two, 7, 0, 2, 12);
	found(dup, sizeof dup, 1, 1, 2, 0);
	/* only the broken one: its reason and place are reported */
	bad(two, 12, "not an integer");
}

static void test_mutations(void **state)
{
	uint8_t m[sizeof qemu];
	uint32_t i;
	unsigned v;

	(void)state;
	for (i = 0; i < sizeof qemu; i++)
		for (v = 0; v < 256; v++) {
			memcpy(m, qemu, sizeof m);
			m[i] = (uint8_t)v;
			(void)scan(m, sizeof m);  /* promises checked inside */
		}
}

static void test_result_names(void **state)
{
	(void)state;
	assert_string_equal(acpi_s5_result_name(ACPI_S5_FOUND), "found");
	assert_string_equal(acpi_s5_result_name(ACPI_S5_NONE), "none");
	assert_string_equal(acpi_s5_result_name(ACPI_S5_BAD), "bad");
	assert_string_equal(acpi_s5_result_name(ACPI_S5_NO_DSDT), "no-dsdt");
	assert_string_equal(acpi_s5_result_name(42), "unknown");
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_form),
		cmocka_unit_test(test_byte_prefix),
		cmocka_unit_test(test_zero_one),
		cmocka_unit_test(test_word_dword),
		cmocka_unit_test(test_one_element),
		cmocka_unit_test(test_prefixed_names),
		cmocka_unit_test(test_multibyte_pkglength),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_first_good_candidate_wins),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_result_names),
	};

	return cmocka_run_group_tests_name("acpi_s5", tests, NULL, NULL);
}

/*
 * acpi_s5.c - find the \_S5 (soft-off) sleep type in the DSDT's AML.
 *
 * Purpose: powering a PC off through ACPI means writing SLP_TYPx and
 * SLP_EN to the PM1a (and PM1b) control registers, and the SLP_TYP values
 * are not in any fixed table: firmware gives them as a named package in
 * the DSDT, Name (_S5, Package () { SLP_TYPa, SLP_TYPb, ... }).  Tally has
 * no AML interpreter; a Name whose value is a package of constants can be
 * read without one, so acpi_s5_scan() looks for that one definition in
 * the byte stream and decodes it (contract in acpi.h).
 *
 * The encoding read (ACPI 6.4, section 20.2, "AML Grammar Definition"):
 *   DefName     := NameOp(0x08) NameString DataRefObject
 *   NameString  := [RootChar '\' | ParentPrefixChar '^'...] NameSeg
 *   NameSeg     := "_S5_"
 *   DefPackage  := PackageOp(0x12) PkgLength NumElements(byte) ElementList
 *   PkgLength   := lead byte, bits 7-6 = count n of bytes that follow
 *                  (0-3); n == 0: bits 5-0 are the length; n > 0: bits
 *                  3-0 are the low nibble, bits 5-4 must be 0, and each
 *                  following byte adds 8 more bits (at most 2^28 - 1).
 *                  The length counts the PkgLength bytes themselves and
 *                  everything after them up to the end of the package.
 *   integer     := ZeroOp 0x00 | OneOp 0x01 | BytePrefix 0x0a byte |
 *                  WordPrefix 0x0b word | DWordPrefix 0x0c dword |
 *                  QWordPrefix 0x0e qword (little-endian)
 * A package of one integer carries SLP_TYPa in its low byte and SLP_TYPb
 * in the next (the convention ACPICA accepts from old firmware); two or
 * more elements are SLP_TYPa, SLP_TYPb, then reserved ones, not read.  The
 * SLP_TYP field is 3 bits wide: a larger value is refused rather than
 * written over SLP_EN and its neighbours.
 *
 * Finding it: every occurrence of the bytes "_S5_" preceded by NameOp (and
 * optionally one root or any number of parent-prefix characters) is a
 * candidate; the first that decodes wins.  A candidate that does not
 * decode (a package running past the AML, an element that is not an
 * integer, ...) is remembered, so a DSDT whose only _S5_ is broken yields
 * ACPI_S5_BAD with the first reason instead of "none".  A "_S5_" that is
 * not preceded by NameOp (a reference inside a method, a string) is not a
 * definition and is skipped.  What this cannot see: an _S5 defined in an
 * SSDT, or computed by a method; both give ACPI_S5_NONE.
 *
 * acpi_s5_find() loads the DSDT named by the FADT the way acpi.c loads any
 * table (header, length bounds, readable, checksum) and scans its AML.
 *
 * Invariants: no byte outside aml[0..len) is read; out is written whole;
 * result FOUND => slp_typa <= 7 and slp_typb <= 7; result BAD or NO_DSDT
 * => why is a constant string.
 *
 * Locking: none.  Context: pure, any CPU, no allocation, no globals; runs
 * at boot in the kernel and in host tests and fuzzers.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/acpi/acpi_impl.h"

#define AML_ZERO   0x00
#define AML_ONE    0x01
#define AML_NAME   0x08
#define AML_BYTE   0x0a
#define AML_WORD   0x0b
#define AML_DWORD  0x0c
#define AML_QWORD  0x0e
#define AML_PACKAGE 0x12
#define AML_ROOT   0x5c
#define AML_PARENT 0x5e

/* Decode one integer at aml[*at..end); 0, or -1 with *why set. */
static int integer(const uint8_t *aml, uint32_t end, uint32_t *at,
                   uint64_t *v, const char **why)
{
	uint32_t p = *at, n, k;
	uint8_t op;

	if (p >= end) {
		*why = "package ends before its SLP_TYP elements";
		return -1;
	}
	op = aml[p++];
	switch (op) {
	case AML_ZERO:
		*v = 0;
		*at = p;
		return 0;
	case AML_ONE:
		*v = 1;
		*at = p;
		return 0;
	case AML_BYTE:
		n = 1;
		break;
	case AML_WORD:
		n = 2;
		break;
	case AML_DWORD:
		n = 4;
		break;
	case AML_QWORD:
		n = 8;
		break;
	default:
		*why = "an SLP_TYP element is not an integer constant";
		return -1;
	}
	if (end - p < n) {
		*why = "an SLP_TYP integer runs past the end of the package";
		return -1;
	}
	*v = 0;
	for (k = n; k > 0; k--)  /* little-endian: last byte first */
		*v = *v << 8 | aml[p + k - 1];
	*at = p + n;
	return 0;
}

/* Decode the package that starts at aml[at] (PackageOp expected). */
static int package(const uint8_t *aml, uint32_t len, uint32_t at,
                   struct acpi_s5 *out, const char **why)
{
	uint32_t start, plen, nfollow, i, end;
	uint64_t a, b;
	uint8_t lead, count;

	if (at >= len || aml[at] != AML_PACKAGE) {
		*why = "_S5_ is not a package";
		return -1;
	}
	start = at + 1;          /* the PkgLength's first byte */
	if (start >= len) {
		*why = "package truncated in its PkgLength";
		return -1;
	}
	lead = aml[start];
	nfollow = lead >> 6;
	if (nfollow == 0) {
		plen = lead & 0x3f;
	} else {
		if (lead & 0x30) {
			*why = "multi-byte PkgLength with reserved bits 4-5 set";
			return -1;
		}
		if (len - start - 1 < nfollow) {
			*why = "package truncated in its PkgLength";
			return -1;
		}
		plen = lead & 0x0f;
		for (i = 0; i < nfollow; i++)
			plen |= (uint32_t)aml[start + 1 + i] << (4 + 8 * i);
	}
	if (plen < nfollow + 2) {
		*why = "PkgLength too small to hold NumElements";
		return -1;
	}
	if (plen > len - start) {
		*why = "package runs past the end of the DSDT";
		return -1;
	}
	end = start + plen;
	at = start + 1 + nfollow;
	count = aml[at++];
	if (count == 0) {
		*why = "package has no elements";
		return -1;
	}
	if (integer(aml, end, &at, &a, why) < 0)
		return -1;
	if (count == 1) {
		b = (a >> 8) & 0xff;
		a &= 0xff;
	} else if (integer(aml, end, &at, &b, why) < 0) {
		return -1;
	}
	if (a > 7 || b > 7) {
		*why = "SLP_TYP value does not fit the 3-bit SLP_TYP field";
		return -1;
	}
	out->slp_typa = (uint8_t)a;
	out->slp_typb = (uint8_t)b;
	out->elements = count;
	return 0;
}

void acpi_s5_scan(const uint8_t *aml, uint32_t len, struct acpi_s5 *out)
{
	uint32_t i;

	memset(out, 0, sizeof *out);
	out->result = ACPI_S5_NONE;
	if (aml == NULL)
		return;
	for (i = 1; len >= 4 && i <= len - 4; i++) {
		const char *why = NULL;
		uint32_t name = i;

		if (memcmp(aml + i, "_S5_", 4) != 0)
			continue;
		while (name > 0 && aml[name - 1] == AML_PARENT)
			name--;
		if (name == i && name > 0 && aml[name - 1] == AML_ROOT)
			name--;
		if (name == 0 || aml[name - 1] != AML_NAME)
			continue;  /* a reference, not a definition */
		if (package(aml, len, i + 4, out, &why) == 0) {
			out->result = ACPI_S5_FOUND;
			out->at = name - 1;
			out->why = NULL;
			return;
		}
		if (out->result == ACPI_S5_NONE) {  /* keep the first reason */
			out->result = ACPI_S5_BAD;
			out->at = name - 1;
			out->why = why;
		}
	}
	if (out->result == ACPI_S5_BAD) {
		out->slp_typa = out->slp_typb = 0;
		out->elements = 0;
	}
}

static uint8_t sum8(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;

	while (len-- > 0)
		s = (uint8_t)(s + *p++);
	return s;
}

void acpi_s5_find(const struct acpi_info *a, boot_phys_fn phys, void *ctx,
                  struct acpi_s5 *out)
{
	const uint8_t *hdr, *t;
	uint64_t pa = a->dsdt_addr;
	uint32_t len;

	memset(out, 0, sizeof *out);
	out->result = ACPI_S5_NO_DSDT;
	if (!a->has_fadt || pa == 0) {
		out->why = "no DSDT (no FADT, or its DSDT address is 0)";
		return;
	}
	if (phys == NULL || pa > UINT64_MAX - ACPI_HDR_LEN ||
	    (hdr = phys(ctx, pa, ACPI_HDR_LEN)) == NULL) {
		out->why = "DSDT unreadable";
		return;
	}
	if (memcmp(hdr, "DSDT", 4) != 0) {
		out->why = "DSDT address holds another signature";
		return;
	}
	len = _acpi_u32(hdr + 4);
	if (len < ACPI_HDR_LEN || len > ACPI_MAX_TABLE_LEN) {
		out->why = "DSDT length out of bounds";
		return;
	}
	if (pa > UINT64_MAX - len || (t = phys(ctx, pa, len)) == NULL) {
		out->why = "DSDT runs past readable memory";
		return;
	}
	if (sum8(t, len) != 0) {
		out->why = "DSDT has a bad checksum";
		return;
	}
	acpi_s5_scan(t + ACPI_HDR_LEN, len - ACPI_HDR_LEN, out);
	if (out->result != ACPI_S5_NONE)
		out->at += ACPI_HDR_LEN;  /* an offset in the table */
}

const char *acpi_s5_result_name(int result)
{
	switch (result) {
	case ACPI_S5_FOUND: return "found";
	case ACPI_S5_NONE: return "none";
	case ACPI_S5_BAD: return "bad";
	case ACPI_S5_NO_DSDT: return "no-dsdt";
	default: return "unknown";
	}
}

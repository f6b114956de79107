/*
 * test_acpi.c - host tests of the ACPI table parser (kernel/acpi*.c).
 *
 * Purpose: prove that acpi_parse() takes every fact from sound tables and
 * that damaged ones (bad checksums, lying lengths, wild pointers, broken
 * MADT entries, short FADTs) are reported in one warning line each and
 * skipped, never trusted, while the rest of the set is still used.
 *
 * Data structures: each tests/fixtures/acpi-*.bin is a TALLYFX1 memory image
 * (kind 3: the argument is the RSDP's address and the region there holds
 * exactly the RSDP bytes a boot path copies into struct boot_info); its
 * .expect lists the expected facts (format in tools/mkacpi.py, which
 * writes the crafted ones).  One cmocka test per fixture compares every
 * list exhaustively and every scalar present.  The static tests cover the
 * API edges, and mutate the reference fixture byte by byte (fixing the
 * checksum so the mutation reaches the parsers) and length by length, with
 * the general invariants checked after every parse; fx_phys hands out
 * exactly-sized copies, so any read past a requested range is caught when
 * built with -fsanitize=address.
 *
 * Invariants checked after every parse: see check_invariants().
 *
 * Context: host only, single-threaded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tests/host/fixture.h"
#include "kernel/acpi/acpi.h"

#ifndef FX_KIND_ACPI
#define FX_KIND_ACPI 3
#endif

#define REFERENCE "acpi-qemu-like.bin"

/* ---- helpers ---------------------------------------------------------- */

static struct acpi_info *new_info(void)
{
	struct acpi_info *a = malloc(sizeof *a);

	assert_non_null(a);
	memset(a, 0xa5, sizeof *a);  /* acpi_parse must clear it */
	return a;
}

static void check_invariants(const struct acpi_info *a, int rc)
{
	uint32_t i, j;

	assert_true(rc == 0 || rc == -1);
	assert_true(a->ncpu <= ACPI_MAX_CPUS);
	assert_true(a->nioapic <= ACPI_MAX_IOAPICS);
	assert_true(a->noverride <= ACPI_MAX_OVERRIDES);
	assert_true(a->nnmi <= ACPI_MAX_NMIS);
	assert_true(a->nmcfg <= ACPI_MAX_MCFG);
	assert_true(a->ngicc <= ACPI_MAX_CPUS);
	assert_true(a->ngicr <= ACPI_MAX_GICR);
	assert_true(a->nits <= ACPI_MAX_ITS);
	assert_true(a->ntables <= ACPI_MAX_TABLES);
	assert_true(a->nwarn <= ACPI_MAX_WARN);
	assert_true(a->nwarn_dropped == 0 || a->nwarn == ACPI_MAX_WARN);
	assert_non_null(memchr(a->oem, '\0', sizeof a->oem));
	for (i = 0; i < a->nwarn; i++) {
		assert_non_null(memchr(a->warn[i], '\0', ACPI_WARN_LEN));
		assert_int_equal(strncmp(a->warn[i], "acpi: ", 6), 0);
		assert_null(strchr(a->warn[i], '\n'));
	}
	for (i = 0; i < a->ncpu; i++) {
		const struct acpi_cpu *c = &a->cpu[i];

		assert_true(c->enabled <= 1 && c->online_capable <= 1 &&
		            c->x2apic <= 1);
		for (j = 0; j < i; j++)
			assert_true(a->cpu[j].apic_id != c->apic_id);
	}
	for (i = 0; i < a->ntables; i++) {
		assert_int_equal(strlen(a->table[i].sig), 4);
		assert_true(a->table[i].used <= 1);
	}
	if (rc == 0) {
		assert_true(a->root_addr != 0);
		assert_true(a->ntables >= 1);
	} else {
		assert_true(a->nwarn >= 1);
	}
	if (!a->has_madt)
		assert_int_equal(a->ncpu + a->nioapic + a->noverride + a->nnmi,
		                 0);
	if (!a->has_fadt)
		assert_false(a->has_pm_timer || a->has_reset || a->hw_reduced);
	if (a->has_reset)
		assert_true(a->reset_reg.addr != 0);
	if (a->hw_reduced)
		assert_false(a->has_pm_timer);
}

/* Parse up to max numbers (decimal or 0x hex) from s; fails on junk. */
static int nums(const char *s, uint64_t *v, int max)
{
	int n = 0;
	char *end;

	while (*s != '\0') {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		if (n == max)
			fail_msg("too many numbers in \"%s\"", s);
		v[n++] = strtoull(s, &end, 0);
		if (end == s || (*end != ' ' && *end != '\0'))
			fail_msg("bad number in \"%s\"", s);
		s = end;
	}
	return n;
}

static void want_nums(const char *key, const char *val, const uint64_t *got,
                      int n)
{
	uint64_t v[8];
	int i;

	if (nums(val, v, 8) != n)
		fail_msg("%s: expected %d numbers in \"%s\"", key, n, val);
	for (i = 0; i < n; i++)
		if (v[i] != got[i])
			fail_msg("%s \"%s\": field %d is 0x%llx", key, val, i,
			         (unsigned long long)got[i]);
}

/* The k-th value of key (NULL if fewer). */
static const char *nth(const struct fx_expect *e, const char *key, size_t k)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (strcmp(e->key[i], key) == 0 && k-- == 0)
			return e->val[i];
	return NULL;
}

static void want_count(const struct fx_expect *e, const char *key,
                       uint32_t got)
{
	if (fx_expect_count(e, key) != got)
		fail_msg("%zu \"%s\" lines expected, parser found %u",
		         fx_expect_count(e, key), key, got);
}

/* "none" or the numbers of a scalar line, when the line is present. */
static void want_opt(const struct fx_expect *e, const char *key, int has,
                     const uint64_t *got, int n)
{
	const char *v = fx_expect_get(e, key);

	if (v == NULL)
		return;
	if (strcmp(v, "none") == 0) {
		if (has)
			fail_msg("%s: expected none", key);
		return;
	}
	if (!has)
		fail_msg("%s: expected \"%s\", parser found none", key, v);
	want_nums(key, v, got, n);
}

static void check_lists(const struct fx_expect *e, const struct acpi_info *a)
{
	uint32_t i;
	const char *v;

	want_count(e, "table", a->ntables);
	for (i = 0; i < a->ntables; i++) {
		const struct acpi_table *t = &a->table[i];
		uint64_t g[3] = { t->addr, t->len, t->used };

		v = nth(e, "table", i);
		if (strncmp(v, t->sig, 4) != 0 || v[4] != ' ')
			fail_msg("table %u is %s, expected \"%s\"", i, t->sig,
			         v);
		want_nums("table", v + 5, g, 3);
	}
	want_count(e, "cpu", a->ncpu);
	for (i = 0; i < a->ncpu; i++) {
		const struct acpi_cpu *c = &a->cpu[i];
		uint64_t g[5] = { c->apic_id, c->uid, c->enabled,
		                  c->online_capable, c->x2apic };

		want_nums("cpu", nth(e, "cpu", i), g, 5);
	}
	want_count(e, "ioapic", a->nioapic);
	for (i = 0; i < a->nioapic; i++) {
		const struct acpi_ioapic *p = &a->ioapic[i];
		uint64_t g[3] = { p->id, p->addr, p->gsi_base };

		want_nums("ioapic", nth(e, "ioapic", i), g, 3);
	}
	want_count(e, "override", a->noverride);
	for (i = 0; i < a->noverride; i++) {
		const struct acpi_override *o = &a->override[i];
		uint64_t g[4] = { o->bus, o->source, o->gsi, o->flags };

		want_nums("override", nth(e, "override", i), g, 4);
	}
	want_count(e, "nmi", a->nnmi);
	for (i = 0; i < a->nnmi; i++) {
		const struct acpi_nmi *n = &a->nmi[i];
		uint64_t g[4] = { n->uid, n->flags, n->lint, n->x2apic };

		want_nums("nmi", nth(e, "nmi", i), g, 4);
	}
	want_count(e, "mcfg", a->nmcfg);
	for (i = 0; i < a->nmcfg; i++) {
		const struct acpi_mcfg *m = &a->mcfg[i];
		uint64_t g[4] = { m->base, m->segment, m->bus_start,
		                  m->bus_end };

		want_nums("mcfg", nth(e, "mcfg", i), g, 4);
	}
	/* Arm: "gicc MPIDR UID IFACE ENABLED ONLINE_CAPABLE GICC_BASE GICR_BASE",
	 * "gicr BASE LEN", "its BASE" */
	want_count(e, "gicc", a->ngicc);
	for (i = 0; i < a->ngicc; i++) {
		const struct acpi_gicc *c = &a->gicc[i];
		uint64_t g[7] = { c->mpidr, c->uid, c->iface, c->enabled,
		                  c->online_capable, c->gicc_base, c->gicr_base };

		want_nums("gicc", nth(e, "gicc", i), g, 7);
	}
	want_count(e, "gicr", a->ngicr);
	for (i = 0; i < a->ngicr; i++) {
		uint64_t g[2] = { a->gicr[i].base, a->gicr[i].len };

		want_nums("gicr", nth(e, "gicr", i), g, 2);
	}
	want_count(e, "its", a->nits);
	for (i = 0; i < a->nits; i++)
		want_nums("its", nth(e, "its", i), &a->its_base[i], 1);
	want_count(e, "warn", a->nwarn);
	for (i = 0; i < a->nwarn; i++)
		assert_string_equal(a->warn[i], nth(e, "warn", i));
}

static void check_expect(const struct fx_expect *e, int rc,
                         const struct acpi_info *a)
{
	static const char *const required[] = {
		"root", "madt", "fadt", "pm_timer", "reset", "hw_reduced",
		"hpet",
	};
	const char *res = fx_expect_get(e, "result"), *v;
	size_t i;

	if (res == NULL)
		fail_msg("expect file has no result line");
	if (strcmp(res, "ok") == 0 && rc != 0)
		fail_msg("expected success, got -1 (%s)",
		         a->nwarn ? a->warn[a->nwarn - 1] : "no warning");
	if (strcmp(res, "error") == 0 && rc != -1)
		fail_msg("expected failure, got %d", rc);
	if (strcmp(res, "ok") != 0 && strcmp(res, "error") != 0)
		fail_msg("bad result line \"%s\"", res);
	for (i = 0; rc == 0 && i < sizeof required / sizeof required[0]; i++)
		if (fx_expect_get(e, required[i]) == NULL)
			fail_msg("expect file lacks a \"%s\" line",
			         required[i]);

	if ((v = fx_expect_get(e, "oem")) != NULL)
		assert_string_equal(a->oem, v);
	if ((v = fx_expect_get(e, "revision")) != NULL)
		assert_int_equal(a->revision, fx_num(v));
	if ((v = fx_expect_get(e, "root")) != NULL) {
		if (strcmp(v, "none") == 0) {
			assert_int_equal(a->root_addr, 0);
		} else {
			assert_int_equal(a->root_is_xsdt,
			                 strncmp(v, "XSDT ", 5) == 0);
			assert_true(strncmp(v, "XSDT ", 5) == 0 ||
			            strncmp(v, "RSDT ", 5) == 0);
			assert_int_equal(a->root_addr, fx_num(v + 5));
		}
	}
	{
		uint64_t m[3] = { a->lapic_addr, a->madt_flags,
		                  a->madt_revision };
		uint64_t f[6] = { a->fadt_revision, a->fadt_len, a->fadt_flags,
		                  a->sci_irq, a->boot_arch, a->dsdt_addr };
		const struct acpi_gas *p = &a->pm_timer, *r = &a->reset_reg;
		uint64_t pm[6] = { p->space, p->bit_width, p->bit_offset,
		                   p->access_size, p->addr,
		                   (uint64_t)a->pm_timer_32bit };
		uint64_t rs[6] = { r->space, r->bit_width, r->bit_offset,
		                   r->access_size, r->addr, a->reset_value };
		uint64_t h[4] = { a->hpet_addr, a->hpet_min_tick,
		                  a->hpet_number, a->hpet_block_id };

		want_opt(e, "madt", a->has_madt, m, 3);
		want_opt(e, "fadt", a->has_fadt, f, 6);
		want_opt(e, "pm_timer", a->has_pm_timer, pm, 6);
		want_opt(e, "reset", a->has_reset, rs, 6);
		want_opt(e, "hpet", a->has_hpet, h, 4);
	}
	{
		const struct acpi_gas *x = &a->pm1a_cnt, *y = &a->pm1b_cnt;
		uint64_t pa[5] = { x->space, x->bit_width, x->bit_offset,
		                   x->access_size, x->addr };
		uint64_t pb[5] = { y->space, y->bit_width, y->bit_offset,
		                   y->access_size, y->addr };

		want_opt(e, "pm1a_cnt", a->has_pm1_cnt, pa, 5);
		want_opt(e, "pm1b_cnt", a->pm1b_cnt.addr != 0, pb, 5);
		{
			const struct acpi_gas *z = &a->sleep_ctl;
			uint64_t sc[5] = { z->space, z->bit_width,
			                   z->bit_offset, z->access_size,
			                   z->addr };

			want_opt(e, "sleep_ctl", a->has_sleep_ctl, sc, 5);
			if (a->has_sleep_ctl)
				assert_true(a->hw_reduced && !a->has_pm1_cnt);
		}
		if (a->has_pm1_cnt)
			assert_true(a->has_fadt && !a->hw_reduced);
	}
	{
		/* Arm: "gicd BASE VERSION", "gtdt PHYS_GSIV VIRT_GSIV",
		 * "spcr TYPE SPACE ADDR", "arm_boot_arch FLAGS" ("none" or
		 * absent lines as for the others) */
		uint64_t gd[2] = { a->gicd_base, a->gic_version };
		uint64_t gt[2] = { a->gtdt_phys_gsiv, a->gtdt_virt_gsiv };
		uint64_t sp[3] = { a->spcr_type, a->spcr_base.space, a->spcr_base.addr };
		uint64_t ab = a->arm_boot_arch;

		want_opt(e, "gicd", a->has_gicd, gd, 2);
		want_opt(e, "gtdt", a->has_gtdt, gt, 2);
		want_opt(e, "spcr", a->has_spcr, sp, 3);
		want_opt(e, "arm_boot_arch", a->has_fadt, &ab, 1);
	}
	if ((v = fx_expect_get(e, "hw_reduced")) != NULL)
		assert_int_equal(a->hw_reduced, fx_num(v));
	if ((v = fx_expect_get(e, "warn_dropped")) != NULL)
		assert_int_equal(a->nwarn_dropped, fx_num(v));
	check_lists(e, a);
}

/*
 * "s5 found SLP_TYPa SLP_TYPb ELEMENTS AT" | "s5 none" |
 * "s5 bad AT <text in the reason>" | "s5 no-dsdt <text in the reason>":
 * what acpi_s5_find() reports for the DSDT the parse found.
 */
static void check_s5(const struct fx_expect *e, const struct acpi_info *a,
                     boot_phys_fn phys, void *ctx)
{
	const char *v = fx_expect_get(e, "s5");
	struct acpi_s5 s;
	size_t n;

	if (v == NULL)
		return;
	memset(&s, 0xa5, sizeof s);
	acpi_s5_find(a, phys, ctx, &s);
	n = strcspn(v, " ");
	if (strlen(acpi_s5_result_name(s.result)) != n ||
	    strncmp(v, acpi_s5_result_name(s.result), n) != 0)
		fail_msg("s5: expected \"%s\", found %s (%s)", v,
		         acpi_s5_result_name(s.result), s.why ? s.why : "");
	v += n;
	if (s.result == ACPI_S5_FOUND) {
		uint64_t g[4] = { s.slp_typa, s.slp_typb, s.elements, s.at };

		assert_null(s.why);
		assert_true(s.slp_typa <= 7 && s.slp_typb <= 7);
		want_nums("s5 found", v, g, 4);
	} else if (s.result == ACPI_S5_BAD) {
		char *end;

		assert_non_null(s.why);
		assert_int_equal(strtoull(v, &end, 0), s.at);
		while (*end == ' ')
			end++;
		if (strstr(s.why, end) == NULL)
			fail_msg("s5 bad: reason \"%s\" lacks \"%s\"", s.why,
			         end);
	} else if (s.result == ACPI_S5_NO_DSDT) {
		assert_non_null(s.why);
		while (*v == ' ')
			v++;
		if (strstr(s.why, v) == NULL)
			fail_msg("s5 no-dsdt: reason \"%s\" lacks \"%s\"",
			         s.why, v);
	}
}

/* The region holding the RSDP (at m->arg), or NULL. */
static struct fx_region *rsdp_region(struct fx_mem *m)
{
	uint32_t i;

	for (i = 0; i < m->nreg; i++)
		if (m->reg[i].base == m->arg)
			return &m->reg[i];
	return NULL;
}

static int parse_fx(struct fx_mem *m, boot_phys_fn phys, void *ctx,
                    struct acpi_info *a)
{
	struct fx_region *r = rsdp_region(m);

	return acpi_parse(r ? r->data : NULL, r ? (uint32_t)r->len : 0, phys,
	                  ctx, a);
}

/* ---- one test per fixture --------------------------------------------- */

static void test_fixture(void **state)
{
	const char *path = *state;
	struct fx_mem m;
	struct fx_expect e;
	struct acpi_info *a = new_info();
	uint32_t i;
	int rc;

	if (fx_mem_load(path, &m) != 0)
		fail_msg("cannot load %s", path);
	assert_int_equal(m.kind, FX_KIND_ACPI);
	if (fx_expect_load(path, &e) != 0)
		fail_msg("no .expect for %s", path);
	rc = parse_fx(&m, fx_phys, &m, a);
	check_invariants(a, rc);
	for (i = 0; i < a->nwarn; i++)  /* no message was cut short */
		assert_true(strlen(a->warn[i]) < ACPI_WARN_LEN - 1);
	check_expect(&e, rc, a);
	check_s5(&e, a, fx_phys, &m);
	fx_expect_free(&e);
	fx_mem_free(&m);
	free(a);
}

/* ---- API edges -------------------------------------------------------- */

static void test_gas_space_names(void **state)
{
	(void)state;
	assert_string_equal(acpi_gas_space_name(ACPI_GAS_MEMORY), "memory");
	assert_string_equal(acpi_gas_space_name(ACPI_GAS_IO), "io");
	assert_string_equal(acpi_gas_space_name(ACPI_GAS_PCI_CONFIG),
	                    "pci-config");
	assert_string_equal(acpi_gas_space_name(3), "embedded-controller");
	assert_string_equal(acpi_gas_space_name(0x0a), "pcc");
	assert_string_equal(acpi_gas_space_name(0x7f), "functional-fixed-hw");
	assert_string_equal(acpi_gas_space_name(0x0c), "unknown");
	assert_string_equal(acpi_gas_space_name(0x80), "unknown");
	assert_string_equal(acpi_gas_space_name(0xff), "unknown");
}

static const void *no_memory(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	(void)pa;
	(void)len;
	return NULL;
}

/* A 20- or 36-byte RSDP with correct checksums. */
static void make_rsdp(uint8_t *r, uint8_t rev, uint32_t rsdt, uint32_t len)
{
	uint32_t i;
	uint8_t s = 0;

	memset(r, 0, 36);
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "TEST  ", 6);
	r[15] = rev;
	memcpy(r + 16, &rsdt, 4);
	memcpy(r + 20, &len, 4);
	for (i = 0; i < 20; i++)
		s = (uint8_t)(s + r[i]);
	r[8] = (uint8_t)-s;
	for (s = 0, i = 0; i < 36; i++)
		s = (uint8_t)(s + r[i]);
	r[32] = (uint8_t)-s;
}

static void test_no_rsdp(void **state)
{
	struct acpi_info *a = new_info();
	uint8_t r[36];

	(void)state;
	assert_int_equal(acpi_parse(NULL, 0, no_memory, NULL, a), -1);
	check_invariants(a, -1);
	assert_int_equal(a->nwarn, 1);
	assert_string_equal(a->warn[0], "acpi: RSDP: none given (length 0)");

	make_rsdp(r, 0, 0x1000, 0);
	assert_int_equal(acpi_parse(r, 19, no_memory, NULL, a), -1);
	assert_string_equal(a->warn[0], "acpi: RSDP: none given (length 19)");

	r[3] = 'X';
	assert_int_equal(acpi_parse(r, 20, no_memory, NULL, a), -1);
	assert_string_equal(a->warn[0], "acpi: RSDP: bad signature");

	assert_int_equal(acpi_parse(r, 20, no_memory, NULL, NULL), -1);
	free(a);
}

static void test_rsdp_edges(void **state)
{
	struct acpi_info *a = new_info();
	uint8_t r[36];

	(void)state;
	/* a sound RSDP but nothing readable behind it */
	make_rsdp(r, 0, 0x1000, 0);
	assert_int_equal(acpi_parse(r, 20, no_memory, NULL, a), -1);
	check_invariants(a, -1);
	assert_string_equal(a->oem, "TEST");
	assert_int_equal(a->nwarn, 2);
	assert_string_equal(a->warn[0],
	                    "acpi: RSDT at 0x1000: unreadable, table skipped");
	assert_string_equal(a->warn[1], "acpi: RSDP: no usable RSDT or XSDT");

	/* no memory reader at all */
	assert_int_equal(acpi_parse(r, 20, NULL, NULL, a), -1);
	assert_string_equal(a->warn[0],
	                    "acpi: RSDP: no memory reader, tables not read");

	/* revision 2 with a length field other than 36: XSDT not trusted */
	make_rsdp(r, 2, 0, 40);
	assert_int_equal(acpi_parse(r, 36, no_memory, NULL, a), -1);
	assert_int_equal(a->revision, 2);
	assert_string_equal(a->warn[0], "acpi: RSDP: length field 40 is not "
	                    "36, XSDT ignored");
	assert_string_equal(a->warn[1], "acpi: RSDP: no usable RSDT or XSDT");

	/* an RSDP of revision 0 given with 36 bytes: the rest is ignored */
	make_rsdp(r, 0, 0x1000, 36);
	r[24] = 0x55;  /* "XSDT address", must not be used */
	assert_int_equal(acpi_parse(r, 36, no_memory, NULL, a), -1);
	assert_string_equal(a->warn[0],
	                    "acpi: RSDT at 0x1000: unreadable, table skipped");
	free(a);
}

/* ---- mutations of the reference set ----------------------------------- */

/* fx_phys behind a check that no single read is absurdly long. */
static const void *bounded_phys(void *ctx, uint64_t pa, uint64_t len)
{
	assert_true(len >= 1 && len <= ACPI_MAX_TABLE_LEN);
	return fx_phys(ctx, pa, len);
}

static void resum(uint8_t *b, uint64_t n, unsigned at)
{
	uint8_t s = 0;
	uint64_t i;

	b[at] = 0;
	for (i = 0; i < n; i++)
		s = (uint8_t)(s + b[i]);
	b[at] = (uint8_t)-s;
}

/* Make region r's checksums right again, except the byte just mutated. */
static void fix_sums(const struct fx_mem *m, struct fx_region *r,
                     uint64_t mutated)
{
	uint64_t n;

	if (r->base == m->arg) {
		if (mutated != 8)
			resum(r->data, r->len < 20 ? r->len : 20, 8);
		if (r->len >= 36 && mutated != 32)
			resum(r->data, 36, 32);
		return;
	}
	if (r->len < 36 || mutated == 9)
		return;
	n = (uint64_t)r->data[4] | (uint64_t)r->data[5] << 8 |
	    (uint64_t)r->data[6] << 16 | (uint64_t)r->data[7] << 24;
	if (n > r->len)
		n = r->len;
	if (n > 9)
		resum(r->data, n, 9);
}

static void free_copies(struct fx_mem *m)
{
	/* Drop fx_phys's copies between parses so memory stays flat. */
	struct fx_mem keep = *m;

	keep.nreg = 0;  /* fx_mem_free frees only the copies */
	fx_mem_free(&keep);
	m->copies = NULL;
}

static void test_mutate_bytes(void **state)
{
	static const uint8_t how[] = { 0x00, 0xff, 0x01, 0x80 };
	struct fx_mem m;
	struct acpi_info *a = new_info();
	uint32_t i, k;
	uint64_t j, parses = 0, ok = 0;

	(void)state;
	if (fx_mem_load(fx_path(REFERENCE), &m) != 0)
		fail_msg("cannot load %s", REFERENCE);
	for (i = 0; i < m.nreg; i++) {
		struct fx_region *r = &m.reg[i];

		for (j = 0; j < r->len; j++) {
			uint8_t save = r->data[j];

			for (k = 0; k < sizeof how; k++) {
				int rc;

				r->data[j] = k < 2 ? how[k] : save ^ how[k];
				fix_sums(&m, r, j);
				rc = parse_fx(&m, bounded_phys, &m, a);
				check_invariants(a, rc);
				ok += rc == 0;
				parses++;
				free_copies(&m);
			}
			r->data[j] = save;
			fix_sums(&m, r, UINT64_MAX);
		}
	}
	/* the untouched set still parses cleanly */
	assert_int_equal(parse_fx(&m, fx_phys, &m, a), 0);
	assert_int_equal(a->nwarn, 0);
	assert_int_equal(a->ncpu, 5);
	print_message("%llu mutated parses, %llu returned 0\n",
	              (unsigned long long)parses, (unsigned long long)ok);
	fx_mem_free(&m);
	free(a);
}

/* Minimum length acpi_parse() accepts for a table it reads whole. */
static uint32_t min_len(const uint8_t *sig)
{
	if (memcmp(sig, "XSDT", 4) == 0 || memcmp(sig, "RSDT", 4) == 0)
		return 36;
	if (memcmp(sig, "APIC", 4) == 0 || memcmp(sig, "MCFG", 4) == 0)
		return 44;
	if (memcmp(sig, "FACP", 4) == 0)
		return 116;
	if (memcmp(sig, "HPET", 4) == 0)
		return 56;
	return 0;
}

static void test_length_sweep(void **state)
{
	struct fx_mem m;
	struct acpi_info *a = new_info();
	uint32_t i, t, n, tried = 0;

	(void)state;
	if (fx_mem_load(fx_path(REFERENCE), &m) != 0)
		fail_msg("cannot load %s", REFERENCE);
	for (i = 0; i < m.nreg; i++) {
		struct fx_region *r = &m.reg[i];
		uint32_t need, save;
		int rc;

		if (r->base == m.arg || (need = min_len(r->data)) == 0)
			continue;
		memcpy(&save, r->data + 4, 4);
		for (n = 0; n <= r->len + 8; n++) {
			memcpy(r->data + 4, &n, 4);
			fix_sums(&m, r, UINT64_MAX);
			rc = parse_fx(&m, bounded_phys, &m, a);
			check_invariants(a, rc);
			free_copies(&m);
			tried++;
			/* A listed table is used exactly when
			 * need <= n <= its bytes. */
			for (t = 0; t < a->ntables; t++)
				if (a->table[t].addr == r->base)
					break;
			if (t == a->ntables)
				continue;
			if (a->table[t].used != (n >= need && n <= r->len))
				fail_msg("%.4s at 0x%llx, length %u: used %u",
				         (const char *)r->data,
				         (unsigned long long)r->base, n,
				         a->table[t].used);
		}
		memcpy(r->data + 4, &save, 4);
		fix_sums(&m, r, UINT64_MAX);
	}
	assert_true(tried > 500);
	fx_mem_free(&m);
	free(a);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gas_space_names),
		cmocka_unit_test(test_no_rsdp),
		cmocka_unit_test(test_rsdp_edges),
		cmocka_unit_test(test_mutate_bytes),
		cmocka_unit_test(test_length_sweep),
	};

	return fx_run_group("acpi", tests, sizeof tests / sizeof tests[0],
	                    "acpi-", ".bin", test_fixture, 20);
}

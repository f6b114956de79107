/*
 * fuzz_acpi.c - acpi_parse() (kernel/acpi*.c) on arbitrary memory.
 *
 * Input: a TALLYFX1 snapshot (kind 3: arg is the RSDP's address, and the
 * region starting there is the RSDP copy, as in tests/host/test_acpi.c),
 * or raw bytes (one region at 0; the RSDP copy is its first 36 bytes).
 * With kind bit 8 set (0x103) every table-looking thing in memory gets
 * its checksum fixed first, so mutations reach the table parsers instead
 * of stopping at "bad checksum".
 *
 * Promises checked (acpi.h): every count within its cap; no two CPUs share
 * an APIC id, and none is the "not present" id; NMI LINT# is 0 or 1; no
 * two GICC entries share an MPIDR, which holds affinity bits only;
 * warnings are NUL-terminated lines starting "acpi: "; the OEM id and
 * signatures are printable and terminated; every table marked used has
 * a zero checksum, a length from 36 to ACPI_MAX_TABLE_LEN and lies in
 * readable memory; on success the root table is listed first and used;
 * on failure there is a warning; derived facts are consistent (reset
 * register, PM timer, HPET, PM1 control blocks); a second parse gives the
 * same result.  Then acpi_s5_find() looks for \_S5 in the DSDT the parse
 * found, and acpi_s5_scan() runs on the raw input as AML: the result is
 * one of the four, a found SLP_TYP fits 3 bits, a found or bad result
 * points at a NameOp inside the DSDT, every failure has a reason.  No
 * byte past what was asked for is read (fz_phys hands out exact copies).
 */
#include <string.h>
#include "tests/fuzz/fuzz.h"
#include "kernel/acpi/acpi.h"

static struct acpi_info a, b;

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void fix_sum(uint8_t *p, uint32_t len, uint32_t at)
{
	uint8_t s = 0;
	uint32_t i;

	p[at] = 0;
	for (i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	p[at] = (uint8_t)-s;
}

static void fix_checksums(struct fz_mem *m)
{
	static const char sigs[][5] = { "RSDT", "XSDT", "APIC", "FACP", "HPET", "MCFG",
	                                "DSDT", "GTDT", "SPCR" };
	uint32_t r;
	uint64_t o;
	size_t k;

	for (r = 0; r < m->nreg; r++) {
		uint8_t *d = m->reg[r].data;
		uint64_t n = m->reg[r].len;

		for (o = 0; o + 36 <= n; o++)
			for (k = 0; k < sizeof sigs / sizeof sigs[0]; k++)
				if (d[o] == (uint8_t)sigs[k][0] && memcmp(d + o, sigs[k], 4) == 0) {
					uint32_t len = rd32(d + o + 4);

					if (len >= 36 && len <= n - o)
						fix_sum(d + o, len, 9);
				}
		for (o = 0; o + 20 <= n; o++)
			if (d[o] == 'R' && memcmp(d + o, "RSD PTR ", 8) == 0) {
				uint32_t len = o + 36 <= n ? rd32(d + o + 20) : 0;

				fix_sum(d + o, 20, 8);
				if (d[o + 15] >= 2 && len >= 36 && len <= n - o)
					fix_sum(d + o, len, 32);
			}
	}
}

static int printable(const char *s, size_t max)
{
	const char *end = memchr(s, '\0', max);

	if (end == NULL)
		return 0;
	for (; s < end; s++)
		if (*s < 0x20 || *s >= 0x7f)
			return 0;
	return 1;
}

static void check(const struct fz_mem *m, int rc)
{
	uint32_t i, j;

	FZ_CHECK(rc == 0 || rc == -1);
	FZ_CHECK(a.ncpu <= ACPI_MAX_CPUS && a.nioapic <= ACPI_MAX_IOAPICS &&
	         a.noverride <= ACPI_MAX_OVERRIDES && a.nnmi <= ACPI_MAX_NMIS &&
	         a.nmcfg <= ACPI_MAX_MCFG && a.ntables <= ACPI_MAX_TABLES &&
	         a.nwarn <= ACPI_MAX_WARN);
	for (i = 0; i < a.ncpu; i++) {
		FZ_CHECK(a.cpu[i].apic_id != (a.cpu[i].x2apic ? 0xffffffffu : 0xffu));
		for (j = 0; j < i; j++)
			FZ_CHECK(a.cpu[i].apic_id != a.cpu[j].apic_id);
	}
	for (i = 0; i < a.nnmi; i++)
		FZ_CHECK(a.nmi[i].lint <= 1);
	FZ_CHECK(a.ngicc <= ACPI_MAX_CPUS && a.ngicr <= ACPI_MAX_GICR && a.nits <= ACPI_MAX_ITS);
	for (i = 0; i < a.ngicc; i++) {
		FZ_CHECK((a.gicc[i].mpidr & ~0xff00ffffffull) == 0);
		for (j = 0; j < i; j++)
			FZ_CHECK(a.gicc[i].mpidr != a.gicc[j].mpidr);
	}
	for (i = 0; i < a.nwarn; i++) {
		FZ_CHECK(memchr(a.warn[i], '\0', ACPI_WARN_LEN) != NULL);
		FZ_CHECK(strncmp(a.warn[i], "acpi: ", 6) == 0);
	}
	FZ_CHECK(a.nwarn_dropped == 0 || a.nwarn == ACPI_MAX_WARN);
	FZ_CHECK(printable(a.oem, sizeof a.oem));
	for (i = 0; i < a.ntables; i++) {
		const struct acpi_table *t = &a.table[i];
		const uint8_t *p;
		uint8_t sum = 0;

		FZ_CHECK(printable(t->sig, sizeof t->sig) && strlen(t->sig) == 4);
		if (!t->used)
			continue;
		FZ_CHECK(t->len >= 36 && t->len <= ACPI_MAX_TABLE_LEN);
		p = fz_peek(m, t->addr, t->len);
		FZ_CHECK(p != NULL);
		for (j = 0; j < t->len; j++)
			sum = (uint8_t)(sum + p[j]);
		FZ_CHECK(sum == 0);
	}
	if (rc == 0) {
		FZ_CHECK(a.root_addr != 0);
		FZ_CHECK(a.ntables >= 1 && a.table[0].addr == a.root_addr && a.table[0].used);
		FZ_CHECK(strcmp(a.table[0].sig, a.root_is_xsdt ? "XSDT" : "RSDT") == 0);
	} else {
		FZ_CHECK(a.nwarn >= 1);
	}
	if (a.has_reset)
		FZ_CHECK(a.has_fadt && a.reset_reg.addr != 0 && a.fadt_len >= 129);
	if (a.has_pm_timer)
		FZ_CHECK(a.has_fadt && !a.hw_reduced && a.pm_timer.addr != 0);
	if (a.has_hpet)
		FZ_CHECK(a.hpet_addr != 0);
	if (a.has_pm1_cnt)
		FZ_CHECK(a.has_fadt && !a.hw_reduced && a.pm1a_cnt.addr != 0);
	else
		FZ_CHECK(a.pm1b_cnt.addr == 0);
	if (a.has_sleep_ctl)
		FZ_CHECK(a.has_fadt && a.hw_reduced && a.fadt_len >= 256 &&
		         a.sleep_ctl.addr != 0);
	(void)acpi_gas_space_name(a.pm_timer.space);
	(void)acpi_gas_space_name(a.reset_reg.space);
}

/* The promises of struct acpi_s5 (acpi.h); aml: the bytes scanned, or
 * NULL when acpi_s5_find() read the DSDT itself (then at is in the table,
 * whose first 36 bytes are the header). */
static void check_s5(const struct fz_mem *m, const struct acpi_s5 *s,
                     const uint8_t *aml, size_t len)
{
	const uint8_t *t;

	FZ_CHECK(s->result >= ACPI_S5_FOUND && s->result <= ACPI_S5_NO_DSDT);
	if (s->result == ACPI_S5_FOUND)
		FZ_CHECK(s->slp_typa <= 7 && s->slp_typb <= 7 && s->elements >= 1 &&
		         s->why == NULL);
	else
		FZ_CHECK(s->slp_typa == 0 && s->slp_typb == 0);
	if (s->result == ACPI_S5_BAD || s->result == ACPI_S5_NO_DSDT)
		FZ_CHECK(s->why != NULL && s->why[0] != '\0');
	if (s->result != ACPI_S5_FOUND && s->result != ACPI_S5_BAD)
		return;
	if (aml != NULL) {
		FZ_CHECK(s->at < len && aml[s->at] == 0x08);
		return;
	}
	FZ_CHECK(a.has_fadt && s->at >= 36);
	t = fz_peek(m, a.dsdt_addr, (uint64_t)s->at + 1);
	FZ_CHECK(t != NULL && memcmp(t, "DSDT", 4) == 0 && t[s->at] == 0x08);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_mem m;
	const struct fz_region *root = NULL;
	uint32_t i;
	int rc;

	if (fz_mem_parse(data, size, &m) != 0)
		fz_mem_raw(data, size, 0, &m);
	if (m.kind & 0x100)
		fix_checksums(&m);
	for (i = 0; i < m.nreg; i++)
		if (m.reg[i].base == m.arg)
			root = &m.reg[i];
	rc = acpi_parse(root ? root->data : NULL,
	                root ? (uint32_t)(root->len > 36 ? 36 : root->len) : 0,
	                fz_phys, &m, &a);
	check(&m, rc);
	FZ_CHECK(acpi_parse(root ? root->data : NULL,
	                    root ? (uint32_t)(root->len > 36 ? 36 : root->len) : 0,
	                    fz_phys, &m, &b) == rc);
	FZ_CHECK(memcmp(&a, &b, sizeof a) == 0);
	{
		struct acpi_s5 s5;

		acpi_s5_find(&a, fz_phys, &m, &s5);
		check_s5(&m, &s5, NULL, 0);
		acpi_s5_scan(data, (uint32_t)(size > UINT32_MAX ? UINT32_MAX : size),
		             &s5);
		FZ_CHECK(s5.result != ACPI_S5_NO_DSDT);
		check_s5(&m, &s5, data, size);
	}
	fz_mem_free(&m);
	return 0;
}

/*
 * acpi.c - walk RSDP -> XSDT/RSDT -> tables, validating every step.
 *
 * Purpose: acpi_parse() (contract in acpi.h) finds the root table, lists
 * the tables it names and hands each table it knows (MADT, FADT, HPET,
 * MCFG) to its parser in acpi_madt.c / acpi_hw.c once the table has been
 * proven sound.  Firmware tables are input, not truth: every pointer may
 * be wild, every length may lie, every checksum may be wrong, and the
 * kernel must still boot with whatever is usable and say what was not.
 *
 * The root table: the XSDT (64-bit entries) when the RSDP has revision >= 2,
 * a valid extended checksum and a non-zero XSDT address; otherwise, or when
 * the XSDT turns out unusable, the RSDT (32-bit entries).  Entries that are
 * null or unreadable are skipped with a warning.
 *
 * Validating one table (table_load): read the 36-byte header; then
 *   ACPI_HDR_LEN <= max(min_len, 36) <= length <= ACPI_MAX_TABLE_LEN,
 *   phys(pa, length) != NULL, sum(bytes[0..length)) % 256 == 0.
 * The second read covers the whole table, so a table running past what the
 * reader calls readable is caught before any field is used.  Only the
 * tables whose facts are taken are read whole; the others (DSDT, SSDTs,
 * ...) are listed from their header alone.
 *
 * Data structures: struct acpi_ctx (acpi_impl.h) for the duration of one
 * call; kinds[] maps a signature to its parser and the fixed-part length.
 * A table kind is used once: a second MADT, FADT or MCFG is skipped with a
 * warning, a second HPET (machines may have several) silently.
 *
 * Rejected alternative: trusting the RSDT/XSDT length to bound the walk
 * without reading the table whole - the entries would then be read from
 * memory that was never shown readable.
 *
 * Locking: none.  Context: boot time, any CPU, no allocation, no globals.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/bootfmt.h"
#include "kernel/acpi/acpi_impl.h"

/* ---- warnings --------------------------------------------------------- */

void _acpi_msg(struct acpi_ctx *c, const char *what, uint64_t addr)
{
	bootfmt_clear(c->msg, ACPI_WARN_LEN);
	bootfmt_cat(c->msg, ACPI_WARN_LEN, "acpi: ");
	bootfmt_cat(c->msg, ACPI_WARN_LEN, what);
	if (addr != ACPI_NO_ADDR) {
		bootfmt_cat(c->msg, ACPI_WARN_LEN, " at ");
		bootfmt_hex(c->msg, ACPI_WARN_LEN, addr);
	}
	bootfmt_cat(c->msg, ACPI_WARN_LEN, ": ");
}

void _acpi_cat(struct acpi_ctx *c, const char *s)
{
	bootfmt_cat(c->msg, ACPI_WARN_LEN, s);
}

void _acpi_hex(struct acpi_ctx *c, uint64_t v)
{
	bootfmt_hex(c->msg, ACPI_WARN_LEN, v);
}

void _acpi_dec(struct acpi_ctx *c, uint64_t v)
{
	bootfmt_dec(c->msg, ACPI_WARN_LEN, v);
}

void _acpi_warn(struct acpi_ctx *c)
{
	struct acpi_info *o = c->out;

	if (o->nwarn == ACPI_MAX_WARN) {
		o->nwarn_dropped++;
		return;
	}
	memcpy(o->warn[o->nwarn], c->msg, ACPI_WARN_LEN);
	o->warn[o->nwarn][ACPI_WARN_LEN - 1] = '\0';
	o->nwarn++;
}

const char *acpi_gas_space_name(uint8_t space)
{
	static const char *const names[] = {
		"memory", "io", "pci-config", "embedded-controller", "smbus",
		"cmos", "pci-bar", "ipmi", "gpio", "generic-serial-bus",
		"pcc", "prm",
	};

	if (space < sizeof names / sizeof names[0])
		return names[space];
	if (space == 0x7f)
		return "functional-fixed-hw";
	return "unknown";
}

/* ---- reading and validating ------------------------------------------- */

/* phys() with the wrap-around check every caller would otherwise repeat. */
static const uint8_t *readable(struct acpi_ctx *c, uint64_t pa, uint64_t len)
{
	if (len == 0 || pa > UINT64_MAX - len)
		return NULL;
	return c->phys(c->pctx, pa, len);
}

static uint8_t sum8(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;
	uint32_t i;

	for (i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static char printable(uint8_t ch)
{
	return ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
}

/* Append a 4-byte signature in quotes, non-printables as '?'. */
static void cat_sig(struct acpi_ctx *c, const uint8_t *sig)
{
	char s[7];
	int i;

	s[0] = '"';
	for (i = 0; i < 4; i++)
		s[i + 1] = printable(sig[i]);
	s[5] = '"';
	s[6] = '\0';
	_acpi_cat(c, s);
}

/*
 * Validate the table at pa whose header hdr (36 bytes) was already read;
 * name is its name in warnings.  Returns the whole table, or NULL after a
 * warning.  *lenp receives the table's length.
 */
static const uint8_t *table_load(struct acpi_ctx *c, const uint8_t *hdr,
                                 uint64_t pa, const char *name,
                                 uint32_t min_len, uint32_t *lenp)
{
	uint32_t len = _acpi_u32(hdr + 4);
	const uint8_t *t = NULL;
	uint8_t sum;

	*lenp = len;
	_acpi_msg(c, name, pa);
	_acpi_cat(c, "length ");
	_acpi_hex(c, len);
	if (len < ACPI_HDR_LEN) {
		_acpi_cat(c, " shorter than its header");
	} else if (len < min_len) {
		_acpi_cat(c, " too short for a ");
		_acpi_cat(c, name);
		_acpi_cat(c, " (");
		_acpi_hex(c, min_len);
		_acpi_cat(c, ")");
	} else if (len > ACPI_MAX_TABLE_LEN) {
		_acpi_cat(c, " implausibly large");
	} else if ((t = readable(c, pa, len)) == NULL) {
		_acpi_cat(c, " runs past readable memory");
	} else if ((sum = sum8(t, len)) != 0) {
		_acpi_msg(c, name, pa);
		_acpi_cat(c, "bad checksum (sum ");
		_acpi_hex(c, sum);
		_acpi_cat(c, ")");
		t = NULL;
	} else {
		return t;
	}
	_acpi_cat(c, ", table skipped");
	_acpi_warn(c);
	return NULL;
}

/* Add a table to out->table[] (when there is room); NULL if full. */
static struct acpi_table *record(struct acpi_ctx *c, const uint8_t *hdr,
                                 uint64_t pa)
{
	struct acpi_info *o = c->out;
	struct acpi_table *e;
	int i;

	if (o->ntables == ACPI_MAX_TABLES)
		return NULL;
	e = &o->table[o->ntables++];
	for (i = 0; i < 4; i++)
		e->sig[i] = printable(hdr[i]);
	e->sig[4] = '\0';
	e->revision = hdr[8];
	e->len = _acpi_u32(hdr + 4);
	e->addr = pa;
	return e;
}

/* ---- the tables we parse ---------------------------------------------- */

static const struct acpi_kind {
	char sig[4];
	const char *name;
	uint32_t min_len;
	int dup_ok;  /* a second one is normal: ignore it without a warning */
	void (*parse)(struct acpi_ctx *, const uint8_t *, uint32_t, uint64_t);
} kinds[] = {
	{ { 'A', 'P', 'I', 'C' }, "MADT", ACPI_MADT_MIN, 0, _acpi_madt },
	{ { 'F', 'A', 'C', 'P' }, "FADT", ACPI_FADT_MIN, 0, _acpi_fadt },
	{ { 'H', 'P', 'E', 'T' }, "HPET", ACPI_HPET_MIN, 1, _acpi_hpet },
	{ { 'M', 'C', 'F', 'G' }, "MCFG", ACPI_MCFG_MIN, 0, _acpi_mcfg },
	{ { 'G', 'T', 'D', 'T' }, "GTDT", ACPI_GTDT_MIN, 0, _acpi_gtdt },
	{ { 'S', 'P', 'C', 'R' }, "SPCR", ACPI_SPCR_MIN, 0, _acpi_spcr },
};

/* Visit entry i (address pa) of the root table root (named rname). */
static void visit(struct acpi_ctx *c, const char *rname, uint64_t root,
                  uint32_t i, uint64_t pa)
{
	const struct acpi_kind *k;
	struct acpi_table *e;
	const uint8_t *hdr, *t;
	uint32_t n, len;

	if (pa == 0 || (hdr = readable(c, pa, ACPI_HDR_LEN)) == NULL) {
		_acpi_msg(c, rname, root);
		_acpi_cat(c, "entry ");
		_acpi_dec(c, i);
		if (pa == 0) {
			_acpi_cat(c, " is a null address, skipped");
		} else {
			_acpi_cat(c, " at ");
			_acpi_hex(c, pa);
			_acpi_cat(c, " unreadable, skipped");
		}
		_acpi_warn(c);
		return;
	}
	e = record(c, hdr, pa);
	for (n = 0; n < sizeof kinds / sizeof kinds[0]; n++)
		if (memcmp(hdr, kinds[n].sig, 4) == 0)
			break;
	if (n == sizeof kinds / sizeof kinds[0])
		return;
	k = &kinds[n];
	if (c->used_kinds & 1u << n) {
		if (k->dup_ok)
			return;
		_acpi_msg(c, k->name, pa);
		_acpi_cat(c, "a ");
		_acpi_cat(c, k->name);
		_acpi_cat(c, " was already used, table skipped");
		_acpi_warn(c);
		return;
	}
	t = table_load(c, hdr, pa, k->name, k->min_len, &len);
	if (t == NULL)
		return;
	c->used_kinds |= 1u << n;
	if (e != NULL)
		e->used = 1;
	k->parse(c, t, len, pa);
}

/*
 * Load the root table at pa (name "XSDT" with 8-byte entries or "RSDT"
 * with 4-byte ones) and visit its entries.  Returns 0, or -1 after a
 * warning when the table itself is unusable.
 */
static int walk_root(struct acpi_ctx *c, uint64_t pa, const char *name,
                     uint32_t esize)
{
	struct acpi_info *o = c->out;
	const uint8_t *hdr, *t;
	struct acpi_table *e;
	uint32_t len, i, n;

	hdr = readable(c, pa, ACPI_HDR_LEN);
	if (hdr == NULL || memcmp(hdr, name, 4) != 0) {
		_acpi_msg(c, name, pa);
		if (hdr == NULL) {
			_acpi_cat(c, "unreadable");
		} else {
			_acpi_cat(c, "bad signature ");
			cat_sig(c, hdr);
		}
		_acpi_cat(c, ", table skipped");
		_acpi_warn(c);
		return -1;
	}
	e = record(c, hdr, pa);
	t = table_load(c, hdr, pa, name, ACPI_HDR_LEN, &len);
	if (t == NULL) {
		if (e != NULL)
			o->ntables--;  /* forget it: the fallback is listed */
		return -1;
	}
	if (e != NULL)
		e->used = 1;
	o->root_addr = pa;
	o->root_is_xsdt = esize == 8;
	n = (len - ACPI_HDR_LEN) / esize;
	if ((len - ACPI_HDR_LEN) % esize != 0) {
		_acpi_msg(c, name, pa);
		_acpi_cat(c, "length ");
		_acpi_hex(c, len);
		_acpi_cat(c, " ends inside an entry, partial entry ignored");
		_acpi_warn(c);
	}
	for (i = 0; i < n; i++) {
		const uint8_t *p = t + ACPI_HDR_LEN + (size_t)i * esize;

		visit(c, name, pa, i, esize == 8 ? _acpi_u64(p) : _acpi_u32(p));
	}
	return 0;
}

/* ---- RSDP ------------------------------------------------------------- */

/*
 * Check the RSDP copy and pick the root tables.  Returns -1 (after a
 * warning) if it is unusable; else sets *rsdt and *xsdt (0: none/unusable).
 */
static int rsdp_check(struct acpi_ctx *c, const uint8_t *r, uint32_t rlen,
                      uint64_t *rsdt, uint64_t *xsdt)
{
	struct acpi_info *o = c->out;
	uint8_t sum;
	int i;

	*rsdt = *xsdt = 0;
	_acpi_msg(c, "RSDP", ACPI_NO_ADDR);
	if (r == NULL || rlen < 20) {
		_acpi_cat(c, "none given (length ");
		_acpi_dec(c, r == NULL ? 0 : rlen);
		_acpi_cat(c, ")");
		_acpi_warn(c);
		return -1;
	}
	if (memcmp(r, "RSD PTR ", 8) != 0) {
		_acpi_cat(c, "bad signature");
		_acpi_warn(c);
		return -1;
	}
	if ((sum = sum8(r, 20)) != 0) {
		_acpi_cat(c, "bad checksum (sum ");
		_acpi_hex(c, sum);
		_acpi_cat(c, ")");
		_acpi_warn(c);
		return -1;
	}
	memcpy(o->oem, r + 9, 6);
	for (i = 6; i > 0 && (o->oem[i - 1] == ' ' || o->oem[i - 1] == '\0');
	     i--)
		;
	o->oem[i] = '\0';
	while (--i >= 0)
		o->oem[i] = printable((uint8_t)o->oem[i]);
	o->revision = r[15];
	*rsdt = _acpi_u32(r + 16);
	if (o->revision < 2)
		return 0;
	if (rlen < 36) {
		_acpi_cat(c, "revision ");
		_acpi_dec(c, o->revision);
		_acpi_cat(c, " but only ");
		_acpi_dec(c, rlen);
		_acpi_cat(c, " bytes, XSDT ignored");
		_acpi_warn(c);
	} else if (_acpi_u32(r + 20) != 36) {
		_acpi_cat(c, "length field ");
		_acpi_dec(c, _acpi_u32(r + 20));
		_acpi_cat(c, " is not 36, XSDT ignored");
		_acpi_warn(c);
	} else if ((sum = sum8(r, 36)) != 0) {
		_acpi_cat(c, "bad extended checksum (sum ");
		_acpi_hex(c, sum);
		_acpi_cat(c, "), XSDT ignored");
		_acpi_warn(c);
	} else {
		*xsdt = _acpi_u64(r + 24);
	}
	return 0;
}

int acpi_parse(const uint8_t *rsdp, uint32_t rsdp_len, boot_phys_fn phys,
               void *ctx, struct acpi_info *out)
{
	struct acpi_ctx c;
	uint64_t rsdt, xsdt;

	if (out == NULL)
		return -1;
	memset(out, 0, sizeof *out);
	memset(&c, 0, sizeof c);
	c.out = out;
	c.phys = phys;
	c.pctx = ctx;
	if (rsdp_check(&c, rsdp, rsdp_len, &rsdt, &xsdt) != 0)
		return -1;
	if (phys == NULL) {
		_acpi_msg(&c, "RSDP", ACPI_NO_ADDR);
		_acpi_cat(&c, "no memory reader, tables not read");
		_acpi_warn(&c);
		return -1;
	}
	if (xsdt != 0) {
		if (walk_root(&c, xsdt, "XSDT", 8) == 0)
			return 0;
		if (rsdt != 0) {
			_acpi_msg(&c, "XSDT", xsdt);
			_acpi_cat(&c, "unusable, using the RSDT at ");
			_acpi_hex(&c, rsdt);
			_acpi_warn(&c);
		}
	}
	if (rsdt != 0 && walk_root(&c, rsdt, "RSDT", 4) == 0)
		return 0;
	_acpi_msg(&c, "RSDP", ACPI_NO_ADDR);
	_acpi_cat(&c, "no usable RSDT or XSDT");
	_acpi_warn(&c);
	return -1;
}

/*
 * acpi_madt.c - the Multiple APIC Description Table: CPUs, I/O APICs,
 * interrupt source overrides, local APIC NMI pins.
 *
 * Purpose: SMP start-up needs the APIC id of every processor and whether it
 * may be started; interrupt routing needs the I/O APICs and the ISA IRQ ->
 * GSI overrides; the local APIC set-up needs the LINT pins wired to NMI.
 *
 * Layout: header (36 bytes), local APIC address (u32 at 36), flags (u32 at
 * 40), then variable-length entries {type u8, length u8, body} from 44 to
 * the table's length.  Entries used (type: minimum length):
 *   0 processor local APIC (8): uid u8 @2, APIC id u8 @3, flags u32 @4
 *   1 I/O APIC (12): id u8 @2, address u32 @4, GSI base u32 @8
 *   2 interrupt source override (10): bus @2, source @3, GSI u32 @4,
 *     flags u16 @8
 *   4 local APIC NMI (6): uid u8 @2 (0xff: all), flags u16 @3, LINT# @5
 *   5 local APIC address override (12): address u64 @4
 *   9 processor local x2APIC (16): x2APIC id u32 @4, flags u32 @8,
 *     uid u32 @12
 *  10 local x2APIC NMI (12): flags u16 @2, uid u32 @4 (~0: all), LINT# @8
 * Arm (ACPI 6.x, 5.2.12.14-18):
 * 0xb GIC CPU interface, GICC (76): CPU interface number u32 @4, uid u32
 *     @8, flags u32 @12 (bit 0 Enabled, bit 3 Online Capable), physical
 *     base address (GICv2 CPU interface) u64 @32, GICR base u64 @60,
 *     MPIDR u64 @68 (affinity fields kept: bits 39:32 and 23:0)
 * 0xc GIC distributor, GICD (24): physical base u64 @8, GIC version u8 @20
 * 0xe GIC redistributor range, GICR (16): base u64 @4, length u32 @12
 * 0xf GIC ITS (20): physical base u64 @8
 * Processor flags: bit 0 Enabled, bit 1 Online Capable (ACPI 6.3).
 * Other types (NMI source, SAPIC, GIC MSI frame, ...) are skipped by
 * their length.  A second GICD, and a GICC whose MPIDR was already
 * listed, are skipped with a warning.
 *
 * Invariants (on top of acpi_impl.h's): the walk advances by each entry's
 * own length, and only after checking 2 <= length <= bytes left; an entry
 * failing that check ends the walk (nothing after it can be located), a
 * known entry shorter than its type's minimum is skipped alone.  Each
 * array stops at its cap with one warning.  A processor entry whose APIC
 * id was already listed is skipped with a warning (one id, one CPU), and
 * APIC id 0xff (xAPIC) / 0xffffffff (x2APIC) entries, which firmware uses
 * for "not present", are skipped silently.  An NMI entry whose LINT# is
 * not 0 or 1 is skipped with a warning.
 *
 * Locking: none.  Context: boot time, called from acpi.c only.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/acpi/acpi_impl.h"

struct madt_walk {
	struct acpi_ctx *c;
	uint64_t pa;        /* table address, for warnings */
	uint32_t idx;       /* entry index */
	uint32_t off;       /* entry offset */
	int full_cpu, full_ioapic, full_override, full_nmi;  /* warned */
	int full_gicr, full_its;
	int lapic_override; /* a type 5 entry was seen */
};

/* "acpi: MADT at 0x..: entry N (type T, offset 0x..): " */
static void entry_msg(struct madt_walk *w, uint8_t type)
{
	_acpi_msg(w->c, "MADT", w->pa);
	_acpi_cat(w->c, "entry ");
	_acpi_dec(w->c, w->idx);
	_acpi_cat(w->c, " (type ");
	_acpi_dec(w->c, type);
	_acpi_cat(w->c, ", offset ");
	_acpi_hex(w->c, w->off);
	_acpi_cat(w->c, "): ");
}

/* Warn (once per array) that array `what` is full. */
static void full(struct madt_walk *w, int *warned, const char *what,
                 uint32_t cap)
{
	if (*warned)
		return;
	*warned = 1;
	_acpi_msg(w->c, "MADT", w->pa);
	_acpi_cat(w->c, "more than ");
	_acpi_dec(w->c, cap);
	_acpi_cat(w->c, " ");
	_acpi_cat(w->c, what);
	_acpi_cat(w->c, ", the rest ignored");
	_acpi_warn(w->c);
}

static void add_cpu(struct madt_walk *w, uint32_t apic_id, uint32_t uid,
                    uint32_t flags, uint8_t x2apic)
{
	struct acpi_info *o = w->c->out;
	struct acpi_cpu *cpu;
	uint32_t i;

	if (apic_id == (x2apic ? 0xffffffffu : 0xffu))
		return;
	for (i = 0; i < o->ncpu; i++) {
		if (o->cpu[i].apic_id != apic_id)
			continue;
		entry_msg(w, x2apic ? 9 : 0);
		_acpi_cat(w->c, "APIC id ");
		_acpi_hex(w->c, apic_id);
		_acpi_cat(w->c, " listed twice, entry skipped");
		_acpi_warn(w->c);
		return;
	}
	if (o->ncpu == ACPI_MAX_CPUS) {
		full(w, &w->full_cpu, "CPUs", ACPI_MAX_CPUS);
		return;
	}
	cpu = &o->cpu[o->ncpu++];
	cpu->apic_id = apic_id;
	cpu->uid = uid;
	cpu->enabled = flags & 1;
	cpu->online_capable = (flags >> 1) & 1;
	cpu->x2apic = x2apic;
}

/* GICC: one CPU, by MPIDR (unique, as APIC ids are). */
static void add_gicc(struct madt_walk *w, const uint8_t *e)
{
	struct acpi_info *o = w->c->out;
	uint64_t mpidr = _acpi_u64(e + 68) & 0xff00ffffffull;
	struct acpi_gicc *g;
	uint32_t flags = _acpi_u32(e + 12), i;

	for (i = 0; i < o->ngicc; i++) {
		if (o->gicc[i].mpidr != mpidr)
			continue;
		entry_msg(w, 0xb);
		_acpi_cat(w->c, "MPIDR ");
		_acpi_hex(w->c, mpidr);
		_acpi_cat(w->c, " listed twice, entry skipped");
		_acpi_warn(w->c);
		return;
	}
	if (o->ngicc == ACPI_MAX_CPUS) {
		full(w, &w->full_cpu, "GIC CPU interfaces", ACPI_MAX_CPUS);
		return;
	}
	g = &o->gicc[o->ngicc++];
	g->mpidr = mpidr;
	g->iface = _acpi_u32(e + 4);
	g->uid = _acpi_u32(e + 8);
	g->enabled = flags & 1;
	g->online_capable = (flags >> 3) & 1;
	g->gicc_base = _acpi_u64(e + 32);
	g->gicr_base = _acpi_u64(e + 60);
}

static void add_nmi(struct madt_walk *w, uint32_t uid, uint16_t flags,
                    uint8_t lint, uint8_t x2apic)
{
	struct acpi_info *o = w->c->out;
	struct acpi_nmi *n;

	if (o->nnmi == ACPI_MAX_NMIS) {
		full(w, &w->full_nmi, "local APIC NMI entries", ACPI_MAX_NMIS);
		return;
	}
	n = &o->nmi[o->nnmi++];
	n->uid = uid;
	n->flags = flags;
	n->lint = lint;
	n->x2apic = x2apic;
}

/* A local APIC has two LINT pins: an NMI entry naming another is wrong
 * (acpi_nmi.lint promises 0 or 1, and a LAPIC driver would index its LVT
 * registers with it). */
static int lint_ok(struct madt_walk *w, uint8_t type, uint8_t lint)
{
	if (lint <= 1)
		return 1;
	entry_msg(w, type);
	_acpi_cat(w->c, "LINT# ");
	_acpi_dec(w->c, lint);
	_acpi_cat(w->c, " is not 0 or 1, entry skipped");
	_acpi_warn(w->c);
	return 0;
}

/* Minimum length of the entry types we read; 0 for types we skip. */
static uint8_t min_len(uint8_t type)
{
	switch (type) {
	case 0: return 8;
	case 1: return 12;
	case 2: return 10;
	case 4: return 6;
	case 5: return 12;
	case 9: return 16;
	case 10: return 12;
	case 0xb: return 76;
	case 0xc: return 24;
	case 0xe: return 16;
	case 0xf: return 20;
	default: return 0;
	}
}

/* One entry e[0..elen), elen >= 2 and inside the table. */
static void entry(struct madt_walk *w, const uint8_t *e, uint8_t elen)
{
	struct acpi_info *o = w->c->out;
	uint8_t type = e[0], need = min_len(type);

	if (need == 0)
		return;
	if (elen < need) {
		entry_msg(w, type);
		_acpi_cat(w->c, "length ");
		_acpi_dec(w->c, elen);
		_acpi_cat(w->c, " too short (");
		_acpi_dec(w->c, need);
		_acpi_cat(w->c, "), entry skipped");
		_acpi_warn(w->c);
		return;
	}
	switch (type) {
	case 0:
		add_cpu(w, e[3], e[2], _acpi_u32(e + 4), 0);
		break;
	case 9:
		add_cpu(w, _acpi_u32(e + 4), _acpi_u32(e + 12),
		        _acpi_u32(e + 8), 1);
		break;
	case 1:
		if (o->nioapic == ACPI_MAX_IOAPICS) {
			full(w, &w->full_ioapic, "I/O APICs", ACPI_MAX_IOAPICS);
			break;
		}
		o->ioapic[o->nioapic].id = e[2];
		o->ioapic[o->nioapic].addr = _acpi_u32(e + 4);
		o->ioapic[o->nioapic].gsi_base = _acpi_u32(e + 8);
		o->nioapic++;
		break;
	case 2:
		if (o->noverride == ACPI_MAX_OVERRIDES) {
			full(w, &w->full_override, "interrupt overrides",
			     ACPI_MAX_OVERRIDES);
			break;
		}
		o->override[o->noverride].bus = e[2];
		o->override[o->noverride].source = e[3];
		o->override[o->noverride].gsi = _acpi_u32(e + 4);
		o->override[o->noverride].flags = _acpi_u16(e + 8);
		o->noverride++;
		break;
	case 4:
		if (lint_ok(w, type, e[5]))
			add_nmi(w, e[2] == 0xff ? ACPI_NMI_ALL_CPUS : e[2],
			        _acpi_u16(e + 3), e[5], 0);
		break;
	case 10:
		if (lint_ok(w, type, e[8]))
			add_nmi(w, _acpi_u32(e + 4), _acpi_u16(e + 2), e[8], 1);
		break;
	case 0xb:
		add_gicc(w, e);
		break;
	case 0xc:
		if (o->has_gicd) {
			entry_msg(w, type);
			_acpi_cat(w->c, "a second GIC distributor, entry skipped");
			_acpi_warn(w->c);
			break;
		}
		o->has_gicd = 1;
		o->gicd_base = _acpi_u64(e + 8);
		o->gic_version = e[20];
		break;
	case 0xe:
		if (o->ngicr == ACPI_MAX_GICR) {
			full(w, &w->full_gicr, "redistributor ranges", ACPI_MAX_GICR);
			break;
		}
		o->gicr[o->ngicr].base = _acpi_u64(e + 4);
		o->gicr[o->ngicr].len = _acpi_u32(e + 12);
		o->ngicr++;
		break;
	case 0xf:
		if (o->nits == ACPI_MAX_ITS) {
			full(w, &w->full_its, "ITSes", ACPI_MAX_ITS);
			break;
		}
		o->its_base[o->nits++] = _acpi_u64(e + 8);
		break;
	case 5:
		if (w->lapic_override)
			break;  /* the first one wins */
		w->lapic_override = 1;
		o->lapic_addr = _acpi_u64(e + 4);
		break;
	}
}

void _acpi_madt(struct acpi_ctx *c, const uint8_t *t, uint32_t len,
                uint64_t pa)
{
	struct acpi_info *o = c->out;
	struct madt_walk w = { .c = c, .pa = pa };
	uint8_t elen;

	o->has_madt = 1;
	o->madt_revision = t[8];
	o->lapic_addr = _acpi_u32(t + 36);
	o->madt_flags = _acpi_u32(t + 40);
	for (w.off = ACPI_MADT_MIN; w.off < len; w.off += elen, w.idx++) {
		if (len - w.off < 2) {
			entry_msg(&w, t[w.off]);
			_acpi_cat(c, "header runs past the end (");
			_acpi_hex(c, len);
			_acpi_cat(c, "), rest skipped");
			_acpi_warn(c);
			return;
		}
		elen = t[w.off + 1];
		if (elen < 2 || elen > len - w.off) {
			entry_msg(&w, t[w.off]);
			_acpi_cat(c, "length ");
			_acpi_dec(c, elen);
			if (elen >= 2) {
				_acpi_cat(c, " runs past the end (");
				_acpi_hex(c, len);
				_acpi_cat(c, ")");
			}
			_acpi_cat(c, ", rest skipped");
			_acpi_warn(c);
			return;
		}
		entry(&w, t + w.off, elen);
	}
}

/*
 * acpi_impl.h - internals shared by acpi.c (RSDP, root table, table
 * validation), acpi_madt.c (MADT), acpi_hw.c (FADT, HPET, MCFG) and
 * acpi_arm.c (GTDT, SPCR).
 *
 * Data structures: struct acpi_ctx carries the output and the memory
 * reader through one acpi_parse() call; nothing outlives the call.
 *
 * Invariants: the per-table parsers receive a table that acpi.c already
 * validated: t[0..len) is readable, len >= the table's fixed part (the
 * min_len given to _acpi_dispatch), checksum zero.  They read nothing
 * outside t[0..len) and never call the memory reader themselves.
 *
 * Context: as acpi.h (boot time, pure, no allocation).
 */
#ifndef TALLY_ACPI_IMPL_H
#define TALLY_ACPI_IMPL_H

#include <stdint.h>
#include "kernel/acpi/acpi.h"

#define ACPI_HDR_LEN 36u

struct acpi_ctx {
	struct acpi_info *out;
	boot_phys_fn phys;
	void *pctx;
	uint32_t used_kinds;      /* bit k: a table of kind k was used */
	char msg[ACPI_WARN_LEN];  /* warning being built */
};

/* Little-endian loads at any alignment (tables are byte-packed). */
static inline uint16_t _acpi_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t _acpi_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t _acpi_u64(const uint8_t *p)
{
	return (uint64_t)_acpi_u32(p) | (uint64_t)_acpi_u32(p + 4) << 32;
}

/* Decode a 12-byte Generic Address Structure. */
static inline void _acpi_gas(const uint8_t *p, struct acpi_gas *g)
{
	g->space = p[0];
	g->bit_width = p[1];
	g->bit_offset = p[2];
	g->access_size = p[3];
	g->addr = _acpi_u64(p + 4);
}

/* addr argument of _acpi_msg() for messages about no particular address. */
#define ACPI_NO_ADDR UINT64_MAX

/*
 * Warnings: _acpi_msg() starts c->msg as "acpi: <what> at 0x<addr>: "
 * (or "acpi: <what>: " for ACPI_NO_ADDR),
 * _acpi_cat/_acpi_hex/_acpi_dec append, _acpi_warn() stores the line
 * (or counts it in nwarn_dropped when the array is full).
 */
void _acpi_msg(struct acpi_ctx *c, const char *what, uint64_t addr);
void _acpi_cat(struct acpi_ctx *c, const char *s);
void _acpi_hex(struct acpi_ctx *c, uint64_t v);
void _acpi_dec(struct acpi_ctx *c, uint64_t v);
void _acpi_warn(struct acpi_ctx *c);

/* Per-table parsers, called once per validated table. */
void _acpi_madt(struct acpi_ctx *c, const uint8_t *t, uint32_t len,
                uint64_t pa);
void _acpi_fadt(struct acpi_ctx *c, const uint8_t *t, uint32_t len,
                uint64_t pa);
void _acpi_hpet(struct acpi_ctx *c, const uint8_t *t, uint32_t len,
                uint64_t pa);
void _acpi_mcfg(struct acpi_ctx *c, const uint8_t *t, uint32_t len,
                uint64_t pa);

void _acpi_gtdt(struct acpi_ctx *c, const uint8_t *t, uint32_t len,
                uint64_t pa);
void _acpi_spcr(struct acpi_ctx *c, const uint8_t *t, uint32_t len,
                uint64_t pa);

/* Fixed-part lengths (the smallest table each parser accepts). */
#define ACPI_MADT_MIN 44u
#define ACPI_FADT_MIN 116u   /* ACPI 1.0 FADT, through Flags */
#define ACPI_HPET_MIN 56u
#define ACPI_MCFG_MIN 44u
#define ACPI_GTDT_MIN 80u    /* through the EL2 timer's flags (ACPI 5.0) */
#define ACPI_SPCR_MIN 52u    /* through the base address */

#endif

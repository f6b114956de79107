/*
 * acpi_hw.c - fixed hardware described by the FADT, HPET and MCFG tables:
 * the ACPI PM timer, the reset register, the HPET block, PCIe ECAM windows.
 *
 * Purpose: clock calibration needs a reference timer (PM timer or HPET),
 * tally's exit path may need the reset register, the PCI code needs the
 * ECAM windows.
 *
 * FADT ("FACP") layout, the fields used (offset, size, present when the
 * table's length covers them):
 *   40 DSDT u32   46 SCI_INT u16   64 PM1a_CNT_BLK u32   68 PM1b_CNT_BLK
 *   u32   76 PM_TMR_BLK u32   89 PM1_CNT_LEN u8   109 IAPC_BOOT_ARCH
 *   u16 (revision >= 2)   112 Flags u32   116 RESET_REG GAS   128
 *   RESET_VALUE u8   140 X_DSDT u64   172 X_PM1a_CNT_BLK GAS   184
 *   X_PM1b_CNT_BLK GAS   208 X_PM_TMR_BLK GAS   244 SLEEP_CONTROL_REG GAS
 *   (ACPI 5+)
 * Lengths by ACPI version: 116 (1.0), 129 (1.0b, revision 2), 244 (2.0 -
 * 4.0), 268 (5.x), 276 (6.x).  The length, not the revision, decides which
 * fields exist; the table is copied into a zeroed buffer of the longest
 * known layout first, so a field past the table's end reads as zero and no
 * byte past the length is ever touched.  Fields that are zero mean "absent":
 *   PM timer = X_PM_TMR_BLK if its address != 0, else PM_TMR_BLK as a
 *   32-bit I/O register if != 0, else none; none on HW_REDUCED_ACPI
 *   machines (which have no PM timer by definition);
 *   PM1x control = X_PM1x_CNT_BLK if its address != 0, else PM1x_CNT_BLK
 *   as a 16-bit I/O register (PM1_CNT_LEN is 2 on every machine seen;
 *   the SLP_TYP and SLP_EN bits live in its low 16 bits anyway) if != 0;
 *   none on HW_REDUCED_ACPI machines, which have SLEEP_CONTROL_REG
 *   instead (taken when the table reaches its end, 256 bytes, and its
 *   address != 0);
 *   reset = RESET_REG if Flags.RESET_REG_SUP and the table reaches
 *   RESET_VALUE (129 bytes) and RESET_REG's address != 0.
 * Flags used: bit 8 TMR_VAL_EXT, bit 10 RESET_REG_SUP, bit 20
 * HW_REDUCED_ACPI.
 *
 * HPET layout: 36 event timer block id u32, 40 base address GAS, 52 HPET
 * number u8, 53 minimum clock tick u16.  The base must be in memory space.
 *
 * MCFG layout: 36 reserved (8 bytes), then 16-byte entries from 44: base
 * u64, segment u16, start bus u8, end bus u8, reserved u32.
 *
 * Locking: none.  Context: boot time, called from acpi.c only, on tables
 * acpi.c validated (acpi_impl.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/acpi/acpi_impl.h"

#define FADT_MAX_LEN       276u
#define FADT_TMR_VAL_EXT   (1u << 8)
#define FADT_RESET_REG_SUP (1u << 10)
#define FADT_HW_REDUCED    (1u << 20)

/* A PM1 control block: the X_ GAS at x when its address is set, else the
 * 32-bit I/O port blk (0: none) as a 16-bit I/O register. */
static void pm1_cnt(const uint8_t *x, uint32_t blk, struct acpi_gas *g)
{
	_acpi_gas(x, g);
	if (g->addr != 0)
		return;
	memset(g, 0, sizeof *g);
	if (blk == 0)
		return;
	g->space = ACPI_GAS_IO;
	g->bit_width = 16;
	g->access_size = 2;  /* word */
	g->addr = blk;
}

void _acpi_fadt(struct acpi_ctx *c, const uint8_t *t, uint32_t len,
                uint64_t pa)
{
	struct acpi_info *o = c->out;
	uint8_t f[FADT_MAX_LEN];
	struct acpi_gas xtmr;
	uint32_t pm_tmr_blk;

	memset(f, 0, sizeof f);
	memcpy(f, t, len < FADT_MAX_LEN ? len : FADT_MAX_LEN);
	o->has_fadt = 1;
	o->fadt_revision = f[8];
	o->fadt_len = len;
	o->fadt_flags = _acpi_u32(f + 112);
	o->sci_irq = _acpi_u16(f + 46);
	o->boot_arch = o->fadt_revision >= 2 ? _acpi_u16(f + 109) : 0;
	/* ARM_BOOT_ARCH at 129 (ACPI 5.1; a 6.x FADT is 276 bytes) */
	o->arm_boot_arch = len >= 131 ? _acpi_u16(f + 129) : 0;
	o->dsdt_addr = _acpi_u64(f + 140) != 0 ? _acpi_u64(f + 140)
	                                       : _acpi_u32(f + 40);
	o->hw_reduced = (o->fadt_flags & FADT_HW_REDUCED) != 0;
	o->pm_timer_32bit = (o->fadt_flags & FADT_TMR_VAL_EXT) != 0;

	_acpi_gas(f + 208, &xtmr);
	pm_tmr_blk = _acpi_u32(f + 76);
	if (o->hw_reduced) {
		o->pm_timer_32bit = 0;
	} else if (xtmr.addr != 0) {
		o->has_pm_timer = 1;
		o->pm_timer = xtmr;
	} else if (pm_tmr_blk != 0) {
		o->has_pm_timer = 1;
		o->pm_timer.space = ACPI_GAS_IO;
		o->pm_timer.bit_width = 32;
		o->pm_timer.access_size = 3;  /* dword */
		o->pm_timer.addr = pm_tmr_blk;
	}

	if (o->hw_reduced) {
		_acpi_gas(f + 244, &o->sleep_ctl);
		o->has_sleep_ctl = len >= 256 && o->sleep_ctl.addr != 0;
		if (!o->has_sleep_ctl)
			memset(&o->sleep_ctl, 0, sizeof o->sleep_ctl);
	} else {
		pm1_cnt(f + 172, _acpi_u32(f + 64), &o->pm1a_cnt);
		pm1_cnt(f + 184, _acpi_u32(f + 68), &o->pm1b_cnt);
		o->has_pm1_cnt = o->pm1a_cnt.addr != 0;
		if (!o->has_pm1_cnt)
			memset(&o->pm1b_cnt, 0, sizeof o->pm1b_cnt);
	}

	if (!(o->fadt_flags & FADT_RESET_REG_SUP))
		return;
	_acpi_gas(f + 116, &o->reset_reg);
	o->reset_value = f[128];
	if (len >= 129 && o->reset_reg.addr != 0) {
		o->has_reset = 1;
		return;
	}
	memset(&o->reset_reg, 0, sizeof o->reset_reg);
	o->reset_value = 0;
	_acpi_msg(c, "FADT", pa);
	_acpi_cat(c, "RESET_REG_SUP set but ");
	if (len < 129) {
		_acpi_cat(c, "length ");
		_acpi_hex(c, len);
		_acpi_cat(c, " has no reset register");
	} else {
		_acpi_cat(c, "the reset register address is 0");
	}
	_acpi_cat(c, ", reset ignored");
	_acpi_warn(c);
}

void _acpi_hpet(struct acpi_ctx *c, const uint8_t *t, uint32_t len,
                uint64_t pa)
{
	struct acpi_info *o = c->out;
	struct acpi_gas g;

	(void)len;
	_acpi_gas(t + 40, &g);
	if (g.space != ACPI_GAS_MEMORY || g.addr == 0) {
		_acpi_msg(c, "HPET", pa);
		_acpi_cat(c, "base address ");
		_acpi_hex(c, g.addr);
		_acpi_cat(c, " in ");
		_acpi_cat(c, acpi_gas_space_name(g.space));
		_acpi_cat(c, " space, HPET ignored");
		_acpi_warn(c);
		return;
	}
	o->has_hpet = 1;
	o->hpet_addr = g.addr;
	o->hpet_block_id = _acpi_u32(t + 36);
	o->hpet_number = t[52];
	o->hpet_min_tick = _acpi_u16(t + 53);
}

void _acpi_mcfg(struct acpi_ctx *c, const uint8_t *t, uint32_t len,
                uint64_t pa)
{
	struct acpi_info *o = c->out;
	uint32_t off;

	if ((len - ACPI_MCFG_MIN) % 16 != 0) {
		_acpi_msg(c, "MCFG", pa);
		_acpi_cat(c, "length ");
		_acpi_hex(c, len);
		_acpi_cat(c, " ends inside an entry, partial entry ignored");
		_acpi_warn(c);
	}
	for (off = ACPI_MCFG_MIN; len - off >= 16; off += 16) {
		struct acpi_mcfg *m;

		if (o->nmcfg == ACPI_MAX_MCFG) {
			_acpi_msg(c, "MCFG", pa);
			_acpi_cat(c, "more than ");
			_acpi_dec(c, ACPI_MAX_MCFG);
			_acpi_cat(c, " windows, the rest ignored");
			_acpi_warn(c);
			return;
		}
		m = &o->mcfg[o->nmcfg++];
		m->base = _acpi_u64(t + off);
		m->segment = _acpi_u16(t + off + 8);
		m->bus_start = t[off + 10];
		m->bus_end = t[off + 11];
	}
}

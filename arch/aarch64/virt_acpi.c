/*
 * virt_acpi.c - QEMU's aarch64 `virt` board described by ACPI tables
 * instead of a device tree: the same struct virt_desc (virt_desc.h), from
 * what acpi_parse() (kernel/acpi/) read.
 *
 * Purpose: booted through UEFI, AAVMF hands over ACPI tables and no
 * device tree whenever QEMU provides tables (the default; acpi=off gives
 * the tree).  The ACPI tables name the same hardware:
 *   GIC       MADT: the GICD entry (base; version 3 or 2: 0 means "ask
 *             the redistributors": GICR entries or per-CPU GICR bases
 *             make it 3), GICR discovery ranges (or, without any, each
 *             GICC's own redistributor base, 128 KiB a frame pair), the
 *             GICv2 CPU interface from the boot CPU's GICC; the register
 *             windows' sizes are the architecture's (GICD 64 KiB on v3,
 *             4 KiB on v2; GICC 8 KiB);
 *   CPUs      MADT GICC entries: MPIDR (as the hwid), Enabled and Online
 *             Capable;
 *   timer     GTDT: the virtual EL1 timer's GSIV if it is a PPI, else the
 *             non-secure physical one's;
 *   console   SPCR: an Arm PL011 or SBSA generic UART (the PL011 subset)
 *             in memory space; 4 KiB of registers;
 *   PSCI      FADT ARM_BOOT_ARCH: PSCI_COMPLIANT, and PSCI_USE_HVC for the
 *             conduit (else SMC); the Arm ACPI platforms require PSCI 0.2
 *             or later, so SYSTEM_OFF, SYSTEM_RESET and the standard
 *             CPU_ON id;
 *   PCI       MCFG's ECAM windows.
 * A missing piece costs what it costs with a device tree (virt_desc.c
 * says which) and gets a note.  virt_describe_acpi returns -1 only when
 * the tables describe no GIC and no generic timer at all (not an Arm
 * board virt.c could run).
 *
 * Context: any; pure (no hardware access), host-tested
 * (tests/host/test_virt_acpi.c); writes only *d and err.
 */
#include <string.h>
#include "arch/aarch64/virt_desc.h"
#include "kernel/lib/kprintf.h"

#define GICD_V3_SIZE  0x10000ull
#define GICD_V2_SIZE  0x1000ull
#define GICC_V2_SIZE  0x2000ull
#define GICR_PAIR     0x20000ull   /* RD_base + SGI frames of one CPU */
#define GITS_SIZE     0x20000ull   /* ITS control frame + translation frame */
#define UART_SIZE     0x1000ull

static const struct acpi_gicc *boot_gicc(const struct acpi_info *a, uint64_t boot_mpidr)
{
	for (uint32_t i = 0; i < a->ngicc; i++)
		if (a->gicc[i].mpidr == (boot_mpidr & 0xff00ffffffull))
			return &a->gicc[i];
	return a->ngicc ? &a->gicc[0] : NULL;
}

static void describe_gic(const struct acpi_info *a, uint64_t boot_mpidr, struct virt_desc *d)
{
	const struct acpi_gicc *bc = boot_gicc(a, boot_mpidr);
	uint32_t i, per_cpu = 0;
	unsigned v;

	for (i = 0; i < a->ngicc; i++)
		per_cpu += a->gicc[i].gicr_base != 0;
	v = a->gic_version;
	if (v == 0)
		v = a->ngicr || per_cpu ? 3 : 2;
	if (!a->has_gicd) {
		ksnprintf(d->intc_why, VIRT_WHY_LEN,
		          "virt: the MADT lists no GIC distributor: no interrupt controller");
		return;
	}
	if (v == 3 || v == 4) {
		d->gicd.base = a->gicd_base;
		d->gicd.size = GICD_V3_SIZE;
		for (i = 0; i < a->ngicr && d->nredist < FDT_MAX_REDIST; i++) {
			d->redist[d->nredist].base = a->gicr[i].base;
			d->redist[d->nredist++].size = a->gicr[i].len;
		}
		for (i = 0; !a->ngicr && i < a->ngicc && d->nredist < FDT_MAX_REDIST; i++) {
			if (!a->gicc[i].gicr_base)
				continue;
			d->redist[d->nredist].base = a->gicc[i].gicr_base;
			d->redist[d->nredist++].size = GICR_PAIR;
		}
		if (!d->nredist) {
			ksnprintf(d->intc_why, VIRT_WHY_LEN, "virt: the MADT's GICv%u has no "
			          "redistributor (GICR entry or GICC GICR base): no interrupt controller",
			          v);
			return;
		}
		d->gic_version = 3;
		if (a->nits) {
			d->its.base = a->its_base[0];
			d->its.size = GITS_SIZE;
		}
	} else if (v == 2) {
		if (!bc || !bc->gicc_base) {
			ksnprintf(d->intc_why, VIRT_WHY_LEN, "virt: the MADT's GICv2 has no CPU "
			          "interface base in the boot CPU's GICC entry: no interrupt controller");
			return;
		}
		d->gicd.base = a->gicd_base;
		d->gicd.size = GICD_V2_SIZE;
		d->gicc.base = bc->gicc_base;
		d->gicc.size = GICC_V2_SIZE;
		d->gic_version = 2;
	} else {
		ksnprintf(d->intc_why, VIRT_WHY_LEN, "virt: the MADT's GIC distributor says "
		          "version %u (1, or unknown): no interrupt controller", v);
		return;
	}
	if (a->gtdt_virt_gsiv >= 16 && a->gtdt_virt_gsiv < 32) {
		d->virt_intid = a->gtdt_virt_gsiv;
		d->timer = VIRT_TIMER_VIRT;
		d->timer_intid = d->virt_intid;
	}
	if (a->gtdt_phys_gsiv >= 16 && a->gtdt_phys_gsiv < 32)
		d->phys_intid = a->gtdt_phys_gsiv;
	if (!d->virt_intid && d->phys_intid) {
		d->timer = VIRT_TIMER_PHYS;
		d->timer_intid = d->phys_intid;
	} else if (!d->virt_intid) {
		ksnprintf(d->intc_why, VIRT_WHY_LEN, "virt: %s: no tick", a->has_gtdt ?
		          "the GTDT gives neither timer a PPI" : "no GTDT (generic timer) table");
	}
}

static void describe_cpus(const struct acpi_info *a, uint64_t boot_mpidr, struct virt_desc *d)
{
	uint32_t i, off = 0, n = a->ngicc < FDT_MAX_CPUS ? a->ngicc : FDT_MAX_CPUS;

	if (a->ngicc > FDT_MAX_CPUS)
		virt_note(d, "virt: the MADT lists %u CPUs; the first %u are used", a->ngicc,
		     (unsigned)FDT_MAX_CPUS);
	for (i = 0; i < n; i++) {
		const struct acpi_gicc *g = &a->gicc[i];
		int boot = g->mpidr == (boot_mpidr & 0xff00ffffffull);
		int startable = d->psci_cpu_on != 0;

		d->cpu[d->ncpu].hwid = virt_hwid(g->mpidr);
		d->cpu[d->ncpu].enabled = (uint8_t)(boot || (startable && g->enabled));
		d->cpu[d->ncpu].online_capable =
			(uint8_t)(!boot && startable && !g->enabled && g->online_capable);
		d->ncpu++;
		off += !boot && !g->enabled;
	}
	if (!a->ngicc) {
		/* no list: the boot CPU alone */
		d->cpu[0].hwid = virt_hwid(boot_mpidr);
		d->cpu[0].enabled = 1;
		d->ncpu = 1;
		virt_note(d, "virt: the MADT lists no GICC (CPU) entries: one CPU");
	}
	if (off)
		virt_note(d, "virt: %u CPU%s not enabled in the MADT: not started", off,
		     off == 1 ? "" : "s");
}

int virt_describe_acpi(const struct acpi_info *a, uint64_t boot_mpidr, struct virt_desc *d,
                       char *err, size_t errlen)
{
	memset(d, 0, sizeof *d);
	if (!a->has_gicd && !a->ngicc && !a->has_gtdt) {
		ksnprintf(err, errlen, "virt: the ACPI tables (OEM \"%s\") describe no GIC and no "
		          "generic timer: not an Arm virt board", a->oem);
		return -1;
	}
	describe_gic(a, boot_mpidr, d);
	if (a->has_spcr && a->spcr_base.space == ACPI_GAS_MEMORY && a->spcr_base.addr &&
	    (a->spcr_type == ACPI_SPCR_PL011 || a->spcr_type == ACPI_SPCR_SBSA ||
	     a->spcr_type == ACPI_SPCR_SBSA32)) {
		d->has_uart = 1;
		d->uart.base = a->spcr_base.addr;
		d->uart.size = UART_SIZE;
	} else if (a->has_spcr) {
		virt_note(d, "virt: the SPCR's UART (interface type %u, %s space) is not a PL011 in "
		     "memory: no console", a->spcr_type, acpi_gas_space_name(a->spcr_base.space));
	} else {
		virt_note(d, "virt: no SPCR table: no console");
	}
	if (a->arm_boot_arch & ACPI_ARM_PSCI_COMPLIANT) {
		d->psci = a->arm_boot_arch & ACPI_ARM_PSCI_USE_HVC ? FDT_PSCI_HVC : FDT_PSCI_SMC;
		d->psci_02 = 1;
		d->psci_cpu_on = VIRT_PSCI_CPU_ON;
	} else {
		virt_note(d, "virt: the FADT does not say PSCI_COMPLIANT%s: one CPU, no power-off or "
		     "reset", a->has_fadt ? "" : " (no FADT)");
	}
	describe_cpus(a, boot_mpidr, d);
	for (uint32_t i = 0; i < a->nmcfg && d->necam < VIRT_MAX_ECAM; i++) {
		d->ecam[d->necam].base = a->mcfg[i].base;
		d->ecam[d->necam].segment = a->mcfg[i].segment;
		d->ecam[d->necam].bus_start = a->mcfg[i].bus_start;
		d->ecam[d->necam].bus_end = a->mcfg[i].bus_end;
		d->necam++;
	}
	return 0;
}

/*
 * virt_desc.c - the device tree read as QEMU's aarch64 `virt` board
 * (virt_desc.h says what and its invariants).
 *
 * Purpose: every decision virt.c takes from the tree, kept free of
 * hardware access so it runs under cmocka: whether the tree is a virt
 * board, what is missing and what that costs (a note each), the CPUs as
 * machine_cpu entries, and the PCIe ECAM window of the
 * pci-host-ecam-generic node (the PCI bus binding: reg covers the
 * buses of bus-range, 0..255 when it is absent; linux,pci-domain is the
 * segment, 0 when absent).
 *
 * What stops the machine and what does not: no GIC or no timer PPI means
 * no tick and no IPI, so intc_why says so and machine->intc_init fails
 * with it (the kernel panics with that line on the console); no UART
 * means no console; no PSCI means only the boot CPU runs and there is no
 * power-off or reset (the kernel then halts); PSCI 0.1 (compatible
 * "arm,psci" alone) starts CPUs through the tree's cpu_on id but defines
 * no SYSTEM_OFF or SYSTEM_RESET.  Each of those is a note, printed by
 * machine->init.
 *
 * Context: any; writes only *d and err.
 */
#include <stdarg.h>
#include <string.h>
#include "arch/aarch64/virt_desc.h"
#include "kernel/lib/kprintf.h"

#define MIB (1ull << 20)

void virt_note(struct virt_desc *d, const char *fmt, ...)
{
	va_list ap;

	if (d->nnote >= VIRT_MAX_NOTES)
		return;
	va_start(ap, fmt);
	kvsnprintf(d->note[d->nnote++], VIRT_WHY_LEN, fmt, ap);
	va_end(ap);
}

static int is_ppi(const struct fdt_irq *q)
{
	return q->valid && q->type == 1 && q->intid >= 16 && q->intid < 32;
}

static void describe_gic(const struct fdt_info *in, struct virt_desc *d)
{
	uint32_t i;

	if (in->gic_version == 3 && in->gicd.size && in->nredist) {
		d->gic_version = 3;
		d->gicd = in->gicd;
		d->nredist = in->nredist;
		for (i = 0; i < in->nredist; i++)
			d->redist[i] = in->redist[i];
		d->its = in->msi;   /* the GICv3 node's arm,gic-v3-its child */
	} else if (in->gic_version == 2 && in->gicd.size && in->gicc.size) {
		d->gic_version = 2;
		d->gicd = in->gicd;
		d->gicc = in->gicc;
	} else if (in->gic_version) {
		ksnprintf(d->intc_why, VIRT_WHY_LEN,
		          "virt: the GICv%u node lacks its %s: no interrupt controller",
		          in->gic_version, !in->gicd.size ? "distributor" :
		          in->gic_version == 3 ? "redistributor regions" : "CPU interface");
		return;
	} else {
		ksnprintf(d->intc_why, VIRT_WHY_LEN,
		          "virt: no GIC in the device tree (arm,gic-v3 or arm,cortex-a15-gic): "
		          "no interrupt controller");
		return;
	}
	d->virt_intid = is_ppi(&in->timer[FDT_TIMER_VIRT]) ? in->timer[FDT_TIMER_VIRT].intid : 0;
	d->phys_intid = is_ppi(&in->timer[FDT_TIMER_PHYS]) ? in->timer[FDT_TIMER_PHYS].intid : 0;
	if (d->virt_intid) {
		d->timer = VIRT_TIMER_VIRT;
		d->timer_intid = d->virt_intid;
	} else if (d->phys_intid) {
		d->timer = VIRT_TIMER_PHYS;
		d->timer_intid = d->phys_intid;
	} else {
		ksnprintf(d->intc_why, VIRT_WHY_LEN,
		          "virt: no %s with a virtual or physical timer PPI: no tick",
		          in->has_timer ? "usable arm,armv8-timer interrupt" : "arm,armv8-timer");
	}
}

static void describe_cpus(const struct fdt_info *in, uint64_t boot_mpidr, struct virt_desc *d)
{
	uint32_t i, nopsci = 0, other = 0, off = 0;

	d->ncpu = in->ncpu;
	for (i = 0; i < in->ncpu; i++) {
		const struct fdt_cpu *c = &in->cpu[i];
		int boot = c->mpidr == (boot_mpidr & 0xff00ffffffull);
		int startable = c->enable == FDT_ENABLE_PSCI && d->psci_cpu_on;

		d->cpu[i].hwid = virt_hwid(c->mpidr);
		d->cpu[i].enabled = (uint8_t)(boot || (startable && !c->disabled));
		d->cpu[i].online_capable = (uint8_t)(!boot && startable && c->disabled);
		if (boot)
			continue;
		if (c->enable == FDT_ENABLE_PSCI && !d->psci_cpu_on)
			nopsci++;
		else if (c->enable != FDT_ENABLE_PSCI)
			other++;
		else if (c->disabled)
			off++;
	}
	if (nopsci)
		virt_note(d, "virt: %u CPU%s with enable-method psci but no PSCI CPU_ON: not started",
		     nopsci, nopsci == 1 ? "" : "s");
	if (other)
		virt_note(d, "virt: %u CPU%s with an enable-method other than psci (spin-table or none): "
		     "not started", other, other == 1 ? "" : "s");
	if (off)
		virt_note(d, "virt: %u CPU%s with status \"disabled\": online-capable, not started",
		     off, off == 1 ? "" : "s");
}

/* The PCI bus binding's `ranges`: (child address: 3 cells, phys.hi's
 * bits 25:24 the space, 2 = 32-bit memory, 3 = 64-bit memory, bit 30
 * prefetchable; parent address: the parent's #address-cells; size: the
 * node's #size-cells).  Memory windows only; a malformed property is a
 * note and no windows. */
static void describe_windows(const struct fdt *f, int n, struct virt_desc *d)
{
	uint32_t len, pac = 0, psc = 0, ac = 0, sc = 0;
	char err[FDT_ERR_LEN];
	const uint8_t *r = fdt_prop(f, n, "ranges", &len);

	if (!r)
		return;
	if (fdt_cells(f, fdt_parent(f, n), &pac, &psc, err, sizeof err) < 0 ||
	    fdt_cells(f, n, &ac, &sc, err, sizeof err) < 0 || ac != 3 || pac < 1 || pac > 2 ||
	    sc < 1 || sc > 2) {
		virt_note(d, "virt: %s: ranges with cells %u/%u/%u: no PCI memory windows",
		     fdt_node_name(f, n), (unsigned)ac, (unsigned)pac, (unsigned)sc);
		return;
	}
	uint32_t step = 4 * (3 + pac + sc);
	if (len % step) {
		virt_note(d, "virt: %s: ranges is %u bytes, not whole entries: no PCI memory windows",
		     fdt_node_name(f, n), (unsigned)len);
		return;
	}
	for (uint32_t o = 0; o < len && d->npciwin < VIRT_MAX_PCIWIN; o += step) {
		const uint8_t *e = r + o;
		uint32_t hi = fdt_be32(e), space = (hi >> 24) & 3;
		uint64_t pci = fdt_be64(e + 4);
		uint64_t cpu = pac == 2 ? fdt_be64(e + 12) : fdt_be32(e + 12);
		uint64_t size = sc == 2 ? fdt_be64(e + 12 + 4 * pac) : fdt_be32(e + 12 + 4 * pac);

		if ((space != 2 && space != 3) || !size)
			continue;
		struct machine_pci_window *w = &d->pciwin[d->npciwin++];
		w->cpu = cpu;
		w->pci = pci;
		w->size = size;
		w->mem64 = space == 3;
		w->prefetch = (hi >> 30) & 1;
	}
}

static void describe_ecam(const struct fdt *f, struct virt_desc *d)
{
	int n = -1;
	char err[FDT_ERR_LEN];

	while ((n = fdt_find_compatible(f, n, "pci-host-ecam-generic")) >= 0) {
		const char *st = fdt_prop_str(f, n, "status");
		const char *name = fdt_node_name(f, n);
		const uint8_t *br;
		uint32_t len, seg = 0, b0 = 0, b1 = 255;
		uint64_t base, size;

		if (st && strcmp(st, "okay") != 0 && strcmp(st, "ok") != 0)
			continue;
		if (fdt_reg(f, n, 0, &base, &size, err, sizeof err) < 0) {
			virt_note(d, "virt: %s: %s: no ECAM window", name, err);
			continue;
		}
		br = fdt_prop(f, n, "bus-range", &len);
		if (br && len != 8) {
			virt_note(d, "virt: %s: bus-range is %u bytes, not two cells: no ECAM window", name,
			     (unsigned)len);
			continue;
		}
		if (br) {
			b0 = fdt_be32(br);
			b1 = fdt_be32(br + 4);
		}
		if (b0 > b1 || b1 > 255) {
			virt_note(d, "virt: %s: bus-range %u..%u is not within 0..255: no ECAM window", name,
			     (unsigned)b0, (unsigned)b1);
			continue;
		}
		if (fdt_prop(f, n, "linux,pci-domain", NULL) &&
		    (fdt_prop_u32(f, n, "linux,pci-domain", &seg) < 0 || seg > 0xffff)) {
			virt_note(d, "virt: %s: linux,pci-domain is not one cell below 65536: no ECAM window",
			     name);
			continue;
		}
		if (size / MIB < (uint64_t)(b1 - b0 + 1)) {
			virt_note(d, "virt: %s: reg 0x%llx+0x%llx is smaller than buses %u..%u need: "
			     "no ECAM window", name, (unsigned long long)base, (unsigned long long)size,
			     (unsigned)b0, (unsigned)b1);
			continue;
		}
		if (d->necam >= VIRT_MAX_ECAM) {
			virt_note(d, "virt: more than %d ECAM windows: the rest dropped", VIRT_MAX_ECAM);
			return;
		}
		d->ecam[d->necam].base = base;
		d->ecam[d->necam].segment = (uint16_t)seg;
		d->ecam[d->necam].bus_start = (uint8_t)b0;
		d->ecam[d->necam].bus_end = (uint8_t)b1;
		if (d->necam++ == 0)
			describe_windows(f, n, d);
	}
}

int virt_describe(const struct fdt *f, const struct fdt_info *in, uint64_t boot_mpidr,
                  struct virt_desc *d, char *err, size_t errlen)
{
	memset(d, 0, sizeof *d);
	d->dummy_virt = (uint8_t)fdt_is_compatible(f, fdt_root(f), "linux,dummy-virt");
	if (!d->dummy_virt && (!in->gic_version || !in->has_timer)) {
		ksnprintf(err, errlen, "virt: the device tree is neither compatible "
		          "\"linux,dummy-virt\" nor has a GIC and an arm,armv8-timer (model \"%s\")",
		          in->model);
		return -1;
	}
	describe_gic(in, d);
	if (in->has_uart && in->uart.size) {
		d->has_uart = 1;
		d->uart = in->uart;
	} else {
		virt_note(d, "virt: no arm,pl011 UART in the device tree: no console");
	}
	d->psci = in->psci;
	d->psci_02 = in->psci_02;
	/* PSCI 0.2 and later: the standard SMC64 CPU_ON id; 0.1: the tree's */
	if (in->psci != FDT_PSCI_NONE)
		d->psci_cpu_on = in->psci_02 ? VIRT_PSCI_CPU_ON : in->psci_cpu_on;
	if (in->psci == FDT_PSCI_NONE)
		virt_note(d, "virt: no PSCI in the device tree: one CPU, no power-off or reset");
	else if (!in->psci_02)
		virt_note(d, "virt: PSCI 0.1 (compatible \"arm,psci\" only): no SYSTEM_OFF or "
		     "SYSTEM_RESET, so no power-off or reset%s",
		     in->psci_cpu_on ? "" : "; no cpu_on id either");
	describe_cpus(in, boot_mpidr, d);
	describe_ecam(f, d);
	return 0;
}

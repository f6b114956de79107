/*
 * virt.c - QEMU's aarch64 `virt` board as a machine description
 * (kernel/machine.h), driven by the device tree.
 *
 * Purpose: what kernel/ must not know about this board.  The firmware's
 * description is the device tree QEMU passes in x0 (or AAVMF hands over
 * with acpi=off), which reaches probe as boot_info's dtb_addr and
 * dtb_len; probe opens and scans it (kernel/fdt/) and reads it as a virt
 * board (virt_desc.c, host-tested).  Booted through UEFI with QEMU's ACPI
 * tables (the default), there is no tree: probe parses the tables from
 * boot_info's RSDP (kernel/acpi/, reading only what the loader's memory
 * map lists as RAM or firmware memory) and reads them as the same board
 * (virt_acpi.c, host-tested): SPCR's UART, the MADT's GIC and CPUs, the
 * GTDT's timer, the FADT's PSCI conduit, MCFG's ECAM.
 * The console is the PL011 /chosen stdout-path names, polled, both as the
 * early console and as the console (there is no other UART to choose);
 * the interrupt controller is the GICv3 or GICv2 the tree names (gic.c),
 * with the generic timer's PPI for the tick (timer.c); the CPUs are
 * /cpus's MPIDRs as hwids, started by PSCI CPU_ON (psci.c); PCI is the
 * pci-host-ecam-generic node's ECAM window; there is no legacy PCI
 * configuration mechanism and no legacy interrupt router: a PCI
 * function's INTx pin arrives on the GIC SPI the board wires its slot's
 * pin to (pci_intx_irq), level-triggered (gic_spi).  The exit
 * device is Arm semihosting's SYS_EXIT when QEMU was started with
 * -semihosting (power.c's probe of the HLT); reset and power-off are PSCI
 * SYSTEM_RESET and SYSTEM_OFF through the tree's conduit.
 *
 * What machine.h cannot carry, and so is not here: clock_refs is NULL,
 * because struct arch_clock_ref names only x86 references (PM timer,
 * HPET); the generic timer's frequency is CNTFRQ_EL0, which the port's
 * arch_clock_init reads itself, and a tree's timer clock-frequency
 * (firmware that leaves CNTFRQ unset) has no field to travel in.
 *
 * PL011 (Arm DDI 0183): DR at 0x000 (a byte written is sent; a read takes
 * a received byte), FR at 0x018 (bit 4 RXFE: nothing received, bit 5
 * TXFF: transmit FIFO full), CR at 0x030 (UARTEN, TXE, RXE enabled if
 * the firmware left them off).  A byte waits for TXFF at most PL011_SPIN
 * reads, then is dropped: a stuck UART cannot hang the machine.
 *
 * Data structures: the blob, its facts and the description, in .bss.
 * Invariants: probe runs once, before any other op; every op reads the
 * description only; the UART's registers are touched only when the tree
 * named one.
 * Context: as each op of struct machine says; the console ops from any
 * context (kernel/console.c serialises them).
 */
#include <stddef.h>
#include <stdint.h>
#include "arch/arch.h"
#include "arch/aarch64/a64.h"
#include "arch/aarch64/gic.h"
#include "arch/aarch64/virt.h"
#include "boot/boot_info.h"
#include "kernel/acpi/acpi.h"
#include "kernel/console.h"
#include "kernel/lib/kprintf.h"
#include "kernel/machine.h"

#define PL011_DR   0x000
#define PL011_FR   0x018
#define PL011_CR   0x030
#define FR_RXFE    (1u << 4)
#define FR_TXFF    (1u << 5)
#define CR_ENABLE  ((1u << 0) | (1u << 8) | (1u << 9))   /* UARTEN, TXE, RXE */
#define PL011_SPIN 1000000
#define SEMIHOST_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static struct fdt fdt;
static struct fdt_info info;
static struct acpi_info acpi;
static int from_acpi;                  /* described by ACPI, not a tree */
static struct virt_desc desc;
static char probe_err[FDT_ERR_LEN];
static char intc_err[VIRT_WHY_LEN];
static char uart_name[32];
static int phys_timer;

void virt_prefer_phys_timer(int on)
{
	phys_timer = on;
}

const char *virt_probe_error(void)
{
	return probe_err;
}

const struct virt_desc *virt_description(void)
{
	return &desc;
}

/* ACPI tables are read in place (the kernel's first map covers the RAM
 * the loader's memory map lists: early_map.c), and only where that map
 * lists RAM or firmware memory: a table address is the firmware's word. */
static const void *acpi_phys(void *ctx, uint64_t pa, uint64_t len)
{
	const struct boot_info *bi = ctx;
	uint32_t n = bi->mmap_count < BOOT_MMAP_MAX ? bi->mmap_count : BOOT_MMAP_MAX;

	for (uint32_t i = 0; i < n && len && pa + len > pa; i++) {
		const struct boot_mmap_entry *m = &bi->mmap[i];

		if (m->type != BOOT_MEM_USABLE && m->type != BOOT_MEM_BOOT_RECLAIM &&
		    m->type != BOOT_MEM_ACPI_RECLAIM && m->type != BOOT_MEM_ACPI_NVS)
			continue;
		if (pa >= m->base && pa + len <= m->base + m->len)
			return (const void *)(uintptr_t)pa;
	}
	return NULL;
}

static int probe_acpi(const struct boot_info *bi)
{
	if (acpi_parse(bi->rsdp, bi->rsdp_len, acpi_phys, (void *)bi, &acpi) < 0) {
		ksnprintf(probe_err, sizeof probe_err, "virt: %s",
		          acpi.nwarn ? acpi.warn[0] : "acpi: the RSDP was not usable");
		return -1;
	}
	from_acpi = 1;
	return virt_describe_acpi(&acpi, A64_SYSREG_READ(mpidr_el1), &desc, probe_err,
	                          sizeof probe_err);
}

static int virt_probe(const struct boot_info *bi)
{
	probe_err[0] = 0;
	const void *dtb = (const void *)(uintptr_t)bi->dtb_addr;
	uint64_t dtb_avail = bi->dtb_len;
	if ((!dtb || !dtb_avail) && bi->rsdp_len) {
		if (probe_acpi(bi) < 0)
			return 0;
	} else if (!dtb || !dtb_avail) {
		ksnprintf(probe_err, sizeof probe_err,
		          "virt: neither a device tree nor ACPI tables were handed over");
		return 0;
	} else if (fdt_open(&fdt, dtb, dtb_avail, probe_err, sizeof probe_err) < 0 ||
	           fdt_scan(&fdt, &info, probe_err, sizeof probe_err) < 0 ||
	           virt_describe(&fdt, &info, A64_SYSREG_READ(mpidr_el1), &desc, probe_err,
	                         sizeof probe_err) < 0) {
		return 0;
	}
	if (desc.has_uart)
		ksnprintf(uart_name, sizeof uart_name, "pl011 at 0x%llx",
		          (unsigned long long)desc.uart.base);
	/* no hardware touched: the exit path may need it before init */
	psci_set(desc.psci, desc.psci_cpu_on, desc.psci_02);
	return 1;
}

/* ---- the PL011 console ---- */

static inline uint32_t uart_rd(unsigned off)
{
	return *(volatile uint32_t *)(uintptr_t)(desc.uart.base + off);
}

static inline void uart_wr(unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)(desc.uart.base + off) = v;
}

static void pl011_putc(void *ctx, char c)
{
	unsigned i;

	(void)ctx;
	for (i = 0; i < PL011_SPIN && (uart_rd(PL011_FR) & FR_TXFF); i++)
		;
	if (i < PL011_SPIN)
		uart_wr(PL011_DR, (uint8_t)c);
}

static int pl011_getc(void *ctx)
{
	(void)ctx;
	return uart_rd(PL011_FR) & FR_RXFE ? -1 : (int)(uart_rd(PL011_DR) & 0xff);
}

static const struct console_ops pl011_ops = { uart_name, pl011_putc, pl011_getc, NULL };

static const struct console_ops *virt_console(void)
{
	static int ready;

	if (!desc.has_uart)
		return NULL;
	if (!ready) {
		if ((uart_rd(PL011_CR) & CR_ENABLE) != CR_ENABLE)
			uart_wr(PL011_CR, uart_rd(PL011_CR) | CR_ENABLE);
		ready = 1;
	}
	return &pl011_ops;
}

/* ---- the rest of the board ---- */

static const char *conduit_name(void);

static void virt_init(const struct boot_info *bi)
{
	uint32_t i;

	(void)bi;
	for (i = 0; i < info.nwarn; i++)
		kprintf("%s\n", info.warn[i]);
	for (i = 0; i < acpi.nwarn; i++)
		kprintf("tally: %s\n", acpi.warn[i]);
	if (from_acpi)
		kprintf("tally: virt: described by ACPI (OEM %s, rev %u): GICv%u, %u CPUs, "
		        "console %s, PSCI over %s\n", acpi.oem, acpi.revision, desc.gic_version,
		        desc.ncpu, desc.has_uart ? uart_name : "none", conduit_name());
	for (i = 0; i < desc.nnote; i++)
		kprintf("%s\n", desc.note[i]);
}

static int virt_intc_init(const char **why)
{
	struct gic_layout l = { 0 };
	uint32_t i;

	if (desc.intc_why[0]) {
		*why = desc.intc_why;
		return -1;
	}
	l.version = desc.gic_version;
	l.gicd = desc.gicd;
	l.gicc = desc.gicc;
	l.nredist = desc.nredist;
	for (i = 0; i < desc.nredist; i++)
		l.redist[i] = desc.redist[i];
	l.its = desc.its;
	gic_set_layout(&l);
	if (phys_timer && desc.phys_intid)
		timer_set_ppi(1, desc.phys_intid);
	else
		timer_set_ppi(desc.timer == VIRT_TIMER_PHYS, desc.timer_intid);
	if (arch_intc_init_boot(desc.gicd.base) < 0) {
		ksnprintf(intc_err, sizeof intc_err, "virt: the GICv%u at 0x%llx did not come up",
		          desc.gic_version, (unsigned long long)desc.gicd.base);
		*why = intc_err;
		return -1;
	}
	return 0;
}

static unsigned virt_cpus(const struct machine_cpu **list)
{
	*list = desc.cpu;
	return desc.ncpu;
}

static unsigned virt_pci_ecam(const struct machine_ecam **list)
{
	*list = desc.ecam;
	return desc.necam;
}

static unsigned virt_pci_windows(const struct machine_pci_window **list)
{
	*list = desc.pciwin;
	return desc.npciwin;
}

/* QEMU's virt wires INTA..INTD of the root bus's slot s to SPIs 3..6,
 * rotated by the slot (hw/arm/virt.c create_pcie: SPI 3 + (pin + s) mod 4
 * with pin 0 for INTA; the same map its device tree's interrupt-map and
 * its ACPI _PRT give).  A function behind a bridge is not routed (there
 * is none on this board unless one is added). */
#define VIRT_PCIE_SPI 3u
static int virt_pci_intx_irq(unsigned bus, unsigned dev, unsigned pin)
{
	if (!desc.necam || bus != desc.ecam[0].bus_start || pin < 1 || pin > 4 || dev > 31)
		return -1;
	return (int)(32 + VIRT_PCIE_SPI + (pin - 1 + dev) % 4);
}

static int virt_irq_fixed(unsigned irq, int on, uint32_t hwid)
{
	return gic_spi(irq, on, hwid);
}

static void virt_exit_device(int status)
{
	uint64_t block[2] = { ADP_STOPPED_APPLICATION_EXIT, ((uint64_t)(uint32_t)status << 1) | 1 };

	if (!a64_semihosting_absent)
		a64_semihost(SEMIHOST_EXIT, block);   /* returns only without semihosting */
}

static const char *conduit_name(void)
{
	return desc.psci == FDT_PSCI_HVC ? "hvc" : desc.psci == FDT_PSCI_SMC ? "smc" : "none";
}

static void virt_reset(void)
{
	int64_t r;

	if (desc.psci == FDT_PSCI_NONE || !desc.psci_02) {
		kprintf("tally: reset: %s\n", desc.psci == FDT_PSCI_NONE ? "no PSCI in the device tree"
		        : "PSCI 0.1 has no SYSTEM_RESET");
		return;
	}
	kprintf("tally: reset: PSCI SYSTEM_RESET over %s\n", conduit_name());
	r = psci_system_reset();
	kprintf("tally: reset: SYSTEM_RESET returned %s (%lld)\n", psci_error_name(r), (long long)r);
}

static int virt_poweroff(void)
{
	int64_t r;

	if (desc.psci == FDT_PSCI_NONE || !desc.psci_02) {
		kprintf("tally: power-off: %s\n", desc.psci == FDT_PSCI_NONE ?
		        "no PSCI in the device tree" : "PSCI 0.1 has no SYSTEM_OFF");
		return -1;
	}
	kprintf("tally: power-off: PSCI SYSTEM_OFF over %s\n", conduit_name());
	r = psci_system_off();
	kprintf("tally: power-off: SYSTEM_OFF returned %s (%lld)\n", psci_error_name(r), (long long)r);
	return -1;
}

MACHINE(virt) = {
	.name = "virt",
	.hwid_name = "mpidr",
	.probe = virt_probe,
	.early_console = virt_console,
	.console = virt_console,
	.init = virt_init,
	.clock_refs = NULL,
	.intc_init = virt_intc_init,
	.cpus = virt_cpus,
	.pci_ecam = virt_pci_ecam,
	.pci_windows = virt_pci_windows,
	.pci_legacy_cfg = NULL,
	.irq_route_legacy = NULL,
	.irq_mask_legacy = NULL,
	.pci_intx_irq = virt_pci_intx_irq,
	.irq_fixed = virt_irq_fixed,
	.exit_device = virt_exit_device,
	.reset = virt_reset,
	.poweroff = virt_poweroff,
};

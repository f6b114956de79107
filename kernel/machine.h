/*
 * machine.h - the machine contract: what is on this board.
 *
 * Purpose: everything board-specific (the console device, the interrupt
 * controller, the list of CPUs, the calibration clocks, reset and power
 * off) sits behind one ops struct, filled by the machine description the
 * probe picks at boot.  kernel/ calls only this; the descriptions live
 * with their ISA: the x86 PC driven by ACPI (arch/x86_64/pc.c), an
 * aarch64 `virt` board driven by the device tree, later.  A new board is
 * a new description, never an edit of kernel/.
 *
 * Registration: MACHINE(pc) = { ... } puts a pointer to the description
 * in the linker section "machines"; machine_probe() takes the first whose
 * probe() says yes.
 *
 * Context: each op says when it may be called.  "boot" = boot CPU,
 * single-threaded, before the scheduler; "any" = any context, including
 * exception and NMI handlers.
 */
#ifndef TALLY_MACHINE_H
#define TALLY_MACHINE_H

#include <stdint.h>

struct arch_clock_ref;
struct boot_info;
struct console_ops;
struct pci_cfg_ops;

/* A PCIe ECAM window (1 MiB of configuration space per bus). */
struct machine_ecam {
	uint64_t base;          /* address of bus bus_start's space */
	uint16_t segment;
	uint8_t bus_start, bus_end;
};

/* A memory window of a PCI host bridge: where the CPU reaches PCI bus
 * addresses [pci, pci + size). */
struct machine_pci_window {
	uint64_t cpu;           /* CPU physical address of its first byte */
	uint64_t pci;           /* the same byte's PCI bus address */
	uint64_t size;
	uint8_t mem64;          /* 64-bit space: 64-bit BARs only */
	uint8_t prefetch;
};

/* One CPU the firmware lists. */
struct machine_cpu {
	uint32_t hwid;          /* interrupt-controller id (arch_cpu_hwid) */
	uint8_t enabled;        /* usable now */
	uint8_t online_capable; /* may be enabled later (not started) */
};

struct machine {
	const char *name;       /* "pc" */
	const char *hwid_name;  /* what a CPU's hwid is called in messages */
	/* boot, first of all: 1 if this description fits the machine booted. */
	int (*probe)(const struct boot_info *bi);
	/* any: a console that works before (or without) console(); NULL: none. */
	const struct console_ops *(*early_console)(void);
	/* boot, after the boot options: the console they chose, NULL when no
	 * device answers (output then stays on the early console). */
	const struct console_ops *(*console)(void);
	/* boot, after memory is up: read the firmware's description (ACPI
	 * tables, device tree) and report problems on the console. */
	void (*init)(const struct boot_info *bi);
	/* boot: the reference clocks the cycle counter is calibrated against
	 * (NULL: none, the arch calibrates as it can). */
	void (*clock_refs)(struct arch_clock_ref *ref);
	/* boot: bring up the boot CPU's interrupt controller; 0, or -1 with
	 * *why saying what is missing. */
	int (*intc_init)(const char **why);
	/* boot: the CPUs the firmware lists (*list valid until exit); 0 when
	 * it lists none (then only the boot CPU runs). */
	unsigned (*cpus)(const struct machine_cpu **list);
	/* boot, after init: the PCIe ECAM windows the firmware describes
	 * (ACPI's MCFG, a device tree's pci-host-ecam-generic node); *list
	 * valid until exit.  0 or NULL op: none. */
	unsigned (*pci_ecam)(const struct machine_ecam **list);
	/* boot, after init: the host bridge's memory windows, from which the
	 * kernel assigns the memory BARs no firmware assigned (a board booted
	 * without firmware: aarch64 virt from -kernel); *list valid until
	 * exit.  0 or NULL op: none (the firmware assigns them: a PC). */
	unsigned (*pci_windows)(const struct machine_pci_window **list);
	/* boot: the board's own PCI config mechanism, for when the firmware
	 * lists no ECAM window; NULL (op or result): none. */
	const struct pci_cfg_ops *(*pci_legacy_cfg)(void);
	/* boot: route legacy (ISA) interrupt line irq to vector on the CPU
	 * with hardware id hwid, and unmask it; 0, or -1 when no router
	 * serves the line.  NULL: the board has no legacy interrupts. */
	int (*irq_route_legacy)(unsigned irq, unsigned vector, uint32_t hwid);
	/* any: mask legacy interrupt line irq again. */
	void (*irq_mask_legacy)(unsigned irq);
	/* boot: the interrupt number a PCI function's INTx pin (1..4 = INTA..
	 * INTD) arrives as on a board that wires each pin to a fixed input
	 * of its interrupt controller (aarch64 virt: GIC SPIs), or -1 when
	 * the board does not route that function's pin.  NULL: the board
	 * routes INTx through irq_route_legacy and the function's
	 * interrupt-line register instead (a PC). */
	int (*pci_intx_irq)(unsigned bus, unsigned dev, unsigned pin);
	/* boot or thread context: make the fixed interrupt irq (from
	 * pci_intx_irq) level-triggered, route it to the CPU with hardware id
	 * hwid and enable it (on = 1), or disable it (on = 0).  0, or -1. */
	int (*irq_fixed)(unsigned irq, int on, uint32_t hwid);
	/* Exit path (one CPU alone, interrupts off): hand status to an
	 * emulator's exit device, which ends the run; returns when there is
	 * none.  NULL: the machine has none. */
	void (*exit_device)(int status);
	/* Exit path: reset the machine; returns only when every way failed.
	 * NULL: no way known. */
	void (*reset)(void);
	/* Exit path: power the machine off; returns -1, after printing why,
	 * when it cannot.  NULL: no way known. */
	int (*poweroff)(void);
};

/* The description machine_probe() chose; NULL before it ran. */
extern const struct machine *machine;
/* boot: choose the machine description (the first registered whose probe
 * says yes); returns 0, or -1 when none fits. */
int machine_probe(const struct boot_info *bi);

#define MACHINE(name)                                                          \
	static const struct machine name##_machine;                                \
	__attribute__((used, section("machines"))) static const struct machine   \
		*const name##_machine_ptr = &name##_machine;                           \
	static const struct machine name##_machine

#endif

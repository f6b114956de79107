/*
 * virt_desc.h - what the aarch64 `virt` machine description takes from a
 * device tree: the pure half of virt.c, host-tested.
 *
 * Purpose: kernel/fdt/ turns a blob into ISA-neutral facts (struct
 * fdt_info); this layer decides what those facts mean for QEMU's `virt`
 * board and for kernel/machine.h: which GIC and where, which timer PPI
 * the tick uses, the console UART, the PSCI conduit and which of its
 * calls exist, the CPU list as machine_cpu hwids, the PCIe ECAM window.
 * It has no hardware access, so tests/host/test_virt.c runs it on the
 * recorded QEMU blobs and on damaged copies of them.
 *
 * Data structures: struct virt_desc, pointer-free.  A CPU's hwid is its
 * MPIDR's affinity packed as Aff3.Aff2.Aff1.Aff0 in 32 bits (the value
 * GICR_TYPER reports for its redistributor, and what arch_cpu_hwid()
 * returns on aarch64); virt_mpidr() unpacks it for PSCI CPU_ON.
 *
 * Invariants after virt_describe() returned 0:
 *   ncpu <= FDT_MAX_CPUS, no two cpu[].hwid equal (fdt_scan's rule);
 *   cpu[i].enabled = 0 for a CPU that cannot be started (status
 *   "disabled", no PSCI, an enable-method other than psci), except the
 *   boot CPU, which runs already;
 *   intc_why is "" exactly when the GIC and a timer PPI are usable
 *   (gic_version 2 with gicd and gicc, or 3 with gicd and >= 1
 *   redistributor region; timer_intid a PPI, INTID 16..31);
 *   has_uart -> uart.size > 0; necam <= VIRT_MAX_ECAM and every window
 *   has bus_start <= bus_end and a reg of at least
 *   (bus_end - bus_start + 1) MiB;
 *   every note[] is one line starting "virt: ".
 * virt_describe() returns -1 (with err) only when the tree is not a
 * virt-like board at all: neither compatible "linux,dummy-virt" nor
 * holding a GIC and an arm,armv8-timer.  A virt tree missing a piece is
 * described with the piece absent and a note saying what is lost.
 *
 * Context: any; no allocation, no globals.
 */
#ifndef TALLY_VIRT_DESC_H
#define TALLY_VIRT_DESC_H

#include <stddef.h>
#include <stdint.h>
#include "kernel/acpi/acpi.h"
#include "kernel/fdt/fdt.h"
#include "kernel/machine.h"

#define VIRT_MAX_ECAM  4
#define VIRT_MAX_NOTES 8
#define VIRT_MAX_PCIWIN 4
#define VIRT_WHY_LEN   FDT_ERR_LEN

/* PSCI function ids (Arm DEN 0022, 5.1): SMC64 CPU_ON, and the two
 * SMC32 system calls of PSCI 0.2 and later. */
#define VIRT_PSCI_CPU_ON       0xc4000003u
#define VIRT_PSCI_SYSTEM_OFF   0x84000008u
#define VIRT_PSCI_SYSTEM_RESET 0x84000009u

enum virt_timer { VIRT_TIMER_VIRT, VIRT_TIMER_PHYS };

struct virt_desc {
	uint8_t dummy_virt;             /* root compatible "linux,dummy-virt" */
	uint8_t gic_version;            /* 0: none usable */
	struct fdt_range gicd, gicc;    /* gicc: v2 only */
	uint32_t nredist;
	struct fdt_range redist[FDT_MAX_REDIST];
	struct fdt_range its;           /* v3: the first ITS; size 0: none */
	char intc_why[VIRT_WHY_LEN];    /* "" or why intc_init must fail */
	/* The generic timer's PPIs (INTID 16..31, 0: not in the tree) and
	 * the one the tick uses: virtual when the tree gives its PPI, else
	 * the non-secure physical one. */
	uint32_t virt_intid, phys_intid;
	uint8_t timer;                  /* enum virt_timer */
	uint32_t timer_intid;
	uint8_t has_uart;
	struct fdt_range uart;
	uint8_t psci;                   /* enum fdt_conduit */
	uint8_t psci_02;                /* SYSTEM_OFF, SYSTEM_RESET exist */
	uint32_t psci_cpu_on;           /* CPU_ON's function id; 0: none */
	uint32_t ncpu;
	struct machine_cpu cpu[FDT_MAX_CPUS];
	uint32_t necam;
	struct machine_ecam ecam[VIRT_MAX_ECAM];
	/* the first ECAM node's memory windows (its `ranges`: 32-bit and
	 * 64-bit memory space; I/O space is not kept) */
	uint32_t npciwin;
	struct machine_pci_window pciwin[VIRT_MAX_PCIWIN];
	uint32_t nnote;
	char note[VIRT_MAX_NOTES][VIRT_WHY_LEN];
};

/* MPIDR_EL1 (Aff3 in bits 39:32, Aff2..Aff0 in 23:0) <-> hwid. */
static inline uint32_t virt_hwid(uint64_t mpidr)
{
	return (uint32_t)(((mpidr >> 8) & 0xff000000u) | (mpidr & 0xffffffu));
}

static inline uint64_t virt_mpidr(uint32_t hwid)
{
	return ((uint64_t)(hwid >> 24) << 32) | (hwid & 0xffffffu);
}

/* Describe the board of an opened and scanned tree (f, in); boot_mpidr
 * is the running CPU's MPIDR_EL1 (its CPU counts as enabled whatever the
 * tree says).  0, or -1 with err (errlen bytes) when the tree is not a
 * virt-like board. */
int virt_describe(const struct fdt *f, const struct fdt_info *in, uint64_t boot_mpidr,
                  struct virt_desc *d, char *err, size_t errlen);

/* Add a note ("virt: ..." line, printed by machine init) to d; dropped
 * beyond VIRT_MAX_NOTES. */
__attribute__((format(printf, 2, 3)))
void virt_note(struct virt_desc *d, const char *fmt, ...);

/* The same description from ACPI tables (virt_acpi.c: UEFI boots where
 * the firmware hands over ACPI and no device tree).  0, or -1 with err
 * when the tables describe no GIC and no generic timer. */
int virt_describe_acpi(const struct acpi_info *a, uint64_t boot_mpidr, struct virt_desc *d,
                       char *err, size_t errlen);

#endif

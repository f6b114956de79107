/*
 * gic.h - the aarch64 port's interrupt controller (gic.c), generic timer
 * (timer.c) and PSCI (psci.c): what the machine description and the trap
 * path call besides arch/arch.h.
 *
 * Purpose: arch/arch.h's interrupt-controller functions take one MMIO
 * base (x86's local APIC); a GIC is a distributor plus redistributors
 * (v3) or a CPU interface (v2), and its timer PPI and PSCI conduit come
 * from the device tree.  The machine description (virt.c) hands those
 * over here first (gic_set_layout, timer_set_ppi, psci_set), then calls
 * the arch.h functions as the PC does.  The trap path's IRQ entry calls
 * gic_ack() for the interrupt number to pass to kernel_interrupt(), whose
 * arch_eoi() ends that same interrupt.
 *
 * Interrupt numbers: the kernel's number for an interrupt is its GIC
 * INTID (SGIs 0..15 are IPIs: arch_send_ipi's vector is the SGI number;
 * SPIs 32..1019 are devices': arch_irq_vector_range), except that the
 * timer's PPI, whatever INTID the tree gives it, arrives as the vector
 * arch_timer_init() was given, and an LPI (INTID GIC_LPI_BASE + v, an
 * MSI through the ITS: its.c) arrives as v.  gic_ack() returns
 * GIC_SPURIOUS (1023) for no interrupt, which takes no EOI.  So the port's arch_inline.h
 * must have ARCH_IRQ_COUNT >= 1024, ARCH_IRQ_IPI_WAKE and
 * ARCH_IRQ_IPI_CALL below 16, arch_irq_unhandled(1020..1023) = 1, and
 * arch_irq_reserved(v) true for v < 32 and v >= 1020.
 *
 * Per-CPU state: the acknowledged IAR (needed by arch_eoi: GICv2 wants
 * the source CPU of an SGI back) is kept per CPU index, read from the
 * struct arch_percpu that TPIDR_EL1 points to (arch.h's per-CPU
 * contract; index 0 while TPIDR_EL1 is still 0).
 *
 * Context: the set-up calls: boot CPU, before arch_intc_init_boot.
 * gic_ack: the IRQ entry, interrupts masked.
 */
#ifndef TALLY_A64_GIC_H
#define TALLY_A64_GIC_H

#include <stdint.h>
#include "kernel/fdt/fdt.h"

/* The GIC's registers (gic.c, its.c): single accesses of their width. */
static inline uint32_t gic_rd32(uint64_t a) { return *(volatile uint32_t *)(uintptr_t)a; }
static inline uint64_t gic_rd64(uint64_t a) { return *(volatile uint64_t *)(uintptr_t)a; }
static inline void gic_wr32(uint64_t a, uint32_t v) { *(volatile uint32_t *)(uintptr_t)a = v; }
static inline void gic_wr64(uint64_t a, uint64_t v) { *(volatile uint64_t *)(uintptr_t)a = v; }

#define GIC_SPURIOUS  1023u
/* LPIs (its.c): INTID GIC_LPI_BASE + v is the message composed for
 * vector v (32..1019); gic_ack returns v. */
#define GIC_LPI_BASE  8192u
#define GIC_MAX_CPUS  FDT_MAX_CPUS

struct gic_layout {
	uint8_t version;                   /* 2 or 3 */
	struct fdt_range gicd, gicc;       /* gicc: v2 */
	uint32_t nredist;
	struct fdt_range redist[FDT_MAX_REDIST];
	struct fdt_range its;              /* v3: an ITS (its.c); size 0: none */
};

/* gic.c */
void gic_set_layout(const struct gic_layout *l);
/* IRQ entry: acknowledge the highest-priority pending interrupt; its
 * kernel interrupt number, or GIC_SPURIOUS. */
unsigned gic_ack(void);
/* This CPU: enable (1) or disable (0) private interrupt intid (16..31). */
void gic_ppi_enable(uint32_t intid, int on);
/* A shared peripheral interrupt (INTID 32..): level-triggered, routed to
 * the CPU with hardware id hwid and enabled (on = 1), or disabled (on =
 * 0, waiting for the distributor on GICv3).  0, or -1 (not an SPI this
 * distributor has, or no GICv2 CPU interface for hwid). */
int gic_spi(uint32_t intid, int on, uint32_t hwid);
/* The interrupt number the timer's PPI is delivered as (timer.c). */
void gic_set_timer_vector(uint32_t intid, unsigned vector);
/* The layout gic_set_layout was given. */
const struct gic_layout *gic_get_layout(void);
/* The redistributor (RD_base) whose GICR_TYPER affinity is hwid, or 0. */
uint64_t gic_redist_of(uint32_t hwid);
/* its.c: whether an LPI-mapped vector is pending (arch_irq_in_flight). */
void gic_set_lpi_probe(int (*in_flight)(unsigned vector));
/* The distributor's interrupt lines (32 * (ITLinesNumber + 1)), 0 before
 * arch_intc_init_boot. */
unsigned gic_lines(void);

/* timer.c: which timer the tick uses (0 virtual CNTV, 1 physical CNTP)
 * and its PPI's INTID. */
void timer_set_ppi(int physical, uint32_t intid);

/* psci.c: the conduit (enum fdt_conduit) and CPU_ON's function id (0:
 * none) from the tree; psci_02: SYSTEM_OFF and SYSTEM_RESET exist. */
void psci_set(int conduit, uint32_t cpu_on, int psci_02);
/* SYSTEM_OFF / SYSTEM_RESET: return only on failure, with the PSCI
 * error (or -1, NOT_SUPPORTED, without a conduit or on PSCI 0.1). */
int64_t psci_system_off(void);
int64_t psci_system_reset(void);
/* A PSCI return code's name ("DENIED", ...). */
const char *psci_error_name(int64_t e);

#endif

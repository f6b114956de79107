/*
 * pc.h - what the PC machine's files share (pc.c, pc_power.c, cpu.c).
 *
 * Not a contract: kernel/ reaches all of this through the machine
 * description (kernel/machine.h), never directly.
 */
#ifndef TALLY_ARCH_X86_64_PC_H
#define TALLY_ARCH_X86_64_PC_H

#include <stdint.h>

struct acpi_info;
struct acpi_s5;

/* boot: remember how to reset and power off: the ACPI facts (a NULL: no
 * ACPI tables; s5 NULL: no DSDT looked at). */
void pc_power_init(const struct acpi_info *a, const struct acpi_s5 *s5);
/* exit path (one CPU alone, irqs off): hand status to the emulator's exit
 * device (QEMU isa-debug-exit), which ends the run; returns when there is
 * no such device. */
void pc_exit_device(int status);
/* exit path: reset the machine (the FADT's register, 0xCF9, the keyboard
 * controller, a triple fault); prints which way it tries.  Never returns. */
_Noreturn void pc_reset(void);
/* exit path: power the machine off.  Returns -1, after printing why, when
 * it cannot (no sleep-state data, or still running after the write). */
int pc_poweroff(void);

struct pci_cfg_ops;
/* boot: config space through ports 0xCF8/0xCFC (buses 0-255, 256 bytes
 * per function), for when ACPI lists no ECAM window; NULL when it does
 * not answer (pci_cf8.c). */
const struct pci_cfg_ops *pc_pci_legacy_ops(void);
/* boot: find the IOAPICs of the MADT and mask every input; returns how
 * many (ioapic.c). */
unsigned pc_irq_routers_init(const struct acpi_info *acpi);
/* boot: route ISA interrupt irq to vector on CPU hwid, applying the MADT's
 * source override (GSI, polarity, trigger), and unmask it.  0, or -1 with
 * no IOAPIC serving that line. */
int pc_irq_route_legacy(unsigned irq, unsigned vector, uint32_t hwid);
/* any: mask ISA interrupt irq again. */
void pc_irq_mask_legacy(unsigned irq);

#endif

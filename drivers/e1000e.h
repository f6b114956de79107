/*
 * e1000e.h - the Intel 82574L (e1000e) driver's calls (see e1000e.c).
 * Context: thread context; no call blocks.
 */
#ifndef TALLY_E1000E_H
#define TALLY_E1000E_H

#include <stdint.h>
#include "kernel/pci/pci.h"

#define E1000E_CAUSE_RXQ0 (1u << 20)
#define E1000E_CAUSE_TXQ0 (1u << 22)

struct e1000e {
	struct pci_dev *pci;
	volatile void *regs;     /* BAR 0, uncached */
};

/* The i-th device the driver claimed, or NULL. */
struct e1000e *e1000e_get(unsigned i);
/* Send causes (E1000E_CAUSE_RXQ0/TXQ0) as MSI-X entry `entry` (0-4) and
 * enable them.  0, or -1 for a bad entry. */
int e1000e_route(struct e1000e *e, uint32_t causes, unsigned entry);
/* Make the device set causes (Interrupt Cause Set). */
void e1000e_raise(struct e1000e *e, uint32_t causes);
/* Clear causes; returns the cause register as it was. */
uint32_t e1000e_ack(struct e1000e *e, uint32_t causes);
/* Disable and clear every cause. */
void e1000e_quiet(struct e1000e *e);

#endif

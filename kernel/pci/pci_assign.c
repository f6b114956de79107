/*
 * pci_assign.c - memory BARs for functions no firmware set up.
 *
 * Purpose: on a PC the firmware assigns every BAR before the kernel runs.
 * A board booted without firmware (aarch64 virt from QEMU's -kernel)
 * leaves them 0, and a driver would find nothing to map.  When the
 * machine names its host bridge's memory windows (machine.h
 * pci_windows: virt's device tree `ranges`), pci_assign_bars gives each
 * unassigned memory BAR of a root-bus function a naturally aligned range
 * of a window: a 64-bit BAR from the 64-bit window if there is one, else,
 * like every 32-bit BAR, from the 32-bit window; allocation goes upwards
 * from above the highest BAR the firmware already put in that window.
 * The BAR is written with the function's memory decoding off (the
 * probe turns it on).  Not done: functions behind bridges (their
 * windows would have to be programmed), I/O BARs, and windows whose CPU
 * and PCI addresses differ (refused: BAR addresses are mapped as
 * physical addresses, pci_map_bar).
 *
 * Data structures: one bump pointer per window, on the stack.
 * Invariants: an assigned range lies inside its window and overlaps no
 * BAR the firmware assigned there (all lie below the start).
 * Context: boot, pci_init, before the overlap check and the probes.
 */
#include "kernel/lib/kprintf.h"
#include "kernel/machine.h"
#include "kernel/pci/pci_impl.h"

#define MAX_WIN 8

static int in_window(const struct machine_pci_window *w, uint64_t a)
{
	return a >= w->pci && a - w->pci < w->size;
}

unsigned pci_assign_bars(struct pci_scan *s, unsigned root_bus)
{
	const struct machine_pci_window *win = NULL;
	unsigned nwin = machine->pci_windows ? machine->pci_windows(&win) : 0;
	uint64_t next[MAX_WIN];
	unsigned done = 0;

	if (nwin > MAX_WIN)
		nwin = MAX_WIN;
	for (unsigned k = 0; k < nwin; k++) {
		next[k] = win[k].pci;
		for (uint32_t a = 0; a < s->ndev; a++)
			for (unsigned i = 0; i < 6; i++) {
				const struct pci_bar *b = &s->dev[a].bar[i];
				if (b->size && b->base && b->kind != PCI_BAR_IO &&
				    in_window(&win[k], b->base) && b->base + b->size > next[k])
					next[k] = b->base + b->size;
			}
	}
	for (uint32_t a = 0; a < s->ndev; a++) {
		struct pci_dev *d = &s->dev[a];
		if (d->bus != root_bus)
			continue;
		for (unsigned i = 0; i < 6; i++) {
			struct pci_bar *b = &d->bar[i];
			if (!b->size || b->base || (b->kind != PCI_BAR_MEM32 && b->kind != PCI_BAR_MEM64))
				continue;
			int pick = -1;
			for (unsigned k = 0; k < nwin; k++) {
				if (win[k].cpu != win[k].pci || (win[k].mem64 && b->kind != PCI_BAR_MEM64))
					continue;
				if (pick < 0 || (win[k].mem64 && !win[pick].mem64))
					pick = (int)k;
			}
			if (pick < 0)
				continue;
			uint64_t base = (next[pick] + b->size - 1) & ~(b->size - 1);
			if (base < next[pick] || base - win[pick].pci > win[pick].size ||
			    b->size > win[pick].size - (base - win[pick].pci)) {
				kprintf("tally: pci: %02x:%02x.%x: BAR %u (%lu KiB): no room left in the "
				        "host bridge's window\n", d->bus, d->dev, d->fn, i, b->size >> 10);
				continue;
			}
			uint16_t cmd = pci_read16(d, PCI_COMMAND);
			pci_write16(d, PCI_COMMAND, cmd & ~PCI_CMD_MEM);
			uint32_t lo = pci_read32(d, 0x10 + 4 * i) & 0xf;
			pci_write32(d, 0x10 + 4 * i, (uint32_t)base | lo);
			if (b->kind == PCI_BAR_MEM64 && i < 5)
				pci_write32(d, 0x10 + 4 * (i + 1), (uint32_t)(base >> 32));
			pci_write16(d, PCI_COMMAND, cmd);
			b->base = base;
			next[pick] = base + b->size;
			done++;
		}
	}
	if (done)
		kprintf("tally: pci: %u memory BARs assigned from the host bridge's windows (no "
		        "firmware had)\n", done);
	return done;
}

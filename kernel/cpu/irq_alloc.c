/*
 * irq_alloc.c - allocation of interrupt vectors for devices.
 *
 * Purpose: a driver asks for a vector (MSI-X entry, routed legacy line)
 * and gets one nobody else uses, with its handler installed before the
 * vector is handed out, so the first interrupt finds it.  The range of
 * vectors comes from the port (arch_irq_vector_range); the kernel's fixed
 * vectors (irq.h) lie outside it and are refused again here in case a
 * port's range ever overlaps them.
 *
 * Data structures: a 256-bit bitmap of vectors handed out.
 * Invariants: bit v set <=> v was returned by irq_alloc_vector and not yet
 * freed <=> handlers[v] is the allocation's handler; first <= v <= last.
 * Locking: alloc_lock (interrupts off while held) guards the bitmap.
 * irq_route_legacy() adds a legacy line (ISA IRQ number, or what a PCI
 * function's interrupt-line register says) routed through the port's
 * router to the boot CPU.
 * Context: boot or thread context; not from an interrupt handler (it
 * writes the handler table that handlers read).  No allocation.
 */
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/irq.h"
#include "kernel/machine.h"
#include "kernel/cpu/spinlock.h"
#include "kernel/panic.h"

static uint64_t taken[(ARCH_IRQ_COUNT + 63) / 64];  /* bit v: v handed out */
static struct spinlock alloc_lock;

static int fixed(unsigned v)
{
	return arch_irq_reserved(v);
}

int irq_alloc_vector(irq_fn fn, unsigned cls)
{
	unsigned first, last;
	int got = -1;
	arch_irq_vector_range(&first, &last);
	if (last > 255)
		last = 255;
	unsigned long fl = arch_irq_save();
	spin_lock(&alloc_lock);
	for (unsigned v = first < 32 ? 32 : first; v <= last; v++) {
		if (fixed(v) || (taken[v / 64] >> (v % 64) & 1))
			continue;
		taken[v / 64] |= 1ull << (v % 64);
		irq_set_handler(v, fn, cls);
		got = (int)v;
		break;
	}
	spin_unlock(&alloc_lock);
	arch_irq_restore(fl);
	return got;
}

void irq_free_vector(unsigned v)
{
	if (v >= ARCH_IRQ_COUNT || !(taken[v / 64] >> (v % 64) & 1))
		panic("irq: freeing vector %u, which was not allocated", v);
	unsigned long fl = arch_irq_save();
	spin_lock(&alloc_lock);
	irq_set_handler(v, NULL, 0);
	taken[v / 64] &= ~(1ull << (v % 64));
	spin_unlock(&alloc_lock);
	arch_irq_restore(fl);
}

unsigned irq_vectors_free(void)
{
	unsigned first, last, n = 0;
	arch_irq_vector_range(&first, &last);
	for (unsigned v = first; v <= last && v <= 255; v++)
		if (!fixed(v) && !(taken[v / 64] >> (v % 64) & 1))
			n++;
	return n;
}

int irq_route_legacy(unsigned line, irq_fn fn, unsigned cls)
{
	int v = irq_alloc_vector(fn, cls);
	if (v < 0)
		return -1;
	if (!machine->irq_route_legacy ||
	    machine->irq_route_legacy(line, (unsigned)v, cpus[0].arch.hwid) < 0) {
		irq_free_vector((unsigned)v);
		return -1;
	}
	return v;
}

void irq_unroute_legacy(unsigned line, unsigned vector)
{
	if (machine->irq_mask_legacy)
		machine->irq_mask_legacy(line);
	irq_free_vector(vector);
}

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
 *
 * Freeing a vector (irq_free_vector) is synchronous.  Its caller has
 * already silenced the source (an MSI-X entry masked and read back, MSI
 * off, a legacy line masked), but a message the device sent before that
 * may still be on its way: set in some CPU's controller (the local APIC's
 * IRR), waiting for that CPU to enable interrupts, or a host that has not
 * yet run that vCPU.  Clearing the handler then would make it "an
 * unexpected interrupt" (a panic) or, once the vector is handed out
 * again, an interrupt for the wrong device.  So the handler is first
 * swapped for `late`, which ends and counts such an interrupt
 * (irq_late_count, charged to kern.irq.other), then every online CPU is
 * asked, by a call IPI, whether the vector is pending or in service on it
 * (arch_irq_in_flight); a CPU that says yes takes it once the call
 * returns, so the question is repeated (100 us apart) until all say no.
 * Only then is the vector cleared and free.  On return no CPU runs or
 * will run the old handler for it.  (Linux does the same for a vector it
 * moves: its cleanup waits until the old vector is out of the target's
 * IRR.)  A vector still in flight after 10 s is a panic naming the CPU
 * (one with interrupts off for that long would have failed the call IPI
 * first).
 *
 * Context: boot or thread context, interrupts on (irq_free_vector: a
 * vector pending on the calling CPU is taken only when they are); not
 * from an interrupt handler (it writes the handler table that handlers
 * read, and waits for IPIs).  No allocation.
 */
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/ipi.h"
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

int irq_claim_vector(unsigned v, irq_fn fn, unsigned cls)
{
	unsigned first, last;
	int got = -1;
	arch_irq_vector_range(&first, &last);
	if (v < first || v > last || v >= ARCH_IRQ_COUNT || fixed(v))
		return -1;
	unsigned long fl = arch_irq_save();
	spin_lock(&alloc_lock);
	if (!(taken[v / 64] >> (v % 64) & 1)) {
		taken[v / 64] |= 1ull << (v % 64);
		irq_set_handler(v, fn, cls);
		got = (int)v;
	}
	spin_unlock(&alloc_lock);
	arch_irq_restore(fl);
	return got;
}

static uint64_t late_count;

/* The handler of a vector being freed: the device's message was sent
 * before its source was silenced.  Nothing to do but count it. */
static void late(unsigned v, struct trap_frame *tf)
{
	(void)v, (void)tf;
	__atomic_fetch_add(&late_count, 1, __ATOMIC_RELAXED);
}

uint64_t irq_late_count(void) { return __atomic_load_n(&late_count, __ATOMIC_RELAXED); }

struct flight {
	unsigned v;
	int cpu;   /* a CPU that has v in flight, or -1 */
};

static void ask(void *arg)
{
	struct flight *f = arg;
	if (arch_irq_in_flight(f->v))
		__atomic_store_n(&f->cpu, (int)cpu_index(), __ATOMIC_RELAXED);
}

/* Until no online CPU has v pending or in service (see the top). */
static void drain(unsigned v)
{
	uint64_t hz = arch_cycles_hz(), t0 = arch_cycles();
	uint64_t step = hz ? hz / 10000 : 100000, limit = hz ? 10 * hz : 10000000000ull;
	for (;;) {
		struct flight f = { v, -1 };
		unsigned long fl = arch_irq_save();   /* "the others" and "this one" stay so */
		ipi_call_others(ask, &f, LCAUSE_CALL);
		ask(&f);
		arch_irq_restore(fl);
		if (f.cpu < 0)
			return;
		if (arch_cycles() - t0 > limit)
			panic("irq: vector %u is still pending on CPU %d after 10 s; cannot free it", v,
			      f.cpu);
		for (uint64_t t = arch_cycles(); arch_cycles() - t < step;)
			arch_pause();
	}
}

void irq_free_vector(unsigned v)
{
	if (v >= ARCH_IRQ_COUNT || !(taken[v / 64] >> (v % 64) & 1))
		panic("irq: freeing vector %u, which was not allocated", v);
	irq_set_handler(v, late, LC_KERN_IRQ_OTHER);
	drain(v);
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

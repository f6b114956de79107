/*
 * irq.c - interrupt dispatch with ledger charging (see irq.h).
 *
 * Data structures: a table of {handler, ledger class} per vector, and a
 * per-vector event counter (atomic adds: every CPU dispatches).
 * Invariants: the ledger depth on leaving kernel_interrupt equals the
 * depth on entry.  The charge starts at the entry stub's timestamp (after
 * the register pushes) and ends after the EOI; only the register restore
 * and IRET stay charged to the interrupted class.  Spurious interrupts get no EOI (APIC rule).
 * (The page-fault entry, kernel_page_fault, declared here, lives with the
 * regions it dispatches to: kernel/mem/vm.c.)
 * Context: interrupt handlers, interrupts off.
 */
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/irq.h"
#include "kernel/panic.h"

static struct {
	irq_fn fn;
	unsigned cls;
} handlers[256];
static uint64_t counts[256];

void irq_set_handler(unsigned vector, irq_fn fn, unsigned cls)
{
	if (vector < 32 || vector > 255)
		panic("irq: vector %u cannot take a handler", vector);
	handlers[vector].fn = fn;
	handlers[vector].cls = cls;
}

uint64_t irq_count(unsigned vector) { return vector < 256 ? counts[vector] : 0; }

void kernel_interrupt(unsigned v, struct trap_frame *tf, uint64_t t0)
{
	__atomic_fetch_add(&counts[v & 255], 1, __ATOMIC_RELAXED);
	if (v == VEC_SPURIOUS)
		return;  /* no EOI for the spurious vector */
	unsigned cls = handlers[v].fn ? handlers[v].cls : LC_KERN_IRQ_OTHER;
	struct ledger_cpu *l = &this_cpu()->ledger;
	/* the entry stub's timestamp: never before the last transition */
	ledger_push(l, t0 > l->last ? t0 : l->last, cls, 0);
	if (handlers[v].fn)
		handlers[v].fn(v, tf);
	else if (v != VEC_APIC_ERROR)
		panic("unexpected interrupt vector %u", v);
	arch_eoi();
	ledger_pop(l, arch_cycles());
}

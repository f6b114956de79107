/*
 * irq.c - interrupt dispatch with ledger charging (see irq.h).
 *
 * Data structures: a table of {handler, ledger class} per vector, and a
 * per-vector event counter (atomic adds: every CPU dispatches).
 * Invariants: the ledger depth on leaving kernel_interrupt equals the
 * depth on entry.  The charge starts at the entry stub's timestamp (after
 * the register pushes) and ends after the EOI; only the register restore
 * and IRET stay charged to the interrupted class.  Before the push, an
 * interrupt that landed inside one of the scheduler's pair switches
 * (after its clock read, before its commit: kernel/ledger.h) sends it
 * back to its clock read (arch_restart_fixup; counted in
 * ledger.restarts), so the switch's time is never before an interrupt
 * that saw the ledger without it.  An interrupt with no
 * handler is dropped, with or without an EOI, as the port says
 * (arch_irq_unhandled), or is a panic.
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
} handlers[ARCH_IRQ_COUNT];
static uint64_t counts[ARCH_IRQ_COUNT];

void irq_set_handler(unsigned vector, irq_fn fn, unsigned cls)
{
	if (vector < ARCH_IRQ_FIRST || vector >= ARCH_IRQ_COUNT)
		panic("irq: interrupt %u cannot take a handler", vector);
	handlers[vector].cls = cls;
	__atomic_store_n(&handlers[vector].fn, fn, __ATOMIC_RELEASE);
}

uint64_t irq_count(unsigned vector) { return vector < ARCH_IRQ_COUNT ? counts[vector] : 0; }

void kernel_interrupt(unsigned v, struct trap_frame *tf, uint64_t t0)
{
	v %= ARCH_IRQ_COUNT;  /* the port passes v < ARCH_IRQ_COUNT */
	__atomic_fetch_add(&counts[v], 1, __ATOMIC_RELAXED);
	/* one read: irq_free_vector may swap the entry meanwhile (another
	 * CPU); what this interrupt calls is what it read here */
	irq_fn fn = __atomic_load_n(&handlers[v].fn, __ATOMIC_ACQUIRE);
	int unhandled = fn ? 0 : arch_irq_unhandled(v);
	if (unhandled == 1)
		return;  /* spurious: no EOI */
	unsigned cls = fn ? handlers[v].cls : LC_KERN_IRQ_OTHER;
	struct ledger_cpu *l = &this_cpu()->ledger;
	int on = ledger_on;
	/* the entry stub's timestamp: never before the last transition; a
	 * pair switch interrupted before its commit starts again after us */
	if (on) {
		l->restarts += (unsigned)arch_restart_fixup(tf);
		ledger_push(l, t0 > l->last ? t0 : l->last, cls, 0);
	}
	if (fn)
		fn(v, tf);
	else if (!unhandled)
		panic("unexpected interrupt vector %u", v);
	arch_eoi();
	if (on)
		ledger_pop(l, arch_cycles());
}

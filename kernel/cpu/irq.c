/*
 * irq.c - interrupt dispatch with ledger charging (see irq.h).
 *
 * Data structures: a table of {handler, ledger class} per vector, and a
 * per-vector event counter (atomic adds: every CPU dispatches).
 * Invariants: the ledger depth on leaving kernel_interrupt equals the
 * depth on entry.  The charge starts at the entry stub's timestamp (after
 * the register pushes) and ends after the EOI; only the register restore
 * and IRET stay charged to the interrupted class.  Spurious interrupts get no EOI (APIC rule).
 * Context: interrupt handlers, interrupts off.
 */
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/irq.h"
#include "kernel/panic.h"
#include "kernel/console.h"
#include "kernel/mem/gstack.h"
#include "kernel/lib/kprintf.h"
#include "kernel/mem/vm.h"
#include <string.h>

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

static int cause_rt_stack = -1;

/* A goroutine ran off its stack (Go's report, status 2), or its stack
 * could not grow for want of memory (an out-of-memory report, status
 * EXIT_OOM): the goroutine's frames either way. */
static _Noreturn void stack_overflow(struct trap_frame *tf, const char *why, int oom)
{
	extern uint64_t tally_goid(void);
	char head[200];
	if (fatal_begin() > 1)
		kernel_exit(oom ? EXIT_OOM : 2);  /* failed while reporting: no second report */
	ksnprintf(head, sizeof(head), "runtime: goroutine %lu %s\nfatal error: %s\n\n",
	          tally_goid(), why, oom ? "runtime: out of memory" : "stack overflow");
	console_write(head, strlen(head));
	ksnprintf(head, sizeof(head), "goroutine %lu [running]:\n", tally_goid());
	console_write(head, strlen(head));
	backtrace_print(arch_frame_pc(tf), arch_frame_fp(tf), 24);
	if (oom)
		vm_print_stats();
	kernel_exit(oom ? EXIT_OOM : 2);
}

int kernel_fault(unsigned v, struct trap_frame *tf, uint64_t addr, uint64_t t0)
{
	if (v != 14)
		return 0;  /* every other exception is fatal (or arch_try's) */
	if (cause_rt_stack < 0)
		cause_rt_stack = ledger_cause("rt.stack");
	struct ledger_cpu *l = &this_cpu()->ledger;
	uint64_t slot;
	char why[96];
	ledger_push(l, t0 > l->last ? t0 : l->last, LC_KERN_FAULT, 0);
	int r = gstack_fault(addr, &slot, why, sizeof(why));
	if (r != GSTACK_NOT_MINE) {
		/* a fault caused by stack growth: the cause view */
		struct ledger_frame *f = &l->stack[l->depth];
		f->cause = (uint8_t)cause_rt_stack;
		l->cause_events[cause_rt_stack]++;
	}
	ledger_pop(l, arch_cycles());
	if (r == GSTACK_OVERFLOW || r == GSTACK_OOM)
		stack_overflow(tf, why, r == GSTACK_OOM);
	return r == GSTACK_GREW;
}

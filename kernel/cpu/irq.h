/*
 * irq.h - interrupt vectors and the kernel's interrupt dispatch.
 *
 * Every interrupt (vector >= 32) enters kernel_interrupt() (called by the
 * arch trap code), which charges it to the cost ledger: the handler's
 * class (kern.irq.timer, kern.irq.ipi, kern.irq.other) is pushed before the
 * handler runs and popped after the EOI, so the interrupted class resumes.
 * Handlers run with interrupts off and must not block.
 */
#ifndef TALLY_IRQ_H
#define TALLY_IRQ_H

#include <stdint.h>

struct trap_frame;

typedef void (*irq_fn)(unsigned vector, struct trap_frame *tf);

/* Register fn for vector, charged to ledger class cls. Boot only. */
void irq_set_handler(unsigned vector, irq_fn fn, unsigned cls);
/* Called by the arch layer for every vector >= 32; entry_cycles is the
 * cycle counter read on the entry path, where the ledger charge starts. */
void kernel_interrupt(unsigned vector, struct trap_frame *tf, uint64_t entry_cycles);
/* Called by the arch layer for every page fault, before deciding it is
 * fatal: addr is the faulting address, access the VM_ACCESS_* bits
 * (arch/arch.h) the port decoded from its fault syndrome, entry_cycles the
 * cycle counter read on the entry path.  Dispatched by address to the
 * region that holds it (kernel/mem/vm.h); charged to kern.fault with the
 * region's cause.  Returns 1 when the fault was resolved (the faulting
 * instruction is then retried), 0 when it is fatal (the port reports it,
 * or lands in arch_try).  Exception context, interrupts off, on a stack
 * of its own (a fault caused by a full stack must not run on it).  Other
 * CPU exceptions do not enter the kernel: they are fatal (or arch_try's). */
int kernel_page_fault(uintptr_t addr, unsigned access, struct trap_frame *tf,
                      uint64_t entry_cycles);
/* Called by the arch layer after it resolved a fault by itself to keep a
 * page's accessed or dirty state (aarch64 without FEAT_HAFDBS: a write to
 * a page whose dirty state was cleaned, a64_vm_fixup): charges the
 * exception, from entry_cycles to now, to kern.fault with the cause gc
 * (the collector's write tracking is what cleans that state).  Exception
 * context, interrupts off.  (kernel/glue/rt_dirty.c) */
void kernel_tracking_fault(uint64_t entry_cycles);
/* Called by the arch layer for a non-maskable interrupt (kernel/cpu/smp.c).
 * A stop request (smp_stop_others on another CPU) never returns: this CPU
 * halts for good.  Returns 1 for an NMI to drop (one reaching the CPU that
 * sent the stop), 0 for any other NMI (then it is a fatal error). */
int kernel_nmi(struct trap_frame *tf);
uint64_t irq_count(unsigned vector);

/* Vectors for devices (kernel/cpu/irq_alloc.c), from the port's range
 * (arch_irq_vector_range), never one the port reserves (arch_irq_reserved).  irq_alloc_vector
 * installs fn (charged to ledger class cls) and returns the vector, or -1
 * when none is left.  Boot or thread context, not in a handler. */
int irq_alloc_vector(irq_fn fn, unsigned cls);
/* The same for one given vector v (a fixed interrupt a board wires a
 * device to): v, or -1 when v is outside the port's range, reserved or
 * taken. */
int irq_claim_vector(unsigned v, irq_fn fn, unsigned cls);
/* Remove the handler and return the vector; panics if v was not
 * allocated.  The caller silences the source first; on return no CPU
 * runs or will run the handler for v (an interrupt already on its way is
 * waited for and counted by irq_late_count: irq_alloc.c).  Thread
 * context, interrupts on. */
void irq_free_vector(unsigned v);
/* Interrupts that arrived on a vector while irq_free_vector drained it. */
uint64_t irq_late_count(void);
/* How many device vectors are still free. */
unsigned irq_vectors_free(void);
/* Route legacy interrupt line `line` (ISA IRQ numbering, with the
 * firmware's overrides applied by the port) to a new vector on the boot
 * CPU calling fn; returns the vector, or -1 (no vector, no router for
 * that line).  irq_unroute_legacy masks the line and frees the vector. */
int irq_route_legacy(unsigned line, irq_fn fn, unsigned cls);
void irq_unroute_legacy(unsigned line, unsigned vector);

#endif

/*
 * vm.h - kernel virtual memory regions above the direct map.
 *
 * Purpose: name and reserve ranges of virtual address space (the libc heap,
 * the main program's stack, goroutine stacks) and back them with physical
 * pages.  Each region may have an unmapped guard below it; a fault there
 * is reported as a stack overflow of that region.
 *
 * Page faults are dispatched by address (kernel_page_fault, declared in
 * kernel/cpu/irq.h, defined in vm.c): a region may register its own
 * fault handler (vm_region_set_fault), which sees faults inside the region
 * and in its guard(s) and says whether the access may be retried (it
 * mapped something: demand paging, stack growth, later a GC's write
 * tracking) or is fatal.  A fault in no region, or in a region without a
 * handler, or one its handler refuses, gets the generic crash report
 * (panic_trap: NULL dereference, "stack overflow ... guard page below").
 *
 * Data structures: a fixed table of struct vm_region, address space handed
 * out by a bump pointer from VM_REGION_BASE (regions are long-lived and
 * never removed).
 * Invariants: regions never overlap (including guards); nregions only
 * grows, and an entry is complete before nregions covers it.
 * Locking: vm_lock serialises region creation; readers (vm_fault,
 * vm_describe, vm_region_find) take no lock: they read nregions with
 * acquire ordering and see only complete entries.  A region's fault
 * handler is published with release ordering by vm_region_set_fault.
 * Context: create/commit in boot and thread context, not from interrupt
 * handlers (may allocate); vm_region_find and vm_describe any context;
 * fault handlers on the page-fault path (interrupts off, exception stack).
 */
#ifndef TALLY_VM_H
#define TALLY_VM_H

#include <stddef.h>
#include <stdint.h>

#define VM_REGION_BASE 0x0000400000000000ull
#define VM_REGIONS_MAX 512

enum { VM_DESCR_NONE = 0, VM_DESCR_REGION = 1, VM_DESCR_GUARD = 2 };

struct vm_region;
struct trap_frame;

/* A page fault as a region's handler sees it. */
struct vm_fault {
	uintptr_t addr;          /* faulting address: in r or in its guard(s) */
	unsigned access;         /* VM_ACCESS_* bits (arch/arch.h) */
	struct trap_frame *tf;   /* the interrupted context, for reports */
};

/* What a fault handler answers. */
enum {
	VM_FAULT_FATAL = 0,      /* not resolved: the generic crash report follows */
	VM_FAULT_RETRY = 1,      /* resolved: the faulting instruction runs again */
};

/* A region's fault handler.  Runs on the page-fault exception stack with
 * interrupts off, charged to kern.fault (with the region's cause); must
 * not block or take a lock its own CPU may hold in thread context with
 * interrupts on.  It may end the machine itself (a report of its own,
 * then kernel_exit), as goroutine stacks do on overflow. */
typedef int (*vm_fault_fn)(struct vm_region *r, const struct vm_fault *f, void *arg);

struct vm_region {
	const char *name;
	uintptr_t base;      /* lowest usable address */
	size_t size;         /* usable bytes */
	size_t guard;        /* unmapped bytes directly below base */
	size_t committed;    /* bytes backed by pages */
	size_t slot;         /* non-zero: an array of slots of this size, each
	                        starting with a guard page (goroutine stacks) */
	vm_fault_fn fault;   /* NULL: every fault here is fatal */
	void *fault_arg;
	unsigned fault_cause;  /* ledger cause of its faults (0: none) */
};

void vm_init(void);
/* Reserve size bytes (rounded up to pages) with guard bytes below.
 * Returns NULL when the table is full. */
struct vm_region *vm_region_create(const char *name, size_t size, size_t guard);
/* Back [va, va+len) (inside a region) with zeroed pages.  0, or -1 when
 * memory runs out (pages mapped so far stay mapped and counted). */
int vm_commit(struct vm_region *r, uintptr_t va, size_t len, unsigned prot);
/* The inverse: unmap [va, va+len) (inside r), drop every CPU's
 * translations (one shootdown per 64 pages) and free the pages; pages not
 * mapped are skipped.  Thread context, interrupts on (the shootdown waits
 * for the other CPUs). */
void vm_decommit(struct vm_region *r, uintptr_t va, size_t len);
/* Say what addr is: NONE, REGION (inside r) or GUARD (in r's guard); when
 * not NONE, buf gets a one-line description. */
int vm_describe(uintptr_t addr, char *buf, size_t n);
/* Back-to-back slots of slot bytes (the first page of each a guard) in a
 * region of size bytes; vm_describe reports the guards as such. */
struct vm_region *vm_region_create_slots(const char *name, size_t size, size_t slot);
/* A region at a fixed address outside the bump range (the stack arena in
 * the upper half). */
struct vm_region *vm_region_create_fixed(const char *name, uintptr_t base, size_t size, size_t slot);
/* Register r's fault handler (fn(r, fault, arg)); its faults are charged
 * to kern.fault with ledger cause `cause` (0: none).  Boot or thread
 * context, before anything can fault in r. */
void vm_region_set_fault(struct vm_region *r, vm_fault_fn fn, void *arg, unsigned cause);
/* The region whose range or guard holds addr, or NULL; *where gets
 * VM_DESCR_REGION or VM_DESCR_GUARD.  Any context, no lock. */
struct vm_region *vm_region_find(uintptr_t addr, int *where);
/* For a fault handler: 1 when addr (inside r's range or guard) is in a
 * guard page (below the region, or the first page of a slot). */
int vm_fault_in_guard(const struct vm_region *r, uintptr_t addr);
void vm_print_stats(void);
uint64_t vm_committed_bytes(void);

#endif

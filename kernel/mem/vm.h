/*
 * vm.h - kernel virtual memory regions above the direct map.
 *
 * Purpose: name and reserve ranges of virtual address space (the libc heap,
 * the main program's stack, later goroutine stacks) and back them with
 * physical pages.  Each region may have an unmapped guard below it; a
 * fault there is reported as a stack overflow of that region.
 *
 * Data structures: a fixed table of struct vm_region, address space handed
 * out by a bump pointer from VM_REGION_BASE (regions are long-lived; the
 * growable-stacks issue brings a reusable range allocator).
 * Locking: none yet (one CPU).  Context: not from interrupt handlers.
 */
#ifndef TALLY_VM_H
#define TALLY_VM_H

#include <stddef.h>
#include <stdint.h>

#define VM_REGION_BASE 0x0000400000000000ull
#define VM_REGIONS_MAX 512

enum { VM_DESCR_NONE = 0, VM_DESCR_REGION = 1, VM_DESCR_GUARD = 2 };

struct vm_region {
	const char *name;
	uintptr_t base;      /* lowest usable address */
	size_t size;         /* usable bytes */
	size_t guard;        /* unmapped bytes directly below base */
	size_t committed;    /* bytes backed by pages */
	size_t slot;         /* non-zero: an array of slots of this size, each
	                        starting with a guard page (goroutine stacks) */
};

void vm_init(void);
/* Reserve size bytes (rounded up to pages) with guard bytes below.
 * Returns NULL when the table is full. */
struct vm_region *vm_region_create(const char *name, size_t size, size_t guard);
/* Back [va, va+len) (inside a region) with zeroed pages.  0, or -1 when
 * memory runs out (pages mapped so far stay mapped and counted). */
int vm_commit(struct vm_region *r, uintptr_t va, size_t len, unsigned prot);
/* Say what addr is: NONE, REGION (inside r) or GUARD (in r's guard); when
 * not NONE, buf gets a one-line description. */
int vm_describe(uintptr_t addr, char *buf, size_t n);
/* Back-to-back slots of slot bytes (the first page of each a guard) in a
 * region of size bytes; vm_describe reports the guards as such. */
struct vm_region *vm_region_create_slots(const char *name, size_t size, size_t slot);
/* A region at a fixed address outside the bump range (the stack arena in
 * the upper half). */
struct vm_region *vm_region_create_fixed(const char *name, uintptr_t base, size_t size, size_t slot);
void vm_print_stats(void);
uint64_t vm_committed_bytes(void);

#endif

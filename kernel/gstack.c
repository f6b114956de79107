/*
 * gstack.c - goroutine stacks on bare metal (plat_stack_alloc/free).
 *
 * Purpose: fixed-size stacks with an unmapped guard page below each, for
 * the runtime's Gs.  Two size classes (the 64 KiB default and the main
 * goroutine's 4 MiB), each a vm region reserved as an array of slots
 * [guard page | stack]; a fault in a guard is reported by vm_describe as an
 * overflow of that stack.  Freed stacks go on a per-class free list and
 * keep their pages (the cache); the growable-stacks issue replaces eager
 * commit by demand paging and trims cached stacks.
 *
 * Data structures: per class a bump index over the slots and a LIFO of
 * freed slot addresses threaded through the (mapped) stacks themselves.
 * Invariants: a slot is either below the bump index and (in use or on the
 * free list), or above it and untouched; in-use + free == bump.
 * Locking: one spinlock per class, taken with interrupts off.
 * Context: thread context (allocates pages); not from interrupt handlers.
 */
#include <stdint.h>
#include "arch/arch.h"
#include "kernel/kprintf.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "kernel/vm.h"

struct gstack_class {
	size_t size;              /* usable bytes */
	size_t reserve;           /* bytes of address space for the class */
	const char *name;
	struct vm_region *r;
	struct spinlock lock;
	uint64_t next;            /* bump index */
	uintptr_t free;           /* lowest address of a freed stack, 0: none */
	uint64_t in_use;
};

static struct gstack_class classes[] = {
	{ 64 * 1024, 64ull << 30, "goroutine stack", NULL, { 0 }, 0, 0, 0 },
	{ 4 * 1024 * 1024, 16ull << 30, "main goroutine stack", NULL, { 0 }, 0, 0, 0 },
};

static struct gstack_class *class_for(size_t size)
{
	for (unsigned i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (classes[i].size == size)
			return &classes[i];
	return NULL;
}

uintptr_t gstack_alloc(size_t size)
{
	struct gstack_class *c = class_for(size);
	if (!c)
		return 0;
	unsigned long f = arch_irq_save();
	spin_lock(&c->lock);
	if (!c->r) {
		c->r = vm_region_create_slots(c->name, c->reserve, c->size + ARCH_PAGE_SIZE);
		if (!c->r) {
			spin_unlock(&c->lock);
			arch_irq_restore(f);
			return 0;
		}
	}
	uintptr_t lo = c->free;
	if (lo) {
		c->free = *(uintptr_t *)lo;
		c->in_use++;
		spin_unlock(&c->lock);
		arch_irq_restore(f);
		return lo;
	}
	uint64_t slot = c->r->slot;
	if ((c->next + 1) * slot > c->r->size) {
		spin_unlock(&c->lock);
		arch_irq_restore(f);
		return 0;
	}
	lo = c->r->base + c->next * slot + ARCH_PAGE_SIZE;
	c->next++;
	c->in_use++;
	spin_unlock(&c->lock);
	arch_irq_restore(f);
	if (vm_commit(c->r, lo, c->size, VM_R | VM_W) < 0)
		return 0;  /* the slot is lost; the caller reports out of memory */
	return lo;
}

void gstack_free(uintptr_t lo, size_t size)
{
	struct gstack_class *c = class_for(size);
	if (!c || !c->r)
		panic("gstack: freeing a stack of unknown size %lu", (uint64_t)size);
	unsigned long f = arch_irq_save();
	spin_lock(&c->lock);
	*(uintptr_t *)lo = c->free;
	c->free = lo;
	c->in_use--;
	spin_unlock(&c->lock);
	arch_irq_restore(f);
}

/*
 * vm_test.c - on-target tests of page-fault dispatch by region: a region
 * with its own fault handler sees exactly the faults the test provokes
 * (address, read/write, not-present/protection, guard), can resolve them
 * by mapping (demand paging), and its faults are counted under its ledger
 * cause.  The expected answers are the accesses the test itself makes.
 */
#include <stdint.h>
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/ktest.h"
#include "kernel/ledger.h"
#include "kernel/mem/vm.h"

#define PAGE ARCH_PAGE_SIZE

static struct {
	unsigned calls;
	uintptr_t addr;
	unsigned access;
	int guard;
	void *arg;
} seen;

/* Demand paging: map the faulting page (read-write) unless the fault is in
 * the guard or on a mapped page (a protection violation). */
static int demand_fault(struct vm_region *r, const struct vm_fault *f, void *arg)
{
	seen.calls++;
	seen.addr = f->addr;
	seen.access = f->access;
	seen.guard = vm_fault_in_guard(r, f->addr);
	seen.arg = arg;  /* checked by the test: no KASSERT in exception context */
	if (seen.guard || (f->access & VM_ACCESS_PRESENT))
		return VM_FAULT_FATAL;
	return vm_commit(r, f->addr & ~(PAGE - 1), PAGE, VM_R | VM_W) == 0 ? VM_FAULT_RETRY
	                                                                  : VM_FAULT_FATAL;
}

static void write_one(void *p) { *(volatile uint8_t *)p = 1; }
static void read_one(void *p) { (void)*(volatile uint8_t *)p; }

KTEST(vm_region_fault_handler)
{
	struct vm_region *r = vm_region_create("ktest demand", 4 * PAGE, PAGE);
	KASSERT(r != NULL);
	int cause = ledger_cause("ktest.fault");
	KASSERT(cause > 0);
	struct ledger_cpu *l = &this_cpu()->ledger;
	uint64_t events = l->cause_events[cause];
	vm_region_set_fault(r, demand_fault, &seen, (unsigned)cause);

	/* a read of an unmapped page: resolved, reads the zeroed page */
	KASSERT_EQ(*(volatile uint64_t *)(r->base + 8), 0);
	KASSERT_EQ(seen.calls, 1);
	KASSERT_EQ(seen.addr, r->base + 8);
	KASSERT_EQ(seen.access & (VM_ACCESS_WRITE | VM_ACCESS_PRESENT | VM_ACCESS_EXEC), 0);
	KASSERT_EQ(seen.guard, 0);
	KASSERT_EQ(seen.arg, (uintptr_t)&seen);
	/* a second access to it does not fault */
	*(volatile uint64_t *)(r->base + 8) = 5;
	KASSERT_EQ(seen.calls, 1);

	/* a write to another page */
	*(volatile uint32_t *)(r->base + 3 * PAGE + 100) = 7;
	KASSERT_EQ(seen.calls, 2);
	KASSERT_EQ(seen.addr, r->base + 3 * PAGE + 100);
	KASSERT_EQ(seen.access & (VM_ACCESS_WRITE | VM_ACCESS_PRESENT), VM_ACCESS_WRITE);
	KASSERT_EQ(r->committed, 2 * PAGE);

	/* the guard: the handler is asked, refuses, the fault is fatal */
	KASSERT_EQ(arch_try(read_one, (void *)(r->base - 1)), 14 + 1);
	KASSERT_EQ(seen.calls, 3);
	KASSERT_EQ(seen.guard, 1);
	KASSERT_EQ(arch_try_fault_addr(), r->base - 1);

	/* a write to a read-only mapped page: a protection fault */
	KASSERT(vm_commit(r, r->base + PAGE, PAGE, VM_R) == 0);
	KASSERT_EQ(arch_try(write_one, (void *)(r->base + PAGE)), 14 + 1);
	KASSERT_EQ(seen.calls, 4);
	KASSERT_EQ(seen.access & (VM_ACCESS_WRITE | VM_ACCESS_PRESENT),
	           VM_ACCESS_WRITE | VM_ACCESS_PRESENT);
	KASSERT_EQ(seen.guard, 0);

	/* every one of them counted under the region's cause, on this CPU */
	KASSERT_EQ(l->cause_events[cause], events + 4);
	KASSERT_EQ(*(volatile uint64_t *)(r->base + 8), 5);
}

/* A region without a handler: the fault is not resolved (it would be the
 * generic crash report; arch_try catches it here). */
KTEST(vm_region_no_handler_is_fatal)
{
	struct vm_region *r = vm_region_create("ktest plain", 2 * PAGE, PAGE);
	KASSERT(r != NULL);
	KASSERT_EQ(arch_try(read_one, (void *)r->base), 14 + 1);
	KASSERT_EQ(arch_try_fault_addr(), r->base);
}

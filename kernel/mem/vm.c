/*
 * vm.c - named virtual regions backed by pmem pages, and the kernel's
 * page-fault entry, kernel_page_fault (kernel/cpu/irq.h), which charges
 * the fault to kern.fault and dispatches it by address (see vm.h).
 *
 * Data structures: regions[] in creation order; nregions entries are
 * complete.  Lookup tries the region of the last hit first (faults come
 * in runs: stack growth), then scans from the newest region down (the
 * regions that fault in normal operation sit near the end, behind the
 * per-CPU stacks created first).  The hint is a relaxed pointer to a
 * published entry; entries are never removed, so a stale hint is only a
 * miss.
 *
 * Invariants: regions never overlap: region i occupies
 *   [base_i - guard_i, base_i + size_i) and next_va only grows;
 *   total_committed == sum of committed over regions.
 * Locking: vm_lock (interrupts off) serialises creation; an entry is
 * filled before the release store of nregions that publishes it, and
 * lock-free readers load nregions with acquire ordering.
 * Context: create/commit in boot and thread context (may allocate
 * page-table pages); find/describe/fault in any context.
 */
#include <string.h>
#include "arch/arch.h"
#include "kernel/mem/vm.h"
#include "kernel/mem/pmem.h"
#include "kernel/lib/kprintf.h"
#include "kernel/ledger.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/irq.h"
#include "kernel/cpu/spinlock.h"
#include "kernel/cpu/ipi.h"
#include "kernel/panic.h"

static struct vm_region regions[VM_REGIONS_MAX];
static unsigned nregions;
static struct spinlock vm_lock;
static struct vm_region *last_hit;   /* a hint: any published region, or NULL */
static uintptr_t next_va = VM_REGION_BASE;
static uint64_t total_committed;

#define PAGE ARCH_PAGE_SIZE
#define ROUND_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))

void vm_init(void)
{
	nregions = 0;
	last_hit = NULL;
	next_va = VM_REGION_BASE;
	total_committed = 0;
}

/* Fill a new entry and publish it; base 0 means "from the bump range". */
static struct vm_region *region_add(const char *name, uintptr_t base, size_t size, size_t guard,
                                    size_t slot)
{
	unsigned long f = arch_irq_save();
	spin_lock(&vm_lock);
	if (nregions >= VM_REGIONS_MAX) {
		spin_unlock(&vm_lock);
		arch_irq_restore(f);
		return NULL;
	}
	struct vm_region *r = &regions[nregions];
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->guard = ROUND_UP(guard);
	r->size = ROUND_UP(size);
	r->slot = ROUND_UP(slot);
	if (base) {
		r->base = base;
	} else {
		r->base = next_va + r->guard;
		/* leave a 1 GiB-aligned hole after each region */
		next_va = (r->base + r->size + (1ull << 30)) & ~((1ull << 30) - 1);
	}
	__atomic_store_n(&nregions, nregions + 1, __ATOMIC_RELEASE);
	spin_unlock(&vm_lock);
	arch_irq_restore(f);
	return r;
}

struct vm_region *vm_region_create(const char *name, size_t size, size_t guard)
{
	return region_add(name, 0, size, guard, 0);
}

struct vm_region *vm_region_create_fixed(const char *name, uintptr_t base, size_t size, size_t slot)
{
	return region_add(name, base, size, 0, slot);
}

struct vm_region *vm_region_create_slots(const char *name, size_t size, size_t slot)
{
	return region_add(name, 0, size, 0, slot);
}

void vm_region_set_fault(struct vm_region *r, vm_fault_fn fn, void *arg, unsigned cause)
{
	r->fault_arg = arg;
	r->fault_cause = cause;
	__atomic_store_n(&r->fault, fn, __ATOMIC_RELEASE);
}

static int region_where(const struct vm_region *r, uintptr_t addr)
{
	if (addr < r->base || (r->slot && (addr - r->base) % r->slot < ARCH_PAGE_SIZE))
		return VM_DESCR_GUARD;
	return VM_DESCR_REGION;
}

struct vm_region *vm_region_find(uintptr_t addr, int *where)
{
	/* the region of the last hit first: faults come in runs in one
	 * region (stack growth) */
	struct vm_region *r = __atomic_load_n(&last_hit, __ATOMIC_RELAXED);
	if (r && addr >= r->base - r->guard && addr < r->base + r->size) {
		*where = region_where(r, addr);
		return r;
	}
	for (unsigned i = __atomic_load_n(&nregions, __ATOMIC_ACQUIRE); i-- > 0;) {
		r = &regions[i];
		if (addr < r->base - r->guard || addr >= r->base + r->size)
			continue;
		__atomic_store_n(&last_hit, r, __ATOMIC_RELAXED);
		*where = region_where(r, addr);
		return r;
	}
	return NULL;
}

int kernel_page_fault(uintptr_t addr, unsigned access, struct trap_frame *tf, uint64_t t0)
{
	struct ledger_cpu *l = &this_cpu()->ledger;
	int on = ledger_on;
	if (on)
		ledger_push(l, t0 > l->last ? t0 : l->last, LC_KERN_FAULT, 0);
	/* the hint inline, the scan out of line: with a plain scan, and
	 * with this entry and the dispatch in separate functions, the
	 * dispatch cost 3-6% of BenchmarkStackGrowthFault (icount, 1 CPU,
	 * instructions per op: 1957.5 with the hard-wired gstack call; 2067
	 * with the scan; 1970 like this) */
	struct vm_region *r = __atomic_load_n(&last_hit, __ATOMIC_RELAXED);
	int where, res = VM_FAULT_FATAL;
	if (__builtin_expect(!r || addr < r->base - r->guard || addr >= r->base + r->size, 0))
		r = vm_region_find(addr, &where);
	vm_fault_fn fn = r ? __atomic_load_n(&r->fault, __ATOMIC_ACQUIRE) : NULL;
	if (fn) {
		if (r->fault_cause && on) {
			/* the whole kern.fault frame counts under the region's
			 * cause, from the push (last: interrupts are off) */
			ledger_set_cause(l, l->last, r->fault_cause);
			l->cause_events[r->fault_cause]++;
		}
		struct vm_fault f = { addr, access, tf };
		res = fn(r, &f, r->fault_arg);
	}
	if (on)
		ledger_pop(l, arch_cycles());
	return res == VM_FAULT_RETRY;
}

int vm_fault_in_guard(const struct vm_region *r, uintptr_t addr)
{
	return region_where(r, addr) == VM_DESCR_GUARD;
}

int vm_commit(struct vm_region *r, uintptr_t va, size_t len, unsigned prot)
{
	uintptr_t a = va & ~(PAGE - 1), end = ROUND_UP(va + len);
	if (a < r->base || end > r->base + r->size)
		return -1;
	for (; a < end; a += PAGE) {
		uint64_t pa;
		unsigned p;
		if (arch_translate(a, &pa, &p) == 0)
			continue;  /* already backed */
		pa = pmem_alloc(0);
		if (!pa)
			return -1;
		memset((void *)pa, 0, PAGE);
		if (arch_map_page(a, pa, prot) < 0) {
			pmem_free(pa, 0);
			return -1;
		}
		r->committed += PAGE;
		total_committed += PAGE;
	}
	return 0;
}

void vm_decommit(struct vm_region *r, uintptr_t va, size_t len)
{
	uintptr_t a = va & ~(PAGE - 1), end = ROUND_UP(va + len);
	if (a < r->base || end > r->base + r->size)
		panic("vm_decommit: [0x%lx-0x%lx] is not inside '%s'", a, end, r->name);
	uint64_t pas[64];
	while (a < end) {
		uintptr_t from = a;
		unsigned got = 0;
		for (unsigned k = 0; k < 64 && a < end; k++, a += PAGE) {
			uint64_t pa = arch_unmap_page(a);
			if (pa)
				pas[got++] = pa;
		}
		tlb_shootdown(from, a - from);
		for (unsigned k = 0; k < got; k++)
			pmem_free(pas[k], 0);
		r->committed -= (size_t)got * PAGE;
		total_committed -= (uint64_t)got * PAGE;
	}
}

int vm_describe(uintptr_t addr, char *buf, size_t n)
{
	int where;
	struct vm_region *r = vm_region_find(addr, &where);
	if (!r)
		return VM_DESCR_NONE;
	if (where == VM_DESCR_GUARD && addr < r->base) {
		ksnprintf(buf, n, "address 0x%lx is in the guard page below '%s' "
		          "[0x%lx-0x%lx]: the %s overflowed its %lu bytes",
		          addr, r->name, r->base, r->base + r->size, r->name, r->size);
	} else if (where == VM_DESCR_GUARD) {
		uintptr_t lo = addr - (addr - r->base) % r->slot + ARCH_PAGE_SIZE;
		ksnprintf(buf, n, "address 0x%lx is in the guard page below the %s at "
		          "[0x%lx-0x%lx]: it overflowed its %lu bytes", addr, r->name, lo,
		          (uintptr_t)(lo + r->slot - ARCH_PAGE_SIZE),
		          (uint64_t)(r->slot - ARCH_PAGE_SIZE));
	} else {
		ksnprintf(buf, n, "address 0x%lx is inside '%s' [0x%lx-0x%lx]", addr,
		          r->name, r->base, r->base + r->size);
	}
	return where;
}

uint64_t vm_committed_bytes(void) { return total_committed; }

void vm_print_stats(void)
{
	kprintf("  memory: %lu KiB free physical, %lu KiB committed to regions\n",
	        pmem_free_pages() * 4, total_committed / 1024);
	for (unsigned i = 0; i < __atomic_load_n(&nregions, __ATOMIC_ACQUIRE); i++)
		kprintf("    %-12s 0x%lx size %lu KiB committed %lu KiB\n", regions[i].name,
		        regions[i].base, regions[i].size / 1024, regions[i].committed / 1024);
}

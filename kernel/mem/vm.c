/*
 * vm.c - named virtual regions backed by pmem pages (see vm.h).
 *
 * Invariants: regions never overlap: region i occupies
 *   [base_i - guard_i, base_i + size_i) and next_va only grows;
 *   total_committed == sum of committed over regions.
 * Context: boot and thread context; may allocate page-table pages.
 */
#include <string.h>
#include "arch/arch.h"
#include "kernel/mem/vm.h"
#include "kernel/mem/pmem.h"
#include "kernel/lib/kprintf.h"

static struct vm_region regions[VM_REGIONS_MAX];
static unsigned nregions;
static uintptr_t next_va = VM_REGION_BASE;
static uint64_t total_committed;

#define PAGE ARCH_PAGE_SIZE
#define ROUND_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))

void vm_init(void)
{
	nregions = 0;
	next_va = VM_REGION_BASE;
	total_committed = 0;
}

struct vm_region *vm_region_create(const char *name, size_t size, size_t guard)
{
	if (nregions >= VM_REGIONS_MAX)
		return NULL;
	struct vm_region *r = &regions[nregions++];
	size = ROUND_UP(size);
	guard = ROUND_UP(guard);
	r->name = name;
	r->guard = guard;
	r->base = next_va + guard;
	r->size = size;
	r->committed = 0;
	/* leave a 1 GiB-aligned hole after each region */
	next_va = (r->base + size + (1ull << 30)) & ~((1ull << 30) - 1);
	return r;
}

struct vm_region *vm_region_create_fixed(const char *name, uintptr_t base, size_t size, size_t slot)
{
	if (nregions >= VM_REGIONS_MAX)
		return NULL;
	struct vm_region *r = &regions[nregions++];
	r->name = name;
	r->guard = 0;
	r->base = base;
	r->size = ROUND_UP(size);
	r->committed = 0;
	r->slot = slot;
	return r;
}

struct vm_region *vm_region_create_slots(const char *name, size_t size, size_t slot)
{
	struct vm_region *r = vm_region_create(name, size, 0);
	if (r)
		r->slot = ROUND_UP(slot);
	return r;
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

int vm_describe(uintptr_t addr, char *buf, size_t n)
{
	for (unsigned i = 0; i < nregions; i++) {
		struct vm_region *r = &regions[i];
		if (addr >= r->base - r->guard && addr < r->base) {
			ksnprintf(buf, n, "address 0x%lx is in the guard page below '%s' "
			          "[0x%lx-0x%lx]: the %s overflowed its %lu bytes",
			          addr, r->name, r->base, r->base + r->size, r->name, r->size);
			return VM_DESCR_GUARD;
		}
		if (addr >= r->base && addr < r->base + r->size) {
			if (r->slot && (addr - r->base) % r->slot < ARCH_PAGE_SIZE) {
				uintptr_t lo = addr - (addr - r->base) % r->slot + ARCH_PAGE_SIZE;
				ksnprintf(buf, n, "address 0x%lx is in the guard page below the %s at "
				          "[0x%lx-0x%lx]: it overflowed its %lu bytes", addr, r->name, lo,
				          (uintptr_t)(lo + r->slot - ARCH_PAGE_SIZE),
				          (uint64_t)(r->slot - ARCH_PAGE_SIZE));
				return VM_DESCR_GUARD;
			}
			ksnprintf(buf, n, "address 0x%lx is inside '%s' [0x%lx-0x%lx]", addr,
			          r->name, r->base, r->base + r->size);
			return VM_DESCR_REGION;
		}
	}
	return VM_DESCR_NONE;
}

uint64_t vm_committed_bytes(void) { return total_committed; }

void vm_print_stats(void)
{
	kprintf("  memory: %lu KiB free physical, %lu KiB committed to regions\n",
	        pmem_free_pages() * 4, total_committed / 1024);
	for (unsigned i = 0; i < nregions; i++)
		kprintf("    %-12s 0x%lx size %lu KiB committed %lu KiB\n", regions[i].name,
		        regions[i].base, regions[i].size / 1024, regions[i].committed / 1024);
}

/*
 * rt_heap.c - the heap half of the runtime's platform contract
 * (rt/platform.h: plat_heap_reserve, plat_heap_commit, plat_heap_release)
 * on bare metal.
 *
 * Purpose: the runtime's allocator (rt/heap/) gets one vm region, "rt
 * heap", of HEAP_ARENA bytes of address space, mapped with 4 KiB pages as
 * it grows (the collector will track writes per page with the dirty bit).
 * Commit maps zeroed pages (vm_commit); release unmaps them, shoots down
 * every CPU's translations and frees the pages (vm_decommit).
 *
 * Ledger: commit and release are kernel work done for the runtime: they
 * are charged to kern.syscall, like sbrk before them (the runtime's own
 * time around them is rt.alloc or rt.gc.scavenge, kernel/glue/syscalls.c).
 * Context: thread context; the caller may hold runtime locks and be on a
 * goroutine's growable stack, so the page allocator runs on this CPU's
 * syscall stack (cpu_syscall), as sbrk does: a stack-growth fault inside
 * pmem's lock would deadlock.
 */
#include <string.h>
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/ledger.h"
#include "kernel/mem/vm.h"
#include "kernel/panic.h"
#include "kernel/mem/mem_options.h"
#include "rt/platform.h"

#define HEAP_ARENA ((size_t)64 << 30)

static struct vm_region *arena;
void rt_dirty_init(void);  /* rt_dirty.c */

uintptr_t plat_heap_reserve(size_t *size)
{
	rt_dirty_init();
	if (!arena)
		arena = vm_region_create("rt heap", *size < HEAP_ARENA ? *size : HEAP_ARENA, ARCH_PAGE_SIZE);
	if (!arena)
		return 0;
	*size = arena->size;
	return arena->base;
}

int plat_heap_checks(void) { return mem_opts.heapcheck; }

int plat_gc_verify(void) { return mem_opts.gcverify; }

void plat_gc_config(int *percent, int64_t *limit, int *trace, int *concurrent, int *helpers, int *generational)
{
	*generational = mem_opts.gcgen;
	*percent = mem_opts.gogc;
	*limit = (int64_t)mem_opts.gcmemlimit;
	*trace = mem_opts.gctrace;
	*concurrent = mem_opts.gcconc;
	*helpers = mem_opts.gchelpers;
}

/* linker.ld: .data (boot page tables first) and .bss.  Some of it is
 * unmapped: the guard pages below the boot CPU's stacks.  The ranges are
 * the mapped runs, found by walking the page tables on each call (a few
 * hundred pages), less the stacks kept in the image and the no-root
 * pages: the PLAT_GC_NOROOT statics and, placed there by linker.ld, the
 * zeroed statics of the kernel itself (kernel/ but this glue, arch/,
 * drivers/, boot/: per-CPU state, page-table bookkeeping, ACPI and PCI
 * tables, the benchmark harness's ledger snapshots), which never hold a
 * collected object's address; scanning them was most of every cycle's
 * root scan (about 370 KiB of the 900 KiB). */
extern char _data_start[], _bss_end[], _noroots_start[], _noroots_end[];

unsigned plat_gc_data(uintptr_t *lo, uintptr_t *hi, unsigned max)
{
	unsigned n = 0;
	uintptr_t a = (uintptr_t)_data_start & ~(uintptr_t)(ARCH_PAGE_SIZE - 1), end = (uintptr_t)_bss_end;
	int in = 0;
	for (; a < end; a += ARCH_PAGE_SIZE) {
		uint64_t pa;
		unsigned prot;
		int mapped = arch_translate(a, &pa, &prot) == 0;
		if (mapped && !in) {
			if (n == max)
				panic("plat_gc_data: more than %u mapped runs in data and bss", max);
			lo[n] = a < (uintptr_t)_data_start ? (uintptr_t)_data_start : a;
			in = 1;
		} else if (!mapped && in) {
			hi[n++] = a;
			in = 0;
		}
	}
	if (in)
		hi[n++] = end;
	/* Leave out the stacks in the image (arch_image_stacks): the boot
	 * CPU's interrupt stacks keep the registers of the last goroutine
	 * each interrupt found, stale for as long as that CPU takes no other
	 * interrupt, and would keep what those registers named alive.  And
	 * the statics marked PLAT_GC_NOROOT (linker.ld's page-aligned
	 * _noroots_start.._noroots_end): no collected object's address is
	 * ever stored there. */
	uintptr_t slo[9], shi[9];
	size_t ns = arch_image_stacks(slo, shi, 8);
	slo[ns] = (uintptr_t)_noroots_start;
	shi[ns++] = (uintptr_t)_noroots_end;
	for (size_t k = 0; k < ns; k++)
		for (unsigned i = 0; i < n; i++) {
			if (shi[k] <= lo[i] || slo[k] >= hi[i])
				continue;
			uintptr_t a = lo[i], b = hi[i];
			if (slo[k] > a && shi[k] < b) {  /* split in two */
				if (n == max)
					panic("plat_gc_data: more than %u runs in data and bss", max);
				memmove(&lo[i + 2], &lo[i + 1], (n - i - 1) * sizeof(*lo));
				memmove(&hi[i + 2], &hi[i + 1], (n - i - 1) * sizeof(*hi));
				n++;
				hi[i] = slo[k];
				lo[i + 1] = shi[k];
				hi[i + 1] = b;
				i++;
			} else if (slo[k] <= a && shi[k] >= b) {  /* all of it */
				memmove(&lo[i], &lo[i + 1], (n - i - 1) * sizeof(*lo));
				memmove(&hi[i], &hi[i + 1], (n - i - 1) * sizeof(*hi));
				n--;
				i--;
			} else if (slo[k] <= a) {
				lo[i] = shi[k];
			} else {
				hi[i] = slo[k];
			}
		}
	return n;
}

struct range {
	uintptr_t addr;
	size_t len;
};

static int do_commit(void *p)
{
	struct range *r = p;
	return vm_commit(arena, r->addr, r->len, VM_R | VM_W);
}

int plat_heap_commit(uintptr_t addr, size_t len)
{
	struct range r = { addr, len };
	struct cpu *c = cpu_ledger_enter(LC_KERN_SYSCALL);
	int rc = cpu_syscall(do_commit, &r);
	cpu_ledger_leave(c);
	return rc;
}

static int do_release(void *p)
{
	struct range *r = p;
	vm_decommit(arena, r->addr, r->len);
	return 0;
}

void plat_heap_release(uintptr_t addr, size_t len)
{
	struct range r = { addr, len };
	struct cpu *c = cpu_ledger_enter(LC_KERN_SYSCALL);
	cpu_syscall(do_release, &r);
	cpu_ledger_leave(c);
}

/*
 * gstack.c - growable goroutine stacks on bare metal: reserved virtual
 * ranges backed page by page on demand.
 *
 * Purpose: C cannot move stacks (raw pointers into them would break), but
 * the kernel owns the page tables: each goroutine gets a slot of `stackmax`
 * bytes (boot option, default 64 MiB) of address space above an unmapped
 * guard page; only the top `stackinit` bytes (default one page) are mapped
 * at spawn.  A page fault below the mapped part grows it (stack_fault, the
 * arena region's fault handler, called by kernel_page_fault on the page-fault
 * exception stack and charged to kern.fault with cause rt.stack); a fault
 * in the guard ends the program with Go's "goroutine N stack exceeds
 * <limit>-byte limit", and a protection fault on a mapped stack page (a
 * jump into the stack with NX) gets the generic crash report.  Freed
 * stacks are cached and trimmed back to their
 * initial backing in batches (gstack_free trims the whole cache under one
 * TLB shootdown once its excess passes 1 MiB; gstack_trim forces it);
 * gstack_shrink releases the unused part of a live one.
 *
 * Growth policy: on a fault `need` pages deep, the mapped part becomes
 * max(2 x mapped, need + 1) pages (Go's doubling; one extra page of slack),
 * capped at the slot: a deep recursion takes O(log depth) faults.
 *
 * Fresh pages: every page mapped into a stack is zeroed first (map_range),
 * as vm_commit does for the other regions.  Besides not handing a
 * goroutine another one's old frames, this matters under QEMU's TCG: a
 * page where code once ran (on the UEFI path, reclaimed firmware code)
 * keeps its translations until the bytes they came from are overwritten,
 * and every store to the page takes the emulator's self-modifying-code
 * slow path while one survives.  Stack stores miss those bytes, so they
 * never cleared it: a goroutine whose stack landed on such a page ran its
 * context switches 20-75x slower (about half of the UEFI boots).  One
 * whole-page write drops them all.  Cost: 4 KiB of stores per page mapped
 * (growth and new slots; a reused cached stack keeps its pages).
 * tests/target/gstack_test.c plants such pages on any boot path.
 *
 * Data structures: the arena is 64 TiB at ARENA_BASE (the port's
 * ARCH_STACK_ARENA_BASE: x86_64's upper half, 2^47 on aarch64), slots of
 * slot = guard + stackmax bytes back to back (over a million at the
 * default size); per slot a 32-bit count of mapped pages
 * (an array in its own region, committed as slots are first used); a LIFO
 * of free slots threaded through their (always mapped) top page; per CPU
 * a cache of up to PCPU_SLOTS free slot numbers; counters.
 *
 * Invariants: for every slot below `next` but the lost ones (below):
 * pages[i] >= init_pages, and the mapped pages of the slot are exactly
 * its top pages[i] pages; a lost slot (memory ran out while its initial
 * pages were mapped) has pages[i] == 0 and is never handed out;
 * excess == sum over free slots of (pages[i] - init_pages) <= threshold
 * after every gstack_free;
 * committed == 4096 * sum(pages[i]);  peak >= committed;
 * in_use + free slots (shared list and the CPUs' caches) + lost == next;
 * a slot in a CPU's cache has pages[i] == init_pages.
 * A page goes back to pmem only after the tlb_shootdown that follows its
 * unmap returned, and tlb_shootdown returns only once every CPU flushed
 * (a CPU that does not answer is a kernel panic, never a failure return:
 * ipi.c), so no CPU reaches a freed page through a stale translation.
 *
 * Locking: a CPU's cache of free slots (pcs[]) is its own, used with
 * interrupts off (another CPU out of memory asks for it by an IPI call,
 * which runs on the owner: give_back_cache); `lock` (interrupts off) guards the shared free list,
 * `next` and `excess`; one CPU trims at a time (`trimming`, try-only: a
 * CPU that finds a trim under way leaves its excess to it, which looks
 * again when done: trim_cache); page
 * tables are updated under the vm lock (arch_map_page callers hold none of
 * ours).  A slot's pages[] entry is written only by the CPU running its
 * goroutine (growth, shrink) or by g0 while nobody runs it (alloc, free).
 * The page allocator is never entered on a goroutine stack (sbrk switches
 * to the CPU's syscall stack), so a growth fault never finds the pmem lock
 * held by its own CPU.
 * Context: alloc/free in g0 (thread context, CPU stack); stack_fault from
 * the page-fault path (interrupts off, exception stack).
 */
#include <stdint.h>
#include <string.h>
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/mem/gstack.h"
#include "kernel/cpu/ipi.h"
#include "kernel/kernel.h"
#include "kernel/lib/kprintf.h"
#include "kernel/panic.h"
#include "kernel/mem/pmem.h"
#include "kernel/cpu/spinlock.h"
#include "kernel/mem/vm.h"
#include "kernel/console.h"
#include "kernel/ledger.h"
#include <tally.h>
#include "rt/rt.h"

#define PAGE ARCH_PAGE_SIZE
#define ARENA_BASE ARCH_STACK_ARENA_BASE
#define ARENA_SIZE (64ull << 40)

static struct {
	struct spinlock lock;
	size_t stackmax;            /* usable bytes per stack */
	size_t slot;                /* stackmax + guard */
	uint64_t nslots;
	uint64_t init_pages;
	uint64_t next;              /* slots ever handed out */
	uintptr_t free;             /* top page of the first free slot, 0: none */
	struct vm_region *arena;
	struct vm_region *meta;     /* backs pages[] */
	uint32_t *pages;            /* mapped pages per slot */
	uint64_t meta_committed;    /* slots covered by committed pages[] */
	uint64_t excess;            /* pages above the initial ones, over free slots */
	uint64_t lost;              /* slots whose first backing failed (atomic) */
	struct gstack_stats st;
} gs;

/* Per-CPU caches of free slots (a stack cache per P, as Go's): a spawn
 * and an exit take no shared lock until the CPU's cache is empty or full,
 * then move PCPU_SLOTS / 2 slots at once.  Only slots with no excess pages
 * enter them (a grown stack goes to the shared list, where trimming finds
 * it), so `excess` and trim_cache still see every page above the initial
 * ones.  Owner only, interrupts off. */
#define PCPU_SLOTS 32
static struct pcpu_stacks {
	uint32_t n;
	int64_t in_use;             /* allocs less frees on this CPU */
	uint64_t slot[PCPU_SLOTS];  /* free slots' numbers */
} __attribute__((aligned(64))) pcs[CPU_MAX];

/* Cached (free) stacks keep their pages until their excess passes this;
 * then all of it is trimmed under one TLB shootdown (trimming each exit
 * separately cost an IPI round per goroutine). */
#define TRIM_THRESHOLD_PAGES 256

static int stack_fault(struct vm_region *r, const struct vm_fault *f, void *arg);

int gstack_init(size_t stackmax, size_t stackinit)
{
	gs.stackmax = (stackmax + PAGE - 1) & ~(PAGE - 1);
	gs.slot = gs.stackmax + PAGE;
	gs.nslots = ARENA_SIZE / gs.slot;
	gs.init_pages = (stackinit + PAGE - 1) / PAGE;
	if (gs.init_pages == 0 || gs.init_pages * PAGE > gs.stackmax)
		return -1;
	gs.arena = vm_region_create_fixed("goroutine stack", ARENA_BASE, gs.nslots * gs.slot, gs.slot);
	gs.meta = vm_region_create("stack metadata", gs.nslots * sizeof(uint32_t), 0);
	if (!gs.arena || !gs.meta)
		return -1;
	gs.pages = (uint32_t *)gs.meta->base;
	int cause = ledger_cause("rt.stack");
	vm_region_set_fault(gs.arena, stack_fault, NULL, cause > 0 ? (unsigned)cause : 0);
	return 0;
}

size_t gstack_size(void) { return gs.stackmax; }

static uintptr_t slot_lo(uint64_t i) { return gs.arena->base + i * gs.slot + PAGE; }
static uintptr_t slot_top(uint64_t i) { return slot_lo(i) + gs.stackmax; }

static void note_committed(int64_t delta_pages)
{
	uint64_t now = __atomic_add_fetch(&gs.st.committed, (uint64_t)(delta_pages * (int64_t)PAGE),
	                                  __ATOMIC_RELAXED);
	uint64_t peak = __atomic_load_n(&gs.st.peak, __ATOMIC_RELAXED);
	while (now > peak &&
	       !__atomic_compare_exchange_n(&gs.st.peak, &peak, now, 1, __ATOMIC_RELAXED,
	                                    __ATOMIC_RELAXED))
		;
}

/* Map pages [top - to*PAGE, top - from*PAGE) of slot i.  Returns pages
 * mapped; stops early when memory runs out. */
static uint64_t map_range(uint64_t i, uint64_t from, uint64_t to)
{
	uintptr_t top = slot_top(i);
	uint64_t n = 0;
	for (uint64_t k = from; k < to; k++) {
		uint64_t pa = pmem_alloc(0);
		if (!pa)
			break;
		memset((void *)pa, 0, PAGE);  /* "Fresh pages" above */
		if (arch_map_page(top - (k + 1) * PAGE, pa, VM_R | VM_W) < 0) {
			pmem_free(pa, 0);
			break;
		}
		n++;
	}
	return n;
}

/* Unmap pages [from, to) counted from the top of slot i, collecting the
 * physical pages in pas[*n] (room for max); returns pages unmapped. */
static uint64_t unmap_collect(uint64_t i, uint64_t from, uint64_t to, uint64_t *pas, uint64_t *n)
{
	uintptr_t top = slot_top(i);
	uint64_t k;
	for (k = from; k < to; k++) {
		uint64_t pa = arch_unmap_page(top - (k + 1) * PAGE);
		if (pa)
			pas[(*n)++] = pa;
	}
	return to - from;
}

static void free_collected(uint64_t *pas, uint64_t n)
{
	for (uint64_t k = 0; k < n; k++)
		pmem_free(pas[k], 0);
	__atomic_add_fetch(&gs.st.pages_released, n, __ATOMIC_RELAXED);
	note_committed(-(int64_t)n);
}

/* Unmap pages [from, to) counted from the top of slot i and free them,
 * after every CPU dropped its translations. */
static void unmap_range(uint64_t i, uint64_t from, uint64_t to)
{
	if (from >= to)
		return;
	uintptr_t top = slot_top(i);
	uint64_t pas[64];
	while (from < to) {
		uint64_t batch = to - from > 64 ? 64 : to - from, got = 0;
		for (uint64_t k = 0; k < batch; k++) {
			uint64_t pa = arch_unmap_page(top - (from + k + 1) * PAGE);
			if (pa)
				pas[got++] = pa;
		}
		tlb_shootdown(top - (from + batch) * PAGE, batch * PAGE);
		for (uint64_t k = 0; k < got; k++)
			pmem_free(pas[k], 0);
		__atomic_add_fetch(&gs.st.pages_released, got, __ATOMIC_RELAXED);
		note_committed(-(int64_t)got);
		from += batch;
	}
}

/* A free slot from this CPU's cache, else the shared list (refilling
 * the cache from it); 0 when both are empty. */
static uintptr_t alloc_cached(void)
{
	unsigned long f = arch_irq_save();
	struct pcpu_stacks *c = &pcs[cpu_index()];
	uint64_t i;
	if (c->n) {
		i = c->slot[--c->n];
		c->in_use++;
		arch_irq_restore(f);
		return slot_lo(i);
	}
	spin_lock(&gs.lock);
	uintptr_t top_page = gs.free;
	if (!top_page) {
		spin_unlock(&gs.lock);
		arch_irq_restore(f);
		return 0;
	}
	gs.free = *(uintptr_t *)top_page;
	i = (top_page - gs.arena->base) / gs.slot;
	gs.excess -= gs.pages[i] - gs.init_pages;  /* reused with its pages */
	/* refill the cache with the clean slots that follow */
	while (c->n < PCPU_SLOTS / 2 && gs.free) {
		uint64_t k = (gs.free - gs.arena->base) / gs.slot;
		if (gs.pages[k] != gs.init_pages)
			break;
		c->slot[c->n++] = k;
		gs.free = *(uintptr_t *)gs.free;
	}
	c->in_use++;
	spin_unlock(&gs.lock);
	arch_irq_restore(f);
	return slot_lo(i);
}

/* A slot never used before, its initial pages mapped; 0 when the arena
 * or memory ran out.  A slot whose pages could not all be mapped gives
 * back those it got and is not used again (`lost`). */
static uintptr_t alloc_new(void)
{
	unsigned long f = arch_irq_save();
	spin_lock(&gs.lock);
	if (gs.next >= gs.nslots) {
		spin_unlock(&gs.lock);
		arch_irq_restore(f);
		return 0;
	}
	/* first use of this slot: back its pages[] entry (under the lock, so
	 * two CPUs never both map the same metadata page) */
	uint64_t i = gs.next;
	uintptr_t meta_end = (uintptr_t)&gs.pages[i + 1];
	if (meta_end > gs.meta->base + gs.meta->committed &&
	    vm_commit(gs.meta, (uintptr_t)&gs.pages[i], sizeof(uint32_t), VM_R | VM_W) < 0) {
		spin_unlock(&gs.lock);
		arch_irq_restore(f);
		return 0;
	}
	gs.next++;
	spin_unlock(&gs.lock);
	arch_irq_restore(f);
	uint64_t n = map_range(i, 0, gs.init_pages);
	gs.pages[i] = (uint32_t)n;
	__atomic_add_fetch(&gs.st.pages_mapped, n, __ATOMIC_RELAXED);
	note_committed((int64_t)n);
	if (n < gs.init_pages) {
		unmap_range(i, 0, n);
		gs.pages[i] = 0;
		__atomic_add_fetch(&gs.lost, 1, __ATOMIC_RELAXED);
		return 0;
	}
	f = arch_irq_save();
	pcs[cpu_index()].in_use++;
	arch_irq_restore(f);
	return slot_lo(i);
}

/* The IPI call of gstack_alloc's last resort: this CPU's cached slots go
 * to the shared list.  Interrupts off (a handler, or a CPU serving calls
 * while it waits), so never in the middle of this CPU's own use of its
 * cache, which runs with interrupts off and calls no IPI. */
static void give_back_cache(void *arg)
{
	(void)arg;
	struct pcpu_stacks *c = &pcs[cpu_index()];
	if (!c->n)
		return;
	spin_lock(&gs.lock);
	while (c->n) {
		uintptr_t tp = slot_top(c->slot[--c->n]) - PAGE;
		*(uintptr_t *)tp = gs.free;
		gs.free = tp;
	}
	spin_unlock(&gs.lock);
}

/* This CPU's cache, the shared list, a new slot; when memory (or the
 * arena) has run out, the other CPUs' caches, which only their owners
 * touch: they are asked to give them back (an IPI call each, charged with
 * cause `call`), and the shared list is tried again.  Without that last
 * step, a spawn on one CPU failed for want of memory while another CPU
 * held free stacks (the runtime's own goroutines, started at each
 * collection, exit and leave their stacks on whichever CPU ran them). */
uintptr_t gstack_alloc(size_t size)
{
	if (size != gs.stackmax)
		return 0;
	uintptr_t lo = alloc_cached();
	if (!lo)
		lo = alloc_new();
	if (!lo) {
		ipi_call_others(give_back_cache, NULL, LCAUSE_CALL);
		lo = alloc_cached();
	}
	return lo;
}

static volatile int trimming;

/* Trim every cached stack back to its initial pages: take the whole free
 * list, unmap the excess, one shootdown per batch of 512 pages, free the
 * pages, put the slots back.  The caller holds `trimming`. */
static void trim_once(void)
{
	static uint64_t pas[512];      /* owned by the one trimmer */
	unsigned long f = arch_irq_save();
	spin_lock(&gs.lock);
	uintptr_t list = gs.free;
	gs.free = 0;
	gs.excess = 0;
	spin_unlock(&gs.lock);
	arch_irq_restore(f);
	uint64_t n = 0;
	uintptr_t last = 0;
	for (uintptr_t tp = list; tp; tp = *(uintptr_t *)tp) {
		uint64_t i = (tp - gs.arena->base) / gs.slot;
		uint64_t from = gs.init_pages;
		while (gs.pages[i] > from) {
			uint64_t to = gs.pages[i];
			if (to - from > 512 - n)
				to = from + (512 - n);
			unmap_collect(i, from, to, pas, &n);
			from = to;
			if (n == 512) {
				tlb_shootdown(0, ~(size_t)0);  /* full flush everywhere */
				free_collected(pas, n);
				n = 0;
			}
		}
		gs.pages[i] = (uint32_t)gs.init_pages;
		last = tp;
	}
	if (n) {
		tlb_shootdown(0, ~(size_t)0);
		free_collected(pas, n);
	}
	if (last) {
		f = arch_irq_save();
		spin_lock(&gs.lock);
		*(uintptr_t *)last = gs.free;
		gs.free = list;
		spin_unlock(&gs.lock);
		arch_irq_restore(f);
	}
}

/* Trim as one CPU at a time: a CPU that finds a trim under way leaves
 * its excess behind it, so the trimmer looks again once it is done (the
 * list it took held none of that excess: stacks freed meanwhile stayed
 * committed until some later exit, 62 MiB of them with two CPUs).  The
 * release and the look are sequentially consistent with the other CPU's
 * count and try (it counts under gs.lock, then tries). */
static void trim_cache(int force)
{
	for (;;) {
		if (__atomic_exchange_n(&trimming, 1, __ATOMIC_SEQ_CST))
			return;  /* another CPU is at it: it looks again when done */
		trim_once();
		__atomic_store_n(&trimming, 0, __ATOMIC_SEQ_CST);
		unsigned long f = arch_irq_save();
		spin_lock(&gs.lock);
		uint64_t left = gs.excess;
		spin_unlock(&gs.lock);
		arch_irq_restore(f);
		if (left <= (force ? 0 : TRIM_THRESHOLD_PAGES))
			return;
		force = 0;
	}
}

void gstack_free(uintptr_t lo, size_t size)
{
	(void)size;
	uint64_t i = (lo - PAGE - gs.arena->base) / gs.slot;
	if (lo != slot_lo(i))
		panic("gstack: freeing 0x%lx, not a stack", (uint64_t)lo);
	uintptr_t top_page = slot_top(i) - PAGE;
	unsigned long f = arch_irq_save();
	struct pcpu_stacks *c = &pcs[cpu_index()];
	c->in_use--;
	if (gs.pages[i] == gs.init_pages && c->n < PCPU_SLOTS) {
		c->slot[c->n++] = i;
		arch_irq_restore(f);
		return;
	}
	spin_lock(&gs.lock);
	if (gs.pages[i] == gs.init_pages) {
		/* the cache is full: half of it goes to the shared list */
		while (c->n > PCPU_SLOTS / 2) {
			uintptr_t tp = slot_top(c->slot[--c->n]) - PAGE;
			*(uintptr_t *)tp = gs.free;
			gs.free = tp;
		}
		c->slot[c->n++] = i;
		spin_unlock(&gs.lock);
		arch_irq_restore(f);
		return;
	}
	*(uintptr_t *)top_page = gs.free;
	gs.free = top_page;
	gs.excess += gs.pages[i] - gs.init_pages;
	int trim = gs.excess > TRIM_THRESHOLD_PAGES;
	spin_unlock(&gs.lock);
	arch_irq_restore(f);
	if (trim)
		trim_cache(0);
}

void gstack_trim(void)
{
	trim_cache(1);
}

/* A goroutine ran off its stack (Go's report, status 2), or its stack
 * could not grow for want of memory (an out-of-memory report, status
 * EXIT_OOM): the goroutine's frames either way. */
static _Noreturn void stack_overflow(struct trap_frame *tf, const char *why, int oom)
{
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

/* The arena's fault handler (vm.h): grow the faulting stack, or end the
 * program when it overflowed or cannot grow. */
static int stack_fault(struct vm_region *r, const struct vm_fault *f, void *arg)
{
	(void)r, (void)arg;
	char why[96];
	uintptr_t addr = f->addr;
	uint64_t i = (addr - gs.arena->base) / gs.slot;
	uintptr_t lo = slot_lo(i), top = slot_top(i);
	if (addr < lo || i >= gs.next) {
		ksnprintf(why, sizeof(why), "stack exceeds %lu-byte limit", (uint64_t)gs.stackmax);
		stack_overflow(f->tf, why, 0);
	}
	/* only the running goroutine's own stack grows: a frame larger than
	 * what was left of its stack and the guard page below it lands in
	 * the next goroutine's slot (where this would have mapped pages
	 * under that goroutine's feet).  x86_64 code is built with stack
	 * probes (-fstack-clash-protection: every page of a big frame is
	 * touched in order, so the guard page is hit first); aarch64's
	 * compiler has none, and there a big frame reaches a neighbour's
	 * mapped pages unseen.  Writes only: the collector reads other
	 * goroutines' stacks from the sp it noted, and a page that goroutine
	 * released since (tally_stack_shrink) faults in its slot, not the
	 * collector's; mapping it again is harmless there. */
	uintptr_t own = rt_current_stack_lo();
	if ((f->access & VM_ACCESS_WRITE) && own >= gs.arena->base + PAGE &&
	    (own - PAGE - gs.arena->base) / gs.slot < gs.next && (own - PAGE - gs.arena->base) / gs.slot != i) {
		ksnprintf(why, sizeof(why), "stack exceeds %lu-byte limit (a frame skipped its guard page)",
		          (uint64_t)gs.stackmax);
		stack_overflow(f->tf, why, 0);
	}
	if (f->access & VM_ACCESS_PRESENT)
		return VM_FAULT_FATAL;  /* a protection violation: growing cannot help */
	uint64_t need = (top - (addr & ~(PAGE - 1))) / PAGE;  /* pages from the top */
	uint64_t have = gs.pages[i];
	if (need <= have)
		return VM_FAULT_RETRY;  /* mapped meanwhile: retry */
	uint64_t want = 2 * have > need + 1 ? 2 * have : need + 1;
	uint64_t maxp = gs.stackmax / PAGE;
	if (want > maxp)
		want = maxp;
	uint64_t got = map_range(i, have, want);
	gs.pages[i] = (uint32_t)(have + got);
	__atomic_add_fetch(&gs.st.growth_faults, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&gs.st.pages_mapped, got, __ATOMIC_RELAXED);
	note_committed((int64_t)got);
	if (have + got < need) {
		ksnprintf(why, sizeof(why), "out of memory growing the stack to %lu bytes",
		          (uint64_t)(need * PAGE));
		stack_overflow(f->tf, why, 1);
	}
	return VM_FAULT_RETRY;
}

uint64_t gstack_shrink(uintptr_t lo, uintptr_t sp, size_t slack)
{
	uint64_t i = (lo - PAGE - gs.arena->base) / gs.slot;
	uintptr_t top = slot_top(i);
	if (sp < lo || sp > top)
		return 0;
	uint64_t keep = (top - ((sp - slack) & ~(PAGE - 1)) + PAGE - 1) / PAGE;
	if (keep < gs.init_pages)
		keep = gs.init_pages;
	uint64_t have = gs.pages[i];
	if (keep >= have)
		return 0;
	unmap_range(i, keep, have);
	gs.pages[i] = (uint32_t)keep;
	return have - keep;
}

void gstack_stats(struct gstack_stats *s)
{
	*s = gs.st;
	int64_t n = 0;
	for (unsigned k = 0; k < CPU_MAX; k++)
		n += __atomic_load_n(&pcs[k].in_use, __ATOMIC_RELAXED);
	s->in_use = n > 0 ? (uint64_t)n : 0;
	s->stackmax = gs.stackmax;
	s->init_bytes = gs.init_pages * PAGE;
}

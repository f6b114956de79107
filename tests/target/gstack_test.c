/*
 * gstack_test.c - on-target test: a page given to a goroutine stack is
 * entirely written (zeroed) before the stack uses it.
 *
 * Why it matters beyond tidiness: pages reach pmem with whatever they
 * held, and under QEMU's TCG a page where code once ran (firmware code
 * reclaimed after ExitBootServices, on the UEFI path) keeps its
 * translations until the bytes they came from are overwritten.  Every
 * store to such a page takes TCG's self-modifying-code slow path (a lock
 * and a lookup per store) while any translation survives, and stores that
 * miss the translated bytes never remove them: a goroutine whose stack
 * landed there ran its context switches 20-75x slower (the tour's 1-P
 * rows, about half of the UEFI boots).  Writing the whole page once drops
 * every translation on it.
 *
 * The test makes such pages on any boot path: it fills pages from pmem
 * with `ret` (isa_code.h: the byte 0xc3 on x86_64, the word 0xd65f03c0 on
 * aarch64), runs one at every 64th byte through an executable mapping,
 * frees them, and grows a stack (trimmed to its initial pages first) by
 * 128 pages through growth faults; some of those must be planted pages.
 * Truth, independent of gstack: every byte of every page the growth
 * mapped reads 0 (the test wrote `ret` there), and 8-byte stores between
 * the planted instructions cost no more than 4x the same stores to a page
 * the test zeroed itself (cycle counter, best of 5).  Without the zeroing,
 * under QEMU 7.2's TCG, 2000 such stores took 4.65 million cycles against
 * 6400; under -icount both sides count the same instructions, so there
 * the zero check is the one that can fail.
 *
 * gstack_alloc_takes_other_cpus_cache: with memory used up and no free
 * stack but one in another CPU's cache, a spawn on this CPU gets that
 * stack (it used to fail: the runtime's per-collection goroutines left
 * their stacks in the caches of the CPUs that ran them, and a program
 * out of memory was reported as out of goroutine stacks).  Truth: the
 * test takes every page from pmem and every free stack itself, frees one
 * stack on the last CPU (an IPI call), and expects that very address.
 */
#include <stdint.h>
#include <string.h>
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/ipi.h"
#include "kernel/ktest.h"
#include "kernel/ledger.h"
#include "kernel/mem/gstack.h"
#include "kernel/mem/pmem.h"
#include "kernel/mem/vm.h"
#include "tests/target/isa_code.h"

#define PAGE    ARCH_PAGE_SIZE
#define NPLANT  32
#define STORES  2000

static uint64_t store_cycles(volatile uint64_t *p)
{
	uint64_t best = ~0ull;
	for (int rep = 0; rep < 5; rep++) {
		uint64_t t0 = arch_cycles();
		for (int i = 0; i < STORES; i++)
			*p = (uint64_t)i;
		uint64_t t = arch_cycles() - t0;
		if (t < best)
			best = t;
	}
	return best;
}

KTEST(gstack_pages_fresh)
{
	struct vm_region *code = vm_region_create("ktest code", PAGE, PAGE);
	KASSERT(code != NULL);
	uint64_t planted[NPLANT];
	for (int i = 0; i < NPLANT; i++) {
		planted[i] = pmem_alloc(0);
		KASSERT(planted[i] != 0);
		isa_fill_ret((void *)planted[i], PAGE);
		KASSERT(arch_map_page(code->base, planted[i], VM_R | VM_X) == 0);
		for (unsigned off = 0; off < PAGE; off += 64)
			((void (*)(void))(code->base + off))();
		KASSERT_EQ(arch_unmap_page(code->base), planted[i]);
	}
	for (int i = NPLANT - 1; i >= 0; i--)
		pmem_free(planted[i], 0);

	/* grow a stack over them: each read below the backed part faults; a
	 * cached slot keeps only its initial pages after the trim, and those
	 * (not mapped by this growth) are not checked */
	gstack_trim();
	struct gstack_stats st;
	gstack_stats(&st);
	unsigned first = (unsigned)(st.init_bytes / PAGE) + 1;
	size_t size = gstack_size();
	uintptr_t lo = gstack_alloc(size);
	KASSERT(lo != 0);
	uintptr_t top = lo + size;
	unsigned npages = 4 * NPLANT, reused = 0, dirty = 0;
	if ((first + npages) * PAGE > size)  /* a small stackmax= */
		npages = (unsigned)(size / PAGE) - first;
	volatile uint64_t *victim = NULL;
	for (unsigned k = first; k < first + npages; k++)
		(void)*(volatile uint8_t *)(top - k * PAGE);
	for (unsigned k = first; k < first + npages; k++) {
		uintptr_t va = top - k * PAGE;
		uint64_t pa;
		unsigned prot;
		KASSERT(arch_translate(va, &pa, &prot) == 0);
		int was_planted = 0;
		for (int i = 0; i < NPLANT; i++)
			was_planted |= planted[i] == pa;
		const volatile uint8_t *b = (const volatile uint8_t *)va;
		unsigned nz = 0;
		for (unsigned j = 0; j < PAGE; j++)
			nz += b[j] != 0;
		dirty += nz != 0;
		if (was_planted) {
			reused++;
			if (!victim)
				victim = (volatile uint64_t *)(va + 8);  /* over translated rets */
		}
	}
	/* the reference: a page the test wrote whole itself, after one
	 * untimed pass (the emulator translates the loop, fills its TLB) */
	uint64_t ref = 0, stk = 0;
	uint64_t clean = pmem_alloc(0);
	KASSERT(clean != 0);
	memset((void *)clean, 0, PAGE);
	if (victim) {
		(void)store_cycles((volatile uint64_t *)(clean + 8));
		ref = store_cycles((volatile uint64_t *)(clean + 8));
		stk = store_cycles(victim);
	}
	pmem_free(clean, 0);
	ktest_note("%u of %u stack pages were planted code pages, %u not zero; %d stores: "
	           "%lu cycles to a page the test zeroed, %lu to a planted stack page",
	           reused, npages, dirty, STORES, ref, stk);
	gstack_free(lo, size);
	KASSERT(reused > 0);  /* else the test proves nothing */
	KASSERT_EQ(dirty, 0);
	KASSERT(stk <= 4 * ref);
}

static void free_there(void *arg)
{
	gstack_free(*(uintptr_t *)arg, gstack_size());
}

#define HELD_MAX 1024

KTEST(gstack_alloc_takes_other_cpus_cache)
{
	static uintptr_t held[HELD_MAX];
	size_t size = gstack_size();
	unsigned other = cpu_count() - 1;  /* this CPU itself on a 1-CPU boot */
	gstack_trim();  /* every free stack back to its initial pages */
	/* every free page, chained through the pages themselves */
	uint64_t chain = 0, npages = 0;
	for (uint64_t pa; (pa = pmem_alloc(0)) != 0; npages++) {
		*(uint64_t *)pa = chain;
		chain = pa;
	}
	/* every free stack: this CPU's cache, the shared list, the others' */
	unsigned nheld = 0, overflow = 0;
	for (uintptr_t lo; (lo = gstack_alloc(size)) != 0;) {
		if (nheld < HELD_MAX)
			held[nheld++] = lo;
		else
			overflow = 1;
		if (overflow)
			break;
	}
	uintptr_t given = 0, got = 0, none = 1;
	if (!overflow && nheld > 0) {
		given = held[--nheld];
		ipi_call(other, free_there, &given, LCAUSE_CALL);  /* into its cache */
		got = gstack_alloc(size);
		none = gstack_alloc(size) == 0;  /* and nothing else was free */
	}
	if (got)
		gstack_free(got, size);  /* (else `given` is still free over there) */
	unsigned taken = nheld + (given != 0);
	while (nheld)
		gstack_free(held[--nheld], size);
	while (chain) {
		uint64_t next = *(uint64_t *)chain;
		pmem_free(chain, 0);
		chain = next;
	}
	ktest_note("%u CPU(s): %lu pages and %u stacks taken; a stack freed on cpu %u came back "
	           "on cpu %u: %s",
	           cpu_count(), npages, taken, other, cpu_index(),
	           got == 0 ? "no (none)" : got == given ? "yes" : "another one");
	KASSERT(!overflow);
	KASSERT(given != 0);
	KASSERT_EQ(got, given);
	KASSERT(none);
}

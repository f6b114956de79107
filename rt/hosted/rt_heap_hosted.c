/*
 * rt_heap_hosted.c - the heap half of the runtime's platform contract
 * (rt/platform.h: plat_heap_reserve, plat_heap_commit, plat_heap_release)
 * on Linux, for the hosted build.
 *
 * The arena is one anonymous mapping with no access and no swap
 * reservation (MAP_NORESERVE); commit makes a range readable and writable
 * (pages already touched keep their contents, fresh ones read as zero);
 * release drops the pages (MADV_DONTNEED: they read as zero when
 * committed again) and takes the access away, so a stray access to a
 * released page faults as it does on bare metal.
 *
 * Dirty pages (plat_dirty_*): the hosted build reports every page of a
 * harvested range as written (plat_dirty_precise() == 0), so the
 * collector's final pause re-scans everything it marked: correct, not
 * concurrent in effect.  Linux's soft-dirty bits (/proc/self/pagemap after
 * writing 4 to clear_refs) would be precise, but clearing them is per
 * process, not per range, and needs CONFIG_MEM_SOFT_DIRTY; the hosted
 * build is for testing the logic under sanitizers, not for pauses.
 *
 * Context: any thread; the calls are system calls, safe with the
 * runtime's locks held.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include "rt/platform.h"

#define HOSTED_ARENA ((size_t)16 << 30)

uintptr_t plat_heap_reserve(size_t *size)
{
	size_t n = *size < HOSTED_ARENA ? *size : HOSTED_ARENA;
	void *p = mmap(NULL, n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	*size = n;
	return (uintptr_t)p;
}

/* The executable's data and bss (GNU ld's symbols): the runtime's and the
 * test's globals, less the statics marked PLAT_GC_NOROOT, which
 * rt/hosted/noroots.ld gathers between __rt_noroots_start and _end (as
 * bare metal leaves them out: scanned here, stale words in them, such as
 * an M's saved scheduler registers, kept objects alive that the machine
 * frees).  Shared libraries' data (libc, cmocka) is not scanned. */
extern char __data_start[], _end[], __rt_noroots_start[], __rt_noroots_end[];

unsigned plat_gc_data(uintptr_t *lo, uintptr_t *hi, unsigned max)
{
	uintptr_t d = (uintptr_t)__data_start, e = (uintptr_t)_end;
	uintptr_t nlo = (uintptr_t)__rt_noroots_start, nhi = (uintptr_t)__rt_noroots_end;
	unsigned n = 0;
	if (nlo < d || nhi > e || nlo > nhi)
		nlo = nhi = e;  /* not inside (another link): scan it all */
	if (nlo > d && n < max) {
		lo[n] = d;
		hi[n++] = nlo;
	}
	if (e > nhi && n < max) {
		lo[n] = nhi;
		hi[n++] = e;
	}
	return n;
}

/* hosted tests use tally_gc_percent and friends, rt_gc_set_concurrent,
 * rt_gc_set_generational */
void plat_gc_config(int *percent, int64_t *limit, int *trace, int *concurrent, int *helpers, int *generational)
{
	(void)percent, (void)limit, (void)trace, (void)concurrent, (void)helpers, (void)generational;
}

/* hosted tests turn checks on with rt_heap_set_checks instead */
int plat_heap_checks(void) { return 0; }

/* hosted tests turn the collector's self-check on with rt_gc_set_verify */
int plat_gc_verify(void) { return 0; }

int plat_heap_commit(uintptr_t addr, size_t len)
{
	return mprotect((void *)addr, len, PROT_READ | PROT_WRITE) == 0 ? 0 : -1;
}

void plat_heap_release(uintptr_t addr, size_t len)
{
	madvise((void *)addr, len, MADV_DONTNEED);
	mprotect((void *)addr, len, PROT_NONE);
}

long plat_dirty_harvest(uintptr_t lo, size_t npages, uint64_t *out)
{
	if (lo % PLAT_DIRTY_PAGE)
		return -1;
	for (size_t i = 0; out && i < (npages + 63) / 64; i++)
		out[i] = npages - i * 64 >= 64 ? ~0ull : (1ull << (npages - i * 64)) - 1;
	return (long)npages;
}

long plat_dirty_round(uintptr_t lo, size_t npages, uint64_t *out, int mode, size_t *units)
{
	if (lo % PLAT_DIRTY_ROUND || npages % (PLAT_DIRTY_ROUND / PLAT_DIRTY_PAGE))
		return -1;
	if (mode == PLAT_ROUND_AGAIN) {   /* the NEXT pass reported every page */
		if (units)
			*units = 0;
		return 0;
	}
	if (units)
		*units = npages / (PLAT_DIRTY_ROUND / PLAT_DIRTY_PAGE);
	return plat_dirty_harvest(lo, npages, out);
}

void plat_dirty_sync(void) {}

int plat_dirty_precise(void) { return 0; }

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

/* hosted tests turn checks on with rt_heap_set_checks instead */
int plat_heap_checks(void) { return 0; }

int plat_heap_commit(uintptr_t addr, size_t len)
{
	return mprotect((void *)addr, len, PROT_READ | PROT_WRITE) == 0 ? 0 : -1;
}

void plat_heap_release(uintptr_t addr, size_t len)
{
	madvise((void *)addr, len, MADV_DONTNEED);
	mprotect((void *)addr, len, PROT_NONE);
}

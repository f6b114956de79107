/*
 * mem_test.c - on-target tests of the page allocator on real memory and
 * of the libc heap (newlib malloc over sbrk over the heap region).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "kernel/mem/pmem.h"

KTEST(pmem_alloc_free_restores)
{
	uint64_t before = pmem_free_pages();
	enum { TOP = 12 };  /* up to 16 MiB blocks: fits any test machine */
	uint64_t p[TOP + 1];
	for (unsigned o = 0; o <= TOP; o++) {
		p[o] = pmem_alloc(o);
		KASSERT(p[o] != 0);
		KASSERT_EQ(p[o] & ((PMEM_PAGE_SIZE << o) - 1), 0);
		memset((void *)p[o], 0xa5, PMEM_PAGE_SIZE);  /* it is real memory */
	}
	for (unsigned o = 0; o <= TOP; o++)
		pmem_free(p[o], o);
	KASSERT_EQ(pmem_free_pages(), before);
	/* more than all of memory in one block: refused, nothing lost */
	KASSERT_EQ(pmem_alloc(PMEM_MAX_ORDER + 1), 0);
	KASSERT_EQ(pmem_free_pages(), before);
}

KTEST(pmem_not_kernel_image)
{
	extern char _kernel_start[], _kernel_end[];
	for (int i = 0; i < 64; i++) {
		uint64_t pa = pmem_alloc(0);
		KASSERT(pa != 0);
		KASSERT(pa >= (1u << 20));
		KASSERT(pa + PMEM_PAGE_SIZE <= (uint64_t)_kernel_start || pa >= (uint64_t)_kernel_end);
		pmem_free(pa, 0);
	}
}

KTEST(malloc_big_and_small)
{
	char *big = malloc(8 << 20);
	KASSERT(big != NULL);
	memset(big, 1, 8 << 20);
	KASSERT_EQ(big[(8 << 20) - 1], 1);
	void *small[100];
	for (int i = 0; i < 100; i++) {
		small[i] = malloc(16 + i);
		KASSERT(small[i] != NULL);
	}
	for (int i = 0; i < 100; i++)
		free(small[i]);
	free(big);
}

KTEST(boot_info_sane)
{
	struct boot_info *bi = kernel_boot_info;
	KASSERT_EQ(bi->magic, BOOT_INFO_MAGIC);
	KASSERT(bi->mmap_count > 0);
	KASSERT(kernel_mem_usable >= (16u << 20));
	KASSERT(strstr(bi->cmdline, "test=") != NULL);
	/* sanitized: sorted and disjoint */
	for (uint32_t i = 1; i < bi->mmap_count; i++)
		KASSERT(bi->mmap[i - 1].base + bi->mmap[i - 1].len <= bi->mmap[i].base);
}

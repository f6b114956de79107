/*
 * rt_malloc.h - the runtime heap's C allocation calls, for whoever gives
 * them the C library's names (kernel/glue/malloc_glue.c on bare metal)
 * and for tests.  Semantics are C's and POSIX's, with these choices:
 *   - malloc(0) and realloc(p, 0) return a unique minimal object;
 *   - NULL (errno ENOMEM) only when memory runs out;
 *   - a free() of anything the allocator did not return, or a second
 *     free() of the same object, ends the program with a report (status 2);
 *   - memory is 16-byte aligned (posix_memalign: any power of two).
 * Any thread context on an M or the boot thread; not interrupt handlers.
 */
#ifndef TALLY_RT_MALLOC_H
#define TALLY_RT_MALLOC_H

#include <stddef.h>
#include <stdint.h>

void *rt_malloc(size_t n);
/* malloc for a block the collector never scans (tally_malloc_noscan). */
void *rt_malloc_noscan(size_t n);
void rt_free(void *p);
void *rt_calloc(size_t a, size_t b);
void *rt_realloc(void *p, size_t n);
int rt_posix_memalign(void **out, size_t align, size_t n);
void *rt_aligned_alloc(size_t align, size_t n);
size_t rt_malloc_usable_size(void *p);
/* The heap's counters (a snapshot; bytes unless named otherwise). */
struct rt_heap_stats {
	uint64_t arena_reserved;     /* bytes of address space */
	uint64_t arena_used;         /* bytes of heap pages ever handed out */
	uint64_t committed;          /* bytes backed by pages now */
	uint64_t span_inuse;         /* bytes in small and large spans */
	uint64_t free_bytes;         /* bytes in free spans */
	uint64_t released;           /* bytes returned to the platform, total */
	uint64_t scavenges;
	uint64_t large_allocs, large_frees;
	uint64_t small_allocs;       /* objects handed to caches' windows minus
	                              * those given back unused */
	uint64_t recycled;           /* objects free() put back into its M's
	                              * window (handed out again from there);
	                              * the fast path's allocations are
	                              * small_allocs + recycled */
	uint64_t refills;            /* window refills (the slow path) */
	uint64_t spans_new;
};
void rt_heap_read_stats(struct rt_heap_stats *st);
/* heapcheck=1: poison freed objects, report writes after free on reuse.
 * Set before the first allocation. */
void rt_heap_set_checks(int on);
/* Give free pages back to the platform until at most keep bytes of free,
 * backed heap pages remain; returns the bytes given back. */
uint64_t rt_heap_scavenge(uint64_t keep);

#endif

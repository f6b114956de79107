/*
 * malloc_glue.c - the C library's allocation calls are the runtime's heap
 * (rt/heap/, through rt/heap/rt_malloc.h).
 *
 * Purpose: newlib's own malloc (one global lock, sbrk) is replaced whole:
 * every name newlib's libc.a defines for it is defined here, the plain
 * ones (malloc, free, ...) and the reentrant ones newlib calls internally
 * (_malloc_r, _free_r, _realloc_r, _calloc_r, _memalign_r, ...), so the
 * linker never pulls a member of newlib's allocator and no call reaches
 * it.  posix_memalign, which this newlib lacks, is added.
 *
 * mallinfo reports the heap's own counters (arena = bytes backed by
 * pages, uordblks = bytes in spans in use, fordblks = bytes in free
 * spans); malloc_trim scavenges; mallopt has no tunable parameter here
 * and returns 0 (failure) for every one, as C libraries do for an option
 * they do not know.  malloc_stats prints the counters to stderr.
 *
 * Context: as rt/heap/rt_malloc.h: thread context, never an interrupt
 * handler.  The struct _reent argument is unused (the heap keeps no
 * per-thread state in it).
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <reent.h>
#include "rt/heap/rt_malloc.h"

void *malloc(size_t n) { return rt_malloc(n); }
void free(void *p) { rt_free(p); }
void *calloc(size_t a, size_t b) { return rt_calloc(a, b); }
void *realloc(void *p, size_t n) { return rt_realloc(p, n); }
void *memalign(size_t align, size_t n)
{
	/* memalign accepts any power of two, even below sizeof(void *) */
	return rt_aligned_alloc(align < sizeof(void *) ? sizeof(void *) : align, n);
}
void *aligned_alloc(size_t align, size_t n) { return memalign(align, n); }
int posix_memalign(void **out, size_t align, size_t n) { return rt_posix_memalign(out, align, n); }
void *valloc(size_t n) { return rt_aligned_alloc(4096, n); }
void *pvalloc(size_t n) { return rt_aligned_alloc(4096, (n + 4095) & ~(size_t)4095); }
size_t malloc_usable_size(void *p) { return rt_malloc_usable_size(p); }
void *reallocf(void *p, size_t n)
{
	void *q = rt_realloc(p, n);
	if (!q)
		rt_free(p);
	return q;
}

void *_malloc_r(struct _reent *r, size_t n) { (void)r; return malloc(n); }
void _free_r(struct _reent *r, void *p) { (void)r; free(p); }
void *_calloc_r(struct _reent *r, size_t a, size_t b) { (void)r; return calloc(a, b); }
void *_realloc_r(struct _reent *r, void *p, size_t n) { (void)r; return realloc(p, n); }
void *_reallocf_r(struct _reent *r, void *p, size_t n) { (void)r; return reallocf(p, n); }
void *_memalign_r(struct _reent *r, size_t a, size_t n) { (void)r; return memalign(a, n); }
void *_valloc_r(struct _reent *r, size_t n) { (void)r; return valloc(n); }
void *_pvalloc_r(struct _reent *r, size_t n) { (void)r; return pvalloc(n); }
size_t _malloc_usable_size_r(struct _reent *r, void *p) { (void)r; return malloc_usable_size(p); }

struct mallinfo mallinfo(void)
{
	struct rt_heap_stats c;
	rt_heap_read_stats(&c);
	struct mallinfo mi = { 0 };
	mi.arena = c.committed;
	mi.uordblks = c.span_inuse;
	mi.fordblks = c.free_bytes;
	mi.keepcost = c.free_bytes;
	return mi;
}
struct mallinfo _mallinfo_r(struct _reent *r) { (void)r; return mallinfo(); }

int malloc_trim(size_t pad) { return rt_heap_scavenge(pad) > 0; }
int _malloc_trim_r(struct _reent *r, size_t pad) { (void)r; return malloc_trim(pad); }
int mallopt(int param, int value) { (void)param; (void)value; return 0; }
int _mallopt_r(struct _reent *r, int param, int value) { (void)r; return mallopt(param, value); }

void malloc_stats(void)
{
	struct rt_heap_stats c;
	rt_heap_read_stats(&c);
	fprintf(stderr, "heap: %lu bytes backed, %lu in spans in use, %lu free, %lu returned; "
	        "%lu small objects allocated, %lu large allocated, %lu large freed, %lu refills\n",
	        (unsigned long)c.committed, (unsigned long)c.span_inuse, (unsigned long)c.free_bytes,
	        (unsigned long)c.released, (unsigned long)(c.small_allocs + c.recycled),
	        (unsigned long)c.large_allocs, (unsigned long)c.large_frees, (unsigned long)c.refills);
}
void _malloc_stats_r(struct _reent *r) { (void)r; malloc_stats(); }

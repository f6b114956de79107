/*
 * gctyped.c - typed collected objects: memory whose pointer words the
 * program describes with a bitmap, scanned precisely by the collector.
 *
 * Purpose: tally_gc_alloc_typed (rt/include/tally.h) and
 * rt_gc_scan_typed, which gc.c calls for every marked object of kind
 * KIND_GC_TYPED.  A word the bitmap calls "not a pointer" never keeps
 * anything alive, whatever it holds: an integer that happens to equal an
 * address, a hash, a disguised pointer.  That is the heap issue's third
 * kind, next to conservative (TALLY_GC_SCAN) and pointer-free
 * (TALLY_GC_NOSCAN).
 *
 * The program's view: word i of the object (bytes 8i .. 8i+7 from the
 * pointer tally_gc_alloc_typed returned) may hold a pointer iff bit
 * (i mod nbits) of the bitmap is set, bit j being bitmap[j / 64] >> (j % 64)
 * & 1.  The pattern repeats, so an array of structs is described by one
 * struct's bitmap (Go's type bitmaps for arrays do the same).  A pointer
 * slot is scanned like a conservative word (interior pointers count).
 *
 * Where the bitmap lives: in a trailer at the end of the object's slot
 * (the last words of its size class's element, or of a large object's
 * pages), allocated with the object and invisible to the program:
 *
 *   short form, nbits <= 58:   ... | T |          T = nbits << 58 | bits
 *   long form, nbits > 58:     ... | B[0] .. B[k-1] | T |   T = nbits (< 2^58),
 *                                  k = ceil(nbits / 64), B = the bitmap
 *
 * T's top six bits tell the forms apart (0: long).  The scanned words
 * are those below the trailer; words between the program's n bytes and
 * the trailer are zero (the allocation is zeroed, the sweep zeroes freed
 * slots) and stay so unless the program writes past its object.  So a
 * 16-byte node with a short bitmap costs 24 bytes (class 32), as a
 * header word would, without moving the object off its 16-byte alignment.
 *
 * Invariants:
 *   - T == 0 means "no pointer words yet": a slot is zero until the
 *     trailer is written just after the allocation, and an object caught
 *     by a collection in between holds nothing but zeros;
 *   - a trailer that does not fit its slot (only a write past the object
 *     can make one) is scanned conservatively, so a corrupt trailer can
 *     keep garbage but never free a live object.
 *
 * Context: tally_gc_alloc_typed is tally_gc_alloc's (a goroutine, or the
 * boot thread before the runtime starts); rt_gc_scan_typed runs in the
 * collector with the world stopped.
 */
#include <errno.h>
#include <string.h>
#include "rt/heap/heap.h"
#include "rt/include/tally.h"

#define SHORT_MAX 58u
#define SHORT_MASK ((1ull << SHORT_MAX) - 1)

static size_t trailer_words(size_t nbits)
{
	return nbits <= SHORT_MAX ? 1 : 1 + (nbits + 63) / 64;
}

void *tally_gc_alloc_typed(size_t n, const uint64_t *bitmap, size_t nbits)
{
	if (!bitmap || nbits == 0 || nbits > TALLY_GC_TYPED_MAXBITS) {
		errno = EINVAL;
		return NULL;
	}
	/* n / 8 rounded up without n + 7, which wraps for n near SIZE_MAX */
	size_t words = n / 8 + (n % 8 != 0), tw = trailer_words(nbits);
	if (words > (SIZE_MAX / 8) - tw - 1)
		rt_gc_oom(n);  /* no slot could hold it: tally_gc_alloc's report */
	size_t want = (words + tw) * 8;
	char *p = rt_gc_alloc(want, KIND_GC_TYPED);
	/* the slot's end: the size class's element, or the large span */
	struct mspan *s = rt_span_of((uintptr_t)p);
	uintptr_t end = s->state == SPAN_LARGE ? s->base + s->npages * RT_HP : (uintptr_t)p + s->elemsize;
	uint64_t *t = (uint64_t *)end - 1;
	if (nbits <= SHORT_MAX) {
		*t = (uint64_t)nbits << SHORT_MAX | (bitmap[0] & SHORT_MASK & ((1ull << nbits) - 1));
	} else {
		size_t k = (nbits + 63) / 64;
		memcpy(t - k, bitmap, k * 8);
		if (nbits % 64)
			t[-1] &= (1ull << (nbits % 64)) - 1;  /* no stray bits past nbits */
		*t = nbits;
	}
	return p;
}

__attribute__((no_sanitize("address", "thread")))
void rt_gc_scan_typed(uintptr_t lo, uintptr_t hi, void (*mark)(uintptr_t))
{
	const uint64_t *w = (const uint64_t *)lo, *t = (const uint64_t *)hi - 1;
	uint64_t tag = *t;
	if (tag == 0)
		return;
	size_t nbits = (size_t)(tag >> SHORT_MAX);
	const uint64_t *bm, *top;
	uint64_t pattern = tag & SHORT_MASK;
	if (nbits) {
		bm = &pattern;
		top = t;
	} else {
		nbits = (size_t)tag;
		size_t k = (nbits + 63) / 64;
		if (nbits > TALLY_GC_TYPED_MAXBITS || k + 1 > (size_t)(t - w) + 1) {
			for (const uint64_t *a = w; a < (const uint64_t *)hi; a++)
				mark(*a);  /* corrupt trailer: conservatively */
			return;
		}
		bm = t - k;
		top = bm;
	}
	size_t j = 0;
	for (const uint64_t *a = w; a < top; a++) {
		if ((bm[j / 64] >> (j % 64)) & 1)
			mark(*a);
		if (++j == nbits)
			j = 0;
	}
}

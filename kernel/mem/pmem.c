/*
 * pmem.c - physical page allocator: a binary buddy system.
 *
 * Purpose: hand out naturally aligned blocks of 2^order 4 KiB pages
 * (order 0..PMEM_MAX_ORDER) from the RAM the sanitized boot map lists.
 *
 * Data structures:
 *   - free lists: one circular doubly linked list per order with a
 *     sentinel in pm.list[k]; the node (struct pmem_block) lives in the
 *     first bytes of the free block itself, reached at pa + virt_base.
 *     Doubly linked so a buddy can be unlinked in O(1) when merging.
 *   - state: one byte per page frame of the span [lo, hi) covering every
 *     USABLE and BOOT_RECLAIM range at or above the floor, indexed by
 *     pfn - base_pfn:
 *       ST_NONE  0      not given to the allocator (hole, reserved, not
 *                       yet added BOOT_RECLAIM memory)
 *       ST_TAIL  1      managed page that is not the head of a block
 *       ST_SELF  2      holds this state array
 *       ST_FREE  0x40|k head of a free block of order k (on list k)
 *       ST_ALLOC 0x80|k head of an allocated block of order k (k < 32)
 *     Only heads of current blocks carry ST_FREE/ST_ALLOC; a head that
 *     stops being one (merge, split) is reset to ST_TAIL, so a page is
 *     never "stale".  This is what makes free() checkable: it must find
 *     exactly ST_ALLOC|order at the address, anything else is a double
 *     free, a wrong order or a foreign address, reported via pmem_fatal.
 *   The state array is carved from the start of the largest USABLE range
 *   that can hold it; its pages are ST_SELF and never freed.
 *
 * Blocks are aligned on absolute page frame numbers: the buddy of the
 * order-k block at pfn is pfn ^ 2^k.  A buddy outside the span or not
 * ST_FREE|k is not merged with.  Ranges are added by cutting them into the
 * largest aligned blocks that fit and freeing each, which merges them with
 * whatever free neighbours exist.
 *
 * Invariants:
 *   free_pages == sum over k of (length of list k) << k
 *   every block on list k is 2^k-page aligned, its head is ST_FREE|k, and
 *   its buddy is not ST_FREE|k (they would have been merged)
 *   pages below the floor (max(min_addr, 4096), rounded up to a page) are
 *   never managed; physical page 0 is never handed out (0 means failure)
 *   total_pages == pages ever made free by pmem_init and pmem_add_range
 *
 * Locking: pm.lock guards the lists, the state array and the counters.
 * pmem_fatal is called after the lock is released (a host test longjmps
 * out of it, and a kernel panic may want to print memory statistics).
 *
 * Context: callable with interrupts disabled (the lock does not disable
 * them: callers that allocate from an interrupt handler must take care);
 * never sleeps; never faults if virt_base maps all RAM.  Cost: alloc and
 * free are O(PMEM_MAX_ORDER); init and add_range are linear in pages.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/mem/pmem.h"
#include "kernel/cpu/spinlock.h"

#define PAGE      PMEM_PAGE_SIZE
#define ST_NONE   0x00u
#define ST_TAIL   0x01u
#define ST_SELF   0x02u
#define ST_FREE   0x40u
#define ST_ALLOC  0x80u

_Static_assert(PMEM_MAX_ORDER < 32, "order must fit in the state byte");

struct pmem_block {
	struct pmem_block *next, *prev;
};

static struct {
	struct spinlock lock;
	struct pmem_block list[PMEM_MAX_ORDER + 1];
	uint8_t *state;         /* npages bytes, NULL before init */
	uint64_t base_pfn;      /* pfn of the first page of the span */
	uint64_t npages;        /* pages in the span */
	uint64_t floor;         /* lowest address ever managed */
	uintptr_t virt_base;
	uint64_t free_pages;
	uint64_t total_pages;
} pm;

static struct pmem_block *block_at(uint64_t pfn)
{
	return (struct pmem_block *)(pm.virt_base + (uintptr_t)(pfn * PAGE));
}

static int in_span(uint64_t pfn)
{
	return pfn >= pm.base_pfn && pfn - pm.base_pfn < pm.npages;
}

static uint8_t *st(uint64_t pfn)
{
	return &pm.state[pfn - pm.base_pfn];
}

static void list_push(unsigned k, uint64_t pfn)
{
	struct pmem_block *b = block_at(pfn), *h = &pm.list[k];

	b->next = h->next;
	b->prev = h;
	h->next->prev = b;
	h->next = b;
	*st(pfn) = (uint8_t)(ST_FREE | k);
}

static void list_unlink(uint64_t pfn)
{
	struct pmem_block *b = block_at(pfn);

	b->prev->next = b->next;
	b->next->prev = b->prev;
	*st(pfn) = ST_TAIL;
}

/* Free the block of order k at pfn and merge it with free buddies. */
static void free_block(uint64_t pfn, unsigned k)
{
	while (k < PMEM_MAX_ORDER) {
		uint64_t buddy = pfn ^ (1ull << k);

		if (!in_span(buddy) || *st(buddy) != (ST_FREE | k))
			break;
		list_unlink(buddy);
		*st(pfn) = ST_TAIL;
		pfn = pfn < buddy ? pfn : buddy;
		k++;
	}
	list_push(k, pfn);
}

/* Add [s, e) (page-aligned, all ST_NONE, inside the span) as free. */
static uint64_t add_pages(uint64_t s, uint64_t e)
{
	uint64_t pfn = s / PAGE, end = e / PAGE, n = 0;

	while (pfn < end) {
		unsigned k = PMEM_MAX_ORDER;
		uint64_t i;

		while (k > 0 && ((pfn & ((1ull << k) - 1)) != 0 ||
		                 pfn + (1ull << k) > end))
			k--;
		for (i = 0; i < (1ull << k); i++)
			*st(pfn + i) = ST_TAIL;
		free_block(pfn, k);
		pfn += 1ull << k;
		n += 1ull << k;
	}
	pm.free_pages += n;
	pm.total_pages += n;
	return n;
}

/* The page-aligned part of an entry at or above the floor; 0 if empty. */
static int clip(const struct boot_mmap_entry *m, uint64_t floor, uint64_t *s,
                uint64_t *e)
{
	uint64_t end = m->base + m->len;

	if (end < m->base)
		end = UINT64_MAX;
	*s = (m->base + PAGE - 1) & ~(PAGE - 1);
	*e = end & ~(PAGE - 1);
	if (*s < m->base)   /* rounding up wrapped */
		return 0;
	if (*s < floor)
		*s = floor;
	return *s < *e;
}

static int is_ram(uint32_t type)
{
	return type == BOOT_MEM_USABLE || type == BOOT_MEM_BOOT_RECLAIM;
}

int pmem_init(const struct boot_mmap_entry *map, size_t n, uint64_t min_addr,
              uintptr_t virt_base)
{
	uint64_t lo = UINT64_MAX, hi = 0, s, e, need, carve = 0, best = 0;
	uint64_t floor = min_addr < PAGE ? PAGE : min_addr, i;
	unsigned k;

	floor = (floor + PAGE - 1) & ~(PAGE - 1);
	spin_init(&pm.lock);
	pm.state = NULL;
	pm.free_pages = pm.total_pages = pm.npages = 0;
	pm.virt_base = virt_base;
	pm.floor = floor;
	for (k = 0; k <= PMEM_MAX_ORDER; k++)
		pm.list[k].next = pm.list[k].prev = &pm.list[k];
	if (floor < min_addr)  /* min_addr within a page of 2^64 */
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_ram(map[i].type) || !clip(&map[i], floor, &s, &e))
			continue;
		lo = s < lo ? s : lo;
		hi = e > hi ? e : hi;
	}
	if (lo >= hi)
		return -1;
	need = ((hi - lo) / PAGE + PAGE - 1) & ~(PAGE - 1);  /* bytes */
	for (i = 0; i < n; i++) {
		if (map[i].type != BOOT_MEM_USABLE ||
		    !clip(&map[i], floor, &s, &e))
			continue;
		if (e - s >= need && e - s > best) {
			best = e - s;
			carve = s;
		}
	}
	if (best == 0)
		return -1;
	pm.base_pfn = lo / PAGE;
	pm.npages = (hi - lo) / PAGE;
	pm.state = (uint8_t *)(virt_base + (uintptr_t)carve);
	for (i = 0; i < pm.npages; i++)
		pm.state[i] = ST_NONE;
	for (i = 0; i < need / PAGE; i++)
		*st(carve / PAGE + i) = ST_SELF;
	for (i = 0; i < n; i++) {
		if (map[i].type != BOOT_MEM_USABLE ||
		    !clip(&map[i], floor, &s, &e))
			continue;
		if (s < carve + need && carve < e) {  /* holds the array */
			if (s < carve)
				add_pages(s, carve);
			if (carve + need < e)
				add_pages(carve + need, e);
		} else {
			add_pages(s, e);
		}
	}
	return 0;
}

uint64_t pmem_add_range(uint64_t base, uint64_t len)
{
	struct boot_mmap_entry m = { base, len, BOOT_MEM_USABLE, 0 };
	uint64_t s, e, pfn, n;

	if (pm.state == NULL || !clip(&m, pm.floor, &s, &e))
		return 0;
	spin_lock(&pm.lock);
	/* Only the part inside the span can be tracked. */
	if (s < pm.base_pfn * PAGE)
		s = pm.base_pfn * PAGE;
	if (e > (pm.base_pfn + pm.npages) * PAGE)
		e = (pm.base_pfn + pm.npages) * PAGE;
	for (pfn = s / PAGE; pfn < e / PAGE; pfn++) {
		if (*st(pfn) != ST_NONE) {
			spin_unlock(&pm.lock);
			pmem_fatal("pmem_add_range: range already managed");
			return 0;
		}
	}
	n = s < e ? add_pages(s, e) : 0;
	spin_unlock(&pm.lock);
	return n;
}

uint64_t pmem_alloc(unsigned order)
{
	struct pmem_block *b;
	uint64_t pfn;
	unsigned k;

	if (order > PMEM_MAX_ORDER || pm.state == NULL)
		return 0;
	spin_lock(&pm.lock);
	for (k = order; k <= PMEM_MAX_ORDER; k++)
		if (pm.list[k].next != &pm.list[k])
			break;
	if (k > PMEM_MAX_ORDER) {
		spin_unlock(&pm.lock);
		return 0;
	}
	b = pm.list[k].next;
	pfn = (uint64_t)(((uintptr_t)b - pm.virt_base) / PAGE);
	if (!in_span(pfn) || *st(pfn) != (ST_FREE | k)) {
		spin_unlock(&pm.lock);
		pmem_fatal("pmem_alloc: free list corrupted");
		return 0;
	}
	list_unlink(pfn);
	while (k > order) {
		k--;
		list_push(k, pfn + (1ull << k));
	}
	*st(pfn) = (uint8_t)(ST_ALLOC | order);
	pm.free_pages -= 1ull << order;
	spin_unlock(&pm.lock);
	return pfn * PAGE;
}

void pmem_free(uint64_t pa, unsigned order)
{
	const char *why = NULL;
	uint64_t pfn = pa / PAGE;
	uint8_t s;

	if (order > PMEM_MAX_ORDER) {
		pmem_fatal("pmem_free: order too large");
		return;
	}
	if ((pa & ((PAGE << order) - 1)) != 0) {
		pmem_fatal("pmem_free: misaligned address");
		return;
	}
	spin_lock(&pm.lock);
	if (pm.state == NULL || !in_span(pfn)) {
		why = "pmem_free: address outside managed memory";
		goto bad;
	}
	s = *st(pfn);
	if (s == (ST_ALLOC | order)) {
		free_block(pfn, order);
		pm.free_pages += 1ull << order;
		spin_unlock(&pm.lock);
		return;
	}
	if (s & ST_FREE)
		why = "pmem_free: double free";
	else if (s & ST_ALLOC)
		why = "pmem_free: wrong order for this block";
	else if (s == ST_TAIL)
		why = "pmem_free: double free or address inside a block";
	else
		why = "pmem_free: address not managed by pmem";
bad:
	spin_unlock(&pm.lock);
	pmem_fatal(why);
}

uint64_t pmem_free_pages(void)
{
	uint64_t n;

	spin_lock(&pm.lock);
	n = pm.free_pages;
	spin_unlock(&pm.lock);
	return n;
}

uint64_t pmem_total_pages(void)
{
	uint64_t n;

	spin_lock(&pm.lock);
	n = pm.total_pages;
	spin_unlock(&pm.lock);
	return n;
}

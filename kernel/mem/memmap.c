/*
 * memmap.c - turn a firmware memory map into a sorted, disjoint, typed one.
 *
 * Purpose: see memmap.h.  Every later consumer (pmem, the banner, the
 * page-table builder) relies on the sanitized form and never re-checks it.
 *
 * Algorithm (in place, no scratch memory, O(n^2) with n <= a few hundred):
 *   1. drop empty and wrapping entries, map unknown types to RESERVED;
 *   2. insertion-sort by (base, end);
 *   3. resolve overlaps front to back.  With a[0..i-1] final and disjoint,
 *      look at A = a[i] and B = a[i+1] (A.base <= B.base).  If they
 *      overlap, replace them by up to three pieces:
 *        [A.base, B.base) type A            (if non-empty)
 *        [B.base, min end) the stronger type
 *        [min end, max end) type of the longer one   (if non-empty)
 *      (equal types simply merge).  The third piece is re-inserted in sorted
 *      position.  Every step lowers the total covered length counted with
 *      multiplicity, and every piece boundary is one of the original
 *      boundaries, so the loop ends;
 *   4. merge neighbours that touch and share a type;
 *   5. shrink USABLE and BOOT_RECLAIM entries inward to 4 KiB boundaries and
 *      drop the ones that vanish.
 *   Strength: BAD > ACPI_NVS > RESERVED > ACPI_RECLAIM > BOOT_RECLAIM >
 *   USABLE.  On lack of room for a third piece the stronger type is
 *   stretched over it instead (making memory more restricted is always
 *   safe; dropping it would not be, as a later weaker entry could then
 *   claim it) and *overflow is set.  Entries are never dropped.
 *
 * memmap_covers() walks the sanitized map once from the first entry that
 * ends after base: the range is covered iff each entry it meets starts no
 * later than where the previous one ended and has an allowed type.
 *
 * memmap_mark() overrides instead of ranking: it cuts [base, base+len) out
 * of every entry, inserts the new entry, and re-sanitizes (so usable
 * neighbours are re-aligned to pages).  In a sanitized (disjoint) map a
 * dropped piece only becomes a gap, which is never used, so: a right-hand
 * piece that does not fit is dropped, and if the map is full the highest
 * entry is dropped to give the marked entry its slot.
 *
 * Invariants after sanitize: for i < n-1, map[i].base + map[i].len <=
 * map[i+1].base; len > 0; base + len does not wrap; USABLE and
 * BOOT_RECLAIM entries have base and len multiples of 4096; touching
 * neighbours differ in type; every type is one of enum boot_mem_type.
 *
 * Locking: none; the caller owns the array.
 * Context: pure, no allocation; runs at boot and in host tests.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/mem/memmap.h"

#define PAGE 4096ull

static int rank(uint32_t type)
{
	switch (type) {
	case BOOT_MEM_USABLE: return 1;
	case BOOT_MEM_BOOT_RECLAIM: return 2;
	case BOOT_MEM_ACPI_RECLAIM: return 3;
	case BOOT_MEM_RESERVED: return 4;
	case BOOT_MEM_ACPI_NVS: return 5;
	case BOOT_MEM_BAD: return 6;
	default: return 0;
	}
}

static uint64_t end_of(const struct boot_mmap_entry *e)
{
	return e->base + e->len;
}

static int before(const struct boot_mmap_entry *a,
                  const struct boot_mmap_entry *b)
{
	return a->base < b->base || (a->base == b->base && a->len < b->len);
}

static void set(struct boot_mmap_entry *e, uint64_t base, uint64_t end,
                uint32_t type)
{
	e->base = base;
	e->len = end - base;
	e->type = type;
	e->pad = 0;
}

static void remove_at(struct boot_mmap_entry *map, size_t *n, size_t i)
{
	for (; i + 1 < *n; i++)
		map[i] = map[i + 1];
	(*n)--;
}

/* Insert e keeping map[from..n) sorted; returns 0, or -1 if full. */
static int insert_sorted(struct boot_mmap_entry *map, size_t *n, size_t max,
                         size_t from, struct boot_mmap_entry e)
{
	size_t i;

	if (*n >= max)
		return -1;
	for (i = *n; i > from && before(&e, &map[i - 1]); i--)
		map[i] = map[i - 1];
	map[i] = e;
	(*n)++;
	return 0;
}

static size_t clean_and_sort(struct boot_mmap_entry *map, size_t n)
{
	size_t i, k = 0, j;

	for (i = 0; i < n; i++) {
		struct boot_mmap_entry e = map[i];

		if (e.len == 0 || e.base + e.len < e.base)
			continue;
		if (rank(e.type) == 0)
			e.type = BOOT_MEM_RESERVED;
		e.pad = 0;
		for (j = k; j > 0 && before(&e, &map[j - 1]); j--)
			map[j] = map[j - 1];
		map[j] = e;
		k++;
	}
	return k;
}

static size_t resolve_overlaps(struct boot_mmap_entry *map, size_t n,
                               size_t max, int *overflow)
{
	size_t i = 0;

	while (i + 1 < n) {
		struct boot_mmap_entry a = map[i], b = map[i + 1], tail;
		uint64_t ae = end_of(&a), be = end_of(&b);
		uint64_t lo_end = ae < be ? ae : be, hi_end = ae < be ? be : ae;
		uint64_t mid_end;
		uint32_t strong;
		int has_tail;

		if (ae <= b.base) {
			i++;
			continue;
		}
		if (a.type == b.type) {
			set(&map[i], a.base, hi_end, a.type);
			remove_at(map, &n, i + 1);
			continue;
		}
		strong = rank(a.type) >= rank(b.type) ? a.type : b.type;
		has_tail = ae != be;
		set(&tail, lo_end, hi_end, ae > be ? a.type : b.type);
		/* Without room for the tail, the strong type covers it too. */
		mid_end = lo_end;
		if (has_tail && n >= max + (a.base < b.base ? 0 : 1)) {
			mid_end = hi_end;
			has_tail = 0;
			*overflow = 1;
		}
		if (a.base < b.base) {
			set(&map[i], a.base, b.base, a.type);
			set(&map[i + 1], b.base, mid_end, strong);
			i++;  /* map[i-1] is now final */
		} else {
			set(&map[i], b.base, mid_end, strong);
			remove_at(map, &n, i + 1);
		}
		if (has_tail)
			(void)insert_sorted(map, &n, max, i + 1, tail);
	}
	return n;
}

static size_t merge_and_align(struct boot_mmap_entry *map, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (k > 0 && map[k - 1].type == map[i].type &&
		    end_of(&map[k - 1]) == map[i].base) {
			map[k - 1].len += map[i].len;
			continue;
		}
		map[k++] = map[i];
	}
	n = k;
	for (i = 0, k = 0; i < n; i++) {
		struct boot_mmap_entry e = map[i];

		if (e.type == BOOT_MEM_USABLE ||
		    e.type == BOOT_MEM_BOOT_RECLAIM) {
			uint64_t lo = (e.base + PAGE - 1) & ~(PAGE - 1);
			uint64_t hi = end_of(&e) & ~(PAGE - 1);

			if (lo < e.base || hi <= lo)  /* rounding wrapped */
				continue;
			set(&e, lo, hi, e.type);
		}
		map[k++] = e;
	}
	return k;
}

size_t memmap_sanitize(struct boot_mmap_entry *map, size_t n, size_t max,
                       int *overflow)
{
	int over = 0;

	if (max < n)  /* the array evidently holds n entries */
		max = n;
	n = clean_and_sort(map, n);
	n = resolve_overlaps(map, n, max, &over);
	n = merge_and_align(map, n);
	if (overflow != NULL)
		*overflow = over;
	return n;
}

size_t memmap_mark(struct boot_mmap_entry *map, size_t n, size_t max,
                   uint64_t base, uint64_t len, uint32_t type)
{
	uint64_t end = base + len;
	struct boot_mmap_entry e;
	size_t i = 0;

	if (len == 0 || end < base || max == 0)
		return n;
	while (i < n) {
		uint64_t s = map[i].base, t = end_of(&map[i]);
		struct boot_mmap_entry right;

		if (t <= base || s >= end) {
			i++;
			continue;
		}
		set(&right, end, t, map[i].type);
		if (s < base) {
			set(&map[i], s, base, map[i].type);
			i++;
		} else {
			remove_at(map, &n, i);
		}
		/* A right piece that does not fit is dropped (safe). */
		if (t > end)
			(void)insert_sorted(map, &n, max, i, right);
	}
	set(&e, base, end, type);
	if (n >= max)
		n--;  /* the highest entry makes room for the marked one */
	(void)insert_sorted(map, &n, max, 0, e);
	return memmap_sanitize(map, n, max, NULL);
}

uint64_t memmap_total(const struct boot_mmap_entry *map, size_t n,
                      uint32_t type)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (map[i].type == type)
			sum += map[i].len;
	return sum;
}

uint64_t memmap_top(const struct boot_mmap_entry *map, size_t n,
                    uint32_t type)
{
	uint64_t top = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (map[i].type == type && end_of(&map[i]) > top)
			top = end_of(&map[i]);
	return top;
}

const char *memmap_type_name(uint32_t type)
{
	switch (type) {
	case BOOT_MEM_USABLE: return "usable";
	case BOOT_MEM_RESERVED: return "reserved";
	case BOOT_MEM_ACPI_RECLAIM: return "acpi-reclaim";
	case BOOT_MEM_ACPI_NVS: return "acpi-nvs";
	case BOOT_MEM_BAD: return "bad";
	case BOOT_MEM_BOOT_RECLAIM: return "boot-reclaim";
	default: return "unknown";
	}
}

int memmap_covers(const struct boot_mmap_entry *map, size_t n, uint64_t base,
                  uint64_t len, uint32_t types)
{
	uint64_t at = base, end = base + len;
	size_t i;

	if (len == 0 || end < base)
		return 0;
	/* sorted and disjoint: walk the entries that meet [at, end) */
	for (i = 0; i < n && at < end; i++) {
		if (end_of(&map[i]) <= at)
			continue;
		if (map[i].base > at || map[i].type >= 32 ||
		    !(types & 1u << map[i].type))
			return 0;
		at = end_of(&map[i]);
	}
	return at >= end;
}

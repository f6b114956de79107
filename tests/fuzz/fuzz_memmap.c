/*
 * fuzz_memmap.c - memmap_sanitize(), memmap_mark() and memmap_covers()
 * (kernel/mem/memmap.c) on arbitrary maps, against a brute-force oracle.
 *
 * Input: byte 0: spare capacity (the array holds n + byte0 % 64 entries);
 * bytes 1..8: the range and type for memmap_mark and memmap_covers (type
 * 0: no mark); then 8 bytes per entry, decoded so that overlaps are
 * common: base16, len16, type, flags, off16 (little-endian); unit = 16^(flags
 * & 7); base = base16 * unit + off16, len = len16 * unit (+ off16 with
 * flag 8); flag 0x10 counts base down from 2^64 and flag 0x20 makes len
 * huge, so wrapping entries occur.  At most 128 entries.
 *
 * Promises checked (memmap.h, memmap.c): the sanitized map is sorted and
 * disjoint, entries are non-empty and do not wrap, USABLE and
 * BOOT_RECLAIM are page-aligned, touching neighbours differ in type, types
 * are valid, the count is within capacity.  The oracle: at every probe
 * address (each input and output boundary, +-1, page-rounded), the input's
 * strongest type (unknown types count as RESERVED) must be the output's
 * type there, except that USABLE and BOOT_RECLAIM may vanish at page
 * edges, and when *overflow is set the output may be stronger, never
 * weaker, and never invents memory.  After memmap_mark the range has the
 * marked type and every other address kept its type or became a gap.
 * memmap_covers agrees with the sum of its range's intersections.
 */
#include <string.h>
#include "tests/fuzz/fuzz.h"
#include "kernel/mem/memmap.h"

#define MAXN 128
#define NONE 0u

struct ent {
	uint64_t base, len;
	uint32_t type;
};

static int rank(uint32_t t)
{
	static const int r[7] = { 0, 1, 4, 3, 5, 6, 2 };

	return t <= 6 ? r[t] : 0;
}

static uint32_t norm(uint32_t t)
{
	return t >= 1 && t <= 6 ? t : BOOT_MEM_RESERVED;
}

static int usable(uint32_t t)
{
	return t == BOOT_MEM_USABLE || t == BOOT_MEM_BOOT_RECLAIM;
}

static uint64_t rd(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

static struct ent decode(const uint8_t *p)
{
	struct ent e;
	uint8_t flags = p[5];
	uint64_t unit = 1ull << (4 * (flags & 7));

	e.base = rd(p, 2) * unit + rd(p + 6, 2);
	e.len = rd(p + 2, 2) * unit + (flags & 8 ? rd(p + 6, 2) : 0);
	e.type = p[4];
	if (flags & 0x10)
		e.base = 0 - e.base;
	if (flags & 0x20)
		e.len = 0 - e.len;
	return e;
}

/* Strongest input type at a (NONE if unlisted); empty and wrapping
 * entries are dropped by the sanitizer, so by the oracle too. */
static uint32_t input_type(const struct ent *in, size_t n, uint64_t a)
{
	uint32_t best = NONE;
	size_t i;

	for (i = 0; i < n; i++) {
		if (in[i].len == 0 || in[i].base + in[i].len < in[i].base)
			continue;
		if (a >= in[i].base && a - in[i].base < in[i].len &&
		    rank(norm(in[i].type)) > rank(best))
			best = norm(in[i].type);
	}
	return best;
}

static uint32_t map_type(const struct boot_mmap_entry *m, size_t n, uint64_t a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a >= m[i].base && a - m[i].base < m[i].len)
			return m[i].type;
	return NONE;
}

static uint64_t probes[4096];
static size_t nprobe;

static void probe(uint64_t a)
{
	if (nprobe + 5 <= sizeof probes / sizeof probes[0]) {
		probes[nprobe++] = a;
		probes[nprobe++] = a - 1;
		probes[nprobe++] = a + 1;
		probes[nprobe++] = a & ~4095ull;
		probes[nprobe++] = (a + 4095) & ~4095ull;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ent in[MAXN];
	static struct boot_mmap_entry map[MAXN + 64], before[MAXN + 64];
	struct ent mark;
	size_t n, i, cap, k, nb;
	int over = -1;
	uint64_t covered;
	uint32_t mask;

	if (size < 9)
		return 0;
	n = (size - 9) / 8;
	if (n > MAXN)
		n = MAXN;
	cap = n + data[0] % 64;
	mark = decode(data + 1);
	for (i = 0; i < n; i++) {
		in[i] = decode(data + 9 + 8 * i);
		map[i].base = in[i].base;
		map[i].len = in[i].len;
		map[i].type = in[i].type;
		map[i].pad = (uint32_t)i;
	}
	n = memmap_sanitize(map, n, cap, &over);
	FZ_CHECK(over == 0 || over == 1);
	fz_check_sanitized(map, n, cap);

	nprobe = 0;
	for (i = 0; i < (size - 9) / 8 && i < MAXN; i++) {
		probe(in[i].base);
		probe(in[i].base + in[i].len);
	}
	for (i = 0; i < n; i++) {
		probe(map[i].base);
		probe(map[i].base + map[i].len);
	}
	for (k = 0; k < nprobe; k++) {
		uint64_t a = probes[k];
		uint32_t want = input_type(in, (size - 9) / 8 < MAXN ? (size - 9) / 8 : MAXN, a);
		uint32_t got = map_type(map, n, a);

		if (got == NONE) {
			FZ_CHECK(want == NONE || usable(want));
		} else {
			FZ_CHECK(want != NONE);
			FZ_CHECK(over ? rank(got) >= rank(want) : got == want);
		}
	}

	/* memmap_covers against the sum of intersections */
	mask = (uint32_t)data[5] << 1;
	covered = 0;
	for (i = 0; i < n && mark.len > 0 && mark.base + mark.len > mark.base; i++) {
		uint64_t lo = map[i].base > mark.base ? map[i].base : mark.base;
		uint64_t e = map[i].base + map[i].len, me = mark.base + mark.len;
		uint64_t hi = e < me ? e : me;

		if (hi > lo && (mask & 1u << map[i].type))
			covered += hi - lo;
	}
	FZ_CHECK(memmap_covers(map, n, mark.base, mark.len, mask) ==
	         (mark.len > 0 && mark.base + mark.len > mark.base && covered == mark.len));

	/* memmap_mark: the range takes the type, the rest keeps its own */
	if (mark.type == 0)
		return 0;
	nb = n;
	memcpy(before, map, n * sizeof map[0]);
	n = memmap_mark(map, n, cap, mark.base, mark.len, mark.type);
	fz_check_sanitized(map, n, cap);
	if (mark.len == 0 || mark.base + mark.len < mark.base || cap == 0)
		return 0;
	probe(mark.base);
	probe(mark.base + mark.len);
	for (k = 0; k < nprobe; k++) {
		uint64_t a = probes[k];
		uint32_t got = map_type(map, n, a);

		if (a - mark.base < mark.len) {
			uint32_t t = norm(mark.type);

			FZ_CHECK(got == t || (got == NONE && usable(t)));
		} else {
			FZ_CHECK(got == NONE || got == map_type(before, nb, a));
		}
	}
	return 0;
}

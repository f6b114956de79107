/*
 * test_memmap.c - host tests of kernel/memmap.c.
 *
 * Purpose: exact sanitized maps for hand-made inputs (every overlap shape,
 * merging, page shrinking, unknown types, empty and wrapping entries),
 * memmap_mark on real-looking maps, and a randomized comparison against a
 * brute-force reference that computes the strongest type of every 256-byte
 * granule.  With too little capacity the result must still satisfy the
 * invariants and be at least as restrictive as the reference everywhere.
 *
 * Context: host only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/fixture.h"
#include "kernel/mem/memmap.h"

#define U BOOT_MEM_USABLE
#define R BOOT_MEM_RESERVED
#define A BOOT_MEM_ACPI_RECLAIM
#define N BOOT_MEM_ACPI_NVS
#define B BOOT_MEM_BAD
#define T BOOT_MEM_BOOT_RECLAIM

struct ent {
	uint64_t base, len;
	uint32_t type;
};

/* Input of the random case being checked, printed on a mismatch. */
static const struct ent *dump_in;
static size_t dump_n;

static size_t load(struct boot_mmap_entry *m, const struct ent *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		m[i].base = e[i].base;
		m[i].len = e[i].len;
		m[i].type = e[i].type;
		m[i].pad = 0x1234;
	}
	return n;
}

static void check_map(const struct boot_mmap_entry *m, size_t n,
                      const struct ent *want, size_t nwant)
{
	size_t i;

	for (i = 0; i < n && i < nwant; i++) {
		if (m[i].base != want[i].base || m[i].len != want[i].len ||
		    m[i].type != want[i].type)
			break;
		assert_int_equal(m[i].pad, 0);
	}
	if (i == n && n == nwant)
		return;
	for (i = 0; dump_in != NULL && i < dump_n; i++)
		print_error("in   [%zu] 0x%llx 0x%llx %u\n", i,
		            (unsigned long long)dump_in[i].base,
		            (unsigned long long)dump_in[i].len, dump_in[i].type);
	for (i = 0; i < n; i++)
		print_error("got  [%zu] 0x%llx 0x%llx %u\n", i,
		            (unsigned long long)m[i].base,
		            (unsigned long long)m[i].len, m[i].type);
	for (i = 0; i < nwant; i++)
		print_error("want [%zu] 0x%llx 0x%llx %u\n", i,
		            (unsigned long long)want[i].base,
		            (unsigned long long)want[i].len, want[i].type);
	fail_msg("map mismatch");
}

#define SANITIZE(in, want) do { \
	struct boot_mmap_entry m_[64]; \
	int ov_ = -1; \
	size_t n_ = load(m_, in, sizeof in / sizeof in[0]); \
	n_ = memmap_sanitize(m_, n_, 64, &ov_); \
	assert_int_equal(ov_, 0); \
	check_map(m_, n_, want, sizeof want / sizeof want[0]); \
} while (0)

static void test_q35_shuffled(void **state)
{
	/* SeaBIOS' q35 map, shuffled, plus a kernel-ish unaligned usable
	 * fragment and a duplicate. */
	static const struct ent in[] = {
		{ 0xfffc0000, 0x40000, R }, { 0x100000, 0x7ee0000, U },
		{ 0x9fc00, 0x400, R }, { 0x0, 0x9fc00, U },
		{ 0xb0000000, 0x10000000, R }, { 0xf0000, 0x10000, R },
		{ 0x7fe0000, 0x20000, R }, { 0xfed1c000, 0x4000, R },
		{ 0xfeffc000, 0x4000, R }, { 0x100000, 0x7ee0000, U },
	};
	static const struct ent want[] = {
		{ 0x0, 0x9f000, U }, { 0x9fc00, 0x400, R },
		{ 0xf0000, 0x10000, R }, { 0x100000, 0x7ee0000, U },
		{ 0x7fe0000, 0x20000, R }, { 0xb0000000, 0x10000000, R },
		{ 0xfed1c000, 0x4000, R }, { 0xfeffc000, 0x4000, R },
		{ 0xfffc0000, 0x40000, R },
	};

	(void)state;
	SANITIZE(in, want);
}

static void test_overlap_shapes(void **state)
{
	static const struct ent inner[] = {
		{ 0x0, 0x10000, U }, { 0x4000, 0x4000, N },
	};
	static const struct ent inner_w[] = {
		{ 0x0, 0x4000, U }, { 0x4000, 0x4000, N }, { 0x8000, 0x8000, U },
	};
	/* weaker inside stronger vanishes */
	static const struct ent swallowed[] = {
		{ 0x4000, 0x1000, U }, { 0x0, 0x10000, R },
	};
	static const struct ent swallowed_w[] = { { 0x0, 0x10000, R } };
	/* partial overlap both ways */
	static const struct ent partial[] = {
		{ 0x0, 0x6000, A }, { 0x4000, 0x6000, U }, { 0x9000, 0x3000, B },
	};
	static const struct ent partial_w[] = {
		{ 0x0, 0x6000, A }, { 0x6000, 0x3000, U }, { 0x9000, 0x3000, B },
	};
	/* same base, different lengths, three types */
	static const struct ent same_base[] = {
		{ 0x1000, 0x1000, B }, { 0x1000, 0x8000, U },
		{ 0x1000, 0x3000, T },
	};
	static const struct ent same_base_w[] = {
		{ 0x1000, 0x1000, B }, { 0x2000, 0x2000, T },
		{ 0x4000, 0x5000, U },
	};
	/* identical ranges: strongest wins */
	static const struct ent ident[] = {
		{ 0x1000, 0x1000, R }, { 0x1000, 0x1000, N },
		{ 0x1000, 0x1000, A },
	};
	static const struct ent ident_w[] = { { 0x1000, 0x1000, N } };
	/* a long weak entry crossing many strong ones */
	static const struct ent comb[] = {
		{ 0x0, 0x20000, U }, { 0x2000, 0x1000, R },
		{ 0x6000, 0x1000, A }, { 0xa000, 0x1000, N },
		{ 0x9000, 0x1000, U }, { 0x1e000, 0x4000, R },
	};
	static const struct ent comb_w[] = {
		{ 0x0, 0x2000, U }, { 0x2000, 0x1000, R }, { 0x3000, 0x3000, U },
		{ 0x6000, 0x1000, A }, { 0x7000, 0x3000, U },
		{ 0xa000, 0x1000, N }, { 0xb000, 0x13000, U },
		{ 0x1e000, 0x4000, R },
	};

	(void)state;
	SANITIZE(inner, inner_w);
	SANITIZE(swallowed, swallowed_w);
	SANITIZE(partial, partial_w);
	SANITIZE(same_base, same_base_w);
	SANITIZE(ident, ident_w);
	SANITIZE(comb, comb_w);
}

static void test_rank_order(void **state)
{
	static const uint32_t order[6] = { U, T, A, R, N, B };
	unsigned i, j;

	(void)state;
	for (i = 0; i < 6; i++) {
		for (j = 0; j < 6; j++) {
			struct boot_mmap_entry m[4];
			struct ent in[2] = { { 0x0, 0x3000, order[i] },
			                     { 0x1000, 0x1000, order[j] } };
			size_t n = memmap_sanitize(m, load(m, in, 2), 4, NULL);
			uint32_t mid = order[i > j ? i : j];

			if (i == j || mid == order[i]) {
				assert_int_equal(n, 1);
				assert_int_equal(m[0].type, order[i]);
				continue;
			}
			assert_int_equal(n, 3);
			assert_int_equal(m[1].base, 0x1000);
			assert_int_equal(m[1].type, mid);
		}
	}
}

static void test_cleanup(void **state)
{
	static const struct ent in[] = {
		{ 0x5000, 0, R },                         /* empty */
		{ 0xfffffffffffff000ull, 0x2000, R },     /* wraps */
		{ 0x1000, 0x1000, 77 },                   /* unknown type */
		{ 0x2000, 0x1000, 0 },                    /* unknown type */
		{ 0x3000, 0x1000, R },                    /* merges with both */
		{ 0x10800, 0x800, U },                    /* vanishes */
		{ 0x20100, 0x2000, U },                   /* -> 0x21000-0x22000 */
		{ 0x22100, 0x1f00, T },                   /* -> 0x23000-0x24000 */
		{ 0x30000, 0x1000, U }, { 0x31000, 0x1000, U },
		{ 0x32000, 0x800, T }, { 0x32800, 0x800, T },
		{ 0x40000, 0x100, A },                    /* not page-shrunk */
		{ 0xfffffffffffff000ull, 0x1000, R },     /* ends at 2^64: wraps */
	};
	static const struct ent want[] = {
		{ 0x1000, 0x3000, R }, { 0x21000, 0x1000, U },
		{ 0x23000, 0x1000, T }, { 0x30000, 0x2000, U },
		{ 0x32000, 0x1000, T }, { 0x40000, 0x100, A },
	};

	(void)state;
	SANITIZE(in, want);
}

static void test_mark(void **state)
{
	static const struct ent in[] = {
		{ 0x0, 0x9f000, U }, { 0x9fc00, 0x400, R },
		{ 0x100000, 0x7ee0000, U }, { 0x7fe0000, 0x20000, R },
	};
	static const struct ent kernel[] = {
		{ 0x0, 0x9f000, U }, { 0x9fc00, 0x400, R },
		{ 0x100000, 0x100000, U }, { 0x200000, 0x51a3, R },
		{ 0x206000, 0x7dda000, U }, { 0x7fe0000, 0x20000, R },
	};
	static const struct ent spanning[] = {
		{ 0x0, 0x9f000, U }, { 0x9f000, 0x61800, R },
		{ 0x101000, 0x7edf000, U }, { 0x7fe0000, 0x20000, R },
	};
	static const struct ent freed[] = {
		{ 0x0, 0x9f000, U }, { 0x9fc00, 0x400, R },
		{ 0x100000, 0x7ee0000, U }, { 0x7fe0000, 0x10000, R },
		{ 0x7ff0000, 0x10000, U },
	};
	struct boot_mmap_entry m[16];
	size_t n;

	(void)state;
	n = memmap_sanitize(m, load(m, in, 4), 16, NULL);
	n = memmap_mark(m, n, 16, 0x200000, 0x51a3, R);
	check_map(m, n, kernel, 6);
	/* From the middle of one usable range to inside the next. */
	n = memmap_sanitize(m, load(m, in, 4), 16, NULL);
	n = memmap_mark(m, n, 16, 0x9f000, 0x100800 - 0x9f000, R);
	check_map(m, n, spanning, 4);
	/* Override downwards (give a reserved tail back). */
	n = memmap_sanitize(m, load(m, in, 4), 16, NULL);
	n = memmap_mark(m, n, 16, 0x7ff0000, 0x10000, U);
	check_map(m, n, freed, 5);
	/* Zero length and wrapping marks change nothing. */
	assert_int_equal(memmap_mark(m, n, 16, 0x1000, 0, R), n);
	assert_int_equal(memmap_mark(m, n, 16, UINT64_MAX, 2, R), n);
	check_map(m, n, freed, 5);
}

static void test_mark_full(void **state)
{
	struct boot_mmap_entry m[4];
	static const struct ent in[] = {
		{ 0x0, 0x10000, U }, { 0x20000, 0x1000, R },
		{ 0x30000, 0x10000, U }, { 0x50000, 0x1000, R },
	};
	size_t n;

	(void)state;
	n = memmap_sanitize(m, load(m, in, 4), 4, NULL);
	assert_int_equal(n, 4);
	/* Needs +2 entries; the marked one must be present afterwards. */
	n = memmap_mark(m, n, 4, 0x34000, 0x1000, B);
	assert_true(n <= 4);
	{
		size_t i, found = 0;

		for (i = 0; i < n; i++)
			found += m[i].base == 0x34000 && m[i].len == 0x1000 &&
			         m[i].type == B;
		assert_int_equal(found, 1);
		for (i = 0; i + 1 < n; i++)
			assert_true(m[i].base + m[i].len <= m[i + 1].base);
		/* Nothing usable overlaps the bad page. */
		for (i = 0; i < n; i++)
			if (m[i].type == U)
				assert_true(m[i].base + m[i].len <= 0x34000 ||
				            m[i].base >= 0x35000);
	}
}

static void test_queries(void **state)
{
	static const struct ent in[] = {
		{ 0x0, 0x9f000, U }, { 0x9fc00, 0x400, R },
		{ 0x100000, 0x7ee0000, U }, { 0x7fe0000, 0x20000, R },
		{ 0x100000000ull, 0x40000000, U },
	};
	struct boot_mmap_entry m[8];
	size_t n = load(m, in, 5);

	(void)state;
	assert_int_equal(memmap_total(m, n, U), 0x9f000 + 0x7ee0000 +
	                 0x40000000ull);
	assert_int_equal(memmap_total(m, n, R), 0x20400);
	assert_int_equal(memmap_total(m, n, B), 0);
	assert_int_equal(memmap_top(m, n, U), 0x140000000ull);
	assert_int_equal(memmap_top(m, n, R), 0x8000000);
	assert_int_equal(memmap_top(m, n, N), 0);
	assert_string_equal(memmap_type_name(U), "usable");
	assert_string_equal(memmap_type_name(R), "reserved");
	assert_string_equal(memmap_type_name(A), "acpi-reclaim");
	assert_string_equal(memmap_type_name(N), "acpi-nvs");
	assert_string_equal(memmap_type_name(B), "bad");
	assert_string_equal(memmap_type_name(T), "boot-reclaim");
	assert_string_equal(memmap_type_name(0), "unknown");
	assert_int_equal(memmap_sanitize(m, 0, 8, NULL), 0);
}

static void test_covers(void **state)
{
	static const struct ent in[] = {
		{ 0x0, 0x9f000, U }, { 0x9f000, 0x1000, R },
		{ 0xf0000, 0x10000, R }, { 0x100000, 0x7ee0000, U },
		{ 0x7fe0000, 0x10000, A }, { 0x7ff0000, 0x10000, N },
		{ 0xfffff000ull, 0x1000, B },
		{ 0xffffffffffffe000ull, 0x1000, R },
	};
	const uint32_t fw = 1u << R | 1u << A | 1u << N, ram = 1u << U;
	const uint32_t any = fw | ram | 1u << T;
	struct boot_mmap_entry m[16];
	size_t n = load(m, in, 8);

	(void)state;
	assert_int_equal(n, 8);
	assert_true(memmap_covers(m, n, 0x7fe0000, 0x20000, fw));
	assert_true(memmap_covers(m, n, 0x7fe1234, 36, 1u << A));
	assert_false(memmap_covers(m, n, 0x7fe1234, 36, 1u << N));
	/* spans touching entries of allowed types */
	assert_true(memmap_covers(m, n, 0x9e000, 0x2000, any));
	assert_true(memmap_covers(m, n, 0x7fdf000, 0x2000, any));
	assert_false(memmap_covers(m, n, 0x7fdf000, 0x2000, fw));
	/* a hole anywhere in the range */
	assert_false(memmap_covers(m, n, 0xa0000, 36, any));
	assert_false(memmap_covers(m, n, 0x9f000, 0x1001, any));
	assert_false(memmap_covers(m, n, 0xeffff, 2, any));
	assert_true(memmap_covers(m, n, 0xf0000, 0x10000, any));
	assert_false(memmap_covers(m, n, 0xf0000, 0x10001, any - ram));
	assert_false(memmap_covers(m, n, 0x8000000, 1, any));
	/* BAD is never in these masks */
	assert_false(memmap_covers(m, n, 0xfffff000ull, 16, any));
	assert_true(memmap_covers(m, n, 0xfffff000ull, 16, 1u << B));
	/* empty, wrapping, past the last entry, types >= 32 */
	assert_false(memmap_covers(m, n, 0x1000, 0, any));
	assert_false(memmap_covers(m, n, 0xffffffffffffe000ull, 0x2001, ~0u));
	assert_true(memmap_covers(m, n, 0xffffffffffffe000ull, 0x1000, fw));
	assert_false(memmap_covers(m, n, 0xffffffffffffefffull, 2, fw));
	assert_false(memmap_covers(m, 0, 0x1000, 1, ~0u));
	m[0].type = 40;
	assert_false(memmap_covers(m, n, 0x1000, 1, ~0u));
}

/* ---- randomized comparison with a brute-force reference ---- */

#define GRAN 256u
#define SPACE (64u * 1024u)
#define NGRAN (SPACE / GRAN)

static int rank_of(uint32_t t)
{
	static const int r[7] = { 4, 1, 4, 3, 5, 6, 2 };  /* 0: unknown */

	return t <= 6 ? r[t] : 4;
}

static uint32_t norm(uint32_t t)
{
	return t >= 1 && t <= 6 ? t : R;
}

/* Strongest input type of every granule (0 = unlisted). */
static void granules(const struct ent *in, size_t n, uint32_t *g)
{
	size_t i;
	unsigned j;

	memset(g, 0, NGRAN * sizeof *g);
	for (i = 0; i < n; i++)
		for (j = (unsigned)(in[i].base / GRAN);
		     j < (in[i].base + in[i].len) / GRAN; j++)
			if (g[j] == 0 || rank_of(in[i].type) > rank_of(g[j]))
				g[j] = norm(in[i].type);
}

/* Reference: granule types -> runs -> shrink RAM runs to pages. */
static size_t reference(const struct ent *in, size_t n, struct ent *out)
{
	uint32_t g[NGRAN];
	size_t i, k = 0;
	unsigned j;

	granules(in, n, g);
	for (j = 0; j < NGRAN; j++) {
		if (g[j] == 0)
			continue;
		if (k > 0 && out[k - 1].type == g[j] &&
		    out[k - 1].base + out[k - 1].len == j * GRAN) {
			out[k - 1].len += GRAN;
			continue;
		}
		out[k++] = (struct ent){ j * GRAN, GRAN, g[j] };
	}
	for (i = 0, n = k, k = 0; i < n; i++) {
		struct ent e = out[i];

		if (e.type == U || e.type == T) {
			uint64_t lo = (e.base + 4095) & ~4095ull;
			uint64_t hi = (e.base + e.len) & ~4095ull;

			if (hi <= lo)
				continue;
			e.base = lo;
			e.len = hi - lo;
		}
		out[k++] = e;
	}
	return k;
}

static void random_map(struct ent *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t a = (uint64_t)(rand() % (NGRAN + 1)) * GRAN;
		uint64_t b = (uint64_t)(rand() % (NGRAN + 1)) * GRAN;

		if (rand() % 3 == 0) {  /* page-aligned, more merging */
			a &= ~4095ull;
			b &= ~4095ull;
		}
		in[i].base = a < b ? a : b;
		in[i].len = a < b ? b - a : a - b;
		in[i].type = (uint32_t)(rand() % 8);  /* 0 and 7 unknown */
	}
}

static void test_random_vs_reference(void **state)
{
	unsigned it;

	(void)state;
	srand(4242);
	for (it = 0; it < 3000; it++) {
		struct ent in[16], want[NGRAN];
		struct boot_mmap_entry m[64];
		size_t n = 1 + (size_t)rand() % 16, nw;
		int ov = -1;

		random_map(in, n);
		nw = reference(in, n, want);
		dump_in = in;
		dump_n = n;
		n = memmap_sanitize(m, load(m, in, n), 64, &ov);
		assert_int_equal(ov, 0);
		check_map(m, n, want, nw);
		dump_in = NULL;
	}
}

/* Tight capacity: invariants hold, and every listed granule keeps at
 * least the strength of the strongest input entry covering it (so RAM
 * types only ever cover RAM).  Without overflow the result is exact. */
static void test_random_tight(void **state)
{
	unsigned it, overflows = 0;

	(void)state;
	srand(99);
	for (it = 0; it < 3000; it++) {
		struct ent in[12], want[NGRAN];
		struct boot_mmap_entry m[12];
		size_t n = 2 + (size_t)rand() % 11, nw, i;
		uint32_t raw[NGRAN], got[NGRAN] = { 0 };
		unsigned j;
		int ov;

		random_map(in, n);
		nw = reference(in, n, want);
		granules(in, n, raw);
		dump_in = in;
		dump_n = n;
		n = memmap_sanitize(m, load(m, in, n), n, &ov);
		overflows += ov;
		for (i = 0; i < n; i++) {
			assert_true(m[i].len > 0);
			if (i + 1 < n)
				assert_true(m[i].base + m[i].len <= m[i + 1].base);
			if (i + 1 < n && m[i].base + m[i].len == m[i + 1].base)
				assert_true(m[i].type != m[i + 1].type);
			if (m[i].type == U || m[i].type == T)
				assert_int_equal((m[i].base | m[i].len) & 4095, 0);
			for (j = (unsigned)(m[i].base / GRAN);
			     j < (m[i].base + m[i].len) / GRAN; j++)
				got[j] = m[i].type;
		}
		for (j = 0; j < NGRAN; j++) {
			if (got[j] == 0)
				continue;  /* unlisted is always safe */
			if (raw[j] == 0 || rank_of(got[j]) < rank_of(raw[j])) {
				check_map(m, n, want, nw);
				fail_msg("granule %u: type %u weaker than input %u",
				         j, got[j], raw[j]);
			}
		}
		if (!ov)
			check_map(m, n, want, nw);
		dump_in = NULL;
	}
	assert_true(overflows > 0);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_q35_shuffled),
		cmocka_unit_test(test_overlap_shapes),
		cmocka_unit_test(test_rank_order),
		cmocka_unit_test(test_cleanup),
		cmocka_unit_test(test_mark),
		cmocka_unit_test(test_mark_full),
		cmocka_unit_test(test_queries),
		cmocka_unit_test(test_covers),
		cmocka_unit_test(test_random_vs_reference),
		cmocka_unit_test(test_random_tight),
	};

	return cmocka_run_group_tests_name("memmap", tests, NULL, NULL);
}

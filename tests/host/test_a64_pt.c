/*
 * test_a64_pt.c - host tests of the aarch64 translation-table walker and
 * descriptor bits (arch/aarch64/pt.h, pt_walk.c, pte.h): finding and
 * building entries, the accessed/dirty test-and-clear behind arch_vm_ad
 * and arch_vm_ad_round, and the leaf bits each protection gets.
 *
 * Independent truth: the descriptor bit positions are the ARM ARM's
 * (D8.3: valid 0, table/page 1, AttrIndx 4:2, AP 7:6, SH 9:8, AF 10, nG
 * 11, DBM 51, contiguous 52, PXN 53, UXN 54, software 58:55), written
 * here as numbers, not taken from pte.h.  The tables are built by the
 * test's own mapper (index arithmetic written here, not the walker's);
 * "the MMU" setting AF or making a page dirty is a store through the
 * test's pointer to the leaf, and the expected bitmaps come from the
 * test's own record of what it touched, never from a walk.  "Physical"
 * addresses are fake (PHYS0 + 4 KiB x table number) and reach memory
 * only through the virt hook, which aborts on anything that is not a
 * table: following a leaf or a raw address is caught.
 *
 * Context: host only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include "arch/arch.h"
#include "arch/aarch64/pt.h"

#define PHYS0 0x40000000ull
#define NTABLES 1024
#define PG 4096ull
/* ARM ARM D8.3 bit positions, written out */
#define B_VALID 0x1ull
#define B_PAGE 0x2ull
#define B_AP_RO 0x80ull
#define B_AP_EL0 0x40ull
#define B_SH_INNER 0x300ull
#define B_AF 0x400ull
#define B_DBM (1ull << 51)
#define B_PXN (1ull << 53)
#define B_UXN (1ull << 54)
#define B_SW0 (1ull << 55)

static pte_t (*tables)[512];
static unsigned ntables;

static pte_t *virt(uint64_t pa)
{
	if (pa < PHYS0 || (pa & 4095) || (pa - PHYS0) / PG >= ntables) {
		fprintf(stderr, "walker followed 0x%llx, not a table\n", (unsigned long long)pa);
		abort();
	}
	return tables[(pa - PHYS0) / PG];
}

static uint64_t table_alloc(void)
{
	if (ntables >= NTABLES)
		return 0;
	memset(tables[ntables], 0, sizeof(tables[0]));
	return PHYS0 + PG * ntables++;
}

static struct a64_pt pt;

static int setup(void **state)
{
	(void)state;
	if (!tables)
		tables = aligned_alloc(4096, NTABLES * sizeof(*tables));
	ntables = 0;
	pt.virt = virt;
	pt.alloc = table_alloc;
	pt.root = virt(table_alloc());
	return 0;
}

/* The test's own mapper: the entry at `level` (0: 4 KiB, 1: 2 MiB,
 * 2: 1 GiB) for va, building tables above it. */
static pte_t *slot(uintptr_t va, int level)
{
	pte_t *t = pt.root;
	for (int l = 3; l > level; l--) {
		pte_t *e = &t[(va >> (12 + 9 * l)) & 511];
		if (!(*e & B_VALID))
			*e = table_alloc() | B_VALID | B_PAGE;
		assert_true(*e & B_PAGE);  /* a table, not a block */
		t = virt(*e & 0x0000fffffffff000ull);
	}
	return &t[(va >> (12 + 9 * level)) & 511];
}

/* A writable page, clean (AP[2] set) and not accessed. */
static pte_t *map4k(uintptr_t va)
{
	pte_t *p = slot(va, 0);
	*p = 0x7000000000ull | B_VALID | B_PAGE | B_SW0 | B_AP_RO;
	return p;
}

static pte_t *map_block(uintptr_t va, int level)
{
	pte_t *p = slot(va, level);
	*p = 0x8000000000ull | B_VALID | B_SW0 | B_AP_RO;  /* bit 1 clear: block */
	return p;
}

/* what the MMU does on a write (DBM) or a64_vm_fixup on its fault */
static void dirty(pte_t *p) { *p = (*p & ~B_AP_RO) | B_AF; }
static int is_dirty(pte_t e) { return (e & B_SW0) && !(e & B_AP_RO); }
static int bit(const uint64_t *bm, size_t i) { return (bm[i / 64] >> (i % 64)) & 1; }

/* A page marked A64_PTE_NOTRACK (the image's exception stacks) is
 * reported accessed and dirty whatever its bits, and never changed by a
 * clear: cleaning the data around an exception stack must not
 * write-protect it. */
static void notrack_is_reported_never_cleared(void **state)
{
	(void)state;
	uint64_t out[1];
	pte_t *a = map4k(0x40000000), *b = map4k(0x40000000 + PG), *c = map4k(0x40000000 + 2 * PG);
	*b |= A64_PTE_NOTRACK;   /* clean and not accessed, as mapped */
	dirty(c);
	pte_t bb = *b;
	assert_int_equal(a64_pt_ad(&pt, 0x40000000, 3, A64_AD_DIRTY, 0, out), 2);
	assert_int_equal(out[0], 6);
	assert_int_equal(a64_pt_ad(&pt, 0x40000000, 3, A64_AD_ACCESSED | A64_AD_DIRTY, 1, out), 2);
	assert_true(*b == bb);
	assert_true(is_dirty(*c) == 0 && (*c & B_AP_RO));
	assert_int_equal(a64_pt_ad(&pt, 0x40000000, 3, A64_AD_DIRTY, 1, out), 1);
	assert_int_equal(out[0], 2);
	assert_true(*b == bb);
	(void)a;
}

/* ---- descriptor bits ---- */

static void leaf_bits(void **state)
{
	(void)state;
	uint64_t rw = a64_pte_leaf(VM_R | VM_W, 0, VM_W, VM_X, VM_UC);
	/* valid page, AF, Normal (AttrIndx 1) inner shareable, EL1 only,
	 * writable-dirty, never executable */
	assert_true(rw == (B_VALID | B_PAGE | B_AF | (1ull << 2) | B_SH_INNER | B_SW0 | B_PXN | B_UXN));
	assert_true(is_dirty(rw));
	uint64_t rx = a64_pte_leaf(VM_R | VM_X, 0, VM_W, VM_X, VM_UC);
	assert_true(rx == (B_VALID | B_PAGE | B_AF | (1ull << 2) | B_SH_INNER | B_AP_RO | B_UXN));
	uint64_t r = a64_pte_leaf(VM_R, 1, VM_W, VM_X, VM_UC);
	assert_true(r & B_AP_RO);
	assert_false(r & (B_DBM | B_SW0));
	/* device: AttrIndx 0, and MAIR's attribute 0 is Device-nGnRnE (0x00),
	 * attribute 1 Normal WB RWA (0xff) (ARM ARM D17.2.97) */
	uint64_t dev = a64_pte_leaf(VM_R | VM_W | VM_UC, 0, VM_W, VM_X, VM_UC);
	assert_int_equal((dev >> 2) & 7, 0);
	assert_int_equal(a64_mair_attr(A64_MAIR, 0), 0x00);
	assert_int_equal(a64_mair_attr(A64_MAIR, 1), 0xff);
	assert_true(dev & B_PXN);
	/* DBM only for writable pages on a DBM CPU; EL0 never */
	assert_true(a64_pte_leaf(VM_R | VM_W, 1, VM_W, VM_X, VM_UC) & B_DBM);
	for (unsigned p = 0; p < 16; p++) {
		uint64_t e = a64_pte_leaf(p, p & 1, VM_W, VM_X, VM_UC);
		assert_false(e & B_AP_EL0);
		assert_true(e & B_UXN);
		assert_false((e & B_PXN) && (p & VM_X));
		assert_false(!(e & B_AP_RO) && !(p & VM_W));
		/* W^X: a writable page never executable (paging.c refuses to
		 * map VM_W | VM_X at all) */
		if (!((p & VM_W) && (p & VM_X)))
			assert_false(!(e & B_AP_RO) && !(e & B_PXN));
		assert_false(a64_pte_block(p, 0, VM_W, VM_X, VM_UC) & B_PAGE);
	}
}

/* ---- the walker ---- */

static void walk_finds_and_builds(void **state)
{
	(void)state;
	pte_t *large, *p = map4k(0x40201000);
	assert_ptr_equal(a64_pt_walk(&pt, 0x40201abc, 0, &large), p);
	assert_null(large);
	assert_null(a64_pt_walk(&pt, 0x7f0000000000, 0, &large));
	unsigned before = ntables;
	pte_t *q = a64_pt_walk(&pt, 0x7f0000000000, 1, &large);
	assert_non_null(q);
	assert_int_equal(ntables, before + 3);
	assert_ptr_equal(q, slot(0x7f0000000000, 0));
	pte_t *l2 = map_block(0x80000000, 1);
	assert_null(a64_pt_walk(&pt, 0x80123000, 1, &large));
	assert_ptr_equal(large, l2);
	pte_t *l3 = map_block(0x100000000000ull, 2);
	assert_null(a64_pt_walk(&pt, 0x100012345000ull, 0, &large));
	assert_ptr_equal(large, l3);
	/* beyond 48 bits: nothing, not even with create */
	before = ntables;
	assert_null(a64_pt_walk(&pt, 1ull << 48, 1, &large));
	assert_null(a64_pt_walk(&pt, 0xffff000000001000ull, 1, &large));
	assert_int_equal(ntables, before);
	pt.alloc = NULL;
	assert_null(a64_pt_walk(&pt, 0x7e0000000000, 1, &large));
}

/* ---- accessed / dirty ---- */

static void dirty_across_table_boundaries(void **state)
{
	(void)state;
	static const uintptr_t base[] = { 0x40000000 - 3 * PG, 0x80000000ull - 2 * PG,
	                                  0x8000000000ull - 2 * PG };
	for (size_t b = 0; b < 3; b++) {
		setup(NULL);
		uintptr_t va = base[b];
		pte_t *leaf[6];
		for (int i = 0; i < 6; i++) {
			leaf[i] = map4k(va + i * PG);
			*leaf[i] |= B_AF;
		}
		dirty(leaf[1]);
		dirty(leaf[2]);
		dirty(leaf[4]);
		uint64_t out[1];
		assert_int_equal(a64_pt_ad(&pt, va, 6, A64_AD_DIRTY, 0, out), 3);
		assert_int_equal(out[0], 0x16);
		assert_int_equal(a64_pt_ad(&pt, va, 6, A64_AD_DIRTY, 1, out), 3);
		assert_int_equal(out[0], 0x16);
		assert_int_equal(a64_pt_ad(&pt, va, 6, A64_AD_DIRTY, 0, out), 0);
		assert_int_equal(out[0], 0);
		for (int i = 0; i < 6; i++) {
			/* clean again: read-only, still writable by SW bit, AF kept */
			assert_true(*leaf[i] == (0x7000000000ull | B_VALID | B_PAGE | B_SW0 | B_AP_RO | B_AF));
		}
		assert_int_equal(a64_pt_ad(&pt, va, 6, A64_AD_ACCESSED | A64_AD_DIRTY, 1, out), 6);
		assert_int_equal(out[0], 0x3f);
		for (int i = 0; i < 6; i++)
			assert_true(*leaf[i] == (0x7000000000ull | B_VALID | B_PAGE | B_SW0 | B_AP_RO));
	}
}

/* A read-only page (no SW bit) with AP[2] clear cannot exist; one with
 * AP[2] set is never "dirty", and clearing dirty never touches it. */
static void read_only_is_never_dirty(void **state)
{
	(void)state;
	pte_t *p = slot(0x40000000, 0);
	*p = 0x7000000000ull | B_VALID | B_PAGE | B_AP_RO | B_AF;
	pte_t before = *p;
	assert_int_equal(a64_pt_ad(&pt, 0x40000000, 1, A64_AD_DIRTY, 1, NULL), 0);
	assert_true(*p == before);
	assert_int_equal(a64_pt_ad(&pt, 0x40000000, 1, A64_AD_ACCESSED, 1, NULL), 1);
	assert_true(*p == (before & ~B_AF));
}

static void holes_report_nothing(void **state)
{
	(void)state;
	uintptr_t va = 0x7fc0000000ull;
	size_t npages = (size_t)(((0x8000000000ull + (1ull << 30) + (4ull << 20)) - va) / PG);
	dirty(map4k(va));
	dirty(map4k(va + 5 * PG));
	map4k(va + 6 * PG);
	dirty(map4k(va + (4ull << 20) + 7 * PG));
	uintptr_t far = 0x8000000000ull + (1ull << 30) + (2ull << 20);
	dirty(map4k(far));
	uint64_t *out = calloc((npages + 63) / 64, 8);
	memset(out, 0xff, (npages + 63) / 64 * 8);
	assert_int_equal(a64_pt_ad(&pt, va, npages, A64_AD_DIRTY, 0, out), 4);
	size_t want[] = { 0, 5, (size_t)((4ull << 20) / PG + 7), (size_t)((far - va) / PG) };
	size_t k = 0;
	for (size_t i = 0; i < npages; i++) {
		if (k < 4 && i == want[k]) {
			assert_true(bit(out, i));
			k++;
		} else if (bit(out, i)) {
			fail_msg("page %zu reported dirty", i);
		}
	}
	free(out);
}

/* A 2 MiB block partly covered reports its pages in range and stays
 * dirty; covered whole, it is cleared.  Same for a 1 GiB block. */
static void blocks(void **state)
{
	(void)state;
	pte_t *b2 = map_block(0x40000000, 1), *b1 = map_block(0x80000000, 2);
	dirty(b2);
	dirty(b1);
	uint64_t out[8];
	assert_int_equal(a64_pt_ad(&pt, 0x40000000 + 510 * PG, 4, A64_AD_DIRTY, 1, out), 2);
	assert_int_equal(out[0], 0x3);
	assert_true(is_dirty(*b2));
	assert_int_equal(a64_pt_ad(&pt, 0x40000000, 512, A64_AD_DIRTY, 1, out), 512);
	assert_false(is_dirty(*b2));
	assert_true(*b2 & B_SW0);
	assert_int_equal(a64_pt_ad(&pt, 0x80000000 + PG, 3, A64_AD_DIRTY, 1, out), 3);
	assert_true(is_dirty(*b1));
	assert_int_equal(a64_pt_ad(&pt, 0x80000000, 512 * 512, A64_AD_DIRTY, 1, NULL), 512 * 512);
	assert_false(is_dirty(*b1));
}

static void bad_ranges(void **state)
{
	(void)state;
	uint64_t out[1];
	assert_int_equal(a64_pt_ad(&pt, 0x1001, 1, A64_AD_DIRTY, 0, out), -1);
	assert_int_equal(a64_pt_ad(&pt, 1ull << 48, 1, A64_AD_DIRTY, 0, out), -1);
	assert_int_equal(a64_pt_ad(&pt, (1ull << 48) - PG, 2, A64_AD_DIRTY, 0, out), -1);
	assert_int_equal(a64_pt_ad(&pt, (1ull << 48) - PG, 1, A64_AD_DIRTY, 0, out), 0);
	assert_int_equal(a64_pt_ad(&pt, 0xfffffffffffff000ull, 1, A64_AD_DIRTY, 0, out), -1);
	assert_int_equal(a64_pt_ad(&pt, 0x1000, SIZE_MAX, A64_AD_DIRTY, 0, NULL), -1);
	assert_int_equal(a64_pt_ad(&pt, 0x1000, 0, A64_AD_DIRTY, 0, NULL), 0);
	assert_int_equal(a64_pt_ad_round(&pt, 0x1000, 512, NULL, NULL), -1);
	assert_int_equal(a64_pt_ad_round(&pt, 0x200000, 100, NULL, NULL), -1);
	assert_int_equal(a64_pt_ad_round(&pt, 1ull << 48, 512, NULL, NULL), -1);
}

/* Randomised: pages over a few tables are mapped, touched, written; the
 * model (an array of the test's own) says what each call must report. */
static void random_rounds(void **state)
{
	(void)state;
	enum { N = 3 * 512 + 77 };
	uintptr_t va = 0x3fe00000ull + 5 * PG;  /* crosses the 1 GiB line */
	static pte_t *leaf[N];
	static int acc[N], dirt[N];
	uint64_t out[(N + 63) / 64];
	srand(14);
	for (int i = 0; i < N; i++) {
		leaf[i] = (rand() % 4) ? map4k(va + (uintptr_t)i * PG) : NULL;
		acc[i] = dirt[i] = 0;
	}
	for (int round = 0; round < 200; round++) {
		for (int k = 0; k < 50; k++) {
			int i = rand() % N;
			if (!leaf[i])
				continue;
			if (rand() % 2) {
				dirty(leaf[i]);
				dirt[i] = acc[i] = 1;
			} else {
				*leaf[i] |= B_AF;
				acc[i] = 1;
			}
		}
		unsigned which = 1 + (unsigned)(rand() % 3);
		int clear = rand() % 2;
		long want = 0;
		for (int i = 0; i < N; i++)
			want += (which & 1 && acc[i]) || (which & 2 && dirt[i]);
		assert_int_equal(a64_pt_ad(&pt, va, N, which, clear, out), want);
		for (int i = 0; i < N; i++) {
			int w = (which & 1 && acc[i]) || (which & 2 && dirt[i]);
			if (bit(out, (size_t)i) != w)
				fail_msg("round %d page %d: reported %d, model %d", round, i,
				         bit(out, (size_t)i), w);
			if (clear) {
				if (which & 1)
					acc[i] = 0;
				if (which & 2)
					dirt[i] = 0;
			}
		}
	}
}

/* Rounds read every table every round (no accessed bit in a table
 * descriptor) and report each dirty page once. */
static void round_reads_every_table(void **state)
{
	(void)state;
	uintptr_t va = 0x40000000;
	pte_t *a = map4k(va + 3 * PG), *b = map4k(va + 512 * PG + 9 * PG);
	map4k(va + 4 * 512 * PG);                 /* a third table, clean */
	uint64_t out[4 * 512 / 64 + 8];
	size_t tables = 0;
	dirty(a);
	dirty(b);
	assert_int_equal(a64_pt_ad_round(&pt, va, 5 * 512, out, &tables), 2);
	assert_int_equal(tables, 3);
	assert_true(bit(out, 3) && bit(out, 512 + 9));
	assert_int_equal(a64_pt_ad_round(&pt, va, 5 * 512, out, &tables), 0);
	assert_int_equal(tables, 3);
	dirty(b);
	assert_int_equal(a64_pt_ad_round(&pt, va, 5 * 512, out, &tables), 1);
	assert_true(bit(out, 512 + 9));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(leaf_bits, setup),
		cmocka_unit_test_setup(walk_finds_and_builds, setup),
		cmocka_unit_test_setup(dirty_across_table_boundaries, setup),
		cmocka_unit_test_setup(read_only_is_never_dirty, setup),
		cmocka_unit_test_setup(notrack_is_reported_never_cleared, setup),
		cmocka_unit_test_setup(holes_report_nothing, setup),
		cmocka_unit_test_setup(blocks, setup),
		cmocka_unit_test_setup(bad_ranges, setup),
		cmocka_unit_test_setup(random_rounds, setup),
		cmocka_unit_test_setup(round_reads_every_table, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

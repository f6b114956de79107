/*
 * test_pmem.c - host tests of kernel/mem/pmem.c (buddy allocator) and
 * kernel/spinlock.h.
 *
 * Purpose: the allocator runs over a heap buffer posing as physical memory
 * (virt_base = buffer address).  Checked: exact free/total counts computed
 * independently from the map, pages below min_addr / outside RAM / under
 * the state array never handed out, natural alignment, a random alloc/free
 * stress against a shadow bitmap (no overlap, no write into allocated
 * memory, counts always equal to the shadow), full merging (after freeing
 * everything, the free blocks are exactly the canonical buddy
 * decomposition of the free pages, whatever PMEM_MAX_ORDER is),
 * pmem_add_range, every pmem_fatal path through a longjmp mock, and the
 * spinlock under two threads.
 *
 * Context: host only; the pthread test needs -pthread.
 */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/fixture.h"
#include "kernel/mem/pmem.h"
#include "kernel/cpu/spinlock.h"

#define PG        4096ull
#define MEM_SIZE  (40ull << 20)
#define NPG       (MEM_SIZE / PG)
#define MIN_ADDR  0x100000ull

static uint8_t *mem;

/* ---- pmem_fatal mock ---- */
static jmp_buf fatal_jb;
static int fatal_armed;
static const char *fatal_msg;

void pmem_fatal(const char *msg)
{
	fatal_msg = msg;
	if (fatal_armed) {
		fatal_armed = 0;
		longjmp(fatal_jb, 1);
	}
	fail_msg("unexpected pmem_fatal(\"%s\")", msg);
}

#define EXPECT_FATAL(call, text) do { \
	fatal_msg = NULL; \
	if (setjmp(fatal_jb) == 0) { \
		fatal_armed = 1; \
		call; \
		fatal_armed = 0; \
		fail_msg("%s did not call pmem_fatal", #call); \
	} \
	assert_non_null(fatal_msg); \
	if (strstr(fatal_msg, text) == NULL) \
		fail_msg("pmem_fatal(\"%s\") lacks \"%s\"", fatal_msg, text); \
} while (0)

/* ---- the fake machine ---- */
static const struct boot_mmap_entry map[] = {
	{ 0x0, 0x9f000, BOOT_MEM_USABLE, 0 },
	{ 0x9fc00, 0x400, BOOT_MEM_RESERVED, 0 },
	{ 0xf0000, 0x10000, BOOT_MEM_RESERVED, 0 },
	{ 0x100000, 0x1700000, BOOT_MEM_USABLE, 0 },
	{ 0x1800000, 0x100000, BOOT_MEM_BOOT_RECLAIM, 0 },
	{ 0x1900000, 0x100000, BOOT_MEM_RESERVED, 0 },
	{ 0x1a00000, 0xe00000, BOOT_MEM_USABLE, 0 },
	{ 0x2800000, 0x1800000, BOOT_MEM_RESERVED, 0 },
};
#define NMAP (sizeof map / sizeof map[0])
/* span [1 MiB, 40 MiB) = 9984 pages of state = 3 pages at 1 MiB */
#define STATE_LO 0x100000ull
#define STATE_HI 0x103000ull

static uint8_t allowed[NPG];  /* 1: pmem may hand this page out */
static uint8_t shadow[NPG];   /* 1: currently allocated */

static void init_machine(void)
{
	uint64_t p;
	size_t i;

	assert_int_equal(pmem_init(map, NMAP, MIN_ADDR, (uintptr_t)mem), 0);
	memset(allowed, 0, sizeof allowed);
	memset(shadow, 0, sizeof shadow);
	for (i = 0; i < NMAP; i++) {
		if (map[i].type != BOOT_MEM_USABLE)
			continue;
		for (p = map[i].base; p < map[i].base + map[i].len; p += PG)
			if (p >= MIN_ADDR && (p < STATE_LO || p >= STATE_HI))
				allowed[p / PG] = 1;
	}
}

static uint64_t count_allowed(void)
{
	uint64_t i, n = 0;

	for (i = 0; i < NPG; i++)
		n += allowed[i];
	return n;
}

/* Order-k windows whose pages are all allowed. */
static uint64_t aligned_windows(unsigned k)
{
	uint64_t w, i, n = 0, len = 1ull << k;

	for (w = 0; w + len <= NPG; w += len) {
		for (i = 0; i < len && allowed[w + i]; i++)
			;
		n += i == len;
	}
	return n;
}

static int window_free(uint64_t w, uint64_t len)
{
	uint64_t i;

	if (w + len > NPG)
		return 0;
	for (i = 0; i < len; i++)
		if (!allowed[w + i] || shadow[w + i])
			return 0;
	return 1;
}

static uint64_t take(unsigned order);

/*
 * With complete merging the free blocks are exactly the canonical
 * decomposition of the free pages: order-k windows that are wholly free
 * while their parent window is not (or k is the top order).  Allocating
 * greedily from the top order down must find exactly those, order by
 * order; an unmerged pair of buddies shows up as one block too few at
 * k+1 and two too many at k.  Consumes all free memory.
 */
static void check_canonical(void)
{
	uint64_t want[PMEM_MAX_ORDER + 1] = { 0 }, w, len, n;
	int k;

	for (k = 0; k <= PMEM_MAX_ORDER; k++) {
		len = 1ull << k;
		for (w = 0; w + len <= NPG; w += len)
			if (window_free(w, len) &&
			    (k == PMEM_MAX_ORDER ||
			     !window_free(w & ~(2 * len - 1), 2 * len)))
				want[k]++;
	}
	for (k = PMEM_MAX_ORDER; k >= 0; k--) {
		for (n = 0; take((unsigned)k) != 0; n++)
			;
		if (n != want[k])
			fail_msg("order %d: %llu blocks allocatable, %llu "
			         "expected", k, (unsigned long long)n,
			         (unsigned long long)want[k]);
	}
	assert_int_equal(pmem_free_pages(), 0);
}

static uint64_t take(unsigned order)
{
	uint64_t pa = pmem_alloc(order), i, pages = 1ull << order;

	if (pa == 0)
		return 0;
	if (pa & ((PG << order) - 1))
		fail_msg("0x%llx not aligned for order %u",
		         (unsigned long long)pa, order);
	assert_true(pa + (PG << order) <= MEM_SIZE);
	for (i = 0; i < pages; i++) {
		if (!allowed[pa / PG + i])
			fail_msg("page 0x%llx handed out but not allowed",
			         (unsigned long long)(pa + i * PG));
		if (shadow[pa / PG + i])
			fail_msg("page 0x%llx handed out twice",
			         (unsigned long long)(pa + i * PG));
		shadow[pa / PG + i] = 1;
	}
	return pa;
}

static void give(uint64_t pa, unsigned order)
{
	uint64_t i;

	for (i = 0; i < (1ull << order); i++)
		shadow[pa / PG + i] = 0;
	pmem_free(pa, order);
}

static void test_init_counts(void **state)
{
	(void)state;
	init_machine();
	assert_int_equal(count_allowed(), (0x1700000 - 0x3000 + 0xe00000) / PG);
	assert_int_equal(pmem_free_pages(), count_allowed());
	assert_int_equal(pmem_total_pages(), count_allowed());
	assert_int_equal(pmem_alloc(PMEM_MAX_ORDER + 1), 0);
	check_canonical();
}

static void test_exhaust_and_merge(void **state)
{
	static uint64_t got[NPG];
	uint64_t n = 0, i;
	unsigned k;

	(void)state;
	init_machine();
	while ((got[n] = take(0)) != 0)
		n++;
	assert_int_equal(n, count_allowed());
	assert_int_equal(pmem_free_pages(), 0);
	for (k = 0; k <= PMEM_MAX_ORDER; k++)
		assert_int_equal(pmem_alloc(k), 0);
	/* Free in a scrambled order: merging must still be complete. */
	for (i = 0; i < n; i++) {
		uint64_t j = i + (uint64_t)rand() % (n - i), t = got[i];

		got[i] = got[j];
		got[j] = t;
	}
	for (i = 0; i < n; i++)
		give(got[i], 0);
	assert_int_equal(pmem_free_pages(), pmem_total_pages());
	check_canonical();
}

static void test_orders_exact(void **state)
{
	unsigned k;

	(void)state;
	for (k = 0; k <= PMEM_MAX_ORDER; k++) {
		uint64_t n = 0;

		init_machine();
		while (take(k) != 0)
			n++;
		/* Every aligned window of this order is used, and only
		 * pages that fit no such window remain. */
		assert_int_equal(n, aligned_windows(k));
		assert_int_equal(pmem_free_pages(),
		                 count_allowed() - n * (1ull << k));
	}
}

struct live {
	uint64_t pa;
	unsigned order;
	uint8_t tag;
};

static void stamp(const struct live *l)
{
	uint64_t i;

	for (i = 0; i < (1ull << l->order); i++)
		memset(mem + l->pa + i * PG, l->tag, 32);
}

static void check_stamp(const struct live *l)
{
	uint64_t i;
	int j;

	for (i = 0; i < (1ull << l->order); i++)
		for (j = 0; j < 32; j++)
			if (mem[l->pa + i * PG + (uint64_t)j] != l->tag)
				fail_msg("allocated block 0x%llx overwritten",
				         (unsigned long long)l->pa);
}

static void test_random_stress(void **state)
{
	static struct live live[4096];
	size_t nlive = 0, it;
	uint64_t used = 0, total;

	(void)state;
	init_machine();
	total = pmem_total_pages();
	srand(2024);
	for (it = 0; it < 60000; it++) {
		if (nlive < 4096 && (nlive == 0 || rand() % 100 < 55)) {
			unsigned order = (unsigned)(rand() % 100 < 80 ?
			                 rand() % 3 : rand() % (PMEM_MAX_ORDER + 1));
			uint64_t pa = take(order);

			if (pa == 0)
				continue;
			live[nlive] = (struct live){ pa, order,
			                             (uint8_t)(1 + it % 250) };
			stamp(&live[nlive]);
			nlive++;
			used += 1ull << order;
		} else {
			size_t i = (size_t)rand() % nlive;

			check_stamp(&live[i]);
			give(live[i].pa, live[i].order);
			used -= 1ull << live[i].order;
			live[i] = live[--nlive];
		}
		assert_int_equal(pmem_free_pages(), total - used);
	}
	while (nlive > 0) {
		check_stamp(&live[nlive - 1]);
		give(live[nlive - 1].pa, live[nlive - 1].order);
		nlive--;
	}
	assert_int_equal(pmem_free_pages(), total);
	check_canonical();
}

static void test_fatal_paths(void **state)
{
	/* volatile: live across the setjmp in EXPECT_FATAL */
	volatile uint64_t a, b, before;

	(void)state;
	init_machine();
	a = take(0);
	b = take(3);
	before = pmem_free_pages();
	give(a, 0);
	EXPECT_FATAL(pmem_free(a, 0), "double free");
	EXPECT_FATAL(pmem_free(b, 2), "wrong order");
	EXPECT_FATAL(pmem_free(b + PG, 0), "inside a block");
	EXPECT_FATAL(pmem_free(b + 8, 0), "misaligned");
	EXPECT_FATAL(pmem_free(b + 2 * PG, 3), "misaligned");
	EXPECT_FATAL(pmem_free(b, PMEM_MAX_ORDER + 1), "order too large");
	EXPECT_FATAL(pmem_free(0x1900000, 0), "not managed");   /* reserved */
	EXPECT_FATAL(pmem_free(STATE_LO, 0), "not managed");    /* the array */
	EXPECT_FATAL(pmem_free(0x9000, 0), "outside");          /* < min */
	EXPECT_FATAL(pmem_free(1ull << 40, 0), "outside");
	/* Nothing changed, and the lock was released each time. */
	assert_int_equal(pmem_free_pages(), before + 1);
	give(b, 3);
	assert_int_equal(pmem_free_pages(), pmem_total_pages());
	/* Freeing a page merged back into a bigger free block. */
	a = take(0);
	give(a, 0);
	EXPECT_FATAL(pmem_free(a, 0), "double free");
}

static void add_again_is_fatal(void)
{
	EXPECT_FATAL(pmem_add_range(0x1800000, 0x100000), "already managed");
}

static void test_add_range(void **state)
{
	uint64_t total, n, pa, hits = 0;

	(void)state;
	init_machine();
	total = pmem_total_pages();
	/* Unaligned edges are shrunk inward. */
	assert_int_equal(pmem_add_range(0x1800800, 0xff000), 0xfe);
	add_again_is_fatal();
	/* Below min_addr or outside the span adds nothing. */
	assert_int_equal(pmem_add_range(0x10000, 0x10000), 0);
	assert_int_equal(pmem_add_range(0x4000000, 0x100000), 0);
	assert_int_equal(pmem_total_pages(), total + 0xfe);
	assert_int_equal(pmem_free_pages(), total + 0xfe);
	for (n = 0x1801000; n < 0x18ff000; n += PG)
		allowed[n / PG] = 1;
	while ((pa = take(0)) != 0)
		hits += pa >= 0x1800000 && pa < 0x1900000;
	assert_int_equal(hits, 0xfe);
	/* A fresh allocator: add the whole boot-reclaim range; it merges
	 * with its usable neighbour into bigger blocks. */
	init_machine();
	assert_int_equal(pmem_add_range(0x1800000, 0x100000), 256);
	for (n = 0x1800000; n < 0x1900000; n += PG)
		allowed[n / PG] = 1;
	check_canonical();
}

static void test_init_failures(void **state)
{
	static const struct boot_mmap_entry none[] = {
		{ 0x0, 0x100000, BOOT_MEM_RESERVED, 0 },
	};
	static const struct boot_mmap_entry sparse[] = {
		{ 0x100000, 0x1000, BOOT_MEM_USABLE, 0 },
		{ 0x40000000000ull, 0x1000, BOOT_MEM_USABLE, 0 },
	};
	static const struct boot_mmap_entry low[] = {
		{ 0x0, 0x10000, BOOT_MEM_USABLE, 0 },
	};
	uint64_t pa, n = 0;

	(void)state;
	assert_int_equal(pmem_init(none, 1, 0, (uintptr_t)mem), -1);
	assert_int_equal(pmem_alloc(0), 0);
	assert_int_equal(pmem_init(sparse, 2, 0, 0), -1);  /* never touched */
	assert_int_equal(pmem_init(map, NMAP, 0x3000000, (uintptr_t)mem), -1);
	assert_int_equal(pmem_free_pages(), 0);
	/* min_addr 0: page 0 is still never handed out (0 means failure). */
	assert_int_equal(pmem_init(low, 1, 0, (uintptr_t)mem), 0);
	while ((pa = pmem_alloc(0)) != 0) {
		assert_true(pa >= 2 * PG && pa < 0x10000);  /* 1 page of state */
		n++;
	}
	assert_int_equal(n, 14);
}

/* ---- spinlock and allocator under two threads ---- */

static struct spinlock lk = SPINLOCK_INIT;
static volatile uint64_t counter;

static void *bump(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 200000; i++) {
		spin_lock(&lk);
		counter = counter + 1;
		spin_unlock(&lk);
	}
	return NULL;
}

static void *churn(void *arg)
{
	uint8_t tag = (uint8_t)(uintptr_t)arg;
	uint64_t held[64];
	unsigned ord[64], i, r, seed = tag;
	int round;

	for (round = 0; round < 300; round++) {
		for (i = 0; i < 64; i++) {
			seed = seed * 1103515245u + 12345u;
			ord[i] = (seed >> 16) % 4;
			held[i] = pmem_alloc(ord[i]);
			if (held[i] != 0)
				memset(mem + held[i], tag, PG << ord[i]);
		}
		for (i = 0; i < 64; i++) {
			if (held[i] == 0)
				continue;
			for (r = 0; r < (PG << ord[i]); r += 512)
				if (mem[held[i] + r] != tag)
					return (void *)1;
			pmem_free(held[i], ord[i]);
		}
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t1, t2;
	void *r1, *r2;

	(void)state;
	assert_true(spin_trylock(&lk));
	assert_true(spin_held(&lk));
	assert_false(spin_trylock(&lk));
	spin_unlock(&lk);
	assert_false(spin_held(&lk));
	counter = 0;
	pthread_create(&t1, NULL, bump, NULL);
	pthread_create(&t2, NULL, bump, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	assert_int_equal(counter, 400000);

	init_machine();
	pthread_create(&t1, NULL, churn, (void *)(uintptr_t)0x11);
	pthread_create(&t2, NULL, churn, (void *)(uintptr_t)0x22);
	pthread_join(t1, &r1);
	pthread_join(t2, &r2);
	assert_null(r1);
	assert_null(r2);
	assert_int_equal(pmem_free_pages(), pmem_total_pages());
}

static int setup(void **state)
{
	(void)state;
	mem = aligned_alloc(PG, MEM_SIZE);
	return mem == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	free(mem);
	return 0;
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_counts),
		cmocka_unit_test(test_exhaust_and_merge),
		cmocka_unit_test(test_orders_exact),
		cmocka_unit_test(test_random_stress),
		cmocka_unit_test(test_fatal_paths),
		cmocka_unit_test(test_add_range),
		cmocka_unit_test(test_init_failures),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests_name("pmem", tests, setup, teardown);
}

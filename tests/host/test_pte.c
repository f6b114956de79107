/*
 * test_pte.c - host tests of x86_64 leaf-PTE composition (arch/x86_64/pte.h).
 *
 * TCG ignores memory types, so a device mapped write-back would work in
 * QEMU and fail on hardware; these tests pin the bits instead.  The truth
 * is the Intel SDM (vol. 3, "Memory Type Ranges... PAT"): a 4 KiB leaf
 * selects PAT entry PAT*4 + PCD*2 + PWT, and the power-on IA32_PAT value
 * 0x0007040600070406 has WB at 0, WT at 1, UC- at 2 and UC at 3.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "arch/arch.h"
#include "arch/x86_64/pte.h"

#define NX (1ull << 63)

static uint64_t bits(unsigned prot, uint64_t nx)
{
	return x86_pte_leaf_bits(prot, nx, VM_W, VM_X, VM_UC);
}

static void test_bit_positions(void **state)
{
	(void)state;
	/* SDM table "Format of a Page-Table Entry that Maps a 4-KByte Page" */
	assert_int_equal(PTE_P, 0x1);
	assert_int_equal(PTE_W, 0x2);
	assert_int_equal(PTE_PWT, 0x8);
	assert_int_equal(PTE_PCD, 0x10);
	assert_int_equal(PTE_PAT4K, 0x80);
	assert_true(PTE_NX == 0x8000000000000000ull);
}

static void test_device_memory_is_strong_uc(void **state)
{
	(void)state;
	uint64_t f = bits(VM_R | VM_W | VM_UC, NX);
	assert_true(f == (PTE_P | PTE_W | PTE_PCD | PTE_PWT | NX));
	assert_int_equal(x86_pte_pat_index(f), 3);
	/* with the power-on PAT, index 3 is UC (not UC-, which WC MTRRs
	 * could weaken to WC) */
	assert_int_equal(x86_pat_type(X86_PAT_POWER_ON, x86_pte_pat_index(f)), X86_PAT_UC);
	/* read-only device memory keeps the type */
	f = bits(VM_R | VM_UC, NX);
	assert_true(f == (PTE_P | PTE_PCD | PTE_PWT | NX));
}

static void test_ordinary_memory_is_wb(void **state)
{
	(void)state;
	static const unsigned prots[] = { VM_R, VM_R | VM_W, VM_R | VM_X, VM_R | VM_W | VM_X };
	for (unsigned i = 0; i < 4; i++) {
		uint64_t f = bits(prots[i], NX);
		assert_int_equal(x86_pte_pat_index(f), 0);
		assert_int_equal(x86_pat_type(X86_PAT_POWER_ON, 0), X86_PAT_WB);
		assert_int_equal(!!(f & PTE_W), !!(prots[i] & VM_W));
		assert_int_equal(!!(f & NX), !(prots[i] & VM_X));
		assert_false(f & PTE_PAT4K);
	}
}

static void test_no_nx_cpu(void **state)
{
	(void)state;
	/* a CPU without NX must never see bit 63 (it is reserved there) */
	assert_true(bits(VM_R, 0) == PTE_P);
	assert_true(bits(VM_R | VM_W | VM_UC, 0) == (PTE_P | PTE_W | PTE_PCD | PTE_PWT));
}

static void test_pat_decoding(void **state)
{
	(void)state;
	static const unsigned want[8] = { X86_PAT_WB, X86_PAT_WT, X86_PAT_UCM, X86_PAT_UC,
	                                  X86_PAT_WB, X86_PAT_WT, X86_PAT_UCM, X86_PAT_UC };
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(x86_pat_type(X86_PAT_POWER_ON, i), want[i]);
	assert_int_equal(x86_pte_pat_index(PTE_PAT4K | PTE_PWT), 5);
	assert_int_equal(x86_pte_pat_index(PTE_PCD), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bit_positions),
		cmocka_unit_test(test_device_memory_is_strong_uc),
		cmocka_unit_test(test_ordinary_memory_is_wb),
		cmocka_unit_test(test_no_nx_cpu),
		cmocka_unit_test(test_pat_decoding),
	};
	return cmocka_run_group_tests_name("pte", tests, NULL, NULL);
}

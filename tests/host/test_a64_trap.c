/*
 * test_a64_trap.c - host tests of the aarch64 abort decode
 * (arch/aarch64/trap.h: a64_fault_access), the VM_ACCESS_* bits the fault
 * path gives kernel_page_fault.
 *
 * Independent truth: syndromes composed here from the ARM ARM's field
 * positions (EC bits 31:26, IL bit 25, CM bit 8, WnR bit 6, DFSC/IFSC
 * bits 5:0 with 0b0001LL translation, 0b0010LL access flag, 0b0011LL
 * permission faults), and the three ESR values the boot test image's
 * real faults produced on QEMU (tests/system.cases: a64_dtboot_fault,
 * a64_dtboot_stack_guard, a64_dtboot_wx).
 * Context: host only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "arch/arch.h"
#include "arch/aarch64/trap.h"

static uint64_t esr(unsigned ec, int wnr, int cm, unsigned fsc)
{
	return ((uint64_t)ec << 26) | (1ull << 25) | ((uint64_t)cm << 8) | ((uint64_t)wnr << 6) | fsc;
}

static unsigned acc(uint64_t e)
{
	return a64_fault_access(e, VM_ACCESS_PRESENT, VM_ACCESS_WRITE, VM_ACCESS_USER,
	                        VM_ACCESS_EXEC);
}

static void seen_on_qemu(void **state)
{
	(void)state;
	assert_int_equal(acc(0x96000005), 0);                          /* read, translation L1 */
	assert_int_equal(acc(0x96000047), VM_ACCESS_WRITE);            /* write, translation L3 */
	assert_int_equal(acc(0x9600004f), VM_ACCESS_WRITE | VM_ACCESS_PRESENT);  /* W^X */
}

static void composed(void **state)
{
	(void)state;
	for (unsigned level = 0; level < 4; level++) {
		assert_int_equal(acc(esr(0x25, 0, 0, 0x04 | level)), 0);
		assert_int_equal(acc(esr(0x25, 1, 0, 0x04 | level)), VM_ACCESS_WRITE);
		assert_int_equal(acc(esr(0x25, 0, 0, 0x08 | level)), VM_ACCESS_PRESENT);
		assert_int_equal(acc(esr(0x25, 1, 0, 0x0c | level)), VM_ACCESS_PRESENT | VM_ACCESS_WRITE);
		assert_int_equal(acc(esr(0x21, 0, 0, 0x04 | level)), VM_ACCESS_EXEC);
		assert_int_equal(acc(esr(0x21, 0, 0, 0x0c | level)), VM_ACCESS_EXEC | VM_ACCESS_PRESENT);
		assert_int_equal(acc(esr(0x24, 1, 0, 0x0c | level)),
		                 VM_ACCESS_USER | VM_ACCESS_WRITE | VM_ACCESS_PRESENT);
		assert_int_equal(acc(esr(0x20, 0, 0, 0x04 | level)), VM_ACCESS_USER | VM_ACCESS_EXEC);
	}
	/* a cache maintenance instruction reports WnR = 1: not a write */
	assert_int_equal(acc(esr(0x25, 1, 1, 0x07)), 0);
	/* address size faults and external aborts are not present */
	assert_int_equal(acc(esr(0x25, 0, 0, 0x00)), 0);
	assert_int_equal(acc(esr(0x25, 0, 0, 0x10)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seen_on_qemu),
		cmocka_unit_test(composed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

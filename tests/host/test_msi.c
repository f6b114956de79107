/*
 * test_msi.c - host tests of the x86 MSI message format and device-vector
 * range (arch/x86_64/msi.c).
 *
 * Truth: Intel SDM vol. 3, "Message Signalled Interrupts": the address is
 * 0xFEE in bits 31-20, the destination APIC id in bits 19-12, RH bit 3 and
 * DM bit 2 (both 0: physical, no redirection hint); the data has the
 * vector in bits 7-0, delivery mode in 10-8 (000 fixed), level in 14 and
 * trigger mode in 15 (0 edge).  Vectors 0-31 are reserved for exceptions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "arch/arch.h"

static void test_message_format(void **state)
{
	(void)state;
	uint64_t addr;
	uint32_t data;
	assert_int_equal(arch_msi_compose(0x0108, 0, 0x30, &addr, &data), 0);
	assert_true(addr == 0xfee00000u);
	assert_int_equal(data, 0x30);
	assert_int_equal(arch_msi_compose(0x0108, 0xab, 0xef, &addr, &data), 0);
	assert_true(addr == 0xfeeab000u);
	assert_true((addr & 0xc) == 0);            /* physical, no redirection hint */
	assert_int_equal(data & 0xff, 0xef);
	assert_int_equal((data >> 8) & 7, 0);      /* fixed delivery */
	assert_int_equal((data >> 15) & 1, 0);     /* edge */
	assert_true((addr >> 32) == 0);            /* upper address dword 0 */
}

static void test_refused(void **state)
{
	(void)state;
	uint64_t addr = 1;
	uint32_t data = 1;
	/* an 8-bit destination cannot name APIC id 256 (no remapping) */
	assert_int_equal(arch_msi_compose(0x0108, 256, 0x30, &addr, &data), -1);
	/* exception vectors cannot be message targets */
	assert_int_equal(arch_msi_compose(0x0108, 0, 0x1f, &addr, &data), -1);
	assert_int_equal(arch_msi_compose(0x0108, 0, 0x100, &addr, &data), -1);
}

static void test_vector_range(void **state)
{
	(void)state;
	unsigned first, last;
	arch_irq_vector_range(&first, &last);
	assert_true(first >= 32);
	assert_true(first <= last);
	/* the kernel's fixed vectors (kernel/cpu/irq.h) start at 0xf0 */
	assert_true(last < 0xf0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_format),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_vector_range),
	};
	return cmocka_run_group_tests_name("msi", tests, NULL, NULL);
}

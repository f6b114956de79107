/*
 * isa_code.c - tests/target/isa_code.h on x86_64: `ret` is the byte 0xc3;
 * the instruction cache is coherent with stores (nothing to maintain).
 */
#include <string.h>
#include "arch/arch.h"
#include "tests/target/isa_code.h"

extern char boot_stack_guard[];

void isa_fill_ret(void *p, size_t len)
{
	memset(p, 0xc3, len);
}

void *isa_boot_stack_guard(void)
{
	return boot_stack_guard;
}

unsigned isa_try_exec_fault(void)
{
	return ARCH_TRAP_DATA_FAULT + 1;   /* #PF, with the fetch bit in its error code */
}

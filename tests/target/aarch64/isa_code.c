/*
 * isa_code.c - tests/target/isa_code.h on aarch64: `ret` is the word
 * 0xd65f03c0; the data cache is cleaned and the instruction cache
 * invalidated to the point of unification over the range, by the line
 * sizes CTR_EL0 gives (the architecture does not keep them coherent;
 * QEMU does not model them).
 */
#include <stdint.h>
#include "arch/arch.h"
#include "arch/aarch64/a64.h"
#include "tests/target/isa_code.h"

void isa_fill_ret(void *p, size_t len)
{
	uint32_t *w = p;
	uintptr_t lo = (uintptr_t)p, hi = lo + len;
	uint64_t dline = a64_dcache_line();
	uint64_t iline = 4ull << (A64_SYSREG_READ(ctr_el0) & 0xf);   /* IminLine */

	for (size_t i = 0; i < len / 4; i++)
		w[i] = 0xd65f03c0u;
	for (uintptr_t a = lo & ~(uintptr_t)(dline - 1); a < hi; a += dline)
		__asm__ volatile("dc cvau, %0" :: "r"(a) : "memory");
	__asm__ volatile("dsb ish" ::: "memory");
	for (uintptr_t a = lo & ~(uintptr_t)(iline - 1); a < hi; a += iline)
		__asm__ volatile("ic ivau, %0" :: "r"(a) : "memory");
	__asm__ volatile("dsb ish\n isb" ::: "memory");
}

extern char a64_boot_stack_guard[];

void *isa_boot_stack_guard(void)
{
	return a64_boot_stack_guard;
}

unsigned isa_try_exec_fault(void)
{
	return 0x21 + 1;   /* instruction abort taken without a change in EL */
}

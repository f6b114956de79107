/*
 * cpu_test.c - on-target tests of CPU set-up: floating point and SIMD
 * work (SSE on x86_64, FP/NEON on aarch64: newlib's string routines use
 * them), the cycle counter runs and has a frequency, the kernel formatter
 * prints what it should, symbols name functions.  That exceptions arrive
 * with the right number is per ISA: tests/target/<isa>/trap_test.c.
 */
#include <stdint.h>
#include <string.h>
#include "arch/arch.h"
#include "kernel/ktest.h"
#include "kernel/lib/kprintf.h"
#include "kernel/ksyms.h"

KTEST(simd_works)
{
	volatile double a = 1.5, b = 2.25;
	double c = a * b + 0.125;
	KASSERT(c > 3.499 && c < 3.501);
	char buf[32];
	memset(buf, 'x', sizeof(buf));  /* newlib's SIMD string code */
	KASSERT_EQ(buf[31], 'x');
}

KTEST(cycles_run)
{
	uint64_t a = arch_cycles();
	for (volatile int i = 0; i < 1000; i++)
		;
	uint64_t b = arch_cycles();
	KASSERT(b > a);
	KASSERT(arch_cycles_hz() > 1000000);  /* at least 1 MHz */
}

KTEST(kprintf_formats)
{
	char b[64];
	ksnprintf(b, sizeof(b), "%d|%5u|%-4x|%08lx|%s|%.2s|%c", -12, 34u, 0xabu, 0xdeadbeeful,
	          "ok", "xyz", 'q');
	KASSERT(strcmp(b, "-12|   34|ab  |deadbeef|ok|xy|q") == 0);
	int n = ksnprintf(b, 4, "%s", "truncated");
	KASSERT_EQ(n, 9);
	KASSERT(strcmp(b, "tru") == 0);
}

KTEST(ksyms_names_functions)
{
	uintptr_t off;
	const char *n = ksyms_lookup((uintptr_t)kprintf + 3, &off);
	KASSERT(n != NULL);
	KASSERT(strcmp(n, "kprintf") == 0);
	KASSERT_EQ(off, 3);
	KASSERT(ksyms_lookup(0x10, &off) == NULL);
}

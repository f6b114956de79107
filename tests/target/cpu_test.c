/*
 * cpu_test.c - on-target tests of CPU set-up: exceptions are delivered
 * with the right vector, SSE works, the cycle counter runs and has a
 * frequency, the kernel formatter prints what it should.
 */
#include <stdint.h>
#include <string.h>
#include "arch/arch.h"
#include "kernel/ktest.h"
#include "kernel/lib/kprintf.h"
#include "kernel/ksyms.h"

static void do_int3(void *p) { (void)p; __asm__ volatile("int3"); }
static void do_ud2(void *p) { (void)p; __asm__ volatile("ud2"); }
static void do_div0(void *p)
{
	volatile int z = (int)(uintptr_t)p;
	volatile int r = 10 / z;
	(void)r;
}

KTEST(trap_vectors)
{
	KASSERT_EQ(arch_try(do_int3, NULL), 3 + 1);
	KASSERT_EQ(arch_try(do_ud2, NULL), 6 + 1);
	KASSERT_EQ(arch_try(do_div0, NULL), 0 + 1);
	/* after three recovered faults the machine still works */
	KASSERT_EQ(arch_try(do_div0, (void *)1), 0);
}

KTEST(sse_works)
{
	volatile double a = 1.5, b = 2.25;
	double c = a * b + 0.125;
	KASSERT(c > 3.499 && c < 3.501);
	char buf[32];
	memset(buf, 'x', sizeof(buf));  /* newlib's SSE string code */
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

/*
 * trap_test.c - on-target test that x86_64 exceptions arrive with their
 * vector: arch_try returns vector + 1 for #BP (int3), #UD (ud2) and #DE
 * (a division by zero), and the machine keeps working after them.
 */
#include <stdint.h>
#include "arch/arch.h"
#include "kernel/ktest.h"

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

/*
 * trap_test.c - on-target test that aarch64 exceptions arrive with their
 * class: arch_try returns ESR_EL1.EC + 1 for BRK (EC 0x3c) and for an
 * undefined instruction (UDF: EC 0x00, "unknown reason"); an integer
 * division by zero does not trap on aarch64 (SDIV gives 0), which is
 * checked too; the machine keeps working after them.
 */
#include <stdint.h>
#include "arch/arch.h"
#include "kernel/ktest.h"

static void do_brk(void *p) { (void)p; __asm__ volatile("brk #0x7"); }
static void do_udf(void *p) { (void)p; __asm__ volatile("udf #0"); }
static volatile int quotient = -1;
static void do_div0(void *p)
{
	volatile int z = (int)(uintptr_t)p;
	quotient = 10 / z;
}

KTEST(trap_vectors)
{
	KASSERT_EQ(arch_try(do_brk, NULL), 0x3c + 1);
	KASSERT_EQ(arch_try(do_udf, NULL), 0x00 + 1);
	KASSERT_EQ(arch_try(do_div0, NULL), 0);
	KASSERT_EQ(quotient, 0);
	KASSERT_EQ(arch_try(do_div0, (void *)2), 0);
	KASSERT_EQ(quotient, 5);
}

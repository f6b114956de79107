/*
 * null_deref.c - system test: a load through a NULL pointer must stop the
 * machine with a crash report.
 *
 * Purpose: proves that page 0 is unmapped, that #PF reaches the kernel's
 * crash path, and that the backtrace names the faulting function (poke).
 * Expected: `tally: FATAL: ...`, `backtrace:`, a frame naming `poke`,
 * then exit status 70 (see tests/system.cases).
 *
 * The pointer is read from a volatile object so the compiler cannot see
 * that it is NULL and replace the load with a trap instruction; poke() is
 * noinline so it has a frame of its own.
 */
#include <stdio.h>

static int *volatile null_ptr;

__attribute__((noinline)) static int poke(int *p)
{
	return *(volatile int *)p;
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("null_deref: reading address %p\n", (void *)null_ptr);
	fflush(stdout);
	int v = poke(null_ptr);
	printf("null_deref: survived, read %d\n", v);
	return 0;
}

/*
 * div_zero.c - system test: integer division by zero must stop the machine
 * with a crash report.
 *
 * Purpose: proves that #DE reaches the kernel's crash path and that the
 * backtrace names the faulting function (divide).  Expected: `tally:
 * FATAL: ...`, `backtrace:`, a frame naming `divide`, exit status 70.
 *
 * The divisor is read from a volatile object so the division happens at
 * run time; divide() is noinline so it has a frame of its own.
 */
#include <stdio.h>

static volatile int zero;

__attribute__((noinline)) static int divide(int a, int b)
{
	return a / b;
}

int main(int argc, char **argv)
{
	(void)argv;
	printf("div_zero: dividing by %d\n", zero);
	fflush(stdout);
	int q = divide(argc + 41, zero);
	printf("div_zero: survived, quotient %d\n", q);
	return 0;
}

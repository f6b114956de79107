/*
 * stack_overflow.c - system test: unbounded recursion must hit the stack
 * guard and stop the machine with a crash report, never corrupt memory.
 *
 * Purpose: proves that the stack has an unmapped guard below it, that a
 * fault on it is reported even though the stack is exhausted (the handler
 * must run on a stack of its own), and that the backtrace names the
 * recursing function.  Expected: `tally: FATAL: ...`, `backtrace:`, a
 * frame naming `recurse`, exit status 70.
 *
 * Each frame owns a volatile array that is written before and read after
 * the recursive call at indices known only at run time, so the compiler
 * can neither shrink or drop the array nor turn the recursion into a loop.  The volatile `stop` flag is never set; it
 * gives the function a base case so the compiler does not warn.
 */
#include <stdio.h>

static volatile int stop;
static volatile unsigned long deepest;

__attribute__((noinline)) static int recurse(unsigned long depth)
{
	volatile char pad[512];

	unsigned long i = depth % sizeof pad;

	pad[i] = (char)depth;
	deepest = depth;
	if (stop)
		return pad[i];
	return recurse(depth + 1) + pad[i];
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("stack_overflow: recursing\n");
	fflush(stdout);
	int r = recurse(0);
	printf("stack_overflow: survived at depth %lu (%d)\n", deepest, r);
	return 0;
}

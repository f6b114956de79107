/*
 * kstack_overflow.c - system test: a kernel stack overflows.  The program
 * is linked into the kernel, so it can run a function on its CPU's syscall
 * stack (a 64 KiB kernel stack with a guard page below, where sbrk's page
 * allocation runs) through cpu_syscall; the function recurses without end.
 * Expected: a crash report naming the stack ("stack overflow", the guard
 * of 'syscall stack'), a backtrace through `kdeep`, status 70: the fault is
 * handled on the page-fault handler's own IST stack, not on the full one.
 */
#include <stdint.h>
#include <stdio.h>

int cpu_syscall(int (*fn)(void *), void *arg);

__attribute__((noinline)) static int kdeep(void *arg)
{
	volatile char pad[256];
	uintptr_t d = (uintptr_t)arg;
	pad[d % sizeof(pad)] = (char)d;
	return kdeep((void *)(d + 1)) + pad[(d * 7) % sizeof(pad)];
}

int main(void)
{
	printf("kstack_overflow: recursing on the syscall stack\n");
	fflush(stdout);
	cpu_syscall(kdeep, (void *)1);
	printf("kstack_overflow: survived\n");
	return 0;
}

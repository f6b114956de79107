/*
 * triple_fault.c - system test: the negative control of the reset proofs.
 *
 * Purpose: the reset cases (tests/system.cases: reset_*) count as proof
 * only if the harness can tell a real reset from a triple fault, since
 * QEMU's QMP reports both as SHUTDOWN reason guest-reset under -no-reboot.
 * This program triple-faults on purpose (an empty IDT, then an exception:
 * the CPU cannot deliver it, nor the double fault that follows), and its
 * case expects QEMU's -d cpu_reset log to say "Triple fault".  If that
 * line ever stopped appearing, this case fails instead of the reset cases
 * passing blind.  It prints `triple_fault: now` first.
 */
#include <stdio.h>

int main(void)
{
	static const struct __attribute__((packed)) {
		unsigned short limit;
		unsigned long base;
	} none = { 0, 0 };

	printf("triple_fault: now\n");
	fflush(stdout);
	__asm__ volatile("cli; lidt %0; int3" ::"m"(none));
	printf("triple_fault: still running\n");
	return 1;
}

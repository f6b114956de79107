/*
 * ipi_deaf.c - system test: a CPU stops answering IPIs (boot with
 * apfail=ID:ipi: that CPU hangs with interrupts off at its first IPI
 * call).  argv[1] picks what asks it:
 *   call       an IPI function call
 *   shootdown  a TLB shootdown
 *   shrink     a goroutine stack shrink (gstack frees pages only after
 *              its shootdown is confirmed)
 * Expected: a warning naming the CPU after 1 s (or half of ipitimeout=),
 * then a kernel panic naming it at ipitimeout=, status 70; never
 * "survived".  The caller must not run on the deaf CPU itself: the kernel
 * hook refuses then, and this program sleeps and retries.
 */
#include <stdio.h>
#include <string.h>
#include <tally.h>

int testhook_ipi_deaf(int mode);

/* Each level owns ~1000 bytes of stack, written so nothing is elided. */
__attribute__((noinline)) static unsigned dig(unsigned depth)
{
	volatile char pad[1000];
	pad[depth % sizeof(pad)] = (char)depth;
	if (depth == 0)
		return pad[0];
	return dig(depth - 1) + pad[depth % sizeof(pad)];
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "call";
	printf("ipi_deaf: %s\n", what);
	fflush(stdout);
	int mode = strcmp(what, "call") == 0 ? 0 : strcmp(what, "shootdown") == 0 ? 1 : 2;
	for (int tries = 0; tries < 1000; tries++) {
		if (mode == 2)
			dig(1024);  /* ~1 MiB of stack mapped, for the shrink to release */
		if (testhook_ipi_deaf(mode) == 0)
			break;
		tally_sleep(1000000);  /* on the deaf CPU itself: move */
	}
	printf("ipi_deaf: survived\n");
	return 0;
}

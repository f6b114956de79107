/*
 * refclock.c - the HPET as a reference clock for tests (see refclock.h).
 *
 * HPET registers: 0x00 capabilities (bits 63:32 the counter period in
 * femtoseconds, bit 13 a 64-bit counter), 0x10 general configuration (bit
 * 0 runs the main counter; no timer interrupt is enabled here), 0xf0 the
 * main counter.  Read through the direct map, as the calibration does.
 */
#include <string.h>
#include "arch/arch.h"
#include "kernel/machine.h"
#include "tests/target/refclock.h"

static volatile uint64_t *hpet;
static uint64_t period_fs;

int refclock_init(void)
{
	if (hpet)
		return 1;
	struct arch_clock_ref ref;
	memset(&ref, 0, sizeof(ref));
	if (machine && machine->clock_refs)
		machine->clock_refs(&ref);
	if (!ref.hpet_addr)
		return 0;
	volatile uint64_t *h = (volatile uint64_t *)(uintptr_t)ref.hpet_addr;
	uint64_t cap = h[0];
	uint64_t fs = cap >> 32;
	if (fs == 0 || fs > 100000000ull || !(cap & (1u << 13)))
		return 0;
	h[2] |= 1;
	period_fs = fs;
	hpet = h;
	return 1;
}

uint64_t refclock_ns(void)
{
	uint64_t c = hpet[30];
	return c / 1000000 * period_fs + c % 1000000 * period_fs / 1000000;
}

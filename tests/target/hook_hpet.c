/*
 * hook_hpet.c - a clock the ledger does not use, for system-test
 * applications that check the ledger against independent truth.
 *
 * Purpose: testhook_hpet_ns() reads the HPET main counter (the machine
 * description's clock reference, machine->clock_refs) and converts it to
 * nanoseconds with the period the HPET itself reports.  The ledger counts
 * TSC cycles and converts with the TSC frequency calibrated at boot
 * against the ACPI PM timer (or the HPET when there is no PM timer), so
 * comparing the two checks the ledger's elapsed time and that frequency.
 * Like hooks.c, nothing in the kernel calls it; an app declares the
 * prototype it uses.
 * Context: any thread; reads device memory through the direct map (the
 * first 4 GiB, device space included, are mapped at their physical
 * address); the first call enables the counter if the firmware left it
 * off (boot-time calibration may not have touched the HPET).
 */
#include <stdint.h>
#include "arch/arch.h"
#include "kernel/machine.h"

static volatile uint64_t *hpet;
static uint64_t period_fs;

/* The HPET main counter in ns since an arbitrary origin; 0 when the
 * machine has no HPET (or one with a nonsense period). */
uint64_t testhook_hpet_ns(void)
{
	if (!hpet) {
		struct arch_clock_ref ref = { 0 };
		if (machine->clock_refs)
			machine->clock_refs(&ref);
		if (!ref.hpet_addr)
			return 0;
		volatile uint64_t *h = (volatile uint64_t *)(uintptr_t)ref.hpet_addr;
		uint64_t p = h[0] >> 32;         /* capabilities: period in fs */
		if (p == 0 || p > 100000000ull)
			return 0;
		h[2] |= 1;                       /* general config: counter on */
		period_fs = p;
		hpet = h;
	}
	uint64_t c = hpet[30];                   /* 0xf0: main counter */
	return (uint64_t)((unsigned __int128)c * period_fs / 1000000u);
}

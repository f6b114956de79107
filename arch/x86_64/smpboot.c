/*
 * smpboot.c - starting application processors (INIT-SIPI-SIPI).
 *
 * Purpose: arch_start_cpu() copies trampoline.S to TRAMP_BASE, maps that
 * page executable for the duration, fills in CR3/EFER/stack/entry/arg and
 * sends INIT, then up to two SIPIs, to one CPU, waiting for it to set its
 * `started` flag.  A CPU that does not answer within the timeout is
 * reported by the caller and left out: boot goes on.
 *
 * Waiting: the BSP must not spin while the AP boots: under QEMU's icount
 * round-robin a spinning vCPU can keep the whole budget and the AP never
 * runs.  waits are hlt-based with the local timer armed (x86_delay).
 *
 * Locking: APs are started one at a time by the boot CPU.
 * Context: boot CPU, after arch_timer_init, with interrupts off (they are
 * enabled only inside the halts).
 */
#include <string.h>
#include "arch/arch.h"
#include "arch/x86_64/x86.h"
#include "kernel/panic.h"

#define TRAMP_BASE 0x8000ull

extern const char tramp_start[], tramp_end[], tramp_data[];
void x86_send_init(uint32_t hwid);
void x86_send_sipi(uint32_t hwid, uint32_t page);

struct tramp_data {
	uint64_t cr3, efer, stack, entry, arg;
};

/* Wait until *flag != 0 or ns pass; halts between checks (the caller's
 * timer interrupt handler must re-arm or ignore spurious deadlines). */
static int wait_flag(volatile int *flag, uint64_t ns)
{
	uint64_t hz = arch_cycles_hz();
	uint64_t end = arch_cycles() + ns * (hz / 1000000) / 1000 + 1;
	while (!(flag && *flag)) {
		uint64_t now = arch_cycles();
		if (now >= end)
			return -1;
		/* wake at least every 100 us to re-check */
		uint64_t step = hz / 10000;
		arch_timer_arm(now + step < end ? now + step : end);
		arch_wait_for_interrupt();
	}
	return 0;
}

int arch_start_cpu(uint32_t hwid, void (*entry)(void *), void *arg, uintptr_t stack_top,
                   volatile int *started, uint64_t timeout_ns)
{
	size_t len = (size_t)(tramp_end - tramp_start);
	uint64_t pa;
	unsigned prot;
	if (arch_translate(TRAMP_BASE, &pa, &prot) < 0 || pa != TRAMP_BASE)
		panic("smpboot: trampoline page 0x%lx is not identity-mapped", (uint64_t)TRAMP_BASE);
	if (arch_map_page(TRAMP_BASE, TRAMP_BASE, VM_R | VM_W) < 0)
		panic("smpboot: cannot map the trampoline page");
	memcpy((void *)TRAMP_BASE, tramp_start, len);
	struct tramp_data *d = (struct tramp_data *)(TRAMP_BASE + (size_t)(tramp_data - tramp_start));
	uint64_t cr3 = read_cr3();
	if (cr3 >> 32)
		panic("smpboot: kernel page tables above 4 GiB");
	d->cr3 = cr3;
	d->efer = (1u << 8) | (arch_has_nx() ? EFER_NXE : 0);
	d->stack = stack_top;
	d->entry = (uint64_t)entry;
	d->arg = (uint64_t)arg;
	arch_map_page(TRAMP_BASE, TRAMP_BASE, VM_R | VM_X);  /* W^X while it runs */

	x86_send_init(hwid);
	wait_flag(NULL, 10000000);                   /* 10 ms after INIT */
	x86_send_sipi(hwid, TRAMP_BASE >> 12);
	int rc = wait_flag(started, 1000000);       /* 1 ms */
	if (rc < 0) {
		x86_send_sipi(hwid, TRAMP_BASE >> 12);
		rc = wait_flag(started, timeout_ns);
	}
	arch_map_page(TRAMP_BASE, TRAMP_BASE, VM_R | VM_W);  /* back to data */
	return rc;
}

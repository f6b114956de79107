/*
 * timer.c - the Arm generic timer as arch/arch.h's per-core timer, and
 * the wait for an interrupt.
 *
 * Purpose: each core has its own timers (ARM ARM D11): the virtual one
 * (CNTV_*_EL0, counting CNTVCT_EL0) and the non-secure physical one
 * (CNTP_*_EL0, counting CNTPCT_EL0), each raising a private interrupt
 * (PPI) when its count passes its compare value (CVAL) while enabled and
 * not masked.  That is a one-shot deadline in hardware, so arch_timer_arm
 * writes the deadline into CVAL and needs no calibration.  The tick uses
 * the virtual timer when the device tree gives its PPI (QEMU's virt: PPI
 * 11, INTID 27), else the physical one (timer_set_ppi, from virt.c).
 *
 * Deadlines are CNTVCT_EL0 values (the port's arch_cycles()).  On the
 * physical timer they are moved by CNTPCT - CNTVCT (CNTVOFF_EL2, which
 * head.S zeroes when entered at EL2 and a hypervisor may set) read at
 * arming time, so both timers fire at the same instant for the same
 * deadline.  A deadline already past fires at once (the condition is
 * CNT >= CVAL).  The interrupt is level-triggered and stays asserted
 * while the condition holds, so the handler must re-arm (a later
 * deadline) or disarm (0: ENABLE cleared); the kernel's timer_irq always
 * does (kernel/cpu/timer.c, program()).
 *
 * arch_wait_for_interrupt: WFI with interrupts still masked (a pending
 * interrupt wakes WFI whatever PSTATE.I says, so none is lost between
 * the caller's check and the sleep), then unmask for an instant so the
 * interrupt is taken, and mask again.
 *
 * Data structures: which timer and its INTID, set once at boot.
 * Invariants: CTL is written after CVAL, with an ISB after, so the
 * timer never runs with a stale compare value.
 * Context: arch_timer_init on each CPU once (boot: after the GIC; AP:
 * after arch_intc_init_ap); arch_timer_arm any context, interrupts off.
 */
#include <stdint.h>
#include "arch/arch.h"
#include "arch/aarch64/a64.h"
#include "arch/aarch64/gic.h"

#define CTL_ENABLE 1ull

static int physical;
static uint32_t ppi;

void timer_set_ppi(int phys, uint32_t intid)
{
	physical = phys;
	ppi = intid;
}

const char *arch_timer_name(void)
{
	return physical ? "cntp" : "cntv";
}

static void disarm(void)
{
	if (physical)
		__asm__ volatile("msr cntp_ctl_el0, xzr\n isb" ::: "memory");
	else
		__asm__ volatile("msr cntv_ctl_el0, xzr\n isb" ::: "memory");
}

void arch_timer_init(unsigned vector)
{
	disarm();
	gic_set_timer_vector(ppi, vector);
	gic_ppi_enable(ppi, 1);
}

void arch_timer_arm(uint64_t deadline)
{
	if (!deadline) {
		disarm();
		return;
	}
	if (physical) {
		uint64_t p, v;

		/* CNTVCT first: CNTPCT read later can only make the offset
		 * larger, so the interrupt is never early */
		__asm__ volatile("isb\n mrs %0, cntvct_el0\n isb\n mrs %1, cntpct_el0" : "=r"(v), "=r"(p) :: "memory");
		__asm__ volatile("msr cntp_cval_el0, %0\n msr cntp_ctl_el0, %1\n isb"
		                 :: "r"(deadline + (p - v)), "r"(CTL_ENABLE) : "memory");
	} else {
		__asm__ volatile("msr cntv_cval_el0, %0\n msr cntv_ctl_el0, %1\n isb"
		                 :: "r"(deadline), "r"(CTL_ENABLE) : "memory");
	}
}

void arch_wait_for_interrupt(void)
{
	__asm__ volatile("dsb sy\n wfi\n msr daifclr, #2\n isb\n msr daifset, #2" ::: "memory");
}

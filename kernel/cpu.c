/*
 * cpu.c - the per-CPU array and the boot CPU's early set-up (cpu.h).
 */
#include "kernel/cpu.h"

struct cpu cpus[CPU_MAX];
static unsigned ncpu_online = 1;

unsigned cpu_count(void) { return __atomic_load_n(&ncpu_online, __ATOMIC_ACQUIRE); }

void cpu_set_online_count(unsigned n) { __atomic_store_n(&ncpu_online, n, __ATOMIC_RELEASE); }

void cpu_early_init(void)
{
	struct cpu *c = &cpus[0];
	c->arch.self = c;
	c->arch.index = 0;
	arch_cpu_set_local(c);
	ledger_start(&c->ledger, arch_cycles(), LC_KERN_BOOT);
	c->online = 1;
}

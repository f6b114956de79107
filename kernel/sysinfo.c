/*
 * sysinfo.c - the machine facts behind rt/include/tally.h's tally_sysinfo().
 * Context: any thread; reads boot-time data only (plus the free-page count).
 */
#include "rt/include/tally.h"
#include "arch/arch.h"
#include "kernel/console.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/timer.h"
#include "kernel/kernel.h"
#include "kernel/mem/pmem.h"

/* The time since boot, as plat_nanotime (the runtime's) and the C
 * library's gettimeofday and times have it. */
uint64_t tally_nanotime(void) { return timer_cycles_to_ns(arch_cycles() - kernel_boot_cycles); }

void tally_sysinfo(struct tally_sysinfo *si)
{
	const struct boot_info *bi = kernel_boot_info;
	si->arch = ARCH_NAME;
	si->boot_loader = bi->loader;
	si->cpu_model = arch_cpu_model();
	si->cpus_online = cpu_count();
	si->cycles_hz = arch_cycles_hz();
	si->cycles_source = arch_cycles_source();
	si->cycles_invariant = arch_cycles_invariant();
	si->mem_usable = kernel_mem_usable;
	si->mem_free = pmem_free_pages() * PMEM_PAGE_SIZE;
	si->cmdline = bi->cmdline;
	si->console = console_name();
	si->acpi = bi->rsdp_len != 0;
}

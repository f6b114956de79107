/*
 * main.c - kernel_main(): from a struct boot_info to the application's main().
 *
 * Order, and why:
 *   0. the machine description (kernel/machine.h): it knows the console;
 *   1. boot options first: they choose the console port, and a typo must
 *      stop the boot before anything else happens (status 64);
 *   2. console, then "tally: start" (the harness's marker);
 *   3. CPU tables (GDT/TSS/IDT) so any later fault gets a crash report;
 *   4. memory: sanitize the map, reserve the kernel image and low 1 MiB,
 *      start the page allocator, switch to Tally's own page tables, then
 *      give the boot path's memory (BOOT_RECLAIM) to the allocator;
 *   5. clock (TSC frequency), regions (heap, main stack);
 *   6. on-target tests when test= is given, benchmarks with bench=, else
 *      the runtime (rt_main): main() runs as goroutine 1 on every CPU's M;
 *      its return value is the exit status.
 * Context: boot CPU, interrupts off throughout (the SMP/timer issue turns
 * them on).
 */
#include <stdlib.h>
#include <string.h>
#include "arch/arch.h"
#include "boot/dumpboot.h"
#include "kernel/bench.h"
#include "kernel/bootopt.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/cpu_options.h"
#include "kernel/mem/gstack.h"
#include "kernel/cpu/ipi.h"
#include "kernel/cpu/smp.h"
#include "kernel/cpu/timer.h"
#include "kernel/console.h"
#include "kernel/glue/glue.h"
#include "kernel/kernel.h"
#include "kernel/ledger.h"
#include "kernel/machine.h"
#include "kernel/lib/kprintf.h"
#include "kernel/ktest.h"
#include "kernel/mem/memmap.h"
#include "kernel/mem/mem_options.h"
#include "kernel/panic.h"
#include "kernel/mem/pmem.h"
#include "kernel/mem/vm.h"
#include "kernel/pci/pci.h"
#include "kernel/pci/pci_options.h"
#include "kernel/power.h"
#include "rt/rt.h"

#define MAIN_STACK_SIZE (256ull << 10)  /* M 0's scheduler stack (g0) */
#define HEAP_RESERVE    (64ull << 30)
#define LOW_RESERVED    (1ull << 20)

extern char _kernel_start[], _kernel_end[];

struct boot_info *kernel_boot_info;
uint64_t kernel_boot_cycles;
uint64_t kernel_mem_usable;
static struct bootopt_result args;

/* loglevel=3: how long each boot phase took (cycles; ns once known). */
static void phase(const char *name)
{
	static uint64_t prev;
	uint64_t now = arch_cycles(), hz = arch_cycles_hz();
	if (kopts.loglevel >= 3) {
		uint64_t d = now - (prev ? prev : kernel_boot_cycles);
		if (hz)
			kprintf("tally: phase %-10s %8lu us\n", name, (uint64_t)(d * 1000000ull / hz));
		else
			kprintf("tally: phase %-10s %8lu cycles\n", name, d);
	}
	prev = now;
}

static int is_ram(uint64_t base, uint64_t len)
{
	const struct boot_info *bi = kernel_boot_info;
	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		const struct boot_mmap_entry *e = &bi->mmap[i];
		if (e->type == BOOT_MEM_RESERVED || e->type == BOOT_MEM_BAD)
			continue;
		if (e->base < base + len && base < e->base + e->len)
			return 1;
	}
	return 0;
}

static void print_memmap(const struct boot_info *bi)
{
	for (uint32_t i = 0; i < bi->mmap_count; i++)
		kprintf("  mem 0x%012lx-0x%012lx %s\n", bi->mmap[i].base,
		        bi->mmap[i].base + bi->mmap[i].len, memmap_type_name(bi->mmap[i].type));
}

static void memory_init(struct boot_info *bi)
{
	int overflow = 0;
	size_t n = memmap_sanitize(bi->mmap, bi->mmap_count, BOOT_MMAP_MAX, &overflow);
	if (overflow)
		kprintf("tally: warning: memory map has more than %d entries; the rest is ignored\n",
		        BOOT_MMAP_MAX);
	uint64_t ks = (uint64_t)_kernel_start, ke = (uint64_t)_kernel_end;
	n = memmap_mark(bi->mmap, n, BOOT_MMAP_MAX, ks, ke - ks, BOOT_MEM_RESERVED);
	bi->mmap_count = (uint32_t)n;
	kernel_mem_usable = memmap_total(bi->mmap, n, BOOT_MEM_USABLE) +
	                    memmap_total(bi->mmap, n, BOOT_MEM_BOOT_RECLAIM);
	if (kopts.loglevel >= 2)
		print_memmap(bi);

	/* Switch to Tally's own page tables first: they are built from a
	 * static pool, so no allocator is needed, and afterwards every RAM
	 * page the allocator writes into is mapped. */
	uint64_t top = memmap_top(bi->mmap, n, BOOT_MEM_USABLE);
	uint64_t rtop = memmap_top(bi->mmap, n, BOOT_MEM_BOOT_RECLAIM);
	arch_vm_init(top > rtop ? top : rtop, is_ram);
	phase("pagetables");
	uint64_t dtop = arch_direct_map_top();
	if (top > dtop)
		kprintf("tally: warning: RAM above 0x%lx is not mapped and not used\n", dtop);
	if (pmem_init(bi->mmap, n, LOW_RESERVED, 0) < 0)
		panic("pmem: no usable memory range can hold the page allocator's state");
	phase("pmem");

	/* We now run on our own tables and stack: the boot path's memory
	 * (firmware page tables, loader data) is free RAM. */
	for (size_t i = 0; i < n; i++) {
		struct boot_mmap_entry *e = &bi->mmap[i];
		if (e->type != BOOT_MEM_BOOT_RECLAIM || e->base + e->len <= LOW_RESERVED)
			continue;
		uint64_t b = e->base < LOW_RESERVED ? LOW_RESERVED : e->base;
		uint64_t end = e->base + e->len < dtop ? e->base + e->len : dtop;
		if (end > b)
			pmem_add_range(b, end - b);
	}
}


/* ACPI tables are read through the direct map, and a table address is the
 * firmware's word, not a fact.  Read only what the memory map lists as
 * RAM or firmware memory (a hole may be device registers, BAD is bad) and
 * only pages that are really mapped: the kernel unmaps page 0 and guard
 * pages inside its own image, which the map calls RESERVED. */
const void *kernel_acpi_phys(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	const struct boot_info *bi = kernel_boot_info;
	const uint32_t ok = 1u << BOOT_MEM_USABLE | 1u << BOOT_MEM_RESERVED |
	                    1u << BOOT_MEM_ACPI_RECLAIM | 1u << BOOT_MEM_ACPI_NVS |
	                    1u << BOOT_MEM_BOOT_RECLAIM;
	uint64_t top = arch_direct_map_top(), tpa;
	unsigned prot;
	if (len == 0 || pa < 4096 || len > top || pa > top - len ||
	    !memmap_covers(bi->mmap, bi->mmap_count, pa, len, ok))
		return NULL;
	for (uint64_t pg = pa & ~(ARCH_PAGE_SIZE - 1); pg < pa + len; pg += ARCH_PAGE_SIZE)
		if (arch_translate(pg, &tpa, &prot) < 0 || tpa != pg)
			return NULL;
	return (const void *)(uintptr_t)pa;
}

static void clock_and_timers(void)
{
	struct arch_clock_ref ref;
	memset(&ref, 0, sizeof(ref));
	if (machine->clock_refs)
		machine->clock_refs(&ref);
	arch_clock_init(&ref);
	phase("clock");
	const char *why = "no interrupt controller";
	if (machine->intc_init(&why) < 0)
		panic("%s", why);
	cpus[0].arch.hwid = arch_cpu_hwid();
	ipi_init();
	timer_init_cpu(cpu_opts.tick_hz);
	ledger_measure_overhead();
	phase("timers");
}

/* On the boot CPU's program stack: start the runtime; main() runs as
 * goroutine 1 and its return ends the program (exit: atexit handlers,
 * stdio flushed, then kernel_exit). */
static int bench_main(int argc, char **argv)
{
	(void)argc, (void)argv;
	return bench_run(kopts.bench, kopts.benchtime_ns, kopts.bench_count) ? EXIT_TEST_FAILED : 0;
}

static int run_main(void *arg)
{
	(void)arg;
	rt_set_quantum(kopts.quantum_ns);
	/* with bench=, the benchmarks are the program */
	rt_main(kopts.bench ? bench_main : main, args.argc, args.argv, 0);
}

_Noreturn void kernel_main(struct boot_info *bi)
{
	kernel_boot_info = bi;
	if (machine_probe(bi) < 0)
		arch_halt_forever();  /* no description of this machine: no console either */
	int bad = kopts_parse(bi->cmdline, &args);
	ledger_on = kopts.ledger;  /* ledger=off: no transition from here on */
	const struct console_ops *con = machine->console();
	if (con)
		console_init(con);
	kprintf("tally: start\n");
	if (bad) {
		kprintf("tally: FATAL: %s\n", args.err);
		kprintf("tally: boot options are key=value words, then -- and the program's arguments:\n");
		const struct bootopt *o;
		unsigned n = kopts_table(&o);
		for (unsigned i = 0; i < n; i++)
			kprintf("  %-9s %s\n", o[i].key, o[i].help);
		kernel_exit(EXIT_BAD_BOOT_OPTION);
	}
	if (kopts.dumpboot)
		boot_dump(kernel_boot_info);
	phase("options");
	arch_cpu_tables_init(0, NULL);
	phase("traps");
	memory_init(bi);
	phase("memory");
	machine->init(bi);
	vm_init();
	clock_and_timers();
	const struct machine_cpu *cpu_list;
	unsigned ncpu = machine->cpus(&cpu_list);
	smp_init(cpu_list, ncpu, cpu_opts.max_cpus);
	phase("smp");
	arch_irq_enable();  /* from here on the tick and IPIs reach this CPU */
	/* stackinit <= stackmax was checked with the boot options */
	if (gstack_init(mem_opts.stackmax, mem_opts.stackinit) < 0)
		panic("goroutine stacks: cannot reserve stackmax=%lu for stackinit=%lu",
		      mem_opts.stackmax, mem_opts.stackinit);
	cpus[0].syscall_top = cpu_syscall_stack_new();
	struct vm_region *heap = vm_region_create("heap", HEAP_RESERVE, 0);
	struct vm_region *stack = vm_region_create("scheduler stack", MAIN_STACK_SIZE, ARCH_PAGE_SIZE);
	if (!heap || !stack)
		panic("vm: cannot create the heap and main stack regions");
	if (vm_commit(stack, stack->base, stack->size, VM_R | VM_W) < 0)
		panic_oom("main stack", stack->size);
	syscalls_init(heap);
	phase("regions");
	pci_init(kopts.loglevel, pci_opts.pcidump);
	phase("pci");
	if (kopts.loglevel >= 1)
		kprintf("tally: %s, %lu MiB usable, %lu MiB free, console %s, %s, timer %s, tick %u Hz\n",
		        bi->loader, kernel_mem_usable >> 20, pmem_free_pages() >> 8, console_name(),
		        arch_intc_name(), arch_timer_name(), cpu_opts.tick_hz);

	if (kopts.test) {
		int failed = ktest_run(kopts.test);
		kernel_exit(failed ? EXIT_TEST_FAILED : 0);
	}

	arch_call_on_stack(stack->base + stack->size, run_main, NULL);
	panic("main returned through the stack switch");
}

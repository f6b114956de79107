/*
 * panic.c - crash reports and the single exit path.
 *
 * Purpose: whatever goes wrong (CPU exception, failed self-check, out of
 * memory) the console shows one report in a fixed shape and the machine
 * exits with a defined status; no path hangs or reboots.
 *   tally: FATAL: <title>
 *     <detail lines>
 *     <registers>
 *   backtrace:
 *     #0 0x<pc> <function>+0x<off>
 *   tally: exit <status>
 * The backtrace follows frame pointers (the kernel and applications are
 * built with -fno-omit-frame-pointer) and checks every frame is mapped
 * before reading it, so a corrupt stack ends the walk instead of faulting.
 *
 * Invariants: a second fatal error while reporting (nesting > 1) skips
 * straight to the exit so a broken report cannot loop.
 * Context: any; interrupts are disabled first.
 */
#include <stdarg.h>
#include <stdio.h>
#include "arch/arch.h"
#include "kernel/panic.h"
#include "kernel/kprintf.h"
#include "kernel/ksyms.h"
#include "kernel/kernel.h"
#include "kernel/cpu.h"
#include "kernel/smp.h"
#include "kernel/pmem.h"
#include "kernel/vm.h"

static volatile int nesting;

static void frame_line(int i, uintptr_t pc)
{
	uintptr_t off;
	const char *name = ksyms_lookup(pc, &off);
	if (name)
		kprintf("  #%d 0x%016lx %s+0x%lx\n", i, pc, name, off);
	else
		kprintf("  #%d 0x%016lx ?\n", i, pc);
}

void backtrace_print(uintptr_t pc, uintptr_t fp, int max)
{
	kprintf("backtrace:\n");
	int i = 0;
	frame_line(i++, pc);
	uintptr_t ret;
	while (fp && i < max) {
		if (arch_next_frame(&fp, &ret) < 0) {
			kprintf("  (frame pointer 0x%lx unreadable: end of trace)\n", fp);
			return;
		}
		if (!ret)
			break;
		/* ret points after the call; -1 names the calling line's function */
		frame_line(i++, ret - 1);
	}
	if (fp && i >= max)
		kprintf("  ... (more frames not shown)\n");
}

static volatile int fatal_cpu = -1;

int fatal_begin(void)
{
	unsigned long f = arch_irq_save();  /* the index read stays ours */
	int me = (int)cpu_index(), none = -1;
	int first = __atomic_compare_exchange_n(&fatal_cpu, &none, me, 0, __ATOMIC_SEQ_CST,
	                                        __ATOMIC_SEQ_CST);
	arch_irq_restore(f);
	if (first)
		return 1;
	if (none == me)
		return 0;
	arch_halt_forever();
}

static int enter(void)
{
	arch_irq_disable();
	return ++nesting;
}

_Noreturn void kernel_exit(int status)
{
	fflush(stdout);
	fflush(stderr);
	if (kopts.ledger && nesting == 0)
		ledger_report(1);
	kprintf("tally: exit %d\n", status);
	arch_exit(status);
}

static _Noreturn void die(int status)
{
	if (nesting > 1) {
		kprintf("tally: exit %d\n", status);
		arch_exit(status);
	}
	kernel_exit(status);
}

_Noreturn void panic(const char *fmt, ...)
{
	if (enter() > 2)
		arch_exit(EXIT_CRASH);
	va_list ap;
	va_start(ap, fmt);
	kprintf("\ntally: FATAL: kernel panic: ");
	kvprintf(fmt, ap);
	kprintf("\n");
	va_end(ap);
	backtrace_print((uintptr_t)__builtin_return_address(0), arch_current_fp(), 32);
	die(EXIT_CRASH);
}

_Noreturn void panic_oom(const char *what, uint64_t bytes)
{
	if (enter() > 2)
		arch_exit(EXIT_OOM);
	kprintf("\ntally: FATAL: out of memory: %s needed %lu bytes\n", what, bytes);
	vm_print_stats();
	backtrace_print((uintptr_t)__builtin_return_address(0), arch_current_fp(), 32);
	die(EXIT_OOM);
}

_Noreturn void panic_trap(const struct trap_frame *tf, const char *title, const char *detail,
                          uint64_t fault_addr, int has_addr)
{
	if (enter() > 2)
		arch_exit(EXIT_CRASH);
	char region[160];
	uintptr_t pc = arch_frame_pc(tf), off;
	const char *fn = ksyms_lookup(pc, &off);
	int guard = has_addr && vm_describe(fault_addr, region, sizeof(region)) == VM_DESCR_GUARD;

	if (guard)
		kprintf("\ntally: FATAL: stack overflow: %s in %s\n", title, fn ? fn : "?");
	else
		kprintf("\ntally: FATAL: %s in %s\n", title, fn ? fn : "?");
	if (detail && *detail)
		kprintf("  %s\n", detail);
	if (has_addr) {
		if (fault_addr < 4096)
			kprintf("  NULL pointer dereference\n");
		else if (vm_describe(fault_addr, region, sizeof(region)) != VM_DESCR_NONE)
			kprintf("  %s\n", region);
	}
	arch_dump_frame(tf);
	backtrace_print(pc, arch_frame_fp(tf), 24);
	die(EXIT_CRASH);
}

/* The page allocator's self-checks end here (pmem.h). */
void pmem_fatal(const char *msg) { panic("pmem: %s", msg); }

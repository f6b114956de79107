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
 * One CPU ends the machine.  The first CPU to reach the exit path claims
 * `owner`: a fatal error through fatal_begin() (kernel panics, CPU
 * exception reports, goroutine stack overflows, the runtime's fatal
 * errors), or a clean exit through kernel_exit().  It stops every other
 * CPU (smp_stop_others: NMI, so CPUs with interrupts off stop too) before
 * it prints, so the report is whole and no other CPU's output runs into
 * it; from then on it runs alone, and printing takes no lock a stopped CPU
 * may hold (console.c bypasses its lock, libc_locks.c takes newlib's locks
 * over).  A CPU that hits a fatal error after that halts quietly: two
 * CPUs failing at once give one report, the first one's.
 * A clean exit (main returned, exit(), the on-target test runner) first
 * gathers the ledger by IPI and flushes stdio while the others still run
 * and answer, then claims and stops them, then prints the ledger and the
 * exit line alone: goroutines still running on other CPUs are abandoned
 * mid-stride, as Go's exit does, and their output cannot split the ledger.
 * A crash prints no ledger (the others cannot answer the IPIs of a
 * gather); its stdio flush takes over the locks the stopped CPUs held.
 *
 * Invariants: owner != 0 => the other CPUs are stopped or being stopped by
 * the owner and never print again; nesting counts fatal_begin() calls on
 * the owner: a second fatal error while reporting (nesting 2) prints at
 * most its first line and exits, a third exits at once, so a broken report
 * cannot loop.
 * Context: any; interrupts are disabled first.
 */
#include <stdarg.h>
#include <stdio.h>
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/panic.h"
#include "kernel/ledger.h"
#include "kernel/lib/kprintf.h"
#include "kernel/ksyms.h"
#include "kernel/kernel.h"
#include "kernel/console.h"
#include "kernel/cpu/smp.h"
#include "kernel/mem/pmem.h"
#include "kernel/mem/vm.h"
#include "kernel/power.h"

static volatile unsigned owner;  /* CPU index + 1 on the exit path; 0: none */
static int nesting;              /* fatal_begin() calls on the owner; it alone writes */

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

/* The backtrace of the function that called panic: frame #0 is its call
 * site (the return address - 1: a call to a noreturn function can be the
 * last instruction of its function, so the return address itself may name
 * the next one), then its callers.  Inlined into each panic function, so
 * the frame pointer read here is that function's. */
static inline __attribute__((always_inline)) void caller_backtrace(void)
{
	uintptr_t fp = arch_current_fp(), ret;
	if (arch_next_frame(&fp, &ret) == 0)
		backtrace_print(ret - 1, fp, 32);
	else
		backtrace_print((uintptr_t)__builtin_return_address(0) - 1, 0, 32);
}

/* Make this CPU the owner of the exit path (interrupts off).  If another
 * CPU owns it, that CPU reports: halt quietly. */
static void claim(void)
{
	unsigned me = cpu_index() + 1, prev = 0;
	if (!__atomic_compare_exchange_n(&owner, &prev, me, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) &&
	    prev != me)
		smp_halt_self();
}

int fatal_begin(void)
{
	arch_irq_disable();
	claim();
	int n = ++nesting;
	if (n == 1)
		smp_stop_others();  /* at once if a clean exit stopped them */
	return n;
}

_Noreturn void kernel_exit(int status)
{
	status &= 0xff;  /* exit(-1) is 255, exit(256) 0: as POSIX's wait() sees it */
	unsigned long f = arch_irq_save();
	int crash = __atomic_load_n(&owner, __ATOMIC_ACQUIRE) == cpu_index() + 1 && nesting > 0;
	arch_irq_restore(f);  /* a crash had them off already */
	if (crash && nesting > 1) {
		/* a fatal error while reporting one: the flush may be what failed */
		kprintf("tally: exit %d\n", status);
		power_exit(status);
	}
	if (!crash && kopts.ledger)
		ledger_gather();  /* by IPI: while the others still answer */
	fflush(stdout);       /* crash: alone, taking over the stopped CPUs' locks */
	fflush(stderr);
	/* the ledger and the exit line start lines of their own, whatever
	 * the program's last output left (a harness reads the exit line) */
	if (!console_at_line_start())
		console_write("\n", 1);
	if (!crash) {
		arch_irq_disable();
		claim();
		smp_stop_others();
		if (kopts.ledger)
			ledger_print();
		else
			ledger_print_off();
	}
	/* the exit line starts a line of its own, whatever the program's
	 * last output left (a harness reads it as the status) */
	kprintf("tally: exit %d\n", status);
	power_exit(status);
}

_Noreturn void panic(const char *fmt, ...)
{
	if (fatal_begin() > 2)
		arch_exit(EXIT_CRASH);
	va_list ap;
	va_start(ap, fmt);
	kprintf("\ntally: FATAL: kernel panic: ");
	kvprintf(fmt, ap);
	kprintf("\n");
	va_end(ap);
	caller_backtrace();
	kernel_exit(EXIT_CRASH);
}

_Noreturn void panic_oom(const char *what, uint64_t bytes)
{
	if (fatal_begin() > 2)
		arch_exit(EXIT_OOM);
	kprintf("\ntally: FATAL: out of memory: %s needed %lu bytes\n", what, bytes);
	vm_print_stats();
	caller_backtrace();
	kernel_exit(EXIT_OOM);
}

_Noreturn void panic_trap(const struct trap_frame *tf, const char *title, const char *detail,
                          uint64_t fault_addr, int has_addr)
{
	if (fatal_begin() > 2)
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
	kernel_exit(EXIT_CRASH);
}

/* The page allocator's self-checks end here (pmem.h). */
void pmem_fatal(const char *msg) { panic("pmem: %s", msg); }

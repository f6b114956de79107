/*
 * panic.h - fatal errors: crash reports and defined exit statuses.
 *
 * Every fatal path starts with fatal_begin() and ends in
 * kernel_exit(status) with one of these statuses, after a report on the
 * console whose first line starts "tally: FATAL:" (the runtime's reports
 * start "fatal error:" / "panic:" and exit with 2).
 */
#ifndef TALLY_PANIC_H
#define TALLY_PANIC_H

#include <stdint.h>

#define EXIT_BAD_BOOT_OPTION 64
#define EXIT_CRASH           70   /* CPU exception, kernel panic */
#define EXIT_OOM             71
#define EXIT_TEST_FAILED     1

struct trap_frame;

/* Enter the fatal path: the first thing every fatal error does before it
 * prints (kernel panic, CPU exception report, goroutine stack overflow,
 * and the runtime's fatal errors through the platform).  Disables
 * interrupts on this CPU, which stay off.  Returns how many fatal errors
 * this CPU is in:
 *   1  the first in the machine: every other CPU has been stopped (NMI,
 *      bounded wait; one that did not stop is named on the console), and
 *      this CPU now prints alone: the console and newlib's locks wait for
 *      no stopped CPU.  Report, then kernel_exit(status).
 *   2+ a fatal error while this CPU reports one (a fault in the report):
 *      at 2 print at most a line, then kernel_exit (it only prints the
 *      exit line); above 2, arch_exit at once.
 * A caller on another CPU once some CPU owns the exit path does not
 * return: it halts quietly (the owner reports; two CPUs failing at once
 * give one report).  After it, the caller must not block, wait for
 * another CPU or enable interrupts.  Context: any. */
int fatal_begin(void);
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Out of memory in the kernel: report what was asked and exit EXIT_OOM. */
_Noreturn void panic_oom(const char *what, uint64_t bytes);
/* Report a fatal CPU exception (called by the arch trap code). */
_Noreturn void panic_trap(const struct trap_frame *tf, const char *title,
                          const char *detail, uint64_t fault_addr, int has_addr);
/* Print "backtrace:" and up to max symbolized frames from (pc, fp). */
void backtrace_print(uintptr_t pc, uintptr_t fp, int max);
/* Leave the machine with status: flush stdio, print the exit line (after
 * a clean exit also the ledger, and stop the other CPUs first: a CPU that
 * finds another on the exit path halts quietly instead), exit. */
_Noreturn void kernel_exit(int status);

#endif

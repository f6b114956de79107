/*
 * panic.h - fatal errors: crash reports and defined exit statuses.
 *
 * Every fatal path ends in kernel_exit(status) with one of these statuses,
 * after a report on the console whose first line starts "tally: FATAL:".
 */
#ifndef TALLY_PANIC_H
#define TALLY_PANIC_H

#include <stdint.h>

#define EXIT_BAD_BOOT_OPTION 64
#define EXIT_CRASH           70   /* CPU exception, kernel panic */
#define EXIT_OOM             71
#define EXIT_TEST_FAILED     1

struct trap_frame;

_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Out of memory in the kernel: report what was asked and exit EXIT_OOM. */
_Noreturn void panic_oom(const char *what, uint64_t bytes);
/* Report a fatal CPU exception (called by the arch trap code). */
_Noreturn void panic_trap(const struct trap_frame *tf, const char *title,
                          const char *detail, uint64_t fault_addr, int has_addr);
/* Print "backtrace:" and up to max symbolized frames from (pc, fp). */
void backtrace_print(uintptr_t pc, uintptr_t fp, int max);
/* A fatal report is about to print on this CPU: 1 for the first caller
 * in the machine, 0 for a second call on the same CPU (cut the report
 * short); a caller on another CPU after the first halts quietly forever
 * (the first report wins).  Interrupts are left as they were. */
int fatal_begin(void);
/* Print the exit line, flush, and leave the machine with status. */
_Noreturn void kernel_exit(int status);

#endif

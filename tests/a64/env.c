/*
 * env.c - the kernel services arch/arch.h lets a port call (its "Part 2"),
 * as the boot test image provides them, and the test runner.
 *
 * Purpose: paging.c calls panic and pmem_alloc, preempt.S calls
 * preempt_entry_c; the kernel defines them, but kernel/ is not linked
 * for aarch64 yet.  Here: panic prints and leaves with status 70 (as the
 * kernel's does), pmem_alloc hands out pages (not zeroed) of a RAM
 * range the VM test chose, never taken back (the image runs one test
 * sequence and exits), preempt_entry_c calls the preemption test's
 * function.  The runner prints ktest-format lines (a64t.h).
 * Context: the boot CPU; pmem_alloc also from the exception path.
 */
#include <stdarg.h>
#include <string.h>
#include "arch/arch.h"
#include "arch/aarch64/a64.h"
#include "kernel/lib/kprintf.h"
#include "kernel/mem/pmem.h"
#include "kernel/panic.h"
#include "tests/a64/a64t.h"

static uint64_t pm_next, pm_end;
void (*a64t_preempt_fn)(void);
const struct fdt_info *a64t_info;

_Noreturn void panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	kprintf("panic: %s\n", buf);
	a64_exit(70);
}

void a64t_pmem_range(uint64_t lo, uint64_t hi)
{
	pm_next = (lo + 4095) & ~4095ull;
	pm_end = hi & ~4095ull;
}

uint64_t pmem_alloc(unsigned order)
{
	uint64_t size = 4096ull << order, a = (pm_next + size - 1) & ~(size - 1);
	if (order > 10 || a + size > pm_end || a < pm_next)
		return 0;
	pm_next = a + size;
	return a;
}

void preempt_entry_c(void);
void preempt_entry_c(void)
{
	if (a64t_preempt_fn)
		a64t_preempt_fn();
}

/* ---- the runner ---- */

static int failed_now;
static const char *running;

void a64t_fail(const char *file, int line, const char *what)
{
	kprintf("ktest: FAIL %s: %s:%d: %s\n", running ? running : "?", file, line, what);
	failed_now = 1;
}

void a64t_note(const char *fmt, ...)
{
	char buf[200];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	kprintf("ktest: NOTE %s: %s\n", running ? running : "?", buf);
}

extern const struct a64t __start_a64t[], __stop_a64t[];

static int matches(const char *name, const char *pat, size_t n)
{
	if (n == 3 && !strncmp(pat, "all", 3))
		return 1;
	if (n > 0 && pat[n - 1] == '*')
		return !strncmp(name, pat, n - 1);
	return strlen(name) == n && !strncmp(name, pat, n);
}

void a64t_run(const struct fdt_info *in, const char *cmdline)
{
	const char *p = cmdline;
	int passed = 0, failed = 0, any = 0;
	while ((p = strstr(p, "test=")) != NULL && p != cmdline && p[-1] != ' ')
		p += 5;
	if (!p)
		return;
	p += 5;
	size_t n = strcspn(p, " ");
	a64t_info = in;
	static struct arch_percpu cpu0;   /* arch_try's slot, TPIDR_EL1 */
	cpu0.self = &cpu0;
	arch_cpu_set_local(&cpu0);
	for (const struct a64t *t = __start_a64t; t < __stop_a64t; t++) {
		if (!matches(t->name, p, n))
			continue;
		any = 1;
		running = t->name;
		failed_now = 0;
		uint64_t t0 = arch_cycles();
		t->fn();
		uint64_t us = (arch_cycles() - t0) * 1000000 / A64_SYSREG_READ(cntfrq_el0);
		if (failed_now) {
			failed++;
		} else {
			passed++;
			kprintf("ktest: PASS %s (%llu us)\n", t->name, (unsigned long long)us);
		}
		running = NULL;
	}
	if (!any)
		kprintf("ktest: no test matches \"%.*s\"\n", (int)n, p);
	kprintf("ktest: done: %d passed, %d failed\n", passed, failed);
}

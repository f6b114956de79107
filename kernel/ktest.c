/*
 * ktest.c - the on-target test runner (see ktest.h for the line format).
 * Context: boot, after memory is up; single-threaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include "arch/arch.h"
#include "kernel/ktest.h"
#include "kernel/lib/kprintf.h"

extern const struct ktest __start_ktests[], __stop_ktests[];
static jmp_buf fail_jmp;
static const struct ktest *current;

_Noreturn void ktest_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
	char extra[128];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(extra, sizeof(extra), fmt, ap);
	va_end(ap);
	kprintf("ktest: FAIL %s: %s:%d: %s%s\n", current ? current->name : "?", file, line,
	        expr, extra[0] == ' ' && !extra[1] ? "" : extra);
	longjmp(fail_jmp, 1);
}

void ktest_note(const char *fmt, ...)
{
	char buf[200];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kprintf("ktest: NOTE %s: %s\n", current ? current->name : "?", buf);
}

static int match_one(const char *p, const char *pend, const char *s)
{
	if (p == pend)
		return *s == 0;
	if (*p == '*') {
		for (;; s++) {
			if (match_one(p + 1, pend, s))
				return 1;
			if (!*s)
				return 0;
		}
	}
	if (!*s)
		return 0;
	if (*p == '?' || *p == *s)
		return match_one(p + 1, pend, s + 1);
	return 0;
}

int ktest_glob_match(const char *pat, const char *name)
{
	while (*pat) {
		const char *end = strchr(pat, ',');
		if (!end)
			end = pat + strlen(pat);
		if (match_one(pat, end, name))
			return 1;
		pat = *end ? end + 1 : end;
	}
	return 0;
}

int ktest_run(const char *glob)
{
	int passed = 0, failed = 0;
	uint64_t hz = arch_cycles_hz();
	for (const struct ktest *t = __start_ktests; t < __stop_ktests; t++) {
		if (!ktest_glob_match(glob, t->name))
			continue;
		current = t;
		uint64_t t0 = arch_cycles();
		if (setjmp(fail_jmp) == 0) {
			t->fn();
			uint64_t us = hz ? (arch_cycles() - t0) * 1000000ull / hz : 0;
			kprintf("ktest: PASS %s (%lu us)\n", t->name, us);
			passed++;
		} else {
			failed++;
		}
		current = NULL;
	}
	if (passed + failed == 0)
		kprintf("ktest: no test matches \"%s\"\n", glob);
	kprintf("ktest: done: %d passed, %d failed\n", passed, failed);
	return failed + (passed + failed == 0);
}

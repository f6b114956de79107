/*
 * ktest.h - on-target tests, registered by macro, run at boot with test=.
 *
 *   KTEST(pmem_alloc_free) { KASSERT(pmem_alloc(0) != 0); }
 *
 * Each test is a descriptor in the "ktests" section (collected by
 * linker.ld between __start_ktests and __stop_ktests).  The runner prints
 * one machine-readable line per test:
 *   ktest: PASS <name> (<microseconds> us)
 *   ktest: FAIL <name>: <file>:<line>: <expression> [values]
 * and finally "ktest: done: N passed, M failed".  A failed KASSERT ends the
 * test at once (longjmp back to the runner); a CPU exception in a test is a
 * crash (report and status 70), which the harness counts as a failure.
 */
#ifndef TALLY_KTEST_H
#define TALLY_KTEST_H

#include <stdint.h>

struct ktest {
	const char *name;
	void (*fn)(void);
};

#define KTEST(n)                                                               \
	static void ktest_fn_##n(void);                                        \
	static const struct ktest ktest_desc_##n                               \
		__attribute__((used, section("ktests"), aligned(8))) = {       \
			#n, ktest_fn_##n };                                    \
	static void ktest_fn_##n(void)

_Noreturn void ktest_fail(const char *file, int line, const char *expr,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define KASSERT(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			ktest_fail(__FILE__, __LINE__, #c, " ");               \
	} while (0)

#define KASSERT_EQ(a, b)                                                       \
	do {                                                                   \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);               \
		if (a_ != b_)                                                  \
			ktest_fail(__FILE__, __LINE__, #a " == " #b,           \
			           " (0x%lx != 0x%lx)", a_, b_);              \
	} while (0)

/* Print "ktest: NOTE <test>: ..." (measurements; the harness ignores it). */
void ktest_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run the tests whose names match glob (* and ? wildcards; several globs
 * may be separated by ','). Returns the number of failures. */
int ktest_run(const char *glob);
/* Exposed for host tests. */
int ktest_glob_match(const char *pat, const char *name);

#endif

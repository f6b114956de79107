/*
 * test_regex.c - host tests of the benchmark-selection regex matcher
 * (kernel/lib/regex.c).
 *
 * Purpose: the matcher must agree with Go's regexp, which is what Go users
 * expect of -bench.  The reference is tests/host/regex_table.h, generated
 * by tools/regex-table.go from Go's own regexp package: for some 2300
 * patterns (every feature by hand, plus random patterns over a small
 * alphabet) it records Go's error code or whether each of ~46 subjects
 * matches.  The hand-written tests below cover what the table cannot:
 * Go's -bench habits spelled out, patterns refused here on purpose
 * (documented in regex.h), and hostile patterns that must stay fast
 * (linear time) and within the nesting bound.
 *
 * Context: host only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "kernel/lib/regex.h"
#include "tests/host/regex_table.h"

#define NSUBJ (sizeof rx_subjects / sizeof rx_subjects[0])

static void go_reference_table(void **state)
{
	size_t i, k, bad = 0;

	(void)state;
	for (i = 0; i < sizeof rx_rows / sizeof rx_rows[0]; i++) {
		const struct rx_row *r = &rx_rows[i];
		const char *e = regex_error(r->pat);

		if ((e == NULL) != (r->err == NULL) ||
		    (e != NULL && strcmp(e, r->err) != 0)) {
			if (bad++ < 20)
				print_error("pattern \"%s\": \"%s\", Go says \"%s\"\n",
				            r->pat, e ? e : "valid",
				            r->err ? r->err : "valid");
			continue;
		}
		if (e != NULL) {
			assert_false(regex_search(r->pat, "a"));
			continue;
		}
		assert_int_equal(strlen(r->match), NSUBJ);
		for (k = 0; k < NSUBJ; k++) {
			int m = regex_search(r->pat, rx_subjects[k]);

			if (m != r->match[k] - '0' && bad++ < 20)
				print_error("pattern \"%s\" on \"%s\": %d, Go "
				            "says %c\n", r->pat, rx_subjects[k],
				            m, r->match[k]);
		}
	}
	if (bad)
		fail_msg("%zu disagreements with Go's regexp", bad);
}

static void go_bench_habits(void **state)
{
	(void)state;
	assert_true(regex_search("(Spawn|Yield)", "BenchmarkSpawn"));
	assert_true(regex_search("(Spawn|Yield)", "BenchmarkYield"));
	assert_false(regex_search("(Spawn|Yield)", "BenchmarkIPIRoundTrip"));
	assert_true(regex_search("^Benchmark(Chan|Mutex)[A-Z]", "BenchmarkChanPingPong"));
	assert_true(regex_search(".", "anything"));
	assert_true(regex_search("IPI|Timer", "BenchmarkTimerReset"));
	assert_true(regex_search("(?i)ipi", "BenchmarkIPIRoundTrip"));
	assert_true(regex_search("Ledger(Transition)?$", "BenchmarkLedger"));
	assert_true(regex_search("^BenchmarkSpawn$", "BenchmarkSpawn"));
	assert_false(regex_search("^BenchmarkSpawn$", "BenchmarkSpawnJoin"));
	assert_true(regex_search("Spawn\\b", "Spawn-4"));
	assert_true(regex_search("a\\.b|[[:digit:]]{3}", "x123"));
}

static void errors_name_go_codes(void **state)
{
	(void)state;
	assert_string_equal(regex_error("("), "missing closing )");
	assert_string_equal(regex_error("a)"), "unexpected )");
	assert_string_equal(regex_error("[abc"), "missing closing ]");
	assert_string_equal(regex_error("[z-a]"), "invalid character class range");
	assert_string_equal(regex_error("a\\"), "trailing backslash at end of expression");
	assert_string_equal(regex_error("\\q"), "invalid escape sequence");
	assert_string_equal(regex_error("*a"), "missing argument to repetition operator");
	assert_string_equal(regex_error("a**"), "invalid nested repetition operator");
	assert_string_equal(regex_error("a{1001}"), "invalid repeat count");
	assert_string_equal(regex_error("(?x)"), "invalid or unsupported Perl syntax");
	assert_null(regex_error("(Spawn|Yield)"));
	assert_true(regex_valid("^a|b$"));
	assert_false(regex_valid("("));
	assert_false(regex_search("(", "("));  /* malformed matches nothing */
	assert_non_null(regex_error(NULL));
	assert_false(regex_search(NULL, "a"));
	assert_false(regex_search("a", NULL));
}

/* Valid in Go, refused here on purpose (regex.h lists them). */
static void refused_on_purpose(void **state)
{
	static char big[4096];

	(void)state;
	assert_non_null(regex_error("(?P<name>a)"));
	assert_non_null(regex_error("\\pL"));
	assert_non_null(regex_error("\\p{Greek}"));
	assert_non_null(regex_error("[\\pL]"));
	assert_string_equal(regex_error("a{600}"), "expression too large");
	assert_null(regex_error("a{500}"));
	assert_string_equal(regex_error("^a{3,500}$"), "expression too large");
	assert_true(regex_search("^a{3,200}$", "aaaa"));
	assert_false(regex_search("^a{3,200}$", "aa"));
	/* 511 instructions and a MATCH fit, 512 + MATCH do not */
	memset(big, 'x', 511);
	big[511] = '\0';
	assert_null(regex_error(big));
	big[511] = 'x';
	big[512] = '\0';
	assert_string_equal(regex_error(big), "expression too large");
}

static void nesting_is_bounded(void **state)
{
	char pat[300];
	int d;

	(void)state;
	for (d = 1; d <= 70; d++) {
		memset(pat, '(', (size_t)d);
		pat[d] = 'a';
		memset(pat + d + 1, ')', (size_t)d);
		pat[2 * d + 1] = '\0';
		if (d <= 64) {
			assert_null(regex_error(pat));
			assert_true(regex_search(pat, "xa"));
		} else {
			assert_string_equal(regex_error(pat),
			                    "expression nests too deeply");
		}
	}
	/* the same with (?: and flag groups */
	for (d = 0, pat[0] = '\0'; d < 65; d++)
		strcat(pat, "(?i:");
	assert_string_equal(regex_error(pat), "expression nests too deeply");
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Patterns that take a backtracking matcher exponential time run in
 * linear time here: 20000 bytes through each in well under a second even
 * under ASan. */
static void hostile_patterns_are_linear(void **state)
{
	static const char *const pats[] = {
		"(a*)*b", "(a|a)*c", "(x+x+)+y", "^(a?){30}a{30}$", "(.*)*x",
		"((a*)*|b)*c", "(a|aa)+$b", "([[:alpha:]]+)*[0-9]",
	};
	size_t n = 20000, i;
	char *s = malloc(n + 1);
	double t0, dt;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < sizeof pats / sizeof pats[0]; i++) {
		memset(s, pats[i][2] == 'x' || pats[i][1] == 'x' ? 'x' : 'a', n);
		s[n] = '\0';
		t0 = now();
		assert_false(regex_search(pats[i], s));
		dt = now() - t0;
		if (dt > 2.0)
			fail_msg("\"%s\" on %zu bytes took %.2f s", pats[i], n, dt);
	}
	memset(s, 'a', 60);
	s[60] = '\0';
	assert_true(regex_search("^(a?){30}a{30}$", s));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(go_reference_table),
		cmocka_unit_test(go_bench_habits),
		cmocka_unit_test(errors_name_go_codes),
		cmocka_unit_test(refused_on_purpose),
		cmocka_unit_test(nesting_is_bounded),
		cmocka_unit_test(hostile_patterns_are_linear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_regex.c - host tests of the benchmark-selection regex matcher.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kernel/regex.h"

static void literals_and_search(void **state)
{
	(void)state;
	assert_true(regex_search("IPI", "BenchmarkIPIRoundTrip"));
	assert_false(regex_search("ipi", "BenchmarkIPIRoundTrip"));
	assert_true(regex_search("", "anything"));
	assert_true(regex_search(".", "x"));
	assert_false(regex_search(".", ""));
}

static void anchors(void **state)
{
	(void)state;
	assert_true(regex_search("^Bench", "BenchmarkX"));
	assert_false(regex_search("^mark", "BenchmarkX"));
	assert_true(regex_search("Trip$", "IPIRoundTrip"));
	assert_false(regex_search("Round$", "IPIRoundTrip"));
	assert_true(regex_search("^IPIRoundTrip$", "IPIRoundTrip"));
}

static void repeats(void **state)
{
	(void)state;
	assert_true(regex_search("^a*b$", "b"));
	assert_true(regex_search("^a*b$", "aaab"));
	assert_false(regex_search("^a+b$", "b"));
	assert_true(regex_search("^a+b$", "ab"));
	assert_true(regex_search("^ab?c$", "ac"));
	assert_true(regex_search("^ab?c$", "abc"));
	assert_false(regex_search("^ab?c$", "abbc"));
	assert_true(regex_search("^.*Trip$", "IPIRoundTrip"));
	assert_true(regex_search("^a.*a.*a$", "abababa"));  /* backtracking */
}

static void classes_and_alternation(void **state)
{
	(void)state;
	assert_true(regex_search("^[A-Z][a-z]+$", "Timer"));
	assert_false(regex_search("^[A-Z][a-z]+$", "timer"));
	assert_true(regex_search("^[^0-9]+$", "abc"));
	assert_false(regex_search("^[^0-9]+$", "ab1"));
	assert_true(regex_search("Timer|IPI", "BenchmarkIPIRoundTrip"));
	assert_true(regex_search("Timer|IPI", "BenchmarkTimerInterrupt"));
	assert_false(regex_search("Timer|IPI", "BenchmarkLedgerTransition"));
	assert_true(regex_search("[|]", "a|b"));
	assert_true(regex_search("a\\.b", "a.b"));
	assert_false(regex_search("a\\.b", "axb"));
}

static void malformed_matches_nothing(void **state)
{
	(void)state;
	assert_false(regex_valid("[abc"));
	assert_false(regex_valid("*a"));
	assert_false(regex_valid("a\\"));
	assert_false(regex_valid("a**"));
	assert_false(regex_search("[abc", "abc"));
	assert_true(regex_valid("^a|b$"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(literals_and_search),
		cmocka_unit_test(anchors),
		cmocka_unit_test(repeats),
		cmocka_unit_test(classes_and_alternation),
		cmocka_unit_test(malformed_matches_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

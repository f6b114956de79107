/*
 * test_bootopt.c - host tests of kernel/bootopt.c.
 *
 * Purpose: the exact error messages (they are the user interface: each
 * names the offending word and what was expected), word splitting and
 * quoting, the "--" separator, argv limits, setter order and
 * bootopt_parse_u64's number syntax.  The option table mirrors the
 * kernel's keys (serial, test, loglevel, dumpboot) with local setters.
 *
 * Context: host only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/fixture.h"
#include "kernel/bootopt.h"

static char serial[32], test[256], order[256];
static unsigned long long loglevel;
static int dumpboot;
static const char *test_ptr;

static void note(const char *key)
{
	strcat(order, key);
	strcat(order, ";");
}

static int set_serial(const char *v, const char **why)
{
	unsigned long long port;

	note("serial");
	if ((strncmp(v, "com", 3) == 0 && v[3] >= '1' && v[3] <= '4' &&
	     v[4] == '\0') ||
	    (strncmp(v, "0x", 2) == 0 && bootopt_parse_u64(v, &port) == 0 &&
	     port <= 0xffff)) {
		snprintf(serial, sizeof serial, "%s", v);
		return 0;
	}
	*why = "expected com1|com2|com3|com4|0xPORT";
	return -1;
}

static int set_test(const char *v, const char **why)
{
	(void)why;
	note("test");
	snprintf(test, sizeof test, "%s", v);
	test_ptr = v;
	return 0;
}

static int set_loglevel(const char *v, const char **why)
{
	unsigned long long n;

	(void)why;
	note("loglevel");
	if (bootopt_parse_u64(v, &n) != 0 || n > 3)
		return -1;  /* why left NULL: the help text is used */
	loglevel = n;
	return 0;
}

static int set_dumpboot(const char *v, const char **why)
{
	note("dumpboot");
	if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
		*why = "expected 0|1";
		return -1;
	}
	dumpboot = v[0] == '1';
	return 0;
}

static const struct bootopt opts[] = {
	{ "serial", "com1|com2|com3|com4|0xPORT: serial console", set_serial },
	{ "test", "all|none|<glob>: on-target tests to run", set_test },
	{ "loglevel", "0..3: console verbosity", set_loglevel },
	{ "dumpboot", "0|1: print the boot information", set_dumpboot },
};
#define NOPTS (sizeof opts / sizeof opts[0])

static struct bootopt_result res;

static int parse(const char *line)
{
	serial[0] = test[0] = order[0] = '\0';
	loglevel = 99;
	dumpboot = -1;
	test_ptr = NULL;
	memset(&res, 0x5a, sizeof res);
	return bootopt_parse(line, opts, NOPTS, "tally", &res);
}

static void expect_err(const char *line, const char *msg)
{
	if (parse(line) != -1)
		fail_msg("\"%s\" was accepted", line);
	assert_string_equal(res.err, msg);
	assert_null(res.argv[res.argc]);
}

static void in_argbuf(const char *p)
{
	assert_true(p >= res.argbuf && p < res.argbuf + sizeof res.argbuf);
}

static void test_empty(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_int_equal(res.argc, 1);
	assert_string_equal(res.argv[0], "tally");
	assert_null(res.argv[1]);
	assert_string_equal(res.err, "");
	assert_int_equal(parse(NULL), 0);
	assert_int_equal(parse("  \t\n "), 0);
	assert_int_equal(res.argc, 1);
	assert_int_equal(parse("--"), 0);
	assert_int_equal(res.argc, 1);
	assert_string_equal(order, "");
}

static void test_full_line(void **state)
{
	(void)state;
	assert_int_equal(parse("serial=com2 loglevel=3\ttest=chan_* dumpboot=1 "
	                       "-- hello  \"big world\" -- x=y"), 0);
	assert_string_equal(serial, "com2");
	assert_int_equal(loglevel, 3);
	assert_string_equal(test, "chan_*");
	assert_int_equal(dumpboot, 1);
	assert_string_equal(order, "serial;loglevel;test;dumpboot;");
	assert_int_equal(res.argc, 5);
	assert_string_equal(res.argv[0], "tally");
	assert_string_equal(res.argv[1], "hello");
	assert_string_equal(res.argv[2], "big world");
	assert_string_equal(res.argv[3], "--");
	assert_string_equal(res.argv[4], "x=y");
	assert_null(res.argv[5]);
	for (int i = 0; i < res.argc; i++)
		in_argbuf(res.argv[i]);
	/* A setter may keep its pointer: it is inside argbuf and intact. */
	in_argbuf(test_ptr);
	assert_string_equal(test_ptr, "chan_*");
}

static void test_quotes(void **state)
{
	(void)state;
	assert_int_equal(parse("test=\"a b\" -- pre\"fix a\"b \"\" \"--\""), 0);
	assert_string_equal(test, "a b");
	assert_int_equal(res.argc, 4);
	assert_string_equal(res.argv[1], "prefix ab");
	assert_string_equal(res.argv[2], "");
	assert_string_equal(res.argv[3], "--");
	/* A quoted "--" before the separator is an option word, not one. */
	expect_err("\"--\" a", "boot option \"--\": not key=value "
	           "(application arguments go after \"--\")");
	expect_err("test=\"abc", "boot options: unterminated quote in: "
	           "test=\"abc");
	expect_err("-- \"abc  def", "boot options: unterminated quote in: "
	           "\"abc  def");
}

static void test_unknown_key(void **state)
{
	(void)state;
	expect_err("serail=com2", "boot option \"serail=com2\": unknown key; "
	           "valid keys: serial, test, loglevel, dumpboot");
	expect_err("serial=com1 Serial=com2", "boot option \"Serial=com2\": "
	           "unknown key; valid keys: serial, test, loglevel, dumpboot");
	expect_err("=x", "boot option \"=x\": empty key; valid keys: serial, "
	           "test, loglevel, dumpboot");
	expect_err("serialx=1", "boot option \"serialx=1\": unknown key; "
	           "valid keys: serial, test, loglevel, dumpboot");
	expect_err("ser=1", "boot option \"ser=1\": unknown key; "
	           "valid keys: serial, test, loglevel, dumpboot");
}

static void test_bad_values(void **state)
{
	(void)state;
	expect_err("serial=com9", "boot option \"serial=com9\": bad value: "
	           "expected com1|com2|com3|com4|0xPORT");
	expect_err("loglevel=4", "boot option \"loglevel=4\": bad value: "
	           "expected 0..3");
	expect_err("serial=", "boot option \"serial=\": empty value: expected "
	           "com1|com2|com3|com4|0xPORT");
	expect_err("test=", "boot option \"test=\": empty value: expected "
	           "all|none|<glob>");
	/* Setters run in order and the first error stops the parse. */
	expect_err("loglevel=2 dumpboot=2 serial=com9",
	           "boot option \"dumpboot=2\": bad value: expected 0|1");
	assert_string_equal(order, "loglevel;dumpboot;");
	/* '=' inside the value belongs to the value. */
	assert_int_equal(parse("test=a=b"), 0);
	assert_string_equal(test, "a=b");
	assert_int_equal(parse("serial=0x3f8"), 0);
	assert_string_equal(serial, "0x3f8");
}

static void test_duplicates_and_words(void **state)
{
	(void)state;
	expect_err("serial=com1 test=all serial=com2",
	           "boot option \"serial=com2\": duplicate key \"serial\" "
	           "(each key may be given once)");
	expect_err("serial=com1 serial=com1",
	           "boot option \"serial=com1\": duplicate key \"serial\" "
	           "(each key may be given once)");
	expect_err("serial=com1 verbose -- a",
	           "boot option \"verbose\": not key=value (application "
	           "arguments go after \"--\")");
	expect_err("hello", "boot option \"hello\": not key=value "
	           "(application arguments go after \"--\")");
	/* After "--" nothing is an option. */
	assert_int_equal(parse("-- serial=com9 serial=x"), 0);
	assert_int_equal(res.argc, 3);
	assert_string_equal(serial, "");
}

static void test_limits(void **state)
{
	static char line[4096];
	size_t i, n = 0;

	(void)state;
	n += (size_t)sprintf(line, "--");
	for (i = 0; i < 62; i++)
		n += (size_t)sprintf(line + n, " a%zu", i);
	assert_int_equal(parse(line), 0);
	assert_int_equal(res.argc, 63);
	assert_string_equal(res.argv[62], "a61");
	assert_null(res.argv[63]);
	sprintf(line + n, " z");
	expect_err(line, "boot options: too many application arguments "
	           "(at most 62)");
	/* Words that overflow argbuf. */
	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	memcpy(line, "-- ", 3);
	expect_err(line, "boot options: line too long: words exceed 2047 bytes");
	/* A long program name is cut, not an overflow. */
	{
		char prog[400];

		memset(prog, 'p', sizeof prog - 1);
		prog[sizeof prog - 1] = '\0';
		assert_int_equal(bootopt_parse("-- a", opts, NOPTS, prog, &res),
		                 0);
		assert_int_equal(strlen(res.argv[0]), 255);
		assert_string_equal(res.argv[1], "a");
	}
}

/*
 * Lines of 2040..2050 bytes ending in empty quoted words: the NUL of an
 * empty word needs a byte of argbuf too, so near the limit the parse either
 * succeeds with every argv inside argbuf or fails with "line too long";
 * nothing is written past argbuf (err follows it in the struct).
 */
static void test_empty_words_at_limit(void **state)
{
	static const char *const tails[] = {
		"\"\"", "\"\" \"\"", "\"\" \"\" \"\"", "\"\"\"\"", "x\"\"",
	};
	static char line[4096];
	size_t len, t, fill;
	int i, ok = 0, long_err = 0;

	(void)state;
	for (t = 0; t < sizeof tails / sizeof tails[0]; t++) {
		for (len = 2040; len <= 2050; len++) {
			/* "-- xxx...x <tail>", exactly len bytes */
			fill = len - 3 - 1 - strlen(tails[t]);
			memcpy(line, "-- ", 3);
			memset(line + 3, 'x', fill);
			line[3 + fill] = ' ';
			strcpy(line + 4 + fill, tails[t]);
			assert_int_equal(strlen(line), len);
			if (parse(line) != 0) {
				assert_string_equal(res.err, "boot options: line "
				                    "too long: words exceed 2047 "
				                    "bytes");
				long_err++;
				continue;
			}
			ok++;
			assert_string_equal(res.err, "");
			for (i = 0; i < res.argc; i++) {
				in_argbuf(res.argv[i]);
				assert_non_null(memchr(res.argv[i], '\0',
				        (size_t)(res.argbuf + sizeof res.argbuf -
				                 res.argv[i])));
			}
			assert_null(res.argv[res.argc]);
		}
	}
	/* Both outcomes occur in this range: the limit really is crossed. */
	assert_true(ok > 0);
	assert_true(long_err > 0);
	/* And the same with an option word holding the filler. */
	memcpy(line, "test=", 5);
	memset(line + 5, 'y', 2040);
	strcpy(line + 2045, " -- \"\" \"\"");
	if (parse(line) == 0) {
		for (i = 0; i < res.argc; i++)
			in_argbuf(res.argv[i]);
		in_argbuf(test_ptr);
	} else {
		assert_string_equal(res.err, "boot options: line too long: "
		                    "words exceed 2047 bytes");
	}
}

static void test_parse_u64(void **state)
{
	static const struct {
		const char *s;
		int rc;
		unsigned long long v;
	} cases[] = {
		{ "0", 0, 0 }, { "42", 0, 42 }, { "010", 0, 10 },
		{ "0x3f8", 0, 0x3f8 }, { "0X3F8", 0, 0x3f8 },
		{ "4k", 0, 4096 }, { "4K", 0, 4096 }, { "2m", 0, 2 << 20 },
		{ "1G", 0, 1ull << 30 }, { "0x10k", 0, 0x4000 },
		{ "18446744073709551615", 0, ~0ull },
		{ "0xffffffffffffffff", 0, ~0ull },
		{ "18446744073709551616", -1, 0 }, { "0x10000000000000000", -1, 0 },
		{ "17179869184G", -1, 0 }, { "16777215G", 0, 16777215ull << 30 },
		{ "", -1, 0 }, { "0x", -1, 0 }, { "k", -1, 0 }, { "-1", -1, 0 },
		{ "+1", -1, 0 }, { "12kb", -1, 0 }, { "1 ", -1, 0 },
		{ "0xg", -1, 0 }, { "12t", -1, 0 }, { "3.5", -1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned long long v = 777;
		int rc = bootopt_parse_u64(cases[i].s, &v);

		if (rc != cases[i].rc)
			fail_msg("\"%s\": rc %d, expected %d", cases[i].s, rc,
			         cases[i].rc);
		if (rc == 0 && v != cases[i].v)
			fail_msg("\"%s\": %llu, expected %llu", cases[i].s, v,
			         cases[i].v);
		if (rc != 0)
			assert_int_equal(v, 777);
	}
	assert_int_equal(bootopt_parse_u64(NULL, NULL), -1);
}

static void test_parse_duration(void **state)
{
	static const struct {
		const char *s;
		int rc;
		unsigned long long ns;
	} cases[] = {
		{ "0s", 0, 0 }, { "2s", 0, 2000000000ull }, { "10ms", 0, 10000000 },
		{ "100us", 0, 100000 }, { "007ms", 0, 7000000 },
		{ "18446744073s", 0, 18446744073000000000ull },
		{ "18446744074s", -1, 0 },  /* * 10^9 would wrap */
		{ "18446744073709551us", 0, 18446744073709551000ull },
		{ "18446744073709552us", -1, 0 },
		{ "18446744073709551616us", -1, 0 },  /* digits alone wrap */
		{ "", -1, 0 }, { "s", -1, 0 }, { "10", -1, 0 }, { "10ns", -1, 0 },
		{ "1.5s", -1, 0 }, { "-1s", -1, 0 }, { "10 ms", -1, 0 },
		{ "10MS", -1, 0 }, { "10sx", -1, 0 }, { "0x10ms", -1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned long long ns = 777;
		int rc = bootopt_parse_duration(cases[i].s, &ns);

		if (rc != cases[i].rc)
			fail_msg("\"%s\": rc %d, expected %d", cases[i].s, rc,
			         cases[i].rc);
		if (rc == 0 && ns != cases[i].ns)
			fail_msg("\"%s\": %llu, expected %llu", cases[i].s, ns,
			         cases[i].ns);
		if (rc != 0)
			assert_int_equal(ns, 777);
	}
	assert_int_equal(bootopt_parse_duration(NULL, NULL), -1);
}

/* given[] records each key's word; bootopt_conflict formats two words. */
static void test_given_and_conflict(void **state)
{
	(void)state;
	assert_int_equal(parse("loglevel=2 test=\"a b\" -- x"), 0);
	assert_string_equal(bootopt_given(&res, opts, NOPTS, "loglevel"),
	                    "loglevel=2");
	assert_string_equal(bootopt_given(&res, opts, NOPTS, "test"),
	                    "test=a b");
	in_argbuf(bootopt_given(&res, opts, NOPTS, "test"));
	assert_null(bootopt_given(&res, opts, NOPTS, "serial"));
	assert_null(bootopt_given(&res, opts, NOPTS, "nosuchkey"));
	assert_int_equal(bootopt_conflict(&res, "a=1", "b=2", "a and b "
	                                  "disagree"), -1);
	assert_string_equal(res.err, "boot options \"a=1\" and \"b=2\": a "
	                    "and b disagree");
	/* a new parse forgets the old words */
	assert_int_equal(parse("serial=com2"), 0);
	assert_null(bootopt_given(&res, opts, NOPTS, "loglevel"));
	assert_string_equal(bootopt_given(&res, opts, NOPTS, "serial"),
	                    "serial=com2");
}

static int set_nop(const char *v, const char **why)
{
	(void)v;
	(void)why;
	return 0;
}

static void test_big_table(void **state)
{
	static struct bootopt big[65];
	static char keys[65][8];
	size_t i;

	(void)state;
	for (i = 0; i < 65; i++) {
		snprintf(keys[i], sizeof keys[i], "k%zu", i);
		big[i] = (struct bootopt){ keys[i], "x", set_nop };
	}
	assert_int_equal(bootopt_parse("k63=1 k0=1", big, 64, "t", &res), 0);
	assert_int_equal(bootopt_parse("k63=1 k63=2", big, 64, "t", &res), -1);
	assert_non_null(strstr(res.err, "duplicate key \"k63\""));
	assert_int_equal(bootopt_parse("", big, 65, "t", &res), -1);
	assert_string_equal(res.err, "boot options: table has more than 64 keys");
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_full_line),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_duplicates_and_words),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_empty_words_at_limit),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_given_and_conflict),
		cmocka_unit_test(test_big_table),
	};

	return cmocka_run_group_tests_name("bootopt", tests, NULL, NULL);
}

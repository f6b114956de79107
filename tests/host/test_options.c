/*
 * test_options.c - host tests of the kernel's boot-option table
 * (kernel/options.c) through kopts_parse().
 *
 * Purpose: every numeric option refuses a value that overflows 64 bits
 * (status 64 in the kernel, with the offending word in the message)
 * instead of wrapping it into range; values land in struct kopts in their
 * converted units; options that cannot hold together are refused with a
 * message naming both words.
 *
 * Context: host only.
 */
#include <stdio.h>
#include <string.h>
#include "tests/host/fixture.h"
#include "arch/x86_64/pc_options.h"
#include "kernel/cpu/cpu_options.h"
#include "kernel/kernel.h"
#include "kernel/mem/mem_options.h"
#include "kernel/pci/pci_options.h"
#include "kernel/power.h"

static struct bootopt_result res;

static int parse(const char *line)
{
	memset(&res, 0x5a, sizeof res);
	return kopts_parse(line, &res);
}

static void ok(const char *line)
{
	if (parse(line) != 0)
		fail_msg("\"%s\" refused: %s", line, res.err);
}

/* Refused, and the message names the word and contains what. */
static void refused(const char *line, const char *word, const char *what)
{
	char quoted[2200];

	if (parse(line) == 0)
		fail_msg("\"%s\" was accepted", line);
	snprintf(quoted, sizeof quoted, "\"%s\"", word);
	if (strstr(res.err, quoted) == NULL || strstr(res.err, what) == NULL)
		fail_msg("\"%s\": message \"%s\" lacks %s or \"%s\"", line,
		         res.err, quoted, what);
}

static void defaults_and_units(void **state)
{
	(void)state;
	ok("");
	assert_int_equal(kopts.quantum_ns, 10000000);
	assert_int_equal(kopts.benchtime_ns, 500000000);
	assert_int_equal(kopts.bench_count, 0);
	assert_int_equal(cpu_opts.tick_hz, 1000);
	assert_int_equal(cpu_opts.apfail, -1);
	ok("quantum=100us benchtime=2s tick=10000 apfail=0xfffffffe");
	assert_int_equal(kopts.quantum_ns, 100000);
	assert_int_equal(kopts.benchtime_ns, 2000000000ull);
	assert_int_equal(cpu_opts.apfail, 0xfffffffeull);
	ok("quantum=1000ms benchtime=1000x");
	assert_int_equal(kopts.quantum_ns, 1000000000ull);
	assert_int_equal(kopts.bench_count, 1000);
	assert_int_equal(kopts.benchtime_ns, 0);
	ok("benchtime=3600s quantum=10us");
	assert_int_equal(kopts.benchtime_ns, 3600000000000ull);
	assert_int_equal(kopts.quantum_ns, 10000);
	ok("benchtime=1000000000x serial=0x2f8 stackmax=1G stackinit=1M");
	assert_int_equal(kopts.bench_count, 1000000000ull);
	assert_int_equal(pc_opts.serial_port, 0x2f8);
	/* kopts_parse starts from the defaults every time */
	ok("");
	assert_int_equal(kopts.quantum_ns, 10000000);
	assert_int_equal(pc_opts.serial_port, 0x3f8);
	assert_int_equal(mem_opts.stackmax, 64ull << 20);
	/* the collector's marking helpers: on by default, a bit */
	assert_int_equal(mem_opts.gchelpers, 1);
	ok("gchelpers=0 gcconc=1");
	assert_int_equal(mem_opts.gchelpers, 0);
	assert_int_equal(mem_opts.gcconc, 1);
	ok("");
	assert_int_equal(mem_opts.gchelpers, 1);
	refused("gchelpers=2", "gchelpers=2", "expected 0 or 1");
	refused("gchelpers=on", "gchelpers=on", "expected 0 or 1");
	/* the collector's self-check: off by default, a bit */
	assert_int_equal(mem_opts.gcverify, 0);
	ok("gcverify=1");
	assert_int_equal(mem_opts.gcverify, 1);
	ok("");
	assert_int_equal(mem_opts.gcverify, 0);
	refused("gcverify=yes", "gcverify=yes", "expected 0 or 1");
	/* generational minor cycles: off by default, a bit */
	assert_int_equal(mem_opts.gcgen, 0);
	ok("gcgen=1");
	assert_int_equal(mem_opts.gcgen, 1);
	ok("");
	assert_int_equal(mem_opts.gcgen, 0);
	refused("gcgen=2", "gcgen=2", "expected 0 or 1");
	/* over INT64_MAX: tally_gc_memory_limit would read it back negative */
	refused("gcmemlimit=9223372036854775808", "gcmemlimit=9223372036854775808", "expected a size from 1M");
	refused("gcmemlimit=8388608T", "gcmemlimit=8388608T", "expected a size from 1M");
	refused("gcmemlimit=512K", "gcmemlimit=512K", "expected a size from 1M");
	ok("gcmemlimit=9223372036854775807");
}

/* Values that wrap to an in-range number if any step is unchecked. */
static void overflow_is_a_bad_value(void **state)
{
	static const char *const words[] = {
		/* 2305843009213703952 * 1000 = 10^7 (mod 2^64): 10 ms */
		"quantum=2305843009213703952us",
		"quantum=18446744073709561ms",   /* * 10^6 wraps to 9.384 ms */
		"quantum=18446744073709551626us",
		"quantum=99999999999999999999999999999ms",
		"benchtime=18446744073709551617x",
		"benchtime=1000000001x",
		"benchtime=18446744073709551617s",
		"benchtime=18446744074s",       /* * 10^9 wraps to ~0.3 s */
		"benchtime=3601s",
		"tick=18446744073709551617",     /* 2^64 + 1 */
		"cpus=18446744073709551617",
		"loglevel=18446744073709551617",
		"apfail=18446744073709551617",
		"apfail=0x10000000000000001",
		"apfail=18446744073709551617:ipi",
		"ipitimeout=18446744073709551617s",
		"ipitimeout=18446744074s",       /* * 10^9 wraps to ~0.3 s */
		"ipitimeout=601s",
		"stackmax=18014398509481988K",   /* wraps to 4096 */
		"stackmax=17592186044417M",      /* (2^44+1) << 20 */
		"stackinit=18014398509481988K",
		"stackinit=0x10000000000001000",
		"serial=0x100000000000003f8",    /* 2^64 + 0x3f8 */
		"serial=0x1k",                   /* a port takes no suffix */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		refused(words[i], words[i], "bad value");
}

static void malformed_values(void **state)
{
	(void)state;
	refused("quantum=10", "quantum=10", "expected a duration");
	refused("quantum=ms", "quantum=ms", "expected a duration");
	refused("quantum=5us", "quantum=5us", "expected a duration");
	refused("quantum=1001ms", "quantum=1001ms", "expected a duration");
	refused("benchtime=0x", "benchtime=0x", "count");
	refused("benchtime=1.5s", "benchtime=1.5s", "duration");
	refused("benchtime=x", "benchtime=x", "duration");
	ok("benchtime=0s");
	refused("pcidump=2", "pcidump=2", "expected 0 or 1");
	refused("pcidump=", "pcidump=", "empty value");
	ok("pcidump=1");
	assert_int_equal(pci_opts.pcidump, 1);
	ok("");
	assert_int_equal(pci_opts.pcidump, 0);
	/* bench= takes Go's -bench syntax and says why a pattern is bad */
	ok("bench=(Spawn|Yield)");
	assert_string_equal(kopts.bench, "(Spawn|Yield)");
	ok("bench=^Benchmark[A-Z]\\w+$");
	refused("bench=(", "bench=(", "invalid regexp for -bench: missing "
	        "closing )");
	refused("bench=a**", "bench=a**", "invalid regexp for -bench: "
	        "invalid nested repetition operator");
	refused("bench=[z-a]", "bench=[z-a]", "invalid character class range");
}

static void combinations(void **state)
{
	(void)state;
	refused("stackinit=1M stackmax=64K", "stackinit=1M",
	        "stackinit must not exceed stackmax");
	refused("stackmax=64K stackinit=128K", "stackmax=64K",
	        "stackinit must not exceed stackmax");
	assert_string_equal(res.err, "boot options \"stackinit=128K\" and "
	                    "\"stackmax=64K\": stackinit must not exceed "
	                    "stackmax");
	ok("stackinit=64K stackmax=64K");
	ok("stackinit=1M");  /* default stackmax 64M */
	refused("tick=0 quantum=1ms", "quantum=1ms", "tick=0");
	assert_non_null(strstr(res.err, "\"tick=0\""));
	ok("tick=0");        /* the default quantum is simply unused */
	refused("gcgen=1 gcconc=0", "gcgen=1", "needs concurrent marking");
	assert_non_null(strstr(res.err, "\"gcconc=0\""));
	ok("gcconc=0 gcgen=0");
	ok("tick=100 quantum=100us");
	refused("test=all bench=.", "test=all", "\"bench=.\"");
	assert_non_null(strstr(res.err, "give one"));
	ok("test=none bench=.");
	/* a single bad value is reported before any combination */
	refused("stackinit=1M stackmax=64K tick=x", "tick=x", "bad value");
}

/* onexit=: the three words, the default (power-off, emulator first), and
 * nothing else. */
static void onexit(void **state)
{
	(void)state;
	ok("");
	assert_int_equal(kopts.onexit, POWER_ONEXIT_POWEROFF);
	assert_int_equal(kopts.onexit_given, 0);
	ok("onexit=reset");
	assert_int_equal(kopts.onexit, POWER_ONEXIT_RESET);
	assert_int_equal(kopts.onexit_given, 1);
	ok("onexit=halt");
	assert_int_equal(kopts.onexit, POWER_ONEXIT_HALT);
	ok("onexit=poweroff");
	assert_int_equal(kopts.onexit, POWER_ONEXIT_POWEROFF);
	assert_int_equal(kopts.onexit_given, 1);
	ok("");
	assert_int_equal(kopts.onexit_given, 0);
	refused("onexit=off", "onexit=off", "expected poweroff, reset or halt");
	refused("onexit=Reset", "onexit=Reset", "expected poweroff, reset or halt");
	refused("onexit=reset onexit=halt", "onexit=halt", "duplicate");
	/* a refused line does not choose the exit: status 64 must leave */
	refused("onexit=reset tick=x", "tick=x", "bad value");
	assert_int_equal(kopts.onexit_given, 0);
	assert_int_equal(kopts.onexit, POWER_ONEXIT_POWEROFF);
	refused("onexit=halt tick=0 quantum=1ms", "quantum=1ms", "tick=0");
	assert_int_equal(kopts.onexit_given, 0);
}

/* Test only: the misplaced ledger charge, off unless asked for. */
static void ledgertest(void **state)
{
	(void)state;
	ok("");
	assert_int_equal(cpu_opts.ledger_misplace, 0);
	ok("ledgertest=misplace");
	assert_int_equal(cpu_opts.ledger_misplace, 1);
	ok("");
	assert_int_equal(cpu_opts.ledger_misplace, 0);
	refused("ledgertest=1", "ledgertest=1", "expected misplace");
	refused("ledgertest=", "ledgertest=", "");
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_and_units),
		cmocka_unit_test(overflow_is_a_bad_value),
		cmocka_unit_test(malformed_values),
		cmocka_unit_test(combinations),
		cmocka_unit_test(onexit),
		cmocka_unit_test(ledgertest),
	};

	(void)argc;
	(void)argv;
	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}

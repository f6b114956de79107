/*
 * options.c - the registry of boot options, and the kernel's own set.
 *
 * Purpose: each subsystem owns its options: it registers a set
 * (BOOTOPT_SET, bootopt.h) with its keys, setters, defaults and the rules
 * that tie its keys to others'.  kopts_parse() gathers the sets from the
 * linker section "bootopt_sets" into one flat table, refuses a key that
 * two sets register (naming both owners), resets every set, parses the
 * line (bootopt_parse: its error message lists every key), then runs each
 * set's check.  Adding an option is adding a row to its subsystem's set,
 * nothing here.
 *
 * The kernel's own set (this file): test, loglevel, dumpboot, ledger,
 * bench, benchtime, quantum.  Others: kernel/cpu/cpu_options.c (tick,
 * cpus, apfail, ipitimeout), kernel/mem/mem_options.c (stackmax,
 * stackinit), the machine's (arch/x86_64/pc_options.c: serial).
 *
 * Values: every number is parsed with overflow checks (bootopt_parse_u64,
 * bootopt_parse_duration, count()), so a value too large for 64 bits is a
 * bad value like any other typo, never a wrapped small number.  Durations
 * are converted once, by the setter: the kernel only ever sees nanoseconds
 * and counts that passed their range check.
 *
 * Combinations, checked after every setter succeeded; a broken one is a
 * bad boot option (status 64) naming both words:
 *   stackinit > stackmax     the initial stack must fit in the limit (mem);
 *   quantum= with tick=0     preemption runs from the tick: without one
 *                            a quantum is never enforced (cpu);
 *   test= with bench=        each replaces the program; give one (here).
 * A refused line leaves onexit= at its default, so the refusal's status
 * 64 still leaves through the emulator's exit device.
 * Considered and allowed: a quantum shorter than the tick period (the
 * quantum is a lower bound, checked at each tick, as Go's sysmon checks
 * forcePreemptNS at its own period); benchtime= without bench= (Go's
 * -benchtime without -bench is accepted too); apfail= naming a CPU that
 * cpus= leaves unstarted anyway.
 *
 * Context: boot only (and host tests, fuzzers): kopts_parse() resets every
 * set to its defaults first, so it may be called again.
 */
#include <string.h>
#include "kernel/bootopt.h"
#include "kernel/lib/bootfmt.h"
#include "kernel/kernel.h"
#include "kernel/lib/regex.h"
#include "kernel/power.h"

#define KOPTS_DEFAULT { \
	.test = NULL, \
	.loglevel = 1, \
	.dumpboot = 0, \
	.ledger = 1, \
	.bench = NULL, \
	.benchtime_ns = 500000000ull, \
	.bench_count = 0, \
	.quantum_ns = 10000000ull, \
	.onexit = POWER_ONEXIT_POWEROFF, \
	.onexit_given = 0, \
}

static const struct kopts kopts_default = KOPTS_DEFAULT;
struct kopts kopts = KOPTS_DEFAULT;

static int set_test(const char *v, const char **why)
{
	if (strcmp(v, "none") == 0) {
		kopts.test = NULL;
		return 0;
	}
	if (!*v) {
		*why = "expected all, none, or a test-name glob (e.g. pmem_*)";
		return -1;
	}
	kopts.test = strcmp(v, "all") == 0 ? "*" : v;
	return 0;
}

static int set_loglevel(const char *v, const char **why)
{
	unsigned long long n;
	if (bootopt_parse_u64(v, &n) < 0 || n > 3) {
		*why = "expected a number from 0 to 3";
		return -1;
	}
	kopts.loglevel = (int)n;
	return 0;
}

static int set_dumpboot(const char *v, const char **why)
{
	if (strcmp(v, "0") && strcmp(v, "1")) {
		*why = "expected 0 or 1";
		return -1;
	}
	kopts.dumpboot = v[0] == '1';
	return 0;
}

static int set_ledger(const char *v, const char **why)
{
	if (strcmp(v, "off") == 0)
		kopts.ledger = 0;
	else if (strcmp(v, "exit") == 0)
		kopts.ledger = 1;
	else {
		*why = "expected off or exit";
		return -1;
	}
	return 0;
}

static int set_bench(const char *v, const char **why)
{
	static char msg[96];  /* boot is single-threaded; read before the next parse */
	const char *e = regex_error(v);
	if (e) {
		static const char pre[] = "invalid regexp for -bench: ";
		size_t n = sizeof pre - 1, k = strlen(e);
		if (k > sizeof msg - n - 1)
			k = sizeof msg - n - 1;
		memcpy(msg, pre, n);
		memcpy(msg + n, e, k);
		msg[n + k] = '\0';
		*why = msg;
		return -1;
	}
	kopts.bench = v;
	return 0;
}

/* A decimal count followed by "x", 1..10^9 (the runner's own ceiling). */
static int count(const char *v, unsigned long long *n)
{
	unsigned long long c = 0;
	const char *p = v;
	for (; *p >= '0' && *p <= '9'; p++) {
		c = c * 10 + (unsigned)(*p - '0');
		if (c > 1000000000ull)
			return -1;  /* checked every digit: cannot wrap */
	}
	if (p == v || strcmp(p, "x") != 0 || c == 0)
		return -1;
	*n = c;
	return 0;
}

static int set_benchtime(const char *v, const char **why)
{
	unsigned long long ns, n;
	if (count(v, &n) == 0) {
		kopts.bench_count = n;
		kopts.benchtime_ns = 0;
		return 0;
	}
	if (bootopt_parse_duration(v, &ns) == 0 && ns <= 3600000000000ull) {
		kopts.bench_count = 0;
		kopts.benchtime_ns = ns;
		return 0;
	}
	*why = "expected a duration up to 3600s like 500ms, 2s, 100us, or a count from 1x to "
	       "1000000000x";
	return -1;
}

static int set_quantum(const char *v, const char **why)
{
	unsigned long long ns;
	if (bootopt_parse_duration(v, &ns) < 0 || ns < 10000ull || ns > 1000000000ull) {
		*why = "expected a duration from 10us to 1000ms, like 10ms or 100us";
		return -1;
	}
	kopts.quantum_ns = ns;
	return 0;
}

static int set_onexit(const char *v, const char **why)
{
	static const char *const names[] = { "poweroff", "reset", "halt" };
	static const int values[] = { POWER_ONEXIT_POWEROFF, POWER_ONEXIT_RESET,
	                              POWER_ONEXIT_HALT };
	for (int i = 0; i < 3; i++) {
		if (strcmp(v, names[i]) == 0) {
			kopts.onexit = values[i];
			kopts.onexit_given = 1;
			return 0;
		}
	}
	*why = "expected poweroff, reset or halt";
	return -1;
}

static const struct bootopt kernel_opts[] = {
	{ "test", "all|none|GLOB: run on-target tests at boot instead of the application", set_test },
	{ "loglevel", "0..3: boot log detail (default 1)", set_loglevel },
	{ "dumpboot", "0|1: hex-dump the boot loader's data (for test fixtures)", set_dumpboot },
	{ "ledger", "off|exit: off makes no ledger transitions (bench lines lose their split); exit prints the ledger at exit (default)", set_ledger },
	{ "bench", "REGEX: run the matching on-target benchmarks instead of the program (Go's "
	  "-bench syntax)", set_bench },
	{ "benchtime", "500ms|2s|1000x: minimum time (or count) per benchmark", set_benchtime },
	{ "quantum", "10ms|100us: goroutine preemption quantum (default 10ms)", set_quantum },
	{ "onexit", "poweroff|reset|halt: what the machine does at exit (default: the emulator's exit device if any, else poweroff)", set_onexit },
};

static void kernel_reset(void) { kopts = kopts_default; }

static int kernel_check(struct bootopt_result *res)
{
	if (kopts.test && kopts.bench)
		return bootopt_conflict(res, bootopt_word(res, "test", "test"),
		                        bootopt_word(res, "bench", "bench"),
		                        "each replaces the program; give one of them");
	return 0;
}

BOOTOPT_SET(kernel, "kernel", kernel_opts, sizeof(kernel_opts) / sizeof(kernel_opts[0]),
            kernel_reset, kernel_check);

/* ---- the registry ---- */

extern const struct bootopt_set *const __start_bootopt_sets[];
extern const struct bootopt_set *const __stop_bootopt_sets[];

static struct bootopt all[BOOTOPT_MAX_OPTS];
static unsigned nall;

/* Flatten every set into all[]; -1 with res->err when a key is registered
 * twice or there are more than BOOTOPT_MAX_OPTS keys. */
static int gather(struct bootopt_result *res)
{
	const char *owner[BOOTOPT_MAX_OPTS];
	nall = 0;
	for (const struct bootopt_set *const *s = __start_bootopt_sets; s < __stop_bootopt_sets; s++) {
		for (unsigned i = 0; i < (*s)->n; i++) {
			const struct bootopt *o = &(*s)->opts[i];
			for (unsigned j = 0; j < nall; j++) {
				if (strcmp(all[j].key, o->key) == 0) {
					bootfmt_clear(res->err, sizeof res->err);
					bootfmt_cat(res->err, sizeof res->err, "boot option \"");
					bootfmt_cat(res->err, sizeof res->err, o->key);
					bootfmt_cat(res->err, sizeof res->err, "\" is registered twice, by ");
					bootfmt_cat(res->err, sizeof res->err, owner[j]);
					bootfmt_cat(res->err, sizeof res->err, " and by ");
					bootfmt_cat(res->err, sizeof res->err, (*s)->owner);
					return -1;
				}
			}
			if (nall == BOOTOPT_MAX_OPTS) {
				bootfmt_clear(res->err, sizeof res->err);
				bootfmt_cat(res->err, sizeof res->err,
				            "more boot options registered than BOOTOPT_MAX_OPTS");
				return -1;
			}
			owner[nall] = (*s)->owner;
			all[nall++] = *o;
		}
	}
	return 0;
}

unsigned kopts_table(const struct bootopt **opts)
{
	*opts = all;
	return nall;
}

const char *bootopt_word(const struct bootopt_result *res, const char *key, const char *dflt)
{
	const char *w = bootopt_given(res, all, nall, key);
	return w ? w : dflt;
}

int kopts_parse(const char *cmdline, struct bootopt_result *res)
{
	if (gather(res) < 0)
		return -1;
	for (const struct bootopt_set *const *s = __start_bootopt_sets; s < __stop_bootopt_sets; s++)
		if ((*s)->reset)
			(*s)->reset();
	int rc = bootopt_parse(cmdline, all, nall, "tally", res);
	for (const struct bootopt_set *const *s = __start_bootopt_sets; rc == 0 && s < __stop_bootopt_sets; s++)
		if ((*s)->check && (*s)->check(res) != 0)
			rc = -1;
	if (rc != 0) {
		/* a refused line chooses nothing about the exit: status 64
		 * must still reach the emulator (or power the machine off) */
		kopts.onexit = kopts_default.onexit;
		kopts.onexit_given = kopts_default.onexit_given;
		return -1;
	}
	return 0;
}

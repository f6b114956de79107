/*
 * options.c - the table of boot options, their setters and the rules that
 * tie two options together.
 *
 * Purpose: the only list of valid keys; kopts_parse() checks the command
 * line against it (bootopt_parse), and its error message lists these keys.
 * Adding an option is adding a row here and a field in struct kopts
 * (kernel.h).
 *
 * Values: every number is parsed with overflow checks (bootopt_parse_u64,
 * bootopt_parse_duration, count()), so a value too large for 64 bits is a
 * bad value like any other typo, never a wrapped small number.  Durations
 * are converted here, once: the kernel only ever sees nanoseconds and
 * counts that passed their range check.
 *
 * Combinations, checked after every setter succeeded (combinations()); a
 * broken one is a bad boot option (status 64) naming both words:
 *   stackinit > stackmax     the initial stack must fit in the limit;
 *   quantum= with tick=0     preemption runs from the tick: without one
 *                            a quantum is never enforced;
 *   test= with bench=        each replaces the program; give one.
 * Considered and allowed: a quantum shorter than the tick period (the
 * quantum is a lower bound, checked at each tick, as Go's sysmon checks
 * forcePreemptNS at its own period); benchtime= without bench= (Go's
 * -benchtime without -bench is accepted too); apfail= naming a CPU that
 * cpus= leaves unstarted anyway.
 *
 * Context: boot only (and host tests, fuzzers): kopts_parse() resets kopts
 * to the defaults first, so it may be called again.
 */
#include <string.h>
#include "kernel/bootopt.h"
#include "kernel/kernel.h"
#include "kernel/lib/regex.h"

#define KOPTS_DEFAULT { \
	.serial_port = 0x3f8, \
	.serial_name = "com1", \
	.test = NULL, \
	.loglevel = 1, \
	.dumpboot = 0, \
	.pcidump = 0, \
	.tick_hz = 1000, \
	.max_cpus = 0, \
	.ledger = 1, \
	.bench = NULL, \
	.benchtime_ns = 500000000ull, \
	.bench_count = 0, \
	.quantum_ns = 10000000ull, \
	.apfail = -1, \
	.ipi_timeout_ns = 10000000000ull, \
	.stackmax = 64ull << 20, \
	.stackinit = 4096, \
}

static const struct kopts kopts_default = KOPTS_DEFAULT;
struct kopts kopts = KOPTS_DEFAULT;

static int set_serial(const char *v, const char **why)
{
	static const char *names[] = { "com1", "com2", "com3", "com4" };
	static const uint16_t ports[] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
	for (int i = 0; i < 4; i++) {
		if (strcmp(v, names[i]) == 0) {
			kopts.serial_port = ports[i];
			kopts.serial_name = names[i];
			return 0;
		}
	}
	unsigned long long p;
	/* "0x" and hex digits only: no k/M suffix on a port */
	size_t hex = strspn(v + (strncmp(v, "0x", 2) == 0 ? 2 : 0), "0123456789abcdefABCDEF");
	if (strncmp(v, "0x", 2) == 0 && v[2 + hex] == '\0' && bootopt_parse_u64(v, &p) == 0 &&
	    p > 0 && p <= 0xfff8) {
		kopts.serial_port = (uint16_t)p;
		kopts.serial_name = v;
		return 0;
	}
	*why = "expected com1|com2|com3|com4 or an I/O port like 0x3f8";
	return -1;
}

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

static int set_pcidump(const char *v, const char **why)
{
	if (strcmp(v, "0") && strcmp(v, "1")) {
		*why = "expected 0 or 1";
		return -1;
	}
	kopts.pcidump = v[0] == '1';
	return 0;
}

static int set_tick(const char *v, const char **why)
{
	unsigned long long n;
	if (bootopt_parse_u64(v, &n) < 0 || n > 100000) {
		*why = "expected a tick rate in Hz from 0 (no tick) to 100000";
		return -1;
	}
	kopts.tick_hz = (unsigned)n;
	return 0;
}

static int set_cpus(const char *v, const char **why)
{
	unsigned long long n;
	if (bootopt_parse_u64(v, &n) < 0 || n < 1 || n > 64) {
		*why = "expected a number of CPUs from 1 to 64";
		return -1;
	}
	kopts.max_cpus = (unsigned)n;
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

/* APICID: that CPU is never started.  APICID:ipi: it starts, and at the
 * first IPI call it receives it disables interrupts and halts without
 * answering (a CPU hung with interrupts off; it still takes NMIs). */
static int set_apfail(const char *v, const char **why)
{
	char id[16];
	size_t n = strcspn(v, ":");
	unsigned long long apic;
	int ipi = v[n] == ':';
	if (n >= sizeof(id) || (ipi && strcmp(v + n + 1, "ipi"))) {
		*why = "expected the APIC id of a CPU to leave unstarted, or APICID:ipi";
		return -1;
	}
	memcpy(id, v, n);
	id[n] = 0;
	if (bootopt_parse_u64(id, &apic) < 0 || apic > 0xfffffffeull) {
		*why = "expected the APIC id of a CPU to leave unstarted, or APICID:ipi";
		return -1;
	}
	kopts.apfail = (int64_t)apic;
	kopts.apfail_ipi = ipi;
	return 0;
}

static int set_ipitimeout(const char *v, const char **why)
{
	unsigned long long ns;
	if (bootopt_parse_duration(v, &ns) < 0 || ns < 100000000ull || ns > 600000000000ull) {
		*why = "expected a duration from 100ms to 600s, like 10s or 500ms";
		return -1;
	}
	kopts.ipi_timeout_ns = ns;
	return 0;
}

static int set_stackmax(const char *v, const char **why)
{
	unsigned long long n;
	if (bootopt_parse_u64(v, &n) < 0 || n < (64u << 10) || n > (1ull << 30) || n % 4096) {
		*why = "expected a multiple of 4K from 64K to 1G, like 64M";
		return -1;
	}
	kopts.stackmax = n;
	return 0;
}

static int set_stackinit(const char *v, const char **why)
{
	unsigned long long n;
	if (bootopt_parse_u64(v, &n) < 0 || n < 4096 || n > (1u << 20) || n % 4096) {
		*why = "expected a multiple of 4K from 4K to 1M";
		return -1;
	}
	kopts.stackinit = n;
	return 0;
}

const struct bootopt kernel_bootopts[] = {
	{ "serial", "com1|com2|com3|com4|0xPORT: serial console port (default com1)", set_serial },
	{ "test", "all|none|GLOB: run on-target tests at boot instead of the application", set_test },
	{ "loglevel", "0..3: boot log detail (default 1)", set_loglevel },
	{ "dumpboot", "0|1: hex-dump the boot loader's data (for test fixtures)", set_dumpboot },
	{ "pcidump", "0|1: hex-dump each PCI function's config space (for test fixtures)", set_pcidump },
	{ "tick", "HZ: per-core timer tick rate, 0 for none (default 1000)", set_tick },
	{ "cpus", "N: start at most N CPUs (default: all the MADT lists)", set_cpus },
	{ "ledger", "off|exit: print the cost ledger at exit (default exit)", set_ledger },
	{ "bench", "REGEX: run the matching on-target benchmarks instead of the program (Go's "
	  "-bench syntax)", set_bench },
	{ "benchtime", "500ms|2s|1000x: minimum time (or count) per benchmark", set_benchtime },
	{ "quantum", "10ms|100us: goroutine preemption quantum (default 10ms)", set_quantum },
	{ "stackmax", "64M: goroutine stack limit (reserved address space per goroutine)", set_stackmax },
	{ "stackinit", "4K: goroutine stack mapped at spawn; the rest grows on demand", set_stackinit },
	{ "apfail", "APICID[:ipi]: withhold the start-up IPIs from that CPU, or (:ipi) let it stop answering IPI calls after boot (tests the time-out paths)", set_apfail },
	{ "ipitimeout", "10s|500ms: an IPI unanswered this long is a kernel panic (default 10s)", set_ipitimeout },
};
const unsigned kernel_bootopts_count = sizeof(kernel_bootopts) / sizeof(kernel_bootopts[0]);

/* The option word for key, or "key (default)" when it was not given. */
static const char *word(const struct bootopt_result *res, const char *key, const char *dflt)
{
	const char *w = bootopt_given(res, kernel_bootopts, kernel_bootopts_count, key);
	return w ? w : dflt;
}

static int combinations(struct bootopt_result *res)
{
	if (kopts.stackinit > kopts.stackmax)
		return bootopt_conflict(res, word(res, "stackinit", "stackinit (default 4K)"),
		                        word(res, "stackmax", "stackmax (default 64M)"),
		                        "stackinit must not exceed stackmax");
	if (kopts.tick_hz == 0 && bootopt_given(res, kernel_bootopts, kernel_bootopts_count,
	                                        "quantum"))
		return bootopt_conflict(res, word(res, "quantum", "quantum"), word(res, "tick", "tick"),
		                        "preemption runs from the tick, so tick=0 leaves no "
		                        "quantum to enforce");
	if (kopts.test && kopts.bench)
		return bootopt_conflict(res, word(res, "test", "test"), word(res, "bench", "bench"),
		                        "each replaces the program; give one of them");
	return 0;
}

int kopts_parse(const char *cmdline, struct bootopt_result *res)
{
	kopts = kopts_default;
	if (bootopt_parse(cmdline, kernel_bootopts, kernel_bootopts_count, "tally", res) != 0)
		return -1;
	return combinations(res);
}

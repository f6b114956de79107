/*
 * options.c - the table of boot options and their setters.
 *
 * Purpose: the only list of valid keys; bootopt_parse() checks the command
 * line against it, and its error message lists these keys.  Adding an
 * option is adding a row here and a field in struct kopts (kernel.h).
 * Context: boot only.
 */
#include <string.h>
#include "kernel/bootopt.h"
#include "kernel/kernel.h"
#include "kernel/regex.h"

struct kopts kopts = {
	.serial_port = 0x3f8,
	.serial_name = "com1",
	.test = NULL,
	.loglevel = 1,
	.dumpboot = 0,
	.tick_hz = 1000,
	.max_cpus = 0,
	.ledger = 1,
	.bench = NULL,
	.benchtime = "500ms",
	.quantum_ns = 10000000ull,
	.apfail = -1,
	.ipi_timeout_ns = 10000000000ull,
	.stackmax = 64ull << 20,
	.stackinit = 4096,
};

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
	if (strncmp(v, "0x", 2) == 0 && bootopt_parse_u64(v, &p) == 0 && p > 0 && p <= 0xfff8) {
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
	if (!regex_valid(v)) {
		*why = "expected a regular expression (e.g. . or IPI|Timer)";
		return -1;
	}
	kopts.bench = v;
	return 0;
}

static int set_benchtime(const char *v, const char **why)
{
	size_t n = strlen(v);
	const char *p = v;
	while (*p >= '0' && *p <= '9')
		p++;
	if (p == v || n > 16 ||
	    (strcmp(p, "s") && strcmp(p, "ms") && strcmp(p, "us") && strcmp(p, "x"))) {
		*why = "expected a duration like 500ms, 2s, 100us, or a count like 1000x";
		return -1;
	}
	kopts.benchtime = v;
	return 0;
}

static int set_quantum(const char *v, const char **why)
{
	unsigned long long n = 0, mul = 0;
	const char *p = v;
	while (*p >= '0' && *p <= '9')
		n = n * 10 + (unsigned)(*p++ - '0');
	if (strcmp(p, "ms") == 0)
		mul = 1000000ull;
	else if (strcmp(p, "us") == 0)
		mul = 1000ull;
	if (p == v || !mul || n == 0 || n * mul > 1000000000ull || n * mul < 10000ull) {
		*why = "expected a duration from 10us to 1000ms, like 10ms or 100us";
		return -1;
	}
	kopts.quantum_ns = n * mul;
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
	kopts.apfail = (int)apic;
	kopts.apfail_ipi = ipi;
	return 0;
}

static int set_ipitimeout(const char *v, const char **why)
{
	unsigned long long n = 0, mul = 0;
	const char *p = v;
	while (*p >= '0' && *p <= '9' && n < 1000000)
		n = n * 10 + (unsigned)(*p++ - '0');
	if (strcmp(p, "ms") == 0)
		mul = 1000000ull;
	else if (strcmp(p, "s") == 0)
		mul = 1000000000ull;
	if (p == v || !mul || n * mul < 100000000ull || n * mul > 600000000000ull) {
		*why = "expected a duration from 100ms to 600s, like 10s or 500ms";
		return -1;
	}
	kopts.ipi_timeout_ns = n * mul;
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
	{ "tick", "HZ: per-core timer tick rate, 0 for none (default 1000)", set_tick },
	{ "cpus", "N: start at most N CPUs (default: all the MADT lists)", set_cpus },
	{ "ledger", "off|exit: print the cost ledger at exit (default exit)", set_ledger },
	{ "bench", "REGEX: run the matching on-target benchmarks instead of the program", set_bench },
	{ "benchtime", "500ms|2s|1000x: minimum time (or count) per benchmark", set_benchtime },
	{ "quantum", "10ms|100us: goroutine preemption quantum (default 10ms)", set_quantum },
	{ "stackmax", "64M: goroutine stack limit (reserved address space per goroutine)", set_stackmax },
	{ "stackinit", "4K: goroutine stack mapped at spawn; the rest grows on demand", set_stackinit },
	{ "apfail", "APICID[:ipi]: withhold the start-up IPIs from that CPU, or (:ipi) let it stop answering IPI calls after boot (tests the time-out paths)", set_apfail },
	{ "ipitimeout", "10s|500ms: an IPI unanswered this long is a kernel panic (default 10s)", set_ipitimeout },
};
const unsigned kernel_bootopts_count = sizeof(kernel_bootopts) / sizeof(kernel_bootopts[0]);

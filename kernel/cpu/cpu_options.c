/*
 * cpu_options.c - boot options of CPUs, interrupts and time: tick, cpus,
 * apfail, ipitimeout, and the test-only ledgertest.
 *
 * Registered with BOOTOPT_SET (kernel/bootopt.h); the values land in
 * cpu_opts (cpu_options.h).  Rule checked here: quantum= (the kernel's)
 * with tick=0 is refused, since preemption runs from the tick.
 * Context: boot only (and host tests, fuzzers): pure, no allocation.
 */
#include <string.h>
#include "kernel/bootopt.h"
#include "kernel/cpu/cpu_options.h"
#include "kernel/kernel.h"

#define CPU_OPTS_DEFAULT { \
	.tick_hz = 1000, \
	.max_cpus = 0, \
	.apfail = -1, \
	.apfail_ipi = 0, \
	.ipi_timeout_ns = 10000000000ull, \
	.ledger_misplace = 0, \
}
static const struct cpu_opts defaults = CPU_OPTS_DEFAULT;
struct cpu_opts cpu_opts = CPU_OPTS_DEFAULT;

static int set_tick(const char *v, const char **why)
{
	unsigned long long n;
	if (bootopt_parse_u64(v, &n) < 0 || n > 100000) {
		*why = "expected a tick rate in Hz from 0 (no tick) to 100000";
		return -1;
	}
	cpu_opts.tick_hz = (unsigned)n;
	return 0;
}

static int set_cpus(const char *v, const char **why)
{
	unsigned long long n;
	if (bootopt_parse_u64(v, &n) < 0 || n < 1 || n > 64) {
		*why = "expected a number of CPUs from 1 to 64";
		return -1;
	}
	cpu_opts.max_cpus = (unsigned)n;
	return 0;
}

/* HWID: that CPU is never started.  HWID:ipi: it starts, and at the
 * first IPI call it receives it disables interrupts and halts without
 * answering (a CPU hung with interrupts off; it still takes NMIs). */
static int set_apfail(const char *v, const char **why)
{
	char id[16];
	size_t n = strcspn(v, ":");
	unsigned long long hwid;
	int ipi = v[n] == ':';
	if (n >= sizeof(id) || (ipi && strcmp(v + n + 1, "ipi"))) {
		*why = "expected the hardware id of a CPU to leave unstarted, or HWID:ipi";
		return -1;
	}
	memcpy(id, v, n);
	id[n] = 0;
	if (bootopt_parse_u64(id, &hwid) < 0 || hwid > 0xfffffffeull) {
		*why = "expected the hardware id of a CPU to leave unstarted, or HWID:ipi";
		return -1;
	}
	cpu_opts.apfail = (int64_t)hwid;
	cpu_opts.apfail_ipi = ipi;
	return 0;
}

static int set_ipitimeout(const char *v, const char **why)
{
	unsigned long long ns;
	if (bootopt_parse_duration(v, &ns) < 0 || ns < 100000000ull || ns > 600000000000ull) {
		*why = "expected a duration from 100ms to 600s, like 10s or 500ms";
		return -1;
	}
	cpu_opts.ipi_timeout_ns = ns;
	return 0;
}

/* Test only: a deliberately misplaced ledger charge that the ledger's
 * checks against independent truth must catch (tests/target/ledger_test.c,
 * docs/testing.md). */
static int set_ledgertest(const char *v, const char **why)
{
	if (strcmp(v, "misplace")) {
		*why = "expected misplace (test only)";
		return -1;
	}
	cpu_opts.ledger_misplace = 1;
	return 0;
}

static const struct bootopt opts[] = {
	{ "tick", "HZ: per-core timer tick rate, 0 for none (default 1000)", set_tick },
	{ "cpus", "N: start at most N CPUs (default: all the firmware lists)", set_cpus },
	{ "apfail", "HWID[:ipi]: withhold the start-up IPIs from that CPU, or (:ipi) let it stop answering IPI calls after boot (tests the time-out paths)", set_apfail },
	{ "ipitimeout", "10s|500ms: an IPI unanswered this long is a kernel panic (default 10s)", set_ipitimeout },
	{ "ledgertest", "misplace: test only: charge the timer interrupt's handler to user, which the ledger's checks must catch", set_ledgertest },
};

static void reset(void) { cpu_opts = defaults; }

static int check(struct bootopt_result *res)
{
	if (cpu_opts.tick_hz == 0 && bootopt_word(res, "quantum", NULL))
		return bootopt_conflict(res, bootopt_word(res, "quantum", "quantum"),
		                        bootopt_word(res, "tick", "tick"),
		                        "preemption runs from the tick, so tick=0 leaves no "
		                        "quantum to enforce");
	return 0;
}

BOOTOPT_SET(cpu, "cpu", opts, sizeof(opts) / sizeof(opts[0]), reset, check);

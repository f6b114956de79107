/*
 * main.c - harness of the pthreads peer (`pthbench`).
 *
 * Purpose: run the pthreads equivalents of Tally's benchmarks and print them
 * in Go's benchmark format, so that tools/bench.py compares all systems with
 * one parser.  Usage:
 *     pthbench [-bench REGEX] [-benchtime DURATION] [-list]
 * REGEX (POSIX extended) selects benchmarks by name (default: all);
 * DURATION is the minimum measured time per benchmark, e.g. 200ms, 1s.
 *
 * Output, per benchmark (one line, fields separated by tabs):
 *     BenchmarkName-P  N  X ns/op  Y cycles/op  K %kern  U %user  I %idle
 * P is the number of threads the benchmark runs; cycles/op is read from the
 * TSC (under QEMU -icount: guest instructions per operation); the split is
 * getrusage() of the process against wall time x online CPUs (kern = system
 * time, user = user time, idle = the rest; there is no runtime to report
 * separately).  A header `peer: ...` line comes first and `bench: done: N
 * benchmarks` last (N counts skipped and failed ones too, as Tally's
 * harness does).  A benchmark that cannot run here prints `--- SKIP: NAME:
 * why` instead of its line, one whose body failed `--- FAIL: NAME: why`.
 *
 * Scaling (as Go's testing package): run with N = 1, then predict N from
 * the last run's time (20% extra, at most 100x growth, at least +1) until
 * one run lasts DURATION; that run is reported.
 *
 * Data structures: the table `benches` in contract order.  Context: single
 * threaded except inside bodies, which join their threads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <gnu/libc-version.h>
#include <regex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <x86intrin.h>

#include "bench.h"

struct bench_def {
	const char *name;
	int procs;		/* threads the body runs; the -P suffix */
	int min_cpus;		/* online CPUs it needs (pinning) */
	void (*fn)(struct bench_b *b);
};

static const struct bench_def benches[] = {
	{ "SpawnJoin", 1, 1, bench_spawn_join },
	{ "YieldPingPong", 1, 1, bench_yield_ping_pong },
	{ "ChanPingPongOneP", 1, 1, bench_chan_ping_pong_one_p },
	{ "ChanPingPongCrossP", 2, 2, bench_chan_ping_pong_cross_p },
	{ "ChanBuffered", 1, 1, bench_chan_buffered },
	{ "MutexUncontended", 1, 1, bench_mutex_uncontended },
	{ "MutexContended", 2, 1, bench_mutex_contended },
	{ "TimerStartStop", 1, 1, bench_timer_start_stop },
	{ "SleepWakeLatency", 1, 1, bench_sleep_wake_latency },
	{ "CheckGoroutinePerItem", 0, 1, bench_check_thread_per_item },
	{ "CheckInline", 1, 1, bench_check_inline },
	{ "CounterChannel", 2, 1, bench_counter_channel },
	{ "CounterAtomic", 2, 1, bench_counter_atomic },
	{ "CounterOneMutex", 2, 1, bench_counter_one_mutex },
	{ "CounterSharded", 2, 1, bench_counter_sharded },
	{ "TimerPerWait", 1, 1, bench_timer_per_wait },
	{ "TimerReset", 1, 1, bench_timer_reset },
	{ "AllocPerCall", 1, 1, bench_alloc_per_call },
	{ "AllocReused", 1, 1, bench_alloc_reused },
	{ "Alloc64", 1, 1, bench_alloc64 },
	{ "AllocThroughput", 1, 1, bench_alloc_throughput_1 },
	{ "AllocThroughput", 2, 1, bench_alloc_throughput_2 },
	/* no body: 1 111 111 threads are not a peer of goroutines */
	{ "Skynet", 0, 1, NULL },
	/* no body: a thread per prime, the same objection */
	{ "PrimeSieve", 1, 1, NULL },
};
#define NBENCH (sizeof benches / sizeof benches[0])

static volatile uintptr_t sink_word;
static cpu_set_t all_cpus;	/* the affinity main() started with */

void
bench_sink(uintptr_t v)
{
	sink_word = v;
}

int
bench_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

int
bench_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

void
bench_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int err = pthread_create(t, NULL, fn, arg);

	if (err) {
		fprintf(stderr, "pthbench: pthread_create: %s\n", strerror(err));
		exit(1);
	}
}

void
bench_join(pthread_t t)
{
	pthread_join(t, NULL);
}

void
bench_reset_timer(struct bench_b *b)
{
	getrusage(RUSAGE_SELF, &b->r0);
	clock_gettime(CLOCK_MONOTONIC, &b->t0);
	b->c0 = __rdtsc();
}

void
bench_fail(struct bench_b *b, const char *why)
{
	b->failed = why;
}

static double
ts_ns(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e9 + (b->tv_nsec - a->tv_nsec);
}

static double
tv_ns(const struct timeval *a, const struct timeval *b)
{
	return (b->tv_sec - a->tv_sec) * 1e9 + (b->tv_usec - a->tv_usec) * 1e3;
}

struct measure {
	double ns, cycles, utime, stime;
};

static void
run_once(const struct bench_def *d, struct bench_b *b, long n, struct measure *m)
{
	struct timespec t1;
	struct rusage r1;
	uint64_t c1;

	/* Bodies pin the harness thread; threads inherit its mask. */
	sched_setaffinity(0, sizeof all_cpus, &all_cpus);
	memset(b, 0, sizeof *b);
	b->n = n;
	bench_reset_timer(b);
	d->fn(b);
	c1 = __rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &r1);
	m->ns = ts_ns(&b->t0, &t1);
	m->cycles = (double)(c1 - b->c0);
	m->utime = tv_ns(&b->r0.ru_utime, &r1.ru_utime);
	m->stime = tv_ns(&b->r0.ru_stime, &r1.ru_stime);
}

/* Go's benchmark number style: about four significant digits. */
static void
print_value(double v, const char *unit)
{
	if (v >= 99.995)
		printf("\t%.0f %s", v, unit);
	else if (v >= 9.9995)
		printf("\t%.1f %s", v, unit);
	else if (v >= 0.99995)
		printf("\t%.2f %s", v, unit);
	else
		printf("\t%.3f %s", v, unit);
}

static double
pct(double part, double whole)
{
	double p = whole > 0 ? 100.0 * part / whole : 0;

	return p < 0 ? 0 : p > 100 ? 100 : p;
}

static void
run_bench(const struct bench_def *d, double goal_ns)
{
	struct bench_b b;
	struct measure m;
	long n = 1, last;
	double cpu_ns, idle;
	int procs = d->procs ? d->procs : bench_ncpus();

	run_once(d, &b, n, &m);
	while (!b.failed && m.ns < goal_ns && n < 1000000000L) {
		double prev = m.ns > 1 ? m.ns : 1;

		last = n;
		n = (long)(goal_ns * last / prev);
		n += n / 5;
		if (n > 100 * last)
			n = 100 * last;
		if (n < last + 1)
			n = last + 1;
		if (n > 1000000000L)
			n = 1000000000L;
		run_once(d, &b, n, &m);
	}
	if (b.failed) {
		printf("--- FAIL: Benchmark%s: %s\n", d->name, b.failed);
		return;
	}
	cpu_ns = m.ns * bench_ncpus();
	idle = cpu_ns - m.utime - m.stime;
	printf("Benchmark%s-%d\t%ld", d->name, procs, n);
	print_value(m.ns / n, "ns/op");
	print_value(m.cycles / n, "cycles/op");
	print_value(pct(m.stime, cpu_ns), "%kern");
	print_value(pct(m.utime, cpu_ns), "%user");
	print_value(pct(idle, cpu_ns), "%idle");
	printf("\n");
	fflush(stdout);
}

static double
parse_duration(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s)
		return -1;
	if (strcmp(end, "ns") == 0)
		return v;
	if (strcmp(end, "us") == 0 || strcmp(end, "µs") == 0)
		return v * 1e3;
	if (strcmp(end, "ms") == 0)
		return v * 1e6;
	if (strcmp(end, "s") == 0)
		return v * 1e9;
	return -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: pthbench [-bench REGEX] [-benchtime DURATION] [-list]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *pattern = ".";
	double goal = 1e9;
	int list = 0, done = 0, i;
	regex_t re;
	size_t k;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] == '-' && a[1] == '-')
			a++;
		if (strcmp(a, "-bench") == 0 && i + 1 < argc)
			pattern = argv[++i];
		else if (strncmp(a, "-bench=", 7) == 0)
			pattern = a + 7;
		else if (strcmp(a, "-benchtime") == 0 && i + 1 < argc)
			goal = parse_duration(argv[++i]);
		else if (strncmp(a, "-benchtime=", 11) == 0)
			goal = parse_duration(a + 11);
		else if (strcmp(a, "-list") == 0)
			list = 1;
		else
			usage();
	}
	if (goal <= 0)
		usage();
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
		fprintf(stderr, "pthbench: bad regex %s\n", pattern);
		return 2;
	}
	sched_getaffinity(0, sizeof all_cpus, &all_cpus);
	printf("peer: pthreads (gcc %s, glibc %s)\n", __VERSION__,
	       gnu_get_libc_version());
	fflush(stdout);
	for (k = 0; k < NBENCH; k++) {
		char name[128];

		snprintf(name, sizeof name, "Benchmark%s", benches[k].name);
		if (regexec(&re, name, 0, NULL, 0) != 0)
			continue;
		if (list) {
			printf("%s\n", name);
			continue;
		}
		if (!benches[k].fn) {
			printf("--- SKIP: %s: a thread per goroutine (1111111 "
			       "for Skynet, one per prime for PrimeSieve) is not a "
			       "pthreads program anyone runs\n", name);
			done++;
			continue;
		}
		if (bench_ncpus() < benches[k].min_cpus) {
			printf("--- SKIP: %s: needs %d CPUs\n", name,
			       benches[k].min_cpus);
			done++;
			continue;
		}
		run_bench(&benches[k], goal);
		done++;
	}
	if (!list)
		printf("bench: done: %d benchmarks\n", done);
	return 0;
}

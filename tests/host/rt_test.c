/*
 * rt_test.c - running the runtime in a forked child for host unit tests
 * (the API and its reasons are in rt_test.h).
 *
 * Data structures: `shm`, one MAP_SHARED anonymous mapping made by the
 * parent before the first fork: the test's shared area followed by a
 * small record of the first RT_CHECK failure and of the child's
 * preemption counts (written by rt_test_child_exit as the child ends);
 * `out`, the last child's captured output, read back from the memfd the
 * child wrote into; the parent's preemption totals, printed at its exit.
 *
 * Invariants: the parent never runs the runtime, so it stays single-
 * threaded and fork is safe; a child never returns into cmocka: it ends
 * with _exit (after flushing stdio; plat_exit does the same there, see
 * rt_test_set_exit_quick) or a signal.  cmocka's signal handlers
 * (which longjmp into its test loop) are reset in the child, so a crash
 * there is a crash, not a second run of the remaining tests.
 *
 * Locking: none (the parent is one thread; the failure record is written
 * once, by whichever M fails first, with an atomic flag).
 *
 * Context: the parent is a cmocka test; the child's functions here run on
 * Ms (RT_CHECK) or before the runtime starts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <dirent.h>
#include "rt/rt.h"
#include "tests/host/rt_test.h"

/* Binaries that test only the context switch link no scheduler. */
#pragma weak rt_main
#pragma weak rt_set_quantum

#define OUT_MAX (256 * 1024)
#define REC_MS 64   /* = RT_MAX_M */

struct fail_rec {
	volatile int taken;
	char msg[512];
	uint64_t preempts;          /* the child's, at its end */
	uint64_t preempts_m[REC_MS];
};

static char *shm;
static char *out;
static pid_t parent;
static int quantum_us = -1;     /* rt_test_set_quantum_us; < 0: default */
static uint64_t last_preempts, total_preempts;
static unsigned runs;

static struct fail_rec *fail_rec(void)
{
	return (struct fail_rec *)(shm + RT_TEST_SHARED_SIZE);
}

static unsigned quantum(void)
{
	if (quantum_us >= 0)
		return (unsigned)quantum_us;
	const char *s = getenv("TALLY_QUANTUM_US");
	return s && *s ? (unsigned)strtoul(s, NULL, 10) : RT_TEST_QUANTUM_US;
}

void rt_test_set_quantum_us(int us) { quantum_us = us; }
uint64_t rt_test_last_preemptions(void) { return last_preempts; }

/* The parent's line at exit: what every runtime child of this binary
 * saw together. */
static void report_total(void)
{
	if (getpid() != parent || runs == 0)
		return;
	printf("rt_test: %s: %llu preemptions in %u runtime runs (quantum %u us)\n",
	       program_invocation_short_name, (unsigned long long)total_preempts, runs, quantum());
	fflush(stdout);
}

/* In a runtime child about to end: leave its preemption counts where the
 * parent reads them (plat_exit calls it: rt_test_set_exit_quick). */
static void rt_test_child_exit(void)
{
	struct fail_rec *f = fail_rec();
	uint64_t n = 0;
	for (unsigned i = 0; i < REC_MS; i++)
		n += f->preempts_m[i] = rt_test_preemptions_m(i);
	f->preempts = n;  /* the sum, not a second read: Ms still run */
}

void *rt_test_shared(void)
{
	if (!shm) {
		void *p = mmap(NULL, RT_TEST_SHARED_SIZE + 4096, PROT_READ | PROT_WRITE,
		               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			perror("rt_test: mmap");
			abort();
		}
		shm = p;
		parent = getpid();
		atexit(report_total);
	}
	return shm;
}

const char *rt_test_output(void) { return out ? out : ""; }

uint64_t rt_test_host_steal_ns(void)
{
	/* /proc/stat's first line: "cpu  user nice system idle iowait irq
	 * softirq steal ...", in USER_HZ ticks, summed over the CPUs */
	FILE *f = fopen("/proc/stat", "r");
	unsigned long long v[8];
	long hz = sysconf(_SC_CLK_TCK);
	if (!f)
		return 0;
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
	               &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8 || hz <= 0)
		return 0;
	return (uint64_t)v[7] * (1000000000ull / (uint64_t)hz);
}

uint64_t rt_test_host_wait_ns(void)
{
	DIR *d = opendir("/proc/self/task");
	uint64_t sum = rt_test_host_steal_ns();
	struct dirent *e;
	if (!d)
		return sum;
	while ((e = readdir(d)) != NULL) {
		char path[300];
		unsigned long long run, wait;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;   /* a thread that just exited */
		if (fscanf(f, "%llu %llu", &run, &wait) == 2)
			sum += wait;
		fclose(f);
	}
	closedir(d);
	return sum;
}

_Noreturn void rt_test_check_failed(const char *file, int line, const char *expr)
{
	struct fail_rec *f = fail_rec();
	char buf[sizeof(f->msg)];
	snprintf(buf, sizeof(buf), "%s:%d: check failed: %s", file, line, expr);
	if (!__atomic_exchange_n(&f->taken, 1, __ATOMIC_SEQ_CST))
		memcpy(f->msg, buf, sizeof(buf));
	rt_test_child_exit();
	fprintf(stderr, "%s\n", buf);
	fflush(NULL);
	_exit(RT_TEST_CHECK_STATUS);
}

static unsigned timeout_s(void)
{
	const char *s = getenv("TALLY_RT_TEST_TIMEOUT");
	unsigned t = s && *s ? (unsigned)strtoul(s, NULL, 10) : 0;
	return t ? t : 60;
}

static void read_output(int fd)
{
	free(out);
	out = malloc(OUT_MAX + 1);
	if (!out)
		return;
	off_t end = lseek(fd, 0, SEEK_END);
	off_t start = end > OUT_MAX ? end - OUT_MAX : 0;  /* keep the tail */
	size_t n = 0;
	if (lseek(fd, start, SEEK_SET) == start) {
		ssize_t r;
		while (n < OUT_MAX && (r = read(fd, out + n, OUT_MAX - n)) > 0)
			n += (size_t)r;
	}
	out[n] = 0;
}

int rt_test_fork(void (*fn)(void *), void *arg)
{
	rt_test_shared();
	memset(fail_rec(), 0, sizeof(struct fail_rec));
	int fd = memfd_create("rt_test_output", 0);
	if (fd < 0) {
		FILE *t = tmpfile();
		fd = t ? dup(fileno(t)) : -1;
		if (t)
			fclose(t);
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("rt_test: fork");
		abort();
	}
	if (pid == 0) {
		static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS, SIGALRM };
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		alarm(timeout_s());
		fn(arg);
		fflush(NULL);
		_exit(0);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (fd >= 0) {
		read_output(fd);
		close(fd);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

/* ---- the runtime in the child ---- */

static void (*run_fn)(void *);
static void *run_arg;

static int run_main(int argc, char **argv)
{
	(void)argc, (void)argv;
	run_fn(run_arg);
	return 0;
}

static void child(void *nmsp)
{
	unsigned nms = *(unsigned *)nmsp;
	static char *argv[] = { "rt_test", NULL };
	if (!rt_main) {
		fprintf(stderr, "rt_test: this binary has no runtime (rt_main)\n");
		fflush(NULL);
		_exit(125);
	}
	rt_test_set_max_ms(nms);
	rt_test_set_exit_quick(rt_test_child_exit);
	unsigned q = quantum();
	rt_test_set_preempt(q != 0);
	if (q)
		rt_set_quantum((uint64_t)q * 1000);
	rt_main(run_main, 1, argv, nms);
}

int rt_test_run_status(void (*main_g)(void *), void *arg, unsigned nms)
{
	run_fn = main_g;
	run_arg = arg;
	int st = rt_test_fork(child, &nms);
	struct fail_rec *f = fail_rec();
	char line[160];
	int n = snprintf(line, sizeof(line), "  rt_test: %llu preemptions",
	                 (unsigned long long)f->preempts);
	for (unsigned i = 0, sep = 0; i < REC_MS && n < (int)sizeof(line) - 24; i++)
		if (f->preempts_m[i])
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%sM%u %llu",
			              sep++ ? ", " : " (", i, (unsigned long long)f->preempts_m[i]);
	printf("%s%s\n", line, f->preempts ? ")" : "");
	fflush(stdout);
	last_preempts = f->preempts;
	total_preempts += f->preempts;
	runs++;
	return st;
}

void rt_test_run(void (*main_g)(void *), void *arg, unsigned nms)
{
	int st = rt_test_run_status(main_g, arg, nms);
	if (st == 0)
		return;
	const char *o = rt_test_output();
	fprintf(stderr, "---- runtime child output (status %d) ----\n%s%s---- end ----\n", st, o,
	        *o && o[strlen(o) - 1] != '\n' ? "\n" : "");
	struct fail_rec *f = fail_rec();
	if (st == RT_TEST_CHECK_STATUS && f->taken)
		fail_msg("%s", f->msg);
	else if (st > 128)
		fail_msg("runtime child killed by signal %d%s", st - 128,
		         st - 128 == SIGALRM ? " (timeout)" : "");
	else
		fail_msg("runtime child exited with status %d", st);
}


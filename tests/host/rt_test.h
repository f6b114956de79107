/*
 * rt_test.h - running the runtime inside a host unit test.
 *
 * Each run happens in a child process: rt_main never returns (Go: the
 * program ends when main returns) and leaves M threads behind, so one
 * process can hold only one runtime.  rt_test_run forks, the child runs
 * main_g(arg) as goroutine 1 on nms Ms and exits with the status plat_exit
 * gets (0 when main_g returns), and the parent collects the status and
 * everything the child wrote to stdout/stderr.  Facts a test wants to
 * assert on in the parent travel through rt_test_shared(), memory both
 * processes see; RT_CHECK asserts inside the child.
 *
 * A child that hangs is killed after TALLY_RT_TEST_TIMEOUT seconds (env;
 * default 60): SIGALRM, reported as status 128 + 14.
 *
 * The runtime in a child is preempted asynchronously (rt_preempt_hosted.c)
 * with a quantum of TALLY_QUANTUM_US microseconds (env; default
 * RT_TEST_QUANTUM_US, 1000 times shorter than the runtime's own, so that
 * even goroutines that run a few microseconds between blocking calls are
 * preempted: the signal comes every 20 us, the shortest period the
 * hosted platform arms, and finds a goroutine that has run 10 us due;
 * 0: no preemption).  After each runtime child the parent prints how many
 * preemptions it saw, and at exit the total of the binary.
 */
#ifndef TALLY_TESTS_RT_TEST_H
#define TALLY_TESTS_RT_TEST_H

#include <stddef.h>
#include <stdint.h>
#include "rt/hosted/hosted.h"  /* the hosted platform's knobs */

/* Run main_g(arg) as the main goroutine on nms Ms (0: plat_max_ms()) in a
 * child; fail the current cmocka test (with the child's output) unless the
 * child exited with status 0.  Returns only on success. */
void rt_test_run(void (*main_g)(void *), void *arg, unsigned nms);
/* The same without judging: returns the exit status (0..255) or 128 +
 * the signal that ended the child. */
int rt_test_run_status(void (*main_g)(void *), void *arg, unsigned nms);
/* What the last child wrote (stdout and stderr interleaved), NUL-ended. */
const char *rt_test_output(void);
/* Common scenario helpers for the test_rt_* files, header-only because
 * they need cmocka and the runtime (include <cmocka.h> and rt/include/tally.h
 * first); each test file passes its own reset, which clears its shared
 * memory before every run. */
#if defined(cmocka_unit_test) && defined(TALLY_H)
/* Run fn as the main goroutine with 1 M, then with 4 Ms. */
static inline void rt_test_run_1_and_4(void (*fn)(void *), void (*reset)(void))
{
	reset();
	rt_test_run(fn, NULL, 1);
	reset();
	rt_test_run(fn, NULL, 4);
}

/* Run fn with nms Ms; fail unless it ended with status 2 and printed msg. */
static inline void rt_test_expect_fatal(void (*fn)(void *), unsigned nms, const char *msg,
                                        void (*reset)(void))
{
	reset();
	int st = rt_test_run_status(fn, NULL, nms);
	const char *o = rt_test_output();
	if (st != 2 || !strstr(o, msg))
		fail_msg("expected status 2 and \"%s\"; status %d, output:\n%s", msg, st, o);
}

/* Inside a goroutine: yield until *v reaches n. */
static inline void rt_test_join(volatile int64_t *v, int64_t n)
{
	while (tally_atomic_load(v) < n)
		tally_yield();
}

/* A test file's scaffolding: S points at its `struct shared` in memory
 * shared with the runtime child, reset() clears it (and restores the
 * default preemption quantum) before every run, and
 * run_1_and_4 / expect_fatal wrap the helpers above with that reset. */
#define RT_TEST_SCAFFOLD                                                       \
	static struct shared *S;                                               \
	static void reset(void)                                                \
	{                                                                      \
		S = rt_test_shared();                                          \
		memset((void *)S, 0, sizeof(*S));                              \
		rt_test_set_quantum_us(-1);                                    \
	}                                                                      \
	__attribute__((unused)) static inline void run_1_and_4(void (*fn)(void *)) \
	{                                                                      \
		rt_test_run_1_and_4(fn, reset);                                \
	}                                                                      \
	__attribute__((unused)) static inline void expect_fatal(void (*fn)(void *), unsigned nms, \
	                                const char *msg)                       \
	{                                                                      \
		rt_test_expect_fatal(fn, nms, msg, reset);                     \
	}
#endif

/* Run fn(arg) in a forked child (no runtime): status as above.  For tests
 * that expect a crash (a signal) or an exit. */
int rt_test_fork(void (*fn)(void *), void *arg);

/* Memory shared with the children (RT_TEST_SHARED_SIZE bytes, zero at
 * first use; the test clears what it reuses). */
#define RT_TEST_SHARED_SIZE (1024 * 1024)
void *rt_test_shared(void);

/* The time the host has kept this process from running, in ns, as a
 * counter (callers take differences): Linux's run_delay
 * (/proc/self/task/<tid>/schedstat, second field: runnable and waiting
 * for a CPU), summed over the threads, plus the machine's steal time
 * (rt_test_host_steal_ns).  Clocks the runtime does not compute: a
 * real-time upper bound on the runtime's own lateness adds the growth of
 * this sum over the interval, so that a busy host (a runtime thread
 * preempted by other processes, or the whole virtual machine by its
 * hypervisor) does not fail it.  Parts the kernel does not report count
 * 0 (the bound is then the plain one). */
uint64_t rt_test_host_wait_ns(void);
/* The machine's steal time, in ns (/proc/stat's "cpu" line, eighth
 * field, summed over the CPUs, USER_HZ resolution): time a hypervisor ran
 * something else while a virtual CPU had work.  A thread that runs
 * through it counts it in neither its run time nor its run_delay, so on
 * a virtual machine whose host is busy a 10 ms sleep can take 100 ms
 * with no run_delay at all. */
uint64_t rt_test_host_steal_ns(void);

/* In the child: on failure record "file:line: expr" and end the child
 * with status RT_TEST_CHECK_STATUS. */
#define RT_TEST_CHECK_STATUS 97
#define RT_CHECK(e) ((e) ? (void)0 : rt_test_check_failed(__FILE__, __LINE__, #e))
_Noreturn void rt_test_check_failed(const char *file, int line, const char *expr);

/* ---- preemption ---- */
#define RT_TEST_QUANTUM_US 10
/* The quantum of the runtime children started from now on, in us (0: no
 * preemption; < 0: back to TALLY_QUANTUM_US or RT_TEST_QUANTUM_US). */
void rt_test_set_quantum_us(int us);
/* In the parent: asynchronous preemptions in the last runtime child. */
uint64_t rt_test_last_preemptions(void);
#endif

/*
 * rt_preempt_hosted.c - asynchronous preemption of goroutines in the
 * hosted runtime, Go's way (runtime/signal_unix.go, preempt.go): a timer
 * signal per M, so that a goroutine that never yields loses its M here as
 * on bare metal, and the sanitizer builds see the runtime preempted at
 * arbitrary instructions.
 *
 * Purpose: plat_preempt_init and plat_irq_save/restore (rt/platform.h).
 * Every M (thread) owns a POSIX timer (CLOCK_MONOTONIC, SIGEV_THREAD_ID:
 * the signal goes to that thread, not to any thread of the process) that
 * sends RT_HOSTED_PREEMPT_SIG (SIGURG, as Go) every quantum / 2 while the
 * M is not parked: plat_m_park stops it and restarts it afterwards, so
 * idle Ms get no signals.  The handler does not switch stacks.  It runs
 * on the thread's alternate signal stack, asks rt_preempt_check() whether
 * the interrupted goroutine is due and, if so, redirects the interrupted
 * context (REG_RIP/REG_RSP of the ucontext) into rt_hosted_preempt_stub
 * (rt_preempt_stub.S, register contract at its top): once the handler
 * has returned, the stub saves every register, the flags and the extended
 * state on the goroutine's stack below its red zone, calls
 * rt_async_preempt_body() and returns to the interrupted instruction.
 * That is the kernel's arch_inject_preempt (an interrupt frame edited
 * into a call of arch_preempt_stub), done on a ucontext.
 *
 * The safe-point rule.  A goroutine is switched out only where no other
 * goroutine of the same thread can wait for something it holds.  The
 * handler injects only when all of these hold:
 *   1. preemption is not held off on this thread (plat_irq_save; the
 *      runtime's own pins, reading its M and then raising m->locks or
 *      reading curg, rely on rule 5's section rt_nopreempt instead:
 *      rt/pin.c);
 *   2. the interrupted PC lies in the executable's own .text section
 *      (from its section headers): never in its PLT stubs, where a call
 *      into the C library is on its way (one to pthread_mutex_unlock
 *      still holds the mutex), and never in the C library (malloc's
 *      arena lock, stdio's FILE lock, a pthread_once in progress), the
 *      vDSO, libcmocka or the sanitizer runtimes (libasan and libtsan are
 *      shared objects with gcc), whose state is per thread and which are
 *      not reentrant;
 *   3. the PC is not in section rt_hosted_text, which holds every
 *      function of the hosted platform (RT_HOSTED_TEXT, rt_test.h:
 *      plat_m_wake holds a pthread mutex, rt_fiber.c's wrappers are in
 *      the middle of a stack change) and this stub, nor in the context
 *      switch assembly (rt_ctx_switch_clean, rt_ctx_switch, rt_ctx_init,
 *      rt_ctx_trampoline:
 *      their extent comes from the executable's symbol table);
 *   4. the M runs a goroutine (m->curg) and the interrupted RSP lies in
 *      that goroutine's stack with RT_HOSTED_PREEMPT_ROOM bytes free below
 *      it: never g0 (the pthread stack), never a goroutine close to its
 *      guard page;
 *   5. rt_preempt_check() says yes: m->locks == 0 (no runtime lock held,
 *      not inside a switch), the G has run a quantum, and g->preempt is
 *      clear.  It sets g->preempt, which stays set until the G is
 *      scheduled again: one injection per run at most, so a signal that
 *      arrives in the stub or in rt_async_preempt_body is ignored.
 * The rules are checked in this order, and nothing instrumented runs
 * before rule 2 passed.  Rule 2 makes the C library a region without
 * safe points (Go's libcall has the same effect): a goroutine looping in
 * libc is preempted when it comes back.  A library that calls back into
 * the executable (qsort's comparator, a pthread_once routine) is what
 * the rule cannot see; the runtime and the tests have none outside
 * rt_hosted_text.
 *
 * Why a wall-clock timer, and what it costs.  A thread-CPU-time timer
 * (CLOCK_THREAD_CPUTIME_ID) would spare blocked threads, but Linux checks
 * those at its tick (250 Hz here), which makes a quantum below 4 ms
 * meaningless and left the tests nearly unpreempted.  A timer signal
 * costs tens of microseconds in a virtual machine, so a 100 us period
 * slows a busy M noticeably; the tests pay it for the coverage.
 *
 * ThreadSanitizer: not preempted asynchronously; its goroutines switch
 * only at their own calls into the scheduler, as before.  TSan intercepts
 * sigaction and defers an asynchronous signal to the next intercepted
 * call, where the ucontext it passes is a copy (editing it changes
 * nothing) and the handler runs inside an interceptor with every signal
 * blocked, so it cannot yield there.  Installing the handler past the
 * interceptor (the C library's own sigaction) gives the live context, but
 * the TSan variant is built with clang (whose TSan creates a goroutine's
 * fiber in microseconds; gcc 12's takes milliseconds), and clang links its
 * TSan runtime into the executable: rule 2's "PC inside the executable's
 * text" then includes TSan's own interceptors and allocator, and switching
 * a goroutine out there corrupts TSan's per-thread state (every TSan test
 * crashed).  The shared TSan runtime of clang 14 does not start.  Telling
 * TSan's functions apart by symbol is the way to preempt this build too;
 * until then plat_preempt_init does nothing under TSan, and the plain and
 * ASan builds carry the preemption coverage.
 * ASan: the stub and
 * the handler's store of the return address are not instrumented, so
 * stale redzones below a goroutine's SP do not matter; the switch goes
 * through the same fiber annotations, and a preempted goroutine resumes
 * through __sanitizer_finish_switch_fiber like any other.  The handler's
 * instrumented callees run on the alternate signal stack while ASan's
 * current stack is the goroutine's; they make no no-return call, the only
 * thing that depends on it.
 *
 * Data structures:
 *   pm[id]      M id's timer and `injected`, the preemptions its handler
 *               injected (written by that handler only, read by anyone);
 *   tick        the timers' period (zero: preemption off);
 *   exe_lo/hi, ctx_lo/hi   the ranges of rules 2 and 3, set in
 *               plat_preempt_init before any timer exists;
 *   irq_off     thread-local: preemption held off on this thread;
 *   tick_m      thread-local: 1 + the id of the M whose timer signals this
 *               thread (0: none); the handler acts only on that timer;
 *   rt_hosted_xsave_mask/size   what the stub saves (set once).
 *
 * Invariants: a timer exists only on a thread with an alternate signal
 * stack and after the handler is installed; pm[id].injected = the
 * redirects made on M id; at most one redirect per goroutine per run.
 *
 * Locking: none.  The handler touches only its thread's state, the
 * running G's stack bounds and its own counter.  irq_off is shared only
 * with the handler of its own thread: relaxed atomics and signal fences.
 *
 * Context: plat_preempt_init on M 0 before the other Ms start;
 * rt_hosted_preempt_m_start on each M's thread before its scheduler; the
 * park hook on g0; the handler on any M at any instruction.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include "rt/platform.h"
#include "rt/rt_impl.h"
#include "rt/hosted/hosted.h"

/* Binaries that test only the context switch link no scheduler (and never
 * call plat_preempt_init). */
#pragma weak rt_ms
#pragma weak rt_preempt_check

#define RT_HOSTED_PREEMPT_SIG SIGURG
#define RT_HOSTED_PREEMPT_ROOM (16 * 1024)   /* free stack the stub needs */
#define RT_HOSTED_RED_ZONE 128
#define RT_HOSTED_ALTSTACK (64 * 1024)
#define RT_HOSTED_MIN_PERIOD 20000ull        /* ns: faster swamps a thread */

/* The handler must not be instrumented: it may interrupt the sanitizer
 * runtimes themselves. */
#define RT_HOSTED_NOSAN __attribute__((no_sanitize("address", "thread", "undefined")))

struct preempt_m {
	timer_t timer;
	int armed;                 /* the timer exists */
	uint64_t injected;         /* written by this M's handler only */
};

static struct preempt_m pm[RT_MAX_M];
static struct itimerspec tick;          /* the timers' period; 0: off */
static int preempt_off;                 /* rt_test_set_preempt(0) */
static uintptr_t exe_lo, exe_hi;        /* rule 2 */
static uintptr_t ctx_lo, ctx_hi;        /* rule 3, the switch assembly */
static _Thread_local int irq_off;
static _Thread_local int tick_m;        /* 1 + M id of this thread's timer */

/* read by rt_preempt_stub.S */
uint64_t rt_hosted_xsave_mask;
uint32_t rt_hosted_xsave_size = 512;

extern char __start_rt_hosted_text[], __stop_rt_hosted_text[];
void rt_hosted_preempt_stub(void);

RT_HOSTED_TEXT void rt_test_set_preempt(int on) { preempt_off = !on; }

RT_HOSTED_TEXT uint64_t rt_test_preemptions_m(unsigned id)
{
	return id < RT_MAX_M ? __atomic_load_n(&pm[id].injected, __ATOMIC_RELAXED) : 0;
}

RT_HOSTED_TEXT uint64_t rt_test_preemptions(void)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < RT_MAX_M; i++)
		n += rt_test_preemptions_m(i);
	return n;
}

/* ------------------------------------------------------------ hold-off */

/* Hosted there are no interrupts; "interrupts off" means: no preemption
 * on this thread.  The callers switch no context in between, so the flag
 * stays on one thread.  Atomic because the handler reads it (and TSan,
 * whose fibers make the goroutines of one thread look like threads,
 * then does not take it for data). */
RT_HOSTED_TEXT unsigned long plat_irq_save(void)
{
	unsigned long old = (unsigned long)__atomic_load_n(&irq_off, __ATOMIC_RELAXED);
	__atomic_store_n(&irq_off, 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return old;
}

RT_HOSTED_TEXT void plat_irq_restore(unsigned long f)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&irq_off, (int)f, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------ the signal */

RT_HOSTED_TEXT RT_HOSTED_NOSAN static void preempt_signal(int sig, siginfo_t *si, void *ucp)
{
	(void)sig;
	ucontext_t *uc = ucp;
	greg_t *r = uc->uc_mcontext.gregs;
	uintptr_t pc = (uintptr_t)r[REG_RIP], sp = (uintptr_t)r[REG_RSP];
	if (si->si_code != SI_TIMER || si->si_value.sival_int != tick_m)
		return;  /* not this thread's own tick */
	if (__atomic_load_n(&irq_off, __ATOMIC_RELAXED))                /* 1 */
		return;
	if (pc < exe_lo || pc >= exe_hi)                                /* 2 */
		return;
	if ((pc >= (uintptr_t)__start_rt_hosted_text && pc < (uintptr_t)__stop_rt_hosted_text) ||
	    (pc >= ctx_lo && pc < ctx_hi))                              /* 3 */
		return;
	unsigned id = (unsigned)tick_m - 1;
	int saved_errno = errno;
	struct g *gp = rt_getm()->curg;                                 /* 4 */
	if (gp && gp->stack_lo &&
	    sp >= gp->stack_lo + RT_HOSTED_PREEMPT_ROOM + RT_HOSTED_RED_ZONE + 8 &&
	    sp <= gp->stack_lo + gp->stack_size && rt_preempt_check(pc)) {  /* 5 */
		uint64_t *ret = (uint64_t *)(sp - RT_HOSTED_RED_ZONE - 8);
		*ret = pc;
		r[REG_RSP] = (greg_t)(uintptr_t)ret;
		r[REG_RIP] = (greg_t)(uintptr_t)rt_hosted_preempt_stub;
		__atomic_store_n(&pm[id].injected, pm[id].injected + 1, __ATOMIC_RELAXED);
	}
	errno = saved_errno;
}

/* ------------------------------------------------------------ set-up */

RT_HOSTED_TEXT static _Noreturn void die(const char *what)
{
	char buf[160];
	int n = snprintf(buf, sizeof(buf), "hosted preemption: %s: %s\n", what, strerror(errno));
	plat_write(buf, (size_t)n);
	abort();
}

/* Rule 2's range: the executable's .text section.  Not its whole PF_X
 * segment, which also holds the PLT: a goroutine interrupted in the stub
 * that jumps to pthread_mutex_unlock still holds the mutex (rt_net_hosted.c
 * has it taken), and switching it out there let the next goroutine of
 * the same thread deadlock on it. */
RT_HOSTED_TEXT static void exe_text(void)
{
	if (!rt_hosted_text_range(&exe_lo, &exe_hi))
		die("the executable has no readable .text section header");
}

/* The switch assembly's extent: its four functions are contiguous. */
RT_HOSTED_TEXT static void ctx_range(void)
{
	static const char *const names[] = { "rt_ctx_switch_clean", "rt_ctx_switch", "rt_ctx_init",
	                                      "rt_ctx_trampoline" };
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uintptr_t lo, hi;
		if (!rt_hosted_symbol_range(names[i], &lo, &hi))
			continue;  /* stripped: m->locks still covers every switch */
		if (!ctx_lo || lo < ctx_lo)
			ctx_lo = lo;
		if (hi > ctx_hi)
			ctx_hi = hi;
	}
}

/* What the stub saves: every user component XCR0 enables except the AMX
 * tiles (8 KiB, off until a thread asks for them), in XSAVE's standard
 * layout; FXSAVE when the OS has not enabled XSAVE. */
RT_HOSTED_TEXT static void xsave_layout(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return;
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	uint64_t mask = ((uint64_t)hi << 32 | lo) & ~((1ull << 17) | (1ull << 18));
	uint32_t size = 512 + 64;
	for (unsigned i = 2; i < 64; i++) {
		if (!(mask & (1ull << i)))
			continue;
		__cpuid_count(0xd, i, a, b, c, d);
		if (b + a > size)
			size = b + a;
	}
	rt_hosted_xsave_mask = mask;
	rt_hosted_xsave_size = (size + 63) & ~63u;
}

/* The C library's sigaction.  Under TSan the symbol the executable binds
 * to is TSan's interceptor, which would defer the signal (see above). */
RT_HOSTED_TEXT static int (*libc_sigaction(void))(int, const struct sigaction *, struct sigaction *)
{
#if defined(RT_TEST_TSAN)
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *f = libc ? dlsym(libc, "sigaction") : NULL;
	if (!f)
		die("sigaction not found in libc.so.6");
	return (int (*)(int, const struct sigaction *, struct sigaction *))f;
#else
	return sigaction;
#endif
}

/* On M id's own thread: an alternate signal stack unless the thread has
 * one (ASan gives each thread one), then the timer. */
RT_HOSTED_TEXT void rt_hosted_preempt_m_start(unsigned id)
{
	if (!tick.it_interval.tv_nsec && !tick.it_interval.tv_sec)
		return;
	stack_t ss;
	if (sigaltstack(NULL, &ss) != 0)
		die("sigaltstack");
	if (ss.ss_flags & SS_DISABLE) {
		void *p = mmap(NULL, RT_HOSTED_ALTSTACK, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap of a signal stack");
		ss = (stack_t){ .ss_sp = p, .ss_size = RT_HOSTED_ALTSTACK, .ss_flags = 0 };
		if (sigaltstack(&ss, NULL) != 0)
			die("sigaltstack");
	}
	struct sigevent ev;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = RT_HOSTED_PREEMPT_SIG;
	ev.sigev_value.sival_int = (int)id + 1;
	ev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &ev, &pm[id].timer) != 0)
		die("timer_create");
	pm[id].armed = 1;
	tick_m = (int)id + 1;
	if (timer_settime(pm[id].timer, 0, &tick, NULL) != 0)
		die("timer_settime");
}

/* g0 of the calling M, around a park: no signals while it sleeps. */
RT_HOSTED_TEXT void rt_hosted_preempt_park(int parking)
{
	static const struct itimerspec stop;
	if (!tick_m)
		return;
	if (timer_settime(pm[tick_m - 1].timer, 0, parking ? &stop : &tick, NULL) != 0)
		die("timer_settime");
}

RT_HOSTED_TEXT void plat_preempt_init(uint64_t quantum_ns)
{
#if defined(RT_TEST_TSAN)
	(void)quantum_ns;  /* cooperative only: see "ThreadSanitizer" above */
	return;
#endif
	if (preempt_off || quantum_ns == 0)
		return;
	uint64_t period = quantum_ns / 2;
	if (period < RT_HOSTED_MIN_PERIOD)
		period = RT_HOSTED_MIN_PERIOD;
	exe_text();
	ctx_range();
	xsave_layout();
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = preempt_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (libc_sigaction()(RT_HOSTED_PREEMPT_SIG, &sa, NULL) != 0)
		die("sigaction");
	tick.it_interval.tv_sec = (time_t)(period / 1000000000u);
	tick.it_interval.tv_nsec = (long)(period % 1000000000u);
	tick.it_value = tick.it_interval;
	rt_hosted_preempt_m_start(plat_m_id());  /* rt_main's thread is M 0 */
}

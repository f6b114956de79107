/*
 * fatal.c - the runtime's fatal reports: throw, panic, out of memory.
 *
 * Purpose: Go's "fatal error: ..." and "panic: ..." reports, with the
 * current goroutine and a backtrace, ending the program with status 2 (or
 * RT_EXIT_OOM).  The platform stops the other Ms first (plat_fatal_begin),
 * so the report is whole; a fatal error while reporting one ends at once.
 * Context: any thread context on an M; never returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rt/rt.h"
#include "rt/rt_impl.h"
#include "rt/sched_impl.h"
#include "rt/include/tally.h"

void rt_print(const char *s) { plat_write(s, strlen(s)); }

void rt_print_goroutine_header(struct g *gp, const char *state)
{
	char buf[96];
	snprintf(buf, sizeof(buf), "goroutine %llu [%s]:\n", (unsigned long long)gp->goid, state);
	rt_print(buf);
}

static _Noreturn void die(const char *prefix, const char *msg, int status)
{
	struct m *m = acquirem();  /* no preemption from here on */
	if (!plat_fatal_begin()) {
		rt_print("fatal error: fatal error while reporting a fatal error\n");
		plat_fatal_exit(status);
	}
	rt_print(prefix);
	rt_print(msg);
	rt_print("\n\n");
	struct g *gp = m->curg;
	if (gp) {
		rt_print_goroutine_header(gp, "running");
	} else {
		rt_print("runtime: on the scheduler's stack (g0)\n");
	}
	plat_backtrace(0, 0);
	plat_fatal_exit(status);
}

_Noreturn void rt_throw(const char *msg) { die("fatal error: ", msg, 2); }
_Noreturn void rt_panic(const char *msg) { die("panic: ", msg, 2); }

_Noreturn void rt_throw_oom(const char *what, size_t bytes)
{
	char msg[320];
	if (bytes)
		snprintf(msg, sizeof(msg), "runtime: out of memory: cannot allocate %zu bytes (%s)",
		         bytes, what);
	else
		snprintf(msg, sizeof(msg), "runtime: out of memory: cannot allocate %s", what);
	die("fatal error: ", msg, RT_EXIT_OOM);
}

/*
 * rt_ledger.c - the ledger half of the runtime's platform contract
 * (rt/platform.h: plat_ledger_classes, plat_ledger_read, plat_cycles_hz)
 * on bare metal, behind the application's tally_ledger_read.
 *
 * Purpose: hand a program a consistent snapshot of one CPU's ledger
 * (kernel/ledger.h).  A ledger is written only by its own CPU, and a
 * snapshot taken from another CPU can catch a transition half done (the
 * class's cycles already added, `last` not yet moved: an interval counted
 * twice).  So each CPU snapshots itself: the caller's own CPU directly
 * with interrupts off, another CPU by an IPI call (ipi_call, cause
 * "call"), the same way the exit report gathers them.  The IPI is real
 * work on the target (kern.irq.ipi) and wakes it if it was halted: a
 * read costs the CPU it reads a few microseconds, and says so.
 *
 * Data structures: struct read_req on the caller's stack, written by the
 * target CPU in its interrupt handler.  The caller zeroes the buffers
 * first, so their stack pages are mapped before another CPU writes them.
 *
 * Context: goroutine (thread) context, pinned for the call (a move
 * between the IPI and the wait would leave the reply to the wrong CPU's
 * frame).  Never allocates.
 */
#include <string.h>
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/ipi.h"
#include "kernel/ledger.h"
#include "rt/platform.h"

struct read_req {
	uint64_t *cycles;
	unsigned max;
	uint64_t elapsed;
};

unsigned plat_ledger_classes(const char **names, unsigned max)
{
	unsigned n = ledger_nclasses();
	if (n > max)
		n = max;
	for (unsigned i = 0; i < n; i++)
		names[i] = ledger_class_name(i);
	return n;
}

uint64_t plat_cycles_hz(void) { return arch_cycles_hz(); }

/* On the CPU read, interrupts off (an IPI handler, or ipi_call's direct
 * call for the caller's own CPU). */
static void snap_self(void *p)
{
	struct read_req *r = p;
	struct ledger_snapshot s;
	ledger_snapshot(&this_cpu()->ledger, arch_cycles(), &s);
	for (unsigned k = 0; k < r->max && k < LEDGER_MAX_CLASSES; k++)
		r->cycles[k] = s.cycles[k];
	r->elapsed = s.elapsed;
}

int plat_ledger_read(unsigned m, uint64_t *cycles, unsigned max, uint64_t *elapsed)
{
	if (m >= cpu_count())
		return -1;
	memset(cycles, 0, max * sizeof(*cycles));
	struct read_req r = { cycles, max, 0 };
	struct cpu *c = cpu_pin();
	int rc = ipi_call(m, snap_self, &r, LCAUSE_CALL);
	cpu_unpin(c);
	*elapsed = r.elapsed;
	return rc < 0 ? -1 : 0;
}

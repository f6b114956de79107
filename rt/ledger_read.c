/*
 * ledger_read.c - the cost ledger's read API for applications
 * (tally_ledger_read, tally_ledger_sub, tally_ledger_cycles in
 * rt/include/tally.h).
 *
 * Purpose: give a program its own view of the ledger (per CPU and in
 * total, class names and cycles, elapsed, the counter's frequency), so
 * that it can measure what a stretch of its code cost, class by class,
 * without reading the kernel's report.  This file only checks arguments,
 * sums CPUs and subtracts; the ledger itself is the platform's
 * (rt/platform.h: plat_ledger_classes, plat_ledger_read, plat_cycles_hz):
 * the kernel's per-CPU ledger on bare metal, a per-M ledger in
 * nanoseconds hosted.
 *
 * Data structures: struct tally_ledger (tally.h): one entry per class id,
 * in the platform's order, each with the class's stable name.
 *
 * Invariants (of a successful read, for each of the ncpu CPUs read as of
 * its own instant):
 *   sum over classes of cycles + residue == elapsed
 * where the residue is the platform's, reported, never assumed 0; and for
 * d = a - b (tally_ledger_sub) the same equation holds for d.
 *
 * Locking: none here; the platform reads each CPU's ledger consistently
 * (bare metal: on that CPU, by an IPI; hosted: a sequence count).
 * Context: goroutine (the bare-metal read waits for IPIs); allocates
 * nothing.  A CPU is read at its own instant: a TALLY_LEDGER_ALL read is
 * ncpu snapshots taken one after the other, not one global instant.
 */
#include <stdint.h>
#include <string.h>
#include "rt/platform.h"
#include "rt/include/tally.h"

int tally_ledger_read(struct tally_ledger *out, int cpu)
{
	if (!out)
		return TALLY_ENULL;
	int n = tally_ncpu();
	if (cpu != TALLY_LEDGER_ALL && (cpu < 0 || cpu >= n))
		return TALLY_ECPU;
	const char *names[TALLY_LEDGER_MAX_CLASSES];
	unsigned nc = plat_ledger_classes(names, TALLY_LEDGER_MAX_CLASSES);
	memset(out, 0, sizeof(*out));
	out->cpu = cpu;
	out->cycles_hz = plat_cycles_hz();
	out->nclasses = nc;
	for (unsigned k = 0; k < nc; k++)
		out->classes[k].name = names[k];
	int lo = cpu == TALLY_LEDGER_ALL ? 0 : cpu;
	int hi = cpu == TALLY_LEDGER_ALL ? n : cpu + 1;
	uint64_t sum = 0;
	for (int m = lo; m < hi; m++) {
		uint64_t cyc[TALLY_LEDGER_MAX_CLASSES], el = 0;
		if (plat_ledger_read((unsigned)m, cyc, nc, &el) < 0)
			return TALLY_ECPU;
		for (unsigned k = 0; k < nc; k++) {
			out->classes[k].cycles += cyc[k];
			sum += cyc[k];
		}
		out->elapsed += el;
		out->ncpu++;
	}
	out->residue = (int64_t)(out->elapsed - sum);
	return 0;
}

int tally_ledger_sub(struct tally_ledger *d, const struct tally_ledger *a,
                     const struct tally_ledger *b)
{
	if (!d || !a || !b)
		return TALLY_ENULL;
	if (a->cpu != b->cpu || a->ncpu != b->ncpu || a->nclasses < b->nclasses ||
	    a->nclasses > TALLY_LEDGER_MAX_CLASSES || a->elapsed < b->elapsed)
		return TALLY_EMISMATCH;
	for (unsigned k = 0; k < b->nclasses; k++)
		if (a->classes[k].cycles < b->classes[k].cycles ||
		    (a->classes[k].name != b->classes[k].name &&
		     (!a->classes[k].name || !b->classes[k].name ||
		      strcmp(a->classes[k].name, b->classes[k].name) != 0)))
			return TALLY_EMISMATCH;
	struct tally_ledger r = *a;
	for (unsigned k = 0; k < b->nclasses; k++)
		r.classes[k].cycles -= b->classes[k].cycles;
	r.elapsed -= b->elapsed;
	r.residue -= b->residue;
	*d = r;
	return 0;
}

uint64_t tally_ledger_cycles(const struct tally_ledger *l, const char *group)
{
	if (!l || !group)
		return 0;
	size_t n = strlen(group);
	uint64_t sum = 0;
	for (unsigned k = 0; k < l->nclasses && k < TALLY_LEDGER_MAX_CLASSES; k++) {
		const char *name = l->classes[k].name;
		if (name && strncmp(name, group, n) == 0 && (name[n] == 0 || name[n] == '.'))
			sum += l->classes[k].cycles;
	}
	return sum;
}

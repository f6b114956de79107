/*
 * ledger.c - class registry and snapshots of the cost ledger (ledger.h).
 *
 * The transitions themselves are static inline in ledger.h; this file
 * holds what is not on a hot path: the table of class and cause names
 * and the arithmetic of a snapshot (the sums of times turned into
 * cycles, the pair's S given to its two classes, ledger.h).
 * Context: ledger_class/ledger_cause at boot only; the rest any.
 */
#include <string.h>
#include "kernel/ledger.h"

static const char *class_names[LEDGER_MAX_CLASSES] = {
	[LC_IDLE] = "idle",
	[LC_USER] = "user",
	[LC_KERN_BOOT] = "kern.boot",
	[LC_KERN_IRQ_TIMER] = "kern.irq.timer",
	[LC_KERN_IRQ_IPI] = "kern.irq.ipi",
	[LC_KERN_IRQ_OTHER] = "kern.irq.other",
	[LC_KERN_FAULT] = "kern.fault",
	[LC_KERN_DRIVER] = "kern.driver",
	[LC_KERN_SYSCALL] = "kern.syscall",
	[LC_RT_SCHED] = "rt.sched",
};
static unsigned nclasses = LC_FIXED_COUNT;

int ledger_on = 1;

static const char *cause_names[LEDGER_MAX_CAUSES] = {
	[LCAUSE_NONE] = "none",
	[LCAUSE_WAKEUP] = "wakeup",
	[LCAUSE_SHOOTDOWN] = "tlb.shootdown",
	[LCAUSE_CALL] = "call",
	[LCAUSE_PREEMPT] = "preempt",
};
static unsigned ncauses = LCAUSE_FIXED_COUNT;

static int lookup_or_add(const char **names, unsigned *n, unsigned max, const char *name)
{
	for (unsigned i = 0; i < *n; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return (int)i;
	if (*n >= max)
		return -1;
	names[*n] = name;
	return (int)(*n)++;
}

int ledger_class(const char *name)
{
	return lookup_or_add(class_names, &nclasses, LEDGER_MAX_CLASSES, name);
}

int ledger_cause(const char *name)
{
	return lookup_or_add(cause_names, &ncauses, LEDGER_MAX_CAUSES, name);
}

const char *ledger_class_name(unsigned id) { return id < nclasses ? class_names[id] : "?"; }
const char *ledger_cause_name(unsigned id) { return id < ncauses ? cause_names[id] : "?"; }
unsigned ledger_nclasses(void) { return nclasses; }
unsigned ledger_ncauses(void) { return ncauses; }

void ledger_start(struct ledger_cpu *l, uint64_t now, unsigned cls)
{
	memset(l, 0, sizeof(*l));
	l->start = l->last = now;
	_ledger_label(l, &l->stack[0], cls, 0);
	_ledger_open(l, now);
	l->entries[cls] = 1;
}

uint64_t ledger_transitions(const struct ledger_cpu *l)
{
	uint64_t n = l->rounds ? 2 * *l->rounds : 0;
	for (unsigned i = 0; i < LEDGER_MAX_CLASSES; i++)
		n += l->entries[i];
	return n ? n - 1 : 0;
}

void ledger_snapshot(const struct ledger_cpu *l, uint64_t now, struct ledger_snapshot *s)
{
	int64_t S = (int64_t)l->pair >> 1;  /* arithmetic: S may be negative */
	const struct ledger_frame top = l->stack[l->depth];
	uint64_t sum = 0;
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < LEDGER_MAX_CLASSES; i++)
		s->cycles[i] = l->cycles[i];
	for (unsigned i = 0; i < LEDGER_MAX_CAUSES; i++)
		s->cause_cycles[i] = l->cause_cycles[i];
	s->cycles[LC_USER] += (uint64_t)S;
	s->cycles[LC_RT_SCHED] -= (uint64_t)S;
	s->cycles[ledger_frame_class(l, top)] += now;
	s->cause_cycles[top.cause] += now;
	s->cause_cycles[LCAUSE_NONE] = 0;  /* the sink: no cause, no view */
	for (unsigned i = 0; i < LEDGER_MAX_CLASSES; i++)
		sum += s->cycles[i];
	s->elapsed = now - l->start;
	s->residue = (int64_t)(s->elapsed - sum);
	s->transitions = ledger_transitions(l);
}

void ledger_snapshot_add(struct ledger_snapshot *a, const struct ledger_snapshot *b)
{
	a->elapsed += b->elapsed;
	a->residue += b->residue;
	for (unsigned i = 0; i < LEDGER_MAX_CLASSES; i++)
		a->cycles[i] += b->cycles[i];
	for (unsigned i = 0; i < LEDGER_MAX_CAUSES; i++)
		a->cause_cycles[i] += b->cause_cycles[i];
	a->transitions += b->transitions;
}

/*
 * ledger.c - class registry and snapshots of the cost ledger (ledger.h).
 *
 * The transitions themselves are static inline in ledger.h; this file
 * holds what is not on a hot path: the table of class and cause names,
 * the arithmetic of a snapshot, and the rare end of an interruptible
 * switch that an interrupt overtook.
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
	l->stack[0].cls = (uint8_t)cls;
	l->entries[cls] = 1;
}

unsigned _ledger_switch_raced(uint64_t back, uint64_t now, struct ledger_cpu *l, uint8_t was)
{
	__atomic_compare_exchange_n(&l->last, &now, now + back, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	l->switches++;
	return was;
}

uint64_t ledger_transitions(const struct ledger_cpu *l)
{
	uint64_t n = l->switches;
	for (unsigned i = 0; i < LEDGER_MAX_CLASSES; i++)
		n += l->entries[i];
	return n ? n - 1 : 0;
}

void ledger_snapshot(const struct ledger_cpu *l, uint64_t now, struct ledger_snapshot *s)
{
	uint64_t last = l->last;
	uint64_t sum = 0;
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < LEDGER_MAX_CLASSES; i++) {
		s->cycles[i] = l->cycles[i];
		sum += s->cycles[i];
	}
	for (unsigned i = 0; i < LEDGER_MAX_CAUSES; i++)
		s->cause_cycles[i] = l->cause_cycles[i];
	if (now > last) {
		const struct ledger_frame *f = &l->stack[l->depth];
		s->cycles[f->cls] += now - last;
		if (f->cause)
			s->cause_cycles[f->cause] += now - last;
		sum += now - last;
	}
	s->elapsed = now - l->start;
	s->residue = (int64_t)(s->elapsed - sum);
}

void ledger_snapshot_add(struct ledger_snapshot *a, const struct ledger_snapshot *b)
{
	a->elapsed += b->elapsed;
	a->residue += b->residue;
	for (unsigned i = 0; i < LEDGER_MAX_CLASSES; i++)
		a->cycles[i] += b->cycles[i];
	for (unsigned i = 0; i < LEDGER_MAX_CAUSES; i++)
		a->cause_cycles[i] += b->cause_cycles[i];
}

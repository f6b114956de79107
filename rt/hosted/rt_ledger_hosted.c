/*
 * rt_ledger_hosted.c - the cost ledger of the hosted platform (the ledger
 * part of rt/platform.h, for rt_platform_hosted.c's Ms).
 *
 * Purpose: on Linux an M is a thread and has no cycle counter of its own
 * to charge, so each M keeps a time ledger in CLOCK_MONOTONIC nanoseconds
 * (the real clock, never the test clock), enough for the runtime's class
 * switches and for tally_ledger_read in the host tests.
 *
 * Data structures:
 *   classes[]   class names (id = index; 0 is "user", 1 "idle"),
 *               append-only; cur_class, the thread-local current class of
 *               each M;
 *   hl[id]      per-M time ledger: nanoseconds charged to the current
 *               class at each plat_ledger_switch, to "idle" while the M
 *               parks (rt_hosted_ledger_charge from the park); read by any
 *               thread through its sequence count (plat_ledger_read).
 *
 * Locking: class_lock guards the class table (names are read without it
 * once published); hl[id] is written by M id alone, inside an odd
 * hl[id].seq.  No runtime lock.
 * Context: any M; every function in rt_hosted_text (RT_HOSTED_TEXT).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "rt/platform.h"
#include "rt/rt_impl.h"  /* RT_MAX_M */
#include "rt/hosted/hosted.h"

#define RT_HOSTED_MAX_CLASSES 64

static const char *classes[RT_HOSTED_MAX_CLASSES] = { "user", "idle" };
static unsigned nclasses = 2;
static pthread_mutex_t class_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local uint64_t nswitches;
unsigned plat_class_user = 0;

/* Per-M time ledger in CLOCK_MONOTONIC nanoseconds (the real clock, never
 * the test clock): written by its own M only, between two increments of
 * seq (odd while an update is under way); readers retry until they see
 * the same even seq before and after.  Every field is accessed with
 * atomics, so the sanitizers see no race. */
struct hosted_ledger {
	uint32_t seq;
	uint32_t cur;            /* the class being charged */
	uint64_t start, last;    /* 0: not started */
	uint64_t cycles[RT_HOSTED_MAX_CLASSES];
};
static struct hosted_ledger hl[RT_MAX_M];

#define HOSTED_CLASS_IDLE 1                /* "idle", classes[1] */
static _Thread_local unsigned cur_class;  /* ledger class of this M; 0: user */

RT_HOSTED_TEXT static uint64_t ledger_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

RT_HOSTED_TEXT int rt_hosted_ledger_started(unsigned m)
{
	return __atomic_load_n(&hl[m].last, __ATOMIC_RELAXED) != 0;
}

/* Charge the time since the last transition to the current class, then
 * charge cls from now on (M m's ledger, called on M m's thread). */
RT_HOSTED_TEXT static void ledger_charge(unsigned m, unsigned cls)
{
	struct hosted_ledger *l = &hl[m];
	uint64_t now = ledger_now();
	uint32_t seq = __atomic_load_n(&l->seq, __ATOMIC_RELAXED);
	__atomic_store_n(&l->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	uint64_t last = __atomic_load_n(&l->last, __ATOMIC_RELAXED);
	if (last == 0) {
		__atomic_store_n(&l->start, now, __ATOMIC_RELAXED);
	} else {
		unsigned cur = __atomic_load_n(&l->cur, __ATOMIC_RELAXED);
		uint64_t c = __atomic_load_n(&l->cycles[cur], __ATOMIC_RELAXED);
		__atomic_store_n(&l->cycles[cur], c + (now - last), __ATOMIC_RELAXED);
	}
	__atomic_store_n(&l->last, now, __ATOMIC_RELAXED);
	__atomic_store_n(&l->cur, cls, __ATOMIC_RELAXED);
	__atomic_store_n(&l->seq, seq + 2, __ATOMIC_RELEASE);
}

RT_HOSTED_TEXT void rt_hosted_ledger_charge(unsigned m, int idle)
{
	ledger_charge(m, idle ? HOSTED_CLASS_IDLE : cur_class);
}

RT_HOSTED_TEXT int plat_ledger_class(const char *name)
{
	pthread_mutex_lock(&class_lock);
	int id = -1;
	for (unsigned i = 0; i < nclasses; i++)
		if (strcmp(classes[i], name) == 0)
			id = (int)i;
	if (id < 0 && nclasses < RT_HOSTED_MAX_CLASSES) {
		classes[nclasses] = name;
		id = (int)nclasses++;
	}
	pthread_mutex_unlock(&class_lock);
	if (id < 0) {
		static const char msg[] = "hosted platform: ledger: no room for another class\n";
		plat_write(msg, sizeof(msg) - 1);
		abort();
	}
	return id;
}

RT_HOSTED_TEXT unsigned plat_ledger_switch(unsigned cls)
{
	unsigned old = cur_class;
	cur_class = cls;
	nswitches++;
	ledger_charge(plat_m_id(), cls);
	return old;
}

RT_HOSTED_TEXT unsigned plat_ledger_classes(const char **names, unsigned max)
{
	pthread_mutex_lock(&class_lock);
	unsigned n = nclasses < max ? nclasses : max;
	for (unsigned i = 0; i < n; i++)
		names[i] = classes[i];
	pthread_mutex_unlock(&class_lock);
	return n;
}

RT_HOSTED_TEXT uint64_t plat_cycles_hz(void) { return 1000000000u; }

RT_HOSTED_TEXT int plat_ledger_read(unsigned m, uint64_t *cycles, unsigned max, uint64_t *elapsed)
{
	if (m >= RT_MAX_M)
		return -1;
	struct hosted_ledger *l = &hl[m];
	if (max > RT_HOSTED_MAX_CLASSES)
		max = RT_HOSTED_MAX_CLASSES;
	for (;;) {
		uint32_t s0 = __atomic_load_n(&l->seq, __ATOMIC_ACQUIRE);
		uint64_t now = ledger_now();
		uint64_t start = __atomic_load_n(&l->start, __ATOMIC_RELAXED);
		uint64_t last = __atomic_load_n(&l->last, __ATOMIC_RELAXED);
		unsigned cur = __atomic_load_n(&l->cur, __ATOMIC_RELAXED);
		for (unsigned k = 0; k < max; k++)
			cycles[k] = __atomic_load_n(&l->cycles[k], __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if ((s0 & 1) || __atomic_load_n(&l->seq, __ATOMIC_RELAXED) != s0)
			continue;
		*elapsed = 0;
		if (last) {
			if (now > last && cur < max)
				cycles[cur] += now - last;  /* the pending part */
			*elapsed = (now > last ? now : last) - start;
		}
		return 0;
	}
}

/* The scheduler's pair: ordinary switches here; the run start is read on
 * plat_cycles' clock, the test clock when a test set one (as the
 * preemption check reads it). */
RT_HOSTED_TEXT uint64_t plat_ledger_enter_user(void)
{
	plat_ledger_switch(plat_class_user);
	return 2 * plat_cycles() + 1;
}

/* each switch is counted by plat_ledger_switch */
RT_HOSTED_TEXT void plat_ledger_rounds(const uint64_t *count) { (void)count; }

/* back to "rt.sched", looked up once (ids never move; 0 is "user") */
RT_HOSTED_TEXT void plat_ledger_leave_user(void)
{
	static unsigned sched;
	unsigned c = __atomic_load_n(&sched, __ATOMIC_RELAXED);
	if (!c) {
		c = (unsigned)plat_ledger_class("rt.sched");
		__atomic_store_n(&sched, c, __ATOMIC_RELAXED);
	}
	plat_ledger_switch(c);
}

/* cycles are ns here (plat_cycles_hz), on the runtime's clock */
RT_HOSTED_TEXT uint64_t plat_cycles(void) { return plat_nanotime(); }

RT_HOSTED_TEXT unsigned rt_test_ledger_current(void) { return cur_class; }
RT_HOSTED_TEXT uint64_t rt_test_ledger_switches(void) { return nswitches; }

RT_HOSTED_TEXT const char *rt_test_ledger_name(unsigned cls)
{
	pthread_mutex_lock(&class_lock);
	const char *s = cls < nclasses ? classes[cls] : NULL;
	pthread_mutex_unlock(&class_lock);
	return s;
}

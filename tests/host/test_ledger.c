/*
 * test_ledger.c - host tests of the cost ledger's arithmetic (ledger.h):
 * nesting charges the right class, causes are a sub-view, the classes sum
 * to the elapsed cycles exactly, overflow of the nesting stack keeps the
 * books balanced, and the class registry is stable.  The per-class and
 * per-cause totals of a random walk are compared with a reference model
 * written here (a plain stack of classes, each interval charged to its
 * top), not with the ledger's own sum, which telescopes by construction.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "kernel/ledger.h"

static uint64_t sum(const struct ledger_snapshot *s)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < LEDGER_MAX_CLASSES; i++)
		t += s->cycles[i];
	return t;
}

static void nesting_charges_inner_then_outer(void **state)
{
	(void)state;
	struct ledger_cpu l;
	struct ledger_snapshot s;
	int gc = ledger_class("rt.gc.mark");
	assert_true(gc >= LC_FIXED_COUNT);
	ledger_start(&l, 1000, LC_USER);
	ledger_switch(&l, 1100, (unsigned)gc);             /* user 100 */
	ledger_push(&l, 1150, LC_KERN_IRQ_TIMER, 0);       /* gc 50 */
	ledger_push(&l, 1160, LC_KERN_IRQ_IPI, LCAUSE_SHOOTDOWN);  /* timer 10 */
	ledger_pop(&l, 1190);                              /* ipi 30 */
	ledger_pop(&l, 1200);                              /* timer 10 more */
	ledger_snapshot(&l, 1300, &s);                     /* gc 100 pending */
	assert_int_equal(s.cycles[LC_USER], 100);
	assert_int_equal(s.cycles[gc], 150);
	assert_int_equal(s.cycles[LC_KERN_IRQ_TIMER], 20);
	assert_int_equal(s.cycles[LC_KERN_IRQ_IPI], 30);
	assert_int_equal(s.cause_cycles[LCAUSE_SHOOTDOWN], 30);
	assert_int_equal(s.elapsed, 300);
	assert_int_equal(s.residue, 0);
	assert_int_equal(sum(&s), 300);
	assert_int_equal(ledger_current(&l), (unsigned)gc);
	assert_int_equal(l.entries[LC_KERN_IRQ_TIMER], 1);
	assert_int_equal(l.cause_events[LCAUSE_SHOOTDOWN], 1);
}

static void random_walk_always_balances(void **state)
{
	(void)state;
	struct ledger_cpu l;
	struct ledger_snapshot s;
	uint64_t now = 5, x = 12345;
	ledger_start(&l, now, LC_IDLE);
	for (int i = 0; i < 100000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		now += (x >> 33) % 1000;
		unsigned op = (x >> 20) % 3, cls = (x >> 40) % LC_FIXED_COUNT;
		if (op == 0)
			ledger_push(&l, now, cls, (x >> 50) % LCAUSE_FIXED_COUNT);
		else if (op == 1)
			ledger_pop(&l, now);
		else
			ledger_switch(&l, now, cls);
		if (i % 997 == 0) {
			ledger_snapshot(&l, now + 7, &s);
			assert_int_equal(s.residue, 0);
			assert_int_equal(sum(&s), now + 7 - 5);
		}
	}
}

/* The reference: each interval between two events goes to the class (and
 * cause) on top of a plain stack; no `last`, no running sums. */
struct model {
	unsigned depth;
	unsigned cls[LEDGER_DEPTH], cause[LEDGER_DEPTH];
	uint64_t over;
	uint64_t cycles[LEDGER_MAX_CLASSES], cause_cycles[LEDGER_MAX_CAUSES];
	uint64_t entries;
};

static void matches_a_reference_model(void **state)
{
	(void)state;
	struct ledger_cpu l;
	struct ledger_snapshot s;
	struct model m;
	memset(&m, 0, sizeof(m));
	uint64_t now = 100, x = 777, rounds = 0;
	ledger_start(&l, now, LC_USER);
	l.rounds = &rounds;  /* the scheduler's count: one per pair enter */
	m.cls[0] = LC_USER;
	for (int i = 0; i < 200000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t dt = (x >> 33) % 500;
		m.cycles[m.cls[m.depth]] += dt;
		m.cause_cycles[m.cause[m.depth]] += dt;
		now += dt;
		/* 5: a pop again, so that the walk is often back on the thread's
		 * own frame, where the pair runs */
		unsigned op = (x >> 20) % 6, cls = (x >> 40) % LC_FIXED_COUNT;
		unsigned cause = (x >> 50) % LCAUSE_FIXED_COUNT;
		/* the thread's own frame, where the scheduler's pair runs */
		int base = m.depth == 0 && !m.over && m.cause[0] == 0;
		if (op == 0) {
			ledger_push(&l, now, cls, cause);
			if (m.depth + 1 >= LEDGER_DEPTH) {
				m.over++;  /* refused: no entry */
			} else {
				m.entries++;
				m.depth++;
				m.cls[m.depth] = cls;
				m.cause[m.depth] = cause;
			}
		} else if (op == 1 || op == 5) {
			ledger_pop(&l, now);
			if (m.over)
				m.over--;
			else if (m.depth)
				m.depth--;
		} else if (op == 2) {
			unsigned old = ledger_switch(&l, now, cls);
			assert_int_equal(old, m.cls[m.depth]);
			m.entries++;
			m.cls[m.depth] = cls;
			m.cause[m.depth] = 0;
		} else if (op == 3 && base && m.cls[0] == LC_USER) {
			ledger_pair_leave(&l, now);  /* counted by its round */
			m.cls[0] = LC_RT_SCHED;
		} else if (op == 3 && base && m.cls[0] == LC_RT_SCHED) {
			rounds++;  /* as execute() counts before its enter */
			ledger_pair_enter(&l, now);
			m.entries += 2;
			m.cls[0] = LC_USER;
		} else if (op == 4 && m.depth > 0 && !m.over) {
			/* the preempt hook: the frame under an interrupt's */
			l.stack[l.depth - 1].cls = LC_RT_SCHED;
			l.stack[l.depth - 1].cause = LCAUSE_PREEMPT;
			m.cls[m.depth - 1] = LC_RT_SCHED;
			m.cause[m.depth - 1] = LCAUSE_PREEMPT;
		}
		assert_int_equal(ledger_current(&l), m.cls[m.depth]);
		if (i % 997 == 0) {
			/* any instant: the ledger as a snapshot by IPI reads it */
			ledger_snapshot(&l, now, &s);
			for (unsigned k = 0; k < LC_FIXED_COUNT; k++)
				assert_int_equal(s.cycles[k], m.cycles[k]);
			assert_int_equal(s.residue, 0);
		}
	}
	ledger_snapshot(&l, now, &s);
	for (unsigned k = 0; k < LC_FIXED_COUNT; k++)
		assert_int_equal(s.cycles[k], m.cycles[k]);
	/* causes 1..: a sub-view, exactly the model's; cause 0 is a sink */
	for (unsigned k = 1; k < LCAUSE_FIXED_COUNT; k++)
		assert_int_equal(s.cause_cycles[k], m.cause_cycles[k]);
	/* two a round, counted by the scheduler (a round whose leave is
	 * still to come counts it already, as the model does) */
	assert_int_equal(ledger_transitions(&l), m.entries);
	assert_true(rounds > 1000);  /* the walk did exercise the pair */
}

static void no_cause_charges_no_cause(void **state)
{
	(void)state;
	struct ledger_cpu l;
	struct ledger_snapshot s;
	ledger_start(&l, 0, LC_USER);
	ledger_push(&l, 10, LC_KERN_SYSCALL, 0);        /* user 10 */
	ledger_push(&l, 15, LC_KERN_DRIVER, 0);         /* syscall 5 */
	ledger_pop(&l, 45);                             /* driver 30 */
	ledger_pop(&l, 50);                             /* syscall 5 more */
	ledger_push(&l, 60, LC_KERN_IRQ_TIMER, LCAUSE_PREEMPT);  /* user 10 */
	ledger_pop(&l, 67);                             /* timer 7, preempt 7 */
	ledger_snapshot(&l, 70, &s);
	assert_int_equal(s.cycles[LC_USER], 23);
	assert_int_equal(s.cycles[LC_KERN_SYSCALL], 10);
	assert_int_equal(s.cycles[LC_KERN_DRIVER], 30);
	assert_int_equal(s.cycles[LC_KERN_IRQ_TIMER], 7);
	assert_int_equal(s.cause_cycles[LCAUSE_PREEMPT], 7);
	for (unsigned k = 1; k < LCAUSE_FIXED_COUNT; k++)
		if (k != LCAUSE_PREEMPT)
			assert_int_equal(s.cause_cycles[k], 0);
	assert_int_equal(ledger_transitions(&l), 3);
	assert_string_equal(ledger_class_name(LC_KERN_SYSCALL), "kern.syscall");
	assert_string_equal(ledger_class_name(LC_KERN_DRIVER), "kern.driver");
}

/* The scheduler's pair: one add to leave user, one subtract to enter it,
 * charged as ledger_switch charges (hand-computed intervals); an
 * interrupt's push and pop between the pair's switches take their cycles
 * from the half that is open; a snapshot between any two steps (as an
 * IPI takes it) balances; a preemption's relabel and the ordinary switch
 * back come out as the hook and execute() make them. */
static void pair_switches_charge_as_switches(void **state)
{
	(void)state;
	struct ledger_cpu a;
	struct ledger_snapshot s;
	uint64_t rounds = 0;
	ledger_start(&a, 0, LC_KERN_BOOT);
	a.rounds = &rounds;
	assert_int_equal(ledger_switch(&a, 10, LC_RT_SCHED), LC_KERN_BOOT);  /* mstart */
	assert_int_equal(a.stack[0].cls, LEDGER_PAIR);
	rounds++;
	ledger_pair_enter(&a, 25);                    /* sched 10-25 */
	assert_int_equal(ledger_current(&a), LC_USER);
	ledger_snapshot(&a, 30, &s);                  /* mid-run, as an IPI would */
	assert_int_equal(s.cycles[LC_USER], 5);
	assert_int_equal(s.cycles[LC_RT_SCHED], 15);
	assert_int_equal(s.residue, 0);
	ledger_push(&a, 40, LC_KERN_IRQ_TIMER, 0);    /* user 25-40 */
	ledger_pop(&a, 48);                           /* timer 8 */
	ledger_pair_leave(&a, 60);                    /* user 48-60 */
	assert_int_equal(ledger_current(&a), LC_RT_SCHED);
	ledger_push(&a, 61, LC_KERN_IRQ_IPI, 0);      /* sched 60-61 */
	ledger_pop(&a, 64);                           /* ipi 3 */
	rounds++;
	ledger_pair_enter(&a, 70);                    /* sched 64-70 */
	/* a tick preempts: it relabels the frame under its own */
	ledger_push(&a, 80, LC_KERN_IRQ_TIMER, 0);    /* user 70-80 */
	a.stack[a.depth - 1].cls = LC_RT_SCHED;
	a.stack[a.depth - 1].cause = LCAUSE_PREEMPT;
	ledger_pop(&a, 85);                           /* timer 5 */
	assert_int_equal(ledger_switch(&a, 95, LC_RT_SCHED), LC_RT_SCHED);  /* preempt 85-95 */
	assert_int_equal(a.stack[0].cls, LEDGER_PAIR);
	rounds++;
	ledger_pair_enter(&a, 100);                   /* sched 95-100 */
	ledger_snapshot(&a, 110, &s);                 /* user 100-110 */
	assert_int_equal(s.cycles[LC_KERN_BOOT], 10);
	assert_int_equal(s.cycles[LC_RT_SCHED], 15 + 1 + 6 + 10 + 5);
	assert_int_equal(s.cycles[LC_USER], 15 + 12 + 10 + 10);
	assert_int_equal(s.cycles[LC_KERN_IRQ_TIMER], 8 + 5);
	assert_int_equal(s.cycles[LC_KERN_IRQ_IPI], 3);
	assert_int_equal(s.cause_cycles[LCAUSE_PREEMPT], 10);
	assert_int_equal(s.residue, 0);
	assert_int_equal(sum(&s), 110);
	/* mstart's switch, 3 rounds of 2, the three pushes, the preempted
	 * round's switch back (its relabel is the third of that round) */
	assert_int_equal(ledger_transitions(&a), 1 + 6 + 3 + 1);
	/* a switch away from the pair and back keeps the pair's sum */
	assert_int_equal(ledger_switch(&a, 120, LC_IDLE), LC_USER);
	assert_int_equal(ledger_switch(&a, 150, LC_USER), LC_IDLE);
	ledger_pair_leave(&a, 155);
	ledger_snapshot(&a, 160, &s);
	assert_int_equal(s.cycles[LC_USER], 47 + 10 + 5);
	assert_int_equal(s.cycles[LC_IDLE], 30);
	assert_int_equal(s.cycles[LC_RT_SCHED], 37 + 5);
	assert_int_equal(s.residue, 0);
}

/* The pair's word stays exact far from 0: S is a signed sum of times,
 * 2 S + h must not lose S's sign (an arithmetic shift reads it back). */
static void pair_word_keeps_large_times(void **state)
{
	(void)state;
	struct ledger_cpu a;
	struct ledger_snapshot s;
	uint64_t t = 1ull << 61;  /* a cycle counter decades from its reset */
	ledger_start(&a, t, LC_RT_SCHED);
	ledger_pair_enter(&a, t + 7);
	ledger_pair_leave(&a, t + 1007);
	ledger_pair_enter(&a, t + 1010);
	ledger_snapshot(&a, t + 1020, &s);
	assert_int_equal(s.cycles[LC_USER], 1000 + 10);
	assert_int_equal(s.cycles[LC_RT_SCHED], 7 + 3);
	assert_int_equal(s.residue, 0);
}

static void overflow_keeps_books(void **state)
{
	(void)state;
	struct ledger_cpu l;
	struct ledger_snapshot s;
	ledger_start(&l, 0, LC_USER);
	for (int i = 0; i < LEDGER_DEPTH + 5; i++)
		ledger_push(&l, (uint64_t)i + 1, LC_KERN_FAULT, 0);
	assert_true(l.overflow > 0);
	for (int i = 0; i < LEDGER_DEPTH + 5; i++)
		ledger_pop(&l, 100 + (uint64_t)i);
	assert_int_equal(l.overflow, 0);
	assert_int_equal(l.depth, 0);
	assert_int_equal(ledger_current(&l), LC_USER);
	ledger_snapshot(&l, 500, &s);
	assert_int_equal(s.residue, 0);
	assert_int_equal(sum(&s), 500);
}

static void registry_is_stable(void **state)
{
	(void)state;
	int a = ledger_class("rt.sched");
	int b = ledger_class("rt.sched");
	assert_int_equal(a, b);
	assert_string_equal(ledger_class_name((unsigned)a), "rt.sched");
	assert_string_equal(ledger_class_name(LC_KERN_IRQ_TIMER), "kern.irq.timer");
	assert_string_equal(ledger_cause_name(LCAUSE_WAKEUP), "wakeup");
	int c = ledger_cause("rt.stack");
	assert_int_equal(c, ledger_cause("rt.stack"));
	/* the table fills up and then refuses */
	static char names[LEDGER_MAX_CLASSES][16];
	int last = 0;
	for (int i = 0; i < LEDGER_MAX_CLASSES; i++) {
		snprintf(names[i], sizeof(names[i]), "x.%d", i);
		last = ledger_class(names[i]);
	}
	assert_int_equal(last, -1);
	assert_int_equal(ledger_nclasses(), LEDGER_MAX_CLASSES);
}

static void snapshot_add_totals(void **state)
{
	(void)state;
	struct ledger_cpu a, b;
	struct ledger_snapshot sa, sb;
	ledger_start(&a, 0, LC_USER);
	ledger_start(&b, 10, LC_IDLE);
	ledger_push(&b, 20, LC_KERN_IRQ_TIMER, 0);
	ledger_snapshot(&a, 100, &sa);
	ledger_snapshot(&b, 110, &sb);
	ledger_snapshot_add(&sa, &sb);
	assert_int_equal(sa.elapsed, 200);
	assert_int_equal(sa.cycles[LC_USER], 100);
	assert_int_equal(sa.cycles[LC_IDLE], 10);
	assert_int_equal(sa.cycles[LC_KERN_IRQ_TIMER], 90);
	assert_int_equal(sa.residue, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nesting_charges_inner_then_outer),
		cmocka_unit_test(random_walk_always_balances),
		cmocka_unit_test(matches_a_reference_model),
		cmocka_unit_test(no_cause_charges_no_cause),
		cmocka_unit_test(pair_switches_charge_as_switches),
		cmocka_unit_test(pair_word_keeps_large_times),
		cmocka_unit_test(overflow_keeps_books),
		cmocka_unit_test(snapshot_add_totals),
		cmocka_unit_test(registry_is_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

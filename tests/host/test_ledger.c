/*
 * test_ledger.c - host tests of the cost ledger's arithmetic (ledger.h):
 * nesting charges the right class, causes are a sub-view, the classes sum
 * to the elapsed cycles exactly, overflow of the nesting stack keeps the
 * books balanced, and the class registry is stable.
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
		cmocka_unit_test(overflow_keeps_books),
		cmocka_unit_test(snapshot_add_totals),
		cmocka_unit_test(registry_is_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_ledger.c - host tests of the cost ledger's arithmetic (ledger.h):
 * nesting charges the right class, causes are a sub-view, the classes sum
 * to the elapsed cycles exactly, overflow of the nesting stack keeps the
 * books balanced, and the class registry is stable.  The per-class and
 * per-cause totals of a random walk are compared with a reference model
 * written here (a plain stack of classes, each interval charged to its
 * top), not with the ledger's own sum, which telescopes by construction.
 */
#define _DEFAULT_SOURCE  /* setitimer, sigaction */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
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
	uint64_t now = 100, x = 777;
	ledger_start(&l, now, LC_USER);
	m.cls[0] = LC_USER;
	for (int i = 0; i < 200000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t dt = (x >> 33) % 500;
		m.cycles[m.cls[m.depth]] += dt;
		m.cause_cycles[m.cause[m.depth]] += dt;
		now += dt;
		unsigned op = (x >> 20) % 3, cls = (x >> 40) % LC_FIXED_COUNT;
		unsigned cause = (x >> 50) % LCAUSE_FIXED_COUNT;
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
		} else if (op == 1) {
			ledger_pop(&l, now);
			if (m.over)
				m.over--;
			else if (m.depth)
				m.depth--;
		} else {
			/* the interrupt-tolerant switch must charge as the plain
			 * one when no interrupt lands inside it; so must its
			 * variant for a frame without a cause */
			if ((x >> 60) & 1 && m.cause[m.depth] == 0 && !m.over) {
				ledger_enter_interruptible(&l, now, cls);
			} else {
				unsigned old = (x >> 61) & 1 ? ledger_switch_interruptible(&l, now, cls)
				                             : ledger_switch(&l, now, cls);
				assert_int_equal(old, m.cls[m.depth]);
			}
			m.entries++;
			m.cls[m.depth] = cls;
			m.cause[m.depth] = 0;
		}
		assert_int_equal(ledger_current(&l), m.cls[m.depth]);
	}
	ledger_snapshot(&l, now, &s);
	for (unsigned k = 0; k < LC_FIXED_COUNT; k++)
		assert_int_equal(s.cycles[k], m.cycles[k]);
	/* causes 1..: a sub-view, exactly the model's; cause 0 is a sink */
	for (unsigned k = 1; k < LCAUSE_FIXED_COUNT; k++)
		assert_int_equal(s.cause_cycles[k], m.cause_cycles[k]);
	assert_int_equal(ledger_transitions(&l), m.entries);
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

/* The interrupt-tolerant switch: alone it charges as ledger_switch does;
 * with an interrupt (a push and a pop) landing between its clock read and
 * its exchange, nothing is charged twice and last is the interrupt's exit. */
static void interruptible_switch_stays_exact(void **state)
{
	(void)state;
	struct ledger_cpu a, b;
	struct ledger_snapshot sa, sb;
	int sched = ledger_class("rt.sched");
	ledger_start(&a, 0, LC_USER);
	ledger_start(&b, 0, LC_USER);
	assert_int_equal(ledger_switch_interruptible(&a, 100, (unsigned)sched), LC_USER);
	ledger_switch(&b, 100, (unsigned)sched);
	assert_int_equal(ledger_switch_interruptible(&a, 130, LC_USER), (unsigned)sched);
	ledger_switch(&b, 130, LC_USER);
	ledger_snapshot(&a, 200, &sa);
	ledger_snapshot(&b, 200, &sb);
	assert_memory_equal(sa.cycles, sb.cycles, sizeof(sa.cycles));
	assert_int_equal(ledger_transitions(&a), ledger_transitions(&b));

	/* the clock is read at 300; a timer interrupt enters at 310 and
	 * leaves at 350; then the exchange runs */
	ledger_push(&a, 310, LC_KERN_IRQ_TIMER, 0);   /* user up to 310 */
	ledger_pop(&a, 350);                          /* timer 40 */
	assert_int_equal(ledger_switch_interruptible(&a, 300, (unsigned)sched), LC_USER);
	assert_int_equal(a.last, 350);                /* the interrupt's exit */
	ledger_snapshot(&a, 400, &sa);
	assert_int_equal(sa.residue, 0);
	assert_int_equal(sa.cycles[LC_USER], 100 + 180);  /* 0-100, 130-310 */
	assert_int_equal(sa.cycles[LC_KERN_IRQ_TIMER], 40);
	assert_int_equal(sa.cycles[sched], 30 + 50);  /* 100-130, 350-400 */
	assert_int_equal(sum(&sa), 400);

	/* the overtaken end alone, as when a second interrupt ran between the
	 * exchange (clock read at 500, first interrupt's exit 520) and it: the
	 * second one left last at its exit, 560, which must stay; nothing is
	 * charged and the switch is counted */
	uint64_t tr = ledger_transitions(&a);
	a.last = 560;
	ledger_snapshot(&a, 560, &sa);
	assert_int_equal(_ledger_switch_raced(20, 500, &a, LC_USER), LC_USER);
	assert_int_equal(a.last, 560);
	assert_int_equal(ledger_transitions(&a), tr + 1);
	ledger_snapshot(&a, 600, &sb);
	assert_int_equal(sb.cycles[sched] - sa.cycles[sched], 40);  /* 560-600, current */
	/* without the second interrupt last was still the switch's now: it
	 * goes back to the first interrupt's exit */
	a.last = 600;
	assert_int_equal(_ledger_switch_raced(20, 600, &a, LC_USER), LC_USER);
	assert_int_equal(a.last, 620);
}

/* arch_local_sub64 / arch_local_exchange against an interrupt on their
 * own CPU, played by a signal on this thread (delivered between two
 * instructions, as an interrupt is).  The handler takes 1 from w and from
 * a each time; the thread drains w with exchanges (summing the values
 * replaced) and takes 2 from a at a time.  Conservation: the drained sum
 * + w == -signals and a == -(own + signals), modulo 2^64; a load-then-store
 * version would lose the handler's updates landing between its steps. */
static uint64_t sig_w, sig_a;
static volatile sig_atomic_t sig_n;

static void local_sig(int sig)
{
	(void)sig;
	arch_local_sub64(&sig_w, 1);
	arch_local_sub64(&sig_a, 1);
	sig_n++;
}

static void local_rmw_is_interrupt_atomic(void **state)
{
	(void)state;
	struct sigaction sa = { .sa_handler = local_sig };
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	struct itimerval it = { .it_interval = { 0, 20 }, .it_value = { 0, 20 } };
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	uint64_t drained = 0, own = 0, back;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 100000; i++) {
			arch_local_exchange(&sig_w, 0, &back);  /* back = old - 0 */
			drained += back;
			arch_local_sub64(&sig_a, 2);
			own += 2;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (sig_n < 2000 && t.tv_sec - t0.tv_sec < 5);
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	assert_true(sig_n > 100);  /* the signals did land */
	assert_int_equal(drained + sig_w, 0 - (uint64_t)sig_n);
	assert_int_equal(sig_a, 0 - own - (uint64_t)sig_n);
	/* and the values: the difference and its sign */
	uint64_t v = 5;
	assert_int_equal(arch_local_exchange(&v, 9, &back), 0);  /* 5 > 9: no */
	assert_int_equal(v, 9);
	assert_int_equal(back, (uint64_t)-4);
	assert_int_equal(arch_local_exchange(&v, 2, &back), 1);  /* 9 > 2 */
	assert_int_equal(back, 7);
	assert_int_equal(arch_local_exchange(&v, 2, &back), 0);  /* equal: not ahead */
	assert_int_equal(back, 0);
	arch_local_sub64(&v, 3);
	assert_int_equal(v, UINT64_MAX);
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
		cmocka_unit_test(interruptible_switch_stays_exact),
		cmocka_unit_test(local_rmw_is_interrupt_atomic),
		cmocka_unit_test(overflow_keeps_books),
		cmocka_unit_test(snapshot_add_totals),
		cmocka_unit_test(registry_is_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * gc_gen.c - generational minor cycles (gcgen=1 gcconc=1) on the machine,
 * where the remembered set is the page tables' dirty record: which
 * objects a minor cycle keeps, frees and promotes (rt/heap/gc.c, "Minor
 * cycles"; the same logic is tested hosted by test_rt_gcgen.c, whose
 * dirty record is every page).
 *
 * Usage: gc_gen [control].  Boot with gogc=off (only the app collects).
 * Builds NOLD old objects (a full cycle marks them) and 8 MiB of old
 * ballast, then:
 *   1. a goroutine that exits stores a new (young) object Y[i] into each
 *      old object and drops it: only old[i]->f names Y[i]; the ballast is
 *      written (its pages dirty, so the minor cycle's remembered scan takes
 *      several of the collector's slices);
 *   2. a goroutine waits for the minor cycle to mark and allocates NB
 *      objects B[j] meanwhile (born marked, young again after the cycle):
 *      the even ones into oldb[j] (old objects allocated after old[], on
 *      other pages: a store into old[i]'s page would have the cycle
 *      re-scan it, and find Y[i] without the remembered set), the odd
 *      ones dropped; a minor cycle (rt_gc_collect_minor) runs meanwhile;
 *   3. a second minor cycle, then checks: every Y[i] intact and named by
 *      old[i] (the remembered set found the store of step 1); every even
 *      B[j] intact and named by oldb[j] (its store was made while the first
 *      cycle marked: the remembered set holds the pages written then);
 *      every odd B[j] gone (young again: its weak handle is NULL);
 *   4. the even Y[i] dropped, a minor cycle keeps them (old garbage: their
 *      weak handles still name them), a full cycle frees them.
 * Every check runs on a goroutine that exits, and the objects are named
 * elsewhere only by weak handles, so no stale stack word keeps one.
 * Prints "gc_gen: ok <NOLD> old, <NB> allocated from the start of marking
 * (<k> while it marked), <c> cycles, <m> minor" or what failed (status 1).
 * control: minor cycles skip their remembered pages (gc_test_noremset):
 * the Y[i] must then be lost; prints "gc_gen: control: <K> of <NOLD>
 * lost, <L> of <NB/2> stored while it marked" with K > 0 (status 1 if
 * none was), which shows that nothing but the remembered set kept them.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tally.h>

#define NOLD 512
#define NB 512
#define NBALLAST 2048   /* 4 KiB objects: 8 MiB */

extern int gc_test_noremset;           /* rt/heap/gc_impl.h: the control */
extern int rt_gc_collect_minor(void);  /* rt/heap/heap.h: a minor cycle if it may be */
extern volatile int rt_gc_marking;     /* rt/heap/heap.h: marking is on */

struct obj {
	struct obj *f, *g;
	uint64_t tag[6];   /* PATTERN ^ k ^ address */
};
#define PATTERN 0x9e9e5c0ffee00000ull

static struct obj *old[NOLD], *oldb[NB];
static uint64_t *ballast[NBALLAST];
static struct tally_weak *wy[NOLD], *wb[NB];
static int born_while_marking;
static volatile int64_t fails;
static struct tally_waitgroup wg;

static void fill(struct obj *o)
{
	for (int k = 0; k < 6; k++)
		o->tag[k] = PATTERN ^ (uint64_t)k ^ (uintptr_t)o;
}

static int intact(const struct obj *o)
{
	for (int k = 0; o && k < 6; k++)
		if (o->tag[k] != (PATTERN ^ (uint64_t)k ^ (uintptr_t)o))
			return 0;
	return o != NULL;
}

static struct obj *new_obj(void)
{
	struct obj *o = tally_gc_alloc(sizeof(*o), TALLY_GC_SCAN);
	if (o)
		fill(o);
	return o;
}

static void run(void (*fn)(void *), void *arg)
{
	tally_waitgroup_add(&wg, 1);
	tally_go(fn, arg);
	tally_waitgroup_wait(&wg);
	tally_sleep(1000000);  /* until it has exited */
}

static void make_young(void *arg)
{
	(void)arg;
	for (int i = 0; i < NOLD; i++) {
		struct obj *y = new_obj();
		if (!y)
			break;
		old[i]->f = y;
		wy[i] = tally_weak_make(y);
	}
	for (int i = 0; i < NBALLAST; i++)
		ballast[i][1]++;
	tally_waitgroup_done(&wg);
}

static void make_born(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&rt_gc_marking, __ATOMIC_ACQUIRE))
		tally_yield();
	for (int j = 0; j < NB; j++) {
		int before = __atomic_load_n(&rt_gc_marking, __ATOMIC_ACQUIRE);
		struct obj *b = new_obj();
		if (!b)
			break;
		born_while_marking += before && __atomic_load_n(&rt_gc_marking, __ATOMIC_ACQUIRE);
		if (j % 2 == 0)
			oldb[j]->g = b;
		wb[j] = tally_weak_make(b);
		if (j % 16 == 15)
			tally_yield();
	}
	tally_waitgroup_done(&wg);
}

/* step 3's checks: lost[0] the Y[i] lost, lost[1] the even B[j] lost */
static int lost[2], dropped_kept;

static void check_minor(void *arg)
{
	(void)arg;
	for (int i = 0; i < NOLD; i++) {
		struct obj *y = tally_weak_value(wy[i]);
		if (!y || old[i]->f != y || !intact(y))
			lost[0]++;
	}
	for (int j = 0; j < NB; j++) {
		struct obj *b = tally_weak_value(wb[j]);
		if (j % 2 == 0 && (!b || oldb[j]->g != b || !intact(b)))
			lost[1]++;
		if (j % 2 == 1 && b)
			dropped_kept++;
	}
	tally_waitgroup_done(&wg);
}

static void report_minor(void)
{
	int born_lost = lost[1];
	if (lost[0]) {
		printf("gc_gen: FAILED: %d of %d young objects named only by old ones lost\n", lost[0], NOLD);
		fails++;
	}
	if (born_lost || dropped_kept) {
		printf("gc_gen: FAILED: of %d objects allocated while the first minor cycle marked, %d stored into "
		       "old ones lost, %d dropped ones kept by the second\n", NB, born_lost, dropped_kept);
		fails++;
	}
}

static void drop_even(void *arg)
{
	(void)arg;
	for (int i = 0; i < NOLD; i += 2)
		old[i]->f = NULL;
	tally_waitgroup_done(&wg);
}

/* step 4: the even Y[i] named by their weak handles (want) or not */
static void check_old_garbage(void *arg)
{
	int want = (int)(uintptr_t)arg, wrong = 0;
	for (int i = 0; i < NOLD; i += 2)
		wrong += (tally_weak_value(wy[i]) != NULL) != want;
	if (wrong) {
		printf("gc_gen: FAILED: %d of %d dropped old objects %s\n", wrong, NOLD / 2,
		       want ? "freed by a minor cycle" : "kept by a full cycle");
		fails++;
	}
	tally_waitgroup_done(&wg);
}

static int minor(const char *what)
{
	if (rt_gc_collect_minor())
		return 1;
	printf("gc_gen: FAILED: %s was not a minor cycle (boot with gcgen=1 gcconc=1 gogc=off)\n", what);
	return 0;
}

int main(int argc, char **argv)
{
	int control = argc > 1 && !strcmp(argv[1], "control");
	for (int i = 0; i < NOLD; i++)
		if (!(old[i] = new_obj()))
			return 71;
	for (int j = 0; j < NB; j++)
		if (!(oldb[j] = new_obj()))
			return 71;
	for (int i = 0; i < NBALLAST; i++)
		if (!(ballast[i] = tally_gc_alloc(4096, TALLY_GC_SCAN)))
			return 71;
	tally_gc();  /* full: the old objects and the ballast are marked */
	run(make_young, NULL);
	gc_test_noremset = control;
	tally_waitgroup_add(&wg, 1);
	tally_go(make_born, NULL);
	if (!minor("the first cycle after tally_gc"))
		return 1;
	tally_waitgroup_wait(&wg);
	tally_sleep(1000000);
	if (!minor("the second"))
		return 1;
	gc_test_noremset = 0;
	run(check_minor, NULL);
	if (control) {
		printf("gc_gen: control: %d of %d lost, %d of %d stored while it marked\n", lost[0], NOLD, lost[1],
		       NB / 2);
		return lost[0] ? 0 : 1;
	}
	report_minor();
	if (!born_while_marking) {
		printf("gc_gen: FAILED: no object was allocated while the minor cycle marked\n");
		fails++;
	}
	run(drop_even, NULL);
	if (!minor("the third"))
		return 1;
	run(check_old_garbage, (void *)1);
	tally_gc();
	run(check_old_garbage, (void *)0);
	struct tally_gc_stats st;
	tally_gc_read_stats(&st);
	if (st.minor_cycles != 3) {
		printf("gc_gen: FAILED: %llu minor cycles counted, 3 run\n", (unsigned long long)st.minor_cycles);
		fails++;
	}
	if (fails)
		return 1;
	printf("gc_gen: ok %d old, %d allocated from the start of marking (%d while it marked), %llu cycles, "
	       "%llu minor\n",
	       NOLD, NB, born_while_marking, (unsigned long long)st.cycles, (unsigned long long)st.minor_cycles);
	return 0;
}

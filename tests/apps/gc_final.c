/*
 * gc_final.c - cleanups, weak references, typed objects and collected
 * channels and timers on the machine (rt/heap/gcfinal.c, gctyped.c,
 * rt/chan.c, rt/rtimer.c), through tally.h only.  argv[1] picks:
 *   semantics   the cleanup, weak, typed and tally_malloc_noscan rules; prints
 *               "gc_final: semantics ok (death in cycle <k> of <=50)"
 *   churn [N]   make and drop N channels (default 1000000), a pending
 *               one-hour timer every 10th, at GOGC=100; prints
 *               "gc_final: churn ok <N> channels, <T> timers, heap_alloc
 *               max <A> <= bound <B>, page allocator drop <D> <= <L>"
 *   m_malloc, m_nullfn, m_argobj, m_weak   misuse: status 2 and the
 *               report tally.h promises ("survived" if it goes on)
 *   m_slot, m_weakslot   the same for the slot after a new object: free,
 *               though its cache's window has reserved it
 *   m_stats     tally_gc_read_stats(NULL)
 *
 * Determinism: every object that must die is made, and its last
 * reference dropped, by a goroutine that then exits (its stack is no root
 * and its saved registers are cleared), and the main goroutine only ever
 * holds masked copies of such addresses.  A goroutine that signalled it is
 * done may not have exited yet, so the test collects until the death is
 * seen, at most 50 times, and names the cycle; what must live is checked
 * over several cycles first.
 *
 * Independent truth: a cleanup's own count of its runs, the weak
 * handle's value, the bytes of a dead object (the sweep zeroes what it
 * frees, so the 0xab fill is gone in the cycle that queued the cleanup),
 * the page allocator's free memory (tally_sysinfo), the collector's
 * statistics against a bound computed from the live set.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tally.h>

#define MASK 0x5555555555555555ull
#define TRIES 50

static int fails;
static void check(int ok, const char *what)
{
	if (!ok) {
		printf("gc_final: FAIL: %s\n", what);
		fails++;
	}
}

static struct tally_waitgroup wg;
static void run(void (*fn)(void *))
{
	tally_waitgroup_add(&wg, 1);
	tally_go(fn, NULL);
	tally_waitgroup_wait(&wg);
}

static struct tally_gc_stats stats(void)
{
	struct tally_gc_stats st;
	tally_gc_read_stats(&st);
	return st;
}

/* ---- semantics ---- */

static volatile int64_t ran, ran_goid, bad_arg, t_ran[3], stop_ran;
static uintptr_t hobj;               /* masked */
static void *volatile keep;
static struct tally_weak *w, *w_stop;
static uint64_t id_stop;
static int64_t stop1, stop2;

#define MAGIC 0x7a11c1ea7a11c1eaull
struct cell { uint64_t magic, self; };

static void note(void *arg)
{
	struct cell *c = arg;
	if (c->magic != MAGIC || c->self != ((uintptr_t)c ^ MAGIC))
		tally_atomic_add(&bad_arg, 1);
	tally_atomic_store(&ran_goid, (int64_t)tally_goid());
	tally_atomic_add(&ran, 1);
}

static void count(void *arg) { tally_atomic_add((volatile int64_t *)arg, 1); }

static void make_objects(void *unused)
{
	(void)unused;
	unsigned char *o = tally_gc_alloc(96, TALLY_GC_SCAN);
	memset(o, 0xab, 96);
	hobj = (uintptr_t)o ^ MASK;
	struct cell *c = tally_gc_alloc(sizeof(*c), TALLY_GC_SCAN);  /* only the cleanup names it */
	c->magic = MAGIC;
	c->self = (uintptr_t)c ^ MAGIC;
	tally_gc_add_cleanup(o, note, c);
	w = tally_weak_make(o);
	check(w == tally_weak_make(o), "two handles from one pointer are equal");
	keep = o;
	/* a stopped cleanup */
	void *o2 = tally_gc_alloc(40, TALLY_GC_NOSCAN);
	id_stop = tally_gc_add_cleanup(o2, count, (void *)&stop_ran);
	stop1 = tally_gc_cleanup_stop(id_stop);
	stop2 = tally_gc_cleanup_stop(id_stop);
	w_stop = tally_weak_make(o2);
	tally_waitgroup_done(&wg);
}

static void check_alive(void *unused)
{
	(void)unused;
	check(((uintptr_t)tally_weak_value(w) ^ MASK) == hobj, "a reachable object's weak value");
	tally_waitgroup_done(&wg);
}

/* typed: an integer in a non-pointer slot does not keep its target */
struct tnode { void *p; uintptr_t n; };
static struct tnode *volatile typed_root;
static uintptr_t *volatile scan_root;

static void make_typed(void *unused)
{
	(void)unused;
	static const uint64_t bm = 0x1;  /* word 0 a pointer, word 1 not */
	struct tnode *t = tally_gc_alloc_typed(sizeof(*t), &bm, 2);
	void *a = tally_gc_alloc(64, TALLY_GC_NOSCAN), *b = tally_gc_alloc(64, TALLY_GC_NOSCAN);
	void *c = tally_gc_alloc(64, TALLY_GC_NOSCAN);
	tally_gc_add_cleanup(a, count, (void *)&t_ran[0]);  /* the integer's target */
	tally_gc_add_cleanup(b, count, (void *)&t_ran[1]);  /* the pointer's */
	tally_gc_add_cleanup(c, count, (void *)&t_ran[2]);  /* the control's */
	t->n = (uintptr_t)a;
	t->p = b;
	typed_root = t;
	scan_root = tally_gc_alloc(32, TALLY_GC_SCAN);
	scan_root[1] = (uintptr_t)c;  /* the same integer, scanned conservatively */
	tally_waitgroup_done(&wg);
}

/* tally_malloc_noscan: a block that is no root keeps nothing alive; the
 * same pointer in a plain malloc'd block does */
static volatile int64_t n_ran[2];
static void **volatile ns_block, **volatile m_block;

static void make_noscan(void *unused)
{
	(void)unused;
	void *a = tally_gc_alloc(64, TALLY_GC_SCAN), *b = tally_gc_alloc(64, TALLY_GC_SCAN);
	tally_gc_add_cleanup(a, count, (void *)&n_ran[0]);
	tally_gc_add_cleanup(b, count, (void *)&n_ran[1]);
	void **ns = tally_malloc_noscan(256), **m = malloc(256);
	ns[17] = a;
	m[17] = b;
	ns_block = ns;
	m_block = m;
	tally_waitgroup_done(&wg);
}

static int zeroed(uintptr_t h, size_t n)
{
	const volatile unsigned char *p = (const unsigned char *)(h ^ MASK);
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static int semantics(void)
{
	run(make_objects);
	check(stop1 == 1 && stop2 == 0, "stop: 1, then 0");
	for (int i = 0; i < 3; i++) {
		tally_gc();
		run(check_alive);
	}
	check(ran == 0 && stats().cleanups_queued == 0, "no cleanup while reachable");
	keep = NULL;
	int k = 0;
	for (int i = 1; i <= TRIES && !k; i++) {
		tally_sleep(1000000);
		struct tally_gc_stats a = stats();
		tally_gc();
		struct tally_gc_stats b = stats();
		if (b.cleanups_queued > a.cleanups_queued) {
			k = i;
			/* the same cycle: the handle cleared and the object freed */
			check(tally_weak_value(w) == NULL, "weak value NULL in the cycle that queued the cleanup");
			check(zeroed(hobj, 96), "the object was freed (zeroed by the sweep) in that cycle");
			check(b.weak_cleared > a.weak_cleared, "weak_cleared counted");
		}
	}
	check(k > 0, "the object died");
	for (int i = 0; i < 5000 && ran == 0; i++)
		tally_sleep(1000000);
	check(ran == 1, "the cleanup ran once");
	check(bad_arg == 0, "the cleanup's arg stayed alive and intact");
	check(ran_goid != 1, "the cleanup ran on a goroutine of its own");
	check(tally_weak_value(w_stop) == NULL, "the stopped cleanup's object died");
	run(make_typed);
	for (int i = 0; i < TRIES && t_ran[0] == 0; i++) {
		tally_sleep(1000000);
		tally_gc();
	}
	tally_sleep(20000000);
	check(t_ran[0] == 1, "an integer in a typed object's non-pointer slot kept nothing alive");
	check(t_ran[1] == 0, "the typed object's pointer slot kept its target");
	check(t_ran[2] == 0, "the control: the same integer in a conservative object kept its target");
	check(typed_root && scan_root, "roots");
	tally_gc();
	tally_gc();
	tally_sleep(20000000);
	check(ran == 1 && t_ran[0] == 1, "no cleanup ran twice");
	check(stop_ran == 0, "the stopped cleanup never ran");
	run(make_noscan);
	for (int i = 0; i < TRIES && n_ran[0] == 0; i++) {
		tally_sleep(1000000);
		tally_gc();
	}
	tally_sleep(20000000);
	check(n_ran[0] == 1, "a pointer in a tally_malloc_noscan block kept nothing alive");
	check(n_ran[1] == 0, "the control: the same in a malloc'd block kept its target");
	free(ns_block);
	free(m_block);
	if (!fails)
		printf("gc_final: semantics ok (death in cycle %d of <=%d)\n", k, TRIES);
	return fails != 0;
}

/* ---- churn ---- */

static long nchan = 1000000;
static volatile int64_t max_alloc;
static uint64_t min_free;

static void churner(void *unused)
{
	(void)unused;
	struct tally_sysinfo si;
	for (long i = 0; i < nchan; i++) {
		struct tally_chan *c = tally_chan_make(sizeof(int64_t), 1);
		if (i % 3 == 0) {
			int64_t v = i;
			tally_chan_trysend(c, &v);
		}
		if (i % 10 == 0)
			(void)tally_timer_new(3600ull * 1000000000ull);  /* dropped, pending */
		if (i % 4096 == 0) {
			struct tally_gc_stats st = stats();
			if ((int64_t)st.heap_alloc > max_alloc)
				max_alloc = (int64_t)st.heap_alloc;
			tally_sysinfo(&si);
			if (si.mem_free < min_free)
				min_free = si.mem_free;
		}
	}
	tally_waitgroup_done(&wg);
}

static int churn(void)
{
	tally_gc_percent(100);
	tally_gc();
	struct tally_sysinfo si;
	tally_sysinfo(&si);
	uint64_t free0 = si.mem_free;
	min_free = free0;
	run(churner);
	/* Bound from the live set (a few KiB): the minimum goal of 4 MiB,
	 * plus what caches may reserve before the refill that sees the goal
	 * (a window of 64 objects per CPU for each class in use: channels
	 * 128 B, timers 128 B, timer heap arrays up to 4 KiB), plus 256 KiB. */
	int64_t bound = (4 << 20) + (int64_t)tally_ncpu() * 64 * (128 + 128 + 4096) + (256 << 10);
	/* Pages: that, twice (the live heap and the goal's worth of garbage
	 * before a cycle, in whole spans) plus 8 MiB for stacks and span
	 * metadata; without collection the run needs over 130 MiB. */
	uint64_t limit = 2 * (uint64_t)bound + (8u << 20);
	uint64_t drop = free0 > min_free ? free0 - min_free : 0;
	check(max_alloc <= bound, "heap_alloc over its bound");
	check(drop <= limit, "the page allocator's free memory fell too far");
	struct tally_gc_stats st = stats();
	check(st.objects_freed >= (uint64_t)nchan, "objects freed");
	printf("gc_final: churn %s %ld channels, %ld timers, heap_alloc max %lld <= bound %lld, "
	       "page allocator drop %llu <= %llu, %llu cycles\n",
	       fails ? "FAIL" : "ok", nchan, nchan / 10, (long long)max_alloc, (long long)bound,
	       (unsigned long long)drop, (unsigned long long)limit, (unsigned long long)st.cycles);
	return fails != 0;
}

/* ---- misuse ---- */

static void nop(void *a) { (void)a; }

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "semantics";
	printf("gc_final: %s\n", what);
	fflush(stdout);
	if (strcmp(what, "semantics") == 0)
		return semantics();
	if (strcmp(what, "churn") == 0) {
		if (argc > 2)
			nchan = atol(argv[2]);
		return churn();
	}
	if (strcmp(what, "m_malloc") == 0) {
		tally_gc_add_cleanup(malloc(64), nop, NULL);
	} else if (strcmp(what, "m_nullfn") == 0) {
		tally_gc_add_cleanup(tally_gc_alloc(64, TALLY_GC_SCAN), NULL, NULL);
	} else if (strcmp(what, "m_argobj") == 0) {
		void *o = tally_gc_alloc(64, TALLY_GC_SCAN);
		tally_gc_add_cleanup(o, nop, o);
	} else if (strcmp(what, "m_slot") == 0 || strcmp(what, "m_weakslot") == 0) {
		/* the window hands out its lowest free slot first: the one after
		 * p is reserved, not handed out (or, p the window's last, in no
		 * window and free) */
		char *p = tally_gc_alloc(64, TALLY_GC_NOSCAN);
		if (what[2] == 's')
			tally_gc_add_cleanup(p + 64, nop, NULL);
		else
			tally_weak_make(p + 64);
		tally_gc_keep_alive(p);
	} else if (strcmp(what, "m_stats") == 0) {
		tally_gc_read_stats(NULL);
	} else if (strcmp(what, "m_weak") == 0) {
		int local;
		tally_weak_make(&local);
	} else {
		printf("gc_final: unknown mode %s\n", what);
		return 1;
	}
	printf("gc_final: survived\n");
	return 0;
}

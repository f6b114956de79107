/*
 * tour.c - the default application (`make run`): what Tally is for, in a
 * few seconds.
 *
 * Tally charges every cycle of every CPU to a class of its cost ledger
 * (kern.*, rt.*, user, idle).  The tour reads the ledger itself
 * (tally_ledger_read, rt/include/tally.h) around each step and prints
 * where all CPUs' time went:
 *   1. a concurrent program: the primes below 10,000,000 counted by a pool
 *      of goroutines fed ranges over a channel, first on one CPU, then on
 *      all of them, after an untimed warm-up run (the emulator translating
 *      the code and the heap growing would slow the first timed run); the
 *      count is checked against the known value;
 *   2. the runtime's own costs: spawn+join, yield, channel ping-pong on
 *      one P and across two, timer start+stop, a 100 us sleep; each a
 *      fixed number of operations (in fiftieths, stopped early when a row
 *      passes OP_BUDGET_NS: on a busy host an emulated CPU waits for a
 *      host core), with its time per operation and the kern/rt/user/idle
 *      split of all CPUs' time;
 *   3. the ledger of every CPU since boot, as a table.
 * Each step prints its wall time (tally_nanotime) and the CPU time the
 * ledger saw ("CPU ms", summed over the CPUs), so a reader (and
 * tools/check_tour.py, the tour's system case) can check that the split
 * adds up to the time that passed.  Exit status 0; 1 if the prime count
 * is wrong or a ledger read fails.  Its first line is the banner's, which
 * tools/boottime.py waits for.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tally.h>

#define MS 1000000ull
#define PRIME_LIMIT 10000000u
#define PRIME_COUNT 664579u      /* pi(10,000,000) */
#define CHUNK 250000u
#define MAXCPU 64
#define OP_BUDGET_NS (400 * MS)  /* at most ~this long per operation row */

static int ncpu;

/* ------------------------------------------------------------ helpers */

static void read_all(struct tally_ledger *l)
{
	if (tally_ledger_read(l, TALLY_LEDGER_ALL) != 0) {
		printf("tour: tally_ledger_read failed\n");
		exit(1);
	}
}

static double ms_of(const struct tally_ledger *l, uint64_t cycles)
{
	return l->cycles_hz ? (double)cycles * 1000.0 / (double)l->cycles_hz : 0;
}

static double pct(const struct tally_ledger *l, const char *group)
{
	return l->elapsed ? 100.0 * (double)tally_ledger_cycles(l, group) / (double)l->elapsed : 0;
}

/* A step: ledger and clock before; step_end prints the split.  The wall
 * time runs from the end of the first ledger read to the start of the
 * second; each CPU's part of the ledger runs from its snapshot in the
 * first read to its snapshot in the second, which may be anywhere inside
 * the reads (another CPU's is taken by an IPI, which waits for that CPU:
 * on a busy host a read has taken over 100 ms, its CPUs' time charged
 * meanwhile).  So "CPU ms" is at least ncpu x the wall time, and at most
 * ncpu x (the wall time + the reads' time), which the step prints. */
struct step {
	struct tally_ledger a;
	uint64_t r0, t0;   /* before the first read, after it */
	uint64_t reads;    /* the two reads' time (step_end) */
};

static void step_begin(struct step *s)
{
	s->r0 = tally_nanotime();
	read_all(&s->a);
	s->t0 = tally_nanotime();
}

static uint64_t step_end(struct step *s, struct tally_ledger *d)
{
	uint64_t t1 = tally_nanotime();
	struct tally_ledger b;
	read_all(&b);
	s->reads = (s->t0 - s->r0) + (tally_nanotime() - t1);
	if (tally_ledger_sub(d, &b, &s->a) != 0) {
		printf("tour: tally_ledger_sub failed\n");
		exit(1);
	}
	return t1 - s->t0;
}

static void print_split(const struct tally_ledger *d, uint64_t reads)
{
	printf("  kern %5.1f%%  rt %5.1f%%  user %5.1f%%  idle %5.1f%%  (reads %.3f ms)", pct(d, "kern"),
	       pct(d, "rt"), pct(d, "user"), pct(d, "idle"), (double)reads / 1e6);
}

/* ------------------------------------------------- 1. counting primes */

static uint32_t small_primes[1024];
static unsigned nsmall;

/* Primes up to sqrt(PRIME_LIMIT), by trial division. */
static void small_primes_init(void)
{
	for (uint32_t p = 2; (uint64_t)p * p < PRIME_LIMIT; p++) {
		int prime = 1;
		for (unsigned i = 0; i < nsmall && small_primes[i] * small_primes[i] <= p; i++)
			if (p % small_primes[i] == 0) {
				prime = 0;
				break;
			}
		if (prime)
			small_primes[nsmall++] = p;
	}
}

/* Primes in [lo, hi): sieve the segment with the small primes. */
static uint32_t count_segment(uint32_t lo, uint32_t hi, uint8_t *composite)
{
	memset(composite, 0, hi - lo);
	for (unsigned i = 0; i < nsmall; i++) {
		uint32_t p = small_primes[i];
		uint64_t start = (uint64_t)p * p;
		if (start < lo)
			start = (lo + p - 1) / p * (uint64_t)p;
		for (uint64_t m = start; m < hi; m += p)
			composite[m - lo] = 1;
	}
	uint32_t n = 0;
	for (uint32_t v = lo < 2 ? 2 : lo; v < hi; v++)
		n += !composite[v - lo];
	return n;
}

struct pool {
	struct tally_chan *work;      /* chunk start values; closed when done */
	struct tally_chan *results;   /* one uint32_t count per chunk */
	struct tally_waitgroup done;  /* the workers, joined before the next run */
	volatile int64_t chunks_on[MAXCPU];
};

static void sieve_worker(void *arg)
{
	struct pool *p = arg;
	uint8_t *buf = malloc(CHUNK);
	uint32_t lo;
	while (tally_chan_recv(p->work, &lo)) {
		uint32_t hi = lo + CHUNK > PRIME_LIMIT ? PRIME_LIMIT : lo + CHUNK;
		uint32_t n = count_segment(lo, hi, buf);
		int cpu = tally_cpu();
		if (cpu >= 0 && cpu < MAXCPU)
			tally_atomic_add(&p->chunks_on[cpu], 1);
		tally_chan_send(p->results, &n);
	}
	free(buf);
	tally_waitgroup_done(&p->done);
}

/* Count with procs Ps and 2 * ncpu workers; returns the wall time, the
 * ledger reads' in *reads. */
static uint64_t count_primes(int procs, struct pool *p, uint32_t *count, struct tally_ledger *d,
                             uint64_t *reads)
{
	unsigned nchunks = (PRIME_LIMIT + CHUNK - 1) / CHUNK;
	int old = tally_gomaxprocs(procs);
	struct step s;
	memset(p, 0, sizeof(*p));
	p->work = tally_chan_make(sizeof(uint32_t), nchunks);
	p->results = tally_chan_make(sizeof(uint32_t), nchunks);
	step_begin(&s);
	tally_waitgroup_add(&p->done, 2 * ncpu);
	for (int w = 0; w < 2 * ncpu; w++)
		tally_go(sieve_worker, p);
	for (uint32_t lo = 0; lo < PRIME_LIMIT; lo += CHUNK)
		tally_chan_send(p->work, &lo);
	tally_chan_close(p->work);
	uint32_t total = 0, n;
	for (unsigned i = 0; i < nchunks; i++) {
		tally_chan_recv(p->results, &n);
		total += n;
	}
	tally_waitgroup_wait(&p->done);
	uint64_t wall = step_end(&s, d);
	tally_gomaxprocs(old);
	*count = total;
	*reads = s.reads;
	return wall;
}

/* ------------------------------------------- 2. the runtime's costs */

static struct tally_waitgroup wg;
static void done_fn(void *arg) { tally_waitgroup_done(arg); }

static void spawn_join(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		tally_waitgroup_add(&wg, 1);
		tally_go(done_fn, &wg);
		tally_waitgroup_wait(&wg);
	}
}

static volatile int64_t turn;
static void yield_peer(void *arg)
{
	uint64_t n = *(uint64_t *)arg;
	for (uint64_t i = 0; i < n; i++) {
		while (tally_atomic_load(&turn) != 1)
			tally_yield();
		tally_atomic_store(&turn, 0);
	}
	tally_waitgroup_done(&wg);
}

static void yield_pingpong(uint64_t n)
{
	turn = 0;
	tally_waitgroup_add(&wg, 1);
	tally_go(yield_peer, &n);
	for (uint64_t i = 0; i < n; i++) {
		tally_atomic_store(&turn, 1);
		while (tally_atomic_load(&turn) != 0)
			tally_yield();
	}
	tally_waitgroup_wait(&wg);
}

struct pp {
	struct tally_chan *ping, *pong;
};
static void ponger(void *arg)
{
	struct pp *p = arg;
	int v;
	while (tally_chan_recv(p->ping, &v))
		tally_chan_send(p->pong, &v);
	tally_waitgroup_done(&wg);
}

static void chan_pingpong(uint64_t n)
{
	struct pp p = { tally_chan_make(sizeof(int), 0), tally_chan_make(sizeof(int), 0) };
	tally_waitgroup_add(&wg, 1);
	tally_go(ponger, &p);
	for (uint64_t i = 0; i < n; i++) {
		int v = (int)i;
		tally_chan_send(p.ping, &v);
		tally_chan_recv(p.pong, &v);
	}
	tally_chan_close(p.ping);
	tally_waitgroup_wait(&wg);
}

static void timer_start_stop(uint64_t n)
{
	struct tally_timer *t = tally_timer_new(3600ull * 1000000000ull);
	tally_timer_stop(t);
	for (uint64_t i = 0; i < n; i++) {
		tally_timer_reset(t, 3600ull * 1000000000ull);
		tally_timer_stop(t);
	}
	tally_timer_free(t);
}

static void sleep_100us(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		tally_sleep(100000);
}

static const struct op {
	const char *what;
	void (*fn)(uint64_t n);
	uint64_t n;
	int procs;          /* 0: every CPU */
} ops[] = {
	{ "spawn + join a goroutine", spawn_join, 20000, 0 },
	{ "yield to another goroutine", yield_pingpong, 60000, 1 },
	{ "channel ping-pong, 1 P", chan_pingpong, 40000, 1 },
	{ "channel ping-pong, 2 Ps", chan_pingpong, 15000, 2 },
	{ "timer start + stop", timer_start_stop, 40000, 0 },
	{ "sleep 100 us", sleep_100us, 1000, 0 },
};

/* ------------------------------------------------- 3. the whole ledger */

static struct tally_ledger cpu_l[MAXCPU];

/* What enters the classes the tour is likely to meet (docs/kernel.md has
 * the full list); a class not named here is printed without a note. */
static const char *const notes[][2] = {
	{ "idle", "halted, waiting for an interrupt" },
	{ "user", "the program's own code" },
	{ "kern.boot", "start-up, until the CPU first runs something" },
	{ "kern.irq.timer", "the timer interrupt: tick, deadlines, preemption" },
	{ "kern.irq.ipi", "interrupts between CPUs: wake-ups, calls" },
	{ "kern.irq.other", "other interrupts" },
	{ "kern.fault", "page faults (goroutine stacks growing)" },
	{ "kern.driver", "device drivers (the serial console)" },
	{ "kern.syscall", "the C library's system calls" },
	{ "rt.sched", "the goroutine scheduler" },
	{ "rt.timer", "the runtime's timer heaps" },
	{ "rt.alloc", "malloc's slow paths: refilling caches, spans, pages" },
	{ "rt.gc.scavenge", "giving free heap pages back to the kernel" },
};

static const char *note_of(const char *name)
{
	for (unsigned i = 0; i < sizeof(notes) / sizeof(notes[0]); i++)
		if (strcmp(notes[i][0], name) == 0)
			return notes[i][1];
	return "";
}

/* One read per CPU; the total column is their sum (a TALLY_LEDGER_ALL
 * read would be a little later than the columns it sums).  The clock and
 * the boot CPU's ledger start at the same instant, so cpu0's elapsed time
 * lies between the time since boot before the reads and after them (one
 * of them waits for another CPU's IPI: on a busy host, many ms). */
static void ledger_table(void)
{
	struct tally_ledger all;
	uint64_t before = tally_nanotime();
	for (int i = 0; i < ncpu; i++)
		if (tally_ledger_read(&cpu_l[i], i) != 0) {
			printf("tour: tally_ledger_read(%d) failed\n", i);
			exit(1);
		}
	uint64_t uptime = tally_nanotime();
	all = cpu_l[0];
	for (int i = 1; i < ncpu; i++) {
		all.elapsed += cpu_l[i].elapsed;
		for (unsigned k = 0; k < all.nclasses; k++)
			all.classes[k].cycles += cpu_l[i].classes[k].cycles;
	}
	printf("3. The ledger of every CPU since boot, in ms and %% of that CPU's time\n");
	printf("   (time since boot by tally_nanotime: %.3f ms; the reads took %.3f ms):\n\n",
	       (double)uptime / 1e6, (double)(uptime - before) / 1e6);
	printf("   %-16s", "class");
	for (int i = 0; i < ncpu; i++)
		printf("   %10s%d       ", "cpu", i);
	printf("   %11s\n", "total");
	for (unsigned k = 0; k < all.nclasses; k++) {
		if (!all.classes[k].cycles)
			continue;
		printf("   %-16s", all.classes[k].name);
		for (int i = 0; i < ncpu; i++) {
			const struct tally_ledger *l = &cpu_l[i];
			printf("   %11.3f %5.1f%%", ms_of(l, l->classes[k].cycles),
			       l->elapsed ? 100.0 * (double)l->classes[k].cycles / (double)l->elapsed : 0);
		}
		printf("   %11.3f\n", ms_of(&all, all.classes[k].cycles));
	}
	printf("   %-16s", "elapsed");
	for (int i = 0; i < ncpu; i++)
		printf("   %11.3f %5.1f%%", ms_of(&cpu_l[i], cpu_l[i].elapsed), 100.0);
	printf("   %11.3f\n\n", ms_of(&all, all.elapsed));
	for (unsigned k = 0; k < all.nclasses; k++)
		if (all.classes[k].cycles && *note_of(all.classes[k].name))
			printf("   %-16s %s\n", all.classes[k].name, note_of(all.classes[k].name));
}

/* ------------------------------------------------------------- main */

int main(void)
{
	struct tally_sysinfo si;
	tally_sysinfo(&si);
	ncpu = tally_ncpu();
	if (ncpu > MAXCPU)
		ncpu = MAXCPU;
	printf("\n  Tally - a runtime kernel that accounts for every cycle\n\n");
	printf("Booted by %s on %d CPU%s (%s), cycle counter %llu.%03llu MHz.\n", si.boot_loader,
	       ncpu, ncpu > 1 ? "s" : "", si.cpu_model,
	       (unsigned long long)(si.cycles_hz / 1000000),
	       (unsigned long long)(si.cycles_hz / 1000 % 1000));
	printf("Every cycle of every CPU is charged to one class of the cost ledger:\n");
	printf("  kern  the kernel (timer and IPI interrupts, page faults, its services)\n");
	printf("  rt    the Go-style runtime (scheduler, timers)\n");
	printf("  user  this program's own code\n");
	printf("  idle  nothing to run: the CPU halts until an interrupt\n");
	printf("This program reads the ledger itself (tally_ledger_read) before and\n");
	printf("after each step: the splits below are measurements, not estimates.\n");
	printf("\"CPU ms\" is the time of all %d CPUs together: %d x the wall time, and up to\n",
	       ncpu, ncpu);
	printf("%d x the ledger reads' own time more (each CPU is read at its own instant).\n\n", ncpu);

	/* 1 */
	static struct pool pool;
	struct tally_ledger d;
	uint32_t count;
	small_primes_init();
	printf("1. A concurrent program: count the primes below 10 million with %d goroutines\n",
	       2 * ncpu);
	printf("   that take ranges of %u numbers from a channel and send back counts\n",
	       CHUNK);
	printf("   (after one untimed run, so that both runs below start warm).\n\n");
	/* untimed first: the emulator translates the code and the C library's
	 * heap grows on the first run, which would flatter the second */
	uint64_t reads;
	count_primes(ncpu, &pool, &count, &d, &reads);
	uint64_t w1 = 0;
	int runs[2] = { 1, ncpu };
	for (int r = 0; r < (ncpu > 1 ? 2 : 1); r++) {
		uint64_t wall = count_primes(runs[r], &pool, &count, &d, &reads);
		if (r == 0)
			w1 = wall;
		printf("   on %d CPU%s: %u primes, wall %8.3f ms, CPU ms %9.3f ", runs[r],
		       runs[r] > 1 ? "s" : " ", count, (double)wall / 1e6, ms_of(&d, d.elapsed));
		print_split(&d, reads);
		printf("\n");
		if (count != PRIME_COUNT) {
			printf("tour: wrong prime count %u, expected %u\n", count, PRIME_COUNT);
			return 1;
		}
		if (r == 1) {
			printf("   %.2fx faster on %d CPUs; ranges done per CPU:", (double)w1 / (double)wall,
			       ncpu);
			for (int i = 0; i < ncpu; i++)
				printf(" cpu%d %lld", i, (long long)pool.chunks_on[i]);
			printf("\n");
		}
	}
	printf("   On one CPU the others idle.  Under emulation a CPU is a host thread:\n");
	printf("   with fewer free host cores than CPUs the speed-up shrinks, and the\n");
	printf("   ledger still sees a CPU whose thread waits for a host core as busy.\n\n");

	/* 2 */
	printf("2. What the runtime's operations cost, and where all CPUs' time went:\n\n");
	printf("   %-28s %6s %9s %9s %9s\n", "operation", "ops", "ns/op", "wall ms", "CPU ms");
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		const struct op *o = &ops[i];
		int procs = o->procs > ncpu ? ncpu : o->procs;
		int old = tally_gomaxprocs(procs ? procs : ncpu);
		struct step s;
		uint64_t done = 0;
		step_begin(&s);
		/* in fiftieths, until all are done or the budget is spent: a
		 * busy host (a CPU is a host thread) cannot stretch the tour */
		while (done < o->n && tally_nanotime() - s.t0 < OP_BUDGET_NS) {
			o->fn(o->n / 50);
			done += o->n / 50;
		}
		uint64_t wall = step_end(&s, &d);
		tally_gomaxprocs(old);
		printf("   %-28s %6llu %9.0f %9.3f %9.3f", o->what, (unsigned long long)done,
		       (double)wall / (double)done, (double)wall / 1e6, ms_of(&d, d.elapsed));
		print_split(&d, s.reads);
		printf("\n");
	}
	printf("\n   \"1 P\": the runtime may use one CPU (GOMAXPROCS=1), so the other idles.\n");
	printf("   A sleeping goroutine costs no CPU: its time is idle, and a 100 us\n");
	printf("   sleep's ns/op over 100000 is the wake-up's lateness.  Spawns and\n");
	printf("   channel hand-offs across CPUs wake the other CPU with an IPI (kern).\n\n");

	/* 3 */
	ledger_table();
	return 0;
}

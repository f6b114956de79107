/*
 * bench.c - the benchmark runner (see bench.h for the line format).
 *
 * Scaling follows Go's testing.B: predict the n that fills benchtime from
 * the last run (at most 100x growth, at least +1), round it up to a
 * 1-2-3-5 step, stop when a run lasts at least benchtime or n reaches 1e9.
 * The ledger split is measured over the final run only: every CPU's ledger
 * is snapshotted by IPI just before and just after it (outside the timed
 * region), and the deltas are summed over CPUs and classes.
 *
 * Icount: the harness that starts the emulator knows whether it passed
 * -icount and says so with the boot option icount=yes|no; the header's
 * `icount:` line is that word.  A detector cross-checks it and the header
 * prints its verdict as `icount-detected:` (tools/bench.py refuses a run
 * whose two lines disagree with the mode it asked for).  The detector
 * times a `dec; jnz` loop of 10000 iterations three times; under -icount
 * shift=0 the cycle counter advances one per instruction, so the last two
 * deltas agree within 2 and lie within a few counts of 20000 (measured:
 * 20006, 20005, 20005).  Without icount the counter follows the host TSC
 * and the deltas scatter; a tick landing inside a timed loop can fool it
 * either way, which is why the harness's word comes first.  A counter
 * well under 1 GHz (aarch64's CNTVCT_EL0 at 62.5 MHz: 16 instructions a
 * count under icount) is held to 20000 * hz / 1e9 counts instead, and
 * the header's counter-resolution line says what one count is.  Without
 * icount= the header prints the detector's verdict alone, as before.
 *
 * Ps: a benchmark declared with BENCH_P runs at its own GOMAXPROCS; the
 * others run at benchprocs= (default: every CPU), so a harness can match
 * a peer's GOMAXPROCS, P=1 on several CPUs included.  benchprocs above the
 * CPU count skips those benchmarks ("needs N CPUs"), as BENCH_P does.
 *
 * After %idle come the ledger's transitions per op on every CPU (class
 * entries, the scheduler's two a round included: ledger_transitions),
 * what tools/ledger_overhead.py divides the ledger's added cost by.  A
 * benchmark may name ledger classes of its own interest
 * (bench_split_class): their shares follow, from the same snapshots.
 *
 * Under ledger=off there is no split: no snapshots are taken and the line
 * ends after cycles/op (and the benchmark's own metrics), the format that
 * tools/ledger_overhead.py compares against the ledger-on line; the
 * header says which it is (`ledger-mode: on|off`).
 *
 * Context: the main goroutine (the runtime runs on every CPU), interrupts
 * on.  The per-op ledger split therefore includes the runtime's classes
 * (rt.sched, rt.timer) as %rt.
 */
#include <string.h>
#include "arch/arch.h"
#include "kernel/bench.h"
#include "kernel/bootopt.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/ipi.h"
#include "kernel/kernel.h"
#include "kernel/ledger.h"
#include "kernel/lib/kprintf.h"
#include "kernel/lib/regex.h"
#include "kernel/cpu/smp.h"
#include "kernel/cpu/timer.h"
#include "rt/include/tally.h"

extern const struct bench __start_benches[], __stop_benches[];

/* Boot options of the benchmark runner (BOOTOPT_SET below). */
static int icount_told = -1;       /* icount=: 1 yes, 0 no, -1 not given */
static unsigned bench_procs;       /* benchprocs=: 0 means every CPU */

static int set_icount(const char *v, const char **why)
{
	if (strcmp(v, "yes") == 0)
		icount_told = 1;
	else if (strcmp(v, "no") == 0)
		icount_told = 0;
	else {
		*why = "expected yes or no";
		return -1;
	}
	return 0;
}

static int set_benchprocs(const char *v, const char **why)
{
	unsigned long long n;
	if (bootopt_parse_u64(v, &n) < 0 || n < 1 || n > CPU_MAX) {
		*why = "expected a number of Ps from 1 to the most CPUs Tally supports";
		return -1;
	}
	bench_procs = (unsigned)n;
	return 0;
}

static const struct bootopt bench_opts[] = {
	{ "icount", "yes|no: the emulator counts instructions (-icount); the benchmark "
	  "header says so (default: detected)", set_icount },
	{ "benchprocs", "N: GOMAXPROCS of benchmarks that do not fix their own (default: "
	  "every CPU)", set_benchprocs },
};

static void bench_reset(void)
{
	icount_told = -1;
	bench_procs = 0;
}

BOOTOPT_SET(bench, "bench", bench_opts, sizeof(bench_opts) / sizeof(bench_opts[0]),
            bench_reset, NULL);

static int icount_run;              /* the header's icount: word, 1 = yes */

int bench_icount(void) { return icount_run; }

void bench_split_class(struct bench_b *b, const char *cls)
{
	if (b->nclass < BENCH_MAX_CLASSES)
		b->split_class[b->nclass++] = cls;
}

void bench_metric(struct bench_b *b, double value, const char *unit)
{
	if (b->nmetric < 4) {
		b->metric[b->nmetric].value = value;
		b->metric[b->nmetric].unit = unit;
		b->nmetric++;
	}
}

static uint64_t loop_cycles(void)
{
	uint64_t t0 = arch_cycles();
	arch_counted_loop(10000);
	return arch_cycles() - t0;
}

int bench_icount_detected(void)
{
	/* the first run may include one extra count (a cold translation) */
	uint64_t a = loop_cycles(), b = loop_cycles(), c = loop_cycles();
	uint64_t lo = b < c ? b : c, hi = b < c ? c : b;
	uint64_t hz = arch_cycles_hz();
	(void)a;
	if (hz >= 500000000)   /* about one count per instruction (x86's TSC) */
		return hi - lo <= 2 && lo >= 20000 && hi <= 20020;
	/* a coarser counter (aarch64's CNTVCT_EL0, 62.5 MHz): under icount
	 * shift=0 one instruction is 1 ns, so the 20000 instructions take
	 * 20000 * hz / 1e9 counts (1250), within a count either way */
	uint64_t want = 20000 * hz / 1000000000;
	return want >= 100 && hi - lo <= 1 && lo + 1 >= want && hi <= want + 2;
}

static struct ledger_snapshot before[CPU_MAX], after[CPU_MAX];
static struct ledger_snapshot *target;

static void snap_self(void *p)
{
	(void)p;
	unsigned long f = arch_irq_save();
	ledger_snapshot(&this_cpu()->ledger, arch_cycles(), &target[cpu_index()]);
	arch_irq_restore(f);
}

static void snap_all(struct ledger_snapshot *into)
{
	/* pinned: the others' snapshots and our own cover every CPU once */
	struct cpu *pin = cpu_pin();
	target = into;
	ipi_call_others(snap_self, NULL, LCAUSE_CALL);
	snap_self(NULL);
	cpu_unpin(pin);
}

static uint64_t round_up(uint64_t n)
{
	uint64_t base = 1;
	while (base * 10 <= n)
		base *= 10;
	if (n <= base)
		return base;
	if (n <= 2 * base)
		return 2 * base;
	if (n <= 3 * base)
		return 3 * base;
	if (n <= 5 * base)
		return 5 * base;
	return 10 * base;
}

static void print_fixed(uint64_t v1000, const char *unit)
{
	/* value given in thousandths */
	kprintf("\t%lu.%03lu %s", v1000 / 1000, v1000 % 1000, unit);
}

/* Returns 1 when the benchmark failed its own check. */
static int run_one(const struct bench *bm, uint64_t target_ns, uint64_t fixed_n, unsigned ncpu)
{
	int procs = bm->procs > 0 ? bm->procs : bench_procs ? (int)bench_procs : (int)ncpu;
	if (procs > (int)ncpu) {
		kprintf("--- SKIP: Benchmark%s: needs %d CPUs\n", bm->name, procs);
		return 0;
	}
	int old_procs = tally_gomaxprocs(procs);
	struct bench_b b;
	uint64_t n = fixed_n ? fixed_n : 1, cycles = 0;
	uint64_t target_cycles = timer_ns_to_cycles(target_ns);
	for (;;) {
		memset(&b, 0, sizeof(b));
		b.n = n;
		int final = fixed_n != 0;
		if (final && ledger_on)
			snap_all(before);
		uint64_t t0 = arch_cycles();
		bm->fn(&b);
		uint64_t wall = arch_cycles() - t0;
		if (b.fail) {
			kprintf("--- FAIL: Benchmark%s-%d: %s (n=%lu)\n", bm->name, procs, b.fail, b.n);
			tally_gomaxprocs(old_procs);
			return 1;
		}
		if (b.skip) {
			kprintf("--- SKIP: Benchmark%s: %s\n", bm->name, b.skip);
			tally_gomaxprocs(old_procs);
			return 0;
		}
		cycles = b.cycles ? b.cycles : wall;
		if (final || wall >= target_cycles || n >= 1000000000ull) {
			if (!final) {
				/* the run that met the target becomes the measured
				 * one; repeat it with snapshots around it */
				fixed_n = n;
				continue;
			}
			if (ledger_on)
				snap_all(after);
			break;
		}
		uint64_t per = wall / n ? wall / n : 1;
		uint64_t want = target_cycles / per;
		want += want / 5;
		if (want > 100 * n)
			want = 100 * n;
		if (want <= n)
			want = n + 1;
		n = round_up(want);
		if (n > 1000000000ull)
			n = 1000000000ull;
	}
	uint64_t cls_kern = 0, cls_rt = 0, cls_user = 0, cls_idle = 0, total = 0;
	uint64_t cls_own[BENCH_MAX_CLASSES] = { 0 }, transitions = 0;
	for (unsigned i = 0; i < ncpu && ledger_on; i++) {
		transitions += after[i].transitions - before[i].transitions;
		for (unsigned k = 0; k < ledger_nclasses(); k++) {
			uint64_t d = after[i].cycles[k] - before[i].cycles[k];
			const char *name = ledger_class_name(k);
			total += d;
			for (unsigned c = 0; c < b.nclass; c++)
				if (strcmp(name, b.split_class[c]) == 0)
					cls_own[c] += d;
			if (k == LC_IDLE)
				cls_idle += d;
			else if (k == LC_USER)
				cls_user += d;
			else if (strncmp(name, "rt.", 3) == 0)
				cls_rt += d;
			else
				cls_kern += d;
		}
	}
	if (!total)
		total = 1;
	uint64_t hz = arch_cycles_hz();
	uint64_t ns1000 = hz ? (uint64_t)((__uint128_t)cycles * 1000000000000ull / hz / b.n) : 0;
	tally_gomaxprocs(old_procs);
	char name[64];
	ksnprintf(name, sizeof(name), "Benchmark%s-%d", bm->name, procs);
	kprintf("%-32s\t%10lu", name, b.n);
	print_fixed(ns1000, "ns/op");
	print_fixed(cycles * 1000 / b.n, "cycles/op");
	if (ledger_on) {
		print_fixed(cls_kern * 100000 / total, "%kern");
		print_fixed(cls_rt * 100000 / total, "%rt");
		print_fixed(cls_user * 100000 / total, "%user");
		print_fixed(cls_idle * 100000 / total, "%idle");
		char unit[BENCH_MAX_CLASSES][40];
		print_fixed(transitions * 1000 / b.n, "transitions/op");
		for (unsigned c = 0; c < b.nclass; c++) {
			ksnprintf(unit[c], sizeof(unit[c]), "%%%s", b.split_class[c]);
			print_fixed(cls_own[c] * 100000 / total, unit[c]);
		}
	}
	for (unsigned m = 0; m < b.nmetric; m++)
		print_fixed((uint64_t)(b.metric[m].value * 1000.0), b.metric[m].unit);
	kprintf("\n");
	return 0;
}

int bench_run(const char *regex, uint64_t target_ns, uint64_t fixed_n)
{
	if (!regex_valid(regex)) {
		kprintf("bench: bad regular expression \"%s\"\n", regex);
		return 1;
	}
	unsigned ncpu = cpu_count();
	uint64_t hz = arch_cycles_hz();
	kprintf("goos: tally\ngoarch: %s\npkg: tally/kernel\ncpu: %s\n", ARCH_GOARCH,
	        arch_cpu_model());
	kprintf("tsc: %lu.%lu MHz (%s, invariant=%s)\n", hz / 1000000, hz / 100000 % 10,
	        arch_cycles_source(), arch_cycles_invariant() ? "yes" : "no");
	/* what one count of the cycle counter is: cycles/op and the ledger's
	 * shares are in these counts (aarch64's CNTVCT_EL0: 16 ns) */
	if (hz)
		kprintf("counter-resolution: %lu.%03lu ns\n", 1000000000 / hz,
		        1000000000000 / hz % 1000);
	int detected = bench_icount_detected();
	kprintf("intc: %s\ntimer: %s\ntick: %u Hz\nboot: %s\n", arch_intc_name(),
	        arch_timer_name(), timer_tick_hz(), kernel_boot_info->loader);
	icount_run = icount_told >= 0 ? icount_told : detected;
	kprintf("icount: %s\n", icount_run ? "yes" : "no");
	if (icount_told >= 0)
		kprintf("icount-detected: %s\n", detected ? "yes" : "no");
	kprintf("cpus: %u\n", ncpu);
	if (bench_procs)
		kprintf("benchprocs: %u\n", bench_procs);
	kprintf("ledger-transition: %lu cycles\nledger-pair-switch: %lu cycles\nledger-mode: %s\n",
	        ledger_transition_cost(), ledger_pair_switch_cost(), ledger_on ? "on" : "off");
	unsigned ran = 0, failed = 0;
	for (const struct bench *bm = __start_benches; bm < __stop_benches; bm++) {
		char full[64];
		ksnprintf(full, sizeof(full), "Benchmark%s", bm->name);
		if (!regex_search(regex, full) && !regex_search(regex, bm->name))
			continue;
		failed += (unsigned)run_one(bm, target_ns, fixed_n, ncpu);
		ran++;
	}
	if (failed)
		kprintf("bench: FAIL: %u of %u benchmarks failed their own checks\n", failed, ran);
	kprintf("bench: done: %u benchmarks\n", ran);
	return (int)failed;
}

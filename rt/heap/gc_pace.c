/*
 * gc_pace.c - the pacer: the heap's goal, the trigger that starts a
 * concurrent cycle, and whether an allocation made while marking must
 * assist (gc.c's essay has the cycle these numbers drive).
 *
 * The goal is GOGC percent over the bytes the last marking found by
 * tracing (gc_ms.marked_bytes), not over everything that cycle kept: an
 * object allocated while marking ran is born marked and survives the
 * cycle whatever becomes of it (floating garbage), so counting it as
 * live made the goal grow with it.  With a trigger at a fraction t of
 * the way from the live heap to the goal, born objects made the marked
 * heap M = L / t for a true live heap L and the heap reached 2 L / t
 * (2.65 L at t = 3/4, docs/heap.md).  Over the traced bytes the goal is
 * about 2 L whatever the trigger, so the trigger is free to give marking
 * the runway it needs.  The goal is at least a quarter of GOGC over what
 * the cycle kept, born objects included, so a heap that grew mostly while
 * marking ran still has room for the next cycle's runway.
 *
 * The trigger (concurrent mode): the goal less the runway marking needs
 * to finish within its 25% share of the CPUs.  After each concurrent
 * cycle, with u its collector's share of the CPUs while marking (marking
 * and assists over wall time x P) and B the bytes allocated while it
 * marked, a collector at 25% would have taken u / 0.25 times as long,
 * while the mutators, on 75% of the CPUs instead of 1 - u, allocated
 * B * (0.75 / 0.25) * u / (1 - u).  The runway is that, or the mean of
 * that and the last runway where that is less (up at once, down by
 * halves).  It is clamped between an eighth and three quarters of the
 * room between the heap the cycle kept and the goal; without an
 * estimate it is a quarter (the trigger at 3/4 of the way).  An estimate
 * over twice the room is dropped: no runway the goal allows would bring
 * marking down to 25% (binary-trees on one CPU, marking at about 90% of
 * it, asks for several times the room its 4 MiB goal leaves), and a
 * longer one only makes cycles come more often (181 cycles against 131
 * there, docs/heap.md).
 *
 * Assists (gc.c's pace): an allocation while marking assists only when
 * marking is behind: when the work done so far (bytes scanned, dirty
 * pages and roots included) is less than the last cycle's work times
 * the share of the runway the heap has used, less a sixteenth of slack.
 * Then it scans in proportion to its bytes at the ratio of the work to
 * the runway.  At the goal an allocator assists or, with nothing to
 * scan, waits (gc_wait.c).
 *
 * Generational mode (gcgen=1, gc_gen.c's essay): a minor cycle's
 * goal is the last full cycle's (its traced bytes are the base), so old
 * objects that died since, which a minor cycle keeps, take room from the
 * runway instead of raising the goal: the heap stays within GOGC of the
 * live heap the last full cycle found, and gc.c makes the next cycle full
 * once minor cycles promoted a quarter of it, or once the heap a minor
 * cycle kept is 1.5 times it (the room to the goal under half of
 * GOGC's); the goal's floor over what the cycle kept is a sixteenth of
 * GOGC after a minor cycle, not a quarter.  Minor and full cycles
 * trace very different amounts, so each kind keeps its own runway and
 * work estimate: the trigger uses the runway of the kind the next cycle
 * will be.
 *
 * Locking: gc_pace_cycle and gc_pace_goal are called with the collection
 * lock held (gc.c's busy_lock: one caller at a time); gc_pace_assist
 * from any allocating goroutine, lock-free (it reads the mark counters
 * without the work lock: an estimate).
 */
#include "rt/heap/gc_impl.h"

#define GOAL_MIN ((uint64_t)4 << 20)

uint64_t gc_goal = 4u << 20, gc_trigger = 3u << 20;
static PLAT_GC_NOROOT uint64_t traced;   /* the last cycle's traced bytes: the goal's base */
static PLAT_GC_NOROOT uint64_t kept;     /* what it kept: traced and born */
/* by kind, [0] full and [1] minor cycles: */
static PLAT_GC_NOROOT uint64_t runway[2];     /* bytes marking needs at 25%, smoothed; 0: none yet */
static PLAT_GC_NOROOT uint64_t last_work[2];  /* the last cycle's scan work, bytes */
static PLAT_GC_NOROOT int next_minor;         /* the next background cycle's kind */
static PLAT_GC_NOROOT int last_minor;         /* the last cycle was minor */
/* this cycle's: the heap at its start pause, the runway to the goal, the
 * work expected; read by allocators while marking */
static PLAT_GC_NOROOT volatile uint64_t m_before, m_runway, m_work;

/* x + x * pct / div, saturating: tally_gc_percent takes any int, and
 * 2^31 percent of a heap over 8 GiB overflows 64 bits (a goal that wrapped
 * would be small: a collection at every refill). */
static uint64_t grown(uint64_t x, int pct, unsigned div)
{
	uint64_t m, g;
	if (__builtin_mul_overflow(x, (uint64_t)pct, &m) || __builtin_add_overflow(x, m / div, &g))
		return UINT64_MAX;
	return g;
}

void gc_pace_goal(void)
{
	int pct = __atomic_load_n(&rt_gc_percent_v, __ATOMIC_RELAXED);
	int64_t limit = __atomic_load_n(&rt_gc_limit_v, __ATOMIC_RELAXED);
	/* GOGC < 0: no goal of its own (UINT64_MAX), so only a limit, if
	 * one is set, starts a collection: near the limit, as Go's GOGC=off
	 * with GOMEMLIMIT does */
	uint64_t goal = UINT64_MAX;
	if (pct >= 0) {
		goal = grown(traced, pct, 100);
		/* after a minor cycle kept counts old garbage too: a quarter of
		 * GOGC over it would raise the goal over what the last full
		 * cycle found live (gc.c makes the next cycle full before the
		 * room gets that short), so the floor is a sixteenth there */
		uint64_t floor = grown(kept, pct, last_minor ? 1600 : 400);
		if (goal < floor)
			goal = floor;
		if (goal < GOAL_MIN)
			goal = GOAL_MIN;
	}
	if (limit > 0 && goal > (uint64_t)limit / 8 * 7)
		goal = (uint64_t)limit / 8 * 7 > kept ? (uint64_t)limit / 8 * 7 : kept + (1u << 20);
	uint64_t trigger = goal;
	if (kept < goal) {
		uint64_t room = goal - kept;
		if (runway[next_minor] > 2 * room)
			runway[next_minor] = 0;  /* out of reach: see above */
		uint64_t want = runway[next_minor] ? runway[next_minor] : room / 4;
		if (want < room / 8)
			want = room / 8;
		if (want > room / 4 * 3)
			want = room / 4 * 3;
		trigger = goal - want;
	}
	__atomic_store_n(&gc_trigger, trigger, __ATOMIC_SEQ_CST);
	__atomic_store_n(&gc_goal, goal, __ATOMIC_SEQ_CST);
}

void gc_pace_start(uint64_t before, int minor)
{
	/* a minor cycle's work is its own kind's (the full one's before the
	 * first): the live heap is no lower bound of it */
	uint64_t work = minor ? (last_work[1] ? last_work[1] : last_work[0])
	                      : last_work[0] > kept ? last_work[0] : kept;
	__atomic_store_n(&m_before, before, __ATOMIC_RELAXED);
	__atomic_store_n(&m_runway, gc_goal > before ? gc_goal - before : 1, __ATOMIC_RELAXED);
	__atomic_store_n(&m_work, work, __ATOMIC_RELAXED);
}

void gc_pace_cycle(uint64_t traced_bytes, uint64_t kept_bytes, uint64_t work, const struct gc_cycle *c,
                   uint64_t assist_ns, unsigned ncpu, int minor, int next_is_minor)
{
	traced = traced_bytes;
	kept = kept_bytes;
	minor = minor != 0;
	last_minor = minor;
	last_work[minor] = work;
	next_minor = next_is_minor != 0;
	if (c && c->conc && ncpu) {
		/* u in thousandths, at most 900 */
		uint64_t u = (c->mark_cpu + assist_ns) * 1000 / (c->conc * ncpu);
		if (u > 900)
			u = 900;
		uint64_t b = c->end > c->before ? c->end - c->before : 0;
		uint64_t r = b * 3 * u / (1000 - u);
		/* up at once (a runway too short makes the mutators wait at
		 * the goal), down by halves */
		runway[minor] = r > (runway[minor] + r) / 2 ? r : (runway[minor] + r) / 2;
	}
	gc_pace_goal();
}

__attribute__((no_sanitize("thread")))  /* the mark counters: an estimate, see above */
uint64_t gc_pace_assist(uint64_t alloc, uint64_t bytes)
{
	uint64_t before = __atomic_load_n(&m_before, __ATOMIC_RELAXED);
	uint64_t rw = __atomic_load_n(&m_runway, __ATOMIC_RELAXED);
	uint64_t work = __atomic_load_n(&m_work, __ATOMIC_RELAXED);
	uint64_t used = alloc > before ? alloc - before : 0;
	if (used > rw)
		used = rw;
	uint64_t want = (uint64_t)((unsigned __int128)work * used / rw);
	uint64_t done = RT_PEEK(gc_ms.scanned_bytes) + RT_PEEK(gc_ms.roots_bytes);
	if (done + work / 16 >= want)
		return 0;
	return (uint64_t)((unsigned __int128)bytes * work / rw);
}

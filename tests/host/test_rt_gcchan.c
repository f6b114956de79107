/*
 * test_rt_gcchan.c - host tests of channels and timers as collected
 * objects (rt/chan.c, rt/rtimer.c, rt/heap/gcfinal.c), each in a runtime
 * child with 1 and 4 Ms.
 *
 * Independent truth: the heap's backed bytes (rt_heap_read_stats'
 * committed, the page heap's count of what the platform backs), each P's
 * timer heap (ntimers, rt_timers_next), the span allocation bits, the
 * values the goroutines receive, and the clock.  Objects that must die
 * are made by goroutines that exit; allocation bits are read on a
 * goroutine that exits (an unmasked address lingering in a frame would
 * be a root).
 *
 * What is proved:
 *   - churn: 1M channels and 100k pending one-hour timers made and
 *     dropped at GOGC=100 keep heap_alloc under an explicit bound (the
 *     4 MiB minimum goal plus one cache window per M and class in use)
 *     and the backed heap under 24 MiB (without collection they need
 *     over 130 MiB); the dropped timers leave every timer heap;
 *   - a channel named only by a goroutine parked on it (and a masked
 *     copy) survives collections that reuse freed memory, and a value
 *     sent through it afterwards arrives;
 *   - a goroutine that holds only a timer's channel gets its tick, with
 *     collections running meanwhile (the channel keeps the timer);
 *   - a closed, dropped channel is freed with the pointer buffered in it;
 *     an unstopped, dropped ticker leaves the timer heap and is freed;
 *   - rt_gc_referrers (which the failures of the two above print: what
 *     still names a timer that should have died) finds exactly the words
 *     the test planted in data, a malloc'd block and a collected object,
 *     interior and last-byte addresses included, and nothing once they
 *     point one past the end.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rt/heap/heap.h"
#include "rt/heap/rt_malloc.h"
#include "rt/include/tally.h"
#include "tests/host/rt_test.h"

#define MASK 0x5555555555555555ull
#define NCHAN 1000000
#define NTIMER 100000

struct shared {
	volatile int64_t done;
	volatile int64_t bad;
	volatile int64_t max_alloc, bound, max_committed, timers_left, next_when;
	volatile int64_t freed, cycles;
	volatile int64_t got, late_ns;
	volatile int64_t alive[4];
	char where[128];
	char refs[2048];   /* who names an object that should have died */
};
RT_TEST_SCAFFOLD

static void fail_at(const char *what)
{
	if (tally_atomic_add(&S->bad, 1) == 1)
		strncpy(S->where, what, sizeof(S->where) - 1);
}

static int allocated_here(uintptr_t h)
{
	uintptr_t p = h ^ MASK;
	struct mspan *s = rt_span_of(p);
	if (!s)
		return 0;
	uint8_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
	if (st == SPAN_LARGE)
		return 1;
	if (st != SPAN_SMALL || s->kind == KIND_MALLOC)
		return 0;
	uint32_t idx = rt_span_index(s, p - s->base);
	return (int)((__atomic_load_n(&s->allocbits[idx >> 6], __ATOMIC_ACQUIRE) >> (idx & 63)) & 1);
}

struct probe {
	uintptr_t h;
	int timer;   /* a timer: say what names it when it is alive */
	int alive;
	struct tally_waitgroup wg;
};

static void why_alive(struct tally_timer *t);
static void churn(void *arg), receiver(void *arg), sender(void *arg), ticked(void *arg),
	make_dropped(void *arg);  /* named in why_alive's message */

static void probe_g(void *arg)
{
	struct probe *pr = arg;
	pr->alive = allocated_here(pr->h);
	if (pr->alive && pr->timer)
		why_alive((struct tally_timer *)(pr->h ^ MASK));
	tally_waitgroup_done(&pr->wg);
}

static int allocated(uintptr_t h, int timer)
{
	struct probe pr = { .h = h, .timer = timer };
	tally_waitgroup_add(&pr.wg, 1);
	tally_go(probe_g, &pr);
	tally_waitgroup_wait(&pr.wg);
	return pr.alive;
}

static void collect(int n)
{
	for (int i = 0; i < n; i++) {
		tally_sleep(1000000);
		tally_gc();
	}
}

/* rt_gc_referrers' hits on a timer or its channel, less the pair's own
 * words (each names the other): into S->refs, for the failure message. */
struct refs {
	uintptr_t self[2];
	unsigned n;
};

static void ref_hit(const char *what, uintptr_t base, uintptr_t at, uintptr_t v, void *ctx)
{
	struct refs *r = ctx;
	if (base == r->self[0] || base == r->self[1])
		return;
	size_t len = strlen(S->refs);
	if (r->n++ < 6 && len + 100 < sizeof(S->refs))
		snprintf(S->refs + len, sizeof(S->refs) - len, "%s%s %#lx: the word at %#lx holds %#lx",
		         len ? "; " : "", what, (unsigned long)base, (unsigned long)at, (unsigned long)v);
}

static size_t obj_size(uintptr_t p)
{
	struct mspan *s = rt_span_of(p);
	return s && s->state == SPAN_SMALL ? s->elemsize : 64;
}

/* What names the timer t (and its channel) that should have died. */
static void why_alive(struct tally_timer *t)
{
	struct tally_chan *c = tally_timer_chan(t);
	struct refs r = { { (uintptr_t)t, (uintptr_t)c }, 0 };
	size_t len = strlen(S->refs);
	snprintf(S->refs + len, sizeof(S->refs) - len, "%stimer %p, channel %p named by: ",
	         len ? "; " : "", (void *)t, (void *)c);
	rt_gc_referrers((uintptr_t)t, obj_size((uintptr_t)t), ref_hit, &r);
	rt_gc_referrers((uintptr_t)c, obj_size((uintptr_t)c), ref_hit, &r);
	if (!r.n)
		strncat(S->refs, "nothing marking reads", sizeof(S->refs) - strlen(S->refs) - 1);
	len = strlen(S->refs);
	snprintf(S->refs + len, sizeof(S->refs) - len,
	         " (receiver %p, sender %p, ticked %p, make_dropped %p, probe_g %p, churn %p)",
	         (void *)(uintptr_t)receiver, (void *)(uintptr_t)sender, (void *)(uintptr_t)ticked,
	         (void *)(uintptr_t)make_dropped, (void *)(uintptr_t)probe_g, (void *)(uintptr_t)churn);
}

static unsigned pending_timers(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < RT_MAX_M; i++)
		n += __atomic_load_n(&rt_pget(i)->ntimers, __ATOMIC_RELAXED);
	return n;
}

/* ---- churn ---- */

static struct tally_waitgroup wg;

static void churn(void *arg)
{
	(void)arg;
	int nms = tally_ncpu();
	/* heap_alloc may pass the goal by what the caches reserve before the
	 * refill that sees it: a window (<= 64 objects) per M of each class
	 * in use (channels of 112 bytes, timers of 80, timer heap arrays),
	 * plus the live set (a few KiB) */
	int64_t bound = (4 << 20) + (int64_t)nms * 64 * (112 + 128 + 4096) + (256 << 10);
	S->bound = bound;
	for (int i = 0; i < NCHAN; i++) {
		struct tally_chan *c = tally_chan_make(sizeof(void *), 1);
		if (i % 3 == 0) {
			int64_t v = i;
			tally_chan_trysend(c, &v);
		}
		if (i % 10 == 0) {
			struct tally_timer *t = tally_timer_new(3600ull * 1000000000ull);
			(void)t;  /* dropped, still pending */
		}
		if (i % 4096 == 0) {
			struct tally_gc_stats st;
			struct rt_heap_stats hs;
			tally_gc_read_stats(&st);
			rt_heap_read_stats(&hs);
			if ((int64_t)st.heap_alloc > S->max_alloc)
				S->max_alloc = (int64_t)st.heap_alloc;
			if ((int64_t)hs.committed > S->max_committed)
				S->max_committed = (int64_t)hs.committed;
		}
	}
	tally_waitgroup_done(&wg);
}

static void churn_main(void *arg)
{
	(void)arg;
	tally_gc_percent(100);
	tally_waitgroup_add(&wg, 1);
	tally_go(churn, NULL);
	tally_waitgroup_wait(&wg);
	collect(2);
	S->timers_left = pending_timers();
	for (unsigned i = 0; i < RT_MAX_M && S->timers_left; i++) {
		struct p *pp = rt_pget(i);
		for (unsigned k = 0; k < pp->ntimers && k < 2; k++)
			why_alive((struct tally_timer *)pp->timers[k]);
	}
	S->next_when = (int64_t)rt_timers_next();
	struct tally_gc_stats st;
	tally_gc_read_stats(&st);
	S->freed = (int64_t)st.objects_freed;
	S->cycles = (int64_t)st.cycles;
	S->done = 1;
}

static void test_churn(void **st)
{
	(void)st;
	run_1_and_4(churn_main);
	assert_int_equal(S->done, 1);
	print_message("  churn: heap_alloc max %lld (bound %lld), backed max %lld, %lld cycles, %lld freed\n",
	              (long long)S->max_alloc, (long long)S->bound, (long long)S->max_committed,
	              (long long)S->cycles, (long long)S->freed);
	if (S->max_alloc > S->bound)
		fail_msg("heap_alloc reached %lld, over the bound %lld", (long long)S->max_alloc,
		         (long long)S->bound);
	if (S->max_committed > (24 << 20))
		fail_msg("the heap backed %lld bytes", (long long)S->max_committed);
	if (S->timers_left)
		fail_msg("%lld dropped timers left on the timer heaps: %s", (long long)S->timers_left,
		         S->refs);
	assert_int_equal(S->next_when, 0);
	/* channels + timers + their channels, less what is left live */
	if (S->freed < (NCHAN + 2 * NTIMER) * 9 / 10)
		fail_msg("only %lld objects freed", (long long)S->freed);
}

/* ---- what a parked goroutine waits on stays ---- */

static uintptr_t hc;  /* masked: not a root */
static volatile int64_t parked;

/* Zero the 8 KiB of stack below the caller's frame (no redzones: the
 * array is all of this frame).  The allocation the receiver makes before
 * it parks runs the allocator's slow path on its stack, whose frames
 * leave heap addresses (a span's base, a window's) in slots that the
 * frames of the park below do not write (an ASan frame's redzones are
 * never written); the parked stack is a root from its saved sp up, so
 * such a slot, if a later allocation lands at its address, keeps that
 * object alive.  The dropped ticker's channel did, about once in 300
 * runs under load: both failures seen named the same slot, 0x330 below
 * the receiver's stack top, holding the channel's page-aligned address. */
__attribute__((noinline, no_sanitize("address"))) static void scrub_below(void)
{
	volatile uint64_t pad[1024];
	for (unsigned i = 0; i < 1024; i++)
		pad[i] = 0;
	__asm__ volatile("" : : "r"(pad) : "memory");
}

static void receiver(void *arg)
{
	(void)arg;
	struct tally_chan *c = tally_chan_make(sizeof(uint64_t), 0);
	hc = (uintptr_t)c ^ MASK;
	scrub_below();  /* nothing the allocation left below this frame */
	tally_atomic_store(&parked, 1);
	uint64_t v = 0;
	if (!tally_chan_recv(c, &v) || v != 0x1234567890abcdefull)
		fail_at("the parked receiver got a wrong value");
	tally_atomic_add(&S->got, 1);
	tally_waitgroup_done(&wg);
}

static void sender(void *arg)
{
	(void)arg;
	uint64_t v = 0x1234567890abcdefull;
	tally_chan_send((struct tally_chan *)(hc ^ MASK), &v);
	tally_waitgroup_done(&wg);
}

static void ticked(void *arg)
{
	(void)arg;
	uint64_t t0 = tally_nanotime(), when = 0;
	struct tally_chan *c = tally_timer_chan(tally_timer_new(30000000));
	if (!tally_chan_recv(c, &when) || when < t0 + 30000000)
		fail_at("the timer's tick");
	tally_atomic_store(&S->late_ns, (int64_t)(tally_nanotime() - t0));
	tally_atomic_add(&S->got, 1);
	tally_waitgroup_done(&wg);
}

static uintptr_t h_closed, h_target, h_ticker;

static void make_dropped(void *arg)
{
	(void)arg;
	struct tally_chan *c = tally_chan_make(sizeof(void *), 4);
	void *target = tally_gc_alloc(256, TALLY_GC_NOSCAN);
	tally_chan_send(c, &target);  /* buffered: a pointer in the ring */
	tally_chan_close(c);
	h_closed = (uintptr_t)c ^ MASK;
	h_target = (uintptr_t)target ^ MASK;
	struct tally_timer *tk = tally_ticker_new(1000000);
	h_ticker = (uintptr_t)tk ^ MASK;
	tally_waitgroup_done(&wg);
}

static void live_main(void *arg)
{
	(void)arg;
	tally_waitgroup_add(&wg, 3);
	tally_go(receiver, NULL);
	tally_go(ticked, NULL);
	tally_go(make_dropped, NULL);
	while (!tally_atomic_load(&parked))
		tally_yield();
	for (int round = 0; round < 6; round++) {
		for (int i = 0; i < 30000; i++)
			(void)tally_chan_make(sizeof(uint64_t), 0);  /* reuses freed channels' memory */
		tally_sleep(5000000);
		tally_gc();
	}
	S->alive[0] = allocated(hc, 0);
	S->alive[1] = allocated(h_closed, 0);
	S->alive[2] = allocated(h_target, 0);
	S->alive[3] = allocated(h_ticker, 1);
	tally_waitgroup_add(&wg, 1);
	tally_go(sender, NULL);
	tally_waitgroup_wait(&wg);
	S->timers_left = pending_timers();
	S->done = 1;
}

static void test_liveness(void **st)
{
	(void)st;
	run_1_and_4(live_main);
	assert_int_equal(S->done, 1);
	if (S->bad)
		fail_msg("%s", S->where);
	assert_int_equal(S->got, 2);
	assert_int_equal(S->alive[0], 1);  /* the parked receiver's channel */
	assert_int_equal(S->alive[1], 0);  /* closed and dropped */
	assert_int_equal(S->alive[2], 0);  /* what it buffered */
	if (S->alive[3])
		fail_msg("the dropped ticker is still allocated: %s", S->refs);
	assert_int_equal(S->timers_left, 0);
}

/* ---- rt_gc_referrers, which the failures above print ---- */

static void *volatile planted_global;   /* data: a root */
struct found {
	uintptr_t at[8];
	unsigned n;
};

static void found_hit(const char *what, uintptr_t base, uintptr_t at, uintptr_t v, void *ctx)
{
	(void)what, (void)base, (void)v;
	struct found *f = ctx;
	if (f->n < 8)
		f->at[f->n] = at;
	f->n++;
}

static int found_at(const struct found *f, uintptr_t at)
{
	for (unsigned i = 0; i < f->n && i < 8; i++)
		if (f->at[i] == at)
			return 1;
	return 0;
}

static void referrers_main(void *arg)
{
	(void)arg;
	char *obj = tally_gc_alloc(96, TALLY_GC_NOSCAN);
	void **blk = rt_malloc(4 * sizeof(void *));    /* malloc'd: a root */
	void **holder = tally_gc_alloc(4 * sizeof(void *), TALLY_GC_SCAN);
	planted_global = obj + 40;                      /* interior */
	blk[2] = obj;
	holder[1] = obj + 95;                           /* last byte */
	tally_gc_keep_alive(holder);
	struct found f = { { 0 }, 0 };
	rt_gc_referrers((uintptr_t)obj, 96, found_hit, &f);
	/* exactly the three words planted (main's own stack is not read) */
	if (f.n != 3) {
		snprintf(S->refs, sizeof(S->refs), "%u words: %#lx %#lx %#lx %#lx; planted %p %p %p", f.n,
		         (unsigned long)f.at[0], (unsigned long)f.at[1], (unsigned long)f.at[2],
		         (unsigned long)f.at[3], (void *)&planted_global, (void *)&blk[2], (void *)&holder[1]);
		fail_at(S->refs);
	}
	if (!found_at(&f, (uintptr_t)&planted_global) || !found_at(&f, (uintptr_t)&blk[2]) ||
	    !found_at(&f, (uintptr_t)&holder[1]))
		fail_at("rt_gc_referrers missed a planted word");
	/* one past the end names the next object, not this one */
	planted_global = obj + 96;
	blk[2] = NULL;
	holder[1] = NULL;
	f.n = 0;
	rt_gc_referrers((uintptr_t)obj, 96, found_hit, &f);
	if (f.n != 0)
		fail_at("rt_gc_referrers reported a word outside the object");
	planted_global = NULL;
	tally_gc_keep_alive(holder);
	rt_free(blk);
	S->done = 1;
}

static void test_referrers(void **st)
{
	(void)st;
	reset();
	rt_test_run(referrers_main, NULL, 1);
	assert_int_equal(S->done, 1);
	if (S->bad)
		fail_msg("%s", S->where);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_referrers),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_liveness),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

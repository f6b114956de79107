/*
 * rt_fiber.c - telling ASan and TSan about goroutine stack switches in the
 * hosted runtime.
 *
 * Purpose: rt_ctx_switch (arch/x86_64/context.S) moves a thread from one
 * stack to another behind the sanitizers' backs.  ASan then misjudges
 * which stack is current (__asan_handle_no_return before a longjmp or a
 * _Noreturn call cannot unpoison the right range, reports name the wrong
 * stack); TSan keeps one shadow call stack per thread, which the switches
 * would corrupt, and would not see a goroutine's moves between threads as
 * the hand-offs they are.  The sanitizer builds therefore link with
 *     -Wl,--wrap=rt_ctx_switch -Wl,--wrap=rt_ctx_switch_clean
 *     -Wl,--wrap=rt_ctx_init
 * so every call from rt/ and the tests lands in __wrap_* below, which
 * annotate the switch (ASan: __sanitizer_start/finish_switch_fiber; TSan:
 * one fiber per context, __tsan_switch_to_fiber) around the real one.  The
 * plain build links the assembly directly, as the kernel does, and this
 * file then only keeps the (unused) stack registry.
 *
 * Data structures:
 *   stacks   registry of plat_stack_alloc'd stacks [lo, lo + size), hashed
 *            by top, so that a fresh context (known only by its stack top)
 *            gets exact bounds for ASan;
 *   fibers   one record per struct rt_ctx address ever switched to or
 *            from: the stack it runs on (lo, size), its TSan fiber, and
 *            for a fresh context the real entry and arg;
 *   cur      thread-local: the record of the context running on this
 *            thread, NULL while the thread is still on its own pthread
 *            stack and has not switched yet.
 *
 * Invariants:
 *   - initialising a context on a registered stack unpoisons the whole
 *     stack for ASan: the frames of the goroutine that died there never
 *     returned, so their redzones are still poisoned, and ASan's
 *     prologues write only their own redzones;
 *   - a record is created when its context is first initialised or first
 *     saved (a g0 is first saved from its thread's own stack) and is never
 *     freed, so pointers to it stay valid;
 *   - a TSan fiber is created at a context's first run, not at init
 *     (queued goroutines hold none: TSan counts fibers as threads and
 *     allows 8128 at once), and destroyed when the context is
 *     re-initialised or its stack freed (it is dead then);
 *   - the switch sets `cur` to the target's record before switching: the
 *     target resumes on this thread, and a resumed wrapper finds `cur`
 *     already naming itself.
 *
 * Locking: table_lock (a pthread mutex) guards both tables; it is never
 * held across the real switch, nor across __tsan_create_fiber (which
 * clears a thread state of most of a megabyte: about a millisecond).
 *
 * Context: called from rt/ code on any M, on a G's or a g0's stack, with
 * m->locks raised around every switch.  Every function is in section
 * rt_hosted_text (RT_HOSTED_TEXT), where the preemption signal never
 * switches a goroutine out (a wrapper is halfway through a stack change:
 * `cur` and the sanitizers already name the target).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rt/platform.h"
#include "rt/rt_ctx.h"
#include "rt/hosted/hosted.h"

#if defined(RT_TEST_ASAN)
#define FIBER_ASAN 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(RT_TEST_TSAN)
#define FIBER_TSAN 1
#include <sanitizer/tsan_interface.h>
#endif

/* Default sanitizer options of the rt test binaries (the environment's
 * *SAN_OPTIONS override them).  ASan: no fake stacks (a fake frame would
 * outlive a stack switch); TSan: the first report ends the process (a
 * runtime child's status then says so), and a child may start threads
 * after a fork, and exiting does not sleep a second first. */
#ifdef FIBER_ASAN
__attribute__((used)) const char *__asan_default_options(void);
RT_HOSTED_TEXT const char *__asan_default_options(void) { return "detect_stack_use_after_return=0"; }
__attribute__((used)) const char *__ubsan_default_options(void);
RT_HOSTED_TEXT const char *__ubsan_default_options(void) { return "print_stacktrace=1"; }
#endif
#ifdef FIBER_TSAN
__attribute__((used)) const char *__tsan_default_options(void);
RT_HOSTED_TEXT const char *__tsan_default_options(void)
{
	return "halt_on_error=1:die_after_fork=0:atexit_sleep_ms=0";
}
#endif

#define NBUCKETS 16384
#define UNKNOWN_STACK_SIZE (64 * 1024)   /* bounds of a stack not from us */

struct fiber;

struct stack_rec {
	struct stack_rec *next;
	uintptr_t lo;
	size_t size;
	struct fiber *owner;        /* context last initialised on it */
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stack_rec *stacks[NBUCKETS];

RT_HOSTED_TEXT static unsigned hash(uintptr_t x)
{
	x ^= x >> 17;
	x *= 0x9e3779b97f4a7c15ull;
	return (unsigned)(x >> 40) % NBUCKETS;
}

static void fiber_release(struct fiber *f);

RT_HOSTED_TEXT void rt_fiber_stack_add(uintptr_t lo, size_t size)
{
	struct stack_rec *s = calloc(1, sizeof(*s));
	if (!s)
		return;  /* only costs ASan precision */
	s->lo = lo;
	s->size = size;
	pthread_mutex_lock(&table_lock);
	unsigned h = hash(lo + size);
	s->next = stacks[h];
	stacks[h] = s;
	pthread_mutex_unlock(&table_lock);
}

/* The stack is being unmapped: the context that ran on it is dead. */
RT_HOSTED_TEXT void rt_fiber_stack_del(uintptr_t lo, size_t size)
{
	pthread_mutex_lock(&table_lock);
	struct stack_rec **pp = &stacks[hash(lo + size)];
	while (*pp && !((*pp)->lo == lo && (*pp)->size == size))
		pp = &(*pp)->next;
	struct stack_rec *s = *pp;
	if (s) {
		*pp = s->next;
		if (s->owner)
			fiber_release(s->owner);
	}
	pthread_mutex_unlock(&table_lock);
	free(s);
}

#if defined(FIBER_ASAN) || defined(FIBER_TSAN)

struct fiber {
	struct fiber *next;
	const struct rt_ctx *ctx;   /* key */
	uintptr_t lo;               /* stack bounds (ASan) */
	size_t size;
	struct stack_rec *stack;    /* its registry entry, NULL if none */
	void *tsan;                 /* TSan fiber, NULL until first run */
	int own_tsan;               /* created here (not a thread's own) */
	void (*entry)(void *);      /* fresh context: the real entry */
	void *arg;
};

static struct fiber *fibers[NBUCKETS];
static _Thread_local struct fiber *cur;

void __real_rt_ctx_switch(struct rt_ctx *from, const struct rt_ctx *to);
void __real_rt_ctx_switch_clean(struct rt_ctx *from, const struct rt_ctx *to);
void __real_rt_ctx_init(struct rt_ctx *c, uintptr_t top, void (*entry)(void *), void *arg);
void __wrap_rt_ctx_switch(struct rt_ctx *from, const struct rt_ctx *to);
void __wrap_rt_ctx_switch_clean(struct rt_ctx *from, const struct rt_ctx *to);
void __wrap_rt_ctx_init(struct rt_ctx *c, uintptr_t top, void (*entry)(void *), void *arg);

RT_HOSTED_TEXT static _Noreturn void fiber_die(const char *msg)
{
	plat_write(msg, strlen(msg));
	abort();
}

/* table_lock held.  Drop what a dead context holds: its TSan fiber (TSan
 * counts fibers as threads, at most 8128 at once) and its stack link. */
RT_HOSTED_TEXT static void fiber_release(struct fiber *f)
{
#ifdef FIBER_TSAN
	if (f->tsan && f->own_tsan)
		__tsan_destroy_fiber(f->tsan);
#endif
	f->tsan = NULL;
	f->own_tsan = 0;
	if (f->stack && f->stack->owner == f)
		f->stack->owner = NULL;
	f->stack = NULL;
}

/* table_lock held */
RT_HOSTED_TEXT static struct fiber *fiber_get(const struct rt_ctx *ctx, int create)
{
	unsigned h = hash((uintptr_t)ctx);
	for (struct fiber *f = fibers[h]; f; f = f->next)
		if (f->ctx == ctx)
			return f;
	if (!create)
		return NULL;
	struct fiber *f = calloc(1, sizeof(*f));
	if (!f)
		fiber_die("rt_fiber: out of memory\n");
	f->ctx = ctx;
	f->next = fibers[h];
	fibers[h] = f;
	return f;
}

/* table_lock held: the registered stack whose top is `top`, or NULL. */
RT_HOSTED_TEXT static struct stack_rec *stack_find(uintptr_t top)
{
	for (struct stack_rec *s = stacks[hash(top)]; s; s = s->next)
		if (s->lo + s->size == top)
			return s;
	for (unsigned i = 0; i < NBUCKETS; i++)  /* top inside a stack: rare */
		for (struct stack_rec *s = stacks[i]; s; s = s->next)
			if (s->lo < top && top <= s->lo + s->size)
				return s;
	return NULL;
}

/* The calling thread's own stack (it has not switched yet). */
RT_HOSTED_TEXT static void thread_stack(uintptr_t *lo, size_t *size)
{
	pthread_attr_t a;
	void *addr = NULL;
	size_t sz = 0;
	if (pthread_getattr_np(pthread_self(), &a) == 0) {
		pthread_attr_getstack(&a, &addr, &sz);
		pthread_attr_destroy(&a);
	}
	*lo = (uintptr_t)addr;
	*size = sz;
}

/* First code on a fresh context's stack. */
RT_HOSTED_TEXT static void fiber_start(void *p)
{
	struct fiber *f = p;
#ifdef FIBER_ASAN
	__sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
	f->entry(f->arg);
	/* like the trampoline's ud2: a runtime bug, SIGILL */
	plat_write("rt_fiber: context entry returned\n", 33);
	__builtin_trap();
}

RT_HOSTED_TEXT void __wrap_rt_ctx_init(struct rt_ctx *c, uintptr_t top, void (*entry)(void *), void *arg)
{
	pthread_mutex_lock(&table_lock);
	struct fiber *f = fiber_get(c, 1);
	if (f == cur)
		fiber_die("rt_fiber: re-initialising the running context\n");
	fiber_release(f);  /* whatever ran in c before is dead */
	struct stack_rec *s = stack_find(top & ~(uintptr_t)15);
	if (s) {
		if (s->owner && s->owner != f)
			fiber_release(s->owner);
		s->owner = f;
		f->stack = s;
		f->lo = s->lo;
		f->size = s->size;
#ifdef FIBER_ASAN
		/* A dead goroutine's frames never returned: their redzones are
		 * still poisoned, and a new frame poisons only its own
		 * redzones, so clear the whole stack for the new context. */
		__asan_unpoison_memory_region((void *)s->lo, s->size);
#endif
	} else {
		f->lo = (top & ~(uintptr_t)15) - UNKNOWN_STACK_SIZE;
		f->size = UNKNOWN_STACK_SIZE;
	}
	f->entry = entry;
	f->arg = arg;
	pthread_mutex_unlock(&table_lock);
	__real_rt_ctx_init(c, top, fiber_start, f);
}

/* Both switches: `real` is the assembly's rt_ctx_switch or
 * rt_ctx_switch_clean.  The clean one clears the scratch registers just
 * before the stack changes; what runs here before it (the table's lock,
 * the sanitizers' calls) leaves them no cleaner. */
RT_HOSTED_TEXT static inline __attribute__((always_inline)) void
fiber_switch(struct rt_ctx *from, const struct rt_ctx *to,
             void (*real)(struct rt_ctx *, const struct rt_ctx *))
{
	pthread_mutex_lock(&table_lock);
	struct fiber *ff = fiber_get(from, 1);
	if (!cur) {
		/* first switch away from this thread's own stack */
		thread_stack(&ff->lo, &ff->size);
#ifdef FIBER_TSAN
		ff->tsan = __tsan_get_current_fiber();
		ff->own_tsan = 0;
#endif
	} else if (cur != ff) {
		/* the running stack is being saved under another ctx */
		ff->lo = cur->lo;
		ff->size = cur->size;
		ff->tsan = cur->tsan;
		ff->own_tsan = cur->own_tsan;
		cur->own_tsan = 0;
	}
	struct fiber *ft = fiber_get(to, 0);
	if (!ft)
		fiber_die("rt_fiber: switch to a context never initialised or saved\n");
#ifdef FIBER_TSAN
	int fresh = !ft->tsan && ft != ff;
#endif
	pthread_mutex_unlock(&table_lock);
#ifdef FIBER_TSAN
	if (fresh) {
		/* Created at the first run, not at init, and outside
		 * table_lock: it takes about a millisecond, and every other M
		 * would queue behind it.  ft is not running and not dead, so
		 * nobody else touches it meanwhile. */
		void *t = __tsan_create_fiber(0);
		pthread_mutex_lock(&table_lock);
		ft->tsan = t;
		ft->own_tsan = 1;
		pthread_mutex_unlock(&table_lock);
	}
#endif
	if (ft == ff) {
		real(from, to);
		return;
	}
	cur = ft;
#ifdef FIBER_ASAN
	void *fake = NULL;
	__sanitizer_start_switch_fiber(&fake, (const void *)ft->lo, ft->size);
	real(from, to);
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#else
	__tsan_switch_to_fiber(ft->tsan, 0);
	real(from, to);
#endif
}

RT_HOSTED_TEXT void __wrap_rt_ctx_switch(struct rt_ctx *from, const struct rt_ctx *to)
{
	fiber_switch(from, to, __real_rt_ctx_switch);
}

RT_HOSTED_TEXT void __wrap_rt_ctx_switch_clean(struct rt_ctx *from, const struct rt_ctx *to)
{
	fiber_switch(from, to, __real_rt_ctx_switch_clean);
}

#else /* plain build: no fibers, the registry is all */

RT_HOSTED_TEXT static void fiber_release(struct fiber *f) { (void)f; }

#endif /* FIBER_ASAN || FIBER_TSAN */

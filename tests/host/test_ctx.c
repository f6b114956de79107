/*
 * test_ctx.c - host tests of the context switch alone (rt/rt_ctx.h,
 * arch/x86_64/context.S) and of the hosted stacks it runs on.
 *
 * What is proved: struct rt_ctx has the offsets the assembly uses; a fresh
 * context starts in entry(arg) with the ABI's stack alignment, RBP = 0 and
 * the default MXCSR / x87 control word whatever its creator uses, and
 * without rt_ctx_init having written to its stack; two contexts ping-pong
 * 1000 times with RBX, RBP, R12-R15 (loaded by hand-written assembly right
 * around the call), MXCSR and the x87 control word preserved per context;
 * rt_ctx_switch_clean leaves none of RDX, R8-R11, XMM0-15 to the context
 * it resumes (rt_ctx_switch, the control, carries them all);
 * a context saved on one thread resumes on another (a goroutine moving
 * between Ms); an entry that returns traps (SIGILL); a stack overflow
 * hits the guard page (SIGSEGV).
 *
 * The contexts record failures in globals; the assertions run back on the
 * test's own stack (cmocka's longjmp must not start on a foreign stack).
 * In the sanitizer builds the calls go through the fiber annotations of
 * rt/hosted/rt_fiber.c (ld --wrap), so these tests cover them too.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "rt/platform.h"
#include "rt/rt_ctx.h"
#include "tests/host/rt_test.h"

/* The offsets context.S uses (its header comment lists the same). */
_Static_assert(offsetof(struct rt_ctx, arch.rsp) == 0, "CTX_RSP");
_Static_assert(offsetof(struct rt_ctx, arch.rip) == 8, "CTX_RIP");
_Static_assert(offsetof(struct rt_ctx, arch.rbx) == 16, "CTX_RBX");
_Static_assert(offsetof(struct rt_ctx, arch.rbp) == 24, "CTX_RBP");
_Static_assert(offsetof(struct rt_ctx, arch.r12) == 32, "CTX_R12");
_Static_assert(offsetof(struct rt_ctx, arch.r13) == 40, "CTX_R13");
_Static_assert(offsetof(struct rt_ctx, arch.r14) == 48, "CTX_R14");
_Static_assert(offsetof(struct rt_ctx, arch.r15) == 56, "CTX_R15");
_Static_assert(offsetof(struct rt_ctx, arch.mxcsr) == 64, "CTX_MXCSR");
_Static_assert(offsetof(struct rt_ctx, arch.fpucw) == 68, "CTX_FPUCW");
_Static_assert(sizeof(struct rt_ctx) == 72, "rt_ctx size");

#define STACK (64 * 1024)
#define MXCSR_FLAGS 0x3fu      /* sticky exception flags: not compared */
#define DEFAULT_MXCSR 0x1f80u
#define DEFAULT_FPUCW 0x037fu

/*
 * regs_switch(from, to, in, out): load RBX, RBP, R12-R15 from in[0..5],
 * call rt_ctx_switch(from, to), store the same registers to out[0..5]
 * when it returns.  Preserves the caller's callee-saved registers.
 */
void regs_switch(struct rt_ctx *from, const struct rt_ctx *to, const uint64_t *in, uint64_t *out);
__asm__(
	".text\n"
	".globl regs_switch\n"
	".type regs_switch, @function\n"
	"regs_switch:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	pushq %rcx\n"               /* out; RSP is now 16-byte aligned */
	"	movq 0(%rdx), %rbx\n"
	"	movq 8(%rdx), %rbp\n"
	"	movq 16(%rdx), %r12\n"
	"	movq 24(%rdx), %r13\n"
	"	movq 32(%rdx), %r14\n"
	"	movq 40(%rdx), %r15\n"
	"	call rt_ctx_switch@PLT\n"
	"	popq %rcx\n"
	"	movq %rbx, 0(%rcx)\n"
	"	movq %rbp, 8(%rcx)\n"
	"	movq %r12, 16(%rcx)\n"
	"	movq %r13, 24(%rcx)\n"
	"	movq %r14, 32(%rcx)\n"
	"	movq %r15, 40(%rcx)\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size regs_switch, . - regs_switch\n");

/* probe_entry(arg): record RSP and RBP at entry, then probe_body(arg). */
uint64_t probe_rsp, probe_rbp;
void probe_entry(void *arg);
__asm__(
	".text\n"
	".globl probe_entry\n"
	".type probe_entry, @function\n"
	"probe_entry:\n"
	"	movq %rsp, probe_rsp(%rip)\n"
	"	movq %rbp, probe_rbp(%rip)\n"
	"	jmp probe_body\n"
	".size probe_entry, . - probe_entry\n");

static uint32_t get_mxcsr(void)
{
	uint32_t v;
	__asm__ volatile("stmxcsr %0" : "=m"(v));
	return v;
}
static void set_mxcsr(uint32_t v) { __asm__ volatile("ldmxcsr %0" ::"m"(v)); }
static uint16_t get_fpucw(void)
{
	uint16_t v;
	__asm__ volatile("fnstcw %0" : "=m"(v));
	return v;
}
static void set_fpucw(uint16_t v) { __asm__ volatile("fldcw %0" ::"m"(v)); }

static struct rt_ctx main_ctx, ctx_a, ctx_b, ctx_x;
static unsigned errors;
static const char *first_error;

static void note(int ok, const char *what)
{
	if (!ok) {
		if (!errors)
			first_error = what;
		errors++;
	}
}

static uintptr_t stack_top(uintptr_t lo) { return lo + STACK; }

/* ---- fresh context ---- */

static void *probe_arg;
static uint32_t probe_mxcsr;
static uint16_t probe_fpucw;

void probe_body(void *arg);
void probe_body(void *arg)
{
	probe_arg = arg;
	probe_mxcsr = get_mxcsr();
	probe_fpucw = get_fpucw();
	rt_ctx_switch(&ctx_a, &main_ctx);
	note(0, "probe resumed");
	for (;;)
		rt_ctx_switch(&ctx_a, &main_ctx);
}

static void fresh_context_starts_entry(void **state)
{
	(void)state;
	uintptr_t lo = plat_stack_alloc(STACK);
	assert_true(lo != 0);
	memset((void *)lo, 0xa5, STACK);
	rt_ctx_init(&ctx_a, stack_top(lo), probe_entry, (void *)0x1234abcd);
	for (size_t i = 0; i < STACK; i++)  /* init wrote nothing on the stack */
		if (((unsigned char *)lo)[i] != 0xa5)
			fail_msg("stack byte %zu changed by rt_ctx_init", i);

	uint32_t m0 = get_mxcsr();
	uint16_t c0 = get_fpucw();
	set_mxcsr(0x7f80);      /* round toward zero */
	set_fpucw(0x0e7f);      /* round toward zero, 64-bit precision */
	rt_ctx_switch(&main_ctx, &ctx_a);
	uint32_t m1 = get_mxcsr();
	uint16_t c1 = get_fpucw();
	set_mxcsr(m0);
	set_fpucw(c0);

	assert_ptr_equal(probe_arg, (void *)0x1234abcd);
	assert_int_equal(probe_rsp % 16, 8);               /* ABI: entry RSP % 16 == 8 */
	assert_true(probe_rsp < stack_top(lo) && probe_rsp > lo);
#if !defined(RT_TEST_ASAN) && !defined(RT_TEST_TSAN)
	/* unwrapped: the trampoline called entry directly */
	assert_int_equal(probe_rsp, stack_top(lo) - 8);
	assert_int_equal(probe_rbp, 0);
#endif
	assert_int_equal(probe_mxcsr & ~MXCSR_FLAGS, DEFAULT_MXCSR);
	assert_int_equal(probe_fpucw, DEFAULT_FPUCW);
	assert_int_equal(m1 & ~MXCSR_FLAGS, 0x7f80);      /* the creator kept its own */
	assert_int_equal(c1, 0x0e7f);
	/* the saved context of the parked probe points into its own stack */
	assert_true(rt_ctx_sp(&ctx_a) > lo && rt_ctx_sp(&ctx_a) < stack_top(lo));
	assert_true(rt_ctx_fp(&ctx_a) > lo && rt_ctx_fp(&ctx_a) < stack_top(lo));
	assert_int_equal(errors, 0);
	plat_stack_free(lo, STACK);
}

/* ---- ping-pong ---- */

#define ROUNDS 1000
static unsigned rounds_a, rounds_b;

static void pingpong(struct rt_ctx *self, struct rt_ctx *peer, uint64_t salt, uint32_t mxcsr,
                     uint16_t cw, unsigned *rounds)
{
	set_mxcsr(mxcsr);
	set_fpucw(cw);
	for (unsigned i = 0; i < ROUNDS; i++) {
		uint64_t in[6], out[6];
		for (int k = 0; k < 6; k++)
			in[k] = salt ^ ((uint64_t)i << 20) ^ (uint64_t)(k + 1) * 0x0101010101010101ull;
		regs_switch(self, peer, in, out);
		note(memcmp(in, out, sizeof(in)) == 0, "callee-saved register changed");
		note((get_mxcsr() & ~MXCSR_FLAGS) == mxcsr, "MXCSR changed");
		note(get_fpucw() == cw, "x87 control word changed");
		(*rounds)++;
	}
}

static void ctx_a_main(void *arg)
{
	(void)arg;
	pingpong(&ctx_a, &ctx_b, 0xaaaa000000000000ull, 0x3f80 /* round down */, 0x047f, &rounds_a);
	rt_ctx_switch(&ctx_a, &main_ctx);
	note(0, "a resumed after the end");
}

static void ctx_b_main(void *arg)
{
	(void)arg;
	pingpong(&ctx_b, &ctx_a, 0xbbbb000000000000ull, 0x5f80 /* round up */, 0x087f, &rounds_b);
	note(0, "b ran past its last switch");
	rt_ctx_switch(&ctx_b, &main_ctx);
}

static void ping_pong_preserves_registers(void **state)
{
	(void)state;
	uintptr_t sa = plat_stack_alloc(STACK), sb = plat_stack_alloc(STACK);
	assert_true(sa && sb);
	errors = 0;
	rounds_a = rounds_b = 0;
	rt_ctx_init(&ctx_a, stack_top(sa), ctx_a_main, NULL);
	rt_ctx_init(&ctx_b, stack_top(sb), ctx_b_main, NULL);
	uint32_t m0 = get_mxcsr();
	uint16_t c0 = get_fpucw();
	uint64_t in[6] = { 1, 2, 3, 4, 5, 6 }, out[6];
	regs_switch(&main_ctx, &ctx_a, in, out);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(get_mxcsr() & ~MXCSR_FLAGS, m0 & ~MXCSR_FLAGS);
	assert_int_equal(get_fpucw(), c0);
	if (errors)
		fail_msg("%u errors, first: %s", errors, first_error);
	assert_int_equal(rounds_a, ROUNDS);
	/* b's last switch handed control to a and never returned */
	assert_int_equal(rounds_b, ROUNDS - 1);
	plat_stack_free(sa, STACK);
	plat_stack_free(sb, STACK);
}

/* ---- the clean switch leaves the caller's scratch registers behind ---- */

#define FILL 0x7e57c0de5ca7c4ull   /* no register holds this by chance */
#define NSCRATCH 21                 /* RDX, R8-R11, XMM0-15 (low quadword) */

/*
 * scratch_switch(from, to, fill, clean): load RDX, R8-R11 and XMM0-15
 * with fill, then call rt_ctx_switch_clean (clean != 0) or rt_ctx_switch.
 * scratch_park(self, home, seen): rt_ctx_switch(self, home); once resumed,
 * store RDX, R8-R11 (seen[0..4]) and the low quadwords of XMM0-15
 * (seen[5..20]) as the switch left them.  Both keep the caller's
 * callee-saved registers.
 */
void scratch_switch(struct rt_ctx *from, const struct rt_ctx *to, uint64_t fill, int clean);
void scratch_park(struct rt_ctx *self, const struct rt_ctx *home, uint64_t *seen);
__asm__(
	".text\n"
	".globl scratch_switch\n"
	".type scratch_switch, @function\n"
	"scratch_switch:\n"
	"	pushq %rbx\n"                 /* RSP is now 16-byte aligned */
	"	movl %ecx, %ebx\n"
	"	movq %rdx, %rax\n"
	"	movq %rax, %r8\n"
	"	movq %rax, %r9\n"
	"	movq %rax, %r10\n"
	"	movq %rax, %r11\n"
	"	movq %rax, %xmm0\n"
	"	movq %rax, %xmm1\n"
	"	movq %rax, %xmm2\n"
	"	movq %rax, %xmm3\n"
	"	movq %rax, %xmm4\n"
	"	movq %rax, %xmm5\n"
	"	movq %rax, %xmm6\n"
	"	movq %rax, %xmm7\n"
	"	movq %rax, %xmm8\n"
	"	movq %rax, %xmm9\n"
	"	movq %rax, %xmm10\n"
	"	movq %rax, %xmm11\n"
	"	movq %rax, %xmm12\n"
	"	movq %rax, %xmm13\n"
	"	movq %rax, %xmm14\n"
	"	movq %rax, %xmm15\n"
	"	testl %ebx, %ebx\n"
	"	jz 1f\n"
	"	call rt_ctx_switch_clean@PLT\n"
	"	jmp 2f\n"
	"1:	call rt_ctx_switch@PLT\n"
	"2:	popq %rbx\n"
	"	ret\n"
	".size scratch_switch, . - scratch_switch\n"
	".globl scratch_park\n"
	".type scratch_park, @function\n"
	"scratch_park:\n"
	"	pushq %rbx\n"
	"	movq %rdx, %rbx\n"
	"	call rt_ctx_switch@PLT\n"
	"	movq %rdx, 0(%rbx)\n"
	"	movq %r8, 8(%rbx)\n"
	"	movq %r9, 16(%rbx)\n"
	"	movq %r10, 24(%rbx)\n"
	"	movq %r11, 32(%rbx)\n"
	"	movq %xmm0, 40(%rbx)\n"
	"	movq %xmm1, 48(%rbx)\n"
	"	movq %xmm2, 56(%rbx)\n"
	"	movq %xmm3, 64(%rbx)\n"
	"	movq %xmm4, 72(%rbx)\n"
	"	movq %xmm5, 80(%rbx)\n"
	"	movq %xmm6, 88(%rbx)\n"
	"	movq %xmm7, 96(%rbx)\n"
	"	movq %xmm8, 104(%rbx)\n"
	"	movq %xmm9, 112(%rbx)\n"
	"	movq %xmm10, 120(%rbx)\n"
	"	movq %xmm11, 128(%rbx)\n"
	"	movq %xmm12, 136(%rbx)\n"
	"	movq %xmm13, 144(%rbx)\n"
	"	movq %xmm14, 152(%rbx)\n"
	"	movq %xmm15, 160(%rbx)\n"
	"	popq %rbx\n"
	"	ret\n"
	".size scratch_park, . - scratch_park\n");

static uint64_t seen[NSCRATCH];
static unsigned scratch_runs;

static void scratch_main(void *arg)
{
	(void)arg;
	for (;;) {
		scratch_park(&ctx_b, &main_ctx, seen);
		scratch_runs++;
	}
}

/* How many of the 21 registers arrived holding the caller's fill. */
static unsigned resume_with_fill(int clean)
{
	memset(seen, 0xff, sizeof(seen));
	unsigned runs = scratch_runs;
	scratch_switch(&main_ctx, &ctx_b, FILL, clean);
	assert_int_equal(scratch_runs, runs + 1);
	unsigned n = 0;
	for (int i = 0; i < NSCRATCH; i++)
		n += seen[i] == FILL;
	return n;
}

static void clean_switch_clears_scratch(void **state)
{
	(void)state;
	uintptr_t lo = plat_stack_alloc(STACK);
	assert_true(lo != 0);
	scratch_runs = 0;
	rt_ctx_init(&ctx_b, stack_top(lo), scratch_main, NULL);
	rt_ctx_switch(&main_ctx, &ctx_b);  /* b parks in scratch_park */
	unsigned plain = resume_with_fill(0);
	unsigned clean = resume_with_fill(1);
#if !defined(RT_TEST_ASAN) && !defined(RT_TEST_TSAN)
	/* unwrapped, nothing runs between the two switches' registers: the
	 * plain switch carries every one (the test sees them), the clean one
	 * none, and leaves them zero */
	assert_int_equal(plain, NSCRATCH);
	for (int i = 0; i < NSCRATCH; i++)
		if (seen[i] != 0)
			fail_msg("scratch register %d arrived as %#llx", i, (unsigned long long)seen[i]);
#else
	(void)plain;  /* the sanitizers' calls around the switch reuse them */
#endif
	assert_int_equal(clean, 0);
	plat_stack_free(lo, STACK);
}

/* ---- a context moving between threads ---- */

static struct rt_ctx *x_home;   /* where ctx_x returns to */
static unsigned x_runs;
static pthread_t x_threads[8];

/* glibc declares pthread_self const, so the compiler may hoist it out of
 * a loop that a context switch moves to another thread: ask every time. */
__attribute__((noinline)) static pthread_t self_now(void)
{
	pthread_t t = pthread_self();
	__asm__ volatile("" : "+r"(t));  /* opaque to both compilers */
	return t;
}

static void ctx_x_main(void *arg)
{
	(void)arg;
	for (;;) {
		x_threads[x_runs % 8] = self_now();
		x_runs++;
		rt_ctx_switch(&ctx_x, x_home);
	}
}

static void *thread_resumes_x(void *p)
{
	struct rt_ctx home;
	(void)p;
	x_home = &home;
	rt_ctx_switch(&home, &ctx_x);
	return NULL;
}

static void context_moves_between_threads(void **state)
{
	(void)state;
	uintptr_t lo = plat_stack_alloc(STACK);
	rt_ctx_init(&ctx_x, stack_top(lo), ctx_x_main, NULL);
	x_runs = 0;
	x_home = &main_ctx;
	rt_ctx_switch(&main_ctx, &ctx_x);      /* starts on the test's thread */
	for (int i = 0; i < 3; i++) {          /* resumes on three others */
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, thread_resumes_x, NULL), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
	}
	x_home = &main_ctx;
	rt_ctx_switch(&main_ctx, &ctx_x);      /* and back on the test's */
	assert_int_equal(x_runs, 5);
	assert_true(pthread_equal(x_threads[0], pthread_self()));
	for (int i = 1; i <= 3; i++)
		assert_false(pthread_equal(x_threads[i], pthread_self()));
	assert_true(pthread_equal(x_threads[4], pthread_self()));
	plat_stack_free(lo, STACK);
}

/* ---- traps ---- */

static void returns(void *arg) { (void)arg; }

static void child_entry_returns(void *arg)
{
	(void)arg;
	uintptr_t lo = plat_stack_alloc(STACK);
	rt_ctx_init(&ctx_a, stack_top(lo), returns, NULL);
	rt_ctx_switch(&main_ctx, &ctx_a);
}

static void entry_return_traps(void **state)
{
	(void)state;
	assert_int_equal(rt_test_fork(child_entry_returns, NULL), 128 + SIGILL);
}

static volatile int sink;

static int recurse(int n)
{
	volatile char pad[1024];
	pad[0] = (char)n;
	sink = pad[0];
	if (n <= 0)
		return 0;
	int r = recurse(n - 1);
	/* the frame is used after the call: no compiler may turn the
	 * recursion into a loop (clang does, accumulator and all) */
	__asm__ volatile("" : : "r"(pad) : "memory");
	return r + pad[0];
}

static void overflow_main(void *arg)
{
	(void)arg;
	sink = recurse(1000);   /* ~1 MiB of frames on a 64 KiB stack */
	rt_ctx_switch(&ctx_a, &main_ctx);
}

static void child_overflow(void *arg)
{
	(void)arg;
	uintptr_t lo = plat_stack_alloc(STACK);
	rt_ctx_init(&ctx_a, stack_top(lo), overflow_main, NULL);
	rt_ctx_switch(&main_ctx, &ctx_a);
}

static void stack_overflow_hits_guard(void **state)
{
	(void)state;
	assert_int_equal(rt_test_fork(child_overflow, NULL), 128 + SIGSEGV);
}

static void deep_but_fitting(void *arg)
{
	(void)arg;
	sink = recurse(40);     /* ~45 KiB of a 64 KiB stack */
	rt_ctx_switch(&ctx_a, &main_ctx);
}

static void stack_is_usable_to_near_its_size(void **state)
{
	(void)state;
	uintptr_t lo = plat_stack_alloc(STACK);
	rt_ctx_init(&ctx_a, stack_top(lo), deep_but_fitting, NULL);
	rt_ctx_switch(&main_ctx, &ctx_a);
	plat_stack_free(lo, STACK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fresh_context_starts_entry),
		cmocka_unit_test(ping_pong_preserves_registers),
		cmocka_unit_test(clean_switch_clears_scratch),
		cmocka_unit_test(context_moves_between_threads),
		cmocka_unit_test(stack_is_usable_to_near_its_size),
		cmocka_unit_test(entry_return_traps),
		cmocka_unit_test(stack_overflow_hits_guard),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

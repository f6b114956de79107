/*
 * ctx_test.c - on-target tests of the aarch64 port's contexts and trap
 * side: rt_ctx_switch/rt_ctx_init/rt_ctx_switch_clean (context.S), arch_call_on_stack and
 * arch_try (switch.S), frame-pointer unwinding, the restartable ledger
 * sequences, and asynchronous preemption (arch_inject_preempt,
 * preempt.S) from a real timer interrupt.
 *
 * Independent truth: register values are set and compared in assembly
 * (regs.S), so the compiler cannot keep a copy elsewhere; a context's
 * saved pc is checked by decoding the BL instruction before it; return
 * addresses by __builtin_return_address in each function of a chain;
 * the restart table by the instruction encodings at its addresses (MRS
 * of CNTVCT_EL0, a STR); the interrupt is the virtual timer's, taken
 * through the GIC as irq_probe.c set it up.
 * Context: the boot CPU; interrupts masked except inside a64_preempt.
 */
#include <stdint.h>
#include <string.h>
#include "arch/arch.h"
#include "arch/aarch64/a64.h"
#include "rt/rt_ctx.h"
#include "tests/a64/a64t.h"

#define NSWITCH 1000
#define STACK 16384

uint64_t a64t_switch_check(struct rt_ctx *from, struct rt_ctx *to, uint64_t salt);
uint64_t a64t_scratch_switch(struct rt_ctx *from, const struct rt_ctx *to, uint64_t fill, int clean);
uint64_t a64t_scratch_park(struct rt_ctx *self, const struct rt_ctx *home, uint64_t fill);
struct a64t_spin { uint32_t flag, pad; uint64_t budget; };
uint64_t a64t_spin(struct a64t_spin *s);
extern char a64t_spin_loop[], a64t_spin_loop_end[];
uint64_t a64t_try_keeps(void (*fn)(void *), void *arg);
void a64t_clobber_fault(void *addr);
void a64t_clobber_caller_saved(void);
extern const uint64_t a64_guards[2];
extern char a64_boot_stack_top[];

static uint8_t stack_a[STACK] __attribute__((aligned(16)));
static uint8_t stack_b[STACK] __attribute__((aligned(16)));
static struct rt_ctx ctx_m, ctx_a, ctx_b;
static uint64_t mism_a, mism_b, fpcr_bad, fresh_bad;

static uint64_t fpcr(void) { return A64_SYSREG_READ(fpcr); }
static void set_fpcr(uint64_t v) { __asm__ volatile("msr fpcr, %0" :: "r"(v)); }

static int in_stack(uintptr_t p, const uint8_t *s) { return p > (uintptr_t)s && p <= (uintptr_t)s + STACK; }

static void b_main(void *arg)
{
	uintptr_t *rec = __builtin_frame_address(0);
	fresh_bad += (uintptr_t)arg != 0xb || rec[0] != 0 || !in_stack((uintptr_t)rec, stack_b);
	for (uint64_t i = 0;; i++) {
		mism_b += a64t_switch_check(&ctx_b, &ctx_a, 0x2000000 + i * 64);
		fpcr_bad += ((fpcr() >> 22) & 3) != 0;
	}
}

static void a_main(void *arg)
{
	uintptr_t *rec = __builtin_frame_address(0);
	fresh_bad += (uintptr_t)arg != 0xa || rec[0] != 0 || !in_stack((uintptr_t)rec, stack_a);
	set_fpcr(fpcr() | (1ull << 22));    /* RMode = RP, this context's own */
	for (uint64_t i = 0; i < NSWITCH; i++) {
		mism_a += a64t_switch_check(&ctx_a, &ctx_b, 0x1000000 + i * 64);
		fpcr_bad += ((fpcr() >> 22) & 3) != 1;
	}
	rt_ctx_switch(&ctx_a, &ctx_m);
	fresh_bad++;   /* never resumed (and no tail call: pc stays after a BL) */
}

#define FILL 0x7e57c0de5ca7c4ull
static volatile uint64_t scratch_seen;
static volatile unsigned scratch_runs;

static void scratch_main(void *arg)
{
	(void)arg;
	for (;;) {
		scratch_seen = a64t_scratch_park(&ctx_b, &ctx_m, FILL);
		scratch_runs++;
	}
}

/* rt_ctx_switch_clean leaves the caller's scratch registers behind: the
 * plain switch, the control, carries x2-x8, x12-x18, v0-v7 and v16-v31
 * (62 words; v8-v15's upper halves it clears by loading d8-d15), the
 * clean one none of the 70 words, and leaves them zero. */
A64T(a64_ctx_switch_clean)
{
	rt_ctx_init(&ctx_b, (uintptr_t)(stack_b + STACK), scratch_main, NULL);
	rt_ctx_switch(&ctx_m, &ctx_b);   /* b parks in a64t_scratch_park */
	a64t_scratch_switch(&ctx_m, &ctx_b, FILL, 0);
	uint64_t plain = scratch_seen;
	a64t_scratch_switch(&ctx_m, &ctx_b, FILL, 1);
	uint64_t clean = scratch_seen;
	A64T_ASSERT(scratch_runs == 2);
	A64T_ASSERT((plain & 0xffff) == 62);
	A64T_ASSERT(clean == 0);
	a64t_note("clean switch: %u of 70 scratch words carried (plain switch: %u)",
	          (unsigned)(clean & 0xffff), (unsigned)(plain & 0xffff));
}

/* The target of the BL at pc - 4, or 0 if that is not a BL. */
static uintptr_t bl_target(uintptr_t pc)
{
	uint32_t insn = *(const uint32_t *)(pc - 4);
	if ((insn & 0xfc000000u) != 0x94000000u)
		return 0;
	int64_t off = (int64_t)((uint64_t)(insn & 0x03ffffffu) << 38) >> 36;
	return pc - 4 + (uintptr_t)off;
}

A64T(a64_ctx_switch)
{
	uint64_t f0 = fpcr();
	rt_ctx_init(&ctx_a, (uintptr_t)(stack_a + STACK), a_main, (void *)0xa);
	rt_ctx_init(&ctx_b, (uintptr_t)(stack_b + STACK) - 8, b_main, (void *)0xb);   /* aligned down */
	A64T_ASSERT(rt_ctx_sp(&ctx_a) == (uintptr_t)(stack_a + STACK));
	A64T_ASSERT(rt_ctx_sp(&ctx_b) == (uintptr_t)(stack_b + STACK) - 16);
	A64T_ASSERT(rt_ctx_fp(&ctx_a) == 0);
	rt_ctx_switch(&ctx_m, &ctx_a);
	/* back from a_main after NSWITCH round trips */
	A64T_ASSERT(fresh_bad == 0);
	A64T_ASSERT(mism_a == 0);
	A64T_ASSERT(mism_b == 0);
	A64T_ASSERT(fpcr_bad == 0);
	A64T_ASSERT(fpcr() == f0);
	/* the parked contexts: a's pc is the return from the BL to
	 * rt_ctx_switch, its sp and fp on its stack */
	A64T_ASSERT(bl_target(rt_ctx_pc(&ctx_a)) == (uintptr_t)rt_ctx_switch);
	A64T_ASSERT(in_stack(rt_ctx_sp(&ctx_a), stack_a) && in_stack(rt_ctx_fp(&ctx_a), stack_a));
	A64T_ASSERT(bl_target(rt_ctx_pc(&ctx_b)) == (uintptr_t)rt_ctx_switch);
	A64T_ASSERT(in_stack(rt_ctx_sp(&ctx_b), stack_b));
	a64t_note("%d round trips between two contexts, x19-x28, d8-d15 and FPCR kept",
	          NSWITCH);
	rt_ctx_retire(&ctx_a);
	A64T_ASSERT(rt_ctx_sp(&ctx_a) == 0);
}

static uintptr_t cos_fp, cos_saved;
static int on_stack_fn(void *arg)
{
	uintptr_t *rec = __builtin_frame_address(0);
	cos_fp = (uintptr_t)rec;
	cos_saved = rec[0];
	return (int)(uintptr_t)arg * 2;
}

A64T(a64_call_on_stack)
{
	uintptr_t before = arch_current_fp();
	A64T_ASSERT(arch_call_on_stack((uintptr_t)(stack_a + STACK), on_stack_fn, (void *)21) == 42);
	A64T_ASSERT(in_stack(cos_fp, stack_a));
	A64T_ASSERT(cos_saved == 0);   /* the chain starts fresh there */
	A64T_ASSERT(arch_current_fp() == before);
}

static void returns(void *arg) { *(int *)arg = 7; }
static void breaks(void *arg) { (void)arg; __asm__ volatile("brk #0x77"); }

A64T(a64_try)
{
	int x = 0;
	struct arch_percpu *pc = arch_cpu_local();
	A64T_ASSERT(arch_try(returns, &x) == 0 && x == 7);
	A64T_ASSERT(pc->try_rsp == 0);
	A64T_ASSERT(arch_try(breaks, NULL) == 0x3c + 1);
	A64T_ASSERT(pc->try_rsp == 0);
	/* x19-x28 (and d8-d15) clobbered by the faulting function are the
	 * caller's again after the landing */
	uint64_t r = a64t_try_keeps(a64t_clobber_fault, (void *)(uintptr_t)(a64_guards[1] + 8));
	A64T_ASSERT((uint32_t)r == 0x25 + 1);
	A64T_ASSERT((r >> 32) == 0);
	A64T_ASSERT(arch_try_fault_addr() == a64_guards[1] + 8);
	A64T_ASSERT(!strcmp(arch_trap_name(0x25), "data abort"));
	A64T_ASSERT(!strcmp(arch_trap_name(0x3c), "BRK instruction"));
}

/* ---- unwinding ---- */
static uintptr_t ra2, ra3, walked[8];
static int nwalked, bad_fp, guard_fp;

__attribute__((noinline)) static void u3(void)
{
	uintptr_t fp = arch_current_fp(), ret;
	ra3 = (uintptr_t)__builtin_return_address(0);
	nwalked = 0;
	while (nwalked < 8 && arch_next_frame(&fp, &ret) == 0) {
		walked[nwalked++] = ret;
		if (fp == 0)
			break;
	}
	fp = arch_current_fp() | 8;
	bad_fp = arch_next_frame(&fp, &ret);
	fp = a64_guards[0] + 16;
	guard_fp = arch_next_frame(&fp, &ret);
	__asm__ volatile("" ::: "memory");
}
__attribute__((noinline)) static void u2(void)
{
	ra2 = (uintptr_t)__builtin_return_address(0);
	u3();
	__asm__ volatile("" ::: "memory");
}

A64T(a64_unwind)
{
	u2();
	A64T_ASSERT(nwalked >= 3);
	A64T_ASSERT(walked[0] == ra3);
	A64T_ASSERT(walked[1] == ra2);
	A64T_ASSERT(bl_target(walked[1]) == (uintptr_t)u2);
	A64T_ASSERT(bad_fp == -1);
	A64T_ASSERT(guard_fp == -1);
}

/* ---- restartable sequences and the ledger pair ---- */
extern const uintptr_t __start_arch_restart[], __stop_arch_restart[];
struct pcpu_ledger { struct arch_percpu a; uint64_t word; };
static struct pcpu_ledger pl;

A64T(a64_restart)
{
	void *old = arch_cpu_local();
	pl.a.self = &pl;
	arch_cpu_set_local(&pl);
	uint64_t t0 = arch_cycles();
	arch_ledger_pair_leave(offsetof(struct pcpu_ledger, word));
	uint64_t t1 = arch_cycles(), w = pl.word;
	uint64_t u = arch_ledger_pair_enter(offsetof(struct pcpu_ledger, word));
	arch_cpu_set_local(old);
	A64T_ASSERT(w >= 2 * t0 + 1 && w <= 2 * t1 + 1 && (w & 1));
	A64T_ASSERT(pl.word == w - u && u >= w);
	A64T_ASSERT(__stop_arch_restart - __start_arch_restart >= 4);
	for (const uintptr_t *r = __start_arch_restart; r < __stop_arch_restart; r += 2) {
		uint32_t first = *(const uint32_t *)r[0], last = *(const uint32_t *)r[1];
		A64T_ASSERT((first & ~31u) == 0xd53be040u);   /* mrs xN, cntvct_el0 */
		A64T_ASSERT((last & 0xffc00000u) == 0xf9000000u);   /* str xN, [xM, #imm] */
		struct trap_frame tf;
		tf.elr = r[0];
		A64T_ASSERT(arch_restart_fixup(&tf) == 0 && tf.elr == r[0]);
		tf.elr = r[0] + 4;
		A64T_ASSERT(arch_restart_fixup(&tf) == 1 && tf.elr == r[0]);
		tf.elr = r[1];
		A64T_ASSERT(arch_restart_fixup(&tf) == 1 && tf.elr == r[0]);
		tf.elr = r[1] + 4;
		A64T_ASSERT(arch_restart_fixup(&tf) == 0);
	}
}

/* ---- asynchronous preemption from the virtual timer's interrupt ---- */
static volatile struct a64t_spin spin;
static uintptr_t irq_elr, irq_sp, pre_fp, pre_walk[4];
static int irqs, injected, pre_runs, other_runs;
static struct rt_ctx ctx_pre, ctx_other;
static struct trap_frame irq_tf;
static volatile double sink;

static void arm_timer(void)
{
	uint64_t hz = A64_SYSREG_READ(cntfrq_el0);
	__asm__ volatile("msr cntv_tval_el0, %0\n\tmsr cntv_ctl_el0, %1\n\tisb"
	                 :: "r"(hz / 1000), "r"(1ull) : "memory");
}

static void irq_hook(struct trap_frame *tf)
{
	a64_irq_probe_handler();   /* acknowledge, mask the timer, end */
	irqs++;
	if (tf->elr >= (uintptr_t)a64t_spin_loop && tf->elr < (uintptr_t)a64t_spin_loop_end && !injected) {
		irq_elr = tf->elr;
		irq_sp = tf->sp;
		irq_tf = *tf;
		injected = 1;
		arch_inject_preempt(tf);
	} else if (!injected) {
		arm_timer();   /* not in the loop yet: once more */
	}
}

/* another goroutine, run from inside the preemption: clobbers what it can */
static void other_main(void *arg)
{
	(void)arg;
	for (;;) {
		double d = 1.0;
		for (int i = 1; i < 50; i++)
			d = d * 1.0001 + (double)i / 3.0;
		sink = d;
		other_runs++;
		rt_ctx_switch(&ctx_other, &ctx_pre);
	}
}

static void preempted(void)
{
	uintptr_t fp = arch_current_fp(), ret;
	pre_fp = fp;
	pre_runs++;
	for (int i = 0; i < 4; i++)
		pre_walk[i] = arch_next_frame(&fp, &ret) == 0 ? ret : 0;
	rt_ctx_switch(&ctx_pre, &ctx_other);   /* switched out, and back */
	a64t_clobber_caller_saved();
	spin.flag = 1;
}

A64T(a64_preempt)
{
	if (!a64t_info->gic_version || !a64t_info->timer[FDT_TIMER_VIRT].valid) {
		a64t_fail(__FILE__, __LINE__, "no GIC or virtual timer in the device tree");
		return;
	}
	rt_ctx_init(&ctx_other, (uintptr_t)(stack_b + STACK), other_main, NULL);
	spin.flag = 0;
	spin.budget = 200000000;
	a64_irq_hook = irq_hook;
	a64t_preempt_fn = preempted;
	arm_timer();
	__asm__ volatile("msr daifclr, #2" ::: "memory");
	uint64_t r = a64t_spin((struct a64t_spin *)&spin);
	__asm__ volatile("msr daifset, #2" ::: "memory");
	__asm__ volatile("msr cntv_ctl_el0, %0" :: "r"(0ull) : "memory");
	a64_irq_hook = NULL;
	a64t_preempt_fn = NULL;
	if (r)
		a64t_note("a64t_spin says %llu (n: xn, 100+n: vn, 200 NZCV, 201 FPCR, 202 x29/sp, 300 no preemption)",
		          (unsigned long long)r);
	A64T_ASSERT(r == 0);
	A64T_ASSERT(injected == 1 && pre_runs == 1 && other_runs == 1);
	/* the stub ran on the interrupted stack, below its sp; the chain
	 * from inside it leads to the stub, then to the interrupted pc */
	A64T_ASSERT(irq_sp <= (uintptr_t)a64_boot_stack_top && irq_sp > (uintptr_t)a64_boot_stack_top - 16384);
	A64T_ASSERT(pre_fp < irq_sp && pre_fp > irq_sp - 2048);
	extern char arch_preempt_stub[];
	int found = -1;
	for (int i = 1; i < 4; i++)
		if (pre_walk[i] == irq_elr && found < 0)
			found = i;
	A64T_ASSERT(found > 0);
	A64T_ASSERT(pre_walk[found - 1] > (uintptr_t)arch_preempt_stub &&
	            pre_walk[found - 1] < (uintptr_t)arch_preempt_stub + 512);
	/* the frame as the interrupt saw it: the loop's fp is its sp
	 * (a64t_spin's prologue), x1 its pattern P + 1 */
	A64T_ASSERT(arch_frame_pc(&irq_tf) == irq_elr);
	A64T_ASSERT(arch_frame_fp(&irq_tf) == irq_sp);
	A64T_ASSERT(irq_tf.x[1] == 0x5a5a5a5a00000001ull && irq_tf.x[28] == 0x5a5a5a5a0000001cull);
	A64T_ASSERT((uint64_t)irq_tf.q[31] == 0x3c3c3c3c0000001full);
	A64T_ASSERT(!(irq_tf.spsr & (1u << 7)) && (irq_tf.spsr >> 28) == 0xa);   /* I clear; N, C */
	arch_dump_frame(&irq_tf);
	a64t_note("timer interrupt at pc 0x%llx in a64t_spin's loop (%d taken), resumed through arch_preempt_stub "
	          "after a switch to another context; every register kept",
	          (unsigned long long)irq_elr, irqs);
}

/* ---- the vector table and exception stack of a CPU ---- */
static uint8_t exc_stack[8192] __attribute__((aligned(16)));
static volatile uintptr_t exc_fp;
static volatile int exc_irqs;

static void stack_hook(struct trap_frame *tf)
{
	(void)tf;
	exc_fp = (uintptr_t)__builtin_frame_address(0);
	a64_irq_probe_handler();
	exc_irqs++;
}

/* One timer interrupt, taken within 1 s; the handler's frame address. */
static uintptr_t one_irq(void)
{
	uint64_t hz = A64_SYSREG_READ(cntfrq_el0), t0 = A64_SYSREG_READ(cntvct_el0);
	int before = exc_irqs;
	exc_fp = 0;
	a64_irq_hook = stack_hook;
	arm_timer();
	__asm__ volatile("msr daifclr, #2" ::: "memory");
	while (exc_irqs == before && A64_SYSREG_READ(cntvct_el0) - t0 < hz)
		__asm__ volatile("yield" ::: "memory");
	__asm__ volatile("msr daifset, #2" ::: "memory");
	__asm__ volatile("msr cntv_ctl_el0, %0" :: "r"(0ull) : "memory");
	a64_irq_hook = NULL;
	return exc_fp;
}

A64T(a64_exc_stack)
{
	extern char a64_vectors[];
	uintptr_t lo[4], hi[4], fp;
	size_t n = arch_image_stacks(lo, hi, 4);
	A64T_ASSERT(n == 2);
	fp = arch_current_fp();
	A64T_ASSERT(fp >= lo[0] && fp < hi[0]);            /* running on the boot stack */
	if (!a64t_info->gic_version) {
		a64t_fail(__FILE__, __LINE__, "no GIC in the device tree");
		return;
	}
	fp = one_irq();
	A64T_ASSERT(fp >= lo[1] && fp < hi[1]);            /* handlers on the exception stack */
	uintptr_t top = (uintptr_t)(exc_stack + sizeof exc_stack);
	arch_cpu_tables_init(0, &top);
	A64T_ASSERT(A64_SYSREG_READ(vbar_el1) == (uintptr_t)a64_vectors);
	A64T_ASSERT(A64_SYSREG_READ(tpidrro_el0) == top);
	fp = one_irq();
	arch_cpu_tables_init(0, NULL);
	A64T_ASSERT(fp > (uintptr_t)exc_stack && fp < top);   /* now on the new one */
	A64T_ASSERT(A64_SYSREG_READ(tpidrro_el0) == hi[1]);
	fp = one_irq();
	A64T_ASSERT(fp >= lo[1] && fp < hi[1]);            /* and back */
}

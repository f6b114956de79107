/*
 * rt_platform.c - the runtime's platform contract (rt/platform.h) on bare
 * metal.
 *
 * Purpose: an M is a CPU.  M 0 is the boot CPU (its g0 is the program's
 * kernel stack); M i > 0 runs the runtime's M loop from CPU i's idle loop
 * (smp_run) and never returns to it.  Parking halts the CPU with the timer
 * programmed for the deadline (tickless while parked, charged to idle);
 * waking is a flag plus an IPI.  Goroutine stacks come from kernel/gstack.c.
 * Preemption: the per-core tick calls preempt_hook() (and so does a wake
 * IPI while the runtime stops the world: wake_hook); when the runtime
 * says the running G is past its quantum and this CPU holds no libc lock,
 * the interrupt frame is edited (arch_inject_preempt) so that the G, on
 * its own stack and with its full register state saved, calls
 * preempt_entry_c() -> rt_async_preempt_body() and yields.
 * Ledger: the hook relabels the interrupted frame (the one under the
 * timer interrupt's) as rt.sched with cause preempt, so from the IRET on,
 * the stub's register pushes and FXSAVE and the runtime's way to g0 are
 * charged there and not to user, until the scheduler's own switch on g0.
 * The restore when the G resumes (FXRSTOR, pops, IRETQ) stays with the
 * G's class, as an interrupt's return does.  The scheduler's switches
 * between rt.sched and user are the ledger's pair (kernel/ledger.h): one
 * restartable add each, with interrupts on; the preempted G's way back is
 * an ordinary switch from the relabelled frame (plat_ledger_switch).
 *
 * Invariants: cpu->m_wake is set before the IPI, and a park checks and
 * clears it with interrupts off before halting, so no wake is lost.
 * Context: thread context, except preempt_hook and wake_hook (timer and
 * wake interrupts).
 */
#include <stddef.h>
#include <stdlib.h>
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/console.h"
#include "kernel/cpu/ipi.h"
#include "kernel/kernel.h"
#include "kernel/ledger.h"
#include "kernel/panic.h"
#include "kernel/cpu/smp.h"
#include "kernel/cpu/timer.h"
#include "rt/platform.h"
#include "rt/rt_port.h"
#include "rt/include/tally.h"

#include "kernel/mem/gstack.h"
#include "kernel/mem/pmem.h"
#include "kernel/lib/kprintf.h"
#include "rt/heap/heap.h"

unsigned plat_class_user = LC_USER;

unsigned plat_max_ms(void) { return cpu_count(); }
void plat_relax(void) { arch_pause(); }
unsigned long plat_irq_save(void) { return arch_irq_save(); }
void plat_irq_restore(unsigned long f) { arch_irq_restore(f); }
void plat_write(const char *s, size_t n) { console_write(s, n); }
/* every goroutine gets the same growable stack (stackmax=) */
size_t plat_stack_size(size_t requested) { (void)requested; return gstack_size(); }
uintptr_t plat_stack_alloc(size_t size) { return gstack_alloc(size); }
void plat_stack_free(uintptr_t base, size_t size) { gstack_free(base, size); }

uint64_t plat_nanotime(void) { return timer_cycles_to_ns(arch_cycles() - kernel_boot_cycles); }

static void (*m_fn)(unsigned);

static void m_entry(void *p)
{
	(void)p;
	m_fn(cpu_index());
	panic("runtime: M loop returned on cpu %u", cpu_index());
}

void plat_start_m(unsigned id, void (*fn)(unsigned))
{
	m_fn = fn;
	if (smp_run(id, m_entry, NULL) < 0)
		panic("runtime: cannot start M %u (cpu not online or busy)", id);
}

static void wake_only(struct timer_event *e, uint64_t now) { (void)e, (void)now; }

void plat_m_park(uint64_t deadline_ns)
{
	struct cpu *c = this_cpu();
	unsigned long f = arch_irq_save();
	if (__atomic_exchange_n(&c->m_wake, 0, __ATOMIC_SEQ_CST)) {
		arch_irq_restore(f);
		return;
	}
	struct timer_event e = { .fn = wake_only };
	if (deadline_ns) {
		uint64_t now = plat_nanotime();
		if (deadline_ns <= now) {
			arch_irq_restore(f);
			return;
		}
		e.deadline = arch_cycles() + timer_ns_to_cycles(deadline_ns - now);
		timer_add(&e);
	}
	unsigned old = ledger_current(&c->ledger);
	cpu_ledger_switch(LC_IDLE);
	timer_idle_enter();
	if (!c->m_wake)
		arch_wait_for_interrupt();
	timer_idle_exit();
	cpu_ledger_switch(old);
	__atomic_store_n(&c->m_wake, 0, __ATOMIC_SEQ_CST);
	if (deadline_ns)
		timer_cancel(&e);
	arch_irq_restore(f);
}

void plat_m_wake(unsigned id)
{
	if (id >= cpu_count())
		return;
	__atomic_store_n(&cpus[id].m_wake, 1, __ATOMIC_SEQ_CST);
	if (id != cpu_index())
		ipi_wake(id);
}

/* ---- preemption ---- */

void preempt_entry_c(void) { rt_async_preempt_body(); }

static unsigned class_preempt;  /* rt.sched: where the preemption's save is charged */

static void preempt_hook(struct trap_frame *tf)
{
	struct cpu *c = this_cpu();
	if (c->preempt_off || !rt_preempt_check(arch_frame_pc(tf)))
		return;
	c->preempt_injected++;
	c->ledger.cause_events[LCAUSE_PREEMPT]++;
	struct ledger_cpu *l = &c->ledger;
	if (ledger_on && l->depth > 0 && !l->overflow) {
		/* the frame under this interrupt's, resumed at its pop */
		l->stack[l->depth - 1].cls = (uint8_t)class_preempt;
		l->stack[l->depth - 1].cause = LCAUSE_PREEMPT;
	}
	arch_inject_preempt(tf);
}

/* A wake IPI preempts only when the runtime asks for it now (a world
 * being stopped): the collector's wake-ups then take a running goroutine
 * off its CPU at once instead of at its next tick, or ever with tick=0. */
static void wake_hook(struct trap_frame *tf)
{
	if (rt_preempt_urgent())
		preempt_hook(tf);
}

void plat_preempt_init(uint64_t quantum_ns)
{
	(void)quantum_ns;  /* the runtime compares against it in rt_preempt_check */
	class_preempt = (unsigned)plat_ledger_class("rt.sched");
	if (timer_tick_hz())
		timer_set_tick_hook(preempt_hook);
	ipi_set_wake_hook(wake_hook);
}

void plat_backtrace(uintptr_t pc, uintptr_t fp)
{
	if (!fp) {
		/* frame #0 is the caller's call site (return address - 1), then
		 * its callers: one step up from this function's own record */
		uintptr_t ret;
		fp = arch_current_fp();
		if (arch_next_frame(&fp, &ret) < 0) {
			fp = 0;
			ret = (uintptr_t)__builtin_return_address(0);
		}
		pc = ret - 1;
	}
	backtrace_print(pc, fp, 32);
}

_Noreturn void plat_exit(int status) { exit(status); }
/* Out of memory (RT_EXIT_OOM): to the runtime's report (the live heap,
 * the goal, the limit) the kernel adds where the memory went: the pages
 * backing the heap and the goroutine stacks, and what is left free.  Read
 * without locks (counters; the reporter may hold any lock). */
static void oom_memory_report(void)
{
	struct gstack_stats g;
	gstack_stats(&g);
	kprintf("runtime: memory: heap %llu bytes backed; goroutine stacks %llu bytes backed for %llu "
	        "stacks (stackmax= %llu bytes each); %llu of %llu usable bytes free\n",
	        (unsigned long long)__atomic_load_n(&rt_hstats.committed, __ATOMIC_RELAXED),
	        (unsigned long long)g.committed, (unsigned long long)g.in_use,
	        (unsigned long long)g.stackmax, (unsigned long long)pmem_free_pages() * ARCH_PAGE_SIZE,
	        (unsigned long long)kernel_mem_usable);
}

_Noreturn void plat_fatal_exit(int status)
{
	if (status == RT_EXIT_OOM)
		oom_memory_report();
	kernel_exit(status);
}

int plat_fatal_begin(void) { return fatal_begin() == 1; }

int plat_ledger_class(const char *name)
{
	int id = ledger_class(name);
	if (id < 0)
		panic("ledger: no room for class %s", name);
	return id;
}

/* Any thread context on this CPU: g0, or a goroutine that cannot move
 * (pinned, or m->locks > 0).  Interrupts off for the few instructions of
 * the switch: an interrupt between its close and its open would see the
 * frame half moved (kernel/ledger.h).  The scheduler's own switches to
 * and from user take the pair instead (below). */
unsigned plat_ledger_switch(unsigned cls)
{
	if (!ledger_on)
		return cls;
	unsigned long f = arch_irq_save();
	unsigned old = ledger_switch(&this_cpu()->ledger, arch_cycles(), cls);
	arch_irq_restore(f);
	return old;
}

/* The pair word, from the per-CPU base. */
#define PAIR_OFF (offsetof(struct cpu, ledger) + offsetof(struct ledger_cpu, pair))
_Static_assert(offsetof(struct cpu, arch) == 0, "the pair is reached from the per-CPU base");

/* g0, from rt.sched into user: one subtract from the pair
 * (ledger_pair_enter), whose operand 2 t + 1 is the G's run start, read
 * under ledger=off too. */
uint64_t plat_ledger_enter_user(void)
{
	if (!ledger_on)
		return arch_cycles_2x1();
	return arch_ledger_pair_enter(PAIR_OFF);
}

/* The M's count of rounds: the ledger counts none of its own (and under
 * ledger=off, none at all). */
void plat_ledger_rounds(const uint64_t *count)
{
	if (ledger_on)
		this_cpu()->ledger.rounds = count;
}

/* g0, back from a G that left user by itself (not preempted): the pair's
 * other half (ledger_pair_leave). */
void plat_ledger_leave_user(void)
{
	if (ledger_on)
		arch_ledger_pair_leave(PAIR_OFF);
}

uint64_t plat_cycles(void) { return arch_cycles(); }

/* ---- stacks: the public API (rt/include/tally.h) ---- */

struct shrink_args {
	uintptr_t lo, sp;
	uint64_t released;
};

static int shrink_on_syscall_stack(void *p)
{
	struct shrink_args *a = p;
	a->released = gstack_shrink(a->lo, a->sp, 16 * 1024);
	return 0;
}

uint64_t plat_stack_shrink(uintptr_t base, uintptr_t sp)
{
	struct shrink_args a = { base, sp, 0 };
	cpu_syscall(shrink_on_syscall_stack, &a);
	return a.released;
}

uint64_t tally_stack_shrink(void)
{
	uintptr_t lo = rt_curg_stack_lo();
	if (!lo)
		return 0;
	struct shrink_args a = { lo, (uintptr_t)__builtin_frame_address(0), 0 };
	cpu_syscall(shrink_on_syscall_stack, &a);
	return a.released * ARCH_PAGE_SIZE;
}

void tally_stack_stats(struct tally_stack_stats *s)
{
	struct gstack_stats g;
	gstack_stats(&g);
	s->growth_faults = g.growth_faults;
	s->pages_mapped = g.pages_mapped;
	s->pages_released = g.pages_released;
	s->committed = g.committed;
	s->peak = g.peak;
	s->in_use = g.in_use;
	s->limit = g.stackmax;
	s->initial = g.init_bytes;
}

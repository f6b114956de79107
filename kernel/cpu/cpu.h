/*
 * cpu.h - per-CPU state of the kernel.
 *
 * Purpose: everything one core owns: its ledger, timer service, IPI call
 * slot, stacks.  this_cpu() is one GS-relative load.
 *
 * Data structures: a static array cpus[CPU_MAX]; cpus[0] is the boot CPU.
 * struct arch_percpu comes first (arch.h contract: the port reads it at
 * fixed offsets).
 *
 * Invariants: cpu_count() == number of entries with online == 1, and
 * entries [0, cpu_count()) are exactly the online CPUs (CPUs are numbered
 * densely as they come up).  A core writes only its own struct, except the
 * call slot (guarded by call_lock), the work slot and the wake flag; each
 * field says who writes it and who reads it.  "Own CPU" fields are also
 * read by that CPU's interrupt handlers, which can fall between any two
 * instructions: thread code changes them with interrupts off (or in one
 * instruction), never in a read-modify-write split by an interrupt.
 * A goroutine may move to another CPU at any tick: code that reads this
 * CPU's fields and relies on staying here pins itself first (cpu_pin).
 * Context: this_cpu() is valid from boot_main's first line on.
 */
#ifndef TALLY_CPU_H
#define TALLY_CPU_H

#include <stdint.h>
#include "arch/arch.h"
#include "kernel/ledger.h"
#include "kernel/cpu/spinlock.h"

#define CPU_MAX 64

struct cpu_call {
	void (*fn)(void *);
	void *arg;
	uint8_t cause;             /* ledger cause of the IPI */
	volatile int pending;      /* set by the caller, cleared by the target */
};

struct timer_event;

struct cpu {
	struct arch_percpu arch;   /* must be first */
	volatile int online;       /* set once by the CPU itself; read by all */
	volatile int started;      /* set by the AP on entry, for arch_start_cpu */
	struct ledger_cpu ledger;  /* own CPU, interrupts off for each update;
	                            * read by others only for reports/snapshots */
	/* timer service (kernel/cpu/timer.c); own CPU, interrupts off */
	uint64_t tick_period;      /* cycles, 0: no periodic tick */
	uint64_t next_tick;
	uint64_t ticks;            /* ticks taken */
	uint64_t ticks_missed;     /* periods that passed without a tick */
	uint64_t timer_irqs;
	uint64_t armed;            /* deadline programmed into the hardware */
	int idle;                  /* in the idle loop (tickless) */
	struct timer_event *events;  /* sorted by deadline */
	/* IPI function call (kernel/cpu/ipi.c) */
	struct spinlock call_lock;
	struct cpu_call call;
	uint64_t ipis_received;
	int ipi_deaf;              /* fault injection (apfail=ID:ipi): hang at
	                              the first call; set before start-up */
	/* set by this CPU alone, once, as it halts for good (smp.c: a stop
	 * request, or a fatal error already reported by another CPU); read
	 * by the CPU that stops the others */
	volatile int stopped;
	/* work run by the idle loop in thread context (smp_run): written by
	 * the poster while work_done says the slot is free, taken by the CPU */
	void (*volatile work_fn)(void *);
	void *work_arg;
	volatile int work_done;
	/* runtime platform (kernel/glue/rt_platform.c) */
	volatile int m_wake;       /* plat_m_wake pending: set by any CPU (then an
	                            * IPI), cleared by this CPU with interrupts
	                            * off before it halts (seq-cst atomics) */
	/* > 0: the tick must not preempt this CPU's goroutine.  Written only
	 * by this CPU, through cpu_pin()/cpu_unpin() (or with interrupts
	 * off); read by this CPU's tick. */
	volatile int preempt_off;
	uint64_t preempt_injected; /* own CPU's tick */
	/* stacks */
	uintptr_t stack_top;
	uintptr_t ist_top[5];
	uintptr_t syscall_top;     /* where page-allocating system calls run */
} __attribute__((aligned(64)));  /* cpus[]: each CPU's own lines (its ledger
                                  * and preempt_off are written at every
                                  * transition) shared with no other CPU */

extern struct cpu cpus[CPU_MAX];

static inline struct cpu *this_cpu(void) { return (struct cpu *)arch_cpu_local(); }
unsigned cpu_count(void);
/* boot (smp.c): n CPUs are online now. */
void cpu_set_online_count(unsigned n);
/* boot: a new CPU's syscall stack (cpu_syscall): 64 KiB with a guard page;
 * returns its top.  Panics when memory runs out. */
uintptr_t cpu_syscall_stack_new(void);
static inline unsigned cpu_index(void) { return this_cpu()->arch.index; }

_Noreturn void cpu_pin_fatal(struct cpu *c);

/* Pin the caller to the CPU it runs on: hold off preemption (and so
 * migration) and return that CPU.  Reading the CPU and raising its
 * preempt_off happen with interrupts off, so a tick cannot move the caller
 * between the two (the window a separate this_cpu() and increment leave:
 * the raise lands on the old CPU while the caller runs on a new one).
 * Every per-CPU access that must stay on one CPU goes through this pair.
 * Nests.  Context: any; cpu_unpin on the CPU cpu_pin returned. */
static inline struct cpu *cpu_pin(void)
{
	unsigned long f = arch_irq_save();
	struct cpu *c = this_cpu();
	c->preempt_off++;
	arch_irq_restore(f);
	return c;
}
static inline void cpu_unpin(struct cpu *c)
{
	unsigned long f = arch_irq_save();
	if (c != this_cpu() || c->preempt_off <= 0)
		cpu_pin_fatal(c);
	c->preempt_off--;
	arch_irq_restore(f);
}
/* Enter kernel class cls from thread context for a stretch of kernel work
 * done on behalf of the caller (a system call): pin (as cpu_pin) and push
 * cls in one interrupt-off window, so the frame is pushed and later popped
 * on the same CPU's ledger.  cpu_ledger_leave pops and unpins.  The push
 * and pop are skipped under ledger=off; the pin is not. */
static inline struct cpu *cpu_ledger_enter(unsigned cls)
{
	unsigned long f = arch_irq_save();
	struct cpu *c = this_cpu();
	c->preempt_off++;
	if (ledger_on)
		ledger_push(&c->ledger, arch_cycles(), cls, 0);
	arch_irq_restore(f);
	return c;
}
static inline void cpu_ledger_leave(struct cpu *c)
{
	unsigned long f = arch_irq_save();
	if (c != this_cpu() || c->preempt_off <= 0)
		cpu_pin_fatal(c);
	if (ledger_on)
		ledger_pop(&c->ledger, arch_cycles());
	c->preempt_off--;
	arch_irq_restore(f);
}
/* boot CPU, first thing: make this_cpu() valid. */
void cpu_early_init(void);
/* Run fn(arg) on this CPU's syscall stack with preemption held off: for
 * kernel work called from a goroutine that takes the page allocator's or
 * the page tables' locks (a stack-growth fault there would deadlock). */
int cpu_syscall(int (*fn)(void *), void *arg);

/* Ledger transitions on this CPU with the cycle counter read here.
 * Interrupts are held off for the few instructions of the update (an
 * interrupt's own push/pop in between would be lost otherwise).  No-ops
 * under ledger=off. */
static inline void cpu_ledger_push(unsigned cls, unsigned cause)
{
	if (!ledger_on)
		return;
	unsigned long f = arch_irq_save();
	ledger_push(&this_cpu()->ledger, arch_cycles(), cls, cause);
	arch_irq_restore(f);
}
static inline void cpu_ledger_pop(void)
{
	if (!ledger_on)
		return;
	unsigned long f = arch_irq_save();
	ledger_pop(&this_cpu()->ledger, arch_cycles());
	arch_irq_restore(f);
}
static inline void cpu_ledger_switch(unsigned cls)
{
	if (!ledger_on)
		return;
	unsigned long f = arch_irq_save();
	ledger_switch(&this_cpu()->ledger, arch_cycles(), cls);
	arch_irq_restore(f);
}

#endif

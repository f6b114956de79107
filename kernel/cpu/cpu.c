/*
 * cpu.c - the per-CPU array and the boot CPU's early set-up (cpu.h).
 */
#include "kernel/cpu/cpu.h"
#include "kernel/kernel.h"
#include "kernel/mem/vm.h"
#include "kernel/panic.h"

struct cpu cpus[CPU_MAX];
static unsigned ncpu_online = 1;

unsigned cpu_count(void) { return __atomic_load_n(&ncpu_online, __ATOMIC_ACQUIRE); }

void cpu_set_online_count(unsigned n) { __atomic_store_n(&ncpu_online, n, __ATOMIC_RELEASE); }

void cpu_early_init(void)
{
	struct cpu *c = &cpus[0];
	c->arch.self = c;
	c->arch.index = 0;
	arch_cpu_set_local(c);
	/* one instant: the clock's origin (tally_nanotime) is where the boot
	 * CPU's ledger starts, so its elapsed time is the time since boot */
	kernel_boot_cycles = arch_cycles();
	ledger_start(&c->ledger, kernel_boot_cycles, LC_KERN_BOOT);
	c->online = 1;
}

_Noreturn void cpu_pin_fatal(struct cpu *c)
{
	panic("cpu_unpin: cpu %u unpinned on cpu %u (preempt_off %d)", c->arch.index,
	      this_cpu()->arch.index, c->preempt_off);
}

int cpu_syscall(int (*fn)(void *), void *arg)
{
	struct cpu *c = cpu_pin();  /* no migration from here on */
	int r;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	if (!c->syscall_top || (sp <= c->syscall_top && sp > c->syscall_top - (64u << 10)))
		r = fn(arg);  /* before the stack exists, or already on it */
	else
		r = arch_call_on_stack(c->syscall_top, fn, arg);
	cpu_unpin(c);
	return r;
}

uintptr_t cpu_syscall_stack_new(void)
{
	struct vm_region *r = vm_region_create("syscall stack", 64 << 10, ARCH_PAGE_SIZE);
	if (!r || vm_commit(r, r->base, r->size, VM_R | VM_W) < 0)
		panic_oom("syscall stack", 64 << 10);
	return r->base + r->size;
}

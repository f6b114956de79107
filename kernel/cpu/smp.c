/*
 * smp.c - start the application processors; idle; stop them; the ledger
 * report.
 *
 * Purpose: from the MADT's list of enabled CPUs, start each one (other
 * than the boot CPU) through arch_start_cpu() with its own kernel stack
 * and exception stacks (each in a vm region with a guard page), wait for it
 * to come online with a timeout, and report one line: how many are online
 * and which failed.  A CPU that does not come up is left out and boot
 * goes on.  CPUs are numbered densely in the order they come up.
 *
 * Stopping (smp_stop_others): the exit path, fatal or clean, first stops
 * every other CPU so that what it prints is whole and nothing changes
 * under it.  It records itself in `stopper` and sends each other CPU an
 * NMI (delivered with interrupts off too); the NMI handler (kernel_nmi)
 * sees the request, sets the CPU's `stopped` and halts with interrupts off
 * for good, inside the handler (NMIs stay blocked there).  The stopper
 * waits up to STOP_TIMEOUT_NS for every `stopped`, then goes on anyway,
 * naming a CPU that did not stop.  From then on the stopper runs alone
 * (smp_alone): the console and newlib's locks no longer wait for a lock a
 * stopped CPU may hold (console.c, libc_locks.c), IPIs to stopped CPUs are
 * skipped (ipi.c).  The wait spins, unlike every other cross-CPU wait: the
 * stopper may be on the interrupt stack or above an interrupted handler's
 * frames (panics come from anywhere), so it must not enable interrupts,
 * and a halt with interrupts off wakes for nothing but an NMI.  Under
 * -icount that costs nothing either: QEMU's round-robin moves to the next
 * vCPU when an interrupt is sent to it (the NMIs), and at the latest at
 * its 100 ms kick timer.
 *
 * Invariants: cpus[i].online == 1 for i < cpu_count(); an AP's ledger
 * starts in kern.boot and switches to idle when it reaches the idle loop;
 * stopper != 0 => no CPU other than the stopper runs any more, except one
 * it named as not stopped; a stopped CPU never runs again.
 * Locking: APs are started one at a time by the boot CPU; one CPU ever
 * stops the others (the caller, kernel/panic.c, admits one).
 * Context: start-up: boot CPU, interrupts enabled only inside waits;
 * stopping: any context, interrupts off.
 */
#include <string.h>
#include "arch/arch.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/cpu_options.h"
#include "kernel/cpu/ipi.h"
#include "kernel/cpu/irq.h"
#include "kernel/kernel.h"
#include "kernel/lib/kprintf.h"
#include "kernel/machine.h"
#include "kernel/panic.h"
#include "kernel/cpu/smp.h"
#include "kernel/cpu/timer.h"
#include "kernel/mem/vm.h"

#define KSTACK_SIZE (64 * 1024)
#define ISTACK_SIZE (16 * 1024)
#define AP_TIMEOUT_NS 500000000ull  /* 0.5 s: generous for emulation */
#define STOP_TIMEOUT_NS 500000000ull  /* a descheduled vCPU takes tens of ms */


_Noreturn void cpu_idle_loop(void)
{
	struct cpu *c = this_cpu();
	cpu_ledger_switch(LC_IDLE);
	for (;;) {
		void (*fn)(void *) = c->work_fn;
		if (fn) {
			/* thread context: ticking, interrupts on */
			cpu_ledger_switch(LC_USER);
			arch_irq_enable();
			fn(c->work_arg);
			arch_irq_disable();
			c->work_fn = NULL;
			__atomic_store_n(&c->work_done, 1, __ATOMIC_RELEASE);
			cpu_ledger_switch(LC_IDLE);
			continue;
		}
		timer_idle_enter();
		if (!c->work_fn)
			arch_wait_for_interrupt();
		timer_idle_exit();
	}
}

int smp_run(unsigned cpu, void (*fn)(void *), void *arg)
{
	if (cpu == 0 || cpu >= cpu_count() || cpus[cpu].work_fn)
		return -1;
	struct cpu *c = &cpus[cpu];
	c->work_done = 0;
	c->work_arg = arg;
	__atomic_store_n(&c->work_fn, fn, __ATOMIC_RELEASE);
	ipi_wake(cpu);
	return 0;
}

int smp_run_wait(unsigned cpu, uint64_t timeout_ns)
{
	unsigned long f = arch_irq_save();
	int rc = timer_wait_flag(&cpus[cpu].work_done, timeout_ns);
	arch_irq_restore(f);
	return rc;
}

static void ap_entry(void *p)
{
	struct cpu *c = p;
	arch_cpu_set_local(c);
	c->started = 1;
	arch_cpu_early_init();
	arch_cpu_tables_init(c->arch.index, c->ist_top);
	ledger_start(&c->ledger, arch_cycles(), LC_KERN_BOOT);
	arch_intc_init_ap();
	c->arch.hwid = arch_cpu_hwid();
	timer_init_cpu(timer_tick_hz());
	__atomic_store_n(&c->online, 1, __ATOMIC_RELEASE);
	cpu_idle_loop();
}

static uintptr_t new_stack(const char *name, size_t size)
{
	struct vm_region *r = vm_region_create(name, size, ARCH_PAGE_SIZE);
	if (!r)
		panic("smp: out of vm regions for %s", name);
	if (vm_commit(r, r->base, r->size, VM_R | VM_W) < 0)
		panic_oom(name, size);
	return r->base + r->size;
}

void smp_init(const struct machine_cpu *list, unsigned nlist, unsigned max_cpus)
{
	struct cpu *bsp = &cpus[0];
	unsigned n = 1, enabled = 0, capable = 0;
	char failed[256];
	int flen = 0;
	failed[0] = 0;

	bsp->arch.hwid = arch_cpu_hwid();
	for (unsigned i = 0; i < nlist; i++) {
		const struct machine_cpu *a = &list[i];
		if (!a->enabled) {
			capable += a->online_capable;
			continue;
		}
		enabled++;
		if (a->hwid == bsp->arch.hwid)
			continue;
		if ((max_cpus && n >= max_cpus) || n >= CPU_MAX)
			continue;
		struct cpu *c = &cpus[n];
		memset(c, 0, sizeof(*c));
		c->arch.self = c;
		c->arch.index = n;
		c->arch.hwid = a->hwid;
		c->stack_top = new_stack("cpu stack", KSTACK_SIZE);
		c->syscall_top = cpu_syscall_stack_new();
		for (int k = 0; k < 5; k++)
			c->ist_top[k] = new_stack(k < 4 ? "exception stack" : "interrupt stack",
			                          ISTACK_SIZE);
		int rc;
		if ((int64_t)a->hwid == cpu_opts.apfail && cpu_opts.apfail_ipi) {
			/* fault injection: it starts, and hangs at its first
			 * IPI call (ipi.c) */
			c->ipi_deaf = 1;
			rc = arch_start_cpu(a->hwid, ap_entry, c, c->stack_top, &c->started,
			                    AP_TIMEOUT_NS);
		} else if ((int64_t)a->hwid == cpu_opts.apfail) {
			/* fault injection: this CPU is never sent INIT/SIPI, so
			 * it behaves like one that does not answer */
			rc = timer_wait_flag(&c->started, AP_TIMEOUT_NS);
		} else {
			rc = arch_start_cpu(a->hwid, ap_entry, c, c->stack_top, &c->started,
			                    AP_TIMEOUT_NS);
		}
		if (rc == 0)
			rc = timer_wait_flag(&c->online, AP_TIMEOUT_NS);
		if (rc < 0) {
			flen += ksnprintf(failed + flen, sizeof(failed) - flen,
			                  " %s %u (%s)", machine->hwid_name, a->hwid,
			                  c->started ? "started, never online" : "no answer");
			if (flen >= (int)sizeof(failed))
				flen = sizeof(failed) - 1;
			c->online = 0;
			continue;  /* slot n is reused by the next CPU */
		}
		cpu_set_online_count(++n);
	}
	if (nlist == 0)
		kprintf("tally: smp: the firmware lists no CPUs: running on the boot CPU only\n");
	kprintf("tally: smp: %u CPU%s online of %u enabled%s%s%s\n", n, n == 1 ? "" : "s",
	        enabled ? enabled : 1, capable ? " (more online-capable, not started)" : "",
	        failed[0] ? "; failed:" : "", failed);
}

/* ---- stopping the other CPUs ---- */

static volatile unsigned stopper;  /* index + 1 of the CPU that stopped the others; 0: none */

int smp_alone(void)
{
	return __atomic_load_n(&stopper, __ATOMIC_ACQUIRE) == cpu_index() + 1;
}

_Noreturn void smp_halt_self(void)
{
	arch_irq_disable();
	__atomic_store_n(&this_cpu()->stopped, 1, __ATOMIC_RELEASE);
	arch_halt_forever();
}

int kernel_nmi(struct trap_frame *tf)
{
	(void)tf;
	unsigned s = __atomic_load_n(&stopper, __ATOMIC_ACQUIRE);
	if (!s)
		return 0;  /* nobody asked: a hardware NMI, fatal */
	if (s == cpu_index() + 1)
		return 1;  /* the stopper itself: drop it */
	smp_halt_self();
}

unsigned smp_stop_others(void)
{
	struct cpu *me = this_cpu();  /* interrupts are off: stays true */
	unsigned n = cpu_count(), missing = 0;
	if (__atomic_load_n(&stopper, __ATOMIC_ACQUIRE) == me->arch.index + 1)
		return 0;  /* done before */
	__atomic_store_n(&stopper, me->arch.index + 1, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < n; i++)
		if (&cpus[i] != me && !__atomic_load_n(&cpus[i].stopped, __ATOMIC_ACQUIRE))
			arch_send_nmi(cpus[i].arch.hwid);
	uint64_t end = arch_cycles() + timer_ns_to_cycles(STOP_TIMEOUT_NS);
	for (unsigned i = 0; i < n; i++) {
		if (&cpus[i] == me)
			continue;
		while (!__atomic_load_n(&cpus[i].stopped, __ATOMIC_ACQUIRE) && arch_cycles() < end)
			arch_pause();
		if (!cpus[i].stopped) {
			missing++;
			kprintf("tally: warning: cpu %u (%s %u) did not stop within %lu ms\n", i,
			        machine->hwid_name, cpus[i].arch.hwid, (uint64_t)(STOP_TIMEOUT_NS / 1000000));
		}
	}
	return missing;
}

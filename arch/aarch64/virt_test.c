/*
 * virt_test.c - the virt machine description, its GIC, timer and PSCI
 * proven on QEMU from the aarch64 boot test image (command-line word
 * `machine`; docs/boot.md, "aarch64 status").
 *
 * Purpose: before the kernel links for aarch64, drive the machine
 * description (virt.c) and the port's interrupt-controller, timer and
 * CPU-start functions (gic.c, timer.c, psci.c) the way kernel_main,
 * smp_init, ipi.c and timer.c will, and print what happened for the
 * system cases to check against QEMU's command line:
 *   1. machine_probe (kernel/machine.c) picks virt from the DTB;
 *   2. everything printed from then on goes through the machine's console
 *      op (pl011.c routes kprintf's bytes to it: a64_console_route);
 *   3. init, intc_init (the GIC, the timer PPI), the CPU list (hwids) and
 *      the ECAM window, printed;
 *   4. every other enabled CPU started by arch_start_cpu (PSCI CPU_ON),
 *      on its own stack, running arch_intc_init_ap and arch_timer_init
 *      (at most 8 besides the boot CPU: the first 7 and the last one, so
 *      with 17 or more a CPU with Aff1 = 1 is among them);
 *   5. IPIs: the boot CPU sends SGI PING to each CPU in turn with
 *      arch_send_ipi; that CPU's handler answers with SGI PONG; both are
 *      acknowledged (gic_ack) and ended (arch_eoi) by their handlers;
 *   6. the tick: every CPU arms arch_timer_arm one-shot deadlines
 *      T0 + k P (k = 1..TICKS, P = 1 ms of CNTVCT_EL0, T0 common) and
 *      counts the interrupts; each reports its count, how many came before
 *      their deadline (must be 0), the median and the largest lateness
 *      (under TCG an interrupt is late by however long the host kept the
 *      vCPU from running) and the mean period, (CNTVCT at the last one -
 *      T0) / TICKS.  Every CPU sleeps
 *      in arch_wait_for_interrupt between its ticks (CPU 0 too, until its
 *      own last one), so no vCPU spins on the host while the others wait
 *      for their interrupts;
 *   7. the exit through the machine: `onexit=poweroff` (PSCI SYSTEM_OFF),
 *      `onexit=reset` (SYSTEM_RESET), else the exit device (semihosting);
 *      the harness proves the first two from QEMU's side (QMP).
 * `timer=phys` makes the tick use the physical timer (its PPI, INTID 30
 * on virt, then arrives as vector TIMER_VEC = 27: the port's remapping).
 *
 * Data structures: one struct vt_cpu per CPU, found through TPIDR_EL1
 * (its first member is the struct arch_percpu arch.h names).
 * Invariants: every wait is bounded by CNTVCT_EL0 and says what it
 * missed; handlers only count and answer (interrupts masked in them).
 * Context: boot CPU, then every started CPU in its handlers and idle loop.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "arch/arch.h"
#include "arch/aarch64/a64.h"
#include "arch/aarch64/gic.h"
#include "arch/aarch64/virt.h"
#include "boot/boot_info.h"   /* probe's argument: the DTB */
#include "kernel/console.h"
#include "kernel/lib/kprintf.h"
#include "kernel/machine.h"

#define SGI_PING   1
#define SGI_PONG   2
#define SGI_TICK   3
#define TIMER_VEC  27
#define TICKS      100
#define AP_STACK   16384
#define MAX_CPUS   (A64_MAX_SECONDARY + 1)

struct vt_cpu {
	struct arch_percpu arch;       /* first: TPIDR_EL1 points here */
	volatile int started, online;
	volatile uint32_t pings, pongs;
	uint64_t next;                 /* the armed deadline */
	volatile uint32_t ticks, early, done;
	volatile uint64_t last_at, max_late;
	uint32_t late[TICKS];          /* each tick's lateness, CNTVCT ticks */
};

static struct vt_cpu cpu[MAX_CPUS];
static uint8_t ap_stack[A64_MAX_SECONDARY][AP_STACK] __attribute__((aligned(16)));
static struct boot_info bi;
static volatile uint64_t tick_t0, tick_period;
static unsigned ncpu = 1;

static uint64_t now(void)
{
	uint64_t v;

	__asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(v) :: "memory");
	return v;
}

static struct vt_cpu *me(void)
{
	return (struct vt_cpu *)(uintptr_t)A64_SYSREG_READ(tpidr_el1);
}

static void set_me(struct vt_cpu *c)
{
	__asm__ volatile("msr tpidr_el1, %0" :: "r"(c) : "memory");
}

static void tick_arm_first(struct vt_cpu *c)
{
	c->next = tick_t0 + tick_period;
	arch_timer_arm(c->next);
}

static void tick(struct vt_cpu *c)
{
	uint64_t t = now();

	if (t < c->next) {
		c->early++;
		arch_timer_arm(c->next);
		return;
	}
	if (t - c->next > c->max_late)
		c->max_late = t - c->next;
	c->late[c->ticks] = t - c->next > UINT32_MAX ? UINT32_MAX : (uint32_t)(t - c->next);
	c->last_at = t;
	if (++c->ticks == TICKS) {
		arch_timer_arm(0);
		__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
		return;
	}
	c->next += tick_period;
	arch_timer_arm(c->next);
}

/* The IRQ handler (trap.c -> irq_probe.c's hook), any CPU. */
static void vt_irq(void)
{
	struct vt_cpu *c = me();
	unsigned v = gic_ack();

	if (v == GIC_SPURIOUS)
		return;
	switch (v) {
	case TIMER_VEC:
		tick(c);
		break;
	case SGI_PING:
		c->pings++;
		arch_send_ipi(cpu[0].arch.hwid, SGI_PONG);
		break;
	case SGI_PONG:
		__atomic_fetch_add(&c->pongs, 1, __ATOMIC_RELEASE);
		break;
	case SGI_TICK:
		tick_arm_first(c);
		break;
	default:
		kprintf("vt: cpu %u: unexpected interrupt %u\n", c->arch.index, v);
		break;
	}
	arch_eoi();
}

static _Noreturn void ap_main(void *arg)
{
	struct vt_cpu *c = arg;

	set_me(c);
	c->started = 1;
	arch_intc_init_ap();
	c->arch.hwid = arch_cpu_hwid();
	arch_timer_init(TIMER_VEC);
	__atomic_store_n(&c->online, 1, __ATOMIC_RELEASE);
	for (;;)
		arch_wait_for_interrupt();
}

/* Wait until *p != 0, at most ms milliseconds (IRQs as the caller set). */
static int wait_flag(volatile uint32_t *p, uint32_t want, uint64_t ms)
{
	uint64_t hz = A64_SYSREG_READ(cntfrq_el0), t0 = now();

	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) < want)
		if (now() - t0 > hz / 1000 * ms)
			return -1;
		else
			__asm__ volatile("yield" ::: "memory");
	return 0;
}

static void start_cpus(const struct machine_cpu *list, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct vt_cpu *c = &cpu[ncpu];
		int rc;

		if (!list[i].enabled || list[i].hwid == cpu[0].arch.hwid)
			continue;
		/* more CPUs than room: the last slot goes to the list's last CPU,
		 * the one with the highest affinity (Aff1 > 0 beyond 16 CPUs) */
		if (ncpu == MAX_CPUS || (ncpu == MAX_CPUS - 1 && i != n - 1)) {
			kprintf("smp: hwid 0x%x: no room (the image runs %d CPUs)\n", list[i].hwid, MAX_CPUS);
			continue;
		}
		c->arch.self = c;
		c->arch.index = ncpu;
		c->arch.hwid = list[i].hwid;
		rc = arch_start_cpu(list[i].hwid, (void (*)(void *))ap_main, c,
		                    (uintptr_t)&ap_stack[ncpu - 1][AP_STACK], &c->started, 2000000000ull);
		if (rc == 0 && wait_flag((volatile uint32_t *)&c->online, 1, 2000) == 0) {
			kprintf("smp: cpu %u: hwid 0x%x started by arch_start_cpu, reads hwid 0x%x\n",
			        ncpu, list[i].hwid, c->arch.hwid);
			ncpu++;
		} else {
			kprintf("smp: hwid 0x%x: %s\n", list[i].hwid,
			        c->started ? "started, never online" : "no answer");
		}
	}
	kprintf("smp: %u CPUs online\n", ncpu);
}

static void ipi_test(void)
{
	unsigned i, ok = 0;

	for (i = 1; i < ncpu; i++) {
		uint32_t before = cpu[0].pongs;

		arch_send_ipi(cpu[i].arch.hwid, SGI_PING);
		if (wait_flag(&cpu[0].pongs, before + 1, 1000) == 0 && cpu[i].pings == 1) {
			kprintf("ipi: cpu %u took SGI %u from cpu 0, cpu 0 took SGI %u back\n", i, SGI_PING,
			        SGI_PONG);
			ok++;
		} else {
			kprintf("ipi: cpu %u: %u pings taken, no answer within 1 s\n", i, cpu[i].pings);
		}
	}
	kprintf("ipi: %u of %u round trips\n", ok, ncpu - 1);
}

/* The median of the TICKS latenesses (sorts them in place). */
static uint64_t median_late(struct vt_cpu *c)
{
	for (unsigned i = 1; i < TICKS; i++)
		for (unsigned j = i; j > 0 && c->late[j - 1] > c->late[j]; j--) {
			uint32_t t = c->late[j];

			c->late[j] = c->late[j - 1];
			c->late[j - 1] = t;
		}
	return c->late[TICKS / 2];
}

static void tick_test(void)
{
	uint64_t hz = A64_SYSREG_READ(cntfrq_el0);
	unsigned i;

	tick_period = hz / 1000;
	tick_t0 = now() + hz / 100;   /* 10 ms from now: every CPU armed by then */
	__asm__ volatile("dsb ish" ::: "memory");
	for (i = 1; i < ncpu; i++)
		arch_send_ipi(cpu[i].arch.hwid, SGI_TICK);
	tick_arm_first(&cpu[0]);
	/* Sleep through CPU 0's own ticks (each wakes it; at most TICKS +
	 * the early ones), so this vCPU does not spin on the host while the
	 * others tick: a spinning vCPU makes the others' interrupts late. */
	for (i = 0; i < 4 * TICKS && !__atomic_load_n(&cpu[0].done, __ATOMIC_ACQUIRE); i++)
		arch_wait_for_interrupt();
	for (i = 0; i < ncpu; i++) {
		struct vt_cpu *c = &cpu[i];
		uint64_t span;

		if (wait_flag(&c->done, 1, 5000) < 0) {
			kprintf("tick: cpu %u: %u of %u ticks within 5 s\n", i, c->ticks, TICKS);
			continue;
		}
		span = c->last_at - tick_t0;
		kprintf("tick: cpu %u: %u ticks, %u early, median %llu us late, mean period %llu.%03llu ms "
		        "(CNTVCT %llu ticks for %u periods of %llu), latest %llu us late\n", i,
		        c->ticks, c->early, (unsigned long long)(median_late(c) * 1000000 / hz),
		        (unsigned long long)(span * 1000 / TICKS / hz),
		        (unsigned long long)(span * 1000000 / TICKS / hz % 1000), (unsigned long long)span,
		        TICKS, (unsigned long long)tick_period,
		        (unsigned long long)(c->max_late * 1000000 / hz));
	}
}

static void print_machine(void)
{
	const struct machine_cpu *list;
	const struct machine_ecam *ecam;
	unsigned i, n = machine->cpus(&list), ne = machine->pci_ecam ? machine->pci_ecam(&ecam) : 0;
	unsigned first, last;

	for (i = 0; i < n; i++)
		kprintf("machine: cpu %u: %s 0x%x%s\n", i, machine->hwid_name, list[i].hwid,
		        list[i].enabled ? "" : list[i].online_capable ? " (online-capable)" : " (unusable)");
	kprintf("machine: %u CPUs\n", n);
	for (i = 0; i < ne; i++)
		kprintf("machine: ecam 0x%llx segment %u buses %u-%u\n", (unsigned long long)ecam[i].base,
		        ecam[i].segment, ecam[i].bus_start, ecam[i].bus_end);
	kprintf("machine: legacy pci config %s, legacy irq router %s\n",
	        machine->pci_legacy_cfg ? "yes" : "none", machine->irq_route_legacy ? "yes" : "none");
	arch_irq_vector_range(&first, &last);
	kprintf("intc: %s, %u interrupt lines, device vectors %u-%u; timer %s\n", arch_intc_name(),
	        gic_lines(), first, last, arch_timer_name());
}

static const char *name_of(const struct console_ops *o)
{
	return o ? o->name : "none";
}

static _Noreturn void leave(const char *cmdline, int (*has)(const char *, const char *))
{
	kprintf("tally: exit 0\n");
	if (has(cmdline, "onexit=poweroff")) {
		machine->poweroff();
		kprintf("tally: power-off failed\n");
	} else if (has(cmdline, "onexit=reset")) {
		machine->reset();
		kprintf("tally: reset failed\n");
	} else {
		machine->exit_device(0);
		kprintf("tally: no exit device\n");
	}
	a64_halt();
}

_Noreturn void virt_test_main(const void *dtb, uint64_t avail, const char *cmdline,
                              int (*has)(const char *, const char *))
{
	const char *why = NULL;
	const struct machine_cpu *list;
	unsigned n;

	cpu[0].arch.self = &cpu[0];
	set_me(&cpu[0]);
	bi.magic = BOOT_INFO_MAGIC;
	bi.version = BOOT_INFO_VERSION;
	bi.dtb_addr = (uintptr_t)dtb;
	bi.dtb_len = avail;
	virt_prefer_phys_timer(has(cmdline, "timer=phys"));
	if (machine_probe(&bi) < 0) {
		kprintf("machine: no description fits: %s\n", virt_probe_error());
		a64_exit(72);
	}
	kprintf("machine: %s, chosen by machine_probe\n", machine->name);
	a64_console_route(machine->early_console());
	kprintf("console: early %s, through the machine's console op\n", name_of(machine->early_console()));
	a64_console_route(machine->console());
	kprintf("console: %s, through the machine's console op\n", name_of(machine->console()));
	machine->init(&bi);
	if (machine->intc_init(&why) < 0) {
		kprintf("machine: intc_init: %s\n", why);
		a64_exit(1);
	}
	cpu[0].arch.hwid = arch_cpu_hwid();
	arch_timer_init(TIMER_VEC);
	print_machine();
	a64_irq_probe_hook = vt_irq;
	__asm__ volatile("msr daifclr, #2" ::: "memory");
	n = machine->cpus(&list);
	start_cpus(list, n);
	ipi_test();
	tick_test();
	__asm__ volatile("msr daifset, #2" ::: "memory");
	leave(cmdline, has);
}

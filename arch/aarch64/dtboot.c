/*
 * dtboot.c - the aarch64 boot test image: boot, read the device tree,
 * say what the machine is, leave with a status.
 *
 * Purpose: the first landing step of the aarch64 port (docs/boot.md,
 * "aarch64 status").  It proves, on QEMU's virt machine, the pieces the
 * kernel will stand on: the arm64 Image header and entry (head.S), the
 * exception vectors and their report (vectors.S, trap.c), the MMU turned
 * on (mmu.c), newlib for aarch64-none-elf linked and running, the device
 * tree parser (kernel/fdt/) on the blob QEMU hands over in x0, the PL011
 * console it names, PSCI through the conduit it names, and the exit
 * through semihosting (power.c).  It is not the kernel, which has its own
 * entry (kernel/entry.S; `make ARCH=aarch64 kernel`).
 *
 * Output (after "tally: start"): the DTB's address, size and node count;
 * the model; every memory range and the total in MiB; the CPU count with
 * each MPIDR and enable method; the boot CPU's own MPIDR_EL1 and which DTB
 * CPU it is; PSCI's conduit and the version PSCI_VERSION returns; the GIC;
 * the UART; the timer's interrupts and CNTFRQ_EL0; what the GIC's own
 * registers say (gic_id.c: its revision, its redistributors' affinities
 * or CPU interface count) and whether that agrees; one virtual timer
 * interrupt taken through the GIC (irq_probe.c); the exception level it
 * was entered at; the command line; any warning of the scan.  The system
 * cases check the memory total and CPU count against QEMU's -m and -smp.
 * Then it starts every other CPU through PSCI CPU_ON, one at a time; each
 * reports the MPIDR_EL1 it reads and powers itself off (CPU_OFF), and the
 * image prints how many CPUs ran it (the boot CPU included): the tree's
 * CPU list checked against the hardware.
 *
 * With the word `machine` on the command line it then hands over to
 * virt_test.c: the virt machine description, the GIC, the timer and PSCI
 * driven as the kernel will drive them.
 *
 * Command line (/chosen bootargs, from -append), to prove the exception
 * report (status 70) and the map's protections: `fault=read` reads from
 * A64_FAULT_ADDR, which no entry maps; `fault=stack` recurses until the
 * boot stack reaches its guard page; `fault=wx` writes to the first
 * instruction of dtboot_main (W^X).  `test=NAME` (a name, a prefix
 * ending in '*', or all) runs the port's on-target tests first
 * (tests/a64/: page tables, contexts, traps; ktest-format lines), so
 * `test=a64_vm_init fault=wx` faults under the port's tables.  Any other
 * word is printed and ignored.
 *
 * Statuses: 0 done; 70 an exception; 72 no usable device tree (reported
 * through semihosting, the only output there is without a UART).
 * Context: the boot CPU, interrupts masked, single-threaded.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "arch/aarch64/a64.h"
#include "kernel/fdt/fdt.h"
#include "kernel/lib/kprintf.h"
#include "tests/a64/a64t.h"

/* In the 1 GiB block at 508 GiB: below the 512 GiB the map covers, and
 * never mapped (mmu.c maps block 0 and the image's and DTB's blocks). */
#define A64_FAULT_ADDR 0x7f00001230ull
#define PSCI_VERSION   0x84000000u
#define PSCI_CPU_OFF   0x84000002u
#define PSCI_CPU_ON    0xc4000003u  /* SMC64 */
#define REPORTED       (1ull << 63)
#define MIB            (1ull << 20)

static struct fdt_info info;
/* Slot s: REPORTED | the MPIDR_EL1 the CPU started in slot s read. */
static volatile uint64_t reported[A64_MAX_SECONDARY];

/* trap.c's per-image handlers: a test's IRQ hook or the probe's; the
 * port's fault resolution and arch_try's recovery. */
void a64_trap_irq(struct trap_frame *tf)
{
	if (a64_irq_hook)
		a64_irq_hook(tf);
	else
		a64_irq_probe_handler();
}

int a64_trap_sync(struct trap_frame *tf)
{
	return a64_trap_recover(tf);
}

static uint64_t my_mpidr(void)
{
	return A64_SYSREG_READ(mpidr_el1) & 0xff00ffffffull;
}

/* A CPU started by start_cpus: report, then power off. */
_Noreturn void dtboot_secondary(uint64_t slot);

_Noreturn void dtboot_secondary(uint64_t slot)
{
	a64_mmu_secondary();
	if (slot < A64_MAX_SECONDARY)
		__atomic_store_n(&reported[slot], REPORTED | my_mpidr(), __ATOMIC_RELEASE);
	a64_psci(PSCI_CPU_OFF, 0, 0, 0);
	a64_halt();   /* CPU_OFF returned: denied */
}

/* Start every other CPU the tree names with enable-method psci through
 * PSCI CPU_ON, one at a time, and wait up to 2 s (CNTVCT_EL0) for each to
 * report its own MPIDR_EL1: the tree's reg and the hardware must agree. */
static void start_cpus(void)
{
	uint64_t me = my_mpidr(), hz = A64_SYSREG_READ(cntfrq_el0);
	uint32_t i, ran = 0, slot = 0;

	for (i = 0; i < info.ncpu; i++) {
		const struct fdt_cpu *c = &info.cpu[i];
		uint64_t t0, got;
		int64_t r;

		if (c->mpidr == me) {
			ran++;
			continue;
		}
		if (c->enable != FDT_ENABLE_PSCI || info.psci == FDT_PSCI_NONE) {
			kprintf("cpu %u: not started (no PSCI enable-method)\n", i);
			continue;
		}
		if (slot >= A64_MAX_SECONDARY) {
			kprintf("cpu %u: not started (the image has stacks for %d more CPUs)\n", i,
			        A64_MAX_SECONDARY);
			continue;
		}
		r = a64_psci(PSCI_CPU_ON, c->mpidr, (uint64_t)(uintptr_t)a64_secondary_entry, slot);
		if (r != 0) {
			kprintf("cpu %u: CPU_ON returned %lld\n", i, (long long)r);
			continue;
		}
		t0 = A64_SYSREG_READ(cntvct_el0);
		while (!((got = __atomic_load_n(&reported[slot], __ATOMIC_ACQUIRE)) & REPORTED) &&
		       A64_SYSREG_READ(cntvct_el0) - t0 < 2 * hz)
			__asm__ volatile("yield");
		if (got & REPORTED) {
			kprintf("cpu %u: started, reports MPIDR_EL1 0x%llx%s\n", i,
			        (unsigned long long)(got & ~REPORTED),
			        (got & ~REPORTED) == c->mpidr ? "" : " (NOT its reg)");
			ran += (got & ~REPORTED) == c->mpidr;
		} else {
			kprintf("cpu %u: no report within 2 s\n", i);
		}
		slot++;
	}
	kprintf("smp: %u of %u CPUs ran this image\n", ran, info.ncpu);
}

static _Noreturn void no_dtb(const char *why)
{
	char line[FDT_ERR_LEN + 32];

	ksnprintf(line, sizeof line, "tally: dtboot: no usable device tree: %s\n", why);
	a64_semihost_write0(line);
	a64_exit(72);
}

static void print_irq(const char *what, const struct fdt_irq *q)
{
	if (q->valid)
		kprintf(" %s %s %u (intid %u)", what, q->type ? "ppi" : "spi", q->num, q->intid);
	else
		kprintf(" %s none", what);
}

static void print_facts(const struct fdt *f, uint64_t dtb)
{
	static const char *const how[] = { "none", "psci", "spin-table" };
	uint64_t mpidr = my_mpidr();
	uint32_t i, me = info.ncpu;

	kprintf("dtb: at 0x%llx, %u bytes, version %u, %u nodes, %u reservations\n",
	        (unsigned long long)dtb, f->size, f->version, f->nodes, f->nrsv);
	kprintf("dtb: model %s\n", info.model[0] ? info.model : "(none)");
	for (i = 0; i < info.nmem; i++)
		kprintf("mem: 0x%llx-0x%llx (%llu MiB)\n", (unsigned long long)info.mem[i].base,
		        (unsigned long long)(info.mem[i].base + info.mem[i].size),
		        (unsigned long long)(info.mem[i].size / MIB));
	kprintf("mem: total %llu MiB in %u range%s\n", (unsigned long long)(info.mem_total / MIB),
	        info.nmem, info.nmem == 1 ? "" : "s");
	for (i = 0; i < info.ncpu; i++) {
		kprintf("cpu %u: mpidr 0x%llx, %s%s\n", i, (unsigned long long)info.cpu[i].mpidr,
		        how[info.cpu[i].enable], info.cpu[i].disabled ? ", disabled" : "");
		if (info.cpu[i].mpidr == mpidr)
			me = i;
	}
	kprintf("cpus: %u\n", info.ncpu);
	if (me < info.ncpu)
		kprintf("boot cpu: mpidr 0x%llx is dtb cpu %u\n", (unsigned long long)mpidr, me);
	else
		kprintf("boot cpu: mpidr 0x%llx is NOT in the device tree\n", (unsigned long long)mpidr);
	if (info.psci != FDT_PSCI_NONE) {
		int64_t v = a64_psci(PSCI_VERSION, 0, 0, 0);

		kprintf("psci: %s, version %lld.%lld\n", info.psci == FDT_PSCI_HVC ? "hvc" : "smc",
		        (long long)(v >> 16), (long long)(v & 0xffff));
	} else {
		kprintf("psci: none\n");
	}
	if (info.gic_version == 3) {
		kprintf("gic: v3, distributor 0x%llx", (unsigned long long)info.gicd.base);
		for (i = 0; i < info.nredist; i++)
			kprintf(", redistributors 0x%llx+0x%llx", (unsigned long long)info.redist[i].base,
			        (unsigned long long)info.redist[i].size);
		kprintf(", its 0x%llx\n", (unsigned long long)info.msi.base);
	} else if (info.gic_version == 2) {
		kprintf("gic: v2, distributor 0x%llx, cpu interface 0x%llx, v2m 0x%llx\n",
		        (unsigned long long)info.gicd.base, (unsigned long long)info.gicc.base,
		        (unsigned long long)info.msi.base);
	} else {
		kprintf("gic: none\n");
	}
	kprintf("uart: pl011 at 0x%llx%s", (unsigned long long)info.uart.base,
	        info.uart_is_stdout ? " (stdout-path)" : "");
	print_irq("irq", &info.uart_irq);
	kprintf("\ntimer:");
	print_irq("secure", &info.timer[FDT_TIMER_SEC_PHYS]);
	print_irq("phys", &info.timer[FDT_TIMER_PHYS]);
	print_irq("virt", &info.timer[FDT_TIMER_VIRT]);
	print_irq("hyp", &info.timer[FDT_TIMER_HYP]);
	kprintf(", cntfrq %llu Hz\n", (unsigned long long)A64_SYSREG_READ(cntfrq_el0));
	for (i = 0; i < info.nwarn; i++)
		kprintf("%s\n", info.warn[i]);
}

/* 1 if the command line holds word w (separated by blanks). */
static int has_word(const char *line, const char *w)
{
	size_t n = strlen(w);
	const char *p = line;

	while ((p = strstr(p, w)) != NULL) {
		if ((p == line || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return 1;
		p += n;
	}
	return 0;
}

_Noreturn void dtboot_main(uint64_t dtb, uint64_t entry_el);

/* Recurse until the stack runs out (deep_end is never reached: 16 KiB
 * hold about 50 frames): each frame holds 256 bytes the compiler must keep
 * (the empty asm stops it from turning the recursion into a loop). */
static volatile uint64_t deep_end = ~0ull;

__attribute__((noinline)) static uint64_t deep(uint64_t n)
{
	volatile uint64_t pad[32];
	uint64_t r;

	if (n == deep_end)
		return 0;
	pad[n % 32] = n;
	r = deep(n + 1);
	__asm__ volatile("" : "+r"(r));
	return r + pad[(n * 7) % 32];
}

static void fault(const char *line)
{
	if (has_word(line, "fault=read")) {
		kprintf("fault: reading 0x%llx\n", A64_FAULT_ADDR);
		(void)*(volatile uint64_t *)(uintptr_t)A64_FAULT_ADDR;
	} else if (has_word(line, "fault=stack")) {
		kprintf("fault: recursing until the boot stack's guard page\n");
		kprintf("fault: %llu\n", (unsigned long long)deep(0));
	} else if (has_word(line, "fault=wx")) {
		kprintf("fault: writing to dtboot_main at 0x%llx (.text)\n",
		        (unsigned long long)(uintptr_t)dtboot_main);
		*(volatile uint32_t *)(uintptr_t)dtboot_main = 0xd503201f;  /* nop */
	} else {
		return;
	}
	kprintf("fault: no exception\n");
	a64_exit(1);
}

_Noreturn void dtboot_main(uint64_t dtb, uint64_t entry_el)
{
	static char err[FDT_ERR_LEN];
	struct fdt f;
	uint64_t avail = a64_mmu_init(dtb);

	if (avail == 0)
		no_dtb("the image or the DTB lies outside 1..512 GiB (x0 = DTB address)");
	if (fdt_open(&f, (const void *)(uintptr_t)dtb, avail, err, sizeof err) < 0 ||
	    fdt_scan(&f, &info, err, sizeof err) < 0)
		no_dtb(err);
	if (!info.has_uart || !a64_mmu_is_device(info.uart.base, info.uart.size))
		no_dtb("no arm,pl011 UART in the first GiB");
	a64_pl011_init(info.uart.base);
	a64_psci_set_conduit(info.psci == FDT_PSCI_HVC ? A64_CONDUIT_HVC :
	                     info.psci == FDT_PSCI_SMC ? A64_CONDUIT_SMC : A64_CONDUIT_NONE);
	kprintf("tally: start (aarch64 boot test image: device tree, console, exit)\n");
	kprintf("el: entered at EL%llu, running at EL1, MMU on\n", (unsigned long long)entry_el);
	kprintf("cmdline: %s\n", info.has_bootargs ? info.bootargs : "");
	print_facts(&f, dtb);
	a64_gic_check(&info);
	a64_irq_probe(&info);
	start_cpus();
	if (has_word(info.bootargs, "machine"))
		virt_test_main((const void *)(uintptr_t)dtb, avail, info.bootargs, has_word);
	a64t_run(&info, info.bootargs);   /* test=...: the port's own tests */
	fault(info.bootargs);
	a64_exit(0);
}

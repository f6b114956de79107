/*
 * smp_test.c - the port's tables on a second CPU, and TLB maintenance
 * that reaches it: a CPU started by PSCI CPU_ON onto the tables
 * arch_vm_init built (cpu_entry.S, with a64_vm_regs' values) keeps
 * reading a page while the boot CPU remaps it, and writes a page whose
 * dirty state the boot CPU cleared.
 *
 * Independent truth: the values the second CPU reads.  A remap by
 * arch_map_page invalidates with TLBI VAAE1IS (inner shareable): if it
 * reached only the boot CPU, the second would keep its cached
 * translation and read the old frame's value.  The dirty state the boot
 * CPU clears (arch_vm_ad, then arch_tlb_flush) must be set again by the
 * second CPU's write (by its MMU with DBM, by its own permission fault
 * through a64_vm_fixup without).  Every wait is bounded (2 s of
 * CNTVCT_EL0), so a CPU that never runs fails the test, never hangs it.
 * Context: the boot CPU and one started CPU; needs -smp 2 at EL1.
 */
#include <stddef.h>
#include <stdint.h>
#include "arch/arch.h"
#include "arch/aarch64/a64.h"
#include "arch/aarch64/paging.h"
#include "kernel/mem/pmem.h"
#include "tests/a64/a64t.h"

#define VA 0x10000400000ull     /* 1 TiB + 4 MiB: no other test's page */
#define PSCI_CPU_ON  0xc4000003u
#define PSCI_CPU_OFF 0x84000002u

struct a64t_cpu {
	uint64_t mair, tcr, ttbr0, sctlr, exc_top, top;
	void (*fn)(struct a64t_cpu *);
	volatile uint64_t phase, seen_before, seen_after, wrote;
};
_Static_assert(offsetof(struct a64t_cpu, fn) == 48, "cpu_entry.S layout");

void a64t_cpu_entry(void);
static uint8_t stack1[16384] __attribute__((aligned(16)));
static uint8_t exc1[8192] __attribute__((aligned(16)));
static struct a64t_cpu c1;

static int wait_phase(volatile uint64_t *p, uint64_t want)
{
	uint64_t hz = A64_SYSREG_READ(cntfrq_el0), t0 = A64_SYSREG_READ(cntvct_el0);
	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != want)
		if (A64_SYSREG_READ(cntvct_el0) - t0 > 2 * hz)
			return -1;
	return 0;
}

static void cpu1_main(struct a64t_cpu *c)
{
	uint64_t v = 0;
	for (int i = 0; i < 1000; i++)      /* the translation is now in its TLB */
		v += *(volatile uint64_t *)(uintptr_t)VA;
	c->seen_before = *(volatile uint64_t *)(uintptr_t)VA;
	__atomic_store_n(&c->phase, 1, __ATOMIC_RELEASE);
	if (wait_phase(&c->phase, 2) == 0) {
		c->seen_after = *(volatile uint64_t *)(uintptr_t)VA;
		__atomic_store_n(&c->phase, 3, __ATOMIC_RELEASE);
		if (wait_phase(&c->phase, 4) == 0) {
			*(volatile uint64_t *)(uintptr_t)(VA + 4096 + 64) = 0xc1c1 + v * 0;
			c->wrote = 1;
			__atomic_store_n(&c->phase, 5, __ATOMIC_RELEASE);
		}
	}
	a64_psci(PSCI_CPU_OFF, 0, 0, 0);
}

A64T(a64_smp_tlb)
{
	const struct fdt_info *in = a64t_info;
	uint64_t me = A64_SYSREG_READ(mpidr_el1) & 0xff00ffffffull, other = ~0ull;
	for (uint32_t i = 0; i < in->ncpu; i++)
		if (in->cpu[i].mpidr != me && in->cpu[i].enable == FDT_ENABLE_PSCI) {
			other = in->cpu[i].mpidr;
			break;
		}
	A64T_ASSERT(other != ~0ull);                   /* needs -smp 2 or more */
	A64T_ASSERT(a64t_vm_setup());
	A64T_ASSERT(a64_vm_regs(&c1.mair, &c1.tcr, &c1.ttbr0) == 0);
	uint64_t pa_a = pmem_alloc(0), pa_b = pmem_alloc(0), pa_d = pmem_alloc(0);
	A64T_ASSERT(pa_a && pa_b && pa_d);
	*(volatile uint64_t *)(uintptr_t)pa_a = 0xaaaa;
	*(volatile uint64_t *)(uintptr_t)pa_b = 0xbbbb;
	A64T_ASSERT(arch_map_page(VA, pa_a, VM_R | VM_W) == 0);
	A64T_ASSERT(arch_map_page(VA + 4096, pa_d, VM_R | VM_W) == 0);
	c1.sctlr = A64_SYSREG_READ(sctlr_el1);
	c1.exc_top = (uint64_t)(uintptr_t)(exc1 + sizeof exc1);
	c1.top = (uint64_t)(uintptr_t)(stack1 + sizeof stack1);
	c1.fn = cpu1_main;
	c1.phase = 0;
	__asm__ volatile("dsb ish" ::: "memory");
	A64T_ASSERT(a64_psci(PSCI_CPU_ON, other, (uint64_t)(uintptr_t)a64t_cpu_entry,
	                     (uint64_t)(uintptr_t)&c1) == 0);
	A64T_ASSERT(wait_phase(&c1.phase, 1) == 0);
	A64T_ASSERT(c1.seen_before == 0xaaaa);
	/* remap under it: the other CPU must see the new frame */
	A64T_ASSERT(arch_map_page(VA, pa_b, VM_R | VM_W) == 0);
	__atomic_store_n(&c1.phase, 2, __ATOMIC_RELEASE);
	A64T_ASSERT(wait_phase(&c1.phase, 3) == 0);
	A64T_ASSERT(c1.seen_after == 0xbbbb);
	/* dirty state cleared here, set again by the other CPU's write */
	A64T_ASSERT(arch_vm_ad(VA + 4096, 1, VM_AD_DIRTY, 1, NULL) == 1);
	arch_tlb_flush(VA + 4096, 4096);
	A64T_ASSERT(arch_vm_ad(VA + 4096, 1, VM_AD_DIRTY, 0, NULL) == 0);
	__atomic_store_n(&c1.phase, 4, __ATOMIC_RELEASE);
	A64T_ASSERT(wait_phase(&c1.phase, 5) == 0);
	A64T_ASSERT(c1.wrote == 1);
	A64T_ASSERT(*(volatile uint64_t *)(uintptr_t)(pa_d + 64) == 0xc1c1);
	A64T_ASSERT(arch_vm_ad(VA + 4096, 1, VM_AD_DIRTY, 0, NULL) == 1);
	a64t_note("CPU 0x%llx ran on the port's tables: saw the remap and dirtied a cleaned page",
	          (unsigned long long)other);
	arch_unmap_page(VA);
	arch_unmap_page(VA + 4096);
}

/*
 * inline_test.c - on-target tests of the aarch64 port's inline
 * functions (arch/aarch64/include/arch_inline.h): the per-CPU pointer and
 * index, the interrupt mask, the cycle counter and arch_counted_loop.
 *
 * Independent truth: DAIF and TPIDR_EL1 read back with MRS; the counter
 * against CNTVCT_EL0 read directly; the counted loop against the PMU's
 * cycle counter PMCCNTR_EL0, which QEMU derives from its virtual clock:
 * under -icount shift=0 one instruction is one nanosecond and the counter
 * runs at 1 GHz, so it counts instructions exactly.  The loop's
 * instructions an iteration are the difference of two runs (n and 2n):
 * the constant set-up cancels.  Without -icount the counts are the host's
 * time and vary: the test then notes them and asserts only what holds
 * anyway; the system case a64_core_icount runs it under -icount, where
 * the repeated counts must agree exactly and give 2 an iteration.
 * Context: the boot CPU.
 */
#include <stdint.h>
#include "arch/arch.h"
#include "arch/aarch64/a64.h"
#include "tests/a64/a64t.h"

static uint64_t pmccntr(void)
{
	uint64_t v;
	__asm__ volatile("isb\n\tmrs %0, pmccntr_el0" : "=r"(v) :: "memory");
	return v;
}

A64T(a64_inline)
{
	struct arch_percpu *old = arch_cpu_local(), p = { 0 };
	p.self = &p;
	p.index = 5;
	arch_cpu_set_local(&p);
	A64T_ASSERT(A64_SYSREG_READ(tpidr_el1) == (uint64_t)(uintptr_t)&p);
	A64T_ASSERT(arch_cpu_local() == &p);
	A64T_ASSERT(arch_cpu_index() == 5);
	arch_cpu_set_local(old);

	/* DAIF bit 7 is I, bit 6 F: the image runs with both masked */
	__asm__ volatile("msr daifclr, #3" ::: "memory");
	unsigned long f = arch_irq_save();
	A64T_ASSERT(!(f & (3ul << 6)));
	A64T_ASSERT((A64_SYSREG_READ(daif) & (3ul << 6)) == (3ul << 6));
	unsigned long g = arch_irq_save();      /* nested: stays masked */
	arch_irq_restore(g);
	A64T_ASSERT((A64_SYSREG_READ(daif) & (3ul << 6)) == (3ul << 6));
	arch_irq_restore(f);
	A64T_ASSERT((A64_SYSREG_READ(daif) & (3ul << 6)) == 0);
	arch_irq_disable();
	A64T_ASSERT((A64_SYSREG_READ(daif) & (3ul << 6)) == (3ul << 6));

	uint64_t c0 = A64_SYSREG_READ(cntvct_el0), a = arch_cycles(), u = arch_cycles_2x1();
	uint64_t c1 = A64_SYSREG_READ(cntvct_el0);
	A64T_ASSERT(c0 <= a && a <= c1);
	A64T_ASSERT((u & 1) && u >= 2 * a + 1 && u <= 2 * c1 + 1);

	/* the PMU cycle counter on (PMCR_EL0.E, long counter; PMCNTENSET.C) */
	__asm__ volatile("msr pmcr_el0, %0\n\tmsr pmcntenset_el0, %1\n\tisb"
	                 :: "r"((1ull << 0) | (1ull << 6)), "r"(1ull << 31) : "memory");
	uint64_t d[2][3];
	for (int r = 0; r < 3; r++)
		for (int k = 0; k < 2; k++) {
			unsigned n = 1000u << k;
			uint64_t t0 = pmccntr();
			arch_counted_loop(n);
			d[k][r] = pmccntr() - t0;
		}
	uint64_t z0 = pmccntr();
	arch_counted_loop(0);                   /* n = 0: no iteration, no 2^32 */
	uint64_t z = pmccntr() - z0;
	int exact = d[0][0] == d[0][1] && d[0][1] == d[0][2] && d[1][0] == d[1][1] &&
	            d[1][1] == d[1][2];
	a64t_note("PMCCNTR over arch_counted_loop(1000) %llu, (2000) %llu: %s",
	          (unsigned long long)d[0][0], (unsigned long long)d[1][0],
	          exact ? "repeatable (instruction counts)" : "not repeatable (no -icount)");
	if (exact) {
		A64T_ASSERT(d[1][0] - d[0][0] == 2 * 1000);
		A64T_ASSERT(z < d[0][0] - 2 * 1000 + 4);   /* the constant part, not 2^33 */
	} else {
		A64T_ASSERT(z < d[0][0] * 1000);        /* far from 2^32 iterations */
	}
}

/* The interrupt numbers' rules (arch_inline.h): GIC INTIDs, SGIs and PPIs
 * reserved, the special INTIDs 1020-1023 dropped without an EOI. */
A64T(a64_irq_numbers)
{
	A64T_ASSERT(ARCH_IRQ_COUNT >= 1024);
	A64T_ASSERT(ARCH_IRQ_IPI_WAKE < 16 && ARCH_IRQ_IPI_CALL < 16);
	A64T_ASSERT(ARCH_IRQ_IPI_WAKE != ARCH_IRQ_IPI_CALL);
	A64T_ASSERT(ARCH_IRQ_TIMER >= 16 && ARCH_IRQ_TIMER < 32);
	for (unsigned v = 0; v < ARCH_IRQ_COUNT; v++) {
		A64T_ASSERT(arch_irq_reserved(v) == (v < 32 || v >= 1020));
		A64T_ASSERT(arch_irq_unhandled(v) == (v >= 1020 ? 1 : 0));
	}
}

/* The CPU functions of cpu.c against the registers they read: the counter
 * frequency is CNTFRQ_EL0 (the image prints it too), the model names the
 * MIDR_EL1 part (the system cases know which -cpu QEMU was given). */
A64T(a64_cpu)
{
	arch_clock_init(NULL);
	A64T_ASSERT(arch_cycles_hz() == (A64_SYSREG_READ(cntfrq_el0) & 0xffffffffu));
	A64T_ASSERT(arch_cycles_hz() != 0 && arch_cycles_invariant() == 1);
	A64T_ASSERT(arch_has_nx() == 1);
	arch_cpu_early_init();
	A64T_ASSERT(((A64_SYSREG_READ(cpacr_el1) >> 20) & 3) == 3);
	a64t_note("model %s (MIDR_EL1 0x%llx), counter %llu Hz from %s", arch_cpu_model(),
	          (unsigned long long)A64_SYSREG_READ(midr_el1),
	          (unsigned long long)arch_cycles_hz(), arch_cycles_source());
}

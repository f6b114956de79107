/*
 * arch_inline.h - aarch64 bodies of the static inline functions named in
 * arch/arch.h.  Included only by arch/arch.h.
 *
 * Registers behind the contract:
 *   cycle counter   CNTVCT_EL0, the generic timer's virtual count (CNTFRQ_EL0
 *                   Hz: 62.5 MHz on QEMU's virt, not the CPU's clock).  Both
 *                   head.S paths leave CNTVOFF_EL2 = 0 when entered at EL2,
 *                   so every CPU reads the same count.
 *   per-CPU         TPIDR_EL1 holds this CPU's struct arch_percpu (arch.h);
 *                   arch_cpu_set_local (trap_cpu.c) writes it.
 *   interrupts      DAIF: I and F masked together (Tally takes no FIQ; a
 *                   GICv3 group-1 interrupt at EL1 is an IRQ).
 *
 * Budgets (instructions): arch_cycles 2 (isb, mrs: the isb keeps the read
 * from being hoisted above earlier instructions, as Linux's
 * __arch_counter_get_cntvct does); arch_cpu_local 1; arch_cpu_index 2
 * (mrs, ldr: aarch64 has no segment-relative load, so the contract's
 * "one instruction" is two here); the ledger pair 6 (below).
 *
 * Interrupt numbers are the GIC's INTIDs: SGIs 0-15 and PPIs 16-31 are
 * per-CPU and the kernel's own (the wake-up and call IPIs are SGIs 0 and
 * 1, the tick the virtual timer's PPI, INTID 27 on every SBSA-style
 * board and on QEMU's virt); devices get SPIs from 32 (or, for MSI, the
 * LPI 8192 + vector through the ITS, which the GIC driver hands back as
 * the vector: its.c); 1020-1023 are special (1023: spurious; none takes an
 * EOI).  The machine's GIC driver may deliver the tick under whatever
 * reserved number arch_timer_init was given.  CPU
 * exceptions never use these numbers: they arrive through their own
 * vector entries (vectors.S), and arch_try/arch_trap_name number them by
 * exception class (ESR_EL1.EC, 0-63).
 */
#ifndef TALLY_ARCH_AARCH64_INLINE_H
#define TALLY_ARCH_AARCH64_INLINE_H

static inline uint64_t arch_cycles(void)
{
	uint64_t t;
	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(t) :: "memory");
	return t;
}

/* The ledger pair's switches (arch/arch.h).  There is no add-to-memory
 * instruction, so the commit is a load, an add and a store: the sequence
 * runs from the clock read (1:) to the store (2:), recorded in section
 * arch_restart for arch_restart_fixup (trap_cpu.c), which sends an
 * interrupt that lands after 1: and before the store executes back to
 * 1: (it then re-reads TPIDR_EL1 and the word: an interrupt that pushed
 * the ledger is never overwritten by a stale load).  Every register is an
 * output only, so running it again from 1: is harmless.
 * mrs; mrs; ldr; lsl+orr as one add (w + 2 t + 1 = w + (t << 1) + 1:
 * add with shifted operand, then add #1); str: 6 instructions. */
#define ARCH_RESTART_RECORD \
	".pushsection arch_restart, \"a\"\n\t.balign 8\n\t.quad 1b, 2b\n\t.popsection\n\t"

static inline void arch_ledger_pair_leave(unsigned long off)
{
	uint64_t t, base, w;
	__asm__ volatile("1: mrs %0, cntvct_el0\n\t"
	                 "mrs %1, tpidr_el1\n\t"
	                 "ldr %2, [%1, %3]\n\t"
	                 "add %2, %2, %0, lsl #1\n\t"
	                 "add %2, %2, #1\n\t"
	                 "2: str %2, [%1, %3]\n\t"
	                 ARCH_RESTART_RECORD
	                 : "=&r"(t), "=&r"(base), "=&r"(w) : "i"(off) : "memory");
}

/* enter: w - (2 t + 1), and 2 t + 1 is returned (the caller's run start). */
static inline uint64_t arch_ledger_pair_enter(unsigned long off)
{
	uint64_t u, base, w;
	__asm__ volatile("1: mrs %0, cntvct_el0\n\t"
	                 "mrs %1, tpidr_el1\n\t"
	                 "lsl %0, %0, #1\n\t"
	                 "ldr %2, [%1, %3]\n\t"
	                 "orr %0, %0, #1\n\t"
	                 "sub %2, %2, %0\n\t"
	                 "2: str %2, [%1, %3]\n\t"
	                 ARCH_RESTART_RECORD
	                 : "=&r"(u), "=&r"(base), "=&r"(w) : "i"(off) : "memory");
	return u;
}

/* 2 t + 1 for the cycle counter t, as the pair's switches compute it. */
static inline uint64_t arch_cycles_2x1(void)
{
	uint64_t u;
	__asm__ volatile("mrs %0, cntvct_el0\n\tlsl %0, %0, #1\n\torr %0, %0, #1" : "=r"(u));
	return u;
}

/* arch_try's vector for a data access fault (arch/arch.h): the exception
 * class of a data abort taken at EL1 (arch_try gives the class + 1) */
#define ARCH_TRAP_DATA_FAULT 0x25

/* the goroutine stacks' arena (arch/arch.h): 2^47, in TTBR0's 48-bit
 * range (the upper half, TTBR1_EL1, is off: paging.c) */
#define ARCH_STACK_ARENA_BASE 0x0000800000000000ull

/* Interrupt numbers (arch/arch.h, "Interrupt numbers"): GIC INTIDs (see
 * the top of this file). */
#define ARCH_IRQ_COUNT      1024
#define ARCH_IRQ_FIRST      0       /* no exception shares the INTID space:
                                     * SGIs (the IPIs) and PPIs take handlers */
#define A64_IRQ_FIRST_SPI   32      /* devices' interrupts start here */
#define ARCH_IRQ_TIMER      27      /* the EL1 virtual timer's PPI */
#define ARCH_IRQ_IPI_WAKE   0       /* SGI 0 */
#define ARCH_IRQ_IPI_CALL   1       /* SGI 1 */
#define ARCH_GOARCH "arm64"         /* Go's GOARCH (benchmark headers) */
#define ARCH_NAME "aarch64"         /* tally_sysinfo's arch */
#define ARCH_IRQ_SPURIOUS   1023    /* the GIC's "no pending interrupt" */

static inline int arch_irq_reserved(unsigned v)
{
	return v < A64_IRQ_FIRST_SPI || v >= 1020;
}

static inline int arch_irq_unhandled(unsigned v)
{
	/* 1020-1023 are the GIC's special INTIDs (1023: nothing pending):
	 * never an acknowledged interrupt, so no EOI */
	return v >= 1020 && v <= ARCH_IRQ_SPURIOUS ? 1 : 0;
}

static inline void arch_counted_loop(unsigned n)
{
	/* subs + b.ne: exactly 2 instructions an iteration, plus the mov and
	 * the cbz (which makes n = 0 an empty loop, not 2^32 iterations) */
	unsigned long c;
	__asm__ volatile("mov %w0, %w1\n\tcbz %w0, 2f\n1: subs %w0, %w0, #1\n\tb.ne 1b\n2:"
	                 : "=&r"(c) : "r"(n) : "cc");
}

static inline uintptr_t arch_current_fp(void)
{
	return (uintptr_t)__builtin_frame_address(0);
}

static inline void *arch_cpu_local(void)
{
	void *p;
	__asm__ volatile("mrs %0, tpidr_el1" : "=r"(p));
	return p;
}

static inline unsigned arch_cpu_index(void)
{
	unsigned i;  /* struct arch_percpu.index, offset 24 */
	void *p;
	__asm__ volatile("mrs %1, tpidr_el1\n\tldr %w0, [%1, #24]" : "=r"(i), "=&r"(p));
	return i;
}

static inline void arch_irq_disable(void) { __asm__ volatile("msr daifset, #3" ::: "memory"); }
static inline void arch_irq_enable(void) { __asm__ volatile("msr daifclr, #3" ::: "memory"); }
static inline unsigned long arch_irq_save(void)
{
	unsigned long f;
	__asm__ volatile("mrs %0, daif\n\tmsr daifset, #3" : "=r"(f) :: "memory");
	return f;
}
/* Restores I and F as they were (DAIF bits 7 and 6); D and A untouched. */
static inline void arch_irq_restore(unsigned long f)
{
	if (!(f & (1ul << 7)))
		__asm__ volatile("msr daifclr, #3" ::: "memory");
}
static inline void arch_pause(void) { __asm__ volatile("yield"); }

#endif

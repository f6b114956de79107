/*
 * arch_inline.h - x86_64 bodies of the static inline functions named in
 * arch/arch.h.  Included only by arch/arch.h.
 */
#ifndef TALLY_ARCH_X86_64_INLINE_H
#define TALLY_ARCH_X86_64_INLINE_H

static inline uint64_t arch_cycles(void)
{
	/* rdtsc clears the upper halves of rax and rdx: shl and or, in the
	 * registers rdtsc wrote (3 instructions, no moves) */
	uint64_t t, hi;
	__asm__ volatile("rdtsc\n\tshlq $32, %%rdx\n\torq %%rdx, %%rax" : "=a"(t), "=&d"(hi) :: "cc");
	return t;
}

/* The ledger pair's switches (arch/arch.h).  Each records its clock read
 * (1:) and its commit (2:) in section arch_restart, for
 * arch_restart_fixup (trap.c).  rax and rdx are outputs only, so running
 * the sequence again from 1: is harmless.
 * leave: rdtsc; shl; lea (2 t + 1 in one: rdx = hi << 33, rax = lo,
 * rdx + 2 rax + 1); add to %gs:off: 4 instructions. */
#define ARCH_RESTART_RECORD \
	".pushsection arch_restart, \"a\"\n\t.balign 8\n\t.quad 1b, 2b\n\t.popsection\n\t"

static inline void arch_ledger_pair_leave(unsigned long off)
{
	uint64_t lo, hi;
	__asm__ volatile("1: rdtsc\n\t"
	                 "shlq $33, %%rdx\n\t"
	                 "leaq 1(%%rdx, %%rax, 2), %%rax\n\t"
	                 "2: addq %%rax, %%gs:%c2\n\t"
	                 ARCH_RESTART_RECORD
	                 : "=&a"(lo), "=&d"(hi) : "i"(off) : "cc", "memory");
}

/* enter: the same 2 t + 1, subtracted: 4 instructions, and the value
 * subtracted is returned (the caller's run start). */
static inline uint64_t arch_ledger_pair_enter(unsigned long off)
{
	uint64_t u, hi;
	__asm__ volatile("1: rdtsc\n\t"
	                 "shlq $33, %%rdx\n\t"
	                 "leaq 1(%%rdx, %%rax, 2), %%rax\n\t"
	                 "2: subq %%rax, %%gs:%c2\n\t"
	                 ARCH_RESTART_RECORD
	                 : "=&a"(u), "=&d"(hi) : "i"(off) : "cc", "memory");
	return u;
}

/* 2 t + 1 for the cycle counter t, as the pair's switches compute it:
 * rdtsc; shl; lea, 3 instructions, the same as arch_cycles. */
static inline uint64_t arch_cycles_2x1(void)
{
	uint64_t u, hi;
	__asm__ volatile("rdtsc\n\tshlq $33, %%rdx\n\tleaq 1(%%rdx, %%rax, 2), %%rax"
	                 : "=a"(u), "=&d"(hi) :: "cc");
	return u;
}

/* arch_try's vector for a data access fault (arch/arch.h): #PF */
#define ARCH_TRAP_DATA_FAULT 14

/* the goroutine stacks' arena (arch/arch.h): the upper half */
#define ARCH_STACK_ARENA_BASE 0xffff800000000000ull

/* Interrupt numbers (arch/arch.h, "Interrupt numbers"): x86 vectors.
 * 0-31 are CPU exceptions; the kernel's own sources sit at the top, the
 * device range (msi.c: arch_irq_vector_range) below them. */
#define ARCH_IRQ_COUNT      256
#define ARCH_IRQ_FIRST      32
#define ARCH_IRQ_TIMER      0xf0
#define ARCH_IRQ_IPI_WAKE   0xf1
#define ARCH_IRQ_IPI_CALL   0xf2
#define ARCH_GOARCH "amd64"         /* Go's GOARCH (benchmark headers) */
#define ARCH_NAME "x86_64"          /* tally_sysinfo's arch */
#define ARCH_IRQ_INTC_ERROR 0xfe    /* the local APIC's error interrupt */
#define ARCH_IRQ_SPURIOUS   0xff    /* the local APIC's spurious vector */

static inline int arch_irq_reserved(unsigned v)
{
	return v < ARCH_IRQ_FIRST || v >= ARCH_IRQ_TIMER;
}

static inline int arch_irq_unhandled(unsigned v)
{
	if (v == ARCH_IRQ_SPURIOUS)
		return 1;  /* ignore, and no EOI (APIC rule) */
	if (v == ARCH_IRQ_INTC_ERROR)
		return 2;  /* ignore, then EOI */
	return 0;
}

static inline void arch_counted_loop(unsigned n)
{
	/* dec + jnz: exactly 2 instructions an iteration, plus the mov */
	__asm__ volatile("mov %0, %%ecx\n1: dec %%ecx\n jnz 1b" ::"ri"(n) : "rcx", "cc");
}

static inline uintptr_t arch_current_fp(void)
{
	return (uintptr_t)__builtin_frame_address(0);
}

static inline void *arch_cpu_local(void)
{
	void *p;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

static inline unsigned arch_cpu_index(void)
{
	unsigned long i;  /* struct arch_percpu.index, offset 24; movl zero-extends */
	__asm__ volatile("movl %%gs:24, %k0" : "=r"(i));
	if (i > 0xffffffffu)
		__builtin_unreachable();  /* gcc and clang: no zero-extension needed */
	return (unsigned)i;
}

static inline void arch_irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void arch_irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline unsigned long arch_irq_save(void)
{
	unsigned long f;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(f)::"memory");
	return f;
}
static inline void arch_irq_restore(unsigned long f)
{
	if (f & (1ul << 9))
		__asm__ volatile("sti" ::: "memory");
}
static inline void arch_pause(void) { __asm__ volatile("pause"); }

#endif

/*
 * x86.h - x86_64-private helpers shared by the files of arch/x86_64/.
 * Nothing outside arch/x86_64 includes this.
 */
#ifndef TALLY_X86_H
#define TALLY_X86_H

#include <stdint.h>

#define MSR_EFER 0xc0000080u
#define EFER_NXE (1ull << 11)

void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]);
uint64_t rdmsr(uint32_t msr);
void wrmsr(uint32_t msr, uint64_t v);
#define MSR_GS_BASE 0xc0000101u
#define MSR_APIC_BASE 0x1bu
#define MSR_TSC_DEADLINE 0x6e0u
/* paging.c: IA32_PAT still selects UC at index 3 and WB at 0 (pte.h). */
int x86_pat_ok(void);

static inline uint64_t read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}
static inline uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline void invlpg(uintptr_t va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }

/* GDT selectors */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_TSS   0x18

/* IST slots (1-based as in the IDT gate) */
#define IST_DF  1
#define IST_NMI 2
#define IST_PF  3
#define IST_MC  4
#define IST_IRQ 5

#endif

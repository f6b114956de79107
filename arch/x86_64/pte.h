/*
 * pte.h - composition of x86_64 page-table entry bits from VM_* protections.
 *
 * Purpose: one pure function that says which bits a leaf PTE gets for a
 * protection, so the memory type of device mappings can be checked by host
 * tests (TCG ignores memory types, so a boot cannot show a wrong one).
 *
 * Memory types: a 4 KiB PTE selects one of the eight PAT entries with
 * index PAT*4 + PCD*2 + PWT (bits 7, 4, 3).  Tally leaves IA32_PAT at its
 * power-on value (PA0 WB, PA1 WT, PA2 UC-, PA3 UC, PA4-7 the same again)
 * and checks that at boot (x86_pat_ok), so:
 *   ordinary memory: index 0 (WB) - no bits;
 *   VM_UC device memory: index 3 (UC, strong uncacheable: no speculative
 *   reads, no write combining, ordered) - PCD|PWT, PAT bit clear.
 * Write-combining (a PAT entry reprogrammed to WC) is not offered: nothing
 * maps a frame buffer yet.
 *
 * Invariants: every result has P; W exactly when VM_W; NX (when the CPU
 * has it: nx_bit != 0) exactly when not VM_X; PCD|PWT exactly when VM_UC;
 * never the PAT bit; never PS (leaves are 4 KiB here).
 * Context: pure, header-only; included by paging.c and the host tests.
 */
#ifndef TALLY_X86_PTE_H
#define TALLY_X86_PTE_H

#include <stdint.h>

#define PTE_P   (1ull << 0)
#define PTE_W   (1ull << 1)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A   (1ull << 5)    /* accessed: set by the CPU on any access */
#define PTE_D   (1ull << 6)    /* dirty: set by the CPU on a write (leaf only) */
#define PTE_PS  (1ull << 7)    /* large page (in a PD: 2 MiB, in a PDPT: 1 GiB) */
#define PTE_PAT4K (1ull << 7)   /* in a 4 KiB leaf, bit 7 is PAT, not PS */
#define PTE_SEEN (1ull << 9)   /* software (ignored by the MMU), in a directory entry:
                                 * its A bit was set at the last round harvest
                                 * (pt_walk.c, x86_pt_ad_round) */
#define PTE_NX  (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

/* The PAT index a 4 KiB leaf selects. */
static inline unsigned x86_pte_pat_index(uint64_t pte)
{
	return ((pte & PTE_PAT4K) ? 4u : 0u) | ((pte & PTE_PCD) ? 2u : 0u) | ((pte & PTE_PWT) ? 1u : 0u);
}

/* Leaf bits (without the address) for VM_* protection prot. */
static inline uint64_t x86_pte_leaf_bits(unsigned prot, uint64_t nx_bit, unsigned vm_w,
                                         unsigned vm_x, unsigned vm_uc)
{
	uint64_t f = PTE_P;
	if (prot & vm_w)
		f |= PTE_W;
	if (!(prot & vm_x))
		f |= nx_bit;
	if (prot & vm_uc)
		f |= PTE_PCD | PTE_PWT;   /* PAT index 3: UC */
	return f;
}

/* IA32_PAT memory-type encodings and the power-on value Tally relies on. */
#define X86_PAT_UC  0x00u
#define X86_PAT_WC  0x01u
#define X86_PAT_WT  0x04u
#define X86_PAT_WB  0x06u
#define X86_PAT_UCM 0x07u
#define X86_PAT_POWER_ON 0x0007040600070406ull

/* Memory type of PAT entry i in an IA32_PAT value. */
static inline unsigned x86_pat_type(uint64_t pat, unsigned i) { return (pat >> (8 * i)) & 7u; }

#endif

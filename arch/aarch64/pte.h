/*
 * pte.h - aarch64 stage-1 translation descriptors (4 KiB granule) and
 * their composition from VM_* protections.  aarch64-private; pure,
 * header-only (paging.c, pt_walk.c and the host tests include it).
 *
 * Purpose: one place that says which bits a leaf gets for a protection,
 * and what "writable", "dirty" and "accessed" mean in a descriptor, so
 * the host tests can pin them against the ARM ARM (D8.3, "Translation
 * table descriptor formats"; D8.4.4 for DBM) without a machine.
 *
 * Memory types go through MAIR_EL1 (paging.c writes A64_MAIR):
 *   AttrIndx 0 = 0x00 Device-nGnRnE   VM_UC: no gathering, no reordering,
 *                                     no early write acknowledgement, no
 *                                     speculative reads (x86's strong UC)
 *   AttrIndx 1 = 0xff Normal, inner and outer write-back, read and write
 *                                     allocate: everything else
 * Normal memory is inner shareable (SH = 11); Device ignores SH.
 *
 * Permissions (Tally runs everything at EL1; EL0 gets nothing): AP[1] = 0
 * (no EL0 access) and UXN = 1 on every leaf; PXN = 1 unless VM_X;
 * AP[2] = 1 (read-only) unless the page is writable and dirty.
 *
 * Dirty state, one encoding for both kinds of CPU (ARM ARM D8.4.6): a
 * writable page carries A64_SWW (a software bit, 55) and, when the CPU
 * has hardware dirty-state management (ID_AA64MMFR1_EL1.HAFDBS = 2 and
 * TCR_EL1.HD set), DBM (bit 51).  Its AP[2] is its dirty bit inverted:
 *   writable-clean  SWW, AP[2] = 1: a write faults (no DBM) or the MMU
 *                   clears AP[2] itself (DBM);
 *   writable-dirty  SWW, AP[2] = 0.
 * Without DBM (ARMv8.0, Cortex-A72) paging.c's a64_vm_fixup turns the
 * permission fault of a write to a writable-clean page into the same
 * transition.  "Clear dirty" is setting AP[2] on a leaf with SWW.
 * Accessed is AF (bit 10): the MMU sets it when TCR_EL1.HA is on (HAFDBS
 * >= 1), else a64_vm_fixup sets it on the access flag fault.  Table
 * descriptors carry no AF before ARMv8.9 (FEAT_HAFT), so nothing
 * records which tables were used: see pt_walk.c's round harvest.
 *
 * A new mapping starts accessed and, when writable, dirty (AF = 1,
 * AP[2] = 0): no fault for the first touch of a fresh stack or heap page,
 * at the price of reporting a page mapped but never written as dirty
 * once (over-reporting is the safe direction for a collector).
 *
 * Invariants of a64_pte_leaf: valid and page (bits 1:0 = 11); UXN always;
 * PXN exactly when not VM_X; SWW (and DBM when dbm) exactly when VM_W;
 * AP[2] exactly when not VM_W; AttrIndx 0 exactly when VM_UC, else 1 with
 * SH inner; AF set; never nG, never contiguous.  VM_W | VM_X together
 * would give a writable executable page: paging.c's arch_map_page
 * refuses that protection (-1) before composing anything.
 */
#ifndef TALLY_A64_PTE_H
#define TALLY_A64_PTE_H

#include <stdint.h>

#define A64_PTE_VALID   (1ull << 0)
#define A64_PTE_TABLE   (1ull << 1)   /* levels 0-2: table (1) or block (0); level 3: page (1) */
#define A64_PTE_ATTR(i) ((uint64_t)(i) << 2)
#define A64_PTE_ATTR_MASK (7ull << 2)
#define A64_PTE_AP_EL0  (1ull << 6)   /* AP[1]: EL0 may access */
#define A64_PTE_AP_RO   (1ull << 7)   /* AP[2]: read-only */
#define A64_PTE_SH_INNER (3ull << 8)
#define A64_PTE_AF      (1ull << 10)
#define A64_PTE_NG      (1ull << 11)
#define A64_PTE_DBM     (1ull << 51)
#define A64_PTE_CONT    (1ull << 52)
#define A64_PTE_PXN     (1ull << 53)
#define A64_PTE_UXN     (1ull << 54)
#define A64_PTE_SWW     (1ull << 55)  /* software: the page is writable (dirty tracking) */
/* software: never cleaned by arch_vm_ad (always reported accessed and
 * dirty): pages near the collector's roots that the fault path itself
 * writes (the image's exception stacks, page tables: paging.c's
 * chunk_pages), which, write-protected by a clean on a CPU without DBM,
 * would fault forever */
#define A64_PTE_NOTRACK (1ull << 56)
#define A64_PTE_ADDR    0x0000fffffffff000ull

#define A64_ATTR_DEVICE 0             /* MAIR index: Device-nGnRnE */
#define A64_ATTR_NORMAL 1             /* MAIR index: Normal WB RWA */
#define A64_MAIR        0xff00ull     /* attr0 = 0x00, attr1 = 0xff */

/* Leaf bits (without the address) of a 4 KiB page for VM_* protection
 * prot; dbm: the CPU manages dirty state itself (set DBM as well). */
static inline uint64_t a64_pte_leaf(unsigned prot, int dbm, unsigned vm_w, unsigned vm_x,
                                    unsigned vm_uc)
{
	uint64_t f = A64_PTE_VALID | A64_PTE_TABLE | A64_PTE_AF | A64_PTE_UXN;
	if (prot & vm_uc)
		f |= A64_PTE_ATTR(A64_ATTR_DEVICE);
	else
		f |= A64_PTE_ATTR(A64_ATTR_NORMAL) | A64_PTE_SH_INNER;
	if (prot & vm_w)
		f |= A64_PTE_SWW | (dbm ? A64_PTE_DBM : 0);
	else
		f |= A64_PTE_AP_RO;
	if (!(prot & vm_x))
		f |= A64_PTE_PXN;
	return f;
}

/* The same bits for a block (level 1: 1 GiB, level 2: 2 MiB). */
static inline uint64_t a64_pte_block(unsigned prot, int dbm, unsigned vm_w, unsigned vm_x,
                                     unsigned vm_uc)
{
	return a64_pte_leaf(prot, dbm, vm_w, vm_x, vm_uc) & ~A64_PTE_TABLE;
}

/* 1 when leaf e is writable-dirty (see the top). */
static inline int a64_pte_dirty(uint64_t e)
{
	return (e & (A64_PTE_SWW | A64_PTE_AP_RO)) == A64_PTE_SWW;
}

/* The MAIR_EL1 attribute (8 bits) that AttrIndx i selects in mair. */
static inline unsigned a64_mair_attr(uint64_t mair, unsigned i) { return (mair >> (8 * i)) & 0xffu; }

#endif

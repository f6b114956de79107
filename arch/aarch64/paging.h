/*
 * paging.h - what paging.c needs from the rest of the aarch64 port, and
 * what it offers it beyond arch/arch.h.  aarch64-private.
 *
 * The image layout and its guard pages come from paging_image.c (the
 * linker script's symbols and the stacks' guards), so paging.c itself
 * names no symbol of one particular image.
 * Context: as each function says.
 */
#ifndef TALLY_A64_PAGING_H
#define TALLY_A64_PAGING_H

#include <stddef.h>
#include <stdint.h>

/* The loaded image: [start, end); text [text_start, text_end) is mapped
 * read-only and executable, [text_end, rodata_end) read-only, the rest
 * read/write.  All page-aligned. */
struct a64_image {
	uint64_t start, end, text_start, text_end, rodata_end;
};
#define A64_GUARDS_MAX 16

/* boot: the running image's layout. */
void a64_image_layout(struct a64_image *im);
/* boot: the guard pages (page addresses) to leave unmapped, at most max;
 * returns how many. */
size_t a64_guard_pages(uintptr_t *out, size_t max);

/* Exception path, interrupts off: the fault at va with fault status code
 * fsc (ESR_EL1.ISS DFSC/IFSC) and write (WnR) is an access flag fault or
 * a write to a writable-clean page on a CPU without hardware dirty-state
 * management (pte.h): set AF or make the page dirty, and return 1 (retry
 * the instruction); else 0 (a real fault). */
int a64_vm_fixup(uintptr_t va, unsigned fsc, int write);
/* any: the MAIR_EL1, TCR_EL1 and TTBR0_EL1 values a CPU loads to use the
 * port's tables (a CPU started after arch_vm_init: load them with its
 * MMU off, invalidate its TLB, then set SCTLR_EL1.M); -1 before
 * arch_vm_init. */
int a64_vm_regs(uint64_t *mair, uint64_t *tcr, uint64_t *ttbr0);
/* any, after arch_vm_init: ID_AA64MMFR1_EL1.HAFDBS as used: 0 (software
 * AF and dirty), 1 (hardware AF), 2 (hardware AF and dirty, DBM). */
int a64_vm_hafdbs(void);

#endif

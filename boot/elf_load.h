/*
 * elf_load.h - validate an ELF64 image and plan how to load it.
 *
 * Purpose: the UEFI front end carries kernel.elf inside itself and must load
 * it at its physical addresses; host tests check the same code on recorded
 * and crafted images.  Nothing here allocates or copies: elf_plan() only
 * checks the image and lists its PT_LOAD segments.
 *
 * Invariants on success: every segment has filesz <= memsz, its file bytes
 * lie inside the image, paddr + memsz does not wrap, segments do not
 * overlap each other, and the entry point lies inside an executable segment.
 *
 * Context: pure function, no globals; safe anywhere.
 */
#ifndef TALLY_ELF_LOAD_H
#define TALLY_ELF_LOAD_H

#include <stdint.h>

#define ELF_PLAN_MAX 8

struct elf_seg {
	uint64_t offset;  /* in the file */
	uint64_t paddr;   /* load address (physical) */
	uint64_t vaddr;
	uint64_t filesz;
	uint64_t memsz;
	uint32_t flags;   /* PF_X=1 PF_W=2 PF_R=4 */
};

struct elf_plan {
	uint64_t entry;
	uint32_t nseg;
	struct elf_seg seg[ELF_PLAN_MAX];
	uint64_t lo, hi;  /* lowest paddr, highest paddr+memsz */
};

/* Returns 0, or -1 with a one-line reason in err (never NULL on failure). */
int elf_plan(const void *image, uint64_t size, struct elf_plan *plan,
             char *err, int errlen);

#endif

/*
 * paging_image.c - the layout of the image paging.c maps: the boot test
 * image's (dtboot.ld's symbols, stacks.S's guard pages and stacks, which
 * arch_image_stacks also reports).
 *
 * Purpose: keep paging.c free of one image's symbol names.  The kernel
 * has its own (kernel/image.c: linker.ld's boundaries, kernel/entry.S's
 * stacks).
 * Invariants: every address returned is page-aligned; the guard pages are
 * those mmu.c also leaves unmapped (the boot stack's and the exception
 * stack's, and both of every secondary CPU's slot).
 * Context: boot.
 */
#include <stdint.h>
#include "arch/aarch64/a64.h"
#include "arch/arch.h"
#include "arch/aarch64/paging.h"

extern char _start[], __text_start[], __text_end[], __rodata_end[], _image_end[];
extern char a64_sec_stacks[], a64_boot_stack_top[], a64_exc_stack_top[];
extern const uint64_t a64_guards[2];

void a64_image_layout(struct a64_image *im)
{
	im->start = (uint64_t)(uintptr_t)_start;
	im->end = (uint64_t)(uintptr_t)_image_end;
	im->text_start = (uint64_t)(uintptr_t)__text_start;
	im->text_end = (uint64_t)(uintptr_t)__text_end;
	im->rodata_end = (uint64_t)(uintptr_t)__rodata_end;
}

size_t a64_guard_pages(uintptr_t *out, size_t max)
{
	size_t n = 0;
	for (int i = 0; i < 2 && n < max; i++)
		out[n++] = (uintptr_t)a64_guards[i];
	for (int i = 0; i < A64_MAX_SECONDARY && n + 2 <= max; i++) {
		out[n++] = (uintptr_t)a64_sec_stacks + A64_SLOT_SIZE * (uintptr_t)i;
		out[n++] = (uintptr_t)a64_sec_stacks + A64_SLOT_SIZE * (uintptr_t)i + A64_SLOT_RUN_GUARD;
	}
	return n;
}

/* The boot stack and the boot CPU's exception stack (stacks.S: each
 * above its 4 KiB guard; 16 KiB and 8 KiB).  The secondary CPUs' slots
 * are not listed: the boot test image's secondaries only report and stop. */
size_t arch_image_stacks(uintptr_t *lo, uintptr_t *hi, size_t max)
{
	size_t n = 0;
	if (n < max) {
		lo[n] = (uintptr_t)a64_guards[0] + 4096;
		hi[n++] = (uintptr_t)a64_boot_stack_top;
	}
	if (n < max) {
		lo[n] = (uintptr_t)a64_guards[1] + 4096;
		hi[n++] = (uintptr_t)a64_exc_stack_top;
	}
	return n;
}

/*
 * image.c - the layout of the kernel image for paging.c and the heap's
 * root scan: linker.ld's boundaries and entry.S's stacks (the boot test
 * image has its own, paging_image.c).
 *
 * Invariants: every address returned is page-aligned (linker.ld aligns
 * the segments, entry.S the stacks); the guard pages are the 4 KiB below
 * each stack, which arch_vm_init leaves unmapped.
 * Context: boot.
 */
#include <stdint.h>
#include "arch/aarch64/a64.h"
#include "arch/arch.h"
#include "arch/aarch64/paging.h"

extern char _kernel_start[], _kernel_end[], _text_start[], _text_end[], _rodata_end[];
extern char a64_boot_stack_guard[], a64_exc_stack_guard[];
extern char a64_boot_stack_top[], a64_exc_stack_top[];

void a64_image_layout(struct a64_image *im)
{
	im->start = (uint64_t)(uintptr_t)_kernel_start;
	im->end = (uint64_t)(uintptr_t)_kernel_end;
	im->text_start = (uint64_t)(uintptr_t)_text_start;
	im->text_end = (uint64_t)(uintptr_t)_text_end;
	im->rodata_end = (uint64_t)(uintptr_t)_rodata_end;
}

size_t a64_guard_pages(uintptr_t *out, size_t max)
{
	size_t n = 0;
	if (n < max)
		out[n++] = (uintptr_t)a64_boot_stack_guard;
	if (n < max)
		out[n++] = (uintptr_t)a64_exc_stack_guard;
	return n;
}

size_t arch_image_stacks(uintptr_t *lo, uintptr_t *hi, size_t max)
{
	size_t n = 0;
	if (n < max) {
		lo[n] = (uintptr_t)a64_boot_stack_guard + 4096;
		hi[n++] = (uintptr_t)a64_boot_stack_top;
	}
	if (n < max) {
		lo[n] = (uintptr_t)a64_exc_stack_guard + 4096;
		hi[n++] = (uintptr_t)a64_exc_stack_top;
	}
	return n;
}

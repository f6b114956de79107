/*
 * kernel_blob.S - the kernel ELF carried inside tally.efi.
 *
 * Purpose: one file on the ESP boots Tally; the loader (loader.c) reads
 * the kernel from these bytes instead of from a filesystem.
 *
 * Contract: the build defines TALLY_KERNEL_BLOB as a quoted path, e.g.
 *   -DTALLY_KERNEL_BLOB='"build/x86_64/uefi-obj/kernel.elf"'
 * Symbols: uefi_kernel_start (first byte, 16-byte aligned) and
 * uefi_kernel_end (one past the last byte), both read-only data.  The
 * section is allocated and not writable in the object; gnu-efi's linker
 * script folds every .rodata* section into the image's .data.
 */
#ifndef TALLY_KERNEL_BLOB
#error "TALLY_KERNEL_BLOB must name the kernel ELF to embed"
#endif

	.section .rodata.tally_kernel, "a", @progbits
	.balign 16
	.globl uefi_kernel_start
	.hidden uefi_kernel_start
uefi_kernel_start:
	.incbin TALLY_KERNEL_BLOB
	.globl uefi_kernel_end
	.hidden uefi_kernel_end
uefi_kernel_end:

	.section .note.GNU-stack, "", @progbits

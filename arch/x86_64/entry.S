/*
 * entry.S - from the boot loader's hand-off to boot_main() in 64-bit mode.
 *
 * Three ways in, one way on:
 *   pvh_start   32-bit protected mode, paging off, EBX = hvm_start_info
 *               (QEMU -kernel, found through the PVH ELF note)
 *   mb2_start   32-bit protected mode, paging off, EAX = multiboot2 magic,
 *               EBX = multiboot2 information (GRUB, BIOS or UEFI)
 *   _start_uefi64  64-bit long mode (the ELF entry point), RDI = struct
 *               boot_info filled by the UEFI loader, firmware page tables
 * Each records (kind, pointer) in .data, loads the early GDT and the early
 * page tables (identity map of the first 4 GiB with 2 MiB pages, prebuilt
 * as data so no code has to fill them), zeroes .bss, switches to the boot
 * stack and calls boot_main(kind, pointer) with the SysV ABI.
 *
 * Register contract at boot_main: RDI = kind (1 PVH, 2 multiboot2, 3 UEFI,
 * 0 bad multiboot magic), RSI = pointer (physical, zero-extended), RSP =
 * top of boot_stack (16-byte aligned), RBP = 0 (ends backtraces).
 */
#define MB2_MAGIC 0xe85250d6
#define MB2_ARCH  0
#define BOOT_KIND_PVH  1
#define BOOT_KIND_MB2  2
#define BOOT_KIND_UEFI 3

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + MB2_ARCH + (mb2_header_end - mb2_header))
	/* entry address tag: start in 32-bit code at mb2_start */
	.balign 8
	.short 3, 0
	.long 12
	.long mb2_start
	/* end tag */
	.balign 8
	.short 0, 0
	.long 8
mb2_header_end:

	/* PVH: Xen ELF note, type 18 (XEN_ELFNOTE_PHYS32_ENTRY) */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4            /* namesz */
	.long 4            /* descsz */
	.long 18           /* type */
	.asciz "Xen"
	.long pvh_start

	.section .boot32, "ax"
	.code32
	.globl pvh_start
pvh_start:
	cli
	movl $BOOT_KIND_PVH, boot_kind
	movl %ebx, boot_ptr
	jmp common32

	.globl mb2_start
mb2_start:
	cli
	movl %ebx, boot_ptr
	movl $BOOT_KIND_MB2, boot_kind
	cmpl $0x36d76289, %eax
	je common32
	movl $0, boot_kind
common32:
	lgdt early_gdt_ptr
	movl %cr4, %eax
	orl $(1 << 5), %eax              /* PAE */
	movl %eax, %cr4
	movl $early_pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx           /* EFER */
	rdmsr
	orl $(1 << 8), %eax              /* LME */
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 0)), %eax  /* PG | PE */
	movl %eax, %cr0
	ljmp $0x08, $long_entry

	.code64
	.section .text.entry, "ax"
	.globl _start_uefi64
_start_uefi64:
	cli
	movl $BOOT_KIND_UEFI, boot_kind(%rip)
	movq %rdi, boot_ptr(%rip)
	lgdt early_gdt_ptr(%rip)
	movq $early_pml4, %rax
	movq %rax, %cr3
	/* reload CS with our selector */
	leaq boot_stack_top(%rip), %rsp
	pushq $0x08
	leaq long_entry(%rip), %rax
	pushq %rax
	lretq

long_entry:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	/* zero .bss (the boot stack is in .bss: nothing is on it yet) */
	leaq _bss_start(%rip), %rdi
	leaq _bss_end(%rip), %rcx
	subq %rdi, %rcx
	xorl %eax, %eax
	cld
	rep stosb
	leaq boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	movl boot_kind(%rip), %edi
	movq boot_ptr(%rip), %rsi
	call boot_main
1:	cli
	hlt
	jmp 1b

	.section .data
	.balign 8
boot_kind:
	.long 0
	.long 0
boot_ptr:
	.quad 0

	.balign 16
early_gdt:
	.quad 0
	.quad 0x00af9a000000ffff         /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff         /* 0x10: data */
early_gdt_end:
early_gdt_ptr:
	.short early_gdt_end - early_gdt - 1
	.quad early_gdt

	/* Early page tables: identity map of 0..4 GiB, 2 MiB pages, RW. */
	.section .data.pagetables, "aw"
	.balign 4096
	.globl early_pml4
early_pml4:
	.quad early_pdpt + 3
	.fill 511, 8, 0
early_pdpt:
	.quad early_pd + 3
	.quad early_pd + 0x1000 + 3
	.quad early_pd + 0x2000 + 3
	.quad early_pd + 0x3000 + 3
	.fill 508, 8, 0
early_pd:
	.set i, 0
	.rept 2048
	.quad (i << 21) | 0x83
	.set i, i + 1
	.endr

	/* Boot stack with a guard page below it (unmapped by arch_vm_init). */
	.section .bss
	.balign 4096
	.globl boot_stack_guard, boot_stack, boot_stack_top
boot_stack_guard:
	.skip 4096
boot_stack:
	.skip 65536
boot_stack_top:

/*
 * trampoline.S - application-processor start-up code.
 *
 * Copied to physical TRAMP_BASE (0x8000, below 1 MiB as SIPI requires)
 * by arch_start_cpu(), which fills the data block at its end.  The AP
 * starts in real mode at TRAMP_BASE (SIPI vector 0x08), loads the
 * trampoline's GDT, enters protected mode, enables PAE, loads the kernel's
 * CR3 (which must lie below 4 GiB), sets EFER.LME|NXE, enables paging and
 * far-jumps into 64-bit code that loads its stack and calls
 * entry(arg) with the SysV ABI.  The page at TRAMP_BASE must be mapped
 * executable in the kernel's tables while APs start.
 *
 * Register contract at entry(arg): RDI = arg, RSP = stack top (16-byte
 * aligned), RBP = 0.  Every address below is TRAMP_BASE-relative because
 * the code runs from the copy, not from where the kernel was linked.
 */
#define TRAMP_BASE 0x8000
#define REL(x) ((x) - tramp_start + TRAMP_BASE)

	.section .rodata
	.balign 16
	.globl tramp_start, tramp_end, tramp_data
	.code16
tramp_start:
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl REL(tramp_gdt_ptr)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $REL(tramp_pm32)

	.code32
tramp_pm32:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %cr4, %eax
	orl $(1 << 5), %eax               /* PAE */
	movl %eax, %cr4
	movl REL(tramp_cr3), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx            /* EFER */
	rdmsr
	orl REL(tramp_efer), %eax         /* LME, and NXE when the BSP uses it */
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16) | 1), %eax  /* PG | WP | PE */
	movl %eax, %cr0
	ljmpl $0x18, $REL(tramp_lm64)

	.code64
tramp_lm64:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movq REL(tramp_stack), %rsp
	movq REL(tramp_arg), %rdi
	movq REL(tramp_entry), %rax
	xorl %ebp, %ebp
	call *%rax
1:	cli
	hlt
	jmp 1b

	.balign 16
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff          /* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff          /* 0x10: data */
	.quad 0x00af9a000000ffff          /* 0x18: 64-bit code */
tramp_gdt_ptr:
	.short tramp_gdt_ptr - tramp_gdt - 1
	.long REL(tramp_gdt)

	.balign 8
tramp_data:                           /* filled by arch_start_cpu */
tramp_cr3:   .quad 0                  /* +0 */
tramp_efer:  .quad 0                  /* +8 */
tramp_stack: .quad 0                  /* +16 */
tramp_entry: .quad 0                  /* +24 */
tramp_arg:   .quad 0                  /* +32 */
tramp_end:

/*
 * stacks.S - every stack of the aarch64 boot test image, each with an
 * unmapped guard page below it.
 *
 * Layout (section .stacks, after .bss, not zeroed; 4 KiB pages):
 *   guard | boot stack 16 KiB          (SP_EL0 of the boot CPU)
 *   guard | exception stack 8 KiB      (SP_EL1 of the boot CPU)
 *   8 slots of 20 KiB, one per CPU started by CPU_ON (head.S):
 *     guard | exception stack 4 KiB | guard | stack 8 KiB
 * mmu.c leaves every guard page unmapped, so a stack that overflows
 * takes a translation fault (level 3) at its guard instead of writing over
 * what lies below; the fault is taken on the exception stack and reported
 * (trap.c).  a64_guards lists the boot CPU's two guards; the slots' are at
 * a64_sec_stacks + 20480 s and + 20480 s + 8192 (A64_SLOT_* in a64.h).
 */
	.section .stacks, "aw", %nobits
	.balign	4096
a64_guard_boot:
	.skip	4096
	.skip	16384
	.globl	a64_boot_stack_top
a64_boot_stack_top:
a64_guard_exc:
	.skip	4096
	.skip	8192
	.globl	a64_exc_stack_top
a64_exc_stack_top:
	.globl	a64_sec_stacks
a64_sec_stacks:
	.skip	20480 * 8

	.section .rodata
	.balign	8
	.globl	a64_guards
a64_guards:
	.quad	a64_guard_boot, a64_guard_exc

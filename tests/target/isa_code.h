/*
 * isa_code.h - the few machine instructions on-target tests write into
 * memory and run, one definition per ISA (tests/target/<isa>/isa_code.c),
 * so that the tests themselves carry no ISA #ifdef.
 */
#ifndef TALLY_TESTS_ISA_CODE_H
#define TALLY_TESTS_ISA_CODE_H

#include <stddef.h>

/* Fill len bytes at p (a multiple of 64, through a data mapping) with
 * return instructions, so that a call to any 64-byte-aligned offset of an
 * executable mapping of the same memory returns at once; the caches are
 * made coherent for execution. */
void isa_fill_ret(void *p, size_t len);

/* The unmapped guard page below the boot CPU's boot stack. */
void *isa_boot_stack_guard(void);

/* arch_try's result for a jump to a page mapped without execute
 * permission (x86_64: #PF + 1; aarch64: instruction abort, EC 0x21 + 1). */
unsigned isa_try_exec_fault(void);

#endif

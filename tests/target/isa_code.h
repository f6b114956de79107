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

#endif

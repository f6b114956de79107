/*
 * ksyms.h - symbol table embedded in the kernel image at build time.
 *
 * tools/gen-ksyms.py writes it from the first link's `nm -n` into a .ksyms
 * section placed last in the image, so the second link moves nothing else.
 */
#ifndef TALLY_KSYMS_H
#define TALLY_KSYMS_H

#include <stdint.h>

/* Name of the function containing addr and the offset into it; NULL when
 * addr is outside the kernel's text. */
const char *ksyms_lookup(uintptr_t addr, uintptr_t *offset);
uint64_t ksyms_count(void);

#endif

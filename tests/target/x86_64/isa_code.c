/*
 * isa_code.c - tests/target/isa_code.h on x86_64: `ret` is the byte 0xc3;
 * the instruction cache is coherent with stores (nothing to maintain).
 */
#include <string.h>
#include "tests/target/isa_code.h"

void isa_fill_ret(void *p, size_t len)
{
	memset(p, 0xc3, len);
}

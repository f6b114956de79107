/*
 * ksyms.c - address-to-name lookup over the embedded symbol table.
 *
 * Data structures (emitted by tools/gen-ksyms.py): ksyms_table is an array
 * of { address, offset of the name in ksyms_names } sorted by address, with
 * a final sentinel entry at the end of text.  Lookup is a binary search.
 * Context: any (read-only data, no locks).
 */
#include <stddef.h>
#include "kernel/ksyms.h"

struct ksym {
	uint64_t addr;
	uint64_t name;
};

extern const uint64_t ksyms_n;
extern const struct ksym ksyms_table[];
extern const char ksyms_names[];
extern char _text_start[], _text_end[];

uint64_t ksyms_count(void) { return ksyms_n; }

const char *ksyms_lookup(uintptr_t addr, uintptr_t *offset)
{
	if (addr < (uintptr_t)_text_start || addr >= (uintptr_t)_text_end || ksyms_n == 0)
		return NULL;
	size_t lo = 0, hi = ksyms_n;  /* find last entry with addr <= a */
	if (ksyms_table[0].addr > addr)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ksyms_table[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksyms_table[lo].addr;
	return ksyms_names + ksyms_table[lo].name;
}

/*
 * memmap.h - make a boot memory map trustworthy.
 *
 * Purpose: firmware maps come unsorted, overlapping, unaligned and sometimes
 * wrong.  memmap_sanitize() turns any list of boot_mmap_entry into a sorted,
 * disjoint list where, on overlap, the more restrictive type wins
 * (BAD > ACPI_NVS > RESERVED > ACPI_RECLAIM > BOOT_RECLAIM > USABLE),
 * adjacent entries of one type are merged, USABLE and BOOT_RECLAIM ranges
 * are shrunk inward to page (4 KiB) boundaries, and empty or wrapping
 * entries are dropped.
 *
 * Invariants after sanitize: for i < n-1: map[i].base + map[i].len <=
 * map[i+1].base; len > 0; usable ranges are page-aligned.
 *
 * Context: pure; works in place with a caller-supplied capacity (splitting
 * an entry can add entries; if max is reached the rest is dropped as the
 * conservative choice and -1 is returned via *overflow).
 */
#ifndef TALLY_MEMMAP_H
#define TALLY_MEMMAP_H

#include <stddef.h>
#include <stdint.h>
#include "boot/boot_info.h"

/* Returns the new count. *overflow (may be NULL) is set to 1 if entries had
 * to be dropped for lack of room, else 0. */
size_t memmap_sanitize(struct boot_mmap_entry *map, size_t n, size_t max,
                       int *overflow);
/* Mark [base, base+len) as type (e.g. the kernel image as RESERVED) in a
 * sanitized map, keeping it sanitized.  Returns the new count. */
size_t memmap_mark(struct boot_mmap_entry *map, size_t n, size_t max,
                   uint64_t base, uint64_t len, uint32_t type);
/* Sum of lengths of entries of the given type. */
uint64_t memmap_total(const struct boot_mmap_entry *map, size_t n,
                      uint32_t type);
/* Highest end address of any entry of the given type (0 if none). */
uint64_t memmap_top(const struct boot_mmap_entry *map, size_t n,
                    uint32_t type);
const char *memmap_type_name(uint32_t type);
/* 1 if every byte of [base, base+len) lies in entries of a sanitized map
 * whose type t has bit (1u << t) set in types; 0 if any byte is in a hole
 * or in an entry of another type, and for len == 0 or a range that wraps.
 * E.g. "is this firmware pointer RAM or firmware memory, not a device
 * hole" before reading it. */
int memmap_covers(const struct boot_mmap_entry *map, size_t n, uint64_t base,
                  uint64_t len, uint32_t types);

#endif

/*
 * pmem.h - physical page allocator (buddy system over the boot memory map).
 *
 * Purpose: hand out naturally aligned blocks of 2^order 4 KiB pages.
 * Data structures: one free list per order (0..PMEM_MAX_ORDER), threaded
 * through the free blocks themselves, and one byte of state per page frame
 * (free-block head with its order, or allocated) kept in an array carved
 * from the largest usable range at init.
 *
 * Invariants:
 *   free_pages == sum over orders k of (length of free list k) << k
 *   a block on list k is 2^k-page aligned and its buddy is not also a free
 *   block of order k (they would have been merged).
 *   pages outside the usable map are never on a list.
 *
 * Locking: one spinlock guards the lists and the state array.
 * Context: callable with interrupts disabled; never sleeps; never faults
 * (memory is reached through the phys-to-virt offset given at init).
 */
#ifndef TALLY_PMEM_H
#define TALLY_PMEM_H

#include <stddef.h>
#include <stdint.h>
#include "boot/boot_info.h"

#define PMEM_PAGE_SIZE 4096ull
/* 1 GiB blocks: few free blocks at init means few pages touched.  Under
 * QEMU the first touch of guest RAM costs a host huge-page fault, and 4 MiB
 * top blocks made pmem_init take ~1 s of wall time at 512 MiB (measured:
 * 2.3e9 TSC cycles vs 1.4e7 with 1 GiB blocks, 1.3e6 instructions both). */
#define PMEM_MAX_ORDER 18

/* Initialise from a sanitized map: every USABLE range at or above
 * min_addr becomes free.  virt_base is added to a physical address to reach
 * it.  Returns 0, or -1 if no range can hold the allocator's state. */
int pmem_init(const struct boot_mmap_entry *map, size_t n, uint64_t min_addr,
              uintptr_t virt_base);
/* Add a page-aligned range of RAM (e.g. BOOT_RECLAIM memory) that lies
 * inside the span pmem_init saw.  Returns pages added. */
uint64_t pmem_add_range(uint64_t base, uint64_t len);
/* Allocate 2^order pages; returns the physical address or 0 if none. */
uint64_t pmem_alloc(unsigned order);
/* Free a block previously returned by pmem_alloc(order). Panics (through
 * pmem_fatal) on a double free or a misaligned address. */
void pmem_free(uint64_t pa, unsigned order);
uint64_t pmem_free_pages(void);
uint64_t pmem_total_pages(void);  /* pages ever made free */
/* Called on a detected corruption/misuse with a constant message. Provided
 * by the kernel (panic) or by the host test. */
void pmem_fatal(const char *msg);

#endif

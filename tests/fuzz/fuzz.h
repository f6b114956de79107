/*
 * fuzz.h - helpers shared by the libFuzzer harnesses in tests/fuzz/.
 *
 * Purpose: each harness feeds arbitrary bytes to one parser and then
 * checks the promises its module's header writes down; a broken promise
 * is FZ_CHECK's abort(), which libFuzzer reports as a crash and saves as
 * an input to replay.  AddressSanitizer and UBSan catch the rest.
 *
 * Data structures: struct fz_mem is a snapshot of physical memory in the
 * TALLYFX1 format of tests/fixtures/README.md (so recorded boots seed the
 * corpora), parsed from the fuzzer's input.  fz_phys(), a boot_phys_fn,
 * answers a read only if [pa, pa+len) lies inside one region and returns
 * a fresh exactly-sized heap copy (freed by fz_mem_free), so a parser that
 * reads past what it asked for is a heap-buffer-overflow.
 *
 * Context: host only, single-threaded, one input at a time.
 */
#ifndef TALLY_FUZZ_H
#define TALLY_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "boot/boot_info.h"

#define FZ_CHECK(cond)                                                         \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: broken promise: %s\n",         \
			        __FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

#define FZ_MAX_REGIONS 64

struct fz_region {
	uint64_t base, len;
	uint8_t *data;          /* writable copy of the input's bytes */
};

struct fz_copy;

struct fz_mem {
	uint32_t kind;          /* TALLYFX1 kind (harnesses may use high bits) */
	uint32_t nreg;
	uint64_t arg;           /* the address handed to the parser */
	struct fz_region reg[FZ_MAX_REGIONS];
	uint8_t *buf;           /* one block holding every region's bytes */
	struct fz_copy *copies; /* blocks handed out by fz_phys */
};

/* Parse a TALLYFX1 image; 0, or -1 (m is then empty, nothing to free). */
int fz_mem_parse(const uint8_t *data, size_t size, struct fz_mem *m);
/* One region at base holding all of data, arg = base (raw inputs). */
int fz_mem_raw(const uint8_t *data, size_t size, uint64_t base, struct fz_mem *m);
void fz_mem_free(struct fz_mem *m);
const void *fz_phys(void *ctx, uint64_t pa, uint64_t len);
/* The bytes at [pa, pa+len) inside one region, without a copy; or NULL. */
const uint8_t *fz_peek(const struct fz_mem *m, uint64_t pa, uint64_t len);

/* boot_info.h's invariants (magic, version, counts, NUL-terminated
 * strings, RSDP copy) and valid mmap types. */
void fz_check_boot_info(const struct boot_info *bi);
/* memmap.h's invariants after memmap_sanitize / memmap_mark. */
void fz_check_sanitized(const struct boot_mmap_entry *map, size_t n, size_t max);
/* err is a NUL-terminated string inside errlen bytes starting with prefix. */
void fz_check_err(const char *err, size_t errlen, const char *prefix);

#endif

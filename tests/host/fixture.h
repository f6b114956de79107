/*
 * fixture.h - load boot fixtures and their .expect files in host tests.
 *
 * Purpose: the boot parsers are tested on recorded or crafted images of
 * memory as a boot loader leaves it (tests/fixtures/README.md gives the
 * format).  Adding a fixture is adding two files: every test binary lists
 * its fixtures by name prefix at run time and registers one cmocka test per
 * file, so nothing here or in the tests needs editing.
 *
 * Data structures: struct fx_mem is a loaded memory fixture, each region in
 * its own exactly-sized heap block; fx_phys() (a boot_phys_fn) hands out a
 * fresh exactly-sized copy per call, so a parser that reads past what it
 * asked for is caught by AddressSanitizer.  struct fx_expect holds the
 * non-comment lines of an .expect file.
 *
 * Context: host only (stdio, malloc, cmocka).
 */
#ifndef TALLY_TEST_FIXTURE_H
#define TALLY_TEST_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "boot/boot_info.h"

#define FX_KIND_PVH 1
#define FX_KIND_MB2 2
#define FX_MAX_REGIONS 64

struct fx_region {
	uint64_t base, len;
	uint8_t *data;
};

struct fx_copy;

struct fx_mem {
	uint32_t kind;
	uint32_t nreg;
	uint64_t arg;  /* physical address handed to the parser */
	struct fx_region reg[FX_MAX_REGIONS];
	struct fx_copy *copies;  /* blocks handed out by fx_phys */
	uint64_t reads;          /* fx_phys calls that succeeded */
};

struct fx_expect {
	size_t n;
	char **key;  /* first word of each line */
	char **val;  /* the rest after one space ("" if none) */
};

/* Directory holding the fixtures: $TALLY_FIXTURES or the build default. */
const char *fx_dir(void);
/* Join dir/name into a static buffer (valid until the next call). */
const char *fx_path(const char *name);
/* Read a whole file into an exactly-sized malloc'd block; 0 or -1. */
int fx_read_file(const char *path, uint8_t **data, size_t *len);

/* Memory fixtures (TALLYFX1). Return 0, or -1 with a message on stderr. */
int fx_mem_load(const char *path, struct fx_mem *m);
int fx_mem_init(struct fx_mem *m, uint32_t kind, uint64_t arg);
/* Add a region (copied); returns a pointer to the copy for patching. */
uint8_t *fx_mem_add(struct fx_mem *m, uint64_t base, const void *data,
                    uint64_t len);
void fx_mem_free(struct fx_mem *m);
const void *fx_phys(void *ctx, uint64_t pa, uint64_t len);

/* .expect of a fixture path (the extension replaced). */
int fx_expect_load(const char *fixture_path, struct fx_expect *e);
void fx_expect_free(struct fx_expect *e);
/* Value of the first line with this key, or NULL. */
const char *fx_expect_get(const struct fx_expect *e, const char *key);
size_t fx_expect_count(const struct fx_expect *e, const char *key);
/* Parse a number (0x hex or decimal) or fail the test. */
uint64_t fx_num(const char *s);

/* Check rc/err/bi against an .expect: result, loader, cmdline, rsdp_len,
 * rsdp_addr, fb, mmap lines (all present keys) plus the boot_info
 * invariants on success. */
void fx_check_boot_info(const struct fx_expect *e, int rc, const char *err,
                        const struct boot_info *bi);
/* Check only the "result" line: returns 1 if ok was expected. */
int fx_check_result(const struct fx_expect *e, int rc, const char *err);

/* Write a valid RSDP into buf: revision rev; for rev >= 2, length bytes
 * (>= 36) with both checksums fixed.  Returns the bytes written. */
size_t fx_make_rsdp(uint8_t *buf, uint8_t rev, uint32_t length,
                    const char *oem);
/* Store v little-endian in n bytes. */
void fx_put(uint8_t *p, uint64_t v, int n);

/* Run one cmocka group: the static tests, then one test per fixture file
 * whose name starts with prefix (several may be given separated by '|')
 * and ends with suffix (state = its path), sorted by name, then a test
 * that fails if there were fewer than min_fixtures. */
int fx_run_group(const char *group, const struct CMUnitTest *tests,
                 size_t ntests, const char *prefix, const char *suffix,
                 CMUnitTestFunction per_fixture, size_t min_fixtures);

#endif

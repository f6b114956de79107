/*
 * fuzz_pvh.c - pvh_parse() (boot/pvh.c), then what the kernel does next
 * with its result: boot_info_scan_rsdp() when no RSDP came with it, and
 * memmap_sanitize() on the memory map.
 *
 * Input: a TALLYFX1 snapshot (arg: the hvm_start_info address), or raw
 * bytes taken as memory at 0x10000 with hvm_start_info at its start.
 * Promises checked (boot_info.h, pvh.c): on success bi satisfies
 * boot_info.h's invariants and loader is "pvh"; on failure err is one
 * line starting "pvh: "; both parses of the same memory agree; the
 * sanitized map satisfies memmap.h; no read past what was asked for.
 */
#include <string.h>
#include "tests/fuzz/fuzz.h"
#include "kernel/mem/memmap.h"

static struct boot_info bi, bi2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_mem m;
	char err[160], err2[160];
	int rc;
	size_t n;

	if (fz_mem_parse(data, size, &m) != 0)
		fz_mem_raw(data, size, 0x10000, &m);
	memset(err, 0x5a, sizeof err);
	rc = pvh_parse(&bi, m.arg, fz_phys, &m, err, (int)sizeof err);
	FZ_CHECK(rc == 0 || rc == -1);
	FZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
	FZ_CHECK(pvh_parse(&bi2, m.arg, fz_phys, &m, err2, (int)sizeof err2) == rc);
	FZ_CHECK(memcmp(&bi, &bi2, sizeof bi) == 0 && strcmp(err, err2) == 0);
	if (rc != 0) {
		fz_check_err(err, sizeof err, "pvh: ");
		FZ_CHECK(strchr(err, '\n') == NULL);
		fz_mem_free(&m);
		return 0;
	}
	FZ_CHECK(err[0] == '\0');
	fz_check_boot_info(&bi);
	FZ_CHECK(strcmp(bi.loader, "pvh") == 0);
	if (bi.rsdp_len == 0) {
		(void)boot_info_scan_rsdp(&bi, fz_phys, &m);
		fz_check_boot_info(&bi);
	}
	n = memmap_sanitize(bi.mmap, bi.mmap_count, BOOT_MMAP_MAX, NULL);
	fz_check_sanitized(bi.mmap, n, BOOT_MMAP_MAX);
	fz_mem_free(&m);
	return 0;
}

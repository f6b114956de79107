/*
 * boot_info.c - build a struct boot_info: memory map, command line, RSDP.
 *
 * Purpose: the small constructors every front end uses (boot_info.h), the
 * RSDP validation shared by all of them, the legacy BIOS-area RSDP scan the
 * kernel falls back on when a boot protocol gave no RSDP, and the E820 and
 * UEFI memory type conversions (boot_info_impl.h).
 *
 * Data structures: struct boot_info is fixed-size and pointer-free; this
 * file only appends to its mmap array, copies bounded strings into it and
 * copies a validated RSDP into it.
 *
 * RSDP rules (ACPI 6.x, 5.2.5.3): signature "RSD PTR ", the first 20 bytes
 * sum to 0 mod 256; revision >= 2 adds a length field (offset 20) that must
 * be >= 36 and bytes [0, length) must sum to 0 as well.  Revision 0 (ACPI
 * 1.0) keeps 20 bytes (rsdp_len 20); revision >= 2 keeps the first 36
 * (rsdp_len 36) even if length is larger.  Revision 1 was never defined and
 * is treated like 0.
 *
 * BIOS scan (ACPI 5.2.5.1): 16-byte boundaries of the first KiB of the
 * EBDA, whose segment is the 16-bit word at physical 0x40E, then of
 * 0xE0000-0xFFFFF.  The EBDA is only scanned if it lies in 0x400-0x9FFFF
 * (a zero or absurd segment means there is none).  A candidate whose
 * signature matches but whose checksum fails is skipped, not fatal.
 *
 * Invariants: every function leaves bi satisfying boot_info.h's invariants
 * (cmdline and loader NUL-terminated, mmap_count <= BOOT_MMAP_MAX, rsdp_len
 * in {0, 20, 36}); a failed set_rsdp leaves bi unchanged.
 *
 * Locking: none; the caller owns bi.
 * Context: pure; uses only memcpy and memset (both present in GNU-EFI's
 * libefi, so the UEFI loader can link this file); no allocation.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "boot/boot_info.h"
#include "boot/boot_info_impl.h"

#define RSDP_V1_LEN   20u
#define RSDP_V2_LEN   36u
#define RSDP_MAX_LEN  4096u   /* refuse absurd extended lengths */
#define BDA_EBDA_SEG  0x40Eu

void boot_info_init(struct boot_info *bi, const char *loader)
{
	size_t i;

	memset(bi, 0, sizeof *bi);
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	for (i = 0; loader != NULL && loader[i] != '\0' &&
	     i < BOOT_LOADER_MAX - 1; i++)
		bi->loader[i] = loader[i];
}

int boot_info_add_mem(struct boot_info *bi, uint64_t base, uint64_t len,
                      uint32_t type)
{
	struct boot_mmap_entry *e;

	if (len == 0)
		return 0;
	if (bi->mmap_count >= BOOT_MMAP_MAX)
		return -1;
	e = &bi->mmap[bi->mmap_count++];
	e->base = base;
	e->len = len;
	e->type = type;
	e->pad = 0;
	return 0;
}

void boot_info_set_cmdline(struct boot_info *bi, const char *s, uint64_t len)
{
	uint64_t i;

	for (i = 0; s != NULL && i < len && i < BOOT_CMDLINE_MAX - 1 &&
	     s[i] != '\0'; i++)
		bi->cmdline[i] = s[i];
	memset(bi->cmdline + i, 0, BOOT_CMDLINE_MAX - i);
}

static int sums_to_zero(const uint8_t *p, uint64_t n)
{
	uint8_t sum = 0;

	while (n-- > 0)
		sum = (uint8_t)(sum + *p++);
	return sum == 0;
}

static int is_rsdp_sig(const uint8_t *p)
{
	static const char sig[] = "RSD PTR ";
	int i;

	for (i = 0; i < 8; i++)
		if (p[i] != (uint8_t)sig[i])
			return 0;
	return 1;
}

int boot_info_set_rsdp(struct boot_info *bi, const void *rsdp, uint64_t len,
                       uint64_t addr)
{
	const uint8_t *p = rsdp;
	uint32_t keep = RSDP_V1_LEN, xlen;

	if (p == NULL || len < RSDP_V1_LEN || !is_rsdp_sig(p) ||
	    !sums_to_zero(p, RSDP_V1_LEN))
		return -1;
	if (p[15] >= 2) {
		if (len < RSDP_V2_LEN)
			return -1;
		xlen = _boot_rd32(p + 20);
		if (xlen < RSDP_V2_LEN || xlen > len || !sums_to_zero(p, xlen))
			return -1;
		keep = RSDP_V2_LEN;
	}
	memset(bi->rsdp, 0, sizeof bi->rsdp);
	memcpy(bi->rsdp, p, keep);
	bi->rsdp_len = keep;
	bi->rsdp_addr = addr;
	return 0;
}

int boot_info_rsdp_at(struct boot_info *bi, uint64_t pa, boot_phys_fn phys,
                      void *ctx)
{
	const uint8_t *p = phys(ctx, pa, RSDP_V1_LEN);
	uint32_t xlen;

	if (p == NULL || !is_rsdp_sig(p))
		return -1;
	if (p[15] < 2)
		return boot_info_set_rsdp(bi, p, RSDP_V1_LEN, pa);
	p = phys(ctx, pa, RSDP_V2_LEN);
	if (p == NULL)
		return -1;
	xlen = _boot_rd32(p + 20);
	if (xlen < RSDP_V2_LEN || xlen > RSDP_MAX_LEN)
		return -1;
	p = phys(ctx, pa, xlen);
	if (p == NULL)
		return -1;
	return boot_info_set_rsdp(bi, p, xlen, pa);
}

/* Try every 16-byte boundary in [lo, hi). */
static int scan_range(struct boot_info *bi, uint64_t lo, uint64_t hi,
                      boot_phys_fn phys, void *ctx)
{
	uint64_t pa;

	for (pa = (lo + 15) & ~15ull; pa + 16 <= hi; pa += 16) {
		const uint8_t *p = phys(ctx, pa, 8);

		if (p != NULL && is_rsdp_sig(p) &&
		    boot_info_rsdp_at(bi, pa, phys, ctx) == 0)
			return 0;
	}
	return -1;
}

int boot_info_scan_rsdp(struct boot_info *bi, boot_phys_fn phys, void *ctx)
{
	const uint8_t *p = phys(ctx, BDA_EBDA_SEG, 2);

	if (p != NULL) {
		uint64_t ebda = (uint64_t)_boot_rd16(p) << 4;

		if (ebda >= 0x400 && ebda < 0xA0000) {
			uint64_t end = ebda + 1024 < 0xA0000 ? ebda + 1024 :
			                                       0xA0000;

			if (scan_range(bi, ebda, end, phys, ctx) == 0)
				return 0;
		}
	}
	return scan_range(bi, 0xE0000, 0x100000, phys, ctx);
}

uint32_t boot_e820_type(uint32_t e820)
{
	switch (e820) {
	case 1: return BOOT_MEM_USABLE;
	case 3: return BOOT_MEM_ACPI_RECLAIM;
	case 4: return BOOT_MEM_ACPI_NVS;
	case 5: return BOOT_MEM_BAD;
	default: return BOOT_MEM_RESERVED;
	}
}

uint32_t boot_efi_type(uint32_t efi)
{
	switch (efi) {
	case 1:  /* EfiLoaderCode */
	case 2:  /* EfiLoaderData */
	case 3:  /* EfiBootServicesCode */
	case 4:  /* EfiBootServicesData */
		return BOOT_MEM_BOOT_RECLAIM;
	case 7:  /* EfiConventionalMemory */
		return BOOT_MEM_USABLE;
	case 8:  /* EfiUnusableMemory */
		return BOOT_MEM_BAD;
	case 9:  /* EfiACPIReclaimMemory */
		return BOOT_MEM_ACPI_RECLAIM;
	case 10: /* EfiACPIMemoryNVS */
		return BOOT_MEM_ACPI_NVS;
	default: /* reserved, runtime services, MMIO, PAL, persistent... */
		return BOOT_MEM_RESERVED;
	}
}

uint32_t boot_info_add_efi_mmap(struct boot_info *bi, const void *map,
                                uint64_t map_size, uint64_t desc_size)
{
	const uint8_t *d = map;
	uint32_t first = bi->mmap_count, dropped = 0;
	uint64_t off;

	if (desc_size < 40)
		return 0;
	for (off = 0; off + desc_size <= map_size; off += desc_size) {
		uint32_t type = boot_efi_type(_boot_rd32(d + off));
		uint64_t base = _boot_rd64(d + off + 8);
		uint64_t pages = _boot_rd64(d + off + 24);
		uint64_t len = pages << 12;
		struct boot_mmap_entry *last;

		if (pages == 0 || pages >> 52 != 0 || base + len < base)
			continue;
		last = bi->mmap_count > first ? &bi->mmap[bi->mmap_count - 1]
		                              : NULL;
		if (last != NULL && last->type == type &&
		    last->base + last->len == base) {
			last->len += len;
			continue;
		}
		if (boot_info_add_mem(bi, base, len, type) != 0)
			dropped++;
	}
	return dropped;
}

/*
 * pvh.c - PVH boot (QEMU -kernel): struct hvm_start_info to boot_info.
 *
 * Purpose: a kernel with a Xen PVH ELF note is entered in 32-bit protected
 * mode with %ebx holding the physical address of struct hvm_start_info.
 * pvh_parse() reads it, its E820-style memory map and its command line
 * through a boot_phys_fn, and fills a struct boot_info with loader "pvh".
 *
 * Data structures (Xen public/arch-x86/hvm/start_info.h, little-endian):
 *   hvm_start_info:   0 u32 magic (0x336ec578)   4 u32 version
 *                     8 u32 flags               12 u32 nr_modules
 *                    16 u64 modlist_paddr       24 u64 cmdline_paddr
 *                    32 u64 rsdp_paddr
 *       version >= 1:40 u64 memmap_paddr        48 u32 memmap_entries
 *                    52 u32 reserved            (56 bytes)
 *   hvm_memmap_table_entry: u64 addr, u64 size, u32 type (E820), u32 pad.
 * Modules are not used by Tally and are ignored.
 *
 * Policy: a bad magic, version 0 (no memory map), an empty or unreadable
 * memory map, or an unreadable command line is an error.  An rsdp_paddr
 * that does not hold a valid RSDP is ignored (rsdp_len stays 0, like
 * rsdp_paddr == 0): the kernel then calls boot_info_scan_rsdp() itself;
 * pvh_parse never scans.  Memory-map entries beyond BOOT_MMAP_MAX are
 * dropped (the conservative choice: unmapped memory is never used).
 *
 * Invariants: on success bi satisfies boot_info.h; on failure err holds a
 * one-line reason starting with "pvh: " and bi is initialised but partial.
 *
 * Locking: none.  Context: runs before the kernel owns memory management;
 * pure apart from the reads through phys; no allocation.
 */
#include <stdint.h>
#include "boot/boot_info.h"
#include "boot/boot_info_impl.h"
#include "kernel/lib/bootfmt.h"

#define SI_V0_LEN      40u
#define SI_V1_LEN      56u
#define MEMMAP_ENT_LEN 24u
#define MEMMAP_MAX     4096u  /* refuse absurd entry counts */

static int fail_at(char *err, int errlen, const char *what, uint64_t pa,
                   const char *tail)
{
	bootfmt_clear(err, errlen);
	bootfmt_cat(err, errlen, "pvh: ");
	bootfmt_cat(err, errlen, what);
	bootfmt_hex(err, errlen, pa);
	bootfmt_cat(err, errlen, tail);
	return -1;
}

/* Copy the NUL-terminated string at pa (at most BOOT_CMDLINE_MAX - 1
 * bytes, longer ones are truncated).  Reads byte by byte so a string that
 * ends just before unreadable memory is still read. */
static int read_cmdline(struct boot_info *bi, uint64_t pa, boot_phys_fn phys,
                        void *ctx)
{
	uint64_t i;

	for (i = 0; i < BOOT_CMDLINE_MAX - 1; i++) {
		const char *c = phys(ctx, pa + i, 1);

		if (c == 0) {
			bi->cmdline[0] = '\0';
			return -1;
		}
		bi->cmdline[i] = *c;
		if (*c == '\0')
			return 0;
	}
	bi->cmdline[i] = '\0';
	return 0;
}

int pvh_parse(struct boot_info *bi, uint64_t start_info_pa, boot_phys_fn phys,
              void *ctx, char *err, int errlen)
{
	const uint8_t *si, *mm;
	uint32_t magic, version, n, i;
	uint64_t cmdline_pa, rsdp_pa, memmap_pa;

	bootfmt_clear(err, errlen);
	boot_info_init(bi, "pvh");
	si = phys(ctx, start_info_pa, SI_V0_LEN);
	if (si == 0)
		return fail_at(err, errlen, "hvm_start_info at ",
		               start_info_pa, " unreadable");
	magic = _boot_rd32(si);
	if (magic != PVH_START_MAGIC) {
		fail_at(err, errlen, "bad magic ", magic, " in hvm_start_info at ");
		bootfmt_hex(err, errlen, start_info_pa);
		bootfmt_cat(err, errlen, ", expected 0x336ec578");
		return -1;
	}
	version = _boot_rd32(si + 4);
	if (version == 0)
		return fail_at(err, errlen, "hvm_start_info at ", start_info_pa,
		               " is version 0, which has no memory map "
		               "(need version >= 1)");
	cmdline_pa = _boot_rd64(si + 24);
	rsdp_pa = _boot_rd64(si + 32);
	si = phys(ctx, start_info_pa, SI_V1_LEN);
	if (si == 0)
		return fail_at(err, errlen, "hvm_start_info at ",
		               start_info_pa, " unreadable (56 bytes)");
	memmap_pa = _boot_rd64(si + 40);
	n = _boot_rd32(si + 48);
	if (n == 0 || memmap_pa == 0)
		return fail_at(err, errlen, "memory map is empty (memmap_paddr ",
		               memmap_pa, ")");
	if (n > MEMMAP_MAX) {
		fail_at(err, errlen, "memory map at ", memmap_pa, " has ");
		bootfmt_dec(err, errlen, n);
		bootfmt_cat(err, errlen, " entries (at most 4096 accepted)");
		return -1;
	}
	mm = phys(ctx, memmap_pa, (uint64_t)n * MEMMAP_ENT_LEN);
	if (mm == 0) {
		fail_at(err, errlen, "memory map at ", memmap_pa, " (");
		bootfmt_dec(err, errlen, n);
		bootfmt_cat(err, errlen, " entries) unreadable");
		return -1;
	}
	for (i = 0; i < n; i++) {
		const uint8_t *e = mm + (uint64_t)i * MEMMAP_ENT_LEN;

		(void)boot_info_add_mem(bi, _boot_rd64(e), _boot_rd64(e + 8),
		                        boot_e820_type(_boot_rd32(e + 16)));
	}
	if (cmdline_pa != 0 && read_cmdline(bi, cmdline_pa, phys, ctx) != 0)
		return fail_at(err, errlen, "command line at ", cmdline_pa,
		               " unreadable");
	if (rsdp_pa != 0)
		(void)boot_info_rsdp_at(bi, rsdp_pa, phys, ctx);
	return 0;
}

/*
 * dtb.c - device-tree boot (arm64 Image, QEMU -kernel): a flattened
 * device tree to boot_info.
 *
 * Purpose: an arm64 Image is entered with the DTB's physical address in
 * x0 and nothing else; the tree holds what PVH's start info or the
 * multiboot2 tags hold on x86_64.  dtb_parse() reads the blob through a
 * boot_phys_fn (header first, then totalsize bytes), opens it with
 * kernel/fdt and fills boot_info with loader "dtb":
 *   - every /memory reg range (device_type "memory") as USABLE;
 *   - the header's memory reservation block and the blob itself as
 *     RESERVED (the machine description reads the tree again later,
 *     through dtb_addr/dtb_len);
 *   - /chosen bootargs as the command line;
 *   - dtb_addr, dtb_len.
 * Overlaps between the ranges are the memory map's to resolve (memmap.c:
 * RESERVED is stronger than USABLE).
 *
 * Policy: an unreadable blob, a bad header or structure, or a tree with
 * no usable memory range or no CPU (fdt_scan's refusals) is an error;
 * fdt_scan's warnings (a malformed node skipped) are not.  Memory ranges
 * beyond what boot_info holds are dropped (unused memory is safe).
 *
 * Invariants: on success bi satisfies boot_info.h; on failure err holds a
 * one-line reason starting with "dtb: " and bi is initialised but partial.
 * Locking: none.  Context: before the kernel owns memory management; no
 * allocation (the scan's result, about 10 KiB, is static: one boot CPU).
 */
#include <stdint.h>
#include <string.h>
#include "boot/boot_info.h"
#include "kernel/fdt/fdt.h"
#include "kernel/lib/kprintf.h"

static struct fdt_info dtb_info;

int dtb_parse(struct boot_info *bi, uint64_t dtb_pa, boot_phys_fn phys, void *ctx, char *err,
              int errlen)
{
	struct fdt f;
	char why[FDT_ERR_LEN];
	const uint8_t *hdr;
	uint32_t i, size;

	boot_info_init(bi, "dtb");
	hdr = phys(ctx, dtb_pa, FDT_HEADER_SIZE);
	if (!hdr) {
		ksnprintf(err, (size_t)errlen, "dtb: header at 0x%llx is not readable",
		          (unsigned long long)dtb_pa);
		return -1;
	}
	if (fdt_be32(hdr) != FDT_MAGIC) {
		ksnprintf(err, (size_t)errlen, "dtb: no device tree at 0x%llx (magic 0x%x)",
		          (unsigned long long)dtb_pa, fdt_be32(hdr));
		return -1;
	}
	size = fdt_be32(hdr + 4);
	const void *blob = phys(ctx, dtb_pa, size);
	if (!blob) {
		ksnprintf(err, (size_t)errlen, "dtb: %u bytes at 0x%llx are not readable", size,
		          (unsigned long long)dtb_pa);
		return -1;
	}
	if (fdt_open(&f, blob, size, why, sizeof why) < 0 ||
	    fdt_scan(&f, &dtb_info, why, sizeof why) < 0) {
		ksnprintf(err, (size_t)errlen, "dtb: %s", why);
		return -1;
	}
	for (i = 0; i < dtb_info.nmem; i++)
		boot_info_add_mem(bi, dtb_info.mem[i].base, dtb_info.mem[i].size, BOOT_MEM_USABLE);
	for (i = 0; i < dtb_info.nrsv; i++)
		boot_info_add_mem(bi, dtb_info.rsv[i].base, dtb_info.rsv[i].size, BOOT_MEM_RESERVED);
	boot_info_add_mem(bi, dtb_pa, size, BOOT_MEM_RESERVED);
	if (dtb_info.has_bootargs)
		boot_info_set_cmdline(bi, dtb_info.bootargs, sizeof dtb_info.bootargs);
	bi->dtb_addr = dtb_pa;
	bi->dtb_len = size;
	return 0;
}

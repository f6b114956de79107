/*
 * boot_info.h - the one structure every boot front end hands to the kernel.
 *
 * Purpose: the three boot paths (QEMU -kernel via PVH, GRUB via multiboot2,
 * UEFI via a GNU-EFI application) gather the facts the kernel needs and
 * convert them into this structure.  After kernel_main() receives it nothing
 * knows how the machine was booted: the loader name is a string for the
 * banner, not something code branches on.
 *
 * Data structures: fixed-size and pointer-free, so it can be filled by a
 * 64-bit UEFI application compiled with different flags, copied by value,
 * and recorded as a test fixture.  Every address is a physical address.
 *
 * Invariants:
 *   magic == BOOT_INFO_MAGIC, version == BOOT_INFO_VERSION
 *   mmap_count <= BOOT_MMAP_MAX; entries need not be sorted or disjoint
 *   (memmap_sanitize() makes them so); cmdline is NUL-terminated.
 *   rsdp_len is 0 (no ACPI), 20 (ACPI 1.0 RSDP) or 36 (ACPI 2.0+ RSDP).
 *   dtb_len is 0 (no device tree) or the bytes readable at dtb_addr (the
 *   blob's own totalsize is checked by the parser, kernel/fdt).
 *
 * Context: front ends fill it before the kernel owns the machine; the kernel
 * copies it into its own .bss at entry and never looks at the original again.
 */
#ifndef TALLY_BOOT_INFO_H
#define TALLY_BOOT_INFO_H

#include <stdint.h>

#define BOOT_INFO_MAGIC   0x7a11b007u
#define BOOT_INFO_VERSION 2u
#define BOOT_MMAP_MAX     256
#define BOOT_CMDLINE_MAX  2048
#define BOOT_LOADER_MAX   64

enum boot_mem_type {
	BOOT_MEM_USABLE = 1,        /* free RAM */
	BOOT_MEM_RESERVED = 2,      /* never touch */
	BOOT_MEM_ACPI_RECLAIM = 3,  /* ACPI tables; keep while they are read */
	BOOT_MEM_ACPI_NVS = 4,      /* firmware's, never touch */
	BOOT_MEM_BAD = 5,           /* defective RAM */
	BOOT_MEM_BOOT_RECLAIM = 6,  /* RAM in use by the boot path (firmware
	                               page tables, loader data); free once the
	                               kernel runs on its own tables and stack */
};

struct boot_mmap_entry {
	uint64_t base;
	uint64_t len;
	uint32_t type;  /* enum boot_mem_type */
	uint32_t pad;
};

struct boot_fb {
	uint64_t addr;  /* 0: no framebuffer */
	uint32_t width, height, pitch;  /* pitch in bytes */
	uint8_t bpp;
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
	uint8_t pad;
};

struct boot_info {
	uint32_t magic;
	uint32_t version;
	char loader[BOOT_LOADER_MAX];   /* e.g. "pvh", "multiboot2 (GRUB 2.06)" */
	uint8_t rsdp[36];               /* copy of the RSDP, see rsdp_len */
	uint32_t rsdp_len;
	uint64_t rsdp_addr;             /* where the RSDP was found, 0 unknown */
	uint64_t dtb_addr;              /* the flattened device tree (aarch64: x0 at entry) */
	uint64_t dtb_len;               /* bytes readable there, 0: none */
	struct boot_fb fb;
	uint32_t mmap_count;
	uint32_t pad;
	struct boot_mmap_entry mmap[BOOT_MMAP_MAX];
	char cmdline[BOOT_CMDLINE_MAX];
};

/*
 * Physical-memory reader used by the parsers so they run both in the kernel
 * (identity access) and in host tests (over a recorded fixture).  Returns a
 * pointer to len readable bytes at physical address pa, or NULL when the
 * range is not readable.  The parsers never dereference anything else.
 */
typedef const void *(*boot_phys_fn)(void *ctx, uint64_t pa, uint64_t len);

/* Append one memory-map entry; returns -1 (and drops it) when full. */
int boot_info_add_mem(struct boot_info *bi, uint64_t base, uint64_t len,
                      uint32_t type);
/* Initialise magic/version and empty everything else. */
void boot_info_init(struct boot_info *bi, const char *loader);
/* Copy a NUL-terminated or len-bounded string into cmdline, truncating. */
void boot_info_set_cmdline(struct boot_info *bi, const char *s, uint64_t len);
/* Validate an RSDP at rsdp (checksums, revision) and copy it in.
 * Returns 0 on success, -1 if it is not a valid RSDP. */
int boot_info_set_rsdp(struct boot_info *bi, const void *rsdp, uint64_t len,
                       uint64_t addr);
/* Scan the legacy BIOS areas (EBDA first KiB, 0xE0000-0xFFFFF) for an RSDP;
 * used only when the boot protocol did not give one.  Returns 0 if found. */
int boot_info_scan_rsdp(struct boot_info *bi, boot_phys_fn phys, void *ctx);

/* PVH (QEMU -kernel): parse struct hvm_start_info at start_info_pa.
 * Returns 0, or -1 with a reason in err on a bad magic / unreadable data. */
int pvh_parse(struct boot_info *bi, uint64_t start_info_pa, boot_phys_fn phys,
              void *ctx, char *err, int errlen);
/* Multiboot2: parse the information structure at mbi_pa. */
int mb2_parse(struct boot_info *bi, uint64_t mbi_pa, boot_phys_fn phys,
              void *ctx, char *err, int errlen);

/* Device tree (arm64 Image): parse the flattened device tree at dtb_pa. */
int dtb_parse(struct boot_info *bi, uint64_t dtb_pa, boot_phys_fn phys,
              void *ctx, char *err, int errlen);

#define PVH_START_MAGIC   0x336ec578u
#define MB2_BOOT_MAGIC    0x36d76289u

#endif

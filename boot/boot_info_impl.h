/*
 * boot_info_impl.h - helpers shared by the boot front ends (PVH, multiboot2,
 * UEFI) on top of boot_info.h.  Not for the kernel proper.
 *
 * Purpose: one place for what several front ends need: unaligned
 * little-endian reads of firmware structures, the E820 and UEFI memory type
 * conversions, reading and validating an RSDP through a boot_phys_fn, and
 * converting a UEFI memory map.
 *
 * Context: pure; no globals; links without a libc except memcpy/memset
 * (which GNU-EFI's libefi provides).
 */
#ifndef TALLY_BOOT_INFO_IMPL_H
#define TALLY_BOOT_INFO_IMPL_H

#include <stdint.h>
#include "boot/boot_info.h"

static inline uint16_t _boot_rd16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t _boot_rd32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline uint64_t _boot_rd64(const void *p)
{
	return (uint64_t)_boot_rd32(p) |
	       (uint64_t)_boot_rd32((const uint8_t *)p + 4) << 32;
}

/* E820 (and multiboot2 mmap) type: 1 RAM, 2 reserved, 3 ACPI reclaimable,
 * 4 ACPI NVS, 5 unusable; anything else is reserved. */
uint32_t boot_e820_type(uint32_t e820);

/* UEFI memory type (EFI_MEMORY_TYPE) to enum boot_mem_type:
 * Conventional -> USABLE; Loader/BootServices code+data -> BOOT_RECLAIM;
 * ACPIReclaim -> ACPI_RECLAIM; ACPINVS -> ACPI_NVS; Unusable -> BAD;
 * everything else (runtime services, MMIO, reserved, persistent) ->
 * RESERVED. */
uint32_t boot_efi_type(uint32_t efi);

/* Append a UEFI memory map (map_size bytes of desc_size-byte
 * EFI_MEMORY_DESCRIPTORs) to bi, converting types and merging each entry
 * into the previous one when it continues it with the same type.
 * Descriptors whose page count overflows are skipped.  Returns the number
 * of descriptors dropped because bi->mmap was full. */
uint32_t boot_info_add_efi_mmap(struct boot_info *bi, const void *map,
                                uint64_t map_size, uint64_t desc_size);

/* Read the RSDP at physical address pa through phys, validate it and copy
 * it into bi (boot_info_set_rsdp).  Returns 0, or -1 if absent, unreadable
 * or invalid (bi unchanged). */
int boot_info_rsdp_at(struct boot_info *bi, uint64_t pa, boot_phys_fn phys,
                      void *ctx);

#endif

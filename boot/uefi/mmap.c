/*
 * mmap.c - convert the UEFI memory map and leave boot services.
 *
 * Purpose: the last thing the loader does with the firmware.  The memory
 * map must be read immediately before ExitBootServices(): any allocation
 * or protocol call in between changes it and invalidates its key.  So the
 * buffer is sized and allocated first (with slack for the descriptors
 * that allocation itself adds), and the final GetMemoryMap ->
 * convert -> ExitBootServices sequence allocates nothing.
 *
 * Memory-type mapping (enum boot_mem_type), done by boot_efi_type() and
 * boot_info_add_efi_mmap() in boot/boot_info.c, shared with host tests:
 *   EfiConventionalMemory                       -> USABLE
 *   EfiLoaderCode/Data, EfiBootServicesCode/Data -> BOOT_RECLAIM
 *   EfiACPIReclaimMemory                        -> ACPI_RECLAIM
 *   EfiACPIMemoryNVS                            -> ACPI_NVS
 *   EfiUnusableMemory                           -> BAD
 *   everything else (reserved, runtime services code/data, MMIO, MMIO
 *   port space, PAL code, persistent, unaccepted, unknown) -> RESERVED
 * Runtime-services memory stays RESERVED because the kernel never calls
 * SetVirtualAddressMap and does not use runtime services, but firmware
 * (SMM, the NVS store) may still own it.  The kernel's own image and the
 * boot_info are LoaderData, i.e. BOOT_RECLAIM: the kernel marks its image
 * reserved and copies boot_info before it reuses that memory.
 *
 * Data structures: the firmware's descriptor array, walked with its own
 * DescriptorSize stride (never sizeof(EFI_MEMORY_DESCRIPTOR)); contiguous
 * descriptors of one converted type are merged so the BOOT_MMAP_MAX table
 * does not overflow on firmware with fragmented maps.  Each attempt
 * rebuilds bi->mmap from scratch.
 *
 * Invariants: after uefi_exit_boot() returns EFI_SUCCESS, bi->mmap
 * describes the map whose key ExitBootServices accepted, and
 * sum(len of entries) == sum(NumberOfPages * 4096) unless the table was
 * full (entries past BOOT_MMAP_MAX are dropped: memory the kernel does not
 * know about is memory it does not use, the conservative failure).
 *
 * Locking: none.  Context: boot services; on success none remain.
 */
#include <efi.h>
#include <efilib.h>
#include "boot/boot_info.h"
#include "boot/boot_info_impl.h"
#include "boot/uefi/uefi_impl.h"

#define SLACK_DESCRIPTORS 16

/* Rebuild bi->mmap from the map; returns the number of dropped entries. */
static UINTN convert(struct boot_info *bi, const UINT8 *map, UINTN size,
                     UINTN dsize)
{
	bi->mmap_count = 0;
	return boot_info_add_efi_mmap(bi, map, size, dsize);
}

/* Allocate a map buffer big enough for the current map plus slack. */
static EFI_STATUS map_buffer(UINT8 **buf, UINTN *bufsize)
{
	UINTN size = 0, key, dsize = 0;
	UINT32 dver;
	EFI_STATUS st;
	int tries;

	for (tries = 0; tries < 4; tries++) {
		st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, NULL, &key,
		                       &dsize, &dver);
		if (st != EFI_BUFFER_TOO_SMALL)
			return EFI_ERROR(st) ? st : EFI_LOAD_ERROR;
		size += SLACK_DESCRIPTORS * dsize;
		st = uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData,
		                       size, (VOID **)buf);
		if (EFI_ERROR(st))
			return st;
		*bufsize = size;
		/* The pool allocation may have split a descriptor; check it
		 * still fits, else grow. */
		st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size,
		                       (EFI_MEMORY_DESCRIPTOR *)*buf, &key,
		                       &dsize, &dver);
		if (!EFI_ERROR(st))
			return EFI_SUCCESS;
		uefi_call_wrapper(BS->FreePool, 1, *buf);
		if (st != EFI_BUFFER_TOO_SMALL)
			return st;
		size = 0;
	}
	return EFI_BUFFER_TOO_SMALL;
}

EFI_STATUS uefi_exit_boot(EFI_HANDLE image, struct boot_info *bi,
                          const char **why)
{
	UINT8 *buf = NULL;
	UINTN bufsize = 0, size, key, dsize;
	UINT32 dver;
	EFI_STATUS st;
	int attempt;

	st = map_buffer(&buf, &bufsize);
	if (EFI_ERROR(st)) {
		*why = "cannot read the memory map";
		return st;
	}

	/* Dry run while printing is still allowed: warn about overflow. */
	size = bufsize;
	st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size,
	                       (EFI_MEMORY_DESCRIPTOR *)buf, &key, &dsize,
	                       &dver);
	if (!EFI_ERROR(st) && convert(bi, buf, size, dsize) != 0)
		Print(L"tally-efi: warning: memory map has more than %d "
		      L"ranges, the rest is ignored\r\n", BOOT_MMAP_MAX);

	/* From here to ExitBootServices: no allocation, no output. */
	for (attempt = 0; attempt < 2; attempt++) {
		size = bufsize;
		st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size,
		                       (EFI_MEMORY_DESCRIPTOR *)buf, &key,
		                       &dsize, &dver);
		if (EFI_ERROR(st)) {
			*why = "cannot read the memory map again";
			break;
		}
		convert(bi, buf, size, dsize);
		st = uefi_call_wrapper(BS->ExitBootServices, 2, image, key);
		if (!EFI_ERROR(st))
			return EFI_SUCCESS;
		*why = "ExitBootServices refused the memory map key twice";
	}
	uefi_call_wrapper(BS->FreePool, 1, buf);
	return st;
}

/*
 * uefi_impl.h - internals shared by the files of the UEFI front end.
 *
 * Purpose: the UEFI loader (a GNU-EFI application, tally.efi) is split by
 * concern: loader.c drives the boot and loads the embedded kernel ELF,
 * facts.c gathers what the firmware knows (loader name, ACPI RSDP,
 * framebuffer, command line), mmap.c converts the UEFI memory map and
 * leaves boot services.  This header is their private contract; nothing
 * outside boot/uefi/ includes it.
 *
 * Data structures: the struct boot_info being filled (boot/boot_info.h) is
 * owned by loader.c and passed down; the embedded kernel image is the byte
 * range [uefi_kernel_start, uefi_kernel_end) defined in kernel_blob.S.
 *
 * Invariants: every function here runs while boot services are available,
 * except that uefi_exit_boot() returns with them gone on success.  None of
 * them stops the machine: errors are returned as EFI_STATUS and reported by
 * the caller (uefi_fail), so the firmware gets control back.
 *
 * Locking: none; the loader is single-threaded at TPL_APPLICATION.
 * Context: UEFI application, MS-ABI calls into the firmware (gnu-efi with
 * GNU_EFI_USE_MS_ABI, so uefi_call_wrapper is a plain call).
 */
#ifndef TALLY_UEFI_IMPL_H
#define TALLY_UEFI_IMPL_H

#include <efi.h>
#include <efilib.h>
#include "boot/boot_info.h"

/* The kernel ELF embedded by kernel_blob.S (read-only, 16-byte aligned). */
extern const UINT8 uefi_kernel_start[];
extern const UINT8 uefi_kernel_end[];

/* Print "tally-efi: <msg>" plus a status on ConOut, wait ~2 s so a human
 * can read it, and return st (never EFI_SUCCESS: success is mapped to
 * EFI_LOAD_ERROR so the firmware sees a failed boot option). */
EFI_STATUS uefi_fail(EFI_STATUS st, const char *msg);

/* loader = "uefi (<FirmwareVendor> <rev>)"; bi must be initialised. */
void uefi_loader_name(char *out, int len);
/* RSDP from the configuration table (ACPI 2.0 first, then 1.0). */
void uefi_find_rsdp(struct boot_info *bi);
/* Framebuffer from GOP if it is 32 bpp RGB or BGR; leaves fb.addr 0 else. */
void uefi_find_fb(struct boot_info *bi);
/* Command line: \EFI\tally\cmdline.txt on the image's volume, else the
 * image's LoadOptions.  Never fails; an unusable source is skipped. */
void uefi_find_cmdline(EFI_HANDLE image, struct boot_info *bi);

/* The device tree from the configuration table (aarch64 firmware that
 * describes the machine by one), copied into EfiACPIReclaimMemory pages
 * below `limit` (which the kernel keeps); dtb_addr/len stay 0 without
 * one or with a malformed one (named on ConOut). */
void uefi_find_dtb(struct boot_info *bi, UINT64 limit);

/* The ISA's hand-off (enter_<isa>.c).  uefi_data_limit: the top (exclusive)
 * of where boot_info and the device tree copy may go, given the lowest
 * address of the loaded kernel: what the kernel's first map covers.
 * uefi_enter: boot services gone; enter the kernel at entry_pa with bi,
 * [lo, hi) being the loaded image (the ISA's entry state: arch/<isa>'s
 * entry code says). */
UINT64 uefi_data_limit(UINT64 kernel_lo);
__attribute__((noreturn)) void uefi_enter(UINT64 entry_pa, struct boot_info *bi, UINT64 lo,
                                          UINT64 hi);

/* Get the memory map, convert it into bi->mmap and exit boot services
 * (one retry with a fresh map key).  On EFI_SUCCESS boot services are gone:
 * no allocation, no ConOut, no protocol may be used any more.  On failure
 * *why names the step that failed and boot services are still usable as
 * far as the firmware allows (EDK2: fully). */
EFI_STATUS uefi_exit_boot(EFI_HANDLE image, struct boot_info *bi,
                          const char **why);

#endif

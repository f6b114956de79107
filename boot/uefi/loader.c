/*
 * loader.c - tally.efi: load the embedded kernel ELF and enter it.
 *
 * Purpose: the UEFI front end.  tally.efi is a GNU-EFI application that
 * carries kernel.elf inside itself (kernel_blob.S), so one file on an ESP
 * boots Tally with no boot manager.  Steps, each failing with a one-line
 * message on ConOut, a ~2 s pause and the EFI status returned to the
 * firmware (never a hang):
 *   1. banner "tally-efi: loading kernel";
 *   2. elf_plan() validates the image and lists its PT_LOAD segments;
 *      the pages under every segment are claimed at their physical
 *      addresses with AllocatePages(AllocateAddress, EfiLoaderData), file
 *      bytes copied, the rest zeroed;
 *   3. a struct boot_info is allocated below uefi_data_limit (4 GiB on
 *      x86_64; on aarch64 the end of the kernel's GiB, which the kernel's
 *      first map covers) and filled: loader name, ACPI RSDP, device tree
 *      (a copy, below the same limit), GOP framebuffer, command line
 *      (facts.c);
 *   4. the memory map is converted and boot services are left (mmap.c);
 *   5. uefi_enter (enter_<isa>.c) enters the kernel as its ISA's entry
 *      code expects: on x86_64 interrupts off and a call with RDI =
 *      &boot_info (System V ABI, while gnu-efi's firmware calls are MS
 *      ABI); on aarch64 the image cleaned to the point of coherency, the
 *      MMU and caches off, x0 = &boot_info, x1 = a marker
 *      (arch/aarch64/kernel/entry.S).
 *
 * Data structures: struct elf_plan (boot/elf_load.h) for the image; a
 * small table of claimed page ranges so a failure can give them back.
 * Segments may share a page (the linker does not have to page-align
 * them), so each segment only claims the pages not already claimed by a
 * lower one: segments are visited in paddr order and
 *   claim [max(pg_lo(seg), claimed_hi), pg_hi(seg)).
 *
 * Invariants: before the jump, for every segment s:
 *   mem[s.paddr, s.paddr + s.filesz) == image[s.offset, ...),
 *   mem[s.paddr + s.filesz, s.paddr + s.memsz) == 0,
 * and every page of [s.paddr, s.paddr + s.memsz) is EfiLoaderData owned by
 * us (so it is BOOT_RECLAIM in the map; the kernel marks its own image
 * reserved).  The entry is translated from its vaddr to the paddr of the
 * executable segment that holds it (identical for Tally, which is linked
 * physical == virtual, and correct under the firmware's identity map).
 *
 * Locking: none; single-threaded at TPL_APPLICATION.
 * Context: UEFI boot services until uefi_exit_boot() succeeds; after that
 * only the jump, which never returns.
 */
#include <efi.h>
#include <efilib.h>
#include "boot/boot_info.h"
#include "kernel/lib/bootfmt.h"
#include "boot/elf_load.h"
#include "boot/uefi/uefi_impl.h"

#define PAGE 4096ull
#define MAX_CLAIMS ELF_PLAN_MAX
#define BI_PAGES ((sizeof(struct boot_info) + PAGE - 1) / PAGE)

struct claim {
	EFI_PHYSICAL_ADDRESS base;
	UINTN pages;
};

static struct claim claims[MAX_CLAIMS];
static int nclaims;

EFI_STATUS uefi_fail(EFI_STATUS st, const char *msg)
{
	if (st == EFI_SUCCESS)
		st = EFI_LOAD_ERROR;
	Print(L"tally-efi: error: %a (%r)\r\n", msg, st);
	uefi_call_wrapper(BS->Stall, 1, 2000000);
	return st;
}

static void release_claims(void)
{
	while (nclaims > 0) {
		nclaims--;
		uefi_call_wrapper(BS->FreePages, 2, claims[nclaims].base,
		                  claims[nclaims].pages);
	}
}

/* Claim [lo, hi) (page-aligned) at its fixed address. */
static EFI_STATUS claim_pages(UINT64 lo, UINT64 hi, char *err, int errlen)
{
	EFI_PHYSICAL_ADDRESS addr = lo;
	UINTN pages = (UINTN)((hi - lo) / PAGE);
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress,
	                       EfiLoaderData, pages, &addr);
	if (EFI_ERROR(st)) {
		bootfmt_clear(err, errlen);
		bootfmt_cat(err, errlen, "firmware refused the kernel's pages [");
		bootfmt_hex(err, errlen, lo);
		bootfmt_cat(err, errlen, ", ");
		bootfmt_hex(err, errlen, hi);
		bootfmt_cat(err, errlen, ") (in use or not RAM)");
		return st;
	}
	claims[nclaims].base = addr;
	claims[nclaims].pages = pages;
	nclaims++;
	return EFI_SUCCESS;
}

/* Claim, copy and zero every segment; returns the entry's physical
 * address in *entry_pa.  On failure everything claimed is released. */
static EFI_STATUS load_kernel(UINT64 *entry_pa, UINT64 *lo_out, UINT64 *hi_out, char *err,
                              int errlen)
{
	const UINT8 *img = uefi_kernel_start;
	UINT64 size = (UINT64)(uefi_kernel_end - uefi_kernel_start);
	static struct elf_plan plan;
	UINT8 order[ELF_PLAN_MAX];
	UINT64 claimed_hi = 0;
	EFI_STATUS st;
	UINT32 i, j;

	if (elf_plan(img, size, &plan, err, errlen) != 0)
		return EFI_LOAD_ERROR;

	/* Insertion sort of segment indexes by paddr (at most 8). */
	for (i = 0; i < plan.nseg; i++) {
		for (j = i; j > 0 && plan.seg[order[j - 1]].paddr >
		                     plan.seg[i].paddr; j--)
			order[j] = order[j - 1];
		order[j] = (UINT8)i;
	}

	for (i = 0; i < plan.nseg; i++) {
		struct elf_seg *s = &plan.seg[order[i]];
		UINT64 lo = s->paddr & ~(PAGE - 1);
		UINT64 hi = (s->paddr + s->memsz + PAGE - 1) & ~(PAGE - 1);

		if (hi < s->paddr) {
			bootfmt_clear(err, errlen);
			bootfmt_cat(err, errlen, "segment at ");
			bootfmt_hex(err, errlen, s->paddr);
			bootfmt_cat(err, errlen, " reaches the top of memory");
			release_claims();
			return EFI_LOAD_ERROR;
		}
		if (lo < claimed_hi)
			lo = claimed_hi;
		if (lo < hi) {
			st = claim_pages(lo, hi, err, errlen);
			if (EFI_ERROR(st)) {
				release_claims();
				return st;
			}
			claimed_hi = hi;
		}
		CopyMem((VOID *)(UINTN)s->paddr, img + s->offset,
		        (UINTN)s->filesz);
		SetMem((VOID *)(UINTN)(s->paddr + s->filesz),
		       (UINTN)(s->memsz - s->filesz), 0);
	}

	*lo_out = plan.seg[order[0]].paddr & ~(PAGE - 1);
	*hi_out = claimed_hi;
	/* elf_plan guarantees the entry lies in an executable segment. */
	for (i = 0; i < plan.nseg; i++) {
		struct elf_seg *s = &plan.seg[i];

		if ((s->flags & 1u) && plan.entry >= s->vaddr &&
		    plan.entry - s->vaddr < s->filesz) {
			*entry_pa = plan.entry - s->vaddr + s->paddr;
			return EFI_SUCCESS;
		}
	}
	bootfmt_clear(err, errlen);
	bootfmt_cat(err, errlen, "entry point outside the executable segments");
	release_claims();
	return EFI_LOAD_ERROR;
}

/* One struct boot_info in LoaderData pages below limit. */
static EFI_STATUS alloc_boot_info(struct boot_info **out, UINT64 limit)
{
	EFI_PHYSICAL_ADDRESS addr = limit - 1;
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
	                       EfiLoaderData, BI_PAGES, &addr);
	if (EFI_ERROR(st))
		return st;
	*out = (struct boot_info *)(UINTN)addr;
	return EFI_SUCCESS;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	struct boot_info *bi;
	char loader[BOOT_LOADER_MAX];
	const char *why = "";
	char err[160];
	UINT64 entry_pa = 0, lo = 0, hi = 0, limit;
	EFI_STATUS st;

	InitializeLib(image, systab);
	Print(L"tally-efi: loading kernel\r\n");

	bootfmt_clear(err, sizeof(err));
	st = load_kernel(&entry_pa, &lo, &hi, err, sizeof(err));
	if (EFI_ERROR(st)) {
		char msg[200];

		bootfmt_clear(msg, sizeof(msg));
		bootfmt_cat(msg, sizeof(msg), "embedded kernel: ");
		bootfmt_cat(msg, sizeof(msg), err);
		return uefi_fail(st, msg);
	}

	limit = uefi_data_limit(lo);
	st = alloc_boot_info(&bi, limit);
	if (EFI_ERROR(st)) {
		release_claims();
		return uefi_fail(st, "no memory for boot_info where the kernel's first map reaches");
	}
	uefi_loader_name(loader, sizeof(loader));
	boot_info_init(bi, loader);
	uefi_find_rsdp(bi);
	uefi_find_dtb(bi, limit);
	uefi_find_fb(bi);
	uefi_find_cmdline(image, bi);

	st = uefi_exit_boot(image, bi, &why);
	if (EFI_ERROR(st)) {
		/* EDK2 checks the map key before tearing anything down, so
		 * ConOut still works here; other firmware may not print. */
		release_claims();
		uefi_call_wrapper(BS->FreePages, 2, (EFI_PHYSICAL_ADDRESS)
		                  (UINTN)bi, BI_PAGES);
		return uefi_fail(st, why);
	}

	/* Boot services are gone: no more firmware calls from here on. */
	uefi_enter(entry_pa, bi, lo, hi);
}

/*
 * facts.c - what the UEFI firmware tells the kernel: loader name, ACPI
 * RSDP, device tree, framebuffer and command line.
 *
 * Purpose: fill the firmware-dependent fields of struct boot_info while
 * boot services are still up.  Every source is optional: a missing or
 * malformed one leaves its field empty and the boot goes on (the kernel
 * decides whether it can live without ACPI or a framebuffer).
 *
 * Sources:
 *   loader   "uefi (<FirmwareVendor> <major>.<minor>)", FirmwareRevision
 *            split in 16-bit halves, vendor turned to ASCII ('?' for
 *            anything else) and truncated to fit BOOT_LOADER_MAX.
 *   rsdp     the configuration table: ACPI_20_TABLE_GUID first, then
 *            ACPI_TABLE_GUID; boot_info_set_rsdp() checks the checksums.
 *   dtb      the configuration table's device tree (aarch64 firmware
 *            describing the machine by one: AAVMF when QEMU gives no ACPI
 *            tables), checked (FDT magic, 40 bytes to 2 MiB) and copied
 *            into EfiACPIReclaimMemory pages, which the kernel keeps,
 *            below uefi_data_limit (the firmware's own copy may be
 *            boot-services data, which the kernel reuses).
 *   fb       GOP's current mode, only for 32-bpp RGB/BGR pixel formats
 *            (PixelBitMask and BltOnly modes are not a linear 32-bpp
 *            framebuffer the console can draw into).
 *   cmdline  the first line of \EFI\tally\cmdline.txt on the volume the
 *            image was loaded from (ASCII/UTF-8, or UCS-2 with a BOM as
 *            the UEFI shell's editor writes); if that file does not exist,
 *            the image's LoadOptions if they are printable UCS-2 text.
 *            Boot#### entries may carry binary optional data (OVMF does),
 *            which is therefore ignored rather than turned into garbage.
 *            From the UEFI shell the first word is the image path: it is
 *            dropped when it ends in ".efi" (any case).
 *
 * Invariants: the command line handed on contains only bytes 0x20..0x7e,
 * no leading or trailing blank, and is at most BOOT_CMDLINE_MAX-1 bytes.
 *
 * Locking: none.  Context: boot services, TPL_APPLICATION; the only
 * memory used is static buffers (no pool allocation to free).
 */
#include <efi.h>
#include <efilib.h>
#include "boot/boot_info.h"
#include "kernel/lib/bootfmt.h"
#include "boot/uefi/uefi_impl.h"

#define CMDLINE_PATH L"\\EFI\\tally\\cmdline.txt"

static UINT8 filebuf[2 * BOOT_CMDLINE_MAX];
static char linebuf[BOOT_CMDLINE_MAX];

static int guid_eq(const EFI_GUID *a, const EFI_GUID *b)
{
	const UINT8 *x = (const UINT8 *)a, *y = (const UINT8 *)b;
	UINTN i;

	for (i = 0; i < sizeof(EFI_GUID); i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

void uefi_loader_name(char *out, int len)
{
	const CHAR16 *v = ST->FirmwareVendor;
	char vendor[BOOT_LOADER_MAX];
	UINT32 rev = ST->FirmwareRevision;
	int i;

	/* "uefi (" + vendor + " 65535.65535)" must fit in len. */
	for (i = 0; v != NULL && v[i] != 0 && i < len - 22; i++)
		vendor[i] = (v[i] >= 0x20 && v[i] < 0x7f) ? (char)v[i] : '?';
	vendor[i] = '\0';
	bootfmt_clear(out, len);
	bootfmt_cat(out, len, "uefi (");
	bootfmt_cat(out, len, i > 0 ? vendor : "unknown");
	bootfmt_cat(out, len, " ");
	bootfmt_dec(out, len, rev >> 16);
	bootfmt_cat(out, len, ".");
	bootfmt_dec(out, len, rev & 0xffff);
	bootfmt_cat(out, len, ")");
}

/* Try every configuration table entry with the given GUID. */
static int rsdp_from(struct boot_info *bi, EFI_GUID *guid)
{
	UINTN i;

	for (i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
		const UINT8 *p = t->VendorTable;

		if (!guid_eq(&t->VendorGuid, guid) || p == NULL)
			continue;
		/* Byte 15 is the revision: 0 means ACPI 1.0 (20 bytes). */
		if (boot_info_set_rsdp(bi, p, p[15] >= 2 ? 36 : 20,
		                       (uint64_t)(UINTN)p) == 0)
			return 0;
	}
	return -1;
}

void uefi_find_rsdp(struct boot_info *bi)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	EFI_GUID acpi10 = ACPI_TABLE_GUID;

	if (rsdp_from(bi, &acpi20) != 0)
		rsdp_from(bi, &acpi10);
}

/* The configuration table's device tree (UEFI 2.x "EFI_DTB_TABLE"). */
#define DTB_GUID { 0xb1b621d5, 0xf19c, 0x41a5, { 0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0 } }
#define DTB_MAX  (2u << 20)   /* QEMU's are at most 1 MiB */

static UINT32 be32(const UINT8 *p)
{
	return (UINT32)p[0] << 24 | (UINT32)p[1] << 16 | (UINT32)p[2] << 8 | p[3];
}

void uefi_find_dtb(struct boot_info *bi, UINT64 limit)
{
	EFI_GUID guid = DTB_GUID;
	const UINT8 *src = NULL;
	EFI_PHYSICAL_ADDRESS addr = limit - 1;
	UINT32 size;
	UINTN i;

	for (i = 0; i < ST->NumberOfTableEntries && !src; i++)
		if (guid_eq(&ST->ConfigurationTable[i].VendorGuid, &guid))
			src = ST->ConfigurationTable[i].VendorTable;
	if (!src)
		return;
	size = be32(src + 4);
	if (be32(src) != 0xd00dfeedu || size < 40 || size > DTB_MAX) {
		Print(L"tally-efi: the firmware's device tree is malformed (magic %x, size %u): "
		      L"not passed on\r\n", be32(src), size);
		return;
	}
	if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
	                                EfiACPIReclaimMemory, EFI_SIZE_TO_PAGES(size), &addr))) {
		Print(L"tally-efi: no memory for a copy of the device tree: not passed on\r\n");
		return;
	}
	CopyMem((VOID *)(UINTN)addr, (VOID *)src, size);
	bi->dtb_addr = addr;
	bi->dtb_len = size;
}

void uefi_find_fb(struct boot_info *bi)
{
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info;
	EFI_GUID guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
	struct boot_fb *fb = &bi->fb;
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->LocateProtocol, 3, &guid, NULL,
	                       (VOID **)&gop);
	if (EFI_ERROR(st) || gop == NULL || gop->Mode == NULL ||
	    gop->Mode->Info == NULL || gop->Mode->FrameBufferBase == 0)
		return;
	info = gop->Mode->Info;
	if (info->PixelFormat == PixelRedGreenBlueReserved8BitPerColor) {
		fb->red_pos = 0;
		fb->blue_pos = 16;
	} else if (info->PixelFormat == PixelBlueGreenRedReserved8BitPerColor) {
		fb->red_pos = 16;
		fb->blue_pos = 0;
	} else {
		return;
	}
	fb->green_pos = 8;
	fb->red_size = fb->green_size = fb->blue_size = 8;
	fb->bpp = 32;
	fb->width = info->HorizontalResolution;
	fb->height = info->VerticalResolution;
	fb->pitch = info->PixelsPerScanLine * 4;
	fb->addr = gop->Mode->FrameBufferBase;
}

/* Append one character of the first line; returns 0 at the end of it. */
static int line_put(int *n, UINT32 c)
{
	if (c == 0 || c == '\r' || c == '\n')
		return 0;
	if (c == '\t')
		c = ' ';
	if (c < 0x20)
		return 1;  /* other control characters are dropped */
	if (c >= 0x7f)
		c = '?';
	if (*n < BOOT_CMDLINE_MAX - 1)
		linebuf[(*n)++] = (char)c;
	return 1;
}

/* First line of the file's bytes into linebuf; returns its length. */
static int first_line(const UINT8 *b, UINTN size)
{
	UINTN i = 0;
	int n = 0;

	if (size >= 2 && b[0] == 0xff && b[1] == 0xfe) {
		for (i = 2; i + 1 < size; i += 2)
			if (!line_put(&n, b[i] | ((UINT32)b[i + 1] << 8)))
				break;
		return n;
	}
	if (size >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf)
		i = 3;
	for (; i < size; i++)
		if (!line_put(&n, b[i]))
			break;
	return n;
}

/* Read the cmdline file into linebuf; returns its length, -1 if absent. */
static int read_cmdline_file(EFI_LOADED_IMAGE *li)
{
	EFI_FILE_IO_INTERFACE *fs = NULL;
	EFI_FILE_HANDLE root = NULL, file = NULL;
	UINTN size = sizeof(filebuf);
	EFI_STATUS st;

	if (li->DeviceHandle == NULL)
		return -1;
	st = uefi_call_wrapper(BS->HandleProtocol, 3, li->DeviceHandle,
	                       &FileSystemProtocol, (VOID **)&fs);
	if (EFI_ERROR(st) || fs == NULL)
		return -1;
	st = uefi_call_wrapper(fs->OpenVolume, 2, fs, &root);
	if (EFI_ERROR(st))
		return -1;
	st = uefi_call_wrapper(root->Open, 5, root, &file, CMDLINE_PATH,
	                       EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st)) {
		uefi_call_wrapper(root->Close, 1, root);
		return -1;
	}
	st = uefi_call_wrapper(file->Read, 3, file, &size, filebuf);
	uefi_call_wrapper(file->Close, 1, file);
	uefi_call_wrapper(root->Close, 1, root);
	if (EFI_ERROR(st)) {
		Print(L"tally-efi: cannot read %s (%r), ignored\r\n",
		      CMDLINE_PATH, st);
		return -1;
	}
	return first_line(filebuf, size);
}

static int ends_with_efi(const char *w, int n)
{
	const char *ext = ".efi";
	int i;

	if (n < 4)
		return 0;
	for (i = 0; i < 4; i++) {
		char c = w[n - 4 + i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != ext[i])
			return 0;
	}
	return 1;
}

/* LoadOptions into linebuf if they are printable text; returns length. */
static int read_load_options(EFI_LOADED_IMAGE *li)
{
	const CHAR16 *o = li->LoadOptions;
	UINTN count = li->LoadOptionsSize / sizeof(CHAR16), i;
	int n = 0, w;

	if (o == NULL || count == 0 || li->LoadOptionsSize % 2 != 0)
		return 0;
	for (i = 0; i < count && o[i] != 0; i++) {
		if (o[i] == '\t' || o[i] == '\r' || o[i] == '\n')
			continue;
		if (o[i] < 0x20 || o[i] >= 0x7f)
			return 0;  /* binary optional data, not a command line */
	}
	for (i = 0; i < count && o[i] != 0; i++) {
		UINT32 c = o[i];

		if (c == '\r' || c == '\n')
			c = ' ';
		line_put(&n, c);
	}
	/* First word ending in .efi: the shell's image path. */
	for (w = 0; w < n && linebuf[w] == ' '; w++)
		;
	i = (UINTN)w;
	while (w < n && linebuf[w] != ' ')
		w++;
	if (ends_with_efi(linebuf + i, w - (int)i)) {
		int k;

		for (k = 0; w + k < n; k++)
			linebuf[k] = linebuf[w + k];
		n = k;
	}
	return n;
}

void uefi_find_cmdline(EFI_HANDLE image, struct boot_info *bi)
{
	EFI_LOADED_IMAGE *li = NULL;
	EFI_STATUS st;
	int n, s = 0;

	st = uefi_call_wrapper(BS->HandleProtocol, 3, image,
	                       &LoadedImageProtocol, (VOID **)&li);
	if (EFI_ERROR(st) || li == NULL)
		return;
	n = read_cmdline_file(li);
	if (n < 0)
		n = read_load_options(li);
	while (s < n && linebuf[s] == ' ')
		s++;
	while (n > s && linebuf[n - 1] == ' ')
		n--;
	boot_info_set_cmdline(bi, linebuf + s, (uint64_t)(n - s));
}

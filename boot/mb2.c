/*
 * mb2.c - Multiboot2 boot (GRUB): the boot information structure to
 * boot_info.
 *
 * Purpose: GRUB enters a multiboot2 kernel with %eax = 0x36d76289 and %ebx
 * = the physical address of the boot information.  mb2_parse() reads it
 * through a boot_phys_fn and fills a struct boot_info; loader becomes
 * "multiboot2 (<boot loader name>)".
 *
 * Data structures (Multiboot2 specification 3.6, little-endian):
 *   info:  u32 total_size, u32 reserved, then tags, each 8-byte aligned:
 *          u32 type, u32 size (header included, padding excluded).
 *   1  command line         +8 string
 *   2  boot loader name     +8 string
 *   4  basic meminfo        +8 u32 mem_lower KiB, +12 u32 mem_upper KiB
 *   6  memory map           +8 u32 entry_size, +12 u32 entry_version,
 *                           +16 entries {u64 base, u64 len, u32 type, u32}
 *                           with E820 types
 *   8  framebuffer          +8 u64 addr, +16 u32 pitch, +20 width,
 *                           +24 height, +28 u8 bpp, +29 u8 type,
 *                           +30 u16 reserved, +32 RGB colour info (type 1):
 *                           red pos/size, green pos/size, blue pos/size
 *   14 ACPI old RSDP copy   +8 RSDP (20 bytes)
 *   15 ACPI new RSDP copy   +8 RSDP (36 bytes or more)
 *   17 EFI memory map       +8 u32 descriptor_size, +12 u32 version,
 *                           +16 EFI_MEMORY_DESCRIPTORs
 *   0  end                  size 8
 * Other tags (modules, boot device, ELF sections, APM, EFI tables, ...)
 * are skipped.
 *
 * Policy: the structure must be 8-byte aligned, 16 <= total_size <= 1 MiB
 * and wholly readable; every tag header must lie inside total_size, have
 * size >= 8 and end inside total_size; an end tag must appear.  Tags of
 * the types used must be large enough for their fields, and a memory map's
 * size must be a whole number of entries.  Each violation is an error that
 * names the tag type and offset.  Memory map precedence: tag 6, else tag 17
 * (converted as boot_efi_type() says, adjacent equal types merged), else
 * tag 4 (lower memory from 0, upper memory from 1 MiB), else an error.
 * The new RSDP (tag 15) wins over the old (tag 14) whatever their order;
 * an invalid RSDP copy is ignored (rsdp_len stays 0, the kernel scans).
 * rsdp_addr stays 0: the copies live in the info structure, which the
 * kernel does not keep.  Only an RGB framebuffer (type 1) is recorded.
 * The first tag of each type wins; later duplicates are ignored.
 *
 * Invariants: on success bi satisfies boot_info.h; on failure err holds a
 * one-line reason starting with "mb2: ".
 *
 * Locking: none.  Context: runs before the kernel owns memory; pure apart
 * from reads through phys; no allocation.
 */
#include <stdint.h>
#include "boot/boot_info.h"
#include "boot/boot_info_impl.h"
#include "kernel/lib/bootfmt.h"

#define MB2_MAX_TOTAL (1u << 20)

enum {
	TAG_END = 0, TAG_CMDLINE = 1, TAG_LOADER = 2, TAG_MEMINFO = 4,
	TAG_MMAP = 6, TAG_FB = 8, TAG_ACPI_OLD = 14, TAG_ACPI_NEW = 15,
	TAG_EFI_MMAP = 17, TAG_NTYPES = 32,
};

struct mb2_state {
	const uint8_t *mbi;
	uint32_t total;
	uint32_t seen;        /* bit t: a tag of type t (< 32) was handled */
	uint32_t efi_off;     /* offset of the first EFI mmap tag, 0 none */
	uint32_t meminfo_off; /* offset of the first meminfo tag, 0 none */
	char *err;
	int errlen;
};

static int fail(struct mb2_state *s, const char *what)
{
	bootfmt_clear(s->err, s->errlen);
	bootfmt_cat(s->err, s->errlen, "mb2: ");
	bootfmt_cat(s->err, s->errlen, what);
	return -1;
}

/* "mb2: tag type T at offset O: <what> <v><tail>" */
static int fail_tag(struct mb2_state *s, uint32_t type, uint32_t off,
                    const char *what, uint64_t v, const char *tail)
{
	fail(s, "tag type ");
	bootfmt_dec(s->err, s->errlen, type);
	bootfmt_cat(s->err, s->errlen, " at offset ");
	bootfmt_dec(s->err, s->errlen, off);
	bootfmt_cat(s->err, s->errlen, ": ");
	bootfmt_cat(s->err, s->errlen, what);
	bootfmt_dec(s->err, s->errlen, v);
	bootfmt_cat(s->err, s->errlen, tail);
	return -1;
}

static int need(struct mb2_state *s, uint32_t type, uint32_t off,
                uint32_t size, uint32_t min)
{
	if (size >= min)
		return 0;
	fail_tag(s, type, off, "size ", size, " too small (need ");
	bootfmt_dec(s->err, s->errlen, min);
	bootfmt_cat(s->err, s->errlen, ")");
	return -1;
}

static void set_loader(struct boot_info *bi, const char *name, uint32_t len)
{
	static const char pre[] = "multiboot2 (";
	uint32_t i, k = 0;

	for (i = 0; pre[i] != '\0'; i++)
		bi->loader[k++] = pre[i];
	/* Leave room for ")" and the NUL. */
	for (i = 0; i < len && name[i] != '\0' && k < BOOT_LOADER_MAX - 2; i++)
		bi->loader[k++] = name[i];
	bi->loader[k++] = ')';
	bi->loader[k] = '\0';
}

static int do_mmap(struct mb2_state *s, struct boot_info *bi,
                   const uint8_t *t, uint32_t off, uint32_t size)
{
	uint32_t esz, i, n;

	if (need(s, TAG_MMAP, off, size, 16) != 0)
		return -1;
	esz = _boot_rd32(t + 8);
	if (esz < 24 || esz % 8 != 0)
		return fail_tag(s, TAG_MMAP, off, "entry_size ", esz,
		                " invalid (need a multiple of 8, >= 24)");
	if ((size - 16) % esz != 0) {
		fail_tag(s, TAG_MMAP, off, "size ", size, " minus 16 is not a "
		         "multiple of entry_size ");
		bootfmt_dec(s->err, s->errlen, esz);
		return -1;
	}
	n = (size - 16) / esz;
	for (i = 0; i < n; i++) {
		const uint8_t *e = t + 16 + i * esz;

		(void)boot_info_add_mem(bi, _boot_rd64(e), _boot_rd64(e + 8),
		                        boot_e820_type(_boot_rd32(e + 16)));
	}
	return 0;
}

static int check_efi_mmap(struct mb2_state *s, const uint8_t *t,
                          uint32_t off, uint32_t size)
{
	uint32_t dsz;

	if (need(s, TAG_EFI_MMAP, off, size, 16) != 0)
		return -1;
	dsz = _boot_rd32(t + 8);
	if (dsz < 40 || dsz % 8 != 0)
		return fail_tag(s, TAG_EFI_MMAP, off, "descriptor_size ", dsz,
		                " invalid (need a multiple of 8, >= 40)");
	if ((size - 16) % dsz != 0) {
		fail_tag(s, TAG_EFI_MMAP, off, "size ", size, " minus 16 is not "
		         "a multiple of descriptor_size ");
		bootfmt_dec(s->err, s->errlen, dsz);
		return -1;
	}
	return 0;
}

static int do_fb(struct mb2_state *s, struct boot_info *bi, const uint8_t *t,
                 uint32_t off, uint32_t size)
{
	struct boot_fb *fb = &bi->fb;

	if (need(s, TAG_FB, off, size, 32) != 0)
		return -1;
	if (t[29] != 1)  /* indexed or EGA text: not usable as RGB */
		return 0;
	if (need(s, TAG_FB, off, size, 38) != 0)
		return -1;
	fb->addr = _boot_rd64(t + 8);
	fb->pitch = _boot_rd32(t + 16);
	fb->width = _boot_rd32(t + 20);
	fb->height = _boot_rd32(t + 24);
	fb->bpp = t[28];
	fb->red_pos = t[32];
	fb->red_size = t[33];
	fb->green_pos = t[34];
	fb->green_size = t[35];
	fb->blue_pos = t[36];
	fb->blue_size = t[37];
	return 0;
}

/* Handle one tag of a type this parser uses; size is already checked to
 * lie inside total_size. */
static int do_tag(struct mb2_state *s, struct boot_info *bi, uint32_t type,
                  uint32_t off, uint32_t size)
{
	const uint8_t *t = s->mbi + off;

	if (type < TAG_NTYPES && (s->seen & (1u << type)) != 0)
		return 0;
	switch (type) {
	case TAG_CMDLINE:
		boot_info_set_cmdline(bi, (const char *)t + 8, size - 8);
		break;
	case TAG_LOADER:
		set_loader(bi, (const char *)t + 8, size - 8);
		break;
	case TAG_MEMINFO:
		if (need(s, type, off, size, 16) != 0)
			return -1;
		s->meminfo_off = off;
		break;
	case TAG_MMAP:
		if (do_mmap(s, bi, t, off, size) != 0)
			return -1;
		break;
	case TAG_FB:
		if (do_fb(s, bi, t, off, size) != 0)
			return -1;
		break;
	case TAG_ACPI_OLD:
		/* Only if no new RSDP was taken (seen bit set on success). */
		if ((s->seen & (1u << TAG_ACPI_NEW)) != 0 ||
		    boot_info_set_rsdp(bi, t + 8, size - 8, 0) != 0)
			return 0;
		break;
	case TAG_ACPI_NEW:
		if (boot_info_set_rsdp(bi, t + 8, size - 8, 0) != 0)
			return 0;
		break;
	case TAG_EFI_MMAP:
		if (check_efi_mmap(s, t, off, size) != 0)
			return -1;
		s->efi_off = off;
		break;
	default:
		return 0;
	}
	if (type < TAG_NTYPES)
		s->seen |= 1u << type;
	return 0;
}

static int walk(struct mb2_state *s, struct boot_info *bi)
{
	uint32_t off = 8, type, size;

	while (off < s->total) {
		if (s->total - off < 8) {
			fail(s, "tag header at offset ");
			bootfmt_dec(s->err, s->errlen, off);
			bootfmt_cat(s->err, s->errlen, " runs past total_size ");
			bootfmt_dec(s->err, s->errlen, s->total);
			return -1;
		}
		type = _boot_rd32(s->mbi + off);
		size = _boot_rd32(s->mbi + off + 4);
		if (size < 8)
			return fail_tag(s, type, off, "size ", size,
			                " smaller than the 8-byte tag header");
		if (size > s->total - off) {
			fail_tag(s, type, off, "size ", size,
			         " runs past total_size ");
			bootfmt_dec(s->err, s->errlen, s->total);
			return -1;
		}
		if (type == TAG_END)
			return 0;
		if (do_tag(s, bi, type, off, size) != 0)
			return -1;
		off += (size + 7) & ~7u;
	}
	fail(s, "no end tag within total_size ");
	bootfmt_dec(s->err, s->errlen, s->total);
	return -1;
}

int mb2_parse(struct boot_info *bi, uint64_t mbi_pa, boot_phys_fn phys,
              void *ctx, char *err, int errlen)
{
	struct mb2_state s = { 0, 0, 0, 0, 0, err, errlen };
	const uint8_t *h;

	bootfmt_clear(err, errlen);
	boot_info_init(bi, "multiboot2");
	if ((mbi_pa & 7) != 0) {
		fail(&s, "information structure at ");
		bootfmt_hex(err, errlen, mbi_pa);
		bootfmt_cat(err, errlen, " is not 8-byte aligned");
		return -1;
	}
	h = phys(ctx, mbi_pa, 8);
	if (h == 0) {
		fail(&s, "information structure at ");
		bootfmt_hex(err, errlen, mbi_pa);
		bootfmt_cat(err, errlen, " unreadable");
		return -1;
	}
	s.total = _boot_rd32(h);
	if (s.total < 16 || s.total > MB2_MAX_TOTAL) {
		fail(&s, "total_size ");
		bootfmt_dec(err, errlen, s.total);
		bootfmt_cat(err, errlen, s.total < 16 ?
		            " too small (minimum 16)" : " larger than 1 MiB");
		return -1;
	}
	s.mbi = phys(ctx, mbi_pa, s.total);
	if (s.mbi == 0) {
		fail(&s, "information structure at ");
		bootfmt_hex(err, errlen, mbi_pa);
		bootfmt_cat(err, errlen, " (total_size ");
		bootfmt_dec(err, errlen, s.total);
		bootfmt_cat(err, errlen, ") unreadable");
		return -1;
	}
	if (walk(&s, bi) != 0)
		return -1;
	if ((s.seen & (1u << TAG_MMAP)) != 0)
		return 0;
	if (s.efi_off != 0) {
		const uint8_t *t = s.mbi + s.efi_off;

		(void)boot_info_add_efi_mmap(bi, t + 16,
		                             _boot_rd32(t + 4) - 16u,
		                             _boot_rd32(t + 8));
		return 0;
	}
	if (s.meminfo_off != 0) {
		const uint8_t *t = s.mbi + s.meminfo_off;

		(void)boot_info_add_mem(bi, 0, (uint64_t)_boot_rd32(t + 8) << 10,
		                        BOOT_MEM_USABLE);
		(void)boot_info_add_mem(bi, 0x100000,
		                        (uint64_t)_boot_rd32(t + 12) << 10,
		                        BOOT_MEM_USABLE);
		return 0;
	}
	return fail(&s, "no memory map (no tag 6, 17 or 4)");
}

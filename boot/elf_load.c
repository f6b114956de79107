/*
 * elf_load.c - validate an ELF64 executable and list its PT_LOAD segments.
 *
 * Purpose: the UEFI front end carries kernel.elf as bytes and must copy it
 * to its physical load addresses; before it touches memory it asks
 * elf_plan() whether the image is sane and where every byte goes.  Host
 * tests run the same code on crafted and recorded images.  Nothing here
 * copies, allocates or zeroes memory: the caller loads from the plan.
 *
 * Data structures: the image is an untrusted byte array of `size` bytes,
 * possibly unaligned; every field is read byte by byte in little-endian
 * order (rd16/rd32/rd64), so no cast of the image to a struct ever happens.
 * The result is struct elf_plan (elf_load.h): entry, up to ELF_PLAN_MAX
 * segments in program-header order, and the [lo, hi) physical span.
 *
 * Checks, in this order (the first failure is reported):
 *   header: size >= 64, magic, class ELF64, little-endian, version 1,
 *   type ET_EXEC, machine == ELF_LOAD_MACHINE (x86_64 unless the build
 *   overrides it), e_phentsize >= 56, 1 <= e_phnum < PN_XNUM, the program
 *   header table inside the image.
 *   each PT_LOAD with memsz > 0: filesz <= memsz, offset + filesz inside
 *   the image, paddr + memsz and vaddr + memsz do not wrap, at most
 *   ELF_PLAN_MAX of them.  PT_INTERP is refused (a kernel is static);
 *   other program header types (NOTE, GNU_STACK, TLS...) are ignored.
 *   then: at least one segment, no two segments' [paddr, paddr+memsz)
 *   intersect, and the entry lies in [vaddr, vaddr+filesz) of a segment
 *   with PF_X (inside its file bytes: an entry in .bss is as wrong as one
 *   outside every segment).
 *
 * Invariants on success (equations):
 *   for each seg: filesz <= memsz, offset + filesz <= size,
 *                 paddr + memsz >= paddr (no wrap);
 *   for i != j: seg[i].paddr + seg[i].memsz <= seg[j].paddr or
 *               seg[j].paddr + seg[j].memsz <= seg[i].paddr;
 *   lo = min paddr, hi = max (paddr + memsz).
 *
 * Locking: none; no globals.
 * Context: pure function, uses no library call at all (so it links into the
 * GNU-EFI loader without a libc); safe anywhere, any stack of a few hundred
 * bytes.
 */
#include <stdint.h>
#include "boot/elf_load.h"
#include "kernel/lib/bootfmt.h"

#ifndef ELF_LOAD_MACHINE
#define ELF_LOAD_MACHINE 62  /* EM_X86_64; 183 is EM_AARCH64 */
#endif

#define EHDR_SIZE   64u
#define PHDR_SIZE   56u
#define ET_EXEC     2u
#define PT_LOAD     1u
#define PT_INTERP   3u
#define PF_X        1u
#define PN_XNUM     0xffffu

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static const char *machine_name(uint32_t m)
{
	switch (m) {
	case 3: return "i386";
	case 40: return "arm";
	case 62: return "x86_64";
	case 183: return "aarch64";
	case 243: return "riscv";
	default: return "unknown";
	}
}

/* err = "elf: " + a; the fail_* helpers append details after it. */
static int fail(char *err, int errlen, const char *a)
{
	bootfmt_clear(err, errlen);
	bootfmt_cat(err, errlen, "elf: ");
	bootfmt_cat(err, errlen, a);
	return -1;
}

static int fail_num(char *err, int errlen, const char *a, uint64_t v,
                    const char *b)
{
	fail(err, errlen, a);
	bootfmt_dec(err, errlen, v);
	bootfmt_cat(err, errlen, b);
	return -1;
}

/* "elf: program header <i>: <what> (<k1> 0x.., <k2> 0x..)" */
static int fail_ph(char *err, int errlen, uint32_t i, const char *what,
                   const char *k1, uint64_t v1, const char *k2, uint64_t v2)
{
	fail_num(err, errlen, "program header ", i, ": ");
	bootfmt_cat(err, errlen, what);
	bootfmt_cat(err, errlen, " (");
	bootfmt_cat(err, errlen, k1);
	bootfmt_cat(err, errlen, " ");
	bootfmt_hex(err, errlen, v1);
	bootfmt_cat(err, errlen, ", ");
	bootfmt_cat(err, errlen, k2);
	bootfmt_cat(err, errlen, " ");
	bootfmt_hex(err, errlen, v2);
	bootfmt_cat(err, errlen, ")");
	return -1;
}

static int check_header(const uint8_t *b, uint64_t size, char *err,
                        int errlen)
{
	uint32_t machine;
	uint64_t phoff, phnum, phentsize;

	if (b == 0)
		return fail(err, errlen, "no image");
	if (size < EHDR_SIZE)
		return fail_num(err, errlen, "image too small: ", size,
		                " bytes, an ELF64 header needs 64");
	if (b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F')
		return fail(err, errlen, "bad magic (not an ELF file)");
	if (b[4] != 2)
		return fail_num(err, errlen, "ELF class ", b[4],
		                ", expected 2 (ELF64)");
	if (b[5] != 1)
		return fail_num(err, errlen, "data encoding ", b[5],
		                ", expected 1 (little-endian)");
	if (b[6] != 1 || rd32(b + 20) != 1)
		return fail(err, errlen, "ELF version is not 1");
	if (rd16(b + 16) != ET_EXEC)
		return fail_num(err, errlen, "e_type ", rd16(b + 16),
		                ", expected 2 (ET_EXEC)");
	machine = rd16(b + 18);
	if (machine != ELF_LOAD_MACHINE) {
		fail_num(err, errlen, "e_machine ", machine, " (");
		bootfmt_cat(err, errlen, machine_name(machine));
		bootfmt_cat(err, errlen, "), expected ");
		bootfmt_dec(err, errlen, ELF_LOAD_MACHINE);
		bootfmt_cat(err, errlen, " (");
		bootfmt_cat(err, errlen, machine_name(ELF_LOAD_MACHINE));
		bootfmt_cat(err, errlen, ")");
		return -1;
	}
	phoff = rd64(b + 32);
	phentsize = rd16(b + 54);
	phnum = rd16(b + 56);
	if (phentsize < PHDR_SIZE)
		return fail_num(err, errlen, "e_phentsize ", phentsize,
		                ", expected at least 56");
	if (phnum == 0)
		return fail(err, errlen, "no program headers");
	if (phnum == PN_XNUM)
		return fail(err, errlen, "extended program header count "
		            "(PN_XNUM) not supported");
	/* phnum * phentsize < 2^32: no overflow in the product. */
	if (phoff > size || phnum * phentsize > size - phoff) {
		fail(err, errlen, "program header table (offset ");
		bootfmt_hex(err, errlen, phoff);
		bootfmt_cat(err, errlen, ", ");
		bootfmt_dec(err, errlen, phnum);
		bootfmt_cat(err, errlen, " entries) runs past end of image (");
		bootfmt_dec(err, errlen, size);
		bootfmt_cat(err, errlen, " bytes)");
		return -1;
	}
	return 0;
}

/* Read and check one PT_LOAD; returns 0 and fills *s, or -1. */
static int read_load(const uint8_t *ph, uint32_t i, uint64_t size,
                     struct elf_seg *s, char *err, int errlen)
{
	s->flags = rd32(ph + 4);
	s->offset = rd64(ph + 8);
	s->vaddr = rd64(ph + 16);
	s->paddr = rd64(ph + 24);
	s->filesz = rd64(ph + 32);
	s->memsz = rd64(ph + 40);
	if (s->filesz > s->memsz)
		return fail_ph(err, errlen, i, "filesz larger than memsz",
		               "filesz", s->filesz, "memsz", s->memsz);
	if (s->offset > size || s->filesz > size - s->offset)
		return fail_ph(err, errlen, i, "file bytes run past end of image",
		               "offset", s->offset, "filesz", s->filesz);
	if (s->paddr + s->memsz < s->paddr)
		return fail_ph(err, errlen, i, "physical range wraps",
		               "paddr", s->paddr, "memsz", s->memsz);
	if (s->vaddr + s->memsz < s->vaddr)
		return fail_ph(err, errlen, i, "virtual range wraps",
		               "vaddr", s->vaddr, "memsz", s->memsz);
	return 0;
}

static int check_plan(struct elf_plan *plan, char *err, int errlen)
{
	uint32_t i, j;
	const struct elf_seg *a, *b;

	if (plan->nseg == 0)
		return fail(err, errlen, "no loadable (PT_LOAD) segments");
	plan->lo = UINT64_MAX;
	plan->hi = 0;
	for (i = 0; i < plan->nseg; i++) {
		a = &plan->seg[i];
		if (a->paddr < plan->lo)
			plan->lo = a->paddr;
		if (a->paddr + a->memsz > plan->hi)
			plan->hi = a->paddr + a->memsz;
		for (j = i + 1; j < plan->nseg; j++) {
			b = &plan->seg[j];
			if (a->paddr < b->paddr + b->memsz &&
			    b->paddr < a->paddr + a->memsz) {
				fail_num(err, errlen, "load segments ", i, " and ");
				bootfmt_dec(err, errlen, j);
				bootfmt_cat(err, errlen, " overlap ([");
				bootfmt_hex(err, errlen, a->paddr);
				bootfmt_cat(err, errlen, ", ");
				bootfmt_hex(err, errlen, a->paddr + a->memsz);
				bootfmt_cat(err, errlen, ") and [");
				bootfmt_hex(err, errlen, b->paddr);
				bootfmt_cat(err, errlen, ", ");
				bootfmt_hex(err, errlen, b->paddr + b->memsz);
				bootfmt_cat(err, errlen, "))");
				return -1;
			}
		}
	}
	for (i = 0; i < plan->nseg; i++) {
		a = &plan->seg[i];
		if ((a->flags & PF_X) && plan->entry >= a->vaddr &&
		    plan->entry - a->vaddr < a->filesz)
			return 0;
	}
	fail(err, errlen, "entry point ");
	bootfmt_hex(err, errlen, plan->entry);
	bootfmt_cat(err, errlen, " is not inside an executable segment");
	return -1;
}

int elf_plan(const void *image, uint64_t size, struct elf_plan *plan,
             char *err, int errlen)
{
	const uint8_t *b = image;
	uint64_t phoff, phentsize;
	uint32_t i, phnum;

	bootfmt_clear(err, errlen);
	plan->nseg = 0;
	plan->entry = 0;
	plan->lo = plan->hi = 0;
	if (check_header(b, size, err, errlen) != 0)
		return -1;
	plan->entry = rd64(b + 24);
	phoff = rd64(b + 32);
	phentsize = rd16(b + 54);
	phnum = rd16(b + 56);
	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = b + phoff + i * phentsize;
		uint32_t type = rd32(ph);

		if (type == PT_INTERP)
			return fail_num(err, errlen, "program header ", i,
			                ": PT_INTERP (dynamically linked "
			                "executable) not supported");
		if (type != PT_LOAD || rd64(ph + 40) == 0)
			continue;
		if (plan->nseg == ELF_PLAN_MAX)
			return fail_num(err, errlen, "more than ",
			                ELF_PLAN_MAX, " PT_LOAD segments");
		if (read_load(ph, i, size, &plan->seg[plan->nseg], err,
		              errlen) != 0)
			return -1;
		plan->nseg++;
	}
	return check_plan(plan, err, errlen);
}

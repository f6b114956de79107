/*
 * fuzz_elf.c - elf_plan() (boot/elf_load.c) on arbitrary images.
 *
 * Input: the image (libFuzzer's buffer is exactly size bytes, so any read
 * past the image is a heap-buffer-overflow).
 * Promises checked (elf_load.h): on failure err is a non-empty
 * NUL-terminated line; on success 1 <= nseg <= ELF_PLAN_MAX and for each
 * segment memsz > 0, filesz <= memsz, offset + filesz <= size (no wrap),
 * paddr + memsz and vaddr + memsz do not wrap; segments do not overlap
 * physically; lo/hi are the lowest paddr and highest paddr + memsz; the
 * entry lies in [vaddr, vaddr + filesz) of an executable segment; the
 * same image gives the same plan twice.
 */
#include <string.h>
#include "tests/fuzz/fuzz.h"
#include "boot/elf_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_plan p, q;
	char err[128], err2[128];
	uint64_t lo = ~0ull, hi = 0;
	uint32_t i, j;
	int rc, entry_ok = 0;

	memset(err, 0x5a, sizeof err);
	rc = elf_plan(data, size, &p, err, (int)sizeof err);
	FZ_CHECK(rc == 0 || rc == -1);
	FZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
	FZ_CHECK(elf_plan(data, size, &q, err2, (int)sizeof err2) == rc);
	FZ_CHECK(strcmp(err, err2) == 0);
	if (rc != 0) {
		FZ_CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
		return 0;
	}
	FZ_CHECK(p.entry == q.entry && p.nseg == q.nseg && p.lo == q.lo && p.hi == q.hi);
	FZ_CHECK(p.nseg >= 1 && p.nseg <= ELF_PLAN_MAX);
	for (i = 0; i < p.nseg; i++) {
		const struct elf_seg *s = &p.seg[i], *t = &q.seg[i];

		FZ_CHECK(s->offset == t->offset && s->paddr == t->paddr && s->vaddr == t->vaddr &&
		         s->filesz == t->filesz && s->memsz == t->memsz && s->flags == t->flags);

		FZ_CHECK(s->memsz > 0 && s->filesz <= s->memsz);
		FZ_CHECK(s->offset <= size && s->filesz <= size - s->offset);
		FZ_CHECK(s->paddr + s->memsz >= s->paddr);
		FZ_CHECK(s->vaddr + s->memsz >= s->vaddr);
		for (j = 0; j < i; j++)
			FZ_CHECK(s->paddr + s->memsz <= p.seg[j].paddr ||
			         p.seg[j].paddr + p.seg[j].memsz <= s->paddr);
		if (s->paddr < lo)
			lo = s->paddr;
		if (s->paddr + s->memsz > hi)
			hi = s->paddr + s->memsz;
		if ((s->flags & 1) && p.entry >= s->vaddr && p.entry - s->vaddr < s->filesz)
			entry_ok = 1;
	}
	FZ_CHECK(p.lo == lo && p.hi == hi);
	FZ_CHECK(entry_ok);
	return 0;
}

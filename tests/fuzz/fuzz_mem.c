/*
 * fuzz_mem.c - the TALLYFX1 memory snapshot and the shared promise checks
 * of fuzz.h.
 *
 * Invariants: a successful fz_phys(pa, len) means [pa, pa+len) lies inside
 * one region (len may be 0); the copy it returns is exactly len bytes.
 * Context: host only, single-threaded.
 */
#include <string.h>
#include "tests/fuzz/fuzz.h"
#include "kernel/mem/memmap.h"

struct fz_copy {
	struct fz_copy *next;
	uint8_t data[];
};

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

int fz_mem_parse(const uint8_t *data, size_t size, struct fz_mem *m)
{
	uint32_t i, nreg;
	size_t off, total = 0;

	memset(m, 0, sizeof *m);
	if (size < 24 || memcmp(data, "TALLYFX1", 8) != 0)
		return -1;
	nreg = (uint32_t)le(data + 12, 4);
	if (nreg > FZ_MAX_REGIONS || 24 + (size_t)nreg * 16 > size)
		return -1;
	off = 24 + (size_t)nreg * 16;
	for (i = 0; i < nreg; i++) {
		uint64_t len = le(data + 32 + i * 16, 8);

		if (len > size - off - total)
			return -1;
		total += len;
	}
	m->buf = malloc(total ? total : 1);
	FZ_CHECK(m->buf != NULL);
	memcpy(m->buf, data + off, total);
	m->kind = (uint32_t)le(data + 8, 4);
	m->arg = le(data + 16, 8);
	m->nreg = nreg;
	for (i = 0, total = 0; i < nreg; i++) {
		m->reg[i].base = le(data + 24 + i * 16, 8);
		m->reg[i].len = le(data + 32 + i * 16, 8);
		m->reg[i].data = m->buf + total;
		total += m->reg[i].len;
	}
	return 0;
}

int fz_mem_raw(const uint8_t *data, size_t size, uint64_t base, struct fz_mem *m)
{
	memset(m, 0, sizeof *m);
	m->buf = malloc(size ? size : 1);
	FZ_CHECK(m->buf != NULL);
	memcpy(m->buf, data, size);
	m->nreg = 1;
	m->arg = base;
	m->reg[0].base = base;
	m->reg[0].len = size;
	m->reg[0].data = m->buf;
	return 0;
}

void fz_mem_free(struct fz_mem *m)
{
	struct fz_copy *c, *next;

	for (c = m->copies; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(m->buf);
	memset(m, 0, sizeof *m);
}

const uint8_t *fz_peek(const struct fz_mem *m, uint64_t pa, uint64_t len)
{
	uint32_t i;

	for (i = 0; i < m->nreg; i++) {
		const struct fz_region *r = &m->reg[i];

		if (pa >= r->base && pa - r->base <= r->len &&
		    len <= r->len - (pa - r->base))
			return r->data + (pa - r->base);
	}
	return NULL;
}

const void *fz_phys(void *ctx, uint64_t pa, uint64_t len)
{
	struct fz_mem *m = ctx;
	const uint8_t *p = fz_peek(m, pa, len);
	struct fz_copy *c;

	if (p == NULL)
		return NULL;
	/* exactly len bytes: one more is a heap-buffer-overflow */
	c = malloc(sizeof *c + len);
	FZ_CHECK(c != NULL);
	memcpy(c->data, p, len);
	c->next = m->copies;
	m->copies = c;
	return c->data;
}

void fz_check_err(const char *err, size_t errlen, const char *prefix)
{
	FZ_CHECK(memchr(err, '\0', errlen) != NULL);
	FZ_CHECK(strncmp(err, prefix, strlen(prefix)) == 0);
}

void fz_check_boot_info(const struct boot_info *bi)
{
	uint32_t i, sum = 0;

	FZ_CHECK(bi->magic == BOOT_INFO_MAGIC);
	FZ_CHECK(bi->version == BOOT_INFO_VERSION);
	FZ_CHECK(bi->mmap_count <= BOOT_MMAP_MAX);
	FZ_CHECK(memchr(bi->cmdline, '\0', BOOT_CMDLINE_MAX) != NULL);
	FZ_CHECK(memchr(bi->loader, '\0', BOOT_LOADER_MAX) != NULL);
	for (i = 0; i < bi->mmap_count; i++)
		FZ_CHECK(bi->mmap[i].type >= BOOT_MEM_USABLE &&
		         bi->mmap[i].type <= BOOT_MEM_BOOT_RECLAIM);
	FZ_CHECK(bi->rsdp_len == 0 || bi->rsdp_len == 20 || bi->rsdp_len == 36);
	if (bi->rsdp_len == 0)
		return;
	FZ_CHECK(memcmp(bi->rsdp, "RSD PTR ", 8) == 0);
	for (i = 0; i < 20; i++)
		sum += bi->rsdp[i];
	FZ_CHECK((sum & 0xff) == 0);
	/* a 2.0+ RSDP keeps 36 bytes (its checksum covers its own length) */
	FZ_CHECK((bi->rsdp[15] >= 2) == (bi->rsdp_len == 36));
}

void fz_check_sanitized(const struct boot_mmap_entry *map, size_t n, size_t max)
{
	size_t i;

	FZ_CHECK(n <= max);
	for (i = 0; i < n; i++) {
		const struct boot_mmap_entry *e = &map[i];

		FZ_CHECK(e->len > 0);
		FZ_CHECK(e->base + e->len > e->base);  /* no wrap */
		FZ_CHECK(e->type >= BOOT_MEM_USABLE && e->type <= BOOT_MEM_BOOT_RECLAIM);
		FZ_CHECK(e->pad == 0);
		if (e->type == BOOT_MEM_USABLE || e->type == BOOT_MEM_BOOT_RECLAIM)
			FZ_CHECK(e->base % 4096 == 0 && e->len % 4096 == 0);
		if (i + 1 < n) {
			FZ_CHECK(e->base + e->len <= map[i + 1].base);
			if (e->base + e->len == map[i + 1].base)
				FZ_CHECK(e->type != map[i + 1].type);
		}
	}
}

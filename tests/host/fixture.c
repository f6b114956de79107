/*
 * fixture.c - fixture loading, a checking physical-memory reader, .expect
 * parsing and dynamic cmocka registration for the host tests.
 *
 * Purpose and format: see fixture.h and tests/fixtures/README.md.
 *
 * Data structures: fx_mem regions are separate malloc blocks of exactly
 * their length; fx_phys returns a new exactly-sized copy for every call
 * (kept on a list and freed with the fixture), so an over-read past the
 * requested length is a heap-buffer-overflow under AddressSanitizer, and a
 * write through the returned pointer cannot change the fixture.
 *
 * Invariants: a successful fx_phys(pa, len) means [pa, pa+len) lies inside
 * one region; ranges spanning two regions are unreadable even when the
 * regions touch (fixtures are small; keep each structure in one region).
 *
 * Context: host only; single-threaded.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/fixture.h"

#ifndef TALLY_FIXTURES
#define TALLY_FIXTURES "tests/fixtures"
#endif

struct fx_copy {
	struct fx_copy *next;
	unsigned char *data;
};

const char *fx_dir(void)
{
	const char *d = getenv("TALLY_FIXTURES");

	return d != NULL && d[0] != '\0' ? d : TALLY_FIXTURES;
}

const char *fx_path(const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof buf, "%s/%s", fx_dir(), name);
	return buf;
}

int fx_read_file(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	*data = NULL;
	*len = 0;
	if (f == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	*data = malloc(n > 0 ? (size_t)n : 1);
	if (*data == NULL || fread(*data, 1, (size_t)n, f) != (size_t)n) {
		free(*data);
		*data = NULL;
		fclose(f);
		return -1;
	}
	fclose(f);
	*len = (size_t)n;
	return 0;
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

int fx_mem_init(struct fx_mem *m, uint32_t kind, uint64_t arg)
{
	memset(m, 0, sizeof *m);
	m->kind = kind;
	m->arg = arg;
	return 0;
}

uint8_t *fx_mem_add(struct fx_mem *m, uint64_t base, const void *data,
                    uint64_t len)
{
	struct fx_region *r;

	if (m->nreg == FX_MAX_REGIONS)
		return NULL;
	r = &m->reg[m->nreg];
	r->data = malloc(len > 0 ? len : 1);
	if (r->data == NULL)
		return NULL;
	if (data != NULL)
		memcpy(r->data, data, len);
	else
		memset(r->data, 0, len);
	r->base = base;
	r->len = len;
	m->nreg++;
	return r->data;
}

int fx_mem_load(const char *path, struct fx_mem *m)
{
	uint8_t *b;
	size_t n, off;
	uint32_t i, nreg;

	fx_mem_init(m, 0, 0);
	if (fx_read_file(path, &b, &n) != 0) {
		fprintf(stderr, "fixture %s: cannot read\n", path);
		return -1;
	}
	if (n < 24 || memcmp(b, "TALLYFX1", 8) != 0) {
		fprintf(stderr, "fixture %s: not a TALLYFX1 file\n", path);
		goto bad;
	}
	m->kind = (uint32_t)le(b + 8, 4);
	nreg = (uint32_t)le(b + 12, 4);
	m->arg = le(b + 16, 8);
	if (nreg > FX_MAX_REGIONS || 24 + (size_t)nreg * 16 > n) {
		fprintf(stderr, "fixture %s: bad region table\n", path);
		goto bad;
	}
	off = 24 + (size_t)nreg * 16;
	for (i = 0; i < nreg; i++) {
		uint64_t base = le(b + 24 + i * 16, 8);
		uint64_t len = le(b + 32 + i * 16, 8);

		if (len > n - off || fx_mem_add(m, base, b + off, len) == NULL) {
			fprintf(stderr, "fixture %s: region %u truncated\n",
			        path, i);
			goto bad;
		}
		off += len;
	}
	if (off != n) {
		fprintf(stderr, "fixture %s: %zu trailing bytes\n", path, n - off);
		goto bad;
	}
	free(b);
	return 0;
bad:
	free(b);
	fx_mem_free(m);
	return -1;
}

void fx_mem_free(struct fx_mem *m)
{
	uint32_t i;
	struct fx_copy *c, *next;

	for (i = 0; i < m->nreg; i++)
		free(m->reg[i].data);
	for (c = m->copies; c != NULL; c = next) {
		next = c->next;
		free(c->data);
		free(c);
	}
	memset(m, 0, sizeof *m);
}

const void *fx_phys(void *ctx, uint64_t pa, uint64_t len)
{
	struct fx_mem *m = ctx;
	struct fx_copy *c;
	uint32_t i;

	for (i = 0; i < m->nreg; i++) {
		const struct fx_region *r = &m->reg[i];

		if (pa < r->base || pa - r->base > r->len ||
		    len > r->len - (pa - r->base))
			continue;
		c = malloc(sizeof *c);
		assert_non_null(c);
		c->data = malloc(len > 0 ? len : 1);
		assert_non_null(c->data);
		memcpy(c->data, r->data + (pa - r->base), len);
		c->next = m->copies;
		m->copies = c;
		m->reads++;
		return c->data;
	}
	return NULL;
}

int fx_expect_load(const char *fixture_path, struct fx_expect *e)
{
	char path[4096], *dot, line[4096];
	FILE *f;

	memset(e, 0, sizeof *e);
	snprintf(path, sizeof path, "%s", fixture_path);
	dot = strrchr(path, '.');
	if (dot == NULL || strchr(dot, '/') != NULL)
		dot = path + strlen(path);
	snprintf(dot, sizeof path - (size_t)(dot - path), ".expect");
	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "no expect file %s\n", path);
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char *sp, *nl = strchr(line, '\n');

		if (nl != NULL)
			*nl = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		e->key = realloc(e->key, (e->n + 1) * sizeof *e->key);
		e->val = realloc(e->val, (e->n + 1) * sizeof *e->val);
		assert_true(e->key != NULL && e->val != NULL);
		sp = strchr(line, ' ');
		if (sp != NULL)
			*sp = '\0';
		e->key[e->n] = strdup(line);
		e->val[e->n] = strdup(sp != NULL ? sp + 1 : "");
		e->n++;
	}
	fclose(f);
	return 0;
}

void fx_expect_free(struct fx_expect *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free(e->key[i]);
		free(e->val[i]);
	}
	free(e->key);
	free(e->val);
	memset(e, 0, sizeof *e);
}

const char *fx_expect_get(const struct fx_expect *e, const char *key)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (strcmp(e->key[i], key) == 0)
			return e->val[i];
	return NULL;
}

size_t fx_expect_count(const struct fx_expect *e, const char *key)
{
	size_t i, n = 0;

	for (i = 0; i < e->n; i++)
		n += strcmp(e->key[i], key) == 0;
	return n;
}

uint64_t fx_num(const char *s)
{
	char *end;
	unsigned long long v;

	assert_non_null(s);
	v = strtoull(s, &end, 0);
	if (end == s || *end != '\0')
		fail_msg("bad number \"%s\" in expect file", s);
	return v;
}

int fx_check_result(const struct fx_expect *e, int rc, const char *err)
{
	const char *res = fx_expect_get(e, "result");

	if (res == NULL)
		fail_msg("expect file has no result line");
	if (strcmp(res, "ok") == 0) {
		if (rc != 0)
			fail_msg("expected success, got error: %s", err);
		return 1;
	}
	if (strncmp(res, "error ", 6) != 0)
		fail_msg("bad result line \"%s\"", res);
	if (rc != -1)
		fail_msg("expected error containing \"%s\", got rc %d", res + 6,
		         rc);
	if (err == NULL || strstr(err, res + 6) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"",
		         err != NULL ? err : "(null)", res + 6);
	return 0;
}

static void check_invariants(const struct boot_info *bi)
{
	uint32_t i, sum = 0;

	assert_int_equal(bi->magic, BOOT_INFO_MAGIC);
	assert_int_equal(bi->version, BOOT_INFO_VERSION);
	assert_true(bi->mmap_count <= BOOT_MMAP_MAX);
	assert_non_null(memchr(bi->cmdline, '\0', BOOT_CMDLINE_MAX));
	assert_non_null(memchr(bi->loader, '\0', BOOT_LOADER_MAX));
	assert_true(bi->rsdp_len == 0 || bi->rsdp_len == 20 ||
	            bi->rsdp_len == 36);
	if (bi->rsdp_len == 0)
		return;
	assert_memory_equal(bi->rsdp, "RSD PTR ", 8);
	for (i = 0; i < 20; i++)
		sum += bi->rsdp[i];
	assert_int_equal(sum & 0xff, 0);
	if (bi->rsdp_len == 36) {
		for (; i < 36; i++)
			sum += bi->rsdp[i];
		assert_int_equal(sum & 0xff, 0);
	}
}

static void check_fb(const char *v, const struct boot_fb *fb)
{
	unsigned long long addr;
	unsigned w, h, pitch, bpp, rp, rs, gp, gs, bp, bs;

	if (sscanf(v, "%llx %u %u %u %u %u %u %u %u %u %u", &addr, &w, &h,
	           &pitch, &bpp, &rp, &rs, &gp, &gs, &bp, &bs) != 11)
		fail_msg("bad fb line \"%s\"", v);
	assert_int_equal(fb->addr, addr);
	assert_int_equal(fb->width, w);
	assert_int_equal(fb->height, h);
	assert_int_equal(fb->pitch, pitch);
	assert_int_equal(fb->bpp, bpp);
	assert_int_equal(fb->red_pos, rp);
	assert_int_equal(fb->red_size, rs);
	assert_int_equal(fb->green_pos, gp);
	assert_int_equal(fb->green_size, gs);
	assert_int_equal(fb->blue_pos, bp);
	assert_int_equal(fb->blue_size, bs);
}

void fx_check_boot_info(const struct fx_expect *e, int rc, const char *err,
                        const struct boot_info *bi)
{
	const char *v;
	size_t i, k = 0;

	if (!fx_check_result(e, rc, err))
		return;
	check_invariants(bi);
	if ((v = fx_expect_get(e, "loader")) != NULL)
		assert_string_equal(bi->loader, v);
	if ((v = fx_expect_get(e, "cmdline")) != NULL)
		assert_string_equal(bi->cmdline, v);
	if ((v = fx_expect_get(e, "rsdp_len")) != NULL)
		assert_int_equal(bi->rsdp_len, fx_num(v));
	if ((v = fx_expect_get(e, "rsdp_addr")) != NULL)
		assert_int_equal(bi->rsdp_addr, fx_num(v));
	if ((v = fx_expect_get(e, "fb")) != NULL)
		check_fb(v, &bi->fb);
	if (fx_expect_count(e, "mmap") == 0)
		return;
	assert_int_equal(bi->mmap_count, fx_expect_count(e, "mmap"));
	for (i = 0; i < e->n; i++) {
		unsigned long long base, len;
		unsigned type;

		if (strcmp(e->key[i], "mmap") != 0)
			continue;
		if (sscanf(e->val[i], "%llx %llx %u", &base, &len, &type) != 3)
			fail_msg("bad mmap line \"%s\"", e->val[i]);
		if (bi->mmap[k].base != base || bi->mmap[k].len != len ||
		    bi->mmap[k].type != type)
			fail_msg("mmap[%zu] is 0x%llx 0x%llx %u, expected %s", k,
			         (unsigned long long)bi->mmap[k].base,
			         (unsigned long long)bi->mmap[k].len,
			         bi->mmap[k].type, e->val[i]);
		k++;
	}
}

void fx_put(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		*p++ = (uint8_t)v;
		v >>= 8;
	}
}

static void fix_sum(uint8_t *b, size_t n, size_t at)
{
	uint8_t sum = 0;
	size_t i;

	b[at] = 0;
	for (i = 0; i < n; i++)
		sum = (uint8_t)(sum + b[i]);
	b[at] = (uint8_t)-sum;
}

size_t fx_make_rsdp(uint8_t *buf, uint8_t rev, uint32_t length,
                    const char *oem)
{
	size_t n = rev >= 2 ? length : 20;

	memset(buf, 0, n);
	memcpy(buf, "RSD PTR ", 8);
	memcpy(buf + 9, oem, strlen(oem) < 6 ? strlen(oem) : 6);
	buf[15] = rev;
	fx_put(buf + 16, 0x7fe2390, 4);
	if (rev >= 2) {
		fx_put(buf + 20, length, 4);
		fx_put(buf + 24, 0x7fe2400, 8);
	}
	fix_sum(buf, 20, 8);
	if (rev >= 2)
		fix_sum(buf, length, 32);
	return n;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Does name start with one of the '|'-separated prefixes? */
static int prefix_match(const char *name, const char *prefixes)
{
	const char *p = prefixes;

	for (;;) {
		size_t len = strcspn(p, "|");

		if (strncmp(name, p, len) == 0)
			return 1;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

static size_t g_min_fixtures, g_nfixtures;
static const char *g_prefix;

static void fixtures_present(void **state)
{
	(void)state;
	if (g_nfixtures < g_min_fixtures)
		fail_msg("found %zu fixtures %s* in %s, expected at least %zu",
		         g_nfixtures, g_prefix, fx_dir(), g_min_fixtures);
}

int fx_run_group(const char *group, const struct CMUnitTest *tests,
                 size_t ntests, const char *prefix, const char *suffix,
                 CMUnitTestFunction per_fixture, size_t min_fixtures)
{
	DIR *d = opendir(fx_dir());
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i, sl = strlen(suffix);
	struct CMUnitTest *all;
	int rc;

	while (d != NULL && (de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l < sl || strcmp(de->d_name + l - sl, suffix) != 0 ||
		    !prefix_match(de->d_name, prefix))
			continue;
		names = realloc(names, (n + 1) * sizeof *names);
		assert_non_null(names);
		names[n++] = strdup(de->d_name);
	}
	if (d != NULL)
		closedir(d);
	qsort(names, n, sizeof *names, name_cmp);
	g_min_fixtures = min_fixtures;
	g_nfixtures = n;
	g_prefix = prefix;
	all = calloc(ntests + n + 1, sizeof *all);
	assert_non_null(all);
	memcpy(all, tests, ntests * sizeof *all);
	for (i = 0; i < n; i++) {
		char *path = malloc(strlen(fx_dir()) + strlen(names[i]) + 2);

		assert_non_null(path);
		sprintf(path, "%s/%s", fx_dir(), names[i]);
		all[ntests + i].name = names[i];
		all[ntests + i].test_func = per_fixture;
		all[ntests + i].initial_state = path;
	}
	all[ntests + n].name = "fixtures_present";
	all[ntests + n].test_func = fixtures_present;
	rc = _cmocka_run_group_tests(group, all, ntests + n + 1, NULL, NULL);
	for (i = 0; i < n; i++) {
		free(all[ntests + i].initial_state);
		free(names[i]);
	}
	free(names);
	free(all);
	return rc;
}

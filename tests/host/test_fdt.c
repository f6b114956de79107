/*
 * test_fdt.c - host tests of the device tree parser (kernel/fdt/).
 *
 * Purpose: prove that fdt_open() and fdt_scan() read every fact QEMU's
 * `virt` machine puts in its device tree, and that a damaged blob gives
 * the precise error the defect planted in it calls for, never a read
 * outside the blob.
 *
 * Data structures: each tests/fixtures/dtb/<name>.dtb comes with a
 * <name>.expect (format: tools/mkdtb.py).  The virt-* blobs were dumped
 * by QEMU (dumpdtb) and their .expect written from the QEMU command line
 * (memory size, CPU count, GIC version, -append) and from dtc's decoding,
 * not from this parser; the bad-* and small-* ones are crafted by
 * mkdtb.py's own FDT writer.  One cmocka test per fixture compares every
 * list exhaustively and every scalar present.  The static tests cut a
 * recorded blob at every length and every structure-block size, flip
 * bits of a crafted one everywhere, and check the walk against dtc's node
 * count; every blob handed to the parser is an exactly-sized heap copy,
 * so the ASan build catches a read one byte past it.
 *
 * Context: host only, single-threaded.
 */
#define _POSIX_C_SOURCE 200809L  /* setenv */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tests/host/fixture.h"
#include "kernel/fdt/fdt.h"

#define REFERENCE "virt-gic3-smp4-1G.dtb"
#define SMALL     "small-aliases.dtb"

/* kprintf.c's console sink: nothing here prints through it. */
void console_write(const char *s, size_t n)
{
	(void)s;
	(void)n;
}

static struct fdt_info info;  /* ~12 KiB */

static uint8_t *load(const char *name, size_t *len)
{
	uint8_t *b;

	assert_int_equal(fx_read_file(fx_path(name), &b, len), 0);
	return b;
}

/* Every node and property the walk reaches lies inside the blob, names
 * are terminated there, and the walk visits f->nodes nodes. */
static void check_walk(const struct fdt *f)
{
	const uint8_t *lo = f->blob, *hi = f->blob + f->size;
	int n = -1, d = 0, count = 0, p;

	while ((n = fdt_next_node(f, n, &d)) >= 0) {
		const char *name = fdt_node_name(f, n);

		assert_non_null(name);
		assert_true((const uint8_t *)name >= lo && (const uint8_t *)name + strlen(name) < hi);
		assert_true(d >= 0 && d <= FDT_MAX_DEPTH);
		assert_true(count == 0 ? fdt_parent(f, n) == -1 : fdt_parent(f, n) >= 0);
		for (p = fdt_first_prop(f, n); p >= 0; p = fdt_next_prop(f, p)) {
			const char *pn;
			uint32_t len;
			const uint8_t *v = fdt_prop_at(f, p, &pn, &len);

			assert_non_null(v);
			assert_true(v >= lo && v + len <= hi);
			assert_true((const uint8_t *)pn >= lo && (const uint8_t *)pn + strlen(pn) < hi);
		}
		count++;
	}
	assert_int_equal(count, (int)f->nodes);
}

static void check_info(const struct fdt_info *o)
{
	uint64_t sum = 0;
	uint32_t i, j;

	assert_true(o->nmem <= FDT_MAX_MEM && o->ncpu <= FDT_MAX_CPUS && o->nrsv <= FDT_MAX_RSV);
	assert_true(o->nredist <= FDT_MAX_REDIST && o->nwarn <= FDT_MAX_WARN);
	for (i = 0; i < o->nmem; i++) {
		assert_true(o->mem[i].size > 0 && o->mem[i].base + o->mem[i].size > o->mem[i].base);
		sum += o->mem[i].size;
	}
	assert_true(sum == o->mem_total);
	for (i = 0; i < o->ncpu; i++)
		for (j = 0; j < i; j++)
			assert_true(o->cpu[i].mpidr != o->cpu[j].mpidr);
	assert_non_null(memchr(o->model, 0, sizeof o->model));
	assert_non_null(memchr(o->bootargs, 0, sizeof o->bootargs));
	assert_non_null(memchr(o->stdout_path, 0, sizeof o->stdout_path));
	for (i = 0; i < o->nwarn; i++) {
		assert_non_null(memchr(o->warn[i], 0, FDT_ERR_LEN));
		assert_true(strncmp(o->warn[i], "fdt: ", 5) == 0 && !strchr(o->warn[i], '\n'));
	}
}

/* Open a copy of b[0..len) and scan it; rc of the pair, err filled. */
static int open_scan(const uint8_t *b, size_t len, struct fdt *f, char *err)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, b, len);
	rc = fdt_open(f, copy, len, err, FDT_ERR_LEN);
	assert_non_null(memchr(err, 0, FDT_ERR_LEN));
	if (rc == 0) {
		check_walk(f);
		rc = fdt_scan(f, &info, err, FDT_ERR_LEN);
		check_info(&info);
	} else {
		assert_true(strncmp(err, "fdt: ", 5) == 0);
		assert_int_equal(f->size, 0);
	}
	free(copy);
	return rc;
}

static uint64_t num(const char *s, char **end)
{
	uint64_t v = strtoull(s, end, 0);

	assert_true(*end != s);
	return v;
}

static void range_eq(const char *val, const struct fdt_range *r, const char *what)
{
	char *e;
	uint64_t a = num(val, &e), z = num(e, &e);

	if (a != r->base || z != r->size)
		fail_msg("%s: expected 0x%llx+0x%llx, parsed 0x%llx+0x%llx", what,
		         (unsigned long long)a, (unsigned long long)z,
		         (unsigned long long)r->base, (unsigned long long)r->size);
}

/* ---- one test per fixture ------------------------------------------- */

static void test_fixture(void **state)
{
	const char *path = *state;
	struct fx_expect e;
	struct fdt f;
	char err[FDT_ERR_LEN];
	uint8_t *b;
	size_t len, i, nmem = 0, ncpu = 0, nrsv = 0, nred = 0, nwarn = 0;
	int rc;
	const char *v;

	assert_int_equal(fx_read_file(path, &b, &len), 0);
	assert_int_equal(fx_expect_load(path, &e), 0);
	rc = open_scan(b, len, &f, err);
	v = fx_expect_get(&e, "result");
	assert_non_null(v);
	if (strcmp(v, "ok") == 0 && rc != 0)
		fail_msg("expected success, got: %s", err);
	if (strcmp(v, "error") == 0 && rc == 0)
		fail_msg("expected an error, the blob was accepted");
	if ((v = fx_expect_get(&e, "error")) != NULL)
		assert_string_equal(err, v);
	for (i = 0; i < e.n; i++) {
		const char *k = e.key[i], *val = e.val[i];
		char *end;

		if (strcmp(k, "warn") == 0) {
			uint32_t w;

			for (w = 0; w < info.nwarn && strcmp(info.warn[w], val) != 0; w++)
				;
			if (w == info.nwarn)
				fail_msg("warning not given: %s (first: %s)", val,
				         info.nwarn ? info.warn[0] : "none");
			nwarn++;
		}
		if (rc != 0 && strcmp(k, "warn") != 0)
			continue;
		if (strcmp(k, "mem_total") == 0) {
			assert_true(info.mem_total == num(val, &end));
		} else if (strcmp(k, "ncpu") == 0) {
			assert_int_equal(info.ncpu, num(val, &end));
		} else if (strcmp(k, "gic_version") == 0) {
			assert_int_equal(info.gic_version, num(val, &end));
		} else if (strcmp(k, "nodes") == 0) {
			assert_int_equal(f.nodes, num(val, &end));
		} else if (strcmp(k, "bootargs") == 0) {
			assert_true(info.has_bootargs);
			assert_string_equal(info.bootargs, val);
		} else if (strcmp(k, "model") == 0) {
			assert_string_equal(info.model, val);
		} else if (strcmp(k, "stdout") == 0) {
			assert_string_equal(info.stdout_path, val);
			assert_true(info.uart_is_stdout);
		} else if (strcmp(k, "mem") == 0) {
			assert_true(nmem < info.nmem);
			range_eq(val, &info.mem[nmem++], "mem");
		} else if (strcmp(k, "rsv") == 0) {
			assert_true(nrsv < info.nrsv);
			range_eq(val, &info.rsv[nrsv++], "rsv");
		} else if (strcmp(k, "redist") == 0) {
			assert_true(nred < info.nredist);
			range_eq(val, &info.redist[nred++], "redist");
		} else if (strcmp(k, "gicd") == 0) {
			range_eq(val, &info.gicd, "gicd");
		} else if (strcmp(k, "gicc") == 0) {
			assert_int_equal(info.gic_version, 2);
			range_eq(val, &info.gicc, "gicc");
		} else if (strcmp(k, "msi") == 0) {
			range_eq(val, &info.msi, "msi");
		} else if (strcmp(k, "cpu") == 0) {
			const struct fdt_cpu *c = &info.cpu[ncpu];
			char how[16];
			unsigned long long ra = 0;
			int nf;

			assert_true(ncpu < info.ncpu);
			assert_true(c->mpidr == num(val, &end));
			nf = sscanf(end, " %15s %llx", how, &ra);
			assert_true(nf >= 1);
			assert_int_equal(c->enable, strcmp(how, "psci") == 0 ? FDT_ENABLE_PSCI :
			                 strcmp(how, "spin-table") == 0 ? FDT_ENABLE_SPIN_TABLE :
			                 FDT_ENABLE_NONE);
			assert_true(c->release_addr == ra);
			ncpu++;
		} else if (strcmp(k, "psci") == 0) {
			assert_int_equal(info.psci, strcmp(val, "hvc") == 0 ? FDT_PSCI_HVC :
			                 strcmp(val, "smc") == 0 ? FDT_PSCI_SMC : FDT_PSCI_NONE);
		} else if (strcmp(k, "psci_cpu_on") == 0) {
			assert_int_equal(info.psci_cpu_on, num(val, &end));
		} else if (strcmp(k, "uart") == 0) {
			uint64_t a = num(val, &end), z = num(end, &end);

			assert_true(info.has_uart);
			assert_true(info.uart.base == a && info.uart.size == z);
			if (strstr(end, "none"))
				assert_false(info.uart_irq.valid);
			else
				assert_true(info.uart_irq.valid && info.uart_irq.intid == num(end, &end));
		} else if (strcmp(k, "timer") == 0) {
			int t;

			assert_true(info.has_timer);
			end = (char *)val;
			for (t = 0; t < FDT_TIMER_NIRQ; t++) {
				assert_true(info.timer[t].valid);
				assert_int_equal(info.timer[t].type, 1);
				assert_int_equal(info.timer[t].intid, num(end, &end));
			}
		} else if (strcmp(k, "result") != 0 && strcmp(k, "error") != 0 &&
		           strcmp(k, "warn") != 0) {
			fail_msg("unknown expect key %s", k);
		}
	}
	if (rc == 0) {
		assert_int_equal(nmem, info.nmem);
		assert_int_equal(ncpu, info.ncpu);
		if (fx_expect_get(&e, "rsv") || nrsv)
			assert_int_equal(nrsv, info.nrsv);
		if (fx_expect_get(&e, "redist"))
			assert_int_equal(nred, info.nredist);
		if (nwarn == 0 && info.nwarn)
			fail_msg("unexpected warning: %s", info.warn[0]);
	}
	fx_expect_free(&e);
	free(b);
}

/* ---- static tests --------------------------------------------------- */

/* Every length of a recorded blob, with totalsize saying that length: the
 * blob is whole exactly when it still holds its strings block. */
static void test_every_length(void **state)
{
	size_t len, l;
	uint8_t *b = load(REFERENCE, &len), *c;
	uint32_t need = fdt_be32(b + 12) + fdt_be32(b + 32);
	struct fdt f;
	char err[FDT_ERR_LEN];

	(void)state;
	assert_true(need < len);
	for (l = 0; l <= need + 8; l++) {
		c = malloc(l ? l : 1);
		memcpy(c, b, l);
		if (l >= 8)
			c[4] = (uint8_t)(l >> 24), c[5] = (uint8_t)(l >> 16), c[6] = (uint8_t)(l >> 8),
			c[7] = (uint8_t)l;
		if ((fdt_open(&f, c, l, err, sizeof err) == 0) != (l >= need))
			fail_msg("length %zu (strings end at %u): %s", l, need, err);
		free(c);
	}
	free(b);
}

/* Every structure block size short of the real one fails. */
static void test_every_struct_size(void **state)
{
	size_t len;
	uint8_t *b = load(REFERENCE, &len);
	uint32_t s = fdt_be32(b + 36), k;
	struct fdt f;
	char err[FDT_ERR_LEN];

	(void)state;
	/* drop QEMU's zero padding: the blob ends with its strings block */
	len = fdt_be32(b + 12) + fdt_be32(b + 32);
	b[4] = (uint8_t)(len >> 24), b[5] = (uint8_t)(len >> 16), b[6] = (uint8_t)(len >> 8),
	b[7] = (uint8_t)len;
	for (k = 0; k <= s; k++) {
		b[36] = (uint8_t)(k >> 24), b[37] = (uint8_t)(k >> 16), b[38] = (uint8_t)(k >> 8),
		b[39] = (uint8_t)k;
		if ((open_scan(b, len, &f, err) == 0) != (k == s))
			fail_msg("struct size %u of %u: %s", k, s, k == s ? err : "accepted");
	}
	free(b);
}

/* Flip bits in every byte of a crafted blob: any result, no stray read. */
static void test_bit_flips(void **state)
{
	size_t len, i;
	uint8_t *b = load(SMALL, &len);
	static const uint8_t x[] = { 0x01, 0x04, 0x80, 0xff };
	struct fdt f;
	char err[FDT_ERR_LEN];
	unsigned k, ok = 0;

	(void)state;
	for (i = 0; i < len; i++)
		for (k = 0; k < sizeof x; k++) {
			b[i] ^= x[k];
			ok += open_scan(b, len, &f, err) == 0;
			b[i] ^= x[k];
		}
	assert_true(ok > 0);  /* some flips (in values) keep the tree sound */
	assert_int_equal(open_scan(b, len, &f, err), 0);
	free(b);
}

/* Paths, parents, siblings and cells, against dtc's view of the blob. */
static void test_navigation(void **state)
{
	size_t len;
	uint8_t *b = load(REFERENCE, &len);
	struct fdt f;
	char err[FDT_ERR_LEN];
	int cpus, c, n = 0;
	uint32_t ac, sc;
	uint64_t a, z;

	(void)state;
	assert_int_equal(fdt_open(&f, b, len, err, sizeof err), 0);
	assert_int_equal(fdt_path(&f, "/"), fdt_root(&f));
	assert_string_equal(fdt_node_name(&f, fdt_path(&f, "/memory")), "memory@40000000");
	assert_int_equal(fdt_path(&f, "/memory@4"), -1);
	assert_int_equal(fdt_path(&f, "cpus"), -1);
	cpus = fdt_path(&f, "/cpus");
	assert_true(cpus > 0);
	assert_int_equal(fdt_parent(&f, cpus), fdt_root(&f));
	assert_int_equal(fdt_cells(&f, cpus, &ac, &sc, err, sizeof err), 0);
	assert_true(ac == 1 && sc == 0);
	/* dtc: cpus { cpu-map, cpu@0 .. cpu@3 } */
	for (c = fdt_first_child(&f, cpus); c >= 0; c = fdt_next_sibling(&f, c), n++)
		assert_int_equal(fdt_parent(&f, c), cpus);
	assert_int_equal(n, 5);
	c = fdt_path(&f, "/cpus/cpu@2");
	assert_true(c > 0);
	assert_int_equal(fdt_reg_count(&f, c, err, sizeof err), 1);
	assert_int_equal(fdt_reg(&f, c, 0, &a, &z, err, sizeof err), 0);
	assert_true(a == 2 && z == 0);
	assert_int_equal(fdt_reg(&f, c, 1, &a, &z, err, sizeof err), -1);
	assert_string_equal(err, "fdt: reg of cpu@2 has 1 entries, not 2");
	/* dtc: intc@8000000 has phandle 0x8005, its@8080000 0x8006 */
	assert_string_equal(fdt_node_name(&f, fdt_find_phandle(&f, 0x8005)), "intc@8000000");
	assert_string_equal(fdt_node_name(&f, fdt_find_phandle(&f, 0x8006)), "its@8080000");
	assert_int_equal(fdt_find_phandle(&f, 0), -1);
	/* dtc: the sixteenth of 32 virtio_mmio nodes is virtio_mmio@a001e00 */
	c = -1;
	for (n = 0; n < 16; n++)
		c = fdt_find_compatible(&f, c, "virtio,mmio");
	assert_string_equal(fdt_node_name(&f, c), "virtio_mmio@a001e00");
	for (n = 16; c >= 0; n++)
		c = fdt_find_compatible(&f, c, "virtio,mmio");
	assert_int_equal(n, 33);
	assert_null(fdt_prop(&f, fdt_root(&f), "no-such", NULL));
	free(b);
}

static void test_strlist(void **state)
{
	(void)state;
	assert_true(fdt_strlist_has("a\0bc\0", 5, "bc"));
	assert_true(fdt_strlist_has("a\0bc\0", 5, "a"));
	assert_false(fdt_strlist_has("a\0bc\0", 5, "b"));
	assert_false(fdt_strlist_has("a\0bc", 4, "bc"));  /* unterminated last */
	assert_false(fdt_strlist_has("", 0, ""));
}

static void test_null_and_empty(void **state)
{
	struct fdt f;
	char err[FDT_ERR_LEN];

	(void)state;
	assert_int_equal(fdt_open(&f, NULL, 100, err, sizeof err), -1);
	assert_string_equal(err, "fdt: blob of 0 bytes is shorter than the 40-byte header");
	assert_int_equal(fdt_root(&f), -1);
	assert_int_equal(fdt_scan(&f, &info, err, sizeof err), -1);
	assert_string_equal(err, "fdt: no blob opened");
	assert_int_equal(fdt_next_node(&f, 0, NULL), -1);
	assert_null(fdt_node_name(&f, 0));
}

int main(void)
{
	static char dir[4096];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strlist),
		cmocka_unit_test(test_null_and_empty),
		cmocka_unit_test(test_every_length),
		cmocka_unit_test(test_every_struct_size),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_navigation),
	};

	snprintf(dir, sizeof dir, "%s/dtb", fx_dir());
	setenv("TALLY_FIXTURES", dir, 1);
	return fx_run_group("fdt", tests, sizeof tests / sizeof tests[0], "virt-|small-|bad-",
	                    ".dtb", test_fixture, 30);
}

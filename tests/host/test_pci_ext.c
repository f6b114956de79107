/*
 * test_pci_ext.c - host tests of the PCI Express extended capability walk
 * (kernel/pci/pci.c, walk_ext_caps) over crafted 4 KiB config spaces.
 *
 * One function, its whole 4 KiB held in an array that a small ops struct
 * serves; the mechanism's reach (cfg_size) is the test's to set, and every
 * read past 255 is counted, so a test can say the walk did not look.
 *
 * The layout QEMU's e1000e presents (hw/net/e1000e.c: PCI Express
 * capability at 0xe0, AER version 2 at 0x100, Device Serial Number at
 * 0x140) is the normal case; the rest are the ways a list goes wrong: a
 * loop (two-step and self), a link below 0x100, a header that reads all
 * ones part way, more capabilities than are kept, null capabilities as
 * placeholders, and the two reasons not to walk at all (no PCI Express
 * capability, a mechanism that stops at 256 bytes).  Each bad one expects
 * a precise warning and a bounded walk, never a hang.
 */
#define _DEFAULT_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kernel/pci/pci_impl.h"

void console_write(const char *s, size_t n)
{
	(void)s, (void)n;
}

static uint32_t cfg[1024];
static unsigned ext_reads;

static uint32_t rd(void *ctx, unsigned b, unsigned d, unsigned f, unsigned off)
{
	(void)ctx;
	assert_true(off % 4 == 0 && off < 4096);
	if (b || d || f)
		return 0xffffffffu;
	if (off >= 256)
		ext_reads++;
	return cfg[off / 4];
}

static void wr(void *ctx, unsigned b, unsigned d, unsigned f, unsigned off, uint32_t v)
{
	(void)ctx, (void)b, (void)d, (void)f;
	assert_true(off < 256);   /* the scan never writes the extended space */
	if (off != PCI_COMMAND)
		cfg[off / 4] = v;
}

static struct pci_scan scan;

static void base(int pcie)
{
	memset(cfg, 0, sizeof(cfg));
	ext_reads = 0;
	cfg[0] = 0x8086 | 0x10d3u << 16;
	cfg[2] = 0x02000000;
	cfg[1] = PCI_STATUS_CAPS << 16;
	cfg[PCI_CAP_PTR / 4] = 0xc8;
	cfg[0xc8 / 4] = 0x01 | (pcie ? 0xe0 : 0) << 8;   /* power management */
	if (pcie)
		cfg[0xe0 / 4] = PCI_CAP_PCIE;                   /* PCI Express, last */
}

static uint32_t hdr(uint16_t id, unsigned ver, unsigned next)
{
	return id | (uint32_t)ver << 16 | (uint32_t)next << 20;
}

static void run(unsigned cfg_size)
{
	struct pci_cfg_ops o = { "fake", rd, wr, NULL, 0, 0, cfg_size };
	assert_int_equal(pci_scan(&o, &scan), 1);
}

static void assert_warning(const char *want)
{
	for (unsigned i = 0; i < scan.nwarn; i++)
		if (!strcmp(scan.warn[i], want))
			return;
	for (unsigned i = 0; i < scan.nwarn; i++)
		fprintf(stderr, "warning: %s\n", scan.warn[i]);
	fail_msg("no warning \"%s\"", want);
}

static void test_e1000e_layout(void **state)
{
	(void)state;
	char line[200];
	base(1);
	cfg[0x100 / 4] = hdr(0x0001, 2, 0x140);
	cfg[0x140 / 4] = hdr(0x0003, 1, 0);
	run(4096);
	const struct pci_dev *d = &scan.dev[0];
	assert_true(d->pcie);
	assert_int_equal(d->necap, 2);
	assert_int_equal(d->ecap[0].id, 1);
	assert_int_equal(d->ecap[0].ver, 2);
	assert_int_equal(d->ecap[0].off, 0x100);
	assert_int_equal(d->ecap[1].id, 3);
	assert_int_equal(d->ecap[1].off, 0x140);
	assert_false(d->ecap_error);
	assert_int_equal(scan.nwarn, 0);
	assert_int_equal(ext_reads, 2);
	pci_describe_ecaps(d, line, sizeof(line));
	assert_string_equal(line, "extended: AER v2 @0x100, DSN v1 @0x140");
}

static void test_not_walked(void **state)
{
	(void)state;
	char line[200];
	/* a conventional function: its bytes past 255 are not believed */
	base(0);
	cfg[0x100 / 4] = hdr(0x0001, 2, 0);
	run(4096);
	assert_false(scan.dev[0].pcie);
	assert_int_equal(scan.dev[0].necap, 0);
	assert_int_equal(ext_reads, 0);
	pci_describe_ecaps(&scan.dev[0], line, sizeof(line));
	assert_string_equal(line, "");
	/* a mechanism that stops at 256 bytes (cfg_size 0 means that too) */
	base(1);
	cfg[0x100 / 4] = hdr(0x0001, 2, 0);
	run(256);
	assert_int_equal(scan.dev[0].necap, 0);
	run(0);
	assert_int_equal(scan.dev[0].necap, 0);
	assert_int_equal(ext_reads, 0);
	/* nothing at 0x100: 0 or all ones, no warning */
	base(1);
	run(4096);
	assert_int_equal(scan.dev[0].necap, 0);
	cfg[0x100 / 4] = 0xffffffffu;
	run(4096);
	assert_int_equal(scan.dev[0].necap, 0);
	assert_int_equal(scan.nwarn, 0);
}

static void test_loops(void **state)
{
	(void)state;
	base(1);
	cfg[0x100 / 4] = hdr(0x0001, 2, 0x140);
	cfg[0x140 / 4] = hdr(0x0003, 1, 0x100);
	run(4096);
	assert_int_equal(scan.dev[0].necap, 2);
	assert_true(scan.dev[0].ecap_error);
	assert_warning("pci: 00:00.0: extended capability list loops: 0x140 leads back to 0x100; "
	               "extended list cut there");
	/* one that names itself, with the reserved low bits set */
	base(1);
	cfg[0x100 / 4] = hdr(0x000e, 1, 0x103);
	run(4096);
	assert_int_equal(scan.dev[0].necap, 1);
	assert_warning("pci: 00:00.0: extended capability list loops: 0x100 leads back to 0x100; "
	               "extended list cut there");
	assert_true(ext_reads <= 2);
}

static void test_bad_links(void **state)
{
	(void)state;
	base(1);
	cfg[0x100 / 4] = hdr(0x0001, 2, 0x0fc);
	run(4096);
	assert_int_equal(scan.dev[0].necap, 1);
	assert_warning("pci: 00:00.0: extended capability at 0x100 points to 0x0fc, below 0x100; "
	               "extended list cut there");
	base(1);
	cfg[0x100 / 4] = hdr(0x0001, 2, 0x200);
	cfg[0x200 / 4] = 0xffffffffu;
	run(4096);
	assert_int_equal(scan.dev[0].necap, 1);
	assert_warning("pci: 00:00.0: extended capability at 0x200 (from 0x100) reads as all ones; "
	               "extended list cut there");
}

static void test_long_chain(void **state)
{
	(void)state;
	char line[200];   /* the size of the boot listing's line */
	/* 40 capabilities, null placeholders between them: the first 16 real
	 * ones are kept, all 40 counted, none of the nulls */
	base(1);
	unsigned off = 0x100;
	for (unsigned i = 0; i < 80; i++) {
		unsigned next = i == 79 ? 0 : off + 0x20;
		cfg[off / 4] = hdr(i % 2 ? 0 : 0x0010, 1, next);
		off = next;
	}
	run(4096);
	assert_int_equal(scan.dev[0].necap, PCI_MAX_ECAPS);
	assert_int_equal(scan.dev[0].necap_all, 40);
	assert_int_equal(scan.dev[0].ecap[1].off, 0x140);
	assert_false(scan.dev[0].ecap_error);
	pci_describe_ecaps(&scan.dev[0], line, sizeof(line));
	/* what fits in a listing line, then how many were not shown */
	assert_int_equal(strncmp(line, "extended: SR-IOV v1 @0x100, SR-IOV v1 @0x140, ", 46), 0);
	unsigned more = 0, shown = 0;
	for (const char *p = line; (p = strstr(p, "SR-IOV")); p++)
		shown++;
	assert_non_null(strstr(line, " more)"));
	assert_int_equal(sscanf(strstr(line, " (+"), " (+%u more)", &more), 1);
	assert_int_equal(shown + more, 40);
	assert_true(shown >= 8);
	/* every dword a link to the next: the walk ends at the last one */
	base(1);
	for (unsigned p = 0x100; p < 0x1000; p += 4)
		cfg[p / 4] = hdr(0x0abc, 1, p + 4 < 0x1000 ? p + 4 : 0);
	run(4096);
	assert_int_equal(scan.dev[0].necap_all, 960);
	assert_int_equal(ext_reads, 960);
	pci_describe_ecaps(&scan.dev[0], line, sizeof(line));
	assert_non_null(strstr(line, "extended: 0x0abc v1 @0x100, "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e1000e_layout),
		cmocka_unit_test(test_not_walked),
		cmocka_unit_test(test_loops),
		cmocka_unit_test(test_bad_links),
		cmocka_unit_test(test_long_chain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

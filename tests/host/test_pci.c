/*
 * test_pci.c - host tests of PCI enumeration (kernel/pci/pci.c) against
 * config spaces recorded from QEMU, and of driver matching.
 *
 * Recorded fixtures (tests/fixtures/NAME.pcidump, tools/record-fixture.py
 * pci): each function's 256 bytes as QEMU presented them and, per BAR
 * slot, what QEMU answered when all ones were written (the hardware's own
 * sizing answer).  A fake config space (tests/host/pci_fake.c) replays
 * them: reads return the bytes, an all-ones write to a BAR makes it read
 * the recorded mask, any other write is stored.  The scan must find the
 * same functions, sizes and capabilities the machine printed for the same
 * bytes, agree with facts of QEMU's device models stated here (and the
 * virtio-net's vendor capabilities, drivers/virtio/virtio_pci_caps.c),
 * and leave every register as it found it.
 *
 * The crafted bad spaces (overlapping BARs, looping and truncated
 * capability lists, bad bridges, odd BAR sizing) are tested in
 * tests/host/test_pci_crafted.c, over the same fake.
 */
#define _DEFAULT_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include "drivers/virtio/virtio_pci.h"
#include "kernel/pci/pci_impl.h"
#include "tests/host/fixture.h"
#include "tests/host/pci_fake.h"

/* ---- recorded fixtures ---- */
static void load_pcidump(const char *name, struct fake *k)
{
	uint8_t *data;
	size_t len;
	memset(k, 0, sizeof(*k));
	assert_int_equal(fx_read_file(fx_path(name), &data, &len), 0);
	char *text = malloc(len + 1);
	memcpy(text, data, len);
	text[len] = 0;
	free(data);
	struct fakefn *cur = NULL;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned b, d, f, off;
		if (sscanf(line, "fn %x:%x.%x", &b, &d, &f) == 3) {
			cur = add_fn(k, b, d, f);
		} else if (cur && sscanf(line, "cfg %x", &off) == 1) {
			const char *h = line + 7;
			assert_true(off % 32 == 0 && off < 256 && strlen(h) == 64);
			for (unsigned i = 0; i < 8; i++) {
				char w[9];
				memcpy(w, h + 8 * i, 8);
				w[8] = 0;
				cur->cfg[off / 4 + i] = (uint32_t)strtoul(w, NULL, 16);
			}
		} else if (cur && strncmp(line, "barmask", 7) == 0) {
			char *p = line + 7;
			while (*p && cur->nmask < 6)
				cur->mask[cur->nmask++] = (uint32_t)strtoul(p, &p, 16);
		} else if (strncmp(line, "expect ", 7) == 0) {
			assert_true(k->nexpect < FAKE_EXPECT);
			k->expect[k->nexpect++] = strdup(line + 7);
		}
	}
	free(text);
	assert_true(k->n > 0);
}

static void free_expect(struct fake *k)
{
	for (unsigned i = 0; i < k->nexpect; i++)
		free(k->expect[i]);
}

/* The host parse, described the way the machine described it. */
static void check_against_machine(struct fake *k)
{
	char line[200], want[220];
	unsigned e = 0;
	for (uint32_t i = 0; i < scan.ndev; i++) {
		const struct pci_dev *d = &scan.dev[i];
		pci_describe(d, line, sizeof(line));
		snprintf(want, sizeof(want), "dev %s", line);
		assert_true(e < k->nexpect);
		assert_string_equal(k->expect[e++], want);
		for (unsigned j = 0; j < 6; j++) {
			pci_describe_bar(d, j, line, sizeof(line));
			if (!line[0])
				continue;
			snprintf(want, sizeof(want), "bar %s", line);
			assert_true(e < k->nexpect);
			assert_string_equal(k->expect[e++], want);
		}
		pci_describe_irq(d, line, sizeof(line));
		if (line[0]) {
			snprintf(want, sizeof(want), "irq %s", line);
			assert_true(e < k->nexpect);
			assert_string_equal(k->expect[e++], want);
		}
	}
	assert_int_equal(e, k->nexpect);
}

/* QEMU's e1000e (hw/net/e1000e.c): 128 KiB of registers, 128 KiB flash,
 * 32 bytes of I/O, a 16 KiB MSI-X BAR 3 with 5 vectors, PBA at 0x2000,
 * one 64-bit MSI vector. */
static void check_e1000e(void)
{
	const struct pci_dev *e = find(0x8086, 0x10d3);
	assert_non_null(e);
	assert_int_equal(e->bar[0].kind, PCI_BAR_MEM32);
	assert_int_equal(e->bar[0].size, 128 << 10);
	assert_int_equal(e->bar[1].size, 128 << 10);
	assert_int_equal(e->bar[2].kind, PCI_BAR_IO);
	assert_int_equal(e->bar[2].size, 32);
	assert_int_equal(e->bar[3].size, 16 << 10);
	assert_true(e->has_msix);
	assert_int_equal(e->msix.size, 5);
	assert_int_equal(e->msix.table_bir, 3);
	assert_int_equal(e->msix.table_off, 0);
	assert_int_equal(e->msix.pba_bir, 3);
	assert_int_equal(e->msix.pba_off, 0x2000);
	assert_true(e->has_msi);
	assert_true(e->msi.is64);
	assert_int_equal(e->msi.vectors, 1);
}

/* QEMU's virtio-net-pci (transitional, 1af4:1000): legacy I/O BAR 0,
 * MSI-X BAR 1 (4 KiB), modern 16 KiB 64-bit prefetchable BAR 4. */
static void check_virtio_net(void)
{
	const struct pci_dev *v = find(0x1af4, 0x1000);
	assert_non_null(v);
	assert_int_equal(v->bar[0].kind, PCI_BAR_IO);
	assert_int_equal(v->bar[1].size, 4096);
	assert_int_equal(v->bar[4].kind, PCI_BAR_MEM64);
	assert_int_equal(v->bar[4].size, 16 << 10);
	assert_true(v->bar[4].prefetch);
	assert_int_equal(v->bar[5].kind, PCI_BAR_NONE);  /* upper half of BAR 4 */
	assert_true(v->has_msix);
	assert_int_equal(v->msix.table_bir, 1);
}

/* The virtio vendor capabilities (drivers/virtio/virtio_pci_caps.c) of
 * the recorded virtio-net: QEMU's modern BAR (BAR 4, 16 KiB) holds four
 * 4 KiB regions, common configuration at 0, ISR at 0x1000, device
 * configuration at 0x2000, notifications at 0x3000 with a multiplier of
 * 4 (hw/virtio/virtio-pci.c).  The e1000e has no such capability: the
 * parser calls it not modern.  Then the common capability is made to
 * reach past its BAR, and is ignored with a reason. */
static struct fake *caps_fake;

static uint32_t caps_rd(const struct pci_dev *d, unsigned off)
{
	return lookup(caps_fake, d->bus, d->dev, d->fn)->cfg[off / 4];
}

static void check_virtio_caps(struct fake *k)
{
	struct virtio_pci_caps c;
	caps_fake = k;
	const struct pci_dev *v = find(0x1af4, 0x1000);
	assert_non_null(v);
	assert_int_equal(virtio_pci_parse_caps(v, caps_rd, &c), 0);
	assert_int_equal(c.nbad, 0);
	assert_int_equal(c.found, 1u << VIRTIO_CAP_COMMON | 1u << VIRTIO_CAP_NOTIFY |
	                 1u << VIRTIO_CAP_ISR | 1u << VIRTIO_CAP_DEVICE);
	static const uint32_t off[] = { 0, 0, 0x3000, 0x1000, 0x2000 };
	for (int t = VIRTIO_CAP_COMMON; t <= VIRTIO_CAP_DEVICE; t++) {
		assert_int_equal(c.r[t].bar, 4);
		assert_int_equal(c.r[t].off, off[t]);
		assert_int_equal(c.r[t].len, 0x1000);
	}
	assert_int_equal(c.notify_mult, 4);
	const struct pci_dev *e = find(0x8086, 0x10d3);
	assert_non_null(e);
	assert_int_equal(virtio_pci_parse_caps(e, caps_rd, &c), -1);
	assert_int_equal(c.found, 0);

	/* the common region made 0x1000 bytes longer than BAR 4 allows */
	struct fakefn *f = lookup(k, v->bus, v->dev, v->fn);
	unsigned cap = 0;
	for (unsigned i = 0; i < v->ncap; i++)
		if (v->cap[i].id == 0x09 && (f->cfg[v->cap[i].off / 4] >> 24) == VIRTIO_CAP_COMMON)
			cap = v->cap[i].off;
	assert_true(cap != 0);
	uint32_t saved = f->cfg[cap / 4 + 3];
	f->cfg[cap / 4 + 3] = 0x4000;   /* offset 0 + 0x4000 fits; offset moved below */
	f->cfg[cap / 4 + 2] = 0x1000;
	assert_int_equal(virtio_pci_parse_caps(v, caps_rd, &c), -1);
	assert_int_equal(c.nbad, 1);
	assert_false(c.found & 1u << VIRTIO_CAP_COMMON);
	assert_non_null(strstr(c.why, "region leaves its BAR"));
	f->cfg[cap / 4 + 2] = 0;
	f->cfg[cap / 4 + 3] = saved;
}

static void test_recorded_q35(void **state)
{
	(void)state;
	static struct fake k;
	load_pcidump("pci-q35.pcidump", &k);
	assert_int_equal(run(&k), k.n);
	assert_int_equal(scan.nwarn, 0);
	assert_int_equal(pci_check_overlaps(&scan), 0);
	check_against_machine(&k);
	assert_int_equal(scan.dev[0].vendor, 0x8086);
	assert_int_equal(scan.dev[0].device, 0x29c0);   /* Q35 MCH */
	check_e1000e();
	check_virtio_net();
	check_virtio_caps(&k);
	const struct pci_dev *lpc = find(0x8086, 0x2918);  /* ICH9 LPC at 1f.0 */
	assert_non_null(lpc);
	assert_true(lpc->multifunction);
	assert_int_equal(lpc->dev, 0x1f);
	free_expect(&k);
}

static void test_recorded_pc(void **state)
{
	(void)state;
	static struct fake k;
	load_pcidump("pci-pc.pcidump", &k);
	assert_int_equal(run(&k), k.n);
	assert_int_equal(scan.nwarn, 0);
	assert_int_equal(pci_check_overlaps(&scan), 0);
	check_against_machine(&k);
	assert_int_equal(scan.dev[0].device, 0x1237);   /* i440FX */
	const struct pci_dev *ide = find(0x8086, 0x7010); /* PIIX3 IDE, 01.1 */
	assert_non_null(ide);
	assert_int_equal(ide->fn, 1);
	assert_int_equal(ide->bar[4].kind, PCI_BAR_IO);
	assert_int_equal(ide->bar[4].size, 16);
	check_e1000e();
	check_virtio_net();
	check_virtio_caps(&k);
	free_expect(&k);
}

static void test_recorded_q35_bridge(void **state)
{
	(void)state;
	static struct fake k;
	load_pcidump("pci-q35-bridge.pcidump", &k);
	assert_int_equal(run(&k), k.n);
	assert_int_equal(scan.nwarn, 0);
	check_against_machine(&k);
	const struct pci_dev *rp = find(0x1b36, 0x000c);   /* pcie-root-port */
	assert_non_null(rp);
	assert_int_equal(rp->header_type & 0x7f, 1);
	assert_int_equal(rp->nbar, 2);
	const struct pci_dev *e = find(0x8086, 0x10d3);
	assert_non_null(e);
	assert_int_equal(e->bus, rp->secondary);
	assert_true(e->bus > 0);
	check_e1000e();
	free_expect(&k);
}

static void test_driver_match(void **state)
{
	(void)state;
	static const struct pci_id ids[] = { { 0x8086, 0x10d3 }, { 0x1af4, PCI_ANY_ID }, { 0, 0 } };
	static const struct pci_driver drv = { "t", ids, NULL };
	struct pci_dev d = { 0 };
	d.vendor = 0x8086, d.device = 0x10d3;
	assert_true(pci_driver_matches(&drv, &d));
	d.device = 0x100e;
	assert_false(pci_driver_matches(&drv, &d));
	d.vendor = 0x1af4, d.device = 0x1041;
	assert_true(pci_driver_matches(&drv, &d));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded_q35),
		cmocka_unit_test(test_recorded_pc),
		cmocka_unit_test(test_recorded_q35_bridge),
		cmocka_unit_test(test_driver_match),
	};
	return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}

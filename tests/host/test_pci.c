/*
 * test_pci.c - host tests of PCI enumeration (kernel/pci/pci.c) against
 * config spaces recorded from QEMU and crafted bad ones.
 *
 * Recorded fixtures (tests/fixtures/NAME.pcidump, tools/record-fixture.py
 * pci): each function's 256 bytes as QEMU presented them and, per BAR
 * slot, what QEMU answered when all ones were written (the hardware's own
 * sizing answer).  A fake config space replays them: reads return the
 * bytes, an all-ones write to a BAR makes it read the recorded mask, any
 * other write is stored.  The scan must find the same functions, sizes
 * and capabilities the machine printed for the same bytes, agree with
 * facts of QEMU's device models stated here, and leave every register as
 * it found it.
 *
 * Crafted spaces: BARs that overlap (and ones that only touch), a
 * capability list that loops (two-step and self), truncated MSI and MSI-X
 * capabilities at the end of the space, pointers into the header, an
 * MSI-X table outside its BAR, a bridge pointing back at its own bus,
 * 64-bit and I/O BAR sizing, and a BAR whose mask is not a power of two.
 * Each expects a precise warning text, never a hang.
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

/* kprintf.c's console sink: nothing here prints through it. */
void console_write(const char *s, size_t n)
{
	(void)s, (void)n;
}

/* ---- a fake config space ---- */
#define FAKE_MAX 32
#define FAKE_EXPECT 256

struct fakefn {
	unsigned bus, dev, fn;
	uint32_t cfg[64], orig[64];
	uint32_t mask[6];
	unsigned nmask;
};

struct fake {
	struct fakefn f[FAKE_MAX];
	unsigned n;
	unsigned reads, writes;
	char *expect[FAKE_EXPECT];
	unsigned nexpect;
};

static struct fakefn *lookup(struct fake *k, unsigned b, unsigned d, unsigned f)
{
	for (unsigned i = 0; i < k->n; i++)
		if (k->f[i].bus == b && k->f[i].dev == d && k->f[i].fn == f)
			return &k->f[i];
	return NULL;
}

static uint32_t fake_read(void *ctx, unsigned b, unsigned d, unsigned f, unsigned off)
{
	struct fake *k = ctx;
	struct fakefn *x = lookup(k, b, d, f);
	k->reads++;
	assert_true(off % 4 == 0);
	if (!x || off >= 256)
		return 0xffffffffu;
	return x->cfg[off / 4];
}

static void fake_write(void *ctx, unsigned b, unsigned d, unsigned f, unsigned off, uint32_t v)
{
	struct fake *k = ctx;
	struct fakefn *x = lookup(k, b, d, f);
	k->writes++;
	assert_true(off % 4 == 0);
	assert_non_null(x);   /* the scan writes only to functions it found */
	assert_true(off < 256);
	unsigned slot = (off - PCI_BAR0) / 4;
	if (off >= PCI_BAR0 && slot < x->nmask && v == 0xffffffffu)
		x->cfg[off / 4] = x->mask[slot];
	else if (off == PCI_COMMAND)   /* status is read-only / write-1-to-clear */
		x->cfg[1] = (v & 0xffffu) | (x->cfg[1] & 0xffff0000u & ~(v & 0xf9000000u));
	else
		x->cfg[off / 4] = v;
}

static struct pci_cfg_ops fake_ops(struct fake *k)
{
	struct pci_cfg_ops o = { "fake", fake_read, fake_write, k, 0, 255, 256 };
	return o;
}

static struct fakefn *add_fn(struct fake *k, unsigned b, unsigned d, unsigned f)
{
	assert_true(k->n < FAKE_MAX);
	struct fakefn *x = &k->f[k->n++];
	memset(x, 0, sizeof(*x));
	x->bus = b, x->dev = d, x->fn = f;
	return x;
}

static void set8(struct fakefn *x, unsigned off, uint8_t v)
{
	x->cfg[off / 4] = (x->cfg[off / 4] & ~(0xffu << 8 * (off % 4))) | (uint32_t)v << 8 * (off % 4);
}

static void set16(struct fakefn *x, unsigned off, uint16_t v)
{
	set8(x, off, v & 0xff);
	set8(x, off + 1, v >> 8);
}

/* A type-0 function with identity vendor:device and class. */
static struct fakefn *device(struct fake *k, unsigned b, unsigned d, unsigned f, uint16_t ven,
                             uint16_t dev, uint8_t cls, uint8_t sub)
{
	struct fakefn *x = add_fn(k, b, d, f);
	x->cfg[0] = ven | (uint32_t)dev << 16;
	x->cfg[2] = (uint32_t)cls << 24 | (uint32_t)sub << 16;
	x->nmask = 6;
	return x;
}

static void bar32(struct fakefn *x, unsigned i, uint32_t base, uint32_t size)
{
	x->cfg[4 + i] = base;
	x->mask[i] = ~(size - 1);
}

static void caps_on(struct fakefn *x, uint8_t first)
{
	set16(x, PCI_STATUS, PCI_STATUS_CAPS);
	set8(x, PCI_CAP_PTR, first);
}

static void cap(struct fakefn *x, unsigned off, uint8_t id, uint8_t next)
{
	set8(x, off, id);
	set8(x, off + 1, next);
}

static void snapshot(struct fake *k)
{
	for (unsigned i = 0; i < k->n; i++)
		memcpy(k->f[i].orig, k->f[i].cfg, sizeof(k->f[i].cfg));
}

static void assert_restored(struct fake *k)
{
	for (unsigned i = 0; i < k->n; i++)
		for (unsigned j = 0; j < 64; j++)
			if (k->f[i].cfg[j] != k->f[i].orig[j]) {
				fprintf(stderr, "%02x:%02x.%x dword 0x%02x: 0x%08x, was 0x%08x\n",
				        k->f[i].bus, k->f[i].dev, k->f[i].fn, j * 4, k->f[i].cfg[j],
				        k->f[i].orig[j]);
				fail();
			}
}

static struct pci_scan scan;

static uint32_t run(struct fake *k)
{
	struct pci_cfg_ops o = fake_ops(k);
	snapshot(k);
	uint32_t n = pci_scan(&o, &scan);
	assert_restored(k);
	return n;
}

static void assert_warning(const char *want)
{
	for (uint32_t i = 0; i < scan.nwarn; i++)
		if (strcmp(scan.warn[i], want) == 0)
			return;
	fprintf(stderr, "missing warning: %s\nwarnings (%u):\n", want, scan.nwarn);
	for (uint32_t i = 0; i < scan.nwarn; i++)
		fprintf(stderr, "  %s\n", scan.warn[i]);
	fail();
}

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

static const struct pci_dev *find(uint16_t ven, uint16_t dev)
{
	for (uint32_t i = 0; i < scan.ndev; i++)
		if (scan.dev[i].vendor == ven && scan.dev[i].device == dev)
			return &scan.dev[i];
	return NULL;
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

/* ---- crafted ---- */
static void test_overlapping_bars(void **state)
{
	(void)state;
	static struct fake k;
	memset(&k, 0, sizeof(k));
	device(&k, 0, 0, 0, 0x8086, 0x1237, 6, 0);
	bar32(device(&k, 0, 1, 0, 0x1234, 0x0001, 2, 0), 0, 0xfe000000, 0x10000);
	bar32(device(&k, 0, 2, 0, 0x1234, 0x0002, 2, 0), 0, 0xfe008000, 0x1000);
	struct fakefn *c = device(&k, 0, 3, 0, 0x1234, 0x0003, 2, 0);
	bar32(c, 0, 0xfe010000, 0x1000);        /* touches 00:01.0's end: no overlap */
	bar32(c, 1, 0xfe000001, 0x100);         /* I/O at the same numbers: no overlap */
	c->cfg[5] = 0xfe00 | 1;
	c->mask[1] = 0xffffff01;
	assert_int_equal(run(&k), 4);
	assert_int_equal(scan.nwarn, 0);
	assert_int_equal(pci_check_overlaps(&scan), 1);
	assert_warning("pci: BAR 0 of 00:01.0 [0xfe000000-0xfe00ffff] overlaps BAR 0 of "
	               "00:02.0 [0xfe008000-0xfe008fff]");
	assert_int_equal(scan.dev[3].bar[1].kind, PCI_BAR_IO);
	assert_int_equal(scan.dev[3].bar[1].size, 0x100);

	/* two BARs of one device */
	memset(&k, 0, sizeof(k));
	struct fakefn *x = device(&k, 0, 0, 0, 0x1234, 0x0004, 2, 0);
	bar32(x, 0, 0xfe100000, 0x2000);
	bar32(x, 2, 0xfe101000, 0x1000);
	run(&k);
	assert_int_equal(pci_check_overlaps(&scan), 1);
	assert_warning("pci: BAR 0 of 00:00.0 [0xfe100000-0xfe101fff] overlaps BAR 2 of "
	               "00:00.0 [0xfe101000-0xfe101fff]");
}

static void test_capability_loop(void **state)
{
	(void)state;
	static struct fake k;
	memset(&k, 0, sizeof(k));
	struct fakefn *x = device(&k, 0, 0, 0, 0x1234, 0x0010, 2, 0);
	caps_on(x, 0x40);
	cap(x, 0x40, 0x01, 0x50);
	cap(x, 0x50, 0x09, 0x40);
	assert_int_equal(run(&k), 1);
	assert_int_equal(scan.dev[0].ncap, 2);
	assert_true(scan.dev[0].cap_error);
	assert_warning("pci: 00:00.0: capability list loops: pointer at 0x51 leads back to 0x40; "
	               "capability list cut there");

	/* a capability that names itself */
	memset(&k, 0, sizeof(k));
	x = device(&k, 0, 0, 0, 0x1234, 0x0011, 2, 0);
	caps_on(x, 0x80);
	cap(x, 0x80, 0x10, 0x80);
	run(&k);
	assert_int_equal(scan.dev[0].ncap, 1);
	assert_warning("pci: 00:00.0: capability list loops: pointer at 0x81 leads back to 0x80; "
	               "capability list cut there");

	/* the low two bits of a pointer are reserved: 0x43 is 0x40 again */
	memset(&k, 0, sizeof(k));
	x = device(&k, 0, 0, 0, 0x1234, 0x0012, 2, 0);
	caps_on(x, 0x40);
	cap(x, 0x40, 0x01, 0x43);
	run(&k);
	assert_warning("pci: 00:00.0: capability list loops: pointer at 0x41 leads back to 0x40; "
	               "capability list cut there");
}

static void test_truncated_capabilities(void **state)
{
	(void)state;
	static struct fake k;
	memset(&k, 0, sizeof(k));
	/* MSI-X needs 12 bytes; at 0xf8 only 8 remain */
	struct fakefn *x = device(&k, 0, 0, 0, 0x1234, 0x0020, 2, 0);
	bar32(x, 0, 0xfe000000, 0x4000);
	caps_on(x, 0x40);
	cap(x, 0x40, 0x01, 0xf8);
	cap(x, 0xf8, PCI_CAP_MSIX, 0);
	/* MSI, 64-bit with per-vector masks, needs 24 bytes; at 0xf0, 16 */
	struct fakefn *y = device(&k, 0, 1, 0, 0x1234, 0x0021, 2, 0);
	caps_on(y, 0xf0);
	cap(y, 0xf0, PCI_CAP_MSI, 0);
	set16(y, 0xf2, PCI_MSI_64 | PCI_MSI_MASKBIT);
	/* the same MSI at 0xe8 fits exactly (0xe8 + 24 = 0x100) */
	struct fakefn *z = device(&k, 0, 2, 0, 0x1234, 0x0022, 2, 0);
	caps_on(z, 0xe8);
	cap(z, 0xe8, PCI_CAP_MSI, 0);
	set16(z, 0xea, PCI_MSI_64 | PCI_MSI_MASKBIT | 3 << 1);
	assert_int_equal(run(&k), 3);
	assert_warning("pci: 00:00.0: MSI-X capability at 0xf8 is truncated: needs 12 bytes, "
	               "8 left in config space");
	assert_warning("pci: 00:01.0: MSI capability at 0xf0 is truncated: needs 24 bytes, "
	               "16 left in config space");
	assert_int_equal(scan.nwarn, 2);
	assert_false(scan.dev[0].has_msix);
	assert_int_equal(scan.dev[0].ncap, 1);
	assert_false(scan.dev[1].has_msi);
	assert_true(scan.dev[2].has_msi);
	assert_true(scan.dev[2].msi.maskable);
	assert_int_equal(scan.dev[2].msi.vectors, 8);
}

static void test_pointer_into_header(void **state)
{
	(void)state;
	static struct fake k;
	memset(&k, 0, sizeof(k));
	struct fakefn *x = device(&k, 0, 0, 0, 0x1234, 0x0030, 2, 0);
	caps_on(x, 0x20);
	struct fakefn *y = device(&k, 0, 1, 0, 0x1234, 0x0031, 2, 0);
	caps_on(y, 0x40);
	cap(y, 0x40, 0x01, 0x3c);
	/* status says no capabilities: the pointer is not followed at all */
	struct fakefn *z = device(&k, 0, 2, 0, 0x1234, 0x0032, 2, 0);
	set8(z, PCI_CAP_PTR, 0x10);
	assert_int_equal(run(&k), 3);
	assert_warning("pci: 00:00.0: capability pointer 0x20 at 0x34 points into the header "
	               "(below 0x40); capability list cut there");
	assert_warning("pci: 00:01.0: capability pointer 0x3c at 0x41 points into the header "
	               "(below 0x40); capability list cut there");
	assert_int_equal(scan.nwarn, 2);
	assert_int_equal(scan.dev[0].ncap, 0);
	assert_int_equal(scan.dev[1].ncap, 1);
	assert_int_equal(scan.dev[2].ncap, 0);
	assert_false(scan.dev[2].cap_error);
}

static void test_msix_outside_bar(void **state)
{
	(void)state;
	static struct fake k;
	memset(&k, 0, sizeof(k));
	struct fakefn *x = device(&k, 0, 0, 0, 0x1234, 0x0040, 2, 0);
	bar32(x, 3, 0xfe000000, 0x4000);
	caps_on(x, 0x70);
	cap(x, 0x70, PCI_CAP_MSIX, 0);
	set16(x, 0x72, 4);                 /* 5 entries */
	x->cfg[0x74 / 4] = 0x3fc0 | 3;     /* table at BAR3 + 0x3fc0: 80 bytes, past 16K */
	x->cfg[0x78 / 4] = 0x2000 | 3;
	struct fakefn *y = device(&k, 0, 1, 0, 0x1234, 0x0041, 2, 0);
	bar32(y, 0, 0xfe100000, 0x1000);
	caps_on(y, 0x70);
	cap(y, 0x70, PCI_CAP_MSIX, 0);
	y->cfg[0x74 / 4] = 2;              /* BAR2 is not implemented */
	y->cfg[0x78 / 4] = 0x800;
	struct fakefn *z = device(&k, 0, 2, 0, 0x1234, 0x0042, 2, 0);
	bar32(z, 0, 0xfe200000, 0x1000);
	caps_on(z, 0x70);
	cap(z, 0x70, PCI_CAP_MSIX, 0);
	set16(z, 0x72, 63);                /* 64 entries: 1 KiB table, 8-byte PBA */
	z->cfg[0x74 / 4] = 0;
	z->cfg[0x78 / 4] = 0xff8;          /* the PBA's last byte is the BAR's */
	assert_int_equal(run(&k), 3);
	assert_warning("pci: 00:00.0: MSI-X table (BAR 3 + 0x3fc0, 5 entries) is not inside an "
	               "implemented memory BAR; MSI-X not used");
	assert_warning("pci: 00:01.0: MSI-X table (BAR 2 + 0x0, 1 entries) is not inside an "
	               "implemented memory BAR; MSI-X not used");
	assert_int_equal(scan.nwarn, 2);
	assert_false(scan.dev[0].has_msix);
	assert_false(scan.dev[1].has_msix);
	assert_true(scan.dev[2].has_msix);
	assert_int_equal(scan.dev[2].msix.size, 64);
}

static void test_bar_sizing(void **state)
{
	(void)state;
	static struct fake k;
	memset(&k, 0, sizeof(k));
	struct fakefn *x = device(&k, 0, 0, 0, 0x1234, 0x0050, 2, 0);
	/* BAR0-1: 64-bit prefetchable, 8 GiB at 0x8_0000_0000 */
	x->cfg[4] = 0x0000000c;
	x->cfg[5] = 0x00000008;
	x->mask[0] = 0x0000000c;
	x->mask[1] = 0xfffffffe;
	/* BAR2: 16-bit I/O decoder (upper half reads 0), 256 ports */
	x->cfg[6] = 0xc001;
	x->mask[2] = 0x0000ff01;
	/* BAR3: mask 0xfff0f000 has a hole: not a power of two */
	x->cfg[7] = 0xfe000000;
	x->mask[3] = 0xfff0f000;
	/* BAR4: unimplemented; BAR5: memory type 3 (reserved) */
	x->cfg[9] = 0xfe100006;
	x->mask[5] = 0xfffff006;
	set16(x, PCI_COMMAND, PCI_CMD_MEM | PCI_CMD_IO | PCI_CMD_MASTER);
	assert_int_equal(run(&k), 1);
	const struct pci_dev *d = &scan.dev[0];
	assert_int_equal(d->bar[0].kind, PCI_BAR_MEM64);
	assert_true(d->bar[0].base == 0x800000000ull);
	assert_true(d->bar[0].size == 0x200000000ull);
	assert_true(d->bar[0].prefetch);
	assert_int_equal(d->bar[1].kind, PCI_BAR_NONE);
	assert_int_equal(d->bar[2].kind, PCI_BAR_IO);
	assert_int_equal(d->bar[2].base, 0xc000);
	assert_int_equal(d->bar[2].size, 256);
	assert_int_equal(d->bar[3].size, 0);
	assert_int_equal(d->bar[4].size, 0);
	assert_int_equal(d->bar[5].size, 0);
	assert_warning("pci: 00:00.0: BAR 3: size 0xf1000 / base 0xfe000000 is not a "
	               "power-of-two-aligned window (read-back mask 0xfff0f000); ignored");
	assert_warning("pci: 00:00.0: BAR 5 has the reserved memory type 3; ignored");
	assert_int_equal(scan.nwarn, 2);
	char line[200];
	pci_describe_bar(d, 0, line, sizeof(line));
	assert_string_equal(line, "BAR0 mem64 0x800000000 8192M prefetch");
}

static void test_bridges_and_functions(void **state)
{
	(void)state;
	static struct fake k;
	memset(&k, 0, sizeof(k));
	device(&k, 0, 0, 0, 0x8086, 0x29c0, 6, 0);
	/* two bridges both claiming bus 1, one claiming its own bus 0 */
	for (unsigned d = 1; d <= 3; d++) {
		struct fakefn *b = device(&k, 0, d, 0, 0x1b36, 0x000c, 6, 4);
		set8(b, PCI_HEADER + 2, 1);
		b->nmask = 2;
		b->cfg[PCI_BUSES / 4] = (d == 3 ? 0u : 1u) << 8 | 1u << 16;
	}
	device(&k, 1, 0, 0, 0x8086, 0x10d3, 2, 0);
	/* multi-function device: functions 0 and 5 present, others absent */
	struct fakefn *m = device(&k, 1, 4, 0, 0x8086, 0x2918, 6, 1);
	set8(m, PCI_HEADER + 2, PCI_HDR_MULTI);
	device(&k, 1, 4, 5, 0x8086, 0x2922, 1, 6);
	/* a single-function device whose function 3 answers is not scanned
	 * past function 0 */
	device(&k, 1, 6, 0, 0x1234, 0x0060, 2, 0);
	device(&k, 1, 6, 3, 0x1234, 0x0061, 2, 0);
	assert_int_equal(run(&k), 8);
	assert_warning("pci: 00:03.0: bridge to bus 00, which is not above its own bus or "
	               "outside 00-ff; not followed");
	assert_int_equal(scan.nwarn, 1);
	unsigned on_bus1 = 0;
	for (uint32_t i = 0; i < scan.ndev; i++)
		on_bus1 += scan.dev[i].bus == 1;
	assert_int_equal(on_bus1, 4);    /* bus 1 scanned once */
	assert_non_null(find(0x8086, 0x2922));
	assert_null(find(0x1234, 0x0061));
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

static void test_bad_bus_range(void **state)
{
	(void)state;
	static struct fake k;
	memset(&k, 0, sizeof(k));
	device(&k, 0, 0, 0, 0x8086, 0x29c0, 6, 0);
	struct pci_cfg_ops o = fake_ops(&k);
	o.bus_start = 5, o.bus_end = 4;
	assert_int_equal(pci_scan(&o, &scan), 0);
	o.bus_start = 0, o.bus_end = 256;
	assert_int_equal(pci_scan(&o, &scan), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded_q35),
		cmocka_unit_test(test_recorded_pc),
		cmocka_unit_test(test_recorded_q35_bridge),
		cmocka_unit_test(test_overlapping_bars),
		cmocka_unit_test(test_capability_loop),
		cmocka_unit_test(test_truncated_capabilities),
		cmocka_unit_test(test_pointer_into_header),
		cmocka_unit_test(test_msix_outside_bar),
		cmocka_unit_test(test_bar_sizing),
		cmocka_unit_test(test_bridges_and_functions),
		cmocka_unit_test(test_driver_match),
		cmocka_unit_test(test_bad_bus_range),
	};
	return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}

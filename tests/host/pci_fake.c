/*
 * pci_fake.c - the fake PCI configuration space of pci_fake.h (what it
 * does and what run() checks are written there), shared by test_pci.c
 * and test_pci_crafted.c, and the console sink kprintf.c needs.
 */
#define _DEFAULT_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include "tests/host/pci_fake.h"

/* kprintf.c's console sink: nothing here prints through it. */
void console_write(const char *s, size_t n)
{
	(void)s, (void)n;
}

/* ---- a fake config space ---- */
struct fakefn *lookup(struct fake *k, unsigned b, unsigned d, unsigned f)
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

struct pci_cfg_ops fake_ops(struct fake *k)
{
	struct pci_cfg_ops o = { "fake", fake_read, fake_write, k, 0, 255, 256 };
	return o;
}

struct fakefn *add_fn(struct fake *k, unsigned b, unsigned d, unsigned f)
{
	assert_true(k->n < FAKE_MAX);
	struct fakefn *x = &k->f[k->n++];
	memset(x, 0, sizeof(*x));
	x->bus = b, x->dev = d, x->fn = f;
	return x;
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

struct pci_scan scan;

uint32_t run(struct fake *k)
{
	struct pci_cfg_ops o = fake_ops(k);
	snapshot(k);
	uint32_t n = pci_scan(&o, &scan);
	assert_restored(k);
	return n;
}

void assert_warning(const char *want)
{
	for (uint32_t i = 0; i < scan.nwarn; i++)
		if (strcmp(scan.warn[i], want) == 0)
			return;
	fprintf(stderr, "missing warning: %s\nwarnings (%u):\n", want, scan.nwarn);
	for (uint32_t i = 0; i < scan.nwarn; i++)
		fprintf(stderr, "  %s\n", scan.warn[i]);
	fail();
}

const struct pci_dev *find(uint16_t ven, uint16_t dev)
{
	for (uint32_t i = 0; i < scan.ndev; i++)
		if (scan.dev[i].vendor == ven && scan.dev[i].device == dev)
			return &scan.dev[i];
	return NULL;
}

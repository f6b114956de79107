/*
 * test_pci_crafted.c - host tests of PCI enumeration (kernel/pci/pci.c)
 * against crafted config spaces, most of them bad.
 *
 * Crafted spaces, built in the fake config space of tests/host/pci_fake.c:
 * BARs that overlap (and ones that only touch), a capability list that
 * loops (two-step and self), truncated MSI and MSI-X capabilities at the
 * end of the space, pointers into the header, an MSI-X table outside its
 * BAR, a bridge pointing back at its own bus, 64-bit and I/O BAR sizing,
 * a BAR whose mask is not a power of two, and a bus range the mechanism
 * cannot have.  Each expects a precise warning text, never a hang, and
 * every scan must leave the registers as it found them.
 *
 * The spaces recorded from QEMU are replayed in tests/host/test_pci.c.
 */
#define _DEFAULT_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include "tests/host/pci_fake.h"

/* ---- building a crafted space ---- */
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
	y->cfg[0x74 / 4] = 2;              /* BAR2 sizes to 0: the function has no BAR2 */
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
	/* BAR4 absent (sizes to 0); BAR5: memory type 3 (reserved) */
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
		cmocka_unit_test(test_overlapping_bars),
		cmocka_unit_test(test_capability_loop),
		cmocka_unit_test(test_truncated_capabilities),
		cmocka_unit_test(test_pointer_into_header),
		cmocka_unit_test(test_msix_outside_bar),
		cmocka_unit_test(test_bar_sizing),
		cmocka_unit_test(test_bridges_and_functions),
		cmocka_unit_test(test_bad_bus_range),
	};
	return cmocka_run_group_tests_name("pci_crafted", tests, NULL, NULL);
}

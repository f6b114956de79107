/*
 * pci_fake.h - a fake PCI configuration space for the host tests of PCI
 * enumeration: tests/host/test_pci.c replays recorded spaces through it,
 * tests/host/test_pci_crafted.c builds bad ones in it.
 *
 * Data structures: struct fake holds up to FAKE_MAX functions.  Each
 * (struct fakefn) has its 256 config bytes as 64 dwords (cfg), a copy
 * taken before a scan (orig) and, per BAR slot below nmask, the value the
 * BAR reads after all ones were written to it (mask: the hardware's own
 * sizing answer).  expect holds a recorded fixture's `expect` lines
 * (tests/fixtures/README.md, ".pcidump").
 *
 * What the space does (fake_ops): a read returns the bytes, all ones for
 * a function that is not there; an all-ones write to a BAR makes it read
 * its mask; a write to the command register leaves status read-only and
 * write-1-to-clear; any other write is stored.  A read off a dword
 * boundary, or a write to a function the scan did not find, fails the
 * test.
 *
 * Invariant checked by run(): after pci_scan() every register of every
 * function reads as it did before (the scan puts back what it sized).
 *
 * Context: host only (cmocka).  One scan at a time: its result is the one
 * global `scan`, read by find() and assert_warning().
 */
#ifndef TALLY_TEST_PCI_FAKE_H
#define TALLY_TEST_PCI_FAKE_H

#include <stdint.h>
#include "kernel/pci/pci_impl.h"

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

/* The function at b:d.f, or NULL. */
struct fakefn *lookup(struct fake *k, unsigned b, unsigned d, unsigned f);
/* A config mechanism serving k (buses 0-255, 256 bytes a function). */
struct pci_cfg_ops fake_ops(struct fake *k);
/* A new, zeroed function at b:d.f (fails the test past FAKE_MAX). */
struct fakefn *add_fn(struct fake *k, unsigned b, unsigned d, unsigned f);

/* The last scan's result. */
extern struct pci_scan scan;
/* pci_scan() of k into scan; fails the test unless k is left as found.
 * Returns the number of functions found. */
uint32_t run(struct fake *k);
/* Fail the test, listing the warnings, unless scan warned exactly want. */
void assert_warning(const char *want);
/* The first function of the last scan with this vendor:device, or NULL. */
const struct pci_dev *find(uint16_t ven, uint16_t dev);

#endif

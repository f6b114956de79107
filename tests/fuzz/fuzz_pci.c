/*
 * fuzz_pci.c - pci_scan() (kernel/pci/pci.c) on arbitrary config spaces.
 *
 * Input: records of 282 bytes, one per function: bus (1 byte), device and
 * function (1 byte: dev << 3 | fn), the 256-byte config space, then six
 * little-endian dwords: what each BAR slot reads after all ones are
 * written (the device's sizing answer).  A fake config space replays them
 * (as tests/host/pci_fake.c does); a function listed twice keeps its first
 * record.  Seeds: the recorded QEMU spaces (tests/fixtures/, the .pcidump files).
 * The mechanism reaches 4 KiB: the extended space (0x100-0xfff) reads as
 * the record's 256 bytes repeated, so the input steers the PCI Express
 * extended capability walk too (links, loops, all-ones headers).
 *
 * Promises checked (pci.h): the scan ends (libFuzzer's -timeout catches a
 * hang); ndev <= PCI_MAX_DEVS and every listed function exists in the
 * input; every BAR with a size has a power-of-two size and a base aligned
 * to it; every capability offset is 0x40..0xfc and dword-aligned, and
 * MSI-X, when used, has its table and PBA inside implemented memory BARs;
 * every extended capability lies in 0x100..0xffc, dword-aligned, and only
 * a function with a PCI Express capability has any;
 * warnings are NUL-terminated lines starting "pci: "; the scan leaves every
 * BAR (one that held all ones excepted) and the command register as it
 * found them; describing a function
 * stays inside its buffer (ASan).
 */
#include <string.h>
#include "tests/fuzz/fuzz.h"
#include "kernel/pci/pci_impl.h"

#define REC 282
#define MAXF 64

void console_write(const char *s, size_t n)
{
	(void)s, (void)n;
}

struct fn {
	unsigned bus, dev, fn;
	uint32_t cfg[64], orig[64], mask[6];
};

static struct fn fns[MAXF];
static unsigned nfn;
static struct pci_scan scan;

static struct fn *lookup(unsigned b, unsigned d, unsigned f)
{
	for (unsigned i = 0; i < nfn; i++)
		if (fns[i].bus == b && fns[i].dev == d && fns[i].fn == f)
			return &fns[i];
	return NULL;
}

static uint32_t rd(void *ctx, unsigned b, unsigned d, unsigned f, unsigned off)
{
	(void)ctx;
	FZ_CHECK(off % 4 == 0);
	struct fn *x = lookup(b, d, f);
	return x && off < 4096 ? x->cfg[off / 4 % 64] : 0xffffffffu;
}

static void wr(void *ctx, unsigned b, unsigned d, unsigned f, unsigned off, uint32_t v)
{
	(void)ctx;
	struct fn *x = lookup(b, d, f);
	FZ_CHECK(x != NULL && off < 256 && off % 4 == 0);
	if (off >= 0x10 && off < 0x28 && v == 0xffffffffu)
		x->cfg[off / 4] = x->mask[(off - 0x10) / 4];
	else if (off == 4)
		x->cfg[1] = (v & 0xffffu) | (x->cfg[1] & 0xffff0000u & ~(v & 0xf9000000u));
	else
		x->cfg[off / 4] = v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nfn = 0;
	for (size_t at = 0; at + REC <= size && nfn < MAXF; at += REC) {
		const uint8_t *r = data + at;
		if (lookup(r[0], r[1] >> 3, r[1] & 7))
			continue;
		struct fn *x = &fns[nfn++];
		x->bus = r[0], x->dev = r[1] >> 3, x->fn = r[1] & 7;
		for (unsigned i = 0; i < 64; i++)
			x->cfg[i] = le32(r + 2 + 4 * i);
		for (unsigned i = 0; i < 6; i++)
			x->mask[i] = le32(r + 258 + 4 * i);
		memcpy(x->orig, x->cfg, sizeof(x->cfg));
	}
	struct pci_cfg_ops o = { "fuzz", rd, wr, NULL, 0, 255, 4096 };
	pci_scan(&o, &scan);
	pci_check_overlaps(&scan);

	FZ_CHECK(scan.ndev <= PCI_MAX_DEVS && scan.nwarn <= PCI_MAX_WARN);
	for (unsigned i = 0; i < scan.nwarn; i++) {
		FZ_CHECK(memchr(scan.warn[i], 0, PCI_WARN_LEN) != NULL);
		FZ_CHECK(strncmp(scan.warn[i], "pci: ", 5) == 0);
	}
	for (unsigned i = 0; i < nfn; i++) {
		FZ_CHECK(fns[i].cfg[1] << 16 == fns[i].orig[1] << 16);   /* command */
		/* a BAR that held all ones reads its mask after the restore, as
		 * on hardware */
		for (unsigned j = 4; j < 10; j++)
			FZ_CHECK(fns[i].cfg[j] == fns[i].orig[j] || fns[i].orig[j] == 0xffffffffu);
	}
	char line[200];
	for (uint32_t i = 0; i < scan.ndev; i++) {
		const struct pci_dev *d = &scan.dev[i];
		FZ_CHECK(lookup(d->bus, d->dev, d->fn) != NULL);
		FZ_CHECK(d->vendor != 0xffff);
		FZ_CHECK(d->nbar <= 6 && d->ncap <= PCI_MAX_CAPS);
		for (unsigned j = 0; j < 6; j++) {
			const struct pci_bar *b = &d->bar[j];
			if (!b->size)
				continue;
			FZ_CHECK((b->size & (b->size - 1)) == 0);
			FZ_CHECK((b->base & (b->size - 1)) == 0);
			FZ_CHECK(j < d->nbar);
		}
		for (unsigned c = 0; c < d->ncap; c++)
			FZ_CHECK(d->cap[c].off >= 0x40 && d->cap[c].off % 4 == 0);
		FZ_CHECK(d->necap <= PCI_MAX_ECAPS && d->necap <= d->necap_all);
		FZ_CHECK(d->pcie || !d->necap_all);
		for (unsigned c = 0; c < d->necap; c++)
			FZ_CHECK(d->ecap[c].off >= 0x100 && d->ecap[c].off <= 0xffc &&
			         d->ecap[c].off % 4 == 0 && d->ecap[c].id != 0);
		if (d->has_msix) {
			const struct pci_bar *t = &d->bar[d->msix.table_bir];
			const struct pci_bar *p = &d->bar[d->msix.pba_bir];
			FZ_CHECK(d->msix.table_bir < d->nbar && d->msix.pba_bir < d->nbar);
			FZ_CHECK(t->kind == PCI_BAR_MEM32 || t->kind == PCI_BAR_MEM64);
			FZ_CHECK(p->kind == PCI_BAR_MEM32 || p->kind == PCI_BAR_MEM64);
			FZ_CHECK((uint64_t)d->msix.table_off + d->msix.size * 16ull <= t->size);
			FZ_CHECK(d->msix.size >= 1 && d->msix.size <= 2048);
		}
		pci_describe(d, line, sizeof(line));
		for (unsigned j = 0; j < 6; j++)
			pci_describe_bar(d, j, line, sizeof(line));
		pci_describe_irq(d, line, sizeof(line));
		pci_describe_ecaps(d, line, sizeof(line));
		FZ_CHECK(memchr(line, 0, sizeof(line)) != NULL);
	}
	return 0;
}

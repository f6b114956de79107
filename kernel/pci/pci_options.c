/*
 * pci_options.c - boot options of PCI: pcidump.
 *
 * Registered with BOOTOPT_SET (kernel/bootopt.h); the value lands in
 * pci_opts (pci_options.h).
 * Context: boot only (and host tests, fuzzers): pure, no allocation.
 */
#include <string.h>
#include "kernel/bootopt.h"
#include "kernel/pci/pci_options.h"

struct pci_opts pci_opts;

static int set_pcidump(const char *v, const char **why)
{
	if (strcmp(v, "0") && strcmp(v, "1")) {
		*why = "expected 0 or 1";
		return -1;
	}
	pci_opts.pcidump = v[0] == '1';
	return 0;
}

static const struct bootopt opts[] = {
	{ "pcidump", "0|1: hex-dump each PCI function's config space (for test fixtures)", set_pcidump },
};

static void reset(void) { pci_opts.pcidump = 0; }

BOOTOPT_SET(pci, "pci", opts, sizeof(opts) / sizeof(opts[0]), reset, NULL);

/*
 * pci_options.h - the boot options of PCI (kernel/pci/pci_options.c).
 */
#ifndef TALLY_PCI_OPTIONS_H
#define TALLY_PCI_OPTIONS_H

struct pci_opts {
	int pcidump;    /* pcidump=1: hex-dump each function's config space */
};
extern struct pci_opts pci_opts;

#endif

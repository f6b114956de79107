/*
 * machine.c - choose the machine description at boot (machine.h).
 *
 * Data structures: the pointers the MACHINE() macro puts in the linker
 * section "machines", in link order; `machine`, the chosen one.
 * Invariants: machine is set once, by the boot CPU, before anything else
 * in kernel_main runs, and never changes.
 * Context: boot.
 */
#include <stddef.h>
#include "kernel/machine.h"

extern const struct machine *const __start_machines[];
extern const struct machine *const __stop_machines[];

const struct machine *machine;

int machine_probe(const struct boot_info *bi)
{
	for (const struct machine *const *m = __start_machines; m < __stop_machines; m++) {
		if ((*m)->probe(bi)) {
			machine = *m;
			return 0;
		}
	}
	return -1;
}

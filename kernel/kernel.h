/*
 * kernel.h - the kernel's entry and its boot-time configuration.
 */
#ifndef TALLY_KERNEL_H
#define TALLY_KERNEL_H

#include <stdint.h>
#include "boot/boot_info.h"
#include "kernel/bootopt.h"

/* The one kernel entry every boot path reaches. */
_Noreturn void kernel_main(struct boot_info *bi);

/* The kernel's own boot options (kernel/options.c); other subsystems own
 * theirs (kernel/cpu/cpu_options.h, kernel/mem/mem_options.h, the
 * machine's).  Each set registers itself with BOOTOPT_SET (bootopt.h). */
struct kopts {
	const char *test;       /* test= glob, NULL: no on-target tests */
	int loglevel;           /* loglevel=0..3 */
	int dumpboot;           /* dumpboot=1: hex-dump the loader's data */
	int ledger;             /* ledger=off|exit */
	const char *bench;      /* bench=REGEX: run benchmarks, not the app */
	uint64_t benchtime_ns;  /* benchtime=500ms|2s: minimum time per benchmark */
	uint64_t bench_count;   /* benchtime=1000x: fixed count (0: use the time) */
	uint64_t quantum_ns;    /* quantum=10ms: preemption quantum */
	int onexit;             /* onexit=: POWER_ONEXIT_* (kernel/power.h) */
	int onexit_given;       /* onexit= was on the line: no emulator exit */
};
extern struct kopts kopts;
/* Reset every registered set to its defaults, then parse cmdline against
 * all of them into their variables and res (argv of the program), and run
 * each set's check.  Returns 0, or -1 with res->err naming the offending
 * word(s).  A key registered by two sets is refused the same way, naming
 * both owners (a build defect: the host tests catch it first). */
int kopts_parse(const char *cmdline, struct bootopt_result *res);
/* The "key=value" word given for key in the last kopts_parse (any set),
 * or dflt when the key was not given. */
const char *bootopt_word(const struct bootopt_result *res, const char *key, const char *dflt);
/* Every registered option, in registration order (for the help listing):
 * returns the number, *opts the flat table. */
unsigned kopts_table(const struct bootopt **opts);

/* Boot facts for the application API (kernel/sysinfo.c). */
extern struct boot_info *kernel_boot_info;
extern uint64_t kernel_boot_cycles;   /* cycle counter when boot_main set up the
                                        * boot CPU (cpu_early_init): the clock's
                                        * origin and the boot CPU's ledger start */
extern uint64_t kernel_mem_usable;    /* bytes of usable RAM in the map */

/* The boot_phys_fn the kernel reads firmware tables with (after the
 * memory map is sanitized and Tally's page tables are up): pa itself, or
 * NULL unless every byte of [pa, pa+len) is listed memory (not a hole,
 * not BAD) and every page of it is mapped at its own address. */
const void *kernel_acpi_phys(void *ctx, uint64_t pa, uint64_t len);

/* The application's entry, from the app's objects. */
int main(int argc, char **argv);

#endif

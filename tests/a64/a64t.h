/*
 * a64t.h - the on-target tests of the aarch64 port's arch/arch.h pieces,
 * run inside the boot test image (arch/aarch64/dtboot.c) by `test=NAME`
 * on its command line.
 *
 * Purpose: until kernel/ (and its KTEST runner, kernel/ktest.h) links for
 * aarch64, the port's page tables, contexts and trap paths are proven
 * here, on the machine, against the hardware's own answers (AT and
 * PAR_EL1, ESR_EL1 and FAR_EL1 of real faults, registers read back after
 * real switches and interrupts).  The output has the ktest format
 * (`ktest: PASS name (N us)`, `ktest: FAIL name: file:line: what`,
 * `ktest: done: N passed, M failed`), so tools/testrun.py judges it as it
 * judges the kernel's.
 *
 * Data structures: A64T(name) registers a test in section a64t (run in
 * link order; a test that needs the port's page tables loads them first
 * through a64t_vm_setup, so no test depends on another having run).
 * A64T_ASSERT fails the running test and returns from it.
 * Context: the boot CPU, after the device tree scan and the probes.
 */
#ifndef TALLY_A64T_H
#define TALLY_A64T_H

#include <stdint.h>
#include "kernel/fdt/fdt.h"

struct a64t {
	const char *name;
	void (*fn)(void);
};

#define A64T(n) \
	static void a64t_##n(void); \
	static const struct a64t a64t_rec_##n __attribute__((used, section("a64t"), aligned(8))) = \
		{ #n, a64t_##n }; \
	static void a64t_##n(void)

void a64t_fail(const char *file, int line, const char *what);
void a64t_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define A64T_ASSERT(c) do { if (!(c)) { a64t_fail(__FILE__, __LINE__, #c); return; } } while (0)

/* The facts of the boot (the device tree), for the tests. */
extern const struct fdt_info *a64t_info;

/* Run the tests the command line's test= word names (a name, a prefix
 * ending in '*', or "all"); nothing without a test= word. */
void a64t_run(const struct fdt_info *in, const char *cmdline);

/* tests/a64/vm_test.c: load the port's tables (arch_vm_init) unless done;
 * 1 when they are loaded, 0 when the machine's RAM does not suit the
 * tests (RAM from 1 GiB, at least 128 MiB). */
int a64t_vm_setup(void);

/* tests/a64/env.c: the kernel services the port calls, for this image:
 * pages for pmem_alloc come from [lo, hi), set by the VM test. */
void a64t_pmem_range(uint64_t lo, uint64_t hi);
/* what preempt_entry_c() calls (NULL: nothing) */
extern void (*a64t_preempt_fn)(void);

#endif

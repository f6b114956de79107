/*
 * a64.h - the pieces of the aarch64 port that exist so far, and what the
 * boot test image (dtboot.c) builds from them.
 *
 * Purpose: the aarch64 port grows in steps (docs/boot.md, "aarch64
 * status").  This header lists what has been written: the entry of the
 * boot CPU and of CPUs started by PSCI CPU_ON, and the vectors (head.S,
 * vectors.S), the stacks with their guard pages (stacks.S), the report of
 * an unexpected exception (trap.c), an identity map with W^X that turns
 * the MMU and caches on (mmu.c), the GIC's registers read to check the
 * tree (gic_id.c), one timer interrupt taken through it (irq_probe.c), the PL011 console (pl011.c), and leaving
 * the machine through semihosting or PSCI (power.c, firmware.S).  The
 * virt machine description and the arch.h functions of the interrupt
 * controller, timer and CPU start (virt*.c, gic.c, timer.c, psci*.c;
 * their own header gic.h) are exercised by virt_test.c, on the command
 * line word `machine`.  The port's other arch/arch.h pieces have their
 * own headers (include/ for the inline functions and the goroutine
 * context, pt.h, pte.h and paging.h for the translation tables, trap.h
 * for the trap frame); the boot test image runs their tests (tests/a64/,
 * `test=` on its command line).  The kernel links the port without the
 * image's own files (port.mk, A64_IMAGE_ONLY) and with kernel/: its entry,
 * early map, image layout, trap handlers and system-call names.
 *
 * Data structures: struct trap_frame (trap.h), the registers an
 * exception entry saves (vectors.S writes it).
 *
 * Context: the boot CPU, and CPUs started by CPU_ON only to report their
 * MPIDR and stop; interrupts masked throughout.
 */
#ifndef TALLY_A64_H
#define TALLY_A64_H

#include <stddef.h>
#include <stdint.h>

#define A64_SYSREG_READ(name) ({ uint64_t v_; __asm__ volatile("mrs %0, " #name : "=r"(v_)); v_; })

/* The smallest data cache line of any cache (CTR_EL0.DminLine, log2 of
 * words): the stride of a DC loop by address over a range. */
static inline uint64_t a64_dcache_line(void)
{
	return 4ull << ((A64_SYSREG_READ(ctr_el0) >> 16) & 0xf);
}

/* Clean [p, p + len) to the point of coherency (DC CVAC), then DSB SY:
 * for an observer that reads memory with its caches off or not coherent
 * (a CPU being started, a GIC whose tables are not cacheable). */
static inline void a64_clean_to_poc(const void *p, size_t len)
{
	uint64_t line = a64_dcache_line();

	for (uintptr_t a = (uintptr_t)p & ~(uintptr_t)(line - 1); a < (uintptr_t)p + len; a += line)
		__asm__ volatile("dc cvac, %0" :: "r"(a) : "memory");
	__asm__ volatile("dsb sy" ::: "memory");
}

#include "arch/aarch64/trap.h"   /* struct trap_frame */

/* el.S (a64_halt) and head.S */
_Noreturn void a64_halt(void);
/* where PSCI CPU_ON starts a secondary CPU; x0 = its slot (< A64_MAX_SECONDARY) */
void a64_secondary_entry(void);
#define A64_MAX_SECONDARY 8
/* a slot of a64_sec_stacks (stacks.S): guard, exception stack, guard at
 * A64_SLOT_RUN_GUARD, stack */
#define A64_SLOT_SIZE      20480
#define A64_SLOT_RUN_GUARD 8192

/* trap.c: called by vectors.S; returns only to resume (see there). */
void a64_trap(struct trap_frame *f, uint64_t kind);
/* the exception class's name (ESR_EL1 bits 31:26), "?" if unknown */
const char *a64_ec_name(unsigned ec);
/* An abort's fault status code (ISS bits 5:0) as the ARM ARM names it
 * ("translation fault, level 3"), into buf. */
void a64_fault_status(unsigned fsc, char *buf, size_t n);

/* firmware.S */
uint64_t a64_semihost(uint64_t op, const void *param);
extern const char a64_semihost_insn[];
uint64_t a64_psci_hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
uint64_t a64_psci_smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

/* power.c */
enum { A64_CONDUIT_NONE, A64_CONDUIT_HVC, A64_CONDUIT_SMC };
extern volatile int a64_semihosting_absent;  /* set by trap.c */
/* Use PSCI through conduit from now on (from the DTB's /psci). */
void a64_psci_set_conduit(int conduit);
/* A PSCI call: its result, or -1 (NOT_SUPPORTED) with no conduit. */
int64_t a64_psci(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
/* Write a NUL-terminated line through semihosting; 0, or -1 if absent. */
int a64_semihost_write0(const char *s);
/* Print "tally: exit N", then leave: semihosting SYS_EXIT carrying
 * (status << 1) | 1 (so QEMU's exit code reads as on x86_64, where
 * isa-debug-exit gives the same), else PSCI SYSTEM_OFF (the status is then
 * only on the console), else halt. */
_Noreturn void a64_exit(int status);

/* kernel/early_map.c: the kernel's first map (the image's GiB, the DTB's,
 * device space below 1 GiB), MMU and caches on; halts if it cannot. */
/* boot_main's kinds the kernel's entry passes (boot/boot.c) */
#define A64_BOOT_UEFI 3
#define A64_BOOT_DTB  4
void a64_early_map(uint64_t ptr, uint64_t kind);

/* mmu.c: identity-map [0, 1 GiB) as device memory, the image in 4 KiB
 * pages (W^X, stack guards unmapped) and the rest of its GiB and the
 * DTB's as normal write-back memory, then turn on the MMU and the caches.
 * Returns how many bytes from dtb are mapped, 0 if it could not. */
uint64_t a64_mmu_init(uint64_t dtb);
/* A secondary CPU: the same map, MMU and caches on. */
void a64_mmu_secondary(void);
/* 1 if [pa, pa + len) lies in the device block. */
int a64_mmu_is_device(uint64_t pa, uint64_t len);

/* gic_id.c: read the GIC's identification and redistributor (v3) or
 * CPU-interface count (v2) and print whether they agree with the tree. */
struct fdt_info;
void a64_gic_check(const struct fdt_info *in);

/* irq_probe.c: take one virtual timer interrupt through the GIC and the
 * vectors, print the INTID acknowledged; the handler trap.c calls. */
void a64_irq_probe(const struct fdt_info *in);
void a64_irq_probe_handler(void);

/* pl011.c: the console on the PL011 at base (device memory). */
void a64_pl011_init(uint64_t base);
int a64_pl011_ready(void);
/* From now on write the console's bytes through ops (NULL: the PL011
 * at base again); virt_test.c routes them through the machine's op. */
struct console_ops;
void a64_console_route(const struct console_ops *ops);

/* irq_probe.c: when set, the IRQ entry calls this instead of the probe's
 * handler (virt_test.c). */
extern void (*volatile a64_irq_probe_hook)(void);

/* virt_test.c: the machine description's test (dtboot.c, word
 * `machine`); has(line, word) says whether the command line holds word. */
_Noreturn void virt_test_main(const void *dtb, uint64_t avail, const char *cmdline,
                              int (*has)(const char *, const char *));

#endif

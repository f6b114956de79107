/*
 * cpu.c - the aarch64 port's arch/arch.h "CPU" functions that are not
 * inline: early set-up, the CPU's name, the cycle counter's frequency,
 * halting and leaving the machine, and the x86-only port I/O.
 *
 * Purpose and choices:
 *   - The cycle counter is the generic timer's virtual count (CNTVCT_EL0,
 *     arch_inline.h).  Its frequency is CNTFRQ_EL0, which firmware (or
 *     QEMU) programs; the architecture makes the count constant-rate and
 *     shared by every CPU, so arch_cycles_invariant is 1 and nothing is
 *     calibrated: arch_clock_init reads CNTFRQ_EL0 and ignores the x86
 *     reference clocks.  A CNTFRQ_EL0 of 0 (firmware that left it unset)
 *     leaves the frequency unknown (0) and says so in arch_cycles_source.
 *   - arch_cpu_model decodes MIDR_EL1 (implementer, part number, variant,
 *     revision) into a name for the parts it knows, else the raw fields.
 *   - Every leaf can be made unexecutable (PXN): arch_has_nx is 1.
 *   - No architectural register says "hypervisor" (x86's CPUID bit has no
 *     aarch64 equivalent): arch_hypervisor is 0.
 *   - aarch64 has no port I/O: arch_outb, arch_inb and arch_outl stop the
 *     machine with a message naming the port (only x86 legacy devices use
 *     them, and a machine description for an aarch64 board never does).
 * Context: arch_cpu_early_init and arch_clock_init: boot; the rest: any.
 */
#include <stdint.h>
#include "arch/arch.h"
#include "arch/aarch64/a64.h"
#include "kernel/lib/kprintf.h"
#include "kernel/panic.h"

static uint64_t hz;
static char model[64];
static const char *source = "CNTFRQ_EL0 not read yet";

void arch_cpu_early_init(void)
{
	/* FP/SIMD without traps (CPACR_EL1.FPEN = 3): newlib and clang's
	 * code use the SIMD registers */
	uint64_t c = A64_SYSREG_READ(cpacr_el1) | (3ull << 20);
	__asm__ volatile("msr cpacr_el1, %0\n\tisb" :: "r"(c) : "memory");
}

const char *arch_cpu_model(void)
{
	static const struct { unsigned impl, part; const char *name; } parts[] = {
		{ 0x41, 0xd03, "ARM Cortex-A53" }, { 0x41, 0xd04, "ARM Cortex-A35" },
		{ 0x41, 0xd05, "ARM Cortex-A55" }, { 0x41, 0xd07, "ARM Cortex-A57" },
		{ 0x41, 0xd08, "ARM Cortex-A72" }, { 0x41, 0xd09, "ARM Cortex-A73" },
		{ 0x41, 0xd0a, "ARM Cortex-A75" }, { 0x41, 0xd0b, "ARM Cortex-A76" },
		{ 0x41, 0xd0c, "ARM Neoverse-N1" }, { 0x41, 0xd40, "ARM Neoverse-V1" },
		{ 0x41, 0xd49, "ARM Neoverse-N2" }, { 0x41, 0xd4f, "ARM Neoverse-V2" },
		{ 0x61, 0x022, "Apple M1" },
		/* QEMU's -cpu max: implementer 0 is reserved for software use */
		{ 0x00, 0x051, "QEMU max" },
	};
	uint64_t midr = A64_SYSREG_READ(midr_el1);
	unsigned impl = (midr >> 24) & 0xff, part = (midr >> 4) & 0xfff;
	unsigned var = (midr >> 20) & 0xf, rev = midr & 0xf;
	const char *name = NULL;
	for (unsigned i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (parts[i].impl == impl && parts[i].part == part)
			name = parts[i].name;
	if (name)
		ksnprintf(model, sizeof model, "%s r%up%u", name, var, rev);
	else
		ksnprintf(model, sizeof model, "implementer 0x%02x part 0x%03x r%up%u", impl, part, var,
		          rev);
	return model;
}

void arch_clock_init(const struct arch_clock_ref *ref)
{
	(void)ref;   /* x86's reference clocks: nothing to calibrate here */
	hz = A64_SYSREG_READ(cntfrq_el0) & 0xffffffffu;
	source = hz ? "CNTFRQ_EL0 (generic timer)" : "CNTFRQ_EL0 is 0: frequency unknown";
}

uint64_t arch_cycles_hz(void) { return hz; }
const char *arch_cycles_source(void) { return source; }
int arch_cycles_invariant(void) { return 1; }
int arch_hypervisor(void) { return 0; }
int arch_has_nx(void) { return 1; }

_Noreturn void arch_halt_forever(void)
{
	a64_halt();
}

_Noreturn void arch_exit(int status)
{
	a64_exit(status);
}

void arch_outb(uint16_t port, uint8_t v)
{
	(void)v;
	panic("arch_outb(0x%x): aarch64 has no port I/O", port);
}

uint8_t arch_inb(uint16_t port)
{
	panic("arch_inb(0x%x): aarch64 has no port I/O", port);
}

void arch_outl(uint16_t port, uint32_t v)
{
	(void)v;
	panic("arch_outl(0x%x): aarch64 has no port I/O", port);
}

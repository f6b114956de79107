/*
 * cpu.c - x86_64 CPU features, FPU/SSE enable, port I/O, TSC frequency, exit.
 *
 * Purpose: everything about "this CPU" that the kernel asks through arch.h
 * (reset, power-off and the emulator's exit device: pc_power.c).
 * arch_cpu_early_init() runs first thing in boot_main(): newlib's string and
 * printf code uses SSE, so CR0.EM must be clear and CR4.OSFXSR set before
 * any libc call.  EFER.NXE is enabled when CPUID says NX exists so the page
 * tables can mark data non-executable.
 *
 * TSC frequency, in order of trust: CPUID 0x15 (crystal ratio, with 0x16's
 * base frequency when the crystal is not reported), the hypervisor timing
 * leaf 0x40000010, else a 10 ms calibration against PIT channel 2.
 *
 * Context: arch_cpu_early_init/arch_clock_init at boot only; the rest any.
 */
#include <string.h>
#include "arch/arch.h"
#include "arch/x86_64/pc.h"
#include "arch/x86_64/x86.h"

static char cpu_model[49];
static int cpu_nx;
static uint64_t tsc_hz;
static const char *tsc_source = "none";
static int tsc_invariant;
static int cpu_hypervisor;

void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
	                 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
	                 : "a"(leaf), "c"(sub));
}

uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

void arch_outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
void arch_outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
uint8_t arch_inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

void arch_cpu_early_init(void)
{
	uint64_t cr0, cr4;
	uint32_t r[4];

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 &= ~(1ull << 2);  /* EM: no x87 emulation */
	cr0 |= (1ull << 1);   /* MP */
	cr0 |= (1ull << 5);   /* NE: native FPU errors */
	cr0 |= (1ull << 16);  /* WP: honour read-only pages in ring 0 */
	__asm__ volatile("mov %0, %%cr0" ::"r"(cr0));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= (1ull << 9) | (1ull << 10);  /* OSFXSR | OSXMMEXCPT */
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
	__asm__ volatile("fninit");

	cpuid(0x80000000, 0, r);
	uint32_t maxext = r[0];
	if (maxext >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		if (r[3] & (1u << 20)) {
			cpu_nx = 1;
			wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
		}
	}
	if (maxext >= 0x80000004) {
		for (uint32_t i = 0; i < 3; i++) {
			cpuid(0x80000002 + i, 0, r);
			memcpy(cpu_model + 16 * i, r, 16);
		}
		cpu_model[48] = 0;
	} else {
		cpuid(0, 0, r);
		memcpy(cpu_model, &r[1], 4);
		memcpy(cpu_model + 4, &r[3], 4);
		memcpy(cpu_model + 8, &r[2], 4);
		cpu_model[12] = 0;
	}
	if (maxext >= 0x80000007) {
		cpuid(0x80000007, 0, r);
		tsc_invariant = (r[3] >> 8) & 1;
	}
	cpuid(1, 0, r);
	cpu_hypervisor = (r[2] >> 31) & 1;
}

const char *arch_cpu_model(void)
{
	const char *s = cpu_model;
	while (*s == ' ')
		s++;
	return s;
}

int arch_has_nx(void) { return cpu_nx; }
uint64_t arch_cycles_hz(void) { return tsc_hz; }
const char *arch_cycles_source(void) { return tsc_source; }
int arch_cycles_invariant(void) { return tsc_invariant; }
int arch_hypervisor(void) { return cpu_hypervisor; }

/* PIT channel 2, gated through port 0x61, mode 0 one-shot: count down
 * `ticks` (1.193182 MHz) and read the TSC at both ends. */
static uint64_t pit_calibrate(uint32_t ticks)
{
	uint8_t g = arch_inb(0x61);
	arch_outb(0x61, (g & ~0x02) | 0x01);   /* gate high, speaker off */
	arch_outb(0x43, 0xb0);                 /* ch2, lo/hi, mode 0, binary */
	arch_outb(0x42, ticks & 0xff);
	arch_outb(0x42, ticks >> 8);           /* counting starts now */
	uint64_t t0 = arch_cycles();
	uint64_t spins = 0;
	while (!(arch_inb(0x61) & 0x20)) {
		if (++spins > 100000000ull)
			return 0;  /* no PIT: leave it unknown */
	}
	uint64_t t1 = arch_cycles();
	return (t1 - t0) * 1193182ull / ticks;
}

/* ACPI PM timer: 3.579545 MHz, 24 or 32 bits.  Count `ticks` of it. */
static uint64_t pm_calibrate(uint16_t port, int bits32, uint32_t ticks)
{
	uint32_t mask = bits32 ? 0xffffffffu : 0xffffffu;
	uint32_t a = 0, b, start;
	__asm__ volatile("inl %1, %0" : "=a"(a) : "Nd"(port));
	start = a & mask;
	uint64_t t0 = arch_cycles(), spins = 0;
	for (;;) {
		__asm__ volatile("inl %1, %0" : "=a"(b) : "Nd"(port));
		if (((b - start) & mask) >= ticks)
			break;
		if (++spins > 100000000ull)
			return 0;
	}
	uint64_t t1 = arch_cycles();
	return (t1 - t0) * 3579545ull / ((b - start) & mask);
}

/* HPET main counter: period in femtoseconds in the capabilities register. */
static uint64_t hpet_calibrate(uint64_t base, uint64_t ns)
{
	volatile uint64_t *h = (volatile uint64_t *)(uintptr_t)base;
	uint64_t period_fs = h[0] >> 32;
	if (period_fs == 0 || period_fs > 100000000ull)
		return 0;  /* not a sane HPET */
	h[2] |= 1;         /* general config: enable the main counter */
	uint64_t need = ns * 1000000ull / period_fs;
	uint64_t c0 = h[30], t0 = arch_cycles(), c1, spins = 0;  /* 0xf0: counter */
	do {
		c1 = h[30];
		if (++spins > 100000000ull)
			return 0;
	} while (c1 - c0 < need);
	uint64_t t1 = arch_cycles();
	return (t1 - t0) * 1000000000000000ull / ((c1 - c0) * period_fs);
}

void arch_clock_init(const struct arch_clock_ref *ref)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	uint32_t maxleaf = r[0];
	if (maxleaf >= 0x15) {
		cpuid(0x15, 0, r);
		if (r[0] && r[1] && r[2]) {
			tsc_hz = (uint64_t)r[2] * r[1] / r[0];
			tsc_source = "cpuid 0x15";
		} else if (r[0] && r[1] && maxleaf >= 0x16) {
			uint32_t s[4];
			cpuid(0x16, 0, s);
			if (s[0]) {
				tsc_hz = (uint64_t)s[0] * 1000000ull;
				tsc_source = "cpuid 0x16";
			}
		}
	}
	if (!tsc_hz && cpu_hypervisor) {
		cpuid(0x40000000, 0, r);
		if (r[0] >= 0x40000010) {
			cpuid(0x40000010, 0, r);
			if (r[0]) {
				tsc_hz = (uint64_t)r[0] * 1000ull;
				tsc_source = "hypervisor leaf";
			}
		}
	}
	if (!tsc_hz && ref && ref->pm_timer_port) {
		tsc_hz = pm_calibrate(ref->pm_timer_port, ref->pm_timer_32bit, 35795);  /* 10 ms */
		if (tsc_hz)
			tsc_source = "ACPI PM timer calibration";
	}
	if (!tsc_hz && ref && ref->hpet_addr) {
		tsc_hz = hpet_calibrate(ref->hpet_addr, 10000000ull);
		if (tsc_hz)
			tsc_source = "HPET calibration";
	}
	if (!tsc_hz) {
		tsc_hz = pit_calibrate(11932);  /* 10 ms */
		tsc_source = tsc_hz ? "PIT calibration" : "unknown";
	}
}

_Noreturn void arch_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

_Noreturn void arch_exit(int status)
{
	/* QEMU's isa-debug-exit (pc_power.c): exits with (status << 1) | 1. */
	pc_exit_device(status);
	/* Still here: real hardware (or no debug-exit device).  This is the
	 * floor under the kernel's exit policy (kernel/power.c), used before
	 * the kernel runs and for a fault inside a crash report: halt. */
	static const char msg[] = "tally: halted; the machine can be powered off or reset\r\n";
	for (const char *p = msg; *p; p++) {
		for (int i = 0; i < 100000 && !(arch_inb(0x3f8 + 5) & 0x20); i++)
			arch_pause();
		arch_outb(0x3f8, (uint8_t)*p);
	}
	arch_halt_forever();
}

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
 * leaf 0x40000010, else a 10 ms calibration against the ACPI PM timer, the
 * HPET or the PIT's channel 0, each the median of three windows.
 *
 * A calibration pairs a reference-counter read with a cycle-counter read
 * at both ends of its window.  If the CPU stops between the two reads of a
 * pair (an SMI on hardware; under emulation, the host descheduling the
 * vCPU thread for milliseconds while both clocks follow real time), the
 * pair is off by that stop, and so is the frequency: a busy 2-core host
 * gave a 10 ms window 60% wrong.  So each end reads the reference between
 * two cycle-counter reads, keeps the tightest of REF_TRIES such brackets
 * (its midpoint is the paired time), and the frequency is the median of
 * CAL_RUNS windows.
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

#define REF_TRIES 8
#define CAL_RUNS 3

/* One end of a calibration window: the reference read between two
 * cycle-counter reads, the tightest bracket of REF_TRIES; *mid is its
 * midpoint, the cycle count paired with *ref. */
static void ref_pair(uint64_t (*rd)(uintptr_t), uintptr_t arg, uint64_t *ref, uint64_t *mid)
{
	uint64_t best = ~0ull;
	for (int i = 0; i < REF_TRIES; i++) {
		uint64_t t0 = arch_cycles();
		uint64_t r = rd(arg);
		uint64_t t1 = arch_cycles();
		if (t1 - t0 < best) {
			best = t1 - t0;
			*ref = r;
			*mid = t0 + (t1 - t0) / 2;
		}
	}
}

/* A window of at least `need` reference ticks at `ref_hz`; returns cycles
 * per second, 0 if the reference does not count.  `mask` is the
 * reference's width (a PM timer may wrap once inside the window). */
static uint64_t window(uint64_t (*rd)(uintptr_t), uintptr_t arg, uint64_t mask,
                       uint64_t need, uint64_t ref_hz)
{
	uint64_t r0, m0, r1, m1, spins = 0;
	ref_pair(rd, arg, &r0, &m0);
	while (((rd(arg) - r0) & mask) < need)
		if (++spins > 100000000ull)
			return 0;
	ref_pair(rd, arg, &r1, &m1);
	uint64_t ticks = (r1 - r0) & mask;
	if (!ticks || m1 <= m0)
		return 0;
	return (uint64_t)((__uint128_t)(m1 - m0) * ref_hz / ticks);
}

static uint64_t median_window(uint64_t (*rd)(uintptr_t), uintptr_t arg, uint64_t mask,
                              uint64_t need, uint64_t ref_hz)
{
	uint64_t v[CAL_RUNS];
	for (int i = 0; i < CAL_RUNS; i++) {
		v[i] = window(rd, arg, mask, need, ref_hz);
		if (!v[i])
			return 0;
		for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	}
	return v[CAL_RUNS / 2];
}

/* ACPI PM timer: 3.579545 MHz, 24 or 32 bits. */
static uint64_t pm_read(uintptr_t port)
{
	uint32_t a;
	__asm__ volatile("inl %1, %0" : "=a"(a) : "Nd"((uint16_t)port));
	return a;
}

static uint64_t pm_calibrate(uint16_t port, int bits32, uint32_t ticks)
{
	return median_window(pm_read, port, bits32 ? 0xffffffffull : 0xffffffull, ticks, 3579545ull);
}

/* HPET main counter (offset 0xf0): period in femtoseconds in the
 * capabilities register. */
static uint64_t hpet_read(uintptr_t base)
{
	return ((volatile uint64_t *)base)[30];
}

static uint64_t hpet_calibrate(uint64_t base, uint64_t ns)
{
	volatile uint64_t *h = (volatile uint64_t *)(uintptr_t)base;
	uint64_t period_fs = h[0] >> 32;
	if (period_fs == 0 || period_fs > 100000000ull)
		return 0;  /* not a sane HPET */
	h[2] |= 1;         /* general config: enable the main counter */
	uint64_t need = ns * 1000000ull / period_fs;
	return median_window(hpet_read, (uintptr_t)base, ~0ull, need,
	                     1000000000000000ull / period_fs);
}

/* The 8254 PIT's channel 0 (1.193182 MHz), read back through a latch
 * command: programmed in mode 2 with a reload of 65536 it counts down by
 * one a tick and wraps every 55 ms; the reader returns ticks counted up,
 * 16 bits wide (window()'s mask takes the wrap).  Channel 0, not channel
 * 2: channel 2 counts only with its gate raised through port 0x61, which
 * QEMU's microvm does not have (there an unmapped 0x61 reads 0xff, and a
 * gated count "ended" at once: a TSC of 3.5 MHz).  IRQ0 is masked (both
 * 8259s, lapic.c; the IOAPIC's pins start masked), and nothing else uses
 * the PIT. */
static uint64_t pit_read(uintptr_t unused)
{
	(void)unused;
	arch_outb(0x43, 0x00);                 /* latch channel 0 */
	uint32_t lo = arch_inb(0x40);
	uint32_t hi = arch_inb(0x40);
	return (0x10000u - (lo | hi << 8)) & 0xffffu;
}

static uint64_t pit_calibrate(uint32_t ticks)
{
	arch_outb(0x43, 0x34);                 /* channel 0, lo/hi, mode 2, binary */
	arch_outb(0x40, 0);
	arch_outb(0x40, 0);                    /* reload 65536 */
	uint64_t r0 = pit_read(0), spins = 0;
	while (pit_read(0) == r0)
		if (++spins > 10000000ull)
			return 0;  /* no PIT: leave it unknown */
	return median_window(pit_read, 0, 0xffffull, ticks, 1193182ull);
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

/*
 * lapic_test.c - on-target test of the local APIC mode arch/x86_64/lapic.c
 * chose, read back from the hardware on every CPU.
 *
 * The boot line names the mode from lapic.c's own choice (its ops
 * struct); this test asks the CPUs instead.  On each online CPU it reads
 * IA32_APIC_BASE (bit 11: enabled, bit 10: x2APIC mode) and the APIC ID
 * the way the mode allows it (x2APIC: MSR 0x802; xAPIC: the ID register
 * at the MMIO base the MSR names), and compares them with three sources
 * lapic.c does not control: CPUID (leaf 0xB's x2APIC ID, leaf 1's initial
 * APIC ID), the MADT's list of enabled CPUs (parsed again here) and the
 * mode lapic.c reports.  The x2APIC system cases run it under QEMU 10, the
 * rest of the SMP matrix under QEMU 7.2 in xAPIC mode.
 *
 * Context: a ktest (boot CPU, interrupts on); the reads on the other CPUs
 * run from their idle loops through smp_run, results in a static array.
 */
#include <stdint.h>
#include <string.h>
#include "arch/arch.h"
#include "arch/x86_64/x86.h"
#include "kernel/acpi/acpi.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/smp.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"

struct apic_seen {
	uint64_t apic_base;     /* IA32_APIC_BASE */
	uint32_t id;            /* from the APIC itself, as its mode allows */
	uint32_t cpuid_id;      /* CPUID: 0xB EDX (x2APIC) or 1 EBX[31:24] */
	int done;
};

static struct apic_seen seen[CPU_MAX];
static struct acpi_info madt;

static void read_apic(void *p)
{
	struct apic_seen *s = p;
	uint32_t r[4];
	s->apic_base = rdmsr(MSR_APIC_BASE);
	if (s->apic_base & (1u << 10)) {
		s->id = (uint32_t)rdmsr(0x802);
		cpuid(0xb, 0, r);
		s->cpuid_id = r[3];
	} else {
		volatile uint32_t *mmio = (volatile uint32_t *)(uintptr_t)
			(s->apic_base & ~0xfffull);
		s->id = mmio[0x20 / 4] >> 24;
		cpuid(1, 0, r);
		s->cpuid_id = r[1] >> 24;
	}
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
}

KTEST(smp_apic_mode_on_every_cpu)
{
	const struct boot_info *bi = kernel_boot_info;
	unsigned n = cpu_count();
	int x2 = strcmp(arch_intc_name(), "x2apic") == 0;

	KASSERT(x2 || strcmp(arch_intc_name(), "xapic") == 0);
	KASSERT(acpi_parse(bi->rsdp, bi->rsdp_len, kernel_acpi_phys, NULL, &madt) == 0);
	memset(seen, 0, sizeof seen);
	for (unsigned i = 1; i < n; i++)
		KASSERT(smp_run(i, read_apic, &seen[i]) == 0);
	read_apic(&seen[0]);
	for (unsigned i = 1; i < n; i++)
		KASSERT(smp_run_wait(i, 5000000000ull) == 0);
	for (unsigned i = 0; i < n; i++) {
		struct apic_seen *s = &seen[i];
		KASSERT(__atomic_load_n(&s->done, __ATOMIC_ACQUIRE));
		KASSERT(s->apic_base & (1u << 11));               /* enabled */
		KASSERT_EQ(!!(s->apic_base & (1u << 10)), x2);    /* the mode named */
		KASSERT_EQ(s->id, s->cpuid_id);
		KASSERT_EQ(s->id, cpus[i].arch.hwid);
		int listed = 0;
		for (uint32_t j = 0; j < madt.ncpu; j++)
			listed += madt.cpu[j].enabled && madt.cpu[j].apic_id == s->id;
		KASSERT_EQ(listed, 1);
	}
	ktest_note("%u CPUs in %s mode, APIC ids agree with CPUID and the MADT",
	           n, x2 ? "x2APIC" : "xAPIC");
}

/*
 * acpi_test.c - on-target tests of how the kernel reads firmware tables:
 * kernel_acpi_phys() (kernel/main.c) refuses unmapped pages and holes in
 * the memory map, so a stray table address in an RSDT costs a warning and
 * the table, not a page fault.  The parser itself is tested on the host
 * (tests/host/test_acpi.c); here the question is the real page tables.
 */
#include <stdint.h>
#include <string.h>
#include "arch/arch.h"
#include "kernel/acpi/acpi.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "tests/target/isa_code.h"

/* A page in the first hole of the sanitized map (0xa0000 on a PC), or 0
 * if the map has no page-sized hole between 4 KiB and 4 GiB. */
static uint64_t map_hole(void)
{
	const struct boot_info *bi = kernel_boot_info;
	uint64_t end = 0;
	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		uint64_t b = bi->mmap[i].base;
		uint64_t at = (end + 4095) & ~4095ull;
		if (at >= 4096 && at + 4096 <= b && at < (4ull << 30))
			return at;
		end = b + bi->mmap[i].len;
	}
	return 0;
}

KTEST(acpi_phys_refuses_unmapped)
{
	uintptr_t guard = (uintptr_t)isa_boot_stack_guard();
	uint64_t hole = map_hole();
	static uint8_t table[64];

	KASSERT(kernel_acpi_phys(NULL, (uintptr_t)table, sizeof table) == table);
	KASSERT(kernel_acpi_phys(NULL, guard + 4096, 36) != NULL);  /* the stack */
	KASSERT(kernel_acpi_phys(NULL, guard, 36) == NULL);
	KASSERT(kernel_acpi_phys(NULL, guard - 8, 36) == NULL);     /* straddles */
	KASSERT(kernel_acpi_phys(NULL, guard + 4090, 36) == NULL);
	KASSERT(kernel_acpi_phys(NULL, 0, 36) == NULL);
	KASSERT(kernel_acpi_phys(NULL, 4096, 0) == NULL);
	KASSERT(kernel_acpi_phys(NULL, arch_direct_map_top() - 16, 36) == NULL);
	KASSERT(kernel_acpi_phys(NULL, ~0ull - 8, 36) == NULL);
	if (hole) {
		ktest_note("memory-map hole at 0x%lx", hole);
		KASSERT(kernel_acpi_phys(NULL, hole, 36) == NULL);
	}
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void fix_sum(uint8_t *p, uint32_t len, uint32_t at)
{
	uint8_t s = 0;
	p[at] = 0;
	for (uint32_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	p[at] = (uint8_t)-s;
}

/* An RSDT (in kernel data, which the map lists) whose entries point at the
 * boot stack's guard page and into a hole: both are skipped with a
 * warning, nothing faults, the RSDT itself is used. */
KTEST(acpi_stray_table_pointer_skipped)
{
	static uint8_t rsdt[36 + 8] __attribute__((aligned(16)));
	static struct acpi_info info;
	uint8_t rsdp[20];
	uint64_t hole = map_hole();

	KASSERT((uintptr_t)rsdt < (1ull << 32) && (uintptr_t)isa_boot_stack_guard() < (1ull << 32));
	memset(rsdt, 0, sizeof rsdt);
	memcpy(rsdt, "RSDT", 4);
	put32(rsdt + 4, sizeof rsdt);
	rsdt[8] = 1;
	memcpy(rsdt + 10, "KTEST ", 6);
	put32(rsdt + 36, (uint32_t)(uintptr_t)isa_boot_stack_guard());
	put32(rsdt + 40, hole ? (uint32_t)hole : (uint32_t)(uintptr_t)isa_boot_stack_guard() + 16);
	fix_sum(rsdt, sizeof rsdt, 9);
	memset(rsdp, 0, sizeof rsdp);
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "KTEST ", 6);
	put32(rsdp + 16, (uint32_t)(uintptr_t)rsdt);
	fix_sum(rsdp, sizeof rsdp, 8);

	KASSERT_EQ(acpi_parse(rsdp, sizeof rsdp, kernel_acpi_phys, NULL, &info), 0);
	KASSERT_EQ(info.root_addr, (uintptr_t)rsdt);
	KASSERT_EQ(info.nwarn, 2);
	for (uint32_t i = 0; i < info.nwarn; i++) {
		ktest_note("%s", info.warn[i]);
		KASSERT(strstr(info.warn[i], "unreadable, skipped") != NULL);
	}
	KASSERT_EQ(info.has_madt, 0);

	/* the RSDT itself at the guard page: the root is unusable */
	put32(rsdp + 16, (uint32_t)(uintptr_t)isa_boot_stack_guard());
	fix_sum(rsdp, sizeof rsdp, 8);
	KASSERT_EQ(acpi_parse(rsdp, sizeof rsdp, kernel_acpi_phys, NULL, &info), -1);
	KASSERT(info.nwarn >= 1);
	KASSERT(strstr(info.warn[0], "unreadable") != NULL);
}

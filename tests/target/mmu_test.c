/*
 * mmu_test.c - on-target tests of Tally's own page tables and traps:
 * W^X on the kernel image, page 0 unmapped, guard pages, and that the CPU
 * actually enforces it (faults caught with arch_try).
 */
#include <stdint.h>
#include "arch/arch.h"
#include "kernel/ktest.h"
#include "kernel/mem/vm.h"
#include "kernel/mem/pmem.h"
#include "tests/target/isa_code.h"

extern char _text_start[], _rodata_start[], _data_start[];
static volatile int some_data = 42;
static const volatile int some_rodata = 7;

KTEST(mmu_page0_unmapped)
{
	uint64_t pa;
	unsigned prot;
	KASSERT(arch_translate(0, &pa, &prot) < 0);
	KASSERT(arch_translate(4095, &pa, &prot) < 0);
	KASSERT(arch_translate(4096, &pa, &prot) == 0);
}

KTEST(mmu_wx_permissions)
{
	uint64_t pa;
	unsigned prot;
	KASSERT(arch_translate((uintptr_t)_text_start, &pa, &prot) == 0);
	KASSERT(!(prot & VM_W));
	KASSERT(prot & VM_X);
	KASSERT(arch_translate((uintptr_t)&some_rodata, &pa, &prot) == 0);
	KASSERT(!(prot & VM_W));
	if (arch_has_nx())
		KASSERT(!(prot & VM_X));
	KASSERT(arch_translate((uintptr_t)&some_data, &pa, &prot) == 0);
	KASSERT(prot & VM_W);
	if (arch_has_nx())
		KASSERT(!(prot & VM_X));
	/* identity: the kernel runs where it was loaded */
	KASSERT_EQ(pa, (uintptr_t)&some_data);
}

static void write_text(void *p) { *(volatile uint8_t *)p = 0xcc; }
static void read_null(void *p) { (void)p; (void)*(volatile int *)0; }
static void call_data(void *p) { ((void (*)(void))p)(); }
static void touch(void *p) { (void)*(volatile uint8_t *)p; }

KTEST(mmu_write_to_text_faults)
{
	uint8_t before = *(volatile uint8_t *)_text_start;
	KASSERT_EQ(arch_try(write_text, _text_start), ARCH_TRAP_DATA_FAULT + 1);
	KASSERT_EQ(arch_try_fault_addr(), (uintptr_t)_text_start);
	KASSERT_EQ(*(volatile uint8_t *)_text_start, before);
}

KTEST(mmu_null_read_faults)
{
	KASSERT_EQ(arch_try(read_null, NULL), ARCH_TRAP_DATA_FAULT + 1);
	KASSERT_EQ(arch_try_fault_addr(), 0);
}

KTEST(mmu_exec_data_faults)
{
	static uint8_t code[64] __attribute__((aligned(64)));
	if (!arch_has_nx())
		return;  /* CPU without NX: nothing to enforce */
	isa_fill_ret(code, sizeof code);
	KASSERT_EQ(arch_try(call_data, code), isa_try_exec_fault());
	KASSERT_EQ(arch_try_fault_addr(), (uintptr_t)code);
}

KTEST(mmu_boot_stack_guard)
{
	KASSERT_EQ(arch_try(touch, isa_boot_stack_guard()), ARCH_TRAP_DATA_FAULT + 1);
	char buf[160];
	(void)buf;
}

KTEST(mmu_map_unmap)
{
	uintptr_t va = 0x00007f0000000000ull;
	uint64_t pa = pmem_alloc(0), got;
	unsigned prot;
	KASSERT(pa != 0);
	KASSERT(arch_map_page(va, pa, VM_R | VM_W) == 0);
	*(volatile uint64_t *)va = 0x1234567890abcdefull;
	KASSERT_EQ(*(volatile uint64_t *)pa, 0x1234567890abcdefull);
	KASSERT(arch_translate(va + 8, &got, &prot) == 0);
	KASSERT_EQ(got, pa + 8);
	KASSERT_EQ(arch_unmap_page(va), pa);
	KASSERT_EQ(arch_try(touch, (void *)va), ARCH_TRAP_DATA_FAULT + 1);
	pmem_free(pa, 0);
}

KTEST(vm_region_guard_described)
{
	struct vm_region *r = vm_region_create("ktest region", 8192, 4096);
	char buf[200];
	KASSERT(r != NULL);
	KASSERT(vm_commit(r, r->base, r->size, VM_R | VM_W) == 0);
	KASSERT_EQ(r->committed, 8192);
	((volatile char *)r->base)[8191] = 1;
	KASSERT_EQ(vm_describe(r->base - 1, buf, sizeof(buf)), VM_DESCR_GUARD);
	KASSERT_EQ(vm_describe(r->base, buf, sizeof(buf)), VM_DESCR_REGION);
	KASSERT_EQ(arch_try(touch, (void *)(r->base - 1)), ARCH_TRAP_DATA_FAULT + 1);
}

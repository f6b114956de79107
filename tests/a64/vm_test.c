/*
 * vm_test.c - on-target tests of the aarch64 port's page tables
 * (arch/aarch64/paging.c): arch_vm_init replacing the boot map, every
 * translation against the MMU's own walk, mappings made and removed at
 * run time, the faults W^X and the guard pages cause, and the accessed
 * and dirty state.
 *
 * Independent truth: the AT S1E1R / AT S1E1W instructions and PAR_EL1
 * (ARM ARM D17.2.113: F bit 0; PA bits 47:12; the MAIR attribute of the
 * translation in bits 63:56) give the hardware's walk of the loaded
 * tables; ESR_EL1's class and FAR_EL1 of a real fault (through arch_try)
 * say what the MMU refused; a value written through one mapping is read
 * back through another (the direct map).  The expected layout comes from
 * the linker's symbols and the device tree, not from paging.c.
 *
 * Order: a64_vm_init runs first (it loads the port's tables); the others
 * need it and say so if it did not run.
 * Context: the boot CPU, interrupts masked.
 */
#include <stdint.h>
#include <string.h>
#include "arch/arch.h"
#include "arch/aarch64/a64.h"
#include "arch/aarch64/paging.h"
#include "kernel/mem/pmem.h"
#include "tests/a64/a64t.h"

#define GIB (1ull << 30)
#define MIB (1ull << 20)
#define EC_DABT (0x25 + 1)
#define EC_IABT (0x21 + 1)
#define TEST_VA 0x10000000000ull      /* 1 TiB: far above any direct map */
#define RET_INSN 0xd65f03c0u

extern char __text_start[], __text_end[], __rodata_end[], _image_end[];
extern const uint64_t a64_guards[2];
_Noreturn void dtboot_main(uint64_t dtb, uint64_t entry_el);

static int vm_ready, boot_map_bad = -1;
static uint64_t ram_end, pm_lo;
static const uint32_t ro_word = 0x12345678;
static uint32_t data_word = 1;
static uint32_t exec_buf[4] __attribute__((aligned(16))) = { RET_INSN };

/* the PAR_EL1 of AT S1E1R (write = 0) or AT S1E1W (write = 1) for va */
static uint64_t at(uintptr_t va, int write)
{
	uint64_t par;
	if (write)
		__asm__ volatile("at s1e1w, %1\n\tisb\n\tmrs %0, par_el1" : "=r"(par) : "r"(va) : "memory");
	else
		__asm__ volatile("at s1e1r, %1\n\tisb\n\tmrs %0, par_el1" : "=r"(par) : "r"(va) : "memory");
	return par;
}

static int is_ram(uint64_t base, uint64_t len)
{
	for (uint32_t i = 0; i < a64t_info->nmem; i++) {
		const struct fdt_range *m = &a64t_info->mem[i];
		if (base >= m->base && base + len <= m->base + m->size)
			return 1;
	}
	return 0;
}

/* arch_translate and the MMU agree about va: both unmapped, or the same
 * physical address, device (MAIR 0x00) exactly when VM_UC, Normal
 * write-back (0xff) otherwise, and writable by AT S1E1W exactly when
 * VM_W (every page here is writable-dirty or read-only).  Returns 0 or
 * the line of the first disagreement. */
static int agrees(uintptr_t va, int want_mapped, unsigned want_prot)
{
	uint64_t pa = 0, par = at(va, 0), parw = at(va, 1);
	unsigned prot = 0;
	int mapped = arch_translate(va, &pa, &prot) == 0;
	if (mapped != want_mapped || mapped != !(par & 1))
		return __LINE__;
	if (!mapped)
		return (parw & 1) ? 0 : __LINE__;
	if ((prot & (VM_W | VM_X | VM_UC)) != want_prot)
		return __LINE__;
	if (pa != ((par & 0x0000fffffffff000ull) | (va & 4095)))
		return __LINE__;
	if ((par >> 56) != ((prot & VM_UC) ? 0x00 : 0xff))
		return __LINE__;
	if (!(parw & 1) != !!(prot & VM_W))
		return __LINE__;
	return 0;
}

static void read_one(void *p) { (void)*(volatile uint8_t *)p; }
static void write_one(void *p) { *(volatile uint8_t *)p = 1; }
static void call_it(void *p) { ((void (*)(void))p)(); }

static void sync_icache(uintptr_t va)
{
	__asm__ volatile("dc cvau, %0\n\tdsb ish\n\tic ivau, %0\n\tdsb ish\n\tisb" :: "r"(va) : "memory");
}

/* Load the port's tables once (the first test to need them does it). */
int a64t_vm_setup(void)
{
	uint64_t top = 0;
	if (vm_ready)
		return 1;
	for (uint32_t i = 0; i < a64t_info->nmem; i++)
		if (a64t_info->mem[i].base + a64t_info->mem[i].size > top)
			top = a64t_info->mem[i].base + a64t_info->mem[i].size;
	if (top < 0x40000000 + 128 * MIB || top > 0x40000000 + 64 * GIB)
		return 0;   /* the tests below need RAM at 1 GiB + 64 MiB and a 4 MiB pool */
	ram_end = top;
	/* pages for new tables and test mappings: the last 4 MiB of RAM
	 * (QEMU puts the device tree at the start of RAM, the image 2 MiB up) */
	pm_lo = top - 4 * MIB;
	a64t_pmem_range(pm_lo, top);
	/* before arch_vm_init arch_translate reports the boot map (mmu.c):
	 * text read-only, data writable, the UART device, NULL unmapped */
	uint64_t pa;
	unsigned prot;
	boot_map_bad = 0;
	boot_map_bad += arch_translate((uintptr_t)dtboot_main, &pa, &prot) != 0 ||
	                pa != (uintptr_t)dtboot_main || (prot & (VM_W | VM_UC));
	boot_map_bad += arch_translate((uintptr_t)&data_word, &pa, &prot) != 0 ||
	                pa != (uintptr_t)&data_word || (prot & (VM_W | VM_UC)) != VM_W;
	boot_map_bad += arch_translate(a64t_info->uart.base, &pa, &prot) != 0 ||
	                !(prot & VM_UC);
	boot_map_bad += arch_translate(0x7f00001230ull, &pa, &prot) != -1;
	arch_vm_init(top, is_ram);
	vm_ready = 1;
	return 1;
}

A64T(a64_vm_init)
{
	a64t_vm_setup();
	A64T_ASSERT(vm_ready);   /* else: RAM from 1 GiB, at least 128 MiB */
	A64T_ASSERT(boot_map_bad == 0);
	uint64_t want = (ram_end + GIB - 1) & ~(GIB - 1);
	A64T_ASSERT(arch_direct_map_top() == (want < 4 * GIB ? 4 * GIB : want));
	uint64_t tcr = A64_SYSREG_READ(tcr_el1);
	A64T_ASSERT((tcr & 63) == 16);                   /* 48-bit addresses */
	a64t_note("tables loaded: TTBR0 0x%llx, TCR 0x%llx, direct map to 0x%llx, HAFDBS %d: %s",
	          (unsigned long long)A64_SYSREG_READ(ttbr0_el1), (unsigned long long)tcr,
	          (unsigned long long)arch_direct_map_top(), a64_vm_hafdbs(),
	          a64_vm_hafdbs() >= 2 ? "hardware access flag and dirty state (DBM)" :
	          a64_vm_hafdbs() == 1 ? "hardware access flag, dirty state by permission fault" :
	          "access flag and dirty state by fault");
}

A64T(a64_vm_translate)
{
	a64t_vm_setup();
	A64T_ASSERT(vm_ready);
	uintptr_t text = (uintptr_t)dtboot_main, rodata = (uintptr_t)&ro_word;
	A64T_ASSERT(text >= (uintptr_t)__text_start && text < (uintptr_t)__text_end);
	A64T_ASSERT(rodata >= (uintptr_t)__text_end && rodata < (uintptr_t)__rodata_end);
	int r;
	A64T_ASSERT((r = agrees(text, 1, VM_X)) == 0);
	A64T_ASSERT((r = agrees(rodata, 1, 0)) == 0);
	A64T_ASSERT((r = agrees((uintptr_t)&data_word, 1, VM_W)) == 0);
	A64T_ASSERT((r = agrees(a64t_info->uart.base, 1, VM_W | VM_UC)) == 0);
	A64T_ASSERT((r = agrees(a64t_info->gicd.base, 1, VM_W | VM_UC)) == 0);
	A64T_ASSERT((r = agrees(0x40000000 + 64 * MIB + 0x1238, 1, VM_W)) == 0);
	A64T_ASSERT((r = agrees(ram_end - 8, 1, VM_W)) == 0);
	if (!is_ram(ram_end, 4096) && ram_end + 4096 < arch_direct_map_top())
		A64T_ASSERT((r = agrees(ram_end + 0x10, 1, VM_W | VM_UC)) == 0);
	A64T_ASSERT((r = agrees(3 * GIB + 0x20, 1, is_ram(3 * GIB, 4096) ? VM_W : VM_W | VM_UC)) == 0);
	A64T_ASSERT((r = agrees(0, 0, 0)) == 0);                  /* NULL */
	A64T_ASSERT((r = agrees(0xff8, 0, 0)) == 0);
	A64T_ASSERT((r = agrees(0x1000, 1, VM_W | VM_UC)) == 0);  /* only page 0 is out */
	A64T_ASSERT((r = agrees(a64_guards[0], 0, 0)) == 0);      /* stack guards */
	A64T_ASSERT((r = agrees(a64_guards[1] + 4095, 0, 0)) == 0);
	A64T_ASSERT((r = agrees(arch_direct_map_top(), 0, 0)) == 0);
	A64T_ASSERT((r = agrees(0x7f00001230ull, 0, 0)) == 0);
	A64T_ASSERT((r = agrees(0xffff000000001000ull, 0, 0)) == 0);
}

A64T(a64_vm_map)
{
	a64t_vm_setup();
	A64T_ASSERT(vm_ready);
	uint64_t pa = pmem_alloc(0), pa2 = pmem_alloc(0), got, pm;
	unsigned prot;
	int r;
	A64T_ASSERT(pa && pa2);
	A64T_ASSERT(arch_map_page(TEST_VA, pa, VM_R | VM_W) == 0);
	A64T_ASSERT((r = agrees(TEST_VA + 0x10, 1, VM_W)) == 0);
	*(volatile uint64_t *)(uintptr_t)(TEST_VA + 0x10) = 0xfeedface12345678ull;
	A64T_ASSERT(*(volatile uint64_t *)(uintptr_t)(pa + 0x10) == 0xfeedface12345678ull);
	/* W^X is refused; a device page through a new mapping reads as the
	 * direct map's (the PL011's flag register) */
	A64T_ASSERT(arch_map_page(TEST_VA + 4096, pa2, VM_R | VM_W | VM_X) == -1);
	A64T_ASSERT(arch_translate(TEST_VA + 4096, &got, &prot) == -1);
	A64T_ASSERT(arch_map_page(TEST_VA + 8192, a64t_info->uart.base, VM_R | VM_W | VM_UC) == 0);
	A64T_ASSERT((r = agrees(TEST_VA + 8192 + 0x18, 1, VM_W | VM_UC)) == 0);
	A64T_ASSERT((*(volatile uint32_t *)(uintptr_t)(TEST_VA + 8192 + 0x30) & 1) ==
	            (*(volatile uint32_t *)(uintptr_t)(a64t_info->uart.base + 0x30) & 1));
	/* unmapped: gone for the MMU too, and a read faults at that address */
	A64T_ASSERT(arch_unmap_page(TEST_VA) == pa);
	A64T_ASSERT(arch_unmap_page(TEST_VA) == 0);
	A64T_ASSERT((r = agrees(TEST_VA, 0, 0)) == 0);
	A64T_ASSERT(arch_try(read_one, (void *)(uintptr_t)(TEST_VA + 5)) == EC_DABT);
	A64T_ASSERT(arch_try_fault_addr() == TEST_VA + 5);
	/* remapped read-only (break-before-make over a valid entry too) */
	A64T_ASSERT(arch_map_page(TEST_VA, pa2, VM_R | VM_W) == 0);
	A64T_ASSERT(arch_map_page(TEST_VA, pa, VM_R) == 0);
	A64T_ASSERT(*(volatile uint64_t *)(uintptr_t)(TEST_VA + 0x10) == 0xfeedface12345678ull);
	A64T_ASSERT((r = agrees(TEST_VA, 1, 0)) == 0);
	A64T_ASSERT(arch_try(write_one, (void *)(uintptr_t)(TEST_VA + 8)) == EC_DABT);
	A64T_ASSERT(arch_try_fault_addr() == TEST_VA + 8);
	/* code: written through the direct map, run through an R|X mapping,
	 * refused through an R|W one */
	*(volatile uint32_t *)(uintptr_t)pa2 = RET_INSN;
	sync_icache(pa2);
	A64T_ASSERT(arch_map_page(TEST_VA + 4096, pa2, VM_R | VM_X) == 0);
	A64T_ASSERT((r = agrees(TEST_VA + 4096, 1, VM_X)) == 0);
	A64T_ASSERT(arch_try(call_it, (void *)(uintptr_t)(TEST_VA + 4096)) == 0);
	A64T_ASSERT(arch_map_page(TEST_VA + 4096, pa2, VM_R | VM_W) == 0);
	A64T_ASSERT(arch_try(call_it, (void *)(uintptr_t)(TEST_VA + 4096)) == EC_IABT);
	A64T_ASSERT(arch_try_fault_addr() == TEST_VA + 4096);
	/* a mapping inside a direct-map block is refused */
	pm = 0x40000000 + 64 * MIB;
	A64T_ASSERT(arch_map_page(pm, pa, VM_R) == -1);
	A64T_ASSERT(arch_translate(pm, &got, &prot) == 0 && got == pm);
	arch_unmap_page(TEST_VA);
	arch_unmap_page(TEST_VA + 4096);
	arch_unmap_page(TEST_VA + 8192);
}

/* The faults the map exists for, caught by arch_try: each is the class
 * and address the MMU reports. */
A64T(a64_vm_faults)
{
	a64t_vm_setup();
	A64T_ASSERT(vm_ready);
	uintptr_t text = (uintptr_t)dtboot_main;
	A64T_ASSERT(arch_try(read_one, NULL) == EC_DABT);
	A64T_ASSERT(arch_try_fault_addr() == 0);
	A64T_ASSERT(arch_try(read_one, (void *)(uintptr_t)(a64_guards[0] + 4000)) == EC_DABT);
	A64T_ASSERT(arch_try_fault_addr() == a64_guards[0] + 4000);
	A64T_ASSERT(arch_try(write_one, (void *)text) == EC_DABT);
	A64T_ASSERT(arch_try_fault_addr() == text);
	A64T_ASSERT(arch_try(write_one, (void *)&ro_word) == EC_DABT);
	A64T_ASSERT(arch_try_fault_addr() == (uintptr_t)&ro_word);
	sync_icache((uintptr_t)exec_buf);
	A64T_ASSERT(arch_try(call_it, exec_buf) == EC_IABT);
	A64T_ASSERT(arch_try_fault_addr() == (uintptr_t)exec_buf);
	A64T_ASSERT(arch_try(read_one, (void *)(uintptr_t)(1ull << 48)) == EC_DABT);
	A64T_ASSERT(arch_try(read_one, (void *)(uintptr_t)(arch_direct_map_top() + 64)) == EC_DABT);
	A64T_ASSERT(arch_try_fault_addr() == arch_direct_map_top() + 64);
	A64T_ASSERT(data_word == 1);
}

A64T(a64_vm_dirty)
{
	a64t_vm_setup();
	A64T_ASSERT(vm_ready);
	uint64_t pa = pmem_alloc(0), out[8], pa2;
	uintptr_t va = TEST_VA + 16 * 4096;
	size_t units = 99;
	int soft = a64_vm_hafdbs() < 2;
	A64T_ASSERT(pa && arch_map_page(va, pa, VM_R | VM_W) == 0);
	/* mapped dirty (pte.h); cleared, the MMU write-protects it (without
	 * DBM: AT S1E1W fails) and a read leaves it clean */
	A64T_ASSERT(arch_vm_ad(va, 1, VM_AD_DIRTY, 1, out) == 1 && out[0] == 1);
	arch_tlb_flush(va, 4096);
	A64T_ASSERT(arch_vm_ad(va, 1, VM_AD_DIRTY, 0, out) == 0 && out[0] == 0);
	if (soft)
		A64T_ASSERT(at(va, 1) & 1);
	read_one((void *)va);
	A64T_ASSERT(arch_vm_ad(va, 1, VM_AD_DIRTY, 0, NULL) == 0);
	/* a store makes it dirty again and lands */
	*(volatile uint32_t *)va = 0xd1d1;
	A64T_ASSERT(arch_vm_ad(va, 1, VM_AD_DIRTY, 0, out) == 1 && out[0] == 1);
	A64T_ASSERT(*(volatile uint32_t *)(uintptr_t)pa == 0xd1d1);
	A64T_ASSERT(!(at(va, 1) & 1));
	/* accessed: cleared, untouched stays clear, a read sets it */
	A64T_ASSERT(arch_vm_ad(va, 1, VM_AD_ACCESSED, 1, NULL) == 1);
	arch_tlb_flush(va, 4096);
	A64T_ASSERT(arch_vm_ad(va, 1, VM_AD_ACCESSED, 0, NULL) == 0);
	read_one((void *)va);
	A64T_ASSERT(arch_vm_ad(va, 1, VM_AD_ACCESSED, 0, NULL) == 1);
	/* neighbours stay unreported; a round over the 2 MiB reads one table */
	pa2 = pmem_alloc(0);
	A64T_ASSERT(pa2 && arch_map_page(va + 4096, pa2, VM_R | VM_W) == 0);
	A64T_ASSERT(arch_vm_ad(va, 2, VM_AD_DIRTY, 1, out) == 2);
	arch_tlb_flush(va, 8192);
	*(volatile uint8_t *)(va + 4096 + 7) = 7;
	A64T_ASSERT(arch_vm_ad_round(va & ~(2 * MIB - 1), 512, 1, out, &units) == 1);
	A64T_ASSERT(units == 1);
	A64T_ASSERT(out[((va + 4096 - (va & ~(2 * MIB - 1))) >> 12) / 64] ==
	            1ull << (((va + 4096 - (va & ~(2 * MIB - 1))) >> 12) % 64));
	/* a 2 MiB block of the direct map: cleared whole, a byte written
	 * makes all 512 pages dirty again; partly covered it stays so */
	uintptr_t blk = 0x40000000 + 64 * MIB;
	A64T_ASSERT(arch_vm_ad(blk, 512, VM_AD_DIRTY, 1, NULL) == 512);
	arch_tlb_flush(blk, 2 * MIB);
	A64T_ASSERT(arch_vm_ad(blk, 512, VM_AD_DIRTY, 0, NULL) == 0);
	*(volatile uint8_t *)(blk + 12345) = 5;
	A64T_ASSERT(arch_vm_ad(blk + 8 * 4096, 4, VM_AD_DIRTY, 1, out) == 4 && out[0] == 15);
	A64T_ASSERT(arch_vm_ad(blk, 512, VM_AD_DIRTY, 0, NULL) == 512);
	/* bad ranges */
	A64T_ASSERT(arch_vm_ad(va + 1, 1, VM_AD_DIRTY, 0, NULL) == -1);
	A64T_ASSERT(arch_vm_ad(1ull << 48, 1, VM_AD_DIRTY, 0, NULL) == -1);
	A64T_ASSERT(arch_vm_ad_round(va, 512, 0, NULL, NULL) == -1);
	arch_unmap_page(va);
	arch_unmap_page(va + 4096);
}

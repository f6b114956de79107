/*
 * dumpboot.c - hex-dump the boot loader's raw data (boot option dumpboot=1).
 *
 * Purpose: record real boots as parser fixtures (tools/record-fixture.py):
 * the PVH start_info or multiboot2 information as the loader left it, then
 * what the kernel parsed from it (the fixture's .expect lines).  Only
 * boot/ knows the loaders' formats; the kernel calls boot_dump().
 * Context: boot, single-threaded, before pmem may reuse the loader's memory.
 */
#include <stdint.h>
#include <string.h>
#include "boot/boot_info.h"
#include "boot/dumpboot.h"
#include "kernel/lib/kprintf.h"

extern int boot_raw_kind;      /* boot/boot.c */
extern uint64_t boot_raw_ptr;

static void dump_chunk(const char *what, uint64_t pa, uint64_t len)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)pa;
	kprintf("dumpboot: chunk %s 0x%lx %lu\n", what, pa, len);
	for (uint64_t off = 0; off < len; off += 32) {
		char line[80];
		int n = 0;
		for (uint64_t i = off; i < len && i < off + 32; i++)
			n += ksnprintf(line + n, sizeof(line) - n, "%02x", p[i]);
		kprintf("dumpboot: %s\n", line);
	}
}

/* Hex-dump the loader's raw data (before pmem can reuse it) so real boots
 * can be recorded as parser fixtures (tools/record-fixture.py). */
void boot_dump(const struct boot_info *bi)
{
	uint64_t p = boot_raw_ptr;
	kprintf("dumpboot: kind %d ptr 0x%lx\n", boot_raw_kind, p);
	if (boot_raw_kind == 1) {
		const uint32_t *si = (const uint32_t *)(uintptr_t)p;
		dump_chunk("start_info", p, 56);
		uint64_t cmd = *(const uint64_t *)(uintptr_t)(p + 24);
		uint64_t mm = *(const uint64_t *)(uintptr_t)(p + 40);
		uint32_t n = *(const uint32_t *)(uintptr_t)(p + 48);
		if (cmd)
			dump_chunk("cmdline", cmd, strlen((const char *)(uintptr_t)cmd) + 1);
		if (si[1] >= 1 && mm && n <= 1024)
			dump_chunk("memmap", mm, (uint64_t)n * 24);
	} else if (boot_raw_kind == 2) {
		uint32_t total = *(const uint32_t *)(uintptr_t)p;
		dump_chunk("mbi", p, total <= (1u << 20) ? total : 64);
	}
	/* what the kernel parsed from it: the fixture's .expect */
	kprintf("dumpboot: expect result ok\n");
	kprintf("dumpboot: expect loader %s\n", bi->loader);
	kprintf("dumpboot: expect cmdline %s\n", bi->cmdline);
	if (boot_raw_kind == 2) {  /* PVH leaves the RSDP to the BIOS-area scan */
		kprintf("dumpboot: expect rsdp_len %u\n", bi->rsdp_len);
		kprintf("dumpboot: expect rsdp_addr 0x%lx\n", bi->rsdp_addr);
	}
	for (uint32_t i = 0; i < bi->mmap_count; i++)
		kprintf("dumpboot: expect mmap 0x%lx 0x%lx %u\n", bi->mmap[i].base, bi->mmap[i].len,
		        bi->mmap[i].type);
	kprintf("dumpboot: end\n");
}

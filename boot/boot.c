/*
 * boot.c - boot_main(): turn whatever the loader handed over into the one
 * struct boot_info and call kernel_main().
 *
 * Purpose: the ISA's entry code calls boot_main(kind, ptr) in 64-bit mode
 * on the boot stack with an early identity map (arch/x86_64/entry.S: PVH,
 * multiboot2 or UEFI, the first 4 GiB mapped; arch/aarch64/kernel/entry.S:
 * KIND_DTB with the device tree's address, the image's and the tree's GiB
 * mapped, early_map.c).  Here the CPU is made able to run libc code
 * (SSE; on aarch64 the entry already untrapped FP/SIMD), the loader's data is parsed or copied into
 * the kernel's own boot_info in .bss, and the original is never touched
 * again.  kernel_main() cannot tell which path ran, except by the loader
 * name string it prints.
 *
 * Invariants: boot_raw_kind/boot_raw_ptr keep the loader's pointer only for
 * the dumpboot option (recording test fixtures), which runs before any
 * memory is handed out.
 * Context: boot CPU, interrupts off, single-threaded.
 */
#include <string.h>
#include "arch/arch.h"
#include "boot/boot_info.h"
#include "kernel/cpu/cpu.h"
#include "kernel/kernel.h"
#include "kernel/lib/kprintf.h"
#include "kernel/panic.h"

enum { KIND_BAD_MB2 = 0, KIND_PVH = 1, KIND_MB2 = 2, KIND_UEFI = 3, KIND_DTB = 4 };

static struct boot_info the_boot_info;
int boot_raw_kind;
uint64_t boot_raw_ptr;

/* Before the kernel's own tables exist the first 4 GiB are identity-mapped
 * (x86_64; on aarch64 the device tree's GiB, which holds everything read
 * through this); refuse anything beyond so a bad pointer gives an error,
 * not a fault. */
static const void *early_phys(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	if (pa == 0 || len > (4ull << 30) || pa > (4ull << 30) - len)
		return NULL;
	return (const void *)(uintptr_t)pa;
}

static _Noreturn void boot_fail(const char *what, const char *why)
{
	kprintf("tally: start\n");
	kprintf("tally: FATAL: boot: %s: %s\n", what, why);
	arch_exit(EXIT_CRASH);
}

void boot_main(int kind, uint64_t ptr)
{
	char err[160];
	struct boot_info *bi = &the_boot_info;

	arch_cpu_early_init();
	cpu_early_init();
	boot_raw_kind = kind;
	boot_raw_ptr = ptr;
	switch (kind) {
	case KIND_PVH:
		if (pvh_parse(bi, ptr, early_phys, NULL, err, sizeof(err)) < 0)
			boot_fail("PVH start info", err);
		break;
	case KIND_MB2:
		if (mb2_parse(bi, ptr, early_phys, NULL, err, sizeof(err)) < 0)
			boot_fail("multiboot2 information", err);
		break;
	case KIND_UEFI: {
		const struct boot_info *src = early_phys(NULL, ptr, sizeof(*src));
		if (!src)
			boot_fail("UEFI loader", "boot_info pointer is not below 4 GiB");
		if (src->magic != BOOT_INFO_MAGIC || src->version != BOOT_INFO_VERSION)
			boot_fail("UEFI loader", "boot_info has a bad magic or version");
		memcpy(bi, src, sizeof(*bi));
		bi->cmdline[BOOT_CMDLINE_MAX - 1] = 0;
		bi->loader[BOOT_LOADER_MAX - 1] = 0;
		if (bi->mmap_count > BOOT_MMAP_MAX)
			boot_fail("UEFI loader", "memory map count out of range");
		break;
	}
	case KIND_DTB:
		if (dtb_parse(bi, ptr, early_phys, NULL, err, sizeof(err)) < 0)
			boot_fail("device tree", err);
		break;
	default:
		boot_fail("multiboot2", "loader passed a bad magic value in EAX");
	}
	/* the BIOS areas: only a PC has them (a device tree means none) */
	if (bi->rsdp_len == 0 && bi->dtb_len == 0 && kind != KIND_DTB)
		boot_info_scan_rsdp(bi, early_phys, NULL);
	kernel_main(bi);
}

/*
 * enter_x86_64.c - the UEFI loader's hand-off on x86_64 (uefi_impl.h).
 *
 * The kernel's entry (arch/x86_64/entry.S, the UEFI path) runs in the
 * firmware's long mode and identity map, which cover the first 4 GiB: so
 * boot_info goes below 4 GiB, and the kernel is called with interrupts
 * off and RDI = &boot_info (System V ABI; gnu-efi's own functions are
 * SysV too, its firmware calls MS ABI).
 * Context: boot services gone; never returns.
 */
#include <efi.h>
#include "boot/uefi/uefi_impl.h"

UINT64 uefi_data_limit(UINT64 kernel_lo)
{
	(void)kernel_lo;
	return 1ull << 32;
}

void uefi_enter(UINT64 entry_pa, struct boot_info *bi, UINT64 lo, UINT64 hi)
{
	__attribute__((sysv_abi)) void (*entry)(struct boot_info *);

	(void)lo, (void)hi;
	__asm__ volatile("cli" ::: "memory");
	entry = (__attribute__((sysv_abi)) void (*)(struct boot_info *))(UINTN)entry_pa;
	entry(bi);
	/* The kernel never returns; if it did, nobody is left to return to. */
	for (;;)
		__asm__ volatile("cli; hlt");
}

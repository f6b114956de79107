# boot/uefi/uefi_a64.mk - tally.efi, esp.img and tally.iso for aarch64
# (make ARCH=aarch64 efi | esp | iso), the counterpart of
# boot/uefi/uefi.mk and boot/grub.mk.
#
# Included by arch/aarch64/port.mk.  Inputs: OUT (build/aarch64),
# KERNEL_ELF, CMDLINE.  Outputs: $(OUT)/tally.efi, $(OUT)/esp.img
# (EFI/BOOT/BOOTAA64.EFI: tools/mkesp.sh names the file by the PE
# machine), $(OUT)/tally.iso (GRUB chainloading tally.efi); objects in
# $(OUT)/uefi-obj/.
#
# The same loader sources as x86_64's, with enter_aarch64.c for the
# hand-off, built by clang for aarch64 (newlib's headers for <string.h>) against Debian's arm64
# gnu-efi, which tools/fetch-efi-arm64.sh unpacks into $(BUILD)/efi-arm64
# (a private download: no dpkg architecture is added).  Its aarch64 crt0
# carries the PE/COFF header itself, so the image is the linked object
# copied out flat (objcopy -O binary), as gnu-efi's own rules do
# (EFI_SUBSYSTEM, which its header uses, is theirs too: 10, an
# application); the
# loader is position-independent and relocates itself (crt0's
# _relocate).  -mgeneral-regs-only: the firmware does not promise the
# loader FP/SIMD state.  The embedded kernel is kernel.elf without its
# debug sections.

EFI_A64_DIR := $(BUILD)/efi-arm64
EFI_A64 := $(EFI_A64_DIR)/root/usr
UEFI_A64_OBJDIR := $(OUT)/uefi-obj
UEFI_A64_CFLAGS := --target=aarch64-none-elf -std=c11 -O2 -g0 -Wall -Wextra -Werror \
	-fpic -fshort-wchar -fno-stack-protector -ffreestanding -fno-strict-aliasing \
	-fno-asynchronous-unwind-tables -mgeneral-regs-only -DELF_LOAD_MACHINE=183 \
	-I. -isystem $(EFI_A64)/include/efi -isystem $(EFI_A64)/include/efi/aarch64 \
	-isystem $(NEWLIB_A64_INC) -MMD -MP
UEFI_A64_LDFLAGS := -nostdlib -znocombreloc -T $(EFI_A64)/lib/elf_aarch64_efi.lds \
	-shared -Bsymbolic -L$(EFI_A64)/lib --defsym=EFI_SUBSYSTEM=0xa -e ImageBase

UEFI_A64_CSRCS := boot/uefi/loader.c boot/uefi/facts.c boot/uefi/mmap.c \
	boot/uefi/enter_aarch64.c boot/elf_load.c boot/boot_info.c
UEFI_A64_COBJS := $(patsubst %.c,$(UEFI_A64_OBJDIR)/%.o,$(UEFI_A64_CSRCS))
UEFI_A64_BLOB  := $(UEFI_A64_OBJDIR)/kernel.elf
UEFI_A64_BLOBO := $(UEFI_A64_OBJDIR)/kernel_blob.o

$(EFI_A64_DIR)/.done: tools/fetch-efi-arm64.sh tools/debfetch.sh | $(BUILD)/.bootstrap
	@sh tools/fetch-efi-arm64.sh $(EFI_A64_DIR)

$(UEFI_A64_COBJS): $(UEFI_A64_OBJDIR)/%.o: %.c | $(EFI_A64_DIR)/.done $(NEWLIB_A64)/.done
	@mkdir -p $(@D)
	$(CC) $(UEFI_A64_CFLAGS) -c $< -o $@

$(UEFI_A64_BLOB): $(KERNEL_ELF)
	@mkdir -p $(@D)
	llvm-objcopy --strip-debug $< $@

$(UEFI_A64_BLOBO): boot/uefi/kernel_blob.S $(UEFI_A64_BLOB)
	@mkdir -p $(@D)
	$(CC) $(UEFI_A64_CFLAGS) -DTALLY_KERNEL_BLOB='"$(UEFI_A64_BLOB)"' -c $< -o $@

$(UEFI_A64_OBJDIR)/tally.so: $(UEFI_A64_COBJS) $(UEFI_A64_BLOBO)
	$(LD) $(UEFI_A64_LDFLAGS) $(EFI_A64)/lib/crt0-efi-aarch64.o \
		$(UEFI_A64_COBJS) $(UEFI_A64_BLOBO) -o $@ -lefi -lgnuefi

# The PE image is [ImageBase, _edata): crt0's header describes .text up to
# _etext and .data (with the relocations) up to _edata; the dynamic
# symbol and hash tables lld puts after that are not part of it.
$(OUT)/tally.efi: $(UEFI_A64_OBJDIR)/tally.so
	llvm-objcopy -O binary $< $@.tmp
	@end=$$(llvm-nm $< | sed -n 's/^\([0-9a-f]*\) [A-Za-z] _edata$$/\1/p'); \
	test -n "$$end" || { echo "uefi_a64.mk: no _edata in $<" >&2; exit 1; }; \
	truncate -s $$(printf '%d' 0x$$end) $@.tmp
	@mv -f $@.tmp $@

$(OUT)/esp.img: $(OUT)/tally.efi $(OUT)/.cmdline tools/mkesp.sh
	tools/mkesp.sh $(OUT)/tally.efi $@ $(call tally_shq,$(CMDLINE))

# GRUB for arm64 UEFI chainloading tally.efi (tools/mkiso.sh --arm64: it
# has no multiboot2); GRUB's arm64-efi modules come with the fetch above.
$(OUT)/tally.iso: $(OUT)/tally.efi $(OUT)/.cmdline tools/mkiso.sh | $(EFI_A64_DIR)/.done
	tools/mkiso.sh --arm64 $(EFI_A64_DIR)/root/usr/lib/grub/arm64-efi $(OUT)/tally.efi $@ \
		$(call tally_shq,$(CMDLINE))

-include $(UEFI_A64_COBJS:.o=.d) $(UEFI_A64_BLOBO:.o=.d)

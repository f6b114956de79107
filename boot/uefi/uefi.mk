# boot/uefi/uefi.mk - build tally.efi (GNU-EFI loader + embedded kernel)
# and esp.img (a FAT image that boots it as the removable-media default).
#
# Included by the top-level Makefile, run from the repository root.
# Inputs:  OUT         output directory, e.g. build/x86_64
#          KERNEL_ELF  the kernel to embed, normally $(OUT)/kernel.elf
#          CMDLINE     kernel command line for EFI/tally/cmdline.txt
# Outputs: $(OUT)/tally.efi, $(OUT)/esp.img; objects in $(OUT)/uefi-obj/.
# $(OUT)/.cmdline holds CMDLINE and changes only when CMDLINE does, so the
# images are rebuilt exactly when the kernel or the command line change
# (shared with boot/grub.mk).
#
# The loader is built with gcc whatever CC the rest of the tree uses:
# gnu-efi's crt0, linker script and libraries are made for it.  Firmware
# calls use the MS ABI directly (GNU_EFI_USE_MS_ABI), so
# uefi_call_wrapper() is a plain call.  The embedded kernel is a copy with
# debug sections stripped (nothing loads them; the ESP stays small).

UEFI_OBJDIR  := $(OUT)/uefi-obj
UEFI_CC      := gcc
UEFI_LD      := ld
UEFI_OBJCOPY := objcopy
UEFI_EFIINC  := /usr/include/efi
UEFI_EFILIB  := /usr/lib
UEFI_CFLAGS  := -std=c11 -O2 -g0 -Wall -Wextra \
	-fpic -fshort-wchar -mno-red-zone -fno-stack-protector -ffreestanding \
	-fno-strict-aliasing -fno-asynchronous-unwind-tables \
	-DGNU_EFI_USE_MS_ABI -I. -I$(UEFI_EFIINC) -I$(UEFI_EFIINC)/x86_64 \
	-MMD -MP
UEFI_LDFLAGS := -nostdlib -znocombreloc -T $(UEFI_EFILIB)/elf_x86_64_efi.lds \
	-shared -Bsymbolic -L$(UEFI_EFILIB)
UEFI_SECTIONS := .text .sdata .data .dynamic .dynsym .rel .rela .reloc

UEFI_CSRCS := boot/uefi/loader.c boot/uefi/facts.c boot/uefi/mmap.c boot/uefi/enter_x86_64.c \
	boot/elf_load.c boot/boot_info.c
UEFI_COBJS := $(patsubst %.c,$(UEFI_OBJDIR)/%.o,$(UEFI_CSRCS))
UEFI_BLOB  := $(UEFI_OBJDIR)/kernel.elf
UEFI_BLOBO := $(UEFI_OBJDIR)/kernel_blob.o



# Warnings are errors in the loader's own files; the shared parsers are
# held to that by the kernel build (clang), gcc only reports here.
$(UEFI_COBJS): $(UEFI_OBJDIR)/%.o: %.c | $(BUILD)/.bootstrap
	@mkdir -p $(@D)
	$(UEFI_CC) $(UEFI_CFLAGS) $(if $(filter boot/uefi/%,$<),-Werror) \
		-c $< -o $@

$(UEFI_BLOB): $(KERNEL_ELF)
	@mkdir -p $(@D)
	$(UEFI_OBJCOPY) --strip-debug $< $@

$(UEFI_BLOBO): boot/uefi/kernel_blob.S $(UEFI_BLOB)
	@mkdir -p $(@D)
	$(UEFI_CC) $(UEFI_CFLAGS) -DTALLY_KERNEL_BLOB='"$(UEFI_BLOB)"' \
		-c $< -o $@

$(UEFI_OBJDIR)/tally.so: $(UEFI_COBJS) $(UEFI_BLOBO)
	$(UEFI_LD) $(UEFI_LDFLAGS) $(UEFI_EFILIB)/crt0-efi-x86_64.o \
		$(UEFI_COBJS) $(UEFI_BLOBO) -o $@ -lefi -lgnuefi

$(OUT)/tally.efi: $(UEFI_OBJDIR)/tally.so
	$(UEFI_OBJCOPY) $(addprefix -j ,$(UEFI_SECTIONS)) \
		--target efi-app-x86_64 $< $@

$(OUT)/esp.img: $(OUT)/tally.efi $(OUT)/.cmdline tools/mkesp.sh
	tools/mkesp.sh $(OUT)/tally.efi $@ $(call tally_shq,$(CMDLINE))

-include $(UEFI_COBJS:.o=.d) $(UEFI_BLOBO:.o=.d)

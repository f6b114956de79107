# boot/grub.mk - build tally.iso: GRUB (multiboot2) for BIOS and UEFI.
#
# Included by the top-level Makefile, run from the repository root.
# Inputs:  OUT, KERNEL_ELF, CMDLINE (as for boot/uefi/uefi.mk)
# Output:  $(OUT)/tally.iso, rebuilt when the kernel or CMDLINE change.
# $(OUT)/.cmdline is the command-line stamp (rule in the top-level Makefile).



$(OUT)/tally.iso: $(KERNEL_ELF) $(OUT)/.cmdline tools/mkiso.sh | $(BUILD)/.bootstrap
	tools/mkiso.sh $(KERNEL_ELF) $@ $(call tally_shq,$(CMDLINE))

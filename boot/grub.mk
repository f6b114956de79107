# boot/grub.mk - build tally.iso: GRUB (multiboot2) for BIOS and UEFI.
#
# Included by the top-level Makefile, run from the repository root.
# Inputs:  OUT, KERNEL_ELF, CMDLINE (as for boot/uefi/uefi.mk)
# Output:  $(OUT)/tally.iso, rebuilt when the kernel or CMDLINE change.
# $(OUT)/.cmdline is the stamp shared with boot/uefi/uefi.mk: whichever
# fragment is included first defines its rule.

tally_shq = '$(subst ','\'',$(1))'

ifndef TALLY_CMDLINE_STAMP_RULE
TALLY_CMDLINE_STAMP_RULE := 1
$(OUT)/.cmdline: tally-cmdline-check
	@mkdir -p $(@D)
	@printf '%s\n' $(call tally_shq,$(CMDLINE)) > $@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
.PHONY: tally-cmdline-check
tally-cmdline-check: ;
endif

$(OUT)/tally.iso: $(KERNEL_ELF) $(OUT)/.cmdline tools/mkiso.sh
	tools/mkiso.sh $(KERNEL_ELF) $@ $(call tally_shq,$(CMDLINE))

# port.mk - the aarch64 build (`make ARCH=aarch64 ...`), included by the
# top-level Makefile instead of the x86_64 rules.
#
# What builds so far (docs/boot.md, "aarch64 status"): the boot test image
#   build/aarch64/dtboot.elf   linked at 0x40200000 (symbols, for reading)
#   build/aarch64/dtboot.img   the same as a raw arm64 Image (what
#                              qemu-system-aarch64 -kernel boots)
# from arch/aarch64/*.{c,S}, tests/a64/*.{c,S} (the port's on-target tests,
# run by test=...), kernel/fdt/, kernel/lib/kprintf.c, newlib for
# aarch64-none-elf (build/newlib-aarch64, tools/build-newlib.sh) and
# libgcc from libgcc-12-dev-arm64-cross (newlib's long-double code needs
# its soft-float routines).  The kernel (kernel/, rt/, the applications)
# is not linked for aarch64 yet: its targets stop with a message.
#
#   make ARCH=aarch64            dtboot.img
#   make ARCH=aarch64 run        boot it (SMP=, MEM=, CMDLINE=, GIC=2|3)
#   make ARCH=aarch64 newlib     only newlib for aarch64-none-elf

OBJ      := $(BUILD)/aarch64/obj
OUT      := $(BUILD)/aarch64
NEWLIB_A64 := $(BUILD)/newlib-aarch64
NEWLIB_A64_INC := $(NEWLIB_A64)/aarch64-none-elf/include
NEWLIB_A64_LIB := $(NEWLIB_A64)/aarch64-none-elf/lib
LIBGCC_A64 := /usr/lib/gcc-cross/aarch64-linux-gnu/12/libgcc.a
SMP      ?= 1
MEM      ?= 512M
GIC      ?= 3
CMDLINE  ?=

CC       := clang
LD       := ld.lld
PYTHON   := python3

A64_TARGET := --target=aarch64-none-elf -ffreestanding -fno-pic -fno-stack-protector \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer
A64_CFLAGS := $(A64_TARGET) -std=c11 -O2 -g -Wall -Wextra -Werror -I. -Iarch/aarch64/include \
	-isystem $(NEWLIB_A64_INC) -MMD -MP
A64_ASFLAGS := $(A64_TARGET) -I. -MMD -MP

# tests/a64/: the on-target tests of the port's arch.h pieces (test=...)
# and the few kernel services those pieces call, for this image only;
# kernel/machine.c: machine_probe over the MACHINE() section (virt.c)
DTBOOT_SRCS := $(wildcard arch/aarch64/*.c kernel/fdt/*.c tests/a64/*.c) kernel/lib/kprintf.c \
	kernel/machine.c
DTBOOT_ASMS := $(wildcard arch/aarch64/*.S tests/a64/*.S)
DTBOOT_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(DTBOOT_SRCS)) $(patsubst %.S,$(OBJ)/%.o,$(DTBOOT_ASMS))

.PHONY: all dtboot newlib run clean distclean bootstrap FORCE \
	kernel iso esp efi test bench stress soak host-tests fuzz qemu10 check-app
all: dtboot
dtboot: $(OUT)/dtboot.img

$(BUILD)/.bootstrap: tools/bootstrap.sh tools/fetch-qemu10.sh
	@mkdir -p $(BUILD)
	@sh tools/bootstrap.sh $(BUILD)
	@touch $@
bootstrap: $(BUILD)/.bootstrap

$(NEWLIB_A64)/.done: tools/build-newlib.sh | $(BUILD)/.bootstrap
	@sh tools/build-newlib.sh $(NEWLIB_A64) aarch64
newlib: $(NEWLIB_A64)/.done

$(OBJ)/%.o: %.c | $(NEWLIB_A64)/.done
	@mkdir -p $(dir $@)
	$(CC) $(A64_CFLAGS) -c $< -o $@

$(OBJ)/%.o: %.S | $(NEWLIB_A64)/.done
	@mkdir -p $(dir $@)
	$(CC) $(A64_ASFLAGS) -c $< -o $@

$(OUT)/dtboot.elf: $(DTBOOT_OBJS) arch/aarch64/dtboot.ld
	$(LD) -T arch/aarch64/dtboot.ld -nostdlib -static -z max-page-size=4096 -o $@ \
		$(DTBOOT_OBJS) --start-group $(NEWLIB_A64_LIB)/libc.a $(LIBGCC_A64) --end-group

$(OUT)/dtboot.img: $(OUT)/dtboot.elf
	llvm-objcopy -O binary $< $@

run: dtboot
	@$(PYTHON) tools/tally_qemu.py --arch aarch64 --boot direct --out $(OUT) --smp $(SMP) \
		--mem $(MEM) --machine virt,gic-version=$(GIC) --cmdline "$(CMDLINE)"

kernel iso esp efi test bench stress soak host-tests fuzz qemu10 check-app:
	@echo "make ARCH=aarch64 $@: not ported yet: ARCH=aarch64 builds only the boot test image (docs/boot.md, \"aarch64 status\"); the x86_64 $@ is plain \`make $@\`" >&2
	@exit 2

clean:
	rm -rf $(BUILD)/aarch64

distclean:
	rm -rf $(BUILD)

FORCE:

-include $(DTBOOT_OBJS:.o=.d)

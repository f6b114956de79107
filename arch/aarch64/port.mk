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
# its soft-float routines).  And the kernel:
#   build/aarch64/kernel.elf   boot/, kernel/, rt/, drivers/, tests/target/
#                              (less the x86_64-only tests), the port
#                              (arch/aarch64 less the image's own files,
#                              plus arch/aarch64/kernel/) and APP, through
#                              the top-level linker.ld with
#                              arch/aarch64/{isa,text-head,notes}.ld
#   build/aarch64/Image        the same as a raw arm64 Image
# Also tally.efi, esp.img and tally.iso (boot/uefi/uefi_a64.mk).  Its
# other targets (stress, soak, ...) stop with a message.
#
#   make ARCH=aarch64            dtboot.img
#   make ARCH=aarch64 kernel     kernel.elf and Image (APP=, OUT=)
#   make ARCH=aarch64 run        boot the kernel's Image with APP (SMP=,
#                                MEM=, CMDLINE=, GIC=2|3, CPU=: QEMU's
#                                -cpu, default cortex-a72); the exit
#                                status is the program's, as on x86_64;
#                                BOOT=uefi: its ESP under AAVMF (ACPI
#                                tables; ACPI=off: the device tree);
#                                BOOT=grub-efi: its GRUB ISO under AAVMF
#   make ARCH=aarch64 efi | esp | iso
#                                tally.efi (the UEFI loader with the
#                                kernel inside) | esp.img | tally.iso
#                                (GRUB chainloading it; CMDLINE= baked in)
#   make ARCH=aarch64 run-kernel the same (its earlier name)
#   make ARCH=aarch64 run-dtboot boot the test image (SMP=, MEM=,
#                                CMDLINE=, GIC=)
#   make ARCH=aarch64 test       every system case with arch = aarch64
#                                (tests/system.cases), through testrun.py
#   make ARCH=aarch64 bench      the on-target benchmarks, Tally alone
#                                (BENCH=, BENCHTIME=, BENCH_ARGS=)
#   make ARCH=aarch64 newlib     only newlib for aarch64-none-elf

OBJ      := $(BUILD)/aarch64/obj
KOBJ     := $(BUILD)/aarch64/kobj
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
	kernel/machine.c kernel/acpi/acpi.c kernel/acpi/acpi_madt.c kernel/acpi/acpi_hw.c \
	kernel/acpi/acpi_arm.c
DTBOOT_ASMS := $(wildcard arch/aarch64/*.S tests/a64/*.S)
DTBOOT_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(DTBOOT_SRCS)) $(patsubst %.S,$(OBJ)/%.o,$(DTBOOT_ASMS))

.PHONY: all dtboot newlib run clean distclean bootstrap FORCE \
	kernel run-kernel run-dtboot iso esp efi test bench stress soak host-tests fuzz qemu10 check-app
all: dtboot
dtboot: $(OUT)/dtboot.img

$(BUILD)/.bootstrap: tools/bootstrap.sh tools/fetch-qemu10.sh tools/debfetch.sh
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

run-dtboot: dtboot
	@$(PYTHON) tools/tally_qemu.py --arch aarch64 --boot direct --out $(OUT) --smp $(SMP) \
		--mem $(MEM) --machine virt,gic-version=$(GIC) --cmdline "$(CMDLINE)"

# Every system case whose arch names aarch64 (plain `make test` runs them
# too, with the x86_64 ones); testrun builds each case's kernel (make
# ARCH=aarch64 kernel APP=...) and the test image itself.  The longer
# aarch64 runs are `stress` and `soak` below.
test: dtboot
	@$(PYTHON) tools/testrun.py --no-py --arch aarch64

# The on-target benchmarks on the aarch64 kernel, Tally alone (the Go and
# pthreads peers run in an x86_64 Linux guest), under icount and in
# parallel TCG: tools/bench.py --arch aarch64, results in build/bench-aarch64.
BENCH      ?= .
BENCHTIME  ?= 200ms
BENCH_ARGS ?=
bench:
	@$(MAKE) --no-print-directory ARCH=aarch64 kernel
	@$(PYTHON) tools/bench.py --arch aarch64 --bench '$(BENCH)' --benchtime $(BENCHTIME) \
		--out $(BUILD)/bench-aarch64 $(BENCH_ARGS)

# The stress and soak cases of this ISA (tests/stress.cases,
# tests/soak.cases: arch = aarch64).  The runtime's host tests are
# ISA-neutral: plain `make stress` runs them many times; here only the
# system cases run, with a host core kept busy all the same.
stress: dtboot
	@$(PYTHON) tools/stress.py --arch aarch64

soak: dtboot
	@$(PYTHON) tools/testrun.py --no-py --arch aarch64 --cases tests/soak.cases

# What does not depend on the target ISA is built by the x86_64 rules:
# the host tests, the fuzz harnesses, QEMU 10.
host-tests fuzz qemu10:
	@$(MAKE) --no-print-directory ARCH=x86_64 $@

clean:
	rm -rf $(BUILD)/aarch64

distclean:
	rm -rf $(BUILD)

FORCE:

# ---- the kernel --------------------------------------------------------
# The same sources as x86_64's kernel (Makefile), with the port's files in
# place of arch/x86_64's: every arch/aarch64 file but the boot test image's
# own (its entry, early map, stacks, layout and on-target checks).
A64_IMAGE_ONLY := arch/aarch64/dtboot.c arch/aarch64/gic_id.c arch/aarch64/irq_probe.c \
	arch/aarch64/virt_test.c arch/aarch64/mmu.c arch/aarch64/paging_image.c \
	arch/aarch64/pl011.c arch/aarch64/head.S arch/aarch64/stacks.S
APP      ?= apps/tour.c
NM       := llvm-nm
KCFLAGS_A64 := $(A64_CFLAGS) -Ikernel/glue/include -Irt/include
APPCFLAGS_A64 := $(A64_TARGET) -std=gnu11 -O2 -g -Wall -Wextra -Irt/include -isystem $(NEWLIB_A64_INC) -MMD -MP
KSRCS := boot/boot.c boot/boot_info.c boot/dumpboot.c boot/dtb.c boot/pvh.c boot/mb2.c \
	$(wildcard kernel/*.c kernel/*/*.c drivers/*.c drivers/*/*.c rt/*.c rt/heap/*.c rt/net/*.c) \
	$(wildcard tests/target/*.c tests/target/aarch64/*.c) \
	$(filter-out $(A64_IMAGE_ONLY),$(wildcard arch/aarch64/*.c arch/aarch64/kernel/*.c))
KASMS := $(filter-out $(A64_IMAGE_ONLY),$(wildcard arch/aarch64/*.S arch/aarch64/kernel/*.S))
KOBJS := $(patsubst %.c,$(KOBJ)/%.o,$(KSRCS)) $(patsubst %.S,$(KOBJ)/%.o,$(KASMS))
APP_SRCS := $(if $(filter %.c,$(APP)),$(APP),$(wildcard $(APP)/*.c))
APP_OBJS := $(patsubst %.c,$(OUT)/app/%.o,$(APP_SRCS))
KERNEL_ELF := $(OUT)/kernel.elf

$(KOBJ)/%.o: %.c | $(NEWLIB_A64)/.done
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS_A64) -c $< -o $@

$(KOBJ)/%.o: %.S | $(NEWLIB_A64)/.done
	@mkdir -p $(dir $@)
	$(CC) $(A64_ASFLAGS) -c $< -o $@

# the kernel's exception stacks are 16 KiB (vectors.S, A64_EXC_NEST_MAX)
$(KOBJ)/arch/aarch64/vectors.o: A64_ASFLAGS += -DA64_EXC_NEST_MAX=8192

$(OUT)/app/%.o: %.c | $(NEWLIB_A64)/.done
	@mkdir -p $(dir $@)
	$(CC) $(APPCFLAGS_A64) -c $< -o $@

$(KOBJ)/rt/heap/malloc_fast.o: KCFLAGS_A64 += -fomit-frame-pointer -momit-leaf-frame-pointer
$(KOBJ)/kernel/glue/malloc_glue.o: KCFLAGS_A64 += -fomit-frame-pointer -momit-leaf-frame-pointer

check-app:
	@test -n "$(APP_SRCS)" || { echo "APP=$(APP): no .c files found" >&2; exit 1; }

$(OUT)/.app: FORCE
	@mkdir -p $(OUT)
	@echo "$(APP_SRCS)" | cmp -s - $@ || echo "$(APP_SRCS)" > $@

A64_LDFLAGS := -T linker.ld -L arch/aarch64 -nostdlib -static -z max-page-size=4096 --no-dynamic-linker
A64_LINK_LIBS := --start-group $(NEWLIB_A64_LIB)/libc.a $(NEWLIB_A64_LIB)/libm.a $(LIBGCC_A64) --end-group

# Two-pass link as on x86_64 (Makefile): .ksyms last, no symbol moves.
$(KERNEL_ELF): $(KOBJS) $(APP_OBJS) $(OUT)/.app linker.ld $(wildcard arch/aarch64/*.ld) arch/aarch64/port.mk \
		tools/gen-ksyms.py | check-app
	@mkdir -p $(OUT)
	$(PYTHON) tools/gen-ksyms.py - $(OUT)/ksyms0.S
	$(CC) $(A64_ASFLAGS) -c $(OUT)/ksyms0.S -o $(OUT)/ksyms0.o
	$(LD) $(A64_LDFLAGS) -o $(OUT)/kernel.pass1.elf $(KOBJS) $(APP_OBJS) $(OUT)/ksyms0.o $(A64_LINK_LIBS)
	$(NM) -n --defined-only $(OUT)/kernel.pass1.elf > $(OUT)/kernel.syms
	$(PYTHON) tools/gen-ksyms.py $(OUT)/kernel.syms $(OUT)/ksyms.S
	$(CC) $(A64_ASFLAGS) -c $(OUT)/ksyms.S -o $(OUT)/ksyms.o
	$(LD) $(A64_LDFLAGS) -o $@.tmp $(KOBJS) $(APP_OBJS) $(OUT)/ksyms.o $(A64_LINK_LIBS)
	@$(NM) -n --defined-only $@.tmp | grep -v -e ksyms -e _ksyms_end -e _kernel_end > $(OUT)/kernel.syms2
	@grep -v -e ksyms -e _ksyms_end -e _kernel_end $(OUT)/kernel.syms | cmp -s - $(OUT)/kernel.syms2 || \
		{ echo "ksyms: symbols moved between link passes" >&2; exit 1; }
	@mv $@.tmp $@

# The arm64 Image QEMU's -kernel (or any arm64 loader) takes.
$(OUT)/Image: $(KERNEL_ELF)
	llvm-objcopy -O binary $< $@

kernel: $(BUILD)/.bootstrap $(OUT)/Image

# BOOT=uefi: the ESP under AAVMF (the command line baked into it), with
# QEMU's ACPI tables; ACPI=off: the device tree instead.  BOOT=grub-efi:
# the GRUB ISO under AAVMF, GRUB chainloading the same loader.
BOOT     ?= direct
ACPI     ?=
A64_RUN_MACHINE = virt,gic-version=$(GIC)$(if $(filter off,$(ACPI)),$(comma)acpi=off)
comma := ,
A64_RUN_TARGET_direct := kernel
A64_RUN_TARGET_uefi := esp
A64_RUN_TARGET_grub-efi := iso
run run-kernel:
	@test -n "$(A64_RUN_TARGET_$(BOOT))" || { echo "make ARCH=aarch64 run: BOOT=$(BOOT): expected direct, uefi or grub-efi" >&2; exit 2; }
	@$(MAKE) --no-print-directory ARCH=aarch64 $(A64_RUN_TARGET_$(BOOT))
	@$(PYTHON) tools/tally_qemu.py --arch aarch64 --boot $(BOOT) --out $(OUT) \
		$(if $(filter direct,$(BOOT)),--image Image --cmdline "$(CMDLINE)") \
		--smp $(SMP) --mem $(MEM) --machine $(A64_RUN_MACHINE) $(if $(CPU),--cpu $(CPU))

# ---- UEFI: tally.efi (the loader with the kernel inside) and esp.img ----
# $(OUT)/.cmdline holds CMDLINE and changes only when CMDLINE does (as on
# x86_64: the ESP bakes the command line in).
tally_shq = '$(subst ','\'',$(1))'
$(OUT)/.cmdline: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' $(call tally_shq,$(CMDLINE)) > $@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

include boot/uefi/uefi_a64.mk
efi: $(BUILD)/.bootstrap $(OUT)/tally.efi
esp: $(BUILD)/.bootstrap $(OUT)/esp.img
iso: $(BUILD)/.bootstrap $(OUT)/tally.iso

-include $(DTBOOT_OBJS:.o=.d) $(KOBJS:.o=.d) $(APP_OBJS:.o=.d)

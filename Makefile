# Tally - top-level build.
#
#   make                 kernel.elf, tally.efi + esp.img, tally.iso under build/x86_64/
#   make run             boot in QEMU and run the application (default: apps/tour.c);
#                        make exits 2 for any non-zero status, the launcher's
#                        last line (`tally-qemu: ... -> status N`) has the exact one
#   make test            host unit tests + a short run of every fuzz harness +
#                        on-target tests + boot tests, all paths, and a smoke
#                        run of the Go/pthreads peers
#   make fuzz            each libFuzzer harness for FUZZ_TIME s (default 120)
#   make bench           Tally vs Go vs pthreads in the same QEMU (tools/bench.py)
#   make netbench        Tally's UDP echo and HTTP servers vs the same in Go
#                        (tools/netbench.py, docs/net.md; about 10 minutes)
#   make soak            the collector's torture programs, long (tests/soak.cases)
#
# Variables: APP=file.c|dir  BOOT=uefi|grub|grub-efi|direct  SMP=n (default:
#            the host's core count)  MEM=512M
#            CMDLINE="key=value ... -- args"  OUT=dir (images; objects are shared)
#
# The kernel and every application image share the objects in build/x86_64/obj;
# an image is the kernel objects + the application's objects + newlib, linked
# twice (the second link embeds the symbol table for crash backtraces).

# ARCH=aarch64 (on make's command line only; an ARCH in the environment is
# ignored) builds the aarch64 port's boot test image instead
# (arch/aarch64/port.mk; docs/boot.md, "aarch64 status").
ifneq ($(origin ARCH),command line)
ARCH     := x86_64
endif
BUILD    := build
ifeq ($(ARCH),aarch64)
include arch/aarch64/port.mk
else ifneq ($(ARCH),x86_64)
$(error ARCH=$(ARCH): expected x86_64 or aarch64)
else
OBJ      := $(BUILD)/$(ARCH)/obj
OUT      ?= $(BUILD)/$(ARCH)
APP      ?= apps/tour.c
BOOT     ?= uefi
SMP      ?= $(shell nproc 2>/dev/null || echo 1)
MEM      ?= 512M
CMDLINE  ?=
NEWLIB   := $(BUILD)/newlib
NEWLIB_INC := $(NEWLIB)/x86_64-elf/include
NEWLIB_LIB := $(NEWLIB)/x86_64-elf/lib

CC       := clang
LD       := ld.lld
NM       := llvm-nm
PYTHON   := python3

TARGET_FLAGS := --target=x86_64-unknown-elf -ffreestanding -fno-pic -mno-red-zone \
	-fno-stack-protector -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer
# Stack probes: a frame over a page touches each page in order, so a
# goroutine's big frame faults on its guard page rather than landing in
# the next goroutine's stack (kernel/mem/gstack.c).  clang's driver takes
# -fstack-clash-protection only for Linux targets; its front end does the
# rest.  (aarch64: clang 14 has no probes there.)
STACK_PROBES := -Xclang -fstack-clash-protection
KCFLAGS  := $(TARGET_FLAGS) $(STACK_PROBES) -std=c11 -O2 -g -Wall -Wextra -Werror \
	-I. -Iarch/$(ARCH)/include -Ikernel/glue/include -Irt/include -isystem $(NEWLIB_INC) -MMD -MP
APPCFLAGS := $(TARGET_FLAGS) $(STACK_PROBES) -std=gnu11 -O2 -g -Wall -Wextra \
	-Irt/include -isystem $(NEWLIB_INC) -MMD -MP
ASFLAGS  := $(TARGET_FLAGS) -I. -Iarch/$(ARCH)/include -MMD -MP
LIBGCC   := $(shell gcc -print-libgcc-file-name)
LDFLAGS  := -T linker.ld -L arch/$(ARCH) -nostdlib -static -z max-page-size=4096 --no-dynamic-linker

KSRCS := $(wildcard boot/boot.c boot/boot_info.c boot/pvh.c boot/mb2.c boot/dtb.c boot/dumpboot.c) \
	$(wildcard kernel/*.c kernel/*/*.c drivers/*.c drivers/*/*.c arch/$(ARCH)/*.c rt/*.c rt/heap/*.c rt/net/*.c tests/target/*.c \
	tests/target/$(ARCH)/*.c)
KASMS := $(wildcard arch/$(ARCH)/*.S)
KOBJS := $(patsubst %.c,$(OBJ)/%.o,$(KSRCS)) $(patsubst %.S,$(OBJ)/%.o,$(KASMS))

APP_SRCS := $(if $(filter %.c,$(APP)),$(APP),$(wildcard $(APP)/*.c))
APP_OBJS := $(patsubst %.c,$(OUT)/app/%.o,$(APP_SRCS))

KERNEL_ELF := $(OUT)/kernel.elf

.PHONY: all kernel iso esp efi run test bench stress soak host-tests fuzz clean distclean bootstrap qemu10 check-app
all: kernel efi esp iso

# ---- dependencies: Debian packages, newlib -------------------------------
$(BUILD)/.bootstrap: tools/bootstrap.sh tools/fetch-qemu10.sh tools/debfetch.sh
	@mkdir -p $(BUILD)
	@sh tools/bootstrap.sh $(BUILD)
	@touch $@
bootstrap: $(BUILD)/.bootstrap

# QEMU 10 (bookworm-backports) for the x2APIC cases, unpacked into
# $(BUILD)/qemu10; a no-op once fetched, so `make test` runs offline then.
# A failed fetch does not stop `make test`: the x2APIC cases fail and say why.
qemu10: | $(BUILD)/.bootstrap
	@sh tools/fetch-qemu10.sh $(BUILD)/qemu10 || true

$(NEWLIB)/.done: tools/build-newlib.sh | $(BUILD)/.bootstrap
	@sh tools/build-newlib.sh $(NEWLIB)

# ---- kernel objects ------------------------------------------------------
$(OBJ)/%.o: %.c | $(NEWLIB)/.done
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) -c $< -o $@

# the allocator's fast path calls nothing: no frame (rt/heap/malloc_fast.c)
$(OBJ)/rt/heap/malloc_fast.o: KCFLAGS += -fomit-frame-pointer -momit-leaf-frame-pointer
# malloc, free and the rest only tail-call the heap: without a frame each
# is one jmp, not push/mov/pop/jmp (kernel/glue/malloc_glue.c)
$(OBJ)/kernel/glue/malloc_glue.o: KCFLAGS += -fomit-frame-pointer -momit-leaf-frame-pointer

$(OBJ)/%.o: %.S | $(NEWLIB)/.done
	@mkdir -p $(dir $@)
	$(CC) $(ASFLAGS) -c $< -o $@

$(OUT)/app/%.o: %.c | $(NEWLIB)/.done
	@mkdir -p $(dir $@)
	$(CC) $(APPCFLAGS) -c $< -o $@

check-app:
	@test -n "$(APP_SRCS)" || { echo "APP=$(APP): no .c files found" >&2; exit 1; }

# Relink when APP changes: the stamp's content is the list of app sources.
$(OUT)/.app: FORCE
	@mkdir -p $(OUT)
	@echo "$(APP_SRCS)" | cmp -s - $@ || echo "$(APP_SRCS)" > $@

LINK_LIBS := --start-group $(NEWLIB_LIB)/libc.a $(NEWLIB_LIB)/libm.a $(LIBGCC) --end-group

# Two-pass link: pass 1 with an empty .ksyms, pass 2 with the real table.
# .ksyms is the last section, so no other symbol moves (checked below).
$(KERNEL_ELF): $(KOBJS) $(APP_OBJS) $(OUT)/.app linker.ld $(wildcard arch/$(ARCH)/*.ld) tools/gen-ksyms.py | check-app
	@mkdir -p $(OUT)
	$(PYTHON) tools/gen-ksyms.py - $(OUT)/ksyms0.S
	$(CC) $(ASFLAGS) -c $(OUT)/ksyms0.S -o $(OUT)/ksyms0.o
	$(LD) $(LDFLAGS) -o $(OUT)/kernel.pass1.elf $(KOBJS) $(APP_OBJS) $(OUT)/ksyms0.o $(LINK_LIBS)
	$(NM) -n --defined-only $(OUT)/kernel.pass1.elf > $(OUT)/kernel.syms
	$(PYTHON) tools/gen-ksyms.py $(OUT)/kernel.syms $(OUT)/ksyms.S
	$(CC) $(ASFLAGS) -c $(OUT)/ksyms.S -o $(OUT)/ksyms.o
	$(LD) $(LDFLAGS) -o $@.tmp $(KOBJS) $(APP_OBJS) $(OUT)/ksyms.o $(LINK_LIBS)
	@$(NM) -n --defined-only $@.tmp | grep -v -e ksyms -e _ksyms_end -e _kernel_end > $(OUT)/kernel.syms2
	@grep -v -e ksyms -e _ksyms_end -e _kernel_end $(OUT)/kernel.syms | cmp -s - $(OUT)/kernel.syms2 || \
		{ echo "ksyms: symbols moved between link passes" >&2; exit 1; }
	@mv $@.tmp $@

kernel: $(BUILD)/.bootstrap $(KERNEL_ELF)

# ---- boot images (UEFI application + ESP, GRUB ISO) ----------------------
# $(OUT)/.cmdline holds CMDLINE and changes only when CMDLINE does, so the
# images that bake the command line in are rebuilt exactly then.
tally_shq = '$(subst ','\'',$(1))'
$(OUT)/.cmdline: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' $(call tally_shq,$(CMDLINE)) > $@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

-include boot/uefi/uefi.mk
-include boot/grub.mk
efi: $(OUT)/tally.efi
esp: $(OUT)/esp.img
iso: $(OUT)/tally.iso

# ---- run -----------------------------------------------------------------
RUN_TARGET_direct   := kernel
RUN_TARGET_uefi     := esp
RUN_TARGET_grub     := iso
RUN_TARGET_grub-efi := iso
run:
	@test -n "$(RUN_TARGET_$(BOOT))" || { echo "BOOT=$(BOOT): expected uefi, grub, grub-efi or direct" >&2; exit 2; }
	@$(MAKE) --no-print-directory $(RUN_TARGET_$(BOOT)) APP="$(APP)" OUT="$(OUT)" CMDLINE="$(CMDLINE)"
	@$(PYTHON) tools/tally_qemu.py --boot $(BOOT) --out $(OUT) --smp $(SMP) --mem $(MEM) \
		$(if $(filter direct,$(BOOT)),--cmdline "$(CMDLINE)")

# ---- tests and benchmarks ------------------------------------------------
# Host test objects wait for the package install (cmocka) under make -j.
HOST_BOOTSTRAP := $(BUILD)/.bootstrap
-include tests/host/host.mk
-include tests/host/rt.mk
-include tests/fuzz/fuzz.mk
-include tools/bench/bench.mk

test: all host-tests rt-tests fuzz-bins bench-guest qemu10
	@$(PYTHON) tools/testrun.py --bench-smoke --contract --host $(HOST_TEST_BINS) $(RT_TEST_BINS) \
		--fuzz $(FUZZ_BINS)

# Races that one run passes by luck: the runtime's host tests STRESS_RUNS
# times each (the TSan builds STRESS_TSAN_RUNS times) and tests/stress.cases,
# with a host core kept busy (under 20 min).
STRESS_RUNS ?= 10
STRESS_TSAN_RUNS ?= 3
stress: all rt-tests
	@$(PYTHON) tools/stress.py --runs $(STRESS_RUNS) --tsan-runs $(STRESS_TSAN_RUNS) --host $(RT_TEST_BINS)

# The collector's torture programs run long (tests/soak.cases, ~5 min).
soak: all
	@$(PYTHON) tools/testrun.py --no-py --arch $(ARCH) --cases tests/soak.cases

clean:
	rm -rf $(BUILD)/$(ARCH) $(BUILD)/host $(BUILD)/fuzz

distclean:
	rm -rf $(BUILD)

FORCE:

-include $(KOBJS:.o=.d) $(APP_OBJS:.o=.d)

endif  # ARCH

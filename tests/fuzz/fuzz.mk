# fuzz.mk - libFuzzer harnesses for the parsers of untrusted input.
#
# Included by the top-level Makefile.  Each harness (tests/fuzz/fuzz_<h>.c)
# feeds arbitrary bytes to one parser and aborts when a promise of that
# module's header breaks; clang's -fsanitize=fuzzer,address,undefined
# catches memory errors and undefined behaviour (every report fatal).
#
#   build/fuzz/fuzz_<h>          the harness binaries (make fuzz-bins)
#   tests/fuzz/corpus/<h>/       committed seed inputs (recorded boots and
#                                crafted fixtures, crashes found so far)
#   build/fuzz/work/<h>/         what a run learns (new inputs go here, the
#                                committed corpus is only read)
#   build/fuzz/artifacts/        crashing inputs, <h>-crash-<sha1>
#
# Targets:
#   fuzz-bins   build every harness
#   fuzz        run each harness for FUZZ_TIME seconds (default 120), one
#               after another; fails if any harness found a crash
# make test runs each for a few seconds through tools/testrun.py --fuzz.
# Replay one input:  build/fuzz/fuzz_<h> path/to/input
# Grow a committed corpus (minimised):
#   build/fuzz/fuzz_<h> -merge=1 tests/fuzz/corpus/<h> build/fuzz/work/<h>
#
# To add a harness: write tests/fuzz/fuzz_<h>.c, list <h> in FUZZ_HARNESSES,
# name the module sources in fuzz_src_<h>, add a seed corpus.

FUZZ_CC ?= clang
FUZZ_DIR := $(CURDIR)/build/fuzz
FUZZ_TIME ?= 120
FUZZ_CFLAGS := -std=c11 -g -O1 -Wall -Wextra -Werror -I$(CURDIR) -I$(CURDIR)/arch/x86_64/include \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

FUZZ_HARNESSES := bootopt regex acpi pvh mb2 elf memmap pci virtq virtq_packed eth_ip tcp dhcp tcp_state fdt

fuzz_src_bootopt := kernel/options.c $(patsubst $(CURDIR)/%,%,$(wildcard $(CURDIR)/kernel/*/*_options.c \
	$(CURDIR)/drivers/*/*_options.c $(CURDIR)/arch/x86_64/*_options.c)) rt/net/ipconf.c kernel/bootopt.c kernel/lib/regex.c kernel/lib/regex_class.c kernel/lib/regex_vm.c
fuzz_src_regex := kernel/lib/regex.c kernel/lib/regex_class.c kernel/lib/regex_vm.c
fuzz_src_acpi := $(patsubst $(CURDIR)/%,%,$(wildcard $(CURDIR)/kernel/acpi/acpi*.c))
fuzz_src_pvh := boot/pvh.c boot/boot_info.c kernel/mem/memmap.c
fuzz_src_mb2 := boot/mb2.c boot/boot_info.c kernel/mem/memmap.c
fuzz_src_elf := boot/elf_load.c
fuzz_src_fdt := $(patsubst $(CURDIR)/%,%,$(wildcard $(CURDIR)/kernel/fdt/*.c)) \
	kernel/lib/kprintf.c
fuzz_src_memmap := kernel/mem/memmap.c
fuzz_src_pci := kernel/pci/pci.c kernel/pci/pci_describe.c kernel/lib/kprintf.c
fuzz_src_virtq := drivers/virtio/virtq.c drivers/virtio/virtq_packed.c
fuzz_src_virtq_packed := $(fuzz_src_virtq)
# the pure files of rt/net/ (the stack, sockets, the DHCP client and the TCP
# socket layer need the runtime)
fuzz_src_net := $(filter-out rt/net/stack.c rt/net/sock.c rt/net/dhcp_client.c rt/net/tcp_api.c \
	rt/net/tcp_sock.c,\
	$(patsubst $(CURDIR)/%,%,$(wildcard $(CURDIR)/rt/net/*.c)))
fuzz_src_eth_ip := $(fuzz_src_net)
fuzz_src_tcp := $(fuzz_src_net)
fuzz_src_dhcp := $(fuzz_src_net)
fuzz_src_tcp_state := $(fuzz_src_net)

FUZZ_COMMON_SRC := tests/fuzz/fuzz_mem.c
FUZZ_BINS := $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_HARNESSES))

.PHONY: fuzz fuzz-bins fuzz-clean
fuzz-bins: $(FUZZ_BINS)

define FUZZ_RULE
$(FUZZ_DIR)/fuzz_$(1): $(CURDIR)/tests/fuzz/fuzz_$(1).c \
		$(addprefix $(CURDIR)/,$(fuzz_src_$(1)) $(FUZZ_COMMON_SRC)) \
		$(CURDIR)/tests/fuzz/fuzz.mk | $(HOST_BOOTSTRAP)
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -MMD -MP -MF $$@.d -o $$@ $$(filter %.c,$$^)
endef

$(foreach h,$(FUZZ_HARNESSES),$(eval $(call FUZZ_RULE,$(h))))

-include $(addsuffix .d,$(FUZZ_BINS))

# -timeout: one input taking 10 s is a hang; -rss_limit_mb: a leak.
fuzz: fuzz-bins
	@fail=""; \
	for h in $(FUZZ_HARNESSES); do \
		mkdir -p $(FUZZ_DIR)/work/$$h $(FUZZ_DIR)/artifacts; \
		echo "== fuzz_$$h for $(FUZZ_TIME) s"; \
		dict=""; [ -f tests/fuzz/$$h.dict ] && dict="-dict=tests/fuzz/$$h.dict"; \
		$(FUZZ_DIR)/fuzz_$$h -max_total_time=$(FUZZ_TIME) -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 $$dict \
			-artifact_prefix=$(FUZZ_DIR)/artifacts/$$h- \
			$(FUZZ_DIR)/work/$$h tests/fuzz/corpus/$$h \
			> $(FUZZ_DIR)/fuzz_$$h.log 2>&1 \
			|| fail="$$fail fuzz_$$h"; \
		grep -E '^stat::number_of_executed_units|^Done|SUMMARY|ERROR' \
			$(FUZZ_DIR)/fuzz_$$h.log | sed 's/^/   /'; \
	done; \
	if [ -n "$$fail" ]; then echo "fuzz: FAILED:$$fail (logs in build/fuzz/, inputs in build/fuzz/artifacts/)"; exit 1; fi; \
	echo "fuzz: all $(words $(FUZZ_HARNESSES)) harnesses ran $(FUZZ_TIME) s without a finding"

fuzz-clean:
	rm -rf $(FUZZ_DIR)

# host.mk - host unit tests (cmocka) of the pure-logic modules.
#
# Included by the top-level Makefile; also works alone from the repository
# root:  make -f tests/host/host.mk host-check
#
# Every test binary is built twice from the same sources:
#   build/host/plain/<test>  gcc -std=c11 -O1 -g -Wall -Wextra -Werror
#   build/host/asan/<test>   the same plus AddressSanitizer and UBSan, with
#                            every sanitizer report fatal
# Targets:
#   host-tests   build all of $(HOST_TEST_BINS)
#   host-check   build, run every binary, fail if any test failed
# A binary prints cmocka's "[  PASSED  ] N test(s)." / "[  FAILED  ] N
# test(s)" summary and exits non-zero on failure.  Fixtures are found in
# tests/fixtures (override at run time with TALLY_FIXTURES=dir).
#
# To add a test: list it in HOST_TESTS and name the module sources it needs
# in host_src_<test>.

HOST_CC ?= gcc
HOST_DIR := $(CURDIR)/build/host
HOST_CFLAGS := -std=c11 -O1 -g -Wall -Wextra -Werror -I$(CURDIR) -I$(CURDIR)/arch/x86_64/include \
	-DTALLY_FIXTURES='"$(CURDIR)/tests/fixtures"'
HOST_ASAN_CFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
HOST_LIBS := -lcmocka -pthread

HOST_TESTS := test_bootopt test_memmap test_pmem test_elf_load test_pvh \
	test_mb2 test_boot_info test_acpi test_acpi_s5 test_ledger test_regex test_options \
	test_options_dup test_pt test_a64_pt test_a64_trap \
	test_pte test_pci test_pci_crafted test_pci_ext test_msi test_virtq test_virtq_packed test_net test_net_build test_net_stack \
	test_tcp test_tcp_edge test_tcp_sim test_fdt test_virt test_virt_acpi test_dtb

host_src_test_bootopt := kernel/bootopt.c
host_src_test_memmap := kernel/mem/memmap.c
host_src_test_pmem := kernel/mem/pmem.c kernel/mem/memmap.c
host_src_test_elf_load := boot/elf_load.c
host_src_test_pvh := boot/pvh.c boot/boot_info.c
host_src_test_mb2 := boot/mb2.c boot/boot_info.c
host_src_test_boot_info := boot/boot_info.c boot/pvh.c boot/mb2.c \
	kernel/mem/memmap.c
host_src_test_acpi_s5 := kernel/acpi/acpi_s5.c
host_src_test_fdt := $(patsubst $(CURDIR)/%,%,$(wildcard $(CURDIR)/kernel/fdt/*.c)) \
	kernel/lib/kprintf.c
host_src_test_virt := $(host_src_test_fdt) arch/aarch64/virt_desc.c
host_src_test_virt_acpi := $(host_src_test_virt) arch/aarch64/virt_acpi.c \
	$(patsubst $(CURDIR)/%,%,$(wildcard $(CURDIR)/kernel/acpi/acpi*.c))
host_src_test_dtb := boot/dtb.c boot/boot_info.c $(host_src_test_fdt)
host_src_test_ledger := kernel/ledger.c
host_src_test_regex := kernel/lib/regex.c kernel/lib/regex_class.c kernel/lib/regex_vm.c
# every registered option set (BOOTOPT_SET), so the host test sees the
# kernel's whole table and any key registered twice
OPTION_SRCS := kernel/options.c $(patsubst $(CURDIR)/%,%,$(wildcard $(CURDIR)/kernel/*/*_options.c \
	$(CURDIR)/drivers/*/*_options.c $(CURDIR)/arch/x86_64/*_options.c))
host_src_test_options := $(OPTION_SRCS) rt/net/ipconf.c kernel/bootopt.c kernel/lib/regex.c kernel/lib/regex_class.c kernel/lib/regex_vm.c
host_src_test_options_dup := $(host_src_test_options)
host_src_test_pt := arch/x86_64/pt_walk.c
host_src_test_a64_pt := arch/aarch64/pt_walk.c
host_src_test_a64_trap :=
host_src_test_pte :=
host_src_test_pci_ext := kernel/pci/pci.c kernel/pci/pci_describe.c kernel/lib/kprintf.c
host_src_test_msi := arch/x86_64/msi.c
host_src_test_virtq := drivers/virtio/virtq.c drivers/virtio/virtq_packed.c
host_src_test_virtq_packed := $(host_src_test_virtq)
host_src_test_pci := kernel/pci/pci.c kernel/pci/pci_describe.c kernel/lib/kprintf.c \
	drivers/virtio/virtio_pci_caps.c tests/host/pci_fake.c
host_src_test_pci_crafted := kernel/pci/pci.c kernel/pci/pci_describe.c kernel/lib/kprintf.c \
	tests/host/pci_fake.c
# the pure files of rt/net/ (the stack, sockets, the DHCP client and the TCP
# socket layer need the runtime: rt.mk)
NET_SRCS := $(filter-out rt/net/stack.c rt/net/sock.c rt/net/dhcp_client.c rt/net/tcp_api.c \
	rt/net/tcp_sock.c,\
	$(patsubst $(CURDIR)/%,%,$(wildcard $(CURDIR)/rt/net/*.c)))
host_src_test_net := $(NET_SRCS) tests/host/net_fx.c
host_src_test_net_build := $(NET_SRCS) tests/host/net_fx.c
host_src_test_net_stack := $(NET_SRCS) tests/host/net_fx.c
host_src_test_tcp := $(NET_SRCS) tests/host/net_fx.c tests/host/tcp_cap.c
host_src_test_tcp_edge := $(NET_SRCS) tests/host/tcp_cap.c
host_src_test_tcp_sim := $(NET_SRCS) tests/host/tcp_sim.c
host_src_test_acpi := $(patsubst $(CURDIR)/%,%,\
	$(wildcard $(CURDIR)/kernel/acpi/acpi*.c))

HOST_COMMON_SRC := tests/host/fixture.c

HOST_TEST_BINS := $(foreach v,plain asan,\
	$(addprefix $(HOST_DIR)/$(v)/,$(HOST_TESTS)))

.PHONY: host-tests host-check host-clean
host-tests: $(HOST_TEST_BINS)

# $(1) = variant (plain|asan), $(2) = test name, $(3) = extra flags
define HOST_TEST_RULE
$(HOST_DIR)/$(1)/$(2): $(CURDIR)/tests/host/$(2).c \
		$(addprefix $(CURDIR)/,$(host_src_$(2)) $(HOST_COMMON_SRC)) \
		$(CURDIR)/tests/host/host.mk | $(HOST_BOOTSTRAP)
	@mkdir -p $$(@D)
	$$(HOST_CC) $$(HOST_CFLAGS) $(3) -MMD -MP -MF $$@.d -o $$@ \
		$$(filter %.c,$$^) $$(HOST_LIBS)
endef

$(foreach t,$(HOST_TESTS),\
	$(eval $(call HOST_TEST_RULE,plain,$(t),))\
	$(eval $(call HOST_TEST_RULE,asan,$(t),$(HOST_ASAN_CFLAGS))))

-include $(addsuffix .d,$(HOST_TEST_BINS))

host-check: host-tests
	@fail=""; \
	for t in $(HOST_TEST_BINS); do \
		echo "== $${t#$(CURDIR)/}"; \
		"$$t" || fail="$$fail $${t#$(CURDIR)/}"; \
	done; \
	if [ -n "$$fail" ]; then echo "host-check: FAILED:$$fail"; exit 1; fi; \
	echo "host-check: all $(words $(HOST_TEST_BINS)) binaries passed"

host-clean:
	rm -rf $(HOST_DIR)

# rt.mk - host tests of the runtime (rt/) on Linux threads, with cmocka.
#
# Included by the top-level Makefile after tests/host/host.mk; also works
# alone from the repository root:  make -f tests/host/rt.mk rt-check
#
# Binaries: tests/host/test_ctx.c (the context switch and hosted stacks,
# no scheduler) and every tests/host/test_rt_*.c (linked with every
# rt/*.c), each with the hosted platform (rt_platform_hosted.c, rt_ledger_hosted.c,
# rt_fiber.c, rt_preempt_hosted.c, rt_preempt_stub.S, rt_test.c) and
# arch/x86_64/context.S, in three variants:
#   build/host/plain/<test>  gcc -O1 -g, -Werror; context.S called directly
#   build/host/asan/<test>   + AddressSanitizer and UBSan, every report fatal
#   build/host/tsan/<test>   + ThreadSanitizer, first report fatal; built
#                            with clang, whose TSan runtime creates a fiber
#                            in ~20 us where gcc 12's takes ~5 ms (every
#                            goroutine's first run creates one: with gcc, 50
#                            fresh goroutines queued ahead of a woken sleeper
#                            made a 1 ms sleep last 250 ms)
# The sanitizer variants link with --wrap= rt_ctx_switch, rt_ctx_switch_clean
# and rt_ctx_init
# so that rt/hosted/rt_fiber.c announces every stack switch to ASan
# (__sanitizer_*_switch_fiber) or TSan (one fiber per context).  Their
# default options are compiled in (rt_fiber.c: __asan_default_options ...);
# the environment's ASAN_OPTIONS / TSAN_OPTIONS still win.
#
# Targets:
#   rt-tests   build all of $(RT_TEST_BINS)
#   rt-check   build, run each binary, fail if any test failed
# $(RT_TEST_BINS) is what tools/testrun.py --host takes.
# Run time knobs: TALLY_MS (Ms when a test passes 0), TALLY_RT_TEST_TIMEOUT
# (seconds before a runtime child is killed, default 60), TALLY_QUANTUM_US
# (preemption quantum of the runtime children, default 10; 0: off).

HOST_CC ?= gcc
RT_HOST_DIR := $(CURDIR)/build/host
RT_HOST_CFLAGS := -std=c11 -O1 -g -Wall -Wextra -Werror -I$(CURDIR) -I$(CURDIR)/arch/x86_64/include -I$(CURDIR)/rt/hosted/include -I$(CURDIR)/rt/include \
	-fno-omit-frame-pointer -pthread -MMD -MP -DTALLY_FIXTURES='"$(CURDIR)/tests/fixtures"'
RT_HOST_LDFLAGS := -rdynamic -pthread -Wl,-T,$(CURDIR)/rt/hosted/noroots.ld
RT_HOST_LIBS := -lcmocka
RT_WRAP := -Wl,--wrap=rt_ctx_switch -Wl,--wrap=rt_ctx_switch_clean -Wl,--wrap=rt_ctx_init
RT_VFLAGS_plain :=
RT_VFLAGS_asan := -fsanitize=address,undefined -fno-sanitize-recover=all
RT_VFLAGS_tsan := -fsanitize=thread
RT_VLDFLAGS_plain :=
RT_VLDFLAGS_asan := $(RT_VFLAGS_asan) $(RT_WRAP)
RT_VLDFLAGS_tsan := $(RT_VFLAGS_tsan) $(RT_WRAP)
RT_VARIANTS ?= plain asan tsan
RT_CC_plain = $(HOST_CC)
RT_CC_asan = $(HOST_CC)
RT_CC_tsan = clang

RT_SRCS := $(patsubst $(CURDIR)/%,%,$(wildcard $(CURDIR)/rt/*.c $(CURDIR)/rt/heap/*.c $(CURDIR)/rt/net/*.c))
RT_HOSTED_SRCS := rt/hosted/rt_platform_hosted.c rt/hosted/rt_ledger_hosted.c rt/hosted/rt_fiber.c \
	rt/hosted/rt_net_hosted.c \
	rt/hosted/rt_heap_hosted.c \
	rt/hosted/rt_preempt_hosted.c rt/hosted/rt_preempt_stub.S \
	tests/host/rt_test.c arch/x86_64/context.S
RT_SCHED_TESTS := $(notdir $(basename $(wildcard $(CURDIR)/tests/host/test_rt_*.c)))
RT_TESTS := test_ctx $(RT_SCHED_TESTS)

# sources of each test besides its own file and the hosted platform;
# test_ctx links no runtime, so not the hosted network either (it calls
# into the runtime's poller)
rt_src_test_ctx :=
rt_hosted_test_ctx := $(filter-out rt/hosted/rt_net_hosted.c,$(RT_HOSTED_SRCS))
$(foreach t,$(RT_SCHED_TESTS),$(eval rt_src_$(t) := $(RT_SRCS)))
# the network's tests read the recorded frames (tests/fixtures/net/)
RT_NET_FX := tests/host/net_fx.c tests/host/fixture.c
rt_src_test_rt_net := $(RT_SRCS) $(RT_NET_FX)
rt_src_test_rt_tcp := $(RT_SRCS) $(RT_NET_FX)

# test_rt_preempt needs asynchronous preemption, which the TSan build does
# not have (rt/hosted/rt_preempt_hosted.c, "ThreadSanitizer").
RT_TESTS_tsan := $(filter-out test_rt_preempt,$(RT_TESTS))
RT_TESTS_plain := $(RT_TESTS)
RT_TESTS_asan := $(RT_TESTS)
RT_TEST_BINS := $(foreach v,$(RT_VARIANTS),$(addprefix $(RT_HOST_DIR)/$(v)/,$(RT_TESTS_$(v))))

.PHONY: rt-tests rt-check
rt-tests: $(RT_TEST_BINS)

rt_obj = $(RT_HOST_DIR)/$(1)/obj/$(basename $(2)).o

# $(1) = variant, $(2) = source file (relative to the root)
define RT_OBJ_RULE
$(call rt_obj,$(1),$(2)): $(CURDIR)/$(2) $(CURDIR)/tests/host/rt.mk | $(HOST_BOOTSTRAP)
	@mkdir -p $$(@D)
	$$(RT_CC_$(1)) $$(RT_HOST_CFLAGS) $$(RT_VFLAGS_$(1)) -MF $$@.d -c -o $$@ $$<
endef

# $(1) = variant, $(2) = test name
define RT_BIN_RULE
$(RT_HOST_DIR)/$(1)/$(2): $(foreach s,tests/host/$(2).c $(rt_src_$(2)) $(or $(rt_hosted_$(2)),$(RT_HOSTED_SRCS)),\
		$(call rt_obj,$(1),$(s)))
	@mkdir -p $$(@D)
	$$(RT_CC_$(1)) $$(RT_HOST_LDFLAGS) $$(RT_VLDFLAGS_$(1)) -o $$@ $$^ $$(RT_HOST_LIBS)
endef

RT_ALL_SRCS := $(sort $(RT_SRCS) $(RT_HOSTED_SRCS) $(RT_NET_FX) \
	$(addprefix tests/host/,$(addsuffix .c,$(RT_TESTS))))
$(foreach v,$(RT_VARIANTS),\
	$(foreach s,$(RT_ALL_SRCS),$(eval $(call RT_OBJ_RULE,$(v),$(s))))\
	$(foreach t,$(RT_TESTS),$(eval $(call RT_BIN_RULE,$(v),$(t)))))

-include $(foreach v,$(RT_VARIANTS),$(foreach s,$(RT_ALL_SRCS),$(call rt_obj,$(v),$(s)).d))

rt-check: rt-tests
	@fail=""; \
	for t in $(RT_TEST_BINS); do \
		echo "== $${t#$(CURDIR)/}"; \
		"$$t" || fail="$$fail $${t#$(CURDIR)/}"; \
	done; \
	if [ -n "$$fail" ]; then echo "rt-check: FAILED:$$fail"; exit 1; fi; \
	echo "rt-check: all $(words $(RT_TEST_BINS)) binaries passed"

# bench.mk - `make bench` and `make bench-smoke` (included by the Makefile).
#
#   make bench         Tally, Go and pthreads benchmarks side by side: every
#                      system under -icount (instructions/op, 3 runs that
#                      must repeat) and under multi-threaded TCG (3 runs,
#                      median); writes build/bench/<date>-<commit>/ (logs,
#                      QEMU command lines, results.json, cost.svg, a text
#                      table; docs/bench.md)
#   make bench-smoke   a short end-to-end check of the peers and the
#                      comparison (part of `make test`), ends `N passed, M failed`
#   make netbench      the network benchmarks: Tally's apps/udpecho.c and
#                      apps/httpd.c against the same servers in Go
#                      (tools/bench/netgo/) in the Linux guest, alternated
#                      in one session (tools/netbench.py, docs/net.md);
#                      NETBENCH_ARGS="<more tools/netbench.py options>"
#
# Variables: BENCH=<regex>  BENCHTIME=<duration>  BENCH_ARGS="<more tools/bench.py options>"
#
# The Linux guest: Debian's kernel (tools/bench/fetch-linux.sh, cached in
# build/bench/vmlinuz) and an initramfs holding a static /init and the two
# static peers, gobench (Go, CGO_ENABLED=0) and pthbench (C, gcc -static).

BENCH_OUT  := $(BUILD)/bench
BENCH_SRC  := tools/bench
BENCH      ?= .
BENCHTIME  ?= 200ms
BENCH_ARGS ?=
BENCH_GOENV := CGO_ENABLED=0 GOFLAGS= GOCACHE=$(abspath $(BENCH_OUT))/go-cache \
	GOPATH=$(abspath $(BENCH_OUT))/gopath GO111MODULE=on

.PHONY: bench bench-smoke bench-guest bench-unit netbench netbench-guest

$(BENCH_OUT)/vmlinuz: | $(BUILD)/.bootstrap
	@sh $(BENCH_SRC)/fetch-linux.sh $(BENCH_OUT)

# The package's kernel config (CONFIG_HZ, the preemption model) for the
# benchmark header; a cache from before it was kept fetches it once.
$(BENCH_OUT)/vmlinuz.config: | $(BENCH_OUT)/vmlinuz
	@sh $(BENCH_SRC)/fetch-linux.sh $(BENCH_OUT) || \
		echo "bench: warning: no kernel config for the guest; its header says hz: unknown"

$(BENCH_OUT)/gobench: $(wildcard $(BENCH_SRC)/go/*.go) $(BENCH_SRC)/go/go.mod | $(BUILD)/.bootstrap
	@mkdir -p $(BENCH_OUT)
	cd $(BENCH_SRC)/go && $(BENCH_GOENV) go build -trimpath -ldflags='-s -w' \
		-o $(abspath $@) .

$(BENCH_OUT)/pthbench: $(wildcard $(BENCH_SRC)/pthreads/*.c $(BENCH_SRC)/pthreads/*.h) | $(BUILD)/.bootstrap
	@mkdir -p $(BENCH_OUT)
	gcc -static -O2 -pthread -std=gnu11 -Wall -Wextra -Werror -o $@ \
		$(wildcard $(BENCH_SRC)/pthreads/*.c)

$(BENCH_OUT)/init: $(BENCH_SRC)/init/init.c | $(BUILD)/.bootstrap
	@mkdir -p $(BENCH_OUT)
	gcc -static -O2 -std=gnu11 -Wall -Wextra -Werror -o $@ $<

$(BENCH_OUT)/init.cpio: $(BENCH_OUT)/init $(BENCH_OUT)/gobench $(BENCH_OUT)/pthbench \
		$(BENCH_SRC)/mkinitramfs.py
	$(PYTHON) $(BENCH_SRC)/mkinitramfs.py $@ $(BENCH_OUT)/init \
		gobench=$(BENCH_OUT)/gobench pthbench=$(BENCH_OUT)/pthbench

bench-guest: $(BENCH_OUT)/vmlinuz $(BENCH_OUT)/vmlinuz.config $(BENCH_OUT)/init.cpio

bench-unit:
	@$(PYTHON) -m unittest discover -s $(BENCH_SRC) -p 'test_*.py'

# A Tally kernel that does not build fails `make bench` (tools/bench.py
# also refuses to run without an image).
bench: bench-guest
	@$(MAKE) --no-print-directory kernel
	@$(PYTHON) tools/bench.py --bench '$(BENCH)' --benchtime $(BENCHTIME) $(BENCH_ARGS)

bench-smoke: bench-guest
	@$(PYTHON) tools/bench.py --smoke $(BENCH_ARGS)

# The network guest: the same kernel, its virtio-net modules (fetched with
# it), /init and the Go peer of udpecho.c and httpd.c.
$(BENCH_OUT)/modules/order: | $(BENCH_OUT)/vmlinuz
	@sh $(BENCH_SRC)/fetch-linux.sh $(BENCH_OUT)

$(BENCH_OUT)/netpeer: $(wildcard $(BENCH_SRC)/netgo/*.go) $(BENCH_SRC)/netgo/go.mod | $(BUILD)/.bootstrap
	@mkdir -p $(BENCH_OUT)
	cd $(BENCH_SRC)/netgo && $(BENCH_GOENV) go build -trimpath -ldflags='-s -w' \
		-o $(abspath $@) .

$(BENCH_OUT)/netinit.cpio: $(BENCH_OUT)/init $(BENCH_OUT)/netpeer $(BENCH_OUT)/modules/order \
		$(BENCH_SRC)/mkinitramfs.py
	$(PYTHON) $(BENCH_SRC)/mkinitramfs.py $@ $(BENCH_OUT)/init \
		netpeer=$(BENCH_OUT)/netpeer --modules $(BENCH_OUT)/modules

netbench-guest: $(BENCH_OUT)/vmlinuz $(BENCH_OUT)/netinit.cpio

NETBENCH_ARGS ?=
netbench: netbench-guest
	@$(MAKE) --no-print-directory kernel APP=apps/udpecho.c OUT=$(BUILD)/x86_64/apps/udpecho
	@$(MAKE) --no-print-directory kernel APP=apps/httpd.c OUT=$(BUILD)/x86_64/apps/httpd
	@$(PYTHON) tools/netbench.py $(NETBENCH_ARGS)

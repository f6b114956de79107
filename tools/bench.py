#!/usr/bin/env python3
"""bench.py - the `make bench` driver: Tally, Go and pthreads side by side.

Purpose: run the same microbenchmarks on Tally (build/x86_64/kernel.elf,
booted directly with `bench=<regex>` on its command line) and on its two
peers, a Go program and a pthreads program in a Linux guest (Debian's
kernel, tools/bench/), all in the same QEMU configuration (-M, -cpu, -smp,
-m), then compare them (tools/bench/compare.py): a text table, JSON, and a
chart of the absolute cost per op split by class.  See docs/bench.md.

Measurement modes (both by default):
  icount    deterministic: -icount shift=0,align=off,sleep=off, one vCPU
            (QEMU 7.2 can livelock a multi-vCPU Linux guest under icount),
            --repeat boots per system (default 3: the report says whether
            the instruction counts were identical); cycles/op are guest
            instructions per op.  Go runs with -cpu 1 (every benchmark at
            GOMAXPROCS 1, Tally's only P count on one CPU); Tally also runs
            once with ledger=off, the divisor of the ledger's overhead.
  parallel  multi-threaded TCG, --smp vCPUs (default 2), --runs boots per
            system (default 3); median with min-max.  Tally boots with
            benchprocs=1 and benchprocs=<smp>, so each of Go's rows (P 1 or
            2, fixed per benchmark) has a Tally row at the same P.
In both modes Tally's tick is --tally-tick (default 250 Hz, the CONFIG_HZ of
Debian's kernel), the guest is told its mode (icount=yes|no on both
command lines) and every header is checked against the mode asked for;
Go runs a second time with -gogc off for the benchmarks that reported 0
allocs/op.
Usage:
  tools/bench.py [--modes icount,parallel] [--systems tally,go,pthreads]
                 [--bench REGEX] [--benchtime 200ms] [--runs 3] [--repeat 3]
                 [--smp 2] [--tally-tick 250]
  tools/bench.py --smoke          the `make bench-smoke` check: unit tests
                                  (tools/bench/test_*.py; --no-unit skips
                                  them), two short guest boots, a comparison;
                                  prints PASS/FAIL lines, then `N passed, M failed`
  tools/bench.py --compare-only [--out RUN_DIR]   redo the comparison

Files: every run writes build/bench/<UTC date>-<commit>/ (build/bench/latest
points to the newest): logs/<mode>.<system>.<n>.log (raw serial),
results/<mode>.<system>.<n>.txt (the parsed run in Go's format, fit for
benchstat), results/<mode>.<system>.status, qemu.txt (QEMU's version and
every boot's command line), then table.txt, results.json (with the run's
date, commit, QEMU version, modes and boots) and cost*.svg from compare.py.
tools/bench/render.py --record RUN_DIR commits a run to the docs.

Failures (exit status 1, after the comparison of whatever did run): a
Tally kernel image that is missing, any boot that times out, crashes, ends
with a non-zero status (a benchmark failing its own check included: it is
also FAIL in the table), lacks its `bench: done:` line, or whose header
disagrees with the mode asked for (icount:, icount-detected:).

Invariants: one QEMU at a time (the build machines have two cores shared
by several people); QEMU is started only through tools/tally_qemu.py's boot(),
under a timeout, and killed by its own process group.  Context: stdlib only.
"""

import argparse
import json
import os
import re
import shutil
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(ROOT, "tools", "bench")
sys.path.insert(0, BENCH_DIR)
import benchfmt  # noqa: E402
import compare   # noqa: E402

SMOKE_BENCH = "^Benchmark(SpawnJoin|MutexUncontended)$"
SMOKE_BENCHTIME = "20ms"
PEER_BIN = {"go": "gobench", "pthreads": "pthbench"}
LINUX_APPEND = "console=ttyS0 quiet loglevel=3 panic=-1"
STATUS_BAD_OPTION = 64


def load_tally_qemu():
	"""tools/tally_qemu.py (tools/ is on sys.path: this script's folder)."""
	import tally_qemu
	return tally_qemu


class Progress:
	"""The live console sink handed to tally-qemu's boot() (raw mode): it
	prints one progress line per finished benchmark, and the whole console
	with --verbose."""

	def __init__(self, tag, verbose):
		self.tag, self.verbose = tag, verbose
		self.pending = b""
		self.buffer = self      # tally-qemu's raw echo writes bytes here

	def write(self, data):
		if isinstance(data, str):
			data = data.encode()
		self.pending += data
		*lines, self.pending = self.pending.split(b"\n")
		for raw in lines:
			line = benchfmt.clean_line(raw.decode("utf-8", "replace"))
			if self.verbose and line:
				print("    | " + line, flush=True)
			elif line.startswith("Benchmark"):
				f = line.split()
				what = " ".join(f[2:4]) if len(f) >= 4 else ""
				print("bench: %s %s %s" % (self.tag, f[0], what), flush=True)
			elif line.startswith("--- "):
				print("bench: %s %s" % (self.tag, line[4:]), flush=True)

	def flush(self):
		pass


def boot_opts(tq, a, mode, system, words=(), bench=None):
	"""tally-qemu options for one boot of system in mode; words are more
	boot options (Tally) or peer arguments (Go, pthreads); bench overrides
	the benchmark regex."""
	icount = mode == "icount"
	smp = 1 if icount else a.smp
	bench = bench or a.bench
	if system.startswith("tally"):
		out = os.path.dirname(os.path.abspath(a.kernel))
		cmdline = " ".join(["bench=%s benchtime=%s icount=%s tick=%d" % (
			bench, a.benchtime, "yes" if icount else "no", a.tally_tick)] + list(words))
	else:
		# tally-qemu boots <out>/kernel.elf with -kernel; for the guest that
		# is a link to Debian's vmlinuz (QEMU reads the bzImage header).
		out = os.path.join(a.out, "guest")
		os.makedirs(out, exist_ok=True)
		link = os.path.join(out, "kernel.elf")
		if os.path.islink(link) or os.path.exists(link):
			os.unlink(link)
		os.symlink(os.path.abspath(os.path.join(a.out, "vmlinuz")), link)
		facts = ["icount=%s" % ("yes" if icount else "no"), "boot=bzimage"]
		hz = linux_config(a.out).get("CONFIG_HZ")
		if hz:
			facts.append("hz=%s" % hz)
		peer = [PEER_BIN[system.split("-")[0]], "-bench", bench, "-benchtime", a.benchtime] + list(words)
		cmdline = "%s %s -- %s" % (LINUX_APPEND, a.linux_append, " ".join(facts + peer))
	extra = []
	if not system.startswith("tally"):
		extra = ["-initrd", os.path.join(a.out, "init.cpio")]
	arch = a.arch if system.startswith("tally") else "x86_64"
	return tq.default_options(boot="direct", out=out, smp=smp, mem=a.mem, arch=arch,
	                          image="Image" if arch == "aarch64" else None,
	                          machine=a.machine, cpu=a.cpu, cmdline=cmdline.strip(),
	                          timeout=a.timeout, icount=icount, raw=True,
	                          extra=extra)


def linux_config(out):
	"""The guest kernel's CONFIG_* values from the fetched package's config
	(fetch-linux.sh keeps it as vmlinuz.config), or {}."""
	cfg = {}
	try:
		with open(os.path.join(out, "vmlinuz.config")) as f:
			for line in f:
				k, sep, v = line.strip().partition("=")
				if sep and k.startswith("CONFIG_"):
					cfg[k] = v
	except OSError:
		pass
	return cfg


def header_mismatch(run, mode):
	"""Why run's header contradicts the mode asked for, or None."""
	want = "yes" if mode == "icount" else "no"
	for key in ("icount", "icount-detected"):
		got = run.header.get(key)
		if got is None and key == "icount":
			return "no icount: header line"
		if got is not None and got != want:
			return "header %s: %s, but the %s mode %s -icount" % (
				key, got, mode, "runs under" if want == "yes" else "runs without")
	return None


def run_system(tq, a, mode, system, runs, words=(), bench=None, first=1, boots=None):
	"""Boot system runs times in mode (result files numbered from first);
	write logs, result files and the status file (a failure stays in it).
	boots, a list, receives one record per boot.  Returns a list of
	failure strings ([] when all is well)."""
	res_dir = os.path.join(a.out, "results")
	log_dir = os.path.join(a.out, "logs")
	status_path = os.path.join(res_dir, "%s.%s.status" % (mode, system))
	failures = []

	def set_status(text):
		if first > 1 and os.path.isfile(status_path):
			with open(status_path) as f:
				if not f.read().startswith("ok"):
					return
		with open(status_path, "w") as f:
			f.write(text + "\n")

	if system.startswith("tally") and not os.path.isfile(a.kernel):
		why = "no kernel image %s (the Tally kernel did not build)" % \
			os.path.relpath(a.kernel, ROOT)
		print("bench: [%s] %s: FAILED: %s" % (mode, system, why), flush=True)
		set_status("failed: " + why)
		return ["[%s] %s: %s" % (mode, system, why)]
	for i in range(first, first + runs):
		tag = "[%s] %s %d" % (mode, system, i)
		opts = boot_opts(tq, a, mode, system, words, bench)
		err = tq.check_options(opts)
		if err:
			set_status("failed: " + err)
			return ["%s: %s" % (tag, err)]
		print("bench: %s: booting (smp %d%s)%s" % (tag, opts.smp,
		      ", icount" if opts.icount else "", " " + " ".join(words) if words else ""),
		      flush=True)
		log = os.path.join(log_dir, "%s.%s.%d.log" % (mode, system, i))
		res = tq.boot(opts, Progress(tag, a.verbose), log)
		text = res.raw.decode("utf-8", "replace")
		if system.startswith("tally"):
			text = "\n".join(tq.guest_lines(res.raw))
		run = benchfmt.parse(text)
		why = None
		if res.status is None:
			why = res.message or "no status"
		elif res.status == STATUS_BAD_OPTION and system.startswith("tally"):
			why = "status 64: a boot option was refused"
		elif res.status != 0:
			why = "status %d" % res.status
		elif run.problems():
			why = "; ".join(run.problems())
		why = why or header_mismatch(run, mode)
		if why is None and res.status is not None and run.failures:
			why = "; ".join("%s failed: %s" % f for f in run.failures)
		print("bench: %s: %d benchmarks in %.1fs%s" % (
			tag, len(run.results), res.elapsed, " -- FAILED: " + why if why else ""),
			flush=True)
		if boots is not None:
			boots.append({"mode": mode, "system": system, "n": i,
			              "qemu": [os.path.relpath(x, ROOT) if x.startswith(ROOT + os.sep) else x
			                       for x in tq.build_command(opts)],
			              "log": os.path.relpath(log, a.out),
			              "status": res.status, "elapsed": round(res.elapsed, 2),
			              "failure": why})
		if why:
			failures.append("%s: %s (log: %s)" % (tag, why, os.path.relpath(log, ROOT)))
		with open(os.path.join(res_dir, "%s.%s.%d.txt" % (mode, system, i)), "w") as f:
			f.write(benchfmt.format_run(run))
	set_status("failed: " + failures[0] if failures else "ok")
	return failures


def non_allocating(a, mode):
	"""An anchored regex of the benchmarks Go's runs of mode reported with
	0 allocs/op (the ones fit to run with the collector off), or None."""
	data = compare.load(os.path.join(a.out, "results")).get(mode, {})
	so = data.get("go")
	if not so or not so.runs:
		return None
	names = sorted({e["base"] for e in so.aggregate().values()
	                if e["metrics"].get("allocs/op", {}).get("max", 1) == 0})
	return "^Benchmark(%s)$" % "|".join(names) if names else None


def run_mode(tq, a, mode, systems, boots):
	"""Every boot of one mode; returns the failures."""
	icount = mode == "icount"
	n = a.repeat if icount else a.runs
	fails = []
	for system in systems:
		if system == "tally":
			if icount:
				fails += run_system(tq, a, mode, "tally", n, boots=boots)
				if not a.no_ledger_off:
					fails += run_system(tq, a, mode, "tally-ledger-off", 1,
					                    ["ledger=off"], boots=boots)
			else:
				procs = sorted({1, a.smp})
				for j, p in enumerate(procs):
					fails += run_system(tq, a, mode, "tally", n, ["benchprocs=%d" % p],
					                    first=1 + j * n, boots=boots)
		elif system == "go":
			cpu = ["-cpu", "1"] if icount else []
			fails += run_system(tq, a, mode, "go", n, cpu, boots=boots)
			regex = None if a.no_gogc_off else non_allocating(a, mode)
			if regex:
				fails += run_system(tq, a, mode, "go-gogc-off", 1 if icount else n,
				                    cpu + ["-gogc", "off"], bench=regex, boots=boots)
		else:
			fails += run_system(tq, a, mode, system, n, boots=boots)
	return fails


def clean_results(out):
	d = os.path.join(out, "results")
	if os.path.isdir(d):
		shutil.rmtree(d)
	os.makedirs(d)
	os.makedirs(os.path.join(out, "logs"), exist_ok=True)


def git_facts():
	"""(short commit, dirty) of the tree, or ("nogit", False)."""
	import subprocess
	try:
		c = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"],
		                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
		                   text=True, check=True).stdout.strip()
		d = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
		                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
		                   text=True).stdout.strip()
		return c, bool(d)
	except (OSError, subprocess.CalledProcessError):
		return "nogit", False


def qemu_version(tq):
	import subprocess
	opts = tq.default_options()
	try:
		out = subprocess.run([tq.qemu_program(opts), "-version"], stdout=subprocess.PIPE,
		                     stderr=subprocess.STDOUT, text=True, timeout=30).stdout
		return out.splitlines()[0].strip() if out else "unknown"
	except (OSError, subprocess.SubprocessError):
		return "unknown"


def new_run_dir(base):
	"""build/bench/<UTC date>-<commit>[-dirty]/, and the latest link."""
	commit, dirty = git_facts()
	stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
	d = os.path.join(base, "%s-%s%s" % (stamp, commit, "-dirty" if dirty else ""))
	os.makedirs(d)
	for f in ("vmlinuz", "vmlinuz.config", "init.cpio"):
		if os.path.exists(os.path.join(base, f)):
			os.symlink(os.path.abspath(os.path.join(base, f)), os.path.join(d, f))
	latest = os.path.join(base, "latest")
	if os.path.islink(latest):
		os.unlink(latest)
	if not os.path.exists(latest):
		os.symlink(os.path.basename(d), latest)
	return d, commit, dirty, stamp


def run_unit_tests(rep):
	"""The parser/comparison unit tests (tools/bench/test_*.py) as results."""
	import unittest
	suite = unittest.defaultTestLoader.discover(BENCH_DIR, pattern="test_*.py",
	                                            top_level_dir=BENCH_DIR)

	class R(unittest.TestResult):
		def addSuccess(self, test):
			rep.ok("unit/" + test.id())

		def addFailure(self, test, err):
			rep.fail("unit/" + test.id(), self._exc_info_to_string(err, test)
			         .strip().splitlines()[-1])

		addError = addFailure
	suite.run(R())


class Report:
	def __init__(self):
		self.passed = self.failed = 0

	def ok(self, name):
		self.passed += 1
		print("PASS " + name, flush=True)

	def fail(self, name, why):
		self.failed += 1
		print("FAIL %s: %s" % (name, why), flush=True)


def smoke_gclive(tq, a, rep):
	"""The Go peer of gc_live (tools/bench/go/gclive.go) at 8 MiB for two
	cycles, read by tools/gcmeasure.py's parser of Go's gctrace lines: the
	peer still runs, checks its lists and prints what the parser reads."""
	import gcmeasure
	out = os.path.join(a.out, "guest")
	os.makedirs(out, exist_ok=True)
	link = os.path.join(out, "kernel.elf")
	if os.path.lexists(link):
		os.unlink(link)
	os.symlink(os.path.abspath(os.path.join(a.out, "vmlinuz")), link)
	cmdline = "%s -- icount=no boot=bzimage gobench -gclive 8,2" % LINUX_APPEND
	opts = tq.default_options(boot="direct", out=out, smp=1, mem=a.mem, arch="x86_64",
	                          machine=a.machine, cpu=a.cpu, cmdline=cmdline,
	                          timeout=a.timeout, raw=True,
	                          extra=["-initrd", os.path.join(a.out, "init.cpio")])
	log = os.path.join(a.out, "logs", "smoke.go-gclive.log")
	os.makedirs(os.path.dirname(log), exist_ok=True)
	res = tq.boot(opts, None, log)
	text = res.raw.decode("utf-8", "replace")
	cycles = gcmeasure.parse_go(text)
	if res.status != 0:
		rep.fail("smoke/go-gclive", "status %s (log: %s)" % (res.status, os.path.relpath(log, ROOT)))
	elif not re.search(r"^gc_live: ok 8 MiB live, \d+ cycles, 0 corruptions", text, re.M):
		rep.fail("smoke/go-gclive", "no gc_live: ok line (log: %s)" % os.path.relpath(log, ROOT))
	elif len(cycles) < 1 or not all(c["p"] == 1 and c["conc"] > 0 for c in cycles):
		rep.fail("smoke/go-gclive", "%d gctrace cycles read after the build (log: %s)" % (
			len(cycles), os.path.relpath(log, ROOT)))
	else:
		rep.ok("smoke/go-gclive")


def smoke(tq, a):
	"""Two short boots (Go, pthreads), a comparison, the unit tests, and
	one boot of the Go peer of gc_live."""
	rep = Report()
	if not a.no_unit:
		run_unit_tests(rep)
	a.bench, a.benchtime = SMOKE_BENCH, SMOKE_BENCHTIME
	a.out = os.path.join(a.out, "smoke")
	os.makedirs(a.out, exist_ok=True)
	for f in ("vmlinuz", "init.cpio"):
		dst = os.path.join(a.out, f)
		if os.path.lexists(dst):
			os.unlink(dst)
		os.symlink(os.path.abspath(os.path.join(a.out, "..", f)), dst)
	clean_results(a.out)
	for system in ("go", "pthreads"):
		fails = run_system(tq, a, "parallel", system, 1)
		if fails:
			rep.fail("smoke/%s" % system, "; ".join(fails))
			continue
		run = compare.load(os.path.join(a.out, "results"))["parallel"][system].runs[0]
		names = sorted(r.base for r in run.results)
		if names != ["MutexUncontended", "SpawnJoin"]:
			rep.fail("smoke/%s" % system, "benchmarks %s" % names)
		elif not all("ns/op" in r.metrics and "%kern" in r.metrics for r in run.results):
			rep.fail("smoke/%s" % system, "ns/op or %kern missing")
		elif not run.header.get("clocksource"):
			rep.fail("smoke/%s" % system, "no clocksource header")
		else:
			rep.ok("smoke/%s" % system)
	smoke_gclive(tq, a, rep)
	data, lines, warnings = compare.compare(a.out, echo=lambda l: print("    " + l))
	js = {}
	if os.path.isfile(os.path.join(a.out, "results.json")):
		with open(os.path.join(a.out, "results.json")) as f:
			js = json.load(f)
	rows = [r for r in js.get("modes", {}).get("parallel", {}).get("table", [])
	        if r["benchmark"] == "SpawnJoin"]
	if (len(rows) == 1 and rows[0]["procs"] == 1 and rows[0]["tally"] is None
	        and rows[0]["go"] and rows[0]["pthreads"]
	        and any(l.split()[:2] == ["SpawnJoin", "1"] for l in lines)):
		rep.ok("smoke/compare")
	else:
		rep.fail("smoke/compare", "table without go and pthreads SpawnJoin-1 values")
	for w in warnings:
		print("bench: warning: " + w)
	print("%d passed, %d failed" % (rep.passed, rep.failed))
	return 0 if rep.failed == 0 and rep.passed > 0 else 1


def parser():
	ap = argparse.ArgumentParser(prog="bench.py", description=(
		"Run Tally's benchmarks and their Go and pthreads peers in the same "
		"QEMU configuration and compare them."))
	ap.add_argument("--modes", default="icount,parallel")
	ap.add_argument("--systems", default=None,
	                help="default tally,go,pthreads (aarch64: tally)")
	ap.add_argument("--bench", default=".", help="benchmark regex (no blanks)")
	ap.add_argument("--benchtime", default="200ms",
	                help="minimum measured guest time per benchmark")
	ap.add_argument("--runs", type=int, default=3, help="boots per system in parallel mode")
	ap.add_argument("--repeat", type=int, default=3,
	                help="boots per system in icount mode (the counts must repeat)")
	ap.add_argument("--smp", type=int, default=2, help="vCPUs in parallel mode")
	ap.add_argument("--tally-tick", type=int, default=250,
	                help="Tally's tick in Hz (default 250, the CONFIG_HZ of Debian's kernel)")
	ap.add_argument("--no-ledger-off", action="store_true",
	                help="skip Tally's ledger=off boot (no overhead measurement)")
	ap.add_argument("--no-gogc-off", action="store_true",
	                help="skip Go's second run with the collector off")
	ap.add_argument("--mem", default="512M")
	ap.add_argument("--arch", default="x86_64", choices=("x86_64", "aarch64"),
	                help="Tally's ISA (aarch64: Tally alone, on QEMU's virt; the peers "
	                     "run in an x86_64 Linux guest only)")
	ap.add_argument("--machine", default=None,
	                help="QEMU -machine (default: tally_qemu.py's for the ISA, q35 or "
	                     "virt,gic-version=3)")
	ap.add_argument("--cpu", default=None,
	                help="QEMU -cpu (default: tally_qemu.py's for the ISA, max or cortex-a72)")
	ap.add_argument("--timeout", type=float, default=900, help="seconds per boot")
	ap.add_argument("--kernel", default=None,
	                help="Tally image booted with -kernel (default build/<arch>/kernel.elf; "
	                     "aarch64 boots the Image beside it)")
	ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench"))
	ap.add_argument("--linux-append", default="",
	                help="more Linux guest kernel parameters (e.g. tsc=reliable)")
	ap.add_argument("--smoke", action="store_true")
	ap.add_argument("--no-unit", action="store_true",
	                help="--smoke without the unit tests (when the caller runs them)")
	ap.add_argument("--compare-only", action="store_true")
	ap.add_argument("-v", "--verbose", action="store_true", help="echo every console")
	return ap


def main(argv=None):
	a = parser().parse_args(argv)
	if a.systems is None:
		a.systems = "tally" if a.arch == "aarch64" else "tally,go,pthreads"
	# the launcher's defaults for the ISA (its out, machine and cpu)
	d = load_tally_qemu().default_options(arch=a.arch)
	a.kernel = a.kernel or os.path.join(d.out, "kernel.elf")
	a.machine = a.machine or d.machine
	a.cpu = a.cpu or d.cpu
	if a.arch == "x86_64" and a.machine not in ("q35", "pc"):
		print("bench: --machine: q35 or pc", file=sys.stderr)
		return 2
	if a.arch == "aarch64" and any(s != "tally" for s in a.systems.split(",") if s):
		print("bench: --arch aarch64 runs Tally alone (--systems tally): the Go and "
		      "pthreads peers run in an x86_64 Linux guest", file=sys.stderr)
		return 2
	if re.search(r"\s", a.bench) or re.search(r"\s", a.benchtime):
		print("bench: --bench and --benchtime must not contain blanks", file=sys.stderr)
		return 2
	tq = load_tally_qemu()
	try:
		if a.smoke:
			return smoke(tq, a)
		if a.compare_only:
			d = a.out
			if not os.path.isdir(os.path.join(d, "results")) and \
			   os.path.isdir(os.path.join(d, "latest", "results")):
				d = os.path.join(d, "latest")
			data, _, warnings = compare.compare(d)
			for w in warnings:
				print("bench: warning: " + w)
			return 0 if data else 1
		modes = [m for m in a.modes.split(",") if m]
		systems = [s for s in a.systems.split(",") if s]
		bad = [m for m in modes if m not in compare.MODES] + \
		      [s for s in systems if s not in ("tally", "go", "pthreads")]
		if bad or a.runs < 1 or a.repeat < 1 or a.smp < 1 or a.tally_tick < 0:
			print("bench: bad --modes/--systems/--runs/--repeat/--smp/--tally-tick: %s"
			      % bad, file=sys.stderr)
			return 2
		for f in ("vmlinuz", "init.cpio"):
			if any(s != "tally" for s in systems) and \
			   not os.path.isfile(os.path.join(a.out, f)):
				print("bench: no %s/%s (make bench-guest)" % (a.out, f), file=sys.stderr)
				return 2
		base = a.out
		a.out, commit, dirty, stamp = new_run_dir(base)
		clean_results(a.out)
		print("bench: run directory %s" % os.path.relpath(a.out, ROOT), flush=True)
		failures, boots = [], []
		t0 = time.monotonic()
		for mode in modes:
			failures += run_mode(tq, a, mode, systems, boots)
		print("bench: all boots done in %.0fs" % (time.monotonic() - t0))
		qv = qemu_version(tq)
		with open(os.path.join(a.out, "qemu.txt"), "w") as f:
			f.write(qv + "\n")
			for bt in boots:
				f.write("%s.%s.%d: %s\n" % (bt["mode"], bt["system"], bt["n"],
				                            tq._shell_quote(bt["qemu"])))
		info = {"date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
		        "commit": commit, "dirty": dirty, "qemu": qv, "modes": modes,
		        "systems": systems, "dir": os.path.basename(a.out),
		        "args": {k: getattr(a, k) for k in (
		                 "bench", "benchtime", "runs", "repeat", "smp", "mem", "arch",
		                 "machine", "cpu", "tally_tick", "linux_append")},
		        "linux": {k: v for k, v in linux_config(base).items()
		                  if k in ("CONFIG_HZ", "CONFIG_PREEMPT_DYNAMIC",
		                           "CONFIG_PREEMPT_VOLUNTARY", "CONFIG_PREEMPT_NONE",
		                           "CONFIG_PREEMPT")},
		        "boots": boots, "failures": failures}
		_, _, warnings = compare.compare(a.out, run_info=info)
		for w in warnings:
			print("bench: warning: " + w)
		for f in ("table.txt", "results.json", "cost.svg"):
			if os.path.isfile(os.path.join(a.out, f)):
				shutil.copyfile(os.path.join(a.out, f), os.path.join(base, f))
		print("bench: wrote %s (table.txt, results.json, cost.svg; copies in %s)" % (
			os.path.relpath(a.out, ROOT), os.path.relpath(base, ROOT)))
		for f in failures:
			print("bench: FAILED " + f)
		return 1 if failures else 0
	except KeyboardInterrupt:
		tq.kill_all()
		print("bench: interrupted", file=sys.stderr)
		return 130


if __name__ == "__main__":
	sys.exit(main())

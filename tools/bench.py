#!/usr/bin/env python3
"""bench.py - the `make bench` driver: Tally, Go and pthreads side by side.

Purpose: run the same microbenchmarks on Tally (build/x86_64/kernel.elf,
booted directly with `bench=<regex>` on its command line) and on its two
peers, a Go program and a pthreads program in a Linux guest (Debian's
kernel, tools/bench/), all in the same QEMU configuration (-M, -cpu, -smp,
-m), then compare them (tools/bench/compare.py): a text table, JSON, and a
chart of the kern / rt / user / idle split.  See docs/bench.md.

Measurement modes (both by default):
  icount    deterministic: -icount shift=0,align=off,sleep=off, one vCPU
            (QEMU 7.2 can livelock a multi-vCPU guest under icount), one
            run per system; cycles/op are guest instructions per op
  parallel  multi-threaded TCG, --smp vCPUs (default 2), --runs boots per
            system (default 3); median with min-max
Usage:
  tools/bench.py [--modes icount,parallel] [--systems tally,go,pthreads]
                 [--bench REGEX] [--benchtime 200ms] [--runs 3] [--smp 2]
  tools/bench.py --smoke          the `make bench-smoke` check: unit tests
                                  (tools/bench/test_*.py; --no-unit skips
                                  them), two short guest boots, a comparison;
                                  prints PASS/FAIL lines, then `N passed, M failed`
  tools/bench.py --compare-only   redo the comparison from result files

Files: build/bench/logs/<mode>.<system>.<n>.log (raw serial),
build/bench/results/<mode>.<system>.<n>.txt (the parsed run in Go's format,
fit for benchstat), build/bench/results/<mode>.<system>.status, then
table.txt, results.json, split.svg from compare.py.

Tally's side: a missing kernel.elf or status 64 (the `bench=` option is not
accepted) makes Tally "not available" in the table, which is not an error.
Any other failure of any system (timeout, crash, non-zero status, output
without its `bench: done:` line) makes the exit status 1, after the
comparison of whatever did run.

Invariants: one QEMU at a time (the build machines have two cores shared
by several people); QEMU is started only through tools/tally_qemu.py's boot(),
under a timeout, and killed by its own process group.  Context: stdlib only.
"""

import argparse
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


def boot_opts(tq, a, mode, system):
	"""tally-qemu options for one boot of system in mode."""
	icount = mode == "icount"
	smp = 1 if icount else a.smp
	if system == "tally":
		out = os.path.dirname(os.path.abspath(a.kernel))
		cmdline = "bench=%s benchtime=%s" % (a.bench, a.benchtime)
	else:
		# tally-qemu boots <out>/kernel.elf with -kernel; for the guest that
		# is a link to Debian's vmlinuz (QEMU reads the bzImage header).
		out = os.path.join(a.out, "guest")
		os.makedirs(out, exist_ok=True)
		link = os.path.join(out, "kernel.elf")
		if os.path.islink(link) or os.path.exists(link):
			os.unlink(link)
		os.symlink(os.path.abspath(os.path.join(a.out, "vmlinuz")), link)
		words = ["icount=%s" % ("yes" if icount else "no"), "boot=bzimage",
		         PEER_BIN[system], "-bench", a.bench, "-benchtime", a.benchtime]
		cmdline = "%s %s -- %s" % (LINUX_APPEND, a.linux_append, " ".join(words))
	extra = []
	if system != "tally":
		extra = ["-initrd", os.path.join(a.out, "init.cpio")]
	return tq.default_options(boot="direct", out=out, smp=smp, mem=a.mem,
	                          machine=a.machine, cpu=a.cpu, cmdline=cmdline.strip(),
	                          timeout=a.timeout, icount=icount, raw=True,
	                          extra=extra)


def run_system(tq, a, mode, system, runs):
	"""Boot system runs times in mode; write logs, result files and the
	status file.  Returns a list of failure strings ([] when all is well)."""
	res_dir = os.path.join(a.out, "results")
	log_dir = os.path.join(a.out, "logs")
	status_path = os.path.join(res_dir, "%s.%s.status" % (mode, system))
	failures = []

	def set_status(text):
		with open(status_path, "w") as f:
			f.write(text + "\n")

	if system == "tally" and not os.path.isfile(a.kernel):
		print("bench: [%s] tally: not available (no %s)"
		      % (mode, os.path.relpath(a.kernel, ROOT)), flush=True)
		set_status("not available: no kernel image")
		return []
	for i in range(1, runs + 1):
		tag = "[%s] %s %d/%d" % (mode, system, i, runs)
		opts = boot_opts(tq, a, mode, system)
		err = tq.check_options(opts)
		if err:
			set_status("failed: " + err)
			return ["%s: %s" % (tag, err)]
		print("bench: %s: booting (smp %d%s)" % (tag, opts.smp,
		      ", icount" if opts.icount else ""), flush=True)
		log = os.path.join(log_dir, "%s.%s.%d.log" % (mode, system, i))
		res = tq.boot(opts, Progress(tag, a.verbose), log)
		text = res.raw.decode("utf-8", "replace")
		if system == "tally":
			text = "\n".join(tq.guest_lines(res.raw))
			if res.status == STATUS_BAD_OPTION:
				print("bench: %s: not available (bench= option not accepted, "
				      "status 64)" % tag, flush=True)
				set_status("not available: bench= option not accepted (status 64)")
				return []
		run = benchfmt.parse(text)
		why = None
		if res.status is None:
			why = res.message or "no status"
		elif res.status != 0:
			why = "status %d" % res.status
		elif run.problems():
			why = "; ".join(run.problems())
		print("bench: %s: %d benchmarks in %.1fs%s" % (
			tag, len(run.results), res.elapsed, " -- FAILED: " + why if why else ""),
			flush=True)
		if why:
			failures.append("%s: %s (log: %s)" % (tag, why, os.path.relpath(log, ROOT)))
		with open(os.path.join(res_dir, "%s.%s.%d.txt" % (mode, system, i)), "w") as f:
			f.write(benchfmt.format_run(run))
	set_status("failed: " + failures[0] if failures else "ok")
	return failures


def clean_results(out):
	d = os.path.join(out, "results")
	if os.path.isdir(d):
		shutil.rmtree(d)
	os.makedirs(d)
	os.makedirs(os.path.join(out, "logs"), exist_ok=True)


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


def smoke(tq, a):
	"""Two short boots (Go, pthreads), a comparison, the unit tests."""
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
	data, lines, warnings = compare.compare(a.out, echo=lambda l: print("    " + l))
	rows = {l.split()[0]: l.split() for l in lines if l and l.split()[0] in compare.CONTRACT}
	if ("SpawnJoin" in rows and rows["SpawnJoin"][1] == "-"
	        and rows["SpawnJoin"][2] != "-" and rows["SpawnJoin"][3] != "-"
	        and os.path.isfile(os.path.join(a.out, "results.json"))):
		rep.ok("smoke/compare")
	else:
		rep.fail("smoke/compare", "table without go and pthreads SpawnJoin values")
	for w in warnings:
		print("bench: warning: " + w)
	print("%d passed, %d failed" % (rep.passed, rep.failed))
	return 0 if rep.failed == 0 and rep.passed > 0 else 1


def parser():
	ap = argparse.ArgumentParser(prog="bench.py", description=(
		"Run Tally's benchmarks and their Go and pthreads peers in the same "
		"QEMU configuration and compare them."))
	ap.add_argument("--modes", default="icount,parallel")
	ap.add_argument("--systems", default="tally,go,pthreads")
	ap.add_argument("--bench", default=".", help="benchmark regex (no blanks)")
	ap.add_argument("--benchtime", default="200ms",
	                help="minimum measured guest time per benchmark")
	ap.add_argument("--runs", type=int, default=3, help="boots per system in parallel mode")
	ap.add_argument("--smp", type=int, default=2, help="vCPUs in parallel mode")
	ap.add_argument("--mem", default="512M")
	ap.add_argument("--machine", default="q35", choices=("q35", "pc"))
	ap.add_argument("--cpu", default="max")
	ap.add_argument("--timeout", type=float, default=900, help="seconds per boot")
	ap.add_argument("--kernel", default=os.path.join(ROOT, "build", "x86_64", "kernel.elf"),
	                help="Tally image booted with -kernel")
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
	if re.search(r"\s", a.bench) or re.search(r"\s", a.benchtime):
		print("bench: --bench and --benchtime must not contain blanks", file=sys.stderr)
		return 2
	tq = load_tally_qemu()
	try:
		if a.smoke:
			return smoke(tq, a)
		if a.compare_only:
			data, _, warnings = compare.compare(a.out)
			for w in warnings:
				print("bench: warning: " + w)
			return 0 if data else 1
		modes = [m for m in a.modes.split(",") if m]
		systems = [s for s in a.systems.split(",") if s]
		bad = [m for m in modes if m not in compare.MODES] + \
		      [s for s in systems if s not in compare.SYSTEMS]
		if bad or a.runs < 1 or a.smp < 1:
			print("bench: bad --modes/--systems/--runs/--smp: %s" % bad, file=sys.stderr)
			return 2
		for f in ("vmlinuz", "init.cpio"):
			if any(s != "tally" for s in systems) and \
			   not os.path.isfile(os.path.join(a.out, f)):
				print("bench: no %s/%s (make bench-guest)" % (a.out, f), file=sys.stderr)
				return 2
		clean_results(a.out)
		failures = []
		t0 = time.monotonic()
		for mode in modes:
			for system in systems:
				failures += run_system(tq, a, mode, system,
				                       1 if mode == "icount" else a.runs)
		print("bench: all boots done in %.0fs" % (time.monotonic() - t0))
		_, _, warnings = compare.compare(a.out)
		for w in warnings:
			print("bench: warning: " + w)
		print("bench: wrote %s" % ", ".join(os.path.relpath(os.path.join(a.out, f), ROOT)
		      for f in ("table.txt", "results.json", "split.svg")))
		for f in failures:
			print("bench: FAILED " + f)
		return 1 if failures else 0
	except KeyboardInterrupt:
		tq.kill_all()
		print("bench: interrupted", file=sys.stderr)
		return 130


if __name__ == "__main__":
	sys.exit(main())

#!/usr/bin/env python3
"""gcpause.py - the collector's pauses split into their parts, read from
gctrace=2, for BinaryTrees (the benchmark the heap issue's pause goal names)
and for gc_live (64 MiB live, a mutator per CPU).

Purpose: the numbers docs/heap.md's "The final pause" cites, from one
committed command.  Each run boots one image under QEMU, with gctrace=2 (a
second line per cycle: "gc N pause ns: start S (stop a stacks b) final F
(stop c walk d rescan e stacks f roots g hooks h) D dirty pages T tables"),
and prints a markdown table row: cycles, the longest cycle's pauses (start
+ final, as Go's PauseNs adds a cycle's pauses), their median and 99th
percentile, the worst cycle's parts, and the mean of each part.  Under
-icount shift=0 a ns is one guest instruction.  BinaryTrees' row also
gives the benchmark's own line: instructions for the whole op and
pause-max-ns (from tally_gc_read_stats' pause ring).

Runs (--runs, comma-separated):
  bt1      BinaryTrees, icount, 1 vCPU, gcconc=1
  bt1stw   the same with gcconc=0 (stop-the-world marking)
  live1    gc_live 64 MiB, icount, 1 vCPU, gcconc=1
  live2tcg gc_live 64 MiB, parallel TCG, 2 vCPUs, gcconc=1 (ns, not instructions)
--out DIR keeps each boot's console log there (DIR/<run>.txt).

Context: stdlib only; builds the images with make, boots with
tools/tally_qemu.py (direct boot), each boot under --timeout seconds.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIVE = "build/x86_64/apps/gc_live"

PART = re.compile(
	r"^gc (\d+) pause ns: start (\d+) \(stop (\d+) stacks (\d+)\) final (\d+) \(stop (\d+) walk (\d+) "
	r"rescan (\d+) stacks (\d+) roots (\d+) hooks (\d+)\) (\d+) dirty pages (\d+) tables", re.M)
KEYS = ["n", "start", "start_stop", "start_stacks", "final", "stop", "walk", "rescan", "stacks", "roots",
        "hooks", "dirty", "tables"]
BENCH = re.compile(r"^BenchmarkBinaryTrees-\d+\s+\d+\s+([\d.]+) ns/op.*?([\d.]+) pause-max-ns", re.M)

RUNS = {
	"bt1": ("bench", 1, True, 1),
	"bt1stw": ("bench", 1, True, 0),
	"live1": ("live", 1, True, 1),
	"live2tcg": ("live", 2, False, 1),
}


def boot(run, timeout):
	kind, smp, icount, conc = RUNS[run]
	if kind == "bench":
		out = "build/x86_64"
		cmdline = ("bench=^BenchmarkBinaryTrees$ benchtime=200ms icount=%s tick=250 gcconc=%d gctrace=2" %
		           ("yes" if icount else "no", conc))
	else:
		out = LIVE
		cmdline = "gcconc=%d gctrace=2 -- 64 6" % conc
	cmd = [sys.executable, "tools/tally_qemu.py", "--boot", "direct", "--out", out,
	       "--smp", str(smp), "--timeout", str(timeout), "--cmdline", cmdline]
	if icount:
		cmd.append("--icount")
	p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
	return p.returncode, p.stdout, " ".join(["python3"] + cmd[1:])


def cycles_of(text, kind):
	cs = [dict(zip(KEYS, (int(x) for x in m.groups()))) for m in PART.finditer(text)]
	if kind == "live":  # the steady state: the cycles after the live heap was built
		at = text.find("gc_live: built")
		built = len(PART.findall(text[:at])) if at >= 0 else 0
		cs = cs[built:]
	return cs


def pct(xs, q):
	xs = sorted(xs)
	return xs[min(len(xs) - 1, int(q * len(xs)))]


def row(run, cs, text):
	total = [c["start"] + c["final"] for c in cs]
	w = cs[total.index(max(total))]

	def mean(k):
		return sum(c[k] for c in cs) / len(cs)

	bench = BENCH.search(text)
	extra = "%.4g / %.0f" % (float(bench.group(1)), float(bench.group(2))) if bench else "-"
	parts = "/".join(str(w[k]) for k in ("start_stacks", "stop", "walk", "rescan", "stacks", "roots", "hooks"))
	means = "/".join("%.0f" % mean(k) for k in ("start_stacks", "stop", "walk", "rescan", "stacks", "roots",
	                                              "hooks"))
	return "| %s | %d | %d (%d+%d) | %d | %d | %s | %d, %d | %s | %.0f, %.1f | %s |" % (
	    run, len(cs), max(total), w["start"], w["final"], statistics.median(total), pct(total, 0.99), parts,
	    w["dirty"], w["tables"], means, mean("dirty"), mean("tables"), extra)


def main(argv=None):
	ap = argparse.ArgumentParser(prog="gcpause.py", description=__doc__.split("\n")[0])
	ap.add_argument("--runs", default="bt1,live1")
	ap.add_argument("--timeout", type=int, default=900)
	ap.add_argument("--out", help="keep each boot's console here")
	ap.add_argument("-v", "--verbose", action="store_true")
	args = ap.parse_args(argv)
	for r in args.runs.split(","):
		if r not in RUNS:
			ap.error("unknown run %r (known: %s)" % (r, ", ".join(RUNS)))
	for target in (["make", "-s", "kernel", "bench-guest"], ["make", "-s", "APP=tests/apps/gc_live.c", "OUT=" + LIVE]):
		if subprocess.run(target, cwd=ROOT).returncode:
			return 1
	print("| run | cycles | max pause: start+final | median | p99 | worst cycle's parts: start stacks / "
	      "final stop / walk / rescan / stacks / roots / hooks | its dirty pages, tables | mean parts (same "
	      "order) | mean dirty pages, tables | BinaryTrees: instructions / pause-max-ns |")
	print("|---|--:|--:|--:|--:|---|--:|---|--:|--:|")
	failed = 0
	for run in args.runs.split(","):
		rc, text, cmd = boot(run, args.timeout)
		if args.out:
			os.makedirs(args.out, exist_ok=True)
			with open(os.path.join(args.out, run + ".txt"), "w") as f:
				f.write("# " + cmd + "\n" + text)
		cs = cycles_of(text, RUNS[run][0])
		ok = rc == 0 and cs and (RUNS[run][0] != "live" or re.search(r"^gc_live: ok ", text, re.M))
		if args.verbose or not ok:
			sys.stderr.write(text)
		if not ok:
			print("| %s | FAILED (status %d) | | | | | | | | |" % (run, rc))
			failed += 1
			continue
		print(row(run, cs, text), flush=True)
		sys.stderr.write("gcpause: %s: %s\n" % (run, cmd))
	return 1 if failed else 0


if __name__ == "__main__":
	sys.exit(main())

#!/usr/bin/env python3
"""gcalloc.py - BenchmarkGCAlloc64's cost per object split by ledger class,
and, for the same run's collections, the heap against its goal and the
marking's share of the CPU, read from gctrace=2.

Purpose: the numbers docs/heap.md cites for the heap issue's goals "at most
100 instructions per 64-byte object including amortised GC", "heap at most
2x live at GOGC=100" and "at most 25% of CPU in GC while marking" on the
allocation benchmark, from one committed command.  Each run boots the kernel
image directly under QEMU with -icount shift=0 (one guest instruction per
ns), one vCPU, `bench=^BenchmarkGCAlloc64$ benchtime=200ms icount=yes
tick=250 gctrace=2` (plus the run's own options), and prints a markdown row:
  - instructions per object (the benchmark's ns/op) and their split by the
    ledger's classes (its %class columns x ns/op);
  - the timed run's cycles: its gc-cycles column says how many; they are the
    last that many gctrace lines before the benchmark's line (the probe runs
    before it collect too);
  - over those cycles: the heap at the start pause and when marking ended,
    its largest value over the goal the cycle ran against (a gctrace line's
    goal is the one its cycle set for the next, so the line before's; for
    a live heap under 2 MiB the goal is the 4 MiB minimum, so live x 2 does
    not apply: the goal is the bound), and the live heap the cycle left;
  - marking's CPU while it ran: the worker's and assists' ns over the
    concurrent phase's ns x P, summed over the cycles, and the largest.

Runs (--runs, comma-separated): conc (gcconc=1, the default collector) and
stw (gcconc=0).  --out DIR keeps each boot's console as DIR/<run>.txt;
--logs DIR renders the rows from consoles kept so (any file DIR/<name>.txt,
no boot; a console from before gctrace=2 gave the heap and marking fields
has only the first columns).
Context: stdlib only; builds with make, boots with tools/tally_qemu.py.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CMDLINE = "bench=^BenchmarkGCAlloc64$ benchtime=200ms icount=yes tick=250 gctrace=2"
RUNS = {"conc": "gcconc=1", "stw": "gcconc=0"}
LINE2 = re.compile(r"^gc \d+ pause ns: .*; heap (\d+)->(\d+)->(\d+) goal (\d+) bytes; "
                   r"marking (\d+)\+(\d+) of (\d+) ns x (\d+) P(?:;|$)", re.M)
BENCH = re.compile(r"^BenchmarkGCAlloc64-\d+\s+(\d+)\s+([\d.]+) ns/op(.*)$", re.M)
CLASS = re.compile(r"([\d.]+) %(\S+)")
# gctrace=1's line, for consoles from before gctrace=2 had the heap in
# bytes: the heap in whole MB, marking as "mark N% of P P" of the
# concurrent phase's ms
LINE1 = re.compile(r"^gc \d+ @\S+ \d+%: .*?, ([\d.]+) ms concurrent \(.*?mark (\d+)% of (\d+) P.*?\), "
                   r"sweep [\d.]+ ms, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal", re.M)


def boot(run, timeout):
	cmd = [sys.executable, "tools/tally_qemu.py", "--boot", "direct", "--out", "build/x86_64", "--smp", "1",
	       "--icount", "--timeout", str(timeout), "--cmdline", CMDLINE + " " + RUNS[run]]
	p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
	return p.returncode, p.stdout, " ".join(["python3"] + cmd[1:])


def parse(text):
	"""(ops, insns/op, {class: insns/op}, gc-cycles, [cycle dicts of the timed run]) or None."""
	m = BENCH.search(text)
	if not m:
		return None
	per_op = float(m.group(2))
	cols = dict((k, float(v)) for v, k in CLASS.findall(m.group(3)))
	gcn = re.search(r"([\d.]+) gc-cycles", m.group(3))
	n = int(float(gcn.group(1))) if gcn else 0
	cs, prev = [], None
	for c in LINE2.finditer(text[:m.start()]):
		before, end, live, goal, mark, assist, conc, p = (int(x) for x in c.groups())
		# a line's goal is the one the cycle set for the next: the goal
		# this cycle ran against is the line before's (the first line's:
		# the 4 MiB minimum, as nothing is live before it)
		cs.append(dict(before=before, end=end, live=live, goal=prev or 4 << 20, gc=mark + assist, wall=conc * p))
		prev = goal
	if not cs:  # an older console: MB and percent resolution
		for c in LINE1.finditer(text[:m.start()]):
			conc, pct, p = float(c.group(1)) * 1e6, int(c.group(2)), int(c.group(3))
			before, end, live, goal = (int(x) << 20 for x in c.groups()[3:])
			cs.append(dict(before=before, end=end, live=live, goal=prev or 4 << 20, gc=conc * p * pct / 100,
			               wall=conc * p))
			prev = goal
	split = dict((k, v * per_op / 100) for k, v in cols.items() if k in ("user", "kern") or k.startswith("rt."))
	return int(m.group(1)), per_op, split, n, cs[len(cs) - n:] if n else []


def row(run, r):
	ops, per_op, split, n, cs = r
	order = ["user", "rt.alloc", "rt.gc.mark", "rt.gc.sweep", "rt.gc.stw", "kern"]
	parts = ", ".join("%s %.1f" % (k, split[k]) for k in order if k in split)
	if not cs:
		return "| %s | %d | %.1f | %s | %d | - | - | - | - |" % (run, ops, per_op, parts, n)
	peak = max(max(c["before"], c["end"]) for c in cs)
	over_goal = max(max(c["before"], c["end"]) / c["goal"] for c in cs)
	lives = [c["live"] for c in cs]
	gc = sum(c["gc"] for c in cs)
	wall = sum(c["wall"] for c in cs)
	worst = max((c["gc"] / c["wall"] for c in cs if c["wall"]), default=0)
	return "| %s | %d | %.1f | %s | %d | %.2f MiB, %.2f x goal (%.0f MiB) | %.1f KiB (median) | %s | %s |" % (
	    run, ops, per_op, parts, n, peak / 2**20, over_goal, statistics.median(c["goal"] for c in cs) / 2**20,
	    statistics.median(lives) / 1024, "%.0f%% (largest %.0f%%)" % (100 * gc / wall, 100 * worst) if wall
	    else "- (no concurrent phase)", "%.0f" % (statistics.mean(c["gc"] for c in cs)))


def main(argv=None):
	ap = argparse.ArgumentParser(prog="gcalloc.py", description=__doc__.split("\n")[0])
	ap.add_argument("--runs", default="conc,stw")
	ap.add_argument("--timeout", type=int, default=600)
	ap.add_argument("--out", help="keep each boot's console here")
	ap.add_argument("--logs", help="render the rows from the consoles kept in this folder; no boot")
	ap.add_argument("-v", "--verbose", action="store_true")
	args = ap.parse_args(argv)
	if not args.logs:
		for r in args.runs.split(","):
			if r not in RUNS:
				ap.error("unknown run %r (known: %s)" % (r, ", ".join(RUNS)))
		if subprocess.run(["make", "-s", "kernel"], cwd=ROOT).returncode:
			return 1
	print("| run | objects | instructions / object | split by class (instructions / object) | cycles | "
	      "largest heap (start pause or end of mark), over the goal | live after a cycle | marking's CPU "
	      "while marking (all cycles) | marking CPU per cycle (ns, mean) |")
	print("|---|--:|--:|---|--:|--:|--:|--:|--:|")
	failed = 0
	if args.logs:
		for name in sorted(f[:-4] for f in os.listdir(args.logs) if f.endswith(".txt")):
			with open(os.path.join(args.logs, name + ".txt")) as f:
				r = parse(f.read())
			print(row(name, r) if r else "| %s | no BenchmarkGCAlloc64 line | | | | | | | |" % name)
			failed += not r
		return 1 if failed else 0
	for run in args.runs.split(","):
		rc, text, cmd = boot(run, args.timeout)
		if args.out:
			os.makedirs(args.out, exist_ok=True)
			with open(os.path.join(args.out, run + ".txt"), "w") as f:
				f.write("# " + cmd + "\n" + text)
		r = parse(text) if rc == 0 else None
		if args.verbose or not r:
			sys.stderr.write(text)
		if not r:
			print("| %s | FAILED (status %d) | | | | | | | |" % (run, rc))
			failed += 1
			continue
		print(row(run, r), flush=True)
		sys.stderr.write("gcalloc: %s: %s\n" % (run, cmd))
	return 1 if failed else 0


if __name__ == "__main__":
	sys.exit(main())

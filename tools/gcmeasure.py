#!/usr/bin/env python3
"""gcmeasure.py - the collector's pauses, their parts, its CPU share while
marking and the heap against the live heap, with a large live heap and a
mutator on every CPU (tests/apps/gc_live.c), read from gctrace=1.

Purpose: the numbers docs/heap.md cites for the concurrent collector, from
one committed command.  Each run boots gc_live (MiB live, then a mutator per
CPU until `cycles` more collections ran) and keeps the cycles after the
live heap was built (the steady state).  Per run it prints, as a markdown
table row:
  - pauses: the start and final pause, max and median (ms; under icount one
    ms is 10^6 guest instructions, shift=0), and the final pause's parts,
    averaged: stop (waiting for every CPU), walk (the dirty-bit walk of the
    heap, data and stacks' page-table entries), rescan (dirty pages
    re-scanned), drain (the collector's own stack and what is left grey);
    the start pause's stack scan; the record's clearing walk and its sync
    (a TLB shootdown) before the start pause, which are not in a pause;
  - mark CPU: marking's and assists' CPU time over the concurrent phase's
    wall time x P (gctrace's "mark N% of P P"), averaged;
  - the ledger's rt.gc.* classes over the whole run (% of all CPUs' time);
  - heap: the heap when marking ended over the live heap it found (the
    marked bytes, floating garbage included), and over the app's true live
    size; the worst cycle of each; and over the goal the cycle ran against
    (2 x the live heap the cycle before found, at GOGC=100; the goal of the
    line before, as a line's goal is the next cycle's), in bytes from gctrace=2's
    second line (the boots run with gctrace=2; the ratios above use its
    bytes too where the line is there, whole MB otherwise).

  - the concurrent phase's wall time (ms, mean), and each CPU's share of
    its time in rt.gc.mark over the whole run (marking spread over the
    CPUs: the collector's and, with P > 1, its helpers');
  - re-scans / mark CPU: the part of marking's CPU (the collector's,
    its helpers' and assists') spent re-scanning dirty heap and data
    pages, all rounds (gctrace=2's "re-scans"), averaged over the cycles;
  - mark CPU a cycle: marking's and assists' CPU time a cycle (ms, mean),
    and the cycle period: the time from one cycle's start to the next's
    (ms, mean): the mutators allocate a cycle's worth in it;
  - assists / mark CPU: the assists' part of marking's and assists' CPU,
    over all the cycles (gctrace=2's "marking M+A").
A second table, for consoles that have gc_live's allocation line: the
mutators' phase, what they allocated in it, and the rate (bytes a us of
virtual time: under icount 1000 instructions of a vCPU), beside the mark
CPU (--work lowers the rate).

The Go peer (runs go-icountN, go-tcgN): the same program in Go 1.19
(tools/bench/go/gclive.go, `gobench -gclive MIB,CYCLES`) in the Linux
guest of `make bench` (`make bench-guest`), booted in the same QEMU
configuration, measured from its GODEBUG=gctrace=1 lines, the cycles
after the build, forced ones left out.  Its rows, in a table of their
own, give Go's two pauses (sweep termination and mark termination, wall
clock), its marking's CPU over the concurrent phase's wall time x P (the
assists', the background workers' and the idle-time workers' CPU;
without the idle-time workers too, and the assists' part), the heap at
the end of marking over the live heap it marked and over the program's
true live size (whole MB, as Go prints them), the concurrent phase, the
cycle period and the marking's CPU a cycle (as Tally's rows have them).

Usage: tools/gcmeasure.py [--mib 64] [--cycles 6] [--runs icount1,tcg2,...]
  [--gogc N] [--work N] [--out DIR]
       tools/gcmeasure.py [--mib 64] --from CONSOLE...   (rows from kept
  consoles, booting nothing)
  icountN: -icount shift=0 with N vCPUs; tcgN: parallel TCG with N vCPUs;
  a trailing "stw" (icount1stw) boots with gcconc=0 (stop-the-world
  marking) for comparison, a trailing "solo" (icount2solo) with
  gchelpers=0 (the collecting goroutine marks alone), a trailing "gen"
  (tcg2gen) with gcgen=1 (generational minor cycles: a second table
  splits their cycles by kind); the others with
  gcconc=1 and the default helpers.  --work N has gc_live's mutators read
  N nodes after each replacement (gc_live's fourth argument): the same
  program allocating less per instruction.  --out DIR keeps each boot's
  console as DIR/<run>.txt.
Context: stdlib only; builds the image with make, boots with
tools/tally_qemu.py; each boot is given --timeout seconds.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = "build/x86_64/apps/gc_live"

NUM = r"(\d+\.\d+)"
GC = re.compile(
	r"^gc (\d+) @([\d.]+)s \d+%: " + NUM + r" ms stw \(start " + NUM + r": stop " + NUM + r" stacks " + NUM +
	r"; final " + NUM + r": stop " + NUM + r" walk " + NUM + r" rescan " + NUM + r" drain " + NUM +
	r"\), " + NUM + r" ms concurrent \(clear " + NUM + r"\+" + NUM + r" sync, mark (\d+)% of (\d+) P, "
	r"(\d+) rounds\), sweep " + NUM + r" ms, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal, \d+ P, (\d+)\+(\d+) "
	r"dirty pages")
LINE2 = re.compile(r"^gc (\d+) pause ns: .*; heap (\d+)->(\d+)->(\d+) goal (\d+) bytes;")
# gcgen=1: the cycle's kind at the end of its first line
# (since spans dense with old objects are set aside: ", N spans aside (M MB free)" after it)
KIND = re.compile(r", (?:minor: (\d+) remembered pages|full: marks cleared in [\d.]+ ms)"
                  r"(?:, (\d+) spans aside \((\d+) MB free\))?$")
# marking's CPU (the collector's and helpers' + assists') and the part of
# it spent re-scanning dirty heap and data pages (all rounds)
RESCAN = re.compile(r"; marking (\d+)\+(\d+) of \d+ ns x \d+ P; re-scans (\d+) ns$")
FIELDS = ["n", "at", "pause", "start", "stop1", "stacks", "final", "stop2", "walk", "rescan", "drain", "conc",
          "clear", "sync", "markpct", "p", "rounds", "sweep", "before", "end", "live", "goal", "dirty",
          "dirty2"]


def parse(text):
	cycles, built, prev_goal = [], False, None
	ledger = None
	percpu = []
	for line in text.splitlines():
		if re.match(r"ledger: cpu\d+ ", line):
			percpu.append(ledger_share(line, "rt.gc.mark").get("rt.gc.mark", 0.0))
		if line.startswith("gc_live:") and "built" in line:
			built = True
			continue
		m = GC.match(line)
		if m and built:
			cycles.append(dict(zip(FIELDS, (float(x) for x in m.groups()))))
			k = KIND.search(line)
			if k:
				cycles[-1]["kind"] = "minor" if k.group(1) is not None else "full"
				cycles[-1]["remembered"] = int(k.group(1) or 0)
				if k.group(2) is not None:
					cycles[-1]["aside"] = int(k.group(2))
					cycles[-1]["asidemb"] = int(k.group(3))
		m2 = LINE2.match(line)
		if m2 and built and cycles and cycles[-1]["n"] == float(m2.group(1)) and prev_goal:
			# the line's goal is the one its cycle set for the next: the
			# goal this cycle ran against is the line before's
			b = [float(x) / 2**20 for x in m2.groups()[1:]]
			cycles[-1].update(before=b[0], end=b[1], live=b[2], goal=prev_goal, bytes=True)
			r = RESCAN.search(line)
			if r and int(r.group(1)) + int(r.group(2)):
				cycles[-1]["rescanpct"] = 100.0 * int(r.group(3)) / (int(r.group(1)) + int(r.group(2)))
				cycles[-1]["markms"] = (int(r.group(1)) + int(r.group(2))) / 1e6
				cycles[-1]["assistms"] = int(r.group(2)) / 1e6
		if m2:
			prev_goal = float(m2.group(5)) / 2**20
		if line.startswith("ledger: total") or (line.startswith("ledger: cpu0 ") and ledger is None):
			ledger = line  # one CPU: no total line
	return cycles, ledger, percpu


def ledger_share(line, prefix):
	if not line:
		return {}
	m = re.search(r"elapsed (\d+) cycles", line)
	total = float(m.group(1)) if m else 0
	out = {}
	for k, v in re.findall(r"(\S+)=(\d+)\(", line):
		if k.startswith(prefix) and total:
			out[k] = 100.0 * float(v) / total
	return out


def boot(run, mib, cycles, timeout, gogc=None, work=0):
	conc, helpers, gen, mode = 1, 1, 0, run
	if run.endswith("stw"):
		conc, mode = 0, run[:-3]
	elif run.endswith("solo"):
		helpers, mode = 0, run[:-4]
	elif run.endswith("gen"):
		gen, mode = 1, run[:-3]
	icount = mode.startswith("icount")
	smp = int(re.sub(r"\D", "", mode) or "1")
	cmd = [sys.executable, "tools/tally_qemu.py", "--boot", "direct", "--out", OUT,
	       "--smp", str(smp), "--timeout", str(timeout),
	       "--cmdline", "gcconc=%d gchelpers=%d%s gctrace=2%s -- %d %d" % (
	           conc, helpers, " gcgen=1" if gen else "", " gogc=%d" % gogc if gogc is not None else "", mib,
	           cycles) + (" 0 %d" % work if work else "")]
	if icount:
		cmd.append("--icount")
	p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
	return p.returncode, p.stdout, " ".join(cmd[1:])


def row(run, mib, cs, ledger, percpu):
	def mx(k):
		return max(c[k] for c in cs)

	def med(k):
		return statistics.median(c[k] for c in cs)

	def avg(k):
		return sum(c[k] for c in cs) / len(cs)

	gcl = ledger_share(ledger, "rt.gc")
	shares = ", ".join("%s %.1f%%" % (k, v) for k, v in sorted(gcl.items()))
	ratio_found = max(c["end"] / c["live"] for c in cs if c["live"])
	ratio_true = max(c["end"] / mib for c in cs)
	rs = [c["rescanpct"] for c in cs if "rescanpct" in c]
	rescan = "%.0f%%" % (sum(rs) / len(rs)) if len(rs) == len(cs) else "-"
	mk = [c["markms"] for c in cs if "markms" in c]
	markms = "%.1f" % (sum(mk) / len(mk)) if len(mk) == len(cs) else "-"
	assist = "%.1f%%" % (100.0 * sum(c["assistms"] for c in cs) / sum(mk)) \
		if len(mk) == len(cs) and sum(mk) else "-"
	period = "%.1f" % (1000 * (cs[-1]["at"] - cs[0]["at"]) / (len(cs) - 1)) if len(cs) > 1 else "-"
	goal = "%.4f" % max(c["end"] / c["goal"] for c in cs) if all(c.get("bytes") for c in cs) else "-"
	return ("| %s | %d | %.3f / %.3f | %.3f / %.3f | %.3f / %.3f / %.3f / %.3f | %.3f | %.3f + %.3f | "
	        "%.0f%% | %s | %.3f | %.3f | %.0f+%.0f | %s | %.3f | %s | %s | %s | %s | %s |" % (
	            run, len(cs), mx("start"), med("start"), mx("final"), med("final"), avg("stop2"),
	            avg("walk"), avg("rescan"), avg("drain"), avg("stacks"), avg("clear"), avg("sync"),
	            avg("markpct"), shares or "-", ratio_found, ratio_true, avg("dirty"), avg("dirty2"), goal,
	            avg("conc"), " / ".join("%.1f%%" % v for v in percpu) or "-", rescan, markms, period, assist))


GEN_HEADER = ("| run (gcgen=1) | minor / full cycles | mark CPU, minor / full | mark CPU a cycle (ms), "
              "minor / full | remembered pages (minor, mean) | spans set aside, MB free in them (mean) |"
              "\n|---|--:|--:|--:|--:|--:|")


def row_gen(run, cs):
	"""The measured cycles by kind (gcgen=1 consoles), or None."""
	if not any("kind" in c for c in cs):
		return None
	by = {k: [c for c in cs if c.get("kind") == k] for k in ("minor", "full")}

	def mean(k, key, fmt):
		v = [c[key] for c in by[k] if key in c]
		return fmt % (sum(v) / len(v)) if v and len(v) == len(by[k]) else "-"

	aside = [c for c in cs if "aside" in c]
	aside = "%.0f, %.0f" % (sum(c["aside"] for c in aside) / len(aside),
	                        sum(c["asidemb"] for c in aside) / len(aside)) if aside else "-"
	return "| %s | %d / %d | %s / %s | %s / %s | %s | %s |" % (
		run, len(by["minor"]), len(by["full"]), mean("minor", "markpct", "%.0f%%"),
		mean("full", "markpct", "%.0f%%"), mean("minor", "markms", "%.1f"), mean("full", "markms", "%.1f"),
		mean("minor", "remembered", "%.0f"), aside)


# Go 1.19's gctrace=1 line (runtime/mgc.go): clock = sweep termination
# (a pause) + concurrent mark + mark termination (a pause); cpu = the
# pauses' CPU and, between them, assists / background workers / idle-time
# workers; heap at the start -> at mark termination -> marked live.
GO_GC = re.compile(
	r"^gc (\d+) @([\d.]+)s \d+%: ([\d.]+)\+([\d.]+)\+([\d.]+) ms clock, [\d.]+\+([\d.]+)/([\d.]+)/"
	r"([\d.]+)\+[\d.]+ ms cpu, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal, .*?(\d+) P( \(forced\))?$")
GO_FIELDS = ["n", "at", "stw1", "conc", "stw2", "assist", "bg", "idle", "before", "end", "live", "goal", "p"]
GUEST = "build/bench"


ALLOC_HEADER = ("| run | mutators' phase (ms) | allocated (MB) | bytes a us | mark CPU |\n"
                "|---|--:|--:|--:|--:|")


def row_alloc(run, text):
	"""gc_live's allocation rate over its mutators' phase (its line
	`the mutators allocated ...`; under icount shift=0 a us is 1000
	instructions of each vCPU), beside the mark CPU of the main table;
	None for a console without the line."""
	m = re.search(r"^gc_live: the mutators allocated (\d+) MB in (\d+) ms, (\d+) bytes a us$", text, re.M)
	cs = parse(text)[0]
	if not m or not cs:
		return None
	return "| %s | %s | %s | %s | %.0f%% |" % (run, m.group(2), m.group(1), m.group(3),
	                                         sum(c["markpct"] for c in cs) / len(cs))


def parse_go(text):
	"""The cycles after gc_live's build line, forced ones left out."""
	cycles, built = [], False
	for line in text.splitlines():
		line = line.strip()
		if line.startswith("gc_live:") and "built" in line:
			built = True
			continue
		m = GO_GC.match(line)
		if m and built and not m.group(14):
			cycles.append(dict(zip(GO_FIELDS, (float(x) for x in m.groups()[:13]))))
	return cycles


def boot_go(run, mib, cycles, timeout, gogc=None, work=0):
	"""The Go peer's boot; it has no --work (main refuses the pair up front)."""
	if work:
		raise ValueError("--work: the Go peer has no such argument")
	mode = run[len("go-"):]
	icount = mode.startswith("icount")
	smp = int(re.sub(r"\D", "", mode) or "1")
	b = subprocess.run(["make", "-s", "bench-guest"], cwd=ROOT, stdout=subprocess.PIPE,
	                   stderr=subprocess.STDOUT, text=True)
	if b.returncode:
		return b.returncode, b.stdout, "make bench-guest"
	out = os.path.join(ROOT, GUEST, "gclive-guest")
	os.makedirs(out, exist_ok=True)
	link = os.path.join(out, "kernel.elf")  # tally-qemu boots <out>/kernel.elf
	if os.path.lexists(link):
		os.unlink(link)
	os.symlink(os.path.join("..", "vmlinuz"), link)
	cmd = [sys.executable, "tools/tally_qemu.py", "--boot", "direct", "--out", os.path.relpath(out, ROOT),
	       "--smp", str(smp), "--timeout", str(timeout), "--raw",
	       "--extra=-initrd", "--extra=" + GUEST + "/init.cpio",
	       "--cmdline", "console=ttyS0 quiet loglevel=3 panic=-1 -- icount=%s boot=bzimage gobench%s "
	       "-gclive %d,%d" % ("yes" if icount else "no", " -gogc %d" % gogc if gogc is not None else "",
	                          mib, cycles)]
	if icount:
		cmd.append("--icount")
	p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
	                   errors="replace")
	return p.returncode, p.stdout, " ".join(cmd[1:])


def row_go(run, mib, cs):
	def pct(c, idle=True):
		return 100.0 * (c["assist"] + c["bg"] + (c["idle"] if idle else 0)) / (c["conc"] * c["p"])

	pauses = [max(c["stw1"], c["stw2"]) for c in cs]
	mark = [c["assist"] + c["bg"] + c["idle"] for c in cs]
	assist = 100.0 * sum(c["assist"] for c in cs) / sum(mark) if sum(mark) else 0.0
	period = "%.1f" % (1000 * (cs[-1]["at"] - cs[0]["at"]) / (len(cs) - 1)) if len(cs) > 1 else "-"
	return "| %s | %d | %.3f / %.3f | %.0f%% | %.0f%% | %.0f%% | %.3f | %.3f | %.1f | %s | %.1f |" % (
		run, len(cs), max(pauses), statistics.median(pauses), sum(pct(c) for c in cs) / len(cs),
		sum(pct(c, False) for c in cs) / len(cs), assist,
		max(c["end"] / c["live"] for c in cs if c["live"]), max(c["end"] / mib for c in cs),
		sum(c["conc"] for c in cs) / len(cs), period, sum(mark) / len(mark))


GO_HEADER = ("| run | cycles | pause max / median (ms) | mark CPU | without idle-time workers | assists / mark CPU "
             "| heap end / found live | heap end / true live | concurrent phase (ms, mean) | cycle period (ms, mean) "
             "| mark CPU a cycle (ms, mean) |\n"
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")


def console(args, run, booter):
	"""(status, console text, command, run name) of one run: the kept
	console with --from, else a boot by booter (kept with --out)."""
	if args.consoles:
		with open(run) as f:
			return 0, f.read(), "console " + run, os.path.splitext(os.path.basename(run))[0]
	rc, text, cmd = booter(run, args.mib, args.cycles, args.timeout, args.gogc, args.work)
	if args.out:
		os.makedirs(args.out, exist_ok=True)
		with open(os.path.join(args.out, run + ".txt"), "w") as f:
			f.write("# " + cmd + "\n" + text)
	return rc, text, cmd, run


def ok_console(args, rc, text):
	"""gc_live ended well; the console goes to stderr when not (or -v)."""
	ok = rc == 0 and re.search(r"^gc_live: ok ", text, re.M)
	if args.verbose or not ok:
		sys.stderr.write(text)
	return ok


def main(argv=None):
	ap = argparse.ArgumentParser(prog="gcmeasure.py", description=__doc__.split("\n")[0])
	ap.add_argument("--mib", type=int, default=64)
	ap.add_argument("--cycles", type=int, default=6)
	ap.add_argument("--runs", default="icount1,icount1stw,tcg2")
	ap.add_argument("--timeout", type=int, default=900)
	ap.add_argument("--gogc", type=int, help="GOGC for every run (Tally: gogc=, Go: -gogc; default 100)")
	ap.add_argument("--work", type=int, default=0,
	                help="gc_live's mutators read N nodes after each replacement (Tally only): "
	                     "less allocation per instruction")
	ap.add_argument("--out", help="keep each boot's console here")
	ap.add_argument("-v", "--verbose", action="store_true")
	ap.add_argument("--from", dest="consoles", nargs="+", metavar="FILE",
	                help="boot nothing: one row per console kept by --out (the run named by the file)")
	args = ap.parse_args(argv)
	runs = args.consoles or args.runs.split(",")
	is_go = [os.path.basename(r).startswith("go-") for r in runs]
	if args.work and any(is_go) and not args.consoles:
		ap.error("--work: the Go peer has no such argument")
	if not args.consoles and not all(is_go):
		b = subprocess.run(["make", "-s", "APP=tests/apps/gc_live.c", "OUT=" + OUT], cwd=ROOT)
		if b.returncode:
			return b.returncode
	failed = 0
	if any(is_go):
		print(GO_HEADER)
	for run in [r for r, g in zip(runs, is_go) if g]:
		rc, text, cmd, run = console(args, run, boot_go)
		cs = parse_go(text)
		if not ok_console(args, rc, text) or not cs:
			print("| %s | FAILED (status %d) | | | | | | | | | |" % (run, rc))
			failed += 1
			continue
		print(row_go(run, args.mib, cs), flush=True)
		sys.stderr.write("gcmeasure: %s: %s\n" % (run, cmd))
	runs = [r for r, g in zip(runs, is_go) if not g]
	if not runs:
		return 1 if failed else 0
	print("| run | cycles | start pause max / median (ms) | final pause max / median (ms) | final: stop / "
	      "walk / rescan / drain (ms, mean) | start: stacks (ms) | clear walk + sync (ms) | mark CPU | "
	      "ledger rt.gc.* (all CPUs) | heap end / found live | heap end / true live | dirty pages "
	      "(concurrent+final, mean) | heap end / goal | concurrent phase (ms, mean) | rt.gc.mark by CPU | "
	      "re-scans / mark CPU | mark CPU a cycle (ms, mean) | cycle period (ms, mean) | assists / mark CPU |")
	print("|---|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|")
	gen, alloc = [], []
	for run in runs:
		rc, text, cmd, run = console(args, run, boot)
		cs, ledger, percpu = parse(text)
		if not ok_console(args, rc, text) or not cs:
			print("| %s | FAILED (status %d) | | | | | | | | | | | | | | | | | |" % (run, rc))
			failed += 1
			continue
		print(row(run, args.mib, cs, ledger, percpu), flush=True)
		sys.stderr.write("gcmeasure: %s: %s\n" % (run, cmd))
		g = row_gen(run, cs)
		if g:
			gen.append(g)
		a = row_alloc(run, text)
		if a:
			alloc.append(a)
	if gen:
		print("\n" + GEN_HEADER + "\n" + "\n".join(gen))
	if alloc:
		print("\n" + ALLOC_HEADER + "\n" + "\n".join(alloc))
	return 1 if failed else 0


if __name__ == "__main__":
	sys.exit(main())

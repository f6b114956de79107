#!/usr/bin/env python3
"""ledger_overhead - the cost ledger's own cost, measured: the same on-target
benchmarks booted with the ledger on and with `ledger=off`, side by side.

Purpose: the ledger promises to cost under 2% on the scheduler's hot paths.
The report's old estimate (transitions x a best-case cost) was not a
measurement; this is one.  Each benchmark runs in two boots of the same
kernel.elf, identical but for `ledger=off` (which stops every transition,
kernel/ledger.h), and the overhead is on/off - 1 of the per-op cost.

Modes:
    icount    `-icount shift=0` (tools/tally_qemu.py --icount): cycles/op are
              guest instructions per op, deterministic, so one boot per side
              suffices (--runs repeats them and the script checks they agree).
              Under icount `rdtsc` counts as one instruction, while it costs
              tens of cycles on hardware: this mode measures the instructions
              a transition adds, not its latency.
    parallel  multi-threaded TCG, the guest TSC is the host's: ns/op, noisy;
              --runs boots per side (default 3), the median is compared.

Benchmarks (default): SpawnJoin, YieldPingPong, ChanPingPongOneP at
--benchtime (default 10000x), Skynet (one op = 10^6 leaves) at 1x and
PrimeSieve (one op = the first 100 primes) at 20x, a boot per count.  On-side lines also carry the class split
(%kern %rt %user %idle), written to the JSON so a cheaper ledger can be
checked for moving rt.sched into user, and the ledger's transitions per
op (the JSON's transitions_op), which the added cost is divided by.

Output: a table on stdout and a JSON file (--json, default
build/bench/ledger_overhead.json): the commit, the date, the QEMU version,
machine, CPU model and vCPU count, the command that produced it, the
benchmarks' counts and, per mode, the QEMU mode, the distinct QEMU command
lines, the transition's cost and the guest TSC from the benchmark header,
and per benchmark its P, every run's value on and off, the medians, the
ratio and the on-side split.  No console logs: it is small enough to commit.
--record also writes it to docs/ledger-overhead.json and re-renders the
tables of docs/ledger.md from it (tools/bench/render_ledger.py); it refuses
when a boot failed.  Paths inside the repository are written relative to it.

Usage:
    tools/ledger_overhead.py [--out build/x86_64] [--modes icount,parallel]
        [--runs N] [--bench SpawnJoin,...] [--benchtime 10000x] [--smp 1]
        [--json PATH | --record]
Exit status: 0 when every boot succeeded, 1 otherwise (a failed boot's
benchmarks are left out of the table and marked in the JSON).
Context: stdlib only; boots one QEMU at a time (the machine has two cores).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)
import tally_qemu  # noqa: E402
sys.path.insert(0, os.path.join(TOOLS, "bench"))
import render         # noqa: E402
import render_ledger  # noqa: E402

DEFAULT_BENCH = ("SpawnJoin", "YieldPingPong", "ChanPingPongOneP", "Skynet", "PrimeSieve")
# benchmarks whose one op is large get a count of their own
OWN_COUNT = {"Skynet": "1x", "PrimeSieve": "20x"}
LINE = re.compile(r"^Benchmark(\w+)-(\d+)\s+(\d+)\s+([0-9.]+) ns/op\s+([0-9.]+) cycles/op(.*)$")
SPLIT = re.compile(r"([0-9.]+) %(kern|rt|user|idle)")
TRANSITIONS = re.compile(r"([0-9.]+) transitions/op")
TRANSITION = re.compile(r"^ledger-transition: (\d+) cycles")
PAIR_SWITCH = re.compile(r"^ledger-pair-switch: (\d+) cycles")
TSC = re.compile(r"^tsc: ([0-9.]+) MHz")
QEMU_MODE = {"icount": "-icount shift=0,align=off,sleep=off", "parallel": "multi-threaded TCG"}


def parse(text):
	"""Benchmark lines of one boot's console: {name: {...}}."""
	out = {}
	for raw in text.splitlines():
		m = LINE.match(tally_qemu.clean_line(raw).strip())
		if not m:
			continue
		split = {k: float(v) for v, k in SPLIT.findall(m.group(6))}
		tr = TRANSITIONS.search(m.group(6))
		out[m.group(1)] = {"procs": int(m.group(2)), "n": int(m.group(3)),
		                   "ns_op": float(m.group(4)), "cycles_op": float(m.group(5)),
		                   "split": split, "transitions_op": float(tr.group(1)) if tr else None}
	return out


def header_value(text, pattern, conv):
	"""The first header line of one boot's console matching pattern, or None."""
	for raw in text.splitlines():
		m = pattern.match(tally_qemu.clean_line(raw).strip())
		if m:
			return conv(m.group(1))
	return None


def run_boot(a, mode, names, benchtime, ledger_on):
	"""One boot; returns (parsed lines, console text, command, ok)."""
	cmdline = "bench=^Benchmark(%s)$ benchtime=%s" % ("|".join(names), benchtime)
	if not ledger_on:
		cmdline += " ledger=off"
	opts = tally_qemu.default_options(boot="direct", out=a.out, smp=a.smp,
	                                  cmdline=cmdline, icount=(mode == "icount"),
	                                  timeout=a.timeout, quiet=True)
	with tempfile.NamedTemporaryFile(suffix=".log", delete=False) as f:
		log = f.name
	try:
		res = tally_qemu.boot(opts, echo_to=None, log_path=log)
		text = res.raw.decode("utf-8", "replace")
	finally:
		os.unlink(log)
	ok = res.status == 0
	return parse(text), text, res.command, ok


def qemu_version():
	try:
		opts = tally_qemu.default_options()
		prog = tally_qemu.qemu_program(opts)
		out = subprocess.run([prog, "--version"], capture_output=True, text=True, timeout=20)
		return out.stdout.splitlines()[0] if out.stdout else "?"
	except Exception as e:  # a version line is informative, not essential
		return "? (%s)" % e


def commit():
	try:
		r = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
		                   capture_output=True, text=True, timeout=20)
		return r.stdout.strip() or "?"
	except Exception:
		return "?"


def measure(a):
	names = a.bench
	groups = {}
	for n in names:
		groups.setdefault(OWN_COUNT.get(n, a.benchtime), []).append(n)
	opts = tally_qemu.default_options()
	result = {"version": 1, "commit": commit(), "qemu": qemu_version(), "smp": a.smp,
	          "machine": opts.machine, "cpu": opts.cpu, "mem": opts.mem,
	          "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
	          "command": a.command, "modes": {},
	          "counts": {n: OWN_COUNT.get(n, a.benchtime) for n in names}}
	ok_all = True
	for mode in a.modes:
		runs = 1 if mode == "icount" and a.runs is None else (a.runs or 3)
		per = {n: {"on": [], "off": [], "split_on": None, "procs": None} for n in names}
		mo = {"unit": "instructions/op" if mode == "icount" else "ns/op",
		      "qemu_mode": QEMU_MODE[mode], "runs": runs, "command_lines": [],
		      "transition_cycles": None, "pair_switch_cycles": None, "tsc_mhz": None,
		      "benchmarks": per}
		for benchtime, group in groups.items():
			for r in range(runs):
				for on in (True, False):
					lines, text, cmd, ok = run_boot(a, mode, group, benchtime, on)
					line = render.portable(tally_qemu._shell_quote(cmd))
					if line not in mo["command_lines"]:
						mo["command_lines"].append(line)
					if on and mo["transition_cycles"] is None:
						mo["transition_cycles"] = header_value(text, TRANSITION, int)
						mo["pair_switch_cycles"] = header_value(text, PAIR_SWITCH, int)
						mo["tsc_mhz"] = header_value(text, TSC, float)
					if not ok:
						ok_all = False
						print("ledger_overhead: %s boot (%s, ledger %s) failed" %
						      (mode, ",".join(group), "on" if on else "off"), file=sys.stderr)
					key = "cycles_op" if mode == "icount" else "ns_op"
					for n in group:
						if n not in lines:
							continue
						per[n]["on" if on else "off"].append(lines[n][key])
						per[n]["procs"] = lines[n]["procs"]
						if on and per[n]["split_on"] is None:
							per[n]["split_on"] = lines[n]["split"]
						if on and per[n].get("transitions_op") is None:
							per[n]["transitions_op"] = lines[n]["transitions_op"]
		for n in names:
			p = per[n]
			if p["on"] and p["off"]:
				p["median_on"] = statistics.median(p["on"])
				p["median_off"] = statistics.median(p["off"])
				p["ratio"] = p["median_on"] / p["median_off"] if p["median_off"] else None
				if mode == "icount" and (len(set(p["on"])) > 1 or len(set(p["off"])) > 1):
					p["note"] = "icount runs differ"
		result["modes"][mode] = mo
	return result, ok_all


def table(result):
	rows = []
	for mode, m in result["modes"].items():
		rows.append("%s (%s, median of %d run%s per side; ledger-transition %s cycles)" %
		            (mode, m["unit"], m["runs"], "" if m["runs"] == 1 else "s",
		             m["transition_cycles"]))
		rows.append("  %-20s %16s %16s %9s %12s   %s" % ("benchmark", "ledger on", "ledger off",
		                                                  "overhead", "trans/op",
		                                                  "split on (kern/rt/user/idle %)"))
		for n, p in m["benchmarks"].items():
			if "ratio" not in p or p["ratio"] is None:
				rows.append("  %-20s %16s %16s %9s" % (n, "-", "-", "-"))
				continue
			s = p["split_on"] or {}
			split = "/".join("%.1f" % s.get(k, 0.0) for k in ("kern", "rt", "user", "idle"))
			tr = p.get("transitions_op")
			rows.append("  %-20s %16.1f %16.1f %8.2f%% %12s   %s" %
			            ("%s-%s" % (n, p["procs"]), p["median_on"], p["median_off"],
			             (p["ratio"] - 1) * 100, "%.1f" % tr if tr is not None else "-", split))
	return "\n".join(rows)


def command_line(argv):
	"""The command that reproduces this run, for the JSON: paths relative to
	the repository, without --json (where a scratch copy went)."""
	out, skip = ["tools/ledger_overhead.py"], False
	for x in argv:
		if skip:
			skip = False
		elif x == "--json":
			skip = True
		elif not x.startswith("--json="):
			out.append(render.portable(x))
	return " ".join(tally_qemu._shell_quote([x]) for x in out)


def main(argv=None):
	ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
	                             formatter_class=argparse.RawDescriptionHelpFormatter)
	ap.add_argument("--out", default=os.path.join(ROOT, "build", "x86_64"),
	                help="directory holding kernel.elf")
	ap.add_argument("--modes", default="icount",
	                help="comma-separated: icount, parallel (default icount)")
	ap.add_argument("--runs", type=int, default=None,
	                help="boots per side (default 1 under icount, 3 in parallel mode)")
	ap.add_argument("--bench", default=",".join(DEFAULT_BENCH),
	                help="comma-separated benchmark names (without Benchmark)")
	ap.add_argument("--benchtime", default="10000x",
	                help="count for all but the one-op benchmarks (default 10000x)")
	ap.add_argument("--smp", type=int, default=1)
	ap.add_argument("--timeout", type=float, default=600)
	ap.add_argument("--json", default=os.path.join(ROOT, "build", "bench", "ledger_overhead.json"))
	ap.add_argument("--record", action="store_true",
	                help="write the JSON to %s and re-render docs/ledger.md from it"
	                % os.path.relpath(render_ledger.RESULTS, ROOT))
	a = ap.parse_args(argv)
	a.command = command_line(sys.argv[1:] if argv is None else argv)
	a.modes = [m for m in a.modes.split(",") if m]
	a.bench = [b for b in a.bench.split(",") if b]
	for m in a.modes:
		if m not in ("icount", "parallel"):
			ap.error("unknown mode %r" % m)
	if not os.path.isfile(os.path.join(a.out, "kernel.elf")):
		ap.error("no kernel.elf in %s (make all first)" % a.out)
	result, ok = measure(a)
	os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
	with open(a.json, "w") as f:
		f.write(render.dumps(result))
	print(table(result))
	print("ledger_overhead: results in %s" % a.json)
	if a.record:
		if not ok:
			print("ledger_overhead: a boot failed; nothing recorded", file=sys.stderr)
			return 1
		with open(render_ledger.RESULTS, "w") as f:
			f.write(render.dumps(result))
		print("ledger_overhead: recorded %s" % os.path.relpath(render_ledger.RESULTS, ROOT))
		return render_ledger.main([])
	return 0 if ok else 1


if __name__ == "__main__":
	sys.exit(main())

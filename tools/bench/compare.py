#!/usr/bin/env python3
"""compare.py - put Tally's, Go's and pthreads' benchmark results side by side.

Purpose: the comparison step of `make bench`.  It reads every result file of
a run directory and writes
  - results.json: every value of every run (median, min, max), the rows of
    each mode's table, the ledger's measured overhead, the repeatability
    verdict, the headers and statuses (the one file tables are rendered
    from: this module's text table and tools/bench/render.py's Markdown);
  - table.txt: the text table of each mode (also on stdout);
  - cost-<mode>.svg (and cost.svg): a gnuplot chart of the absolute cost per
    operation, one panel per benchmark, a stacked bar per system split into
    kern / rt / user / idle.
Usage: compare.py [--dir RUN_DIR]   (reads RUN_DIR/results/, writes RUN_DIR/)

Result files (written by tools/bench.py): RUN_DIR/results/<mode>.<system>.<n>.txt,
one per boot, in Go's benchmark format (benchfmt.format_run), and
RUN_DIR/results/<mode>.<system>.status holding "ok", "not available: why" or
"failed: why".  Systems are the table's columns, tally, go, go-gogc-off (Go
with its collector off, for the benchmarks that do not allocate) and
pthreads, plus tally-ledger-off (Tally booted with ledger=off: the divisor
of the overhead ratio, not a column).  Modes: icount (deterministic; the
primary metric is cycles/op, guest instructions per op) and parallel
(multi-threaded TCG; ns/op, median of the runs with min-max).

Rows: one per (benchmark, P).  P is the -P suffix: GOMAXPROCS (Go), Ps
(Tally), threads (pthreads); values are only compared within one P.  A row
is shown when a peer has it, or when no peer has that benchmark at all
(Tally's own); Tally's values at a P no peer ran stay in results.json.
Latencies (LATENCY) are shown in ns whatever the mode: under -icount
sleep=off idle time is skipped, so their ns are virtual time (the sleep
plus its lateness), never instructions.  A benchmark that failed its own
check shows FAIL.

Invariants: a benchmark a system did not run, or a system that is not
available, shows "-" (never an error); rows follow the benchmark
contract's order, then any other names alphabetically, each by P; ratios
are of medians and only between cells of one row (same benchmark, same P,
same unit).  Context: stdlib only; gnuplot is optional (without it the
chart is skipped with a warning).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchfmt  # noqa: E402

SYSTEMS = ("tally", "go", "go-gogc-off", "pthreads")        # table columns
VARIANTS = ("tally-ledger-off",)                           # measured, not columns
TITLE = {"tally": "tally", "go": "go", "go-gogc-off": "go GOGC=off",
         "pthreads": "pthreads"}
CHART_LABEL = {"tally": "tally", "go": "go", "go-gogc-off": "go gc off",
               "pthreads": "pthreads"}
RATIOS = (("tally", "go"), ("tally", "pthreads"))
MODES = ("icount", "parallel")
# The benchmark contract, in the order tables and charts show it.
CONTRACT = (
	"SpawnJoin", "YieldPingPong", "ChanPingPongOneP", "ChanPingPongCrossP",
	"ChanBuffered", "MutexUncontended", "MutexContended", "TimerStartStop",
	"SleepWakeLatency", "CheckGoroutinePerItem", "CheckInline",
	"CounterChannel", "CounterAtomic", "CounterOneMutex", "CounterSharded",
	"TimerPerWait", "TimerReset", "AllocPerCall", "AllocReused", "Alloc64",
	"GCAlloc64", "AllocThroughput", "Skynet", "PrimeSieve", "BinaryTrees",
)
# Benchmarks whose op is a wait: reported in ns in every mode.
LATENCY = ("SleepWakeLatency",)
# The benchmarks whose ledger overhead the header names first.
OVERHEAD_KEY = ("SpawnJoin", "YieldPingPong", "ChanPingPongOneP")
PRIMARY = {"icount": "cycles/op", "parallel": "ns/op"}
MODE_TITLE = {
	"icount": "deterministic (-icount shift=0, one vCPU): guest instructions per op",
	"parallel": "parallel (multi-threaded TCG): ns per op",
}
SPLIT = ("%kern", "%rt", "%user", "%idle")
_FILE = re.compile(r"^([a-z]+)\.([a-z-]+)\.(\d+)\.txt$")
_STATUS = re.compile(r"^([a-z]+)\.([a-z-]+)\.status$")


def key_of(base, procs):
	return "%s-%s" % (base, procs if procs is not None else "?")


class System:
	"""One system's results in one mode."""

	def __init__(self, mode, system):
		self.mode, self.system = mode, system
		self.status = "ok"
		self.runs = []          # benchfmt.Run, in run order

	def available(self):
		return self.status == "ok" or self.status.startswith("failed")

	def aggregate(self):
		""""Base-P" -> {"name", "base", "procs", "iters", "metrics": unit ->
		{median, min, max, values}} over all runs."""
		out = {}
		for run in self.runs:
			for r in run.results:
				e = out.setdefault(key_of(r.base, r.procs), {
					"name": r.name, "base": r.base, "procs": r.procs,
					"iters": [], "metrics": {}})
				e["iters"].append(r.iters)
				for unit, v in r.metrics.items():
					e["metrics"].setdefault(unit, {"values": []})["values"].append(v)
		for e in out.values():
			for m in e["metrics"].values():
				vs = m["values"]
				m["median"] = statistics.median(vs)
				m["min"], m["max"] = min(vs), max(vs)
		return out

	def failed(self):
		"""Base names whose own check failed in some run."""
		out = set()
		for run in self.runs:
			for name, _ in run.failures:
				base = name[len("Benchmark"):] if name.startswith("Benchmark") else name
				out.add(re.sub(r"-\d+$", "", base))
		return out

	def header(self):
		h = {}
		for run in self.runs:
			h.update(run.header)
		return h


def load(results_dir):
	"""{mode: {system: System}} from a results directory."""
	data = {}
	if not os.path.isdir(results_dir):
		return data
	for fn in sorted(os.listdir(results_dir), key=_file_order):
		m = _FILE.match(fn)
		s = _STATUS.match(fn)
		if not m and not s:
			continue
		mode, system = (m or s).group(1), (m or s).group(2)
		sysobj = data.setdefault(mode, {}).setdefault(system, System(mode, system))
		with open(os.path.join(results_dir, fn), encoding="utf-8",
		          errors="replace") as f:
			text = f.read()
		if m:
			sysobj.runs.append(benchfmt.parse(text))
		else:
			sysobj.status = text.strip() or "ok"
	return data


def _file_order(fn):
	m = _FILE.match(fn)
	return (m.group(1), m.group(2), int(m.group(3))) if m else (fn, "", -1)


def _order(base):
	return (CONTRACT.index(base), "") if base in CONTRACT else (len(CONTRACT), base)


def unit_of(mode, base):
	return "ns/op" if base in LATENCY else PRIMARY.get(mode, "ns/op")


def coarse_counter(so):
	"""True when a system's runs count cycles in units coarser than an
	instruction (the header's counter-resolution above 1.5 ns: aarch64's
	CNTVCT_EL0, 16 ns).  Under -icount shift=0 a virtual ns is one guest
	instruction, so its instructions per op are its ns/op, not its
	cycles/op."""
	for r in so.runs:
		try:
			if float(r.header.get("counter-resolution", "0").split()[0]) > 1.5:
				return True
		except (ValueError, IndexError):
			pass
	return False


def table_rows(mode, data_mode):
	"""The rows of one mode's table: [{benchmark, procs, unit, <system>:
	median or None, <system>.min/.max/.runs, <system>.fail, tally/<peer>}],
	plus the (benchmark, P) keys only Tally ran ("hidden" rows)."""
	aggs, fails, coarse = {}, {}, {}
	for s in SYSTEMS:
		so = data_mode.get(s)
		ok = so is not None and so.available()
		aggs[s] = so.aggregate() if ok else {}
		fails[s] = so.failed() if ok else set()
		coarse[s] = ok and coarse_counter(so)
	keys = {}
	for s in SYSTEMS:
		for k, e in aggs[s].items():
			keys[k] = (e["base"], e["procs"])
	peer_bases = {aggs[s][k]["base"] for s in SYSTEMS if s != "tally" for k in aggs[s]}
	for base in CONTRACT:
		if not any(b == base for b, _ in keys.values()):
			keys[base + "-?"] = (base, None)
	rows, hidden = [], []
	for k, (base, procs) in sorted(keys.items(), key=lambda kv: (
			_order(kv[1][0]), kv[1][1] if kv[1][1] is not None else 0)):
		unit = unit_of(mode, base)
		row = {"benchmark": base, "procs": procs, "unit": unit}
		for s in SYSTEMS:
			e = aggs[s].get(k)
			m = None
			if e:
				m = e["metrics"].get("ns/op" if coarse[s] and unit == "cycles/op" else unit)
			if m is None and e and unit == "cycles/op":
				m = e["metrics"].get("ns/op")
			row[s] = m["median"] if m else None
			row[s + ".min"] = m["min"] if m else None
			row[s + ".max"] = m["max"] if m else None
			row[s + ".runs"] = len(m["values"]) if m else 0
			row[s + ".fail"] = base in fails[s]
		for a, b in RATIOS:
			x, y = row[a], row[b]
			row["%s/%s" % (a, b)] = x / y if x is not None and y else None
		peers = any(row[s] is not None or row[s + ".fail"] for s in SYSTEMS if s != "tally")
		if peers or base not in peer_bases:
			rows.append(row)
		else:
			hidden.append(row)
	return rows, hidden


def ledger_overhead(data_mode):
	"""[{benchmark, procs, on, off, ratio}] from the tally and
	tally-ledger-off runs of one mode (cycles/op medians), or [] (also when
	the ledger=off boot's header does not say `ledger-mode: off`: a kernel
	whose ledger=off did not stop the transitions measures nothing)."""
	on, off = data_mode.get("tally"), data_mode.get("tally-ledger-off")
	if not on or not off or not on.runs or not off.runs or \
	   off.header().get("ledger-mode") != "off":
		return []
	a, b = on.aggregate(), off.aggregate()
	out = []
	for k in sorted(set(a) & set(b), key=lambda k: (_order(a[k]["base"]), a[k]["procs"] or 0)):
		if a[k]["base"] in LATENCY:
			continue
		x = a[k]["metrics"].get("cycles/op", {}).get("median")
		y = b[k]["metrics"].get("cycles/op", {}).get("median")
		if x and y:
			out.append({"benchmark": a[k]["base"], "procs": a[k]["procs"],
			            "on": x, "off": y, "ratio": x / y})
	return out


def repeatability(data_mode):
	"""{system: {"runs", "identical", "differing": [names], "spread": max
	(max-min)/min}} for systems with more than one run in this mode (the
	icount mode: only there must counts repeat)."""
	out = {}
	for s, so in sorted(data_mode.items()):
		if len(so.runs) < 2:
			continue
		differing, spread = [], 0.0
		for k, e in sorted(so.aggregate().items()):
			vals = e["metrics"].get("cycles/op", e["metrics"].get("ns/op", {})).get("values", [])
			same = len(set(vals)) <= 1 and len(vals) == len(so.runs) and \
				len(set(e["iters"])) == 1
			if not same:
				differing.append(k)
				if vals and min(vals) > 0:
					spread = max(spread, (max(vals) - min(vals)) / min(vals))
		out[s] = {"runs": len(so.runs), "identical": not differing,
		          "differing": differing, "spread": spread}
	return out


def measured_overhead(mo):
	"""mo["overhead"] of one mode's results.json entry when its ledger=off
	boot really ran with the ledger off (header `ledger-mode: off`), else []
	(results recorded before the check keep their rows but show none)."""
	off = mo.get("systems", {}).get("tally-ledger-off", {})
	if off.get("header", {}).get("ledger-mode") != "off":
		return []
	return mo.get("overhead") or []


def pct_change(ratio):
	"""A ratio as a signed percentage, "+2.04%"; never "-0.00%"."""
	v = round(100 * (ratio - 1), 2)
	return "%+.2f%%" % (v if v != 0 else 0.0)


def _fmt(v):
	if v is None:
		return "-"
	if v >= 99.95:
		return "%.0f" % v
	if v >= 9.995:
		return "%.1f" % v
	return "%.2f" % v


def cell(row, s, ranges=True):
	"""The text of one system's cell in a row (shared with render.py)."""
	v = row[s]
	if row.get(s + ".fail"):
		return "FAIL"
	if v is None:
		return "-"
	text = _fmt(v)
	if ranges and row.get(s + ".runs", 0) > 1 and row[s + ".min"] != row[s + ".max"]:
		text += " [%s-%s]" % (_fmt(row[s + ".min"]), _fmt(row[s + ".max"]))
	if row["unit"] == "ns/op" and row["benchmark"] in LATENCY:
		text += " ns"
	return text


def settings_lines(mode, mo):
	"""The header lines of one mode: Tally's tick and P, Linux's HZ and
	preemption model, Go's GC, the ledger overhead (with one transition's
	cost from Tally's header), the repeatability."""
	sy = mo["systems"]
	out = []
	th = sy.get("tally", {}).get("header", {})
	if th:
		out.append("tally: tick %s, %s CPUs, P per row (benchprocs= or the "
		           "benchmark's own)" % (th.get("tick", "?"), th.get("cpus", "?")))
	gh = sy.get("go", {}).get("header", {}) or sy.get("pthreads", {}).get("header", {})
	if gh:
		out.append("linux: %s, HZ=%s (CONFIG_HZ), preempt=%s, clocksource %s, %s CPUs" % (
			gh.get("kernel", "?"), gh.get("hz", "?"), gh.get("preempt", "?"),
			gh.get("clocksource", "?"), gh.get("cpus", "?")))
	if "go" in sy:
		out.append("go: GOGC=%s; go GOGC=off: the benchmarks with 0 allocs/op, "
		           "collector off" % sy["go"].get("header", {}).get("gogc", "?"))
	ov = measured_overhead(mo)
	if ov:
		key = [o for o in ov if o["benchmark"] in OVERHEAD_KEY]
		worst = max(ov, key=lambda o: o["ratio"])
		tr = th.get("ledger-transition")
		ps = th.get("ledger-pair-switch")
		out.append("ledger overhead (instructions, ledger on / ledger=off): %s; "
		           "largest %s %s%s%s" % (
			           ", ".join("%s %s" % (o["benchmark"], pct_change(o["ratio"]))
			                     for o in key) or "-",
			           worst["benchmark"], pct_change(worst["ratio"]),
			           "; one transition %s (boot-time, scratch ledger)" % tr if tr else "",
			           "; one scheduler pair switch %s" % ps if ps else ""))
	elif sy.get("tally-ledger-off", {}).get("runs") and \
	     sy["tally-ledger-off"].get("header", {}).get("ledger-mode") != "off":
		out.append("ledger overhead: not measured (the ledger=off boot's header lacks "
		           "`ledger-mode: off`: that kernel's ledger=off did not stop the ledger)")
	rep = mo.get("repeat") or {}
	if rep:
		out.append("repeatability: " + "; ".join(
			"%s %d runs %s" % (s, r["runs"], "identical" if r["identical"] else
			                   "differ in %d benchmarks (largest spread %.2f%%)"
			                   % (len(r["differing"]), 100 * r["spread"]))
			for s, r in sorted(rep.items())))
	return out


def runs_note(mo):
	"""", median [min-max] of the runs (tally 6, go 3, ...)" or ""."""
	runs = [(s, mo["systems"][s].get("runs", 0)) for s in SYSTEMS + VARIANTS
	        if s in mo["systems"]]
	if max([n for _, n in runs] or [0]) < 2:
		return ""
	return ", median [min-max] of the runs (%s)" % ", ".join("%s %d" % r for r in runs)


def format_table(mode, mo):
	"""The text table of one mode, from its results.json entry (lines)."""
	rows = mo["table"]
	lines = ["== %s%s ==" % (MODE_TITLE.get(mode, mode), runs_note(mo))]
	for s in SYSTEMS + VARIANTS:
		so = mo["systems"].get(s)
		if so is None:
			if s in SYSTEMS:
				lines.append("%s: not run" % s)
		elif so["status"] != "ok":
			lines.append("%s: %s" % (s, so["status"]))
	lines += settings_lines(mode, mo)
	cells = []
	for r in rows:
		c = [r["benchmark"], str(r["procs"]) if r["procs"] is not None else "-"]
		c += [cell(r, s) for s in SYSTEMS]
		c += [_fmt(r["%s/%s" % ab]) for ab in RATIOS]
		cells.append(c)
	head = ["benchmark", "P"] + [TITLE[s].replace(" ", "_") for s in SYSTEMS] + \
		["%s/%s" % ab for ab in RATIOS]
	widths = [max(len(x[i]) for x in cells + [head]) for i in range(len(head))]
	fmt = "  ".join(["%-*s"] + ["%*s"] * (len(head) - 1))

	def line(c):
		args = []
		for w, x in zip(widths, c):
			args += [w, x]
		return (fmt % tuple(args)).rstrip()
	lines.append(line(head))
	lines += [line(c) for c in cells]
	if any(r["benchmark"] in LATENCY for r in rows) and mode == "icount":
		lines.append("(ns: virtual time; under -icount sleep=off idle time is skipped, "
		             "so a latency is the sleep plus its lateness, not instructions)")
	ov = measured_overhead(mo)
	if ov:
		lines.append("-- ledger overhead: tally instructions/op, ledger on / ledger=off --")
		for o in ov:
			lines.append("%-24s %2s %12s %12s  %s" % (
				o["benchmark"], o["procs"], _fmt(o["on"]), _fmt(o["off"]),
				pct_change(o["ratio"])))
	return lines


def to_json(data, run_info=None):
	out = {"version": 2, "systems": list(SYSTEMS), "variants": list(VARIANTS),
	       "run": run_info or {}, "modes": {}}
	for mode in sorted(data, key=lambda m: (MODES + (m,)).index(m)):
		dm = data[mode]
		rows, hidden = table_rows(mode, dm)
		mo = {"metric": PRIMARY.get(mode, "ns/op"), "systems": {},
		      "table": rows, "tally_only": hidden,
		      "overhead": ledger_overhead(dm),
		      "repeat": repeatability(dm) if mode == "icount" else {}}
		for s, so in dm.items():
			mo["systems"][s] = {"status": so.status, "runs": len(so.runs),
			                    "header": so.header(),
			                    "problems": [p for r in so.runs for p in r.problems()],
			                    "failed": sorted(so.failed()),
			                    "skips": sorted({n for r in so.runs for n, _ in r.skips}),
			                    "benchmarks": so.aggregate()}
		out["modes"][mode] = mo
	return out


def chart_panels(mode, data_mode):
	"""[(benchmark label, [(system, kern, rt, user, idle)])]: the absolute
	cost per op split by class (value x share), per row with a split."""
	aggs = {s: data_mode[s].aggregate() for s in SYSTEMS
	        if s in data_mode and data_mode[s].available()}
	rows, _ = table_rows(mode, data_mode)
	panels = []
	for r in rows:
		k = key_of(r["benchmark"], r["procs"])
		bars = []
		for s in SYSTEMS:
			e = aggs.get(s, {}).get(k)
			if not e or r[s] is None or not any(u in e["metrics"] for u in SPLIT):
				continue
			shares = [e["metrics"][u]["median"] if u in e["metrics"] else 0.0 for u in SPLIT]
			total = sum(shares) or 100.0
			bars.append((CHART_LABEL[s],) + tuple(r[s] * x / total for x in shares))
		if bars:
			panels.append(("%s-%s" % (r["benchmark"], r["procs"]), r["unit"], bars))
	return panels


def write_chart(data_mode, mode, out_svg, title_extra=""):
	"""Draw the absolute, class-stacked cost per op of one mode with
	gnuplot, one panel per benchmark.  Returns None on success or a
	reason string."""
	panels = chart_panels(mode, data_mode)
	if not panels:
		return "no benchmark has a kern/rt/user/idle split"
	gp = shutil.which("gnuplot")
	if not gp:
		return "gnuplot not installed (Debian package gnuplot-nox)"
	base = os.path.splitext(out_svg)[0]
	dat, script = base + ".dat", base + ".gp"
	with open(dat, "w") as f:
		for i, (_, _, bars) in enumerate(panels):
			if i:
				f.write("\n\n")
			for b in bars:
				f.write("%s\t%s\n" % (b[0], "\t".join("%.6g" % v for v in b[1:])))
	cols = 4
	nrows = (len(panels) + cols - 1) // cols
	metric = "instructions" if mode == "icount" else "ns"
	with open(script, "w") as f:
		f.write("""set terminal svg size %d,%d dynamic font 'sans,9' background rgb 'white'
set output '%s'
set multiplot layout %d,%d title "Cost per operation by class, %s mode (%s/op; latencies in ns)%s" noenhanced
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border rgb '#404040'
set boxwidth 0.7
set yrange [0:*]
set xtics font ',7' nomirror noenhanced
set datafile separator '\\t'
unset key
""" % (360 * cols, 220 * nrows + 60, os.path.basename(out_svg), nrows, cols, mode,
		       metric, title_extra))
		for i, (label, unit, _) in enumerate(panels):
			if i == 0:
				f.write("set key top left font ',7' noenhanced\n")
			elif i == 1:
				f.write("unset key\n")
			f.write("set title '%s' noenhanced\n" % label)
			f.write("plot '%s' index %d using 2:xtic(1) title 'kern' lc rgb '#d62728', "
			        "'' index %d using 3 title 'rt' lc rgb '#ff7f0e', "
			        "'' index %d using 4 title 'user' lc rgb '#2ca02c', "
			        "'' index %d using 5 title 'idle' lc rgb '#d0d0d0'\n"
			        % (os.path.basename(dat), i, i, i, i))
		f.write("unset multiplot\n")
	p = subprocess.run([gp, os.path.basename(script)], cwd=os.path.dirname(out_svg) or ".",
	                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
	if p.returncode != 0 or not os.path.isfile(out_svg):
		return "gnuplot failed: %s" % p.stdout.strip()[-300:]
	return None


def compare(out_dir, echo=print, run_info=None):
	"""Read out_dir/results, write table.txt, results.json and the charts.
	Returns (data, table lines, [warnings])."""
	data = load(os.path.join(out_dir, "results"))
	if run_info is None:
		old = os.path.join(out_dir, "results.json")
		if os.path.isfile(old):
			try:
				with open(old) as f:
					run_info = json.load(f).get("run")
			except ValueError:
				run_info = None
	js = to_json(data, run_info)
	warnings = []
	lines = []
	for mode, mo in js["modes"].items():
		if lines:
			lines.append("")
		lines += format_table(mode, mo)
	with open(os.path.join(out_dir, "table.txt"), "w") as f:
		f.write("\n".join(lines) + "\n")
	with open(os.path.join(out_dir, "results.json"), "w") as f:
		json.dump(js, f, indent=1, sort_keys=True)
		f.write("\n")
	main_mode = "icount" if "icount" in data else next(iter(data), None)
	for mode in data:
		why = write_chart(data[mode], mode, os.path.join(out_dir, "cost-%s.svg" % mode))
		if why:
			warnings.append("chart %s: %s" % (mode, why))
		elif mode == main_mode:
			shutil.copyfile(os.path.join(out_dir, "cost-%s.svg" % mode),
			                os.path.join(out_dir, "cost.svg"))
	for line in lines:
		echo(line)
	return data, lines, warnings


def main(argv=None):
	ap = argparse.ArgumentParser(description="compare benchmark result files")
	ap.add_argument("--dir", default=os.path.join(
		os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
		"build", "bench", "latest"))
	opts = ap.parse_args(argv)
	data, lines, warnings = compare(opts.dir)
	for w in warnings:
		print("compare: warning: " + w, file=sys.stderr)
	if not data:
		print("compare: no result files in %s/results" % opts.dir, file=sys.stderr)
		return 1
	return 0


if __name__ == "__main__":
	sys.exit(main())

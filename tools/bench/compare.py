#!/usr/bin/env python3
"""compare.py - put Tally's, Go's and pthreads' benchmark results side by side.

Purpose: the comparison step of `make bench`.  It reads every result file of
a results directory and writes
  - a text table per measurement mode: benchmarks x {tally, go, pthreads}
    with the ratios tally/go and tally/pthreads (stdout, and table.txt);
  - results.json: every value of every run, with median, min and max;
  - split.svg (and split-<mode>.svg): a gnuplot chart of the stacked
    kern / rt / user / idle split per benchmark per system.
Usage: compare.py [--dir build/bench]   (reads DIR/results/, writes DIR/)

Result files (written by tools/bench.py): DIR/results/<mode>.<system>.<n>.txt,
one per boot, in Go's benchmark format (benchfmt.format_run), and
DIR/results/<mode>.<system>.status holding "ok", "not available: why" or
"failed: why".  Modes: icount (deterministic; the primary metric is
cycles/op, i.e. guest instructions per op) and parallel (multi-threaded
TCG; ns/op, median of the runs with min-max).

Data structures: System (one system in one mode: status, runs, aggregated
metrics per benchmark).  Invariants: a benchmark a system did not run, or a
system that is not available, shows "-" (never an error); rows follow the
benchmark contract's order, then any other names in alphabetical order;
ratios are of medians.  Context: stdlib only; gnuplot is optional (without
it the chart is skipped with a warning).
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

SYSTEMS = ("tally", "go", "pthreads")
MODES = ("icount", "parallel")
# The benchmark contract, in the order tables and charts show it.
CONTRACT = (
	"SpawnJoin", "YieldPingPong", "ChanPingPongOneP", "ChanPingPongCrossP",
	"ChanBuffered", "MutexUncontended", "MutexContended", "TimerStartStop",
	"SleepWakeLatency", "CheckGoroutinePerItem", "CheckInline",
	"CounterChannel", "CounterAtomic", "CounterOneMutex", "CounterSharded",
	"TimerPerWait", "TimerReset", "AllocPerCall", "AllocReused", "Skynet",
	"PrimeSieve",
)
PRIMARY = {"icount": "cycles/op", "parallel": "ns/op"}
MODE_TITLE = {
	"icount": "deterministic (-icount shift=0): guest instructions per op",
	"parallel": "parallel (multi-threaded TCG): ns per op",
}
SPLIT = ("%kern", "%rt", "%user", "%idle")
_FILE = re.compile(r"^([a-z]+)\.([a-z]+)\.(\d+)\.txt$")
_STATUS = re.compile(r"^([a-z]+)\.([a-z]+)\.status$")


class System:
	"""One system's results in one mode."""

	def __init__(self, mode, system):
		self.mode, self.system = mode, system
		self.status = "ok"
		self.runs = []          # benchfmt.Run, in run order

	def available(self):
		return self.status == "ok" or self.status.startswith("failed")

	def aggregate(self):
		"""base -> {"name", "procs", "metrics": unit -> {median, min, max,
		values}} over all runs."""
		out = {}
		for run in self.runs:
			for r in run.results:
				e = out.setdefault(r.base, {"name": r.name, "procs": r.procs,
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


def row_names(data_mode):
	"""Benchmark names of one mode: the contract, then any others."""
	seen = set()
	for s in data_mode.values():
		for run in s.runs:
			seen.update(r.base for r in run.results)
	extra = sorted(seen - set(CONTRACT))
	return list(CONTRACT) + extra


def _fmt(v):
	if v is None:
		return "-"
	if v >= 99.95:
		return "%.0f" % v
	if v >= 9.995:
		return "%.1f" % v
	return "%.2f" % v


def _cell_value(agg, name, unit):
	e = agg.get(name)
	if not e:
		return None
	m = e["metrics"].get(unit) or (e["metrics"].get("ns/op") if unit == "cycles/op" else None)
	return m


def table_rows(mode, data_mode):
	"""[{benchmark, tally, go, pthreads, tally/go, tally/pthreads}] with
	medians (None when absent) and min/max per system."""
	unit = PRIMARY.get(mode, "ns/op")
	aggs = {s: (data_mode[s].aggregate() if s in data_mode and
	            data_mode[s].available() else {}) for s in SYSTEMS}
	rows = []
	for name in row_names(data_mode):
		row = {"benchmark": name}
		for s in SYSTEMS:
			m = _cell_value(aggs[s], name, unit)
			row[s] = m["median"] if m else None
			row[s + ".min"] = m["min"] if m else None
			row[s + ".max"] = m["max"] if m else None
			row[s + ".runs"] = len(m["values"]) if m else 0
		for s in ("go", "pthreads"):
			t, o = row["tally"], row[s]
			row["tally/" + s] = t / o if t is not None and o else None
		rows.append(row)
	return rows


def format_table(mode, data_mode):
	"""The text table of one mode (a list of lines)."""
	rows = table_rows(mode, data_mode)
	nruns = max([len(s.runs) for s in data_mode.values()] or [0])
	lines = ["== %s%s ==" % (MODE_TITLE.get(mode, mode),
	                         ", median [min-max] of %d runs" % nruns if nruns > 1 else "")]
	for s in SYSTEMS:
		so = data_mode.get(s)
		if so is None:
			lines.append("%s: not run" % s)
		elif so.status != "ok":
			lines.append("%s: %s" % (s, so.status))
	cells = []
	for r in rows:
		c = [r["benchmark"]]
		for s in SYSTEMS:
			v = r[s]
			if v is not None and r[s + ".runs"] > 1:
				c.append("%s [%s-%s]" % (_fmt(v), _fmt(r[s + ".min"]),
				                         _fmt(r[s + ".max"])))
			else:
				c.append(_fmt(v))
		c.append(_fmt(r["tally/go"]))
		c.append(_fmt(r["tally/pthreads"]))
		cells.append(c)
	head = ["benchmark"] + list(SYSTEMS) + ["tally/go", "tally/pthreads"]
	widths = [max(len(x[i]) for x in cells + [head]) for i in range(len(head))]
	fmt = "  ".join(["%-*s"] + ["%*s"] * (len(head) - 1))

	def line(c):
		args = []
		for w, x in zip(widths, c):
			args += [w, x]
		return (fmt % tuple(args)).rstrip()
	lines.append(line(head))
	lines += [line(c) for c in cells]
	return lines


def to_json(data):
	out = {"version": 1, "systems": list(SYSTEMS), "modes": {}}
	for mode in sorted(data, key=lambda m: (MODES + (m,)).index(m)):
		dm = data[mode]
		mo = {"metric": PRIMARY.get(mode, "ns/op"), "systems": {},
		      "table": table_rows(mode, dm)}
		for s, so in dm.items():
			mo["systems"][s] = {"status": so.status, "runs": len(so.runs),
			                    "header": so.header(),
			                    "problems": [p for r in so.runs for p in r.problems()],
			                    "skips": sorted({n for r in so.runs for n, _ in r.skips}),
			                    "benchmarks": so.aggregate()}
		out["modes"][mode] = mo
	return out


def split_rows(data_mode):
	"""[(label, kern, rt, user, idle)] per benchmark per system (medians),
	with a blank row between benchmarks; [] when nothing has a split."""
	aggs = {s: data_mode[s].aggregate() for s in SYSTEMS
	        if s in data_mode and data_mode[s].available()}
	rows = []
	for name in row_names(data_mode):
		group = []
		for s in SYSTEMS:
			e = aggs.get(s, {}).get(name)
			if not e or not any(u in e["metrics"] for u in SPLIT):
				continue
			group.append(("%s %s" % (name, s),) + tuple(
				e["metrics"][u]["median"] if u in e["metrics"] else 0.0
				for u in SPLIT))
		if group:
			if rows:
				rows.append(("",) + (0.0,) * len(SPLIT))
			rows += group
	return rows


def write_chart(data_mode, mode, out_svg, title_extra=""):
	"""Draw the stacked split of one mode with gnuplot.  Returns None on
	success or a reason string."""
	rows = split_rows(data_mode)
	if not rows:
		return "no benchmark has a kern/rt/user/idle split"
	gp = shutil.which("gnuplot")
	if not gp:
		return "gnuplot not installed (Debian package gnuplot-nox)"
	base = os.path.splitext(out_svg)[0]
	dat, script = base + ".dat", base + ".gp"
	with open(dat, "w") as f:
		for r in rows:
			f.write("%s\t%s\n" % (r[0] or " ", "\t".join("%.3f" % v for v in r[1:])))
	width = max(640, 160 + 22 * len(rows))
	with open(script, "w") as f:
		f.write("""set terminal svg size %d,560 dynamic font 'sans,10' background rgb 'white'
set output '%s'
set title "CPU split per benchmark and system, %s%s" noenhanced
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border rgb '#404040'
set boxwidth 0.8
set yrange [0:100]
set ylabel '%% of wall time x CPUs'
set xtics rotate by -60 font ',8' nomirror noenhanced
set key outside right top noenhanced
set datafile separator '\\t'
set bmargin 12
plot '%s' using 2:xtic(1) title 'kern' lc rgb '#d62728', \\
     '' using 3 title 'rt' lc rgb '#ff7f0e', \\
     '' using 4 title 'user' lc rgb '#2ca02c', \\
     '' using 5 title 'idle' lc rgb '#d0d0d0'
""" % (width, os.path.basename(out_svg), mode, title_extra, os.path.basename(dat)))
	p = subprocess.run([gp, os.path.basename(script)], cwd=os.path.dirname(out_svg) or ".",
	                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
	if p.returncode != 0 or not os.path.isfile(out_svg):
		return "gnuplot failed: %s" % p.stdout.strip()[-300:]
	return None


def compare(out_dir, echo=print):
	"""Read out_dir/results, write table.txt, results.json and the charts.
	Returns (data, table lines, [warnings])."""
	data = load(os.path.join(out_dir, "results"))
	warnings = []
	lines = []
	for mode in sorted(data, key=lambda m: (MODES + (m,)).index(m)):
		if lines:
			lines.append("")
		lines += format_table(mode, data[mode])
	with open(os.path.join(out_dir, "table.txt"), "w") as f:
		f.write("\n".join(lines) + "\n")
	with open(os.path.join(out_dir, "results.json"), "w") as f:
		json.dump(to_json(data), f, indent=1, sort_keys=True)
		f.write("\n")
	main_mode = "parallel" if "parallel" in data else next(iter(data), None)
	for mode in data:
		why = write_chart(data[mode], mode,
		                  os.path.join(out_dir, "split-%s.svg" % mode))
		if why:
			warnings.append("chart %s: %s" % (mode, why))
		elif mode == main_mode:
			shutil.copyfile(os.path.join(out_dir, "split-%s.svg" % mode),
			                os.path.join(out_dir, "split.svg"))
	for line in lines:
		echo(line)
	return data, lines, warnings


def main(argv=None):
	ap = argparse.ArgumentParser(description="compare benchmark result files")
	ap.add_argument("--dir", default=os.path.join(
		os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
		"build", "bench"))
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

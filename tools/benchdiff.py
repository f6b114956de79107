#!/usr/bin/env python3
"""benchdiff.py - compare two recorded `make bench` runs, Tally's rows.

Usage: tools/benchdiff.py BEFORE_DIR AFTER_DIR [--mode icount] [--limit 1.0]

Each directory holds results/<mode>.tally.<n>.txt as tools/bench.py writes
them (e.g. tests/bench/runs/machine-layer-before).  For every benchmark
present in both, prints the metric of the mode (cycles/op under icount,
ns/op otherwise; the median over runs), the change in percent, and marks
rows that got worse by more than --limit percent.  Exit status: 0 when no
row is worse than the limit, 1 otherwise, 2 on bad input.

Under icount the counts are deterministic (one instruction = one cycle), so
a change is a change in the instructions executed, not noise.
"""
import argparse
import glob
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench"))
import benchfmt  # noqa: E402


def load(d, mode, system):
	files = sorted(glob.glob(os.path.join(d, "results", "%s.%s.*.txt" % (mode, system))))
	if not files:
		raise SystemExit("benchdiff: no %s.%s results in %s/results" % (mode, system, d))
	vals = {}
	metric = "cycles/op" if mode == "icount" else "ns/op"
	for f in files:
		with open(f, encoding="utf-8", errors="replace") as fh:
			run = benchfmt.parse(fh.read())
		for r in run.results:
			if metric in r.metrics:
				vals.setdefault((r.base, r.procs), []).append(r.metrics[metric])
	return {k: statistics.median(v) for k, v in vals.items()}, metric


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("before")
	ap.add_argument("after")
	ap.add_argument("--mode", default="icount")
	ap.add_argument("--system", default="tally")
	ap.add_argument("--limit", type=float, default=1.0, help="percent (default 1.0)")
	a = ap.parse_args()
	b, metric = load(a.before, a.mode, a.system)
	c, _ = load(a.after, a.mode, a.system)
	worse = 0
	print("%-28s %12s %12s %8s   (%s, %s mode)" % ("benchmark", "before", "after", "change", metric, a.mode))
	for k in sorted(set(b) | set(c)):
		name = "%s-%s" % k
		if k not in b or k not in c:
			print("%-28s %12s %12s %8s" % (name, b.get(k, "-"), c.get(k, "-"), "only one"))
			continue
		pct = (c[k] - b[k]) / b[k] * 100 if b[k] else 0.0
		flag = ""
		if pct > a.limit:
			flag = "  WORSE than %.1f%%" % a.limit
			worse += 1
		print("%-28s %12.1f %12.1f %+7.2f%%%s" % (name, b[k], c[k], pct, flag))
	print("benchdiff: %d of %d rows worse by more than %.1f%%" % (worse, len(set(b) & set(c)), a.limit))
	return 1 if worse else 0


if __name__ == "__main__":
	sys.exit(main())

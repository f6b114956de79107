#!/usr/bin/env python3
"""render_isa.py - Tally's deterministic benchmark rows on both ISAs side by
side, as docs/bench.md's "x86_64 and aarch64" table.

Purpose: the same on-target benchmarks run on the x86_64 kernel (recorded
by `make bench` in docs/bench-results.json) and on the aarch64 kernel
(`make ARCH=aarch64 bench BENCH_ARGS='--modes icount --no-ledger-off'`,
recorded in tests/bench/runs/aarch64/results.json); this renders the
icount rows of both into the page's region, so that the page and the
numbers cannot drift apart.

Usage:
  render_isa.py [--x86 FILE] [--a64 FILE] [--doc docs/bench.md] [--write | --check]
  With neither --write nor --check the table is printed; --write replaces
  the region (markers "bench-isa"), --check exits 1 when it differs.

Columns: per benchmark and P (rows both ISAs ran; not the latency rows,
which are ns even under icount), Tally's guest
instructions per op on each (the table's "tally" value: x86_64's TSC
counts one per instruction under icount, aarch64's counter is coarser, so
its results hold ns/op, one instruction a virtual ns: compare.py's
coarse_counter), their ratio, and the runtime's and the kernel's share
of the op (%rt, %kern) on each.  Instructions are not comparable across
ISAs as costs: the instruction sets differ (aarch64 needs more, simpler
instructions for the same work, x86 folds memory operands in), so the
ratio says how the two compilers' and ports' code compares in count only;
the shares are comparable.

Invariants: the rendering is a function of the two results files alone.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from render_net import emit  # noqa: E402
from compare import LATENCY  # noqa: E402

DOC = os.path.join(ROOT, "docs", "bench.md")
X86 = os.path.join(ROOT, "docs", "bench-results.json")
A64 = os.path.join(ROOT, "tests", "bench", "runs", "aarch64", "results.json")
BEGIN = ("<!-- bench-isa: begin (rendered by tools/bench/render_isa.py from "
         "docs/bench-results.json and tests/bench/runs/aarch64/results.json; "
         "do not edit by hand) -->")
END = "<!-- bench-isa: end -->"


def rows(res):
	"""{(benchmark, P): (instructions per op, %rt, %kern)} of Tally's icount rows."""
	m = res["modes"]["icount"]
	bench = m["systems"]["tally"]["benchmarks"]
	out = {}
	for r in m["table"] + m.get("tally_only", []):
		if r.get("tally") is None or r.get("procs") is None or r["benchmark"] in LATENCY:
			continue   # (a latency row is ns of virtual time, not instructions)
		e = bench.get("%s-%d" % (r["benchmark"], r["procs"]), {}).get("metrics", {})

		def share(k):
			return e[k]["median"] if k in e else None
		out[(r["benchmark"], r["procs"])] = (r["tally"], share("%rt"), share("%kern"))
	return out


def num(v):
	if v is None:
		return "-"
	return "%.0f" % v if v >= 100 else "%.1f" % v


def pct(v):
	return "-" if v is None else "%.1f%%" % v


def render(x86, a64):
	rx, ra = rows(x86), rows(a64)
	order = [k for k in rx if k in ra]
	out = ["x86_64: `make bench` at commit `%s` (%s; %s). aarch64: `make ARCH=aarch64 bench "
	       "BENCH_ARGS='--modes icount --no-ledger-off'` at commit `%s`%s (%s; `-M %s -cpu %s`)." % (
	           x86["run"]["commit"], x86["run"]["qemu"], x86["run"]["date"],
	           a64["run"]["commit"], " (uncommitted changes)" if a64["run"]["dirty"] else "",
	           a64["run"]["qemu"], a64["run"]["args"]["machine"], a64["run"]["args"]["cpu"]),
	       "Both under `-icount shift=0`, one vCPU, tick %s Hz; medians of %d and %d boots." % (
	           a64["run"]["args"]["tally_tick"], x86["run"]["args"]["repeat"],
	           a64["run"]["args"]["repeat"]),
	       "",
	       "| benchmark | P | x86_64 instructions/op | aarch64 instructions/op | aarch64/x86_64 "
	       "| %rt x86_64 | %rt aarch64 | %kern x86_64 | %kern aarch64 |",
	       "|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
	for k in order:
		(ix, rtx, kx), (ia, rta, ka) = rx[k], ra[k]
		out.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s |" % (
			k[0], k[1], num(ix), num(ia), "%.2f" % (ia / ix) if ix else "-",
			pct(rtx), pct(rta), pct(kx), pct(ka)))
	return "\n".join(out) + "\n"


def main(argv=None):
	ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	ap.add_argument("--x86", default=X86)
	ap.add_argument("--a64", default=A64)
	ap.add_argument("--doc", default=DOC)
	g = ap.add_mutually_exclusive_group()
	g.add_argument("--write", action="store_true")
	g.add_argument("--check", action="store_true")
	a = ap.parse_args(argv)
	with open(a.x86) as f:
		x86 = json.load(f)
	with open(a.a64) as f:
		a64 = json.load(f)
	return emit(a.doc, [(render(x86, a64), BEGIN, END)], a.write, a.check, "render_isa",
	            "its results")


if __name__ == "__main__":
	sys.exit(main())

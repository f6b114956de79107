#!/usr/bin/env python3
"""render_ledger.py - the ledger-overhead tables of docs/ledger.md, rendered from a results file.

Purpose: the ledger's measured cost is never typed by hand.
tools/ledger_overhead.py --record measures it (every benchmark booted with
the ledger on and with `ledger=off`), writes docs/ledger-overhead.json,
which is committed, and calls this script, which rewrites the region of
docs/ledger.md between the two marker lines below.  A unit test
(test_render_ledger.py) re-renders the committed file and compares it with
the committed page, so the two cannot drift apart.

Usage:
  tools/bench/render_ledger.py          re-render docs/ledger.md from docs/ledger-overhead.json
  tools/bench/render_ledger.py --check  exit 1 when docs/ledger.md is not what the
                                        results file renders (what the unit test checks)

What is rendered (benchmarks in the order of the benchmark contract,
compare.CONTRACT): the recording (the command that made it, commit, date,
QEMU version, machine, CPU model, vCPUs, each benchmark's count), then per
mode a line saying the unit, the runs and, under icount, whether each
side's runs were identical; a table (benchmark with its P, median with
the ledger on and with `ledger=off` (with [min-max] when runs differ), the
cost the ledger adds per op (on - off), the overhead (on/off - 1), the
ledger's transitions per op (from the on side's benchmark line) and the
added cost divided by them, and, under icount, the on-side split
kern/rt/user/idle); and the cost of one
transition from the benchmark header (`ledger-transition:`), in ns too
when the guest TSC's rate is known and is not icount's.

Invariants: only the text between BEGIN and END changes (render.py's
replace_region); a page without both markers is an error, never a guess;
every number in the region comes from the results file.  Context: stdlib only.
"""

import argparse
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import compare  # noqa: E402
import render   # noqa: E402

DOC = os.path.join(ROOT, "docs", "ledger.md")
RESULTS = os.path.join(ROOT, "docs", "ledger-overhead.json")
BEGIN = ("<!-- ledger-overhead: begin (rendered by tools/bench/render_ledger.py from "
         "docs/ledger-overhead.json; do not edit by hand) -->")
END = "<!-- ledger-overhead: end -->"
MODE_TITLE = {"icount": "Under `%s`: guest instructions per op",
              "parallel": "In parallel TCG (no `-icount`; the guest TSC is the host's): ns per op"}
OP = {"Skynet": "10^6 leaves", "PrimeSieve": "100 primes"}
SPLIT = ("kern", "rt", "user", "idle")


def num(v, mode):
	"""One value: grouped digits from 10^5 up, one decimal under icount
	(counts repeat exactly), whole ns in parallel mode."""
	if v is None:
		return "-"
	if abs(v) >= 1e5:
		return "{:,.0f}".format(v).replace(",", " ")
	if abs(v) >= 100:
		return "%.1f" % v if mode == "icount" else "%.0f" % v
	return compare._fmt(v) if v >= 0 else "-" + compare._fmt(-v)


def count(v):
	"""A count per op: one decimal, grouped digits from 10^5 up."""
	if v is None:
		return "-"
	return "{:,.0f}".format(v).replace(",", " ") if abs(v) >= 1e5 else "%.1f" % v


def value(vals, mode):
	"""The median of one side's runs, with [min-max] when they differ."""
	if not vals:
		return "-"
	text = num(statistics.median(vals), mode)
	if min(vals) != max(vals):
		text += " [%s-%s]" % (num(min(vals), mode), num(max(vals), mode))
	return text


def plural(n, word):
	return "%d %s%s" % (n, word, "" if n == 1 else "s")


def render_mode(mode, mo):
	out = []
	bench = mo.get("benchmarks", {})
	runs = mo.get("runs", 0)
	head = MODE_TITLE.get(mode, mode + " (%s)")
	if "%s" in head:
		head = head % mo.get("qemu_mode", "?")
	head += ", median of %s per side" % plural(runs, "run")
	if mode == "icount" and runs > 1:
		differ = [n for n, p in bench.items()
		          if len(set(p.get("on", []))) > 1 or len(set(p.get("off", []))) > 1]
		head += (": each side's %d runs gave identical counts" % runs if not differ else
		         ": the runs differ in %s" % ", ".join(differ))
	out.append(head + ".")
	out.append("")
	cols = ["benchmark", "ledger on", "`ledger=off`", "added per op", "overhead",
	        "transitions per op", "added per transition"]
	if mode == "icount":
		cols.append("split on (kern/rt/user/idle %)")
	out.append("| " + " | ".join(cols) + " |")
	out.append("|---|" + "--:|" * 6 + ("---|" if mode == "icount" else ""))
	for n, p in sorted(bench.items(), key=lambda kv: compare._order(kv[0])):
		label = "%s-%s" % (n, p.get("procs") if p.get("procs") is not None else "?")
		if n in OP:
			label += " (%s)" % OP[n]
		on, off = p.get("on") or [], p.get("off") or []
		c = [label, value(on, mode), value(off, mode)]
		tr = p.get("transitions_op")
		if on and off:
			mon, moff = statistics.median(on), statistics.median(off)
			c += [num(mon - moff, mode), compare.pct_change(mon / moff) if moff else "-"]
			c += [count(tr), "%.1f" % ((mon - moff) / tr) if tr else "-"]
		else:
			c += ["-", "-", "-", "-"]
		if mode == "icount":
			s = p.get("split_on")
			c.append(" / ".join("%.1f" % s.get(k, 0.0) for k in SPLIT) if s else "-")
		out.append("| " + " | ".join(c) + " |")
	out.append("")
	tc, mhz = mo.get("transition_cycles"), mo.get("tsc_mhz")
	pc = mo.get("pair_switch_cycles")

	def cost(c):
		if mode == "icount":
			return "%s instructions" % c
		ns = " (%.0f ns at the guest TSC's %.0f MHz)" % (c * 1000.0 / mhz, mhz) if mhz else ""
		return "%s cycles%s" % (c, ns)
	if tc is None:
		out.append("One transition: not in the benchmark header.")
	else:
		line = ("One transition (`ledger-transition:` in the benchmark header, a push or a "
		        "pop): %s" % cost(tc))
		if pc is not None:
			line += "; one of the scheduler's pair switches (`ledger-pair-switch:`): %s" % cost(pc)
		out.append(line + ".")
	return out


def render_lines(js):
	"""The Markdown of one results file (a list of lines)."""
	counts = js.get("counts") or {}
	by = {}
	for n in sorted(counts, key=compare._order):
		by.setdefault(counts[n], []).append(n)
	out = ["Recorded with `%s`: commit `%s`%s, %s; %s; `-M %s -cpu %s -m %s`, %s; "
	       "ops per boot: %s." % (
		       js.get("command", "?"), js.get("commit", "?"),
		       " (with uncommitted changes)" if str(js.get("commit", "")).endswith("-dirty") else "",
		       js.get("date", "?"), js.get("qemu", "?"), js.get("machine", "?"),
		       js.get("cpu", "?"), js.get("mem", "?"), plural(js.get("smp", 0), "vCPU"),
		       "; ".join("%s %s" % (", ".join(ns), c[:-1] if c.endswith("x") else c)
		                 for c, ns in by.items()) or "?"), ""]
	for mode, mo in js.get("modes", {}).items():
		out += render_mode(mode, mo)
		out.append("")
	while out and out[-1] == "":
		out.pop()
	return out


def rendered_doc(doc_path, results_path):
	with open(results_path) as f:
		js = json.load(f)
	with open(doc_path) as f:
		text = f.read()
	return text, render.replace_region(text, render_lines(js), BEGIN, END)


def main(argv=None):
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("--check", action="store_true",
	                help="only check that the docs match the results file")
	ap.add_argument("--doc", default=DOC)
	ap.add_argument("--results", default=RESULTS)
	a = ap.parse_args(argv)
	return render.sync_doc("render_ledger", a.doc, a.results, a.check,
	                       rendered_doc(a.doc, a.results))


if __name__ == "__main__":
	sys.exit(main())

#!/usr/bin/env python3
"""render.py - the benchmark tables of docs/bench.md, rendered from a results file.

Purpose: the numbers in the documentation are never typed by hand.  A
`make bench` run writes build/bench/<date>-<commit>/results.json
(tools/bench/compare.py); recording it copies that file to
docs/bench-results.json, which is committed, and rewrites the region of
docs/bench.md between the two marker lines below with tables rendered
from it.  A unit test (test_render.py) re-renders the committed file and
compares it with the committed docs, so the two cannot drift apart.

Usage:
  tools/bench/render.py --record build/bench/latest   copy RUN/results.json
                        (slimmed, see below) to docs/bench-results.json,
                        then re-render docs/bench.md
  tools/bench/render.py          re-render docs/bench.md from docs/bench-results.json
  tools/bench/render.py --check  exit 1 when docs/bench.md is not what the
                        results file renders (what the unit test checks)

What is rendered, per mode: the run (commit, date, QEMU, machine,
benchtime), the settings lines of compare.py (Tally's tick and P, Linux's
HZ and preemption model, Go's GC, the ledger's measured overhead, the
repeatability verdict), the comparison table (benchmark, P, one column per
system, the ratios), and the ledger overhead table.  Cells are formatted
by compare.cell, the same function that writes table.txt.

What is recorded: the run's results.json less what can be derived
(slim(): each metric keeps its per-run values and median, not min and
max), with paths of this machine made relative to the repository
(portable(): QEMU command lines keep their arguments, `build/...` instead
of where the tree was), written by dumps(): objects indented, lists of
numbers or strings and objects of them on one line.  What it renders is unchanged by the
slimming (the unit test checks that).  tools/bench/render_ledger.py uses
the same three helpers and replace_region() for docs/ledger.md.

Invariants: only the text between BEGIN and END changes; a docs file
without both markers is an error, never a guess.  Context: stdlib only.
"""

import argparse
import copy
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import compare  # noqa: E402

DOC = os.path.join(ROOT, "docs", "bench.md")
RESULTS = os.path.join(ROOT, "docs", "bench-results.json")
BEGIN = ("<!-- bench-results: begin (rendered by tools/bench/render.py from "
         "docs/bench-results.json; do not edit by hand) -->")
END = "<!-- bench-results: end -->"


# An absolute path up to a `build/` component, or the repository's own
# root: what differs between two checkouts of the same tree.
_BUILD_PREFIX = re.compile(r"(?<![\w.-])/(?:[\w.+-]+/)+?(?=build/)")


def portable(s):
	"""s with the repository's root and any absolute prefix of a build/
	directory removed ("/x/y/build/x86_64/kernel.elf" -> "build/x86_64/kernel.elf")."""
	s = s.replace(ROOT + "/", "")
	return _BUILD_PREFIX.sub("", s)


def dumps(obj, indent=0):
	"""JSON text of obj: keys sorted, one item a line, except that lists of
	scalars and (below the top) objects holding only scalars and such lists
	take one line each; ends with a newline at top level."""
	pad = " " * (indent + 1)
	flat = all(not isinstance(v, dict) and not (isinstance(v, list) and any(
		isinstance(x, (dict, list)) for x in v)) for v in (obj.values() if
		isinstance(obj, dict) else ()))
	if isinstance(obj, dict) and obj and not (flat and indent > 0):
		items = ["%s%s: %s" % (pad, json.dumps(k), dumps(obj[k], indent + 1))
		         for k in sorted(obj)]
		text = "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
	elif isinstance(obj, list) and any(isinstance(x, (dict, list)) for x in obj):
		text = "[\n" + ",\n".join(pad + dumps(x, indent + 1) for x in obj) + \
			"\n" + " " * indent + "]"
	else:
		text = json.dumps(obj, sort_keys=True)
	return text + "\n" if indent == 0 else text


def slim(js):
	"""The results file to commit: js without min and max of each metric
	(the per-run values and the median stay), every string portable()."""
	def walk(o):
		if isinstance(o, dict):
			return {k: walk(v) for k, v in o.items()}
		if isinstance(o, list):
			return [walk(x) for x in o]
		return portable(o) if isinstance(o, str) else o
	out = walk(copy.deepcopy(js))
	for mo in out.get("modes", {}).values():
		for so in mo.get("systems", {}).values():
			for e in so.get("benchmarks", {}).values():
				for m in e.get("metrics", {}).values():
					m.pop("min", None)
					m.pop("max", None)
	return out


def _md(text):
	return text.replace("|", "\\|")


def render(js):
	"""The Markdown of one results file (a list of lines)."""
	run = js.get("run") or {}
	args = run.get("args") or {}
	out = []
	if run:
		out.append("Recorded run `%s`: commit `%s`%s, %s; %s; `-M %s -cpu %s -m %s`, "
		           "benchtime %s, Tally's tick %s Hz." % (
			           run.get("dir", "?"), run.get("commit", "?"),
			           " (with uncommitted changes)" if run.get("dirty") else "",
			           run.get("date", "?"), run.get("qemu", "?"), args.get("machine", "?"),
			           args.get("cpu", "?"), args.get("mem", "?"), args.get("benchtime", "?"),
			           args.get("tally_tick", "?")))
		out.append("")
	for mode, mo in js.get("modes", {}).items():
		out.append("### %s%s" % (compare.MODE_TITLE.get(mode, mode), compare.runs_note(mo)))
		out.append("")
		for s in compare.SYSTEMS + compare.VARIANTS:
			so = mo["systems"].get(s)
			if so is None and s in compare.SYSTEMS:
				out.append("- %s: not run" % s)
			elif so is not None and so["status"] != "ok":
				out.append("- %s: %s" % (s, _md(so["status"])))
		for line in compare.settings_lines(mode, mo):
			out.append("- " + _md(line))
		out.append("")
		head = ["benchmark", "P"] + [compare.TITLE[s] for s in compare.SYSTEMS] + \
			["%s/%s" % ab for ab in compare.RATIOS]
		out.append("| " + " | ".join(head) + " |")
		out.append("|---|--:|" + "--:|" * (len(head) - 2))
		for r in mo["table"]:
			c = [r["benchmark"], str(r["procs"]) if r["procs"] is not None else "-"]
			c += [compare.cell(r, s) for s in compare.SYSTEMS]
			c += [compare._fmt(r["%s/%s" % ab]) for ab in compare.RATIOS]
			out.append("| " + " | ".join(_md(x) for x in c) + " |")
		if mode == "icount" and any(r["benchmark"] in compare.LATENCY for r in mo["table"]):
			out.append("")
			out.append("Latencies (%s) are ns of virtual time: under `-icount sleep=off` "
			           "idle time is skipped, so the figure is the sleep plus its lateness, "
			           "not instructions." % ", ".join(compare.LATENCY))
		ov = compare.measured_overhead(mo)
		if ov:
			out.append("")
			out.append("Ledger overhead: Tally's instructions per op with the ledger on, "
			           "and booted with `ledger=off`.")
			out.append("")
			out.append("| benchmark | P | ledger on | ledger=off | overhead |")
			out.append("|---|--:|--:|--:|--:|")
			for o in ov:
				out.append("| %s | %s | %s | %s | %s |" % (
					o["benchmark"], o["procs"], compare._fmt(o["on"]),
					compare._fmt(o["off"]), compare.pct_change(o["ratio"])))
		out.append("")
	while out and out[-1] == "":
		out.pop()
	return out


def replace_region(text, lines, begin=BEGIN, end=END):
	"""text with the lines between begin and end replaced by lines."""
	b = text.find(begin)
	e = text.find(end)
	if b < 0 or e < 0 or e < b:
		raise ValueError("no '%s' ... '%s' region" % (begin, end))
	head = text[:b + len(begin)]
	return head + "\n" + "".join(l + "\n" for l in lines) + text[e:]


def rendered_doc(doc_path, results_path):
	with open(results_path) as f:
		js = json.load(f)
	with open(doc_path) as f:
		text = f.read()
	return text, replace_region(text, render(js))


def main(argv=None):
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("--record", metavar="RUN_DIR",
	                help="copy RUN_DIR/results.json (slimmed) to the committed results file first")
	ap.add_argument("--check", action="store_true",
	                help="only check that the docs match the results file")
	ap.add_argument("--doc", default=DOC)
	ap.add_argument("--results", default=RESULTS)
	a = ap.parse_args(argv)
	if a.record:
		src = os.path.join(a.record, "results.json")
		if not os.path.isfile(src):
			print("render: no %s" % src, file=sys.stderr)
			return 1
		with open(src) as f:
			js = json.load(f)
		with open(a.results, "w") as f:
			f.write(dumps(slim(js)))
		print("render: recorded %s as %s" % (src, os.path.relpath(a.results, ROOT)))
	return sync_doc("render", a.doc, a.results, a.check, rendered_doc(a.doc, a.results))


def sync_doc(prog, doc, results, check, old_new):
	"""The end of a renderer's main: with check, 1 (and a message) when the
	page differs from what the results render; else rewrite the page if it
	differs.  old_new is (page as it is, page as rendered)."""
	old, new = old_new
	if check:
		if old != new:
			print("%s: %s does not match %s (run tools/bench/%s.py)"
			      % (prog, os.path.relpath(doc, ROOT), os.path.relpath(results, ROOT), prog),
			      file=sys.stderr)
			return 1
		return 0
	if old != new:
		with open(doc, "w") as f:
			f.write(new)
		print("%s: rewrote %s" % (prog, os.path.relpath(doc, ROOT)))
	return 0


if __name__ == "__main__":
	sys.exit(main())

#!/usr/bin/env python3
"""render_packed.py - split against packed virtqueues, as docs/net.md's tables.

Purpose: docs/net.md ("Packed virtqueues") shows the recorded sessions of
`tools/netbench.py --systems tally-split,tally-packed` (Tally booted on a
device that offers packed rings, with virtio_packed=off and =on, rounds
alternated); this renders each region from its committed results file so
that the page and the numbers cannot drift apart.

Usage:
  render_packed.py [--doc docs/net.md] [--write | --check]
  Every recorded file of RECORDED into its own region (markers
  "netbench-packed-<tag>"); --write replaces the regions, --check exits 1
  when one differs from what its results render to; neither prints them.

Data: a results file of tools/netbench.py whose runs' systems are
tally-split and tally-packed.  Shown per measure: the median [min-max]
over the rounds of each, the ratio of the medians (packed / split), and
in how many rounds packed did better than split of the same round (the
two boot back to back, so a round shares the host's load).  Then each
phase's guest busy time and driver and interrupt time per operation.

Invariants: the rendering is a function of the results file alone.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import netfmt  # noqa: E402
from render_net import cell, num, emit, PHASES  # noqa: E402

DOC = os.path.join(ROOT, "docs", "net.md")
RUNS = os.path.join(ROOT, "tests", "bench", "runs", "net")
# tag -> recorded results file
RECORDED = {"p2": os.path.join(RUNS, "results-tap-packed.json"),
            "p1": os.path.join(RUNS, "results-tap-packed-smp1.json"),
            "p1-again": os.path.join(RUNS, "results-tap-packed-smp1-again.json")}
A, B = "tally-split", "tally-packed"


def markers(tag, path):
	begin = ("<!-- netbench-packed-%s: begin (rendered by tools/bench/render_packed.py from "
	         "%s; do not edit by hand) -->" % (tag, os.path.relpath(path, ROOT)))
	return begin, "<!-- netbench-packed-%s: end -->" % tag


def better_rounds(runs, path, better):
	"""(rounds where packed beat split, rounds with both) for one measure."""
	by = {}
	for r in runs:
		by.setdefault(r["round"], {})[r["system"]] = netfmt.dig(r, path)
	won = n = 0
	for d in by.values():
		a, b = d.get(A), d.get(B)
		if a is None or b is None:
			continue
		n += 1
		won += (b > a) if better == "high" else (b < a)
	return won, n


def render(res):
	c = res["config"]
	summ = netfmt.summarize(res["runs"])
	out = []
	rounds = sorted({r["round"] for r in res["runs"]})
	out.append("Recorded session of %s: commit `%s`%s, %s; `-M %s -cpu %s -m %s -smp %d` "
	           "(%s TCG), P=%d, net: %s, `%s%s` for both; %s `%s`, %s `%s`; %d rounds%s. "
	           "wrk %d s per run; UDP: %d ping-pong echoes, then %d in flight for %d s. "
	           "Host: %d CPUs, load average %s at the start, %s at the end." % (
	               res["date"], res["commit"], " (uncommitted changes)" if res["dirty"] else "",
	               res["qemu"], c["machine"], c["cpu"], c["mem"], c["smp"], c["tcg"], c["P"],
	               c["net"], c["nic"], c["variants"][A]["nic_extra"],
	               A, c["variants"][A]["option"], B, c["variants"][B]["option"], len(rounds),
	               ", the order reversed every other round" if c.get("alternate") else "",
	               c["wrk_seconds"], c["udp_count"], c["udp_window"], c["udp_seconds"],
	               res["host"]["ncpu"], "/".join(str(x) for x in res["host"]["load_start"]),
	               "/".join(str(x) for x in res["host"]["load_end"])))
	if res.get("failures"):
		out.append("")
		out.append("Failures in this session: " + "; ".join(res["failures"]))
	out.append("")
	out.append("| measure | unit | split | packed | packed/split | rounds packed better |")
	out.append("|---|---|--:|--:|--:|--:|")
	for key, label, unit, path, better in netfmt.METRICS:
		a = netfmt.dig(summ, (A, "metrics", key))
		b = netfmt.dig(summ, (B, "metrics", key))
		ratio = "%.2f" % (b["median"] / a["median"]) if a and b and a["median"] else "-"
		won, n = better_rounds(res["runs"], path, better)
		out.append("| %s | %s | %s | %s | %s | %d of %d |" % (
			label, unit, cell(a), cell(b), ratio, won, n))
	out.append("")
	out.append("Per operation, microseconds of guest time (medians over the rounds; "
	           "every CPU summed): busy, of it `kern.driver` (the driver's calls) and "
	           "`kern.irq` (interrupts):")
	out.append("")
	out.append("| phase | busy split | busy packed | `kern.driver` split | `kern.driver` packed "
	           "| `kern.irq` split | `kern.irq` packed |")
	out.append("|---|--:|--:|--:|--:|--:|--:|")
	for ph, label in PHASES:
		sa = netfmt.dig(summ, (A, "split", ph))
		sb = netfmt.dig(summ, (B, "split", ph))
		if not sa or not sb:
			continue

		def m(s, k):
			return num(s[k]["median"]) if k in s else "-"
		out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
			label, m(sa, "busy_us"), m(sb, "busy_us"), m(sa, "kern.driver"),
			m(sb, "kern.driver"), m(sa, "kern.irq"), m(sb, "kern.irq")))
	return "\n".join(out) + "\n"


def main(argv=None):
	ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	ap.add_argument("--doc", default=DOC)
	g = ap.add_mutually_exclusive_group()
	g.add_argument("--write", action="store_true")
	g.add_argument("--check", action="store_true")
	a = ap.parse_args(argv)
	bodies = []
	for tag in sorted(RECORDED):
		path = RECORDED[tag]
		with open(path) as f:
			bodies.append((path, render(json.load(f)), markers(tag, path)))
	return emit(a.doc, [(body, b, e) for _, body, (b, e) in bodies], a.write, a.check,
	            "render_packed", "its results")


if __name__ == "__main__":
	sys.exit(main())

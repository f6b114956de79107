#!/usr/bin/env python3
"""render_net.py - the network benchmarks' results as docs/net.md's tables.

Purpose: docs/net.md shows the recorded session of tools/netbench.py
(Tally's udpecho and httpd against the same servers in Go); this renders
that region from the committed results file, so that the page and the
numbers cannot drift apart (tools/bench/test_render_net.py checks it).

Usage:
  render_net.py [--results tests/bench/runs/net/results.json] [--doc docs/net.md]
                [--write | --check]
  --write replaces the region between the markers below; --check exits 1
  when the region differs from what the results render to; neither
  prints the rendering.

Data: the results file (tools/netbench.py): the session's facts, one run
per system and round ({"udp": {"pingpong", "flood"}, "http": {"c1",
"c64"}}, each phase with the client's figures and the guest's split per
operation, "guest").  Every figure shown is the median over the rounds
with its [min-max] (tools/bench/netfmt.py: summarize, goal_verdicts).

Invariants: the rendering is a function of the results file alone (no
clock, no environment); numbers are printed with at most 3 significant
digits above 100 and one decimal below.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import netfmt  # noqa: E402

BEGIN = ("<!-- netbench-results: begin (rendered by tools/bench/render_net.py from "
         "tests/bench/runs/net/results.json; do not edit by hand) -->")
END = "<!-- netbench-results: end -->"
RESULTS = os.path.join(ROOT, "tests", "bench", "runs", "net", "results.json")
DOC = os.path.join(ROOT, "docs", "net.md")

# The phases with one operation at a time: only there is the client's
# wall time per operation the sum of the guest's part and the rest.
SERIAL = ("udp_pingpong", "http_c1")
PHASES = (("udp_pingpong", "UDP ping-pong, per echo"),
          ("udp_flood", "UDP 16 in flight, per echo"),
          ("http_c1", "HTTP, 1 connection, per request"),
          ("http_c64", "HTTP, 64 connections, per request"))


def num(v):
	if v is None:
		return "-"
	a = abs(v)
	if a >= 100:
		return "%d" % round(v)
	if a >= 10:
		return "%.1f" % v
	return "%.2f" % v


def cell(s, scale=1.0):
	if not s:
		return "-"
	if s["n"] == 1:
		return num(s["median"] * scale)
	return "%s [%s-%s]" % (num(s["median"] * scale), num(s["min"] * scale), num(s["max"] * scale))


def pct(s):
	return "-" if not s else "%d%%" % round(s["median"] * 100)


def unseen(ph, s):
	if ph not in SERIAL:
		return "-"
	return "%s (%s)" % (num(s["unseen_us"]["median"]), pct(s["unseen_share"]))


def render(res):
	c = res["config"]
	summ = netfmt.summarize(res["runs"])
	nrounds = {k: len({r["round"] for r in res["runs"] if r["system"] == k}) for k in summ}
	out = []
	out.append("Recorded session of %s: commit `%s`%s, %s; `-M %s -cpu %s -m %s -smp %d` "
	           "(%s TCG), P=%d (Tally: its CPUs; Go: GOMAXPROCS), `%s` on %s; the Go "
	           "peer in %s with `%s`; Tally with %s. Rounds: %s, alternated. wrk %d s "
	           "per run; UDP: %d ping-pong echoes, then %d in flight for %d s, 64-byte "
	           "datagrams. Host: %d CPUs, load average %s at the start, %s at the end." % (
	               res["date"], res["commit"], " (uncommitted changes)" if res["dirty"] else "",
	               res["qemu"], c["machine"], c["cpu"], c["mem"], c["smp"],
	               c["tcg"], c["P"], c["nic"], c["netdev"], c["linux"], c["linux_append"] or "-",
	               ("`" + c["tally_args"] + "`") if c["tally_args"] else "its default options",
	               ", ".join("%s %d" % (k, nrounds[k]) for k in sorted(nrounds)),
	               c["wrk_seconds"], c["udp_count"], c["udp_window"], c["udp_seconds"],
	               res["host"]["ncpu"], "/".join(str(x) for x in res["host"]["load_start"]),
	               "/".join(str(x) for x in res["host"]["load_end"])))
	if res.get("failures"):
		out.append("")
		out.append("Failures in this session: " + "; ".join(res["failures"]))
	out.append("")
	out.append("Median [min-max] over the rounds:")
	out.append("")
	out.append("| measure | unit | Tally | Go | Tally/Go | goal | met |")
	out.append("|---|---|--:|--:|--:|---|---|")
	verdicts = netfmt.goal_verdicts(summ)
	for key, label, unit, _, _ in netfmt.METRICS:
		t = netfmt.dig(summ, ("tally", "metrics", key))
		g = netfmt.dig(summ, ("go", "metrics", key))
		ratio = "-"
		if t and g and g["median"]:
			ratio = "%.2f" % (t["median"] / g["median"])
		goal, met = "", ""
		if key in verdicts:
			goal = verdicts[key][1]
			met = "yes" if verdicts[key][2] else "no"
		out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
			label, unit, cell(t), cell(g), ratio, goal, met))
	out.append("")
	out.append("Where the time of one operation goes, in microseconds (medians over the "
	           "rounds): the client's wall time per operation (for the loaded phases "
	           "the run's length over its operations), the guest's busy time per "
	           "operation (every CPU summed), what the guest cannot see (the "
	           "difference: slirp, the host's sockets, the client; only where one "
	           "operation is in flight at a time, and then a lower bound: busy time "
	           "on both CPUs at once counts twice) and the guest's split. "
	           "Utilisation: busy time over CPUs x wall time.")
	out.append("")
	out.append("Tally (the ledger):")
	out.append("")
	tg = [g for g in netfmt.TALLY_GROUPS if g != "idle"]
	out.append("| phase | client wall | guest busy | unseen (share) | %s | idle | utilisation |" %
	           " | ".join("`%s`" % g for g in tg))
	out.append("|---|--:|--:|--:|%s--:|--:|" % ("--:|" * len(tg)))
	for ph, label in PHASES:
		s = netfmt.dig(summ, ("tally", "split", ph))
		if not s:
			continue
		out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
			label, num(s["wall_us"]["median"]), num(s["busy_us"]["median"]), unseen(ph, s),
			" | ".join(num(s[g]["median"]) if g in s else "-" for g in tg),
			num(s["idle"]["median"]), pct(s["utilisation"])))
	out.append("")
	out.append("Go in Linux (/proc/stat, summed over CPUs; its ticks are 10 ms, so a "
	           "phase of a few seconds reads to about 1%):")
	out.append("")
	lg = [g for g in netfmt.LINUX_GROUPS if g != "idle"]
	out.append("| phase | client wall | guest busy | unseen (share) | %s | idle | utilisation |" %
	           " | ".join("`%s`" % g for g in lg))
	out.append("|---|--:|--:|--:|%s--:|--:|" % ("--:|" * len(lg)))
	for ph, label in PHASES:
		s = netfmt.dig(summ, ("go", "split", ph))
		if not s:
			continue
		out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
			label, num(s["wall_us"]["median"]), num(s["busy_us"]["median"]), unseen(ph, s),
			" | ".join(num(s[g]["median"]) if g in s else "-" for g in lg),
			num(s["idle"]["median"]), pct(s["utilisation"])))
	return "\n".join(out) + "\n"


def splice(doc, body):
	"""doc with the region between the markers replaced by body."""
	i = doc.find(BEGIN)
	j = doc.find(END)
	if i < 0 or j < i:
		raise ValueError("no netbench-results markers in the page")
	return doc[:i + len(BEGIN)] + "\n" + body + doc[j:]


def main(argv=None):
	ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	ap.add_argument("--results", default=RESULTS)
	ap.add_argument("--doc", default=DOC)
	g = ap.add_mutually_exclusive_group()
	g.add_argument("--write", action="store_true")
	g.add_argument("--check", action="store_true")
	a = ap.parse_args(argv)
	with open(a.results) as f:
		body = render(json.load(f))
	if not a.write and not a.check:
		sys.stdout.write(body)
		return 0
	with open(a.doc) as f:
		doc = f.read()
	new = splice(doc, body)
	if a.check:
		if new != doc:
			print("render_net: %s does not match %s (run render_net.py --write)" % (
				os.path.relpath(a.doc, ROOT), os.path.relpath(a.results, ROOT)))
			return 1
		return 0
	with open(a.doc, "w") as f:
		f.write(new)
	return 0


if __name__ == "__main__":
	sys.exit(main())

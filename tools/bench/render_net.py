#!/usr/bin/env python3
"""render_net.py - the network benchmarks' results as docs/net.md's tables.

Purpose: docs/net.md shows the recorded sessions of tools/netbench.py
(Tally's udpecho and httpd against the same servers in Go), one through
QEMU's user networking (slirp) and one through a tap device; this
renders each region from its committed results file, so that the page
and the numbers cannot drift apart (tools/bench/test_render_net.py
checks it).

Usage:
  render_net.py [--results FILE] [--doc docs/net.md] [--write | --check]
  Without --results, both recorded files: tests/bench/runs/net/results.json
  into the region between BEGIN and END, results-tap.json between
  BEGIN_TAP and END_TAP (REGIONS); with it, that one file into the region
  of its config.net ("user" when the file has none).  --write replaces
  the regions; --check exits 1 when a region differs from what its
  results render to; neither prints the renderings.

Data: a results file (tools/netbench.py): the session's facts (config.net
says which netdev: user or tap), one run
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
# the session through a tap device (tools/netbench.py --net tap)
BEGIN_TAP = ("<!-- netbench-tap-results: begin (rendered by tools/bench/render_net.py from "
             "tests/bench/runs/net/results-tap.json; do not edit by hand) -->")
END_TAP = "<!-- netbench-tap-results: end -->"
RESULTS_TAP = os.path.join(ROOT, "tests", "bench", "runs", "net", "results-tap.json")
DOC = os.path.join(ROOT, "docs", "net.md")
# net (the results file's config.net; "user" when it has none, as the
# sessions before --net had) -> (recorded results file, its region)
REGIONS = {"user": (RESULTS, BEGIN, END), "tap": (RESULTS_TAP, BEGIN_TAP, END_TAP)}
# what a client's time holds beside the guest's, by net
UNSEEN = {"user": "slirp, the host's sockets, the client",
          "tap": "QEMU's tap back end, the namespace's Linux stack, the client"}

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


def net_of(res):
	return res["config"].get("net", "user")


def render(res):
	c = res["config"]
	net = net_of(res)
	summ = netfmt.summarize(res["runs"])
	nrounds = {k: len({r["round"] for r in res["runs"] if r["system"] == k}) for k in summ}
	out = []
	out.append("Recorded session of %s: commit `%s`%s, %s; `-M %s -cpu %s -m %s -smp %d` "
	           "(%s TCG), P=%d (Tally: its CPUs; Go: GOMAXPROCS), net: %s, `%s` on %s; the Go "
	           "peer in %s with `%s`; Tally with %s. Rounds: %s, alternated. wrk %d s "
	           "per run; UDP: %d ping-pong echoes, then %d in flight for %d s, 64-byte "
	           "datagrams. Host: %d CPUs, load average %s at the start, %s at the end." % (
	               res["date"], res["commit"], " (uncommitted changes)" if res["dirty"] else "",
	               res["qemu"], c["machine"], c["cpu"], c["mem"], c["smp"],
	               c["tcg"], c["P"], net, c["nic"], c["netdev"], c["linux"], c["linux_append"] or "-",
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
	           "difference: %s; only where one "
	           "operation is in flight at a time, and then a lower bound: busy time "
	           "on both CPUs at once counts twice) and the guest's split. "
	           "Utilisation: busy time over CPUs x wall time." % UNSEEN[net])
	out.append("")
	out.append("Tally (the ledger):")
	out.append("")
	split_table(out, summ, "tally", netfmt.TALLY_GROUPS)
	out.append("")
	out.append("Go in Linux (/proc/stat, summed over CPUs; its ticks are 10 ms, so a "
	           "phase of a few seconds reads to about 1%):")
	out.append("")
	split_table(out, summ, "go", netfmt.LINUX_GROUPS)
	return "\n".join(out) + "\n"


def split_table(out, summ, system, groups):
	"""Append one system's per-phase split (medians) to out: wall, busy,
	what the guest cannot see, each class of groups but idle, idle, and
	utilisation."""
	cls = [g for g in groups if g != "idle"]
	out.append("| phase | client wall | guest busy | unseen (share) | %s | idle | utilisation |" %
	           " | ".join("`%s`" % g for g in cls))
	out.append("|---|--:|--:|--:|%s--:|--:|" % ("--:|" * len(cls)))
	for ph, label in PHASES:
		s = netfmt.dig(summ, (system, "split", ph))
		if not s:
			continue
		out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
			label, num(s["wall_us"]["median"]), num(s["busy_us"]["median"]), unseen(ph, s),
			" | ".join(num(s[g]["median"]) if g in s else "-" for g in cls),
			num(s["idle"]["median"]), pct(s["utilisation"])))


def splice(doc, body, begin=BEGIN, end=END):
	"""doc with the region between the markers begin and end replaced by body."""
	i = doc.find(begin)
	j = doc.find(end)
	if i < 0 or j < i:
		raise ValueError("no %s markers in the page" % begin.split(":")[0].lstrip("<!- "))
	return doc[:i + len(begin)] + "\n" + body + doc[j:]


def emit(doc_path, regions, write, check, prog, sources):
	"""The common tail of the renderers: regions is [(body, begin, end)].
	Neither write nor check: print the bodies.  check: 1 when the page's
	regions differ from the bodies (naming sources), else 0.  write:
	splice them into the page."""
	if not write and not check:
		for body, _, _ in regions:
			sys.stdout.write(body)
		return 0
	with open(doc_path) as f:
		doc = f.read()
	new = doc
	for body, begin, end in regions:
		new = splice(new, body, begin, end)
	if check:
		if new != doc:
			print("%s: %s does not match %s (run %s.py --write)" % (
				prog, os.path.relpath(doc_path, ROOT), sources, prog))
			return 1
		return 0
	with open(doc_path, "w") as f:
		f.write(new)
	return 0


def main(argv=None):
	ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	ap.add_argument("--results", help="one results file (default: both recorded ones, "
	                "each into its region)")
	ap.add_argument("--doc", default=DOC)
	g = ap.add_mutually_exclusive_group()
	g.add_argument("--write", action="store_true")
	g.add_argument("--check", action="store_true")
	a = ap.parse_args(argv)
	todo = [a.results] if a.results else [REGIONS[n][0] for n in sorted(REGIONS)]
	bodies = []
	for path in todo:
		with open(path) as f:
			res = json.load(f)
		net = net_of(res)
		if net not in REGIONS:
			print("render_net: %s: unknown net %r" % (path, net))
			return 2
		bodies.append((path, render(res), REGIONS[net][1:]))
	return emit(a.doc, [(body, b, e) for _, body, (b, e) in bodies], a.write, a.check,
	            "render_net", " and ".join(os.path.relpath(p, ROOT) for p, _, _ in bodies))


if __name__ == "__main__":
	sys.exit(main())

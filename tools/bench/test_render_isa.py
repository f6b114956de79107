"""test_render_isa.py - unit tests of tools/bench/render_isa.py, and the
drift check.

Purpose: the renderer puts Tally's icount rows of an x86_64 and an aarch64
results file side by side.  These tests feed it results written by hand
(ratios and shares computed here, not by the code under test), and check
that the committed docs/bench.md is exactly what the committed results
files render to.
"""

import contextlib
import io
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import render_isa  # noqa: E402


def results(commit, rows, shares, machine="q35", cpu="max"):
	bench = {}
	for (name, procs), (rt, kern) in shares.items():
		bench["%s-%d" % (name, procs)] = {"metrics": {"%rt": {"median": rt},
		                                              "%kern": {"median": kern}}}
	table = [{"benchmark": n, "procs": p, "tally": v} for (n, p), v in rows.items()]
	table.append({"benchmark": "ChanPingPongCrossP", "procs": None, "tally": None})
	return {"run": {"commit": commit, "dirty": False, "qemu": "QEMU 7.2", "date": "D",
	                "args": {"machine": machine, "cpu": cpu, "tally_tick": 250, "repeat": 3}},
	        "modes": {"icount": {"table": table, "tally_only": [],
	                             "systems": {"tally": {"benchmarks": bench}}}}}


class Render(unittest.TestCase):
	def test_hand_results(self):
		x86 = results("aaa", {("SpawnJoin", 1): 1000.0, ("Skynet", 1): 2.0e9},
		              {("SpawnJoin", 1): (40.0, 0.5), ("Skynet", 1): (50.0, 1.0)})
		a64 = results("bbb", {("SpawnJoin", 1): 1250.0, ("GCAlloc64", 1): 85.0},
		              {("SpawnJoin", 1): (45.0, 0.25), ("GCAlloc64", 1): (30.0, 0.0)},
		              machine="virt,gic-version=3", cpu="cortex-a72")
		out = render_isa.render(x86, a64)
		# only rows both ran; 1250 / 1000 = 1.25
		self.assertIn("| SpawnJoin | 1 | 1000 | 1250 | 1.25 | 40.0% | 45.0% | 0.5% | 0.2% |", out)
		self.assertNotIn("Skynet", out)
		self.assertNotIn("GCAlloc64", out)
		self.assertNotIn("ChanPingPongCrossP", out)
		self.assertIn("`-M virt,gic-version=3 -cpu cortex-a72`", out)

	def test_doc_matches_the_recorded_results(self):
		buf = io.StringIO()
		with contextlib.redirect_stdout(buf):
			rc = render_isa.main(["--check"])
		self.assertEqual(rc, 0, buf.getvalue())


if __name__ == "__main__":
	unittest.main()

"""test_render_net.py - unit tests of tools/bench/render_net.py, and the drift check.

Purpose: the renderer turns the network benchmarks' results file into
the region of docs/net.md between its markers.  These tests feed it a
results file written by hand (the expected cells computed here, not by
the code under test), check that only the marked region of a page
changes, and check that the committed docs/net.md is exactly what the
committed tests/bench/runs/net/results.json renders to.
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import render_net  # noqa: E402


def phase_guest(busy, wall, split):
	return {"busy_us": busy, "wall_us": wall, "unseen_us": wall - busy,
	        "unseen_share": (wall - busy) / wall, "utilisation": 0.5, "split_us": split}


def hand_results():
	tsplit = {"kern.driver": 10.0, "kern.irq": 2.0, "rt.netpoll": 3.0, "rt.net": 20.0,
	          "rt.sched": 4.0, "user": 1.0, "other": 0.0, "idle": 60.0}
	lsplit = {"user": 30.0, "system": 50.0, "irq": 0.0, "softirq": 20.0, "other": 0.0,
	          "idle": 100.0}
	runs = []
	for rnd, (t1, g1) in enumerate(((1000, 400), (1200, 600), (900, 500)), 1):
		runs.append({"system": "tally", "round": rnd,
		             "udp": {"pingpong": {"p50_us": 100.0, "p99_us": 300.0, "rate": 5000.0,
		                                  "guest": phase_guest(40.0, 200.0, tsplit)},
		                     "flood": {"pps": 8000.0}},
		             "http": {"c1": {"rps": t1, "p50_us": 800.0, "p99_us": 5000.0},
		                      "c64": {"rps": 3000.0, "p50_us": 9000.0, "p99_us": 700000.0}}})
		runs.append({"system": "go", "round": rnd,
		             "udp": {"pingpong": {"p50_us": 400.0, "p99_us": 900.0, "rate": 1000.0,
		                                  "guest": phase_guest(100.0, 250.0, lsplit)},
		                     "flood": {"pps": 2000.0}},
		             "http": {"c1": {"rps": g1, "p50_us": 3000.0, "p99_us": 20000.0},
		                      "c64": {"rps": 1000.0, "p50_us": 30000.0, "p99_us": 900000.0}}})
	return {"schema": 1, "date": "2026-01-01 00:00:00 UTC", "commit": "abc", "dirty": False,
	        "qemu": "QEMU emulator version 7.2.0",
	        "config": {"machine": "q35", "cpu": "max", "mem": "512M", "smp": 2, "P": 2,
	                   "tcg": "multi-threaded (parallel)", "nic": "virtio-net-pci",
	                   "netdev": "user", "tally_args": "", "linux_append": "tsc=reliable",
	                   "linux": "linux-image-x", "rounds": 3, "wrk_seconds": 5,
	                   "udp_count": 2000, "udp_window": 16, "udp_seconds": 3},
	        "host": {"ncpu": 2, "load_start": [1.0, 1.0, 1.0], "load_end": [2.0, 2.0, 2.0]},
	        "boots": [], "runs": runs, "failures": []}


class Render(unittest.TestCase):
	def test_table(self):
		text = render_net.render(hand_results())
		# medians over the three rounds: Tally 1000 (900..1200), Go 500
		# (400..600): ratio 2.00, the goal of 2x met
		self.assertIn("| HTTP, 1 connection | requests/s | 1000 [900-1200] | 500 [400-600] "
		              "| 2.00 | at least 2x Go | yes |", text)
		# 3000 against 1000: 3.00
		self.assertIn("| HTTP, 64 connections | requests/s | 3000 [3000-3000] | 1000 [1000-1000] "
		              "| 3.00 | at least 2x Go | yes |", text)
		# 100 us against 400 us: 0.25, the goal (at most half) met
		self.assertIn("| UDP round trip, median (ping-pong) | us | 100 [100-100] | 400 [400-400] "
		              "| 0.25 | at most 0.5x Go | yes |", text)
		# the split: wall 200, busy 40, unseen 160 (80%)
		self.assertIn("| UDP ping-pong, per echo | 200 | 40.0 | 160 (80%) | 10.0 | 2.00 | 3.00 "
		              "| 20.0 | 4.00 | 1.00 | 0.00 | 60.0 | 50% |", text)
		self.assertIn("| UDP ping-pong, per echo | 250 | 100 | 150 (60%) | 30.0 | 50.0 | 0.00 "
		              "| 20.0 | 0.00 | 100 | 50% |", text)
		self.assertIn("Rounds: go 3, tally 3", text)

	def test_goal_missed(self):
		r = hand_results()
		for run in r["runs"]:
			if run["system"] == "tally":
				run["udp"]["flood"]["pps"] = 3000.0
		text = render_net.render(r)
		self.assertIn("| UDP echo, 16 in flight | echoes/s | 3000 [3000-3000] | 2000 [2000-2000] "
		              "| 1.50 | at least 2x Go | no |", text)

	def test_splice(self):
		doc = "a\n%s\nold\n%s\nb\n" % (render_net.BEGIN, render_net.END)
		self.assertEqual(render_net.splice(doc, "new\n"),
		                 "a\n%s\nnew\n%s\nb\n" % (render_net.BEGIN, render_net.END))
		with self.assertRaises(ValueError):
			render_net.splice("no markers\n", "x")

	def test_docs_match_results_file(self):
		with open(render_net.RESULTS) as f:
			body = render_net.render(json.load(f))
		with open(render_net.DOC) as f:
			doc = f.read()
		self.assertEqual(render_net.splice(doc, body), doc,
		                 "docs/net.md does not match tests/bench/runs/net/results.json: "
		                 "run tools/bench/render_net.py --write")


if __name__ == "__main__":
	unittest.main()

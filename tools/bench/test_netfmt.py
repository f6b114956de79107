"""test_netfmt.py - unit tests of tools/bench/netfmt.py on recorded outputs.

Purpose: the network benchmarks' parsing and reduction, fed what a real
session printed (tests/bench/net/, see its README) and checked against
truth the code under test did not compute: wrk's own "Requests/sec:"
line (wrk's C code divides its count by its duration), the raw JSON of
/stats summed here class by class, the number of datagrams the recorded
session's client sent (300 ping-pong echoes, and the mark), and small
inputs with hand-computed answers.
"""

import json
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REC = os.path.join(ROOT, "tests", "bench", "net")
sys.path.insert(0, HERE)
import netfmt  # noqa: E402


def rec(name):
	with open(os.path.join(REC, name), errors="replace") as f:
		return f.read()


class Wrk(unittest.TestCase):
	def test_recorded(self):
		for name in ("tally.1.http.c1.wrk.txt", "tally.1.http.c64.wrk.txt",
		             "go.1.both.c1.wrk.txt", "go.1.both.c64.wrk.txt"):
			text = rec(name)
			w = netfmt.parse_wrk(text)
			wrk_rps = float(re.search(r"^Requests/sec:\s+([\d.]+)$", text, re.M).group(1))
			self.assertAlmostEqual(w["rps"], wrk_rps, delta=wrk_rps * 0.01, msg=name)
			# wrk's summary line: "N requests in ..."
			n = int(re.search(r"^\s+(\d+) requests in", text, re.M).group(1))
			self.assertEqual(w["requests"], n, name)
			self.assertEqual(w["ok"], n, name)
			self.assertEqual(w["errors"], 0, name)
			self.assertLessEqual(w["p50_us"], w["p90_us"])
			self.assertLessEqual(w["p99_us"], w["max_us"])

	def test_missing_lines(self):
		with self.assertRaises(ValueError):
			netfmt.parse_wrk("Running 2s test @ http://127.0.0.1:1/\nRequests/sec: 1\n")

	def test_errors_added(self):
		text = ("wrk-check: requests 10 ok 7 bad 1 errors connect 1 read 2 write 0 status 0 timeout 3\n"
		        "wrk-check: dist duration_us 2000000 mean_us 5.0 p50_us 4 p90_us 6 p99_us 7 "
		        "p999_us 8 max_us 9\n")
		w = netfmt.parse_wrk(text)
		self.assertEqual(w["errors"], 6)
		self.assertEqual(w["rps"], 5.0)


class Stats(unittest.TestCase):
	def test_tally_ledger(self):
		before, after = rec("tally.1.http.c1.stats.json").splitlines()
		a, b = netfmt.parse_stats(before), netfmt.parse_stats(after)
		jb, ja = json.loads(before), json.loads(after)
		hz = jb["cpus"][0]["hz"]
		# totals and groups summed here from the raw JSON
		for acct, j in ((a, jb), (b, ja)):
			elapsed = sum(c["elapsed"] for c in j["cpus"])
			self.assertAlmostEqual(sum(acct["seconds"].values()), elapsed / hz, places=6)
			irq = sum(v for c in j["cpus"] for k, v in c["classes"].items()
			          if k.startswith("kern.irq."))
			self.assertAlmostEqual(acct["seconds"]["kern.irq"], irq / hz, places=9)
			net = sum(c["classes"]["rt.net"] for c in j["cpus"])
			self.assertAlmostEqual(acct["seconds"]["rt.net"], net / hz, places=9)
		d = netfmt.acct_sub(b, a)
		# /stats counts the requests served: the wrk run's, those in
		# flight when wrk stopped (it does not count them; one per
		# connection at most) and the first /stats itself (the one after
		# is counted when it ends)
		w = netfmt.parse_wrk(rec("tally.1.http.c1.wrk.txt"))
		self.assertGreaterEqual(d["count"], w["requests"] + 1)
		self.assertLessEqual(d["count"], w["requests"] + 1 + 1)
		self.assertGreater(d["seconds"]["rt.net"], 0)
		with self.assertRaises(ValueError):
			netfmt.acct_sub(a, b)

	def test_linux_procstat(self):
		before, after = rec("go.1.both.c64.stats.json").splitlines()
		a, b = netfmt.parse_stats(before), netfmt.parse_stats(after)
		ja = json.loads(after)
		ticks = sum(int(v) for c in ja["cpus"] for v in c["ticks"].values())
		self.assertAlmostEqual(sum(b["seconds"].values()), ticks / 100.0, places=6)
		idle = sum(int(c["ticks"]["idle"]) + int(c["ticks"]["iowait"]) for c in ja["cpus"])
		self.assertAlmostEqual(b["seconds"]["idle"], idle / 100.0, places=6)
		d = netfmt.acct_sub(b, a)
		w = netfmt.parse_wrk(rec("go.1.both.c64.wrk.txt"))
		self.assertGreaterEqual(d["count"], w["requests"] + 1)
		self.assertLessEqual(d["count"], w["requests"] + 1 + 64)

	def test_kinds_differ(self):
		t = netfmt.parse_stats(rec("tally.1.http.c1.stats.json").splitlines()[0])
		g = netfmt.parse_stats(rec("go.1.both.c1.stats.json").splitlines()[0])
		with self.assertRaises(ValueError):
			netfmt.acct_sub(t, g)


class Marks(unittest.TestCase):
	def test_udpecho(self):
		marks = netfmt.parse_marks(rec("tally.1.udp.log"))
		self.assertEqual(len(marks), 3)
		self.assertEqual([m["kind"] for m in marks], ["ledger"] * 3)
		# the recorded client: 300 ping-pong datagrams between two marks
		self.assertEqual(netfmt.acct_sub(marks[1], marks[0])["count"], 301)
		line = [l for l in rec("tally.1.udp.log").splitlines() if "udpecho: mark" in l][0]
		hz = int(re.search(r" hz (\d+)", line).group(1))
		el = int(re.search(r" elapsed (\d+)", line).group(1))
		self.assertAlmostEqual(sum(marks[0]["seconds"].values()), el / hz, places=9)

	def test_netpeer(self):
		marks = netfmt.parse_marks(rec("go.1.both.log"))
		self.assertEqual(len(marks), 3)
		self.assertEqual(netfmt.acct_sub(marks[1], marks[0])["count"], 301)
		self.assertEqual(marks[0]["kind"], "procstat")

	def test_hand_made(self):
		m = netfmt.parse_marks("udpecho: mark 5 hz 1000 elapsed 3000 residue 0 idle=1000 "
		                       "user=500 kern.irq.timer=250 kern.irq.ipi=250 rt.net=500 "
		                       "kern.boot=400\n")
		s = m[0]["seconds"]
		self.assertEqual(s["kern.irq"], 0.5)
		self.assertEqual(s["idle"], 1.0)
		self.assertAlmostEqual(s["other"], 0.5)   # kern.boot 400 and the residue 100
		self.assertAlmostEqual(sum(s.values()), 3.0)


class Reduce(unittest.TestCase):
	def test_percentile(self):
		v = list(range(1, 11))
		self.assertEqual(netfmt.percentile(v, 50), 5)
		self.assertEqual(netfmt.percentile(v, 90), 9)
		self.assertEqual(netfmt.percentile(v, 99), 10)
		self.assertEqual(netfmt.percentile([7], 50), 7)

	def test_per_op(self):
		d = {"kind": "ledger", "count": 100,
		     "seconds": {"user": 0.01, "rt.net": 0.02, "idle": 0.07}}
		r = netfmt.per_op(d, 100, 0.05, 2)
		g = netfmt.per_op(d, 100, 0.05, 2, guest_ops=150)
		self.assertAlmostEqual(g["busy_us"], 200.0)
		self.assertAlmostEqual(g["wall_us"], 500.0)
		self.assertAlmostEqual(r["busy_us"], 300.0)
		self.assertAlmostEqual(r["wall_us"], 500.0)
		self.assertAlmostEqual(r["unseen_us"], 200.0)
		self.assertAlmostEqual(r["unseen_share"], 0.4)
		self.assertAlmostEqual(r["utilisation"], 0.3)
		self.assertAlmostEqual(r["split_us"]["rt.net"], 200.0)

	def test_goals(self):
		runs = [{"system": "tally", "round": 1, "http": {"c1": {"rps": 1000}, "c64": {"rps": 300}},
		         "udp": {"pingpong": {"p50_us": 100}, "flood": {"pps": 4000}}},
		        {"system": "go", "round": 1, "http": {"c1": {"rps": 500}, "c64": {"rps": 200}},
		         "udp": {"pingpong": {"p50_us": 150}, "flood": {"pps": 1000}}}]
		v = netfmt.goal_verdicts(netfmt.summarize(runs))
		self.assertEqual(v["http_c1_rps"][2], True)     # 2.0x
		self.assertEqual(v["http_c64_rps"][2], False)   # 1.5x
		self.assertEqual(v["udp_pps"][2], True)         # 4x
		self.assertEqual(v["udp_rtt_p50"][2], False)    # 0.67x, goal at most 0.5x


if __name__ == "__main__":
	unittest.main()

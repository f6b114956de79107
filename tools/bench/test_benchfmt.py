"""test_benchfmt.py - unit tests of the benchmark output parser.

Purpose: prove benchfmt.parse() on consoles recorded from real runs
(tests/bench/*.log: the Linux guest with the Go and pthreads peers, and
Tally's own kernel, under -icount and multi-threaded TCG) and on the
malformed and noisy lines a console can carry.  Run with
`python3 -m unittest discover -s tools/bench -p 'test_*.py'`.
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchfmt  # noqa: E402

REC = os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "bench")


def recorded(name):
	with open(os.path.join(REC, name), "rb") as f:
		return f.read()


class RecordedGo(unittest.TestCase):
	def setUp(self):
		self.run = benchfmt.parse(recorded("icount.go.log"))

	def test_complete(self):
		self.assertEqual(self.run.problems(), [])
		self.assertEqual(self.run.done, 19)
		self.assertEqual(len(self.run.results), 19)

	def test_header(self):
		h = self.run.header
		self.assertEqual(h["goos"], "linux")
		self.assertEqual(h["goarch"], "amd64")
		self.assertEqual(h["icount"], "yes")
		self.assertEqual(h["cpus"], "1")
		self.assertRegex(h["tsc"], r"^\d+(\.\d+)? MHz \(.*, invariant=(yes|no)\)$")
		self.assertIn("clocksource", h)
		self.assertTrue(h["peer"].startswith("go "))
		self.assertNotIn("init", h)     # "init: ... exited 0" is a log line

	def test_results(self):
		r = self.run.by_base()["SpawnJoin"]
		self.assertEqual(r.name, "BenchmarkSpawnJoin-1")
		self.assertEqual(r.procs, 1)
		self.assertGreater(r.iters, 0)
		for unit in ("ns/op", "cycles/op", "%kern", "%user", "%idle",
		             "B/op", "allocs/op"):
			self.assertIn(unit, r.metrics)
		self.assertNotIn("%rt", r.metrics)
		self.assertEqual(self.run.by_base()["ChanPingPongCrossP"].procs, 2)

	def test_icount_cycles_are_ns(self):
		# Under -icount shift=0 the guest kernel reports a 1000 MHz TSC.
		for r in self.run.results:
			self.assertAlmostEqual(r.metrics["cycles/op"], r.metrics["ns/op"],
			                       delta=0.01 * r.metrics["ns/op"] + 0.1)

	def test_split_sums_to_100(self):
		for r in self.run.results:
			s = sum(r.metrics[u] for u in ("%kern", "%user", "%idle"))
			self.assertAlmostEqual(s, 100, delta=0.6, msg=r.name)


class RecordedPthreads(unittest.TestCase):
	def test_skip_counts_as_done(self):
		run = benchfmt.parse(recorded("icount.pthreads.log"))
		self.assertEqual(run.problems(), [])
		self.assertEqual([n for n, _ in run.skips], ["BenchmarkChanPingPongCrossP"])
		self.assertEqual(run.done, len(run.results) + 1)
		self.assertTrue(run.header["peer"].startswith("pthreads"))
		self.assertNotIn("B/op", run.results[0].metrics)

	def test_parallel_two_cpus(self):
		run = benchfmt.parse(recorded("parallel.pthreads.1.log"))
		self.assertEqual(run.problems(), [])
		self.assertEqual(run.header["cpus"], "2")
		self.assertEqual(run.header["icount"], "no")
		self.assertIn("ChanPingPongCrossP", run.by_base())


class RecordedTally(unittest.TestCase):
	def setUp(self):
		self.run = benchfmt.parse(recorded("icount.tally.log"))

	def test_tally_lines(self):
		self.assertEqual(self.run.problems(), [])
		self.assertEqual(self.run.header["goos"], "tally")
		self.assertNotIn("tally", self.run.header)
		self.assertNotIn("ledger", self.run.header)
		self.assertTrue(self.run.results)
		for r in self.run.results:
			self.assertIn("%rt", r.metrics)


class Lines(unittest.TestCase):
	def test_dash_value_is_dropped(self):
		r = benchfmt.parse_result("BenchmarkX-4\t10\t5 ns/op\t- %rt\t1 %kern")
		self.assertEqual(r.metrics, {"ns/op": 5.0, "%kern": 1.0})
		self.assertEqual((r.base, r.procs), ("X", 4))

	def test_no_procs_suffix(self):
		r = benchfmt.parse_result("BenchmarkPlain 3 1.5 ns/op")
		self.assertEqual((r.base, r.procs, r.iters), ("Plain", None, 3))

	def test_malformed(self):
		for bad in ("BenchmarkX-1\tmany\t1 ns/op", "BenchmarkX-1\t1\t1",
		            "BenchmarkX-1\t1\tfast ns/op", "BenchmarkX-1"):
			with self.assertRaises(ValueError, msg=bad):
				benchfmt.parse_result(bad)

	def test_noise_and_errors(self):
		text = ("\x1b[2J\x1b[01;01HBdsDxe: loading\r\n"
		        "[    1.234567] random: crng init done\r\n"
		        "goos: linux\r\n"
		        "tally: start\r\n"
		        "BenchmarkA-1\t100\t12.5 ns/op\r\n"
		        "BenchmarkB-1\t100\tbroken\r\n"
		        "--- FAIL: BenchmarkC: lost increments\n"
		        "bench: done: 3 benchmarks\r\n")
		run = benchfmt.parse(text)
		self.assertEqual(run.header, {"goos": "linux"})
		self.assertEqual([r.base for r in run.results], ["A"])
		self.assertEqual(run.failures, [("BenchmarkC", "lost increments")])
		probs = run.problems()
		self.assertEqual(len(probs), 3, probs)   # B malformed, C failed, count
		self.assertTrue(any("BenchmarkB" in p for p in probs))

	def test_truncated(self):
		run = benchfmt.parse("BenchmarkA-1\t1\t1 ns/op\n")
		self.assertEqual(run.problems(), ["no 'bench: done:' line"])

	def test_round_trip(self):
		run = benchfmt.parse(recorded("icount.go.log"))
		again = benchfmt.parse(benchfmt.format_run(run))
		self.assertEqual(again.header, run.header)
		self.assertEqual(again.done, run.done)
		self.assertEqual([(r.name, r.iters, r.metrics) for r in again.results],
		                 [(r.name, r.iters, r.metrics) for r in run.results])


if __name__ == "__main__":
	unittest.main()

"""test_compare.py - unit tests of the comparison step (tables, JSON, chart).

Purpose: build result directories from consoles recorded in tests/bench/
(the way tools/bench.py writes them) and check the table, the ratios, the
medians, the JSON and the chart, including the cases that must not be
errors: Tally not available, Tally without the peers' benchmarks.
"""

import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchfmt  # noqa: E402
import compare   # noqa: E402

REC = os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "bench")


def recorded_run(name):
	with open(os.path.join(REC, name), "rb") as f:
		return benchfmt.parse(f.read())


def read_json(path):
	with open(path) as f:
		return json.load(f)


def write_results(out, mode, system, logs, status="ok"):
	d = os.path.join(out, "results")
	os.makedirs(d, exist_ok=True)
	for i, log in enumerate(logs, 1):
		run = recorded_run(log)
		with open(os.path.join(d, "%s.%s.%d.txt" % (mode, system, i)), "w") as f:
			f.write(benchfmt.format_run(run))
	with open(os.path.join(d, "%s.%s.status" % (mode, system)), "w") as f:
		f.write(status + "\n")


def row(lines, name):
	for line in lines:
		f = line.split()
		if f and f[0] == name:
			return line
	return None


class Compare(unittest.TestCase):
	def setUp(self):
		self.out = tempfile.mkdtemp(prefix="bench-test-")
		self.echo = []

	def tearDown(self):
		shutil.rmtree(self.out, ignore_errors=True)

	def compare(self):
		return compare.compare(self.out, echo=self.echo.append)

	def write_text(self, mode, system, n, text, status="ok"):
		d = os.path.join(self.out, "results")
		os.makedirs(d, exist_ok=True)
		with open(os.path.join(d, "%s.%s.%d.txt" % (mode, system, n)), "w") as f:
			f.write(text)
		with open(os.path.join(d, "%s.%s.status" % (mode, system)), "w") as f:
			f.write(status + "\n")

	def test_tally_not_available(self):
		write_results(self.out, "icount", "tally", [],
		              "not available: bench= option not accepted (status 64)")
		write_results(self.out, "icount", "go", ["icount.go.log"])
		write_results(self.out, "icount", "pthreads", ["icount.pthreads.log"])
		data, lines, _ = self.compare()
		self.assertIn("tally: not available: bench= option not accepted (status 64)", lines)
		f = row(lines, "SpawnJoin").split()
		self.assertEqual(f[1], "1")                     # P
		self.assertEqual(f[2], "-")                     # tally
		self.assertNotEqual(f[3], "-")                  # go
		self.assertEqual(f[4], "-")                     # go GOGC=off not run
		self.assertNotEqual(f[5], "-")                  # pthreads
		self.assertEqual(f[6:], ["-", "-"])             # no ratios
		# pthreads skipped CrossP on one CPU: a dash, not an error.
		self.assertEqual(row(lines, "ChanPingPongCrossP").split()[5], "-")
		# Every contract benchmark has a row, in contract order.
		names = []
		for l in lines:
			if l.split() and l.split()[0] in compare.CONTRACT and l.split()[0] not in names:
				names.append(l.split()[0])
		self.assertEqual(names, list(compare.CONTRACT))
		with open(os.path.join(self.out, "table.txt")) as f:
			self.assertEqual(f.read(), "\n".join(lines) + "\n")

	def test_coarse_counter_reports_ns(self):
		# aarch64's CNTVCT_EL0 counts every 16 ns: under icount its
		# instructions per op are its ns/op (1 ns = 1 instruction), not
		# its cycles/op; a header at 1 ns keeps cycles/op
		head = "goos: tally\ngoarch: %s\ncounter-resolution: %s ns\nicount: yes\n"
		line = "BenchmarkSpawnJoin-1 2000 1228.488 ns/op 76.780 cycles/op\nbench: done: 1 benchmarks\n"
		self.write_text("icount", "tally", 1, head % ("arm64", "16.000") + line)
		_, lines, _ = self.compare()
		self.assertEqual(row(lines, "SpawnJoin").split()[2], "1228")
		shutil.rmtree(self.out)
		self.write_text("icount", "tally", 1, head % ("amd64", "1.000") + line)
		_, lines, _ = self.compare()
		self.assertEqual(row(lines, "SpawnJoin").split()[2], "76.8")

	def test_rows_match_on_P(self):
		write_results(self.out, "icount", "go", ["icount.go.log"])
		go = recorded_run("icount.go.log").by_base()
		self.assertEqual(go["CounterAtomic"].procs, 2)
		# Tally: SpawnJoin at Go's P with twice Go's count (tally/go must be
		# 2), CounterAtomic at P=1 only: it must not meet Go's P=2 row.
		self.write_text("icount", "tally", 1,
		                "icount: yes\nBenchmarkSpawnJoin-1\t10\t%r cycles/op\t1 %%rt\n"
		                "BenchmarkCounterAtomic-1\t10\t4 cycles/op\n"
		                "BenchmarkOwnThing-1\t10\t7 cycles/op\n"
		                "bench: done: 3 benchmarks\n" % (2 * go["SpawnJoin"].metrics["cycles/op"]))
		data, lines, _ = self.compare()
		f = row(lines, "SpawnJoin").split()
		self.assertEqual((f[1], f[6], f[7]), ("1", "2.00", "-"))
		self.assertIn("pthreads: not run", lines)
		ca = [l.split() for l in lines if l.split()[:1] == ["CounterAtomic"]]
		self.assertEqual(len(ca), 1)
		self.assertEqual((ca[0][1], ca[0][2]), ("2", "-"))   # Go's P=2, no Tally
		js = read_json(os.path.join(self.out, "results.json"))
		mo = js["modes"]["icount"]
		self.assertEqual([(r["benchmark"], r["procs"], r["tally"]) for r in mo["tally_only"]],
		                 [("CounterAtomic", 1, 4.0)])
		# A benchmark no peer has is Tally's own row, after the contract.
		self.assertEqual(row(lines, "OwnThing").split()[1:3], ["1", "7.00"])
		t = {(x["benchmark"], x["procs"]): x for x in mo["table"]}
		self.assertAlmostEqual(t["SpawnJoin", 1]["tally/go"], 2.0)
		self.assertIsNone(t["YieldPingPong", 1]["tally"])

	def test_latency_in_ns_and_fail(self):
		self.write_text("icount", "tally", 1,
		                "icount: yes\nBenchmarkSleepWakeLatency-1\t10\t5000 ns/op\t7000 cycles/op\n"
		                "--- FAIL: BenchmarkCounterChannel-1: lost increments (n=10)\n"
		                "bench: done: 2 benchmarks\n")
		self.write_text("icount", "go", 1,
		                "BenchmarkSleepWakeLatency-1\t10\t1000 ns/op\t3000 cycles/op\n"
		                "BenchmarkCounterChannel-1\t10\t9 ns/op\t9 cycles/op\n"
		                "bench: done: 2 benchmarks\n")
		data, lines, _ = self.compare()
		f = row(lines, "SleepWakeLatency").split()
		self.assertEqual(f[1:6], ["1", "5000", "ns", "1000", "ns"])
		self.assertEqual(f[-2], "5.00")                 # ns against ns
		self.assertTrue(any("virtual time" in l for l in lines))
		self.assertEqual(row(lines, "CounterChannel").split()[2], "FAIL")
		js = read_json(os.path.join(self.out, "results.json"))
		self.assertEqual(js["modes"]["icount"]["systems"]["tally"]["failed"], ["CounterChannel"])

	def test_ledger_overhead(self):
		self.write_text("icount", "tally", 1,
		                "ledger-transition: 21 cycles\n"
		                "ledger-pair-switch: 5 cycles\n"
		                "BenchmarkSpawnJoin-1\t10\t1020 cycles/op\n"
		                "BenchmarkYieldPingPong-1\t10\t800 cycles/op\n"
		                "bench: done: 2 benchmarks\n")
		self.write_text("icount", "tally-ledger-off", 1,
		                "ledger-mode: off\n"
		                "BenchmarkSpawnJoin-1\t10\t1000 cycles/op\n"
		                "BenchmarkYieldPingPong-1\t10\t800 cycles/op\n"
		                "bench: done: 2 benchmarks\n")
		data, lines, _ = self.compare()
		js = read_json(os.path.join(self.out, "results.json"))
		ov = {o["benchmark"]: o["ratio"] for o in js["modes"]["icount"]["overhead"]}
		self.assertEqual(ov, {"SpawnJoin": 1.02, "YieldPingPong": 1.0})
		head = [l for l in lines if l.startswith("ledger overhead")]
		self.assertEqual(len(head), 1)
		self.assertIn("SpawnJoin +2.00%", head[0])
		self.assertIn("largest SpawnJoin +2.00%; one transition 21 cycles", head[0])
		self.assertIn("; one scheduler pair switch 5 cycles", head[0])
		# the ledger=off variant is not a column
		self.assertNotIn("tally-ledger-off", lines[1 + lines.index(head[0])])

	def test_ledger_overhead_needs_ledger_off(self):
		"""A ledger=off boot whose header does not say the ledger was off
		(a kernel where the option only hid the report) measures nothing."""
		self.write_text("icount", "tally", 1, "ledger-mode: on\n"
		                "BenchmarkSpawnJoin-1\t10\t1000 cycles/op\nbench: done: 1 benchmarks\n")
		self.write_text("icount", "tally-ledger-off", 1, "ledger-mode: on\n"
		                "BenchmarkSpawnJoin-1\t10\t1000 cycles/op\nbench: done: 1 benchmarks\n")
		data, lines, _ = self.compare()
		js = read_json(os.path.join(self.out, "results.json"))
		self.assertEqual(js["modes"]["icount"]["overhead"], [])
		head = [l for l in lines if l.startswith("ledger overhead")]
		self.assertEqual(len(head), 1)
		self.assertIn("not measured", head[0])
		self.assertNotIn("+0.00%", "\n".join(lines))

	def test_repeatability(self):
		write_results(self.out, "icount", "go", ["icount.go.log"] * 3)
		text = benchfmt.format_run(recorded_run("icount.pthreads.log"))
		for n in (1, 2):
			self.write_text("icount", "pthreads", n, text)
		self.write_text("icount", "pthreads", 3, text.replace(
			"BenchmarkSpawnJoin-1\t", "BenchmarkSpawnJoin-1\t", 1).replace(
			"\t%s cycles/op" % benchfmt._num(
				recorded_run("icount.pthreads.log").by_base()["SpawnJoin"].metrics["cycles/op"]),
			"\t1 cycles/op", 1))
		data, lines, _ = self.compare()
		js = read_json(os.path.join(self.out, "results.json"))
		rep = js["modes"]["icount"]["repeat"]
		self.assertTrue(rep["go"]["identical"])
		self.assertEqual(rep["go"]["runs"], 3)
		self.assertFalse(rep["pthreads"]["identical"])
		self.assertEqual(rep["pthreads"]["differing"], ["SpawnJoin-1"])
		line = [l for l in lines if l.startswith("repeatability:")][0]
		self.assertIn("go 3 runs identical", line)
		self.assertIn("pthreads 3 runs differ in 1 benchmarks", line)

	def test_parallel_median(self):
		logs = ["parallel.go.%d.log" % i for i in (1, 2, 3)]
		write_results(self.out, "parallel", "go", logs)
		data, lines, _ = self.compare()
		vals = sorted(recorded_run(l).by_base()["SpawnJoin"].metrics["ns/op"]
		              for l in logs)
		agg = data["parallel"]["go"].aggregate()["SpawnJoin-1"]["metrics"]["ns/op"]
		self.assertEqual((agg["min"], agg["median"], agg["max"]), tuple(vals))
		self.assertIn("median [min-max] of the runs (go 3)", lines[0])
		self.assertIn("[%s-%s]" % (compare._fmt(vals[0]), compare._fmt(vals[2])),
		              row(lines, "SpawnJoin"))
		js = read_json(os.path.join(self.out, "results.json"))
		g = js["modes"]["parallel"]["systems"]["go"]
		self.assertEqual(g["runs"], 3)
		self.assertEqual(g["problems"], [])
		self.assertEqual(len(g["benchmarks"]["SpawnJoin-1"]["metrics"]["ns/op"]["values"]), 3)

	def test_chart_is_absolute_and_stacked(self):
		write_results(self.out, "parallel", "go", ["parallel.go.1.log"])
		write_results(self.out, "parallel", "pthreads", ["parallel.pthreads.1.log"])
		write_results(self.out, "parallel", "tally", [], "not available: no kernel image")
		data = compare.load(os.path.join(self.out, "results"))["parallel"]
		panels = compare.chart_panels("parallel", data)
		self.assertEqual(panels[0][0], "SpawnJoin-1")
		bars = dict((b[0], b[1:]) for b in panels[0][2])
		go = recorded_run("parallel.go.1.log").by_base()["SpawnJoin"]
		pt = recorded_run("parallel.pthreads.1.log").by_base()["SpawnJoin"]
		# each bar's segments add up to the system's ns/op, split by its shares
		self.assertAlmostEqual(sum(bars["go"]), go.metrics["ns/op"], delta=1e-6 * go.metrics["ns/op"])
		self.assertAlmostEqual(sum(bars["pthreads"]), pt.metrics["ns/op"],
		                       delta=1e-6 * pt.metrics["ns/op"])
		self.assertEqual(bars["go"][1], 0.0)            # no %rt on Linux
		share = go.metrics["%kern"] / sum(go.metrics.get(u, 0.0) for u in compare.SPLIT)
		self.assertAlmostEqual(bars["go"][0], go.metrics["ns/op"] * share)
		_, _, warnings = self.compare()
		if shutil.which("gnuplot"):
			self.assertEqual(warnings, [])
			with open(os.path.join(self.out, "cost.svg")) as f:
				self.assertIn("<svg", f.read(2000))
		else:
			self.assertTrue(any("gnuplot" in w for w in warnings))

	def test_empty(self):
		data, lines, _ = self.compare()
		self.assertEqual(data, {})
		self.assertEqual(lines, [])


class Initramfs(unittest.TestCase):
	def test_newc(self):
		import mkinitramfs
		blob = mkinitramfs.build(b"#!init", [("gobench", b"\x7fELF...")])
		self.assertEqual(len(blob) % 4, 0)
		names, off = [], 0
		while off < len(blob):
			self.assertEqual(blob[off:off + 6], b"070701")
			f = [int(blob[off + 6 + 8 * i:off + 14 + 8 * i], 16) for i in range(13)]
			size, namesize = f[6], f[11]
			name = blob[off + 110:off + 110 + namesize - 1].decode()
			names.append((name, f[1] & 0o170000, f[9:11], size))
			off += 110 + namesize
			off += -off % 4
			off += size + (-size % 4)
		self.assertEqual(names[-1][0], "TRAILER!!!")
		by = {n[0]: n for n in names}
		self.assertEqual(by["dev/console"][1:3], (0o020000, [5, 1]))
		self.assertEqual(by["init"][3], 6)
		self.assertIn("bin/gobench", by)


if __name__ == "__main__":
	unittest.main()

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

	def test_tally_not_available(self):
		write_results(self.out, "icount", "tally", [],
		              "not available: bench= option not accepted (status 64)")
		write_results(self.out, "icount", "go", ["icount.go.log"])
		write_results(self.out, "icount", "pthreads", ["icount.pthreads.log"])
		data, lines, _ = self.compare()
		self.assertIn("tally: not available: bench= option not accepted (status 64)", lines)
		f = row(lines, "SpawnJoin").split()
		self.assertEqual(f[1], "-")                     # tally
		self.assertNotEqual(f[2], "-")                  # go
		self.assertNotEqual(f[3], "-")                  # pthreads
		self.assertEqual(f[4:], ["-", "-"])             # no ratios
		# pthreads skipped CrossP on one CPU: a dash, not an error.
		self.assertEqual(row(lines, "ChanPingPongCrossP").split()[3], "-")
		# Every contract benchmark has a row, in contract order.
		names = [l.split()[0] for l in lines if l.split() and l.split()[0] in compare.CONTRACT]
		self.assertEqual(names, list(compare.CONTRACT))
		with open(os.path.join(self.out, "table.txt")) as f:
			self.assertEqual(f.read(), "\n".join(lines) + "\n")

	def test_ratios_and_extra_rows(self):
		write_results(self.out, "icount", "tally", ["icount.tally.log"])
		write_results(self.out, "icount", "go", ["icount.go.log"])
		# A Tally result under a contract name: a copy of Go's line with
		# cycles/op doubled, so tally/go must be 2.
		go = recorded_run("icount.go.log")
		r = go.by_base()["SpawnJoin"]
		d = os.path.join(self.out, "results")
		with open(os.path.join(d, "icount.tally.1.txt"), "a") as f:
			f.write("BenchmarkSpawnJoin-1\t10\t%r cycles/op\t1 %%rt\n"
			        % (2 * r.metrics["cycles/op"]))
		data, lines, _ = self.compare()
		f = row(lines, "SpawnJoin").split()
		self.assertEqual(f[4], "2.00")
		self.assertEqual(f[5], "-")                     # pthreads not run
		self.assertIn("pthreads: not run", lines)
		# Tally's own benchmarks come after the contract, Go shows "-".
		tally_only = [x.base for x in recorded_run("icount.tally.log").results]
		self.assertTrue(tally_only)
		for name in tally_only:
			self.assertEqual(row(lines, name).split()[2], "-")
		js = read_json(os.path.join(self.out, "results.json"))
		t = {x["benchmark"]: x for x in js["modes"]["icount"]["table"]}
		self.assertAlmostEqual(t["SpawnJoin"]["tally/go"], 2.0)
		self.assertIsNone(t["YieldPingPong"]["tally"])

	def test_parallel_median(self):
		logs = ["parallel.go.%d.log" % i for i in (1, 2, 3)]
		write_results(self.out, "parallel", "go", logs)
		data, lines, _ = self.compare()
		vals = sorted(recorded_run(l).by_base()["SpawnJoin"].metrics["ns/op"]
		              for l in logs)
		agg = data["parallel"]["go"].aggregate()["SpawnJoin"]["metrics"]["ns/op"]
		self.assertEqual((agg["min"], agg["median"], agg["max"]), tuple(vals))
		self.assertIn("median [min-max] of 3 runs", lines[0])
		self.assertIn("[%s-%s]" % (compare._fmt(vals[0]), compare._fmt(vals[2])),
		              row(lines, "SpawnJoin"))
		js = read_json(os.path.join(self.out, "results.json"))
		g = js["modes"]["parallel"]["systems"]["go"]
		self.assertEqual(g["runs"], 3)
		self.assertEqual(g["problems"], [])
		self.assertEqual(len(g["benchmarks"]["SpawnJoin"]["metrics"]["ns/op"]["values"]), 3)

	def test_split_rows_and_chart(self):
		write_results(self.out, "parallel", "go", ["parallel.go.1.log"])
		write_results(self.out, "parallel", "pthreads", ["parallel.pthreads.1.log"])
		write_results(self.out, "parallel", "tally", [], "not available: no kernel image")
		rows = compare.split_rows(compare.load(os.path.join(self.out, "results"))["parallel"])
		self.assertEqual(rows[0][0], "SpawnJoin go")
		self.assertEqual(rows[1][0], "SpawnJoin pthreads")
		self.assertEqual(rows[2], ("", 0.0, 0.0, 0.0, 0.0))
		for r in rows:
			if r[0]:
				self.assertEqual(r[2], 0.0)             # no %rt on Linux
				self.assertAlmostEqual(sum(r[1:]), 100, delta=0.6)
		_, _, warnings = self.compare()
		if shutil.which("gnuplot"):
			self.assertEqual(warnings, [])
			with open(os.path.join(self.out, "split.svg")) as f:
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

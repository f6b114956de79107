"""test_render.py - unit tests of tools/bench/render.py, and the drift check.

Purpose: the renderer turns a results file into the Markdown of docs/bench.md;
these tests feed it result files written by hand (expected cells computed
here, not by the code under test), check that only the marked region of a
page changes, and check that the committed docs/bench.md is exactly what
the committed docs/bench-results.json renders to.
"""

import json
import os
import shutil
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout
import io

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402
import render   # noqa: E402


def results_dir(root, files):
	d = os.path.join(root, "results")
	os.makedirs(d, exist_ok=True)
	for name, text in files.items():
		with open(os.path.join(d, name), "w") as f:
			f.write(text)


class Render(unittest.TestCase):
	def setUp(self):
		self.tmp = tempfile.mkdtemp(prefix="bench-render-")

	def tearDown(self):
		shutil.rmtree(self.tmp, ignore_errors=True)

	def run_json(self):
		results_dir(self.tmp, {
			"icount.tally.1.txt": "icount: yes\ntick: 250 Hz\ncpus: 1\n"
			                      "BenchmarkSpawnJoin-1\t10\t2000 cycles/op\t50 %rt\t50 %user\n"
			                      "BenchmarkSleepWakeLatency-1\t10\t100500 ns/op\t100500 cycles/op\n"
			                      "bench: done: 2 benchmarks\n",
			"icount.tally.status": "ok\n",
			"icount.tally-ledger-off.1.txt": "ledger-mode: off\n"
			                                 "BenchmarkSpawnJoin-1\t10\t1960 cycles/op\n"
			                                 "bench: done: 1 benchmarks\n",
			"icount.go.1.txt": "icount: yes\nhz: 250\npreempt: voluntary\ngogc: 100\n"
			                   "BenchmarkSpawnJoin-1\t10\t1000 cycles/op\t10 %kern\t90 %user\n"
			                   "BenchmarkSleepWakeLatency-1\t10\t1000000 ns/op\t1000000 cycles/op\n"
			                   "bench: done: 2 benchmarks\n",
		})
		compare.compare(self.tmp, echo=lambda l: None,
		                run_info={"dir": "20260101-000000-abc", "commit": "abc",
		                          "date": "2026-01-01 00:00:00 UTC", "qemu": "QEMU 7.2",
		                          "args": {"machine": "q35", "cpu": "max", "mem": "512M",
		                                   "benchtime": "200ms", "tally_tick": 250}})
		with open(os.path.join(self.tmp, "results.json")) as f:
			return json.load(f)

	def quiet(self, argv):
		with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
			return render.main(argv)

	def test_table(self):
		md = render.render(self.run_json())
		self.assertIn("Recorded run `20260101-000000-abc`: commit `abc`", md[0])
		self.assertIn("| benchmark | P | tally | go | go GOGC=off | pthreads | "
		              "tally/go | tally/pthreads |", md)
		# 2000 / 1000 = 2.00; nothing for the systems that did not run
		self.assertIn("| SpawnJoin | 1 | 2000 | 1000 | - | - | 2.00 | - |", md)
		# a latency is in ns, ratio of ns: 100500 / 1000000
		self.assertIn("| SleepWakeLatency | 1 | 100500 ns | 1000000 ns | - | - | 0.10 | - |", md)
		# 2000 / 1960 - 1 = +2.04%
		self.assertIn("| SpawnJoin | 1 | 2000 | 1960 | +2.04% |", md)
		self.assertIn("- linux: ?, HZ=250 (CONFIG_HZ), preempt=voluntary, clocksource ?, ? CPUs", md)
		self.assertIn("- pthreads: not run", md)

	def test_region(self):
		text = "intro\n%s\nold table\n%s\nafter\n" % (render.BEGIN, render.END)
		new = render.replace_region(text, ["| a |", "| b |"])
		self.assertEqual(new, "intro\n%s\n| a |\n| b |\n%s\nafter\n" % (render.BEGIN, render.END))
		with self.assertRaises(ValueError):
			render.replace_region("no markers\n", ["x"])

	def test_record_and_check(self):
		js = self.run_json()
		doc = os.path.join(self.tmp, "doc.md")
		res = os.path.join(self.tmp, "committed.json")
		with open(doc, "w") as f:
			f.write("# t\n%s\nstale\n%s\n" % (render.BEGIN, render.END))
		self.assertEqual(self.quiet(["--record", self.tmp, "--doc", doc, "--results", res]), 0)
		with open(res) as f:
			recorded = json.load(f)
		# recorded slim: per-run values and medians kept, min and max dropped
		m = recorded["modes"]["icount"]["systems"]["tally"]["benchmarks"]["SpawnJoin-1"][
			"metrics"]["cycles/op"]
		self.assertEqual(m, {"median": 2000.0, "values": [2000.0]})
		self.assertEqual(render.render(recorded), render.render(js))
		self.assertEqual(self.quiet(["--check", "--doc", doc, "--results", res]), 0)
		with open(doc) as f:
			text = f.read()
		self.assertNotIn("stale", text)
		with open(doc, "w") as f:
			f.write(text.replace("| 2000 |", "| 1999 |"))
		self.assertEqual(self.quiet(["--check", "--doc", doc, "--results", res]), 1)


class Helpers(unittest.TestCase):
	def test_portable(self):
		self.assertEqual(render.portable("-kernel /a/b-c/build/x86_64/kernel.elf"),
		                 "-kernel build/x86_64/kernel.elf")
		self.assertEqual(render.portable(os.path.join(render.ROOT, "tools", "x.py")),
		                 "tools/x.py")
		self.assertEqual(render.portable("/usr/share/qemu"), "/usr/share/qemu")
		self.assertEqual(render.portable("file=/x/build/a,y=/z/build/b"),
		                 "file=build/a,y=build/b")

	def test_dumps(self):
		obj = {"b": [1, 2.5, "x"], "a": {"m": {"median": 1.0, "values": [1.0, 1.0]},
		                                 "rows": [{"k": None}, {"k": True}]}}
		text = render.dumps(obj)
		self.assertEqual(json.loads(text), obj)
		self.assertTrue(text.endswith("}\n"))
		self.assertIn('\n "b": [1, 2.5, "x"]', text)
		self.assertIn('"m": {"median": 1.0, "values": [1.0, 1.0]}', text)
		self.assertIn('\n   {"k": null},\n', text)

	def test_slim(self):
		js = {"run": {"boots": [{"qemu": ["/q/build/qemu10/bin/qemu", "-kernel",
		                                  "/w/t/build/x86_64/kernel.elf"]}]},
		      "modes": {"icount": {"systems": {"tally": {"benchmarks": {"A-1": {"metrics": {
		          "ns/op": {"median": 2.0, "min": 1.0, "max": 3.0, "values": [1.0, 2.0, 3.0]}}}}}}}}}
		s = render.slim(js)
		self.assertEqual(s["run"]["boots"][0]["qemu"],
		                 ["build/qemu10/bin/qemu", "-kernel", "build/x86_64/kernel.elf"])
		self.assertEqual(s["modes"]["icount"]["systems"]["tally"]["benchmarks"]["A-1"][
			"metrics"]["ns/op"], {"median": 2.0, "values": [1.0, 2.0, 3.0]})
		self.assertIn("min", js["modes"]["icount"]["systems"]["tally"]["benchmarks"]["A-1"][
			"metrics"]["ns/op"], "slim must not change its argument")


class Committed(unittest.TestCase):
	def test_docs_match_results_file(self):
		"""docs/bench.md's region is what docs/bench-results.json renders."""
		old, new = render.rendered_doc(render.DOC, render.RESULTS)
		self.assertEqual(old, new, "docs/bench.md differs from docs/bench-results.json: "
		                 "run tools/bench/render.py")
		with open(render.RESULTS) as f:
			js = json.load(f)
		self.assertTrue(js["modes"], "the committed results file has no mode")
		self.assertEqual(js, render.slim(js), "the committed results file is not slim")


if __name__ == "__main__":
	unittest.main()

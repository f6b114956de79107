"""test_render_ledger.py - unit tests of tools/bench/render_ledger.py and of
tools/ledger_overhead.py --record, and the drift check of docs/ledger.md.

Purpose: the renderer turns docs/ledger-overhead.json into the tables of
docs/ledger.md.  These tests feed it results written by hand (the expected
cells computed here, not by the code under test), run ledger_overhead.py
end to end against a stand-in for QEMU (consoles written here, so the
ratios are known), and check that the committed page is exactly what the
committed results file renders to.
"""

import io
import json
import os
import shutil
import sys
import tempfile
import types
import unittest
from contextlib import redirect_stderr, redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import render           # noqa: E402
import render_ledger    # noqa: E402
import ledger_overhead  # noqa: E402


def quiet(fn, *args):
	with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
		return fn(*args)


def results():
	return {
		"command": "tools/ledger_overhead.py --modes icount,parallel --runs 3 --record",
		"commit": "abc123", "date": "2026-01-01 00:00:00 UTC", "qemu": "QEMU 7.2",
		"machine": "q35", "cpu": "max", "mem": "512M", "smp": 1,
		"counts": {"SpawnJoin": "10000x", "Skynet": "1x"},
		"modes": {
			"icount": {
				"unit": "instructions/op", "qemu_mode": "-icount shift=0", "runs": 3,
				"transition_cycles": 21, "pair_switch_cycles": 5, "tsc_mhz": 999.9,
				"benchmarks": {
					"SpawnJoin": {"procs": 1, "on": [1100.0] * 3, "off": [1000.0] * 3,
					              "split_on": {"kern": 1.0, "rt": 30.0, "user": 69.0, "idle": 0.0},
					              "transitions_op": 8.0},
					"Skynet": {"procs": 1, "on": [1611782535.0] * 3,
					           "off": [1522476643.0, 1522476643.0, 1522476644.0],
					           "split_on": {"kern": 0.6, "rt": 37.1, "user": 62.3, "idle": 0.0}},
				}},
			"parallel": {
				"unit": "ns/op", "qemu_mode": "multi-threaded TCG", "runs": 3,
				"transition_cycles": 100, "tsc_mhz": 2500.0,
				"benchmarks": {
					"SpawnJoin": {"procs": 1, "on": [3000.0, 3300.0, 3100.0],
					              "off": [2900.0, 3000.0, 3000.0], "split_on": None},
					"Skynet": {"procs": 1, "on": [], "off": [], "split_on": None},
				}},
		}}


class Render(unittest.TestCase):
	def test_tables(self):
		md = render_ledger.render_lines(results())
		self.assertTrue(md[0].startswith(
			"Recorded with `tools/ledger_overhead.py --modes icount,parallel --runs 3 "
			"--record`: commit `abc123`, 2026-01-01 00:00:00 UTC; QEMU 7.2; "
			"`-M q35 -cpu max -m 512M`, 1 vCPU; ops per boot: SpawnJoin 10000; Skynet 1."), md[0])
		# 1100 - 1000 = 100 added, 1100 / 1000 - 1 = +10%, 8 transitions: 12.5 each
		self.assertIn("| SpawnJoin-1 | 1100.0 | 1000.0 | 100.0 | +10.00% | 8.0 | 12.5 | "
		              "1.0 / 30.0 / 69.0 / 0.0 |", md)
		# medians 1611782535 and 1522476643: 89305892 added, +5.87%; the off runs differ
		self.assertIn("| Skynet-1 (10^6 leaves) | 1 611 782 535 | 1 522 476 643 "
		              "[1 522 476 643-1 522 476 644] | 89 305 892 | +5.87% | - | - | "
		              "0.6 / 37.1 / 62.3 / 0.0 |", md)
		self.assertIn("Under `-icount shift=0`: guest instructions per op, median of 3 runs "
		              "per side: the runs differ in Skynet.", md)
		self.assertIn("One transition (`ledger-transition:` in the benchmark header, a push or "
		              "a pop): 21 instructions; one of the scheduler's pair switches "
		              "(`ledger-pair-switch:`): 5 instructions.", md)
		# parallel: medians 3100 and 3000, ranges shown, no split column
		self.assertIn("| SpawnJoin-1 | 3100 [3000-3300] | 3000 [2900-3000] | 100 | +3.33% | - | - |",
		              md)
		self.assertIn("| Skynet-1 (10^6 leaves) | - | - | - | - | - | - |", md)
		# 100 cycles at 2500 MHz = 40 ns
		# no pair switch in that header: the line names the push or pop only
		self.assertIn("One transition (`ledger-transition:` in the benchmark header, a push or "
		              "a pop): 100 cycles (40 ns at the guest TSC's 2500 MHz).", md)

	def test_identical_runs_and_dirty(self):
		js = results()
		js["commit"] = "abc123-dirty"
		js["modes"]["icount"]["benchmarks"]["Skynet"]["off"] = [1522476643.0] * 3
		md = render_ledger.render_lines(js)
		self.assertIn("commit `abc123-dirty` (with uncommitted changes)", md[0])
		self.assertIn("Under `-icount shift=0`: guest instructions per op, median of 3 runs "
		              "per side: each side's 3 runs gave identical counts.", md)

	def test_check(self):
		tmp = tempfile.mkdtemp(prefix="render-ledger-")
		self.addCleanup(shutil.rmtree, tmp, True)
		doc, res = os.path.join(tmp, "ledger.md"), os.path.join(tmp, "r.json")
		with open(res, "w") as f:
			f.write(render.dumps(results()))
		with open(doc, "w") as f:
			f.write("# t\n%s\nstale\n%s\nafter\n" % (render_ledger.BEGIN, render_ledger.END))
		args = ["--doc", doc, "--results", res]
		self.assertEqual(quiet(render_ledger.main, ["--check"] + args), 1)
		self.assertEqual(quiet(render_ledger.main, args), 0)
		self.assertEqual(quiet(render_ledger.main, ["--check"] + args), 0)
		with open(doc) as f:
			text = f.read()
		self.assertNotIn("stale", text)
		self.assertTrue(text.endswith("%s\nafter\n" % render_ledger.END))
		with open(doc, "w") as f:
			f.write(text.replace("| 1100.0 |", "| 1099.0 |"))
		self.assertEqual(quiet(render_ledger.main, ["--check"] + args), 1)
		with open(doc, "w") as f:
			f.write("no markers\n")
		with self.assertRaises(ValueError):
			render_ledger.main(["--check"] + args)


class Record(unittest.TestCase):
	"""ledger_overhead.py --record against a stand-in boot: with the ledger
	on SpawnJoin costs 1100 instructions an op, with ledger=off 1000."""

	def setUp(self):
		self.tmp = tempfile.mkdtemp(prefix="ledger-record-")
		self.addCleanup(shutil.rmtree, self.tmp, True)
		self.out = os.path.join(self.tmp, "build", "x86_64")
		os.makedirs(self.out)
		open(os.path.join(self.out, "kernel.elf"), "w").close()
		self.doc = os.path.join(self.tmp, "ledger.md")
		with open(self.doc, "w") as f:
			f.write("%s\n%s\n" % (render_ledger.BEGIN, render_ledger.END))
		self.res = os.path.join(self.tmp, "ledger-overhead.json")
		self.fail_off = False
		saved = (ledger_overhead.tally_qemu.boot, render_ledger.DOC, render_ledger.RESULTS)

		def restore():
			ledger_overhead.tally_qemu.boot, render_ledger.DOC, render_ledger.RESULTS = saved
		self.addCleanup(restore)
		ledger_overhead.tally_qemu.boot = self.boot
		render_ledger.DOC, render_ledger.RESULTS = self.doc, self.res

	def boot(self, opts, echo_to=None, log_path=None):
		off = "ledger=off" in opts.cmdline
		cost = 1000 if off else 1100
		text = ("tsc: 999.9 MHz (x)\nledger-transition: 21 cycles\nledger-pair-switch: 5 cycles\n"
		        "BenchmarkSpawnJoin-1\t10000\t%d.000 ns/op\t%d.000 cycles/op%s\n"
		        "bench: done: 1 benchmarks\n" % (
			        cost, cost, "" if off else
			        "\t0.0 %kern\t30.0 %rt\t70.0 %user\t0.0 %idle\t4.000 transitions/op"))
		return types.SimpleNamespace(
			raw=text.encode(), status=1 if off and self.fail_off else 0,
			command=ledger_overhead.tally_qemu.build_command(opts))

	def run_main(self):
		return quiet(ledger_overhead.main, ["--out", self.out, "--bench", "SpawnJoin",
		                                    "--runs", "2", "--json",
		                                    os.path.join(self.tmp, "scratch.json"), "--record"])

	def test_record(self):
		self.assertEqual(self.run_main(), 0)
		with open(self.res) as f:
			js = json.load(f)
		p = js["modes"]["icount"]["benchmarks"]["SpawnJoin"]
		self.assertEqual((p["on"], p["off"], p["procs"]), ([1100.0] * 2, [1000.0] * 2, 1))
		self.assertEqual(p["transitions_op"], 4.0)
		self.assertAlmostEqual(p["ratio"], 1.1)
		self.assertEqual(js["modes"]["icount"]["transition_cycles"], 21)
		self.assertEqual(js["modes"]["icount"]["pair_switch_cycles"], 5)
		self.assertEqual(js["smp"], 1)
		self.assertTrue(js["qemu"] and js["commit"] and js["date"])
		self.assertIn("--runs 2", js["command"])
		# one command line a side, with the repository-relative image path
		lines = js["modes"]["icount"]["command_lines"]
		self.assertEqual(len(lines), 2)
		self.assertTrue(all("-icount shift=0,align=off,sleep=off" in l and
		                    "-kernel build/x86_64/kernel.elf" in l for l in lines), lines)
		self.assertEqual(["ledger=off" in l for l in lines], [False, True])
		self.assertNotIn(self.tmp, json.dumps(js))
		self.assertEqual(quiet(render_ledger.main, ["--check"]), 0)
		with open(self.doc) as f:
			self.assertIn("| SpawnJoin-1 | 1100.0 | 1000.0 | 100.0 | +10.00% | 4.0 | 25.0 | "
			              "0.0 / 30.0 / 70.0 / 0.0 |", f.read())

	def test_failed_boot_records_nothing(self):
		self.fail_off = True
		self.assertEqual(self.run_main(), 1)
		self.assertFalse(os.path.exists(self.res))


class Committed(unittest.TestCase):
	def test_docs_match_results_file(self):
		"""docs/ledger.md's region is what docs/ledger-overhead.json renders."""
		old, new = render_ledger.rendered_doc(render_ledger.DOC, render_ledger.RESULTS)
		self.assertEqual(old, new, "docs/ledger.md differs from docs/ledger-overhead.json: "
		                 "run tools/bench/render_ledger.py")
		with open(render_ledger.RESULTS) as f:
			js = json.load(f)
		self.assertIn("icount", js["modes"])
		for n in ("SpawnJoin", "YieldPingPong", "ChanPingPongOneP", "Skynet"):
			p = js["modes"]["icount"]["benchmarks"].get(n) or {}
			self.assertTrue(p.get("on") and p.get("off"), "%s not recorded under icount" % n)


if __name__ == "__main__":
	unittest.main()

"""test_driver.py - unit tests of tools/bench.py without booting anything.

Purpose: check the QEMU command lines the driver asks tools/tally_qemu.py for
(same -M/-cpu/-smp/-m for every system, icount on one vCPU, the guest's
kernel command line), and how it turns boot outcomes into result files and
statuses, using a stand-in for tally-qemu's boot() that replays recorded
consoles (tests/bench/) or a status.
"""

import importlib.machinery
import importlib.util
import io
import os
import shutil
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REC = os.path.join(ROOT, "tests", "bench")


def _load(name, path):
	loader = importlib.machinery.SourceFileLoader(name, path)
	spec = importlib.util.spec_from_loader(name, loader)
	mod = importlib.util.module_from_spec(spec)
	loader.exec_module(mod)
	return mod


driver = _load("bench_driver", os.path.join(ROOT, "tools", "bench.py"))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import tally_qemu  # noqa: E402
sys.path.insert(0, HERE)
import benchfmt  # noqa: E402


class FakeResult:
	def __init__(self, status, raw):
		self.status = status
		self.raw = raw
		self.elapsed = 0.5
		self.message = None if status is not None else "timeout after 1s"


class FakeQemu:
	"""tally-qemu's module interface with boot() replaced."""

	def __init__(self, outcomes):
		self.outcomes = list(outcomes)      # (status, raw bytes) per boot
		self.booted = []

	def __getattr__(self, name):
		return getattr(tally_qemu, name)

	def check_options(self, opts):
		return None

	def boot(self, opts, echo_to=None, log_path=None):
		status, raw = self.outcomes.pop(0)
		self.booted.append(opts)
		if echo_to is not None:
			echo_to.buffer.write(raw)
		if log_path:
			with open(log_path, "wb") as f:
				f.write(raw)
		return FakeResult(status, raw)


def recorded(name):
	with open(os.path.join(REC, name), "rb") as f:
		return f.read()


class Driver(unittest.TestCase):
	def setUp(self):
		self.out = tempfile.mkdtemp(prefix="bench-driver-")
		for f in ("vmlinuz", "init.cpio"):
			open(os.path.join(self.out, f), "wb").close()
		with open(os.path.join(self.out, "vmlinuz.config"), "w") as f:
			f.write("# CONFIG_PREEMPT_NONE is not set\nCONFIG_HZ=250\nCONFIG_PREEMPT_VOLUNTARY=y\n")
		self.kernel = os.path.join(self.out, "kernel.elf")
		open(self.kernel, "wb").close()
		self.args = driver.parser().parse_args(
			["--out", self.out, "--kernel", self.kernel, "--bench", "Spawn|Mutex",
			 "--benchtime", "50ms", "--smp", "2", "--mem", "1G"])
		driver.clean_results(self.out)

	def tearDown(self):
		shutil.rmtree(self.out, ignore_errors=True)

	def status(self, mode, system):
		with open(os.path.join(self.out, "results", "%s.%s.status" % (mode, system))) as f:
			return f.read().strip()

	def run_system(self, tq, mode, system, runs=1):
		buf = io.StringIO()
		with redirect_stdout(buf):
			fails = driver.run_system(tq, self.args, mode, system, runs)
		return fails, buf.getvalue()

	def test_same_machine_for_all(self):
		tq = FakeQemu([])
		cmds = {}
		for system in ("tally", "go", "pthreads"):
			for mode in ("icount", "parallel"):
				opts = driver.boot_opts(tally_qemu, self.args, mode, system)
				cmd = tq.build_command(opts)
				cmds[mode, system] = cmd
				i = cmd.index("-smp")
				self.assertEqual(cmd[i + 1], "1" if mode == "icount" else "2")
				self.assertEqual(cmd[cmd.index("-m") + 1], "1G")
				self.assertEqual(cmd[cmd.index("-machine") + 1], "q35")
				self.assertEqual(cmd[cmd.index("-cpu") + 1], "max")
				self.assertEqual("-icount" in cmd, mode == "icount")
		tally = cmds["icount", "tally"]
		self.assertEqual(tally[tally.index("-append") + 1],
		                 "bench=Spawn|Mutex benchtime=50ms icount=yes tick=250")
		pt = cmds["parallel", "tally"]
		self.assertEqual(pt[pt.index("-append") + 1],
		                 "bench=Spawn|Mutex benchtime=50ms icount=no tick=250")
		self.assertNotIn("-initrd", tally)
		go = cmds["icount", "go"]
		self.assertEqual(go[go.index("-initrd") + 1], os.path.join(self.out, "init.cpio"))
		self.assertEqual(os.path.realpath(go[go.index("-kernel") + 1]),
		                 os.path.realpath(os.path.join(self.out, "vmlinuz")))
		append = go[go.index("-append") + 1]
		self.assertTrue(append.startswith("console=ttyS0 quiet"))
		self.assertTrue(append.endswith(
			"-- icount=yes boot=bzimage hz=250 gobench -bench Spawn|Mutex -benchtime 50ms"))
		pt = cmds["parallel", "pthreads"]
		self.assertIn("-- icount=no boot=bzimage hz=250 pthbench ", pt[pt.index("-append") + 1])

	def test_peer_ok(self):
		tq = FakeQemu([(0, recorded("icount.go.log"))])
		fails, out = self.run_system(tq, "icount", "go")
		self.assertEqual(fails, [])
		self.assertEqual(self.status("icount", "go"), "ok")
		self.assertIn("bench: [icount] go 1 BenchmarkSpawnJoin-1 ", out)
		self.assertIn("19 benchmarks in", out)
		with open(os.path.join(self.out, "results", "icount.go.1.txt")) as f:
			self.assertIn("BenchmarkAllocReused-1\t", f.read())

	def test_header_must_match_mode(self):
		# a console that says icount: yes, booted in the parallel mode
		tq = FakeQemu([(0, recorded("icount.go.log"))])
		fails, out = self.run_system(tq, "parallel", "go")
		self.assertEqual(len(fails), 1)
		self.assertIn("header icount: yes", fails[0])
		self.assertTrue(self.status("parallel", "go").startswith("failed: "))
		# Tally's told word and its detector must both agree
		log = recorded("icount.tally.log").replace(b"icount-detected: yes", b"icount-detected: no")
		fails, _ = self.run_system(FakeQemu([(0, log)]), "icount", "tally")
		self.assertEqual(len(fails), 1)
		self.assertIn("icount-detected: no", fails[0])
		fails, _ = self.run_system(FakeQemu([(0, recorded("icount.tally.log"))]), "icount", "tally")
		self.assertEqual(fails, [])

	def test_tally_status_64_fails(self):
		tq = FakeQemu([(64, b"tally: start\ntally: bad boot option bench\ntally: exit 64\n")])
		fails, out = self.run_system(tq, "parallel", "tally", runs=1)
		self.assertEqual(len(fails), 1)
		self.assertIn("status 64", fails[0])
		self.assertTrue(self.status("parallel", "tally").startswith("failed"))

	def test_tally_without_image_fails(self):
		os.unlink(self.kernel)
		fails, out = self.run_system(FakeQemu([]), "icount", "tally")
		self.assertEqual(len(fails), 1)
		self.assertIn("did not build", fails[0])
		self.assertTrue(self.status("icount", "tally").startswith("failed"))

	def test_own_check_failure_fails(self):
		log = recorded("icount.tally.log").replace(
			b"BenchmarkCounterChannel-1", b"--- FAIL: BenchmarkCounterChannel-1: lost increments\nX")
		fails, _ = self.run_system(FakeQemu([(1, log)]), "icount", "tally")
		self.assertEqual(len(fails), 1)
		self.assertIn("status 1", fails[0])
		fails, _ = self.run_system(FakeQemu([(0, log)]), "icount", "tally")
		self.assertEqual(len(fails), 1)
		self.assertIn("lost increments", fails[0])

	def test_plan(self):
		"""icount: --repeat boots, Go at -cpu 1, Tally once more with
		ledger=off; Go again with -gogc off for the 0-allocs benchmarks;
		parallel: Tally at benchprocs=1 and =smp."""
		self.args.repeat, self.args.runs = 2, 1
		go_log, pt_log = recorded("icount.go.log"), recorded("icount.pthreads.log")
		tl = recorded("icount.tally.log")
		tq = FakeQemu([(0, tl), (0, tl), (0, tl), (0, go_log), (0, go_log), (0, go_log),
		               (0, pt_log), (0, pt_log)])
		boots = []
		with redirect_stdout(io.StringIO()):
			fails = driver.run_mode(tq, self.args, "icount", ["tally", "go", "pthreads"], boots)
		self.assertEqual(fails, [])
		got = [(b["system"], b["n"]) for b in boots]
		self.assertEqual(got, [("tally", 1), ("tally", 2), ("tally-ledger-off", 1),
		                       ("go", 1), ("go", 2), ("go-gogc-off", 1),
		                       ("pthreads", 1), ("pthreads", 2)])
		app = [o.cmdline for o in tq.booted]
		self.assertTrue(app[2].endswith(" ledger=off"))
		self.assertIn("gobench -bench Spawn|Mutex -benchtime 50ms -cpu 1", app[3])
		go = benchfmt.parse(go_log)
		zero = sorted(r.base for r in go.results if r.metrics.get("allocs/op") == 0)
		self.assertIn("SpawnJoin", [r.base for r in go.results if r.metrics.get("allocs/op")])
		self.assertIn("-bench ^Benchmark(%s)$ -benchtime 50ms -cpu 1 -gogc off"
		              % "|".join(zero), app[5])
		self.assertTrue(all(b["qemu"][0] for b in boots))
		# parallel
		tq = FakeQemu([(0, tl.replace(b"icount: yes", b"icount: no").replace(
			b"icount-detected: yes", b"icount-detected: no"))] * 2)
		boots = []
		with redirect_stdout(io.StringIO()):
			fails = driver.run_mode(tq, self.args, "parallel", ["tally"], boots)
		self.assertEqual(fails, [])
		self.assertEqual([o.cmdline.split()[-1] for o in tq.booted],
		                 ["benchprocs=1", "benchprocs=2"])
		self.assertEqual([b["n"] for b in boots], [1, 2])

	def test_failures(self):
		truncated = recorded("icount.pthreads.log").split(b"BenchmarkMutexContended")[0]
		tq = FakeQemu([(None, truncated), (1, recorded("icount.pthreads.log")),
		               (0, truncated)])
		fails, _ = self.run_system(tq, "parallel", "pthreads", runs=3)
		self.assertEqual(len(fails), 3)
		self.assertIn("timeout", fails[0])
		self.assertIn("status 1", fails[1])
		self.assertIn("no 'bench: done:' line", fails[2])
		self.assertTrue(self.status("parallel", "pthreads").startswith("failed: "))


if __name__ == "__main__":
	unittest.main()

#!/usr/bin/env python3
"""test_testrun.py - unit tests of how the harness judges a run.

Purpose: what counts as a pass is decided in tools/testrun.py,
tools/testcases.py and tools/testlayers.py, so that logic is tested
without QEMU: the case-file parser (every key, its errors, the real
tests/system.cases) and the build plan it makes, the parsers of cmocka
and ktest output, the fuzz layer's verdicts (against a stand-in harness
script), and check_boot's verdicts on a boot's console and status:
expect/contains/once/reject, per-boot regexes, xfail, the exit line, and
the `shutdown =` verdicts of exits without a status.

Where the rest is tested: tools/test_tally_qemu.py holds the launcher's
own tests (exit decoding, the console, QEMU command lines, QMP, a boot
against a stand-in QEMU), tools/test_tapnet.py the tap harness.

Run: python3 tools/test_testrun.py (testrun.py's py layer also runs and
counts it, after tools/test_tally_qemu.py).
Context: stdlib only; touches nothing outside a temporary directory.
"""

import contextlib
import io
import os
import socket
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

sys.path.insert(0, HERE)
import tally_qemu as tq  # noqa: E402
import testrun as tr  # noqa: E402
import testlayers as tl  # noqa: E402  (the layers that do not boot)


class CaseFile(unittest.TestCase):
	def refused(self, pairs):
		"""Each (case text, words) pair is refused with those words."""
		for bad, why in pairs:
			with self.assertRaises(tr.CaseError) as cm:
				tr.parse_cases(bad)
			self.assertIn(why, str(cm.exception))

	TEXT = """
# comment
[one]
app = tests/apps/exit42.c
boot = direct grub
cmdline = -- a "b c"
status = 42
expect = ^x
expect = y$
contains = z
reject = FATAL
timeout = 5

[two]
boot = direct
cmdline = test=all
"""

	def test_parse(self):
		one, two = tr.parse_cases(self.TEXT)
		self.assertEqual(one.boots, ["direct", "grub"])
		self.assertEqual(one.cmdline, '-- a "b c"')
		self.assertEqual(one.status, 42)
		self.assertEqual([r.pattern for _, r in one.expect], ["^x", "y$"])
		self.assertEqual(one.timeout_for("grub"), 5)
		self.assertFalse(one.ktest())
		self.assertEqual(two.app, "default")
		self.assertTrue(two.ktest())
		self.assertEqual(two.timeout_for("uefi"), 120)
		self.assertFalse(tr.parse_cases("[x]\nboot=direct\ncmdline=test=none")[0].ktest())

	def test_emulator(self):
		a, b = tr.parse_cases("[a]\nboot = direct\n"
		                      "[b]\nboot = direct\nemulator = qemu10\n")
		self.assertEqual((a.emulator, b.emulator), ("system", "qemu10"))

	def test_errors(self):
		self.refused((("[a]\nboot = direct\nemulator = /usr/bin/qemu\n",
		                  "one of system, qemu10"),
		                 ("[a]\nbot = direct\n", "unknown key"),
		                 ("[a]\nboot = floppy\n", "unknown boot path"),
		                 ("[a]\nboot = direct\n[a]\nboot = direct\n", "duplicate"),
		                 ("boot = direct\n", "outside"),
		                 ("[a]\n", "no `boot"),
		                 ("[a]\nboot = direct\nexpect = (\n", ":3:"),
		                 ("[a]\nboot = direct\nstatus = x\n", "status")))

	def test_several_isas(self):
		x, a, only = tr.parse_cases("""
[c]
arch = x86_64 aarch64
app = tests/apps/exit42.c
boot = direct grub uefi
expect = ^both
expect@x86_64 = ^x86 only
expect@aarch64 = ^a64 only
reject@direct = ^direct only
[d]
boot = direct
""")
		self.assertEqual((x.name, x.arch, x.boots), ("c", "x86_64", ["direct", "grub", "uefi"]))
		self.assertEqual((a.name, a.arch, a.boots), ("c.a64", "aarch64", ["direct", "uefi"]))
		self.assertEqual([r.pattern for _, r in x.expect], ["^both", "^x86 only"])
		self.assertEqual([r.pattern for _, r in a.expect], ["^both", "^a64 only"])
		self.assertEqual([(o, r.pattern) for o, r in a.reject], [("direct", "^direct only")])
		self.assertEqual((x.machine, x.cpu, a.machine, a.cpu),
		                 ("q35", "max", "virt,gic-version=3", "cortex-a72"))
		self.assertEqual((only.arch, only.name), ("x86_64", "d"))
		self.refused((("[a]\narch = x86_64 aarch64\nboot = grub\n", "none of its boot"),
		                 ("[a]\narch = x86_64 aarch64\nboot = direct\ncpu = max\n",
		                  "several ISAs"),
		                 ("[a]\narch = x86_64 x86_64\nboot = direct\n", "each once"),
		                 ("[a]\narch = riscv\nboot = direct\n", "x86_64, aarch64"),
		                 ("[a]\nboot = direct\nexpect@arm = x\n", "boot path or ISA"),
		                 ("[a]\narch = x86_64 aarch64\nboot = direct\n"
		                  "[a.a64]\nboot = direct\n", "is taken")))

	def test_build_plan(self):
		cases = tr.parse_cases("""
[banner]
boot = direct uefi
[bad]
boot = direct
cmdline = serail=com1
[kt]
boot = direct uefi
cmdline = test=all
[crash]
app = tests/apps/null_deref.c
boot = direct
[crash2]
app = tests/apps/null_deref.c
boot = grub
""")
		builds = tr.plan_builds(cases)
		by = {c.name: c.build for c in cases}
		self.assertIs(by["banner"], by["bad"])
		self.assertIsNot(by["kt"], by["banner"])
		self.assertIs(by["crash"], by["crash2"])
		self.assertEqual(len(builds), 3)
		self.assertEqual(by["banner"].command(),
		                 ["make", "-s", "APP=apps/banner.c",
		                  "OUT=build/x86_64/apps/default",
		                  "CMDLINE=", "kernel", "esp"])
		self.assertEqual(by["kt"].command(),
		                 ["make", "-s", "APP=apps/banner.c",
		                  "OUT=build/x86_64/apps/default.kt",
		                  "CMDLINE=test=all", "kernel", "esp"])
		self.assertEqual(by["crash"].command(),
		                 ["make", "-s", "APP=tests/apps/null_deref.c",
		                  "OUT=build/x86_64/apps/null_deref", "CMDLINE=",
		                  "kernel", "iso"])

	def test_launcher_and_check_keys(self):
		c = tr.parse_cases("[a]\nboot = direct\nlauncher = yes\n"
		                   "check = tools/testrun.py\n")[0]
		self.assertTrue(c.launcher)
		self.assertEqual(c.check, "tools/testrun.py")
		self.assertFalse(tr.parse_cases("[a]\nboot = direct\n")[0].launcher)
		self.refused((("[a]\nboot = direct\nlauncher = maybe\n", "yes or no"),
		                 ("[a]\nboot = direct\ncheck = tools/nope.py\n", "no script"),
		                 ("[a]\nboot = direct\nlauncher = yes\n"
		                  "shutdown = running\n", "needs a status")))

	def test_listens_key(self):
		c = tr.parse_cases("[a]\nboot = direct\nclient = tools/tcpget_server.py\n"
		                   "listens = yes\n")[0]
		self.assertTrue(c.client_listens)
		self.assertFalse(tr.parse_cases("[a]\nboot = direct\n")[0].client_listens)
		self.refused((("[a]\nboot = direct\nlistens = yes\n", "without a `client`"),
		                 ("[a]\nboot = direct\nclient = tools/tcpget_server.py\n"
		                  "listens = maybe\n", "yes or no")))

	def test_repeat_key(self):
		c = tr.parse_cases("[a]\nboot = direct\nrepeat = 3\n")[0]
		self.assertEqual(c.repeat, 3)
		self.assertEqual(tr.parse_cases("[a]\nboot = direct\n")[0].repeat, 1)
		self.refused((("[a]\nboot = direct\nrepeat = 0\n", "repeat 1..1000"),
		              ("[a]\nboot = direct\nrepeat = 1001\n", "repeat 1..1000")))

	def test_wait_listening(self):
		class Alive:
			def poll(self):
				return None
		with socket.socket() as srv:
			srv.bind(("127.0.0.1", 0))
			srv.listen(1)
			self.assertTrue(tr.wait_listening(Alive(), srv.getsockname()[1], None, limit=5))
		with socket.socket() as s:
			s.bind(("127.0.0.1", 0))   # bound, not listening: refused
			port = s.getsockname()[1]
			t0 = time.monotonic()
			self.assertFalse(tr.wait_listening(Alive(), port, None, limit=0.3))
			self.assertGreaterEqual(time.monotonic() - t0, 0.3)

	def test_check_script_verdict(self):
		with tempfile.TemporaryDirectory() as d:
			path = os.path.join(d, "check.py")  # absolute: joins to itself
			with open(path, "w") as f:
				f.write("import sys\nt = sys.stdin.read()\n"
				        "sys.exit(0 if 'good' in t else 'bad: ' + t.strip())\n")
			self.assertIsNone(tr.run_check(path, ["a", "good"]))
			self.assertIn("bad: a", tr.run_check(path, ["a", "b"]))

	def test_direct_only_build_has_no_cmdline(self):
		c = tr.parse_cases("[a]\napp = x/y.c\nboot = direct\ncmdline = q\n")
		b = tr.plan_builds(c)[0]
		self.assertEqual(b.command(), ["make", "-s", "APP=x/y.c",
		                               "OUT=build/x86_64/apps/y", "kernel"])

	def test_the_real_case_file(self):
		path = os.path.join(ROOT, "tests", "system.cases")
		with open(path) as f:
			cases = tr.parse_cases(f.read())
		self.assertTrue(cases)
		for c in cases:
			if c.app != "default":
				self.assertTrue(os.path.isfile(os.path.join(ROOT, c.app)), c.app)
		tr.plan_builds(cases)


class Cmocka(unittest.TestCase):
	OUT = ("[==========] Running 3 test(s).\n[ RUN      ] a\n[       OK ] a\n"
	       "[ RUN      ] b\n[  FAILED  ] b\n[ RUN      ] c\n[       OK ] c\n"
	       "[==========] 3 test(s) run.\n")
	ERR = ("[  ERROR   ] --- 0x1 != 0x2\n[   LINE   ] --- t.c:8: error: Failure!\n"
	       "[  PASSED  ] 2 test(s).\n[  FAILED  ] 1 test(s), listed below:\n"
	       "[  FAILED  ] b\n\n 1 FAILED TEST(S)\n")

	def test_mixed(self):
		p, f, err = tl.parse_cmocka(self.OUT, self.ERR, 1)
		self.assertIsNone(err)
		self.assertEqual(p, ["a", "c"])
		self.assertEqual(f, [("b", "0x1 != 0x2 t.c:8: error: Failure!")])

	def test_runtime_child_failure_names_its_check(self):
		# rt_test.c's report: the child's output, fail_msg's line, then
		# cmocka's LINE message inside an ERROR one
		out = "[ RUN      ] s\n[  FAILED  ] s\n"
		err = ("---- runtime child output (status 97) ----\nx\n---- end ----\n"
		       "ERROR: t.c:70: check failed: el < d + bound\n"
		       "[  ERROR   ] --- [   LINE   ] --- rt_test.c:286: error: Failure!\n"
		       "[  PASSED  ] 0 test(s).\n[  FAILED  ] 1 test(s), listed below:\n")
		p, f, err = tl.parse_cmocka(out, err, 1)
		self.assertIsNone(err)
		self.assertEqual(f, [("s", "t.c:70: check failed: el < d + bound "
		                           "rt_test.c:286: error: Failure!")])

	def test_all_pass(self):
		out = "[ RUN      ] a\n[       OK ] a\n"
		p, f, err = tl.parse_cmocka(out, "[  PASSED  ] 1 test(s).\n", 0)
		self.assertEqual((p, f, err), (["a"], [], None))

	def test_crash_without_summary(self):
		p, f, err = tl.parse_cmocka("[ RUN      ] a\n", "", -6)
		self.assertIn("no cmocka summary", err)
		self.assertIn("signal 6", err)

	def test_nonzero_exit_without_failures(self):
		_, _, err = tl.parse_cmocka("", "[  PASSED  ] 1 test(s).\n", 3)
		self.assertIn("exit 3", err)


class Ktest(unittest.TestCase):
	def test_agree(self):
		lines = ["ktest: PASS a", "ktest: FAIL b: x != y", "ktest: PASS c",
		         "ktest: done: 2 passed, 1 failed"]
		res, err = tr.parse_ktest(lines)
		self.assertIsNone(err)
		self.assertEqual(res, [("a", None), ("b", "x != y"), ("c", None)])

	def test_disagree_missing_empty(self):
		self.assertIn("summary says", tr.parse_ktest(
			["ktest: PASS a", "ktest: done: 2 passed, 0 failed"])[1])
		self.assertIn("no 'ktest: done:'", tr.parse_ktest(["ktest: PASS a"])[1])
		self.assertIn("no ktest ran", tr.parse_ktest(
			["ktest: done: 0 passed, 0 failed"])[1])


class Fuzz(unittest.TestCase):
	def standin(self, body):
		"""Run run_fuzz on a stand-in harness script; (report, output)."""
		saved = tl.FUZZ_OUT
		with tempfile.TemporaryDirectory() as d:
			tl.FUZZ_OUT = d
			try:
				path = os.path.join(d, "fuzz_demo")
				with open(path, "w") as f:
					f.write("#!/bin/sh\n" + body)
				os.chmod(path, 0o755)
				rep, buf = tl.Report(), io.StringIO()
				with contextlib.redirect_stdout(buf):
					tl.run_fuzz([path], rep, None, 1)
				return rep, buf.getvalue()
			finally:
				tl.FUZZ_OUT = saved

	def test_names_and_command(self):
		self.assertEqual(tl.fuzz_name("build/fuzz/fuzz_acpi"), "fuzz/acpi")
		saved = tl.FUZZ_OUT
		with tempfile.TemporaryDirectory() as d:
			tl.FUZZ_OUT = d
			try:
				stale = os.path.join(d, "test-work", "bootopt", "old")
				os.makedirs(os.path.dirname(stale))
				open(stale, "w").close()
				cmd = tl.fuzz_command("build/fuzz/fuzz_bootopt", 3)
			finally:
				tl.FUZZ_OUT = saved
			self.assertFalse(os.path.exists(stale))  # scratch starts empty
		self.assertIn("-max_total_time=3", cmd)
		self.assertTrue(any(a.startswith("-dict=") for a in cmd))
		self.assertTrue(cmd[-2].endswith(os.path.join("test-work", "bootopt")))
		self.assertTrue(cmd[-1].endswith(os.path.join("tests", "fuzz", "corpus", "bootopt")))

	def test_clean_run_passes(self):
		rep, out = self.standin("exit 0\n")
		self.assertEqual((rep.passed, rep.failed), (1, 0))
		self.assertIn("PASS fuzz/demo", out)

	def test_finding_fails_with_summary_and_input(self):
		rep, out = self.standin(
			"echo 'x.c:9: broken promise: a <= 1' >&2\n"
			"echo 'SUMMARY: libFuzzer: deadly signal' >&2\n"
			"echo \"Test unit written to $PWD/crash-abc\" >&2\nexit 1\n")
		self.assertEqual((rep.passed, rep.failed), (0, 1))
		self.assertIn("FAIL fuzz/demo: broken promise: a <= 1", out)
		self.assertIn("input saved as crash-abc", out)


class CheckBoot(unittest.TestCase):
	def result(self, text, status):
		r = tq.BootResult()
		r.boot = "direct"
		r.raw = text.encode()
		r.status = r.exit_code = status
		return r

	def case(self, body):
		return tr.parse_cases("[c]\nboot = direct\n" + body)[0]

	def test_pass(self):
		c = self.case("status = 70\nexpect = ^tally: FATAL\nexpect = ^backtrace:\n"
		              "expect = poke\nreject = survived\n")
		r = self.result("fw\ntally: start\ntally: FATAL: page fault (#PF)\n"
		                "backtrace:\n  #0 poke+0x4\ntally: exit 70\n", 70)
		self.assertIsNone(tr.check_boot(c, r)[0])

	def test_failures(self):
		c = self.case("status = 0\nexpect = ^b$\nexpect = ^a$\nreject = FATAL\n")
		r = self.result("tally: start\na\nb\ntally: FATAL: x\ntally: exit 1\n", 1)
		why = tr.check_boot(c, r)[0]
		self.assertIn("status 1, expected 0", why)
		self.assertIn("/^a$/ (in order) not found", why)
		self.assertIn("unwanted /FATAL/", why)

	def test_once(self):
		c = self.case("status = 70\nonce = ^tally: FATAL\n")
		one = "tally: start\ntally: FATAL: a\nx\ntally: exit 70\n"
		self.assertIsNone(tr.check_boot(c, self.result(one, 70))[0])
		two = "tally: start\ntally: FATAL: a\ntally: FATAL: b\ntally: exit 70\n"
		self.assertIn("matched 2 lines, expected exactly one",
		              tr.check_boot(c, self.result(two, 70))[0])
		self.assertIn("matched 0 lines", tr.check_boot(
			c, self.result("tally: start\ntally: exit 70\n", 70))[0])

	def test_per_boot_regexes(self):
		c = self.case("contains@direct = boot: pvh\ncontains@uefi = boot: uefi\n"
		              "reject@uefi = pvh\n")
		r = self.result("tally: start\nboot: pvh\ntally: exit 0\n", 0)
		self.assertIsNone(tr.check_boot(c, r)[0])
		r.boot = "uefi"
		why = tr.check_boot(c, r)[0]
		self.assertIn("/boot: uefi/ not found", why)
		self.assertIn("unwanted /pvh/", why)
		with self.assertRaises(tr.CaseError):
			tr.parse_cases("[a]\nboot = direct\nstatus@uefi = 1\n")
		with self.assertRaises(tr.CaseError):
			tr.parse_cases("[a]\nboot = direct\nexpect@floppy = x\n")

	def test_xfail(self):
		c = self.case("cmdline = test=a*\nstatus = 1\nxfail = a_caught\n")
		out = ("tally: start\nktest: PASS a_fine (1 us)\nktest: FAIL a_caught: x.c:1: "
		       "y (3 > 2)\nktest: done: 1 passed, 1 failed\ntally: exit 1\n")
		why, kt, _ = tr.check_boot(c, self.result(out, 1))
		self.assertIsNone(why)
		self.assertEqual(kt, [("a_fine", None), ("a_caught", None)])
		# an expected failure that passes, or does not run, fails
		out = ("tally: start\nktest: PASS a_caught (1 us)\nktest: done: 1 passed, "
		       "0 failed\ntally: exit 1\n")
		why, kt, _ = tr.check_boot(c, self.result(out, 1))
		self.assertEqual(kt, [("a_caught", "passed, but the case expects it to fail")])
		c = self.case("cmdline = test=a*\nstatus = 1\nxfail = a_caught a_gone\n")
		why, kt, _ = tr.check_boot(c, self.result(out, 1))
		self.assertIn("ktest a_gone (expected to fail) did not run", why)
		with self.assertRaises(tr.CaseError):
			tr.parse_cases("[a]\nboot = direct\nxfail =\n")

	def test_exit_line(self):
		c = self.case("")
		self.assertIn("no 'tally: exit 0'",
		              tr.check_boot(c, self.result("tally: start\n", 0))[0])
		self.assertIn("disagrees", tr.check_boot(
			c, self.result("tally: start\ntally: exit 3\n", 0))[0])
		c = self.case("exitline = no\n")
		self.assertIsNone(tr.check_boot(c, self.result("tally: start\n", 0))[0])

	def test_no_status(self):
		r = tq.BootResult()
		r.message = "timeout after 3s"
		self.assertEqual(tr.check_boot(self.case(""), r)[0], "timeout after 3s")

	def down(self, text, reason=None, code=0, log=None, timed_out=False):
		r = self.result(text, None)
		r.exit_code, r.qemu_code, r.timed_out = 125, code, timed_out
		if reason:
			r.qmp_events = [{"event": "RESUME"},
			                {"event": "SHUTDOWN",
			                 "data": {"guest": True, "reason": reason}}]
		if timed_out:
			r.qmp_events.append({"event": "SHUTDOWN", "data": {
				"guest": False, "reason": "host-signal"}})
		r.cpu_reset_log = log
		return r

	def test_shutdown_cases(self):
		with self.assertRaises(tr.CaseError):
			tr.parse_cases("[a]\nboot = direct\nshutdown = off\n")
		with self.assertRaises(tr.CaseError):
			tr.parse_cases("[a]\nboot = direct\ndebugexit = maybe\n")
		self.assertFalse(self.case("debugexit = no\n").debugexit)
		ok = "tally: start\ntally: exit 0\n"
		off = self.case("shutdown = guest-shutdown\n")
		self.assertIsNone(tr.check_boot(off, self.down(ok, "guest-shutdown"))[0])
		self.assertIn("expected [guest-shutdown]", tr.check_boot(
			off, self.down(ok, "guest-reset", log=""))[0])
		self.assertIn("expected 0", tr.check_boot(
			off, self.down(ok, "guest-shutdown", code=1))[0])
		self.assertIn("timeout", tr.check_boot(
			off, self.down(ok, timed_out=True))[0])
		r = self.down(ok, "guest-shutdown")
		r.qmp_error = "QMP: socket never answered"
		self.assertEqual(tr.check_boot(off, r)[0], r.qmp_error)
		self.assertIn("disagrees", tr.check_boot(
			off, self.down("tally: start\ntally: exit 3\n", "guest-shutdown"))[0])
		reset = self.case("shutdown = guest-reset\n")
		clean = "CPU Reset (CPU 0)\nCPU Reset (CPU 0)\n"
		self.assertIsNone(tr.check_boot(reset, self.down(ok, "guest-reset",
		                                                 log=clean))[0])
		self.assertIn("triple fault", tr.check_boot(reset, self.down(
			ok, "guest-reset", log=clean + "Triple fault\n"))[0])
		self.assertIn("no -d cpu_reset log", tr.check_boot(
			reset, self.down(ok, "guest-reset"))[0])
		tf = self.case("shutdown = triple-fault\nexitline = no\n")
		self.assertIsNone(tr.check_boot(tf, self.down(
			"tally: start\n", "guest-reset", log=clean + "Triple fault\n"))[0])
		self.assertIn("no triple fault", tr.check_boot(tf, self.down(
			"tally: start\n", "guest-reset", log=clean))[0])
		run = self.case("shutdown = running\n")
		self.assertIsNone(tr.check_boot(run, self.down(ok, timed_out=True))[0])
		self.assertIn("stay halted", tr.check_boot(
			run, self.down(ok, "guest-shutdown", timed_out=True))[0])
		self.assertIn("before the timeout", tr.check_boot(
			run, self.down(ok))[0])

	def test_ktest_results(self):
		c = self.case("cmdline = test=all\n")
		r = self.result("tally: start\nktest: PASS a\nktest: FAIL b: no\n"
		                "ktest: done: 1 passed, 1 failed\ntally: exit 0\n", 0)
		why, kt, _ = tr.check_boot(c, r)
		self.assertIsNone(why)
		self.assertEqual(kt, [("a", None), ("b", "no")])


if __name__ == "__main__":
	unittest.main()

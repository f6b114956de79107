#!/usr/bin/env python3
"""test_tally_qemu.py - unit tests of the test harness itself.

Purpose: the harness decides what counts as a pass, so its logic is tested
without QEMU: exit-status decoding (odd codes carry a status, 0 is a triple
fault, timeouts and other codes are failures), serial-noise stripping, the
QEMU command lines of the four boot paths, the case-file parser and build
plan, the parsers of cmocka and ktest output, the fuzz layer's verdicts
(against a stand-in harness script), the options and verdicts of exits
without a status (shutdown =) and the QMP client (against a stand-in QMP
server).  boot() itself is run
against a stand-in QEMU (a shell script) to prove the timeout kill and the
status path end to end in well under a second.

Run: python3 tools/test_tally_qemu.py (testrun.py also runs and counts it).
Context: stdlib only; touches nothing outside a temporary directory.
"""

import contextlib
import importlib.machinery
import io
import importlib.util
import os
import stat
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _load(name, path):
	loader = importlib.machinery.SourceFileLoader(name, path)
	spec = importlib.util.spec_from_loader(name, loader)
	mod = importlib.util.module_from_spec(spec)
	loader.exec_module(mod)
	return mod


sys.path.insert(0, HERE)
import tally_qemu as tq  # noqa: E402
import testrun as tr  # noqa: E402
import testlayers as tl  # noqa: E402  (the layers that do not boot)


class DecodeExit(unittest.TestCase):
	def test_odd_codes_carry_the_status(self):
		for status in (0, 1, 42, 64, 70, 71, 127):
			self.assertEqual(tq.decode_exit((status << 1) | 1), (status, None))

	def test_zero_is_a_crash(self):
		code, msg = tq.decode_exit(0)
		self.assertEqual(code, 125)
		self.assertIn("triple fault", msg)

	def test_other_even_codes(self):
		for c in (2, 4, 254):
			code, msg = tq.decode_exit(c)
			self.assertEqual(code, 126)
			self.assertIn(str(c), msg)

	def test_signal_and_timeout_and_qemu_error(self):
		self.assertEqual(tq.decode_exit(-9)[0], 126)
		self.assertEqual(tq.decode_exit(None, timed_out=True), (124, None))
		self.assertEqual(tq.decode_exit(1, qemu_error="-x: invalid option")[0], 126)


class SerialCleaning(unittest.TestCase):
	OVMF = (b"\x1b[2J\x1b[01;01H\x1b[=3h\x1b[2J\x1b[01;01HBdsDxe: loading Boot0001\r\n"
	        b"BdsDxe: starting\r\n\x1b[0m\x1b[37m\x1b[40mtally: start\r\n"
	        b"boot: uefi\r\n\x1b[1mbold\x1b[0m\r\n")

	def test_escapes_and_noise_are_dropped(self):
		self.assertEqual(tq.guest_lines(self.OVMF),
		                 ["tally: start", "boot: uefi", "bold"])

	def test_start_mid_line(self):
		self.assertEqual(tq.guest_lines(b"junk tally: start\nx\n"),
		                 ["tally: start", "x"])

	def test_no_start(self):
		self.assertEqual(tq.guest_lines(b"firmware only\n"), [])

	def test_clean_line(self):
		self.assertEqual(tq.clean_line("a\x1b[31mb\x1b(Bc\r\x07"), "abc")

	def test_echo_strips_unless_raw(self):
		class Sink:
			def __init__(self):
				self.text = ""

			def write(self, t):
				self.text += t

			def flush(self):
				pass
		s = Sink()
		e = tq._Echo(s, raw=False)
		for i in range(0, len(self.OVMF), 7):   # arbitrary chunking
			e.feed(self.OVMF[i:i + 7])
		e.feed(b"partial", final=True)
		self.assertEqual(s.text, "tally: start\nboot: uefi\nbold\npartial\n")
		self.assertIn("BdsDxe: starting", e.noise)


class Commands(unittest.TestCase):
	def opts(self, **kw):
		kw.setdefault("out", "/img")
		return tq.default_options(**kw)

	def test_always_present(self):
		for boot in tq.BOOTS:
			cmd = tq.build_command(self.opts(boot=boot), "/tmp/v.fd")
			joined = " ".join(cmd)
			for must in ("-nodefaults", "-no-reboot", "-display none",
			             "isa-debug-exit,iobase=0xf4,iosize=0x04",
			             "-serial stdio", "-seed 1", "-machine q35",
			             "-cpu max", "-smp 1", "-m 512M"):
				self.assertIn(must, joined, boot)
			self.assertEqual("-icount" in cmd, False)

	def test_direct(self):
		cmd = tq.build_command(self.opts(cmdline="test=all -- a"), "v")
		self.assertEqual(cmd[cmd.index("-kernel") + 1], "/img/kernel.elf")
		self.assertEqual(cmd[cmd.index("-append") + 1], "test=all -- a")
		self.assertNotIn("-append", tq.build_command(self.opts(), "v"))

	def test_firmware_paths(self):
		grub = " ".join(tq.build_command(self.opts(boot="grub"), "v"))
		self.assertIn("media=cdrom", grub)
		self.assertIn("/img/tally.iso", grub)
		self.assertNotIn("pflash", grub)
		for boot, img in (("grub-efi", "/img/tally.iso"), ("uefi", "/img/esp.img")):
			cmd = " ".join(tq.build_command(self.opts(boot=boot), "/t/vars.fd"))
			self.assertIn("readonly=on,file=" + tq.OVMF_CODE, cmd)
			self.assertIn("unit=1,file=/t/vars.fd", cmd)
			self.assertIn(img, cmd)
			self.assertIn("OVMF_CODE_4M", cmd)

	def test_icount_smp_extra(self):
		cmd = tq.build_command(self.opts(icount=True, smp=2, mem="1G",
		                                 extra=["-d", "int"]), "v")
		self.assertIn("shift=0,align=off,sleep=off", cmd)
		self.assertEqual(cmd[-2:], ["-d", "int"])
		self.assertIn("1G", cmd)

	def test_qemu_bin(self):
		self.assertEqual(tq.build_command(self.opts(), "v")[0], tq.QEMU)
		self.assertEqual(tq.build_command(self.opts(qemu_bin="qemu10"), "v")[0],
		                 tq.QEMU_VARIANTS["qemu10"])
		self.assertEqual(tq.build_command(self.opts(qemu_bin="/q/qemu"), "v")[0],
		                 "/q/qemu")

	def test_aarch64_command(self):
		o = self.opts(arch="aarch64", out=None, cmdline="fault=read", smp=4, mem="1G")
		cmd = tq.build_command(o, "v")
		self.assertEqual(cmd[0], "qemu-system-aarch64")
		self.assertEqual(cmd[cmd.index("-machine") + 1], "virt,gic-version=3")
		self.assertEqual(cmd[cmd.index("-cpu") + 1], "cortex-a72")
		self.assertNotIn("isa-debug-exit,iobase=0xf4,iosize=0x04", cmd)
		self.assertEqual(cmd[cmd.index("-semihosting-config") + 1], "enable=on,target=native")
		i = cmd.index("-kernel")
		self.assertTrue(cmd[i + 1].endswith(os.path.join("build", "aarch64", "dtboot.img")))
		self.assertEqual(cmd[i + 2:i + 4], ["-append", "fault=read"])
		o.debug_exit = False
		self.assertNotIn("-semihosting-config", tq.power_args(o, tq.build_command(o, "v"), "/t")[0])
		self.assertIn("direct", tq.check_options(self.opts(arch="aarch64", boot="grub")))
		self.assertIn("virt", tq.check_options(self.opts(arch="aarch64", machine="q35")))
		self.assertIn("q35", tq.check_options(self.opts(machine="virt")))

	def test_missing_qemu_variant_says_why(self):
		with tempfile.TemporaryDirectory() as d:
			open(os.path.join(d, "kernel.elf"), "w").close()
			prog = os.path.join(d, "qemu10", "qemu-system-x86_64")
			saved = dict(tq.QEMU_VARIANTS)
			tq.QEMU_VARIANTS["qemu10"] = prog
			try:
				o = self.opts(out=d, qemu_bin="qemu10")
				self.assertIn("never fetched", tq.check_options(o))
				os.makedirs(os.path.dirname(prog))
				with open(os.path.join(d, "qemu10", "fetch-failed.txt"), "w") as f:
					f.write("fetch-qemu10: apt-get update failed\n")
				self.assertIn("apt-get update failed", tq.check_options(o))
				with open(prog, "w") as f:
					f.write("#!/bin/sh\n")
				os.chmod(prog, stat.S_IRWXU)
				self.assertIsNone(tq.check_options(o))
			finally:
				tq.QEMU_VARIANTS.clear()
				tq.QEMU_VARIANTS.update(saved)
			o = self.opts(out=d, qemu_bin="no-such-qemu-here")
			self.assertIn("not found on PATH", tq.check_options(o))
	def test_power_args(self):
		base = tq.build_command(self.opts(), "v")
		cmd, qmp = tq.power_args(self.opts(), base, "/t")
		self.assertEqual((cmd, qmp), (base, None))
		o = self.opts(debug_exit=False, qmp=True, cpu_reset_log="/l/r.log")
		cmd, qmp = tq.power_args(o, base, "/t")
		self.assertEqual(qmp, "/t/qmp.sock")
		joined = " ".join(cmd)
		self.assertNotIn("isa-debug-exit", joined)
		self.assertNotIn("-device", cmd)
		self.assertIn("-S -qmp unix:/t/qmp.sock,server=on,wait=off", joined)
		self.assertIn("-d cpu_reset -D /l/r.log", joined)
		self.assertEqual(cmd[0], tq.QEMU)
		self.assertIn("-no-reboot", cmd)   # a reset must end the run
		self.assertIn("isa-debug-exit,iobase=0xf4,iosize=0x04", base)

	def test_cmdline_refused_for_images(self):
		with tempfile.TemporaryDirectory() as d:
			open(os.path.join(d, "tally.iso"), "w").close()
			o = self.opts(boot="grub", out=d)
			self.assertIsNone(tq.check_options(o))
			o.cmdline = "test=all"
			self.assertIn("baked", tq.check_options(o))
			self.assertIn("no image", tq.check_options(self.opts(out=d)))


class QmpClient(unittest.TestCase):
	"""_Qmp against a stand-in QMP server: greeting, capabilities, cont,
	then events until the server closes, as QEMU does when it exits."""

	def serve(self, path, script):
		import json
		import socket
		import threading
		srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		srv.bind(path)
		srv.listen(1)
		got = []

		def run():
			conn, _ = srv.accept()
			f = conn.makefile("rwb")
			for step in script:
				if step == "read":
					got.append(json.loads(f.readline())["execute"])
				else:
					f.write(json.dumps(step).encode() + b"\n")
					f.flush()
			conn.close()
			srv.close()
		t = threading.Thread(target=run, daemon=True)
		t.start()
		return t, got

	def test_handshake_and_events(self):
		with tempfile.TemporaryDirectory() as d:
			path = os.path.join(d, "q.sock")
			down = {"event": "SHUTDOWN",
			        "data": {"guest": True, "reason": "guest-shutdown"}}
			t, got = self.serve(path, [
				{"QMP": {"version": {}}}, "read", {"return": {}},
				"read", {"event": "RESUME"}, {"return": {}}, down])
			q = tq._Qmp(path, time.monotonic() + 10)
			q.start()
			q.join(10)
			t.join(10)
			self.assertIsNone(q.error)
			self.assertEqual(got, ["qmp_capabilities", "cont"])
			self.assertEqual(q.events, [{"event": "RESUME"}, down])

	def test_errors_are_reported(self):
		with tempfile.TemporaryDirectory() as d:
			path = os.path.join(d, "q.sock")
			t, _ = self.serve(path, [{"QMP": {}}, "read",
			                         {"error": {"class": "GenericError"}}])
			q = tq._Qmp(path, time.monotonic() + 10)
			q.start()
			q.join(10)
			t.join(10)
			self.assertIn("qmp_capabilities", q.error)
			q = tq._Qmp(os.path.join(d, "none.sock"), time.monotonic() + 0.2)
			q.start()
			q.join(10)
			self.assertIn("never answered", q.error)


class BootWithStandIn(unittest.TestCase):
	"""boot() against a shell script posing as QEMU."""

	def setUp(self):
		self.dir = tempfile.TemporaryDirectory()
		self.fake = os.path.join(self.dir.name, "qemu")
		with open(self.fake, "w") as f:
			f.write("#!/bin/sh\nprintf \"$FAKE_OUT\"\n"
			        "printf \"$FAKE_ERR\" >&2\n"
			        "[ -n \"$FAKE_SLEEP\" ] && sleep \"$FAKE_SLEEP\"\n"
			        "exit $FAKE_CODE\n")
		os.chmod(self.fake, stat.S_IRWXU)
		self.saved = tq.QEMU
		tq.QEMU = self.fake
		os.makedirs(os.path.join(self.dir.name, "out"))
		open(os.path.join(self.dir.name, "out", "kernel.elf"), "w").close()

	def tearDown(self):
		tq.QEMU = self.saved
		for k in ("FAKE_OUT", "FAKE_CODE", "FAKE_SLEEP", "FAKE_ERR"):
			os.environ.pop(k, None)
		self.dir.cleanup()

	def run_fake(self, out, code, sleep="", timeout=10, err=""):
		os.environ.update(FAKE_OUT=out, FAKE_CODE=str(code), FAKE_SLEEP=sleep,
		                  FAKE_ERR=err)
		o = tq.default_options(out=os.path.join(self.dir.name, "out"),
		                       timeout=timeout)
		log = os.path.join(self.dir.name, "log")
		res = tq.boot(o, None, log)
		with open(log, "rb") as f:
			return res, f.read()

	def test_status(self):
		res, log = self.run_fake("bios\\ntally: start\\ntally: exit 42\\n", 85)
		self.assertEqual((res.exit_code, res.status), (42, 42))
		self.assertEqual(res.lines(), ["tally: start", "tally: exit 42"])
		self.assertEqual(log, b"bios\ntally: start\ntally: exit 42\n")
		self.assertIsNone(res.message)

	def test_exit_line_disagreeing_is_flagged(self):
		res, _ = self.run_fake("tally: start\\ntally: exit 3\\n", 85)
		self.assertEqual(res.status, 42)
		self.assertIn("warning", res.message)

	def test_qemu_error_mid_run_is_no_status(self):
		# QEMU's exit(1) looks like guest status 0; its error line says not
		res, _ = self.run_fake("tally: start\\n", 1,
		                       err="qemu-system-x86_64: Bad icount read\\n")
		self.assertEqual((res.exit_code, res.status), (126, None))
		self.assertIn("Bad icount read", res.message)
		res, _ = self.run_fake("tally: start\\ntally: exit 0\\n", 1,
		                       err="qemu-system-x86_64: warning: TCG doesn't "
		                           "support requested feature\\n")
		self.assertEqual((res.exit_code, res.status), (0, 0))

	def test_launcher_exits_with_the_status(self):
		# testrun's `launcher = yes`: the command-line tool's exit code
		os.environ.update(FAKE_OUT="bios\\ntally: start\\ntally: exit 42\\n",
		                  FAKE_CODE="85", FAKE_SLEEP="", FAKE_ERR="")
		o = tq.default_options(out=os.path.join(self.dir.name, "out"),
		                       timeout=10, qemu_bin=self.fake)
		res = tr.launch(tq, o, os.path.join(self.dir.name, "log"))
		self.assertEqual((res.exit_code, res.status), (42, 42))
		self.assertEqual(res.lines(), ["tally: start", "tally: exit 42"])
		os.environ.update(FAKE_CODE="0")
		res = tr.launch(tq, o, os.path.join(self.dir.name, "log"))
		self.assertEqual((res.exit_code, res.status), (125, None))
		self.assertIn("launcher exited 125", res.message)

	def test_zero(self):
		res, _ = self.run_fake("tally: start\\n", 0)
		self.assertEqual((res.exit_code, res.status), (125, None))

	def test_timeout_kills_only_its_child(self):
		t0 = time.monotonic()
		res, log = self.run_fake("tally: start\\nhang\\n", 0, sleep="30",
		                         timeout=0.5)
		self.assertLess(time.monotonic() - t0, 5)
		self.assertTrue(res.timed_out)
		self.assertEqual(res.exit_code, 124)
		self.assertIn(b"hang", log)
		self.assertEqual(tq._live, set())


class CaseFile(unittest.TestCase):
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
		for bad, why in (("[a]\nboot = direct\nemulator = /usr/bin/qemu\n",
		                  "one of system, qemu10"),
		                 ("[a]\nbot = direct\n", "unknown key"),
		                 ("[a]\nboot = floppy\n", "unknown boot path"),
		                 ("[a]\nboot = direct\n[a]\nboot = direct\n", "duplicate"),
		                 ("boot = direct\n", "outside"),
		                 ("[a]\n", "no `boot"),
		                 ("[a]\nboot = direct\nexpect = (\n", ":3:"),
		                 ("[a]\nboot = direct\nstatus = x\n", "status")):
			with self.assertRaises(tr.CaseError) as cm:
				tr.parse_cases(bad)
			self.assertIn(why, str(cm.exception))

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
		for bad, why in (("[a]\nboot = direct\nlauncher = maybe\n", "yes or no"),
		                 ("[a]\nboot = direct\ncheck = tools/nope.py\n", "no script"),
		                 ("[a]\nboot = direct\nlauncher = yes\n"
		                  "shutdown = running\n", "needs a status")):
			with self.assertRaises(tr.CaseError) as cm:
				tr.parse_cases(bad)
			self.assertIn(why, str(cm.exception))

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

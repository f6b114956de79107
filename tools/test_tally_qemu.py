#!/usr/bin/env python3
"""test_tally_qemu.py - unit tests of the QEMU launcher, tools/tally_qemu.py
(and the command lines it takes from tools/qemu_command.py).

Purpose: the launcher turns a QEMU run into a status, so its logic is
tested without QEMU: exit-status decoding (odd codes carry a status, 0 is a
triple fault, timeouts and other codes are failures), serial-noise
stripping, the QEMU command lines of the four boot paths and of aarch64,
the option checks, the options of exits without a status and the QMP
client (against a stand-in QMP server).  boot() itself is run
against a stand-in QEMU (a shell script) to prove the timeout kill and the
status path end to end in well under a second, and through the
command line as testrun's `launcher = yes` does.

Where the rest is tested: tools/test_testrun.py holds the tests of how a
run is judged (the case file, the cmocka and ktest parsers, the fuzz
layer, check_boot and the `shutdown =` verdicts), tools/test_tapnet.py
the tap harness.

Run: python3 tools/test_tally_qemu.py (testrun.py also runs and counts it).
Context: stdlib only; touches nothing outside a temporary directory.
"""

import importlib.machinery
import importlib.util
import os
import stat
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name, path):
	loader = importlib.machinery.SourceFileLoader(name, path)
	spec = importlib.util.spec_from_loader(name, loader)
	mod = importlib.util.module_from_spec(spec)
	loader.exec_module(mod)
	return mod


sys.path.insert(0, HERE)
import tally_qemu as tq  # noqa: E402
import qemu_command as qc  # noqa: E402  (where tq.qemu_program reads QEMU)
import testrun as tr  # noqa: E402


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
		k = self.opts(arch="aarch64", out=None, image="Image")
		kc = tq.build_command(k, "v")
		self.assertTrue(kc[kc.index("-kernel") + 1].endswith(os.path.join("build", "aarch64", "Image")))
		o.debug_exit = False
		self.assertNotIn("-semihosting-config", tq.power_args(o, tq.build_command(o, "v"), "/t")[0])
		self.assertIn("direct, uefi or grub-efi",
		              tq.check_options(self.opts(arch="aarch64", boot="grub")))
		g = tq.build_command(self.opts(arch="aarch64", boot="grub-efi"), "/t/v.fd")
		self.assertIn("if=none,id=cd,media=cdrom,readonly=on,format=raw,file=/img/tally.iso", g)
		self.assertIn("scsi-cd,drive=cd", g)
		self.assertEqual(g[g.index("-boot") + 1], "menu=on,splash-time=0")
		self.assertIn("virt", tq.check_options(self.opts(arch="aarch64", machine="q35")))
		self.assertIn("q35", tq.check_options(self.opts(machine="virt")))

	def test_aarch64_uefi_command(self):
		o = self.opts(arch="aarch64", boot="uefi", machine="virt,gic-version=2,acpi=off")
		cmd = tq.build_command(o, "/t/vars.fd")
		joined = " ".join(cmd)
		self.assertEqual(cmd[0], "qemu-system-aarch64")
		self.assertIn("readonly=on,file=" + tq.AAVMF_CODE, joined)
		self.assertNotIn("OVMF", joined)
		self.assertIn("unit=1,file=/t/vars.fd", joined)
		self.assertIn("if=none,id=esp,format=raw,snapshot=on,file=/img/esp.img", joined)
		self.assertEqual(cmd[cmd.index("-device", cmd.index("if=none,id=esp,format=raw,"
		                                                   "snapshot=on,file=/img/esp.img")) + 1],
		                 "virtio-blk-pci,drive=esp")
		self.assertNotIn("-kernel", cmd)
		self.assertEqual(cmd[cmd.index("-boot") + 1], "menu=on,splash-time=0")
		self.assertEqual(tq.firmware(o), (tq.AAVMF_CODE, tq.AAVMF_VARS))
		self.assertIn("virt", tq.check_options(self.opts(arch="aarch64", boot="uefi",
		                                                 machine="virt,acpi=on")))

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
		self.saved = qc.QEMU
		qc.QEMU = self.fake
		os.makedirs(os.path.join(self.dir.name, "out"))
		open(os.path.join(self.dir.name, "out", "kernel.elf"), "w").close()

	def tearDown(self):
		qc.QEMU = self.saved
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

	def test_status_over_127_from_the_exit_line(self):
		# isa-debug-exit carries 7 bits: 128 leaves QEMU as 1 (status 0),
		# 200 as 145 (status 72); the console's line has the rest
		for status in (128, 200, 255):
			res, _ = self.run_fake("tally: start\\ntally: exit %d\\n" % status, ((status << 1) | 1) & 0xff)
			self.assertEqual((res.exit_code, res.status), (status, status))
			self.assertIsNone(res.message)
		# a line whose low 7 bits disagree is no status of its own
		res, _ = self.run_fake("tally: start\\ntally: exit 129\\n", 85)
		self.assertEqual(res.status, 42)
		self.assertIn("warning", res.message)

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


if __name__ == "__main__":
	unittest.main()

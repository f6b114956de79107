#!/usr/bin/env python3
"""tally-qemu - boot one Tally image under QEMU and exit with the guest's status.

Purpose: the single place that knows how to start QEMU for each boot path,
used by `make run` (as a command) and by tools/testrun.py (imported as a
module).  It starts QEMU, reads COM1 through a pipe, echoes the guest's
console live, enforces a wall-clock timeout and turns QEMU's exit code into
the status the guest asked for.

Boot paths (images come from --out, default build/x86_64):
    direct    kernel.elf through `-kernel` (PVH note); --cmdline goes to -append
    grub      tally.iso (GRUB, multiboot2) under SeaBIOS
    grub-efi  the same tally.iso under OVMF
    uefi      esp.img (GNU-EFI loader on a FAT image) under OVMF
For grub, grub-efi and uefi the command line is baked into the image when it
is built (make CMDLINE=...), so a non-empty --cmdline is refused there.

--arch aarch64 boots the aarch64 port's boot test image (dtboot.img, from
`make ARCH=aarch64`), or with --image Image the kernel (`make ARCH=aarch64
kernel`); --out defaults to build/aarch64) under
qemu-system-aarch64 on a `virt` machine (--machine virt, optionally
,gic-version=2|3, ,virtualization=on and ,acpi=off).  --boot uefi boots
the kernel's esp.img (`make ARCH=aarch64 esp`) under AAVMF from a
virtio disk: with QEMU's ACPI tables, or with ,acpi=off the device tree,
as the firmware's description; --boot grub-efi its tally.iso (GRUB
chainloading the same loader) from a virtio-scsi CD-ROM.  Its status
comes through Arm semihosting instead of isa-debug-exit: the guest passes
(status << 1) | 1 to SYS_EXIT, so the exit codes below read the same;
--no-debug-exit leaves semihosting off (the guest then powers off through
PSCI: QEMU exits 0).

Exit status of this tool:
    0..255  the guest's status: QEMU's code was odd, status = (code - 1) / 2
            (isa-debug-exit at port 0xf4 exits with (value << 1) | 1, so it
            carries 7 bits), or the console's `tally: exit N` when N is
            0..255 and its low 7 bits are that: a program's 128..255
    124     timeout; QEMU (and only QEMU, with its process group) was killed
    125     QEMU exited 0: triple fault, reset or power-off without a status
    126     any other QEMU outcome (even code, killed by a signal, QEMU error)
    2       usage error (bad option, missing image)
The last line on stderr is always `tally-qemu: boot <path> -> status N in X.XXs`.

Exits without a status (power-off and reset tests, power.c's onexit=):
--no-debug-exit leaves the isa-debug-exit device out, so the guest must end
the run some other way; --qmp starts QEMU paused (-S) with a QMP socket,
does the qmp_capabilities handshake, resumes it (cont) and records every
event (BootResult.qmp_events: SHUTDOWN carries the reason, guest-shutdown
for an ACPI power-off, guest-reset for a reset, which -no-reboot turns
into an exit); --cpu-reset-log PATH adds `-d cpu_reset -D PATH`, where
QEMU writes "Triple fault" before the reset a triple fault causes and
nothing of the kind for a reset through a reset register.

Serial handling: the full raw byte stream goes to --log.  What is echoed to
stdout starts at the first line containing `tally: start` (firmware and
bootloader noise before it is dropped) and has ANSI escape sequences and
other control characters removed; --raw echoes everything unchanged.

Invariants: every QEMU this tool starts runs in its own process group under
coreutils `timeout` (behind --prefix's words, which must exec it: nsenter
does) (a second line of defence should this process die) and
is killed by process-group id only; OVMF boots get a fresh copy of the VARS
store in a temporary directory that is removed afterwards, because a reused
VARS store can drop into the UEFI shell and wait forever.

Files: the QEMU argument vector (image, machine, firmware, the options
for exits without a status) and the checks of the options are built in
tools/qemu_command.py, whose names this module re-exports; this file
runs QEMU, reads its console and QMP events, and decodes its exit.

Context: stdlib only; thread-safe enough for testrun.py to run a few boots
in parallel threads (no shared mutable state except the live-process set,
which is guarded by a lock).
"""

import argparse
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from qemu_command import (  # noqa: F401  (re-exported: tally_qemu's API)
	ROOT, QEMU, ARCHES, QEMU_A64, X86_MACHINES, A64_MACHINE, A64_IMAGE, A64_IMAGES,
	SEMIHOSTING, OVMF_CODE, OVMF_VARS, AAVMF_CODE, AAVMF_VARS, BOOTS, IMAGE, QEMU_VARIANTS,
	firmware, out_dir, image_path, qemu_program, check_qemu_program, check_options,
	build_command, power_args,
)

START_MARK = "tally: start"

EXIT_TIMEOUT = 124
EXIT_QEMU_ZERO = 125
EXIT_QEMU_OTHER = 126
EXIT_USAGE = 2

# CSI (ESC [ params intermediates final), OSC (ESC ] ... BEL/ST), two-byte
# escapes (ESC ( B, ESC = ...); then any C0 control except tab.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
                   r"|\x1b[ -/]*[0-~]|\x1b")
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_EXIT_LINE = re.compile(r"^tally: exit (-?\d+)\s*$")

_live_lock = threading.Lock()
_live = set()   # Popen objects of QEMUs started by this module and running


def clean_line(line):
	"""Remove ANSI escapes, carriage returns and control bytes from one line."""
	return _CTRL.sub("", _ANSI.sub("", line))


def guest_lines(raw):
	"""Cleaned lines of a raw serial log (bytes or str) from the first
	`tally: start` on; [] when the guest never printed it."""
	if isinstance(raw, bytes):
		raw = raw.decode("utf-8", "replace")
	out = None
	for line in raw.split("\n"):
		line = clean_line(line)
		if out is None:
			i = line.find(START_MARK)
			if i < 0:
				continue
			out = []
			line = line[i:]
		out.append(line)
	if out and out[-1] == "":
		out.pop()
	return out or []


def decode_exit(code, timed_out=False, qemu_error=None):
	"""Map a QEMU outcome to (tool exit status, message or None).

	code is Popen.returncode (negative: killed by that signal)."""
	if timed_out:
		return EXIT_TIMEOUT, None
	if qemu_error:
		return EXIT_QEMU_OTHER, "QEMU failed (exit %d): %s" % (code, qemu_error)
	if code is None:
		return EXIT_QEMU_OTHER, "QEMU did not report an exit code"
	if code < 0:
		return EXIT_QEMU_OTHER, "QEMU killed by signal %d" % -code
	if code == 0:
		return EXIT_QEMU_ZERO, ("QEMU exited 0 (triple fault, reset or "
		                        "power-off without a status)")
	if code & 1:
		return (code - 1) // 2, None
	return EXIT_QEMU_OTHER, "QEMU exited %d (not a guest status)" % code


def default_options(**kw):
	"""The options of the command line with their defaults, overridden by kw
	(for use as a library)."""
	opts = parser().parse_args([])
	for k, v in kw.items():
		if not hasattr(opts, k):
			raise TypeError("unknown tally-qemu option %r" % k)
		setattr(opts, k, v)
	return complete(opts)


def complete(opts):
	"""Fill the defaults that depend on --arch (out, machine, cpu)."""
	if opts.out is None:
		opts.out = os.path.join(ROOT, "build", opts.arch)
	if opts.machine is None:
		opts.machine = "virt,gic-version=3" if opts.arch == "aarch64" else "q35"
	if opts.cpu is None:
		opts.cpu = "cortex-a72" if opts.arch == "aarch64" else "max"
	return opts


class BootResult:
	"""Outcome of one boot.  exit_code is what the command-line tool exits
	with; status is the guest's status or None when it did not give one."""

	def __init__(self):
		self.boot = None
		self.exit_code = None
		self.status = None
		self.message = None     # why there is no status, or a warning
		self.qemu_code = None
		self.timed_out = False
		self.elapsed = 0.0
		self.raw = b""          # the whole serial stream
		self.stderr = ""        # QEMU's own stderr
		self.command = []
		self.started = False    # a `tally: start` line was seen
		self.noise = []         # last firmware lines when it was not
		self.qmp_events = []    # --qmp: every QMP event, in order
		self.qmp_error = None   # --qmp: why the QMP session failed
		self.cpu_reset_log = None  # --cpu-reset-log: the log's text

	def lines(self):
		return guest_lines(self.raw)


class _Echo:
	"""Line-buffered serial echo with noise stripping (see module doc)."""

	def __init__(self, out, raw):
		self.out, self.raw = out, raw
		self.started = raw
		self.pending = b""
		self.noise = []         # cleaned pre-start lines (last few kept)
		self.broken = out is None

	def _emit(self, text):
		if self.broken:
			return
		try:
			self.out.write(text)
			self.out.flush()
		except (BrokenPipeError, ValueError):
			self.broken = True

	def feed(self, data, final=False):
		if self.raw:
			if not self.broken:
				try:
					self.out.buffer.write(data)
					self.out.flush()
				except (BrokenPipeError, ValueError, AttributeError):
					self.broken = True
			return
		self.pending += data
		parts = self.pending.split(b"\n")
		self.pending = parts.pop()
		if final and self.pending:
			parts.append(self.pending)
			self.pending = b""
		for p in parts:
			line = clean_line(p.decode("utf-8", "replace"))
			if not self.started:
				i = line.find(START_MARK)
				if i < 0:
					if line.strip():
						self.noise = (self.noise + [line])[-20:]
					continue
				self.started = True
				line = line[i:]
			self._emit(line + "\n")


class _Qmp(threading.Thread):
	"""A QMP client for one boot: connect, negotiate, resume the paused
	guest, then record events until QEMU closes the socket."""

	def __init__(self, path, deadline):
		super().__init__(daemon=True)
		self.path, self.deadline = path, deadline
		self.events, self.error = [], None

	def run(self):
		import json
		import socket
		sock = None
		try:
			while True:
				sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
				try:
					sock.connect(self.path)
					break
				except (FileNotFoundError, ConnectionRefusedError):
					sock.close()
					sock = None
					if time.monotonic() > self.deadline:
						raise RuntimeError("QMP socket %s never answered"
						                   % self.path)
					time.sleep(0.02)
			sock.settimeout(max(1.0, self.deadline - time.monotonic()))
			f = sock.makefile("rwb")

			def read():
				line = f.readline()
				if not line:
					raise EOFError
				return json.loads(line)

			if "QMP" not in read():
				raise RuntimeError("no QMP greeting")
			for cmd in ("qmp_capabilities", "cont"):
				f.write(json.dumps({"execute": cmd}).encode() + b"\n")
				f.flush()
				while True:
					m = read()
					if "event" in m:
						self.events.append(m)
					elif "error" in m:
						raise RuntimeError("QMP %s: %s" % (cmd, m["error"]))
					else:
						break
			while True:
				m = read()
				if "event" in m:
					self.events.append(m)
		except EOFError:
			pass   # QEMU exited: the normal end
		except (OSError, ValueError, RuntimeError) as e:
			self.error = "QMP: %s" % e
		finally:
			if sock is not None:
				sock.close()


def _qemu_error(stderr_text):
	"""QEMU's first error line (QEMU names itself by the basename of its
	executable, whichever --qemu-bin ran), or None."""
	for line in stderr_text.splitlines():
		m = re.match(r"^qemu-system-\w+:(.*)$", line)
		if m and "warning:" not in line:
			return m.group(1).strip()
	return None


def kill_all():
	"""Kill every QEMU this module started that is still running."""
	with _live_lock:
		procs = list(_live)
	for p in procs:
		_kill_group(p)


def _kill_group(proc, grace=2.0):
	for sig in (signal.SIGTERM, signal.SIGKILL):
		try:
			os.killpg(proc.pid, sig)
		except (ProcessLookupError, PermissionError):
			return
		try:
			proc.wait(timeout=grace)
			return
		except subprocess.TimeoutExpired:
			pass


def boot(opts, echo_to=None, log_path=None):
	"""Boot once.  echo_to: a text stream for the live console (None: no
	echo); log_path: file for the raw serial log.  Returns a BootResult."""
	res = BootResult()
	res.boot = opts.boot
	tmpdir = tempfile.mkdtemp(prefix="tally-qemu-")
	logf = None
	proc = None
	try:
		vars_path = os.path.join(tmpdir, os.path.basename(firmware(opts)[1]))
		if opts.boot in ("grub-efi", "uefi"):
			shutil.copyfile(firmware(opts)[1], vars_path)
		res.command = build_command(opts, vars_path)
		res.command, qmp_path = power_args(opts, res.command, tmpdir)
		qmp = None
		if log_path:
			logf = open(log_path, "wb")
		echo = _Echo(echo_to, opts.raw)
		# coreutils timeout is a backstop in case this process dies.
		guard = ["timeout", "-k", "5", str(int(opts.timeout) + 30)]
		# --prefix: e.g. nsenter into a tap's namespace (tools/tapnet.py)
		guard = list(opts.prefix) + guard
		t0 = time.monotonic()
		proc = subprocess.Popen(guard + res.command, stdin=subprocess.DEVNULL,
		                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
		                        start_new_session=True)
		with _live_lock:
			_live.add(proc)
		deadline = t0 + opts.timeout
		if qmp_path:
			qmp = _Qmp(qmp_path, deadline + 5)
			qmp.start()
		chunks, errs = [], []
		sel = selectors.DefaultSelector()
		sel.register(proc.stdout, selectors.EVENT_READ, "out")
		sel.register(proc.stderr, selectors.EVENT_READ, "err")
		while sel.get_map():
			left = deadline - time.monotonic()
			if left <= 0:
				res.timed_out = True
				break
			for key, _ in sel.select(timeout=min(left, 0.5)):
				data = os.read(key.fileobj.fileno(), 65536)
				if not data:
					sel.unregister(key.fileobj)
					continue
				if key.data == "out":
					chunks.append(data)
					echo.feed(data)
					if logf:
						logf.write(data)
						logf.flush()
				else:
					errs.append(data)
		sel.close()
		if not res.timed_out:
			try:
				proc.wait(timeout=max(0.1, deadline - time.monotonic()))
			except subprocess.TimeoutExpired:
				res.timed_out = True
		if res.timed_out:
			_kill_group(proc)
		res.elapsed = time.monotonic() - t0
		# Drain whatever is left after the kill.
		for f, acc in ((proc.stdout, chunks), (proc.stderr, errs)):
			try:
				rest = f.read()
			except (OSError, ValueError):
				rest = b""
			if rest:
				acc.append(rest)
				if f is proc.stdout:
					echo.feed(rest)
					if logf:
						logf.write(rest)
		echo.feed(b"", final=True)
		res.raw = b"".join(chunks)
		res.stderr = b"".join(errs).decode("utf-8", "replace")
		if res.timed_out:
			# Our own SIGTERM makes QEMU say so; that is not news.
			res.stderr = "".join(
				l for l in res.stderr.splitlines(True)
				if "terminating on signal" not in l)
		res.qemu_code = proc.returncode
		started = START_MARK in res.raw.decode("utf-8", "replace")
		# Exit code 1 is also guest status 0: an error line of QEMU's
		# own says QEMU stopped itself (before the guest started, or
		# mid-run, e.g. "Bad icount read"), which is no guest status.
		qerr = None
		if not res.timed_out and res.qemu_code == 1:
			qerr = _qemu_error(res.stderr)
		res.exit_code, res.message = decode_exit(res.qemu_code, res.timed_out, qerr)
		if res.timed_out:
			res.message = "timeout after %gs" % opts.timeout
		elif not qerr and res.qemu_code is not None and res.qemu_code > 0 \
				and res.qemu_code & 1:
			res.status = res.exit_code
			said = [m.group(1) for m in map(_EXIT_LINE.match, res.lines()) if m]
			if said and 0 <= int(said[-1]) <= 255 and int(said[-1]) & 0x7f == res.status:
				# the device carries 7 bits; the console's line the rest
				res.status = res.exit_code = int(said[-1])
			elif said and int(said[-1]) != res.status:
				res.message = ("warning: guest printed 'tally: exit %s' but "
				               "QEMU carried status %d" % (said[-1], res.status))
		res.noise = echo.noise
		res.started = started
		if qmp is not None:
			qmp.join(timeout=10)
			res.qmp_events, res.qmp_error = qmp.events, qmp.error
			if qmp.is_alive():
				res.qmp_error = "QMP: the session did not end with QEMU"
		if opts.cpu_reset_log:
			try:
				with open(opts.cpu_reset_log, errors="replace") as f:
					res.cpu_reset_log = f.read()
			except OSError:
				res.cpu_reset_log = None
		return res
	finally:
		if proc is not None:
			if proc.poll() is None:
				_kill_group(proc)
			with _live_lock:
				_live.discard(proc)
			for f in (proc.stdout, proc.stderr):
				if f:
					f.close()
		if logf:
			logf.close()
		shutil.rmtree(tmpdir, ignore_errors=True)


def parser():
	p = argparse.ArgumentParser(
		prog="tally-qemu",
		description="Boot one Tally image under QEMU and exit with the "
		            "guest's status (124 timeout, 125 QEMU exit 0, 126 other).")
	p.add_argument("--boot", default="direct", choices=BOOTS,
	               help="direct: -kernel; grub: ISO under SeaBIOS; grub-efi: "
	                    "ISO under OVMF; uefi: ESP image under OVMF")
	p.add_argument("--arch", default="x86_64", choices=ARCHES,
	               help="x86_64, or aarch64: the aarch64 boot test image "
	                    "(dtboot.img) under qemu-system-aarch64")
	p.add_argument("--out", default=None,
	               help="directory holding kernel.elf, tally.iso, esp.img "
	                    "(aarch64: dtboot.img); default build/<arch>")
	p.add_argument("--image", default=None, choices=A64_IMAGES,
	               help="aarch64: dtboot.img (the boot test image, default) or "
	                    "Image (the kernel, `make ARCH=aarch64 kernel`)")
	p.add_argument("--smp", type=int, default=1)
	p.add_argument("--mem", default="512M")
	p.add_argument("--machine", default=None,
	               help="x86_64: q35 (default), pc, isapc or microvm; "
	                    "aarch64: virt[,gic-version=2|3][,virtualization=on] "
	                    "(default virt,gic-version=3)")
	p.add_argument("--cpu", default=None,
	               help="QEMU -cpu (default: max on x86_64, cortex-a72 on aarch64)")
	p.add_argument("--qemu-bin", default="system", metavar="NAME|PATH",
	               help="QEMU to run: system (%s on PATH, the default), "
	                    "%s, or a path" % (QEMU, ", ".join(QEMU_VARIANTS)))
	p.add_argument("--cmdline", default="",
	               help="kernel command line (direct boot only)")
	p.add_argument("--timeout", type=float, default=60,
	               help="seconds before QEMU is killed (exit 124)")
	p.add_argument("--log", help="write the full raw serial log here")
	p.add_argument("--quiet", action="store_true",
	               help="do not echo the serial console")
	p.add_argument("--raw", action="store_true",
	               help="echo the serial console unfiltered")
	p.add_argument("--icount", action="store_true",
	               help="deterministic instruction counting "
	                    "(-icount shift=0,align=off,sleep=off, fixed RTC)")
	p.add_argument("--extra", action="append", default=[], metavar="ARG",
	               help="one extra raw QEMU argument, repeatable; write "
	                    "--extra=-d --extra=int for arguments with a dash")
	p.add_argument("--prefix", action="append", default=[], metavar="ARG",
	               help="one word of a command QEMU is run under, repeatable "
	                    "(tools/tapnet.py's nsenter into its namespace)")
	p.add_argument("--no-debug-exit", dest="debug_exit", action="store_false",
	               help="leave out the isa-debug-exit device (the guest "
	                    "must power off or reset; QEMU then exits 0)")
	p.add_argument("--qmp", action="store_true",
	               help="start paused, resume over a QMP socket and "
	                    "print the QMP events at the end")
	p.add_argument("--cpu-reset-log", metavar="PATH",
	               help="-d cpu_reset -D PATH: QEMU's log of CPU resets "
	                    "(\"Triple fault\" marks one)")
	p.add_argument("--dry-run", action="store_true",
	               help="print the QEMU command and exit")
	return p


def json_dumps(v):
	import json
	return json.dumps(v, sort_keys=True)


def _shell_quote(args):
	import shlex
	return " ".join(shlex.quote(a) for a in args)


def interrupt_on(*sigs):
	"""Treat these signals like ^C, so the QEMUs started here are killed."""
	def handler(signum, frame):
		raise KeyboardInterrupt
	for sig in sigs:
		signal.signal(sig, handler)


def main(argv=None):
	opts = complete(parser().parse_args(argv))
	interrupt_on(signal.SIGTERM, signal.SIGHUP)
	if opts.dry_run:
		if opts.boot != "direct" and opts.cmdline:
			print("tally-qemu: " + check_options(opts), file=sys.stderr)
			return EXIT_USAGE
		cmd, _ = power_args(opts, build_command(
			opts, "<fresh copy of %s>" % firmware(opts)[1]), "<tmpdir>")
		print(_shell_quote(cmd))
		return 0
	err = check_options(opts)
	if err:
		print("tally-qemu: " + err, file=sys.stderr)
		return EXIT_USAGE
	try:
		res = boot(opts, None if opts.quiet else sys.stdout, opts.log)
	except KeyboardInterrupt:
		kill_all()
		print("tally-qemu: interrupted", file=sys.stderr)
		return 130
	err = sys.stderr
	for line in res.stderr.splitlines():
		print(line, file=err)
	if not res.started and not opts.raw:
		print("tally-qemu: no '%s' line on the serial console" % START_MARK,
		      file=err)
		if res.noise:
			print("tally-qemu: last lines before it:", file=err)
			for line in res.noise:
				print("  | " + line, file=err)
	for ev in res.qmp_events:
		print("tally-qemu: qmp: %s %s" % (ev.get("event"),
		                                  json_dumps(ev.get("data", {}))), file=err)
	if res.qmp_error:
		print("tally-qemu: " + res.qmp_error, file=err)
	if res.message:
		print("tally-qemu: " + res.message, file=err)
	print("tally-qemu: boot %s -> status %d in %.2fs"
	      % (opts.boot, res.exit_code, res.elapsed), file=err)
	return res.exit_code


if __name__ == "__main__":
	sys.exit(main())

#!/usr/bin/env python3
"""testrun.py - the `make test` driver: host unit tests, harness self-tests
and system tests that boot images and read the serial console.

Purpose: one command that runs every test layer and ends with exactly one
line `N passed, M failed` (exit status 0 only when M == 0 and something ran).

Layers, in the order they run:
  1. host    cmocka binaries given with --host BIN...; each test is one
             result (`[  PASSED  ] N test(s).` / `[  FAILED  ] N test(s)`
             are the authority; a binary that crashes or exits non-zero
             without a parsable count is one failure).
  2. fuzz    libFuzzer harnesses given with --fuzz BIN... (tests/fuzz/,
             built by tests/fuzz/fuzz.mk): each runs --fuzz-time seconds
             (default 3) over its committed corpus tests/fuzz/corpus/<h>/,
             new inputs going to a scratch build/fuzz/test-work/<h>/
             emptied first; one result per
             harness, fuzz/<h>: it passes when the run ends without a
             finding (exit 0); a crash, broken promise, leak or hang fails
             it, with the sanitizer's summary and the saved input
             (build/fuzz/artifacts/<h>-crash-...) in the reason.
  3. contract with --contract: kernel/ and rt/ compiled for aarch64
             against the contract headers alone (tools/contract_check.py);
             one result per file, contract/aarch64/<file>.
  4. py      the harness's own unit tests, tools/test_tally_qemu.py,
             tools/test_testrun.py, tools/test_tapnet.py,
             tools/test_gcmeasure.py and tools/test_check_tour.py, run in
             this process; each test method is one result.
  5. system  cases from tests/system.cases (format: docs/testing.md and the
             head of that file); a case with `tap = N` boots with QEMU
             and its client inside a network namespace of its own
             holding a tap (tools/tapnet.py), closed after the boot.  Each (case, boot path) is one result; a
             case whose command line has `test=` (other than test=none) also
             yields one result per `ktest: PASS|FAIL` line (for a test
             the case names in `xfail`, a FAIL line is the passing result).
  6. bench   with --bench-smoke: `tools/bench.py --smoke` (its unit tests,
             the Go and pthreads peers booted in a Linux guest, the Go
             peer of gc_live, the comparison table); each of its `PASS x` / `FAIL x: why` lines
             is one result, prefixed bench/.

Files: this one runs the layers and owns the system layer (builds, boots,
checks); tools/testcases.py parses the case files into Case objects;
tools/testlayers.py holds Report and the layers that do not boot.

Data structures: struct-like classes Case (one block of the case file) and
Build (one `make` invocation: an application, an output directory, the
baked command line and the union of targets its cases need).  Cases that
share an application and a baked command line share a Build; direct-only
cases of an application share the build of that application.

Invariants: every image is built (sequentially, in file order) before the
first boot; at most -j boots run at once (default 2, the machine has two
cores); every result line starts with PASS or FAIL; a failure carries a
reason and the tail of that boot's serial log; raw serial logs are kept in
build/x86_64/testlogs/<case>.<boot>.log.

Context: stdlib only; boots run in worker threads through tally-qemu's
boot(), which owns the QEMU processes (killed on interrupt via kill_all()).
"""

import argparse
import concurrent.futures
import os
import re
import signal
import socket
import subprocess
import sys
import time

# the case file and the layers that do not boot (re-exported: tools/stress.py
# uses testrun.parse_cases, Report and run_host)
from testcases import DEFAULT_APP, TARGET, CaseError, parse_cases
from testlayers import (ROOT, TAIL, TOOLS, Report, fuzz_name, host_name, run_bench_smoke,
                        run_contract, run_fuzz, run_host, run_py)

DEFAULT_CASES = os.path.join(ROOT, "tests", "system.cases")
BUILD_BASE = os.path.join("build", "x86_64")
APPS_OUT = os.path.join(BUILD_BASE, "apps")
LOG_DIR = os.path.join(BUILD_BASE, "testlogs")

def load_tally_qemu():
	"""tools/tally_qemu.py (tools/ is on sys.path: this script's folder)."""
	import tally_qemu
	return tally_qemu


# ---------------------------------------------------------------- builds

class Build:
	def __init__(self, app, cmdline, out, arch="x86_64"):
		self.arch = arch            # aarch64: the boot test image, or the
		                            # kernel when app is not "default"
		self.app = app              # "default" or a source path
		self.cmdline = cmdline      # None: no image target (direct only)
		self.out = out              # relative to ROOT
		self.targets = []
		self.error = None           # make's complaint when the build failed

	def command(self):
		if self.arch == "aarch64":
			if self.app == "default":
				return ["make", "-s", "ARCH=aarch64", "dtboot"]
			cmd = ["make", "-s", "ARCH=aarch64", "APP=" + self.app, "OUT=" + self.out]
			if self.cmdline is not None:
				cmd.append("CMDLINE=" + self.cmdline)
			return cmd + (self.targets or ["kernel"])
		cmd = ["make", "-s"]
		cmd.append("APP=" + (DEFAULT_APP if self.app == "default" else self.app))
		cmd.append("OUT=" + self.out)
		if self.cmdline is not None:
			cmd.append("CMDLINE=" + self.cmdline)
		return cmd + self.targets


def plan_builds(cases):
	"""Attach a Build to every case; return the builds in file order."""
	def stem(app):
		return "default" if app == "default" else \
			os.path.splitext(os.path.basename(app))[0]

	keys = {}
	a64 = None
	for c in cases:
		if c.arch == "aarch64":
			continue
		images = any(b != "direct" for b in c.boots)
		keys[id(c)] = (c.app, c.cmdline if images else None)
	# A direct-only case of an application reuses its empty-command-line
	# image build when there is one (the kernel ignores the baked line
	# when booted directly).
	with_images = {k for k in keys.values() if k[1] == ""}
	builds, order = {}, []
	used = set()
	for c in cases:
		if c.arch == "aarch64" and c.app != "default":
			# an ESP bakes the command line in: one build per line
			images = any(b != "direct" for b in c.boots)
			k = ("aarch64", c.app, c.cmdline if images else None)
			if k not in builds:
				name = "a64_" + stem(c.app) + ("." + c.name if images else "")
				while name in used:
					name += "_"
				used.add(name)
				builds[k] = Build(c.app, k[2], os.path.join(APPS_OUT, name), "aarch64")
				order.append(builds[k])
			b = builds[k]
			for boot in c.boots:
				if TARGET[boot] not in b.targets:
					b.targets.append(TARGET[boot])
			c.build = b
			continue
		if c.arch == "aarch64":
			if a64 is None:
				a64 = Build("default", None, os.path.join("build", "aarch64"), "aarch64")
				order.append(a64)
			c.build = a64
			continue
		k = keys[id(c)]
		if k[1] is None and (k[0], "") in with_images:
			k = (k[0], "")
		if k not in builds:
			name = stem(k[0]) if not k[1] else "%s.%s" % (stem(k[0]), c.name)
			while name in used:
				name += "_"
			used.add(name)
			builds[k] = Build(k[0], k[1], os.path.join(APPS_OUT, name))
			order.append(builds[k])
		b = builds[k]
		for boot in c.boots:
			if TARGET[boot] not in b.targets:
				b.targets.append(TARGET[boot])
		c.build = b
	for b in order:
		b.targets.sort(key=["kernel", "iso", "esp"].index)
	return order


def _jobserver_fds():
	"""File descriptors of an enclosing make's jobserver, to pass on."""
	m = re.search(r"--jobserver-(?:auth|fds)=(\d+),(\d+)",
	              os.environ.get("MAKEFLAGS", ""))
	fds = []
	if m:
		for fd in map(int, m.groups()):
			try:
				os.fstat(fd)
				fds.append(fd)
			except OSError:
				pass
	return tuple(fds)


def run_build(b, verbose):
	if verbose:
		print("testrun: " + " ".join(b.command()), flush=True)
	try:
		p = subprocess.run(b.command(), cwd=ROOT, stdin=subprocess.DEVNULL,
		                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
		                   pass_fds=_jobserver_fds())
	except OSError as e:
		b.error = "cannot run make: %s" % e
		return
	out = p.stdout.decode("utf-8", "replace")
	if verbose and out:
		sys.stdout.write(out)
	if p.returncode != 0:
		tail = out.rstrip("\n").splitlines()[-TAIL:]
		b.error = "\n".join(["$ " + " ".join(b.command()),
		                     "make exited %d:" % p.returncode] + tail)


# ---------------------------------------------------------------- system

def check_boot(case, res):
	"""Check one boot against its case.  Returns (failure reason or None,
	[(ktest name, None or reason)], lines)."""
	lines = res.lines()
	kt = []
	problems = []
	if case.shutdown:
		# no status leaves the machine: the exit line is the guest's word
		why = check_shutdown(case, res)
		if why:
			return why, kt, lines
		status = case.status
	elif res.status is None:
		return res.message or "no status", kt, lines
	else:
		status = res.status
	if status != case.status:
		problems.append("status %d, expected %d" % (status, case.status))
	if not lines:
		problems.append("no 'tally: start' line")
	if case.exitline:
		said = [l for l in lines if re.match(r"^tally: exit -?\d+\s*$", l)]
		if not said:
			problems.append("no 'tally: exit %d' line" % case.status)
		elif said[-1].split()[2] != str(status):
			problems.append("'%s' disagrees with status %d"
			                % (said[-1].strip(), status))
	def mine(pairs):
		return [rx for only, rx in pairs if only in (None, res.boot)]

	pos = 0
	for rx in mine(case.expect):
		for i in range(pos, len(lines)):
			if rx.search(lines[i]):
				pos = i + 1
				break
		else:
			problems.append("expected /%s/ (in order) not found" % rx.pattern)
			break
	for rx in mine(case.contains):
		if not any(rx.search(l) for l in lines):
			problems.append("expected /%s/ not found" % rx.pattern)
	for rx in mine(case.once):
		n = sum(1 for l in lines if rx.search(l))
		if n != 1:
			problems.append("/%s/ matched %d lines, expected exactly one" % (rx.pattern, n))
	for rx in mine(case.reject):
		hit = next((l for l in lines if rx.search(l)), None)
		if hit is not None:
			problems.append("unwanted /%s/ matched %r" % (rx.pattern, hit.strip()))
	if case.ktest():
		kt, err = parse_ktest(lines)
		if err:
			problems.append(err)
		kt = [(n, ("passed, but the case expects it to fail" if why is None else None)
		       if n in case.xfail else why) for n, why in kt]
		ran = {n for n, _ in kt}
		for n in case.xfail:
			if n not in ran:
				problems.append("ktest %s (expected to fail) did not run" % n)
	return ("; ".join(problems) or None), kt, lines


def check_shutdown(case, res):
	"""The QEMU-side proof of a `shutdown =` case (see SHUTDOWNS): None,
	or why it does not hold.  Never a skip: missing evidence fails."""
	if res.qmp_error:
		return res.qmp_error
	# the guest's own shutdowns: the harness's kill at a timeout is one
	# too (guest false, reason host-signal)
	downs = [e.get("data", {}) for e in res.qmp_events
	         if e.get("event") == "SHUTDOWN" and e.get("data", {}).get("guest")]
	if case.shutdown == "running":
		if downs:
			return "QEMU reported SHUTDOWN %s; expected the machine to " \
			       "stay halted" % downs[0]
		if not res.timed_out:
			return "QEMU exited (code %s) before the timeout; expected " \
			       "it still running" % res.qemu_code
		return None
	if res.timed_out:
		return "timeout after %.0fs without a shutdown" % res.elapsed
	if res.qemu_code != 0:
		return "QEMU exited %s, expected 0 (a shutdown carries no " \
		       "status)" % res.qemu_code
	want = "guest-shutdown" if case.shutdown == "guest-shutdown" \
		else "guest-reset"
	reasons = [d.get("reason") for d in downs]
	if reasons != [want]:
		return "QMP SHUTDOWN reasons %s, expected [%s]" % (reasons, want)
	if case.shutdown == "guest-shutdown":
		return None
	if res.cpu_reset_log is None:
		return "no -d cpu_reset log from QEMU"
	triple = "Triple fault" in res.cpu_reset_log
	if case.shutdown == "guest-reset" and triple:
		return "QEMU's cpu_reset log shows a triple fault, not a reset"
	if case.shutdown == "triple-fault" and not triple:
		return "QEMU's cpu_reset log shows no triple fault"
	return None


_KT_PASS = re.compile(r"^ktest: PASS (\S+)")
_KT_FAIL = re.compile(r"^ktest: FAIL (\S+?):?(?: (.*))?$")
_KT_DONE = re.compile(r"^ktest: done: (\d+) passed, (\d+) failed")


def parse_ktest(lines):
	"""Return ([(name, None | reason)], error or None)."""
	res, done = [], None
	for l in lines:
		m = _KT_PASS.match(l)
		if m:
			res.append((m.group(1), None))
			continue
		m = _KT_FAIL.match(l)
		if m:
			res.append((m.group(1), (m.group(2) or "failed").strip()))
			continue
		m = _KT_DONE.match(l)
		if m:
			done = (int(m.group(1)), int(m.group(2)))
	npass = sum(1 for _, r in res if r is None)
	nfail = len(res) - npass
	if done is None:
		return res, "no 'ktest: done:' summary"
	if done != (npass, nfail):
		return res, ("summary says %d passed, %d failed but %d PASS and %d "
		             "FAIL lines were printed" % (done + (npass, nfail)))
	if not res:
		return res, "no ktest ran"
	return res, None


class _Prefixed:
	def __init__(self, prefix):
		self.prefix = prefix

	def write(self, text):
		for line in text.splitlines():
			sys.stdout.write(self.prefix + line + "\n")

	def flush(self):
		sys.stdout.flush()


def free_port():
	"""A port free for both UDP and TCP on 127.0.0.1 right now."""
	for _ in range(50):
		u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		u.bind(("127.0.0.1", 0))
		port = u.getsockname()[1]
		t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		try:
			t.bind(("127.0.0.1", port))
			return port
		except OSError:
			continue
		finally:
			t.close()
			u.close()
	raise OSError("no free port on 127.0.0.1")


def run_boot(tq, case, boot, verbose):
	name = "%s/%s" % (case.name, boot)
	if case.build.error:
		return name, None, "build failed", case.build.error.splitlines()
	# {root}: a file of the tree (a -dtb fixture), whatever the cwd
	extra = [e.replace("{root}", ROOT) for e in case.qemu]
	port = None
	if case.client or any("{port}" in e for e in extra + [case.cmdline]):
		port = free_port()
		extra = [e.replace("{port}", str(port)) for e in extra]
	opts = tq.default_options(
		boot=boot, out=os.path.join(ROOT, case.build.out), smp=case.smp,
		mem=case.mem,
		cmdline=(case.cmdline.replace("{port}", str(port)) if port else case.cmdline)
		if boot == "direct" else "",
		cpu=case.cpu, machine=case.machine, qemu_bin=case.emulator, arch=case.arch,
		image="Image" if case.arch == "aarch64" and case.app != "default" else None,
		timeout=case.timeout_for(boot), extra=extra)
	err = tq.check_options(opts)
	if err:
		return name, None, err, None
	os.makedirs(os.path.join(ROOT, LOG_DIR), exist_ok=True)
	log = os.path.join(ROOT, LOG_DIR, "%s.%s.log" % (case.name, boot))
	opts.debug_exit = case.debugexit
	if case.shutdown:
		opts.qmp = True
	if case.shutdown in ("guest-reset", "triple-fault"):
		opts.cpu_reset_log = os.path.join(
			ROOT, LOG_DIR, "%s.%s.cpu_reset.log" % (case.name, boot))
		if os.path.exists(opts.cpu_reset_log):
			os.unlink(opts.cpu_reset_log)
	tap = None
	if case.tap:
		import tapnet
		try:
			tap = tapnet.TapNet(case.tap, limit=opts.timeout + 120).start()
		except tapnet.TapError as e:
			return name, None, str(e), None
		opts.prefix = tap.prefix()
	try:
		client = None
		if case.client:
			client = subprocess.Popen(
				(tap.prefix() if tap else []) +
				[sys.executable, os.path.join(ROOT, case.client)] + case.client_args +
				[str(port)], cwd=ROOT, env=tap.env() if tap else None,
				stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
				text=True, errors="replace")
			if case.client_listens and not wait_listening(client, port, tap):
				client.kill()
				out, _ = client.communicate()
				last = "; ".join(out.strip().splitlines()[-3:]) or "no output"
				return (name, None, "%s: not listening on port %d 20 s after it started (%s)" %
				        (case.client, port, last), None)
		if case.launcher:
			res = launch(tq, opts, log)
		else:
			res = tq.boot(opts, _Prefixed("[%s] " % name) if verbose else None, log)
		reason, kt, lines = check_boot(case, res)
		if client:
			reason = finish_client(case, client, verbose, name) or reason
	finally:
		if tap:
			tap.close()
	if not reason and case.check:
		reason = run_check(case.check, lines)
	return name, kt, reason, _failure_tail(tq, res, lines, log) if reason else None


def wait_listening(client, port, tap, limit=20.0):
	"""True once 127.0.0.1:port accepts a TCP connection (closed at once);
	False if the client exits first or limit seconds pass.  Inside a tap's
	namespace the probe runs there too."""
	probe = ("import socket,sys\n"
	         "s=socket.socket(); s.settimeout(1)\n"
	         "sys.exit(s.connect_ex(('127.0.0.1', %d)) != 0)\n" % port)
	end = time.monotonic() + limit
	while time.monotonic() < end and client.poll() is None:
		if tap:
			ok = subprocess.run(tap.prefix() + [sys.executable, "-c", probe],
			                    env=tap.env(), stdin=subprocess.DEVNULL,
			                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
		else:
			with socket.socket() as s:
				s.settimeout(1)
				ok = s.connect_ex(("127.0.0.1", port)) == 0
		if ok:
			return True
		time.sleep(0.05)
	return False


def launch(tq, opts, log):
	"""Boot through the launcher's command line, as `make run` does: the
	status is the exit code of that process (so a case proves the code a
	user's shell sees), the console comes from its --log."""
	cmd = [sys.executable, os.path.join(TOOLS, "tally_qemu.py"),
	       "--boot", opts.boot, "--out", opts.out, "--smp", str(opts.smp),
	       "--mem", opts.mem, "--cpu", opts.cpu, "--machine", opts.machine,
	       "--qemu-bin", opts.qemu_bin, "--timeout", str(opts.timeout),
	       "--quiet", "--log", log]
	if opts.cmdline:
		cmd += ["--cmdline", opts.cmdline]
	if not opts.debug_exit:
		cmd.append("--no-debug-exit")
	cmd += ["--extra=" + e for e in opts.extra]
	res = tq.BootResult()
	res.boot = opts.boot
	res.command = cmd
	t0 = time.monotonic()
	try:
		p = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL,
		                   capture_output=True, text=True, errors="replace",
		                   timeout=opts.timeout + 60)
	except subprocess.TimeoutExpired:
		res.message = "the launcher did not end %.0f s after its timeout" % 60
		return res
	res.elapsed = time.monotonic() - t0
	res.exit_code = p.returncode
	res.stderr = p.stderr
	try:
		with open(log, "rb") as f:
			res.raw = f.read()
	except OSError:
		pass
	res.started = any(l for l in res.lines())
	last = p.stderr.strip().splitlines()[-1:] or ["(nothing on stderr)"]
	if 0 <= p.returncode < tq.EXIT_TIMEOUT or tq.EXIT_QEMU_OTHER < p.returncode <= 255:
		res.status = p.returncode  # (124..126 are the launcher's own)
	else:
		res.message = "launcher exited %d: %s" % (p.returncode, last[0])
	return res


def finish_client(case, p, verbose, name):
	"""The client's verdict: None when it exited 0, else its last lines.
	It gets 30 s after the guest ended, then is killed."""
	try:
		out, _ = p.communicate(timeout=30)
	except subprocess.TimeoutExpired:
		p.kill()
		out, _ = p.communicate()
		return "%s: no end 30 s after the guest's" % case.client
	if verbose:
		for l in out.splitlines():
			sys.stdout.write("[%s] (client) %s\n" % (name, l))
	if p.returncode == 0:
		return None
	lines = out.strip().splitlines()
	return "%s: %s" % (case.client, "; ".join(lines[-5:]) or "exit %d" % p.returncode)


def run_check(script, lines):
	"""A case's `check` script judges the console lines (on its stdin):
	None when it exits 0, else its first output lines as the reason."""
	try:
		p = subprocess.run([sys.executable, os.path.join(ROOT, script)],
		                   input="\n".join(lines) + "\n", cwd=ROOT, text=True,
		                   capture_output=True, timeout=60)
	except subprocess.TimeoutExpired:
		return "%s: no end after 60 s" % script
	if p.returncode == 0:
		return None
	out = (p.stdout + p.stderr).strip().splitlines()
	return "%s: %s" % (script, "; ".join(out[:5]) or "exit %d" % p.returncode)


def _failure_tail(tq, res, lines, log):
	"""The last lines of the guest's console, or of the firmware noise
	when the guest never started, plus QEMU's complaints and the log."""
	if not lines:
		lines = [tq.clean_line(l) for l in
		         res.raw.decode("utf-8", "replace").splitlines()]
	tail = lines[-TAIL:]
	if res.stderr.strip():
		tail += ["(qemu) " + l for l in res.stderr.splitlines()[-5:]]
	tail.append("(serial log: %s; %.2fs)" % (os.path.relpath(log, ROOT),
	                                         res.elapsed))
	return tail


def run_system(cases, rep, jobs, verbose, build, repeat=1):
	tq = load_tally_qemu()
	builds = plan_builds(cases)
	if build:
		for b in builds:
			run_build(b, verbose)
	work = [(c, b, k) for c in cases for b in c.boots for k in range(repeat * c.repeat)]
	ex = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs))
	try:
		futs = [(c, k, ex.submit(run_boot, tq, c, b, verbose)) for c, b, k in work]
		for c, k, f in futs:
			name, kt, reason, tail = f.result()
			if repeat * c.repeat > 1:
				name = "%s#%d" % (name, k + 1)
			for kname, kwhy in kt or []:
				if kwhy is None:
					rep.ok("%s/%s" % (name, kname))
				else:
					rep.fail("%s/%s" % (name, kname), kwhy)
			if reason:
				rep.fail(name, reason, tail)
			else:
				rep.ok(name)
	except KeyboardInterrupt:
		tq.kill_all()
		ex.shutdown(wait=False, cancel_futures=True)
		tq.kill_all()
		raise
	ex.shutdown()


# ---------------------------------------------------------------- main

def main(argv=None):
	ap = argparse.ArgumentParser(
		prog="testrun.py",
		description="Run host unit tests, harness tests and system tests; "
		            "end with `N passed, M failed`.")
	ap.add_argument("--host", nargs="*", action="extend", default=[],
	                metavar="BIN", help="cmocka test binaries to run")
	ap.add_argument("--fuzz", nargs="*", action="extend", default=[],
	                metavar="BIN", help="libFuzzer harnesses to run briefly")
	ap.add_argument("--fuzz-time", type=int, default=3, metavar="S",
	                help="seconds per fuzz harness (default 3)")
	ap.add_argument("--cases", default=DEFAULT_CASES,
	                help="system test case file (default tests/system.cases)")
	ap.add_argument("--no-system", action="store_true",
	                help="skip the system tests")
	ap.add_argument("--contract", action="store_true",
	                help="compile kernel/ and rt/ for aarch64 against the contract headers")
	ap.add_argument("--no-py", action="store_true",
	                help="skip the py layer (tools/test_tally_qemu.py, "
	                     "test_testrun.py, test_tapnet.py, test_gcmeasure.py, "
	                     "test_check_tour.py)")
	ap.add_argument("--bench-smoke", action="store_true",
	                help="also run tools/bench.py --smoke (Linux-guest peers)")
	ap.add_argument("--no-build", action="store_true",
	                help="boot the images already in build/x86_64/apps")
	ap.add_argument("--filter", metavar="REGEX",
	                help="run only units whose name matches (host/BIN, "
	                     "fuzz/NAME, py/Class.test, case/boot)")
	ap.add_argument("--arch", choices=("x86_64", "aarch64"),
	                help="run only the system cases of this ISA (the case's arch =)")
	ap.add_argument("--list", action="store_true",
	                help="list what would run, run nothing")
	ap.add_argument("-j", "--jobs", type=int, default=2,
	                help="boots run in parallel (default 2)")
	ap.add_argument("-v", "--verbose", action="store_true",
	                help="show make output and every boot's console")
	ap.add_argument("--repeat", type=int, default=1, metavar="N",
	                help="boot every selected system case N times (units CASE/BOOT#k): "
	                     "a flaky case's failure rate")
	args = ap.parse_args(argv)
	if args.repeat < 1:
		ap.error("--repeat: at least 1")
	load_tally_qemu().interrupt_on(signal.SIGTERM, signal.SIGHUP)
	flt = re.compile(args.filter) if args.filter else None

	cases = []
	if not args.no_system:
		try:
			with open(args.cases) as f:
				cases = parse_cases(f.read(), os.path.relpath(args.cases, ROOT))
		except (OSError, CaseError) as e:
			print("testrun: %s" % e, file=sys.stderr)
			return 2
		for c in cases:
			if not os.path.isfile(os.path.join(ROOT, DEFAULT_APP if c.app == "default" else c.app)):
				print("testrun: %s: app %s does not exist" % (c.where, c.app),
				      file=sys.stderr)
				return 2
			if flt:
				c.boots = [b for b in c.boots if flt.search("%s/%s" % (c.name, b))]
		cases = [c for c in cases if c.boots and (not args.arch or c.arch == args.arch)]

	if args.list:
		for b in args.host:
			if not flt or flt.search(host_name(b)):
				print(host_name(b))
		for b in args.fuzz:
			if not flt or flt.search(fuzz_name(b)):
				print(fuzz_name(b))
		if not args.no_py:
			run_py(Report(), flt, listing=True)
		for c in cases:
			for n in c.names():
				print(n)
		return 0

	rep = Report()
	times = []

	def layer(name, fn, *a):
		"""Run one layer; note its wall time and its results."""
		t0, p0, f0 = time.time(), rep.passed, rep.failed
		fn(*a)
		times.append((name, time.time() - t0, rep.passed - p0, rep.failed - f0))
		print("testrun: layer %s: %d passed, %d failed in %.0f s"
		      % (name, times[-1][2], times[-1][3], times[-1][1]), flush=True)

	try:
		layer("host", run_host, args.host, rep, flt)
		if args.fuzz:
			layer("fuzz", run_fuzz, args.fuzz, rep, flt, args.fuzz_time)
		if args.contract:
			layer("contract", run_contract, rep, flt)
		if not args.no_py:
			layer("py", run_py, rep, flt)
		if cases:
			layer("system", run_system, cases, rep, args.jobs, args.verbose, not args.no_build,
			      args.repeat)
		if args.bench_smoke:
			layer("bench", run_bench_smoke, rep, flt, args.verbose)
	except KeyboardInterrupt:
		print("testrun: interrupted", file=sys.stderr)
		print("%d passed, %d failed" % (rep.passed, rep.failed + 1))
		return 130
	if rep.passed + rep.failed == 0:
		print("testrun: nothing ran (check --filter and --host)", file=sys.stderr)
		print("0 passed, 0 failed")
		return 1
	for name, secs, p, f in times:
		print("testrun: %-7s %4.0f s  %d passed, %d failed" % (name, secs, p, f))
	print("%d passed, %d failed" % (rep.passed, rep.failed))
	return 1 if rep.failed else 0


if __name__ == "__main__":
	sys.exit(main())

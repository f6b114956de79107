#!/usr/bin/env python3
"""testlayers.py - the result report and the layers of `make test` that do
not boot: host (cmocka binaries), fuzz (libFuzzer harnesses over their
corpora), contract (kernel/ and rt/ against the contract headers), py (the
harness's own unit tests) and the bench smoke check.

Purpose: tools/testrun.py's layers 1-4 and 6 (its docstring describes what
each counts as a result); kept apart from the system layer, which boots
images.  Report is the one result sink every layer writes to.

Context: stdlib only; imported by tools/testrun.py and tools/stress.py
(tools/ is on sys.path: the scripts' folder).
"""

import importlib.machinery
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
import threading
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "tools")
PYUNIT = os.path.join(TOOLS, "test_tally_qemu.py")
# the harness's unit tests: PYUNIT and its siblings, run in this order
PYUNITS = [PYUNIT, os.path.join(TOOLS, "test_testrun.py"),
           os.path.join(TOOLS, "test_tapnet.py"), os.path.join(TOOLS, "test_gcmeasure.py"),
           os.path.join(TOOLS, "test_check_tour.py")]
TAIL = 30


# ---------------------------------------------------------------- results

class Report:
	"""Collects results and prints them one line each (thread-safe)."""

	def __init__(self):
		self.passed = self.failed = 0
		self.lock = threading.Lock()

	def ok(self, name):
		with self.lock:
			self.passed += 1
			print("PASS " + name, flush=True)

	def fail(self, name, reason, detail=None):
		with self.lock:
			self.failed += 1
			print("FAIL %s: %s" % (name, reason), flush=True)
			if detail:
				for line in detail:
					print("    | " + line)
				sys.stdout.flush()


# ---------------------------------------------------------------- host layer

_CM_OK = re.compile(r"^\[       OK \] (.+?)\s*$")
_CM_FAILED_ONE = re.compile(r"^\[  FAILED  \] (?!\d+ test\(s\))(.+?)\s*$")
_CM_PASSED_N = re.compile(r"^\[  PASSED  \] (\d+) test\(s\)\.")
_CM_FAILED_N = re.compile(r"^\[  FAILED  \] (\d+) test\(s\)")
_CM_MSG = re.compile(r"^\[\s*(ERROR|LINE)\s*\] --- (.*)$")
_CM_FAIL_MSG = re.compile(r"^ERROR: (.*)$")


def parse_cmocka(out, err, code):
	"""Parse one cmocka binary's stdout and stderr (cmocka 1.1 prints test
	names on stdout, counts and assertion messages on stderr, so the two
	are read apart rather than interleaved).  Returns (passed names,
	failed [(name, reason)], error or None); error is set when there is
	no parsable count (a crash) or the exit code contradicts the counts,
	and the caller counts that as one failure."""
	npass = nfail = None
	for line in (out + "\n" + err).splitlines():
		m = _CM_PASSED_N.match(line)
		if m:
			npass = (npass or 0) + int(m.group(1))
			continue
		m = _CM_FAILED_N.match(line)
		if m:
			nfail = (nfail or 0) + int(m.group(1))
	passed, failed = [], []
	for line in out.splitlines():
		m = _CM_OK.match(line)
		if m:
			passed.append(m.group(1))
			continue
		m = _CM_FAILED_ONE.match(line)
		if m and m.group(1) not in failed:
			failed.append(m.group(1))
	# Messages come in groups, one per failed test, each ending with the
	# LINE message that names file and line.
	# fail_msg's own line ("ERROR: why") comes first, and cmocka 1.1
	# prints the LINE message inside an ERROR one ("[  ERROR   ] ---
	# [   LINE   ] --- file:line: ...").
	groups, cur = [], []
	for line in err.splitlines():
		m = _CM_FAIL_MSG.match(line)
		if m:
			cur.append(m.group(1).strip())
			continue
		m = _CM_MSG.match(line)
		if m:
			kind, text = m.group(1), m.group(2).strip()
			inner = _CM_MSG.match(text)
			if inner:
				kind, text = inner.group(1), inner.group(2).strip()
			cur.append(text)
			if kind == "LINE":
				groups.append(" ".join(cur))
				cur = []
	if cur:
		groups.append(" ".join(cur))
	if npass is None and nfail is None:
		return passed, [(f, "failed") for f in failed], \
			"no cmocka summary (exit %s)" % _code_str(code)
	npass, nfail = npass or 0, nfail or 0
	if nfail == 0 and code != 0:
		return passed, [], "exit %s with no failed test" % _code_str(code)
	if len(passed) != npass or len(failed) != nfail:
		# Names did not parse cleanly: fall back to the counts.
		passed = ["test%d" % i for i in range(npass)]
		failed = ["test%d" % i for i in range(nfail)]
	if len(groups) != len(failed):
		groups = ["failed"] * len(failed)
	return passed, list(zip(failed, groups)), None


def _code_str(code):
	return "signal %d" % -code if code is not None and code < 0 else str(code)


def host_name(path):
	"""host/BIN, or host/VARIANT/BIN for a build variant's binary (the
	runtime's tests are built plain, asan and tsan: say which failed)."""
	variant = os.path.basename(os.path.dirname(os.path.abspath(path)))
	if variant in ("plain", "asan", "tsan"):
		return "host/%s/%s" % (variant, os.path.basename(path))
	return "host/" + os.path.basename(path)


def run_host(binaries, rep, flt):
	for path in binaries:
		unit = host_name(path)
		if flt and not flt.search(unit):
			continue
		try:
			p = subprocess.run([os.path.abspath(path)], stdin=subprocess.DEVNULL,
			                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
			                   timeout=120, cwd=ROOT)
			out = p.stdout.decode("utf-8", "replace")
			err = p.stderr.decode("utf-8", "replace")
			code = p.returncode
		except subprocess.TimeoutExpired as e:
			out = (e.stdout or b"").decode("utf-8", "replace")
			rep.fail(unit, "timeout after 120s", out.splitlines()[-TAIL:])
			continue
		except OSError as e:
			rep.fail(unit, "cannot run: %s" % e)
			continue
		passed, failed, why = parse_cmocka(out, err, code)
		detail = (out.splitlines() + err.splitlines())[-TAIL:]
		if why:
			rep.fail(unit, why, detail)
			continue
		for name in passed:
			rep.ok("%s/%s" % (unit, name))
		for k, (name, reason) in enumerate(failed):
			# the output (the runtime child's, for the rt tests) once
			rep.fail("%s/%s" % (unit, name), reason, detail if k == 0 else None)


# ---------------------------------------------------------------- fuzz layer

FUZZ_CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
FUZZ_OUT = os.path.join(ROOT, "build", "fuzz")


def fuzz_name(path):
	"""fuzz/<h> for build/fuzz/fuzz_<h>."""
	base = os.path.basename(path)
	return "fuzz/" + (base[5:] if base.startswith("fuzz_") else base)


def fuzz_command(path, seconds):
	"""The libFuzzer command line for one short run of harness path.  Its
	scratch corpus starts empty every time, so a run always costs the
	committed corpus plus `seconds` (make fuzz keeps build/fuzz/work)."""
	h = fuzz_name(path)[5:]
	work = os.path.join(FUZZ_OUT, "test-work", h)
	arts = os.path.join(FUZZ_OUT, "artifacts")
	shutil.rmtree(work, ignore_errors=True)
	os.makedirs(work, exist_ok=True)
	os.makedirs(arts, exist_ok=True)
	cmd = [os.path.abspath(path), "-max_total_time=%d" % seconds,
	       "-timeout=10", "-rss_limit_mb=2048",
	       "-artifact_prefix=" + os.path.join(arts, h + "-")]
	d = os.path.join(ROOT, "tests", "fuzz", h + ".dict")
	if os.path.isfile(d):
		cmd.append("-dict=" + d)
	return cmd + [work, os.path.join(FUZZ_CORPUS, h)]


_FZ_SAVED = re.compile(r"Test unit written to (\S+)")
_FZ_WHY = re.compile(r"(SUMMARY: .*|broken promise: .*|ERROR: libFuzzer: .*)")


def run_fuzz(binaries, rep, flt, seconds):
	for path in binaries:
		unit = fuzz_name(path)
		if flt and not flt.search(unit):
			continue
		try:
			p = subprocess.run(fuzz_command(path, seconds), cwd=ROOT,
			                   stdin=subprocess.DEVNULL, capture_output=True,
			                   timeout=seconds + 120)
			err = p.stderr.decode("utf-8", "replace")
			code = p.returncode
		except subprocess.TimeoutExpired as e:
			out = (e.stderr or b"").decode("utf-8", "replace")
			rep.fail(unit, "no end after %d s" % (seconds + 120),
			         out.splitlines()[-TAIL:])
			continue
		except OSError as e:
			rep.fail(unit, "cannot run: %s" % e)
			continue
		if code == 0:
			rep.ok(unit)
			continue
		why = _FZ_WHY.findall(err)
		saved = _FZ_SAVED.search(err)
		reason = why[0] if why else "exit %s" % _code_str(code)
		if saved:
			reason += "; input saved as " + os.path.relpath(saved.group(1), ROOT)
		rep.fail(unit, reason, err.splitlines()[-TAIL:])


# ---------------------------------------------------------------- contract layer

def run_contract(rep, flt):
	import contract_check  # tools/ is on sys.path: this script's folder
	for name, ok, why in contract_check.check(ROOT):
		if flt and not flt.search(name):
			continue
		if ok:
			rep.ok(name)
		else:
			rep.fail(name, why)


# ---------------------------------------------------------------- py layer

class _PyResult(unittest.TestResult):
	def __init__(self, rep):
		super().__init__()
		self.rep = rep

	def _name(self, test):
		return "py/" + test.id().split(".", 1)[-1]

	def addSuccess(self, test):
		self.rep.ok(self._name(test))

	def addFailure(self, test, err):
		self.rep.fail(self._name(test), "assertion failed",
		              self._exc_info_to_string(err, test).splitlines()[-TAIL:])

	def addError(self, test, err):
		self.rep.fail(self._name(test), "error",
		              self._exc_info_to_string(err, test).splitlines()[-TAIL:])

	def addSubTest(self, test, subtest, err):
		if err is not None:
			self.addFailure(subtest, err)


def _py_tests(path):
	name = os.path.splitext(os.path.basename(path))[0]
	loader = importlib.machinery.SourceFileLoader(name, path)
	spec = importlib.util.spec_from_loader(name, loader)
	mod = importlib.util.module_from_spec(spec)
	loader.exec_module(mod)
	suite = unittest.defaultTestLoader.loadTestsFromModule(mod)
	flat = []

	def walk(s):
		for t in s:
			if isinstance(t, unittest.TestSuite):
				walk(t)
			else:
				flat.append(t)
	walk(suite)
	return flat


def run_py(rep, flt, listing=False):
	tests = []
	for path in PYUNITS:
		if not os.path.isfile(path):
			continue
		try:
			tests += _py_tests(path)
		except Exception as e:  # an import error is a failure, not a crash
			rep.fail("py/" + os.path.splitext(os.path.basename(path))[0],
			         "cannot load: %s" % e)
	tests = [t for t in tests
	         if not flt or flt.search("py/" + t.id().split(".", 1)[-1])]
	if listing:
		for t in tests:
			print("py/" + t.id().split(".", 1)[-1])
		return
	result = _PyResult(rep)
	saved = sys.stderr
	sys.stderr = io.StringIO()      # keep unittest chatter out of the report
	try:
		for t in tests:
			t(result)
	finally:
		sys.stderr = saved


# ---------------------------------------------------------------- bench

def run_bench_smoke(rep, flt, verbose):
	"""Layer 4: the peer benchmarks' smoke run, counted line by line."""
	if flt and not flt.search("bench/smoke"):
		return
	cmd = [sys.executable, os.path.join(TOOLS, "bench.py"), "--smoke"]
	try:
		p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
		                   errors="replace", timeout=900)
	except subprocess.TimeoutExpired:
		rep.fail("bench/smoke", "tools/bench.py --smoke timed out after 900 s")
		return
	seen = 0
	for line in p.stdout.splitlines():
		m = re.match(r"^(PASS|FAIL) (\S+?)(?:: (.*))?$", line)
		if not m:
			if verbose:
				print("[bench] " + line)
			continue
		seen += 1
		if m.group(1) == "PASS":
			rep.ok("bench/" + m.group(2))
		else:
			rep.fail("bench/" + m.group(2), m.group(3) or "failed")
	if p.returncode != 0 and seen == 0:
		tail = (p.stdout + p.stderr).splitlines()[-TAIL:]
		rep.fail("bench/smoke", "tools/bench.py --smoke exited %d" % p.returncode, tail)
	elif p.returncode != 0 and not any(l.startswith("FAIL ") for l in p.stdout.splitlines()):
		rep.fail("bench/smoke", "tools/bench.py --smoke exited %d with no failed line"
		         % p.returncode, p.stderr.splitlines()[-TAIL:])

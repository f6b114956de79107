"""benchfmt.py - read benchmark output in Go's format from a serial console.

Purpose: one parser for what Tally, the Go peer and the pthreads peer print,
tolerant of the console noise around it (kernel messages, firmware lines,
carriage returns, ANSI escapes).

Input lines that matter (everything else is ignored):
    key: value                 a header line (goos, goarch, cpu, tsc, intc,
                               timer, clocksource, icount, cpus, peer, ...);
                               the last value of a key wins
    BenchmarkName-P  N  v1 unit1  v2 unit2 ...
                               one result: name with the -P suffix (P =
                               processors), iterations, then value/unit
                               pairs (ns/op, cycles/op, %kern, %rt, %user,
                               %idle, B/op, allocs/op, anything else);
                               a value written "-" means "not measured"
                               and drops that pair
    --- SKIP: NAME: why        a benchmark that cannot run here
    --- FAIL: NAME: why        a benchmark whose body failed (a problem)
    bench: done: N benchmarks  the end marker; N counts the results plus
                               the skipped and failed benchmarks (Tally's
                               and the peers' convention; N equal to the
                               results alone is accepted too)
Keys that are really log prefixes (tally, ktest, bench, init, ledger) are
not header keys.

Data structures: Result (one benchmark line) and Run (one boot's output:
header dict, results in order, done count, skips, format errors).
Invariants: Result.base is the name without "Benchmark" and without the -P
suffix, the key every comparison joins on; metric values are floats.
Context: stdlib only, no I/O (callers pass text).
"""

import re

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
                   r"|\x1b[ -/]*[0-~]|\x1b")
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_HEADER = re.compile(r"^([a-z][A-Za-z0-9_.-]*):\s+(.*?)\s*$")
_BENCH = re.compile(r"^Benchmark\S*\s")
_PROCS = re.compile(r"^(.*?)-(\d+)$")
_DONE = re.compile(r"^bench: done: (\d+) benchmarks?\s*$")
_SKIPFAIL = re.compile(r"^--- (SKIP|FAIL): (\S+?):?(?:\s+(.*?))?\s*$")
_NOT_HEADERS = ("tally", "ktest", "bench", "init", "ledger")


def clean_line(line):
	"""A console line without ANSI escapes, carriage returns, controls."""
	return _CTRL.sub("", _ANSI.sub("", line)).strip()


class Result:
	"""One benchmark line."""

	def __init__(self, name, iters, metrics):
		self.name = name                # e.g. BenchmarkSpawnJoin-1
		self.iters = iters
		self.metrics = metrics          # unit -> float, in line order
		m = _PROCS.match(name)
		full, self.procs = (m.group(1), int(m.group(2))) if m else (name, None)
		self.base = full[len("Benchmark"):] if full.startswith("Benchmark") else full

	def __repr__(self):
		return "Result(%r, %d, %r)" % (self.name, self.iters, self.metrics)


class Run:
	"""What one boot printed."""

	def __init__(self):
		self.header = {}
		self.results = []
		self.done = None        # N of `bench: done: N benchmarks`, or None
		self.skips = []         # (name, reason)
		self.failures = []      # (name, reason)
		self.errors = []        # malformed benchmark lines

	def by_base(self):
		"""base name -> Result (the last one when a name repeats)."""
		return {r.base: r for r in self.results}

	def problems(self):
		"""Why this run is not a complete, well-formed output ([] if it is)."""
		out = list(self.errors)
		out += ["%s failed: %s" % f for f in self.failures]
		n = len(self.results)
		if self.done is None:
			out.append("no 'bench: done:' line")
		elif self.done not in (n, n + len(self.skips) + len(self.failures)):
			out.append("'bench: done: %d' but %d result lines, %d skipped, "
			           "%d failed" % (self.done, n, len(self.skips),
			                          len(self.failures)))
		return out


def parse_result(line):
	"""A Result from one benchmark line, or raise ValueError."""
	f = line.split()
	if len(f) < 2:
		raise ValueError("no iteration count")
	try:
		iters = int(f[1])
	except ValueError:
		raise ValueError("iteration count %r is not an integer" % f[1])
	rest = f[2:]
	if len(rest) % 2:
		raise ValueError("odd number of value/unit fields")
	metrics = {}
	for v, unit in zip(rest[0::2], rest[1::2]):
		if v == "-":
			continue
		try:
			metrics[unit] = float(v)
		except ValueError:
			raise ValueError("value %r of %s is not a number" % (v, unit))
	return Result(f[0], iters, metrics)


def parse(text):
	"""Parse console output (str, bytes or a list of lines) into a Run."""
	if isinstance(text, bytes):
		text = text.decode("utf-8", "replace")
	lines = text.split("\n") if isinstance(text, str) else text
	run = Run()
	for raw in lines:
		line = clean_line(raw)
		if not line:
			continue
		if _BENCH.match(line):
			try:
				run.results.append(parse_result(line))
			except ValueError as e:
				run.errors.append("%s: %s" % (line.split()[0], e))
			continue
		m = _DONE.match(line)
		if m:
			run.done = int(m.group(1))
			continue
		m = _SKIPFAIL.match(line)
		if m:
			(run.skips if m.group(1) == "SKIP" else run.failures).append(
				(m.group(2), m.group(3) or ""))
			continue
		m = _HEADER.match(line)
		if m and m.group(1) not in _NOT_HEADERS:
			run.header[m.group(1)] = m.group(2)
	return run


def format_run(run):
	"""The run as clean text in Go's format (header lines, then results):
	what result files hold, readable by benchstat and by parse()."""
	out = ["%s: %s" % kv for kv in run.header.items()]
	for r in run.results:
		fields = [r.name, str(r.iters)]
		for unit, v in r.metrics.items():
			fields.append("%s %s" % (_num(v), unit))
		out.append("\t".join(fields))
	for name, why in run.skips:
		out.append("--- SKIP: %s: %s" % (name, why))
	for name, why in run.failures:
		out.append("--- FAIL: %s: %s" % (name, why))
	if run.done is not None:
		out.append("bench: done: %d benchmarks" % run.done)
	return "\n".join(out) + "\n"


def _num(v):
	if v == int(v) and abs(v) < 1e15:
		return "%d" % v
	return "%.12g" % v

#!/usr/bin/env python3
"""stress.py - `make stress`: the runtime's host tests many times and the
on-target stress programs over quanta and CPU counts, with a host core
kept busy.

Purpose: races that a single `make test` run passes by luck (a lost
wake-up, a preemption between reading a CPU and using it) show up when the
same tests run many times on a loaded machine.  CI machines are busy, so
the stress run makes its own load: one process spinning on a host core for
the whole run (started here, killed here by its PID).

Layers (each reports its time; results are counted like `make test`'s and
the run ends with one line `N passed, M failed`):
  1. host    every binary given with --host, run --runs times (default 10),
             the ThreadSanitizer builds (under build/host/tsan/) --tsan-runs
             times (default 3): they are not preempted asynchronously, so
             their schedules vary less from run to run, and they cost the
             most (the collector's take about 2.5 minutes a run on a loaded
             host); each run's tests are results named host/BIN#k/test;
  2. system  the cases of tests/stress.cases (format: tests/system.cases)
             whose arch is --arch (default x86_64; `make ARCH=aarch64
             stress` gives aarch64 and no host binaries), at most -j boots
             at once.

Budget: about 15 minutes on two cores with the default runs; keep it under
20.  Context: stdlib only; reuses tools/testrun.py's runners.
"""

import argparse
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testrun  # noqa: E402

STRESS_CASES = os.path.join(testrun.ROOT, "tests", "stress.cases")


def busy_core():
	"""Start a process that keeps one host core busy; returns it."""
	return subprocess.Popen([sys.executable, "-c", "while True: pass"],
	                        stdin=subprocess.DEVNULL)


def main(argv=None):
	ap = argparse.ArgumentParser(prog="stress.py", description=__doc__.split("\n")[0])
	ap.add_argument("--host", nargs="*", action="extend", default=[], metavar="BIN")
	ap.add_argument("--runs", type=int, default=10, help="runs of each host binary")
	ap.add_argument("--tsan-runs", type=int, default=3, help="runs of each TSan host binary")
	ap.add_argument("--cases", default=STRESS_CASES)
	ap.add_argument("--arch", choices=("x86_64", "aarch64"), default="x86_64",
	                help="run the system cases of this ISA (the case's arch =)")
	ap.add_argument("--no-busy", action="store_true", help="do not load a host core")
	ap.add_argument("-j", "--jobs", type=int, default=2)
	args = ap.parse_args(argv)

	busy = None if args.no_busy else busy_core()
	rep = testrun.Report()
	t_all = time.time()
	try:
		t0 = time.time()
		tsan = [b for b in args.host if os.sep + "tsan" + os.sep in b]
		for k in range(max(args.runs, args.tsan_runs)):
			bins = [b for b in args.host if (b in tsan and k < args.tsan_runs) or
			        (b not in tsan and k < args.runs)]
			sub = testrun.Report()
			testrun.run_host(bins, sub, None)
			rep.passed += sub.passed
			rep.failed += sub.failed
		if args.host:
			print("stress: host layer: %d binaries x %d runs, %d TSan binaries x %d, in %.0f s" %
			      (len(args.host) - len(tsan), args.runs, len(tsan), args.tsan_runs,
			       time.time() - t0), flush=True)
		else:
			print("stress: host layer: no binaries given (it is ISA-neutral: `make stress`)",
			      flush=True)
		t0 = time.time()
		with open(args.cases) as f:
			cases = testrun.parse_cases(f.read(), os.path.relpath(args.cases, testrun.ROOT))
		cases = [c for c in cases if c.arch == args.arch]
		testrun.run_system(cases, rep, args.jobs, False, True)
		print("stress: system layer: %d cases in %.0f s" % (len(cases), time.time() - t0),
		      flush=True)
	except KeyboardInterrupt:
		print("stress: interrupted", file=sys.stderr)
		rep.failed += 1
	finally:
		if busy:
			busy.send_signal(signal.SIGKILL)
			busy.wait()
	print("stress: done in %.0f s%s" % (time.time() - t_all,
	                                    "" if args.no_busy else ", one host core kept busy"))
	print("%d passed, %d failed" % (rep.passed, rep.failed))
	return 1 if rep.failed or rep.passed == 0 else 0


if __name__ == "__main__":
	sys.exit(main())

#!/usr/bin/env python3
"""icount_repeat.py - does a benchmark boot repeat its counts under -icount?

Boots the same kernel with the same command line --runs times under
`-icount shift=0,align=off,sleep=off` (tools/tally_qemu.py --icount), one
after another, and prints each boot's benchmark lines (name, ns/op: one
ns is one instruction at shift=0), then how many distinct outcomes there
were.  The program's instructions are the same from boot to boot; a
second outcome means something outside the program (host time reaching
the guest through QEMU) changed what it executed.  Exit status 0 when
every boot gave the same numbers, 1 when they differ, 2 when a boot
failed.

    tools/icount_repeat.py --runs 8 \\
        --cmdline 'bench=^Benchmark(BinaryTrees|PrimeSieve)$ benchtime=200ms icount=yes tick=250'
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINE = re.compile(r"^(Benchmark\S+)\s+\d+\s+([0-9.]+) ns/op", re.M)


def boot(out, cmdline, timeout):
	cmd = [sys.executable, os.path.join(ROOT, "tools", "tally_qemu.py"), "--boot", "direct",
	       "--out", out, "--smp", "1", "--icount", "--timeout", str(timeout), "--cmdline", cmdline]
	r = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
	got = LINE.findall(r.stdout)
	if r.returncode != 0 or not got:
		sys.stderr.write(r.stdout[-1500:] + r.stderr[-500:])
		return None
	return tuple(got)


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("--out", default=os.path.join("build", "x86_64"), help="folder of kernel.elf")
	ap.add_argument("--runs", type=int, default=8)
	ap.add_argument("--timeout", type=float, default=300)
	ap.add_argument("--cmdline", default="bench=^Benchmark(BinaryTrees|PrimeSieve)$ "
	                "benchtime=200ms icount=yes tick=250")
	a = ap.parse_args()
	outcomes = {}
	for i in range(a.runs):
		got = boot(a.out, a.cmdline, a.timeout)
		if got is None:
			print("run %d: the boot failed" % (i + 1))
			return 2
		k = outcomes.setdefault(got, len(outcomes) + 1)
		print("run %d: outcome %d: %s" % (i + 1, k, "  ".join("%s %s" % g for g in got)), flush=True)
	print("%d boots, %d distinct outcome%s (%s)" % (a.runs, len(outcomes), "" if len(outcomes) == 1 else "s",
	      a.cmdline))
	return 0 if len(outcomes) == 1 else 1


if __name__ == "__main__":
	sys.exit(main())

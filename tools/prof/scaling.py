#!/usr/bin/env python3
"""scaling.py - one benchmark on 1 and on N vCPUs in parallel TCG, alternating.

Boots kernel.elf (tools/tally_qemu.py, no -icount) with --smp 1 and --smp N
in turn, --runs times each, and prints every run's ns/op with the host's
load average at its start, then the medians and their ratio (1-vCPU median
over N-vCPU median: above 1 is a speed-up).  Alternating spreads a shared
host's load changes over both sides; the spread of each side's runs says
how much that left.  --base DIR adds a second build (e.g. the commit
before a change) to the same alternation, so both see the same load.

    tools/prof/scaling.py --bench '^BenchmarkSkynet$' --runs 3
    tools/prof/scaling.py --base /path/to/old/build/x86_64 --runs 3
"""
import argparse, os, re, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def one(out, smp, bench, benchtime, timeout):
    cmd = [sys.executable, os.path.join(ROOT, "tools", "tally_qemu.py"), "--boot", "direct",
           "--out", out, "--smp", str(smp), "--timeout", str(timeout),
           "--cmdline", "bench=%s benchtime=%s icount=no" % (bench, benchtime)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    m = re.search(r"^Benchmark\S+\s+\d+\s+([0-9.]+) ns/op.*$", r.stdout, re.M)
    if r.returncode != 0 or not m:
        sys.stderr.write(r.stdout[-2000:] + r.stderr[-1000:])
        sys.exit("scaling: the boot with --smp %d failed (status %d)" % (smp, r.returncode))
    return float(m.group(1)), m.group(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "x86_64"))
    ap.add_argument("--bench", default="^BenchmarkSkynet$")
    ap.add_argument("--benchtime", default="1x")
    ap.add_argument("--smp", type=int, default=2, help="the N to compare with 1")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--base", help="a second build directory, run in the same alternation")
    a = ap.parse_args()
    builds = [("", a.out)] + ([("base ", a.base)] if a.base else [])
    res = {(b, n): [] for b, _ in builds for n in (1, a.smp)}
    for i in range(a.runs):
        for n in (1, a.smp):
            for b, out in builds:
                load = open("/proc/loadavg").read().split()[0]
                ns, line = one(out, n, a.bench, a.benchtime, a.timeout)
                res[(b, n)].append(ns)
                print("run %d %ssmp %d load %s: %s" % (i + 1, b, n, load, line), flush=True)
    for b, out in builds:
        for n in (1, a.smp):
            r = res[(b, n)]
            print("%s%s smp %d: median %.3g ns/op [%.3g-%.3g] over %d runs" %
                  (b, out, n, statistics.median(r), min(r), max(r), len(r)))
        m1, mn = statistics.median(res[(b, 1)]), statistics.median(res[(b, a.smp)])
        print("%sspeed-up %d vCPUs over 1: %.2f (median over median)" % (b, a.smp, m1 / mn))


if __name__ == "__main__":
    main()

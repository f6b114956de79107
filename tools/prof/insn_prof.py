#!/usr/bin/env python3
"""insn_prof.py - where a guest's instructions go, by function, exactly.

Boots kernel.elf once under -icount (tools/tally_qemu.py) with the TCG
plugin tools/prof/insn_prof.c, which counts the guest instructions
executed from each translation block's start address, then sums the
counts by the function (kernel.elf's symbol table) that holds each
block's start.  Whole-boot counts: boot and report are in them too, so
pick a run whose benchmark dominates, or compare two builds.

    tools/prof/insn_prof.py --smp 1 --per 1111111 \\
        --cmdline 'bench=^BenchmarkSkynet$ benchtime=1x icount=yes tick=250'

--per N divides each count by N (e.g. goroutines per op); --json PATH
writes every function's count.  The plugin is built into
build/prof/insn_prof.so with the host gcc (no QEMU headers needed).
"""
import argparse, bisect, collections, json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build_plugin(outdir):
    so = os.path.join(outdir, "insn_prof.so")
    src = os.path.join(ROOT, "tools", "prof", "insn_prof.c")
    if not os.path.exists(so) or os.path.getmtime(so) < os.path.getmtime(src):
        os.makedirs(outdir, exist_ok=True)
        subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-fvisibility=hidden", "-Wall",
                        "-Wextra", "-Werror", "-o", so, src, "-lpthread"], check=True)
    return so


def symbols(elf):
    out = subprocess.run(["nm", "-n", "--defined-only", elf], capture_output=True,
                         text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "tTwW":
            syms.append((int(p[0], 16), p[2]))
    return syms


def by_function(elf, counts_path):
    syms = symbols(elf)
    addrs = [a for a, _ in syms]
    by = collections.Counter()
    for line in open(counts_path):
        va, n = line.split()
        i = bisect.bisect_right(addrs, int(va, 16)) - 1
        by[syms[i][1] if i >= 0 else "?"] += int(n)
    return by


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "x86_64"))
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--cmdline", required=True)
    ap.add_argument("--per", type=float, default=0, help="divide counts by this")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--json", help="write {function: count} here")
    ap.add_argument("--timeout", type=float, default=900)
    a = ap.parse_args()
    pdir = os.path.join(ROOT, "build", "prof")
    so = build_plugin(pdir)
    counts = os.path.join(pdir, "counts.txt")
    if os.path.exists(counts):
        os.remove(counts)
    cmd = [sys.executable, os.path.join(ROOT, "tools", "tally_qemu.py"), "--boot", "direct",
           "--out", a.out, "--smp", str(a.smp), "--icount", "--timeout", str(a.timeout),
           "--extra=-plugin", "--extra=%s,arg=out=%s" % (so, counts), "--cmdline", a.cmdline]
    r = subprocess.run(cmd, capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if line.startswith(("Benchmark", "ledger: cpu", "tally-qemu:")):
            print(line)
    if r.returncode != 0 or not os.path.exists(counts):
        sys.stderr.write(r.stdout[-3000:] + r.stderr[-2000:])
        sys.exit("insn_prof: the boot failed (status %d)" % r.returncode)
    by = by_function(os.path.join(a.out, "kernel.elf"), counts)
    total = sum(by.values())
    print("insn_prof: %d guest instructions in all (smp %d, -icount)" % (total, a.smp))
    for f, n in by.most_common(a.top):
        per = " %10.1f/per" % (n / a.per) if a.per else ""
        print("%14d %6.2f%%%s  %s" % (n, 100.0 * n / total, per, f))
    if a.json:
        with open(a.json, "w") as fp:
            json.dump(dict(by), fp, indent=0, sort_keys=True)


if __name__ == "__main__":
    main()

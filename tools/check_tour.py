#!/usr/bin/env python3
"""check_tour.py - judge the console of the tour (apps/tour.c, `make run`'s
default program): the `check =` script of its system case.

Reads the console lines (from `tally: start` on) on stdin; exits 0, or 1
after printing one line per problem.  What must hold:
  - structure: the banner, then steps 1, 2 and 3 in order, and the
    per-CPU ledger table (with its legend: a note per class of the table)
    is the last thing the program prints (only the kernel's `ledger:`
    lines and `tally: exit` may follow);
  - every CPU appears: the table has one column per CPU the tour says it
    ran on, and the ranges of the prime count done per CPU name every CPU
    and add up to the number of ranges (10,000,000 / 250,000 = 40);
  - the prime count is pi(10^7) = 664579 on every run;
  - every step's split adds up: kern + rt + user + idle = 100% (so no
    class falls outside the four groups), and the CPU time the ledger saw
    agrees with the wall time measured by another clock (tally_nanotime,
    between the two ledger reads): ncpu x wall ms <= CPU ms <= ncpu x
    (wall + reads) ms, within -2% - 1 ms / +5% + 50 ms per CPU, where
    "reads" is the two reads' own time, which the tour prints: each CPU's
    snapshot is taken somewhere inside a read (another CPU's by an IPI,
    which on a busy host can wait over 100 ms for that CPU's host
    thread); a CPU counted twice is still +100% when the reads are short;
  - the table adds up: each CPU's classes sum to its elapsed time, the
    total column is the sum of the CPU columns, the percentages match;
    CPU 0's elapsed is the time since boot by tally_nanotime: its ledger
    and the clock start at one instant (cpu_early_init), so it lies
    between the time since boot before the table's reads and after them
    (to the printed 0.001 ms), and no other CPU's is longer;
  - the kernel's own report at exit (`ledger:` lines, gathered by another
    path) is later than the table and not by much: per CPU its elapsed
    and each class are at least the table's, elapsed at most 500 ms more.
Context: stdlib only.
"""
import re
import sys

PRIMES = 664579
RANGES = 40
NUM = r"(-?\d+(?:\.\d+)?)"


def check(lines):
    bad = []
    text = [l.rstrip() for l in lines]

    def find(rx, start=0):
        for i in range(start, len(text)):
            if re.search(rx, text[i]):
                return i
        return -1

    if find(r"Tally - a runtime kernel that accounts for every cycle") < 0:
        bad.append("no banner line")
    m = None
    for l in text:
        m = re.search(r"^Booted by .* on (\d+) CPUs? \(.*\), cycle counter (\d+)\.(\d+) MHz", l)
        if m:
            break
    if not m:
        return bad + ["no `Booted by ... on N CPUs ..., cycle counter X MHz` line"]
    ncpu = int(m.group(1))
    mhz = int(m.group(2)) + int(m.group(3)) / 1000.0
    steps = [find(r"^%d\. " % k) for k in (1, 2, 3)]
    if min(steps) < 0 or steps != sorted(steps):
        return bad + ["steps 1, 2 and 3 missing or out of order (%s)" % steps]

    # steps 1 and 2: the split and the CPU time against the wall time
    split = re.compile(r"wall\s+%s ms, CPU ms\s+%s\s+kern\s+%s%%\s+rt\s+%s%%\s+user\s+%s%%"
                       r"\s+idle\s+%s%%\s+\(reads %s ms\)" % ((NUM,) * 7))
    oprow = re.compile(r"^\s+(\S.*?)\s+(\d+)\s+%s\s+%s\s+%s\s+kern\s+%s%%\s+rt\s+%s%%"
                       r"\s+user\s+%s%%\s+idle\s+%s%%\s+\(reads %s ms\)$" % ((NUM,) * 8))
    nsteps = 0
    for l in text[steps[0]:steps[2]]:
        m = split.search(l)
        if m:
            wall, cpu, reads = float(m.group(1)), float(m.group(2)), float(m.group(7))
            parts = [float(x) for x in m.group(3, 4, 5, 6)]
            pm = re.search(r"(\d+) primes", l)
            if not pm or int(pm.group(1)) != PRIMES:
                bad.append("prime count is not %d: %s" % (PRIMES, l.strip()))
        else:
            m = oprow.match(l)
            if not m:
                continue
            wall, cpu, reads = float(m.group(4)), float(m.group(5)), float(m.group(10))
            parts = [float(x) for x in m.group(6, 7, 8, 9)]
        nsteps += 1
        if abs(sum(parts) - 100.0) > 0.3:
            bad.append("split sums to %.1f%%, not 100%%: %s" % (sum(parts), l.strip()))
        # every CPU's part runs from its snapshot in the first ledger read
        # to its snapshot in the second: at least the wall time between
        # the reads, at most that and the reads' own time (tour.c, struct step)
        lo, hi = ncpu * wall, ncpu * (wall + reads)
        if not (lo * 0.98 - 1 <= cpu <= hi * 1.05 + 50 * ncpu):
            bad.append("CPU ms %.3f is not %d x wall %.3f ms (reads %.3f ms): %s"
                       % (cpu, ncpu, wall, reads, l.strip()))
    if nsteps < 1 + 6 + (ncpu > 1):
        bad.append("%d step lines with a split, expected %d" % (nsteps, 7 + (ncpu > 1)))
    if ncpu > 1:
        i = find(r"ranges done per CPU:")
        got = dict(re.findall(r"cpu(\d+) (\d+)", text[i])) if i >= 0 else {}
        if sorted(int(k) for k in got) != list(range(ncpu)):
            bad.append("ranges per CPU do not name every CPU: %s" % (text[i] if i >= 0 else "no line"))
        elif sum(int(v) for v in got.values()) != RANGES:
            bad.append("ranges per CPU add up to %d, not %d"
                       % (sum(int(v) for v in got.values()), RANGES))

    # step 3: the table
    up = re.search(r"time since boot by tally_nanotime: %s ms; the reads took %s ms" % (NUM, NUM),
                   " ".join(text[steps[2]:steps[2] + 3]))
    hdr = find(r"^\s+class\s+cpu0\b", steps[2])
    if not up or hdr < 0:
        return bad + ["no uptime line or no table header in step 3"]
    uptime, took = float(up.group(1)), float(up.group(2))
    cols = re.findall(r"cpu(\d+)", text[hdr])
    if [int(c) for c in cols] != list(range(ncpu)) or not text[hdr].rstrip().endswith("total"):
        bad.append("table header is not cpu0..cpu%d, total: %s" % (ncpu - 1, text[hdr].strip()))
        return bad
    rows, end = {}, None
    row = re.compile(r"^\s+(\S+)" + r"\s+%s\s+%s%%" % (NUM, NUM) * ncpu + r"\s+%s$" % NUM)
    for i in range(hdr + 1, len(text)):
        m = row.match(text[i])
        if not m:
            break
        g = [float(x) for x in m.groups()[1:]]
        rows[m.group(1)] = ([g[2 * c] for c in range(ncpu)], [g[2 * c + 1] for c in range(ncpu)],
                            g[-1])
        end = i
        if m.group(1) == "elapsed":
            break
    if "elapsed" not in rows:
        return bad + ["the table has no elapsed row"]
    for l in text[end + 1:]:
        m = re.match(r"^\s+(\S+)\s+\S", l)
        if m and m.group(1) in rows and m.group(1) != "elapsed":
            continue  # the table's legend: a class named in it, and a note
        if l.strip() and not re.match(r"^(ledger: |tally: exit )", l):
            bad.append("the table is not the program's last output: %r follows" % l.strip())
            break
    el = rows["elapsed"][0]
    classes = {k: v for k, v in rows.items() if k != "elapsed"}
    for c in range(ncpu):
        s = sum(v[0][c] for v in classes.values())
        if abs(s - el[c]) > 0.001 * len(classes) + 0.001:
            bad.append("cpu%d: classes sum to %.3f ms, elapsed says %.3f" % (c, s, el[c]))
        for k, v in classes.items():
            if el[c] and abs(100.0 * v[0][c] / el[c] - v[1][c]) > 0.06:
                bad.append("cpu%d %s: %.1f%% does not match %.3f of %.3f ms"
                           % (c, k, v[1][c], v[0][c], el[c]))
    for k, v in rows.items():
        if abs(sum(v[0]) - v[2]) > 0.001 * ncpu + 0.001:
            bad.append("%s: total %.3f is not the sum of the CPUs %.3f" % (k, v[2], sum(v[0])))
    if not (uptime - took - 0.002 <= el[0] <= uptime + 0.002):
        bad.append("cpu0 elapsed %.3f ms is not the time since boot %.3f ms (reads %.3f ms)"
                   % (el[0], uptime, took))
    for c in range(1, ncpu):
        if not 0 < el[c] <= el[0] + 1:
            bad.append("cpu%d elapsed %.3f ms is not within cpu0's %.3f" % (c, el[c], el[0]))

    # the kernel's report at exit, against the table
    rep = {}
    for l in text[end + 1:]:
        m = re.match(r"^ledger: cpu(\d+)\s+elapsed (\d+) cycles(.*)$", l)
        if m:
            rep[int(m.group(1))] = (int(m.group(2)),
                                    dict((k, int(v)) for k, v in
                                         re.findall(r" ([a-z][\w.]*)=(\d+)\(", m.group(3))))
    if sorted(rep) != list(range(ncpu)):
        bad.append("the kernel's exit report has cpus %s, expected 0..%d" % (sorted(rep), ncpu - 1))
        return bad
    for c in range(ncpu):
        kel = rep[c][0] / (mhz * 1000.0)
        if not el[c] - 0.01 <= kel <= el[c] + 500:
            bad.append("cpu%d: exit report elapsed %.3f ms vs the table's %.3f" % (c, kel, el[c]))
        for k, v in classes.items():
            kv = rep[c][1].get(k, 0) / (mhz * 1000.0)
            if kv < v[0][c] - 0.01 - v[0][c] * 0.001:
                bad.append("cpu%d %s: exit report %.3f ms below the table's %.3f"
                           % (c, k, kv, v[0][c]))
    return bad


def main():
    bad = check(sys.stdin.read().splitlines())
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""boottime.py [--arch A] [--runs N] [--smp N] [--boot PATH...] - how long
each boot path takes from QEMU's start to the application's main(), and to
QEMU's exit.

For each boot path the default image (build/x86_64; with --arch aarch64
build/aarch64: `make ARCH=aarch64 kernel esp iso`, paths direct, uefi and
grub-efi, under AAVMF for the last two) is booted N times
(default 3) on --smp vCPUs (default: the host's core count, as `make run`)
with the QEMU command line tools/tally_qemu.py builds; the time
is taken when the default application's first line ("Tally - a runtime
kernel ...", printed first thing in main by the tour, apps/tour.c, as by
apps/banner.c) appears on the serial port.
Prints the median and the range per path, plus the image sizes."""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARK = b"Tally - a runtime kernel"


def load_tq():
    import tally_qemu  # tools/ is on sys.path: this script's folder
    return tally_qemu


def one(tq, arch, boot, smp):
    kw = {"image": "Image"} if arch == "aarch64" and boot == "direct" else {}
    opts = tq.default_options(arch=arch, boot=boot, smp=smp,
                              out=os.path.join(ROOT, "build", arch), **kw)
    tmp = tempfile.mkdtemp(prefix="boottime-")
    try:
        vars_path = os.path.join(tmp, os.path.basename(tq.firmware(opts)[1]))
        if boot in ("grub-efi", "uefi"):
            shutil.copyfile(tq.firmware(opts)[1], vars_path)
        cmd = tq.build_command(opts, vars_path)
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        buf, t_main = b"", None
        while True:
            chunk = p.stdout.read1(4096)
            if not chunk:
                break
            buf += chunk
            if t_main is None and MARK in buf:
                t_main = time.monotonic() - t0
        p.wait(timeout=120)
        return t_main, time.monotonic() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--smp", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--arch", default="x86_64", choices=("x86_64", "aarch64"))
    ap.add_argument("--boot", nargs="*", default=None,
                    help="default: direct grub grub-efi uefi (aarch64: direct uefi grub-efi)")
    a = ap.parse_args()
    if a.boot is None:
        a.boot = (["direct", "uefi", "grub-efi"] if a.arch == "aarch64" else
                  ["direct", "grub", "grub-efi", "uefi"])
    tq = load_tq()
    print("%s, %d runs per path on %d vCPUs; median (min-max)" % (a.arch, a.runs, a.smp))
    print("%-9s %22s %22s" % ("boot", "QEMU start -> main (s)", "QEMU start -> exit (s)"))
    for boot in a.boot:
        mains, exits = [], []
        for _ in range(a.runs):
            m, e = one(tq, a.arch, boot, a.smp)
            if m is None:
                raise SystemExit("boottime: %s: the banner never appeared" % boot)
            mains.append(m)
            exits.append(e)
        print("%-9s %8.2f (%.2f-%.2f) %12.2f (%.2f-%.2f)" % (
            boot, statistics.median(mains), min(mains), max(mains),
            statistics.median(exits), min(exits), max(exits)))
    for f in ("kernel.elf", "Image", "tally.efi", "esp.img", "tally.iso"):
        p = os.path.join(ROOT, "build", a.arch, f)
        if os.path.exists(p):
            print("size %-10s %9d bytes" % (f, os.path.getsize(p)))


main()

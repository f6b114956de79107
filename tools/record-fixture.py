#!/usr/bin/env python3
"""record-fixture.py BOOT NAME - record a real boot's loader data as a
parser fixture (tests/fixtures/NAME.bin + NAME.expect, TALLYFX1 format).
record-fixture.py pci MACHINE NAME [QEMU-ARG...] - record every PCI
function's config space (tests/fixtures/NAME.pcidump, see the README).

Boots build/x86_64/kernel.elf (BOOT=direct: PVH) or an ISO built with the
dumpboot command line (BOOT=grub or grub-efi: multiboot2 from GRUB) with
dumpboot=1; the kernel hex-dumps the raw structures the boot path left
(before any memory is reused) and prints what it parsed from them.  The
dump becomes the fixture's regions and the parse its .expect, so the host
parsers (plain and ASan builds) are checked against real firmware data
and against the on-target parse of the same bytes."""
import os
import re
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CMDLINE = 'dumpboot=1 loglevel=0 ledger=off -- recorded "fixture arg"'


def boot(kind):
    out = os.path.join(ROOT, "build", "x86_64", "record-" + kind)
    if kind == "direct":
        subprocess.run(["make", "-s", "kernel"], cwd=ROOT, check=True)
        args = ["--boot", "direct", "--cmdline", CMDLINE]
    else:
        subprocess.run(["make", "-s", "iso", "OUT=" + out, "CMDLINE=" + CMDLINE],
                       cwd=ROOT, check=True)
        args = ["--boot", kind, "--out", out]
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "tally_qemu.py"),
                        "--quiet", "--raw", "--timeout", "120", "--log", "/dev/stdout"] + args,
                       cwd=ROOT, capture_output=True, text=True, errors="replace")
    return p.stdout


def parse(text):
    chunks, expect, kind, arg = [], [], None, None
    cur = None
    for line in text.splitlines():
        line = line.strip("\r")
        m = re.search(r"dumpboot: (.*)$", line)
        if not m:
            continue
        body = m.group(1)
        if body.startswith("kind "):
            k, ptr = re.match(r"kind (\d+) ptr (0x[0-9a-f]+)", body).groups()
            kind, arg = int(k), int(ptr, 16)
        elif body.startswith("chunk "):
            _, name, base, length = body.split()
            cur = [int(base, 16), int(length), bytearray()]
            chunks.append(cur)
        elif body.startswith("expect "):
            expect.append(body[len("expect "):])
        elif body == "end":
            cur = None
        elif cur is not None and re.fullmatch(r"[0-9a-f]+", body):
            cur[2] += bytes.fromhex(body)
    if kind is None or not chunks:
        raise SystemExit("record-fixture: no dumpboot output (did the boot fail?)")
    for base, length, data in chunks:
        if len(data) != length:
            raise SystemExit("record-fixture: chunk at 0x%x: %d bytes, expected %d"
                             % (base, len(data), length))
    return kind, arg, chunks, expect


def record_pci(machine, name, extra):
    """Boot build/x86_64/kernel.elf (direct) on MACHINE with pcidump=1: the
    kernel prints each function's 256 config bytes, the read-back of all
    ones in each BAR slot (QEMU's own answer to BAR sizing) and its parse;
    the lines become a text fixture that tests/host/test_pci.c replays."""
    subprocess.run(["make", "-s", "kernel"], cwd=ROOT, check=True)
    args = ["--boot", "direct", "--machine", machine,
            "--cmdline", "pcidump=1 loglevel=0 ledger=off"]
    for a in extra:
        args.append("--extra=" + a)
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "tally_qemu.py"),
                        "--quiet", "--raw", "--timeout", "60", "--log", "/dev/stdout"] + args,
                       cwd=ROOT, capture_output=True, text=True, errors="replace")
    body, inside = [], False
    for line in p.stdout.splitlines():
        m = re.search(r"pcidump: (.*)$", line.strip("\r"))
        if not m:
            continue
        if m.group(1).startswith("begin "):
            inside = True
        if inside:
            body.append(m.group(1))
        if m.group(1) == "end":
            inside = False
    if not body or body[-1] != "end":
        raise SystemExit("record-fixture: no complete pcidump output (did the boot fail?)")
    fx = os.path.join(ROOT, "tests", "fixtures", name + ".pcidump")
    with open(fx, "w") as f:
        f.write("# recorded by tools/record-fixture.py pci %s %s (QEMU 7.2, direct boot)\n"
                % (machine, name))
        if extra:
            f.write("# QEMU arguments: %s\n" % " ".join(extra))
        f.write("# expect lines are the on-target parse of the same bytes\n")
        for b in body:
            f.write(b + "\n")
    print("record-fixture: wrote %s (%d functions)" % (fx, sum(1 for b in body if b.startswith("fn "))))


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "pci":
        record_pci(sys.argv[2], sys.argv[3], sys.argv[4:])
        return
    if len(sys.argv) != 3 or sys.argv[1] not in ("direct", "grub", "grub-efi"):
        raise SystemExit("usage: record-fixture.py direct|grub|grub-efi NAME\n"
                         "       record-fixture.py pci q35|pc NAME [QEMU-ARG...]")
    kind, arg, chunks, expect = parse(boot(sys.argv[1]))
    name = sys.argv[2]
    fx = os.path.join(ROOT, "tests", "fixtures", name)
    with open(fx + ".bin", "wb") as f:
        f.write(b"TALLYFX1" + struct.pack("<IIQ", kind, len(chunks), arg))
        for base, length, _ in chunks:
            f.write(struct.pack("<QQ", base, length))
        for _, _, data in chunks:
            f.write(data)
    with open(fx + ".expect", "w") as f:
        f.write("# recorded by tools/record-fixture.py %s (QEMU 7.2, %s boot, -m 512M);\n"
                % (sys.argv[1], sys.argv[1]))
        f.write("# the expectations are the on-target parse of the same bytes\n")
        for e in expect:
            f.write(e + "\n")
    print("record-fixture: wrote %s.bin (%d regions) and %s.expect" % (fx, len(chunks), fx))


main()

#!/usr/bin/env python3
"""acpi_record.py - record an ACPI fixture from a real QEMU's firmware.

Purpose: `tools/mkacpi.py --record NAME [outdir] -- QEMU ARGS...` (the
command line stays mkacpi.py's; this module is its recording half).  The
recorded fixtures (tests/fixtures/acpi-qemu72-*) hold the tables exactly
as SeaBIOS or OVMF left them in guest RAM, so the parser is also tested
on bytes no script of ours packed.

Data structures: the guest's RAM as one bytes object (128 MiB, dumped by
the monitor's pmemsave); the tables reached from an RSDP as a dict of
physical address -> length.

Invariants: QEMU runs under coreutils timeout (90 s), with -m 128M, no
display, no serial port and no boot device, so the firmware builds its
tables and then waits; it is left `wait` seconds (MKACPI_WAIT, default
3 for SeaBIOS, about 12 for OVMF) before RAM is dumped.  Only tables whose
checksum holds are followed; the .bin written holds the RSDP bytes and
one region from the lowest to the end of the highest table reached
(page-rounded).  The .expect is written by hand and checked against what
QEMU's ACPI builder emits for the machine.

Context: stdlib only; runs QEMU (qemu-system-x86_64 on PATH, or
qemu-system-aarch64 when the arguments name a `virt` machine: AAVMF, RAM
dumped from 1 GiB where that board's starts); imported by
tools/mkacpi.py (tools/ is on sys.path: the scripts' folder).
"""
import os
import struct
import subprocess
import tempfile
import time

from acpi_fixture import csum, mem_fixture


def record(name, outdir, qemu_args, wait=3.0):
    """Boot QEMU's firmware with no boot device, dump guest RAM through the
    monitor once the firmware has built its tables, find the RSDP (valid
    checksums, a root table behind it) and write
    acpi-NAME.bin: the RSDP bytes plus one region from the lowest to the
    end of the highest table reached.  The .expect is written by hand and
    checked against what QEMU builds."""
    mem = 128 << 20
    # QEMU's aarch64 virt board (AAVMF): its RAM starts at 1 GiB
    a64 = any(a.startswith("virt") for a in qemu_args)
    prog = "qemu-system-aarch64" if a64 else "qemu-system-x86_64"
    base = 0x40000000 if a64 else 0
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "ram.bin")
        p = subprocess.Popen(["timeout", "90", prog,
                              "-m", "128M", "-display", "none",
                              "-monitor", "stdio", "-serial", "none"] +
                             qemu_args, stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL)
        time.sleep(wait)   # the firmware has built its tables by then
        p.communicate(("pmemsave 0x%x 0x%x \"%s\"\nquit\n" %
                       (base, mem, dump)).encode(), timeout=90)
        ram = open(dump, "rb").read()

    def table(pa):
        if pa < base or pa - base + 8 > len(ram):
            return None
        o = pa - base
        return ram[o:o + struct.unpack_from("<I", ram, o + 4)[0]]

    def tables_from(r):
        """Address -> length of every table reachable from RSDP r."""
        todo = [struct.unpack_from("<I", r, 16)[0]]
        if len(r) == 36:
            todo.append(struct.unpack_from("<Q", r, 24)[0])
        seen = {}
        while todo:
            pa = todo.pop()
            t = table(pa) if pa not in seen else None
            if not t or csum(t) != 0:
                continue
            seen[pa] = len(t)
            if t[:4] in (b"RSDT", b"XSDT"):
                w, fmt = (4, "<I") if t[:4] == b"RSDT" else (8, "<Q")
                todo += [struct.unpack_from(fmt, t, o)[0]
                         for o in range(36, len(t) - w + 1, w)]
            elif t[:4] == b"FACP":
                todo += [struct.unpack_from("<I", t, 36)[0],
                         struct.unpack_from("<I", t, 40)[0]]
                if len(t) >= 148:
                    todo += [struct.unpack_from("<Q", t, 132)[0],
                             struct.unpack_from("<Q", t, 140)[0]]
        return seen

    # The first sound RSDP, preferring an ACPI 2.0 one: OVMF leaves QEMU's
    # revision 0 RSDP in memory beside the one it installs for the OS, and
    # that one (found through the EFI configuration table) is not 16-byte
    # aligned.
    found, at = [], ram.find(b"RSD PTR ")
    while at >= 0:
        r = ram[at:at + (36 if ram[at + 15] >= 2 else 20)]
        if csum(r[:20]) == 0 and csum(r) == 0:
            seen = tables_from(r)
            if any(table(pa)[:4] in (b"RSDT", b"XSDT") for pa in seen):
                found.append((len(r) != 36, at + base, r, seen))
        at = ram.find(b"RSD PTR ", at + 1)
    if not found:
        raise SystemExit("no RSDP found in guest RAM")
    _, at, r, seen = min(found)
    lo = min(seen) & ~0xFFF
    hi = (max(pa + n for pa, n in seen.items()) + 0xFFF) & ~0xFFF
    path = os.path.join(outdir, "acpi-%s.bin" % name)
    with open(path, "wb") as f:
        f.write(mem_fixture(at, [(at, r), (lo, ram[lo - base:hi - base])]))
    print("%s: RSDP at 0x%x (%d bytes), tables 0x%x-0x%x: %s" %
          (path, at, len(r), lo, hi, " ".join(
              "%s@0x%x" % (table(pa)[:4].decode(), pa)
              for pa in sorted(seen))))

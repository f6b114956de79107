#!/usr/bin/env python3
"""mkacpi.py - generate the crafted ACPI table fixtures in tests/fixtures/.

Purpose: the ACPI parser (kernel/acpi*.c) is tested on images of memory
holding ACPI tables as firmware leaves them: a sound QEMU-like set and one
set per kind of damage (bad checksums, truncated tables, lying lengths,
broken MADT entries, wild pointers, old FADT layouts).  This script writes
each as acpi-<name>.bin with an acpi-<name>.expect stating what
acpi_parse() must report.  tests/host/test_acpi.c runs every acpi-*.bin.

Fixture format: TALLYFX1 (tests/fixtures/README.md) with kind 3 (ACPI):
regions at physical addresses, each table in a region of its own (a read
spanning two regions is unreadable), the argument is the RSDP's address,
and the region starting there holds exactly the RSDP bytes the boot path
copied into struct boot_info (20 or 36), which the test passes as
rsdp/rsdp_len.

Expect format: one fact per line, "#" comments.  List keys must appear
once per element, in the parser's order (none = the list is empty):
  table SIG ADDR LEN USED     tables named by the root (root first)
  cpu APIC_ID UID ENABLED ONLINE_CAPABLE X2APIC
  ioapic ID ADDR GSI_BASE
  override BUS SOURCE GSI FLAGS
  nmi UID FLAGS LINT X2APIC
  mcfg BASE SEGMENT BUS_START BUS_END
  warn <the exact warning line>
Scalar keys (checked when present; every "result ok" fixture has all):
  result ok|error      acpi_parse() returned 0 / -1
  oem OEMID            revision N            root SIG ADDR | root none
  madt LAPIC_ADDR FLAGS REVISION | madt none
  fadt REVISION LEN FLAGS SCI BOOT_ARCH DSDT | fadt none
  pm_timer SPACE WIDTH OFFSET ACCESS ADDR BITS32 | pm_timer none
  reset SPACE WIDTH OFFSET ACCESS ADDR VALUE | reset none
  hw_reduced 0|1
  pm1a_cnt SPACE WIDTH OFFSET ACCESS ADDR | pm1a_cnt none
  pm1b_cnt SPACE WIDTH OFFSET ACCESS ADDR | pm1b_cnt none
  sleep_ctl SPACE WIDTH OFFSET ACCESS ADDR | sleep_ctl none
  s5 found SLP_TYPa SLP_TYPb ELEMENTS AT | s5 none | s5 bad AT TEXT |
      s5 no-dsdt TEXT      what acpi_s5_find() reports (AT: offset of the
                           NameOp in the DSDT; TEXT: part of the reason)
  hpet ADDR MIN_TICK NUMBER BLOCK_ID | hpet none
  warn_dropped N
Numbers are decimal or 0x hex.

Data structures: tables are packed with struct.pack from the ACPI 6.4
specification (RSDP 5.2.5, header 5.2.6, XSDT/RSDT, MADT 5.2.12, FADT
5.2.9, HPET from the IA-PC HPET specification, MCFG from PCI firmware
3.0), independent of the C code they test.

Invariants: deterministic output; running the script twice gives the same
bytes.  Recorded fixtures (acpi-qemu72-*, dumped from a real QEMU's
firmware) are not rewritten by the default run; --record makes one (QEMU
runs under timeout, -m 128M, no boot device; the firmware is left
MKACPI_WAIT seconds, default 3 for SeaBIOS, about 12 for OVMF, to build its
tables before guest RAM is dumped through the monitor).  Their .expect
files are written by hand and checked against what QEMU's ACPI builder
emits for the machine.

Usage: python3 tools/mkacpi.py [outdir]
       [MKACPI_WAIT=s] python3 tools/mkacpi.py --record NAME [outdir] \\
           -- QEMU ARGS...
"""
import os
import struct
import sys

from acpi_fixture import e_gicc, e_gicd, e_gicr, e_its, gtdt, spcr  # noqa: F401
from acpi_fixture import (  # noqa: F401  (mkacpi's names, as before the split)
    FX_MAGIC, KIND_ACPI, RSDP_PA, BASE, DSDT_PA, XSDT_PA, RSDT_PA, FADT_PA,
    MADT_PA, HPET_PA, MCFG_PA, MADT2_PA, UNREADABLE, IO, MEM, csum, fix,
    rsdp, sdt, root, gas, e_lapic, e_ioapic, e_iso, e_nmi_src, e_lapic_nmi,
    e_lapic_addr, e_x2apic, e_x2apic_nmi, madt, FADT_LEN, F_WBINVD,
    F_PROC_C1, F_SLP_BUTTON, F_RTC_S4, F_TMR_VAL_EXT, F_RESET_REG_SUP,
    F_PLATFORM_CLOCK, F_HW_REDUCED, QEMU_FLAGS, fadt, hpet, mcfg, dsdt,
    pkglength, aml_int, name_s5, mem_fixture, hexs, tline, Fx, NO_FADT,
    NO_HPET, NO_MADT, QEMU_MADT_ENTRIES, QEMU_MADT_EXPECT, QEMU_RESET,
    QEMU_FLAGS6, qemu_fadt6, QEMU_FADT6_EXPECT, QEMU_HPET_EXPECT, standard,
)
from acpi_record import record  # noqa: F401

# The tables, the fixture writer and the QEMU reference set are in
# tools/acpi_fixture.py; --record is tools/acpi_record.py.  This file holds
# the cases (what is damaged in each, and what acpi_parse() must say).


def valid_sets(outdir):
    # The reference set: what QEMU q35 builds, plus the cases SMP cares
    # about (a disabled CPU, an online-capable one, an x2APIC CPU).  The
    # RSDT lists a different MADT: using it instead of the XSDT shows up.
    fx = Fx(outdir, "qemu-like", """
RSDP 2.0 -> XSDT -> FADT rev 6, MADT (4 LAPIC: one disabled, one online
capable; one x2APIC; IOAPIC; 2 overrides; 2 NMI), HPET, MCFG.  The RSDT
names another MADT that must not be used.""",
            rsdp(2, RSDT_PA, XSDT_PA))
    f, m, h = qemu_fadt6(), madt(QEMU_MADT_ENTRIES), hpet()
    mc = mcfg([(0xB0000000, 0, 0, 255)])
    x, _ = standard(fx, m, f, h, extra=((MCFG_PA, mc),))
    fx.add(MADT2_PA, madt([e_lapic(0, 7, 1)]))
    fx.add(RSDT_PA, root(b"RSDT", [FADT_PA, MADT2_PA]))
    fx.exp("result ok", "oem BOCHS", "revision 2", "root XSDT 0x7fe1000",
           tline(x, XSDT_PA, 1), tline(f, FADT_PA, 1), tline(m, MADT_PA, 1),
           tline(h, HPET_PA, 1), tline(mc, MCFG_PA, 1),
           *QEMU_MADT_EXPECT, *QEMU_FADT6_EXPECT, *QEMU_HPET_EXPECT,
           "mcfg 0xb0000000 0 0 255", "warn_dropped 0")
    fx.save()

    fx = Fx(outdir, "rsdt-only", """
ACPI 1.0: RSDP revision 0 (20 bytes) -> RSDT -> FADT rev 3, MADT with two
CPUs; no HPET.  The FADT's X_PM_TMR_BLK is absent (zero).""",
            rsdp(0, RSDT_PA, oem=b"OEMID1"))
    f = fadt(3, pm_tmr_blk=0x4008, flags=QEMU_FLAGS | F_RESET_REG_SUP,
             reset=QEMU_RESET, reset_value=6)
    m = madt([e_lapic(0, 0, 1), e_lapic(1, 2, 1), e_ioapic(2, 0xFEC00000, 0),
              e_iso(0, 0, 2, 0)], rev=1)
    r, _ = standard(fx, m, f, root_sig=b"RSDT")
    fx.exp("result ok", "oem OEMID1", "revision 0", "root RSDT 0x7fe1100",
           tline(r, RSDT_PA, 1), tline(f, FADT_PA, 1), tline(m, MADT_PA, 1),
           "madt 0xfee00000 1 1", "cpu 0 0 1 0 0", "cpu 2 1 1 0 0",
           "ioapic 2 0xfec00000 0", "override 0 0 2 0",
           "fadt 3 244 %s 9 3 %s" % (hexs(QEMU_FLAGS | F_RESET_REG_SUP),
                                     hexs(DSDT_PA)),
           "pm_timer 1 32 0 3 0x4008 0", "reset 1 8 0 1 0xcf9 6",
           "hw_reduced 0", *NO_HPET)
    fx.save()


def rsdp_cases(outdir):
    fx = Fx(outdir, "rsdp-bad-checksum", "RSDP whose first 20 bytes sum "
            "to 0x5a: nothing is read", rsdp(2, RSDT_PA, XSDT_PA, csum1=0x5A))
    standard(fx, madt(QEMU_MADT_ENTRIES), qemu_fadt6())
    fx.exp("result error", "root none", *NO_MADT, *NO_FADT, *NO_HPET,
           "warn acpi: RSDP: bad checksum (sum 0x5a)")
    fx.save()

    fx = Fx(outdir, "rsdp-bad-ext-checksum", "RSDP 2.0 with a bad extended "
            "checksum: the XSDT is not trusted, the RSDT is used",
            rsdp(2, RSDT_PA, XSDT_PA, csum2=0x11))
    m = madt([e_lapic(0, 0, 1)])
    x, _ = standard(fx, madt(QEMU_MADT_ENTRIES))
    fx.add(MADT2_PA, m)
    r = fx.add(RSDT_PA, root(b"RSDT", [MADT2_PA]))
    fx.exp("result ok", "revision 2", "root RSDT 0x7fe1100",
           tline(r, RSDT_PA, 1), tline(m, MADT2_PA, 1),
           "madt 0xfee00000 1 5", "cpu 0 0 1 0 0", *NO_FADT, *NO_HPET,
           "warn acpi: RSDP: bad extended checksum (sum 0x11), XSDT ignored")
    fx.save()

    fx = Fx(outdir, "rsdp-rev2-short", "revision 2 RSDP but the boot path "
            "kept only 20 bytes: RSDT used",
            rsdp(2, RSDT_PA, XSDT_PA, short=True))
    m = madt([e_lapic(0, 0, 1)])
    r, _ = standard(fx, m, root_sig=b"RSDT")
    fx.exp("result ok", "root RSDT 0x7fe1100", "madt 0xfee00000 1 5",
           tline(r, RSDT_PA, 1), tline(m, MADT_PA, 1),
           "cpu 0 0 1 0 0", *NO_FADT, *NO_HPET,
           "warn acpi: RSDP: revision 2 but only 20 bytes, XSDT ignored")
    fx.save()


def root_cases(outdir):
    fx = Fx(outdir, "xsdt-unreadable", "the RSDP's XSDT address points at "
            "no memory: fall back to the RSDT",
            rsdp(2, RSDT_PA, UNREADABLE))
    m = madt([e_lapic(0, 0, 1), e_lapic(1, 1, 1)])
    r, _ = standard(fx, m, root_sig=b"RSDT")
    fx.exp("result ok", "root RSDT 0x7fe1100", tline(r, RSDT_PA, 1),
           tline(m, MADT_PA, 1), "madt 0xfee00000 1 5",
           "cpu 0 0 1 0 0", "cpu 1 1 1 0 0", *NO_FADT, *NO_HPET,
           "warn acpi: XSDT at 0xdead0000: unreadable, table skipped",
           "warn acpi: XSDT at 0xdead0000: unusable, using the RSDT at "
           "0x7fe1100")
    fx.save()

    fx = Fx(outdir, "no-root", "XSDT unreadable, RSDT address 0: error",
            rsdp(2, 0, UNREADABLE))
    fx.exp("result error", "revision 2", "root none", *NO_MADT, *NO_FADT,
           *NO_HPET,
           "warn acpi: XSDT at 0xdead0000: unreadable, table skipped",
           "warn acpi: RSDP: no usable RSDT or XSDT")
    fx.save()

    fx = Fx(outdir, "xsdt-entry-unreadable", "XSDT entries: FADT, a null "
            "pointer, an unreadable address, MADT, HPET",
            rsdp(2, RSDT_PA, XSDT_PA))
    f, m, h = qemu_fadt6(), madt(QEMU_MADT_ENTRIES), hpet()
    for pa, d in ((FADT_PA, f), (MADT_PA, m), (HPET_PA, h),
                  (DSDT_PA, dsdt())):
        fx.add(pa, d)
    x = fx.add(XSDT_PA, root(b"XSDT", [FADT_PA, 0, UNREADABLE, MADT_PA,
                                       HPET_PA]))
    fx.exp("result ok", "root XSDT 0x7fe1000", tline(x, XSDT_PA, 1),
           tline(f, FADT_PA, 1), tline(m, MADT_PA, 1), tline(h, HPET_PA, 1),
           *QEMU_MADT_EXPECT, *QEMU_FADT6_EXPECT, *QEMU_HPET_EXPECT,
           "warn acpi: XSDT at 0x7fe1000: entry 1 is a null address, "
           "skipped",
           "warn acpi: XSDT at 0x7fe1000: entry 2 at 0xdead0000 "
           "unreadable, skipped")
    fx.save()

    fx = Fx(outdir, "xsdt-huge-length", "XSDT length 0x7fffffff: skipped, "
            "RSDT used", rsdp(2, RSDT_PA, XSDT_PA))
    m = madt([e_lapic(0, 0, 1)])
    fx.add(MADT_PA, m)
    fx.add(XSDT_PA, sdt(b"XSDT", 1, struct.pack("<Q", MADT_PA),
                        length=0x7FFFFFFF))
    r = fx.add(RSDT_PA, root(b"RSDT", [MADT_PA]))
    fx.exp("result ok", "root RSDT 0x7fe1100", tline(r, RSDT_PA, 1),
           tline(m, MADT_PA, 1), "madt 0xfee00000 1 5", "cpu 0 0 1 0 0",
           *NO_FADT, *NO_HPET,
           "warn acpi: XSDT at 0x7fe1000: length 0x7fffffff implausibly "
           "large, table skipped",
           "warn acpi: XSDT at 0x7fe1000: unusable, using the RSDT at "
           "0x7fe1100")
    fx.save()

    fx = Fx(outdir, "rsdt-partial-entry", "RSDT whose length ends two bytes "
            "into a third entry", rsdp(0, RSDT_PA))
    m = madt([e_lapic(0, 0, 1)])
    fx.add(MADT_PA, m)
    r = fx.add(RSDT_PA, root(b"RSDT", [MADT_PA, 0], extra=b"\x00\x12"))
    fx.exp("result ok", "root RSDT 0x7fe1100", tline(r, RSDT_PA, 1),
           tline(m, MADT_PA, 1), "madt 0xfee00000 1 5", "cpu 0 0 1 0 0",
           *NO_FADT, *NO_HPET,
           "warn acpi: RSDT at 0x7fe1100: length 0x2e ends inside an "
           "entry, partial entry ignored",
           "warn acpi: RSDT at 0x7fe1100: entry 1 is a null address, "
           "skipped")
    fx.save()

    fx = Fx(outdir, "root-bad-signature", "RSDT address points at a FADT",
            rsdp(0, FADT_PA))
    fx.add(FADT_PA, fadt(1))
    fx.exp("result error", "root none", *NO_MADT, *NO_FADT, *NO_HPET,
           "warn acpi: RSDT at 0x7fe1200: bad signature \"FACP\", table "
           "skipped", "warn acpi: RSDP: no usable RSDT or XSDT")
    fx.save()

    # 20 null entries: 16 warnings kept, 4 counted.
    fx = Fx(outdir, "many-warnings", "XSDT with 20 null entries, then a "
            "MADT", rsdp(2, 0, XSDT_PA))
    m = fx.add(MADT_PA, madt([e_lapic(0, 0, 1)]))
    x = fx.add(XSDT_PA, root(b"XSDT", [0] * 20 + [MADT_PA]))
    fx.exp("result ok", "root XSDT 0x7fe1000", tline(x, XSDT_PA, 1),
           tline(m, MADT_PA, 1), "madt 0xfee00000 1 5", "cpu 0 0 1 0 0",
           *NO_FADT, *NO_HPET, "warn_dropped 4",
           *["warn acpi: XSDT at 0x7fe1000: entry %d is a null address, "
             "skipped" % i for i in range(16)])
    fx.save()


def table_cases(outdir):
    def with_bad_madt(name, comment, m, warns, madt_pa=MADT_PA):
        fx = Fx(outdir, name, comment, rsdp(2, RSDT_PA, XSDT_PA))
        f, h = qemu_fadt6(), hpet()
        fx.add(madt_pa, m)
        for pa, d in ((FADT_PA, f), (HPET_PA, h), (DSDT_PA, dsdt())):
            fx.add(pa, d)
        x = fx.add(XSDT_PA, root(b"XSDT", [FADT_PA, madt_pa, HPET_PA]))
        fx.exp("result ok", "root XSDT 0x7fe1000", tline(x, XSDT_PA, 1),
               tline(f, FADT_PA, 1), tline(m, madt_pa, 0),
               tline(h, HPET_PA, 1), *NO_MADT, *QEMU_FADT6_EXPECT,
               *QEMU_HPET_EXPECT, *["warn " + w for w in warns])
        fx.save()

    with_bad_madt("madt-bad-checksum", "MADT sums to 0x3c; FADT and HPET "
                  "still parsed", madt(QEMU_MADT_ENTRIES, bad_sum=0x3C),
                  ["acpi: MADT at 0x7ffe1234: bad checksum (sum 0x3c), "
                   "table skipped"], madt_pa=0x7FFE1234)
    m = madt(QEMU_MADT_ENTRIES)
    with_bad_madt("madt-truncated", "MADT's length says 0x40 bytes more "
                  "than the memory holding it", madt(QEMU_MADT_ENTRIES,
                                                    length=len(m) + 0x40),
                  ["acpi: MADT at 0x7fe1400: length 0x%x runs past "
                   "readable memory, table skipped" % (len(m) + 0x40)])
    with_bad_madt("madt-length-lt-header", "MADT length 20",
                  madt(QEMU_MADT_ENTRIES, length=20),
                  ["acpi: MADT at 0x7fe1400: length 0x14 shorter than its "
                   "header, table skipped"])
    with_bad_madt("madt-length-lt-fixed", "MADT length 40: header but no "
                  "local APIC address + flags",
                  sdt(b"APIC", 5, struct.pack("<I", 0xFEE00000)),
                  ["acpi: MADT at 0x7fe1400: length 0x28 too short for a "
                   "MADT (0x2c), table skipped"])
    fx = Fx(outdir, "hpet-huge-length", "HPET length 0xfffffff0: skipped",
            rsdp(2, RSDT_PA, XSDT_PA))
    h = hpet(length=0xFFFFFFF0)
    m, f = madt([e_lapic(0, 0, 1)]), qemu_fadt6()
    x, _ = standard(fx, m, f, h)
    fx.exp("result ok", "root XSDT 0x7fe1000", tline(x, XSDT_PA, 1),
           tline(f, FADT_PA, 1), tline(m, MADT_PA, 1),
           tline(h, HPET_PA, 0), "madt 0xfee00000 1 5", "cpu 0 0 1 0 0",
           *QEMU_FADT6_EXPECT, *NO_HPET,
           "warn acpi: HPET at 0x7fe1500: length 0xfffffff0 implausibly "
           "large, table skipped")
    fx.save()

    fx = Fx(outdir, "duplicate-madt", "XSDT names three MADTs: the first "
            "is corrupt, the second used, the third refused",
            rsdp(2, 0, XSDT_PA))
    bad = fx.add(MADT_PA, madt([e_lapic(0, 9, 1)], bad_sum=1))
    good = fx.add(MADT2_PA, madt([e_lapic(0, 0, 1), e_lapic(1, 1, 1)]))
    third = fx.add(MADT2_PA + 0x100, madt([e_lapic(0, 5, 1)]))
    x = fx.add(XSDT_PA, root(b"XSDT", [MADT_PA, MADT2_PA, MADT2_PA + 0x100]))
    fx.exp("result ok", "root XSDT 0x7fe1000", tline(x, XSDT_PA, 1),
           tline(bad, MADT_PA, 0), tline(good, MADT2_PA, 1),
           tline(third, MADT2_PA + 0x100, 0), "madt 0xfee00000 1 5",
           "cpu 0 0 1 0 0", "cpu 1 1 1 0 0", *NO_FADT, *NO_HPET,
           "warn acpi: MADT at 0x7fe1400: bad checksum (sum 0x1), table "
           "skipped",
           "warn acpi: MADT at 0x7fe1800: a MADT was already used, table "
           "skipped")
    fx.save()


def madt_cases(outdir):
    def one(name, comment, entries, expect, warns, tail=b"", **kw):
        fx = Fx(outdir, name, comment, rsdp(2, 0, XSDT_PA))
        m = fx.add(MADT_PA, madt(entries, **kw) if not tail else
                   sdt(b"APIC", 5, struct.pack("<II", 0xFEE00000, 1) +
                       b"".join(entries) + tail))
        x = fx.add(XSDT_PA, root(b"XSDT", [MADT_PA]))
        fx.exp("result ok", "root XSDT 0x7fe1000", tline(x, XSDT_PA, 1),
               tline(m, MADT_PA, 1), *expect, *NO_FADT, *NO_HPET,
               *["warn " + w for w in warns])
        fx.save()

    # entries start at offset 0x2c; each LAPIC entry is 8 bytes
    one("madt-entry-len0", "third MADT entry has length 0: walk stops, "
        "the two before it are kept",
        [e_lapic(0, 0, 1), e_lapic(1, 1, 1), b"\x00\x00" + bytes(6),
         e_lapic(3, 3, 1)],
        ["madt 0xfee00000 1 5", "cpu 0 0 1 0 0", "cpu 1 1 1 0 0"],
        ["acpi: MADT at 0x7fe1400: entry 2 (type 0, offset 0x3c): "
         "length 0, rest skipped"])
    one("madt-entry-len1", "second MADT entry has length 1",
        [e_lapic(0, 0, 1), b"\x01\x01" + bytes(10)],
        ["madt 0xfee00000 1 5", "cpu 0 0 1 0 0"],
        ["acpi: MADT at 0x7fe1400: entry 1 (type 1, offset 0x34): "
         "length 1, rest skipped"])
    one("madt-entry-past-end", "last MADT entry (x2APIC, length 16) has "
        "only 8 bytes left in the table",
        [e_lapic(0, 0, 1), e_ioapic(1, 0xFEC00000, 0)],
        ["madt 0xfee00000 1 5", "cpu 0 0 1 0 0", "ioapic 1 0xfec00000 0"],
        ["acpi: MADT at 0x7fe1400: entry 2 (type 9, offset 0x40): "
         "length 16 runs past the end (0x48), rest skipped"],
        tail=e_x2apic(7, 1, 7)[:8])
    one("madt-entry-header-past-end", "one byte after the last MADT entry",
        [e_lapic(0, 0, 1)], ["madt 0xfee00000 1 5", "cpu 0 0 1 0 0"],
        ["acpi: MADT at 0x7fe1400: entry 1 (type 9, offset 0x34): "
         "header runs past the end (0x35), rest skipped"], tail=b"\x09")
    one("madt-quirks", "type 5 LAPIC address override (after the CPUs), "
        "a short IOAPIC entry, a duplicate APIC id, an xAPIC id 0xff, an "
        "x2APIC id ~0, a skipped NMI-source entry and a GICC entry too "
        "short to read",
        [e_lapic(0, 0, 1), e_lapic(1, 1, 1),
         struct.pack("<BBBBI", 1, 8, 3, 0, 0xFEC00000),
         e_lapic(2, 1, 1), e_x2apic(1, 1, 9), e_lapic(3, 0xFF, 1),
         e_x2apic(0xFFFFFFFF, 1, 10), e_nmi_src(0, 0),
         bytes([0x0B, 4, 0, 0]), e_x2apic(0x200, 2, 11),
         e_lapic_addr(0xFEE10000), e_lapic_addr(0xFEE20000),
         e_ioapic(4, 0xFEC01000, 24)],
        ["madt 0xfee10000 0 5", "cpu 0 0 1 0 0", "cpu 1 1 1 0 0",
         "cpu 0x200 11 0 1 1", "ioapic 4 0xfec01000 24"],
        ["acpi: MADT at 0x7fe1400: entry 2 (type 1, offset 0x3c): "
         "length 8 too short (12), entry skipped",
         "acpi: MADT at 0x7fe1400: entry 3 (type 0, offset 0x44): "
         "APIC id 0x1 listed twice, entry skipped",
         "acpi: MADT at 0x7fe1400: entry 4 (type 9, offset 0x4c): "
         "APIC id 0x1 listed twice, entry skipped",
         "acpi: MADT at 0x7fe1400: entry 8 (type 11, offset 0x7c): "
         "length 4 too short (76), entry skipped"], flags=0)
    one("madt-nmi-bad-lint", "local APIC NMI entries naming LINT2 and "
        "LINT7 (a local APIC has LINT0 and LINT1 only)",
        [e_lapic(0, 0, 1), e_lapic_nmi(0xFF, 0, 1), e_lapic_nmi(0, 5, 2),
         e_x2apic_nmi(5, 4, 7)],
        ["madt 0xfee00000 1 5", "cpu 0 0 1 0 0", "nmi 0xffffffff 0 1 0"],
        ["acpi: MADT at 0x7fe1400: entry 2 (type 4, offset 0x3a): "
         "LINT# 2 is not 0 or 1, entry skipped",
         "acpi: MADT at 0x7fe1400: entry 3 (type 10, offset 0x40): "
         "LINT# 7 is not 0 or 1, entry skipped"])
    n = 300
    one("madt-300-cpus", "300 x2APIC CPUs: the first 256 are kept",
        [e_x2apic(i * 2, 1, i) for i in range(n)] +
        [e_ioapic(0, 0xFEC00000, 0)],
        ["madt 0xfee00000 1 5"] +
        ["cpu %d %d 1 0 1" % (i * 2, i) for i in range(256)] +
        ["ioapic 0 0xfec00000 0"],
        ["acpi: MADT at 0x7fe1400: more than 256 CPUs, the rest ignored"])


def fadt_cases(outdir):
    def one(name, comment, f, expect, warns=(), used=1):
        fx = Fx(outdir, name, comment, rsdp(2, 0, XSDT_PA))
        fx.add(FADT_PA, f)
        fx.add(DSDT_PA, dsdt())
        x = fx.add(XSDT_PA, root(b"XSDT", [FADT_PA]))
        fx.exp("result ok", "root XSDT 0x7fe1000", tline(x, XSDT_PA, 1),
               tline(f, FADT_PA, used), *NO_MADT, *expect, *NO_HPET,
               *["warn " + w for w in warns])
        fx.save()

    # ACPI 1.0 FADT (116 bytes) with RESET_REG_SUP set: the reset register
    # would lie past the table's end and must not be read.
    fl = QEMU_FLAGS | F_RESET_REG_SUP
    one("fadt-rev1", "FADT revision 1, 116 bytes, PM timer from PM_TMR_BLK "
        "(24-bit); RESET_REG_SUP set but no room for RESET_REG",
        fadt(1, pm_tmr_blk=0xB008, flags=fl),
        ["fadt 1 116 %s 9 0 %s" % (hexs(fl), hexs(DSDT_PA)),
         "pm_timer 1 32 0 3 0xb008 0", "reset none", "hw_reduced 0"],
        ["acpi: FADT at 0x7fe1200: RESET_REG_SUP set but length 0x74 has "
         "no reset register, reset ignored"])
    fl = QEMU_FLAGS | F_RESET_REG_SUP | F_TMR_VAL_EXT
    one("fadt-rev2", "FADT revision 2 (ACPI 1.0b): 129 bytes, reset "
        "register present, no X_ fields",
        fadt(2, pm_tmr_blk=0x808, flags=fl, reset=gas(IO, 8, 0, 0, 0x64),
             reset_value=0xFE),
        ["fadt 2 129 %s 9 3 %s" % (hexs(fl), hexs(DSDT_PA)),
         "pm_timer 1 32 0 3 0x808 1", "reset 1 8 0 0 0x64 0xfe",
         "hw_reduced 0"])
    one("fadt-xpm-memory", "FADT rev 5: X_PM_TMR_BLK in memory space wins "
        "over PM_TMR_BLK; X_DSDT above 4 GiB; reset in memory",
        fadt(5, pm_tmr_blk=0x808, flags=QEMU_FLAGS | F_RESET_REG_SUP,
             x_pm_tmr=gas(MEM, 32, 0, 3, 0xFED80008),
             reset=gas(MEM, 8, 0, 1, 0xFED80000), reset_value=1,
             x_dsdt=0x100000000),
        ["fadt 5 268 %s 9 3 0x100000000" % hexs(QEMU_FLAGS |
                                                  F_RESET_REG_SUP),
         "pm_timer 0 32 0 3 0xfed80008 0", "reset 0 8 0 1 0xfed80000 1",
         "hw_reduced 0"])
    one("fadt-reset-addr-zero", "FADT rev 4: RESET_REG_SUP but a zero reset "
        "address; X_PM_TMR_BLK zero so PM_TMR_BLK is used",
        fadt(4, pm_tmr_blk=0x408, flags=QEMU_FLAGS | F_RESET_REG_SUP,
             x_pm_tmr=gas(IO, 32, 0, 3, 0), reset=gas(IO, 8, 0, 1, 0),
             reset_value=6),
        ["fadt 4 244 %s 9 3 %s" % (hexs(QEMU_FLAGS | F_RESET_REG_SUP),
                                   hexs(DSDT_PA)),
         "pm_timer 1 32 0 3 0x408 0", "reset none", "hw_reduced 0"],
        ["acpi: FADT at 0x7fe1200: RESET_REG_SUP set but the reset "
         "register address is 0, reset ignored"])
    fl = F_HW_REDUCED | F_RESET_REG_SUP | F_TMR_VAL_EXT
    one("fadt-hw-reduced", "FADT rev 6, HW_REDUCED_ACPI: no PM timer even "
        "though PM_TMR_BLK is set",
        fadt(6, pm_tmr_blk=0x608, flags=fl, boot_arch=0,
             reset=gas(MEM, 8, 0, 1, 0xFE000000), reset_value=0x55),
        ["fadt 6 276 %s 9 0 %s" % (hexs(fl), hexs(DSDT_PA)),
         "pm_timer none", "reset 0 8 0 1 0xfe000000 0x55", "hw_reduced 1"])
    one("fadt-too-short", "FADT of 100 bytes: skipped",
        fadt(1, length=100),
        ["fadt none", "pm_timer none", "reset none", "hw_reduced 0"],
        ["acpi: FADT at 0x7fe1200: length 0x64 too short for a FADT "
         "(0x74), table skipped"], used=0)


def s5_cases(outdir):
    """A QEMU-like set whose DSDT holds a crafted _S5_ (or none); the
    expected SLP_TYP values and offsets are computed here from the AML
    grammar, independent of kernel/acpi/acpi_s5.c."""
    # AML before the _S5_ definition: Scope (\_SB) { } and a Name (_S3_)
    # that must not be mistaken for it.
    lead = b"\x10\x05\\_SB_" + b"\x08_S3_\x12\x04\x02\x01\x01"

    def one(name, comment, aml, s5, fadt_bytes=None, pm1=None,
            dsdt_bytes=None):
        fx = Fx(outdir, name, comment, rsdp(2, 0, XSDT_PA))
        f = fadt_bytes if fadt_bytes is not None else qemu_fadt6()
        fx.add(FADT_PA, f)
        d = fx.add(DSDT_PA, dsdt_bytes if dsdt_bytes is not None
                   else dsdt(aml))
        x = fx.add(XSDT_PA, root(b"XSDT", [FADT_PA]))
        fx.exp("result ok", "root XSDT 0x7fe1000", tline(x, XSDT_PA, 1),
               tline(f, FADT_PA, 1), *NO_MADT, *NO_HPET)
        if fadt_bytes is None:
            fx.exp(*QEMU_FADT6_EXPECT)
        fx.exp(*(pm1 or ["pm1a_cnt 1 16 0 2 0x604", "pm1b_cnt none"]))
        if isinstance(s5, tuple):   # (a, b, elements): found right after lead
            fx.exp("s5 found %d %d %d %s" % (s5 + (hexs(36 + len(lead)),)))
        else:
            fx.exp("s5 " + s5)
        del d
        fx.save()

    one("s5-byteprefix", "_S5_ = Package (4) { 0x07, 0x05, Zero, Zero } "
        "(BytePrefix values, as on many Intel boards); PM1b_CNT_BLK set",
        lead + name_s5([aml_int(7), aml_int(5), b"\0", b"\0"]), (7, 5, 4),
        fadt_bytes=fadt(6, flags=QEMU_FLAGS6, reset=QEMU_RESET,
                        reset_value=6, x_pm_tmr=gas(IO, 32, 0, 3, 0x608),
                        x_dsdt=DSDT_PA, pm1b_cnt=0x704),
        pm1=["fadt 6 276 %s 9 3 %s" % (hexs(QEMU_FLAGS6), hexs(DSDT_PA)),
             "pm_timer 1 32 0 3 0x608 1", "reset 1 8 0 1 0xcf9 6",
             "hw_reduced 0",
             "pm1a_cnt 1 16 0 2 0x604", "pm1b_cnt 1 16 0 2 0x704"])
    one("s5-zero-one", "_S5_ = Package (2) { One, Zero } (ZeroOp/OneOp "
        "values); X_PM1a_CNT_BLK in memory space wins over PM1a_CNT_BLK",
        lead + name_s5([b"\x01", b"\x00"]), (1, 0, 2),
        fadt_bytes=fadt(6, flags=QEMU_FLAGS6, reset=QEMU_RESET,
                        reset_value=6, x_pm_tmr=gas(IO, 32, 0, 3, 0x608),
                        x_dsdt=DSDT_PA,
                        x_pm1a_cnt=gas(MEM, 16, 0, 2, 0xFED80004)),
        pm1=["fadt 6 276 %s 9 3 %s" % (hexs(QEMU_FLAGS6), hexs(DSDT_PA)),
             "pm_timer 1 32 0 3 0x608 1", "reset 1 8 0 1 0xcf9 6",
             "hw_reduced 0",
             "pm1a_cnt 0 16 0 2 0xfed80004", "pm1b_cnt none"])
    one("s5-multibyte-pkglength", "_S5_ = Package (100) { 0x03, 0x02, "
        "Zero... }: 103 bytes of contents, a two-byte PkgLength",
        lead + name_s5([aml_int(3), aml_int(2)] + [b"\0"] * 98),
        (3, 2, 100))
    one("s5-root-prefix", "Name (\\_S5, Package (4) { 0x0006 (WordPrefix), "
        "0x00000004 (DWordPrefix), Zero, Zero })",
        lead + name_s5([b"\x0b\x06\x00", b"\x0c\x04\x00\x00\x00", b"\0",
                        b"\0"], prefix=b"\\"), (6, 4, 4))
    cut = lead + name_s5([aml_int(5), aml_int(5), b"\0", b"\0"])
    one("s5-truncated", "the DSDT ends inside the _S5_ package (its last "
        "three bytes cut off, the checksum fixed)", cut[:-3],
        "bad %s past the end" % hexs(36 + len(lead)))
    one("s5-not-integer", "_S5_'s first element is a name (SLPA), not an "
        "integer constant",
        lead + name_s5([b"SLPA", b"\0"]),
        "bad %s not an integer" % hexs(36 + len(lead)))
    one("s5-none", "a DSDT with no _S5_ at all (only _S3_): power-off must "
        "say so and halt", lead, "none")
    one("s5-dsdt-bad-checksum", "the DSDT's checksum is wrong: its AML is "
        "not trusted", None, "no-dsdt checksum",
        dsdt_bytes=dsdt(lead + name_s5([b"\0", b"\0"]), bad_sum=1))
    fl = F_HW_REDUCED | F_RESET_REG_SUP
    one("s5-hw-reduced", "HW_REDUCED_ACPI FADT rev 5: no PM1 blocks (even "
        "though PM1a_CNT_BLK is set), SLEEP_CONTROL_REG in memory; _S5_ = "
        "Package (4) { 0x05, Zero, Zero, Zero } (QEMU microvm's values)",
        lead + name_s5([aml_int(5), b"\0", b"\0", b"\0"]), (5, 0, 4),
        fadt_bytes=fadt(5, flags=fl, boot_arch=0,
                        reset=gas(MEM, 8, 0, 1, 0xFEA00202),
                        reset_value=0x42,
                        sleep_ctl=gas(MEM, 8, 0, 1, 0xFEA00200)),
        pm1=["fadt 5 268 %s 9 0 %s" % (hexs(fl), hexs(DSDT_PA)),
             "pm_timer none", "reset 0 8 0 1 0xfea00202 0x42",
             "hw_reduced 1", "pm1a_cnt none", "pm1b_cnt none",
             "sleep_ctl 0 8 0 1 0xfea00200"])
    one("s5-hw-reduced-short", "HW_REDUCED_ACPI FADT rev 3 (244 bytes): "
        "no room for SLEEP_CONTROL_REG, so no way to power off",
        lead + name_s5([aml_int(5), b"\0"]), (5, 0, 2),
        fadt_bytes=fadt(3, flags=F_HW_REDUCED, boot_arch=0,
                        sleep_ctl=gas(MEM, 8, 0, 1, 0xFEA00200)),
        pm1=["fadt 3 244 %s 9 0 %s" % (hexs(F_HW_REDUCED), hexs(DSDT_PA)),
             "pm_timer none", "reset none", "hw_reduced 1",
             "pm1a_cnt none", "pm1b_cnt none", "sleep_ctl none"])
    one("s5-no-fadt-pm1", "FADT revision 1 without PM1a_CNT_BLK: no PM1 "
        "control register to write even though _S5_ is sound",
        lead + name_s5([b"\0", b"\0"]), (0, 0, 2),
        fadt_bytes=fadt(1, pm_tmr_blk=0),
        pm1=["fadt 1 116 %s 9 0 %s" % (hexs(QEMU_FLAGS), hexs(DSDT_PA)),
             "pm_timer none", "reset none", "hw_reduced 0",
             "pm1a_cnt none", "pm1b_cnt none"])


def hpet_mcfg_cases(outdir):
    fx = Fx(outdir, "hpet-io-space", "HPET base in I/O space: ignored; "
            "MCFG with a partial entry and 5 windows",
            rsdp(2, 0, XSDT_PA))
    h = fx.add(HPET_PA, hpet(space=IO, addr=0x1000))
    mc = fx.add(MCFG_PA, mcfg([(0xB0000000 + i * 0x10000000, i, 0, 255)
                               for i in range(5)], extra=b"\0" * 4))
    x = fx.add(XSDT_PA, root(b"XSDT", [HPET_PA, MCFG_PA]))
    fx.exp("result ok", "root XSDT 0x7fe1000", tline(x, XSDT_PA, 1),
           tline(h, HPET_PA, 1), tline(mc, MCFG_PA, 1), *NO_MADT, *NO_FADT,
           *NO_HPET,
           *["mcfg 0x%x %d 0 255" % (0xB0000000 + i * 0x10000000, i)
             for i in range(4)],
           "warn acpi: HPET at 0x7fe1500: base address 0x1000 in io space, "
           "HPET ignored",
           "warn acpi: MCFG at 0x7fe1600: length 0x80 ends inside an entry, "
           "partial entry ignored",
           "warn acpi: MCFG at 0x7fe1600: more than 4 windows, the rest "
           "ignored")
    fx.save()


def arm_cases(outdir):
    gtdt_pa, spcr_pa = BASE + 0x1800, BASE + 0x1900
    fx = Fx(outdir, "arm-gic", """
An Arm server's tables, crafted: FADT rev 6 with ARM_BOOT_ARCH PSCI over SMC
(1); MADT with a GICv3 distributor, a second one (skipped), four GICC entries
(MPIDR 0; MPIDR 0x100 online-capable only; MPIDR 0 again, skipped; MPIDR
0x1_0000_0002 with the MT and U bits 24 and 30 set, which are not affinity),
two redistributor ranges and an ITS; a GTDT (physical timer PPI 30, virtual
27) and an SPCR naming an SBSA UART at 0x9000000.""", rsdp(2, 0, XSDT_PA))
    f = fx.add(FADT_PA, fadt(6, pm_tmr_blk=0, flags=1 << 20, sci=0, boot_arch=0,
                             arm_boot_arch=1, x_dsdt=DSDT_PA))
    m = fx.add(MADT_PA, madt([
        e_gicd(0x8000000, 3), e_gicd(0x9000000, 2),
        e_gicc(0, 0, 1, 0), e_gicc(1, 1, 8, 0x100),
        e_gicc(2, 2, 1, 0), e_gicc(3, 3, 1, 0x141000002, gicr_base=0x80e0000),
        e_gicr(0x80a0000, 0x40000), e_gicr(0x80e0000, 0x20000),
        e_its(0, 0x8080000)], lapic=0, flags=0, rev=4))
    g = fx.add(gtdt_pa, gtdt(30, 27))
    u = fx.add(spcr_pa, spcr(0x0E, MEM, 0x9000000))
    fx.add(DSDT_PA, dsdt())
    x = fx.add(XSDT_PA, root(b"XSDT", [FADT_PA, MADT_PA, gtdt_pa, spcr_pa]))
    fx.exp("result ok", "root XSDT 0x7fe1000", tline(x, XSDT_PA, 1),
           tline(f, FADT_PA, 1), tline(m, MADT_PA, 1), tline(g, gtdt_pa, 1),
           tline(u, spcr_pa, 1),
           "madt 0x0 0 4", "fadt 6 276 0x100000 0 0 %s" % hexs(DSDT_PA),
           "arm_boot_arch 1", "pm_timer none", "reset none", "hw_reduced 1",
           *NO_HPET, "gicd 0x8000000 3",
           "gicc 0x0 0 0 1 0 0x0 0x0", "gicc 0x100 1 1 0 1 0x0 0x0",
           "gicc 0x100000002 3 3 1 0 0x0 0x80e0000",
           "gicr 0x80a0000 0x40000", "gicr 0x80e0000 0x20000", "its 0x8080000",
           "gtdt 30 27", "spcr 14 0 0x9000000",
           "warn acpi: MADT at 0x7fe1400: entry 1 (type 12, offset 0x44): "
           "a second GIC distributor, entry skipped",
           "warn acpi: MADT at 0x7fe1400: entry 4 (type 11, offset 0xfc): "
           "MPIDR 0x0 listed twice, entry skipped")
    fx.save()

    fx = Fx(outdir, "arm-gtdt-short", "a GTDT cut at 60 bytes (before the "
            "virtual timer's GSIV) and no SPCR: the GTDT is skipped",
            rsdp(2, 0, XSDT_PA))
    g = fx.add(gtdt_pa, gtdt(30, 27, length=60))
    x = fx.add(XSDT_PA, root(b"XSDT", [gtdt_pa]))
    fx.exp("result ok", "root XSDT 0x7fe1000", tline(x, XSDT_PA, 1),
           tline(g, gtdt_pa, 0), *NO_MADT, *NO_FADT, *NO_HPET,
           "gtdt none", "spcr none",
           "warn acpi: GTDT at 0x7fe1800: length 0x3c too short for a GTDT "
           "(0x50), table skipped")
    fx.save()


def main(argv):
    if argv and argv[0] == "--record":
        rest = argv[1:]
        cut = rest.index("--") if "--" in rest else len(rest)
        args, qemu = rest[:cut], rest[cut + 1:]
        wait = float(os.environ.get("MKACPI_WAIT", "3"))
        outdir = args[1] if len(args) > 1 else default_outdir()
        record(args[0], outdir, qemu, wait)
        return 0
    if argv and argv[0].startswith("-"):
        print(__doc__)
        return 0
    outdir = argv[0] if argv else default_outdir()
    os.makedirs(outdir, exist_ok=True)
    valid_sets(outdir)
    rsdp_cases(outdir)
    root_cases(outdir)
    table_cases(outdir)
    madt_cases(outdir)
    fadt_cases(outdir)
    hpet_mcfg_cases(outdir)
    s5_cases(outdir)
    arm_cases(outdir)
    return 0


def default_outdir():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "tests", "fixtures")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""acpi_fixture.py - what tools/mkacpi.py builds its ACPI fixtures from.

Purpose: the pieces every crafted ACPI fixture is made of, kept apart from
the cases themselves (tools/mkacpi.py, which imports this module):
  - the tables, packed with struct.pack from the ACPI 6.4 specification
    (RSDP 5.2.5, header 5.2.6, XSDT/RSDT, MADT 5.2.12 and its entries,
    FADT 5.2.9 cut to each revision's length, HPET from the IA-PC HPET
    specification, MCFG from PCI firmware 3.0, a DSDT with the AML of a
    Name (_S5_, Package) from ACPI 20.2), independent of the C code they
    test;
  - the memory layout of a crafted image (where each table sits, at the
    addresses QEMU uses for a 128 MiB guest, and UNREADABLE, an address
    no region covers);
  - the TALLYFX1 writer (mem_fixture, format in tests/fixtures/README.md)
    and Fx, one fixture: its regions, its .expect lines, save();
  - the reference set most cases start from: QEMU q35's MADT, FADT
    revision 6 and HPET, with the .expect lines each yields (standard()
    lays them out behind a root table).

Data structures: a table is immutable bytes; Fx.regions is a list of
(physical address, bytes), one region per table; Fx.lines the .expect
text (format: tools/mkacpi.py's docstring).

Invariants: deterministic (no clock, no randomness): the same calls give
the same bytes.  Checksums are fixed after packing (fix), so a case that
wants a bad sum says which (bad_sum, csum1, csum2).

Context: stdlib only; imported by tools/mkacpi.py and
tools/acpi_record.py (tools/ is on sys.path: the scripts' folder).
"""
import os
import struct

FX_MAGIC = b"TALLYFX1"
KIND_ACPI = 3

RSDP_PA = 0xF5A40
BASE = 0x7FE0000          # where QEMU (128 MiB guest) puts its tables
DSDT_PA = BASE + 0x40
XSDT_PA = BASE + 0x1000
RSDT_PA = BASE + 0x1100
FADT_PA = BASE + 0x1200
MADT_PA = BASE + 0x1400
HPET_PA = BASE + 0x1500
MCFG_PA = BASE + 0x1600
MADT2_PA = BASE + 0x1700
UNREADABLE = 0xDEAD0000

IO, MEM = 1, 0


# ---------------------------------------------------------------- packing

def csum(b):
    return sum(b) & 0xFF


def fix(b, start, end, at, delta=0):
    """Set byte `at` so bytes[start:end] sum to `delta` mod 256."""
    b[at] = 0
    b[at] = (delta - sum(b[start:end])) & 0xFF


def rsdp(rev, rsdt, xsdt=0, oem=b"BOCHS ", short=False, csum1=0, csum2=0):
    b = bytearray(b"RSD PTR " + b"\0" + oem + struct.pack("<BI", rev, rsdt))
    if rev >= 2 and not short:
        b += struct.pack("<IQB3s", 36, xsdt, 0, b"\0\0\0")
    fix(b, 0, 20, 8, csum1)
    if len(b) == 36:
        fix(b, 0, 36, 32, csum2)
    return bytes(b)


def sdt(sig, rev, body, length=None, bad_sum=0, oem=b"BOCHS "):
    """An ACPI table: header + body; length overrides the header's length
    field (the bytes stay as built); bad_sum makes the sum that value."""
    b = bytearray(sig + struct.pack("<IBB", 0, rev, 0) + oem + b"BXPC    " +
                  struct.pack("<I4sI", 1, b"BXPC", 1)) + body
    struct.pack_into("<I", b, 4, len(b) if length is None else length)
    fix(b, 0, len(b), 9, bad_sum)
    return bytes(b)


def root(sig, addrs, extra=b""):
    fmt = "<Q" if sig == b"XSDT" else "<I"
    return sdt(sig, 1, b"".join(struct.pack(fmt, a) for a in addrs) + extra)


def gas(space, width, offset, access, addr):
    return struct.pack("<BBBBQ", space, width, offset, access, addr)


# MADT entries (type, length, body)
def e_lapic(uid, apic_id, flags):
    return struct.pack("<BBBBI", 0, 8, uid, apic_id, flags)


def e_ioapic(ioapic_id, addr, gsi):
    return struct.pack("<BBBBII", 1, 12, ioapic_id, 0, addr, gsi)


def e_iso(bus, src, gsi, flags):
    return struct.pack("<BBBBIH", 2, 10, bus, src, gsi, flags)


def e_nmi_src(flags, gsi):
    return struct.pack("<BBHI", 3, 8, flags, gsi)


def e_lapic_nmi(uid, flags, lint):
    return struct.pack("<BBBHB", 4, 6, uid, flags, lint)


def e_lapic_addr(addr):
    return struct.pack("<BBHQ", 5, 12, 0, addr)


def e_x2apic(apic_id, flags, uid):
    return struct.pack("<BBHIII", 9, 16, 0, apic_id, flags, uid)


def e_x2apic_nmi(flags, uid, lint):
    return struct.pack("<BBHIB3s", 10, 12, flags, uid, lint, b"\0\0\0")


# Arm MADT entries (ACPI 6.5, 5.2.12.14-18) and tables (GTDT 5.2.25,
# SPCR revision 2).
def e_gicc(iface, uid, flags, mpidr, gicc_base=0, gicr_base=0):
    b = bytearray(80)
    struct.pack_into("<BBHIII", b, 0, 0x0B, 80, 0, iface, uid, flags)
    struct.pack_into("<Q", b, 32, gicc_base)
    struct.pack_into("<Q", b, 60, gicr_base)
    struct.pack_into("<Q", b, 68, mpidr)
    return bytes(b)


def e_gicd(base, version):
    return struct.pack("<BBHIQIB3s", 0x0C, 24, 0, 0, base, 0, version, bytes(3))


def e_gicr(base, length):
    return struct.pack("<BBHQI", 0x0E, 16, 0, base, length)


def e_its(its_id, base):
    return struct.pack("<BBHIQI", 0x0F, 20, 0, its_id, base, 0)


def gtdt(phys_gsiv, virt_gsiv, length=96, **kw):
    b = bytearray(96 - 36)
    struct.pack_into("<IIIIIIII", b, 48 - 36, 29, 0, phys_gsiv, 0, virt_gsiv, 0, 26, 0)
    struct.pack_into("<Q", b, 80 - 36, 0xFFFFFFFFFFFFFFFF)   # CntReadBase: none
    return sdt(b"GTDT", 2, bytes(b[:length - 36]), **kw)


def spcr(itype, space, addr, **kw):
    b = bytearray(80 - 36)
    b[0] = itype
    b[4:16] = gas(space, 8, 0, 1, addr)
    return sdt(b"SPCR", 2, bytes(b), **kw)


def madt(entries, lapic=0xFEE00000, flags=1, rev=5, **kw):
    return sdt(b"APIC", rev, struct.pack("<II", lapic, flags) +
               b"".join(entries), **kw)


FADT_LEN = {1: 116, 2: 129, 3: 244, 4: 244, 5: 268, 6: 276}
F_WBINVD, F_PROC_C1, F_SLP_BUTTON, F_RTC_S4 = 1, 1 << 2, 1 << 5, 1 << 7
F_TMR_VAL_EXT, F_RESET_REG_SUP, F_PLATFORM_CLOCK = 1 << 8, 1 << 10, 1 << 15
F_HW_REDUCED = 1 << 20
QEMU_FLAGS = F_WBINVD | F_PROC_C1 | F_SLP_BUTTON | F_RTC_S4 | F_PLATFORM_CLOCK


def fadt(rev, pm_tmr_blk=0x608, flags=QEMU_FLAGS, sci=9, boot_arch=3,
         reset=None, reset_value=0, x_pm_tmr=None, dsdt=DSDT_PA,
         x_dsdt=None, length=None, pm1b_cnt=0, x_pm1a_cnt=None,
         x_pm1b_cnt=None, sleep_ctl=None, arm_boot_arch=0, **kw):
    """A FADT of the given revision, its body cut to that revision's size."""
    n = FADT_LEN[rev] if length is None else length
    b = bytearray(FADT_LEN[6] - 36)

    def put(fmt, off, *v):
        struct.pack_into(fmt, b, off - 36, *v)
    put("<I", 40, dsdt)
    put("<H", 46, sci)
    put("<I", 48, 0xB2)                  # SMI_CMD
    put("<BB", 52, 0xF1, 0xF0)           # ACPI_ENABLE / DISABLE
    put("<I", 56, pm_tmr_blk - 8 if pm_tmr_blk else 0)   # PM1a_EVT_BLK
    put("<I", 64, pm_tmr_blk - 4 if pm_tmr_blk else 0)   # PM1a_CNT_BLK
    put("<I", 68, pm1b_cnt)                              # PM1b_CNT_BLK
    put("<I", 76, pm_tmr_blk)
    put("<BBBB", 88, 4, 2, 0, 4 if pm_tmr_blk else 0)    # PM*_LEN
    put("<H", 109, boot_arch if rev >= 2 else 0)
    put("<I", 112, flags)
    if reset is not None:
        put("<12sB", 116, reset, reset_value)
    put("<H", 129, arm_boot_arch)         # ARM_BOOT_ARCH (5.1+)
    put("<B", 131, 1 if rev >= 5 else 0)  # FADT minor version
    if x_dsdt is not None:
        put("<Q", 140, x_dsdt)
    if x_pm1a_cnt is not None:
        put("<12s", 172, x_pm1a_cnt)
    if x_pm1b_cnt is not None:
        put("<12s", 184, x_pm1b_cnt)
    if x_pm_tmr is not None:
        put("<12s", 208, x_pm_tmr)
    if sleep_ctl is not None:
        put("<12s", 244, sleep_ctl)
    return sdt(b"FACP", rev, bytes(b[:n - 36]), **kw)


def hpet(addr=0xFED00000, space=MEM, number=0, min_tick=0x80,
         block_id=0x8086A201, **kw):
    return sdt(b"HPET", 1, struct.pack("<I12sBHB", block_id,
                                       gas(space, 64, 0, 0, addr), number,
                                       min_tick, 0), **kw)


def mcfg(windows, extra=b"", **kw):
    return sdt(b"MCFG", 1, bytes(8) + b"".join(
        struct.pack("<QHBBI", base, seg, b0, b1, 0)
        for base, seg, b0, b1 in windows) + extra, **kw)


def dsdt(aml=b"\x10\x05\\_SB_", **kw):
    """A DSDT; by default one empty scope (no _S5_)."""
    return sdt(b"DSDT", 1, aml, **kw)


def pkglength(n):
    """AML PkgLength for a package whose contents after the PkgLength are
    n bytes (the encoded length counts the PkgLength bytes too)."""
    if n + 1 <= 0x3F:
        return bytes([n + 1])
    for follow in (1, 2, 3):
        total = n + 1 + follow
        if total < 1 << (4 + 8 * follow):
            return bytes([follow << 6 | (total & 0xF)] +
                         [(total >> (4 + 8 * i)) & 0xFF
                          for i in range(follow)])
    raise ValueError("package too long")


def aml_int(v):
    """The shortest AML integer constant for v."""
    if v in (0, 1):
        return bytes([v])
    if v <= 0xFF:
        return b"\x0a" + bytes([v])
    if v <= 0xFFFF:
        return b"\x0b" + struct.pack("<H", v)
    return b"\x0c" + struct.pack("<I", v)


def name_s5(elements, prefix=b""):
    """Name (<prefix>_S5_, Package () { elements... }): elements are
    encoded integers (bytes)."""
    body = bytes([len(elements)]) + b"".join(elements)
    return b"\x08" + prefix + b"_S5_" + b"\x12" + pkglength(len(body)) + body


# ---------------------------------------------------------------- fixtures

def mem_fixture(arg, regions):
    regions = sorted(regions, key=lambda r: r[0])
    out = FX_MAGIC + struct.pack("<IIQ", KIND_ACPI, len(regions), arg)
    for base, data in regions:
        out += struct.pack("<QQ", base, len(data))
    for _, data in regions:
        out += bytes(data)
    return out


def hexs(v):
    return "0x%x" % v


def tline(data, pa, used):
    sig = data[:4].decode("ascii", "replace")
    return "table %s %s %d %d" % (sig, hexs(pa), struct.unpack_from(
        "<I", data, 4)[0], used)


class Fx:
    """One fixture: regions and the expected result, written by save()."""

    def __init__(self, outdir, name, comment, rsdp_bytes, rsdp_pa=RSDP_PA):
        self.outdir, self.name = outdir, name
        self.arg = rsdp_pa
        self.regions = [(rsdp_pa, rsdp_bytes)]
        self.lines = ["# " + c for c in comment.strip().split("\n")]

    def add(self, pa, data):
        self.regions.append((pa, data))
        return data

    def exp(self, *lines):
        self.lines.extend(lines)

    def save(self):
        stem = os.path.join(self.outdir, "acpi-" + self.name)
        with open(stem + ".bin", "wb") as f:
            f.write(mem_fixture(self.arg, self.regions))
        with open(stem + ".expect", "w") as f:
            f.write("\n".join(self.lines) + "\n")


NO_FADT = ["fadt none", "pm_timer none", "reset none", "hw_reduced 0"]
NO_HPET = ["hpet none"]
NO_MADT = ["madt none"]

QEMU_MADT_ENTRIES = [
    e_lapic(0, 0, 1), e_lapic(1, 1, 1), e_lapic(2, 2, 0), e_lapic(3, 3, 2),
    e_x2apic(0x100, 1, 4),
    e_ioapic(0, 0xFEC00000, 0),
    e_iso(0, 0, 2, 0), e_iso(0, 9, 9, 0xD),
    e_lapic_nmi(0xFF, 0, 1), e_x2apic_nmi(5, 4, 0),
]
QEMU_MADT_EXPECT = [
    "madt 0xfee00000 1 5",
    "cpu 0 0 1 0 0", "cpu 1 1 1 0 0", "cpu 2 2 0 0 0", "cpu 3 3 0 1 0",
    "cpu 0x100 4 1 0 1",
    "ioapic 0 0xfec00000 0",
    "override 0 0 2 0", "override 0 9 9 0xd",
    "nmi 0xffffffff 0 1 0", "nmi 4 5 0 1",
]
QEMU_RESET = gas(IO, 8, 0, 1, 0xCF9)
QEMU_FLAGS6 = QEMU_FLAGS | F_TMR_VAL_EXT | F_RESET_REG_SUP


def qemu_fadt6(**kw):
    return fadt(6, flags=QEMU_FLAGS6, reset=QEMU_RESET, reset_value=6,
                x_pm_tmr=gas(IO, 32, 0, 3, 0x608), x_dsdt=DSDT_PA, **kw)


QEMU_FADT6_EXPECT = [
    "fadt 6 276 %s 9 3 %s" % (hexs(QEMU_FLAGS6), hexs(DSDT_PA)),
    "pm_timer 1 32 0 3 0x608 1",
    "reset 1 8 0 1 0xcf9 6",
    "hw_reduced 0",
]
QEMU_HPET_EXPECT = ["hpet 0xfed00000 0x80 0 0x8086a201"]


def standard(fx, madt_bytes=None, fadt_bytes=None, hpet_bytes=None,
             extra=(), root_sig=b"XSDT", root_pa=None):
    """Lay out the usual tables; returns the root's entry addresses."""
    addrs = []
    for pa, data in ((FADT_PA, fadt_bytes), (MADT_PA, madt_bytes),
                     (HPET_PA, hpet_bytes)) + tuple(extra):
        if data is not None:
            fx.add(pa, data)
            addrs.append(pa)
    fx.add(DSDT_PA, dsdt())
    r = root(root_sig, addrs)
    if root_pa is None:
        root_pa = XSDT_PA if root_sig == b"XSDT" else RSDT_PA
    fx.add(root_pa, r)
    return r, root_pa


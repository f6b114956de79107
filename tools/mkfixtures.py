#!/usr/bin/env python3
"""mkfixtures.py - generate the crafted boot fixtures in tests/fixtures/.

Purpose: the host tests of the boot parsers (PVH, multiboot2, ELF) run on
recorded or crafted images of what a boot loader leaves in memory.  This
script writes the crafted ones, each with a .expect file stating the result
the parser must produce.  The format of both is documented in
tests/fixtures/README.md; tests/host/fixture.c reads them.

Data structures: a memory fixture is a list of (physical base, bytes)
regions plus the physical address handed to the parser; an ELF fixture is a
plain ELF file.  Every structure is packed with struct.pack from its
specification (Xen's hvm_start_info, Multiboot2 tags, ACPI RSDP, UEFI memory
descriptors), independent of the C code it tests.

Invariants: output is deterministic: running the script twice gives the
same bytes.  The one compiled input, elf-valid.elf, is built with clang and
ld.lld only when it does not exist yet (or with --rebuild-elf); every other
ELF fixture is derived from it by patching bytes.

Usage: python3 tools/mkfixtures.py [--rebuild-elf] [outdir]
"""
import os
import struct
import subprocess
import sys
import tempfile

FX_MAGIC = b"TALLYFX1"
KIND_PVH = 1
KIND_MB2 = 2

E820_RAM, E820_RES, E820_ACPI, E820_NVS, E820_BAD = 1, 2, 3, 4, 5
# enum boot_mem_type
B_USABLE, B_RES, B_ACPI, B_NVS, B_BAD, B_BOOT = 1, 2, 3, 4, 5, 6


# ---------------------------------------------------------------- helpers

def mem_fixture(kind, arg, regions):
    """Serialise a memory fixture: header, region table, region bytes."""
    regions = sorted(regions, key=lambda r: r[0])
    out = FX_MAGIC + struct.pack("<IIQ", kind, len(regions), arg)
    for base, data in regions:
        out += struct.pack("<QQ", base, len(data))
    for _, data in regions:
        out += bytes(data)
    return out


def write(outdir, name, data, expect):
    with open(os.path.join(outdir, name), "wb") as f:
        f.write(data)
    stem = name.rsplit(".", 1)[0]
    with open(os.path.join(outdir, stem + ".expect"), "w") as f:
        f.write(expect.strip("\n") + "\n")


def csum_fix(b, start, end, at):
    """Set byte `at` so that bytes[start:end] sum to 0 mod 256."""
    b[at] = 0
    b[at] = (-sum(b[start:end])) & 0xFF


def rsdp(rev, oem, rsdt, xsdt=0):
    b = bytearray(b"RSD PTR " + b"\0" + oem.encode().ljust(6)[:6] +
                  struct.pack("<BI", rev, rsdt))
    if rev >= 2:
        b += struct.pack("<IQB3s", 36, xsdt, 0, b"\0\0\0")
    csum_fix(b, 0, 20, 8)
    if rev >= 2:
        csum_fix(b, 0, 36, 32)
    return bytes(b)


def cstr(s):
    return s.encode() + b"\0"


def mmap_lines(entries):
    return "\n".join("mmap 0x%x 0x%x %d" % e for e in entries)


# -------------------------------------------------------------------- PVH

# SeaBIOS' e820 for `qemu-system-x86_64 -M q35 -m 128M`.
Q35_E820 = [
    (0x0, 0x9fc00, E820_RAM),
    (0x9fc00, 0x400, E820_RES),
    (0xf0000, 0x10000, E820_RES),
    (0x100000, 0x7ee0000, E820_RAM),
    (0x7fe0000, 0x20000, E820_RES),
    (0xb0000000, 0x10000000, E820_RES),
    (0xfed1c000, 0x4000, E820_RES),
    (0xfeffc000, 0x4000, E820_RES),
    (0xfffc0000, 0x40000, E820_RES),
]


def start_info(version, cmdline_pa, rsdp_pa, memmap_pa, nmemmap,
               magic=0x336ec578):
    b = struct.pack("<IIIIQQQ", magic, version, 0, 0, 0, cmdline_pa, rsdp_pa)
    if version >= 1:
        b += struct.pack("<QII", memmap_pa, nmemmap, 0)
    return b


def e820_table(entries):
    return b"".join(struct.pack("<QQII", a, s, t, 0) for a, s, t in entries)


def pvh_fixtures(outdir):
    si_pa, cmd_pa, rsdp_pa = 0x6000, 0x20000, 0xf5a40
    cmd = "serial=com1 test=all -- hello \"big world\""
    bios = bytearray(0x1000)          # 0xf5000..0xf6000 of the BIOS area
    r = rsdp(0, "BOCHS ", 0x7fe2390)
    bios[0xa40:0xa40 + len(r)] = r
    si = start_info(1, cmd_pa, rsdp_pa, si_pa + 56, len(Q35_E820))
    regions = [(si_pa, si + e820_table(Q35_E820)),
               (cmd_pa, cstr(cmd)), (0xf5000, bios)]
    expect_map = [(a, s, {1: 1, 2: 2}[t]) for a, s, t in Q35_E820]
    write(outdir, "pvh-valid.bin", mem_fixture(KIND_PVH, si_pa, regions), """
# qemu -M q35 -m 128M -kernel, SeaBIOS-style ACPI 1.0 RSDP, 9 e820 entries
result ok
loader pvh
cmdline %s
rsdp_len 20
rsdp_addr 0x%x
%s
""" % (cmd, rsdp_pa, mmap_lines(expect_map)))

    # ACPI 2.0 RSDP, every e820 type (unknown 7 becomes reserved), no cmdline.
    e = [(0x0, 0x9f000, E820_RAM), (0x100000, 0x3ff00000, E820_RAM),
         (0x3ff00000, 0x80000, E820_ACPI), (0x3ff80000, 0x40000, E820_NVS),
         (0x3ffc0000, 0x20000, E820_BAD), (0x3ffe0000, 0x20000, 7)]
    r2 = rsdp(2, "OVMF  ", 0x3ff7e074, 0x3ff7e0e8)
    si = start_info(1, 0, 0x3ff7f014, 0x9000, len(e))
    regions = [(0x8000, si), (0x9000, e820_table(e)),
               (0x3ff7f000, bytes(0x14) + r2)]
    write(outdir, "pvh-acpi2.bin", mem_fixture(KIND_PVH, 0x8000, regions), """
# ACPI 2.0 RSDP (36 bytes), all e820 types, no command line
result ok
loader pvh
cmdline
rsdp_len 36
rsdp_addr 0x3ff7f014
mmap 0x0 0x9f000 1
mmap 0x100000 0x3ff00000 1
mmap 0x3ff00000 0x80000 3
mmap 0x3ff80000 0x40000 4
mmap 0x3ffc0000 0x20000 5
mmap 0x3ffe0000 0x20000 2
""")

    si = start_info(1, cmd_pa, rsdp_pa, si_pa + 56, len(Q35_E820),
                    magic=0x1badb002)
    regions = [(si_pa, si + e820_table(Q35_E820)), (cmd_pa, cstr(cmd))]
    write(outdir, "pvh-bad-magic.bin",
          mem_fixture(KIND_PVH, si_pa, regions), """
# a multiboot1 magic where hvm_start_info's belongs
result error bad magic 0x1badb002
""")

    si = start_info(1, cmd_pa, 0, 0x80000000, len(Q35_E820))
    regions = [(si_pa, si), (cmd_pa, cstr(cmd)),
               (0x7ffff000, e820_table(Q35_E820))]
    write(outdir, "pvh-memmap-outside.bin",
          mem_fixture(KIND_PVH, si_pa, regions), """
# memmap_paddr points past the end of the recorded memory
result error memory map at 0x80000000
""")

    si = start_info(0, cmd_pa, rsdp_pa, 0, 0)
    write(outdir, "pvh-version0.bin",
          mem_fixture(KIND_PVH, si_pa, [(si_pa, si), (cmd_pa, cstr(cmd))]),
          """
# version 0 start_info carries no memory map
result error version 0
""")


# -------------------------------------------------------------------- MB2

def tag(t, payload):
    b = struct.pack("<II", t, 8 + len(payload)) + payload
    return b + bytes((-len(b)) & 7)


def mbi(tags, total=None):
    body = b"".join(tags) + tag(0, b"")
    if total is None:
        total = 8 + len(body)
    return struct.pack("<II", total, 0) + body


def mb2_mmap_tag(entries, entry_size=24):
    pay = struct.pack("<II", entry_size, 0)
    for a, s, t in entries:
        e = struct.pack("<QQII", a, s, t, 0)
        pay += e + bytes(entry_size - len(e))
    return tag(6, pay)


def fb_tag(addr, w, h, bpp, rgb, fbtype=1):
    pay = struct.pack("<QIIIBBH", addr, w * bpp // 8, w, h, bpp, fbtype, 0)
    if fbtype == 1:
        pay += struct.pack("<6B", *rgb) + b"\0\0"
    return tag(8, pay)


GRUB = "GRUB 2.06-13+deb12u1"


def mb2_fixtures(outdir):
    base = 0x10000
    r1 = rsdp(0, "BOCHS ", 0x7fe2390)
    r2 = rsdp(2, "BOCHS ", 0x7fe2390, 0x7fe2400)
    cmd = "serial=com2 loglevel=3 -- run"
    tags = [
        tag(1, cstr(cmd)),
        tag(2, cstr(GRUB)),
        tag(4, struct.pack("<II", 639, 130944)),        # basic meminfo
        tag(5, struct.pack("<III", 0xe0, 0xffffffff, 0xffffffff)),
        mb2_mmap_tag(Q35_E820),
        fb_tag(0xfd000000, 1024, 768, 32, (16, 8, 8, 8, 0, 8)),
        tag(9, struct.pack("<HHHH", 7, 64, 6, 0) + bytes(7 * 64)),
        tag(10, bytes(20)),                              # APM
        tag(14, r1),
        tag(15, r2),
    ]
    expect_map = [(a, s, t) for a, s, t in Q35_E820]
    write(outdir, "mb2-valid.bin",
          mem_fixture(KIND_MB2, base, [(base, mbi(tags))]), """
# GRUB 2.06 under SeaBIOS: every tag GRUB emits, old and new ACPI tags
result ok
loader multiboot2 (%s)
cmdline %s
rsdp_len 36
rsdp_addr 0x0
fb 0xfd000000 1024 768 4096 32 16 8 8 8 0 8
%s
""" % (GRUB, cmd, mmap_lines(expect_map)))

    # mmap tag whose size ends in the middle of its third entry
    bad = bytearray(mb2_mmap_tag(Q35_E820[:3]))
    struct.pack_into("<I", bad, 4, 16 + 2 * 24 + 10)
    tags = [tag(1, cstr(cmd)), bytes(bad)]
    write(outdir, "mb2-truncated-tag.bin",
          mem_fixture(KIND_MB2, base, [(base, mbi(tags))]), """
# mmap tag size 90: 16 header bytes + 74, not a multiple of entry_size 24
result error not a multiple of entry_size
""")

    # framebuffer tag whose size runs past total_size
    fb = bytearray(fb_tag(0xfd000000, 800, 600, 32, (16, 8, 8, 8, 0, 8)))
    struct.pack_into("<I", fb, 4, 0x400)
    blob = mbi([tag(1, cstr(cmd)), bytes(fb)])
    write(outdir, "mb2-tag-past-end.bin",
          mem_fixture(KIND_MB2, base, [(base, blob)]), """
# framebuffer tag claims 1024 bytes inside a %d-byte structure
result error runs past total_size
""" % len(blob))

    # UEFI (OVMF) style: EFI memory map only, GOP framebuffer, ACPI 2.0
    efi = [  # (type, start, pages)
        (3, 0x0, 1),              # BootServicesCode
        (7, 0x1000, 0x9f),        # Conventional
        (2, 0x100000, 0x700),     # LoaderData
        (7, 0x800000, 0x8),       # Conventional
        (10, 0x808000, 0x8),      # ACPI NVS
        (7, 0x810000, 0x7ae0),    # Conventional
        (4, 0x82f0000, 0x20),     # BootServicesData
        (1, 0x8310000, 0x10),     # LoaderCode
        (9, 0x8320000, 0x4),      # ACPI reclaim
        (5, 0x8324000, 0x100),    # RuntimeServicesCode
        (6, 0x8424000, 0x100),    # RuntimeServicesData
        (8, 0x8524000, 0x1),      # Unusable
        (0, 0x8525000, 0x4),      # Reserved
        (11, 0xffc00000, 0x400),  # MMIO
        (14, 0x100000000, 0x10),  # Persistent memory -> reserved
    ]
    conv = {0: B_RES, 1: B_BOOT, 2: B_BOOT, 3: B_BOOT, 4: B_BOOT, 5: B_RES,
            6: B_RES, 7: B_USABLE, 8: B_BAD, 9: B_ACPI, 10: B_NVS,
            11: B_RES, 14: B_RES}
    desc_size = 48
    pay = struct.pack("<II", desc_size, 1)
    for t, start, pages in efi:
        d = struct.pack("<IIQQQQ", t, 0, start, 0, pages, 0xf)
        pay += d + bytes(desc_size - len(d))
    tags = [tag(1, cstr("")), tag(2, cstr(GRUB)),
            tag(12, struct.pack("<Q", 0x3fbee018)),     # EFI64 system table
            tag(17, pay),
            fb_tag(0x80000000, 1280, 800, 32, (16, 8, 8, 8, 0, 8)),
            tag(15, r2), tag(18, b"")]                  # EFI BS not exited
    expect_map = []
    for t, start, pages in efi:
        typ, ln = conv[t], pages * 4096
        if expect_map and expect_map[-1][2] == typ and \
           expect_map[-1][0] + expect_map[-1][1] == start:
            a, s, _ = expect_map[-1]
            expect_map[-1] = (a, s + ln, typ)
        else:
            expect_map.append((start, ln, typ))
    write(outdir, "mb2-efi-mmap-only.bin",
          mem_fixture(KIND_MB2, 0x7fb4000, [(0x7fb4000, mbi(tags))]), """
# GRUB on OVMF: EFI memory map tag (17) only, 48-byte descriptors
result ok
loader multiboot2 (%s)
cmdline
rsdp_len 36
fb 0x80000000 1280 800 5120 32 16 8 8 8 0 8
%s
""" % (GRUB, mmap_lines(expect_map)))

    blob = bytearray(mbi([tag(1, cstr(cmd)), mb2_mmap_tag(Q35_E820)]))
    blob = blob[:-8]                                   # drop the end tag
    struct.pack_into("<I", blob, 0, len(blob))
    write(outdir, "mb2-no-end-tag.bin",
          mem_fixture(KIND_MB2, base, [(base, bytes(blob))]), """
result error no end tag
""")

    blob = mbi([tag(1, cstr(cmd))], total=0x7fffffff)
    write(outdir, "mb2-huge-total.bin",
          mem_fixture(KIND_MB2, base, [(base, blob)]), """
result error total_size 2147483647
""")

    blob = mbi([tag(1, cstr(cmd)), tag(2, cstr(GRUB))])
    write(outdir, "mb2-no-mmap.bin",
          mem_fixture(KIND_MB2, base, [(base, blob)]), """
result error no memory map
""")


# -------------------------------------------------------------------- ELF

TINY_C = r"""
static volatile unsigned long counter = 5;
static unsigned long scratch[512];
static const char msg[] = "tally fixture";
void _start(void)
{
	for (;;) {
		scratch[counter & 511] += (unsigned long)msg[counter % sizeof msg];
		counter++;
	}
}
"""


def build_elves(outdir):
    """Link the tiny program twice: as a loadable image (header segment
    moved below 0x200000) and with plain -Ttext 0x200000, where ld.lld puts
    the read-only header segment and .text both at 0x200000."""
    with tempfile.TemporaryDirectory() as tmp:
        src, obj = os.path.join(tmp, "tiny.c"), os.path.join(tmp, "tiny.o")
        with open(src, "w") as f:
            f.write(TINY_C)
        subprocess.check_call(["clang", "--target=x86_64-unknown-elf",
                               "-ffreestanding", "-fno-pic", "-O2", "-c",
                               src, "-o", obj])
        link = ["ld.lld", "-static", "-Ttext", "0x200000", "-e", "_start",
                "-z", "max-page-size=4096", "-z", "norelro",
                "--build-id=none", "-s", obj]
        subprocess.check_call(link + ["--image-base=0x1ff000", "-o",
                                      os.path.join(outdir, "elf-valid.elf")])
        subprocess.check_call(link + ["-o", os.path.join(
            outdir, "elf-overlap-lld.elf")])


def phdrs(b):
    phoff, = struct.unpack_from("<Q", b, 32)
    phentsize, phnum = struct.unpack_from("<HH", b, 54)
    out = []
    for i in range(phnum):
        off = phoff + i * phentsize
        t, fl, o, v, p, fs, ms, al = struct.unpack_from("<IIQQQQQQ", b, off)
        out.append(dict(i=i, off=off, type=t, flags=fl, offset=o, vaddr=v,
                        paddr=p, filesz=fs, memsz=ms))
    return out


def elf_expect(b, comment):
    loads = [p for p in phdrs(b) if p["type"] == 1 and p["memsz"] > 0]
    entry, = struct.unpack_from("<Q", b, 24)
    lines = ["# " + comment, "result ok", "entry 0x%x" % entry,
             "lo 0x%x" % min(p["paddr"] for p in loads),
             "hi 0x%x" % max(p["paddr"] + p["memsz"] for p in loads)]
    for p in loads:
        lines.append("seg 0x%x 0x%x 0x%x 0x%x 0x%x %d" % (
            p["offset"], p["paddr"], p["vaddr"], p["filesz"], p["memsz"],
            p["flags"]))
    return "\n".join(lines)


def elf_fixtures(outdir, rebuild):
    valid = os.path.join(outdir, "elf-valid.elf")
    if rebuild or not os.path.exists(valid):
        build_elves(outdir)
    with open(valid, "rb") as f:
        good = f.read()
    with open(valid[:-4] + ".expect", "w") as f:
        f.write(elf_expect(good, "clang + ld.lld -Ttext 0x200000 "
                           "--image-base=0x1ff000") + "\n")
    with open(os.path.join(outdir, "elf-overlap-lld.expect"), "w") as f:
        f.write("# plain ld.lld -Ttext 0x200000: header segment and .text "
                "both at 0x200000\nresult error overlap\n")
    loads = [p for p in phdrs(good) if p["type"] == 1]
    text = [p for p in loads if p["flags"] & 1][0]
    data = [p for p in loads if p["flags"] & 2][0]
    last = max(loads, key=lambda p: p["offset"] + p["filesz"])

    def variant(name, b, expect):
        write(outdir, name, bytes(b), expect)

    variant("elf-truncated.elf", good[:40], """
result error image too small: 40 bytes
""")
    variant("elf-truncated-phdrs.elf", good[:64 + 56], """
# header intact, program header table cut after its first entry
result error program header table
""")
    cut = last["offset"] + last["filesz"] - 1
    variant("elf-seg-past-eof.elf", good[:cut], """
# file cut one byte short of the last segment's file bytes
result error program header %d: file bytes run past end of image
""" % last["i"])
    b = bytearray(good)
    struct.pack_into("<Q", b, data["off"] + 24, text["paddr"] + 0x10)
    variant("elf-overlap.elf", b, """
# the data segment's paddr moved into .text
result error overlap
""")
    b = bytearray(good)
    struct.pack_into("<Q", b, 24, data["vaddr"])
    variant("elf-entry-outside.elf", b, """
# e_entry pointing into the (writable, non-executable) data segment
result error entry point 0x%x is not inside an executable segment
""" % data["vaddr"])
    b = bytearray(good)
    b[4] = 1
    variant("elf-class32.elf", b, """
result error ELF class 1, expected 2
""")
    b = bytearray(good)
    struct.pack_into("<H", b, 18, 183)
    variant("elf-machine-aarch64.elf", b, """
result error e_machine 183 (aarch64), expected 62 (x86_64)
""")
    b = bytearray(good)
    struct.pack_into("<H", b, 16, 3)
    variant("elf-type-dyn.elf", b, """
result error e_type 3, expected 2 (ET_EXEC)
""")
    b = bytearray(good)
    struct.pack_into("<Q", b, text["off"] + 32, text["memsz"] + 1)
    variant("elf-filesz-gt-memsz.elf", b, """
result error filesz larger than memsz
""")


def main(argv):
    rebuild = "--rebuild-elf" in argv
    args = [a for a in argv if not a.startswith("--")]
    outdir = args[0] if args else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
    os.makedirs(outdir, exist_ok=True)
    pvh_fixtures(outdir)
    mb2_fixtures(outdir)
    elf_fixtures(outdir, rebuild)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""mkdtb.py - the device tree fixtures in tests/fixtures/dtb/.

Purpose: the device tree parser (kernel/fdt/) is tested on blobs QEMU
really produced and on crafted damaged ones.  This script writes both:

  --record    runs qemu-system-aarch64 -M virt,...,dumpdtb=FILE for each
              machine in RECORDED and writes dtb/<name>.dtb; then its
              .expect, from two sources that are not the C parser:
              the QEMU command line (mem_total from -m, ncpu from -smp,
              gic_version from gic-version=, bootargs from -append) and
              `dtc -I dtb -O dts` (addresses, MPIDRs, interrupts, PSCI
              method), read by the small DTS reader below.  The two are
              cross-checked (dtc's memory must add up to -m, its CPU count
              be -smp) before anything is written.
  (default)   writes the crafted fixtures bad-*.dtb: a small valid tree
              built by the FDT writer below (devicetree specification
              v0.4, chapter 5, independent of the C code), then one
              planted defect each; the .expect names the error the parser
              must give.  Also small-*.dtb: crafted valid trees for cases
              QEMU does not produce (aliases, spin-table, 1-cell /cpus,
              reservations).  And damaged/*.dtb: copies of recorded
              blobs with a compatible string overwritten (no GIC, not a
              virt board), which the a64_virt_bad_* system
              cases hand to QEMU with -dtb.

Expect format (one fact per line, "#" comments; list keys in order):
  result ok | result error     fdt_open/fdt_scan returned 0 / -1
  error TEXT                   the exact error line (result error)
  mem_total N   ncpu N   gic_version N   bootargs TEXT   model TEXT
  nodes N                      nodes in the tree (the root included)
  mem BASE SIZE                each memory range, in document order
  rsv BASE SIZE                each reservation
  cpu MPIDR psci|spin-table|none [RELEASE_ADDR]
  psci hvc|smc|none            psci_cpu_on ID (the node's cpu_on)
  gicd BASE SIZE   gicc BASE SIZE
  redist BASE SIZE             msi BASE SIZE
  uart BASE SIZE INTID|none    (none: its interrupt is not decoded)
  stdout PATH
  timer INTID INTID INTID INTID   (secure phys, phys, virt, hyp)
  warn TEXT                    a warning fdt_scan must give (others may
                               follow); with no warn line, none at all
Numbers are decimal or 0x hex.

Invariants: the crafted output is deterministic (running twice gives the
same bytes); recorded fixtures are only rewritten with --record.
Usage: python3 tools/mkdtb.py [--record] [outdir]
"""
import os
import re
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "dtb")

# name, -M options, -cpu, -smp, -m (MiB), -append (None: no -kernel)
RECORDED = [
	("virt-gic3-smp1-512M", "gic-version=3", "cortex-a72", 1, 512, None),
	("virt-gic3-smp4-1G", "gic-version=3", "cortex-a72", 4, 1024,
	 "console=ttyAMA0 test=all -- a b"),
	("virt-gic2-smp1-256M", "gic-version=2", "cortex-a72", 1, 256, None),
	("virt-gic2-smp4-2G", "gic-version=2", "cortex-a53", 4, 2048, None),
	("virt-gic3-el2-smp2-5G", "gic-version=3,virtualization=on", "cortex-a72", 2, 5120, None),
]


# ---- the DTS reader (dtc's own output only) -------------------------------

class Node:
	def __init__(self, name, parent):
		self.name, self.parent, self.props, self.kids = name, parent, {}, []

	def path(self):
		if self.parent is None:
			return "/"
		p = self.parent.path()
		return (p if p != "/" else "") + "/" + self.name


def parse_value(v):
	v = v.strip()
	if v.startswith("<"):
		return [int(x, 0) for x in v.strip("<>").split()]
	if v.startswith('"'):
		return v[1:-1].encode().decode("unicode_escape").split("\0")
	raise ValueError("unexpected value " + v)


def read_dts(text):
	root, cur = None, None
	for line in text.splitlines():
		line = line.strip()
		if not line or line.startswith("/dts-v1/"):
			continue
		m = re.match(r"^(\S+) \{$", line)
		if m:
			n = Node(m.group(1) if cur else "", cur)
			if cur:
				cur.kids.append(n)
			else:
				root = n
			cur = n
			continue
		if line == "};":
			cur = cur.parent
			continue
		m = re.match(r"^([^=\s]+)(?: = (.*))?;$", line)
		if not m:
			raise ValueError("unparsed dts line: " + line)
		cur.props[m.group(1)] = parse_value(m.group(2)) if m.group(2) else True
	return root


def walk(n):
	yield n
	for k in n.kids:
		yield from walk(k)


def cells(vals, n):
	v = 0
	for x in vals[:n]:
		v = v << 32 | x
	return v, vals[n:]


def regs(node):
	ac = node.parent.props.get("#address-cells", [2])[0]
	sc = node.parent.props.get("#size-cells", [1])[0]
	out, v = [], list(node.props["reg"])
	while v:
		a, v = cells(v, ac)
		s, v = cells(v, sc)
		out.append((a, s))
	return out


def compat(n, c):
	return c in (n.props.get("compatible") or [])


def find(root, c):
	return next((n for n in walk(root) if compat(n, c)), None)


def by_phandle(root, ph):
	return next(n for n in walk(root) if n.props.get("phandle", [None])[0] == ph)


def intid(root, node, i):
	p = node
	while "interrupt-parent" not in p.props:
		p = p.parent
	gic = by_phandle(root, p.props["interrupt-parent"][0])
	assert gic.props["#interrupt-cells"] == [3]
	t, num = node.props["interrupts"][3 * i:3 * i + 2]
	return num + (32 if t == 0 else 16)


def expect_from_dts(root):
	"""Facts as dtc shows them, in the .expect format (one line each)."""
	L = []
	mem = [r for n in walk(root) if n.props.get("device_type") == ["memory"] for r in regs(n)]
	L += ["mem 0x%x 0x%x" % r for r in mem if r[1]]
	cpus = next(k for k in root.kids if k.name == "cpus")
	for c in cpus.kids:
		if c.props.get("device_type") != ["cpu"]:
			continue
		em = c.props.get("enable-method", ["none"])[0]
		L.append("cpu 0x%x %s" % (cells(c.props["reg"], cpus.props["#address-cells"][0])[0], em))
	ps = find(root, "arm,psci")
	L.append("psci %s" % (ps.props["method"][0] if ps else "none"))
	g3, g2 = find(root, "arm,gic-v3"), find(root, "arm,cortex-a15-gic")
	g = g3 or g2
	r = regs(g)
	L.append("gicd 0x%x 0x%x" % r[0])
	if g3:
		nr = g3.props.get("#redistributor-regions", [1])[0]
		L += ["redist 0x%x 0x%x" % x for x in r[1:1 + nr]]
		its = find(g3, "arm,gic-v3-its")
		if its:
			L.append("msi 0x%x 0x%x" % regs(its)[0])
	else:
		L.append("gicc 0x%x 0x%x" % r[1])
		v2m = find(g2, "arm,gic-v2m-frame")
		if v2m:
			L.append("msi 0x%x 0x%x" % regs(v2m)[0])
	chosen = next(k for k in root.kids if k.name == "chosen")
	sp = chosen.props["stdout-path"][0]
	L.append("stdout %s" % sp)
	uart = next(n for n in walk(root) if n.path() == sp)
	assert compat(uart, "arm,pl011")
	L.append("uart 0x%x 0x%x %d" % (regs(uart)[0] + (intid(root, uart, 0),)))
	t = find(root, "arm,armv8-timer")
	L.append("timer " + " ".join(str(intid(root, t, i)) for i in range(4)))
	L.append("model %s" % root.props["model"][0])
	L.append("nodes %d" % sum(1 for _ in walk(root)))
	return L, mem, sum(1 for c in cpus.kids if c.props.get("device_type") == ["cpu"])


def record(outdir):
	os.makedirs(outdir, exist_ok=True)
	with tempfile.TemporaryDirectory() as tmp:
		dummy = os.path.join(tmp, "dummy")
		open(dummy, "wb").write(b"\0" * 64)
		for name, mopt, cpu, smp, mem, append in RECORDED:
			dtb = os.path.join(outdir, name + ".dtb")
			cmd = ["qemu-system-aarch64", "-nodefaults", "-display", "none",
			       "-M", "virt,%s,dumpdtb=%s" % (mopt, dtb), "-cpu", cpu,
			       "-smp", str(smp), "-m", "%dM" % mem]
			if append is not None:
				cmd += ["-kernel", dummy, "-append", append]
			subprocess.run(["timeout", "30"] + cmd, check=True, capture_output=True)
			shown = " ".join(cmd).replace(dtb, name + ".dtb").replace(dummy, "ANY_FILE")
			dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", dtb], check=True,
			                     capture_output=True, text=True).stdout
			lines, ranges, ncpu = expect_from_dts(read_dts(dts))
			if sum(s for _, s in ranges) != mem << 20 or ncpu != smp:
				sys.exit("mkdtb: %s: dtc shows %d bytes, %d CPUs; the command line says %d MiB, %d" %
				         (name, sum(s for _, s in ranges), ncpu, mem, smp))
			gic = int(re.search(r"gic-version=(\d)", mopt).group(1))
			with open(os.path.join(outdir, name + ".expect"), "w") as f:
				f.write("# recorded by tools/mkdtb.py --record with\n#   %s\n" % shown)
				f.write("# first block: from that command line; second: from dtc -I dtb -O dts\n")
				f.write("result ok\nmem_total 0x%x\nncpu %d\ngic_version %d\n" % (mem << 20, smp, gic))
				if append is not None:
					f.write("bootargs %s\n" % append)
				f.write("\n".join(lines) + "\n")
			print("mkdtb: recorded %s" % name)


# ---- the FDT writer (for crafted trees) -----------------------------------

def be32(*v):
	return b"".join(struct.pack(">I", x) for x in v)


class Tree:
	"""A tree in document order: ("node", name, [items]) / ("prop", name, bytes)."""

	def __init__(self, body, rsv=()):
		self.body, self.rsv = body, list(rsv)

	def blob(self, version=17, last_comp=16, pad=0):
		strings, soff = b"", {}
		out = []

		def name_off(n):
			nonlocal strings
			if n not in soff:
				soff[n] = len(strings)
				strings += n.encode() + b"\0"
			return soff[n]

		def emit(item):
			kind = item[0]
			if kind == "node":
				nm = item[1].encode() + b"\0"
				out.append(be32(1) + nm + b"\0" * (-len(nm) % 4))
				for it in item[2]:
					emit(it)
				out.append(be32(2))
			elif kind == "prop":
				v = item[2]
				out.append(be32(3, len(v), name_off(item[1])) + v + b"\0" * (-len(v) % 4))
			elif kind == "raw":
				out.append(item[1])
		emit(("node", "", self.body))
		out.append(be32(9))
		st = b"".join(out)
		rsv = b"".join(struct.pack(">QQ", a, s) for a, s in self.rsv) + b"\0" * 16
		off_rsv = 40
		off_struct = off_rsv + len(rsv)
		off_strings = off_struct + len(st)
		total = off_strings + len(strings) + pad
		hdr = be32(0xd00dfeed, total, off_struct, off_strings, off_rsv, version,
		           last_comp, 0, len(strings), len(st))
		return bytearray(hdr + rsv + st + strings + b"\0" * pad)


def P(name, v):
	if isinstance(v, str):
		v = v.encode() + b"\0"
	elif isinstance(v, list):
		v = be32(*v)
	return ("prop", name, v)


def N(name, *items):
	return ("node", name, list(items))


def base_tree(cpus_ac=1, mem=(0, 0x40000000, 0, 0x10000000), extra_cpus=(), rsv=(),
              chosen=None, root_extra=()):
	chosen = chosen or [P("stdout-path", "/pl011@9000000"), P("bootargs", "x=1")]
	cpu_nodes = [N("cpu@%x" % m, P("device_type", "cpu"),
	               P("reg", [m] if cpus_ac == 1 else [m >> 32, m & 0xffffffff]),
	               P("enable-method", "psci")) for m in (0, 1) + tuple(extra_cpus)]
	return Tree([
		P("#address-cells", [2]), P("#size-cells", [2]), P("model", "crafted"),
		P("interrupt-parent", [1]),
		N("psci", P("compatible", "arm,psci-1.0\0arm,psci-0.2\0arm,psci"), P("method", "hvc")),
		N("memory@40000000", P("device_type", "memory"), P("reg", list(mem))),
		N("intc@8000000", P("phandle", [1]), P("compatible", "arm,gic-v3"),
		  P("interrupt-controller", b""), P("#interrupt-cells", [3]),
		  P("reg", [0, 0x8000000, 0, 0x10000, 0, 0x80a0000, 0, 0xf60000])),
		N("pl011@9000000", P("compatible", "arm,pl011\0arm,primecell"),
		  P("reg", [0, 0x9000000, 0, 0x1000]), P("interrupts", [0, 1, 4])),
		N("cpus", P("#address-cells", [cpus_ac]), P("#size-cells", [0]), *cpu_nodes),
		N("timer", P("compatible", "arm,armv8-timer\0arm,armv7-timer"),
		  P("interrupts", [1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4])),
		N("chosen", *chosen),
	] + list(root_extra), rsv)


def hdr_set(b, off, v):
	b[off:off + 4] = be32(v)
	return b


def field(b, off):
	return struct.unpack(">I", bytes(b[off:off + 4]))[0]


def struct_find(b, needle):
	"""Offset of needle inside the structure block (relative to it)."""
	s = field(b, 8)
	i = bytes(b).find(needle, s)
	assert i >= 0, needle
	return i - s


def crafted():
	good = base_tree().blob()
	tot = len(good)
	off_st, sz_st, off_str, sz_str = field(good, 8), field(good, 36), field(good, 12), field(good, 32)
	out = {}

	def bad(name, blob, err, length=None):
		out["bad-" + name] = (bytes(blob if length is None else blob[:length]), ["result error", "error " + err])

	bad("magic", hdr_set(bytearray(good), 0, 0xd00dfeee), "fdt: bad magic 0xd00dfeee (expected 0xd00dfeed)")
	bad("version16", hdr_set(bytearray(good), 20, 16),
	    "fdt: version 16 (last compatible 16) not supported: need 17")
	bad("lastcomp18", hdr_set(bytearray(good), 24, 18),
	    "fdt: version 17 (last compatible 18) not supported: need 17")
	bad("header-short", good, "fdt: blob of 39 bytes is shorter than the 40-byte header", 39)
	bad("truncated", good, "fdt: totalsize 0x%x outside [0x28, 0x%x] (the bytes given)" % (tot, tot - 1), tot - 1)
	bad("totalsize-huge", hdr_set(bytearray(good), 4, 0xffffffff),
	    "fdt: totalsize 0xffffffff outside [0x28, 0x%x] (the bytes given)" % tot)
	bad("struct-past-end", hdr_set(bytearray(good), 36, tot),
	    "fdt: structure block at 0x%x (0x%x bytes) not 4-aligned inside the blob" % (off_st, tot))
	bad("struct-wraps", hdr_set(bytearray(good), 8, 0xfffffff8),
	    "fdt: structure block at 0xfffffff8 (0x%x bytes) not 4-aligned inside the blob" % sz_st)
	bad("strings-past-end", hdr_set(bytearray(good), 32, sz_str + 1),
	    "fdt: strings block at 0x%x (0x%x bytes) not inside the blob" % (off_str, sz_str + 1))
	bad("overlap", hdr_set(bytearray(good), 12, off_st + 8),
	    "fdt: blocks overlap: reservations [0x28, 0x38), structure [0x%x, 0x%x), strings [0x%x, 0x%x)"
	    % (off_st, off_st + sz_st, off_st + 8, off_st + 8 + sz_str))
	# the strings block moved onto the reservation block's terminator
	b = hdr_set(hdr_set(bytearray(good), 12, 0x30), 32, 8)
	bad("rsv-overlap", b,
	    "fdt: blocks overlap: reservations [0x28, 0x38), structure [0x%x, 0x%x), strings [0x30, 0x38)"
	    % (off_st, off_st + sz_st))
	# the reservation block never terminates: it is the blob's last 16
	# bytes, one entry and no (0, 0)
	b = bytearray(good) + b"\0" * (-len(good) % 8)
	at = len(b)
	b += struct.pack(">QQ", 0x40000000, 0x1000)
	hdr_set(b, 4, len(b))
	hdr_set(b, 16, at)
	bad("rsv-unterminated", b, "fdt: reservation block at 0x%x has no terminator before 0x%x" % (at, len(b)))
	# a property name offset past the strings block
	b = bytearray(good)
	p = struct_find(b, be32(3, 4, 0))  # the first property: #address-cells
	hdr_set(b, off_st + p + 8, sz_str)
	bad("nameoff-past", b, "fdt: property at struct+0x%x: name at strings+0x%x not terminated inside the strings block" % (p, sz_str))
	# the strings block cut inside its last string
	b = hdr_set(bytearray(good), 32, sz_str - 1)
	last = bytes(good[off_str:off_str + sz_str]).rstrip(b"\0").rfind(b"\0") + 1
	ps = struct_find(b, be32(3, 4, last)) if be32(3, 4, last) in bytes(b) else None
	if ps is None:  # the last name belongs to a string property: find its header
		for ln in range(0, 64):
			if be32(3, ln, last) in bytes(b[off_st:]):
				ps = struct_find(b, be32(3, ln, last))
				break
	bad("string-unterminated", b, "fdt: property at struct+0x%x: name at strings+0x%x not terminated inside the strings block" % (ps, last))
	# a property whose length runs past the structure block
	b = bytearray(good)
	p = struct_find(b, be32(3, len(b"crafted\0"), 0)[0:4] + be32(8))
	hdr_set(b, off_st + p + 4, 0x10000)
	bad("proplen-past", b, "fdt: property at struct+0x%x: length 0x10000 runs past the structure block" % p)
	# a node name without NUL up to the end of the block: cut the block
	# right after the first child node's name bytes
	b = bytearray(good)
	p = struct_find(b, be32(1) + b"psci")
	hdr_set(b, 36, p + 8)
	bad("name-unterminated", b, "fdt: node name at struct+0x%x not terminated inside the block" % (p + 4))
	# FDT_END missing: the block ends after the root's END_NODE
	b = hdr_set(bytearray(good), 36, sz_st - 4)
	bad("no-end", b, "fdt: structure block ends at 0x%x without FDT_END" % (sz_st - 4))
	# an unknown token
	b = bytearray(good)
	p = struct_find(b, be32(1) + b"timer")
	hdr_set(b, off_st + p, 7)
	bad("token", b, "fdt: unknown token 0x7 at struct+0x%x" % p)
	# unbalanced: FDT_END inside a node
	b = bytearray(good)
	p = struct_find(b, be32(1) + b"chosen")
	hdr_set(b, off_st + p, 9)
	bad("end-in-node", b, "fdt: FDT_END at struct+0x%x inside a node" % p)
	# 40 nested nodes (the limit is 32)
	deep = N("d", P("x", [1]))
	for _ in range(39):
		deep = N("d", deep)
	b = Tree([deep]).blob()
	bad("deep", b, "fdt: node at struct+0x%x nested deeper than 32" % (4 + 4 + 32 * 8 - 8))
	# a property after a subnode
	b = Tree([N("a", N("b"), P("late", [1]))]).blob()
	bad("prop-after-node", b, "fdt: property at struct+0x%x after a subnode" % (4 + 4 + 8 + 8 + 4))
	# huge cell counts: the tree opens, the scan finds no usable memory
	t = base_tree()
	t.body[0] = P("#address-cells", [0x40000000])
	out["bad-cells-huge"] = (bytes(t.blob()), ["result error",
	    "error fdt: no memory range (device_type \"memory\" with a reg)",
	    "warn fdt: #address-cells of node at struct+0x0 is 1073741824 (more than 4)"])
	t = base_tree()
	t.body[1] = P("#size-cells", [3])
	out["bad-cells-wide"] = (bytes(t.blob()), ["result error",
	    "error fdt: no memory range (device_type \"memory\" with a reg)",
	    "warn fdt: reg of memory@40000000: #address-cells 2 / #size-cells 3 do not fit 64 bits"])
	t = base_tree(mem=(0, 0x40000000, 0, 0x10000000, 0))
	out["bad-reg-length"] = (bytes(t.blob()), ["result error",
	    "error fdt: no memory range (device_type \"memory\" with a reg)",
	    "warn fdt: reg of memory@40000000 is 20 bytes, not a multiple of 16 (2+2 cells)"])
	# crafted valid trees
	t = base_tree(cpus_ac=2, extra_cpus=(0x100, 0x10000), rsv=[(0x48000000, 0x2000)],
	              mem=(0, 0x40000000, 0, 0x8000000, 1, 0, 0, 0x100000),
	              chosen=[P("stdout-path", "serial0:115200n8")],
	              root_extra=[N("aliases", P("serial0", "/pl011@9000000"))])
	out["small-aliases"] = (bytes(t.blob()), [
	    "result ok", "ncpu 4", "mem_total 0x8100000", "model crafted",
	    "mem 0x40000000 0x8000000", "mem 0x100000000 0x100000", "rsv 0x48000000 0x2000",
	    "cpu 0x0 psci", "cpu 0x1 psci", "cpu 0x100 psci", "cpu 0x10000 psci",
	    "psci hvc", "gicd 0x8000000 0x10000", "redist 0x80a0000 0xf60000",
	    "stdout serial0:115200n8", "uart 0x9000000 0x1000 33", "timer 29 30 27 26"])
	t = base_tree()
	t.body[8] = N("cpus", P("#address-cells", [1]), P("#size-cells", [0]),
	              N("cpu@0", P("device_type", "cpu"), P("reg", [0]),
	                P("enable-method", "spin-table"), P("cpu-release-addr", [0, 0x8000fff8])))
	t.body[4] = N("psci", P("compatible", "arm,psci"), P("method", "smc"), P("cpu_on", [0x95c1ba5f]))
	out["small-spin-table"] = (bytes(t.blob()), [
	    "result ok", "ncpu 1", "mem_total 0x10000000", "mem 0x40000000 0x10000000",
	    "cpu 0x0 spin-table 0x8000fff8",
	    "psci smc", "psci_cpu_on 0x95c1ba5f", "bootargs x=1"])
	# a sound tree whose parts are each malformed in one way: every part
	# is skipped with its own warning, the rest is still read
	t = base_tree(chosen=[P("stdout-path", "/chosen"), P("bootargs", b"abc")],
	              root_extra=[N("memory@fffffffffffff000", P("device_type", "memory"),
	                            P("reg", [0xffffffff, 0xfffff000, 0, 0x2000]))])
	t.body[4] = N("psci", P("compatible", "arm,psci-0.2"), P("method", "hvcx"))
	t.body[7] = N("pl011@9000000", P("compatible", "arm,pl011\0arm,primecell"),
	              P("reg", [0, 0x9000000, 0, 0x1000]), P("interrupts", [2, 1, 4]))
	t.body[8] = N("cpus", P("#address-cells", [1]), P("#size-cells", [0]),
	              N("cpu@0", P("device_type", "cpu"), P("reg", [0]), P("enable-method", "psci")),
	              N("cpu@1", P("device_type", "cpu"), P("reg", [1]), P("enable-method", "spin-table")),
	              N("cpu@2", P("device_type", "cpu"), P("reg", [0]), P("enable-method", "psci")),
	              N("cpu@3", P("device_type", "cpu"), P("reg", [0, 3]), P("enable-method", "psci")))
	t.body[9] = N("timer", P("compatible", "arm,armv8-timer"), P("interrupt-parent", [7]),
	              P("interrupts", [1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4]))
	out["small-warnings"] = (bytes(t.blob()), [
	    "result ok", "ncpu 2", "mem_total 0x10000000", "mem 0x40000000 0x10000000",
	    "cpu 0x0 psci", "cpu 0x1 none", "psci none", "uart 0x9000000 0x1000 none",
	    "warn fdt: bootargs of chosen is not a terminated string: ignored",
	    "warn fdt: memory@fffffffffffff000: range 0xfffffffffffff000+0x2000 wraps: dropped",
	    "warn fdt: cpu@1: spin-table without an 8-byte cpu-release-addr",
	    "warn fdt: cpu@2: MPIDR 0x0 listed twice: skipped",
	    "warn fdt: cpu@3: reg is not one 1-cell MPIDR: skipped",
	    "warn fdt: psci: method is \"hvcx\", not \"hvc\" or \"smc\": no PSCI",
	    "warn fdt: stdout-path \"/chosen\" is not an arm,pl011; taking the first one",
	    "warn fdt: pl011@9000000: interrupt 0 is type 2 number 1, not an SPI 0..987 or a PPI 0..15",
	    "warn fdt: timer: interrupt-parent names no node"])
	return out


# ---- damaged recorded trees, for QEMU's -dtb (system cases a64_virt_bad_*)

# name: (recorded source, [(bytes, replacement)...]); every occurrence of
# each string (NUL included) is overwritten by one of the same length.
# (No PSCI-less tree: QEMU rewrites /psci in a -dtb blob when it provides
# PSCI itself, so test_virt.c covers that one on the host only.)
DAMAGED = {
	"virt-nogic": ("virt-gic3-smp1-512M", [(b"arm,gic-v3", b"arm,gic-vX")]),
	"virt-notvirt": ("virt-gic3-smp1-512M", [(b"linux,dummy-virt", b"linux,dummy-vXrt"),
	                                         (b"arm,gic-v3", b"arm,gic-vX")]),
}


def damaged(srcdir):
	"""The DAMAGED trees from the recorded blobs in srcdir, each cut after
	its strings block (QEMU pads its dump to 1 MiB; -dtb makes room
	itself) with totalsize patched."""
	out = {}
	for name, (src, edits) in DAMAGED.items():
		b = bytearray(open(os.path.join(srcdir, src + ".dtb"), "rb").read())
		for old, new in edits:
			old, new = old + b"\0", new + b"\0"
			assert len(old) == len(new)
			n = b.count(old)
			if n == 0:
				raise SystemExit("mkdtb: %s: %r not in %s" % (name, old, src))
			b = b.replace(old, new)
		end = field(b, 12) + field(b, 32)   # off_dt_strings + size_dt_strings
		b = hdr_set(b[:end], 4, end)
		out[name] = bytes(b)
	return out


def main():
	args = sys.argv[1:]
	rec = "--record" in args
	args = [a for a in args if a != "--record"]
	outdir = args[0] if args else OUT
	if rec:
		record(outdir)
		return
	os.makedirs(outdir, exist_ok=True)
	for name, (blob, lines) in sorted(crafted().items()):
		open(os.path.join(outdir, name + ".dtb"), "wb").write(blob)
		with open(os.path.join(outdir, name + ".expect"), "w") as f:
			f.write("# crafted by tools/mkdtb.py\n" + "\n".join(lines) + "\n")
	print("mkdtb: wrote %d crafted fixtures to %s" % (len(crafted()), outdir))
	dmg = os.path.join(outdir, "damaged")
	os.makedirs(dmg, exist_ok=True)
	for name, blob in sorted(damaged(outdir).items()):
		open(os.path.join(dmg, name + ".dtb"), "wb").write(blob)
	print("mkdtb: wrote %d damaged recorded trees to %s" % (len(DAMAGED), dmg))


if __name__ == "__main__":
	main()

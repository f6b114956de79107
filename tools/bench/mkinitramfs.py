#!/usr/bin/env python3
"""mkinitramfs.py - write the benchmark guest's initramfs (cpio "newc").

Purpose: pack /init and the peer programs into the archive QEMU hands to the
Linux guest with -initrd, without root rights or a cpio binary.

Usage: mkinitramfs.py OUT.cpio INIT [NAME=FILE ...] [--modules DIR]
    INIT becomes /init; each NAME=FILE becomes /bin/NAME (mode 0755).
    --modules DIR adds /lib/modules/order (DIR/order: module names in load
    order) and each module it names, DIR/NAME.ko, as /lib/modules/NAME.ko
    (the network guest's /init loads them; tools/bench/fetch-linux.sh).
The archive also holds the directories /bin /dev /proc /sys /tmp and the
character device /dev/console (5, 1), which the kernel opens for init's
standard streams before /init runs.

Format (newc, what the kernel's initramfs unpacker reads): per entry the
magic "070701", thirteen 8-digit hex fields (ino, mode, uid, gid, nlink,
mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize,
check), the name and a NUL padded to 4 bytes, the data padded to 4 bytes;
the archive ends with the entry "TRAILER!!!".  Invariants: every mtime,
uid and gid is 0, so the same inputs give the same bytes.
"""

import os
import stat
import sys


def _entry(ino, name, mode, data=b"", rdev=(0, 0), nlink=1):
	name_b = name.encode() + b"\0"
	fields = (ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1],
	          len(name_b), 0)
	hdr = b"070701" + b"".join(b"%08x" % f for f in fields)
	out = hdr + name_b
	out += b"\0" * (-len(out) % 4)
	out += data
	out += b"\0" * (-len(out) % 4)
	return out


def build(init_data, programs, modules=()):
	"""The archive as bytes.  programs: [(name, bytes)] placed in /bin;
	modules: [(name, bytes)] placed in /lib/modules, listed in that order
	in /lib/modules/order."""
	parts = []
	ino = 1
	dirs = ("bin", "dev", "proc", "sys", "tmp") + (("lib", "lib/modules") if modules else ())
	for d in dirs:
		mode = stat.S_IFDIR | (0o1777 if d == "tmp" else 0o755)
		parts.append(_entry(ino, d, mode, nlink=2))
		ino += 1
	parts.append(_entry(ino, "dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1)))
	ino += 1
	parts.append(_entry(ino, "init", stat.S_IFREG | 0o755, init_data))
	ino += 1
	for name, data in programs:
		parts.append(_entry(ino, "bin/" + name, stat.S_IFREG | 0o755, data))
		ino += 1
	if modules:
		order = "".join(name + "\n" for name, _ in modules).encode()
		parts.append(_entry(ino, "lib/modules/order", stat.S_IFREG | 0o644, order))
		ino += 1
	for name, data in modules:
		parts.append(_entry(ino, "lib/modules/%s.ko" % name, stat.S_IFREG | 0o644, data))
		ino += 1
	parts.append(_entry(0, "TRAILER!!!", 0))
	return b"".join(parts)


def main(argv):
	if len(argv) < 3:
		print("usage: mkinitramfs.py OUT.cpio INIT [NAME=FILE ...] [--modules DIR]",
		      file=sys.stderr)
		return 2
	out, init = argv[1], argv[2]
	progs, mods = [], []
	rest = list(argv[3:])
	if "--modules" in rest:
		i = rest.index("--modules")
		if i + 1 >= len(rest):
			print("mkinitramfs: --modules needs a directory", file=sys.stderr)
			return 2
		mdir = rest[i + 1]
		del rest[i:i + 2]
		try:
			with open(os.path.join(mdir, "order")) as f:
				names = f.read().split()
			for name in names:
				with open(os.path.join(mdir, name + ".ko"), "rb") as f:
					mods.append((name, f.read()))
		except OSError as e:
			print("mkinitramfs: modules: %s (tools/bench/fetch-linux.sh fetches them)" % e,
			      file=sys.stderr)
			return 1
	for arg in rest:
		name, sep, path = arg.partition("=")
		if not sep or "/" in name:
			print("mkinitramfs: expected NAME=FILE, got %r" % arg,
			      file=sys.stderr)
			return 2
		with open(path, "rb") as f:
			progs.append((name, f.read()))
	with open(init, "rb") as f:
		data = build(f.read(), progs, mods)
	tmp = out + ".tmp"
	with open(tmp, "wb") as f:
		f.write(data)
	os.replace(tmp, out)
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))

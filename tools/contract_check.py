#!/usr/bin/env python3
"""contract_check.py - compile kernel/ and rt/ for aarch64 against the
contract headers alone (the machine-layer issue's compiler check).

Usage: tools/contract_check.py [--target aarch64-none-elf] [--port] [-v]

Every C file of kernel/ (all folders) and rt/ (with rt/net/; not rt/hosted/,
the hosted platform, which is x86_64 Linux code) is compiled with clang for the
target, with -O2 -Wall -Wextra -Werror, and tests/contract/include/ in
place of a port's arch/<isa>/include/: arch/arch.h declares the port's
inline functions and nothing defines them, and struct arch_ctx is opaque.
So kernel/ and rt/ compile only if they reach the ISA through the contract
headers: a register name, x86 inline assembly or a field of x86's context
fails here long before an aarch64 port exists.  Object code goes to
/dev/null; undefined internal functions (the port's inline bodies) are
expected, so -Wundefined-internal is off and nothing is linked.

With --port the same files are compiled against the aarch64 port's own
headers (arch/aarch64/include/: the inline bodies and the context layout)
instead, named port/<target>/<file>: kernel/ and rt/ must also build on
what the port really provides (its inline assembly, its constants), not
only on the declarations.

Prints one `PASS contract/<target>/<file>` or `FAIL ...: first error` line
per file, then `N passed, M failed`; exit status 1 on any failure.
Importable: check(root, target) returns [(name, ok, detail)].
Context: stdlib only; needs clang (the project's compiler) and newlib's
headers (build/newlib, which are ISA-neutral enough for C).
"""
import argparse
import glob
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sources(root):
	files = glob.glob(os.path.join(root, "kernel", "**", "*.c"), recursive=True)
	files += glob.glob(os.path.join(root, "rt", "*.c"))
	files += glob.glob(os.path.join(root, "rt", "net", "*.c"))
	return sorted(os.path.relpath(f, root) for f in files)


def check(root=ROOT, target="aarch64-none-elf", port=False):
	newlib = os.path.join(root, "build", "newlib", "x86_64-elf", "include")
	out = []
	short = target.split("-")[0]
	inc = os.path.join(root, "arch", short, "include") if port else \
		os.path.join(root, "tests", "contract", "include")
	kind = "port" if port else "contract"
	for f in sources(root):
		cmd = ["clang", "--target=" + target, "-ffreestanding", "-std=c11", "-O2",
		       "-Wall", "-Wextra", "-Werror", "-Wno-undefined-internal",
		       "-I" + inc,
		       "-I" + root, "-I" + os.path.join(root, "rt", "include"),
		       "-I" + os.path.join(root, "kernel", "glue", "include"),
		       "-isystem", newlib, "-c", "-o", os.devnull, os.path.join(root, f)]
		p = subprocess.run(cmd, capture_output=True, text=True)
		errs = [l for l in p.stderr.splitlines() if "error" in l or "warning" in l]
		ok = p.returncode == 0 and not errs
		out.append(("%s/%s/%s" % (kind, short, f), ok,
		            (errs[0] if errs else "clang exited %d" % p.returncode) if not ok else ""))
	return out


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("--target", default="aarch64-none-elf")
	ap.add_argument("--port", action="store_true",
	                help="compile against arch/<isa>/include/ (the port's own headers)")
	a = ap.parse_args()
	res = check(ROOT, a.target, a.port)
	for name, ok, why in res:
		print("PASS %s" % name if ok else "FAIL %s: %s" % (name, why))
	failed = sum(1 for r in res if not r[1])
	print("%d passed, %d failed" % (len(res) - failed, failed))
	return 1 if failed or not res else 0


if __name__ == "__main__":
	sys.exit(main())

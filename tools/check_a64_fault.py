#!/usr/bin/env python3
"""check_a64_fault.py - judge where the aarch64 boot test image's
deliberate faults landed, from the linker's symbol table, not from the
image: the `check =` script of the a64_dtboot_stack_guard and
a64_dtboot_wx system cases.

Reads the console lines (from `tally: start` on) on stdin; takes the FAR
of the exception report (`ESR ... ELR ... FAR 0x...`) and checks it
against `llvm-nm build/aarch64/dtboot.elf`:
  - after `fault: recursing ...`: FAR lies in the boot stack's guard page,
    [a64_guard_boot, a64_guard_boot + 4096), and ELR in the function
    `deep` (the recursion), so the overflow was caught at the guard and
    not somewhere else;
  - after `fault: writing to dtboot_main ...`: FAR is dtboot_main's
    address and lies in [__text_start, __text_end).
Exits 0, or 1 after printing one line per problem.
Context: stdlib only; needs llvm-nm (package llvm, installed by the
bootstrap) and the image the case booted.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ELF = os.path.join(ROOT, "build", "aarch64", "dtboot.elf")


def symbols():
	out = subprocess.run(["llvm-nm", "-n", ELF], check=True, capture_output=True,
	                     text=True).stdout
	syms = []
	for line in out.splitlines():
		parts = line.split()
		if len(parts) == 3:
			syms.append((int(parts[0], 16), parts[2]))
	return syms


def containing(syms, addr):
	"""The name of the last text symbol at or below addr."""
	best = None
	for a, name in syms:
		if a <= addr:
			best = name
		else:
			break
	return best


def main():
	lines = sys.stdin.read().splitlines()
	m = next((re.search(r"ELR 0x([0-9a-f]+)\s+FAR 0x([0-9a-f]+)", l) for l in lines
	          if re.search(r"ELR 0x[0-9a-f]+\s+FAR 0x", l)), None)
	if not m:
		print("no exception report with ELR and FAR")
		return 1
	elr, far = int(m.group(1), 16), int(m.group(2), 16)
	syms = symbols()
	addr = {name: a for a, name in syms}
	bad = []
	if any(l.startswith("fault: recursing") for l in lines):
		g = addr["a64_guard_boot"]
		if not g <= far < g + 4096:
			bad.append("FAR 0x%x is not in the boot stack's guard page [0x%x, 0x%x)" %
			           (far, g, g + 4096))
		if containing([s for s in syms if s[0] < addr["__text_end"]], elr) != "deep":
			bad.append("ELR 0x%x is not in deep (it is in %s)" %
			           (elr, containing(syms, elr)))
	elif any(l.startswith("fault: writing to dtboot_main") for l in lines):
		if far != addr["dtboot_main"]:
			bad.append("FAR 0x%x is not dtboot_main (0x%x)" % (far, addr["dtboot_main"]))
		if not addr["__text_start"] <= far < addr["__text_end"]:
			bad.append("FAR 0x%x is not in .text" % far)
	else:
		bad.append("no 'fault: recursing' or 'fault: writing' line")
	for b in bad:
		print(b)
	return 1 if bad else 0


if __name__ == "__main__":
	sys.exit(main())

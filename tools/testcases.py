#!/usr/bin/env python3
"""testcases.py - the system-test case file (tests/system.cases and its
siblings): its keys, their defaults and checks, and the parser.

Purpose: turn the case file's blocks into Case objects for tools/
testrun.py's system layer, refusing an unknown key, a bad value or a
duplicate name with the file and line (CaseError).  The format is
described in docs/testing.md and at the head of tests/system.cases.

Context: stdlib only; imported by tools/testrun.py and tools/stress.py.
"""

import copy
import os
import re

from testlayers import ROOT


TARGET = {"direct": "kernel", "grub": "iso", "grub-efi": "iso", "uefi": "esp"}
DEFAULT_TIMEOUT = {"direct": 30, "grub": 30, "grub-efi": 120, "uefi": 120}
CASE_KEYS = ("arch", "app", "boot", "cmdline", "status", "expect", "contains",
             "once", "reject", "timeout", "smp", "mem", "cpu", "machine", "qemu",
             "exitline", "emulator", "debugexit", "shutdown", "xfail", "launcher",
             "check", "client", "listens", "tap", "repeat")
# `app = default` (and no app line) is this program: the smallest one, so
# that cases about the boot itself stay quick (`make run`'s own default,
# apps/tour.c, has its own case).
DEFAULT_APP = "apps/banner.c"
# shutdown = VALUE: the run ends without a status, and QEMU must say how
# (QMP's SHUTDOWN event, and for resets its -d cpu_reset log):
#   guest-shutdown  SHUTDOWN reason guest-shutdown (an ACPI power-off)
#   guest-reset     SHUTDOWN reason guest-reset, and no "Triple fault" in
#                   the cpu_reset log (a reset through a reset register)
#   triple-fault    SHUTDOWN reason guest-reset after a "Triple fault"
#   running         no SHUTDOWN event: QEMU still runs at the timeout (a
#                   halted machine), killed then
SHUTDOWNS = ("guest-shutdown", "guest-reset", "triple-fault", "running")
# client = SCRIPT: a Python script run on the host while the guest runs,
# given the case's free port as its argument; the case fails unless it
# exits 0.  `{port}` in a qemu line or the cmdline is replaced by that port, chosen free
# (UDP and TCP on 127.0.0.1) when the boot starts, so parallel runs do
# not collide (the network cases: hostfwd=udp:127.0.0.1:{port}-:7).
# client = SCRIPT ARG...: words after the script are its first arguments
# (the port comes after them).
# listens = yes: the client is a server the guest connects to
# (tools/tcpget_server.py): the boot starts only once 127.0.0.1:{port}
# accepts a TCP connection (the probe closes it at once), at most 20 s
# after the client started; otherwise the case fails.  Without it a guest
# that boots faster than the script binds finds the port refused.
# tap = N: the boot gets a tap device with N queues in a network
# namespace of its own (tools/tapnet.py): QEMU and the client run inside
# it, the host side is 192.168.77.1/24 on tap0, the guest is given
# 192.168.77.2 by the case's ip= (the qemu line names the netdev:
# -netdev tap,id=n0,ifname=tap0,script=no,downscript=no[,queues=N]); the
# client finds the addresses in TALLY_TAP_* (tapnet.TapNet.env).  A
# machine where the namespace or the tap cannot be made fails the case
# with the missing capability named, never a skip.
# xfail = NAME...: on-target tests this case expects to FAIL (a check fed a
# deliberate fault must catch it): each one's FAIL line is its PASS result,
# a PASS line (or no line) is a failure; the summary must still agree.


# arch = ISA...: the ISAs the case applies to (default x86_64).  A case of
# several is one case per ISA: the first keeps the name, the others are
# NAME.a64 (aarch64) or NAME.x86 (x86_64); each keeps the boot paths its
# ISA has (aarch64: direct, uefi, grub-efi), takes its ISA's machine and
# CPU (so `machine` and `cpu` are refused), and the checks written
# `expect@ISA = ...` (likewise contains, once, reject) apply on that ISA
# alone.
# arch = aarch64: the case boots under qemu-system-aarch64, `boot = direct`,
# `uefi` (the kernel's ESP under AAVMF) or `grub-efi` (its GRUB ISO under
# AAVMF; both need an app), machine
# virt[,gic-version=2|3][,virtualization=on][,acpi=off] (default
# virt,gic-version=3), cpu default cortex-a72: with the default app the
# port's boot test image (build/aarch64/dtboot.img, `make ARCH=aarch64`),
# with `app = FILE|DIR` the kernel linked with that application
# (`make ARCH=aarch64 kernel APP=...`, its arm64 Image).
from qemu_command import ARCHES, X86_MACHINES, A64_MACHINE  # noqa: E402 (one list)

# ---------------------------------------------------------------- cases

class CaseError(Exception):
	pass


class Case:
	def __init__(self, name, where):
		self.name = name
		self.where = where          # "file:line" of the [name] header
		self.arch = "x86_64"        # or aarch64 (the boot test image)
		self.arches = []            # arch = ...; [] until given: x86_64
		self.app = "default"
		self.boots = []
		self.cmdline = ""
		self.status = 0
		# (boot path or None for all, compiled regex) pairs:
		self.expect = []            # matched in order
		self.contains = []          # matched anywhere
		self.once = []              # matched by exactly one line
		self.reject = []            # must not match
		self.timeout = None
		self.smp = 1
		self.mem = "512M"
		self.cpu = None             # None: max (x86_64), cortex-a72 (aarch64)
		self.machine = None         # None: q35 (x86_64), virt,gic-version=3
		self.emulator = "system"    # tally_qemu --qemu-bin: system or a variant
		self.qemu = []
		self.exitline = True
		self.debugexit = True       # QEMU gets the isa-debug-exit device
		self.shutdown = None        # one of SHUTDOWNS, or None: a status
		self.launcher = False       # boot through tally_qemu.py's command line
		self.check = None           # a script judging the console lines
		self.client = None          # a host-side script run during the boot
		self.client_listens = False  # the boot waits for the client's port
		self.client_args = []       # its first arguments
		self.tap = 0                # tap queues (0: no tap namespace)
		self.xfail = []             # ktest names expected to fail
		self.repeat = 1             # boots of each path (a stress case's race)
		self.build = None           # Build, filled by plan_builds()

	def ktest(self):
		m = re.search(r"(?:^|\s)test=(\S*)", self.cmdline)
		return bool(m) and m.group(1) != "none"

	def timeout_for(self, boot):
		return self.timeout if self.timeout else DEFAULT_TIMEOUT[boot]

	def names(self):
		return ["%s/%s" % (self.name, b) for b in self.boots]


def parse_cases(text, fname="system.cases"):
	"""Parse the case-file text into a list of Case; raise CaseError."""
	cases, cur = [], None
	seen = set()
	for n, line in enumerate(text.splitlines(), 1):
		where = "%s:%d" % (fname, n)
		s = line.strip()
		if not s or s.startswith("#"):
			continue
		m = re.match(r"^\[([A-Za-z0-9_.-]+)\]$", s)
		if m:
			if m.group(1) in seen:
				raise CaseError("%s: duplicate case [%s]" % (where, m.group(1)))
			seen.add(m.group(1))
			cur = Case(m.group(1), where)
			cases.append(cur)
			continue
		m = re.match(r"^([a-z]+)(?:@([a-z0-9_-]+))?\s*=\s?(.*)$", line.lstrip())
		if not m:
			raise CaseError("%s: expected `[name]` or `key = value`, got %r"
			                % (where, s))
		if cur is None:
			raise CaseError("%s: `%s` outside a [case] block" % (where, m.group(1)))
		key, only, val = m.group(1), m.group(2), m.group(3).strip()
		try:
			_set_key(cur, key, val, only)
		except (ValueError, re.error) as e:
			raise CaseError("%s: %s: %s" % (where, key, e))
	for c in cases:
		if not c.boots:
			raise CaseError("%s: case [%s] has no `boot =` line" % (c.where, c.name))
	cases = [k for c in cases for k in _per_isa(c, seen)]
	for c in cases:
		_check_arch(c)
		if c.client_listens and not c.client:
			raise CaseError("%s: case [%s]: `listens` without a `client`" %
			                (c.where, c.name))
		if c.launcher and c.tap:
			raise CaseError("%s: case [%s]: `launcher = yes` cannot run inside a "
			                "tap's namespace" % (c.where, c.name))
		if c.launcher and c.shutdown:
			raise CaseError("%s: case [%s]: `launcher = yes` needs a status, "
			                "not `shutdown =`" % (c.where, c.name))
	return cases


ISA_SUFFIX = {"x86_64": "x86", "aarch64": "a64"}
A64_BOOTS = ("direct", "uefi", "grub-efi")


def _per_isa(c, seen):
	"""The case once per ISA of its arch line (above, `arch = ISA...`)."""
	isas = c.arches or ["x86_64"]
	if len(isas) > 1 and (c.machine or c.cpu):
		raise CaseError("%s: case [%s]: a case of several ISAs takes each ISA's "
		                "machine and CPU (no `machine` or `cpu`)" % (c.where, c.name))
	out = []
	for i, isa in enumerate(isas):
		k = copy.copy(c)
		k.arch = isa
		if i:
			k.name = "%s.%s" % (c.name, ISA_SUFFIX[isa])
			if k.name in seen:
				raise CaseError("%s: case [%s]: its %s copy's name %s is taken"
				                % (c.where, c.name, isa, k.name))
			seen.add(k.name)
		k.boots = [b for b in c.boots if isa != "aarch64" or b in A64_BOOTS]
		if not k.boots:
			raise CaseError("%s: case [%s]: none of its boot paths exists on %s"
			                % (c.where, c.name, isa))
		for key in ("expect", "contains", "once", "reject"):
			setattr(k, key, [(None if only == isa else only, rx)
			                 for only, rx in getattr(c, key)
			                 if only not in ARCHES or only == isa])
		k.qemu, k.xfail, k.client_args = list(c.qemu), list(c.xfail), list(c.client_args)
		out.append(k)
	return out


def _check_arch(c):
	"""Fill the arch-dependent defaults; refuse what the arch cannot boot."""
	def bad(why):
		raise CaseError("%s: case [%s]: %s" % (c.where, c.name, why))
	if c.arch == "aarch64":
		c.machine = c.machine or "virt,gic-version=3"
		c.cpu = c.cpu or "cortex-a72"
		if not A64_MACHINE.match(c.machine):
			bad("arch = aarch64 needs machine = virt[,gic-version=2|3][,virtualization=on][,acpi=off]")
		if any(b not in ("direct", "uefi", "grub-efi") for b in c.boots):
			bad("arch = aarch64 boots only `boot = direct`, `uefi` and `grub-efi`")
		if any(b != "direct" for b in c.boots) and c.app == "default":
			bad("arch = aarch64, boot = uefi or grub-efi needs an `app =` (the kernel; "
			    "the boot test image boots directly only)")
		if c.launcher or c.xfail:
			bad("arch = aarch64: no launcher or xfail yet")
	else:
		c.machine = c.machine or "q35"
		c.cpu = c.cpu or "max"
		if c.machine not in X86_MACHINES:
			bad("machine %s is not one of %s" % (c.machine, ", ".join(X86_MACHINES)))


def _set_key(c, key, val, only=None):
	if key not in CASE_KEYS:
		raise ValueError("unknown key (valid keys: %s)" % ", ".join(CASE_KEYS))
	if only is not None:
		if key not in ("expect", "contains", "once", "reject"):
			raise ValueError("only expect, contains, once and reject take @boot")
		if only not in TARGET and only not in ARCHES:
			raise ValueError("unknown boot path or ISA %r (one of %s)"
			                 % (only, ", ".join(list(TARGET) + list(ARCHES))))
	if key == "arch":
		isas = val.split()
		if not isas or any(a not in ARCHES for a in isas) or len(set(isas)) < len(isas):
			raise ValueError("one or more of x86_64, aarch64, each once")
		c.arches = isas
		c.arch = isas[0]
	elif key == "app":
		c.app = val or "default"
	elif key == "boot":
		for b in val.split():
			if b not in TARGET:
				raise ValueError("unknown boot path %r (one of %s)"
				                 % (b, ", ".join(TARGET)))
			if b not in c.boots:
				c.boots.append(b)
	elif key == "cmdline":
		c.cmdline = val
	elif key == "status":
		c.status = int(val, 0)
	elif key in ("expect", "contains", "once", "reject"):
		if not val:
			raise ValueError("empty regex")
		getattr(c, key).append((only, re.compile(val)))
	elif key == "timeout":
		c.timeout = float(val)
	elif key == "smp":
		c.smp = int(val)
	elif key == "mem":
		c.mem = val
	elif key == "cpu":
		c.cpu = val
	elif key == "machine":
		if val not in X86_MACHINES and not A64_MACHINE.match(val):
			raise ValueError("q35, pc, isapc or microvm (aarch64: virt[,gic-version=2|3])")
		c.machine = val
	elif key == "qemu":
		c.qemu += val.split()
	elif key == "emulator":
		import tally_qemu
		names = ["system"] + sorted(tally_qemu.QEMU_VARIANTS)
		if val not in names:
			raise ValueError("one of %s" % ", ".join(names))
		c.emulator = val
	elif key == "exitline":
		if val not in ("yes", "no"):
			raise ValueError("yes or no")
		c.exitline = val == "yes"
	elif key == "debugexit":
		if val not in ("yes", "no"):
			raise ValueError("yes or no")
		c.debugexit = val == "yes"
	elif key == "shutdown":
		if val not in SHUTDOWNS:
			raise ValueError("one of %s" % ", ".join(SHUTDOWNS))
		c.shutdown = val
	elif key == "launcher":
		if val not in ("yes", "no"):
			raise ValueError("yes or no")
		c.launcher = val == "yes"
	elif key == "check":
		if not os.path.isfile(os.path.join(ROOT, val)):
			raise ValueError("no script %s" % val)
		c.check = val
	elif key == "client":
		words = val.split()
		if not words or not os.path.isfile(os.path.join(ROOT, words[0])):
			raise ValueError("no script %s" % val)
		c.client, c.client_args = words[0], words[1:]
	elif key == "listens":
		if val not in ("yes", "no"):
			raise ValueError("yes or no")
		c.client_listens = val == "yes"
	elif key == "tap":
		c.tap = int(val)
		if not 1 <= c.tap <= 16:
			raise ValueError("tap queues 1..16")
	elif key == "repeat":
		c.repeat = int(val)
		if not 1 <= c.repeat <= 1000:
			raise ValueError("repeat 1..1000")
	elif key == "xfail":
		if not val:
			raise ValueError("expected ktest names")
		c.xfail += val.split()

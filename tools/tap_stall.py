#!/usr/bin/env python3
"""tap_stall.py - boot apps/udpecho.c through a tap several times and
flood it, to catch a guest whose echoes stop (docs/net.md, "A lost
notification at P=1").

Run inside a tap namespace (tools/tapnet.py makes one):

    make kernel APP=apps/udpecho.c OUT=build/x86_64/apps/udpecho
    python3 tools/tapnet.py -- python3 tools/tap_stall.py --boots 5 --smp 1

Each boot: QEMU with the tap's netdev, a QMP socket and `-smp N`; a UDP
probe until the guest answers; then FLOODS floods of SECONDS each with
16 datagrams in flight (tap_client.py's udp_flood: each echo checked
against its sequence number, a datagram answered replaced by a new one).  A flood in which nothing
comes back for STALL seconds is a stall: the device's view of both
queues is read through QMP (x-query-virtio-queue-status: the device's
last_avail_idx, used_idx, and the rings' addresses; then the guest's
avail->idx, used->idx, used_event and avail_event read from guest memory
with `xp`) and printed.  After the floods, "quit" (sent a few times) and
the guest's own counters from its console (udp.in, udp.out, the
driver's tx counters).

Output: one line per flood, a block per stall, a summary line
`tap_stall: N boots, S with a stall`; exit 1 when any boot stalled or
failed.  stdlib only.
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap_client import udp_flood  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUEST = os.environ.get("TALLY_TAP_GUEST", "192.168.77.2")


class Qmp:
	def __init__(self, path, limit=20):
		t0 = time.monotonic()
		while True:
			try:
				self.s = socket.socket(socket.AF_UNIX)
				self.s.connect(path)
				break
			except OSError:
				if time.monotonic() - t0 > limit:
					raise
				time.sleep(0.1)
		self.f = self.s.makefile("rw")
		self.f.readline()  # greeting
		self.cmd("qmp_capabilities")

	def cmd(self, name, **args):
		self.f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
		self.f.flush()
		while True:
			r = json.loads(self.f.readline())
			if "return" in r or "error" in r:
				return r

	def hmp(self, line):
		return self.cmd("human-monitor-command", **{"command-line": line}).get("return", "")


def u16(qmp, addr):
	out = qmp.hmp("xp /1hx 0x%x" % addr)
	m = re.search(r":\s*0x([0-9a-fA-F]+)", out)
	return int(m.group(1), 16) if m else None


def dump_queues(qmp, path, size):
	lines = []
	for q, name in ((0, "rx"), (1, "tx")):
		r = qmp.cmd("x-query-virtio-queue-status", path=path, queue=q).get("return")
		if not r:
			lines.append("%s: no status" % name)
			continue
		avail, used = r["vring-avail"], r["vring-used"]
		a_flags, a_idx = u16(qmp, avail), u16(qmp, avail + 2)
		used_event = u16(qmp, avail + 4 + 2 * size)
		u_flags, u_idx = u16(qmp, used), u16(qmp, used + 2)
		avail_event = u16(qmp, used + 4 + 8 * size)
		lines.append("%s: device last_avail %d shadow_avail %d used %d signalled_used %s; "
		             "guest avail.idx %s avail.flags %s used_event %s | used.idx %s "
		             "used.flags %s avail_event %s" % (
		                 name, r["last-avail-idx"], r["shadow-avail-idx"], r["used-idx"],
		                 r.get("signalled-used"), a_idx, a_flags, used_event, u_idx,
		                 u_flags, avail_event))
	return lines


def boot(opts, k):
	tmp = tempfile.mkdtemp(prefix="tap_stall.")
	qmp_path = os.path.join(tmp, "qmp")
	log_path = os.path.join(tmp, "console")
	cmd = ["timeout", str(opts.timeout), opts.qemu_bin, "-nodefaults", "-display", "none",
	       "-no-reboot", "-machine", "q35", "-cpu", "max", "-smp", str(opts.smp),
	       "-m", "512M", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
	       "-serial", "file:" + log_path, "-kernel", opts.kernel,
	       "-append", "ip=%s/24 %s-- 7 0" % (GUEST, opts.cmdline + " " if opts.cmdline else ""),
	       "-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no",
	       "-device", "virtio-net-pci,netdev=n0,disable-legacy=on,id=nic0",
	       "-qmp", "unix:%s,server=on,wait=off" % qmp_path]
	q = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
	                     stderr=subprocess.DEVNULL)
	stalled = False
	try:
		qmp = Qmp(qmp_path)
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.connect((GUEST, 7))
		s.settimeout(0.5)
		t0 = time.monotonic()
		while True:
			s.send(b"probe")
			try:
				if s.recv(64) == b"probe":
					break
			except socket.timeout:
				pass
			if time.monotonic() - t0 > 60:
				print("tap_stall: boot %d: no answer to a probe in 60 s" % k, flush=True)
				return True
		s.settimeout(0.05)
		for f in range(opts.floods):
			sent, echoed, at = udp_flood(s, opts.seconds, opts.stall)
			print("tap_stall: boot %d flood %d: %d sent, %d echoed%s" % (
			    k, f, sent, echoed, "; STALL at %.2f s" % at if at is not None else ""),
			    flush=True)
			if at is not None:
				stalled = True
				for line in dump_queues(qmp, "/machine/peripheral/nic0/virtio-backend",
				                        opts.ring):
					print("tap_stall:   " + line, flush=True)
				time.sleep(1.0)
				for line in dump_queues(qmp, "/machine/peripheral/nic0/virtio-backend",
				                        opts.ring):
					print("tap_stall:   1 s later " + line, flush=True)
				break
			# drain what is still in flight
			time.sleep(0.3)
			try:
				while s.recv(2048):
					pass
			except socket.timeout:
				pass
		for _ in range(3):
			s.send(b"quit")
			time.sleep(0.3)
		try:
			q.wait(timeout=10)
		except subprocess.TimeoutExpired:
			print("tap_stall: boot %d: no exit after quit; killing QEMU" % k, flush=True)
			qmp.cmd("quit")
	finally:
		if q.poll() is None:
			q.kill()
			q.wait()
	with open(log_path, errors="replace") as f:
		for line in f:
			if "register read" in line:
				print("tap_stall: boot %d console: %s" % (k, line.strip()), flush=True)
			if line.startswith("udpecho: stats") or "FATAL" in line:
				keep = [w for w in line.split() if re.match(
				    r"(udp\.(in|out)|tx\.|drop\.tx|dev\.|netpoll\.irq)", w)]
				print("tap_stall: boot %d console: %s" % (k, " ".join(keep) or line.strip()),
				      flush=True)
	return stalled


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("--boots", type=int, default=5)
	ap.add_argument("--smp", type=int, default=1)
	ap.add_argument("--floods", type=int, default=6)
	ap.add_argument("--seconds", type=float, default=2.0)
	ap.add_argument("--stall", type=float, default=1.0, help="seconds without an echo")
	ap.add_argument("--ring", type=int, default=128, help="the driver's queue size")
	ap.add_argument("--timeout", type=int, default=120)
	ap.add_argument("--cmdline", default="", help="boot options before ip=")
	ap.add_argument("--qemu-bin", default="qemu-system-x86_64")
	ap.add_argument("--kernel", default=os.path.join(ROOT, "build/x86_64/apps/udpecho/kernel.elf"))
	opts = ap.parse_args()
	if "tap0" not in open("/proc/self/net/dev").read():
		print("tap_stall: no tap0 here: run it under tools/tapnet.py")
		return 2
	bad = 0
	for k in range(opts.boots):
		if boot(opts, k):
			bad += 1
	print("tap_stall: %d boots, %d with a stall" % (opts.boots, bad), flush=True)
	return 1 if bad else 0


if __name__ == "__main__":
	sys.exit(main())

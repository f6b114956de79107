#!/usr/bin/env python3
"""tapnet.py - a tap device in a private network namespace, for QEMU and
the host-side clients of the tap system cases.

Purpose: QEMU's user networking (slirp) completes TCP on the host, offers
no checksum offload and one queue pair, and its forwarded ports listen
with a backlog of 1.  A tap device gives the guest a real Ethernet link
to a Linux network stack.  Traffic must stay on this machine, so the tap
lives in a network namespace made for one boot and gone with it: the
namespace's only other interface is its own loopback.

How (as a module: `with TapNet(queues) as t:`; as a command: `tapnet.py
[--queues N] [-- CMD ...]` runs CMD, default $SHELL, inside):
  1. a holder process, `unshare --net` (as root) or `unshare --user
     --map-root-user --net` (otherwise), runs a shell that sets lo up,
     creates the tap (`ip tuntap add dev tap0 mode tap`, `multi_queue`
     when queues > 1: a persistent device's multiqueue flag must match
     what QEMU asks for, which is multiqueue exactly when queues > 1),
     gives it HOST_IP/PREFIX, sets it up, prints `ready` and waits while
     the process that started it lives, LIMIT seconds at most (a check a
     second: `kill -0` of its parent, which unshare's exec makes this
     process);
  2. every process that must be inside (QEMU, curl, ping, a raw-socket
     sender) is started under prefix(): `nsenter -t PID --net [--user
     --preserve-credentials] --`;
  3. close() kills the holder.  The namespace is anonymous (no name in
     /run/netns): the kernel deletes it, the tap with it, when its last
     process exits, so nothing is left behind even when this process is
     killed: the holder ends within a second of it, and QEMU runs under
     its own coreutils timeout.

Addresses are constants: each boot has a namespace of its own, so
parallel boots cannot collide.  The host side is HOST_IP on IFNAME; the
guest is given GUEST_IP with the boot option ip=GUEST_IP/PREFIX.

Capabilities: the tap needs CAP_NET_ADMIN in the namespace (root, or a
user namespace) and QEMU must open /dev/net/tun, which is mode 0600 on
Debian's containers: without root the namespace can be made but QEMU
cannot open the device.  TapError names what is missing; the system
cases then fail with that message (never a silent pass).

Context: stdlib only; one TapNet per boot, usable from testrun.py's
worker threads (no shared state).
"""

import argparse
import os
import selectors
import signal
import subprocess
import sys
import time

IFNAME = "tap0"
HOST_IP = "192.168.77.1"
GUEST_IP = "192.168.77.2"
PREFIX = 24
GUEST_MAC = "52:54:00:12:34:56"  # QEMU's default for the first NIC
SETUP_TIMEOUT = 10.0


class TapError(Exception):
	pass


def _missing_tools():
	from shutil import which
	return [t for t in ("unshare", "nsenter", "ip") if not which(t)]


class TapNet:
	"""One namespace with one tap.  Attributes: pid (the holder, whose
	namespace it is), queues, userns (a user namespace was needed)."""

	def __init__(self, queues=1, limit=900):
		if queues < 1 or queues > 16:
			raise TapError("tap queues must be 1..16, not %d" % queues)
		self.queues = queues
		self.limit = int(limit)
		self.userns = os.geteuid() != 0
		self.proc = None
		self.pid = None

	def _script(self):
		mq = " multi_queue" if self.queues > 1 else ""
		return ("set -e; ip link set lo up; "
		        "ip tuntap add dev %s mode tap%s; "
		        "ip addr add %s/%d dev %s; ip link set %s up; "
		        "echo ready; p=$PPID; i=0; "
		        "while [ $i -lt %d ] && kill -0 $p 2>/dev/null; do sleep 1; i=$((i+1)); done"
		        % (IFNAME, mq, HOST_IP, PREFIX, IFNAME, IFNAME, self.limit))

	def start(self):
		miss = _missing_tools()
		if miss:
			raise TapError("tap network: %s not installed (iproute2, util-linux; "
			               "tools/bootstrap.sh)" % ", ".join(miss))
		if not os.access("/dev/net/tun", os.R_OK | os.W_OK):
			raise TapError("tap network: /dev/net/tun cannot be opened by uid %d "
			               "(QEMU must open it; run as root or make it 0666)"
			               % os.geteuid())
		cmd = ["unshare"]
		if self.userns:
			cmd += ["--user", "--map-root-user"]
		cmd += ["--net", "--", "sh", "-c", self._script()]
		self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
		                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
		                             start_new_session=True)
		self.pid = self.proc.pid
		out, err = b"", b""
		deadline = time.monotonic() + SETUP_TIMEOUT
		sel = selectors.DefaultSelector()
		sel.register(self.proc.stdout, selectors.EVENT_READ, "out")
		sel.register(self.proc.stderr, selectors.EVENT_READ, "err")
		try:
			while b"ready\n" not in out:
				left = deadline - time.monotonic()
				if left <= 0 or not sel.get_map():
					break
				for key, _ in sel.select(timeout=left):
					d = os.read(key.fileobj.fileno(), 4096)
					if not d:
						sel.unregister(key.fileobj)
					elif key.data == "out":
						out += d
					else:
						err += d
		finally:
			sel.close()
		if b"ready\n" not in out:
			self.close()
			why = err.decode("utf-8", "replace").strip().splitlines()
			raise TapError("tap network: namespace set-up failed (%s): %s" % (
				"unshare --user --net" if self.userns else "unshare --net",
				"; ".join(why[-3:]) or "no 'ready' within %.0f s" % SETUP_TIMEOUT))
		return self

	def prefix(self):
		"""The argv prefix that runs a command inside the namespace."""
		p = ["nsenter", "-t", str(self.pid), "--net"]
		if self.userns:
			p += ["--user", "--preserve-credentials"]
		return p + ["--"]

	def env(self, base=None):
		"""The environment a client gets: the link's addresses."""
		e = dict(os.environ if base is None else base)
		e.update(TALLY_TAP_IF=IFNAME, TALLY_TAP_HOST=HOST_IP,
		         TALLY_TAP_GUEST=GUEST_IP, TALLY_TAP_PREFIX=str(PREFIX),
		         TALLY_TAP_QUEUES=str(self.queues))
		return e

	def close(self):
		p, self.proc = self.proc, None
		if p is None:
			return
		try:
			os.killpg(p.pid, signal.SIGKILL)
		except (ProcessLookupError, PermissionError):
			pass
		p.wait()
		for f in (p.stdout, p.stderr):
			if f:
				f.close()

	def __enter__(self):
		return self.start()

	def __exit__(self, *exc):
		self.close()
		return False


def main(argv=None):
	ap = argparse.ArgumentParser(
		prog="tapnet.py",
		description="Run CMD (default $SHELL) in a private network namespace "
		            "holding %s (%s/%d); the guest is %s.  The namespace and "
		            "the tap are gone when CMD ends." % (IFNAME, HOST_IP, PREFIX,
		                                                  GUEST_IP))
	ap.add_argument("--queues", type=int, default=1,
	                help="tap queues (QEMU -netdev tap,queues=N), default 1")
	ap.add_argument("cmd", nargs="*")
	a = ap.parse_args(argv)
	cmd = a.cmd or [os.environ.get("SHELL", "/bin/sh")]
	try:
		with TapNet(a.queues) as t:
			p = subprocess.Popen(t.prefix() + cmd, env=t.env())
			try:
				return p.wait()
			except KeyboardInterrupt:
				p.terminate()
				return 130
	except TapError as e:
		print("tapnet: %s" % e, file=sys.stderr)
		return 1


if __name__ == "__main__":
	sys.exit(main())

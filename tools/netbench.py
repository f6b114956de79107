#!/usr/bin/env python3
"""netbench.py - `make netbench`: Tally's network servers against Go's.

Purpose: issue 13's benchmarks against Go.  The same UDP echo server and
HTTP/1.1 keep-alive server run on Tally (apps/udpecho.c, apps/httpd.c,
booted directly) and in Go (tools/bench/netgo/, a static program that the
Linux guest of the bench harness runs as its peer after /init has loaded
Debian's virtio_net module and set 10.0.2.15/24; the guest kernel gets
--linux-append, by default `tsc=reliable idle=halt`), in the same QEMU
configuration: the same binary, -M q35 -cpu max -m 512M, -smp N under
multi-threaded TCG, a modern virtio-net-pci (disable-legacy=on) on one of
two netdevs (--net):
  user (the default): QEMU's user networking (slirp) with hostfwd on
    127.0.0.1 to ports chosen free at run time; the clients run here.
  tap: a tap device in a private network namespace (tools/tapnet.py, one
    for the whole session; needs root, as the tap system cases do).  This
    script runs itself again inside the namespace (nsenter, with
    NETBENCH_TAPNS set to the holder's pid; the copy inside checks that
    its namespace has the tap), so QEMU, wrk and the UDP and HTTP clients
    all run there, against the guest's own address: Tally gets
    ip=GUEST/PREFIX, the Linux guest net=GUEST/PREFIX (tapnet's
    constants).  No slirp: no forwarded port with a backlog of 1, no
    per-request cost of slirp's thread.
Boots alternate in one session, Tally then Go, --rounds times (at least
3 for the record: boot-to-boot spread is about +-30% here).  --systems
tally-split,tally-packed compares Tally with split and packed virtqueues
instead: both boot a device that offers packed rings (packed=on), one
with virtio_packed=off, one with virtio_packed=on (TALLY_VARIANTS);
--alternate reverses the order every other round.

What one round measures, from the host (docs/net.md, "Benchmarks against
Go"; the clients are tools/bench/netclient.py):
  UDP (Tally: a udpecho boot; Go: the peer's port 7), 64-byte datagrams:
    warm-up: 200 ping-pongs (the emulator translates the code once);
    ping-pong: --udp-count datagrams one at a time, each checked byte for
      byte: round trip median, p90, p99, and the rate;
    flood: --udp-window datagrams kept in flight for --udp-seconds, each
      echo checked against what its sequence number sent: echoes/s, lost;
    a "mark" datagram before and after each phase makes the server print
    its accounting (Tally: the ledger summed over CPUs; Linux: /proc/stat),
    the difference is the phase's cost in the guest.
  HTTP (Tally: an httpd boot; Go: the peer's port 80), GET /:
    warm-up: wrk 1 s over 1 connection;
    wrk -t1 for --seconds over 1 and over 64 connections, every response
    checked by tools/httpd_wrk.lua (status 200 and the page); /stats read
    before and after each run gives the guest's accounting of it.
  Per phase the client's wall time per operation is set beside the
  guest's busy time per operation (every CPU summed): the difference is
  what the guest cannot see (slirp, the host's sockets, the client).

Output: build/netbench/<UTC date>-<commit>/ with results.json, the raw
consoles (logs/) and every client output (clients/); --record PATH also
writes the results file there (tests/bench/runs/net/results.json for the
docs), and tools/bench/render_net.py renders it into docs/net.md.
Exit status 1 when any boot fails to come up or to end, or any check
fails (a wrong echo, a wrong response, a socket error, a missing mark, a
guest count that disagrees with the client's); a client that cannot
finish is a failure of its boot, which is then stopped, and the session
goes on; through the tap the guest is pinged first (ICMP is answered by
Tally's poller and stack, or Linux's kernel, whatever its server does)
and the failure says how many of 3 pings it answered.  Exit status 2: bad options, or an image, the guest or wrk
missing, or (--net tap) the namespace could not be made (TapError's
message: no root, no /dev/net/tun, no unshare/nsenter/ip).  Every QEMU
still running is killed when the session ends, also on an error; the
namespace and its tap go with the process that made it.

Usage:
  tools/netbench.py [--net user|tap] [--rounds 3] [--smp 2] [--seconds 5]
                    [--udp-count 2000] [--udp-window 16] [--udp-seconds 3]
                    [--record PATH]
  tools/netbench.py --rounds 1 --seconds 1 --udp-count 200 --udp-seconds 1   (a quick look)

Invariants: one QEMU at a time, started only through tools/tally_qemu.py's
boot() under a timeout, in a thread while this one measures; the client
tools run under their own timeouts.  The results file's config records
net ("user" or "tap") beside the QEMU mode and P.  Context: stdlib only,
plus wrk; --net tap also unshare, nsenter and ip.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "tools")
sys.path.insert(0, TOOLS)
sys.path.insert(0, os.path.join(TOOLS, "bench"))
import netfmt       # noqa: E402
from netclient import SETTLE, http_get, http_session, udp_session   # noqa: E402
import tally_qemu   # noqa: E402
import tapnet       # noqa: E402
from testrun import free_port   # noqa: E402

LINUX_APPEND = "console=ttyS0 quiet loglevel=3 panic=-1"
READY = {"udp": re.compile(r"^udpecho: listening on "),
         "http": re.compile(r"^httpd: listening on "),
         "go": re.compile(r"^netpeer: listening ")}


class Console:
	"""The live console sink of a boot: keeps the lines, sets ready when
	a line matches the ready pattern."""

	def __init__(self, pattern, verbose):
		self.pattern, self.verbose = pattern, verbose
		self.ready = threading.Event()
		self.lines = []
		self.pending = b""
		self.buffer = self

	def write(self, data):
		if isinstance(data, str):
			data = data.encode()
		self.pending += data
		*lines, self.pending = self.pending.split(b"\n")
		for raw in lines:
			line = tally_qemu.clean_line(raw.decode("utf-8", "replace")).strip()
			self.lines.append(line)
			if self.verbose:
				print("    | %s" % line, flush=True)
			if self.pattern.search(line):
				self.ready.set()

	def flush(self):
		pass


class Boot:
	"""One QEMU boot in a thread."""

	def __init__(self, opts, console, log):
		self.opts, self.console, self.log = opts, console, log
		self.res = None
		self.t = threading.Thread(target=self._run, daemon=True)
		self.t.start()

	def _run(self):
		self.res = tally_qemu.boot(self.opts, self.console, self.log)
		self.console.ready.set()    # wake a waiter if it never came up

	def wait_ready(self, timeout):
		self.console.ready.wait(timeout)
		return self.res is None and any(self.console.pattern.search(l) for l in self.console.lines)

	def join(self, timeout):
		self.t.join(timeout)
		return self.res


# ---------------------------------------------------------------- boots

NIC = "virtio-net-pci,netdev=n0,disable-legacy=on"
# -netdev tap: the device tools/tapnet.py made in the session's namespace,
# opened by QEMU as it is (no scripts: the namespace set it up)
TAP_NETDEV = "tap,id=n0,ifname=%s,script=no,downscript=no" % tapnet.IFNAME
USER_GUEST = "10.0.2.15/24"     # slirp's default guest address
NETDEV_TEXT = {
	"user": "user (slirp), hostfwd tcp and udp on 127.0.0.1, ports free at run time",
	"tap": "tap (%s in a private network namespace, %s/%d; the guest %s, the clients "
	       "inside the namespace)" % (tapnet.IFNAME, tapnet.HOST_IP, tapnet.PREFIX,
	                                  tapnet.GUEST_IP)}


# Tally with split or packed virtqueues: the device offers packed rings
# (QEMU's packed=on) to both, and the boot option takes them or not, so
# the two run in one QEMU configuration.  system -> (boot option, NIC extra)
TALLY_VARIANTS = {"tally": ("", ""),
                  "tally-split": ("virtio_packed=off", ",packed=on"),
                  "tally-packed": ("virtio_packed=on", ",packed=on")}


def netdev(net, tport, uport, nic_extra=""):
	"""QEMU's network arguments: the same NIC on either netdev."""
	if net == "tap":
		return ["-netdev", TAP_NETDEV, "-device", NIC + nic_extra]
	return ["-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:80,hostfwd=udp:127.0.0.1:%d-:7"
	        % (tport, uport), "-device", NIC + nic_extra]


def endpoints(net):
	"""(address, HTTP port, UDP port) the clients use: through slirp the
	forwarded ports on 127.0.0.1, chosen free now; through the tap the
	guest's own address and ports."""
	if net == "tap":
		return tapnet.GUEST_IP, 80, 7
	tport, uport = free_port(), free_port()
	while uport == tport:
		uport = free_port()
	return "127.0.0.1", tport, uport


def boot_opts(a, system, workload, tport, uport):
	tap = a.net == "tap"
	guest = "%s/%d" % (tapnet.GUEST_IP, tapnet.PREFIX) if tap else USER_GUEST
	if system in TALLY_VARIANTS:
		out = os.path.join(ROOT, "build", "x86_64", "apps",
		                   "udpecho" if workload == "udp" else "httpd")
		args = "-- 7 0" if workload == "udp" else "-- 80 128"
		opt, nic_extra = TALLY_VARIANTS[system]
		# through slirp Tally takes its address from slirp's DHCP
		cmdline = " ".join(x for x in ("ip=" + guest if tap else "", a.tally_args, opt, args)
		                   if x)
		extra = netdev(a.net, tport, uport, nic_extra)
	else:
		out = os.path.join(a.out, "guest")
		os.makedirs(out, exist_ok=True)
		link = os.path.join(out, "kernel.elf")
		if os.path.lexists(link):
			os.unlink(link)
		os.symlink(os.path.join(ROOT, "build", "bench", "vmlinuz"), link)
		cmdline = "%s %s -- icount=no boot=bzimage net=%s netpeer" % (
			LINUX_APPEND, a.linux_append, guest)
		extra = ["-initrd", os.path.join(ROOT, "build", "bench", "netinit.cpio")] + \
			netdev(a.net, tport, uport)
	return tally_qemu.default_options(boot="direct", out=out, smp=a.smp, mem=a.mem,
	                                  machine="q35", cpu="max", cmdline=cmdline,
	                                  timeout=a.timeout, raw=True, extra=extra)


def one_boot(a, system, workload, rnd, boots, fails):
	"""Boot system for workload ("udp", "http" or "both"); returns the
	run's measurements."""
	host, tport, uport = endpoints(a.net)
	opts = boot_opts(a, system, workload, tport, uport)
	err = tally_qemu.check_options(opts)
	if err:
		fails.append("%s: %s" % (system, err))
		return None
	tag = "%s.%d.%s" % (system, rnd, workload)
	log = os.path.join(a.out, "logs", tag + ".log")
	con = Console(READY["go" if system == "go" else workload], a.verbose)
	print("netbench: round %d: %s %s: booting" % (rnd, system, workload), flush=True)
	t0 = time.monotonic()
	b = Boot(opts, con, log)
	run = {"system": system, "round": rnd}
	bfails = []
	if not b.wait_ready(a.timeout):
		bfails.append("%s: never listened" % tag)
		tally_qemu.kill_all()
	else:
		up = time.monotonic() - t0
		print("netbench: round %d: %s up in %.1f s" % (rnd, system, up), flush=True)
		try:
			if workload in ("udp", "both"):
				run["udp"] = udp_session(host, uport, a, bfails)
			if workload in ("http", "both"):
				run["http"] = http_session(host, tport, a, bfails,
				                           os.path.join(a.out, "clients"), tag)
		except (OSError, ValueError, subprocess.TimeoutExpired) as e:
			# a client that could not finish: the boot is ended below
			bfails.append("%s: the client stopped: %s" % (tag, e))
			run.pop("udp", None)
			run.pop("http", None)
		if bfails and a.net == "tap":
			# before it is told to quit: does the guest still answer
			# ICMP (Tally's poller and stack, Linux's kernel) when its
			# server does not?
			bfails.append("%s: %s" % (tag, ping_guest(host)))
		try:
			if workload == "udp":
				s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
				s.connect((host, uport))
				s.send(b"quit")
				s.close()
			else:
				http_get(host, tport, "/quit")
		except OSError as e:
			bfails.append("%s: quit: %s" % (tag, e))
	res = b.join(15 if bfails else a.timeout + 60)
	if res is None and bfails:
		tally_qemu.kill_all()   # it did not end after a failure: stop it
		res = b.join(30)
	if res is None:
		bfails.append("%s: the boot did not end" % tag)
	elif res.status != 0:
		bfails.append("%s: status %s %s" % (tag, res.status, res.message or ""))
	boots.append({"system": system, "round": rnd, "workload": workload,
	              "qemu": tally_qemu.build_command(opts),
	              "log": os.path.relpath(log, a.out),
	              "status": res.status if res else None,
	              "elapsed": round(res.elapsed, 2) if res else None,
	              "failure": "; ".join(bfails) or None})
	udp = run.get("udp")
	if udp:
		marks = netfmt.parse_marks("\n".join(con.lines))
		if len(marks) != 3:
			bfails.append("%s: %d mark lines, not 3" % (tag, len(marks)))
		else:
			for i, ph in enumerate(("pingpong", "flood")):
				d = netfmt.acct_sub(marks[i + 1], marks[i])
				p = udp[ph]
				ops = p["count"] if ph == "pingpong" else p["echoed"]
				# the guest's own count: every echo of the phase and the mark
				p["guest_count"] = d["count"]
				if ph == "pingpong" and d["count"] != p["count"] + 1:
					bfails.append("%s: the guest echoed %s datagrams in the ping-pong, "
					              "the client sent %d and the mark" % (tag, d["count"], p["count"]))
				p["guest"] = netfmt.per_op(d, ops, p["wall_s"], a.smp)
	http = run.get("http")
	if http:
		for key, w in http.items():
			before, after = w.pop("stats")
			d = netfmt.acct_sub(after, before)
			w["guest_count"] = d["count"]
			# the guest's count: wrk's requests, those in flight when it
			# stopped (at most one per connection) and the first /stats
			conns = int(key[1:])
			if d["count"] is None or not w["requests"] + 1 <= d["count"] <= w["requests"] + 1 + conns:
				bfails.append("%s: http %s: the guest served %s requests, wrk counted %d" % (
					tag, key, d["count"], w["requests"]))
				gops = None
			else:
				gops = d["count"] - 1
			w["guest"] = netfmt.per_op(d, w["requests"], w["duration_us"] / 1e6, a.smp, gops)
	bfails = [f if f.startswith(tag) else "%s: %s" % (tag, f) for f in bfails]
	for f in bfails:
		print("netbench: FAILED: %s" % f, flush=True)
	fails += bfails
	return run


_PING = re.compile(r"^(\d+) packets transmitted, (\d+) (?:packets )?received", re.M)


def ping_summary(text):
	"""(sent, answered) from ping's output, or None."""
	m = _PING.search(text)
	return (int(m.group(1)), int(m.group(2))) if m else None


def ping_guest(host, count=3):
	"""One line on whether host answers ping (through the tap only)."""
	try:
		p = subprocess.run(["ping", "-c", str(count), "-i", "0.2", "-W", "1", "-n", host],
		                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
		                   timeout=count + 10)
		out = p.stdout
	except (OSError, subprocess.TimeoutExpired) as e:
		return "ping of the guest could not run: %s" % e
	r = ping_summary(out)
	if not r:
		return "ping of the guest printed no summary: %s" % " ".join(out.split()[-12:])
	return "ping of the guest: %d of %d answered" % (r[1], r[0])


def report(run):
	u, h = run.get("udp") or {}, run.get("http") or {}
	parts = []
	if u:
		parts.append("udp rtt p50 %.0f us p99 %.0f us, flood %.0f/s" % (
			u["pingpong"]["p50_us"], u["pingpong"]["p99_us"], u["flood"]["pps"]))
	for k in ("c1", "c64"):
		if k in h:
			parts.append("http %s %.0f req/s p50 %.0f us" % (k, h[k]["rps"], h[k]["p50_us"]))
	return "; ".join(parts)


def merge(runs):
	"""Tally's udp and http boots of a round as one run."""
	out = {}
	for r in runs:
		m = out.setdefault((r["system"], r["round"]), {"system": r["system"], "round": r["round"]})
		for k in ("udp", "http"):
			if r.get(k):
				m[k] = r[k]
	return list(out.values())


def git_facts():
	def git(*args):
		return subprocess.run(["git", "-C", ROOT] + list(args), stdout=subprocess.PIPE,
		                      stderr=subprocess.DEVNULL, text=True).stdout.strip()
	return git("rev-parse", "--short=12", "HEAD") or "nogit", bool(
		git("status", "--porcelain", "--untracked-files=no"))


def session(a, systems, fails, boots, runs):
	"""Every round: the systems in their order (reversed every other round
	with --alternate); Tally's a udp and an http boot, Go's one."""
	for rnd in range(1, a.rounds + 1):
		order = list(reversed(systems)) if a.alternate and rnd % 2 == 0 else systems
		for system in order:
			if system in TALLY_VARIANTS:
				for w in ("udp", "http"):
					r = one_boot(a, system, w, rnd, boots, fails)
					if r:
						runs.append(r)
			else:
				r = one_boot(a, "go", "both", rnd, boots, fails)
				if r:
					runs.append(r)
		for r in merge(runs):
			if r["round"] == rnd:
				print("netbench: round %d: %s: %s" % (rnd, r["system"], report(r)), flush=True)


def parse_args(argv):
	ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	ap.add_argument("--rounds", type=int, default=3)
	ap.add_argument("--smp", type=int, default=2)
	ap.add_argument("--mem", default="512M")
	ap.add_argument("--net", choices=("user", "tap"), default="user",
	                help="user: QEMU's user networking (slirp) with forwarded ports on "
	                     "127.0.0.1 (default); tap: a tap device in a private network "
	                     "namespace (tools/tapnet.py; needs root), the clients inside it")
	ap.add_argument("--seconds", type=int, default=5, help="each wrk run")
	ap.add_argument("--udp-count", type=int, default=2000)
	ap.add_argument("--udp-window", type=int, default=16)
	ap.add_argument("--udp-seconds", type=int, default=3)
	ap.add_argument("--timeout", type=float, default=240, help="each boot")
	ap.add_argument("--tally-args", default="", help="more Tally boot options")
	ap.add_argument("--linux-append", default="tsc=reliable idle=halt",
	                help="guest kernel parameters (default: tsc=reliable, the TSC as the "
	                     "clocksource as Tally uses it, not the emulated HPET; idle=halt, an "
	                     "idle vCPU halts as Tally's do: under TCG Linux's default idle made "
	                     "the Go peer 3x slower, docs/net.md)")
	ap.add_argument("--systems", default="tally,go",
	                help="tally, go, tally-split, tally-packed (TALLY_VARIANTS)")
	ap.add_argument("--alternate", action="store_true",
	                help="reverse the systems' order every other round")
	ap.add_argument("--out", default=None)
	ap.add_argument("--record", help="also write the results file here")
	ap.add_argument("-v", "--verbose", action="store_true")
	a = ap.parse_args(argv)
	if a.rounds < 1 or a.seconds < 1 or a.udp_count < 1 or a.udp_window < 1 or a.smp < 1:
		ap.error("--rounds, --seconds, --udp-count, --udp-window and --smp must be positive")
	a.systems = [s for s in a.systems.split(",") if s]
	if not a.systems or any(s not in TALLY_VARIANTS and s != "go" for s in a.systems):
		ap.error("--systems: tally, go, tally-split, tally-packed")
	if a.net == "tap" and re.search(r"(^|\s)ip=", a.tally_args):
		ap.error("--net tap gives Tally ip=%s/%d itself; --tally-args must not set ip="
		         % (tapnet.GUEST_IP, tapnet.PREFIX))
	return a


def session_config(a, linux):
	"""The results file's "config": what both systems were booted with."""
	return {"machine": "q35", "cpu": "max", "mem": a.mem, "smp": a.smp,
	        "tcg": "multi-threaded (parallel)", "P": a.smp, "nic": NIC.replace("netdev=n0,", ""),
	        "net": a.net, "netdev": NETDEV_TEXT[a.net],
	        "tally_args": a.tally_args, "linux_append": a.linux_append,
	        "variants": {s: {"option": TALLY_VARIANTS[s][0], "nic_extra": TALLY_VARIANTS[s][1]}
	                     for s in a.systems if s in TALLY_VARIANTS and s != "tally"},
	        "alternate": a.alternate,
	        "linux": linux, "rounds": a.rounds, "wrk_seconds": a.seconds,
	        "udp_count": a.udp_count, "udp_window": a.udp_window,
	        "udp_seconds": a.udp_seconds}


# --net tap: the session runs again inside the namespace; this variable
# (the holder's pid) tells the copy inside that it is there.
INSIDE = "NETBENCH_TAPNS"


def inside_command(prefix, argv):
	"""The argv that runs this script with argv inside a namespace."""
	return list(prefix) + [sys.executable, os.path.abspath(__file__)] + list(argv)


def namespace_limit(a):
	"""Seconds the namespace's holder waits at most: every boot's budget."""
	boots = a.rounds * (2 * sum(s in TALLY_VARIANTS for s in a.systems) + ("go" in a.systems))
	return int(boots * (a.timeout + 60 + 2 * (a.seconds + 2 * SETTLE) + a.udp_seconds + 120)) + 600


def has_tap(dev_text, ifname=tapnet.IFNAME):
	"""Whether /proc/net/dev's text (this process's namespace) names ifname.
	(/sys/class/net is the namespace of whoever mounted /sys, not ours.)"""
	return any(line.split(":", 1)[0].strip() == ifname
	           for line in dev_text.splitlines() if ":" in line)


def in_tap_namespace():
	try:
		with open("/proc/self/net/dev") as f:
			return has_tap(f.read())
	except OSError:
		return False


def run_in_namespace(a, argv):
	"""--net tap from the host's namespace: make one namespace with its
	tap for the whole session, run this script inside it, return its
	status.  The namespace (and the tap) go when this process does."""
	try:
		t = tapnet.TapNet(1, limit=namespace_limit(a)).start()
	except tapnet.TapError as e:
		print("netbench: --net tap: %s" % e)
		return 2
	try:
		env = t.env()
		env[INSIDE] = str(t.pid)
		p = subprocess.Popen(inside_command(t.prefix(), argv), env=env)
		try:
			return p.wait()
		except KeyboardInterrupt:
			p.terminate()
			p.wait()
			return 130
	finally:
		t.close()


def main(argv=None):
	argv = sys.argv[1:] if argv is None else list(argv)
	a = parse_args(argv)
	systems = a.systems
	if a.net == "tap" and os.environ.get(INSIDE) and not in_tap_namespace():
		print("netbench: %s is set but this network namespace has no %s "
		      "(run tools/netbench.py --net tap from the host's namespace)"
		      % (INSIDE, tapnet.IFNAME))
		return 2
	need = []
	if any(s in TALLY_VARIANTS for s in systems):
		need += [os.path.join(ROOT, "build/x86_64/apps", x, "kernel.elf") for x in ("udpecho", "httpd")]
	if "go" in systems:
		need += [os.path.join(ROOT, "build/bench", x) for x in ("vmlinuz", "netinit.cpio")]
	missing = [os.path.relpath(p, ROOT) for p in need if not os.path.isfile(p)]
	if missing:
		print("netbench: missing %s (make netbench builds them)" % ", ".join(missing))
		return 2
	if not shutil.which("wrk"):
		print("netbench: no wrk on PATH (tools/bootstrap.sh installs it)")
		return 2
	if a.net == "tap" and not os.environ.get(INSIDE):
		return run_in_namespace(a, argv)
	commit, dirty = git_facts()
	stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
	a.out = a.out or os.path.join(ROOT, "build", "netbench",
	                              "%s-%s%s" % (stamp, commit, "-dirty" if dirty else ""))
	for d in ("logs", "clients"):
		os.makedirs(os.path.join(a.out, d), exist_ok=True)
	qv = subprocess.run([tally_qemu.qemu_program(tally_qemu.default_options()), "-version"],
	                    stdout=subprocess.PIPE, text=True).stdout.splitlines()[0].strip()
	load0 = os.getloadavg()
	fails, boots, runs = [], [], []
	try:
		session(a, systems, fails, boots, runs)
	finally:
		tally_qemu.kill_all()
	runs = merge(runs)
	try:
		with open(os.path.join(ROOT, "build", "bench", "vmlinuz.version")) as f:
			linux = f.read().strip()
	except OSError:
		linux = "unknown"
	results = {
		"schema": 1, "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
		"commit": commit, "dirty": dirty, "qemu": qv,
		"config": session_config(a, linux),
		"host": {"ncpu": os.cpu_count(), "load_start": [round(x, 2) for x in load0],
		         "load_end": [round(x, 2) for x in os.getloadavg()]},
		"boots": boots, "runs": runs, "failures": fails}
	for r in boots:
		r["qemu"] = [os.path.relpath(x, ROOT) if x.startswith(ROOT) else x for x in r["qemu"]]
	text = json.dumps(results, indent=1, sort_keys=True) + "\n"
	with open(os.path.join(a.out, "results.json"), "w") as f:
		f.write(text)
	if a.record:
		with open(a.record, "w") as f:
			f.write(text)
	import render_net
	print(render_net.render(results))
	print("netbench: %s in %s" % ("%d failures" % len(fails) if fails else "ok",
	                              os.path.relpath(a.out, ROOT)))
	return 1 if fails else 0


if __name__ == "__main__":
	try:
		sys.exit(main())
	except KeyboardInterrupt:
		tally_qemu.kill_all()
		sys.exit(130)

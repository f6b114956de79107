#!/usr/bin/env python3
"""netbench.py - `make netbench`: Tally's network servers against Go's.

Purpose: issue 13's benchmarks against Go.  The same UDP echo server and
HTTP/1.1 keep-alive server run on Tally (apps/udpecho.c, apps/httpd.c,
booted directly) and in Go (tools/bench/netgo/, a static program that the
Linux guest of the bench harness runs as its peer after /init has loaded
Debian's virtio_net module and set 10.0.2.15/24; the guest kernel gets
--linux-append, by default `tsc=reliable idle=halt`), in the same QEMU
configuration: the same binary, -M q35 -cpu max -m 512M, -smp N under
multi-threaded TCG, a modern virtio-net-pci (disable-legacy=on) on user
networking (slirp) with hostfwd on 127.0.0.1 to ports chosen free at run
time.  Boots alternate in one session, Tally then Go, --rounds times (at
least 3 for the record: boot-to-boot spread is about +-30% here).

What one round measures, from the host (docs/net.md, "Benchmarks against
Go"):
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
goes on.  Exit status 2: bad options, or an image, the guest or wrk
missing.  Every QEMU still running is killed when the session ends,
also on an error.

Usage:
  tools/netbench.py [--rounds 3] [--smp 2] [--seconds 5] [--udp-count 2000]
                    [--udp-window 16] [--udp-seconds 3] [--record PATH]
  tools/netbench.py --rounds 1 --seconds 1 --udp-count 200 --udp-seconds 1   (a quick look)

Invariants: one QEMU at a time, started only through tools/tally_qemu.py's
boot() under a timeout, in a thread while this one measures; the client
tools run under their own timeouts.  Context: stdlib only, plus wrk.
"""

import argparse
import json
import os
import re
import select
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
import tally_qemu   # noqa: E402
from testrun import free_port   # noqa: E402

LINUX_APPEND = "console=ttyS0 quiet loglevel=3 panic=-1"
LUA = os.path.join(TOOLS, "httpd_wrk.lua")
SETTLE = 1.0    # s between a wrk run and a read of the guest's count
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


# ------------------------------------------------------------------ UDP

def udp_roundtrip(s, data, timeout=2.0):
	s.settimeout(timeout)
	t = time.perf_counter()
	s.send(data)
	try:
		back = s.recv(2048)
	except socket.timeout:
		return None, None
	return back, time.perf_counter() - t


def udp_mark(s, fails, what):
	back, _ = udp_roundtrip(s, b"mark", 3.0)
	if back != b"mark":
		fails.append("udp: the %s mark was not echoed" % what)


def payload(seq):
	return seq.to_bytes(8, "big") * 8


def udp_session(port, a, fails):
	"""The UDP phases against 127.0.0.1:port; returns the client's view."""
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.connect(("127.0.0.1", port))
	t0 = time.monotonic()
	while True:
		try:
			back, _ = udp_roundtrip(s, b"probe", 0.5)
		except ConnectionRefusedError:
			back = None
		if back == b"probe":
			break
		if time.monotonic() - t0 > 60:
			fails.append("udp: no echo of a probe within 60 s")
			return None
	for i in range(200):
		udp_roundtrip(s, payload(1 << 40 | i))
	out = {}
	udp_mark(s, fails, "first")
	rtts, bad = [], 0
	start = time.monotonic()
	for i in range(a.udp_count):
		data = payload(i)
		back, rtt = udp_roundtrip(s, data)
		if back != data:
			bad += 1
		else:
			rtts.append(rtt)
	wall = time.monotonic() - start
	udp_mark(s, fails, "second")
	rtts.sort()
	out["pingpong"] = {"count": a.udp_count, "bad": bad, "wall_s": wall,
	                   "rate": a.udp_count / wall,
	                   "p50_us": netfmt.percentile(rtts, 50) * 1e6,
	                   "p90_us": netfmt.percentile(rtts, 90) * 1e6,
	                   "p99_us": netfmt.percentile(rtts, 99) * 1e6,
	                   "mean_us": sum(rtts) / len(rtts) * 1e6 if rtts else 0.0}
	if bad:
		fails.append("udp: %d of %d ping-pong echoes missing or different" % (bad, a.udp_count))
	out["flood"] = udp_flood(s, a, fails)
	udp_mark(s, fails, "third")
	s.close()
	return out


def udp_flood(s, a, fails):
	"""--udp-window datagrams in flight for --udp-seconds; a datagram not
	echoed within 0.5 s is lost and replaced."""
	s.setblocking(False)
	seq, inflight, got, lost, wrong, rtts = 1 << 32, {}, 0, 0, 0, []
	start = time.perf_counter()
	stop = start + a.udp_seconds
	while True:
		now = time.perf_counter()
		if now < stop:
			while len(inflight) < a.udp_window:
				try:
					s.send(payload(seq))
				except BlockingIOError:
					break
				inflight[seq] = time.perf_counter()
				seq += 1
		elif not inflight:
			break
		try:
			back = s.recv(2048)
		except BlockingIOError:
			back = None
		except ConnectionRefusedError:
			back = None
		if back is None:
			now = time.perf_counter()
			for k in [k for k, t in inflight.items() if now - t > 0.5]:
				del inflight[k]
				lost += 1
			if now >= stop and not inflight:
				break
			select.select([s], [], [], 0.01)
			continue
		k = int.from_bytes(back[:8], "big") if len(back) >= 8 else -1
		if k in inflight and back == payload(k):
			rtts.append(time.perf_counter() - inflight.pop(k))
			got += 1
		else:
			wrong += 1
	end = time.perf_counter()
	s.setblocking(True)
	# a late echo of a datagram declared lost: read it out before the mark
	s.settimeout(0.3)
	late = 0
	try:
		while True:
			s.recv(2048)
			late += 1
	except (socket.timeout, ConnectionRefusedError):
		pass
	rtts.sort()
	if wrong:
		fails.append("udp flood: %d echoes that no datagram in flight sent" % wrong)
	if got == 0:
		fails.append("udp flood: no echo")
	return {"window": a.udp_window, "sent": seq - (1 << 32), "echoed": got, "lost": lost,
	        "late": late, "wrong": wrong, "wall_s": end - start,
	        "pps": got / a.udp_seconds,
	        "p50_us": netfmt.percentile(rtts, 50) * 1e6,
	        "p99_us": netfmt.percentile(rtts, 99) * 1e6}


# ----------------------------------------------------------------- HTTP

def http_get(port, path, timeout=20):
	s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
	try:
		s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode())
		buf = b""
		while True:
			d = s.recv(65536)
			if not d:
				break
			buf += d
	finally:
		s.close()
	head, _, body = buf.partition(b"\r\n\r\n")
	if not head.startswith(b"HTTP/1.1 200"):
		raise IOError("GET %s: %r" % (path, head[:40]))
	return body.decode("utf-8", "replace")


def wrk(port, conns, seconds, clients_dir, tag):
	cmd = ["wrk", "-t1", "-c%d" % conns, "-d%ds" % seconds, "--timeout", "10s", "-s", LUA,
	       "http://127.0.0.1:%d/" % port]
	p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
	                   timeout=seconds + 60)
	if clients_dir:
		with open(os.path.join(clients_dir, tag + ".wrk.txt"), "w") as f:
			f.write(p.stdout)
	return netfmt.parse_wrk(p.stdout)


def http_session(port, a, fails, clients_dir, tag):
	t0 = time.monotonic()
	while True:
		try:
			if http_get(port, "/", 5).startswith("<!doctype html>"):
				break
		except (OSError, IOError):
			pass
		if time.monotonic() - t0 > 60:
			fails.append("http: no page within 60 s")
			return None
		time.sleep(0.5)
	wrk(port, 1, 1, None, "")
	out = {}
	for conns in (1, 64):
		key = "c%d" % conns
		# a request in flight when the last wrk stopped is served a moment
		# later: let it end before the guest's count is read
		time.sleep(SETTLE)
		before = http_get(port, "/stats")
		w = wrk(port, conns, a.seconds, clients_dir, "%s.c%d" % (tag, conns))
		time.sleep(SETTLE)
		after = http_get(port, "/stats")
		if clients_dir:
			with open(os.path.join(clients_dir, "%s.c%d.stats.json" % (tag, conns)), "w") as f:
				f.write(before.rstrip() + "\n" + after)
		w["stats"] = (netfmt.parse_stats(before), netfmt.parse_stats(after))
		if w["bad"] or w["errors"] or w["ok"] != w["requests"]:
			fails.append("http %s: %d requests, %d right, %d wrong, socket errors: connect %d "
			             "read %d write %d status %d timeout %d (wrk --timeout 10s)" % (
				key, w["requests"], w["ok"], w["bad"], w["connect"], w["read"], w["write"],
				w["status"], w["timeout"]))
		out[key] = w
	return out


# ---------------------------------------------------------------- boots

def netdev(tport, uport):
	return ["-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:80,hostfwd=udp:127.0.0.1:%d-:7"
	        % (tport, uport), "-device", "virtio-net-pci,netdev=n0,disable-legacy=on"]


def boot_opts(a, system, workload, tport, uport):
	if system == "tally":
		out = os.path.join(ROOT, "build", "x86_64", "apps",
		                   "udpecho" if workload == "udp" else "httpd")
		args = "-- 7 0" if workload == "udp" else "-- 80 128"
		cmdline = ("%s %s" % (a.tally_args, args)).strip()
		extra = netdev(tport, uport)
	else:
		out = os.path.join(a.out, "guest")
		os.makedirs(out, exist_ok=True)
		link = os.path.join(out, "kernel.elf")
		if os.path.lexists(link):
			os.unlink(link)
		os.symlink(os.path.join(ROOT, "build", "bench", "vmlinuz"), link)
		cmdline = "%s %s -- icount=no boot=bzimage net=10.0.2.15/24 netpeer" % (
			LINUX_APPEND, a.linux_append)
		extra = ["-initrd", os.path.join(ROOT, "build", "bench", "netinit.cpio")] + \
			netdev(tport, uport)
	return tally_qemu.default_options(boot="direct", out=out, smp=a.smp, mem=a.mem,
	                                  machine="q35", cpu="max", cmdline=cmdline,
	                                  timeout=a.timeout, raw=True, extra=extra)


def one_boot(a, system, workload, rnd, boots, fails):
	"""Boot system for workload ("udp", "http" or "both"); returns the
	run's measurements."""
	tport, uport = free_port(), free_port()
	while uport == tport:
		uport = free_port()
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
				run["udp"] = udp_session(uport, a, bfails)
			if workload in ("http", "both"):
				run["http"] = http_session(tport, a, bfails, os.path.join(a.out, "clients"), tag)
		except (OSError, ValueError, subprocess.TimeoutExpired) as e:
			# a client that could not finish: the boot is ended below
			bfails.append("%s: the client stopped: %s" % (tag, e))
			run.pop("udp", None)
			run.pop("http", None)
		try:
			if workload == "udp":
				s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
				s.connect(("127.0.0.1", uport))
				s.send(b"quit")
				s.close()
			else:
				http_get(tport, "/quit")
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
	"""Every round: Tally's boots, then Go's."""
	for rnd in range(1, a.rounds + 1):
		for system in systems:
			if system == "tally":
				for w in ("udp", "http"):
					r = one_boot(a, "tally", w, rnd, boots, fails)
					if r:
						runs.append(r)
			else:
				r = one_boot(a, "go", "both", rnd, boots, fails)
				if r:
					runs.append(r)
		for r in merge(runs):
			if r["round"] == rnd:
				print("netbench: round %d: %s: %s" % (rnd, r["system"], report(r)), flush=True)


def main(argv=None):
	ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	ap.add_argument("--rounds", type=int, default=3)
	ap.add_argument("--smp", type=int, default=2)
	ap.add_argument("--mem", default="512M")
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
	ap.add_argument("--systems", default="tally,go")
	ap.add_argument("--out", default=None)
	ap.add_argument("--record", help="also write the results file here")
	ap.add_argument("-v", "--verbose", action="store_true")
	a = ap.parse_args(argv)
	if a.rounds < 1 or a.seconds < 1 or a.udp_count < 1 or a.udp_window < 1 or a.smp < 1:
		ap.error("--rounds, --seconds, --udp-count, --udp-window and --smp must be positive")
	systems = [s for s in a.systems.split(",") if s]
	if any(s not in ("tally", "go") for s in systems):
		ap.error("--systems: tally and/or go")
	need = []
	if "tally" in systems:
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
		"config": {"machine": "q35", "cpu": "max", "mem": a.mem, "smp": a.smp,
		           "tcg": "multi-threaded (parallel)", "P": a.smp,
		           "nic": "virtio-net-pci,disable-legacy=on",
		           "netdev": "user (slirp), hostfwd tcp and udp on 127.0.0.1, ports free at run time",
		           "tally_args": a.tally_args, "linux_append": a.linux_append,
		           "linux": linux, "rounds": a.rounds, "wrk_seconds": a.seconds,
		           "udp_count": a.udp_count, "udp_window": a.udp_window,
		           "udp_seconds": a.udp_seconds},
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

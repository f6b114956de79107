#!/usr/bin/env python3
"""tap_client.py MODE [PORT] - the host side of the tap system cases.

Runs inside the boot's network namespace (tools/tapnet.py; testrun.py
starts it there for a case with `tap =`), where the guest is
TALLY_TAP_GUEST on the link TALLY_TAP_IF and this side is
TALLY_TAP_HOST.  PORT (testrun's free port) is not used: the guest is
reached at its own address.  Modes:

  ping      (apps/udpecho.c) waits for a UDP echo of a probe, then
            `ping -c 20` and `ping -c 5 -s 1400 -p a5` of the guest:
            every request must be answered (ping's own count of replies,
            and ping checks the echoed pattern: a "wrong data byte" line
            fails), then datagrams of 1..1472 bytes through socat must
            come back byte for byte, then "quit".  The case checks that
            the guest counted exactly the 25 echo requests ping sent.
  http      (apps/httpd.c) tools/httpd_client.py's whole run (curl with
            keep-alive and a 10 MiB body by SHA-256, /stats, wrk with
            every response checked, a client that vanishes, 64
            connections, a malformed request, memory back to its
            baseline) against the guest's address, port 80: through a
            tap there is no slirp in the way.
  mq PAIRS  (apps/httpd.c) wrk for 3 s over 8 connections with every
            response checked (tools/httpd_wrk.lua), then /stats: the
            guest must drive PAIRS queue pairs (the case's: min(tap
            queues, CPUs)), each of them (dev.pairK.rx_frames,
            tx_frames) must have carried frames both ways, and their
            receive counts must add up to the stack's own count of
            frames taken (rx.frames).
  csum      (apps/udpecho.c, GUEST_CSUM negotiated) datagrams through
            socat (the namespace's stack hands them to the tap with a
            partial checksum: NEEDS_CSUM, vouched for) must come back;
            then UDP frames written raw on the tap (the tap vouches for
            nothing: no flags) from a socket of ours: one with the
            checksum computed here (RFC 1071) must be echoed, BAD_CSUM_N
            with one payload bit flipped under a kept checksum must not
            be (the case checks the guest counted exactly those as
            drop.bad_csum), and a good one after them must be.
  flood N S (apps/udpecho.c) N floods of S seconds, each with
            FLOOD_INFLIGHT datagrams in flight (each echo checked against
            its sequence number and replaced by a new datagram): fails
            when a flood gets no echo for STALL_SECS (the lost transmit
            notification at P=1, docs/net.md), then "quit".  The case
            checks the guest counted as many datagrams out as in.
  synflood  (apps/httpd.c, backlog 16) FLOOD_SYNS spoofed SYNs (sources
            192.168.77.3..254 on the link, random ports and sequence
            numbers) written as raw Ethernet frames on the tap in about
            FLOOD_SECS, while curl fetches the page again and again;
            then curl again after the flood.  Fails if any fetch fails
            or takes over FETCH_MAX (a client kept waiting for the flood
            to end was denied service), if the guest saw no flood
            (tcp.syns_in and tcp.cookies_sent from /stats), or if its
            memory was not bounded: tcp.conns_peak (connections in its
            table) above SYN queue + backlog + CLIENT_CONNS (2 x backlog
            + 2), tcp.mem_peak (bytes of TCP sockets) above that plus the
            listener's spare pool (2 x backlog) connections of
            CONN_BYTES, + LISTENER_SLACK, or the page allocator's free
            memory (mem_free) down by more than MEM_FREE_SLACK.  Unbound,
            20,000 SYNs would hold 20,000 connections (2.8 GB).

Exit 0 when every check held; else 1 with a line per failure.  stdlib
only, plus ping (iputils-ping), socat, curl and wrk.
"""
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import threading
import time

GUEST = os.environ.get("TALLY_TAP_GUEST", "192.168.77.2")
HOST = os.environ.get("TALLY_TAP_HOST", "192.168.77.1")
IFNAME = os.environ.get("TALLY_TAP_IF", "tap0")
SIZES = [1, 2, 7, 64, 100, 511, 512, 513, 1000, 1400, 1471, 1472]

FLOOD_SYNS = 20000
FLOOD_SECS = 4.0
BACKLOG = 16            # the synflood case's `-- 80 16`
CLIENT_CONNS = 2        # connections this script holds open at once, at most
# One connection's allocation, rt_malloc_usable_size of the socket, its
# tcp_conn and two 64 KiB rings (docs/net.md, "Listeners and memory");
# the bound is in whole connections, so an error here of a few hundred
# bytes cannot decide the case.
CONN_BYTES = 139264
LISTENER_SLACK = 64 * 1024
MEM_FREE_SLACK = 8 << 20
# flood: datagrams kept in flight, and how long without an echo is a stall
# (an echo takes under 10 ms on a loaded host; the guest's 128-entry rings
# never hold 16 datagrams back for a second).
FLOOD_INFLIGHT = 16
STALL_SECS = 1.0
# A fetch that waits for one lost SYN-ACK takes 1 s (curl's first SYN
# retry), for two 3 s; longer means the flood kept the client out.
FETCH_MAX = 3.5


def say(msg):
	print("tap_client: " + msg, flush=True)


def socat(data, wait, port=7):
	p = subprocess.run(["socat", "-t", str(wait), "-T", str(wait + 1), "-",
	                    "UDP:%s:%d" % (GUEST, port)],
	                   input=data, capture_output=True, timeout=wait + 10)
	return p.stdout


def wait_udp(limit=60):
	t0 = time.monotonic()
	while socat(b"probe", 1) != b"probe":
		if time.monotonic() - t0 > limit:
			raise IOError("no echo of a UDP probe within %d s" % limit)
	say("guest answers after %.1f s" % (time.monotonic() - t0))


def ping(args, fails, want):
	p = subprocess.run(["ping", "-n", "-W", "2"] + args + [GUEST],
	                   capture_output=True, text=True, timeout=60)
	m = re.search(r"(\d+) packets transmitted, (\d+) received", p.stdout)
	if not m:
		fails.append("ping %s: no summary (exit %d): %s" % (
			" ".join(args), p.returncode, (p.stdout + p.stderr).strip()[-200:]))
		return
	sent, got = int(m.group(1)), int(m.group(2))
	rtt = re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)", p.stdout)
	say("ping %s: %d sent, %d replies%s" % (" ".join(args), sent, got,
	    ", rtt min/avg/max %s/%s/%s ms" % rtt.groups() if rtt else ""))
	if sent != want or got != want:
		fails.append("ping %s: %d sent, %d replies, want %d and %d" % (
			" ".join(args), sent, got, want, want))
	if "wrong data byte" in p.stdout or "DUP!" in p.stdout:
		fails.append("ping %s: a reply with wrong data or a duplicate" % " ".join(args))


def mode_ping():
	fails = []
	wait_udp()
	ping(["-c", "20", "-i", "0.05"], fails, 20)
	ping(["-c", "5", "-i", "0.05", "-s", "1400", "-p", "a5"], fails, 5)
	rnd = random.Random(862)
	bad = 0
	for n in SIZES:
		data = bytes(rnd.getrandbits(8) for _ in range(n))
		back = socat(data, 1)
		if back != data:
			bad += 1
			fails.append("udp %d bytes: %d came back" % (n, len(back)))
	if not bad:
		say("%d datagrams of %d..%d bytes echoed identically" % (
			len(SIZES), min(SIZES), max(SIZES)))
	socat(b"quit", 1)
	return fails


def udp_flood(sock, seconds, stall=STALL_SECS, inflight=FLOOD_INFLIGHT):
	"""Keep `inflight` 64-byte datagrams in flight on the connected UDP
	socket sock (its timeout short, e.g. 0.05 s) for `seconds`: each echo
	must equal the datagram its sequence number names; an echo answered is
	replaced by a new datagram.  Returns (sent, echoed, stalled_at): the
	seconds into the flood at which nothing had come back for `stall`
	seconds, or None."""
	seq = 0
	out = {}
	echoed = 0
	t0 = last = time.monotonic()

	def send():
		nonlocal seq
		p = seq.to_bytes(8, "big") + bytes((seq + i) & 255 for i in range(56))
		sock.send(p)
		out[seq] = p
		seq += 1
	for _ in range(inflight):
		send()
	while time.monotonic() - t0 < seconds:
		try:
			d = sock.recv(2048)
		except socket.timeout:
			if time.monotonic() - last > stall:
				return seq, echoed, time.monotonic() - t0
			continue
		if len(d) < 8 or out.pop(int.from_bytes(d[:8], "big"), None) != d:
			continue  # late (its flood gave up on it) or wrong: not counted
		echoed += 1
		last = time.monotonic()
		send()
	return seq, echoed, None


def mode_flood(n, secs):
	fails = []
	wait_udp()
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.connect((GUEST, 7))
	s.settimeout(0.05)
	total = 0
	for k in range(n):
		sent, echoed, at = udp_flood(s, secs)
		total += echoed
		say("flood %d: %d sent, %d echoed%s" % (
			k, sent, echoed, "; nothing back for %.1f s at %.2f s" % (STALL_SECS, at)
			if at is not None else ""))
		if at is not None:
			fails.append("flood %d stalled at %.2f s after %d echoes" % (k, at, echoed))
			break
		time.sleep(0.3)  # what is still in flight comes back (or not) here
		try:
			while s.recv(2048):
				pass
		except socket.timeout:
			pass
	say("%d echoes in %d floods" % (total, n))
	for _ in range(3):  # quit may be lost, as any datagram
		s.send(b"quit")
		time.sleep(0.2)
	return fails


def mode_http():
	import httpd_client
	httpd_client.HOST = GUEST
	sys.argv = [sys.argv[0], "80"]
	return ["httpd_client failed (its lines above)"] if httpd_client.main() else []


def mode_mq():
	fails = []
	t0 = time.monotonic()
	while True:
		try:
			get_stats()
			break
		except (IOError, ValueError, subprocess.TimeoutExpired):
			if time.monotonic() - t0 > 60:
				raise IOError("no answer to /stats within 60 s")
			time.sleep(1)
	script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "httpd_wrk.lua")
	p = subprocess.run(["wrk", "-t2", "-c8", "-d3s", "--timeout", "10s", "-s", script,
	                    "http://%s/" % GUEST], capture_output=True, text=True, timeout=120)
	line = [l for l in p.stdout.splitlines() if l.startswith("wrk-check: requests")]
	if p.returncode != 0 or not line:
		fails.append("wrk: exit %d, no check line: %s" % (
			p.returncode, (p.stdout + p.stderr).strip().splitlines()[-1:]))
	else:
		f = line[0].replace("wrk-check: ", "").split()
		vals = {f[i]: int(f[i + 1]) for i in range(len(f) - 1) if f[i + 1].isdigit()}
		say("wrk, 8 connections: %s" % line[0][11:])
		errs = sum(vals.get(k, 0) for k in ("connect", "read", "write", "status", "timeout"))
		if vals.get("ok", 0) < 1 or vals.get("bad", 1) != 0 or errs:
			fails.append("wrk: %s" % line[0])
	n = get_stats()["net"]
	want = int(sys.argv[2])
	pairs = [(n["dev.pair%d.rx_frames" % k], n["dev.pair%d.tx_frames" % k])
	         for k in range(8) if "dev.pair%d.rx_frames" % k in n]
	say("queue pairs (rx, tx frames): %s; rx.frames %d" % (pairs, n["rx.frames"]))
	if len(pairs) != want:
		fails.append("%d queue pairs driven, want %d" % (len(pairs), want))
	for k, (r, t) in enumerate(pairs):
		if r == 0 or t == 0:
			fails.append("pair %d carried rx %d tx %d frames: not both ways" % (k, r, t))
	if sum(r for r, _ in pairs) != n["rx.frames"]:
		fails.append("pairs received %d frames, the stack took %d" % (
			sum(r for r, _ in pairs), n["rx.frames"]))
	subprocess.run(["curl", "-sS", "--max-time", "10", "-o", "/dev/null",
	                "http://%s/quit" % GUEST], capture_output=True, timeout=30)
	return fails


BAD_CSUM_N = 3


def udp_frame(dmac, smac, sport, dport, payload, corrupt=False):
	src, dst = socket.inet_aton(HOST), socket.inet_aton(GUEST)
	udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
	c = csum(struct.pack("!4s4sBBH", src, dst, 0, 17, len(udp)) + udp) or 0xffff
	udp = udp[:6] + struct.pack("!H", c) + udp[8:]
	if corrupt:   # one payload bit flipped after the checksum was made
		udp = udp[:8] + bytes([udp[8] ^ 0x10]) + udp[9:]
	ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0x4000, 64, 17, 0, src, dst)
	ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
	return dmac + smac + b"\x08\x00" + ip + udp


def mode_csum():
	fails = []
	wait_udp()
	rnd = random.Random(1071)
	for n in (1, 100, 1472):
		data = bytes(rnd.getrandbits(8) for _ in range(n))
		if socat(data, 1) != data:
			fails.append("socat %d bytes: not echoed" % n)
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	u.bind((HOST, 0))
	u.settimeout(1.0)
	sport = u.getsockname()[1]
	raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
	raw.bind((IFNAME, 0))
	dmac, smac = mac_of(GUEST), raw.getsockname()[4]

	def echoed(payload, corrupt):
		raw.send(udp_frame(dmac, smac, sport, 7, payload, corrupt))
		try:
			while True:
				d, a = u.recvfrom(2048)
				if a[0] == GUEST and d == payload:
					return True
		except socket.timeout:
			return False

	if not echoed(b"raw, good checksum 1", False):
		fails.append("a raw frame with a good checksum was not echoed")
	for i in range(BAD_CSUM_N):
		if echoed(b"raw, corrupted %d" % i, True):
			fails.append("a raw frame with a corrupted payload was echoed")
	if not echoed(b"raw, good checksum 2", False):
		fails.append("a raw frame with a good checksum after the bad ones was not echoed")
	say("raw frames: 2 good echoed, %d corrupted not" % BAD_CSUM_N if not fails else
	    "raw frames: see failures")
	raw.close()
	u.close()
	socat(b"quit", 1)
	return fails


# ---------------------------------------------------------------- SYN flood

def csum(b):
	if len(b) & 1:
		b += b"\0"
	s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
	while s >> 16:
		s = (s & 0xffff) + (s >> 16)
	return ~s & 0xffff


def mac_of(ip):
	"""The link-layer address the namespace's ARP table has for ip."""
	with open("/proc/net/arp") as f:
		for line in f.readlines()[1:]:
			w = line.split()
			if w[0] == ip and w[3] != "00:00:00:00:00:00":
				return bytes.fromhex(w[3].replace(":", ""))
	raise IOError("no ARP entry for %s" % ip)


def syn_frame(dmac, smac, src, dst, sport, seq):
	opt = b"\x02\x04\x05\xb4"                         # MSS 1460
	tcp = struct.pack("!HHIIBBHHH", sport, 80, seq, 0, 6 << 4, 0x02, 64240, 0, 0) + opt
	pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(tcp))
	tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
	ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), seq & 0xffff, 0x4000, 64, 6, 0,
	                 src, dst)
	ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
	return dmac + smac + b"\x08\x00" + ip + tcp


def flood(stats_out):
	"""FLOOD_SYNS spoofed SYNs in about FLOOD_SECS, paced in slices."""
	dmac = mac_of(GUEST)
	s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
	s.bind((IFNAME, 0))
	smac = s.getsockname()[4]
	dst = socket.inet_aton(GUEST)
	rnd = random.Random(13)
	net = HOST.rsplit(".", 1)[0] + "."
	t0 = time.monotonic()
	sent = errs = 0
	for i in range(FLOOD_SYNS):
		src = socket.inet_aton(net + str(rnd.randrange(3, 255)))
		f = syn_frame(dmac, smac, src, dst, rnd.randrange(1024, 65536), rnd.getrandbits(32))
		try:
			s.send(f)
			sent += 1
		except OSError:
			errs += 1   # the tap's queue is full: the guest reads slower than this
		ahead = t0 + FLOOD_SECS * (i + 1) / FLOOD_SYNS - time.monotonic()
		if ahead > 0.002:
			time.sleep(ahead)
	s.close()
	stats_out.update(sent=sent, errs=errs, secs=time.monotonic() - t0)


def curl_page(what, fails, times):
	t0 = time.monotonic()
	p = subprocess.run(["curl", "-sS", "--max-time", "20", "-o", "-", "-w",
	                    "\n%{http_code}", "http://%s/" % GUEST],
	                   capture_output=True, timeout=60)
	dt = time.monotonic() - t0
	body, _, code = p.stdout.rpartition(b"\n")
	if p.returncode != 0 or code != b"200" or not body.startswith(b"<!doctype html>"):
		fails.append("curl %s: exit %d, status %r after %.1f s %s" % (
			what, p.returncode, code, dt, p.stderr.decode(errors="replace").strip()))
	elif dt > FETCH_MAX:
		fails.append("curl %s: %.1f s for the page (bound %.1f s)" % (what, dt, FETCH_MAX))
	times.append(dt)


def get_stats():
	p = subprocess.run(["curl", "-sS", "--max-time", "20", "http://%s/stats" % GUEST],
	                   capture_output=True, timeout=60)
	if p.returncode != 0:
		raise IOError("/stats: curl exit %d %s" % (p.returncode, p.stderr.strip()))
	return json.loads(p.stdout)


def mode_synflood():
	fails = []
	t0 = time.monotonic()
	while True:
		try:
			j0 = get_stats()
			break
		except (IOError, ValueError, subprocess.TimeoutExpired):
			if time.monotonic() - t0 > 60:
				raise IOError("no answer to /stats within 60 s")
			time.sleep(1)
	say("guest answers after %.1f s; before: tcp.mem_bytes %d, mem_free %d" % (
		time.monotonic() - t0, j0["net"]["tcp.mem_bytes"], j0["mem_free"]))
	fl = {}
	th = threading.Thread(target=flood, args=(fl,))
	during = []
	th.start()
	while th.is_alive():
		curl_page("during the flood", fails, during)
	th.join()
	say("flood: %d SYNs written in %.1f s (%d refused by the full tap queue); %d fetches "
	    "during it, %.2f..%.2f s each" % (fl.get("sent", 0), fl.get("secs", 0), fl.get("errs", 0),
	                                      len(during), min(during), max(during)))
	after = []
	for _ in range(3):
		curl_page("after the flood", fails, after)
	say("after it: 3 fetches, %.2f..%.2f s each" % (min(after), max(after)))
	j = get_stats()
	n = j["net"]
	say("guest: tcp.syns_in %d tcp.cookies_sent %d tcp.cookies_ok %d tcp.synq %d "
	    "tcp.conns_peak %d tcp.mem_peak %d tcp.mem_bytes %d mem_free %d (was %d) "
	    "arp.requests_out %d drop.arp_queue_full %d" % (
	        n["tcp.syns_in"], n["tcp.cookies_sent"], n["tcp.cookies_ok"], n["tcp.synq"],
	        n["tcp.conns_peak"], n["tcp.mem_peak"], n["tcp.mem_bytes"], j["mem_free"],
	        j0["mem_free"], n.get("arp.requests_out", 0), n.get("drop.arp_queue_full", 0)))
	if n["tcp.syns_in"] < FLOOD_SYNS // 4:
		fails.append("the guest took %d SYNs of %d sent: no flood" % (n["tcp.syns_in"],
		                                                              fl.get("sent", 0)))
	if n["tcp.cookies_sent"] == 0:
		fails.append("no SYN cookie sent: the SYN queue never filled")
	conns_max = 2 * BACKLOG + CLIENT_CONNS
	if n["tcp.conns_peak"] > conns_max:
		fails.append("tcp.conns_peak %d > %d (SYN queue + backlog + this client's)" % (
			n["tcp.conns_peak"], conns_max))
	mem_max = (conns_max + 2 * BACKLOG) * CONN_BYTES + LISTENER_SLACK
	if n["tcp.mem_peak"] > mem_max:
		fails.append("tcp.mem_peak %d > %d bytes (%d connections)" % (
			n["tcp.mem_peak"], mem_max, conns_max + 2 * BACKLOG))
	if j["mem_free"] < j0["mem_free"] - MEM_FREE_SLACK:
		fails.append("mem_free fell by %d bytes over the flood (bound %d)" % (
			j0["mem_free"] - j["mem_free"], MEM_FREE_SLACK))
	subprocess.run(["curl", "-sS", "--max-time", "10", "-o", "/dev/null",
	                "http://%s/quit" % GUEST], capture_output=True, timeout=30)
	return fails


def main():
	modes = {"ping": mode_ping, "http": mode_http, "mq": mode_mq, "csum": mode_csum,
	         "synflood": mode_synflood, "flood": mode_flood}
	args = {"mq": 1, "flood": 2}.get(sys.argv[1] if len(sys.argv) > 1 else "", 0)
	if len(sys.argv) < 2 or sys.argv[1] not in modes or len(sys.argv) < 2 + args or \
			not all(a.replace(".", "", 1).isdigit() for a in sys.argv[2:2 + args]):
		print("usage: tap_client.py ping|http|mq PAIRS|csum|synflood|flood N SECS [PORT]")
		return 2
	try:
		if sys.argv[1] == "flood":
			fails = mode_flood(int(sys.argv[2]), float(sys.argv[3]))
		else:
			fails = modes[sys.argv[1]]()
	except (OSError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
		fails = ["%s: %s" % (type(e).__name__, e)]
	for f in fails:
		say("FAIL " + f)
	return 1 if fails else 0


if __name__ == "__main__":
	sys.exit(main())

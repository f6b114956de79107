"""netclient.py - the clients of one netbench round: UDP echo and HTTP.

Purpose: the host side of tools/netbench.py's measurements, apart from
its boots: what a round does to a server already listening at
host:port (127.0.0.1 and a forwarded port through slirp, the guest's
own address inside the tap's namespace), and what it records.

  udp_session: 200 warm-up echoes; a mark; --udp-count ping-pongs of
    64-byte datagrams (payload(seq)), each checked byte for byte; a
    mark; udp_flood: --udp-window in flight for --udp-seconds, each
    echo matched to what its sequence number sent, one not back within
    0.5 s lost and replaced; a mark.  The marks make the server print
    its accounting (netbench.py reads them from the console).
  http_session: the page fetched until it comes (60 s at most); wrk 1 s
    over 1 connection as warm-up; then for 1 and 64 connections:
    /stats, wrk for --seconds with tools/httpd_wrk.lua checking every
    response, /stats, SETTLE seconds before each read so a request in
    flight when wrk stopped has ended.

Data: each session returns a dict of the client's figures per phase
(netfmt.parse_wrk's for HTTP, with "stats": the two /stats
accountings); a check that fails appends a line to fails and the
session goes on.  Context: stdlib plus wrk; the caller's namespace is
the clients' (netbench.py runs itself inside the tap's); no state.
"""

import os
import select
import socket
import subprocess
import time

import netfmt

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LUA = os.path.join(TOOLS, "httpd_wrk.lua")
SETTLE = 1.0    # s between a wrk run and a read of the guest's count


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


def udp_session(host, port, a, fails):
	"""The UDP phases against host:port; returns the client's view."""
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.connect((host, port))
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

def http_get(host, port, path, timeout=20):
	s = socket.create_connection((host, port), timeout=timeout)
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


def wrk(host, port, conns, seconds, clients_dir, tag):
	cmd = ["wrk", "-t1", "-c%d" % conns, "-d%ds" % seconds, "--timeout", "10s", "-s", LUA,
	       "http://%s:%d/" % (host, port)]
	p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
	                   timeout=seconds + 60)
	if clients_dir:
		with open(os.path.join(clients_dir, tag + ".wrk.txt"), "w") as f:
			f.write(p.stdout)
	return netfmt.parse_wrk(p.stdout)


def http_session(host, port, a, fails, clients_dir, tag):
	t0 = time.monotonic()
	while True:
		try:
			if http_get(host, port, "/", 5).startswith("<!doctype html>"):
				break
		except (OSError, IOError):
			pass
		if time.monotonic() - t0 > 60:
			fails.append("http: no page within 60 s")
			return None
		time.sleep(0.5)
	wrk(host, port, 1, 1, None, "")
	out = {}
	for conns in (1, 64):
		key = "c%d" % conns
		# a request in flight when the last wrk stopped is served a moment
		# later: let it end before the guest's count is read
		time.sleep(SETTLE)
		before = http_get(host, port, "/stats")
		w = wrk(host, port, conns, a.seconds, clients_dir, "%s.c%d" % (tag, conns))
		time.sleep(SETTLE)
		after = http_get(host, port, "/stats")
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

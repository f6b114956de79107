#!/usr/bin/env python3
"""httpd_client.py PORT - the host side of the httpd system cases.

Talks to apps/httpd.c through QEMU's hostfwd at 127.0.0.1:PORT (or, run
by tools/tap_client.py, at the guest's address on a tap link) with real
clients, checking each answer against truth computed here:
  1. waits for the guest (a GET / every second, at most 90 s);
  2. curl fetches /, /big?bytes=10485760, /stats and /nope on ONE
     keep-alive connection (curl's num_connects: 1 for the first URL, 0
     after); the page must be the page, the 10 MiB body's SHA-256 must
     equal the hash of the same deterministic bytes computed here (byte i
     = (i * 2654435761 mod 2^32) >> 24), /stats must parse as JSON with
     one ledger per CPU whose classes plus residue add up to its elapsed
     cycles, /nope must be 404;
  2b. wrk for 3 s over 2 connections (tools/httpd_wrk.lua checks every
     response: 200 and the page); every request must be answered right,
     with no socket error;
  3. a client that asks for 64 MiB, reads 256 KiB and vanishes (RST);
     then a request must work and the server's TCP memory and connection
     count (/stats net tcp.mem_bytes, tcp.conns) return to their baseline;
  4. conns connections opened at once (the fd limit raised; 64 in the
     httpd case, 1000 in the httpd_conns1000 stress case through
     tools/httpd_conns_client.py: slirp's forwarded port has a backlog of
     1, so opening them takes about 0.3 s each), each does a
     request and stays open; /stats must count them; all are closed and
     memory and connections return to the baseline again;
  5. a malformed request line gets 400;
  6. GET /quit ends the guest's program.
With --loss (the httpd_loss case) only steps 1, 2 (the 10 MiB body) and 6
run, and /stats must show tcp.retransmits > 0.
Exit 0 when every check held; else 1 with a line per failure.

stdlib only, plus curl and wrk (tools/bootstrap.sh installs them).
"""
import hashlib
import json
import os
import resource
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

# The server's address: QEMU's hostfwd on loopback; tools/tap_client.py
# sets the guest's own address on a tap link.
HOST = "127.0.0.1"
BIG = 10 * 1024 * 1024
CONNS = 64
PAGE_START = b"<!doctype html>"


def pattern_sha(n):
	"""SHA-256 of the body: byte i = (i * 2654435761 mod 2^32) >> 24."""
	h = hashlib.sha256()
	step = 1 << 20
	for off in range(0, n, step):
		k = min(step, n - off)
		h.update(bytes(((i * 2654435761) & 0xffffffff) >> 24 for i in range(off, off + k)))
	return h.hexdigest()


def raw_get(port, path, timeout=20, keep=True):
	"""One request over a fresh socket: (status, body).  With keep the
	client closes first, so TIME_WAIT (60 s) is the host's, not the
	guest's (the server holds a connection it closed first that long)."""
	s = socket.create_connection((HOST, port), timeout=timeout)
	try:
		s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: %s\r\n\r\n" %
		           (path, "keep-alive" if keep else "close")).encode())
		return read_response(s)
	finally:
		s.close()


def read_response(s):
	buf = b""
	while b"\r\n\r\n" not in buf:
		d = s.recv(65536)
		if not d:
			raise IOError("connection closed before the header ended")
		buf += d
	head, body = buf.split(b"\r\n\r\n", 1)
	lines = head.decode("latin-1").split("\r\n")
	status = int(lines[0].split()[1])
	clen = 0
	for l in lines[1:]:
		k, v = l.split(":", 1)
		if k.strip().lower() == "content-length":
			clen = int(v)
	while len(body) < clen:
		d = s.recv(65536)
		if not d:
			raise IOError("connection closed after %d of %d body bytes" % (len(body), clen))
		body += d
	return status, body[:clen]


_stats_socks = {}


def stats(port):
	"""The guest's /stats, asked over one keep-alive connection per port,
	kept between calls (made again if the guest closed it).  A connection
	per reading left the previous reading's socket either freed or still
	in the stack's graveyard (tcp.mem_bytes counts it until the next socket
	call drains it, tcp.conns no longer does), by timing: a baseline could
	settle with one socket more than the readings after it (httpd_fin_wait
	failed so on a busy host, 139264 bytes under its baseline).  Over one
	connection the readings open and close nothing."""
	for attempt in (0, 1):
		s = _stats_socks.get(port)
		try:
			if s is None:
				s = _stats_socks[port] = socket.create_connection((HOST, port), timeout=20)
			s.sendall(b"GET /stats HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
			st, body = read_response(s)
			break
		except OSError:
			_stats_socks.pop(port, None)
			if s is not None:
				s.close()
			if attempt:
				raise
	if st != 200:
		raise IOError("/stats: status %d" % st)
	return json.loads(body)


def settled_baseline(port, limit=20.0):
	"""(tcp.mem_bytes, tcp.conns) once earlier connections have ended: the
	/stats connection (stats()) is the only one (tcp.conns 1) and two
	readings in a row agree.  A connection that has just ended can still hold memory in
	the stack's graveyard until the next socket call frees it (tcp_api.c's
	ts_drain), so one reading is not enough.  ValueError if it never
	settles within limit seconds."""
	t0 = time.monotonic()
	prev = None
	while time.monotonic() - t0 < limit:
		j = stats(port)["net"]
		cur = (j["tcp.mem_bytes"], j["tcp.conns"])
		if cur[1] == 1 and cur == prev:
			return cur
		prev = cur
		time.sleep(0.25)
	raise ValueError("no settled baseline within %.0f s: last tcp.mem_bytes %s tcp.conns %s"
	                 % (limit, prev[0] if prev else None, prev[1] if prev else None))


def wait_baseline(port, base, what, fails, limit=20.0):
	"""tcp.mem_bytes and tcp.conns back to base within limit seconds."""
	t0 = time.monotonic()
	while True:
		j = stats(port)
		mem, conns = j["net"].get("tcp.mem_bytes"), j["net"].get("tcp.conns")
		if mem == base[0] and conns == base[1]:
			print("httpd_client: %s: memory back to %d bytes, %d connection(s), after %.1f s" %
			      (what, mem, conns, time.monotonic() - t0))
			return
		if time.monotonic() - t0 > limit:
			fails.append("%s: tcp.mem_bytes %s tcp.conns %s, baseline %d and %d after %.0f s" %
			             (what, mem, conns, base[0], base[1], limit))
			return
		time.sleep(0.5)


def check_stats_json(j, fails):
	cpus = j.get("cpus", [])
	if len(cpus) != j.get("ncpu") or not cpus:
		fails.append("/stats: %d ledgers for ncpu %s" % (len(cpus), j.get("ncpu")))
	for c in cpus:
		total = sum(c["classes"].values()) + c["residue"]
		if total != c["elapsed"]:
			fails.append("/stats: cpu %d: classes + residue %d != elapsed %d" %
			             (c["cpu"], total, c["elapsed"]))
	if not any(c["classes"].get("rt.net", 0) > 0 for c in cpus):
		fails.append("/stats: no CPU charged anything to rt.net")
	if j.get("net", {}).get("tcp.accepted", 0) < 1:
		fails.append("/stats: tcp.accepted is 0")


def wrk_checked(port, fails):
	"""wrk for 3 s, every response checked by tools/httpd_wrk.lua."""
	script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "httpd_wrk.lua")
	cmd = ["wrk", "-t1", "-c2", "-d3s", "--timeout", "10s", "-s", script,
	       "http://%s:%d/" % (HOST, port)]
	p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
	line = [l for l in p.stdout.splitlines() if l.startswith("wrk-check: requests")]
	lat = [l for l in p.stdout.splitlines() if l.startswith("wrk-check: latency")]
	if p.returncode != 0 or not line:
		fails.append("wrk: exit %d, no check line: %s" % (p.returncode,
		             (p.stdout + p.stderr).strip().splitlines()[-1:]))
		return
	f = line[0].replace("wrk-check: ", "").split()
	vals = {f[i]: int(f[i + 1]) for i in range(0, len(f) - 1) if f[i + 1].isdigit()}
	print("httpd_client: wrk: %s; %s" % (line[0][11:], lat[0][11:] if lat else ""))
	if vals.get("requests", 0) < 1 or vals.get("ok", 0) < 1:
		fails.append("wrk: no request answered (%s)" % line[0])
	if vals.get("bad", 1) != 0:
		fails.append("wrk: %d wrong responses" % vals.get("bad", -1))
	errs = sum(vals.get(k, 0) for k in ("connect", "read", "write", "status", "timeout"))
	if errs:
		fails.append("wrk: socket errors: %s" % line[0])


def curl_keepalive(port, fails, loss):
	# a folder of this call's own: boots run in parallel, and two tap
	# boots (one per ISA) serve the same port in their own namespaces, so
	# names made from the port alone were written by both clients at once
	# (a /big with a hole where one truncated the other's file, a /stats
	# with the longer JSON's tail after the shorter's end)
	tmp = tempfile.mkdtemp(prefix="httpd_client.")
	try:
		curl_keepalive_in(tmp, port, fails, loss)
	finally:
		shutil.rmtree(tmp, ignore_errors=True)


def curl_keepalive_in(tmp, port, fails, loss):
	urls = ["/", "/big?bytes=%d" % BIG, "/stats", "/nope"]
	if loss:
		urls = ["/", "/big?bytes=%d" % BIG]
	outs = [os.path.join(tmp, "out.%d" % i) for i in range(len(urls))]
	cmd = ["curl", "-sS", "--max-time", "600"]
	for u, o in zip(urls, outs):
		cmd += ["http://%s:%d%s" % (HOST, port, u), "-o", o,
		        "-w", "%{http_code} %{num_connects} %{size_download}\\n"]
	t0 = time.monotonic()
	p = subprocess.run(cmd, capture_output=True, text=True, timeout=660)
	dt = time.monotonic() - t0
	res = [l.split() for l in p.stdout.splitlines()]
	if p.returncode != 0 or len(res) != len(urls):
		fails.append("curl: exit %d, %r %s" % (p.returncode, p.stdout, p.stderr.strip()))
		return
	want_codes = [200, 200, 200, 404][:len(urls)]
	conns = [int(r[1]) for r in res]
	if conns[0] != 1 or any(c != 0 for c in conns[1:]):
		fails.append("curl: connections per URL %s, want one then reuse (keep-alive)" % conns)
	for u, r, w in zip(urls, res, want_codes):
		if int(r[0]) != w:
			fails.append("curl %s: status %s, want %d" % (u, r[0], w))
	page = open(outs[0], "rb").read()
	if not page.startswith(PAGE_START):
		fails.append("/: not the page: %r" % page[:40])
	big = open(outs[1], "rb").read()
	got, want = hashlib.sha256(big).hexdigest(), pattern_sha(BIG)
	if len(big) != BIG or got != want:
		fails.append("/big: %d bytes, sha256 %s, want %d bytes %s" % (len(big), got, BIG, want))
	else:
		print("httpd_client: 10 MiB body sha256 %s matches, %.1f s (%.2f MB/s)" %
		      (got, dt, BIG / dt / 1e6))
	if not loss:
		check_stats_json(json.loads(open(outs[2], "rb").read()), fails)


def malformed(port, fails):
	s = socket.create_connection((HOST, port), timeout=20)
	s.sendall(b"NONSENSE\r\n\r\n")
	st, _ = read_response(s)
	s.close()
	if st != 400:
		fails.append("malformed request: status %d, want 400" % st)


def vanish(port, fails):
	s = socket.create_connection((HOST, port), timeout=20)
	s.sendall(b"GET /big?bytes=67108864 HTTP/1.1\r\nHost: x\r\n\r\n")
	got = 0
	while got < 256 * 1024:
		d = s.recv(65536)
		if not d:
			break
		got += len(d)
	# vanish: RST instead of FIN (linger 0), the transfer cut mid-way
	s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
	s.close()
	print("httpd_client: client vanished after %d bytes" % got)


def many(port, fails, conns):
	soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
	want = conns + 64
	if soft < want:
		resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
	socks = []
	t0 = time.monotonic()
	try:
		slow = 0
		for i in range(conns):
			t1 = time.monotonic()
			socks.append(socket.create_connection((HOST, port), timeout=60))
			slow += time.monotonic() - t1 > 0.5
		t_conn = time.monotonic() - t0
		for s in socks:
			s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		bad = 0
		for s in socks:
			st, body = read_response(s)
			if st != 200 or not body.startswith(PAGE_START):
				bad += 1
		if bad:
			fails.append("%d connections: %d wrong answers" % (conns, bad))
		n = stats(port)["net"].get("tcp.conns", 0)
		print("httpd_client: %d connections opened in %.1f s (%d connects over 0.5 s: the "
		      "host's SYN retried while slirp's backlog of 1 is full), answered in %.1f s; "
		      "guest counts %d" % (conns, t_conn, slow, time.monotonic() - t0 - t_conn, n))
		if n < conns + 1:
			fails.append("%d connections held: the guest counts %d" % (conns, n))
	finally:
		for s in socks:
			s.close()


def main(loss=False, conns=CONNS):
	args = [a for a in sys.argv[1:] if not a.startswith("--")]
	loss = loss or "--loss" in sys.argv
	if len(args) != 1:
		print("usage: httpd_client.py [--loss] PORT")
		return 2
	for tool in ("curl",) if loss else ("curl", "wrk"):
		if not shutil.which(tool):
			print("httpd_client: %s is not installed (tools/bootstrap.sh)" % tool)
			return 1
	port = int(args[0])
	t0 = time.monotonic()
	while True:
		try:
			st, body = raw_get(port, "/", timeout=5)
			if st == 200:
				break
		except (OSError, ValueError):
			pass
		if time.monotonic() - t0 > 90:
			print("httpd_client: no answer to GET / within 90 s")
			return 1
		time.sleep(1)
	print("httpd_client: guest answers after %.1f s" % (time.monotonic() - t0))
	fails = []
	try:
		curl_keepalive(port, fails, loss)
		if loss:
			r = stats(port)["net"].get("tcp.retransmits", 0)
			print("httpd_client: tcp.retransmits %d" % r)
			if r == 0:
				fails.append("loss: tcp.retransmits did not move")
		else:
			base = settled_baseline(port)  # earlier connections end (LAST_ACK, FIN_WAIT)
			print("httpd_client: baseline tcp.mem_bytes %d" % base[0])
			wrk_checked(port, fails)
			wait_baseline(port, base, "after wrk", fails)
			vanish(port, fails)
			st, body = raw_get(port, "/")
			if st != 200 or not body.startswith(PAGE_START):
				fails.append("after the vanished client: status %d" % st)
			wait_baseline(port, base, "after the vanished client", fails)
			many(port, fails, conns)
			wait_baseline(port, base, "after %d connections" % conns, fails)
			malformed(port, fails)
	except (OSError, ValueError, KeyError) as e:
		fails.append("%s: %s" % (type(e).__name__, e))
	try:
		raw_get(port, "/quit", keep=False)
	except OSError as e:
		fails.append("/quit: %s" % e)
	for f in fails:
		print("httpd_client: FAIL " + f)
	return 1 if fails else 0


if __name__ == "__main__":
	sys.exit(main())

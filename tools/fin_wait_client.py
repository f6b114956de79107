#!/usr/bin/env python3
"""fin_wait_client.py PORT - the host side of the httpd_fin_wait case.

A peer that receives the guest's FIN, has it acknowledged and never sends
its own: one request with "Connection: close" to apps/httpd.c (booted
with tcp_fin_timeout=2s) through QEMU's hostfwd; the guest answers and
closes; this client reads to the end of the stream (slirp has then ACKed
the guest's FIN) and keeps its socket open, so no FIN ever reaches the
guest.  Meanwhile /stats, over fresh connections that this client closes
first, must show the connection still there (tcp.conns one above the
baseline, tcp.fin_timeouts 0) for at least a second, then, no sooner than
the time-out after the end of the stream and within 15 s, gone: tcp.conns
and tcp.mem_bytes back at their baseline and tcp.fin_timeouts 1.  Then
/quit.  Exit 0 when all held; else 1 with one line per failure.  The
truth: the guest's own counters and this client's clock.

stdlib only.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpd_client  # noqa: E402

TIMEOUT_S = 2.0        # the case's tcp_fin_timeout=2s


def net(port):
	return httpd_client.stats(port)["net"]


def main():
	if len(sys.argv) != 2:
		print("usage: fin_wait_client.py PORT")
		return 2
	port = int(sys.argv[1])
	t0 = time.monotonic()
	while True:
		try:
			if httpd_client.raw_get(port, "/", timeout=5)[0] == 200:
				break
		except (OSError, ValueError):
			pass
		if time.monotonic() - t0 > 90:
			print("fin_wait_client: no answer to GET / within 90 s")
			return 1
		time.sleep(1)
	fails = []
	try:
		bmem, bconns = httpd_client.settled_baseline(port)   # the probe's connection ends
	except ValueError as e:
		print("fin_wait_client: FAILED: %s" % e)
		return 1
	base = {"tcp.mem_bytes": bmem, "tcp.conns": bconns}
	s = socket.create_connection((httpd_client.HOST, port), timeout=20)
	s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	st, _ = httpd_client.read_response(s)
	while s.recv(65536):
		pass
	t_eof = time.monotonic()   # the guest's FIN is here (and ACKed by slirp)
	if st != 200:
		fails.append("GET /: status %d" % st)
	time.sleep(1.0)
	mid = net(port)
	if mid.get("tcp.conns") != base.get("tcp.conns", 0) + 1:
		fails.append("1 s after the guest's FIN: tcp.conns %s, baseline %s (the connection "
		             "should still wait in FIN_WAIT_2)" % (mid.get("tcp.conns"), base.get("tcp.conns")))
	if mid.get("tcp.fin_timeouts") != 0:
		fails.append("1 s after the guest's FIN: tcp.fin_timeouts %s" % mid.get("tcp.fin_timeouts"))
	done = None
	while time.monotonic() - t_eof < 15:
		j = net(port)
		if j.get("tcp.fin_timeouts"):
			done = (time.monotonic() - t_eof, j)
			break
		time.sleep(0.25)
	if not done:
		fails.append("no tcp.fin_timeouts within 15 s of the guest's FIN")
	else:
		dt, j = done
		print("fin_wait_client: the connection timed out in FIN_WAIT_2 %.2f s after the "
		      "guest's FIN: tcp.fin_timeouts %d, tcp.conns %d, tcp.mem_bytes %d (baseline %d, %d)"
		      % (dt, j["tcp.fin_timeouts"], j["tcp.conns"], j["tcp.mem_bytes"],
		         base.get("tcp.conns", 0), base.get("tcp.mem_bytes", 0)))
		if j["tcp.fin_timeouts"] != 1:
			fails.append("tcp.fin_timeouts %d, not 1" % j["tcp.fin_timeouts"])
		if dt < TIMEOUT_S - 0.3:   # our EOF comes after the guest's FIN: a little slack
			fails.append("timed out %.2f s after the FIN, before the %.0f s time-out" % (dt, TIMEOUT_S))
		httpd_client.wait_baseline(port, (base.get("tcp.mem_bytes"), base.get("tcp.conns")),
		                           "after the time-out", fails, limit=5.0)
	s.close()
	try:
		httpd_client.raw_get(port, "/quit")
	except (OSError, ValueError) as e:
		fails.append("/quit: %s" % e)
	for f in fails:
		print("fin_wait_client: FAILED: %s" % f)
	return 1 if fails else 0


if __name__ == "__main__":
	sys.exit(main())

#!/usr/bin/env python3
"""udpecho_bench_client.py PORT [N] - round trips through apps/udpecho.c.

The measuring twin of udpecho_client.py (which checks with socat): after
the guest answers a probe, N (default 500) datagrams of 64 bytes go out
one at a time, each sent when the previous echo came back (ping-pong, no
overlap), through QEMU's hostfwd on 127.0.0.1:PORT.  Every echo must
equal what was sent (exit 1 otherwise).  Prints the round trip's median,
90th and 99th percentile and the echoes per second of the whole run,
then sends "quit" so the guest prints its per-datagram ledger split.
The round trip includes QEMU's user network (slirp) and this host's
socket calls: it is what a client sees, not the guest's share.
stdlib only.
"""
import os
import socket
import sys
import time


def main():
	port = int(sys.argv[1])
	n = int(sys.argv[2]) if len(sys.argv) > 2 else 500
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.connect(("127.0.0.1", port))
	t0 = time.monotonic()
	s.settimeout(0.5)
	while True:
		s.send(b"probe")
		try:
			if s.recv(2048) == b"probe":
				break
		except (socket.timeout, ConnectionRefusedError):
			pass
		if time.monotonic() - t0 > 60:
			print("udpecho_bench: no echo of a probe within 60 s")
			return 1
	s.settimeout(2)
	rtts = []
	bad = 0
	start = time.monotonic()
	for i in range(n):
		data = i.to_bytes(4, "big") + os.urandom(60)
		t = time.perf_counter()
		s.send(data)
		try:
			back = s.recv(2048)
		except socket.timeout:
			back = None
		rtts.append(time.perf_counter() - t)
		if back != data:
			bad += 1
	wall = time.monotonic() - start
	s.send(b"quit")
	rtts.sort()
	pct = lambda p: rtts[min(len(rtts) - 1, int(p * len(rtts)))] * 1e6
	print("udpecho_bench: %d echoes of 64 bytes, round trip median %.0f us, p90 %.0f us, "
	      "p99 %.0f us, %.0f echoes/s" % (n, pct(0.5), pct(0.9), pct(0.99), n / wall))
	if bad:
		print("udpecho_bench: %d echoes missing or different" % bad)
		return 1
	return 0


if __name__ == "__main__":
	sys.exit(main())

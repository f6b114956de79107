#!/usr/bin/env python3
"""udpecho_stress_client.py PORT - many datagrams at once into udpecho.

The stress twin of udpecho_client.py (tests/stress.cases): after the
guest answers a probe, 4 threads, each with its own socket, send 300
datagrams each (16 to 1400 bytes, every one distinct: thread, sequence,
random bytes) keeping up to 8 in flight, so frames arrive while the
guest's poller, its echo goroutine and its scheduler are busy on every
CPU.  Every echo that comes back must be byte for byte one this socket
sent and not yet got back (anything else is corruption: exit 1).  Some
may be lost (the guest's socket queue holds 32 and counts the rest as
drop.sock_full; slirp may drop too): the loss is printed, and each
thread must get at least half of its datagrams back.  Then "quit".
stdlib only.
"""
import os
import random
import socket
import sys
import threading
import time

THREADS, PER_THREAD, WINDOW = 4, 300, 8


def worker(port, tid, result):
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.connect(("127.0.0.1", port))
	s.settimeout(0.5)
	rnd = random.Random(tid)
	pending = {}
	got = bad = 0
	seq = 0
	while seq < PER_THREAD or pending:
		while seq < PER_THREAD and len(pending) < WINDOW:
			n = rnd.randint(16, 1400)
			data = tid.to_bytes(2, "big") + seq.to_bytes(4, "big") + os.urandom(n - 6)
			pending[data[:6]] = data
			s.send(data)
			seq += 1
		try:
			back = s.recv(2048)
		except socket.timeout:
			pending.clear()  # lost: give up on the window, go on
			continue
		want = pending.pop(back[:6], None)
		if want is None or want != back:
			bad += 1
		else:
			got += 1
	result[tid] = (got, bad)


def main():
	port = int(sys.argv[1])
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.connect(("127.0.0.1", port))
	s.settimeout(0.5)
	t0 = time.monotonic()
	while True:
		s.send(b"probe")
		try:
			if s.recv(2048) == b"probe":
				break
		except (socket.timeout, ConnectionRefusedError):
			pass
		if time.monotonic() - t0 > 60:
			print("udpecho_stress: no echo of a probe within 60 s")
			return 1
	result = {}
	threads = [threading.Thread(target=worker, args=(port, t, result)) for t in range(THREADS)]
	start = time.monotonic()
	for t in threads:
		t.start()
	for t in threads:
		t.join()
	wall = time.monotonic() - start
	s.send(b"quit")
	got = sum(r[0] for r in result.values())
	bad = sum(r[1] for r in result.values())
	print("udpecho_stress: %d threads x %d datagrams: %d echoed, %d lost, %d wrong in %.1f s" % (
		THREADS, PER_THREAD, got, THREADS * PER_THREAD - got - bad, bad, wall))
	if bad:
		return 1
	short = [t for t, r in result.items() if r[0] < PER_THREAD // 2]
	if short:
		print("udpecho_stress: threads %s got fewer than half back" % short)
		return 1
	return 0


if __name__ == "__main__":
	sys.exit(main())

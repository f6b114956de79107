#!/usr/bin/env python3
"""udpecho_client.py PORT - the host side of the udpecho system case.

Sends datagrams with socat to 127.0.0.1:PORT (QEMU's hostfwd to the
guest's UDP port 7, apps/udpecho.c) and checks that each comes back byte
for byte.  First it waits for the guest: a probe datagram is sent every
second until one is echoed (at most 60 s: the guest boots and gets its
address by DHCP meanwhile).  Then N datagrams of varied sizes (1 to 1472
bytes, the largest one frame holds; random bytes from a fixed seed, so a
failure repeats), each through its own socat, then "quit", which ends the
guest's program.  Exit 0 when all came back identical; else 1 with one
line per difference.  The truth is the bytes this script sent.

stdlib only, plus socat (tools/bootstrap.sh installs it).
"""
import random
import shutil
import subprocess
import sys
import time

SIZES = [1, 2, 7, 64, 100, 511, 512, 513, 1000, 1400, 1471, 1472]


def socat(port, data, wait):
	"""One datagram out, whatever comes back within `wait` seconds."""
	p = subprocess.run(["socat", "-t", str(wait), "-T", str(wait + 1), "-",
	                    "UDP:127.0.0.1:%d" % port],
	                   input=data, capture_output=True, timeout=wait + 10)
	return p.stdout


def main():
	if len(sys.argv) != 2:
		print("usage: udpecho_client.py PORT")
		return 2
	if not shutil.which("socat"):
		print("udpecho_client: socat is not installed (tools/bootstrap.sh)")
		return 1
	port = int(sys.argv[1])
	t0 = time.monotonic()
	while True:
		if socat(port, b"probe", 1) == b"probe":
			break
		if time.monotonic() - t0 > 60:
			print("udpecho_client: no echo of a probe within 60 s")
			return 1
	print("udpecho_client: guest answers after %.1f s" % (time.monotonic() - t0))
	rnd = random.Random(862)
	bad = 0
	for n in SIZES:
		data = bytes(rnd.getrandbits(8) for _ in range(n))
		back = socat(port, data, 1)
		if back != data:
			bad += 1
			print("udpecho_client: %d bytes: %d came back%s" % (
				n, len(back), " (different bytes)" if len(back) == n else ""))
	socat(port, b"quit", 1)
	if bad:
		print("udpecho_client: %d of %d datagrams wrong" % (bad, len(SIZES)))
		return 1
	print("udpecho_client: %d datagrams of %d..%d bytes echoed identically" % (
		len(SIZES), min(SIZES), max(SIZES)))
	return 0


if __name__ == "__main__":
	sys.exit(main())

#!/usr/bin/env python3
"""check_tcpget.py - the tcpget case's check: the guest's console (stdin)
must say status 200 and the length and SHA-256 of the bytes
tools/tcpget_server.py served (computed here from its seed)."""
import hashlib
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tcpget_server  # noqa: E402


def main():
	data = tcpget_server.body()
	want = hashlib.sha256(data).hexdigest()
	for line in sys.stdin:
		m = re.match(r"tcpget: status (\d+), (\d+) body bytes in [\d.]+ s, sha256 ([0-9a-f]{64})$",
		             line.strip())
		if m:
			st, n, h = int(m.group(1)), int(m.group(2)), m.group(3)
			if st == 200 and n == len(data) and h == want:
				return 0
			print("guest: status %d, %d bytes, sha256 %s; want 200, %d, %s" %
			      (st, n, h, len(data), want))
			return 1
	print("no tcpget result line on the console")
	return 1


if __name__ == "__main__":
	sys.exit(main())

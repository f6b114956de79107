#!/usr/bin/env python3
"""tcpget_server.py PORT - the host side of the tcpget system case.

Serves GET /data on 127.0.0.1:PORT (QEMU's user networking lets the guest
reach it as 10.0.2.2:PORT): SIZE bytes from random.Random(SEED), so
tools/check_tcpget.py can compute their SHA-256 and compare it with the
one the guest (apps/tcpget.c) printed.  Any other path is 404.  It ends
once /data has been served (or after 200 s: a failure), exit 0 when the
whole body was written.

stdlib only.
"""
import http.server
import random
import sys
import threading

SIZE = 3 * 1024 * 1024 + 777
SEED = 13


def body():
	return random.Random(SEED).randbytes(SIZE)


def main():
	if len(sys.argv) != 2:
		print("usage: tcpget_server.py PORT")
		return 2
	data = body()
	done = threading.Event()
	ok = []

	class H(http.server.BaseHTTPRequestHandler):
		def do_GET(self):
			if self.path != "/data":
				self.send_error(404)
				return
			self.send_response(200)
			self.send_header("Content-Type", "application/octet-stream")
			self.send_header("Content-Length", str(len(data)))
			self.end_headers()
			self.wfile.write(data)
			self.wfile.flush()
			ok.append(1)
			done.set()

		def log_message(self, fmt, *args):
			print("tcpget_server: " + fmt % args)

	srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
	threading.Thread(target=srv.serve_forever, daemon=True).start()
	done.wait(200)
	srv.shutdown()
	if not ok:
		print("tcpget_server: /data was never fetched")
		return 1
	print("tcpget_server: served %d bytes" % len(data))
	return 0


if __name__ == "__main__":
	sys.exit(main())

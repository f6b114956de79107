#!/usr/bin/env python3
"""net_garbage_client.py PORT - the host side of the net_garbage case.

QEMU's socket netdev listens on 127.0.0.1:PORT (TCP; each frame is a
4-byte big-endian length and the Ethernet frame) and joins the guest's
virtio-net device: what this script writes arrives at the device as it
is, malformed or not.  Playing 192.0.2.1 (02:00:00:00:00:01) towards the
guest's 192.0.2.2 (tests/apps/net_garbage.c), it
  1. sends ARP requests until one is answered (the guest is up);
  2. sends twelve frames with one defect each (the reason each must be
     counted under is in the case's expect line);
  3. sends a good UDP datagram and a good ICMP echo request and checks
     the echo and the echo reply; checks the RST the SYN to a closed port
     got (RFC 9293: ack = the SYN's sequence + 1);
  4. sends "done".
Frames are built here from the RFCs (checksums by RFC 1071, written in
this file), not by the code under test.  Exit 0 when every answer was
right, 1 with a line per problem.  stdlib only.
"""
import socket
import struct
import sys
import time

ME_MAC = bytes.fromhex("020000000001")
ME_IP = bytes([192, 0, 2, 1])
GUEST_IP = bytes([192, 0, 2, 2])
BCAST = b"\xff" * 6


def csum(data):
	if len(data) % 2:
		data += b"\0"
	s = 0
	for i in range(0, len(data), 2):
		s += data[i] << 8 | data[i + 1]
		s = (s & 0xffff) + (s >> 16)
	return ~s & 0xffff


def eth(dst, typ, payload):
	return dst + ME_MAC + struct.pack("!H", typ) + payload


def ip4(proto, payload, dst=GUEST_IP, flags=0x4000, version=4, total=None, bad_csum=False):
	total = 20 + len(payload) if total is None else total
	h = struct.pack("!BBHHHBBH4s4s", version << 4 | 5, 0, total, 0x1234, flags, 64, proto, 0,
	                ME_IP, dst)
	c = csum(h) ^ (0x0101 if bad_csum else 0)
	return h[:10] + struct.pack("!H", c) + h[12:] + payload


def udp(sport, dport, data, bad_csum=False):
	h = struct.pack("!HHHH", sport, dport, 8 + len(data), 0)
	ph = ME_IP + GUEST_IP + struct.pack("!BBH", 0, 17, 8 + len(data))
	c = csum(ph + h + data) or 0xffff
	if bad_csum:
		c ^= 0x0100
	return h[:6] + struct.pack("!H", c) + data


def icmp(typ, ident, seq, data):
	h = struct.pack("!BBHHH", typ, 0, 0, ident, seq) + data
	return h[:2] + struct.pack("!H", csum(h)) + h[4:]


def tcp_syn(sport, dport, seq):
	h = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
	ph = ME_IP + GUEST_IP + struct.pack("!BBH", 0, 6, len(h))
	return h[:16] + struct.pack("!H", csum(ph + h)) + h[18:]


def arp(op, tha, tpa):
	return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, ME_MAC, ME_IP, tha, tpa)


class Link:
	def __init__(self, port):
		t0 = time.monotonic()
		while True:
			try:
				self.s = socket.create_connection(("127.0.0.1", port), timeout=1)
				break
			except OSError:
				if time.monotonic() - t0 > 30:
					raise
				time.sleep(0.2)
		self.buf = b""

	def send(self, frame):
		self.s.sendall(struct.pack("!I", len(frame)) + frame)

	def recv(self, timeout):
		"""The next frame, or None after timeout seconds."""
		end = time.monotonic() + timeout
		while True:
			if len(self.buf) >= 4:
				n = struct.unpack("!I", self.buf[:4])[0]
				if len(self.buf) >= 4 + n:
					f = self.buf[4:4 + n]
					self.buf = self.buf[4 + n:]
					return f
			left = end - time.monotonic()
			if left <= 0:
				return None
			self.s.settimeout(left)
			try:
				d = self.s.recv(65536)
			except socket.timeout:
				return None
			if not d:
				return None
			self.buf += d

	def expect(self, want, timeout=5):
		"""The first frame want(f) accepts within timeout, or None."""
		end = time.monotonic() + timeout
		while True:
			f = self.recv(max(0.0, end - time.monotonic()))
			if f is None or want(f):
				return f


def main():
	port = int(sys.argv[1])
	link = Link(port)
	problems = []
	guest_mac = None
	t0 = time.monotonic()
	while guest_mac is None:
		if time.monotonic() - t0 > 60:
			print("net_garbage_client: no ARP reply within 60 s")
			return 1
		link.send(eth(BCAST, 0x0806, arp(1, b"\0" * 6, GUEST_IP)))
		f = link.expect(lambda f: f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02", 0.5)
		if f:
			guest_mac = f[22:28]
			if f[28:32] != GUEST_IP or f[32:38] != ME_MAC or f[38:42] != ME_IP:
				problems.append("ARP reply fields wrong: %s" % f.hex())
	print("net_garbage_client: guest %s answers ARP after %.1f s" % (
		guest_mac.hex(":"), time.monotonic() - t0))
	g = guest_mac
	good_udp = udp(40000, 7, b"hello, tally")
	garbage = [
		("short", eth(g, 0x0800, b"")),
		("bad_csum (IP header)", eth(g, 0x0800, ip4(17, good_udp, bad_csum=True))),
		("bad_csum (UDP)", eth(g, 0x0800, ip4(17, udp(40000, 7, b"hello, tally", bad_csum=True)))),
		("unsupported (IPv6)", eth(g, 0x86dd, ip4(17, good_udp))),
		("not_for_us", eth(bytes.fromhex("020000000099"), 0x0800, ip4(17, good_udp))),
		("fragment", eth(g, 0x0800, ip4(17, good_udp, flags=0x2000))),
		("truncated", eth(g, 0x0800, ip4(17, good_udp, total=200))),
		("bad_version", eth(g, 0x0800, ip4(17, good_udp, version=6))),
		("bad_field (ARP opcode 7)", eth(BCAST, 0x0806, arp(7, b"\0" * 6, GUEST_IP))),
		("no_socket", eth(g, 0x0800, ip4(17, udp(40000, 9, b"nobody")))),
		("tcp_no_listener", eth(g, 0x0800, ip4(6, tcp_syn(40001, 80, 1000)))),
		("icmp_type (timestamp)", eth(g, 0x0800, ip4(1, icmp(13, 1, 1, b"\0" * 12)))),
	]
	for name, f in garbage:
		link.send(f)
	rst = link.expect(lambda f: f[12:14] == b"\x08\x00" and f[23] == 6, 5)
	if rst is None:
		problems.append("no RST for the SYN to port 80")
	else:
		sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", rst[34:48])
		if (sport, dport, seq, ack, flags) != (80, 40001, 0, 1001, 0x14):
			problems.append("RST wrong: ports %d->%d seq %d ack %d flags %#x" % (
				sport, dport, seq, ack, flags))
		if csum(rst[14:34]) != 0:
			problems.append("RST: bad IP header checksum")
	link.send(eth(g, 0x0800, ip4(17, good_udp)))
	f = link.expect(lambda f: f[12:14] == b"\x08\x00" and f[23] == 17, 5)
	if f is None or f[42:] != b"hello, tally" or f[34:38] != struct.pack("!HH", 7, 40000):
		problems.append("UDP echo wrong or missing: %s" % (f.hex() if f else None))
	link.send(eth(g, 0x0800, ip4(1, icmp(8, 0x4242, 7, b"0123456789abcdef"))))
	f = link.expect(lambda f: f[12:14] == b"\x08\x00" and f[23] == 1, 5)
	if f is None or f[34] != 0 or f[38:42] != struct.pack("!HH", 0x4242, 7) or \
	   f[42:] != b"0123456789abcdef" or csum(f[34:]) != 0 or csum(f[14:34]) != 0:
		problems.append("echo reply wrong or missing: %s" % (f.hex() if f else None))
	link.send(eth(g, 0x0800, ip4(17, udp(40000, 7, b"done"))))
	time.sleep(0.5)
	for p in problems:
		print("net_garbage_client: %s" % p)
	if problems:
		return 1
	print("net_garbage_client: %d malformed frames sent; RST, echo and echo reply right" % len(
		garbage))
	return 0


if __name__ == "__main__":
	sys.exit(main())

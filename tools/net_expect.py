#!/usr/bin/env python3
"""net_expect.py - turn tcpdump's reading of a recorded capture into the
.expect file the wire layer's host tests compare their parse with.

Usage: python3 tools/net_expect.py tests/fixtures/net/NAME.txt > NAME.expect
       python3 tools/net_expect.py --all tests/fixtures/net   (rewrite all)

Input: `tcpdump -r NAME.pcap -vv -e -n -x -S` (tools/record-net-fixtures.sh
writes it beside the capture).  Output: one block per frame,

    frame N
    key value
    ...

with only what tcpdump printed (its dissector is the independent reading;
nothing here parses the bytes).  Keys: eth.src eth.dst eth.type arp.op
arp.spa arp.tpa arp.sha ip.tos ip.ttl ip.id ip.df ip.proto ip.len ip.src
ip.dst icmp.type icmp.id icmp.seq icmp.len udp.sport udp.dport udp.csum
tcp.sport tcp.dport tcp.flags tcp.csum tcp.seq tcp.ack tcp.win tcp.len
tcp.mss tcp.sackok tcp.tsval tcp.tsecr tcp.wscale tcp.opts dhcp.xid
dhcp.secs dhcp.flags dhcp.len dhcp.yiaddr dhcp.siaddr dhcp.chaddr dhcp.type
dhcp.server dhcp.lease dhcp.mask dhcp.router dhcp.dns dhcp.reqip.
tests/host/test_net.c documents how each is compared.
"""
import os
import re
import sys

DHCP_TYPES = {"Discover": 1, "Offer": 2, "Request": 3, "Decline": 4,
              "ACK": 5, "NACK": 6, "Release": 7, "Inform": 8}
TCP_FLAGS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, ".": 0x10,
             "U": 0x20, "E": 0x40, "W": 0x80}


def frames(text):
	cur = None
	for line in text.splitlines():
		if re.match(r"^\d\d:\d\d:\d\d\.\d+ ", line):
			if cur:
				yield cur
			cur = [line]
		elif cur is not None and not line.startswith("\t0x"):
			cur.append(line)
	if cur:
		yield cur


def one(lines):
	out = []
	head = lines[0]
	body = "\n".join(lines[1:])
	m = re.match(r"^\S+ (\S+) > (\S+), ethertype \S+ \((0x[0-9a-f]{4})\), length (\d+): (.*)$", head)
	if not m:
		raise SystemExit("net_expect: cannot read: " + head)
	out += [("eth.src", m.group(1)), ("eth.dst", m.group(2)), ("eth.type", m.group(3)),
	        ("frame.len", m.group(4))]
	rest = m.group(5)
	a = re.search(r"Request who-has (\S+) tell (\S+), length", rest)
	if a:
		out += [("arp.op", "1"), ("arp.tpa", a.group(1)), ("arp.spa", a.group(2))]
	a = re.search(r"Reply (\S+) is-at (\S+), length", rest)
	if a:
		out += [("arp.op", "2"), ("arp.spa", a.group(1)), ("arp.sha", a.group(2))]
	ip = re.search(r"\(tos (0x[0-9a-f]+), ttl (\d+), id (\d+), offset (\d+), flags \[([^\]]*)\], "
	               r"proto \S+ \((\d+)\), length (\d+)\)", rest)
	if not ip:
		return out
	out += [("ip.tos", ip.group(1)), ("ip.ttl", ip.group(2)), ("ip.id", ip.group(3)),
	        ("ip.frag", ip.group(4)), ("ip.df", "1" if "DF" in ip.group(5) else "0"),
	        ("ip.proto", ip.group(6)), ("ip.len", ip.group(7))]
	m = re.search(r"^\s+(\d+\.\d+\.\d+\.\d+)(?:\.(\d+))? > (\d+\.\d+\.\d+\.\d+)(?:\.(\d+))?: (.*)$",
	              body, re.M)
	out += [("ip.src", m.group(1)), ("ip.dst", m.group(3))]
	l4 = m.group(5)
	proto = int(ip.group(6))
	if proto == 1:
		e = re.search(r"ICMP echo (request|reply), id (\d+), seq (\d+), length (\d+)", l4)
		out += [("icmp.type", "8" if e.group(1) == "request" else "0"), ("icmp.id", e.group(2)),
		        ("icmp.seq", e.group(3)), ("icmp.len", e.group(4))]
	elif proto == 17:
		out += [("udp.sport", m.group(2)), ("udp.dport", m.group(4))]
		if "[udp sum ok]" in l4:
			out.append(("udp.csum", "ok"))
		d = re.search(r"BOOTP/DHCP, (?:Request from \S+|Reply), length (\d+), xid (0x[0-9a-f]+)"
		              r"(?:, secs (\d+))?, Flags \[[^\]]*\] \((0x[0-9a-f]+)\)", l4)
		if d:
			out += [("dhcp.len", d.group(1)), ("dhcp.xid", d.group(2)),
			        ("dhcp.secs", d.group(3) or "0"), ("dhcp.flags", d.group(4))]
			for key, pat in [("dhcp.yiaddr", r"Your-IP (\S+)"), ("dhcp.siaddr", r"Server-IP (\S+)"),
			                 ("dhcp.chaddr", r"Client-Ethernet-Address (\S+)"),
			                 ("dhcp.server", r"Server-ID \(54\), length 4: (\S+)"),
			                 ("dhcp.lease", r"Lease-Time \(51\), length 4: (\d+)"),
			                 ("dhcp.mask", r"Subnet-Mask \(1\), length 4: (\S+)"),
			                 ("dhcp.router", r"Default-Gateway \(3\), length \d+: (\S+)"),
			                 ("dhcp.dns", r"Domain-Name-Server \(6\), length \d+: (\S+)"),
			                 ("dhcp.reqip", r"Requested-IP \(50\), length 4: (\S+)")]:
				x = re.search(pat, body)
				if x:
					out.append((key, x.group(1)))
			t = re.search(r"DHCP-Message \(53\), length 1: (\w+)", body)
			out.append(("dhcp.type", str(DHCP_TYPES[t.group(1)])))
	elif proto == 6:
		t = re.search(r"Flags \[([^\]]*)\], cksum (0x[0-9a-f]+) \((\w+)\), seq (\d+)(?::\d+)?,"
		              r"(?: ack (\d+),)? win (\d+),(?: options \[([^\]]*)\],)? length (\d+)", l4)
		flags = 0
		for c in t.group(1):
			flags |= TCP_FLAGS[c]
		out += [("tcp.sport", m.group(2)), ("tcp.dport", m.group(4)), ("tcp.flags", "0x%02x" % flags),
		        ("tcp.csum", t.group(3)), ("tcp.seq", t.group(4)), ("tcp.ack", t.group(5) or "none"),
		        ("tcp.win", t.group(6)), ("tcp.len", t.group(8))]
		opts = t.group(7) or ""
		out.append(("tcp.opts", opts.replace(" ", "_") or "none"))
		for key, pat in [("tcp.mss", r"mss (\d+)"), ("tcp.wscale", r"wscale (\d+)"),
		                 ("tcp.tsval", r"TS val (\d+)"), ("tcp.tsecr", r"ecr (\d+)")]:
			x = re.search(pat, opts)
			if x:
				out.append((key, x.group(1)))
		if "sackOK" in opts:
			out.append(("tcp.sackok", "1"))
	return out


def convert(text, name):
	lines = ["# %s.expect - written by tools/net_expect.py from %s.txt (tcpdump's reading)" % (name, name)]
	for n, fr in enumerate(frames(text), 1):
		lines.append("frame %d" % n)
		lines += ["%s %s" % kv for kv in one(fr)]
	return "\n".join(lines) + "\n"


def main():
	if len(sys.argv) == 3 and sys.argv[1] == "--all":
		d = sys.argv[2]
		for f in sorted(os.listdir(d)):
			if f.endswith(".txt"):
				stem = f[:-4]
				with open(os.path.join(d, f)) as i:
					text = i.read()
				with open(os.path.join(d, stem + ".expect"), "w") as o:
					o.write(convert(text, stem))
		return
	if len(sys.argv) != 2:
		raise SystemExit(__doc__)
	with open(sys.argv[1]) as i:
		sys.stdout.write(convert(i.read(), os.path.basename(sys.argv[1])[:-4]))


if __name__ == "__main__":
	main()

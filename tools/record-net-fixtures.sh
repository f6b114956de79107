#!/bin/sh
# record-net-fixtures.sh - record the real frames the wire layer's tests read
# (tests/fixtures/net/, described in its README.md).
#
# Usage (root; needs ip, ethtool, tcpdump, iputils-ping, busybox, python3):
#   sh tools/record-net-fixtures.sh [OUTDIR]     (default tests/fixtures/net)
#
# Two network namespaces joined by a veth pair, 192.0.2.1 (A, MAC
# 02:00:00:00:00:01) and 192.0.2.2 (B, 02:00:00:00:00:02); 192.0.2.0/24 is
# the documentation range (RFC 5737) and the traffic never leaves the two
# namespaces.  Checksum offload is turned off on both ends, so every frame
# carries the checksum Linux computed in software (on a loopback or an
# offloading veth, a capture holds only the pseudo-header sum).  tcpdump
# captures on A's side; each scenario gives NAME.pcap and NAME.txt (tcpdump
# -vv -e -n -x reading of it: the independent reading the tests compare
# with, through NAME.expect which tools/net_expect.py derives from it).
#
#   arp_icmp   A pings B once: ARP request and reply, ICMP echo and reply
#   udp        A sends a datagram to B:7000, B echoes it back
#   tcp        A connects to B:8000 (SYN with MSS, SACK-permitted,
#              timestamps, window scale), sends a line, both close
#   dhcp       busybox udhcpc on A against busybox udhcpd on B: DISCOVER,
#              OFFER, REQUEST, ACK
#   slirp_dhcp, slirp_dhcp_restrict
#              QEMU's user networking (slirp) as the DHCP server, the one a
#              Tally guest meets: udhcpc's recorded DISCOVER, then its
#              REQUEST edited to ask for the offered address from server
#              10.0.2.2, sent through a socket netdev on one hub with a
#              user netdev (no guest, -machine none); the OFFER and ACK are
#              slirp's.  restrict=on as the system tests run it (no router,
#              no DNS option), and off.  Written by the script itself
#              (pcap, link type Ethernet), then read by tcpdump as above.
#   dhcp_nak   an INIT-REBOOT REQUEST for an address outside udhcpd's
#              pool (udhcpc's REQUEST edited, see below) and udhcpd's NAK
# Nothing here runs in make test; the recordings are committed.
set -eu
out=${1:-tests/fixtures/net}
mkdir -p "$out"
A=tallyfxA
B=tallyfxB
tmp=$(mktemp -d)
cleanup() {
	ip netns del $A 2>/dev/null || true
	ip netns del $B 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
ip netns add $A
ip netns add $B
ip link add veth0 netns $A type veth peer name veth1 netns $B
ip -n $A link set veth0 address 02:00:00:00:00:01
ip -n $B link set veth1 address 02:00:00:00:00:02
for ns in $A:veth0 $B:veth1; do
	n=${ns%%:*}; d=${ns#*:}
	ip netns exec "$n" ethtool -K "$d" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
	ip -n "$n" link set lo up
	ip -n "$n" link set "$d" up
done
ip -n $A addr add 192.0.2.1/24 dev veth0
ip -n $B addr add 192.0.2.2/24 dev veth1
sleep 1

# capture NAME FILTER: start tcpdump on A's side; stop with stopcap
capture() {
	ip netns exec $A tcpdump -i veth0 -U -s 0 -w "$out/$1.pcap" "$2" >"$tmp/tcpdump.log" 2>&1 &
	cap_pid=$!
	cap_name=$1
	sleep 1
}
stopcap() {
	sleep 1
	kill "$cap_pid"
	wait "$cap_pid" 2>/dev/null || true
	tcpdump -r "$out/$cap_name.pcap" -vv -e -n -x -S >"$out/$cap_name.txt" 2>/dev/null
	echo "recorded $out/$cap_name.pcap: $(grep -c '^[0-9]' "$out/$cap_name.txt") frames"
}

capture arp_icmp "arp or icmp"
ip netns exec $A ping -c 1 -W 2 192.0.2.2 >/dev/null
stopcap
ip -n $A neigh flush dev veth0
ip -n $B neigh flush dev veth1

capture udp "udp"
ip netns exec $B python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.2", 7000)); s.settimeout(5)
d, a = s.recvfrom(2048); s.sendto(d, a)' &
srv=$!
sleep 0.5
ip netns exec $A python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 40001)); s.settimeout(5)
s.sendto(b"tally udp fixture: 0123456789\n", ("192.0.2.2", 7000)); s.recvfrom(2048)'
wait $srv
stopcap

capture tcp "tcp"
ip netns exec $B python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.2", 8000)); s.listen(1); s.settimeout(5)
c, a = s.accept(); c.recv(100); c.sendall(b"ok\n"); c.close()' &
srv=$!
sleep 0.5
ip netns exec $A python3 -c '
import socket
s = socket.create_connection(("192.0.2.2", 8000), timeout=5)
s.sendall(b"GET / tally\n"); s.recv(100); s.close()'
wait $srv
stopcap

cat >"$tmp/udhcpd.conf" <<EOF
start 192.0.2.100
end 192.0.2.110
interface veth1
lease_file $tmp/leases
pidfile $tmp/udhcpd.pid
opt subnet 255.255.255.0
opt router 192.0.2.2
opt dns 192.0.2.53 192.0.2.54
opt lease 3600
EOF
touch "$tmp/leases"
printf '#!/bin/sh\nexit 0\n' >"$tmp/script"; chmod +x "$tmp/script"
ip -n $A addr flush dev veth0
ip netns exec $B busybox udhcpd -f "$tmp/udhcpd.conf" >"$tmp/udhcpd.log" 2>&1 &
dhcpd=$!
sleep 1
capture dhcp "udp port 67 or udp port 68"
ip netns exec $A busybox udhcpc -f -q -n -i veth0 -t 3 -T 2 -s "$tmp/script" -x hostname:tally >/dev/null 2>&1
stopcap

capture dhcp_nak "udp port 67 or udp port 68"
# A client in INIT-REBOOT (RFC 2131 4.3.2: no server id, ciaddr 0) asks for
# an address outside the pool; udhcpd answers with a NAK.  The REQUEST is
# udhcpc's recorded one (from dhcp.pcap) with option 50 rewritten to
# 192.0.2.200, option 54 turned into pads and both checksums recomputed.
ip netns exec $A python3 - "$out/dhcp.pcap" <<'PY'
import socket, struct, sys
raw = open(sys.argv[1], "rb").read()
off, frames = 24, []
while off < len(raw):
	n = struct.unpack_from("<I", raw, off + 8)[0]
	frames.append(bytearray(raw[off + 16:off + 16 + n])); off += 16 + n
f = [x for x in frames if x[14 + 20 + 8 + 240:14 + 20 + 8 + 243] == b"\x35\x01\x03"][0]
def csum(b):
	if len(b) % 2: b = b + b"\0"
	s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
	while s >> 16: s = (s & 0xffff) + (s >> 16)
	return ~s & 0xffff
i = 14 + 20 + 8 + 240
while f[i] != 255:
	if f[i] == 0: i += 1; continue
	if f[i] == 50: f[i + 2:i + 6] = socket.inet_aton("192.0.2.200")
	if f[i] == 54: f[i:i + 6] = bytes(6); i += 6; continue
	i += 2 + f[i + 1]
f[14 + 10:14 + 12] = b"\0\0"
f[14 + 10:14 + 12] = struct.pack("!H", csum(bytes(f[14:34])))
udp = f[34:]
f[34 + 6:34 + 8] = b"\0\0"
ph = bytes(f[26:34]) + struct.pack("!BBH", 0, 17, len(udp))
c = csum(ph + bytes(f[34:])) or 0xffff
f[34 + 6:34 + 8] = struct.pack("!H", c)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("veth0", 0)); s.send(bytes(f))
PY
stopcap
kill $dhcpd
wait $dhcpd 2>/dev/null || true

# slirp as the DHCP server (see the top): no namespace needed
for mode in on off; do
	name=slirp_dhcp; [ $mode = on ] && name=slirp_dhcp_restrict
	python3 - "$out/dhcp.pcap" "$out/$name.pcap" $mode <<'PY'
import socket, struct, sys, subprocess, time
raw = open(sys.argv[1], "rb").read()
off, frames = 24, []
while off < len(raw):
	n = struct.unpack_from("<I", raw, off + 8)[0]
	frames.append(bytearray(raw[off + 16:off + 16 + n])); off += 16 + n
def dtype(x): return bytes(x[14 + 20 + 8 + 240:14 + 20 + 8 + 243])
def csum(b):
	if len(b) % 2: b = b + b"\0"
	s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
	while s >> 16: s = (s & 0xffff) + (s >> 16)
	return ~s & 0xffff
disc = [x for x in frames if dtype(x) == b"\x35\x01\x01"][0]
req = [x for x in frames if dtype(x) == b"\x35\x01\x03"][0]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); mine = s.getsockname()[1]
t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t.bind(("127.0.0.1", 0)); theirs = t.getsockname()[1]; t.close()
q = subprocess.Popen(["qemu-system-x86_64", "-machine", "none", "-nodefaults",
	"-display", "none", "-netdev", "user,id=u0,restrict=" + sys.argv[3],
	"-netdev", "socket,id=s0,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d" % (mine, theirs),
	"-netdev", "hubport,id=h0,hubid=0,netdev=u0",
	"-netdev", "hubport,id=h1,hubid=0,netdev=s0"], stderr=subprocess.DEVNULL)
time.sleep(2)
s.settimeout(5)
got = []
try:
	s.sendto(bytes(disc), ("127.0.0.1", theirs))
	offer = s.recvfrom(4096)[0]
	yiaddr = offer[14 + 20 + 8 + 16:14 + 20 + 8 + 20]
	f = req
	i = 14 + 20 + 8 + 240
	while f[i] != 255:
		if f[i] == 0: i += 1; continue
		if f[i] == 50: f[i + 2:i + 6] = yiaddr
		if f[i] == 54: f[i + 2:i + 6] = socket.inet_aton("10.0.2.2")
		i += 2 + f[i + 1]
	f[40:42] = b"\0\0"
	ph = bytes(f[26:34]) + struct.pack("!BBH", 0, 17, len(f) - 34)
	f[40:42] = struct.pack("!H", csum(ph + bytes(f[34:])) or 0xffff)
	s.sendto(bytes(f), ("127.0.0.1", theirs))
	ack = s.recvfrom(4096)[0]
	got = [bytes(disc), offer, bytes(f), ack]
finally:
	q.kill(); q.wait()
with open(sys.argv[2], "wb") as o:
	o.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
	for k, fr in enumerate(got):
		o.write(struct.pack("<IIII", 1700000000, k, len(fr), len(fr)) + fr)
PY
	tcpdump -r "$out/$name.pcap" -vv -e -n -x -S >"$out/$name.txt" 2>/dev/null
	echo "recorded $out/$name.pcap: $(grep -c '^[0-9]' "$out/$name.txt") frames"
done

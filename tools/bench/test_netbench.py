"""test_netbench.py - unit tests of tools/netbench.py's plumbing, without root.

Purpose: the network benchmarks boot QEMU and need root for --net tap,
so the real run is `make netbench NETBENCH_ARGS='--net tap ...'`.  What
can be checked without a boot or a namespace is checked here: the
options (--net's values and default, what --net tap refuses), the QEMU
command lines of the two systems on each netdev, the clients' addresses,
the namespace step (a stand-in for tools/tapnet.py's TapNet: the script
run again with NETBENCH_TAPNS set and its arguments, the stand-in closed
after, a TapError reported with status 2), the copy inside refusing a
namespace without the tap, and the reading of ping's summary (the probe
of a guest whose server stopped answering).

Independent truth: the tap system cases in tests/system.cases (the
netdev and the ip= that boot and pass there, `tap_ping`), the recorded
console of the Go peer (tests/bench/net/go.1.both.log: the ports it
listens on), Tally's own boot arguments as apps/udpecho.c and
apps/httpd.c document them, a /proc/net/dev text and iputils-ping's
summary lines written by hand, and what a stand-in child process
printed.
"""

import contextlib
import io
import os
import re
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, HERE)
import netbench    # noqa: E402
import tally_qemu  # noqa: E402
import tapnet      # noqa: E402
from testcases import parse_cases  # noqa: E402


def args(*argv, out=None):
	a = netbench.parse_args(list(argv))
	a.out = out
	return a


def quiet_exit(argv):
	"""parse_args(argv)'s SystemExit code and its stderr."""
	err = io.StringIO()
	with contextlib.redirect_stderr(err):
		try:
			netbench.parse_args(argv)
		except SystemExit as e:
			return e.code, err.getvalue()
	return None, err.getvalue()


def tap_case(name="tap_ping"):
	with open(os.path.join(ROOT, "tests", "system.cases")) as f:
		return [c for c in parse_cases(f.read()) if c.name == name][0]


def option_after(argv, flag):
	return argv[argv.index(flag) + 1]


def strip_image(cmd):
	"""A QEMU argv without what names the guest: -kernel, -initrd, -append
	and their values."""
	out, skip = [], False
	for x in cmd:
		if skip:
			skip = False
			continue
		if x in ("-kernel", "-initrd", "-append"):
			skip = True
			continue
		out.append(x)
	return out


class Options(unittest.TestCase):
	def test_net_default_and_values(self):
		self.assertEqual(args().net, "user")
		self.assertEqual(args("--net", "tap").net, "tap")
		code, err = quiet_exit(["--net", "bridge"])
		self.assertEqual(code, 2)
		self.assertIn("invalid choice: 'bridge'", err)

	def test_tap_refuses_an_address_of_its_own(self):
		code, err = quiet_exit(["--net", "tap", "--tally-args", "netpoll=irq ip=10.1.1.1/24"])
		self.assertEqual(code, 2)
		self.assertIn("must not set ip=", err)
		# through slirp an ip= is the user's business
		self.assertEqual(args("--tally-args", "ip=10.0.2.15/24").tally_args, "ip=10.0.2.15/24")

	def test_systems(self):
		self.assertEqual(args("--systems", "go").systems, ["go"])
		self.assertEqual(quiet_exit(["--systems", "linux"])[0], 2)
		self.assertEqual(quiet_exit(["--systems", ","])[0], 2)


class CommandLines(unittest.TestCase):
	def setUp(self):
		self.tmp = tempfile.TemporaryDirectory()

	def tearDown(self):
		self.tmp.cleanup()

	def opts(self, net, system, workload):
		a = args("--net", net, out=self.tmp.name)
		host, tport, uport = netbench.endpoints(net)
		return netbench.boot_opts(a, system, workload, tport, uport), (host, tport, uport)

	def test_tap_boots_like_the_tap_cases(self):
		case = tap_case()
		want_netdev = option_after(case.qemu, "-netdev")
		want_ip = re.search(r"(?:^|\s)ip=(\S+)", case.cmdline).group(1)
		for system, workload in (("tally", "udp"), ("tally", "http"), ("go", "both")):
			o, _ = self.opts("tap", system, workload)
			self.assertEqual(option_after(o.extra, "-netdev"), want_netdev, system)
			if system == "tally":
				self.assertIn("ip=" + want_ip, o.cmdline.split())
				self.assertLess(o.cmdline.index("ip="), o.cmdline.index(" -- "))
			else:
				self.assertIn("net=" + want_ip, o.cmdline.split())
				self.assertNotIn("net=10.0.2.15/24", o.cmdline)

	def test_user_keeps_slirp(self):
		o, (host, tport, uport) = self.opts("user", "tally", "http")
		self.assertEqual(host, "127.0.0.1")
		self.assertNotEqual(tport, uport)
		self.assertEqual(option_after(o.extra, "-netdev"),
		                 "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:80,hostfwd=udp:127.0.0.1:%d-:7"
		                 % (tport, uport))
		self.assertNotIn("ip=", o.cmdline)
		g, _ = self.opts("user", "go", "both")
		self.assertIn("net=10.0.2.15/24", g.cmdline.split())

	def test_same_machine_for_both_systems_and_nets(self):
		"""One QEMU, machine, CPU, memory, -smp and NIC model for Tally and
		Go, through slirp and the tap; only the guest and -netdev differ."""
		cmds = {}
		for net in ("user", "tap"):
			for system, workload in (("tally", "http"), ("go", "both")):
				o, _ = self.opts(net, system, workload)
				cmd = strip_image(tally_qemu.build_command(o))
				i = cmd.index("-netdev")
				cmds[net, system] = (cmd[:i] + cmd[i + 2:], cmd[i + 1])
		base = cmds["user", "tally"][0]
		for k, (cmd, _) in cmds.items():
			self.assertEqual(cmd, base, k)
		self.assertIn("virtio-net-pci,netdev=n0,disable-legacy=on", base)
		self.assertEqual(option_after(base, "-smp"), "2")
		self.assertTrue(cmds["tap", "go"][1].startswith("tap,"))
		self.assertTrue(cmds["user", "go"][1].startswith("user,"))

	def test_split_and_packed_share_one_configuration(self):
		"""tally-split and tally-packed: the same QEMU command (a device
		offering packed rings) but for the boot option that takes them."""
		cmds = {}
		for system in ("tally-split", "tally-packed"):
			o, _ = self.opts("tap", system, "udp")
			cmds[system] = (strip_image(tally_qemu.build_command(o)), o.cmdline.split())
		self.assertEqual(cmds["tally-split"][0], cmds["tally-packed"][0])
		self.assertIn("virtio-net-pci,netdev=n0,disable-legacy=on,packed=on",
		              cmds["tally-split"][0])
		self.assertIn("virtio_packed=off", cmds["tally-split"][1])
		self.assertIn("virtio_packed=on", cmds["tally-packed"][1])
		plain, _ = self.opts("tap", "tally", "udp")
		self.assertEqual(option_after(plain.extra, "-device"),
		                 "virtio-net-pci,netdev=n0,disable-legacy=on")
		self.assertNotIn("virtio_packed", plain.cmdline)
		self.assertEqual(args("--systems", "tally-split,tally-packed").systems,
		                 ["tally-split", "tally-packed"])

	def test_tap_endpoints_are_the_servers_ports(self):
		host, tport, uport = netbench.endpoints("tap")
		self.assertEqual(host, re.search(r"(?:^|\s)ip=([\d.]+)/", tap_case().cmdline).group(1))
		# the Go peer's recorded console names its ports
		with open(os.path.join(ROOT, "tests", "bench", "net", "go.1.both.log"),
		          errors="replace") as f:
			m = re.search(r"netpeer: listening udp (\d+) tcp (\d+)", f.read())
		self.assertEqual((uport, tport), (int(m.group(1)), int(m.group(2))))
		# Tally's apps take their port first after `--`
		o, _ = self.opts("tap", "tally", "udp")
		self.assertEqual(o.cmdline.split(" -- ")[1].split()[0], str(uport))
		o, _ = self.opts("tap", "tally", "http")
		self.assertEqual(o.cmdline.split(" -- ")[1].split()[0], str(tport))


class Config(unittest.TestCase):
	def test_net_recorded(self):
		c = netbench.session_config(args("--net", "tap"), "linux-x")
		self.assertEqual((c["net"], c["P"], c["tcg"]), ("tap", 2, "multi-threaded (parallel)"))
		self.assertIn("tap0", c["netdev"])
		self.assertEqual(c["nic"], "virtio-net-pci,disable-legacy=on")
		c = netbench.session_config(args("--smp", "1"), "linux-x")
		self.assertEqual((c["net"], c["P"]), ("user", 1))
		self.assertIn("hostfwd", c["netdev"])

	def test_namespace_outlives_every_boot(self):
		a = args("--net", "tap", "--rounds", "4", "--timeout", "100")
		# 4 rounds of 3 boots, each allowed its timeout
		self.assertGreater(netbench.namespace_limit(a), 4 * 3 * 100)


class FakeTap:
	"""Stands in for tapnet.TapNet: its prefix runs the command through a
	shell that prints what it was given."""
	made = []

	def __init__(self, queues=1, limit=900):
		self.queues, self.limit, self.closed = queues, limit, False
		self.pid = 4242
		FakeTap.made.append(self)

	def start(self):
		return self

	def prefix(self):
		return ["/bin/sh", "-c", 'echo "ns=$NETBENCH_TAPNS guest=$TALLY_TAP_GUEST $*" > "$0"; '
		        'exit 3', self.outfile]

	def env(self):
		e = dict(os.environ)
		e["TALLY_TAP_GUEST"] = tapnet.GUEST_IP
		return e

	def close(self):
		self.closed = True


class BrokenTap(FakeTap):
	def start(self):
		raise tapnet.TapError("tap network: /dev/net/tun cannot be opened by uid 1000")


class Namespace(unittest.TestCase):
	def setUp(self):
		self.saved = tapnet.TapNet
		FakeTap.made = []
		self.tmp = tempfile.TemporaryDirectory()
		FakeTap.outfile = os.path.join(self.tmp.name, "child.txt")

	def tearDown(self):
		tapnet.TapNet = self.saved
		os.environ.pop(netbench.INSIDE, None)
		self.tmp.cleanup()

	def test_runs_itself_inside(self):
		tapnet.TapNet = FakeTap
		argv = ["--net", "tap", "--rounds", "3"]
		status = netbench.run_in_namespace(netbench.parse_args(argv), argv)
		self.assertEqual(status, 3)   # the child's status
		with open(FakeTap.outfile) as f:
			seen = f.read().split()
		self.assertEqual(seen[:2], ["ns=4242", "guest=" + tapnet.GUEST_IP])
		self.assertEqual(os.path.basename(seen[3]), "netbench.py")
		self.assertEqual(seen[4:], argv)
		self.assertTrue(FakeTap.made[0].closed)
		self.assertGreaterEqual(FakeTap.made[0].limit, 3 * 3 * 240)

	def test_tap_error_is_status_2(self):
		tapnet.TapNet = BrokenTap
		out = io.StringIO()
		with contextlib.redirect_stdout(out):
			status = netbench.run_in_namespace(netbench.parse_args(["--net", "tap"]), [])
		self.assertEqual(status, 2)
		self.assertIn("/dev/net/tun cannot be opened", out.getvalue())

	def test_inside_without_the_tap_refuses(self):
		saved = netbench.in_tap_namespace
		netbench.in_tap_namespace = lambda: False
		os.environ[netbench.INSIDE] = "4242"
		out = io.StringIO()
		try:
			with contextlib.redirect_stdout(out):
				status = netbench.main(["--net", "tap"])
		finally:
			netbench.in_tap_namespace = saved
		self.assertEqual(status, 2)
		self.assertIn("has no tap0", out.getvalue())

	def test_ping_summary(self):
		# iputils-ping's last lines, as it prints them
		ok = ("--- 192.168.77.2 ping statistics ---\n"
		      "3 packets transmitted, 3 received, 0% packet loss, time 404ms\n"
		      "rtt min/avg/max/mdev = 0.262/0.431/0.702/0.193 ms\n")
		self.assertEqual(netbench.ping_summary(ok), (3, 3))
		dead = ("--- 192.168.77.2 ping statistics ---\n"
		        "3 packets transmitted, 0 received, 100% packet loss, time 2043ms\n")
		self.assertEqual(netbench.ping_summary(dead), (3, 0))
		errs = ("3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 2046ms\n")
		self.assertEqual(netbench.ping_summary(errs), (3, 0))
		self.assertIsNone(netbench.ping_summary("ping: connect: Network is unreachable\n"))

	def test_has_tap(self):
		dev = ("Inter-|   Receive                            |  Transmit\n"
		       " face |bytes    packets errs drop fifo frame compressed multicast|bytes\n"
		       "    lo:       0       0    0    0    0     0          0         0        0\n"
		       "  tap0:    1406      17    0    0    0     0          0         0     1762\n")
		self.assertTrue(netbench.has_tap(dev))
		self.assertFalse(netbench.has_tap(dev.replace("tap0:", "tap01:")))
		self.assertFalse(netbench.has_tap(dev.replace("  tap0:", "  eth0:")))


if __name__ == "__main__":
	unittest.main()

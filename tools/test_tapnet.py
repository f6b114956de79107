#!/usr/bin/env python3
"""test_tapnet.py - unit tests of the tap harness's pure parts.

Purpose: the case file's `tap` key and a client's arguments
(tools/testcases.py), and the commands tools/tapnet.py builds (the
nsenter prefix with and without a user namespace, multi_queue only for
several queues, the addresses a client is given), without making a
namespace: the tap cases themselves (tests/system.cases, tap_*) boot
through a real one.

Run: python3 tools/test_tapnet.py (testrun.py's py layer also runs and
counts it, after tools/test_tally_qemu.py and tools/test_testrun.py).
Context: stdlib only; touches nothing.
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tapnet  # noqa: E402
import testrun as tr  # noqa: E402


class TapCases(unittest.TestCase):
	def test_tap_and_client_args(self):
		c = tr.parse_cases("[a]\nboot = direct\ntap = 2\n"
		                   "client = tools/tap_client.py mq 2\n")[0]
		self.assertEqual((c.tap, c.client, c.client_args),
		                 (2, "tools/tap_client.py", ["mq", "2"]))
		self.assertEqual(tr.parse_cases("[a]\nboot = direct\n")[0].tap, 0)
		for bad, why in (("[a]\nboot = direct\ntap = 0\n", "1..16"),
		                 ("[a]\nboot = direct\ntap = 17\n", "1..16"),
		                 ("[a]\nboot = direct\ntap = yes\n", "tap"),
		                 ("[a]\nboot = direct\nclient = tools/nope.py x\n", "no script"),
		                 ("[a]\nboot = direct\ntap = 1\nlauncher = yes\n", "namespace")):
			with self.assertRaises(tr.CaseError) as cm:
				tr.parse_cases(bad)
			self.assertIn(why, str(cm.exception))

	def test_tapnet_prefix(self):
		t = tapnet.TapNet(1)
		t.pid, t.userns = 4242, False
		self.assertEqual(t.prefix(), ["nsenter", "-t", "4242", "--net", "--"])
		t.userns = True
		self.assertEqual(t.prefix(), ["nsenter", "-t", "4242", "--net", "--user",
		                              "--preserve-credentials", "--"])
		self.assertIn("multi_queue", tapnet.TapNet(2)._script())
		self.assertNotIn("multi_queue", tapnet.TapNet(1)._script())
		with self.assertRaises(tapnet.TapError):
			tapnet.TapNet(0)
		e = t.env({})
		self.assertEqual((e["TALLY_TAP_GUEST"], e["TALLY_TAP_HOST"], e["TALLY_TAP_IF"]),
		                 (tapnet.GUEST_IP, tapnet.HOST_IP, tapnet.IFNAME))



if __name__ == "__main__":
	unittest.main()

"""test_render_packed.py - unit tests of tools/bench/render_packed.py, and
the drift check.

Purpose: the renderer turns the split-against-packed sessions' results
files into their regions of docs/net.md.  These tests feed it a results
file written by hand (medians, ratios and round-by-round wins computed
here, not by the code under test), and check that the committed
docs/net.md is exactly what the committed results files render to.
"""

import contextlib
import io
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import render_packed  # noqa: E402


def guest(busy, driver, irq):
	return {"busy_us": busy, "wall_us": 2 * busy, "unseen_us": busy, "unseen_share": 0.5,
	        "utilisation": 0.5,
	        "split_us": {"kern.driver": driver, "kern.irq": irq, "idle": 1.0}}


def run(system, rnd, pps, c1, busy):
	return {"system": system, "round": rnd,
	        "udp": {"flood": {"pps": pps, "guest": guest(busy, busy / 4, 1.0)}},
	        "http": {"c1": {"rps": c1, "guest": guest(busy, busy / 2, 2.0)}}}


def hand_results():
	runs = [run("tally-split", 1, 1000.0, 300.0, 40.0), run("tally-packed", 1, 1100.0, 200.0, 50.0),
	        run("tally-packed", 2, 900.0, 250.0, 30.0), run("tally-split", 2, 1200.0, 260.0, 60.0),
	        run("tally-split", 3, 800.0, 280.0, 20.0), run("tally-packed", 3, 1000.0, 270.0, 10.0)]
	return {"date": "D", "commit": "c0ffee", "dirty": False, "qemu": "QEMU 7.2",
	        "config": {"machine": "q35", "cpu": "max", "mem": "512M", "smp": 2, "P": 2,
	                   "tcg": "parallel", "net": "tap", "nic": "virtio-net-pci",
	                   "variants": {"tally-split": {"option": "virtio_packed=off",
	                                                "nic_extra": ",packed=on"},
	                                "tally-packed": {"option": "virtio_packed=on",
	                                                 "nic_extra": ",packed=on"}},
	                   "alternate": True, "wrk_seconds": 5, "udp_count": 10, "udp_window": 16,
	                   "udp_seconds": 3},
	        "host": {"ncpu": 2, "load_start": [1, 1, 1], "load_end": [2, 2, 2]},
	        "runs": runs, "failures": []}


class Render(unittest.TestCase):
	def test_hand_results(self):
		out = render_packed.render(hand_results())
		# flood: split 1000, 1200, 800 -> median 1000; packed 1100, 900, 1000 -> 1000;
		# packed better in round 1 and 3 (1100 > 1000, 1000 > 800), not in 2
		self.assertIn("| UDP echo, 16 in flight | echoes/s | 1000 [800-1200] | 1000 [900-1100] "
		              "| 1.00 | 2 of 3 |", out)
		# c1: split 300, 260, 280 -> 280; packed 200, 250, 270 -> 250; 250/280 = 0.89;
		# packed never better
		self.assertIn("| HTTP, 1 connection | requests/s | 280 [260-300] | 250 [200-270] "
		              "| 0.89 | 0 of 3 |", out)
		# per operation: flood busy split 40, 60, 20 -> 40, packed 50, 30, 10 -> 30;
		# kern.driver a quarter of it: 10.0 and 7.50
		self.assertIn("| UDP 16 in flight, per echo | 40.0 | 30.0 | 10.0 | 7.50 | 1.00 | 1.00 |",
		              out)
		self.assertIn("virtio-net-pci,packed=on", out)
		self.assertIn("3 rounds, the order reversed every other round", out)

	def test_doc_matches_the_recorded_results(self):
		with contextlib.redirect_stdout(io.StringIO()) as s:
			rc = render_packed.main(["--check"])
		self.assertEqual(rc, 0, s.getvalue())


if __name__ == "__main__":
	unittest.main()

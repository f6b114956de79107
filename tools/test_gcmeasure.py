#!/usr/bin/env python3
"""test_gcmeasure.py - unit tests of tools/gcmeasure.py's reading of Go's
gctrace=1 lines (the Go peer's rows), against values worked out by hand
from a recorded console (go-icount1, 64 MiB live), and of its split of a
gcgen=1 console's cycles by kind (lines from an icount1gen boot), and of
its allocation-rate row.

Context: stdlib only; run by `make test`'s py layer (tools/testlayers.py).
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gcmeasure  # noqa: E402

CONSOLE = """\
gc 4 @0.478s 33%: 0.012+385+0.002 ms clock, 0.012+60/105/0+0.002 ms cpu, 36->51->51 MB, 43 MB goal, 0 MB stacks, 0 MB globals, 1 P
gc 5 @0.966s 28%: 0.013+288+0.002 ms clock, 0.013+0/71/217+0.002 ms cpu, 64->64->64 MB, 104 MB goal, 0 MB stacks, 0 MB globals, 1 P (forced)
gc_live: 64 MiB live built, 5 cycles so far
gc 6 @1.426s 35%: 0.013+398+0.002 ms clock, 0.013+183/105/0+0.002 ms cpu, 109->128->82 MB, 128 MB goal, 0 MB stacks, 0 MB globals, 1 P
gc 7 @2.099s 37%: 0.015+430+0.040 ms clock, 0.015+173/114/20+0.002 ms cpu, 141->165->88 MB, 165 MB goal, 0 MB stacks, 0 MB globals, 1 P
gc 8 @2.700s 38%: 0.011+300+0.002 ms clock, 0.011+10/50/0+0.002 ms cpu, 100->120->90 MB, 179 MB goal, 0 MB stacks, 0 MB globals, 1 P (forced)
gc 9 @2.775s 37%: 0.016+454+0.002 ms clock, 0.016+171/117/0+0.002 ms cpu, 150->176->89 MB, 177 MB goal, 0 MB stacks, 0 MB globals, 1 P
gc_live: ok 64 MiB live, 4 cycles, 0 corruptions
"""


class GoRows(unittest.TestCase):
	def test_cycles_after_the_build_and_not_forced(self):
		cs = gcmeasure.parse_go(CONSOLE)
		self.assertEqual([c["n"] for c in cs], [6, 7, 9])
		self.assertEqual(cs[1]["assist"], 173)
		self.assertEqual(cs[1]["bg"], 114)
		self.assertEqual(cs[1]["idle"], 20)
		self.assertEqual(cs[1]["stw2"], 0.040)
		self.assertEqual((cs[2]["end"], cs[2]["live"], cs[2]["p"]), (176, 89, 1))

	def test_row(self):
		row = gcmeasure.row_go("go-icount1", 64, gcmeasure.parse_go(CONSOLE))
		f = [x.strip() for x in row.strip("|").split("|")]
		self.assertEqual(f[0], "go-icount1")
		self.assertEqual(f[1], "3")
		# pauses: each cycle's longer one, 0.013, 0.040, 0.016
		self.assertEqual(f[2], "0.040 / 0.016")
		# (183+105)/398 = 72.4%, (173+114+20)/430 = 71.4%, (171+117)/454 = 63.4%
		self.assertEqual(f[3], "69%")
		# without the idle-time workers: 72.4%, 66.7%, 63.4%
		self.assertEqual(f[4], "68%")
		# assists: (183+173+171) of (288+307+288)
		self.assertEqual(f[5], "60%")
		# heap end / found live: 128/82, 165/88, 176/89 = 1.978
		self.assertEqual(f[6], "1.978")
		self.assertEqual(f[7], "2.750")     # 176 / 64
		self.assertEqual(f[8], "427.3")     # (398+430+454)/3
		self.assertEqual(f[9], "674.5")     # (2.775-1.426)/2 s
		self.assertEqual(f[10], "294.3")    # (288+307+288)/3


GEN_CONSOLE = """\
gc 7 pause ns: start 3000 (stop 0 stacks 0) final 51000 (stop 0 walk 30000 rescan 11000 stacks 0 roots 0 hooks 0) 22 dirty pages 9 tables; heap 67108864->67108864->67108864 goal 134217728 bytes; marking 1000+0 of 2000 ns x 1 P; re-scans 0 ns
gc_live: 64 MiB live built, 7 cycles so far
gc 8 @1.632s 74%: 0.054 ms stw (start 0.003: stop 0.000 stacks 0.000; final 0.051: stop 0.000 walk 0.030 rescan 0.011 drain 0.000), 117.617 ms concurrent (clear 2.409+0.000 sync, mark 78% of 1 P, 9 rounds), sweep 6.125 ms, 111->127->85 MB, 128 MB goal, 1 P, 9806+22 dirty pages, 1000 freed, minor: 4990 remembered pages
gc 8 pause ns: start 3000 (stop 0 stacks 0) final 51000 (stop 0 walk 30000 rescan 11000 stacks 0 roots 0 hooks 0) 22 dirty pages 9 tables; heap 116391936->133169152->89128960 goal 134217728 bytes; marking 80000000+11740000 of 117617000 ns x 1 P; re-scans 50000000 ns
gc 9 @1.798s 74%: 0.054 ms stw (start 0.003: stop 0.000 stacks 0.000; final 0.051: stop 0.000 walk 0.030 rescan 0.011 drain 0.000), 114.000 ms concurrent (clear 2.409+0.000 sync, mark 88% of 1 P, 9 rounds), sweep 6.125 ms, 117->127->85 MB, 128 MB goal, 1 P, 9806+22 dirty pages, 2000 freed, minor: 12135 remembered pages
gc 9 pause ns: start 3000 (stop 0 stacks 0) final 51000 (stop 0 walk 30000 rescan 11000 stacks 0 roots 0 hooks 0) 22 dirty pages 9 tables; heap 122683392->133169152->89128960 goal 134217728 bytes; marking 90000000+10000000 of 114000000 ns x 1 P; re-scans 60000000 ns
gc 10 @2.000s 74%: 0.054 ms stw (start 0.003: stop 0.000 stacks 0.000; final 0.051: stop 0.000 walk 0.030 rescan 0.011 drain 0.000), 190.000 ms concurrent (clear 2.409+0.000 sync, mark 97% of 1 P, 9 rounds), sweep 6.125 ms, 123->127->67 MB, 127 MB goal, 1 P, 9806+22 dirty pages, 3000 freed, full: marks cleared in 0.748 ms
gc 10 pause ns: start 3000 (stop 0 stacks 0) final 51000 (stop 0 walk 30000 rescan 11000 stacks 0 roots 0 hooks 0) 22 dirty pages 9 tables; heap 128974848->133169152->70254592 goal 133169152 bytes; marking 170000000+14300000 of 190000000 ns x 1 P; re-scans 30000000 ns
"""


class GenRows(unittest.TestCase):
	def test_kinds(self):
		cs, _, _ = gcmeasure.parse(GEN_CONSOLE)
		self.assertEqual([c.get("kind") for c in cs], ["minor", "minor", "full"])
		self.assertEqual([c["remembered"] for c in cs], [4990, 12135, 0])
		f = [x.strip() for x in gcmeasure.row_gen("icount1gen", cs).strip("|").split("|")]
		self.assertEqual(f[1], "2 / 1")
		self.assertEqual(f[2], "83% / 97%")        # (78+88)/2, 97
		# marking + assists a cycle: (91.74+100)/2 = 95.87; 184.3
		self.assertEqual(f[3], "95.9 / 184.3")
		self.assertEqual(f[4], "8562")             # (4990+12135)/2, rounded half to even
		self.assertEqual(f[5], "-")                # consoles from before spans were set aside

	def test_aside(self):
		text = GEN_CONSOLE.replace("4990 remembered pages", "4990 remembered pages, 300 spans aside (5 MB free)")
		text = text.replace("0.748 ms\n", "0.748 ms, 100 spans aside (2 MB free)\n")
		cs, _, _ = gcmeasure.parse(text)
		self.assertEqual([c.get("kind") for c in cs], ["minor", "minor", "full"])
		self.assertEqual([c.get("aside") for c in cs], [300, None, 100])
		f = [x.strip() for x in gcmeasure.row_gen("icount1gen", cs).strip("|").split("|")]
		self.assertEqual(f[4], "8562")
		self.assertEqual(f[5], "200, 4")           # (300+100)/2 spans, (5+2)/2 MB rounded half to even

	def test_no_kinds_without_gcgen(self):
		cs, _, _ = gcmeasure.parse(GEN_CONSOLE.replace(", minor: 4990 remembered pages", "")
		                           .replace(", minor: 12135 remembered pages", "")
		                           .replace(", full: marks cleared in 0.748 ms", ""))
		self.assertEqual(len(cs), 3)
		self.assertIsNone(gcmeasure.row_gen("icount1", cs))


class AllocRows(unittest.TestCase):
	def test_rate_beside_mark_cpu(self):
		text = GEN_CONSOLE + "gc_live: the mutators allocated 1234 MB in 5678 ms, 227 bytes a us\n"
		f = [x.strip() for x in gcmeasure.row_alloc("icount1", text).strip("|").split("|")]
		# the mark CPU of the three cycles: (78+88+97)/3 = 87.7
		self.assertEqual(f, ["icount1", "5678", "1234", "227", "88%"])

	def test_none_without_the_line(self):
		self.assertIsNone(gcmeasure.row_alloc("icount1", GEN_CONSOLE))


if __name__ == "__main__":
	unittest.main()

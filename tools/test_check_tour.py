#!/usr/bin/env python3
"""test_check_tour.py - unit tests of tools/check_tour.py, the judge of the
tour's console, on a recorded console (x86_64, direct boot, 2 CPUs) and on
copies of it with one number changed: the check must pass the recording
and name what is wrong in each copy.

Context: stdlib only; run by `make test`'s py layer (tools/testlayers.py).
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_tour  # noqa: E402

UPTIME, READS, EL0 = "1789.860", "0.215", "1789.790"

CONSOLE = """\
tally: start
tally: smp: 2 CPUs online of 2 enabled
tally: pvh, 508 MiB usable, 507 MiB free, console com1, xapic, timer oneshot, tick 1000 Hz

  Tally - a runtime kernel that accounts for every cycle

Booted by pvh on 2 CPUs (QEMU TCG CPU version 2.5+), cycle counter 2596.106 MHz.
Every cycle of every CPU is charged to one class of the cost ledger:
  kern  the kernel (timer and IPI interrupts, page faults, its services)
  rt    the Go-style runtime (scheduler, timers)
  user  this program's own code
  idle  nothing to run: the CPU halts until an interrupt
This program reads the ledger itself (tally_ledger_read) before and
after each step: the splits below are measurements, not estimates.
"CPU ms" is the time of all 2 CPUs together: 2 x the wall time, and up to
2 x the ledger reads' own time more (each CPU is read at its own instant).

1. A concurrent program: count the primes below 10 million with 4 goroutines
   that take ranges of 250000 numbers from a channel and send back counts
   (after one untimed run, so that both runs below start warm).

   on 1 CPU : 664579 primes, wall  151.332 ms, CPU ms   302.847   kern   1.9%  rt   0.2%  user  47.9%  idle  50.0%  (reads 0.375 ms)
   on 2 CPUs: 664579 primes, wall  204.017 ms, CPU ms   408.214   kern   3.2%  rt   0.2%  user  96.4%  idle   0.2%  (reads 0.259 ms)
   0.74x faster on 2 CPUs; ranges done per CPU: cpu0 20 cpu1 20
   On one CPU the others idle.  Under emulation a CPU is a host thread:
   with fewer free host cores than CPUs the speed-up shrinks, and the
   ledger still sees a CPU whose thread waits for a host core as busy.

2. What the runtime's operations cost, and where all CPUs' time went:

   operation                       ops     ns/op   wall ms    CPU ms
   spawn + join a goroutine      20000      4791    95.817   197.005  kern   0.7%  rt  29.6%  user  57.9%  idle  11.8%  (reads 2.759 ms)
   yield to another goroutine    60000      1586    95.150   190.440  kern   0.5%  rt  29.5%  user  20.5%  idle  49.5%  (reads 0.183 ms)
   channel ping-pong, 1 P        40000      2993   119.734   239.564  kern   1.7%  rt  10.5%  user  37.9%  idle  50.0%  (reads 0.122 ms)
   channel ping-pong, 2 Ps       15000      4934    74.010   328.844  kern   0.5%  rt   3.2%  user  22.7%  idle  73.6%  (reads 180.928 ms)
   timer start + stop            40000      2068    82.723   165.620  kern   1.0%  rt   4.1%  user  49.3%  idle  45.6%  (reads 0.207 ms)
   sleep 100 us                   1000    404312   404.312   808.978  kern   0.4%  rt   1.0%  user   0.1%  idle  98.4%  (reads 0.264 ms)

   "1 P": the runtime may use one CPU (GOMAXPROCS=1), so the other idles.
   A sleeping goroutine costs no CPU: its time is idle, and a 100 us
   sleep's ns/op over 100000 is the wake-up's lateness.  Spawns and
   channel hand-offs across CPUs wake the other CPU with an IPI (kern).

3. The ledger of every CPU since boot, in ms and % of that CPU's time
   (time since boot by tally_nanotime: 1789.860 ms; the reads took 0.215 ms):

   class                     cpu0                 cpu1                total
   idle                   473.936  26.5%      1114.822  65.5%      1588.758
   user                  1064.647  59.5%       496.782  29.2%      1561.429
   kern.boot               90.288   5.0%         0.143   0.0%        90.431
   kern.irq.timer          33.060   1.8%        16.792   1.0%        49.852
   kern.irq.ipi             0.771   0.0%         3.613   0.2%         4.383
   kern.driver             14.363   0.8%         0.705   0.0%        15.068
   kern.syscall             1.791   0.1%         0.432   0.0%         2.223
   rt.sched               105.049   5.9%        68.033   4.0%       173.082
   rt.timer                 0.853   0.0%         0.754   0.0%         1.607
   rt.alloc                 5.032   0.3%         0.841   0.0%         5.873
   elapsed               1789.790 100.0%      1702.915 100.0%      3492.705

   idle             halted, waiting for an interrupt
   user             the program's own code
   kern.boot        start-up, until the CPU first runs something
   kern.irq.timer   the timer interrupt: tick, deadlines, preemption
   kern.irq.ipi     interrupts between CPUs: wake-ups, calls
   kern.driver      device drivers (the serial console)
   kern.syscall     the C library's system calls
   rt.sched         the goroutine scheduler
   rt.timer         the runtime's timer heaps
   rt.alloc         malloc's slow paths: refilling caches, spans, pages
ledger: cpu0  elapsed 4656590510 cycles idle=1240392686(26.6%) user=2763936370(59.3%) kern.boot=234398008(5.0%) kern.irq.timer=85826832(1.8%) kern.irq.ipi=2092974(0.0%) kern.driver=37288082(0.8%) kern.syscall=4648774(0.0%) rt.sched=272727884(5.8%) rt.timer=2214550(0.0%) rt.alloc=13064350(0.2%) cause.call=312052 cause.preempt=1434082 residue=0 transitions=488559
ledger: cpu1  elapsed 4431271104 cycles idle=2894196968(65.3%) user=1295070790(29.2%) kern.boot=371228(0.0%) kern.irq.timer=43785950(0.9%) kern.irq.ipi=9378642(0.2%) kern.driver=6338072(0.1%) kern.syscall=1304394(0.0%) rt.sched=176620574(3.9%) rt.timer=1956604(0.0%) rt.alloc=2247882(0.0%) cause.call=5150028 cause.preempt=619814 residue=0 transitions=76300
ledger: total elapsed 9087861614 cycles idle=4134589654(45.4%) user=4059007160(44.6%) kern.boot=234769236(2.5%) kern.irq.timer=129612782(1.4%) kern.irq.ipi=11471616(0.1%) kern.driver=43626154(0.4%) kern.syscall=5953168(0.0%) rt.sched=449348458(4.9%) rt.timer=4171154(0.0%) rt.alloc=15312232(0.1%) cause.call=5462080 cause.preempt=2053896 residue=0 transitions=564859
tally: exit 0
"""


def changed(old, new):
	assert CONSOLE.count(old) == 1, old
	return CONSOLE.replace(old, new).splitlines()


class Tour(unittest.TestCase):
	def test_recording_passes(self):
		self.assertEqual(check_tour.check(CONSOLE.splitlines()), [])

	def test_cpu0_longer_than_the_time_since_boot(self):
		# cpu0's ledger would have started before the clock's origin
		bad = check_tour.check(changed("nanotime: %s ms;" % UPTIME, "nanotime: %.3f ms;"
		                               % (float(EL0) - 0.005)))
		self.assertTrue(any(b.startswith("cpu0 elapsed %s ms is not the time since boot" % EL0)
		                    for b in bad), bad)

	def test_cpu0_shorter_than_the_time_before_the_reads(self):
		# the time since boot before the reads is UPTIME - READS
		bad = check_tour.check(changed("the reads took %s ms" % READS, "the reads took %.3f ms"
		                               % (float(UPTIME) - float(EL0) - 0.005)))
		self.assertTrue(any(b.startswith("cpu0 elapsed") for b in bad), bad)

	def test_no_reads_time(self):
		bad = check_tour.check(changed("; the reads took %s ms" % READS, ""))
		self.assertIn("no uptime line or no table header in step 3", bad)

	def test_wrong_prime_count(self):
		bad = check_tour.check(changed("on 1 CPU : 664579 primes", "on 1 CPU : 664578 primes"))
		self.assertTrue(any(b.startswith("prime count is not 664579") for b in bad), bad)


if __name__ == "__main__":
	unittest.main()

// Command gobench is the Go peer of Tally's on-target benchmarks.
//
// Purpose: run the same benchmarks as Tally (same names, same operation per
// "op") with goroutines, channels and Go's runtime, inside a Linux guest
// booted in the same QEMU configuration as Tally, and print them in Go's
// benchmark format so that tools/bench.py compares all systems with one
// parser.  Usage:
//
//	gobench [-bench REGEX] [-benchtime DURATION|Nx] [-cpu LIST] [-gogc off|N] [-list]
//	gobench -gclive MIB,CYCLES   (no benchmark: gclive.go's program)
//
// Output, per benchmark (one line, fields separated by tabs):
//
//	BenchmarkName-P  N  X ns/op  Y cycles/op  K %kern  U %user  I %idle  B B/op  A allocs/op
//
// P is GOMAXPROCS during the benchmark (fixed per benchmark, see the table
// below; 0 in the table means all CPUs; a name listed at several P runs at
// each).  -cpu 1,2 runs every benchmark at each listed GOMAXPROCS instead,
// as `go test -cpu` does, once per name (tools/bench.py uses it to match
// Tally's P).  -gogc sets the collector's target like the
// GOGC environment variable (debug.SetGCPercent; off disables the
// collector); the header line `gogc:` records it.  Go cannot read the TSC, so
// cycles/op is ns/op times the TSC frequency the guest kernel reported
// (environment BENCH_TSC_MHZ, set by the guest's /init; else /proc/cpuinfo
// "cpu MHz"); under QEMU -icount both are guest instructions per op.  The
// split comes from getrusage() against wall time x CPUs: kern = system
// time, user = user time (the Go runtime's own work is inside it, so no
// %rt pair is printed), idle = the rest.  B/op and allocs/op come from
// runtime.MemStats as in Go's testing package.  A benchmark whose body
// fails prints `--- FAIL: BenchmarkName: why`; the last line is
// `bench: done: N benchmarks`, N counting skipped ones too (as Tally does).
//
// Scaling is Go's testing package's: N = 1, then predict N from the last
// run (20% extra, at most 100x growth, at least +1) until one run lasts the
// benchmark time; that run is reported.  runtime.GC() runs before each run.
//
// Data structures: the table benches, in the order of the benchmark
// contract.  Context: the benchmark bodies (sched.go, sync.go) start
// goroutines and wait for all of them before they return.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// B is what a body sees: N operations to do, a timer it may reset.
type B struct {
	N      int
	failed string
	start  time.Time
	ru0    syscall.Rusage
	ms0    runtime.MemStats
	extra  []metric
}

type metric struct {
	v    float64
	unit string
}

// ResetTimer restarts the measured interval (after setup).
func (b *B) ResetTimer() {
	runtime.ReadMemStats(&b.ms0)
	syscall.Getrusage(syscall.RUSAGE_SELF, &b.ru0)
	b.start = time.Now()
}

// Fail drops the benchmark's result with a reason.
func (b *B) Fail(why string) { b.failed = why }

// Metric adds a "value unit" pair to the result line (like Go's
// testing.B.ReportMetric; the last value of a unit wins).
func (b *B) Metric(v float64, unit string) {
	for i := range b.extra {
		if b.extra[i].unit == unit {
			b.extra[i].v = v
			return
		}
	}
	b.extra = append(b.extra, metric{v, unit})
}

type bench struct {
	name  string
	procs int // GOMAXPROCS; 0: all CPUs
	fn    func(b *B)
}

var benches = []bench{
	{"SpawnJoin", 1, benchSpawnJoin},
	{"YieldPingPong", 1, benchYieldPingPong},
	{"ChanPingPongOneP", 1, benchChanPingPong},
	{"ChanPingPongCrossP", 2, benchChanPingPong},
	{"ChanBuffered", 1, benchChanBuffered},
	{"MutexUncontended", 1, benchMutexUncontended},
	{"MutexContended", 2, benchMutexContended},
	{"TimerStartStop", 1, benchTimerStartStop},
	{"SleepWakeLatency", 1, benchSleepWakeLatency},
	{"CheckGoroutinePerItem", 0, benchCheckGoroutinePerItem},
	{"CheckInline", 1, benchCheckInline},
	{"CounterChannel", 2, benchCounterChannel},
	{"CounterAtomic", 2, benchCounterAtomic},
	{"CounterOneMutex", 2, benchCounterOneMutex},
	{"CounterSharded", 2, benchCounterSharded},
	{"TimerPerWait", 1, benchTimerPerWait},
	{"TimerReset", 1, benchTimerReset},
	{"AllocPerCall", 1, benchAllocPerCall},
	{"AllocReused", 1, benchAllocReused},
	{"Alloc64", 1, benchAlloc64},
	{"GCAlloc64", 1, benchAlloc64}, // Tally's collected counterpart of Alloc64
	{"AllocThroughput", 1, benchAllocThroughput},
	{"AllocThroughput", 2, benchAllocThroughput},
	{"Skynet", 0, benchSkynet},
	{"BinaryTrees", 1, benchBinaryTrees},
	{"PrimeSieve", 1, benchPrimeSieve},
}

type measure struct {
	ns, utime, stime   float64
	mallocs, allocated uint64
}

func tvNs(tv syscall.Timeval) float64 {
	return float64(tv.Sec)*1e9 + float64(tv.Usec)*1e3
}

func runOnce(bm *bench, n int) (*B, measure) {
	runtime.GC()
	b := &B{N: n}
	b.ResetTimer()
	bm.fn(b)
	ns := float64(time.Since(b.start).Nanoseconds())
	var ru syscall.Rusage
	var ms runtime.MemStats
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	runtime.ReadMemStats(&ms)
	return b, measure{
		ns:        ns,
		utime:     tvNs(ru.Utime) - tvNs(b.ru0.Utime),
		stime:     tvNs(ru.Stime) - tvNs(b.ru0.Stime),
		mallocs:   ms.Mallocs - b.ms0.Mallocs,
		allocated: ms.TotalAlloc - b.ms0.TotalAlloc,
	}
}

// value formats like Go's testing: about four significant digits.
func value(v float64, unit string) string {
	switch {
	case v >= 99.995:
		return fmt.Sprintf("\t%.0f %s", v, unit)
	case v >= 9.9995:
		return fmt.Sprintf("\t%.1f %s", v, unit)
	case v >= 0.99995:
		return fmt.Sprintf("\t%.2f %s", v, unit)
	}
	return fmt.Sprintf("\t%.3f %s", v, unit)
}

func pct(part, whole float64) float64 {
	if whole <= 0 || part < 0 {
		return 0
	}
	if part > whole {
		return 100
	}
	return 100 * part / whole
}

// runBench runs bm at GOMAXPROCS procs: exactly fixed ops when fixed > 0
// (-benchtime Nx, as go test), else scaled until a run lasts goal.
func runBench(bm *bench, procs int, goal time.Duration, fixed int, mhz float64) {
	if procs == 0 {
		procs = runtime.NumCPU()
	}
	runtime.GOMAXPROCS(procs)
	n := 1
	if fixed > 0 {
		n = fixed
	}
	b, m := runOnce(bm, n)
	for fixed == 0 && b.failed == "" && m.ns < float64(goal) && n < 1e9 {
		last := n
		prev := m.ns
		if prev < 1 {
			prev = 1
		}
		n = int(float64(goal) * float64(last) / prev)
		n += n / 5
		if n > 100*last {
			n = 100 * last
		}
		if n < last+1 {
			n = last + 1
		}
		if n > 1e9 {
			n = 1e9
		}
		b, m = runOnce(bm, n)
	}
	if b.failed != "" {
		fmt.Printf("--- FAIL: Benchmark%s: %s\n", bm.name, b.failed)
		return
	}
	cpuNs := m.ns * float64(runtime.NumCPU())
	var sb strings.Builder
	fmt.Fprintf(&sb, "Benchmark%s-%d\t%d", bm.name, procs, n)
	sb.WriteString(value(m.ns/float64(n), "ns/op"))
	if mhz > 0 {
		sb.WriteString(value(m.ns/float64(n)*mhz/1000, "cycles/op"))
	}
	sb.WriteString(value(pct(m.stime, cpuNs), "%kern"))
	sb.WriteString(value(pct(m.utime, cpuNs), "%user"))
	sb.WriteString(value(pct(cpuNs-m.utime-m.stime, cpuNs), "%idle"))
	fmt.Fprintf(&sb, "\t%d B/op\t%d allocs/op", m.allocated/uint64(n), m.mallocs/uint64(n))
	for _, x := range b.extra {
		sb.WriteString(value(x.v, x.unit))
	}
	fmt.Println(sb.String())
}

// tscMHz is the TSC frequency the guest kernel reported, or 0.
func tscMHz() float64 {
	if v, err := strconv.ParseFloat(os.Getenv("BENCH_TSC_MHZ"), 64); err == nil && v > 0 {
		return v
	}
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "cpu MHz" {
			mhz, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return mhz
		}
	}
	return 0
}

func main() {
	pattern := flag.String("bench", ".", "run benchmarks whose name matches this regexp")
	benchtime := flag.String("benchtime", "1s", "minimum measured time per benchmark, or Nx for exactly N ops")
	list := flag.Bool("list", false, "list the benchmarks and exit")
	cpuList := flag.String("cpu", "", "comma-separated GOMAXPROCS values to run every benchmark at")
	gogc := flag.String("gogc", "", "GC target percent, or off (default: GOGC or 100)")
	gclive := flag.String("gclive", "", "MIB,CYCLES: run gclive.go's program instead of benchmarks")
	flag.Parse()
	re, err := regexp.Compile(*pattern)
	goal, fixed := time.Duration(0), 0
	if strings.HasSuffix(*benchtime, "x") {
		n, xerr := strconv.Atoi(strings.TrimSuffix(*benchtime, "x"))
		if xerr != nil || n < 1 {
			err = fmt.Errorf("bad -benchtime value %q", *benchtime)
		}
		fixed = n
	} else {
		d, derr := time.ParseDuration(*benchtime)
		if derr != nil || d <= 0 {
			err = fmt.Errorf("bad -benchtime value %q", *benchtime)
		}
		goal = d
	}
	var cpus []int
	for _, f := range strings.Split(*cpuList, ",") {
		if f == "" {
			continue
		}
		n, cerr := strconv.Atoi(f)
		if cerr != nil || n < 1 {
			err = fmt.Errorf("bad -cpu value %q", f)
		}
		cpus = append(cpus, n)
	}
	gcPercent := -2
	if *gogc == "off" {
		gcPercent = -1
	} else if *gogc != "" {
		n, gerr := strconv.Atoi(*gogc)
		if gerr != nil || n < 0 {
			err = fmt.Errorf("bad -gogc value %q", *gogc)
		}
		gcPercent = n
	}
	if err != nil || flag.NArg() != 0 {
		if err != nil {
			fmt.Fprintln(os.Stderr, "gobench:", err)
		}
		fmt.Fprintln(os.Stderr, "usage: gobench [-bench REGEX] [-benchtime DURATION|Nx] [-cpu LIST] [-gogc off|N] [-list]")
		os.Exit(2)
	}
	if gcPercent != -2 {
		debug.SetGCPercent(gcPercent)
	}
	if *gclive != "" {
		var mib, cycles int
		if n, _ := fmt.Sscanf(*gclive, "%d,%d", &mib, &cycles); n != 2 || mib < 1 || mib > 1024 || cycles < 1 {
			fmt.Fprintf(os.Stderr, "gobench: bad -gclive value %q (MIB 1..1024,CYCLES >= 1)\n", *gclive)
			os.Exit(2)
		}
		os.Exit(runGCLive(mib, cycles))
	}
	// SetGCPercent returns the previous value: read it back and restore.
	cur := debug.SetGCPercent(100)
	debug.SetGCPercent(cur)
	mhz := tscMHz()
	fmt.Printf("peer: go %s\n", runtime.Version())
	if cur < 0 {
		fmt.Printf("gogc: off\n")
	} else {
		fmt.Printf("gogc: %d\n", cur)
	}
	done := 0
	seen := map[string]bool{}
	for i := range benches {
		name := "Benchmark" + benches[i].name
		if !re.MatchString(name) || (len(cpus) > 0 || *list) && seen[name] {
			continue
		}
		seen[name] = true
		if *list {
			fmt.Println(name)
			continue
		}
		if len(cpus) == 0 {
			runBench(&benches[i], benches[i].procs, goal, fixed, mhz)
			done++
		}
		for _, p := range cpus {
			runBench(&benches[i], p, goal, fixed, mhz)
			done++
		}
	}
	if !*list {
		fmt.Printf("bench: done: %d benchmarks\n", done)
	}
}

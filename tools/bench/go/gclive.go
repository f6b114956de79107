// gclive.go - the Go peer of tests/apps/gc_live.c: a large live heap and
// a mutator on every P, for the collector's CPU share while it marks and
// the heap against the live heap (tools/gcmeasure.py, runs go-icount1 and
// go-tcg2; docs/heap.md).
//
// The same program as gc_live.c: MiB of live data in 1024 lists of 64-byte
// nodes (next, val, sum, 40 bytes of padding) hung from a global array,
// then one mutator goroutine per P (GOMAXPROCS, the guest's CPUs) that
// replaces random nodes in the first eighth of random lists of its own
// with new ones (a plain store into an old object) and drops garbage of
// 16 to 512 bytes, 256 of each, then runtime.Gosched(), until the
// collector has run `cycles` more times (read every 2 ms from
// runtime/metrics' /gc/cycles/total:gc-cycles).  Then every list is
// checked (its length and each node's sum of its address and value: Go's
// collector does not move heap objects) and it prints, as gc_live does,
//
//	gogc: <percent>
//	gc_live: <n> MiB live built, <k> cycles so far
//	gc_live: ok|FAIL <n> MiB live, <c> cycles, <b> corruptions
//
// with the runtime's GODEBUG=gctrace=1 lines (on stderr) in between: the
// measurement.  gobench -gclive re-executes itself with gctrace=1 added
// to GODEBUG when it is not set (the guest's /init passes no environment
// of its own).  -gogc applies as for the benchmarks; a `gogc: N` line
// (-1: off) records it.  Exit status 1 when a list is broken.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

type gcNode struct {
	next     *gcNode
	val, sum uint64
	pad      [40]byte
}

const gcLists = 1024

var (
	gcHeads   [gcLists]*gcNode
	gcPerList int
	gcDrop    [256][]byte // each mutator's last garbage: escapes, as gc_live's volatile
)

func gcSum(n *gcNode) uint64 {
	return uint64(uintptr(unsafe.Pointer(n)))*0x9e3779b97f4a7c15 ^ n.val
}

func gcNewNode(val uint64) *gcNode {
	n := &gcNode{val: val}
	n.sum = gcSum(n)
	return n
}

func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func gcMutator(me, ncpu int, stop *int32, wg *sync.WaitGroup) {
	defer wg.Done()
	rnd := uint64(0x2545f4914f6cdd1d) * uint64(me+1)
	val := uint64(me+1) << 48
	mine := (gcLists - me + ncpu - 1) / ncpu // lists l with l % ncpu == me
	for atomic.LoadInt32(stop) == 0 {
		for k := 0; k < 256; k++ {
			rnd ^= rnd << 13
			rnd ^= rnd >> 7
			rnd ^= rnd << 17
			l := me + int(rnd%uint64(mine))*ncpu
			at := int((rnd >> 32) % uint64(gcPerList/8+1))
			p := gcHeads[l]
			for i := 0; i < at; i++ {
				p = p.next
			}
			n := gcNewNode(val)
			val++
			n.next = p.next.next
			p.next = n
			gcDrop[me] = make([]byte, 16+int(rnd%31)*16)
		}
		runtime.Gosched()
	}
}

// gcLiveReexec makes sure the runtime prints its gctrace lines: GODEBUG
// is read once, at start-up.
func gcLiveReexec() error {
	env := os.Getenv("GODEBUG")
	if strings.Contains(env, "gctrace=1") {
		return nil
	}
	if env != "" {
		env += ","
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return syscall.Exec(exe, os.Args, append(os.Environ(), "GODEBUG="+env+"gctrace=1"))
}

func runGCLive(mib, cycles int) int {
	if err := gcLiveReexec(); err != nil {
		fmt.Fprintln(os.Stderr, "gobench: -gclive: cannot turn on gctrace:", err)
		return 71
	}
	cur := debug.SetGCPercent(100) // read it back (-gogc set it)
	debug.SetGCPercent(cur)
	fmt.Printf("gogc: %d\n", cur)
	gcPerList = (mib << 20) / int(unsafe.Sizeof(gcNode{})) / gcLists
	for l := 0; l < gcLists; l++ {
		for i := 0; i < gcPerList; i++ {
			n := gcNewNode(uint64(l)<<32 | uint64(i))
			n.next = gcHeads[l]
			gcHeads[l] = n
		}
	}
	runtime.GC()
	first := gcCycles()
	fmt.Printf("gc_live: %d MiB live built, %d cycles so far\n", mib, first)
	ncpu := runtime.GOMAXPROCS(0)
	if ncpu > len(gcDrop) {
		ncpu = len(gcDrop)
	}
	var stop int32
	var wg sync.WaitGroup
	wg.Add(ncpu)
	for i := 0; i < ncpu; i++ {
		go gcMutator(i, ncpu, &stop, &wg)
	}
	now := gcCycles()
	for now < first+uint64(cycles) {
		time.Sleep(2 * time.Millisecond)
		now = gcCycles()
	}
	atomic.StoreInt32(&stop, 1)
	wg.Wait()
	bad := 0
	for l := 0; l < gcLists; l++ {
		k := 0
		for n := gcHeads[l]; n != nil; n = n.next {
			if n.sum != gcSum(n) {
				bad++
			}
			k++
		}
		if k != gcPerList {
			bad++
		}
	}
	word := "ok"
	if bad != 0 {
		word = "FAIL"
	}
	fmt.Printf("gc_live: %s %d MiB live, %d cycles, %d corruptions\n", word, mib, now-first, bad)
	if bad != 0 {
		return 1
	}
	return 0
}

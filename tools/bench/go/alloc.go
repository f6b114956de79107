// alloc.go - allocation benchmarks of the Go peer, beside Tally's
// allocator benchmarks (tests/target/heap_bench.c; docs/heap.md).
//
// One operation of each:
//
//	Alloc64          new([64]byte) (zeroed, as Go always does), one byte
//	                 written, published to a global: the object escapes,
//	                 so it is a heap allocation and the collector's share
//	                 of reclaiming it is in the figure (Tally's op frees
//	                 explicitly)
//	AllocThroughput  one []byte of a mixed small size (8..512 bytes) per op
//	                 by each of GOMAXPROCS goroutines (1 and 2: two rows),
//	                 each keeping its last allocRing objects alive; the one
//	                 it drops is the collector's to reclaim; ns/op is per
//	                 object over all goroutines
//
// The sizes come from the same xorshift32 sequence and seeds as Tally's
// and pthreads', so the three draw the same sizes in the same order.
//
// Invariants: every object starts with the low byte of the op that made
// it, checked when it is dropped (a mismatch fails the benchmark); every
// goroutine started has finished before a body returns.
package main

import (
	"runtime"
	"sync"
)

var sink64 *[64]byte

func benchAlloc64(b *B) {
	for i := 0; i < b.N; i++ {
		p := new([64]byte)
		p[0] = byte(i)
		sink64 = p
	}
}

const allocRing = 64

var allocSizes = [16]int{8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 160, 192, 256, 320, 384, 512}

// allocWorker does n ops; it returns why it failed, or "".
func allocWorker(n int, seed uint32) string {
	var ring [allocRing][]byte
	x := seed
	for i := 0; i < n; i++ {
		j := i % allocRing
		if i >= allocRing && ring[j][0] != byte(i-allocRing) {
			return "an object changed under its owner"
		}
		x ^= x << 13 // xorshift32
		x ^= x >> 17
		x ^= x << 5
		sz := allocSizes[x>>28]
		p := make([]byte, sz)
		p[0] = byte(i)
		p[sz-1] = byte(i >> 8)
		ring[j] = p
	}
	return ""
}

func benchAllocThroughput(b *B) {
	procs := runtime.GOMAXPROCS(0)
	fails := make([]string, procs)
	var wg sync.WaitGroup
	wg.Add(procs)
	for w := 0; w < procs; w++ {
		n := b.N / procs
		if w < b.N%procs {
			n++
		}
		go func(w, n int) {
			fails[w] = allocWorker(n, 2463534242+uint32(w))
			wg.Done()
		}(w, n)
	}
	wg.Wait()
	for _, f := range fails {
		if f != "" {
			b.Fail(f)
		}
	}
}

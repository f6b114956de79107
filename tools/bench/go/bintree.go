// bintree.go - the Benchmarks Game's binary-trees, the Go peer of Tally's
// BinaryTrees (tests/target/bintree_bench.c; docs/heap.md).
//
// One op is the whole program at depth 16: a stretch tree of depth 17, a
// long-lived tree of depth 16 kept through the run, 2^(16-d+4) trees of
// each depth d = 4, 6, ..., 16, the long-lived tree checked last.  Every
// check is compared with the node count the shape fixes (2^(d+1) - 1);
// a mismatch fails the benchmark.  Nodes are heap objects the collector
// reclaims; its cost is in the figure.  gc-cycles is MemStats.NumGC's
// increase per op; pause-max-ns the longest stop-the-world pause among the
// run's cycles (MemStats.PauseNs, a ring of the last 256).
package main

import "runtime"

const btDepth, btMin = 16, 4

type btNode struct{ left, right *btNode }

func btMake(d int) *btNode {
	n := &btNode{}
	if d > 0 {
		n.left = btMake(d - 1)
		n.right = btMake(d - 1)
	}
	return n
}

func btCheck(n *btNode) int64 {
	if n.left == nil {
		return 1
	}
	return 1 + btCheck(n.left) + btCheck(n.right)
}

func btNodes(d int) int64 { return int64(1)<<(d+1) - 1 }

// binaryTrees runs the program once; it returns why it failed, or "".
func binaryTrees(max int) string {
	if btCheck(btMake(max+1)) != btNodes(max+1) {
		return "stretch tree: wrong node count"
	}
	longLived := btMake(max)
	for d := btMin; d <= max; d += 2 {
		iters := int64(1) << (max - d + btMin)
		var sum int64
		for i := int64(0); i < iters; i++ {
			sum += btCheck(btMake(d))
		}
		if sum != iters*btNodes(d) {
			return "trees: wrong node count"
		}
	}
	if btCheck(longLived) != btNodes(max) {
		return "long-lived tree: wrong node count"
	}
	return ""
}

func benchBinaryTrees(b *B) {
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	for i := 0; i < b.N; i++ {
		if why := binaryTrees(btDepth); why != "" {
			b.Fail(why)
			return
		}
	}
	runtime.ReadMemStats(&ms1)
	b.Metric(float64(ms1.NumGC-ms0.NumGC)/float64(b.N), "gc-cycles")
	if n := ms1.NumGC - ms0.NumGC; n > 0 && n <= 256 {
		var max uint64
		for c := ms0.NumGC; c < ms1.NumGC; c++ {
			if p := ms1.PauseNs[c%256]; p > max {
				max = p
			}
		}
		b.Metric(float64(max), "pause-max-ns")
	}
}

// sync.go - mutex, counter, timer, sleep and allocation benchmarks of the Go peer.
//
// One operation of each:
//
//	MutexUncontended  sync.Mutex Lock + Unlock by one goroutine
//	MutexContended    Lock, increment, Unlock by either of two goroutines
//	                  (GOMAXPROCS=2)
//	TimerStartStop    Reset a stopped timer one hour ahead, then Stop it
//	SleepWakeLatency  time.Sleep(100 us), measured whole
//	CounterAtomic     one atomic.AddInt64 by either of two goroutines
//	CounterOneMutex   one increment under a mutex shared by two goroutines
//	CounterSharded    one increment under the goroutine's own mutex, each
//	                  shard on its own cache line (summed at the end)
//	TimerPerWait      a wait with a timeout that is already satisfied: make a
//	                  value ready, NewTimer(1 s), select on both, Stop
//	TimerReset        the same wait with one timer: Reset, select, Stop
//	                  (draining its channel if it had fired)
//	AllocPerCall      new([64]byte), escaping to a global
//	AllocReused       clear and publish one reused [64]byte
//
// Invariants: counters add up to b.N (checked); every goroutine started
// has finished before a body returns.
package main

import (
	"sync"
	"sync/atomic"
	"time"
)

func benchMutexUncontended(b *B) {
	var mu sync.Mutex
	for i := 0; i < b.N; i++ {
		mu.Lock()
		mu.Unlock()
	}
}

type shard struct {
	mu sync.Mutex
	n  int64
	_  [48]byte // one shard per 64-byte cache line
}

// twoWorkers runs f(n) in two goroutines that split b.N between them.
func twoWorkers(b *B, f func(w, n int)) {
	var wg sync.WaitGroup
	wg.Add(2)
	for w := 0; w < 2; w++ {
		n := b.N / 2
		if w == 1 {
			n = b.N - b.N/2
		}
		go func(w, n int) {
			f(w, n)
			wg.Done()
		}(w, n)
	}
	wg.Wait()
}

func countUnderMutex(b *B, sharded bool) {
	var shards [2]shard
	twoWorkers(b, func(w, n int) {
		s := &shards[0]
		if sharded {
			s = &shards[w]
		}
		for i := 0; i < n; i++ {
			s.mu.Lock()
			s.n++
			s.mu.Unlock()
		}
	})
	if shards[0].n+shards[1].n != int64(b.N) {
		b.Fail("lost increments")
	}
}

func benchMutexContended(b *B)  { countUnderMutex(b, false) }
func benchCounterOneMutex(b *B) { countUnderMutex(b, false) }
func benchCounterSharded(b *B)  { countUnderMutex(b, true) }

func benchCounterAtomic(b *B) {
	var count int64
	twoWorkers(b, func(w, n int) {
		for i := 0; i < n; i++ {
			atomic.AddInt64(&count, 1)
		}
	})
	if count != int64(b.N) {
		b.Fail("lost increments")
	}
}

func benchTimerStartStop(b *B) {
	t := time.NewTimer(time.Hour)
	t.Stop()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t.Reset(time.Hour)
		t.Stop()
	}
}

func benchSleepWakeLatency(b *B) {
	for i := 0; i < b.N; i++ {
		time.Sleep(100 * time.Microsecond)
	}
}

func benchTimerPerWait(b *B) {
	ready := make(chan int, 1)
	for i := 0; i < b.N; i++ {
		ready <- i
		t := time.NewTimer(time.Second)
		select {
		case <-ready:
		case <-t.C:
			b.Fail("timer fired first")
		}
		t.Stop()
	}
}

func benchTimerReset(b *B) {
	ready := make(chan int, 1)
	t := time.NewTimer(time.Hour)
	t.Stop()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ready <- i
		t.Reset(time.Second)
		select {
		case <-ready:
		case <-t.C:
			b.Fail("timer fired first")
			continue
		}
		if !t.Stop() {
			<-t.C
		}
	}
}

var sink *[64]byte

func benchAllocPerCall(b *B) {
	for i := 0; i < b.N; i++ {
		p := new([64]byte)
		p[0] = byte(i)
		sink = p
	}
}

func benchAllocReused(b *B) {
	buf := new([64]byte)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		*buf = [64]byte{}
		buf[0] = byte(i)
		sink = buf
	}
}

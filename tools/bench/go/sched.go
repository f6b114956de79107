// sched.go - scheduler and channel benchmarks of the Go peer.
//
// One operation of each (the contract Tally's own benchmarks follow):
//
//	SpawnJoin             go f(); f calls wg.Done(); wg.Wait()
//	YieldPingPong         a round trip of a shared atomic turn between two
//	                      goroutines that runtime.Gosched() while it is not
//	                      theirs (GOMAXPROCS=1; no channel involved)
//	ChanPingPongOneP      an unbuffered-channel round trip (ping, pong),
//	                      GOMAXPROCS=1
//	ChanPingPongCrossP    the same with GOMAXPROCS=2
//	ChanBuffered          one element through a 128-slot channel, one
//	                      producer, one consumer
//	CheckGoroutinePerItem one 64-byte item checked (FNV-1a) by a goroutine
//	                      of its own, batches of 64 joined by a WaitGroup
//	CheckInline           one item checked in a loop
//	CounterChannel        one increment sent by one of two goroutines over
//	                      an unbuffered channel to the counting goroutine
//	Skynet                the classic skynet: a tree of 10-way spawns down
//	                      to 10^6 leaves (1 111 111 goroutines), sums sent
//	                      up over unbuffered channels; one op is the tree
//	PrimeSieve            the concurrent prime sieve: the first 100 primes
//	                      through a chain of one filter goroutine per
//	                      prime, unbuffered channels (GOMAXPROCS=1)
//
// Invariants: every goroutine a body starts has finished when it returns
// (WaitGroups or channel closes); counts are checked and a mismatch fails
// the benchmark.
package main

import (
	"runtime"
	"sync"
	"sync/atomic"
)

func benchSpawnJoin(b *B) {
	var wg sync.WaitGroup
	for i := 0; i < b.N; i++ {
		wg.Add(1)
		go func() { wg.Done() }()
		wg.Wait()
	}
}

func benchYieldPingPong(b *B) {
	var turn int32
	done := make(chan struct{})
	go func() {
		for i := 0; i < b.N; i++ {
			for atomic.LoadInt32(&turn) != 1 {
				runtime.Gosched()
			}
			atomic.StoreInt32(&turn, 0)
		}
		close(done)
	}()
	for i := 0; i < b.N; i++ {
		atomic.StoreInt32(&turn, 1)
		for atomic.LoadInt32(&turn) != 0 {
			runtime.Gosched()
		}
	}
	<-done
}

func benchChanPingPong(b *B) {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
		close(pong)
	}()
	for i := 0; i < b.N; i++ {
		ping <- i
		<-pong
	}
	close(ping)
	<-pong
}

func benchChanBuffered(b *B) {
	ch := make(chan int, 128)
	go func() {
		for i := 0; i < b.N; i++ {
			ch <- 1
		}
	}()
	sum := 0
	for i := 0; i < b.N; i++ {
		sum += <-ch
	}
	if sum != b.N {
		b.Fail("lost elements")
	}
}

const (
	itemBytes = 64
	batch     = 64
)

type item struct {
	data [itemBytes]byte
	sum  uint64
}

var items [batch]item

// check is the per-item work: FNV-1a over the item's bytes.
func check(it *item) {
	h := uint64(14695981039346656037)
	for _, c := range it.data {
		h = (h ^ uint64(c)) * 1099511628211
	}
	it.sum = h
}

func fillItems() {
	for i := range items {
		for j := range items[i].data {
			items[i].data[j] = byte(i*31 + j)
		}
	}
}

func benchCheckGoroutinePerItem(b *B) {
	fillItems()
	b.ResetTimer()
	var wg sync.WaitGroup
	for done := 0; done < b.N; {
		m := b.N - done
		if m > batch {
			m = batch
		}
		wg.Add(m)
		for k := 0; k < m; k++ {
			go func(it *item) {
				check(it)
				wg.Done()
			}(&items[k])
		}
		wg.Wait()
		done += m
	}
}

func benchCheckInline(b *B) {
	fillItems()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		check(&items[i%batch])
	}
}

func benchCounterChannel(b *B) {
	ch := make(chan int)
	for w := 0; w < 2; w++ {
		n := b.N / 2
		if w == 1 {
			n = b.N - b.N/2
		}
		go func(n int) {
			for i := 0; i < n; i++ {
				ch <- 1
			}
		}(n)
	}
	count := 0
	for i := 0; i < b.N; i++ {
		count += <-ch
	}
	if count != b.N {
		b.Fail("lost increments")
	}
}

func skynet(c chan int64, num, size, div int64) {
	if size == 1 {
		c <- num
		return
	}
	rc := make(chan int64)
	var sum int64
	for i := int64(0); i < div; i++ {
		go skynet(rc, num+i*(size/div), size/div, div)
	}
	for i := int64(0); i < div; i++ {
		sum += <-rc
	}
	c <- sum
}

func benchSkynet(b *B) {
	const size = 1000000
	for i := 0; i < b.N; i++ {
		c := make(chan int64)
		go skynet(c, 0, size, 10)
		if sum := <-c; sum != size*(size-1)/2 {
			b.Fail("wrong sum")
		}
	}
}

const sievePrimes, sieveLast = 100, 541 // the 100th prime

func sieveGenerate(ch chan<- int) {
	for i := 2; i <= sieveLast; i++ {
		ch <- i
	}
	close(ch)
}

func sieveFilter(in <-chan int, out chan<- int, prime int) {
	for v := range in {
		if v%prime != 0 {
			out <- v
		}
	}
	close(out)
}

func benchPrimeSieve(b *B) {
	for op := 0; op < b.N; op++ {
		ch := make(chan int)
		go sieveGenerate(ch)
		prime, sum := 0, 0
		for i := 0; i < sievePrimes; i++ {
			v, ok := <-ch
			if !ok {
				break
			}
			prime = v
			sum += v
			out := make(chan int)
			go sieveFilter(ch, out, prime)
			ch = out
		}
		for range ch {
		}
		if prime != sieveLast || sum != 24133 {
			b.Fail("wrong primes")
		}
	}
}

package store

import (
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
)

// BenchmarkPutBatch measures PutBatch of 64 x 1 KiB messages from 4
// writers (the broker's batch send with 4 producers), in both flush modes.
// One op is one message; the time includes dispatching them to consume
// queues and index, so ns/op with -cpu 1 is the store's CPU per message.
func BenchmarkPutBatch(b *testing.B) {
	const batch, writers = 64, 4
	for _, mode := range []FlushMode{AsyncFlush, SyncFlush} {
		b.Run(mode.String(), func(b *testing.B) {
			s := benchStore(b, mode)
			b.SetBytes(1024)
			b.ReportAllocs()
			ctx := b.Context()
			var next atomic.Int64
			var wg sync.WaitGroup
			cpu0 := processCPU(b)
			start := time.Now()
			for w := range writers {
				wg.Go(func() {
					ms := make([]*message.Ext, batch)
					for i := range ms {
						ms[i] = benchMsg(1024, w)
					}
					for n := next.Add(batch); n <= int64(b.N)+batch-1; n = next.Add(batch) {
						for i, m := range ms {
							m.RawProperties = benchProps[(int(n)+i)%len(benchProps)]
						}
						if _, err := s.PutBatch(ctx, ms); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			waitVisible(b, s)
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/msg")
		})
	}
}

// BenchmarkPutAsyncSync measures PutAsync of 1 KiB messages in SyncFlush
// with 1024 appends outstanding (the broker's single sends from 4
// producers x 256 in flight): a writer appends again as soon as a
// completion frees a slot. One op is one message.
func BenchmarkPutAsyncSync(b *testing.B) {
	const outstanding, writers = 1024, 4
	s := benchStore(b, SyncFlush)
	b.SetBytes(1024)
	b.ReportAllocs()
	slots := make(chan struct{}, outstanding)
	var done sync.WaitGroup
	var failed atomic.Int64
	cb := func(_ PutResult, err error) {
		if err != nil {
			failed.Add(1)
		}
		<-slots
		done.Done()
	}
	proto := benchMsg(1024, 0)
	var next atomic.Int64
	var wg sync.WaitGroup
	cpu0 := processCPU(b)
	start := time.Now()
	for range writers {
		wg.Go(func() {
			for n := next.Add(1); n <= int64(b.N); n = next.Add(1) {
				slots <- struct{}{}
				done.Add(1)
				// A message per append, sharing the body: the store
				// writes offsets back into it.
				m := *proto
				m.QueueID = int32(n % 8)
				m.RawProperties = benchProps[n%int64(len(benchProps))]
				s.PutAsync(&m, cb)
			}
		})
	}
	wg.Wait()
	done.Wait()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d appends failed", f)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/msg")
	if st := s.Stats(); st.Syncs > 0 {
		b.ReportMetric(float64(st.Appended)/float64(st.Syncs), "msgs/sync")
	}
}

// processCPU is the user and system CPU time the process used so far, in
// nanoseconds: with other work on the machine it judges a change better
// than throughput does.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

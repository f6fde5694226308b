package store

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
)

// benchProps are distinct property strings like a Java producer's (a
// UNIQ_KEY each, WAIT, TAGS), cycled through by the benchmarks.
var benchProps = func() []string {
	out := make([]string, 1024)
	for i := range out {
		out[i] = fmt.Sprintf("UNIQ_KEY\x017F000001B3F818B4AAC2166BCB2A%04X\x02WAIT\x01true\x02TAGS\x01TagA\x02", i)
	}
	return out
}()

func benchStore(b *testing.B, mode FlushMode) *Store {
	b.Helper()
	s, err := Open(Config{Dir: b.TempDir(), FlushMode: mode, Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func benchMsg(size, i int) *message.Ext {
	return &message.Ext{
		Topic: "BenchTopic", QueueID: int32(i % 8), Body: make([]byte, size),
		BornHost: bornHost, StoreHost: storeHost, BornTimestamp: time.Now().UnixMilli(),
		RawProperties: benchProps[i%len(benchProps)],
	}
}

// BenchmarkAppend measures Put of 128 B and 1 KiB bodies from one writer
// and from 64 concurrent writers, in both flush modes, on the OS file
// system. msgs/s is the append rate.
func BenchmarkAppend(b *testing.B) {
	for _, mode := range []FlushMode{AsyncFlush, SyncFlush} {
		for _, size := range []int{128, 1024} {
			for _, writers := range []int{1, 64} {
				b.Run(fmt.Sprintf("%s/%dB/writers=%d", mode, size, writers), func(b *testing.B) {
					s := benchStore(b, mode)
					b.SetBytes(int64(size))
					b.ReportAllocs()
					ctx := context.Background()
					start := time.Now()
					if writers == 1 {
						m := benchMsg(size, 0)
						i := 0
						for b.Loop() {
							m.RawProperties = benchProps[i%len(benchProps)]
							i++
							if _, err := s.Put(ctx, m); err != nil {
								b.Fatal(err)
							}
						}
					} else {
						b.SetParallelism((writers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
						var id atomic.Int64
						b.RunParallel(func(pb *testing.PB) {
							w := int(id.Add(1))
							putLoop(ctx, b, pb, s, size, w)
						})
					}
					b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
					if st := s.Stats(); mode == SyncFlush && st.Syncs > 0 {
						b.ReportMetric(float64(st.Appended)/float64(st.Syncs), "msgs/sync")
					}
				})
			}
		}
	}
}

// BenchmarkReadQueue reads one queue of 1 KiB messages from start to end
// with Get (32 per call), wrapping around; one op is one message.
func BenchmarkReadQueue(b *testing.B) {
	s := benchStore(b, AsyncFlush)
	const n = 200000
	m := benchMsg(1024, 0)
	for i := range n {
		m.RawProperties = benchProps[i%len(benchProps)]
		m.QueueID = 0
		if _, err := s.Put(context.Background(), m); err != nil {
			b.Fatal(err)
		}
	}
	waitVisible(b, s)
	b.SetBytes(1024)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	off := int64(0)
	read := 0
	for read < b.N {
		r := s.Get("BenchTopic", 0, off, 32, 0, nil)
		if r.Status != Found {
			b.Fatalf("Get(%d): %v", off, r.Status)
		}
		read += len(r.Messages)
		off = r.NextOffset
		r.Release()
		if off == n {
			off = 0
		}
	}
	b.ReportMetric(float64(read)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkOffsetByTime looks up random timestamps in a queue of 200000
// messages stored 1 ms apart.
func BenchmarkOffsetByTime(b *testing.B) {
	clock := newFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s, err := Open(Config{Dir: b.TempDir(), Now: clock.now, Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n = 200000
	m := benchMsg(128, 0)
	for range n {
		if _, err := s.Put(context.Background(), m); err != nil {
			b.Fatal(err)
		}
		clock.add(time.Millisecond)
	}
	waitVisible(b, s)
	start := clock.ms.Load() - n
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		ts := start + int64(i*7919%n)
		if off := s.OffsetByTime("BenchTopic", 0, ts); off < 0 || off > n {
			b.Fatal(off)
		}
	}
}

// putLoop is a benchmark writer: it Puts size-byte messages as writer w
// (properties varying per message) until pb is done.
func putLoop(ctx context.Context, b *testing.B, pb *testing.PB, s *Store, size, w int) {
	m := benchMsg(size, w)
	for i := 0; pb.Next(); i++ {
		m.RawProperties = benchProps[(w*131+i)%len(benchProps)]
		if _, err := s.Put(ctx, m); err != nil {
			b.Error(err)
			return
		}
	}
}

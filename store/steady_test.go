package store

import (
	"context"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSteadyRate appends 1 KiB messages at a steady 5,000/s from one
// writer and reports what the store costs at such a low rate: CPU time of
// the process per message (user+sys) and the latency from the start of
// Put to the dispatcher's arrival notification (what wakes a waiting
// reader), median and p99. One op is one message.
func BenchmarkSteadyRate(b *testing.B) {
	for _, mode := range []FlushMode{AsyncFlush, SyncFlush} {
		b.Run(mode.String(), func(b *testing.B) {
			s := benchStore(b, mode)
			const rate = 5000
			var mu sync.Mutex
			sent := make(map[int64]time.Time)
			lat := make([]time.Duration, 0, 1<<16)
			s.OnArrival(func(_ string, _ int32, maxOffset int64, _ int64) {
				now := time.Now()
				mu.Lock()
				if t, ok := sent[maxOffset-1]; ok {
					lat = append(lat, now.Sub(t))
					delete(sent, maxOffset-1)
				}
				mu.Unlock()
			})
			m := benchMsg(1024, 0)
			m.QueueID = 0
			ctx := context.Background()
			var ru0, ru1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			start := time.Now()
			i := 0
			for b.Loop() {
				if d := time.Until(start.Add(time.Duration(i) * time.Second / rate)); d > 0 {
					time.Sleep(d)
				}
				m.RawProperties = benchProps[i%len(benchProps)]
				t := time.Now()
				mu.Lock()
				sent[int64(i)] = t // one writer, one queue: i is the queue offset
				mu.Unlock()
				if _, err := s.Put(ctx, m); err != nil {
					b.Fatal(err)
				}
				i++
			}
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			cpu := time.Duration(syscall.TimevalToNsec(ru1.Utime) - syscall.TimevalToNsec(ru0.Utime) +
				syscall.TimevalToNsec(ru1.Stime) - syscall.TimevalToNsec(ru0.Stime))
			b.ReportMetric(float64(cpu.Microseconds())/float64(i), "cpu-us/msg")
			mu.Lock()
			defer mu.Unlock()
			if len(lat) == 0 {
				return
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-us")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-us")
		})
	}
}

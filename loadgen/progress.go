package loadgen

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// startProgress starts the progress reporter and returns a function that
// stops it (and may be called more than once).
func (e *engine) startProgress() func() {
	if e.progress == nil || e.cfg.ReportInterval < 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { e.reportLoop(done) })
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			wg.Wait()
		})
	}
}

func (e *engine) reportLoop(done <-chan struct{}) {
	tick := time.NewTicker(e.cfg.ReportInterval)
	defer tick.Stop()
	hist := newHDR()
	var e2eHist *hdrhistogram.Histogram
	if e.e2e != nil {
		e2eHist = newHDR()
	}
	var prevAcked, prevRecv int64
	prevAt := e.start
	for {
		select {
		case <-done:
			return
		case now := <-tick.C:
			var acked, sent, failed int64
			hist.Reset()
			for _, p := range e.producers {
				a := p.acked.Load() + p.warmAcked.Load()
				f := p.failed.Load()
				acked += a
				failed += f
				sent += p.sent.Load()
				p.rec.takeInterval(hist)
			}
			recv := e.received.Load()
			secs := now.Sub(prevAt).Seconds()
			pr := Progress{
				Elapsed:     now.Sub(e.start),
				Seconds:     now.Sub(e.start).Seconds(),
				SendRate:    perSecond(acked-prevAcked, secs),
				SendMBps:    mbps(acked-prevAcked, e.cfg.MessageSize, secs),
				InFlight:    sent - acked - failed,
				Failed:      failed,
				Latency:     summarize(hist),
				ReceiveRate: perSecond(recv-prevRecv, secs),
				Received:    recv,
			}
			if e2eHist != nil {
				e2eHist.Reset()
				e.e2e.takeInterval(e2eHist)
				l := summarize(e2eHist)
				pr.E2E = &l
			}
			prevAcked, prevRecv, prevAt = acked, recv, now
			e.progress(pr)
		}
	}
}

package loadgen

import (
	"context"
	"sync/atomic"
	"time"
)

// producer drives one Sender: it keeps up to InFlight sends outstanding,
// paces them when a rate is set, and records their latencies.
type producer struct {
	e   *engine
	id  int
	s   Sender
	rec *recorder
	// slots holds the free send slots; a slot is taken for every send and
	// given back by its callback, so the channel's capacity is the
	// in-flight window.
	slots chan *slot
	quota int64 // messages; -1 = unlimited

	sent      atomic.Int64 // messages handed to Send successfully
	acked     atomic.Int64 // measured acknowledged messages
	warmAcked atomic.Int64 // acknowledged messages sent during warm-up
	failed    atomic.Int64
	lastAck   atomic.Int64 // Unix ns of the latest acknowledgement
}

// slot is the state of one outstanding send. Its bodies are allocated once
// and reused, so that steady-state sending allocates nothing in the engine.
type slot struct {
	p        *producer
	bodies   [][]byte
	n        int
	start    time.Time
	measured bool
	done     func(error) // s.finish, bound once
}

func newProducer(e *engine, id int, s Sender) *producer {
	p := &producer{e: e, id: id, s: s, rec: newRecorder(), slots: make(chan *slot, e.cfg.InFlight), quota: -1}
	for j := range e.cfg.InFlight {
		sl := &slot{p: p, bodies: make([][]byte, e.cfg.Batch)}
		for k := range sl.bodies {
			sl.bodies[k] = make([]byte, e.cfg.MessageSize)
			fillBody(sl.bodies[k], uint64(id)<<40|uint64(j)<<20|uint64(k))
		}
		sl.done = sl.finish
		p.slots <- sl
	}
	return p
}

// loop sends until the quota is reached, stop is closed or ctx ends.
func (p *producer) loop(ctx context.Context, stop <-chan struct{}) {
	cfg := &p.e.cfg
	var interval time.Duration
	next := p.e.start
	if cfg.Rate > 0 {
		// Each producer sends every interval; producers are staggered so
		// that the aggregate is evenly spaced.
		interval = time.Duration(float64(time.Second) * float64(cfg.Batch*cfg.Producers) / cfg.Rate)
		next = next.Add(interval * time.Duration(p.id) / time.Duration(cfg.Producers))
	}
	var pace *pacer
	if interval > 0 {
		pace = newPacer()
		defer pace.close()
	}
	var sent int64
	for p.quota < 0 || sent < p.quota {
		var at time.Time
		if interval > 0 {
			if !pace.wait(next, stop) {
				return
			}
			at = next
			next = next.Add(interval)
		}
		select {
		case <-stop:
			return
		default:
		}
		var sl *slot
		select {
		case <-stop:
			return
		case sl = <-p.slots: // waits while the window is full
		}
		if interval == 0 {
			// Without a schedule the send starts when a slot is free.
			at = time.Now()
		}
		n := cfg.Batch
		if p.quota >= 0 {
			n = int(min(int64(n), p.quota-sent))
		}
		sl.n = n
		sl.start = at
		sl.measured = !at.Before(p.e.warmupEnd)
		for _, b := range sl.bodies[:n] {
			stampBody(b, p.e.run, at)
		}
		// Counted as sent before Send: the callback may run before Send
		// returns. A refused send counts as sent and failed.
		p.sent.Add(int64(n))
		sent += int64(n)
		if err := p.s.Send(ctx, sl.bodies[:n], sl.done); err != nil {
			p.failed.Add(int64(n))
			p.e.countError(err, int64(n))
			p.slots <- sl
			if ctx.Err() != nil {
				return
			}
			// A sender that refuses at once (closed, invalid) would
			// spin: pause briefly so errors are counted, not burned.
			time.Sleep(time.Millisecond)
		}
	}
}

// finish is the callback of a send.
func (sl *slot) finish(err error) {
	p := sl.p
	now := time.Now()
	n := int64(sl.n)
	switch {
	case err != nil:
		p.failed.Add(n)
		p.e.countError(err, n)
	case sl.measured:
		p.rec.record(now.Sub(sl.start), n)
		p.acked.Add(n)
	default:
		p.warmAcked.Add(n)
	}
	if err == nil {
		ns := now.UnixNano()
		for {
			old := p.lastAck.Load()
			if ns <= old || p.lastAck.CompareAndSwap(old, ns) {
				break
			}
		}
	}
	p.slots <- sl
}

// drain waits until every slot is back (all sends answered) or ctx ends.
func (p *producer) drain(ctx context.Context) {
	var held []*slot
	defer func() {
		for _, sl := range held {
			p.slots <- sl
		}
	}()
	for len(held) < cap(p.slots) {
		select {
		case <-ctx.Done():
			return
		case sl := <-p.slots:
			held = append(held, sl)
		}
	}
}

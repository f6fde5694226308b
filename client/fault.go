package client

import (
	"sync"
	"sync/atomic"
	"time"
)

// Upstream's latency-fault avoidance (MQFaultStrategy): after each send the
// broker's latency decides how long the broker is avoided; a failed
// transport counts as a latency of 30 s, i.e. ten minutes of avoidance.
var (
	faultLatencies = [...]time.Duration{50 * time.Millisecond, 100 * time.Millisecond,
		550 * time.Millisecond, time.Second, 2 * time.Second, 3 * time.Second, 15 * time.Second}
	faultDurations = [...]time.Duration{0, 0, 30 * time.Second, 60 * time.Second,
		2 * time.Minute, 3 * time.Minute, 10 * time.Minute}
)

// isolationLatency is the latency charged for a failed transport.
const isolationLatency = 30 * time.Second

// faultTracker remembers, per broker name, until when the broker is to be
// avoided by sends.
type faultTracker struct {
	mu    sync.RWMutex
	items map[string]faultItem
	// marked is len(items), stored with mu held and read without it, so
	// that every send's fast answer, and the check before every pick,
	// costs one atomic load while no broker is marked (the usual case).
	marked atomic.Int32
	now    func() time.Time
}

type faultItem struct {
	latency time.Duration
	until   time.Time
}

func newFaultTracker() *faultTracker {
	return &faultTracker{items: make(map[string]faultItem), now: time.Now}
}

// avoidanceFor maps a latency to the time a broker is avoided.
func avoidanceFor(latency time.Duration) time.Duration {
	for i := len(faultLatencies) - 1; i >= 0; i-- {
		if latency >= faultLatencies[i] {
			return faultDurations[i]
		}
	}
	return 0
}

// update records the outcome of a send to broker: its latency, or isolate
// when the transport failed.
func (f *faultTracker) update(broker string, latency time.Duration, isolate bool) {
	if isolate {
		latency = isolationLatency
	}
	d := avoidanceFor(latency)
	if d == 0 {
		// A fast answer: nothing to remember unless the broker was marked.
		if f.marked.Load() == 0 {
			return
		}
		f.mu.RLock()
		_, known := f.items[broker]
		f.mu.RUnlock()
		if !known {
			return
		}
		f.mu.Lock()
		delete(f.items, broker)
		f.marked.Store(int32(len(f.items)))
		f.mu.Unlock()
		return
	}
	f.mu.Lock()
	f.items[broker] = faultItem{latency: latency, until: f.now().Add(d)}
	f.marked.Store(int32(len(f.items)))
	f.mu.Unlock()
}

// available reports whether broker is not being avoided.
func (f *faultTracker) available(broker string) bool {
	f.mu.RLock()
	it, ok := f.items[broker]
	f.mu.RUnlock()
	return !ok || !f.now().Before(it.until)
}

// anyMarked reports whether some broker is marked at all (a cheap check
// that lets the send path skip filtering in the common case).
func (f *faultTracker) anyMarked() bool { return f.marked.Load() > 0 }

package loadgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// runGCPercent is the GC target of a run. A load tool's live heap is small
// (messages in flight) while it allocates a body-sized buffer or more per
// message, so with Go's default of 100 it collects many times a second and
// the collector took about a third of its CPU when consuming (3.4 against
// 2.3 µs per message with 400). That CPU is taken from the broker measured
// on the same machine; a few hundred MB more heap is cheap.
const runGCPercent = 400

// Run performs one run of cfg against target and returns what it measured.
// progress, when not nil, is called every cfg.ReportInterval from one
// goroutine. Run prepares the topic (produce and e2e modes), starts the
// receivers and senders the mode needs, and stops them all before it
// returns; it never runs longer than the configured bounds plus the drain
// timeout. Cancelling ctx ends the run early with the figures so far.
//
// Unless the GOGC environment variable says otherwise, Run sets the
// garbage collector's target to runGCPercent for its duration: see there.
func Run(ctx context.Context, cfg Config, target Target, progress func(Progress)) (*Result, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(runGCPercent))
	}
	e := &engine{cfg: cfg, target: target, run: rand.Uint64(), progress: progress, errs: map[string]int64{}}
	if e.cfg.Group == "" {
		e.cfg.Group = fmt.Sprintf("bench_%x", e.run)
	}
	return e.execute(ctx)
}

// engine is the state of one run.
type engine struct {
	cfg      Config
	target   Target
	run      uint64
	progress func(Progress)

	start     time.Time // senders' (or receivers') start
	warmupEnd time.Time

	producers []*producer

	errMu sync.Mutex
	errs  map[string]int64

	// Receiving side.
	received  atomic.Int64
	foreign   atomic.Int64
	firstRecv atomic.Int64 // Unix ns, 0 = none yet
	lastRecv  atomic.Int64 // Unix ns
	e2e       *recorder
	// toStore and fromStore split e2e at the broker's store time when the
	// target reports it (StoreTimeTarget); nil otherwise.
	toStore, fromStore *recorder
}

func (e *engine) execute(ctx context.Context) (*Result, error) {
	cfg := &e.cfg
	res := &Result{Target: e.target.Name(), Mode: cfg.Mode, Config: ResultConfig{
		Topic: cfg.Topic, Queues: cfg.Queues, MessageSize: cfg.MessageSize, Producers: cfg.Producers,
		InFlight: cfg.InFlight, Batch: cfg.Batch, Consumers: cfg.Consumers, Rate: cfg.Rate,
		Messages: cfg.Messages, Duration: cfg.Duration.Seconds(), Warmup: cfg.Warmup.Seconds(),
	}}
	if cfg.Mode != ModeConsume {
		if err := e.target.Prepare(ctx, cfg.Topic, cfg.Queues); err != nil {
			return nil, fmt.Errorf("prepare topic %s: %w", cfg.Topic, err)
		}
	} else if tc, ok := e.target.(TopicChecker); ok {
		if err := tc.CheckTopic(ctx, cfg.Topic); err != nil {
			return nil, fmt.Errorf("topic %s: %w", cfg.Topic, err)
		}
	}
	var receivers []Receiver
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		for _, r := range receivers {
			_ = r.Close(closeCtx)
		}
	}()
	if cfg.Mode != ModeProduce {
		st, split := e.target.(StoreTimeTarget)
		if cfg.Mode == ModeE2E {
			e.e2e = newRecorder()
			if split {
				e.toStore, e.fromStore = newRecorder(), newRecorder()
			}
		}
		for i := range cfg.Consumers {
			var r Receiver
			var err error
			if split {
				r, err = st.NewStoreTimeReceiver(ctx, cfg.Topic, cfg.Group, i, cfg.Mode == ModeConsume, e.deliverStored)
			} else {
				r, err = e.target.NewReceiver(ctx, cfg.Topic, cfg.Group, i, cfg.Mode == ModeConsume, e.deliver)
			}
			if err != nil {
				return nil, fmt.Errorf("receiver %d: %w", i, err)
			}
			receivers = append(receivers, r)
		}
	}
	if cfg.Mode != ModeConsume {
		for i := range cfg.Producers {
			s, err := e.target.NewSender(ctx, cfg.Topic, i)
			if err != nil {
				e.closeSenders(ctx)
				return nil, fmt.Errorf("sender %d: %w", i, err)
			}
			e.producers = append(e.producers, newProducer(e, i, s))
		}
	}

	// The tool's own CPU is read from /proc (Linux); where that fails the
	// report just leaves the line out.
	cpuBefore, cpuErr := ProcessCPU(os.Getpid())
	machBefore, machErr := ReadMachineTicks()
	e.start = time.Now()
	e.warmupEnd = e.start.Add(cfg.Warmup)
	stopProgress := e.startProgress()
	defer stopProgress()

	if cfg.Mode == ModeConsume {
		e.consume(ctx)
	} else {
		e.send(ctx)
		if cfg.Mode == ModeE2E {
			e.awaitReceivers(ctx)
		}
	}
	stopProgress()
	wall := time.Since(e.start)
	cpuAfter, cpuErr2 := ProcessCPU(os.Getpid())
	machAfter, machErr2 := ReadMachineTicks()

	if cfg.Mode != ModeConsume {
		res.Send = e.sendStats()
	}
	if cfg.Mode != ModeProduce {
		res.Receive = e.receiveStats(res.Send)
	}
	if cpuErr == nil && cpuErr2 == nil {
		res.LoadCPU = NewCPUUsage(os.Getpid(), cpuAfter-cpuBefore, wall, res.Messages())
	}
	if machErr == nil && machErr2 == nil {
		res.Machine = NewMachineUsage(machBefore, machAfter)
	}
	return res, nil
}

// send runs the senders until their quota, the duration or ctx ends them,
// then waits (bounded) for outstanding acknowledgements and closes them.
func (e *engine) send(ctx context.Context) {
	stopCtx, cancel := context.WithDeadline(ctx, e.start.Add(e.cfg.Duration))
	defer cancel()
	var wg sync.WaitGroup
	for i, p := range e.producers {
		p.quota = quota(e.cfg.Messages, len(e.producers), i)
		wg.Go(func() { p.loop(ctx, stopCtx.Done()) })
	}
	wg.Wait()
	drainCtx, cancelDrain := context.WithTimeout(context.WithoutCancel(ctx), e.cfg.DrainTimeout)
	defer cancelDrain()
	for _, p := range e.producers {
		wg.Go(func() { p.drain(drainCtx) })
	}
	wg.Wait()
	e.closeSenders(drainCtx)
}

func (e *engine) closeSenders(ctx context.Context) {
	for _, p := range e.producers {
		_ = p.s.Close(ctx)
	}
}

// quota is producer i's share of total messages; -1 means no limit.
func quota(total int64, producers, i int) int64 {
	if total <= 0 {
		return -1
	}
	q := total / int64(producers)
	if int64(i) < total%int64(producers) {
		q++
	}
	return q
}

// deliver is the receivers' callback.
func (e *engine) deliver(body []byte) { e.receive(body, 0) }

// deliverStored is the receivers' callback for a StoreTimeTarget.
func (e *engine) deliverStored(body []byte, stored time.Time) {
	e.receive(body, stored.UnixNano())
}

// receive counts a received body; stored is the broker's store time in
// Unix ns, 0 when unknown.
func (e *engine) receive(body []byte, stored int64) {
	now := time.Now().UnixNano()
	if e.cfg.Mode == ModeE2E {
		run, sent, ok := parseBody(body)
		if !ok || run != e.run {
			e.foreign.Add(1)
			return
		}
		if sent >= e.warmupEnd.UnixNano() {
			e.e2e.record(time.Duration(now-sent), 1)
			if stored != 0 && e.toStore != nil {
				// Brokers may keep store times in coarser units (RocketMQ:
				// milliseconds) and clocks may differ: clamp at zero rather
				// than record a negative part.
				e.toStore.record(time.Duration(max(stored-sent, 0)), 1)
				e.fromStore.record(time.Duration(max(now-stored, 0)), 1)
			}
		}
	}
	e.received.Add(1)
	e.firstRecv.CompareAndSwap(0, now)
	e.lastRecv.Store(now)
}

// consume waits until the receivers got cfg.Messages, the duration passed,
// nothing arrived for the idle timeout, or ctx ended.
func (e *engine) consume(ctx context.Context) {
	deadline := e.start.Add(e.cfg.Duration)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		now := time.Now()
		if e.cfg.Messages > 0 && e.received.Load() >= e.cfg.Messages {
			return
		}
		if !now.Before(deadline) {
			return
		}
		// Before the first message the receivers may still be joining
		// their group: give them the drain timeout rather than the idle
		// timeout.
		if last := e.lastRecv.Load(); last != 0 {
			if now.Sub(time.Unix(0, last)) >= e.cfg.IdleTimeout {
				return
			}
		} else if now.Sub(e.start) >= max(e.cfg.IdleTimeout, e.cfg.DrainTimeout) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// awaitReceivers waits, after sending ended, until every acknowledged
// message of this run arrived, or the drain timeout.
func (e *engine) awaitReceivers(ctx context.Context) {
	var want int64
	for _, p := range e.producers {
		want += p.acked.Load() + p.warmAcked.Load()
	}
	deadline := time.Now().Add(e.cfg.DrainTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for e.received.Load() < want && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (e *engine) countError(err error, n int64) {
	kind := e.target.ErrorKind(err)
	if kind == "" {
		kind = "unclassified"
	}
	e.errMu.Lock()
	e.errs[kind] += n
	e.errMu.Unlock()
}

func (e *engine) sendStats() *SendStats {
	s := &SendStats{Errors: map[string]int64{}}
	var last int64
	hist := newHDR()
	for _, p := range e.producers {
		s.Messages += p.acked.Load()
		s.Warmup += p.warmAcked.Load()
		s.Failed += p.failed.Load()
		s.Unacknowledged += p.sent.Load() - p.acked.Load() - p.warmAcked.Load() - p.failed.Load()
		last = max(last, p.lastAck.Load())
		p.rec.mergeTotal(hist)
	}
	from := e.start
	if e.cfg.Warmup > 0 {
		from = e.warmupEnd
	}
	if last > from.UnixNano() {
		s.Elapsed = time.Duration(last - from.UnixNano()).Seconds()
	}
	s.Rate = perSecond(s.Messages, s.Elapsed)
	s.MBps = mbps(s.Messages, e.cfg.MessageSize, s.Elapsed)
	s.Latency = summarize(hist)
	e.errMu.Lock()
	for k, v := range e.errs {
		s.Errors[k] = v
	}
	e.errMu.Unlock()
	if len(s.Errors) == 0 {
		s.Errors = nil
	}
	return s
}

func (e *engine) receiveStats(send *SendStats) *ReceiveStats {
	r := &ReceiveStats{Messages: e.received.Load(), Foreign: e.foreign.Load()}
	if first, last := e.firstRecv.Load(), e.lastRecv.Load(); first != 0 && last > first {
		r.Elapsed = time.Duration(last - first).Seconds()
	}
	r.Rate = perSecond(r.Messages, r.Elapsed)
	r.MBps = mbps(r.Messages, e.cfg.MessageSize, r.Elapsed)
	if e.e2e != nil {
		h := newHDR()
		e.e2e.mergeTotal(h)
		l := summarize(h)
		r.Latency = &l
	}
	if e.toStore != nil {
		r.ToStore, r.FromStore = e.toStore.summary(), e.fromStore.summary()
	}
	if send != nil {
		if missing := send.Messages + send.Warmup - r.Messages; missing > 0 {
			r.Missing = missing
		}
	}
	return r
}

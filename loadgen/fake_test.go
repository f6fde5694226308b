package loadgen

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// fakeTarget is an in-memory broker: every sender has a goroutine that
// acknowledges its sends in order, and acknowledged messages are appended
// to one topic log that receivers read from.
type fakeTarget struct {
	failEvery int64 // refuse every n-th send in the callback; 0 = never

	mu        sync.Mutex
	log       [][]byte       // stored messages (copies)
	subs      []func([]byte) // live receivers
	queues    int
	prepared  bool
	maxBatch  int
	sends     atomic.Int64
	maxWindow atomic.Int64
	closed    atomic.Int64
}

var errFakeRefused = errors.New("fake: refused")

func (t *fakeTarget) Name() string { return "fake" }

func (t *fakeTarget) Prepare(_ context.Context, _ string, queues int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.prepared, t.queues = true, queues
	return nil
}

func (t *fakeTarget) ErrorKind(err error) string {
	if errors.Is(err, errFakeRefused) {
		return "refused"
	}
	return "other"
}

func (t *fakeTarget) Close(context.Context) error { return nil }

// store appends bodies to the log and hands them to live receivers.
func (t *fakeTarget) store(bodies [][]byte) {
	t.mu.Lock()
	subs := t.subs
	for _, b := range bodies {
		t.log = append(t.log, append([]byte(nil), b...))
	}
	t.maxBatch = max(t.maxBatch, len(bodies))
	t.mu.Unlock()
	for _, b := range bodies {
		for _, deliver := range subs {
			deliver(b)
		}
	}
}

type fakeSend struct {
	bodies [][]byte
	done   func(error)
}

type fakeSender struct {
	t           *fakeTarget
	queue       chan fakeSend
	outstanding atomic.Int64
	wg          sync.WaitGroup
}

func (t *fakeTarget) NewSender(context.Context, string, int) (Sender, error) {
	s := &fakeSender{t: t, queue: make(chan fakeSend, 1<<16)}
	s.wg.Go(s.serve)
	return s, nil
}

func (s *fakeSender) serve() {
	for req := range s.queue {
		n := s.t.sends.Add(1)
		var err error
		if s.t.failEvery > 0 && n%s.t.failEvery == 0 {
			err = errFakeRefused
		} else {
			s.t.store(req.bodies)
		}
		s.outstanding.Add(-1)
		req.done(err)
	}
}

func (s *fakeSender) Send(_ context.Context, bodies [][]byte, done func(error)) error {
	o := s.outstanding.Add(1)
	for {
		m := s.t.maxWindow.Load()
		if o <= m || s.t.maxWindow.CompareAndSwap(m, o) {
			break
		}
	}
	s.queue <- fakeSend{bodies, done}
	return nil
}

func (s *fakeSender) Close(context.Context) error {
	close(s.queue)
	s.wg.Wait()
	s.t.closed.Add(1)
	return nil
}

type fakeReceiver struct{}

func (fakeReceiver) Close(context.Context) error { return nil }

func (t *fakeTarget) NewReceiver(_ context.Context, _, _ string, _ int, fromStart bool, deliver func([]byte)) (Receiver, error) {
	t.mu.Lock()
	old := t.log
	t.subs = append(t.subs, deliver)
	t.mu.Unlock()
	if fromStart {
		go func() {
			for _, b := range old {
				deliver(b)
			}
		}()
	}
	return fakeReceiver{}, nil
}

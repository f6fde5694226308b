package store

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// groupCommit lets SyncFlush appends share syncs. An append that waits for
// its sync registers a syncWaiter; the flusher syncs everything appended so
// far and completes the waiters its sync covered, in log order, on a
// completion goroutine so that the next sync can start at once. Nothing
// blocks per message: a caller of PutAsync is free as soon as its bytes are
// staged.
type groupCommit struct {
	kick chan struct{}
	// inflight counts SyncFlush appends in progress (from entry until
	// taken for completion, or until a blocking Put returns), unsynced
	// those that appended since the last round started and wait for a
	// sync. A round starts when they are equal (or after a bounded wait):
	// appends still on their way then share it.
	inflight atomic.Int64
	unsynced atomic.Int64
	// idle is set while the flusher waits for a kick with no waiter
	// registered. Appends kick the flusher only when it is idle or when
	// they are the last in flight to arrive (see arrived): a wake-up per
	// append costs the appenders CPU they need to arrive sooner.
	idle atomic.Bool

	// mu guards waiters. Lock order: the store's putMu, then mu.
	mu sync.Mutex
	// waiters are the registered, not yet completed appends. Invariant:
	// ordered by end, because they are registered under putMu as their
	// bytes are staged; so the waiters a sync covers are a prefix, and
	// their deadlines (taken just before) are nearly ordered too.
	waiters []*syncWaiter
	// completions carries batches of covered waiters from the flusher to
	// the completion goroutine.
	completions chan []*syncWaiter
}

// syncWaiter is a SyncFlush append waiting for its sync.
type syncWaiter struct {
	end      int64 // log position after its records
	deadline int64 // time.Now().UnixNano() after which it times out
	res      PutResult
	done     func(PutResult, error)
	// tracked waiters leave gc.inflight when taken for completion
	// (PutAsync); blocking puts leave it themselves when they return.
	tracked bool
	why     error // set by the flusher: the cause if not synced
	// off holds res.Offsets of a tracked single append, so that PutAsync
	// allocates no slice per message (a tracked waiter is never reused).
	off [1]int64
}

// maxGroupCommitSettle bounds how long a round waits for appends in
// progress to join it; the wait is also at most the last sync's duration.
// Appends that are alone never wait.
const maxGroupCommitSettle = 500 * time.Microsecond

func (g *groupCommit) init() {
	g.kick = make(chan struct{}, 1)
	g.completions = make(chan []*syncWaiter, 4)
}

// enqueue registers w. Caller holds putMu.
func (g *groupCommit) enqueue(w *syncWaiter) {
	g.mu.Lock()
	g.waiters = append(g.waiters, w)
	g.mu.Unlock()
}

// takeWhile removes and returns the leading waiters for which keep holds.
func (g *groupCommit) takeWhile(keep func(*syncWaiter) bool) []*syncWaiter {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for n < len(g.waiters) && keep(g.waiters[n]) {
		n++
	}
	if n == 0 {
		return nil
	}
	out := make([]*syncWaiter, n)
	copy(out, g.waiters)
	// Tracked waiters leave inflight when taken, not when their callback
	// runs on the completion goroutine: the next round must not wait for
	// callbacks of the last one.
	tracked := 0
	for _, w := range out {
		if w.tracked {
			tracked++
		}
	}
	g.inflight.Add(int64(-tracked))
	rest := copy(g.waiters, g.waiters[n:])
	clear(g.waiters[rest:])
	g.waiters = g.waiters[:rest]
	return out
}

// hasWaiters reports whether an append waits for a sync.
func (g *groupCommit) hasWaiters() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.waiters) > 0
}

// finish delivers the outcome of w: OK when its bytes are synced, else
// FlushDiskTimeout with why.
func (s *Store) finish(w *syncWaiter, why error) {
	res := w.res
	var err error
	if s.cl.flushedPos.Load() < w.end {
		res.Status = FlushDiskTimeout
		err = fmt.Errorf("%w: %w", ErrFlushDiskTimeout, why)
	}
	w.done(res, err)
}

var (
	errNotSynced   = errors.New("not synced within SyncFlushTimeout")
	errStoreClosed = errors.New("store closed before the sync")
	errTruncated   = errors.New("the log was truncated before the sync")
)

// groupCommitLoop is the SyncFlush flusher: each kick starts a round that
// syncs everything staged so far and completes the waiters it covered.
func (s *Store) groupCommitLoop() {
	defer close(s.gc.completions)
	// Appends with WAIT=false do not wait; a slow tick still syncs them.
	t := time.NewTicker(s.cfg.FlushInterval)
	defer t.Stop()
	settleTimer := time.NewTimer(time.Hour)
	settleTimer.Stop()
	var lastSync time.Duration
	for {
		// Wait for work, unless waiters are registered (appended during
		// the last sync): they start the next round at once.
		//
		// Invariant (no lost wake-up): an append registers its waiter
		// before it loads idle (arrived); the flusher sets idle before it
		// looks for waiters. Either the flusher sees the waiter, or the
		// append sees idle and kicks.
		s.gc.idle.Store(true)
		if !s.gc.hasWaiters() {
			select {
			case <-s.stop:
				return
			case <-s.gc.kick:
			case <-t.C:
			}
		}
		s.gc.idle.Store(false)
		// Let appends that are under way join this round: a sync costs
		// far less per message for fifty messages than for one. The last
		// of them to arrive kicks (and so does a blocking Put that leaves
		// while the others are waiting), so the wait blocks instead of
		// spinning: on two cores a spinning flusher takes the CPU the
		// appenders need to arrive.
		if settle := min(lastSync, maxGroupCommitSettle); settle > 0 && s.gc.unsynced.Load() < s.gc.inflight.Load() {
			settleTimer.Reset(settle)
		settling:
			for s.gc.unsynced.Load() < s.gc.inflight.Load() {
				select {
				case <-s.stop:
					return
				case <-s.gc.kick:
				case <-settleTimer.C:
					break settling
				}
			}
			settleTimer.Stop()
		}
		s.gc.unsynced.Store(0)
		t0 := time.Now()
		published, err := s.cl.flush()
		lastSync = time.Since(t0)
		if published {
			s.kickDispatcher()
		}
		flushed := s.cl.flushedPos.Load()
		why := errNotSynced
		if err != nil {
			// The store refuses appends from now on: nobody still
			// waiting will be synced.
			why = s.fail(fmt.Errorf("store: sync commit log: %w", err))
			flushed = 1<<63 - 1
		}
		if batch := s.gc.takeWhile(func(w *syncWaiter) bool { return w.end <= flushed }); len(batch) > 0 {
			for _, w := range batch {
				w.why = why
			}
			s.gc.completions <- batch
		}
	}
}

// completeLoop runs the callbacks of the waiters the flusher completed, in
// order, off the flusher's goroutine.
func (s *Store) completeLoop() {
	defer s.wg.Done()
	for batch := range s.gc.completions {
		for _, w := range batch {
			s.finish(w, w.why)
		}
	}
}

// expireLoop answers waiters whose sync takes longer than SyncFlushTimeout
// (a stalled disk keeps the flusher in its sync) with FlushDiskTimeout; the
// bytes stay staged and are synced later. One ticker serves all waiters.
func (s *Store) expireLoop() {
	defer s.wg.Done()
	period := min(max(s.cfg.SyncFlushTimeout/10, time.Millisecond), 100*time.Millisecond)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		now := time.Now().UnixNano()
		for _, w := range s.gc.takeWhile(func(w *syncWaiter) bool { return w.deadline <= now }) {
			s.finish(w, errNotSynced)
		}
	}
}

// completeAll completes every registered waiter: OK if its bytes are
// synced, else FlushDiskTimeout with why (Close, TruncateTo).
func (s *Store) completeAll(why error) {
	for _, w := range s.gc.takeWhile(func(*syncWaiter) bool { return true }) {
		s.finish(w, why)
	}
}

// waitChan is how a blocking Put waits for its callback; pooled, so that a
// Put allocates neither a channel, a closure nor its waiter. Invariant: a
// waitChan goes back to the pool only after its outcome was received: the
// store no longer holds sw then (a waiter is taken from the queue once,
// and nothing touches it after its callback).
type waitChan struct {
	ch chan putOutcome
	fn func(PutResult, error)
	sw syncWaiter
}

type putOutcome struct {
	res PutResult
	err error
}

func (s *Store) getWaitChan() *waitChan {
	if w, ok := s.waitChans.Get().(*waitChan); ok {
		return w
	}
	w := &waitChan{ch: make(chan putOutcome, 1)}
	w.fn = func(res PutResult, err error) { w.ch <- putOutcome{res, err} }
	return w
}

// arrived counts a SyncFlush append whose waiter is registered and
// reports whether to kick the flusher: when it is idle, or when this is
// the last append in flight to arrive (the flusher may be settling). The
// appends in between do not wake it. Over-counting (an append counted in
// the next round that the last sync covered) only ends a settle early.
func (g *groupCommit) arrived() bool {
	n := g.unsynced.Add(1)
	return g.idle.Load() || n >= g.inflight.Load()
}

// leave ends a blocking SyncFlush append: one fewer to wait for.
func (g *groupCommit) leave() {
	if n := g.inflight.Add(-1); n > 0 && g.unsynced.Load() >= n {
		select {
		case g.kick <- struct{}{}:
		default:
		}
	}
}

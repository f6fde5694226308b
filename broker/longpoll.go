package broker

import (
	"sync"
	"time"
)

// queueKey names one consume queue.
type queueKey struct {
	topic   string
	queueID int32
}

// heldPull is a pull request that found nothing and waits (long polling) for
// a message to arrive in its queue or for its deadline.
type heldPull struct {
	key      queueKey
	offset   int64     // the queue offset the pull asked for
	deadline time.Time // when to answer even without a message
	// match reports whether a message with this consume-queue tags code would
	// be returned to the pull; nil matches everything.
	match func(tagsCode int64) bool
	// owner identifies the connection, to drop holds when it closes.
	owner any
	// run re-executes the pull without suspending and writes its answer.
	run func()
}

// pullHolds keeps the held pulls by queue. Each hold is handed out exactly
// once: whoever removes it from the table (arrival, sweep, drop, take) owns
// it, so a pull is never answered twice.
type pullHolds struct {
	mu    sync.Mutex
	byKey map[queueKey][]*heldPull
	count int
}

func newPullHolds() *pullHolds {
	return &pullHolds{byKey: make(map[queueKey][]*heldPull)}
}

// hold parks h.
func (p *pullHolds) hold(h *heldPull) {
	p.mu.Lock()
	p.byKey[h.key] = append(p.byKey[h.key], h)
	p.count++
	p.mu.Unlock()
}

// take removes h if it is still held and reports whether it was.
func (p *pullHolds) take(h *heldPull) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.byKey[h.key]
	for i, x := range list {
		if x == h {
			p.setList(h.key, append(list[:i:i], list[i+1:]...))
			p.count--
			return true
		}
	}
	return false
}

// arrived is called when the queue key has grown to maxOffset and the newest
// message has tagsCode. It removes and returns the holds that now have a
// message to read: their offset is below maxOffset and the message matches
// their filter. Holds whose filter rejects it stay (a later sweep answers
// them if nothing matching comes).
func (p *pullHolds) arrived(key queueKey, maxOffset, tagsCode int64) []*heldPull {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.byKey[key]
	if len(list) == 0 {
		return nil
	}
	var woken []*heldPull
	kept := list[:0]
	for _, h := range list {
		if h.offset < maxOffset && (h.match == nil || h.match(tagsCode)) {
			woken = append(woken, h)
			continue
		}
		kept = append(kept, h)
	}
	clear(list[len(kept):])
	p.setList(key, kept)
	p.count -= len(woken)
	return woken
}

// sweep removes and returns the holds whose deadline has passed at now or
// whose queue has grown past their offset (a wake-up that raced with the
// hold, or a message their filter rejected). maxOffset reports a queue's
// current max offset.
func (p *pullHolds) sweep(now time.Time, maxOffset func(queueKey) int64) []*heldPull {
	p.mu.Lock()
	defer p.mu.Unlock()
	var due []*heldPull
	for key, list := range p.byKey {
		maxOff := maxOffset(key)
		kept := list[:0]
		for _, h := range list {
			if !now.Before(h.deadline) || h.offset < maxOff {
				due = append(due, h)
				continue
			}
			kept = append(kept, h)
		}
		clear(list[len(kept):])
		p.setList(key, kept)
	}
	p.count -= len(due)
	return due
}

// dropOwner removes every hold of owner (a closed connection) and returns how
// many there were. Their pulls are never answered: nobody is listening.
func (p *pullHolds) dropOwner(owner any) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for key, list := range p.byKey {
		kept := list[:0]
		for _, h := range list {
			if h.owner == owner {
				n++
				continue
			}
			kept = append(kept, h)
		}
		clear(list[len(kept):])
		p.setList(key, kept)
	}
	p.count -= n
	return n
}

// drain removes and returns every hold.
func (p *pullHolds) drain() []*heldPull {
	p.mu.Lock()
	defer p.mu.Unlock()
	var all []*heldPull
	for _, list := range p.byKey {
		all = append(all, list...)
	}
	clear(p.byKey)
	p.count = 0
	return all
}

// len returns the number of held pulls.
func (p *pullHolds) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}

// setList stores list for key, deleting the entry when it is empty so the
// map does not keep every queue ever polled. Callers hold p.mu.
func (p *pullHolds) setList(key queueKey, list []*heldPull) {
	if len(list) == 0 {
		delete(p.byKey, key)
		return
	}
	p.byKey[key] = list
}

// taskQueue runs functions on a fixed number of goroutines. Pushing never
// blocks: the queue holds at most one task per held pull, which the pull
// group's queue capacity already bounds.
type taskQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	tasks  []func()
	closed bool
	wg     sync.WaitGroup
}

func newTaskQueue(workers int) *taskQueue {
	q := &taskQueue{}
	q.cond = sync.NewCond(&q.mu)
	q.wg.Add(workers)
	for range workers {
		go q.work()
	}
	return q
}

// push queues fn; after close it is dropped.
func (q *taskQueue) push(fn func()) {
	q.mu.Lock()
	if !q.closed {
		q.tasks = append(q.tasks, fn)
		q.cond.Signal()
	}
	q.mu.Unlock()
}

func (q *taskQueue) work() {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		for len(q.tasks) == 0 && !q.closed {
			q.cond.Wait()
		}
		if len(q.tasks) == 0 {
			q.mu.Unlock()
			return
		}
		fn := q.tasks[0]
		q.tasks[0] = nil
		q.tasks = q.tasks[1:]
		q.mu.Unlock()
		fn()
	}
}

// close lets the workers finish the queued tasks and waits for them.
func (q *taskQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
	q.wg.Wait()
}

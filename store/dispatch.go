package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/saturnmq/saturn/message"
)

// dispatchSpin is how long the dispatcher polls for new records before it
// sleeps until woken, when records have been arriving less than
// dispatchSpin apart (see dispatchLoop).
const dispatchSpin = 10 * time.Microsecond

// maxDispatchStep bounds the records handled under one hold of the
// commit log's segMu, so that a segment rollover never waits long.
const maxDispatchStep = 1024

type arrival struct {
	q    *consumeQueue
	max  int64
	tags int64
}

// dispatchScratch holds the dispatcher's reusable buffers. Guarded by
// dispatchMu.
type dispatchScratch struct {
	arrivals []arrival
	keys     [][]byte
	view     message.View
	// recent caches queues by queue id (modulo its size): the lookup
	// takes a lock and a hash, and producers spread their sends over a
	// topic's few queues, so runs of one queue are short.
	recent [16]*consumeQueue
}

// errInconsistent is returned by dispatch during recovery when a record's
// queue offset does not continue its consume queue.
var errInconsistent = errors.New("store: consume queue does not match the commit log")

// kickDispatcher wakes the dispatcher if it is idle. Called after a
// publish. The idle flag keeps a busy dispatcher from being signalled on
// every append.
func (s *Store) kickDispatcher() {
	if s.dispIdle.Load() && s.dispIdle.CompareAndSwap(true, false) {
		select {
		case s.dispKick <- struct{}{}:
		default:
		}
	}
}

func (s *Store) dispatchLoop() {
	defer s.wg.Done()
	var lastErr error
	var idleSince time.Time // when the last pass ended
	// more reports records to dispatch now. Not when the log ends in part
	// of a record (dispPartial): retrying at once would spin a core until
	// the rest arrives, and never see stop.
	more := func() bool {
		w := s.cl.writePos.Load()
		return w > s.dispatchedP.Load() && w != s.dispPartial.Load() && s.dispErrLoad() == nil
	}
	for {
		gap := time.Since(idleSince)
		if err := s.dispatchAvailable(false); err != nil && err != lastErr {
			s.log.Error("store: dispatch stopped; the log cannot be read past this point", "err", err)
			lastErr = err
		}
		// Spin briefly before sleeping, if this pass's records came less
		// than dispatchSpin after the last pass ended: then the spin
		// usually finds the next ones and saves their appender a futex
		// wake-up (a few microseconds). With appends further apart it
		// would find nothing and only burn CPU (BenchmarkSteadyRate,
		// AsyncFlush at 5,000 appends/s: ~2 us of CPU per message), while
		// a wake-up costs little next to the gap; sleeping at once adds no
		// latency, since an append wakes the dispatcher.
		//
		// In SyncFlush a pass follows a group commit's publish, and the
		// spin overlaps the completion of its waiters: a busy P spares
		// each goroutine the completion readies a wake-up of an idle
		// thread. Without it a lone writer's Put took ~9% longer
		// (BenchmarkAppendSimDisk/1024B/writers=1), so there it stays,
		// at a cost of at most dispatchSpin per sync.
		idleSince = time.Now()
		spin := gap < dispatchSpin || s.cl.staged
		for t0 := idleSince; spin && s.cl.writePos.Load() <= s.dispatchedP.Load() && time.Since(t0) < dispatchSpin; {
			runtime.Gosched()
		}
		if more() {
			continue
		}
		s.dispIdle.Store(true)
		// Re-check after announcing idleness: an append that published
		// before it saw the flag set is caught here (both are
		// sequentially consistent atomics).
		if more() {
			s.dispIdle.Store(false)
			continue
		}
		select {
		case <-s.stop:
			return
		case <-s.dispKick:
		}
	}
}

func (s *Store) dispErrLoad() error {
	s.dispatchMu.Lock()
	defer s.dispatchMu.Unlock()
	return s.dispErr
}

// dispatchAvailable dispatches every complete record below the write
// position. recovering makes a record whose queue offset does not continue
// its queue an error (errInconsistent) instead of a hole to fill.
func (s *Store) dispatchAvailable(recovering bool) error {
	s.dispatchMu.Lock()
	defer s.dispatchMu.Unlock()
	if s.dispErr != nil {
		return s.dispErr
	}
	s.dispPartial.Store(-1)
	for {
		end := s.cl.writePos.Load()
		if s.dispatched >= end {
			return nil
		}
		n, err := s.dispatchStep(end, recovering)
		s.dispatchedP.Store(s.dispatched)
		s.notifyArrivals()
		s.notifyVisible()
		if err != nil {
			if !recovering {
				s.dispErr = err
			}
			return err
		}
		if n == 0 {
			// A partial record from AppendRaw: wait for the rest.
			s.dispPartial.Store(end)
			return nil
		}
	}
}

// dispatchStep handles up to maxDispatchStep records from s.dispatched in
// one segment. It returns the number of records and blanks consumed.
func (s *Store) dispatchStep(end int64, recovering bool) (int, error) {
	cl := s.cl
	cl.segMu.RLock()
	defer cl.segMu.RUnlock()
	seg := cl.segmentAt(s.dispatched)
	if seg == nil {
		return 0, fmt.Errorf("%w: dispatch position %d outside the log", ErrCorrupt, s.dispatched)
	}
	limit := min(end, seg.end())
	if s.idx != nil {
		s.idx.mu.Lock()
		defer s.idx.mu.Unlock()
	}
	v := &s.dispScratch.view
	n := 0
	for ; n < maxDispatchStep && s.dispatched < limit; n++ {
		pos := s.dispatched
		size, err := v.Parse(seg.data[pos-seg.base : limit-seg.base])
		switch {
		case errors.Is(err, message.ErrBlank):
			if limit < seg.end() {
				// Replicated data: the rest of the segment has not
				// arrived yet.
				return n, nil
			}
			s.dispatched = seg.end()
			continue
		case errors.Is(err, message.ErrShortBuffer) && limit == end && end < seg.end():
			return n, nil
		case err != nil:
			return n, fmt.Errorf("%w: record at %d: %w", ErrCorrupt, pos, err)
		}
		if err := s.dispatchRecord(v, pos, recovering); err != nil {
			return n, err
		}
		s.dispatched = pos + int64(size)
		s.lastDispTs.Store(v.StoreTimestamp)
	}
	return n, nil
}

func (s *Store) dispatchRecord(v *message.View, pos int64, recovering bool) error {
	tt := message.TransactionType(v.SysFlag)
	pr := scanProps(v.Properties)
	var topic string
	if tt != message.TransactionPreparedType && tt != message.TransactionRollbackType {
		slot := &s.dispScratch.recent[uint32(v.QueueID)%uint32(len(s.dispScratch.recent))]
		q := *slot
		if q == nil || q.queueID != v.QueueID || q.topic != string(v.Topic) || q.dead.Load() {
			q = s.queueBytes(v.Topic, v.QueueID)
			if q == nil {
				q = newConsumeQueue(&s.cfg, string(v.Topic), v.QueueID)
				s.addQueue(q)
			}
			*slot = q
		}
		topic = q.topic
		if recovering {
			if max := q.maxOffset.Load(); v.QueueOffset != max && !(max == 0 && q.empty()) {
				return fmt.Errorf("%w: record at %d has queue offset %d, queue %s/%d continues at %d",
					errInconsistent, pos, v.QueueOffset, q.topic, q.queueID, max)
			}
		}
		tags := int64(0)
		if len(pr.tags) > 0 {
			tags = int64(message.JavaHashCode(string(pr.tags)))
		}
		if err := q.put(v.QueueOffset, cqEntry{phys: pos, size: v.Size, tags: tags}); err != nil {
			return err
		}
		s.dispScratch.arrivals = append(s.dispScratch.arrivals, arrival{q, v.QueueOffset + 1, tags})
	}
	if s.idx == nil || tt == message.TransactionRollbackType {
		return nil
	}
	keys := s.dispScratch.keys[:0]
	if len(pr.uniq) > 0 {
		keys = append(keys, pr.uniq)
	}
	for ks := pr.keys; len(ks) > 0; {
		k := ks
		if i := bytes.IndexByte(ks, ' '); i >= 0 {
			k, ks = ks[:i], ks[i+1:]
		} else {
			ks = nil
		}
		if len(k) > 0 {
			keys = append(keys, k)
		}
	}
	s.dispScratch.keys = keys
	if len(keys) == 0 {
		return nil
	}
	if topic == "" {
		topic = string(v.Topic)
	}
	return s.idx.add(topic, keys, pos, v.StoreTimestamp)
}

func (q *consumeQueue) empty() bool {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return len(q.files) == 0
}

func (s *Store) notifyArrivals() {
	as := s.dispScratch.arrivals
	if len(as) == 0 {
		return
	}
	s.arrivalMu.RLock()
	fs := s.arrivals
	s.arrivalMu.RUnlock()
	for _, a := range as {
		for _, f := range fs {
			f(a.q.topic, a.q.queueID, a.max, a.tags)
		}
	}
	clear(as)
	s.dispScratch.arrivals = as[:0]
}

func (s *Store) notifyVisible() {
	s.visibleMu.Lock()
	if s.visibleCh != nil {
		close(s.visibleCh)
		s.visibleCh = nil
	}
	s.visibleMu.Unlock()
}

// WaitDispatched waits until every record below physOffset (for example
// PutResult offsets plus sizes, or MaxPhysicalOffset) is visible through
// consume queues and index, or ctx ends.
func (s *Store) WaitDispatched(ctx context.Context, physOffset int64) error {
	for {
		if s.dispatchedP.Load() >= physOffset {
			return nil
		}
		s.visibleMu.Lock()
		if s.visibleCh == nil {
			s.visibleCh = make(chan struct{})
		}
		ch := s.visibleCh
		s.visibleMu.Unlock()
		if s.dispatchedP.Load() >= physOffset {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.stop:
			if s.dispatchedP.Load() >= physOffset {
				return nil
			}
			return ErrClosed
		}
	}
}

// dispatchProps are the properties the dispatcher needs.
type dispatchProps struct{ tags, keys, uniq []byte }

// scanProps finds TAGS, KEYS and UNIQ_KEY in one pass, with the rules of
// message.DecodeProperties (a segment needs a non-empty key and value; the
// last occurrence wins).
func scanProps(p []byte) dispatchProps {
	var r dispatchProps
	for len(p) > 0 {
		seg := p
		if i := bytes.IndexByte(p, message.PropertySeparator); i >= 0 {
			seg, p = p[:i], p[i+1:]
		} else {
			p = nil
		}
		i := bytes.IndexByte(seg, message.NameValueSeparator)
		if i <= 0 || i == len(seg)-1 {
			continue
		}
		k, v := seg[:i], seg[i+1:]
		switch string(k) {
		case message.PropertyTags:
			r.tags = v
		case message.PropertyKeys:
			r.keys = v
		case message.PropertyUniqClientMessageIDKeyIdx:
			r.uniq = v
		}
	}
	return r
}

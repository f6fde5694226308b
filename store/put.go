package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/saturnmq/saturn/message"
)

// PutResult is the outcome of Put or PutBatch.
type PutResult struct {
	Status PutStatus
	// CommitLogOffset and QueueOffset are those of the first message.
	CommitLogOffset int64
	QueueOffset     int64
	// Count is the number of messages stored.
	Count int
	// Offsets are the physical offsets of the messages, in order; with the
	// broker's store host they give the offset message ids.
	Offsets []int64
	// StoreTimestamp is the store timestamp given to the messages.
	StoreTimestamp int64
	// WroteBytes is the number of log bytes the messages took.
	WroteBytes int
}

// validTopic checks what the store needs of a topic: it names directories,
// so only upstream's topic characters [%|a-zA-Z0-9_-] are allowed, at most
// 255 bytes.
func validTopic(t string) error {
	if len(t) == 0 || len(t) > 255 {
		return fmt.Errorf("%w: topic length %d", ErrMessageIllegal, len(t))
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '%' || c == '|' || c == '_' || c == '-') {
			return fmt.Errorf("%w: topic %q has character %q", ErrMessageIllegal, t, c)
		}
	}
	return nil
}

func statusOf(err error) PutStatus {
	switch {
	case err == nil:
		return PutOK
	case errors.Is(err, ErrFlushDiskTimeout):
		return FlushDiskTimeout
	case errors.Is(err, ErrMessageIllegal):
		return MessageIllegal
	case errors.Is(err, ErrPropertiesSizeExceeded):
		return PropertiesSizeExceeded
	case errors.Is(err, ErrServiceNotAvailable):
		return ServiceNotAvailable
	case errors.Is(err, ErrOSPageCacheBusy):
		return OSPageCacheBusy
	}
	return UnknownError
}

// encode appends m's stored record to buf, checking the limits.
func (s *Store) encode(buf []byte, m *message.Ext) ([]byte, error) {
	if err := validTopic(m.Topic); err != nil {
		return buf, err
	}
	if len(m.Body) > s.cfg.MaxMessageSize {
		return buf, fmt.Errorf("%w: body of %d bytes exceeds MaxMessageSize %d", ErrMessageIllegal, len(m.Body), s.cfg.MaxMessageSize)
	}
	if raw := m.RawProperties; raw != "" && raw[len(raw)-1] != message.PropertySeparator {
		// Recovery relies on stored properties ending with the separator,
		// as every upstream encoder writes them.
		m.RawProperties = raw + string(message.PropertySeparator)
	}
	start := len(buf)
	out, err := message.AppendStored(buf, m)
	switch {
	case errors.Is(err, message.ErrPropertiesTooLong):
		return buf, fmt.Errorf("%w: %w", ErrPropertiesSizeExceeded, err)
	case err != nil:
		return buf, fmt.Errorf("%w: %w", ErrMessageIllegal, err)
	}
	if n := len(out) - start; n > s.cfg.MaxMessageSize+recordHeadroom {
		return buf, fmt.Errorf("%w: record of %d bytes exceeds MaxMessageSize+64KiB", ErrMessageIllegal, n)
	}
	return out, nil
}

func (s *Store) available() error {
	if s.closed.Load() {
		return fmt.Errorf("%w: %w", ErrServiceNotAvailable, ErrClosed)
	}
	if p := s.failed.Load(); p != nil {
		return fmt.Errorf("%w: %w", ErrServiceNotAvailable, *p)
	}
	if s.diskFull.Load() {
		return fmt.Errorf("%w: disk use above %d%%", ErrServiceNotAvailable, s.cfg.DiskFullRatio)
	}
	// Back-pressure: if the lock holder has been at it for too long
	// (a stalled page fault or disk), fail fast instead of queueing.
	if since := s.lockedSince.Load(); since != 0 {
		if d := time.Duration(s.cfg.Now().UnixNano() - since); d > s.cfg.OSPageCacheBusyTimeout {
			return fmt.Errorf("%w: append lock held for %v", ErrOSPageCacheBusy, d)
		}
	}
	return nil
}

func (s *Store) getBuf() *[]byte {
	if b, ok := s.bufPool.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 4096)
	return &b
}

func (s *Store) putBuf(b *[]byte) {
	if cap(*b) <= 1<<20 {
		*b = (*b)[:0]
		s.bufPool.Put(b)
	}
}

// Put appends one message. The caller fills every field but QueueOffset,
// CommitLogOffset and StoreTimestamp, which Put assigns (and writes back
// into m, with StoreSize, BodyCRC and SysFlag). A message of transaction
// type prepared or rollback gets queue offset 0 and no consume-queue entry,
// as upstream. In SyncFlush Put returns after the message is synced, unless
// its WAIT property is "false". The error is nil exactly when the status is
// PutOK; with FlushDiskTimeout the message is stored but not known to be
// synced.
func (s *Store) Put(ctx context.Context, m *message.Ext) (PutResult, error) {
	return s.put(ctx, []*message.Ext{m})
}

// PutBatch appends messages of one topic and queue under one lock, with
// consecutive queue offsets. It stores all or none of them.
func (s *Store) PutBatch(ctx context.Context, ms []*message.Ext) (PutResult, error) {
	if len(ms) == 0 {
		return PutResult{Status: MessageIllegal}, fmt.Errorf("%w: empty batch", ErrMessageIllegal)
	}
	for _, m := range ms[1:] {
		if m.Topic != ms[0].Topic || m.QueueID != ms[0].QueueID {
			return PutResult{Status: MessageIllegal}, fmt.Errorf("%w: batch mixes queues", ErrMessageIllegal)
		}
	}
	return s.put(ctx, ms)
}

func (s *Store) put(ctx context.Context, ms []*message.Ext) (PutResult, error) {
	if s.cfg.FlushMode == SyncFlush {
		s.gc.inflight.Add(1)
		defer s.gc.inflight.Add(-1)
	}
	if err := s.available(); err != nil {
		return PutResult{Status: statusOf(err)}, err
	}
	bp := s.getBuf()
	defer s.putBuf(bp)
	buf := *bp
	var ends [1]int
	recEnds := ends[:0]
	for _, m := range ms {
		var err error
		if buf, err = s.encode(buf, m); err != nil {
			*bp = buf[:0]
			return PutResult{Status: statusOf(err)}, err
		}
		recEnds = append(recEnds, len(buf))
	}
	*bp = buf

	res := PutResult{Count: len(ms)}
	if len(ms) > 1 {
		res.Offsets = make([]int64, len(ms))
	}
	end, err := s.appendLocked(ms, buf, recEnds, &res)
	if err != nil {
		res.Status = statusOf(err)
		return res, err
	}
	if len(ms) == 1 {
		res.Offsets = []int64{res.CommitLogOffset}
	}
	s.appended.Add(int64(len(ms)))
	if s.cl.staged {
		select {
		case s.gc.kick <- struct{}{}:
		default:
		}
	} else {
		s.kickDispatcher()
	}
	if s.cfg.FlushMode == SyncFlush && waitStore(ms[0]) {
		s.gc.unsynced.Add(1)
		if err := s.waitFlushed(ctx, end); err != nil {
			res.Status = FlushDiskTimeout
			return res, err
		}
	}
	return res, nil
}

// waitStore reports whether a SyncFlush append of m waits for its sync:
// unless its WAIT property is "false", as upstream.
func waitStore(m *message.Ext) bool {
	if m.RawProperties != "" {
		v, ok := message.FindProperty(m.RawProperties, message.PropertyWaitStoreMsgOK)
		return !ok || v != "false"
	}
	return m.Properties[message.PropertyWaitStoreMsgOK] != "false"
}

// appendLocked copies the encoded records into the log under putMu,
// assigning offsets and the store timestamp, and publishes them. It
// returns the log position after the last record.
func (s *Store) appendLocked(ms []*message.Ext, buf []byte, recEnds []int, res *PutResult) (int64, error) {
	s.putMu.Lock()
	nowT := s.cfg.Now()
	s.lockedSince.Store(nowT.UnixNano())
	defer func() {
		s.lockedSince.Store(0)
		s.putMu.Unlock()
	}()
	if s.closed.Load() {
		return 0, fmt.Errorf("%w: %w", ErrServiceNotAvailable, ErrClosed)
	}
	if s.tableStale {
		if err := s.refreshQueueTable(); err != nil {
			return 0, err
		}
	}
	// Store timestamps never go backwards, so that a queue's entries are
	// ordered by store time and OffsetByTime can search them.
	now := max(nowT.UnixMilli(), s.lastStoreTs)
	s.lastStoreTs = now
	key := queueKey{ms[0].Topic, ms[0].QueueID}
	qoff, ok := s.queueTable[key]
	if !ok {
		qoff = s.initialQueueOffset(key)
	}
	cl := s.cl
	pos := cl.reservePos
	start := 0
	for i, m := range ms {
		rec := buf[start:recEnds[i]]
		seg, phys, err := cl.reserve(pos, len(rec))
		if err != nil {
			// Nothing was published: the records written so far in
			// this batch lie above the reserve position and will be
			// overwritten.
			return 0, fmt.Errorf("store: append: %w", err)
		}
		q := qoff
		if tt := message.TransactionType(m.SysFlag); tt == message.TransactionPreparedType || tt == message.TransactionRollbackType {
			q = 0
		} else {
			qoff++
		}
		message.PutQueueOffset(rec, q)
		message.PutPhysicalOffset(rec, phys)
		message.PutStoreTimestamp(rec, now)
		cl.writeAt(seg, phys, rec)
		m.QueueOffset, m.CommitLogOffset, m.StoreTimestamp = q, phys, now
		if i == 0 {
			res.CommitLogOffset, res.QueueOffset = phys, q
		}
		if res.Offsets != nil {
			res.Offsets[i] = phys
		}
		res.WroteBytes += len(rec)
		pos = phys + int64(len(rec))
		start = recEnds[i]
	}
	s.queueTable[key] = qoff
	res.StoreTimestamp = now
	cl.reservePos = pos
	if cl.staged {
		// The group-commit flusher writes, syncs and publishes.
		return pos, nil
	}
	// Publish: every byte below pos is now a complete record.
	cl.writePos.Store(pos)
	if w := s.cfg.WarmAhead; w > 0 && pos+w/2 > s.warmedTo.Load() {
		select {
		case s.warmKick <- struct{}{}:
		default:
		}
	}
	return pos, nil
}

// initialQueueOffset is the next offset of a queue not in queueTable: its
// consume queue's max offset. Caller holds putMu.
func (s *Store) initialQueueOffset(key queueKey) int64 {
	if q := s.queue(key.topic, key.qid); q != nil {
		return q.maxOffset.Load()
	}
	return 0
}

// refreshQueueTable rebuilds queueTable after the log was changed by
// replication: it dispatches what is pending, so that the consume queues
// are complete, then forgets the table (it is refilled from them). Caller
// holds putMu.
func (s *Store) refreshQueueTable() error {
	if err := s.dispatchAvailable(false); err != nil {
		return fmt.Errorf("%w: %w", ErrServiceNotAvailable, err)
	}
	if d := s.dispatchedP.Load(); d != s.cl.writePos.Load() || s.cl.reservePos != s.cl.writePos.Load() {
		return fmt.Errorf("%w: the log ends inside a record at %d (TruncateTo a record boundary first)", ErrServiceNotAvailable, d)
	}
	clear(s.queueTable)
	s.tableStale = false
	return nil
}

// groupCommit lets SyncFlush appends share syncs: an appender asks for a
// round and waits for one that started after its bytes were published.
type groupCommit struct {
	mu   sync.Mutex
	cur  *flushRound
	kick chan struct{}
	// inflight counts SyncFlush appends in progress, unsynced those that
	// appended since the last round started and wait for a sync. A round
	// starts when they are equal (or after a bounded wait): appends still
	// on their way then share it.
	inflight atomic.Int64
	unsynced atomic.Int64
}

// maxGroupCommitSettle bounds how long a round waits for appends in
// progress to join it; the wait is also at most the last sync's duration.
// Appends that are alone never wait.
const maxGroupCommitSettle = 500 * time.Microsecond

type flushRound struct {
	done chan struct{}
	err  error
}

func (g *groupCommit) init() {
	g.cur = &flushRound{done: make(chan struct{})}
	g.kick = make(chan struct{}, 1)
}

func (g *groupCommit) round() *flushRound {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cur
}

// complete ends the current round with err and starts the next.
func (g *groupCommit) complete(err error) {
	g.mu.Lock()
	r := g.cur
	g.cur = &flushRound{done: make(chan struct{})}
	g.mu.Unlock()
	r.err = err
	close(r.done)
}

func (s *Store) waitFlushed(ctx context.Context, end int64) error {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if s.cl.flushedPos.Load() >= end {
			return nil
		}
		r := s.gc.round()
		// The round r may have taken its target before our bytes were
		// published; then we loop and wait for the next one.
		if s.cl.flushedPos.Load() >= end {
			return nil
		}
		select {
		case s.gc.kick <- struct{}{}:
		default:
		}
		if timer == nil {
			timer = time.NewTimer(s.cfg.SyncFlushTimeout)
		}
		select {
		case <-r.done:
			if r.err != nil && s.cl.flushedPos.Load() < end {
				return fmt.Errorf("%w: %w", ErrFlushDiskTimeout, r.err)
			}
		case <-timer.C:
			return fmt.Errorf("%w: not synced within %v", ErrFlushDiskTimeout, s.cfg.SyncFlushTimeout)
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrFlushDiskTimeout, ctx.Err())
		case <-s.stop:
			// Close flushes once more and completes the round.
			select {
			case <-r.done:
			case <-timer.C:
			}
			if s.cl.flushedPos.Load() >= end {
				return nil
			}
			return fmt.Errorf("%w: store closed", ErrFlushDiskTimeout)
		}
	}
}

// groupCommitLoop is the SyncFlush flusher: each kick starts a round that
// syncs everything published so far and wakes its waiters.
func (s *Store) groupCommitLoop() {
	// Appends with WAIT=false do not kick; a slow tick still syncs them.
	t := time.NewTicker(s.cfg.FlushInterval)
	defer t.Stop()
	var lastSync time.Duration
	for {
		select {
		case <-s.stop:
			return
		case <-s.gc.kick:
		case <-t.C:
		}
		// Let appends that are under way join this round: a sync costs
		// far less per message for fifty messages than for one.
		settle := min(lastSync, maxGroupCommitSettle)
		for t0 := time.Now(); s.gc.unsynced.Load() < s.gc.inflight.Load() && time.Since(t0) < settle; {
			runtime.Gosched()
		}
		s.gc.unsynced.Store(0)
		t0 := time.Now()
		published, err := s.cl.flush()
		lastSync = time.Since(t0)
		if err != nil {
			err = s.fail(fmt.Errorf("store: sync commit log: %w", err))
		}
		if published {
			s.kickDispatcher()
		}
		s.gc.complete(err)
	}
}

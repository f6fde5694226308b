package store

import (
	"context"
	"errors"
	"fmt"
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
// synced (also when ctx ends first).
//
// Put, PutBatch, PutAsync and PutBatchAsync encode the messages into the
// store's own buffers before they return and never read m.Body or
// m.RawProperties afterwards (not even from done): the broker reuses the
// request's read buffer, which those fields point into, once its handler
// returns (remoting.Server.ReuseBodies).
func (s *Store) Put(ctx context.Context, m *message.Ext) (PutResult, error) {
	return s.putWait(ctx, []*message.Ext{m})
}

// PutBatch appends messages of one topic and queue under one lock, with
// consecutive queue offsets. It stores all or none of them.
func (s *Store) PutBatch(ctx context.Context, ms []*message.Ext) (PutResult, error) {
	if err := checkBatch(ms); err != nil {
		return PutResult{Status: MessageIllegal}, err
	}
	return s.putWait(ctx, ms)
}

// PutAsync appends one message like Put without waiting for its sync: done
// is called exactly once with what Put would return. It is called before
// PutAsync returns when the outcome is known at once (a refusal, AsyncFlush,
// WAIT=false); otherwise later, from a store goroutine, once the group
// commit covering the message has synced it, or with FlushDiskTimeout after
// SyncFlushTimeout or when the store closes first. Callbacks of one store
// run one after the other: done must be quick and must not block (it may
// append, but not call Close or TruncateTo).
func (s *Store) PutAsync(m *message.Ext, done func(PutResult, error)) {
	s.putAsync([]*message.Ext{m}, done)
}

// PutBatchAsync is PutBatch with the completion of PutAsync.
func (s *Store) PutBatchAsync(ms []*message.Ext, done func(PutResult, error)) {
	if err := checkBatch(ms); err != nil {
		done(PutResult{Status: MessageIllegal}, err)
		return
	}
	s.putAsync(ms, done)
}

func checkBatch(ms []*message.Ext) error {
	if len(ms) == 0 {
		return fmt.Errorf("%w: empty batch", ErrMessageIllegal)
	}
	for _, m := range ms[1:] {
		if m.Topic != ms[0].Topic || m.QueueID != ms[0].QueueID {
			return fmt.Errorf("%w: batch mixes queues", ErrMessageIllegal)
		}
	}
	return nil
}

func (s *Store) putAsync(ms []*message.Ext, done func(PutResult, error)) {
	if s.cfg.FlushMode != SyncFlush {
		res, err, _ := s.submit(ms, nil)
		done(res, err)
		return
	}
	// Counted in flight until done has run, for the group-commit settle.
	s.gc.inflight.Add(1)
	res, err, waiting := s.submit(ms, &syncWaiter{done: done, tracked: true})
	if !waiting {
		s.gc.inflight.Add(-1)
		done(res, err)
	}
}

// putWait is Put and PutBatch: the asynchronous put, waited for.
func (s *Store) putWait(ctx context.Context, ms []*message.Ext) (PutResult, error) {
	if s.cfg.FlushMode != SyncFlush {
		res, err, _ := s.submit(ms, nil)
		return res, err
	}
	// In flight until the caller returns, not only until the callback ran:
	// a waking writer about to append again should still join the next
	// round.
	s.gc.inflight.Add(1)
	defer s.gc.leave()
	w := s.getWaitChan()
	w.sw = syncWaiter{done: w.fn}
	res, err, waiting := s.submit(ms, &w.sw)
	if !waiting {
		s.waitChans.Put(w)
		return res, err
	}
	select {
	case o := <-w.ch:
		s.waitChans.Put(w)
		return o.res, o.err
	case <-ctx.Done():
		// w is not reused: the callback will still send on it.
		res.Status = FlushDiskTimeout
		return res, fmt.Errorf("%w: %w", ErrFlushDiskTimeout, ctx.Err())
	}
}

// submit encodes and appends ms. With a non-nil w in SyncFlush, when the
// append must wait for its sync, it registers w and reports waiting: w's
// callback then receives the final outcome. Otherwise the returned outcome
// is final.
func (s *Store) submit(ms []*message.Ext, w *syncWaiter) (PutResult, error, bool) {
	if err := s.available(); err != nil {
		return PutResult{Status: statusOf(err)}, err, false
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
			return PutResult{Status: statusOf(err)}, err, false
		}
		recEnds = append(recEnds, len(buf))
	}
	*bp = buf

	res := PutResult{Count: len(ms)}
	if len(ms) > 1 {
		res.Offsets = make([]int64, len(ms))
	}
	if w != nil && !(s.cfg.FlushMode == SyncFlush && waitStore(ms[0])) {
		w = nil
	}
	if w != nil {
		w.deadline = time.Now().Add(s.cfg.SyncFlushTimeout).UnixNano()
	}
	ahead, err := s.appendLocked(ms, buf, recEnds, &res, w)
	if err != nil {
		res.Status = statusOf(err)
		return res, err, false
	}
	if ahead {
		// Before the kick: the flusher would only wait for this write.
		s.cl.writeAhead()
	}
	s.appended.Add(int64(len(ms)))
	if s.cl.staged {
		if w == nil || s.gc.arrived() {
			select {
			case s.gc.kick <- struct{}{}:
			default:
			}
		}
	} else {
		s.kickDispatcher()
	}
	return res, nil, w != nil
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

// writeThroughMin is the size from which an AsyncFlush append writes its
// records instead of copying them into the mapping.
const writeThroughMin = 16 << 10

// appendLocked copies the encoded records into the log under putMu,
// assigning offsets and the store timestamp, and publishes them.
//
// With a non-nil w (staged mode only) it registers w to complete when the
// records are synced. Registering under putMu keeps the waiter queue in
// log order, which the flusher relies on. In staged mode it reports
// whether the caller took the stage to write ahead (commitLog.writeAhead,
// to be called once putMu is released).
func (s *Store) appendLocked(ms []*message.Ext, buf []byte, recEnds []int, res *PutResult, w *syncWaiter) (bool, error) {
	s.putMu.Lock()
	nowT := s.cfg.Now()
	s.lockedSince.Store(nowT.UnixNano())
	defer func() {
		s.lockedSince.Store(0)
		s.putMu.Unlock()
	}()
	if s.closed.Load() {
		return false, fmt.Errorf("%w: %w", ErrServiceNotAvailable, ErrClosed)
	}
	if s.tableStale {
		if err := s.refreshQueueTable(); err != nil {
			return false, err
		}
	}
	// Store timestamps never go backwards, so that a queue's entries are
	// ordered by store time and OffsetByTime can search them.
	now := max(nowT.UnixMilli(), s.lastStoreTs)
	s.lastStoreTs = now
	key := queueKey{ms[0].Topic, ms[0].QueueID}
	next := s.queueTable[key]
	if next == nil {
		next = new(int64)
		*next = s.initialQueueOffset(key)
		s.queueTable[key] = next
	}
	qoff := *next
	cl := s.cl
	// A small AsyncFlush append copies into the mapping: a write(2) per
	// append under the lock cost more than the copy into pages prepared
	// ahead (whole-system single 1 KiB sends: ~8.5 against ~11 us of
	// broker CPU per message, measured when they were populated ahead). A
	// large one writes: see MappedAppends.
	cl.viaMap = !cl.staged && (cl.mapAll || len(buf) < writeThroughMin)
	// A write-through append writes buf itself, patched in place, while
	// its records lie back to back in one segment: buf[:start] at dphys
	// of dseg (the usual case, which saves copying it into the stage).
	through := !cl.staged && !cl.viaMap
	direct := through
	var dseg *segment
	var dphys int64
	pos := cl.reservePos
	start := 0
	for i, m := range ms {
		rec := buf[start:recEnds[i]]
		seg, phys, err := cl.reserve(pos, len(rec))
		if err != nil {
			// Nothing was published: the records written so far in
			// this batch lie above the reserve position and will be
			// overwritten.
			if through {
				cl.dropStage()
			}
			return false, fmt.Errorf("store: append: %w", err)
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
		if direct && i == 0 {
			dseg, dphys = seg, phys
		}
		if direct && (seg != dseg || phys != dphys+int64(start)) {
			// A new segment: stage what came before, then go on
			// staging.
			cl.writeAt(dseg, dphys, buf[:start])
			direct = false
		}
		if !direct {
			cl.writeAt(seg, phys, rec)
		}
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
	if direct {
		cl.awaitZeros(dphys + int64(start))
		if _, err := dseg.file.WriteAt(buf[:start], dphys-dseg.base); err != nil {
			cl.dropStage()
			return false, fmt.Errorf("store: write segment: %w", err)
		}
	}
	if through {
		// Also a blank staged before the first record.
		if err := cl.writeThrough(); err != nil {
			// Nothing was published; bytes written above the reserve
			// position will be overwritten.
			return false, err
		}
	}
	*next = qoff
	res.StoreTimestamp = now
	cl.reservePos = pos
	if len(ms) == 1 {
		if w != nil && w.tracked {
			w.off[0] = res.CommitLogOffset
			res.Offsets = w.off[:]
		} else {
			res.Offsets = []int64{res.CommitLogOffset}
		}
	}
	if cl.staged {
		// The group-commit flusher writes, syncs and publishes.
		if w != nil {
			w.end, w.res = pos, *res
			s.gc.enqueue(w)
		}
		s.kickWarm(pos)
		return cl.takeWriteAhead(), nil
	}
	// Publish: every byte below pos is now a complete record.
	cl.writePos.Store(pos)
	// Only appends that copy warm: ahead of writes, prepared pages would
	// cost what writing saves (measured with populating ahead: ~1.4 us of
	// broker CPU per message of a batch more).
	if cl.viaMap {
		s.kickWarm(pos)
	}
	return false, nil
}

// kickWarm wakes warmLoop when less than half of WarmAhead is prepared
// past pos.
func (s *Store) kickWarm(pos int64) {
	if w := s.cfg.WarmAhead; w > 0 && pos+w/2 > s.warmedTo.Load() {
		select {
		case s.warmKick <- struct{}{}:
		default:
		}
	}
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

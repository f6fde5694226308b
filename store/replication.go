package store

import (
	"fmt"
	"slices"

	"github.com/saturnmq/saturn/message"
)

// ReadRaw returns a copy of the log bytes from physOffset, at most maxBytes
// and never past the write position or the end of physOffset's segment:
// what a leader sends a follower. The bytes may end inside a record and may
// include an end-of-segment blank (the rest of whose segment reads as
// zeros, as in the file).
func (s *Store) ReadRaw(physOffset int64, maxBytes int) ([]byte, error) {
	cl := s.cl
	cl.segMu.RLock()
	defer cl.segMu.RUnlock()
	end := cl.writePos.Load()
	if physOffset == end {
		return nil, nil
	}
	seg := cl.segmentAt(physOffset)
	if seg == nil || physOffset > end {
		return nil, fmt.Errorf("%w: %d not in [%d, %d)", ErrOffset, physOffset, cl.minOffsetLocked(), end)
	}
	n := min(int64(maxBytes), end-physOffset, seg.end()-physOffset)
	off := physOffset - seg.base
	return slices.Clone(seg.data[off : off+n]), nil
}

// AppendRaw appends bytes read by ReadRaw on the leader at exactly the
// leader's offset, which must be this log's write position. The bytes are
// dispatched like appended records once complete; a record cut at the end
// of data waits for the next AppendRaw. data must not cross a segment end.
// After AppendRaw the next Put first rebuilds its queue offsets from the
// consume queues.
func (s *Store) AppendRaw(physOffset int64, data []byte) error {
	if err := s.available(); err != nil {
		return err
	}
	if len(data) == 0 {
		return nil
	}
	s.putMu.Lock()
	defer s.putMu.Unlock()
	cl := s.cl
	pos := cl.writePos.Load()
	if cl.reservePos != pos {
		return fmt.Errorf("%w: appends are waiting for their sync", ErrServiceNotAvailable)
	}
	if physOffset != pos {
		return fmt.Errorf("%w: raw append at %d, log ends at %d", ErrOffset, physOffset, pos)
	}
	if cl.cur == nil {
		seg, err := cl.takeSegment(pos)
		if err != nil {
			return err
		}
		cl.cur = seg
	}
	seg := cl.cur
	if pos+int64(len(data)) > seg.end() {
		return fmt.Errorf("%w: raw data of %d bytes at %d crosses the segment end %d", ErrOffset, len(data), pos, seg.end())
	}
	cl.awaitZeros(pos + int64(len(data)))
	if cl.mapAll {
		copy(seg.data[pos-seg.base:], data)
	} else if _, err := seg.file.WriteAt(data, pos-seg.base); err != nil {
		return fmt.Errorf("store: write segment: %w", err)
	}
	newPos := pos + int64(len(data))
	if newPos == seg.end() {
		cl.cur = nil
	}
	s.tableStale = true
	if ts := s.lastStoreTsOf(data); ts > s.lastStoreTs {
		s.lastStoreTs = ts
	}
	cl.reservePos = newPos
	cl.writePos.Store(newPos)
	s.kickDispatcher()
	return nil
}

// lastStoreTsOf is a cheap lower bound for the store timestamp of raw
// data: that of its first record, if it starts with one.
func (s *Store) lastStoreTsOf(data []byte) int64 {
	var v message.View
	if _, err := v.Parse(data); err == nil {
		return v.StoreTimestamp
	}
	return 0
}

// TruncateTo cuts the log back to physOffset, a record boundary (for
// example the last offset a new leader confirms), and drops the
// consume-queue and index entries of the records behind it. The cut part
// is zeroed and synced before TruncateTo returns.
func (s *Store) TruncateTo(physOffset int64) error {
	if s.closed.Load() {
		return ErrClosed
	}
	// Appends dropped here are answered once the locks are released
	// (deferred first, so run last).
	defer s.completeAll(errTruncated)
	cl := s.cl
	// A flush in progress must not publish a flushed offset past the cut.
	cl.flushMu.Lock()
	defer cl.flushMu.Unlock()
	// Nor may a write ahead write staged bytes after they are dropped.
	cl.writeMu.Lock()
	defer cl.writeMu.Unlock()
	s.putMu.Lock()
	defer s.putMu.Unlock()
	s.dispatchMu.Lock()
	defer s.dispatchMu.Unlock()
	s.cqFlushMu.Lock()
	defer s.cqFlushMu.Unlock()
	// Appends not yet synced are dropped (their Put reports a timeout);
	// they may have made a segment that cutAt removes.
	end := cl.writePos.Load()
	hadStage := cl.reservePos != end
	cl.dropStage()
	cl.reservePos = end
	if physOffset == end && !hadStage {
		return nil
	}
	cl.segMu.Lock()
	minPhys := cl.minOffsetLocked()
	if physOffset < minPhys || physOffset > end || (physOffset < end && !cl.isRecordStart(physOffset)) {
		cl.segMu.Unlock()
		return fmt.Errorf("%w: cannot truncate to %d: not a record boundary in [%d, %d]", ErrOffset, physOffset, minPhys, end)
	}
	// Discard a prepared segment: it may not be the next one any more.
	cl.preparing.Wait()
	cl.prepMu.Lock()
	if cl.prepared != nil {
		cl.discard(cl.prepared)
		cl.prepared = nil
	}
	cl.prepMu.Unlock()
	err := cl.cutAt(physOffset, true)
	cl.writePos.Store(physOffset)
	cl.reservePos = physOffset
	if cl.flushedPos.Load() > physOffset {
		cl.flushedPos.Store(physOffset)
	}
	cl.segMu.Unlock()
	if err != nil {
		return s.fail(err)
	}
	for _, q := range s.allQueues() {
		max := q.maxOffset.Load()
		cut := q.searchPhys(q.minOffset.Load(), max, physOffset)
		if cut < max {
			if err := q.truncateAt(cut); err != nil {
				return s.fail(err)
			}
		}
	}
	if s.idx != nil {
		s.idx.lockAll()
		err := s.idx.truncateFrom(physOffset, cl.timestampAt)
		s.idx.unlockAll()
		if err != nil {
			return s.fail(err)
		}
	}
	if s.dispatched > physOffset {
		s.dispatched = physOffset
		s.dispatchedP.Store(physOffset)
	}
	s.dispPartial.Store(-1)
	s.dispErr = nil
	s.tableStale = true
	// The checkpoint must not point past the cut: recovery would take
	// new records written there for already dispatched.
	return s.writeCheckpointLocked(false)
}
